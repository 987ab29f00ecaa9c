#include "providers/detail/http_support.hpp"

#include "leadsync/core/json_limits.hpp"
#include "leadsync/core/text.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <sstream>

namespace leadsync::enrich::providers::support {
namespace {

// What may surround a number or a time in a provider's header value (copied after trimming:
// sscanf reads it as a C string).
constexpr std::string_view blanks_and_quotes = " \t\"";

std::optional<std::int64_t> parse_int(std::string_view text) {
  std::int64_t value = 0;
  const auto* end = text.data() + text.size();
  const auto [ptr, ec] = std::from_chars(text.data(), end, value);
  if (ec != std::errc{} || ptr != end) {
    return std::nullopt;
  }
  return value;
}

// Times and waits a provider's header can name, past which the value is not understood (found
// by fuzzing, issue 18: a reset of 10^11 seconds overflowed the nanosecond clock). system_clock
// counts nanoseconds in 64 bits, up to the year 2262.
constexpr std::int64_t longest_wait_seconds = std::int64_t{366} * 24 * 3600; // a year
constexpr std::int64_t latest_epoch_seconds = 4'102'444'800;                 // 2100-01-01
bool plausible_year(int year) {
  return year >= 1970 && year < 2100;
}

std::optional<std::chrono::system_clock::time_point> parse_http_date(std::string_view text) {
  // IMF-fixdate: "Sun, 06 Nov 1994 08:49:37 GMT"
  const std::string copy(text);
  int day = 0;
  int year = 0;
  int hour = 0;
  int minute = 0;
  int second = 0;
  char month_name[4] = {};
  if (std::sscanf(copy.c_str(), "%*3s, %2d %3s %4d %2d:%2d:%2d GMT", &day, month_name, &year, &hour,
                  &minute, &second) != 6) {
    return std::nullopt;
  }
  static constexpr std::string_view months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  unsigned month = 0;
  for (unsigned i = 0; i < 12; ++i) {
    if (months[i] == std::string_view(month_name)) {
      month = i + 1;
    }
  }
  if (month == 0 || !plausible_year(year)) {
    return std::nullopt;
  }
  const std::chrono::year_month_day date{std::chrono::year{year}, std::chrono::month{month},
                                         std::chrono::day{static_cast<unsigned>(day)}};
  if (!date.ok()) {
    return std::nullopt;
  }
  return std::chrono::sys_days{date} + std::chrono::hours{hour} + std::chrono::minutes{minute} +
         std::chrono::seconds{second};
}

} // namespace

Error config_error(const std::string& provider, const std::string& message) {
  return Error::make(ErrorCategory::config, "enrich.provider '" + provider + "': " + message);
}

Result<std::string> checked_root(const config::EnrichProviderOptions& options) {
  if (options.url.empty()) {
    return config_error(options.name, "url is not set; set url to the API's root, e.g. "
                                      "\"https://api.example.com\" (the provider adds its paths)");
  }
  const auto parsed = http::parse_url(options.url);
  if (!parsed.ok()) {
    return config_error(options.name, "url \"" + options.url + "\" is not an http or https URL (" +
                                          parsed.error().message +
                                          "); set url to e.g. \"https://api.example.com\"");
  }
  if (!parsed->query.empty()) {
    return config_error(options.name, "url \"" + options.url +
                                          "\" has a query string; set url to the API's root only");
  }
  std::string root = options.url;
  while (!root.empty() && root.back() == '/') {
    root.pop_back();
  }
  return root;
}

Result<std::vector<FieldGroup>> checked_groups(const config::EnrichProviderOptions& options,
                                               const std::vector<FieldGroup>& served) {
  if (options.groups.empty()) {
    return served;
  }
  std::string served_text;
  for (const FieldGroup group : served) {
    served_text += (served_text.empty() ? "" : ", ") + std::string(to_string(group));
  }
  std::vector<FieldGroup> groups;
  for (const std::string& name : options.groups) {
    const auto group = parse_field_group(name);
    if (!group || !serves(served, *group)) {
      return config_error(options.name, "groups: \"" + name + "\" is not a group the " +
                                            options.kind + " kind serves; use " + served_text);
    }
    if (!serves(groups, *group)) {
      groups.push_back(*group);
    }
  }
  return groups;
}

Result<Basics> checked_basics(const config::EnrichProviderOptions& options,
                              const std::vector<FieldGroup>& served) {
  LEADSYNC_TRY(std::string root, checked_root(options));
  LEADSYNC_CHECK(check_timeout(options));
  LEADSYNC_TRY(std::vector<FieldGroup> groups, checked_groups(options, served));
  return Basics{.root = std::move(root), .groups = std::move(groups)};
}

Result<Secret> read_api_key(const config::EnrichProviderOptions& options) {
  auto secret = read_secret(options.api_key, "api_key");
  if (!secret.ok()) {
    return config_error(options.name, secret.error().message);
  }
  return secret;
}

Status check_timeout(const config::EnrichProviderOptions& options) {
  if (options.timeout_s <= 0) {
    return config_error(options.name, "timeout_s must be a positive number of seconds (got " +
                                          std::to_string(options.timeout_s) + ")");
  }
  return {};
}

bool serves(const std::vector<FieldGroup>& groups, FieldGroup group) {
  return std::find(groups.begin(), groups.end(), group) != groups.end();
}

std::string base64(std::string_view data) {
  static constexpr char alphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((data.size() + 2) / 3 * 4);
  std::size_t i = 0;
  for (; i + 2 < data.size(); i += 3) {
    const unsigned n = (static_cast<unsigned char>(data[i]) << 16U) |
                       (static_cast<unsigned char>(data[i + 1]) << 8U) |
                       static_cast<unsigned char>(data[i + 2]);
    out += alphabet[(n >> 18U) & 63U];
    out += alphabet[(n >> 12U) & 63U];
    out += alphabet[(n >> 6U) & 63U];
    out += alphabet[n & 63U];
  }
  if (i + 1 == data.size()) {
    const unsigned n = static_cast<unsigned char>(data[i]) << 16U;
    out += alphabet[(n >> 18U) & 63U];
    out += alphabet[(n >> 12U) & 63U];
    out += "==";
  } else if (i + 2 == data.size()) {
    const unsigned n = (static_cast<unsigned char>(data[i]) << 16U) |
                       (static_cast<unsigned char>(data[i + 1]) << 8U);
    out += alphabet[(n >> 18U) & 63U];
    out += alphabet[(n >> 12U) & 63U];
    out += alphabet[(n >> 6U) & 63U];
    out += '=';
  }
  return out;
}

std::string encode_query(const http::QueryParams& params) {
  std::string out;
  for (const auto& [name, value] : params) {
    if (!out.empty()) {
      out += '&';
    }
    out += http::percent_encode(name) + "=" + http::percent_encode(value);
  }
  return out;
}

Result<http::Response> Sender::send(http::Request request, const http::CallContext& context) const {
  request.headers.set("User-Agent", std::string(user_agent));
  request.deadline = std::chrono::steady_clock::now() + timeout;
  // The API key and an http_json spec's own headers end up here: checked before the wire.
  if (auto checked = http::check_header_fields(request.headers); !checked.ok()) {
    Error error = checked.error();
    error.message = "enrich.provider '" + provider + "': " + error.message;
    return error;
  }
  auto response = transport->send(request, context);
  if (!response.ok()) {
    Error error = response.error();
    error.message = "enrich.provider '" + provider + "': " + error.message;
    return error;
  }
  return response;
}

Result<Sender> make_sender(const config::EnrichProviderOptions& options,
                           const ProviderEnvironment& environment) {
  if (!environment.transport) {
    return Error::make(ErrorCategory::internal,
                       "enrich.provider '" + options.name + "': no HTTP transport was given");
  }
  return Sender{.provider = options.name,
                .transport = environment.transport,
                .timeout = std::chrono::seconds{options.timeout_s}};
}

std::optional<std::int64_t> parse_limit_value(std::string_view text) {
  // The first run of digits: "99", "{'minute': 99}", "{\"minute\":99,\"day\":None}".
  const auto begin = text.find_first_of("0123456789");
  if (begin == std::string_view::npos) {
    return std::nullopt;
  }
  if (begin > 0 && text[begin - 1] == '-') {
    return std::nullopt;
  }
  auto end = text.find_first_not_of("0123456789", begin);
  if (end == std::string_view::npos) {
    end = text.size();
  }
  // A bare value must be only the number (a date or "1.5" is not a count).
  const std::string trimmed(text::trim(text, blanks_and_quotes));
  if (!trimmed.empty() && trimmed.front() != '{' && trimmed.front() != '[') {
    return parse_int(trimmed);
  }
  return parse_int(text.substr(begin, end - begin));
}

std::optional<std::chrono::system_clock::time_point> parse_iso8601_utc(std::string_view text) {
  const std::string copy(text::trim(text, blanks_and_quotes));
  int year = 0;
  unsigned month = 0;
  unsigned day = 0;
  int hour = 0;
  int minute = 0;
  int second = 0;
  int consumed = 0;
  if (std::sscanf(copy.c_str(), "%4d-%2u-%2uT%2d:%2d:%2d%n", &year, &month, &day, &hour, &minute,
                  &second, &consumed) != 6) {
    return std::nullopt;
  }
  std::string_view rest = std::string_view(copy).substr(static_cast<std::size_t>(consumed));
  if (!rest.empty() && rest.front() == '.') { // fractional seconds
    const auto digits = rest.find_first_not_of("0123456789", 1);
    rest = digits == std::string_view::npos ? std::string_view{} : rest.substr(digits);
  }
  if ((rest != "Z" && rest != "+00:00" && !rest.empty()) || !plausible_year(year)) {
    return std::nullopt;
  }
  const std::chrono::year_month_day date{std::chrono::year{year}, std::chrono::month{month},
                                         std::chrono::day{day}};
  if (!date.ok() || hour > 23 || minute > 59 || second > 60) {
    return std::nullopt;
  }
  return std::chrono::sys_days{date} + std::chrono::hours{hour} + std::chrono::minutes{minute} +
         std::chrono::seconds{second};
}

std::optional<std::chrono::system_clock::time_point>
parse_reset(std::string_view text, ResetUnit unit, std::chrono::system_clock::time_point now) {
  const std::string value(text::trim(text, blanks_and_quotes));
  if (unit == ResetUnit::iso8601 || unit == ResetUnit::automatic) {
    if (auto time = parse_iso8601_utc(value)) {
      return time;
    }
    if (unit == ResetUnit::iso8601) {
      return std::nullopt;
    }
  }
  const auto number = parse_int(value);
  if (!number || *number < 0) {
    return std::nullopt;
  }
  const bool epoch = unit == ResetUnit::epoch_seconds ||
                     (unit == ResetUnit::automatic && *number >= 1'000'000'000);
  if (epoch) {
    if (*number > latest_epoch_seconds) {
      return std::nullopt;
    }
    return std::chrono::system_clock::time_point{std::chrono::seconds{*number}};
  }
  if (*number > longest_wait_seconds) {
    return std::nullopt;
  }
  return now + std::chrono::seconds{*number};
}

std::optional<std::chrono::seconds> parse_retry_after(std::string_view text,
                                                      std::chrono::system_clock::time_point now) {
  const std::string value(text::trim(text, blanks_and_quotes));
  if (const auto seconds = parse_int(value)) {
    if (*seconds < 0 || *seconds > longest_wait_seconds) {
      return std::nullopt;
    }
    return std::chrono::seconds{*seconds};
  }
  if (const auto date = parse_http_date(value)) {
    const auto delta = std::chrono::ceil<std::chrono::seconds>(*date - now);
    return std::max(delta, std::chrono::seconds{0});
  }
  return std::nullopt;
}

RateState read_rate_state(const http::Headers& headers, const RateHeaderNames& names,
                          std::chrono::system_clock::time_point now) {
  RateState state;
  if (!names.limit.empty()) {
    if (const auto value = headers.get(names.limit)) {
      state.limit = parse_limit_value(*value);
    }
  }
  if (!names.remaining.empty()) {
    if (const auto value = headers.get(names.remaining)) {
      state.remaining = parse_limit_value(*value);
    }
  }
  if (!names.reset.empty()) {
    if (const auto value = headers.get(names.reset)) {
      state.reset = parse_reset(*value, names.reset_unit, now);
    }
  }
  if (!names.retry_after.empty()) {
    if (const auto value = headers.get(names.retry_after)) {
      state.retry_after = parse_retry_after(*value, now);
    }
  }
  return state;
}

std::chrono::system_clock::time_point wall_now(const Clock* clock) {
  return clock != nullptr ? clock->now() : std::chrono::system_clock::now();
}

Result<nlohmann::json> parse_json(std::string_view body) {
  return parse_untrusted_json(body, "the answer");
}

std::string vendor_message(std::string_view body) {
  const auto document = parse_json(body);
  if (!document.ok() || !document->is_object()) {
    return {};
  }
  std::string message;
  const auto error = document->find("error");
  if (error != document->end() && error->is_object()) {
    const auto text = error->find("message");
    if (text != error->end() && text->is_string()) {
      message = text->get<std::string>();
    }
  } else if (error != document->end() && error->is_string()) {
    message = error->get<std::string>();
  }
  if (message.empty()) {
    const auto text = document->find("message");
    if (text != document->end() && text->is_string()) {
      message = text->get<std::string>();
    }
  }
  if (message.empty()) {
    const auto errors = document->find("errors");
    if (errors != document->end() && errors->is_array() && !errors->empty() &&
        errors->front().is_object()) {
      const auto& first = errors->front();
      for (const char* key : {"message", "details"}) {
        const auto text = first.find(key);
        if (text != first.end() && text->is_string()) {
          message = text->get<std::string>();
          break;
        }
      }
    }
  }
  if (message.size() > 200) {
    message.resize(200);
    message += "...";
  }
  return message;
}

Error protocol_error(const std::string& provider, int status, const std::string& what) {
  Error error = Error::make(ErrorCategory::protocol, "enrich.provider '" + provider + "': " + what);
  error.http_status = status;
  return error;
}

Error status_error(const std::string& provider, int status, std::string_view body) {
  const std::string said = vendor_message(body);
  const std::string detail = said.empty() ? std::string{} : " (\"" + said + "\")";
  const std::string prefix =
      "enrich.provider '" + provider + "': HTTP " + std::to_string(status) + detail + ": ";
  Error error;
  if (status == 401) {
    error = Error::make(ErrorCategory::unauthorized,
                        prefix + "the API key was refused; check the key in api_key_file or "
                                 "api_key_env");
  } else if (status == 402) {
    error = Error::make(ErrorCategory::forbidden,
                        prefix + "the account is out of credits; buy credits or wait for the "
                                 "quota to renew");
    error.service_code = std::string(out_of_credits_code);
  } else if (status == 403) {
    error = Error::make(ErrorCategory::forbidden,
                        prefix + "the API key is not allowed to make this call; check its plan "
                                 "and permissions");
  } else if (status == 429) {
    error = Error::make(ErrorCategory::throttled,
                        prefix + "rate limited; asking again after the reset", true);
  } else if (status >= 500 && status <= 599) {
    error = Error::make(ErrorCategory::unavailable, prefix + "the service failed; try later", true);
  } else {
    error = Error::make(ErrorCategory::protocol, prefix + "an answer this provider cannot use");
  }
  error.http_status = status;
  return error;
}

std::optional<std::string> number_text(const nlohmann::json& value) {
  if (value.is_number_integer()) {
    return value.is_number_unsigned() ? std::to_string(value.get<std::uint64_t>())
                                      : std::to_string(value.get<std::int64_t>());
  }
  if (value.is_number_float()) {
    const double number = value.get<double>();
    if (!std::isfinite(number)) {
      return std::nullopt;
    }
    std::ostringstream out;
    out.precision(15);
    out << number;
    std::string text = out.str();
    if (text.find_first_of(".e") == std::string::npos) {
      text += ".0";
    }
    return text;
  }
  return std::nullopt;
}

std::optional<std::int64_t> revenue_lower_bound(std::string_view text) {
  // "$10M-$25M", "$1B+", "$0-$1M", "10000000", "$500K-$1M"
  std::size_t i = 0;
  while (i < text.size() && (text[i] == '$' || text[i] == ' ')) {
    ++i;
  }
  const std::size_t begin = i;
  while (i < text.size() && (std::isdigit(static_cast<unsigned char>(text[i])) != 0 ||
                             text[i] == '.' || text[i] == ',')) {
    ++i;
  }
  if (i == begin) {
    return std::nullopt;
  }
  std::string digits;
  for (std::size_t k = begin; k < i; ++k) {
    if (text[k] != ',') {
      digits += text[k];
    }
  }
  double number = 0;
  try {
    number = std::stod(digits);
  } catch (const std::exception&) {
    return std::nullopt;
  }
  double scale = 1;
  if (i < text.size()) {
    switch (text::ascii_upper(text[i])) {
    case 'K':
      scale = 1e3;
      break;
    case 'M':
      scale = 1e6;
      break;
    case 'B':
      scale = 1e9;
      break;
    case 'T':
      scale = 1e12;
      break;
    default:
      break;
    }
  }
  return static_cast<std::int64_t>(std::llround(number * scale));
}

std::optional<std::string> text_at(const nlohmann::json& document, const std::string& pointer) {
  nlohmann::json::json_pointer parsed;
  try {
    parsed = nlohmann::json::json_pointer(pointer);
  } catch (const nlohmann::json::exception&) {
    return std::nullopt;
  }
  const nlohmann::json* found = nullptr;
  try {
    if (!document.contains(parsed)) {
      return std::nullopt;
    }
    found = &document.at(parsed);
  } catch (const nlohmann::json::exception&) {
    return std::nullopt;
  }
  const nlohmann::json& value = *found;
  if (value.is_string()) {
    std::string text = value.get<std::string>();
    if (text.empty()) {
      return std::nullopt;
    }
    return text;
  }
  if (value.is_boolean()) {
    return value.get<bool>() ? "true" : "false";
  }
  return number_text(value);
}

} // namespace leadsync::enrich::providers::support
