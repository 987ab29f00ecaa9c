#pragma once
// Helpers shared by the HTTP providers (pdl, clearbit, http_json): option checks, the API key,
// sending with a deadline and User-Agent, status-code -> Error mapping, rate-limit headers, and a
// few value conversions. Private to leadsync_enrich.

#include "leadsync/core/clock.hpp"
#include "leadsync/core/config.hpp"
#include "leadsync/core/mutex.hpp"
#include "leadsync/core/result.hpp"
#include "leadsync/core/secrets.hpp"
#include "leadsync/enrich/provider.hpp"
#include "leadsync/enrich/registry.hpp"
#include "leadsync/http/transport.hpp"
#include "leadsync/http/url.hpp"

#include <chrono>
#include <cstdint>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace leadsync::enrich::providers::support {

inline constexpr std::string_view user_agent = "leadsync/enrich";

// "enrich.provider 'NAME': MESSAGE", category config.
Error config_error(const std::string& provider, const std::string& message);

// The provider root from options.url without a trailing '/'; fails when unset or not http(s).
Result<std::string> checked_root(const config::EnrichProviderOptions& options);
// The groups the provider serves: `served`, narrowed to options.groups when those are set. Fails on
// a group name that is unknown or not served by this kind.
Result<std::vector<FieldGroup>> checked_groups(const config::EnrichProviderOptions& options,
                                               const std::vector<FieldGroup>& served);
// What a provider with a fixed set of groups checks first, in this order: the root (checked_root),
// timeout_s (check_timeout) and its groups among `served` (checked_groups).
struct Basics {
  std::string root;
  std::vector<FieldGroup> groups;
};
Result<Basics> checked_basics(const config::EnrichProviderOptions& options,
                              const std::vector<FieldGroup>& served);
// The API key (read_secret); the error names the provider and says what to set.
Result<Secret> read_api_key(const config::EnrichProviderOptions& options);
// Fails when timeout_s is not positive.
Status check_timeout(const config::EnrichProviderOptions& options);

bool serves(const std::vector<FieldGroup>& groups, FieldGroup group);

std::string base64(std::string_view data);
// "a=1&b=x%20y": names and values percent-encoded with http::percent_encode.
std::string encode_query(const http::QueryParams& params);

// What every HTTP provider needs to send a request.
struct Sender {
  std::string provider; // the configured name, for error messages
  std::shared_ptr<http::Transport> transport;
  std::chrono::seconds timeout{30};
  // Sets User-Agent and a deadline of now + timeout, and sends. A transport failure keeps its
  // category (timeout, unavailable, cancelled) and gets the provider's name in the message.
  Result<http::Response> send(http::Request request, const http::CallContext& context) const;
};
// The Sender for a provider: its name, the environment's transport and options.timeout_s. Fails
// (internal) when the environment has no transport.
Result<Sender> make_sender(const config::EnrichProviderOptions& options,
                           const ProviderEnvironment& environment);

// Rate-limit header parsing.
// "99", "{\"minute\": 99}", "{'minute': 99, 'day': None}": the first number found (the minute
// window for PDL's dict form).
std::optional<std::int64_t> parse_limit_value(std::string_view text);
enum class ResetUnit {
  automatic,     // ISO-8601 UTC ("2022-02-23T20:19:55Z"), else a number: >= 1e9 epoch seconds,
                 // smaller: seconds from now
  epoch_seconds, // Unix time
  delta_seconds, // seconds from now
  iso8601,       // "2022-02-23T20:19:55Z"
};
std::optional<std::chrono::system_clock::time_point>
parse_reset(std::string_view text, ResetUnit unit, std::chrono::system_clock::time_point now);
// Retry-After: delta seconds or an HTTP-date (relative to now, never negative).
std::optional<std::chrono::seconds> parse_retry_after(std::string_view text,
                                                      std::chrono::system_clock::time_point now);
std::optional<std::chrono::system_clock::time_point> parse_iso8601_utc(std::string_view text);

struct RateHeaderNames {
  std::string limit = "x-ratelimit-limit";
  std::string remaining = "x-ratelimit-remaining";
  std::string reset = "x-ratelimit-reset";
  std::string retry_after = "retry-after";
  ResetUnit reset_unit = ResetUnit::automatic;
};
RateState read_rate_state(const http::Headers& headers, const RateHeaderNames& names,
                          std::chrono::system_clock::time_point now);

// A thread-safe holder of the last reported rate state.
class RateBox {
public:
  void set(RateState state) {
    MutexLock lock(mutex_);
    state_ = state;
  }
  RateState get() const {
    MutexLock lock(mutex_);
    return state_;
  }

private:
  mutable Mutex mutex_;
  RateState state_ GUARDED_BY(mutex_);
};

std::chrono::system_clock::time_point wall_now(const Clock* clock);

// The vendor's error text from a body such as {"error":{"message":"..."}}, {"message":"..."} or
// {"errors":[{"message":"..."}]}, cut to 200 characters; empty when there is none.
std::string vendor_message(std::string_view body);
// Parses an answer body without exceptions and with the nesting limit of core/json_limits (64):
// a protocol Error, "the answer is not valid JSON (...)" or "the answer is JSON nested deeper
// than 64 levels ...", so a hostile 100,000-deep answer cannot exhaust the stack.
Result<nlohmann::json> parse_json(std::string_view body);

// The error for a status that is not an answer: 401 unauthorized, 402 forbidden/out_of_credits,
// 403 forbidden, 429 throttled (retryable), 5xx unavailable (retryable), anything else protocol.
Error status_error(const std::string& provider, int status, std::string_view body);
Error protocol_error(const std::string& provider, int status, const std::string& what);

// Decimal text of a JSON number ("250", "12500000.5"); nullopt for other types.
std::optional<std::string> number_text(const nlohmann::json& value);
// Lower bound of a revenue range: "$10M-$25M" -> 10000000, "$1B+" -> 1000000000, "$0-$1M" -> 0.
std::optional<std::int64_t> revenue_lower_bound(std::string_view text);
// The string at a JSON pointer, or a number as decimal text; nullopt when missing, null or empty.
std::optional<std::string> text_at(const nlohmann::json& document, const std::string& pointer);

} // namespace leadsync::enrich::providers::support
