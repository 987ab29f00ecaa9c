#include "detail/config_checks.hpp"

#include "leadsync/core/schedule.hpp"
#include "leadsync/core/text.hpp"
#include "leadsync/core/uuid.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <fmt/format.h>
#include <initializer_list>
#include <map>
#include <optional>
#include <system_error>

namespace leadsync::config::detail {

namespace {

using text::is_ascii_alpha;
using text::is_ascii_digit;

bool equals_ignoring_case(std::string_view a, std::string_view b) {
  return text::iequals(a, b);
}

// Letters, digits and _, not starting with a digit.
// An HTTP field name: a token of RFC 9110 section 5.1 (tchar), at most 64 characters.
bool is_header_name(std::string_view text) {
  constexpr std::string_view specials = "!#$%&'*+-.^_`|~";
  constexpr std::size_t max_length = 64;
  return !text.empty() && text.size() <= max_length &&
         std::all_of(text.begin(), text.end(), [&](char c) {
           return is_ascii_alpha(c) || is_ascii_digit(c) ||
                  specials.find(c) != std::string_view::npos;
         });
}

bool is_identifier(std::string_view text) {
  if (text.empty() || is_ascii_digit(text.front())) {
    return false;
  }
  return std::all_of(text.begin(), text.end(),
                     [](char c) { return is_ascii_digit(c) || is_ascii_alpha(c) || c == '_'; });
}

// A decimal number of at most `max_digits` digits and nothing else.
std::optional<int> parse_number(std::string_view text, std::size_t max_digits = 5) {
  if (text.empty() || text.size() > max_digits ||
      !std::all_of(text.begin(), text.end(), is_ascii_digit)) {
    return std::nullopt;
  }
  int value = 0;
  std::from_chars(text.data(), text.data() + text.size(), value);
  return value;
}

bool is_port(std::string_view text) {
  const auto port = parse_number(text);
  return port && *port <= 65535;
}

bool is_ipv4(std::string_view text, int* first_octet = nullptr) {
  std::array<int, 4> octets{};
  for (std::size_t i = 0; i < octets.size(); ++i) {
    const auto dot = text.find('.');
    if ((i < 3) == (dot == std::string_view::npos)) {
      return false;
    }
    const auto octet = parse_number(text.substr(0, dot), 3);
    if (!octet || *octet > 255) {
      return false;
    }
    octets[i] = *octet;
    text = dot == std::string_view::npos ? std::string_view() : text.substr(dot + 1);
  }
  if (first_octet != nullptr) {
    *first_octet = octets[0];
  }
  return true;
}

// 127.0.0.0/8, localhost, ::1
bool is_loopback_host(std::string_view host) {
  int first_octet = 0;
  return equals_ignoring_case(host, "localhost") || host == "::1" ||
         (is_ipv4(host, &first_octet) && first_octet == 127);
}

struct HostPort {
  std::string_view host; // without the brackets of an IPv6 literal
  std::string_view port; // empty when absent
  bool has_port = false;
};

// "host", "host:port", "[v6]" or "[v6]:port", with a syntactically valid host and port.
std::optional<HostPort> parse_host_port(std::string_view text) {
  HostPort result;
  std::string_view rest;
  if (!text.empty() && text.front() == '[') {
    const auto close = text.find(']');
    if (close == std::string_view::npos) {
      return std::nullopt;
    }
    result.host = text.substr(1, close - 1);
    rest = text.substr(close + 1);
    const bool v6_chars = std::all_of(result.host.begin(), result.host.end(), [](char c) {
      return text::hex_value(c) >= 0 || c == ':' || c == '.';
    });
    if (!v6_chars || result.host.find(':') == std::string_view::npos) {
      return std::nullopt;
    }
  } else {
    const auto colon = text.find(':');
    result.host = text.substr(0, colon);
    rest = colon == std::string_view::npos ? std::string_view() : text.substr(colon);
    const bool host_chars = std::all_of(result.host.begin(), result.host.end(), [](char c) {
      return is_ascii_digit(c) || is_ascii_alpha(c) || c == '.' || c == '-';
    });
    if (!host_chars) {
      return std::nullopt;
    }
  }
  if (result.host.empty()) {
    return std::nullopt;
  }
  if (!rest.empty()) {
    if (rest.front() != ':' || !is_port(rest.substr(1))) {
      return std::nullopt;
    }
    result.port = rest.substr(1);
    result.has_port = true;
  }
  return result;
}

struct HttpUrl {
  bool https = false;
  std::string_view host;
  std::string_view path; // from the first '/', '?' or '#' on; empty when none
  bool has_user_info = false;
};

std::optional<HttpUrl> parse_http_url(std::string_view url) {
  const auto scheme_end = url.find("://");
  if (scheme_end == std::string_view::npos) {
    return std::nullopt;
  }
  HttpUrl result;
  const auto scheme = url.substr(0, scheme_end);
  if (equals_ignoring_case(scheme, "https")) {
    result.https = true;
  } else if (!equals_ignoring_case(scheme, "http")) {
    return std::nullopt;
  }
  const auto rest = url.substr(scheme_end + 3);
  const auto authority_end = std::min(rest.find_first_of("/?#"), rest.size());
  auto authority = rest.substr(0, authority_end);
  result.path = rest.substr(authority_end);
  if (const auto at = authority.rfind('@'); at != std::string_view::npos) {
    result.has_user_info = true;
    authority = authority.substr(at + 1);
  }
  const auto host_port = parse_host_port(authority);
  if (!host_port) {
    return std::nullopt;
  }
  result.host = host_port->host;
  return result;
}

std::string in_quotes(std::string_view text) {
  return quoted_excerpt(text);
}

std::string joined(std::initializer_list<std::string_view> values) {
  return text::join(values, ", ");
}

class Checker {
public:
  Checker(const LoadedConfig& loaded, std::vector<Problem>& problems)
      : loaded_(loaded), config_(loaded.config), problems_(problems) {}

  void run() {
    check_crm();
    check_auth();
    check_store();
    check_push();
    check_import();
    check_schedule();
    check_server();
    check_enrich();
    for (std::size_t i = 0; i < config_.enrich.providers.size(); ++i) {
      check_provider(i);
    }
  }

private:
  int line_of(const std::string& key) const {
    const auto line = loaded_.key_lines.find(key);
    return line == loaded_.key_lines.end() ? 0 : line->second;
  }

  void add(const std::string& key, std::string message) {
    add_at(key, line_of(key), std::move(message));
  }

  void add_at(const std::string& key, int line, std::string message) {
    problems_.push_back(Problem{key, line, std::move(message), config_.source_file});
  }

  // Whether loading reported a problem at `key` (an unknown word, a wrong type).
  bool loaded_problem(const std::string& key) const {
    return std::any_of(loaded_.problems.begin(), loaded_.problems.end(),
                       [&](const Problem& problem) { return problem.key == key; });
  }

  // A required key that is empty: left out (reported at the line of its table), written as ""
  // (at its own line), or of a wrong type (reported while loading already, so not again).
  void required(const std::string& key, int table_line, std::string message) {
    if (loaded_problem(key)) {
      return;
    }
    const int line = line_of(key);
    add_at(key, line != 0 ? line : table_line, std::move(message));
  }

  // A problem with the i-th value of the string list at `key`: on that value's line, if known.
  void add_element(const std::string& key, std::size_t index, std::string_view message) {
    const int element_line = line_of(key + "[" + std::to_string(index) + "]");
    add_at(key, element_line != 0 ? element_line : line_of(key),
           fmt::format("element {}: {}", index + 1, message));
  }

  // Every value of the list at `key` must be one of `allowed`.
  void each_one_of(const std::string& key, const std::vector<std::string>& values,
                   std::initializer_list<std::string_view> allowed) {
    for (std::size_t i = 0; i < values.size(); ++i) {
      if (std::find(allowed.begin(), allowed.end(), values[i]) == allowed.end()) {
        add_element(
            key, i,
            fmt::format("must be one of {} (got {})", joined(allowed), in_quotes(values[i])));
      }
    }
  }

  // A confidence: 0 to 1.
  void fraction(const std::string& key, double value) {
    if (!(value >= 0.0 && value <= 1.0)) {
      add(key, fmt::format("must be a number between 0 and 1 (got {})", value));
    }
  }

  // A count or a limit where 0 means "none".
  void not_negative(const std::string& key, double value, std::string_view zero_means) {
    if (!std::isfinite(value) || value < 0) {
      add(key, fmt::format("must be 0 ({}) or more (got {})", zero_means, value));
    }
  }

  void one_of(const std::string& key, const std::string& value,
              std::initializer_list<std::string_view> allowed) {
    if (std::find(allowed.begin(), allowed.end(), value) == allowed.end()) {
      add(key, fmt::format("must be one of {} (got {})", joined(allowed), in_quotes(value)));
    }
  }

  void in_range(const std::string& key, int value, int min, int max, std::string_view unit = "") {
    if (value < min || value > max) {
      add(key, fmt::format("must be between {} and {}{} (got {})", min, max, unit, value));
    }
  }

  // Plain http is accepted only to loopback addresses: anything else would carry tokens in clear.
  // `credential` is what would leak over plain http; `credentials_go` where credentials belong.
  void https_url(const std::string& key, const std::string& value, std::string_view example,
                 std::string_view credential = "the access token",
                 std::string_view credentials_go = "[crm.auth]") {
    const auto url = parse_http_url(value);
    if (!url) {
      add(key, fmt::format("must be an http(s) URL with a host, like \"{}\" (got {})", example,
                           in_quotes(value)));
    } else if (url->has_user_info) {
      add(key, fmt::format("must not contain a user name or password (user:password@); "
                           "credentials belong in {}",
                           credentials_go));
    } else if (!url->https && !is_loopback_host(url->host)) {
      add(key, fmt::format("must use https: plain http is allowed only to a loopback address "
                           "(127.0.0.0/8, localhost, ::1), as {} would cross the network "
                           "unencrypted (got {})",
                           credential, in_quotes(value)));
    }
  }

  // The value of an *_env key might be the secret itself pasted by mistake: it is never echoed.
  void env_name(const std::string& key, const std::string& value) {
    if (!value.empty() && !is_identifier(value)) {
      add(key, "must be the name of an environment variable (letters, digits and _, like "
               "LEADSYNC_CRM_TOKEN), not the secret itself");
    }
  }

  // Exactly one of <ref>_file / <ref>_env.
  void secret_ref(const std::string& ref, const SecretRef& value, std::string_view mode,
                  std::string_view needs, std::string_view example_file,
                  std::string_view example_env) {
    if (!value.file.empty() && !value.env.empty()) {
      add(ref + "_env", fmt::format("set only one of {}_file or {}_env", ref, ref));
    } else if (value.empty()) {
      add(ref + "_file",
          fmt::format("crm.auth.mode = \"{}\" needs {}: set {}_file = \"{}\" (a file only leadsync "
                      "can read, chmod 600) or {}_env = \"{}\"",
                      mode, needs, ref, example_file, ref, example_env));
    }
  }

  void check_crm() {
    const auto& crm = config_.crm;
    https_url("crm.url", crm.url, "https://<org>.crm.dynamics.com");
    if (const auto url = parse_http_url(crm.url);
        url && !url->has_user_info && !url->path.empty() && url->path != "/") {
      add("crm.url",
          fmt::format("must be the organization's root URL without a path, like "
                      "\"https://<org>.crm.dynamics.com\"; the client adds /api/data/v{} "
                      "itself (got {})",
                      crm.api_version, in_quotes(crm.url)));
    }
    const auto dot = crm.api_version.find('.');
    if (dot == std::string::npos || !parse_number(crm.api_version.substr(0, dot)) ||
        !parse_number(crm.api_version.substr(dot + 1))) {
      add("crm.api_version", fmt::format("must be a Web API version like \"9.2\" (got {})",
                                         in_quotes(crm.api_version)));
    }
    if (!is_identifier(crm.alternate_key)) {
      add("crm.alternate_key",
          fmt::format("must be the logical name of a column: letters, digits and _, not starting "
                      "with a digit, like \"leadsync_externalid\" (got {})",
                      in_quotes(crm.alternate_key)));
    }
    if (!is_identifier(crm.custom_prefix) || crm.custom_prefix.back() != '_') {
      add("crm.custom_prefix",
          fmt::format("must be a publisher prefix of letters, digits and _ that ends with _, like "
                      "\"leadsync_\" (got {})",
                      in_quotes(crm.custom_prefix)));
    }
    in_range("crm.timeout_s", crm.timeout_s, 1, 600, " seconds");
    if (!crm.tls.ca_file.empty()) {
      const auto ca_file = resolve_path(config_, crm.tls.ca_file);
      std::error_code ec;
      if (!std::filesystem::is_regular_file(ca_file, ec)) {
        add("crm.tls.ca_file",
            fmt::format("the CA bundle {} does not exist; set crm.tls.ca_file to a PEM file, or to "
                        "\"\" to trust only the system CAs",
                        ca_file.string().size() <= quoted_value_limit
                            ? ca_file.string()
                            : in_quotes(ca_file.string())));
      }
    }
  }

  void check_auth() {
    const auto& auth = config_.crm.auth;
    env_name("crm.auth.client_secret_env", auth.client_secret.env);
    env_name("crm.auth.token_env", auth.token.env);
    https_url("crm.auth.authority", auth.authority, "https://login.microsoftonline.com");
    // An unknown mode was reported while loading; what a mode needs is then not checked.
    if (loaded_problem("crm.auth.mode")) {
      return;
    }
    switch (auth.mode) {
    case AuthMode::client_credentials:
      if (auth.tenant.empty()) {
        add("crm.auth.tenant", "is required when crm.auth.mode = \"client_credentials\": the "
                               "Microsoft Entra tenant id or domain, like "
                               "\"contoso.onmicrosoft.com\"");
      }
      if (auth.client_id.empty()) {
        add("crm.auth.client_id", "is required when crm.auth.mode = \"client_credentials\": the "
                                  "application (client) id of the app registration, a GUID");
      } else if (!Uuid::is_valid(auth.client_id)) {
        add("crm.auth.client_id",
            fmt::format("must be the application (client) id of the app registration, a GUID like "
                        "00000000-0000-0000-0000-000000000000 (got {})",
                        in_quotes(auth.client_id)));
      }
      secret_ref("crm.auth.client_secret", auth.client_secret, to_string(auth.mode),
                 "the client secret", "/etc/leadsync/client_secret", "LEADSYNC_CLIENT_SECRET");
      break;
    case AuthMode::static_token:
      secret_ref("crm.auth.token", auth.token, to_string(auth.mode), "the token",
                 "/etc/leadsync/crm_token", "LEADSYNC_CRM_TOKEN");
      break;
    case AuthMode::none:
      break;
    }
  }

  void check_store() {
    const std::string& url = config_.store.url;
    if (url == "sqlite::memory:" || url.starts_with("postgresql://")) {
      return;
    }
    if (url.starts_with("sqlite://")) {
      if (url.size() == std::string_view("sqlite://").size()) {
        add("store.url", "needs a file after sqlite://, like \"sqlite://state.db\" (relative to "
                         "the config file's folder) or \"sqlite:///var/lib/leadsync/state.db\"");
      }
      return;
    }
    // Only the scheme is echoed: a mistyped URL may still carry a password.
    const auto scheme_end = url.find("://");
    const std::string got = scheme_end == std::string::npos
                                ? std::string("no scheme")
                                : "scheme " + in_quotes(url.substr(0, scheme_end));
    add("store.url", fmt::format("must be \"sqlite://PATH\" (relative to the config file's folder, "
                                 "or sqlite:///absolute/path), \"sqlite::memory:\" or "
                                 "\"postgresql://USER@HOST/DB\" (got {})",
                                 got));
  }

  void check_push() {
    const auto& push = config_.push;
    in_range("push.batch_size", push.batch_size, 1, 1000);
    if (push.max_parallel < 0 || push.max_parallel > 52) {
      add("push.max_parallel",
          fmt::format("must be \"auto\" or between 1 and 52 (got {})", push.max_parallel));
    }
  }

  void check_import() {
    const auto& region = config_.import.default_region;
    if (region.size() != 2 ||
        !std::all_of(region.begin(), region.end(), [](char c) { return c >= 'A' && c <= 'Z'; })) {
      add("import.default_region",
          fmt::format("must be a two-letter ISO 3166 region code in upper case, like \"US\" or "
                      "\"DE\" (got {})",
                      in_quotes(region)));
    }
  }

  // Every non-empty value must parse as a schedule in the configured zone; "" turns the job off.
  void check_schedule() {
    const auto& schedule = config_.schedule;
    const auto zone = check_time_zone(schedule.timezone);
    if (!zone) {
      add("schedule.timezone", zone.error().message);
    }
    const std::pair<std::string_view, const std::string*> entries[] = {
        {"pull", &schedule.pull},
        {"push", &schedule.push},
        {"enrich", &schedule.enrich},
        {"qualify", &schedule.qualify}};
    for (const auto& [name, value] : entries) {
      if (value->empty()) {
        continue;
      }
      const std::string key = "schedule." + std::string(name);
      // With a bad zone (reported above) the expression is still checked, in UTC.
      const auto parsed = zone ? parse_schedule(*value, schedule.timezone) : parse_schedule(*value);
      if (!parsed) {
        add(key, parsed.error().message);
      } else if (!parsed->next_after(Schedule::TimePoint{})) {
        // Any date that exists recurs within Schedule::search_years, so looking from 1970 on is
        // enough to tell an expression that can never fire.
        add(key, fmt::format("{} never fires: no day matches it (like the 31st of February); "
                             "check day-of-month and month",
                             in_quotes(parsed->text())));
      }
    }
    in_range("schedule.import_watch_settle_s", schedule.import_watch_settle_s, 1, 3600, " seconds");
  }

  void check_server() {
    const auto& server = config_.server;
    const auto host_port = parse_host_port(server.listen);
    if (!host_port || !host_port->has_port) {
      add("server.listen", fmt::format("must be HOST:PORT with a port from 0 to 65535, like "
                                       "\"127.0.0.1:8080\" or \"[::1]:8080\" (got {})",
                                       in_quotes(server.listen)));
    }
    if (!is_header_name(server.webhook_header)) {
      add("server.webhook_header",
          fmt::format("must be an HTTP header name (letters, digits and -, like "
                      "\"x-leadsync-key\"), the header the CRM webhook sends its key in (got {})",
                      in_quotes(server.webhook_header)));
    }
    env_name("server.webhook_key_env", server.webhook_key_env);
    in_range("server.body_limit_kb", server.body_limit_kb, 1, 65536, " KB");
    in_range("server.shutdown_grace_s", server.shutdown_grace_s, 1, 3600, " seconds");
    in_range("server.webhook_lease_s", server.webhook_lease_s, 1, 86400, " seconds");
    in_range("server.webhook_max_attempts", server.webhook_max_attempts, 1, 100);
  }

  void check_enrich() {
    const auto& enrich = config_.enrich;
    for (std::size_t i = 0; i < enrich.wanted_fields.size(); ++i) {
      if (enrich.wanted_fields[i].empty()) {
        add_element("enrich.wanted_fields", i,
                    "must be a field name like \"person.job_title\" (got \"\")");
      }
    }
    fraction("enrich.min_confidence", enrich.min_confidence);
    each_one_of("enrich.consent_blocking_flags", enrich.consent_blocking_flags,
                {"do_not_email", "do_not_phone", "do_not_bulk_email", "do_not_postal_mail"});
    for (std::size_t i = 0; i < enrich.blocked_regions.size(); ++i) {
      const auto& region = enrich.blocked_regions[i];
      if (region.size() != 2 ||
          !std::all_of(region.begin(), region.end(), [](char c) { return c >= 'A' && c <= 'Z'; })) {
        add_element("enrich.blocked_regions", i,
                    fmt::format("must be a two-letter ISO 3166 country code, like \"DE\" (got {})",
                                in_quotes(region)));
      }
    }
    in_range("enrich.pending_retry_s", enrich.pending_retry_s, 1, 86400, " seconds");
    for (const auto& [field, policy] : enrich.merge) {
      const std::string key = "enrich.merge." + field;
      if (field.empty()) {
        add(key, "a field name may not be empty: write it like \"person.job_title\" = \"never\"");
      }
      one_of(key, policy, {"fill_empty", "overwrite_if_more_confident", "never"});
    }
    check_provider_names();
  }

  // Names are required, of [a-z0-9_-], and unique: --provider, logs and provenance use them.
  void check_provider_names() {
    std::map<std::string, std::size_t> first_with_name;
    const auto& providers = config_.enrich.providers;
    for (std::size_t i = 0; i < providers.size(); ++i) {
      const std::string path = provider_path(i);
      const std::string& name = providers[i].name;
      if (name.empty()) {
        required(path + ".name", line_of(path),
                 "is required: a unique name for the provider of lower-case letters, digits, _ and "
                 "-, like \"pdl\"");
        continue;
      }
      if (!std::all_of(name.begin(), name.end(), [](char c) {
            return (c >= 'a' && c <= 'z') || is_ascii_digit(c) || c == '_' || c == '-';
          })) {
        add(path + ".name",
            fmt::format("must be made of lower-case letters, digits, _ and -, like \"pdl\" or "
                        "\"social-github\" (got {})",
                        in_quotes(name)));
      }
      const auto [first, inserted] = first_with_name.emplace(name, i);
      if (!inserted) {
        const std::string other = provider_path(first->second);
        add(path + ".name",
            fmt::format("provider name {} is taken already by {} (line {}); names must be unique",
                        in_quotes(name), other, line_of(other + ".name")));
      }
    }
  }

  static std::string provider_path(std::size_t index) {
    return "enrich.provider[" + std::to_string(index) + "]";
  }

  // A key the provider's kind does not read.
  void unused_by_kind(const std::string& path, std::string_view key, std::string_view kind,
                      std::string_view used_by) {
    add(path + "." + std::string(key),
        fmt::format("is not used by kind {}: only {} reads it; remove it", in_quotes(kind),
                    used_by));
  }

  void check_provider(std::size_t index) {
    const auto& provider = config_.enrich.providers[index];
    const std::string path = provider_path(index);
    const std::string& kind = provider.kind;
    const int table_line = line_of(path);
    if (kind.empty()) {
      required(path + ".kind", table_line,
               "is required: one of pdl, clearbit, http_json, file_feed");
    } else {
      one_of(path + ".kind", kind, {"pdl", "clearbit", "http_json", "file_feed"});
    }
    const bool known_kind =
        kind == "pdl" || kind == "clearbit" || kind == "http_json" || kind == "file_feed";
    const bool over_http = kind == "pdl" || kind == "clearbit" || kind == "http_json";

    // Where it is reached and how it signs in.
    if (over_http && provider.url.empty()) {
      required(path + ".url", table_line,
               fmt::format("is required for kind {}: the provider's root URL, like "
                           "\"https://api.example.com\" (the local feeds emulator is "
                           "\"http://127.0.0.1:8766\")",
                           in_quotes(kind)));
    } else if (!provider.url.empty()) {
      if (kind == "file_feed") {
        unused_by_kind(path, "url", kind, "pdl, clearbit and http_json");
      } else {
        https_url(path + ".url", provider.url, "https://api.example.com", "the API key",
                  "api_key_file / api_key_env");
      }
    }
    env_name(path + ".api_key_env", provider.api_key.env);
    if (!provider.api_key.file.empty() && !provider.api_key.env.empty()) {
      add(path + ".api_key_env",
          fmt::format("set only one of {0}.api_key_file or {0}.api_key_env", path));
    } else if (provider.api_key.empty() && (kind == "pdl" || kind == "clearbit")) {
      add_at(
          path + ".api_key_file", table_line,
          fmt::format("kind {} needs the API key: set api_key_file = \"/etc/leadsync/{}_api_key\" "
                      "(a file only leadsync can read, chmod 600) or api_key_env = "
                      "\"LEADSYNC_{}_API_KEY\"",
                      in_quotes(kind), kind, kind == "pdl" ? "PDL" : "CLEARBIT"));
    } else if (!provider.api_key.empty() && kind == "file_feed") {
      unused_by_kind(path, provider.api_key.file.empty() ? "api_key_env" : "api_key_file", kind,
                     "pdl, clearbit and http_json");
    }

    // What it may cost.
    not_negative(path + ".rate_limit_per_min", provider.rate_limit_per_min, "no limit");
    not_negative(path + ".daily_quota", static_cast<double>(provider.daily_quota), "no quota");
    not_negative(path + ".monthly_quota", static_cast<double>(provider.monthly_quota), "no quota");
    one_of(path + ".charges", provider.charges, {"match", "request"});
    not_negative(path + ".credit_budget_per_run",
                 static_cast<double>(provider.credit_budget_per_run), "no limit");
    not_negative(path + ".credit_budget_per_day",
                 static_cast<double>(provider.credit_budget_per_day), "no limit");
    in_range(path + ".cache_ttl_days", provider.cache_ttl_days, 0, 3650, " days");

    // What it is asked and how.
    fraction(path + ".min_confidence", provider.min_confidence);
    each_one_of(path + ".groups", provider.groups, {"person", "company", "social"});
    in_range(path + ".timeout_s", provider.timeout_s, 1, 600, " seconds");
    in_range(path + ".batch_size", provider.batch_size, 0, 100);

    // Kind-specific.
    if (kind == "file_feed" && provider.folder.empty()) {
      required(path + ".folder", table_line,
               "is required for kind \"file_feed\": the folder feed files are dropped into, "
               "relative to the config file's folder, like \"feeds\"");
    } else if (!provider.folder.empty() && known_kind && kind != "file_feed") {
      unused_by_kind(path, "folder", kind, "file_feed");
    }
    if (kind == "http_json" && provider.spec.empty()) {
      required(path + ".spec", table_line,
               "is required for kind \"http_json\": the TOML file describing the API, relative "
               "to the config file's folder, like \"mappings/social-github.toml\"");
    } else if (!provider.spec.empty() && known_kind && kind != "http_json") {
      unused_by_kind(path, "spec", kind, "http_json");
    }
  }

  const LoadedConfig& loaded_;
  const Config& config_;
  std::vector<Problem>& problems_;
};

} // namespace

void check_semantics(const LoadedConfig& loaded, std::vector<Problem>& problems) {
  Checker(loaded, problems).run();
}

} // namespace leadsync::config::detail
