#!/usr/bin/env bash
# Conformance: installs the pinned csv-spectrum npm package (once), then checks every case with the CSV
# reader runner given as $1. CTest runs this with the label `conformance`.
set -euo pipefail
runner="$1"
cd "$(dirname "${BASH_SOURCE[0]}")"
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund --loglevel=error
fi
exec "$runner" node_modules/csv-spectrum
