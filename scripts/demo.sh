#!/usr/bin/env bash
# The main job on the embedded default, end to end: builds leadsync if needed, writes a fresh config in
# ./leadsync-demo (a local emulator URL and a SQLite state file), loads the bundled sample leads, and shows
# what landed. Safe to run again: it starts from a clean folder each time.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
leadsync_build >/dev/null

demo_dir="${LEADSYNC_DEMO_DIR:-$LEADSYNC_ROOT/leadsync-demo}"
rm -rf "$demo_dir"
leadsync="$LEADSYNC_BUILD_DIR/connector/src/cli/leadsync"
config="$demo_dir/leadsync.toml"
sample="$LEADSYNC_ROOT/tests/data/sample-leads.jsonl"

step() { printf '\n\033[1m== %s\033[0m\n$ %s\n' "$1" "${*:2}"; "${@:2}"; }

step "1. Write a configuration" "$leadsync" init "$demo_dir"
step "2. Check it" "$leadsync" -c "$config" check
# Exit status 1 means "finished, some lines rejected": the demo list contains one bad line on purpose.
set +e
step "3. Import the sample leads (one line is bad on purpose)" "$leadsync" -c "$config" import "$sample"
rc=$?
set -e
if [ "$rc" -ne 0 ] && [ "$rc" -ne 1 ]; then echo "import failed with exit status $rc" >&2; exit "$rc"; fi
step "4. The leads in the store" "$leadsync" -c "$config" leads list
step "5. Status" "$leadsync" -c "$config" status
printf '\nDone. The state file is %s/state.db; try:\n  %s -c %s leads show <ID> \n' \
  "$demo_dir" "$leadsync" "$config"
