#pragma once
// The leadsync.toml that `leadsync init` writes (config::default_config_text()).

#include <string_view>

namespace leadsync::config::detail {

inline constexpr std::string_view default_config_template =
    R"toml(# leadsync configuration, written by `leadsync init`. Check it with `leadsync check`.
# Every key is listed with its default value. Relative paths are relative to the folder of this file.
# Secrets never go in this file: leadsync reads them from a file only it can read (chmod 600) or from
# an environment variable, and refuses a secret written here.

[crm]
# Root URL of the Dataverse organization, without a path. This points at the local emulator; for a
# real org use its URL, like "https://<org>.crm.dynamics.com" (and see [crm.auth] below).
# Plain http is allowed only to loopback addresses (127.0.0.0/8, localhost, ::1).
url = "http://127.0.0.1:8765"
# Dataverse Web API version, "<major>.<minor>".
api_version = "9.2"
# Custom column on lead holding leadsync's own lead id, used as the alternate key for upserts.
# `leadsync check` tells you if the org does not have this key yet.
alternate_key = "leadsync_externalid"
# Publisher prefix of the custom columns leadsync writes (letters, digits and _, ending with _).
custom_prefix = "leadsync_"
# Seconds to wait for one CRM request, 1 to 600.
timeout_s = 120

[crm.auth]
# How leadsync signs in to the CRM:
#   "static_token"        a fixed bearer token: the local emulator and tests. The emulator accepts
#                         the token its start-up prints: export LEADSYNC_CRM_TOKEN=<that token>
#   "client_credentials"  OAuth2 client credentials of a Microsoft Entra app registration: a real org
#   "none"                no Authorization header
mode = "static_token"
# static_token: exactly one of token_file (a file holding only the token, chmod 600) or token_env
# (the name of an environment variable holding it).
# token_file = "/etc/leadsync/crm_token"
token_env = "LEADSYNC_CRM_TOKEN"
# client_credentials: for a real org set mode = "client_credentials", remove token_env, and set the
# tenant (id or domain), the application (client) id, and exactly one of client_secret_file (a file
# holding only the secret, chmod 600) or client_secret_env (an environment variable holding it):
# tenant = "contoso.onmicrosoft.com"
# client_id = "00000000-0000-0000-0000-000000000000"
# client_secret_file = "/etc/leadsync/client_secret"
# client_secret_env = "LEADSYNC_CLIENT_SECRET"
# Where client_credentials tokens come from (https).
authority = "https://login.microsoftonline.com"
# OAuth2 scope requested; "" means "<crm.url>/.default".
scope = ""

[crm.tls]
# Extra CA bundle (PEM) to trust besides the system CAs, e.g. for a TLS-inspecting proxy; "" = none.
ca_file = ""
# true turns certificate verification off. Only for local debugging: it is logged loudly.
insecure_skip_verify = false

[store]
# Where leadsync keeps its state (leads, outbox, checkpoints, dead letters):
#   "sqlite://state.db"                     SQLite file next to this config file
#   "sqlite:///var/lib/leadsync/state.db"   SQLite file at an absolute path
#   "postgresql://USER@HOST/DB"             PostgreSQL; its password goes in ~/.pgpass (chmod 600)
#                                           or a file named by PGPASSFILE, never in this URL
url = "sqlite://state.db"

[push]
# How changes are sent to the CRM: "bulk" (UpsertMultiple), "batch" ($batch of single upserts) or
# "single" (one request per lead).
mode = "bulk"
# Leads per request, 1 to 1000.
batch_size = 200
# Requests in flight at once: "auto" follows the server's x-ms-dop-hint and backs off when
# throttled (HTTP 429); or a fixed number from 1 to 52.
max_parallel = "auto"

[pull]
# Lead fields the CRM owns: pull takes them from the CRM and push never overwrites them,
# e.g. ["lifecycle_stage", "owner"]. Field names are leadsync's (see mappings/lead.toml).
crm_owned_fields = []

[import]
# Region (ISO 3166, two upper-case letters) assumed for phone numbers without a country code.
default_region = "US"
# What happens to CSV columns no mapping covers: "description" (appended to the lead's
# description), "custom" (kept as custom fields) or "drop".
unmapped_columns = "description"

[mapping]
# Lead field <-> Dataverse column mapping.
lead = "mappings/lead.toml"
# CSV header -> lead field mapping used by `leadsync import`.
import_columns = "mappings/import-columns.toml"

[qualify]
# Scoring rules and lifecycle stages used by `leadsync qualify`.
rules = "mappings/scoring.toml"
# true: `leadsync push` also upserts each scored lead's msdyn_predictivescore row (score, grade,
# trend, reasons), where the Dynamics 365 Sales lead-scoring widget reads it. The table comes with
# Sales Premium (or Sales Enterprise with predictive lead scoring set up); leave false without it.
write_predictive_score = false
# true: a disqualified lead that scores hot again is reactivated in the CRM (statecode 0,
# statuscode 1); false leaves it closed.
reactivate_when_hot = false

[enrich]
# `leadsync enrich` (and the daemon, on schedule.enrich) fills the fields a lead lacks by asking the
# providers below ([[enrich.provider]]) one after the other, a waterfall. Field names are
# leadsync's, like "person.job_title", "company.employee_count" or "social.linkedin_url".
# Fields to fill: for each group (person, company, social) the waterfall stops asking once these are
# filled at min_confidence or above. [] means every field a provider can fill.
wanted_fields = []
# Confidence, 0 to 1, at which a field counts as filled.
min_confidence = 0.5
# true asks the providers that charge only for a match (charges = "match") before those that charge
# for every request; false asks them in the order listed.
pay_on_match_first = true
# Consent. A lead is not looked up for personal data when one of these flags is set on it (any of
# "do_not_email", "do_not_phone", "do_not_bulk_email", "do_not_postal_mail"), ...
consent_blocking_flags = ["do_not_email", "do_not_phone"]
# ... when its lawful basis is "none" and this is true, ...
require_lawful_basis = false
# ... or when its country is listed here (ISO 3166 two-letter codes, like ["DE", "FR"]).
blocked_regions = []
# Seconds after which a lookup the provider has queued (HTTP 202) is asked again, unless the
# provider says when; 1 to 86400.
pending_retry_s = 30

[enrich.merge]
# What a value found for a field the lead already has does, per field (quote the field name):
#   "fill_empty"                   fills the field only while it is empty; the default for any field
#                                  not listed here
#   "overwrite_if_more_confident"  replaces the value when the new one has a higher confidence
#   "never"                        enrichment never writes the field
# "person.job_title" = "overwrite_if_more_confident"
# "company.industry" = "never"

# The providers, asked in the order listed, one [[enrich.provider]] table each. The first one
# explains every key and its default, which a key left out takes.
[[enrich.provider]]
# Unique name of lower-case letters, digits, _ and -; `leadsync enrich --provider NAME`, the logs
# and each field's provenance use it.
name = "pdl"
# "pdl" (People Data Labs), "clearbit", "http_json" (a JSON API described by a spec file) or
# "file_feed" (files dropped into a folder).
kind = "pdl"
# Root URL of the provider's API, without the endpoints' paths (the provider adds them); required
# for pdl, clearbit and http_json. This points at the local feeds emulator; People Data Labs itself
# is "https://api.peopledatalabs.com". Plain http is allowed only to loopback addresses.
url = "http://127.0.0.1:8766"
# The API key: one of api_key_file (a file holding only the key, chmod 600) or api_key_env
# (the name of an environment variable holding it); required for pdl and clearbit, optional for
# http_json. Never write the key itself here.
# api_key_file = "/etc/leadsync/pdl_api_key"
api_key_env = "LEADSYNC_PDL_API_KEY"
# Requests per minute sent at most; 0 (the default) = no limit of ours (the provider's HTTP 429
# still slows us down).
rate_limit_per_min = 600
# Requests per UTC day and per UTC month; 0 (the default) = none.
daily_quota = 10000
monthly_quota = 0
# What costs a credit: "match" (only a lookup that finds a record) or "request" (every request).
# Left out, it is "request" for kind clearbit and "match" for the others.
charges = "match"
# Credits one run may spend, and credits per UTC day across runs; 0 (the default) = no limit.
credit_budget_per_run = 1000
credit_budget_per_day = 5000
# Days an answer (a miss too) is reused instead of asking again, 0 to 3650; 0 = no cache.
# Default 30.
cache_ttl_days = 30
# Answers below this confidence (0 to 1) are not used (PDL's min_likelihood). Default 0.5.
min_confidence = 0.6
# What it is asked for: any of "person", "company", "social"; [] (the default) = everything its
# kind serves.
groups = []
# Seconds to wait for one request, 1 to 600. Default 30.
timeout_s = 30
# Lookups per request to the kind's bulk endpoint, 0 to 100; 0 (the default) = the kind's own.
batch_size = 0

# A file feed: the vendor drops files into a folder and leadsync reads them (no url, no API key).
[[enrich.provider]]
name = "feeds"
kind = "file_feed"
# file_feed only, and required: the folder the feed files are dropped into, relative to the folder
# of this file.
folder = "feeds"

# Clearbit charges for every request (charges is "request" when left out):
# [[enrich.provider]]
# name = "clearbit"
# kind = "clearbit"
# url = "http://127.0.0.1:8766"
# api_key_env = "LEADSYNC_CLEARBIT_API_KEY"
# rate_limit_per_min = 600
# monthly_quota = 2500
# credit_budget_per_day = 500
# groups = ["person", "company"]

# A JSON API described by a spec file, here GitHub profiles for the social fields. spec is
# http_json only, and required: the TOML file describing the API's requests and answers, relative
# to the folder of this file.
# [[enrich.provider]]
# name = "social-github"
# kind = "http_json"
# url = "https://api.github.com"
# api_key_env = "LEADSYNC_GITHUB_TOKEN"
# spec = "mappings/social-github.toml"
# groups = ["social"]
# charges = "request"
# rate_limit_per_min = 60

[schedule]
# When `leadsync daemon` runs each job: a 5-field cron expression (minute hour day-of-month month
# day-of-week, like "*/5 * * * *"; numbers, *, */n, a-b, a-b/n, lists, JAN-DEC and SUN-SAT; when
# both day fields are restricted a day matching either fires), @hourly, @daily, @weekly, @monthly,
# @yearly, or "@every <duration>" (1s to 24h, like "30s" or "1h30m"); "" turns the job off.
# Cron expressions are read in this time zone: "UTC" or an IANA name like "Europe/Berlin" or
# "America/New_York" (timedatectl list-timezones). When the clocks change, a time skipped in spring
# runs at the first minute after the gap, and a time repeated in autumn runs once when minute and
# hour are fixed numbers ("30 2 * * *"), in both occurrences when either holds a * ("*/15 * * * *").
# "@every" is elapsed time and ignores the zone.
timezone = "UTC"
pull = "*/5 * * * *"
push = "* * * * *"
enrich = "@every 30s"
qualify = "0 * * * *"
# Folder watched for new lead lists to import; "" turns watching off. A file is imported like
# `leadsync import` would, then moved to done/ or failed/ beside it. Its vendor and list come from
# a sidecar FILE.toml or from its file name, as the daemon section of the README describes.
import_watch = ""
# Seconds a new file must stop growing before it is imported (1 to 3600).
import_watch_settle_s = 5

[server]
# Address of the daemon's HTTP endpoints (webhook, health, metrics) as HOST:PORT. Keep it on
# loopback unless a TLS-terminating reverse proxy sits in front.
listen = "127.0.0.1:8080"
# How the CRM webhook presents its key, as registered (leadsync webhook register --auth): "key"
# (Dataverse "WebhookKey": the key arrives as ?code=KEY) or "header" (Dataverse "HttpHeader": the
# key arrives in the header named by webhook_header). Anything else is answered 401.
webhook_auth = "key"
# The header that carries the key when webhook_auth = "header".
webhook_header = "x-leadsync-key"
# Where the key is read: a file holding only the key (chmod 600; one trailing newline is
# ignored), or else an environment variable. When webhook_key_file is set it wins.
webhook_key_env = "LEADSYNC_WEBHOOK_KEY"
# webhook_key_file = "/etc/leadsync/webhook_key"
# Request bodies over this many KB are refused with 413 (Dataverse trims its own at 256 KB).
body_limit_kb = 1024
# After SIGTERM or SIGINT, seconds in-flight work may take before the daemon exits anyway.
shutdown_grace_s = 30
# Seconds a worker holds a received webhook event; if it dies, another takes the event after this.
webhook_lease_s = 60
# Attempts at a webhook event (enrich, score, update the CRM lead) before it is given up.
webhook_max_attempts = 5

[log]
# trace, debug, info, warn, error or off. Logs go to stderr.
level = "info"
# "text" (one line per message) or "json" (one JSON object per line).
format = "text"
# Mask e-mail addresses and phone numbers in logs (secrets are always masked). false is only for
# local debugging.
redact_pii = true
)toml";

} // namespace leadsync::config::detail
