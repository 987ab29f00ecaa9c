#!/usr/bin/env bash
# The whole test suite: installs missing dependencies, configures, builds on all cores, runs every CTest test
# (labels unit, integration, conformance) and ends with CTest's summary. The exit status is CTest's.
# Extra arguments go to ctest, e.g. `scripts/test.sh -L unit` or `scripts/test.sh -R Store`.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
leadsync_build
cd "$LEADSYNC_BUILD_DIR"
set +e
ctest --output-on-failure --parallel "$(nproc)" --timeout 600 "$@"
status=$?
exit $status
