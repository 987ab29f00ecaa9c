#!/usr/bin/env bash
# The sanitizer step of the test suite (scripts/test.sh runs it after the main suite): one clang build in
# build-sanitize/ with AddressSanitizer, UndefinedBehaviorSanitizer and libFuzzer's coverage
# (-DLEADSYNC_FUZZ=ON), which also checks lock annotations (clang's -Wthread-safety), then
#   1. the unit tests (label unit) under the sanitizers; the integration tests are not built there: both builds
#      and both runs would not fit CI's 30 minutes on a 2-core machine (README "Reliability");
#   2. every fuzz target for 30 s on its committed corpus (label fuzz; tests/fuzz/README.md).
# Known reports of third-party code are suppressed with reasons in tests/sanitizers/*.supp.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
LEADSYNC_BUILD_DIR="${LEADSYNC_SANITIZE_BUILD_DIR:-$LEADSYNC_ROOT/build-sanitize}"
# The unit tests link every library with lock annotations (connector/, dvemu, femu), so this build
# is also where clang's thread-safety analysis checks them all.
LEADSYNC_BUILD_TARGETS="unit-tests fuzz-targets"
export CC=clang CXX=clang++
echo "sanitize: building the unit tests and fuzz targets with clang, ASan and UBSan in $LEADSYNC_BUILD_DIR"
leadsync_build -DLEADSYNC_FUZZ=ON
cd "$LEADSYNC_BUILD_DIR"
export ASAN_OPTIONS="detect_leaks=1:abort_on_error=1:detect_stack_use_after_return=1:strict_string_checks=1"
export LSAN_OPTIONS="suppressions=$LEADSYNC_ROOT/tests/sanitizers/lsan.supp:print_suppressions=0"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1:suppressions=$LEADSYNC_ROOT/tests/sanitizers/ubsan.supp"
set +e
ctest --output-on-failure --parallel "$(nproc)" --timeout 900 -L unit
status=$?
ctest --output-on-failure --parallel "$(nproc)" --timeout 120 --no-tests=error -L fuzz
fuzz_status=$?
if [ $status -eq 0 ]; then status=$fuzz_status; fi
exit $status
