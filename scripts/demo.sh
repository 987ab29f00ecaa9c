#!/usr/bin/env bash
# The main job on the embedded default, end to end: builds leadsync if needed, starts the Dataverse emulator
# and the enrichment-feeds emulator on loopback, writes a fresh config in ./leadsync-demo pointing at them (and a
# SQLite state file), loads the bundled sample leads (three lists: the third goes partly to the review queue of
# possible duplicates), enriches them from an aggregator's feed files and People Data Labs' API (emulated), pushes
# them to the CRM, pulls the CRM's changes back, shows what landed, merges two leads by hand and pushes the Merge.
# Finally it starts the daemon, registers its webhook, creates a lead "in Dynamics" and shows it come back
# enriched and scored, with /metrics excerpts.
# Safe to run again: it starts from a clean folder each time, and stops the emulators on exit.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
leadsync_build_quietly

demo_dir="${LEADSYNC_DEMO_DIR:-$LEADSYNC_ROOT/leadsync-demo}"
rm -rf "$demo_dir"
leadsync="$LEADSYNC_BUILD_DIR/connector/src/cli/leadsync"
config="$demo_dir/leadsync.toml"
sample_list="$LEADSYNC_ROOT/tests/data/sample-list.csv"
sample_list_2="$LEADSYNC_ROOT/tests/data/sample-list-2.csv"
sample_list_3="$LEADSYNC_ROOT/tests/data/sample-list-3.csv"

emulator="$LEADSYNC_BUILD_DIR/tests/emulator/dataverse/dataverse-emulator"
feeds_emulator="$LEADSYNC_BUILD_DIR/tests/emulator/feeds/feeds-emulator"
sample_feeds="$LEADSYNC_ROOT/tests/data/feeds"
decided="$LEADSYNC_ROOT/tests/data/demo-decided-leads.jsonl"

step() { printf '\n\033[1m== %s\033[0m\n$ %s\n' "$1" "${*:2}"; "${@:2}"; }
# Exit status 1 means "finished, some records rejected": shown, not fatal.
step_allow_rejects() {
  set +e
  step "$@"
  local rc=$?
  set -e
  if [ "$rc" -ne 0 ] && [ "$rc" -ne 1 ]; then echo "failed with exit status $rc" >&2; exit "$rc"; fi
}

# The emulator on loopback (port 0: a free port), Dataverse limits over a 30 s window, a static token.
mkdir -p "$demo_dir"
port_file="$demo_dir/emulator.port"
"$emulator" --port-file "$port_file" --static-token demo-token --profile dataverse --window-s 30 --quiet \
  >"$demo_dir/emulator.log" 2>&1 &
emulator_pid=$!
# The enrichment providers' emulator (People Data Labs, Clearbit, a GitHub-shaped API), its key from the
# environment as leadsync's is.
export LEADSYNC_PDL_API_KEY=demo-pdl-key-0123456789abcdef0123456789abcdef0123456789abcdef0123
feeds_port_file="$demo_dir/feeds.port"
"$feeds_emulator" --port-file "$feeds_port_file" --api-key-env LEADSYNC_PDL_API_KEY --rate-per-min 600 \
  --quiet >"$demo_dir/feeds-emulator.log" 2>&1 &
feeds_pid=$!
trap 'kill "$emulator_pid" "$feeds_pid" 2>/dev/null; wait "$emulator_pid" "$feeds_pid" 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do [ -s "$port_file" ] && [ -s "$feeds_port_file" ] && break; sleep 0.1; done
[ -s "$port_file" ] || { echo "the emulator did not start; see $demo_dir/emulator.log" >&2; exit 1; }
[ -s "$feeds_port_file" ] || { echo "the feeds emulator did not start; see $demo_dir/feeds-emulator.log" >&2; exit 1; }
crm_url="http://127.0.0.1:$(cat "$port_file")"
feeds_url="http://127.0.0.1:$(cat "$feeds_port_file")"
export LEADSYNC_CRM_TOKEN=demo-token
api() { curl -fsS -H "Authorization: Bearer demo-token" -H "Accept: application/json" "${@:2}" "$crm_url/api/data/v9.2/$1"; }

step "1. Write a configuration" "$leadsync" init "$demo_dir"
# Point it at the emulator just started, signing in with the static token from LEADSYNC_CRM_TOKEN.
sed -i -e "s|^url = \"http://127.0.0.1:8765\"|url = \"$crm_url\"|" "$config"
grep -q "$crm_url" "$config" || { echo "could not set crm.url in $config" >&2; exit 1; }
# Enrichment: the pdl provider at the feeds emulator, and an aggregator's files in the feed folder.
sed -i -e "s|^url = \"http://127.0.0.1:8766\"|url = \"$feeds_url\"|" "$config"
grep -q "$feeds_url" "$config" || { echo "could not set the pdl provider's url in $config" >&2; exit 1; }
cp "$sample_feeds"/* "$demo_dir/feeds/"
step "2. Check it" "$leadsync" -c "$config" check
# Exit status 1 means "finished, some rows rejected": each sample list has bad rows on purpose.
step_allow_rejects "3. Import a purchased list (Cyrillic, Arabic and accented names, dirty phones, a duplicate, bad rows)" \
  "$leadsync" -c "$config" import "$sample_list" --vendor "Data Vendor" --list Q4-IT --acquired 2026-10-01 \
  --errors "$demo_dir/rejected-rows.csv"
printf '\nThe rejected rows, as a spreadsheet opens them (formulas escaped):\n'
cat "$demo_dir/rejected-rows.csv"
step_allow_rejects "3a. Import a second list (Windows-1251, Russian headers): two of its people are stored already" \
  "$leadsync" -c "$config" import "$sample_list_2" --vendor "Expo Leads" --list Innoprom-2026 \
  --acquired 2026-07-08 --region RU
step "3b. A lead both lists sold us: one lead, two lists" bash -c \
  "'$leadsync' -c '$config' leads list --json | jq -c '.leads[] | select((.person.emails // [])[0] == \"anna.ivanova@gmail.com\") | {name: (.person.first_name + \" \" + .person.middle_name + \" \" + .person.last_name), title: .person.job_title, lists: [.origin.lists[] | .vendor + \" / \" + .list_id]}'"
step "3c. Import trade-show scans: colleagues of stored people, name variants, one true duplicate" \
  "$leadsync" -c "$config" import "$sample_list_3" --vendor "Badge Scans" --list GITEX-2026 --shared
step "3d. The review queue: possible duplicates the import would not merge" \
  "$leadsync" -c "$config" leads duplicates
# The Jon/John Smith pair: two people, as a person reviewing it would decide.
jon_pair=$("$leadsync" -c "$config" leads duplicates --json |
  jq -r '[.pairs[] | select(.evidence | test("Jon Smith"))][0] | "\(.lead_a) \(.lead_b)"')
step "3e. Record that Jon and John Smith are two people: never suggested again" \
  "$leadsync" -c "$config" leads not-duplicate $jon_pair
step_allow_rejects "3f. Import a lead sales ops already decided to qualify (JSON Lines; scoring never overrides a person)" \
  "$leadsync" -c "$config" import "$decided"
step_allow_rejects "3g. Enrich the new leads: the feed files first (free), then People Data Labs (pays only on a match)" \
  "$leadsync" -c "$config" enrich --no-progress
anna=$("$leadsync" -c "$config" leads list --json |
  jq -r '[.leads[] | select((.person.emails // [])[0] == "anna.ivanova@gmail.com")][0].identity.id')
step "3h. Where each enriched value came from (provider, its confidence and ours, when)" \
  "$leadsync" -c "$config" leads show "$anna"
step "3i. Enrich every lead again: answers are cached, misses too, so nothing is paid twice" bash -c \
  "'$leadsync' -c '$config' enrich --all --json | jq -c '{leads, lookups, cache_hits, credits_spent, fields_filled}'"
printf 'What the feeds emulator billed (credits per endpoint):\n'
curl -fsS "$feeds_url/_emulator/stats" | jq -c '.'
step_allow_rejects "3j. Import two web leads that told us their budget, authority, need and timing (JSON Lines)" \
  "$leadsync" -c "$config" import "$LEADSYNC_ROOT/tests/data/demo-scored-leads.jsonl"
# Behaviour events from the website and e-mail, dated relative to today (points decay with age).
events="$demo_dir/events.jsonl"
for spec in "marco.rossi@vetro-industriale.it pricing_page_visit 1 /pricing web-1001" \
  "marco.rossi@vetro-industriale.it demo_requested 1 demo-form web-1002" \
  "marco.rossi@vetro-industriale.it webinar_attended 3 fleet-tracking-webinar web-0990" \
  "marco.rossi@vetro-industriale.it content_download 6 roi-white-paper web-0901" \
  "marco.rossi@vetro-industriale.it email_click 6 newsletter mail-77" \
  "anna.ivanova@gmail.com page_visit 2 /product web-0950" \
  "pat.morgan@competitor-crm.example pricing_page_visit 1 /pricing web-1003" \
  "nobody@nowhere.example page_visit 1 / web-1004"; do
  read -r email kind days detail id <<<"$spec"
  printf '{"email":"%s","kind":"%s","occurred_at":"%s","detail":"%s","event_id":"%s"}\n' \
    "$email" "$kind" "$(date -u -d "-$days days" +%Y-%m-%dT10:00:00Z)" "$detail" "$id"
done >"$events"
step_allow_rejects "3k. Import behaviour events (an event for an unknown e-mail is reported, never creates a lead)" \
  "$leadsync" -c "$config" events import "$events"
step "3l. Score every lead, set its stage and decide (mappings/scoring.toml)" \
  "$leadsync" -c "$config" qualify --no-progress
marco=$("$leadsync" -c "$config" leads list --json |
  jq -r '[.leads[] | select((.person.emails // [])[0] == "marco.rossi@vetro-industriale.it")][0].identity.id')
step "3m. Why Marco Rossi is qualified: the contributions, largest first" \
  "$leadsync" -c "$config" qualify --explain "$marco"
step "4. The leads in the store" "$leadsync" -c "$config" leads list
step "5. What a push would send (first request)" bash -c \
  "'$leadsync' -c '$config' push --dry-run --limit 2 | cut -c1-400"
# Marco's campaign exists in the CRM, so QualifyLead names it as the opportunity's source campaign.
api campaigns -X POST -H 'Content-Type: application/json' -d '{"name":"Fleet Tracking Webinar"}' >/dev/null
step_allow_rejects "6. Push them to the CRM (UpsertMultiple with scores and ratings, then QualifyLead and disqualify)" \
  "$leadsync" -c "$config" push
step "7. Pull the CRM's changes (first run: every lead, keeps the delta link)" \
  "$leadsync" -c "$config" pull

printf '\n\033[1m== 8. What landed in the CRM\033[0m\n'
curl -fsS "$crm_url/_emulator/stats" |
  jq -r '.rows | "leads \(.leads // 0), accounts \(.accounts // 0), contacts \(.contacts // 0), opportunities \(.opportunities // 0)"'
opportunities=$(curl -fsS "$crm_url/_emulator/stats" | jq '.rows.opportunities // 0')
printf 'A few leads as Dynamics shows them (GET leads?$select=fullname,companyname,emailaddress1,jobtitle,leadsourcecode,statecode,leadsync_enrichmentsource):\n'
api 'leads?$select=fullname,companyname,emailaddress1,jobtitle,leadsourcecode,statecode,leadsync_enrichmentsource&$top=5' -H 'Prefer: odata.include-annotations="OData.Community.Display.V1.FormattedValue"' |
  jq -r '.value[] | [.fullname, .companyname, .emailaddress1, (.jobtitle // "-"),
                     (.["leadsourcecode@OData.Community.Display.V1.FormattedValue"] // .leadsourcecode | tostring),
                     (.["statecode@OData.Community.Display.V1.FormattedValue"] // .statecode | tostring),
                     (.leadsync_enrichmentsource // "-")] | @tsv'
printf 'The outcomes as Dynamics shows them (rating, grade, state and status reason):\n'
api 'leads?$select=fullname,leadqualitycode,leadsync_grade,leadsync_totalscore,statecode,statuscode&$filter=leadsync_grade%20ne%20null&$orderby=leadsync_totalscore%20desc&$top=6' \
  -H 'Prefer: odata.include-annotations="OData.Community.Display.V1.FormattedValue"' |
  jq -r '.value[] | [.fullname, (.["leadqualitycode@OData.Community.Display.V1.FormattedValue"] // (.leadqualitycode | tostring)),
                     .leadsync_grade, (.leadsync_totalscore | tostring),
                     (.["statecode@OData.Community.Display.V1.FormattedValue"] // (.statecode | tostring)),
                     (.["statuscode@OData.Community.Display.V1.FormattedValue"] // (.statuscode | tostring))] | @tsv'
printf 'The opportunities QualifyLead created (with the source campaign where the lead had one):\n'
api 'opportunities?$select=name,_campaignid_value,_originatingleadid_value' \
  -H 'Prefer: odata.include-annotations="OData.Community.Display.V1.FormattedValue"' |
  jq -r '.value[] | [.name, (.["_campaignid_value@OData.Community.Display.V1.FormattedValue"] // ._campaignid_value // "-")] | @tsv'
# Sergey and Sergei Ivanov of Baltika: a person decides they are one, after both reached the CRM.
sergei_pair=$("$leadsync" -c "$config" leads duplicates --json |
  jq -r '[.pairs[] | select(.evidence | test("Sergei Ivanov"))][0] | "\(.lead_a) \(.lead_b)"')
step "8a. Merge Sergei into Sergey by hand (both are in the CRM)" \
  "$leadsync" -c "$config" leads merge $sergei_pair
step_allow_rejects "8b. Push: Dataverse's Merge action deactivates the second lead and links it to the first" \
  "$leadsync" -c "$config" push
printf 'The merged lead in the CRM (statecode 2 = inactive, merged, masterid = the lead kept):\n'
api "leads?\$select=fullname,statecode,merged,_masterid_value&\$filter=merged%20eq%20true" |
  jq -r '.value[] | [.fullname, (.statecode | tostring), (.merged | tostring), ._masterid_value] | @tsv'
step "9. Status" "$leadsync" -c "$config" status
step "10. What converts: the report by list vendor (and a self-contained HTML page with charts)" \
  "$leadsync" -c "$config" report --by vendor
"$leadsync" -c "$config" report --html "$demo_dir/report.html" >/dev/null
printf 'Wrote %s/report.html\n' "$demo_dir"
if [ "$opportunities" -lt 2 ]; then echo "expected the two qualified leads to become opportunities" >&2; exit 1; fi

# 11. The daemon: Dataverse's webhook brings a lead a person creates "in Dynamics" back enriched and scored.
export LEADSYNC_WEBHOOK_KEY=demo-webhook-key-0123456789abcdef0123456789abcdef
daemon_port_file="$demo_dir/daemon.port"
printf '\n\033[1m== 11a. Start the daemon (schedules, webhook, /metrics) in the background\033[0m\n'
printf '$ %s -c %s daemon --listen 127.0.0.1:0 --port-file %s\n' "$leadsync" "$config" "$daemon_port_file"
"$leadsync" -c "$config" daemon --listen 127.0.0.1:0 --port-file "$daemon_port_file" 2>"$demo_dir/daemon.log" &
daemon_pid=$!
trap 'kill "$daemon_pid" "$emulator_pid" "$feeds_pid" 2>/dev/null; wait "$daemon_pid" "$emulator_pid" "$feeds_pid" 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do [ -s "$daemon_port_file" ] && break; sleep 0.1; done
[ -s "$daemon_port_file" ] || { echo "the daemon did not start; see $demo_dir/daemon.log" >&2; exit 1; }
daemon_url="http://127.0.0.1:$(cat "$daemon_port_file")"
printf 'listening on %s: /readyz says %s\n' "$daemon_url" "$(curl -fsS "$daemon_url/readyz")"
step "11b. Register the daemon's webhook in Dataverse (Create of lead, asynchronous)" \
  "$leadsync" -c "$config" webhook register --url "$daemon_url/webhooks/dataverse"
# People Data Labs (emulated) knows Layla Nasser; the lists above do not.
curl -fsS -X POST -H 'Content-Type: application/json' "$feeds_url/_emulator/records" -d '{"people":[{
  "first_name":"layla","last_name":"nasser","full_name":"layla nasser","emails":["layla.nasser@gulfbuild.ae"],
  "job_title":"head of procurement","job_title_levels":["director"],"job_company_name":"gulf build",
  "job_company_website":"gulfbuild.ae","job_company_size":"1001-5000","job_company_industry":"construction",
  "linkedin_url":"linkedin.com/in/layla-nasser"}]}' >/dev/null
printf '\n\033[1m== 11c. A sales rep creates a lead in Dynamics\033[0m\n'
printf '$ POST leads {"firstname":"Layla","lastname":"Nasser","emailaddress1":"layla.nasser@gulfbuild.ae","companyname":"Gulf Build"}\n'
created_at=$(date +%s%N)
api leads -X POST -H 'Content-Type: application/json' \
  -d '{"firstname":"Layla","lastname":"Nasser","emailaddress1":"layla.nasser@gulfbuild.ae","companyname":"Gulf Build","subject":"Web enquiry"}'
layla='leads?$select=fullname,jobtitle,leadsync_seniority,leadsync_linkedinurl,leadsync_externalid,leadsync_grade,leadsync_totalscore,leadqualitycode&$filter=emailaddress1%20eq%20%27layla.nasser@gulfbuild.ae%27'
for _ in $(seq 1 200); do
  [ "$(api "$layla" | jq -r '.value[0].leadsync_externalid // empty')" != "" ] &&
    [ "$(api "$layla" | jq -r '.value[0].leadsync_grade // empty')" != "" ] && break
  sleep 0.05
done
back_ms=$(( ($(date +%s%N) - created_at) / 1000000 ))
printf 'Back in Dynamics %s ms later, enriched (job title, seniority, LinkedIn) and scored, as the same lead:\n' "$back_ms"
api "$layla" -H 'Prefer: odata.include-annotations="OData.Community.Display.V1.FormattedValue"' |
  jq -c '.value[0] | {fullname, jobtitle, leadsync_seniority, leadsync_linkedinurl, leadsync_grade, leadsync_totalscore,
                      rating: (.["leadqualitycode@OData.Community.Display.V1.FormattedValue"] // .leadqualitycode),
                      leadsync_externalid}'
[ "$(api "$layla" | jq -r '.value | length')" = "1" ] || { echo "the daemon made a second lead" >&2; exit 1; }
[ "$(api "$layla" | jq -r '.value[0].leadsync_grade // empty')" != "" ] || {
  echo "the lead did not come back scored; see $demo_dir/daemon.log" >&2; exit 1; }
printf '\n\033[1m== 11d. What the daemon reports on /metrics (excerpt)\033[0m\n'
curl -fsS "$daemon_url/metrics" |
  grep -E '^leadsync_(webhook_events_(received|processed)_total|webhook_lag_seconds_(count|sum)|crm_requests_total|outbox_pending|leads\{)' |
  grep -v 'leads{.*} 0$' | head -16
printf '\n\033[1m== 11e. The daemon as a worker of the store (leadsync status: host, pid, heartbeat, held work)\033[0m\n'
"$leadsync" -c "$config" status | awk '/^  workers/{p=1} /^  (checkpoint|last runs)/{p=0} p'
printf '\n\033[1m== 11f. Stop it the way systemd does (SIGTERM)\033[0m\n'
kill -TERM "$daemon_pid"
set +e
wait "$daemon_pid"
daemon_rc=$?
set -e
printf 'the daemon exited with status %s; its log is %s\n' "$daemon_rc" "$demo_dir/daemon.log"
[ "$daemon_rc" -eq 0 ] || { echo "the daemon did not stop cleanly" >&2; exit 1; }
printf '\nDone. The state file is %s/state.db; try:\n  %s -c %s leads show <ID>\n' \
  "$demo_dir" "$leadsync" "$config"
