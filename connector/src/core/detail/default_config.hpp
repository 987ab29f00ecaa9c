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

[schedule]
# When `leadsync daemon` runs each job: a 5-field cron expression (minute hour day-of-month month
# day-of-week, like "*/5 * * * *") or "@every <n>s", "@every <n>m", "@every <n>h"; "" turns the
# job off.
pull = "*/5 * * * *"
push = "* * * * *"
enrich = "@every 30s"
qualify = "0 * * * *"
# Folder watched for new lead lists to import; "" turns watching off.
import_watch = ""

[server]
# Address of the daemon's HTTP endpoints (webhook, health, metrics) as HOST:PORT. Keep it on
# loopback unless a TLS-terminating reverse proxy sits in front.
listen = "127.0.0.1:8080"
# Name of the environment variable holding the key the CRM webhook must present.
webhook_key_env = "LEADSYNC_WEBHOOK_KEY"

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
