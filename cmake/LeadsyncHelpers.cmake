# Shared helpers: every component is one library target `leadsync_<name>` with the alias `leadsync::<name>`,
# public headers under connector/include, warnings on and treated seriously.
set(LEADSYNC_WARNINGS -Wall -Wextra -Wpedantic)
if(LEADSYNC_THREAD_SAFETY_ANALYSIS)
  # Errors, not warnings: an unguarded access is a data race waiting to happen.
  list(APPEND LEADSYNC_WARNINGS -Wthread-safety -Werror=thread-safety)
endif()

function(leadsync_component name)
  cmake_parse_arguments(ARG "" "" "SOURCES;PUBLIC_DEPS;PRIVATE_DEPS" ${ARGN})
  add_library(leadsync_${name} STATIC ${ARG_SOURCES})
  add_library(leadsync::${name} ALIAS leadsync_${name})
  target_include_directories(leadsync_${name} PUBLIC ${PROJECT_SOURCE_DIR}/connector/include
                                              PRIVATE ${CMAKE_CURRENT_SOURCE_DIR})
  target_compile_options(leadsync_${name} PRIVATE ${LEADSYNC_WARNINGS})
  target_link_libraries(leadsync_${name} PUBLIC ${ARG_PUBLIC_DEPS} PRIVATE ${ARG_PRIVATE_DEPS})
endfunction()

# leadsync_test(<name> LABEL unit|integration|conformance SOURCES ... DEPS ... [FIXTURES f...])
# One GoogleTest executable; each test case is registered with CTest and carries the label.
# FIXTURES names CTest fixtures its tests require ("postgres": the shared test server).
function(leadsync_test name)
  cmake_parse_arguments(ARG "" "LABEL;TIMEOUT" "SOURCES;DEPS;FIXTURES" ${ARGN})
  if(NOT ARG_TIMEOUT)
    set(ARG_TIMEOUT 120)
  endif()
  add_executable(${name} ${ARG_SOURCES})
  # Collected per label: the `unit-tests` target builds the unit tests alone (scripts/sanitize.sh).
  set_property(GLOBAL APPEND PROPERTY LEADSYNC_TESTS_${ARG_LABEL} ${name})
  target_compile_options(${name} PRIVATE ${LEADSYNC_WARNINGS})
  target_include_directories(${name} PRIVATE ${PROJECT_SOURCE_DIR}/tests)
  target_link_libraries(${name} PRIVATE ${ARG_DEPS} GTest::gtest GTest::gmock GTest::gtest_main)
  # Paths come from tests/support/leadsync_test_paths.hpp.in (see tests/CMakeLists.txt).
  if(ARG_FIXTURES)
    gtest_discover_tests(${name} PROPERTIES LABELS ${ARG_LABEL} TIMEOUT ${ARG_TIMEOUT}
                         FIXTURES_REQUIRED "${ARG_FIXTURES}" DISCOVERY_TIMEOUT 60)
  else()
    gtest_discover_tests(${name} PROPERTIES LABELS ${ARG_LABEL} TIMEOUT ${ARG_TIMEOUT}
                         DISCOVERY_TIMEOUT 60)
  endif()
endfunction()
