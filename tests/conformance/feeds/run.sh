#!/usr/bin/env bash
# Conformance: installs the pinned npm packages (once), then runs the scenarios of one third-party
# client ($2: peopledatalabs or clearbit) against the feeds emulator executable given as $1. The
# scenarios start the emulator themselves (--listen 127.0.0.1:0 --port-file). CTest runs this with
# the label `conformance`.
set -euo pipefail
emulator="$1"
client="$2"
cd "$(dirname "${BASH_SOURCE[0]}")"
# package-lock.json pins needle to a registry version (package.json "overrides"): the clearbit
# package asks for a GitHub commit, which an offline-of-GitHub machine cannot fetch.
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund --loglevel=error
fi
FEEDS_EMULATOR="$emulator" exec node --test --test-concurrency=1 "${client}.test.js"
