# Runs one libFuzzer target for 30 s (CTest test fuzz/<name>; see CMakeLists.txt). Called as
#   cmake -DEXE=... -DSCRATCH=... -DARTIFACTS=... -DCORPUS=... [-DDICT=-dict=...] -P this file
# The scratch corpus is emptied first and listed first, so new inputs land there and the committed
# corpus stays read-only seed input. A finding (crash, leak, timeout, OOM) exits non-zero and leaves
# its input in ARTIFACTS.
file(REMOVE_RECURSE "${SCRATCH}")
file(MAKE_DIRECTORY "${SCRATCH}" "${ARTIFACTS}")
set(args -max_total_time=30 -timeout=10 -rss_limit_mb=2048 -artifact_prefix=${ARTIFACTS}
         -print_final_stats=1)
if(DICT)
  list(APPEND args "${DICT}")
endif()
execute_process(COMMAND "${EXE}" ${args} "${SCRATCH}" "${CORPUS}" RESULT_VARIABLE result)
if(NOT result EQUAL 0)
  message(FATAL_ERROR "${EXE} found a problem (exit ${result}); its input is in ${ARTIFACTS}")
endif()
