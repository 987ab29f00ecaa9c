#pragma once
// leadsync.toml loaded with toml++ into plain option structs. load_config() never stops at the
// first problem: every unknown key, wrong type and bad value is collected with its key path and
// line, and validate() adds the semantic checks. A literal secret in the file is refused with a
// message saying how to move it.

#include "leadsync/core/result.hpp"

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace leadsync::config {

// The settings that take one of a few words. Each is parsed from its word once, here, whether it
// comes from the file or a command-line flag that overrides it (parse_*); to_string() gives the
// word back, as the file writes it. A parse error (category config) reads "must be one of bulk,
// batch, single (got \"fast\")": the message validate() reports at the key.

enum class AuthMode { client_credentials, static_token, none }; // crm.auth.mode
enum class PushMode { bulk, batch, single };                    // push.mode
// import.unmapped_columns: what becomes of CSV columns that map to no lead field.
enum class UnmappedColumns { description, custom, drop };
enum class LogLevel { trace, debug, info, warn, error, off }; // log.level, --log-level
enum class LogFormat { text, json };                          // log.format, --log-format
// server.webhook_auth: how the CRM webhook presents its key: ?code=KEY or a header.
enum class WebhookAuth { key, header };

std::string_view to_string(AuthMode mode);
std::string_view to_string(PushMode mode);
std::string_view to_string(UnmappedColumns handling);
std::string_view to_string(LogLevel level);
std::string_view to_string(LogFormat format);
std::string_view to_string(WebhookAuth auth);

Result<AuthMode> parse_auth_mode(std::string_view text);
Result<PushMode> parse_push_mode(std::string_view text);
Result<UnmappedColumns> parse_unmapped_columns(std::string_view text);
Result<LogLevel> parse_log_level(std::string_view text);
Result<LogFormat> parse_log_format(std::string_view text);
Result<WebhookAuth> parse_webhook_auth(std::string_view text);

struct SecretRef {
  std::string file; // path to a file holding only the secret (mode 0600 recommended)
  std::string env;  // name of an environment variable holding it
  bool empty() const { return file.empty() && env.empty(); }
};

struct AuthOptions {
  AuthMode mode = AuthMode::static_token;
  std::string tenant; // Entra tenant id or domain (client_credentials)
  std::string client_id;
  SecretRef client_secret; // client_secret_file / client_secret_env
  SecretRef token;         // static_token: token_file / token_env
  std::string authority = "https://login.microsoftonline.com";
  std::string scope; // default "<crm.url>/.default"
};

struct TlsOptions {
  std::string ca_file;               // extra CA bundle (PEM)
  bool insecure_skip_verify = false; // never on by default; logged loudly when on
};

struct CrmOptions {
  std::string url = "http://127.0.0.1:8765";
  std::string api_version = "9.2";
  std::string alternate_key = "leadsync_externalid";
  std::string custom_prefix = "leadsync_";
  int timeout_s = 120;
  AuthOptions auth;
  TlsOptions tls;
};

struct StoreOptions {
  std::string url = "sqlite://state.db"; // relative paths are relative to the config file's folder
};

struct PushOptions {
  PushMode mode = PushMode::bulk;
  int batch_size = 200; // 1..1000
  int max_parallel = 0; // 0 = "auto" (from x-ms-dop-hint, adapted on 429); else 1..52
};

struct PullOptions {
  std::vector<std::string>
      crm_owned_fields; // internal fields the CRM masters (never overwritten by push)
};

struct ImportOptions {
  std::string default_region = "US"; // ISO 3166 region for phones without a country code
  UnmappedColumns unmapped_columns = UnmappedColumns::description;
};

struct MappingOptions {
  std::string lead = "mappings/lead.toml";
  std::string import_columns = "mappings/import-columns.toml";
};

struct QualifyOptions {
  std::string rules = "mappings/scoring.toml";
  // Push also upserts the lead's msdyn_predictivescore row (score, grade, trend, reasons), where
  // the Dynamics 365 Sales lead-scoring widget reads it. Needs the table (Sales
  // Premium/Enterprise).
  bool write_predictive_score = false;
  // A disqualified lead that scores hot again is reactivated in the CRM (statecode 0/statuscode 1).
  bool reactivate_when_hot = false;
};

// One [[enrich.provider]] table. Which keys a kind takes is in default_config_text().
struct EnrichProviderOptions {
  std::string name;  // unique; named by --provider, in logs, in provenance
  std::string kind;  // "pdl" | "clearbit" | "http_json" | "file_feed"
  std::string url;   // the provider's root ("http://127.0.0.1:8766"); the provider adds its paths
  SecretRef api_key; // api_key_file / api_key_env; a literal api_key in the file is refused
  double rate_limit_per_min = 0;  // requests per minute sent at most; 0: no limit of ours
  std::int64_t daily_quota = 0;   // requests per UTC day; 0: none
  std::int64_t monthly_quota = 0; // requests per UTC month; 0: none
  // "match" (pay on a match) | "request" (every request is paid). Not given in the file: "request"
  // for kind clearbit, "match" for the other kinds.
  std::string charges = "match";
  std::int64_t credit_budget_per_run = 0; // credits one run may spend; 0: no limit
  std::int64_t credit_budget_per_day = 0; // credits per UTC day, across runs; 0: no limit
  int cache_ttl_days = 30;                // answers (misses too) are reused this long; 0: no cache
  double min_confidence = 0.5;     // 0..1: answers below this are not used (PDL: min_likelihood)
  std::vector<std::string> groups; // "person" | "company" | "social"; empty: all the kind serves
  int timeout_s = 30;              // per request
  int batch_size = 0;              // bulk endpoint requests per call; 0: the kind's default
  // kind-specific
  std::string folder; // file_feed: the folder feed files are dropped into
  std::string spec;   // http_json: the TOML file describing the API (mappings/social-github.toml)
};

// [enrich]: the waterfall over the providers.
struct EnrichOptions {
  std::vector<EnrichProviderOptions> providers; // in the order they are asked
  // Fields the waterfall tries to fill; it stops asking for a group once these are filled at or
  // above min_confidence. Empty: every enrichable field.
  std::vector<std::string> wanted_fields;
  double min_confidence = 0.5;    // 0..1: a field counts as filled at this confidence
  bool pay_on_match_first = true; // ask providers that charge only on a match before the others
  std::map<std::string, std::string>
      merge; // field -> "fill_empty" (default) | "overwrite_if_more_confident" | "never"
  // Consent: a lead is not looked up for personal data when one of these flags is set
  // ("do_not_email", "do_not_phone", "do_not_bulk_email", "do_not_postal_mail"), ...
  std::vector<std::string> consent_blocking_flags = {"do_not_email", "do_not_phone"};
  bool require_lawful_basis = false; // ... when it has lawful basis "none" and this is true, ...
  // ... or when its country (ISO 3166 alpha-2) is listed; upper-cased when loaded ("de" -> "DE")
  std::vector<std::string> blocked_regions;
  int pending_retry_s = 30; // a "queued" (202) lookup is asked again after this, unless told
};

// [schedule]: when `leadsync daemon` runs each job. Each entry is a schedule (core/schedule.hpp)
// read in `timezone`; "" turns the job off.
struct ScheduleOptions {
  std::string timezone = "UTC"; // "UTC" or an IANA name ("Europe/Berlin"), checked with ICU
  std::string pull = "*/5 * * * *";
  std::string push = "* * * * *";
  std::string enrich = "@every 30s";
  std::string qualify = "0 * * * *";
  std::string import_watch;      // folder watched for new lists; empty = off
  int import_watch_settle_s = 5; // a file is imported once it has not grown for this long
};

// [server]: the daemon's HTTP endpoints and how it works off webhook events.
struct ServerOptions {
  std::string listen = "127.0.0.1:8080";
  // How Dataverse presents the key (the serviceendpoint's authtype): key (WebhookKey, sent as
  // ?code=KEY) | header (HttpHeader, sent in the header named by webhook_header).
  WebhookAuth webhook_auth = WebhookAuth::key;
  std::string webhook_header = "x-leadsync-key";
  // Where the key is read (load_webhook_secret in core/secrets.hpp): the file when set, else the
  // environment variable.
  std::string webhook_key_env = "LEADSYNC_WEBHOOK_KEY";
  std::string webhook_key_file;
  int body_limit_kb = 1024;     // larger request bodies get 413
  int shutdown_grace_s = 30;    // after SIGTERM, in-flight work gets this long before exit
  int webhook_lease_s = 60;     // a worker holds a webhook event this long before others may
  int webhook_max_attempts = 5; // then the event is given up (failed)
};

struct LogOptions {
  LogLevel level = LogLevel::info;
  LogFormat format = LogFormat::text;
  bool redact_pii = true; // false only for local debugging: e-mails and phones then appear in logs
};

struct Config {
  CrmOptions crm;
  StoreOptions store;
  PushOptions push;
  PullOptions pull;
  ImportOptions import;
  MappingOptions mapping;
  QualifyOptions qualify;
  EnrichOptions enrich;
  ScheduleOptions schedule;
  ServerOptions server;
  LogOptions log;
  std::filesystem::path source_file; // the file it came from; empty for defaults
  std::filesystem::path base_dir;    // folder relative paths are resolved against
};

struct Problem {
  // Dotted key path, e.g. "push.batch_size" or "enrich.provider[1].charges" (the index counts the
  // [[enrich.provider]] tables from 0); empty for file-level problems.
  std::string key;
  int line = 0; // 1-based line in the file; 0 when unknown (e.g. a missing key)
  std::string message;
  std::string
  describe() const; // "leadsync.toml:12: push.batch_size: must be between 1 and 1000 (got 5000)"
  std::filesystem::path file;
};

struct LoadedConfig {
  Config config;
  std::vector<Problem>
      problems; // collected while reading: syntax, unknown keys, wrong types, secrets
  std::map<std::string, int> key_lines; // key path -> line, for validate()
};

// Reads and parses the file. Fails (category config) only when the file cannot be read at all;
// syntax errors and everything else land in LoadedConfig::problems.
Result<LoadedConfig> load_config(const std::filesystem::path& file);
LoadedConfig load_config_text(const std::string& text, const std::filesystem::path& name);

// Every problem at once: those found while loading plus semantic checks (URL forms, enum values,
// ranges, auth mode needs its fields, https for non-loopback CRM URLs, plain-http token refusal).
std::vector<Problem> validate(const LoadedConfig& loaded);

// The commented leadsync.toml that `leadsync init` writes: every key, each explained, pointing at
// the local emulator and a SQLite file next to the config.
std::string default_config_text();

// Resolves a path from the config against config.base_dir (absolute paths pass through).
std::filesystem::path resolve_path(const Config& config, const std::string& path);

} // namespace leadsync::config
