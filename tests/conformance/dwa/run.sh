#!/usr/bin/env bash
# Conformance: installs the pinned npm packages (once), then runs the dynamics-web-api scenarios against the
# emulator given as $1. CTest runs this with the label `conformance`.
set -euo pipefail
emulator="$1"
cd "$(dirname "${BASH_SOURCE[0]}")"
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund --loglevel=error
fi
DATAVERSE_EMULATOR="$emulator" exec node --test --test-concurrency=1 scenarios.test.js
