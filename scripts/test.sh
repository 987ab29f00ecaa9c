#!/usr/bin/env bash
# The whole test suite: installs missing dependencies, configures, builds on all cores, runs every CTest test
# (labels unit, integration, conformance, faults) and ends with CTest's summary. Then the sanitizer step
# (scripts/sanitize.sh): the unit tests again under AddressSanitizer and UndefinedBehaviorSanitizer, and every
# fuzz target for 30 s on its corpus. The exit status is non-zero when either part fails.
# Extra arguments go to ctest and skip the sanitizer step, e.g. `scripts/test.sh -L unit` or
# `scripts/test.sh -R Store`. LEADSYNC_SANITIZER_STEP=0 skips it too.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
leadsync_build
cd "$LEADSYNC_BUILD_DIR"
set +e
ctest --output-on-failure --parallel "$(nproc)" --timeout 600 "$@"
status=$?
if [ $# -eq 0 ] && [ "${LEADSYNC_SANITIZER_STEP:-1}" != 0 ]; then
  bash "$LEADSYNC_ROOT/scripts/sanitize.sh"
  sanitizer_status=$?
  if [ $status -eq 0 ]; then status=$sanitizer_status; fi
fi
exit $status
