#pragma once
// The pipeline's policies. Each is small, thread-safe, and unit-tested on its own with a fake next
// step.

#include "leadsync/core/clock.hpp"
#include "leadsync/core/mutex.hpp"
#include "leadsync/core/random.hpp"
#include "leadsync/http/pipeline.hpp"
#include "leadsync/http/token_provider.hpp"

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

namespace leadsync::http {

// Sets x-ms-client-request-id (a UUID v4) unless the caller set one; copies it into the context.
class RequestIdPolicy final : public Policy {
public:
  explicit RequestIdPolicy(Random& random = SecureRandom::instance()) : random_(random) {}
  Result<Response> send(Request& request, CallContext& context, const NextPolicy& next) override;

private:
  Random& random_;
};

// Sets User-Agent: "leadsync/<version> (<suffix>)".
class UserAgentPolicy final : public Policy {
public:
  explicit UserAgentPolicy(const std::string& suffix = {});
  Result<Response> send(Request& request, CallContext& context, const NextPolicy& next) override;

private:
  std::string value_;
};

struct RetryOptions {
  int max_attempts = 6;                        // first try included
  std::chrono::milliseconds base_delay{500};   // first backoff, doubled each attempt
  std::chrono::milliseconds max_delay{30'000}; // backoff cap (Retry-After may ask for longer)
  std::chrono::milliseconds max_retry_after{
      300'000}; // a Retry-After beyond this fails the call instead
  // Retry budget (token bucket): each retry spends one token, each first-try success earns
  // `refill`; when the bucket is empty, failures are returned at once instead of retried. Retries
  // after a 429 are free: the service said when to come back, and the throttle policy already slows
  // down.
  double budget_capacity = 100;
  double budget_refill = 0.2;
};

// Retries 408, 429, 500, 502, 503, 504 and retryable transport failures. Honours Retry-After
// (seconds or HTTP-date); otherwise capped exponential backoff with full jitter from the injected
// Random. Waits through the injected Sleeper with the call's cancellation token. A request that is
// not idempotent is retried only after 429 (the service refused it before running it). Counts what
// it saw for `status`. Giving up returns the last response as is (callers see the real status and
// body; a warning names the attempts made) or the last transport error with the attempts in its
// message. It also gives up when the wait would pass the request's deadline, and fails (throttled)
// when Retry-After exceeds max_retry_after. On return, context.attempt is the number of attempts
// made and context.throttled the number of 429s among them. Its figures are counted process-wide
// (stats()) and, when the call carries one, in the call's CallStats (CallContext::stats), so that
// each job reads its own.
class RetryPolicy final : public Policy {
public:
  RetryPolicy(RetryOptions options, Clock& clock, Sleeper& sleeper, Random& random);
  Result<Response> send(Request& request, CallContext& context, const NextPolicy& next) override;

  using Stats = RetryStats;
  // Every call's figures since the policy was made. Concurrent jobs share these: a job reads its
  // own from the CallStats of its CallScope instead.
  Stats stats() const;

private:
  // false (and counted) when the budget is empty
  bool spend_retry_token(CallStats* call_stats) EXCLUDES(mutex_);
  RetryOptions options_;
  Clock& clock_;
  Sleeper& sleeper_;
  Random& random_;
  mutable Mutex mutex_;
  double budget_ GUARDED_BY(mutex_);
  Stats stats_ GUARDED_BY(mutex_);
};

// Adds Authorization: Bearer <token>. Refuses (config error, before sending) a token over plain
// http to a host that is not loopback. After a 401 it asks for a token refreshed unless the
// provider already holds a newer one than the token refused (TokenRequest::force_refresh_if_still)
// and sends once more. The call's cancellation and deadline go with each token request.
class BearerTokenPolicy final : public Policy {
public:
  explicit BearerTokenPolicy(std::shared_ptr<TokenProvider> provider);
  Result<Response> send(Request& request, CallContext& context, const NextPolicy& next) override;

private:
  std::shared_ptr<TokenProvider> provider_;
};

// An adaptive concurrency limit (AIMD, as TCP congestion control): starts from the x-ms-dop-hint
// (WhoAmI), halves on a 429 at most once per throttling episode, grows by one after a round of
// `limit` successes back up to the hint (without a hint up to `ceiling`, the documented 52
// concurrent requests per user), and never goes below 1. acquire() waits (interruptibly) for a free
// slot. Thread-safe.
//
// An episode: requests that run together tend to be throttled together (several large requests
// exhaust Dataverse's execution-time limit at once), so each slot remembers the epoch (the number
// of cuts so far) it was taken in, and a 429 for a slot taken before the last cut does not cut
// again.
class ConcurrencyLimiter {
public:
  // How the request that held a slot ended: a failure (transport error, 5xx) neither halves the
  // limit nor counts as a success.
  enum class Outcome { success, throttled, failure };

  // A held slot; give it back to release().
  struct Slot {
    std::uint64_t epoch = 0; // cuts made before the slot was taken
  };

  // initial is clamped to [1, ceiling]; ceiling must be at least 1.
  explicit ConcurrencyLimiter(int initial = 4, int ceiling = 52);
  // nullopt when cancelled while waiting.
  std::optional<Slot> acquire(const CancellationToken& cancel);
  void release(Slot slot, Outcome outcome);
  // From WhoAmI's x-ms-dop-hint, clamped to [1, ceiling]: the limit now and the most it grows to. A
  // hint below 1 (header absent) changes nothing.
  void set_hint(int dop_hint);
  int limit() const;
  int in_flight() const;
  int ceiling() const { return ceiling_; }

private:
  mutable Mutex mutex_;
  CondVar freed_;
  int limit_ GUARDED_BY(mutex_);
  int ceiling_;
  int in_flight_ GUARDED_BY(mutex_) = 0;
  // This round: since the limit changed or a request failed or got a 429.
  int successes_ GUARDED_BY(mutex_) = 0;
  std::uint64_t epoch_ GUARDED_BY(mutex_) = 0;
  int hint_ GUARDED_BY(mutex_) = 0; // the server's x-ms-dop-hint (clamped), 0 until set_hint()
};

// Holds a limiter slot for the duration of each attempt; a 429 releases it as throttled, a
// transport error or 5xx as a failure. Fails (cancelled) when the call is cancelled while waiting
// for a slot.
class ThrottlePolicy final : public Policy {
public:
  explicit ThrottlePolicy(std::shared_ptr<ConcurrencyLimiter> limiter);
  Result<Response> send(Request& request, CallContext& context, const NextPolicy& next) override;

private:
  std::shared_ptr<ConcurrencyLimiter> limiter_;
};

// One log line per attempt: method, path (no query string: filters can hold e-mails), status,
// duration, attempt, client request id. Never headers or bodies. Level: debug below 400, info for
// other 4xx, warn for 429, 5xx and transport errors.
class LogPolicy final : public Policy {
public:
  explicit LogPolicy(Clock& clock = SystemClock::instance()) : clock_(clock) {}
  Result<Response> send(Request& request, CallContext& context, const NextPolicy& next) override;

private:
  Clock& clock_;
};

// Parses Retry-After: delta-seconds or an HTTP-date (IMF-fixdate, RFC 850 or asctime form) relative
// to now; a date in the past gives 0. nullopt when absent or malformed.
std::optional<std::chrono::milliseconds> parse_retry_after(const Response& response,
                                                           Clock::WallTime now);

} // namespace leadsync::http
