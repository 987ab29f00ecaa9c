#!/usr/bin/env bash
# Builds (Release) and runs every benchmark program under tests/bench/, printing their figures.
# Usage: scripts/bench.sh [NAME...]   e.g. scripts/bench.sh emulator_bench
# With no NAME it runs every one: client_bench, emulator_bench, enrich_bench (10,000 leads through
# PDL at 6,000 requests/min: about 2 minutes), import_bench, push_bench, qualify_bench and
# webhook_bench (`leadsync daemon`: webhook-to-enriched-lead latency over 1,000 paced creates and
# events per second for a burst of 1,000: about 3 minutes).
set -euo pipefail
export LEADSYNC_BUILD_DIR="${LEADSYNC_BUILD_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/build-release}"
export LEADSYNC_BUILD_TYPE=Release
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
leadsync_build_quietly
benches=("$@")
if [ ${#benches[@]} -eq 0 ]; then
  mapfile -t benches < <(find "$LEADSYNC_BUILD_DIR/tests/bench" -maxdepth 1 -type f -executable -printf '%f\n' | sort)
fi
for bench in "${benches[@]}"; do
  echo "== $bench"
  "$LEADSYNC_BUILD_DIR/tests/bench/$bench"
done
