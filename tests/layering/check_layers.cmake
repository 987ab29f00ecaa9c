# Checks that connector/ keeps its layers one way (design.md section 2; README "Developing
# leadsync"): a component includes public headers only of the components below it, and the
# contained dependencies stay where they are contained. Run by CTest (unit label):
#   cmake -DLEADSYNC_SOURCE_DIR=<checkout> -P tests/layering/check_layers.cmake
# It prints every offending include with its file and line, and fails when there is one.

cmake_minimum_required(VERSION 3.25)

if(NOT LEADSYNC_SOURCE_DIR)
  message(FATAL_ERROR "pass -DLEADSYNC_SOURCE_DIR=<checkout>")
endif()

# Which components each component may include (the whole set below it, not only direct links).
set(allowed_core "")
set(allowed_model core)
set(allowed_http core)
set(allowed_odata core http)
set(allowed_dataverse core http odata)
set(allowed_mapping core model)
set(allowed_store core model)
set(allowed_importer core model store)
set(allowed_qualify core model store)
set(allowed_enrich core http importer mapping model store)
set(allowed_sync core dataverse http mapping model odata store)
set(allowed_jobs core dataverse enrich http importer mapping model odata qualify store sync)
set(allowed_daemon core dataverse enrich http importer jobs mapping model odata qualify store sync)
set(allowed_cli core daemon dataverse enrich http importer jobs mapping model odata qualify store sync)
set(components core model http odata dataverse mapping store importer qualify enrich sync jobs daemon
               cli)

# Third-party libraries kept inside one component: <include prefix>=<the component allowed it>.
set(contained "cpprest/=http" "sqlite3.h=store" "pqxx/=store" "libpq-fe.h=store" "boost/beast=http"
              "boost/asio=http")

set(problems "")
foreach(component IN LISTS components)
  file(GLOB_RECURSE files "${LEADSYNC_SOURCE_DIR}/connector/src/${component}/*.[ch]pp"
       "${LEADSYNC_SOURCE_DIR}/connector/include/leadsync/${component}/*.hpp")
  if(NOT files)
    list(APPEND problems "component ${component}: no source found (is the layout as design.md says?)")
  endif()
  foreach(file IN LISTS files)
    file(STRINGS "${file}" lines REGEX "^[ \t]*#[ \t]*include")
    file(RELATIVE_PATH shown "${LEADSYNC_SOURCE_DIR}" "${file}")
    foreach(line IN LISTS lines)
      if(line MATCHES "#[ \t]*include[ \t]*[<\"]leadsync/([a-z_]+)/")
        set(used "${CMAKE_MATCH_1}")
        if(NOT used STREQUAL component AND NOT used IN_LIST allowed_${component})
          list(APPEND problems "${shown}: ${component} may not include ${used} (${line})")
        endif()
      endif()
      foreach(rule IN LISTS contained)
        string(REPLACE "=" ";" rule_parts "${rule}")
        list(GET rule_parts 0 prefix)
        list(GET rule_parts 1 home)
        string(FIND "${line}" "<${prefix}" at)
        if(at GREATER -1 AND NOT component STREQUAL home)
          list(APPEND problems "${shown}: only ${home} includes ${prefix} (${line})")
        endif()
      endforeach()
    endforeach()
  endforeach()
endforeach()

if(problems)
  list(LENGTH problems count)
  list(JOIN problems "\n  " listed)
  message(FATAL_ERROR "${count} include(s) against the layering:\n  ${listed}\n"
                      "Move the code to the right layer, or if the layering itself must change, change "
                      "it here, in design.md section 2 and in the README's developer section together.")
endif()
message(STATUS "layering: ${CMAKE_CURRENT_LIST_FILE}: every include goes down the layers")
