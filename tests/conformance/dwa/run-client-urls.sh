#!/usr/bin/env bash
# Conformance: runs the Dataverse client's test programs (given as arguments) with LEADSYNC_URL_LOG set,
# so they record every Web API URL the client sends, then checks each one with @odata/parser.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund --loglevel=error
fi
log="$(mktemp)"
trap 'rm -f "$log"' EXIT
for program in "$@"; do
  LEADSYNC_URL_LOG="$log" "$program" --gtest_brief=1 >/dev/null
done
exec node check-urls.js "$log"
