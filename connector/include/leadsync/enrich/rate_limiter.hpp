#pragma once
// Paces the requests sent to one provider. Set from the config's rate_limit_per_min and corrected
// by what the provider says (x-ratelimit-remaining 0 until the reset, Retry-After, a 429).
//
// It schedules rather than counts (a GCRA with no burst): a request for n lookups starts no sooner
// than the previous one's start plus n/rate, the rate being 99% of the configured one. Over any
// 60 s, that sends at most the configured number, however the provider aligns its own window, and
// a bulk call of n items is paced as n requests, the way PDL bills and limits them.

#include "leadsync/core/cancel.hpp"
#include "leadsync/core/clock.hpp"
#include "leadsync/core/mutex.hpp"
#include "leadsync/core/result.hpp"
#include "leadsync/enrich/provider.hpp"

#include <chrono>
#include <cstddef>

namespace leadsync::enrich {

class RateLimiter {
public:
  // per_minute 0: no pacing of ours (the provider's own signals still hold).
  RateLimiter(double per_minute, const Clock& clock, Sleeper& sleeper);

  // Waits until `lookups` may be sent, then books them. Fails (cancelled) when the token fires
  // first, (throttled) when the wait would end after `deadline` (nothing is booked then).
  Status acquire(std::size_t lookups, const CancellationToken& cancel,
                 std::chrono::steady_clock::time_point deadline);

  // What the provider said in a response: remaining 0 blocks until its reset, Retry-After blocks
  // that long. `throttled` is true for a 429 (or equivalent): without Retry-After or a reset, the
  // limiter then backs off for `fallback`.
  void observe(const RateState& state, bool throttled,
               std::chrono::seconds fallback = std::chrono::seconds{60});

  // When the provider is free again (steady clock); epoch when it is free now.
  std::chrono::steady_clock::time_point free_at() const;

private:
  const Clock& clock_;
  Sleeper& sleeper_;
  std::chrono::nanoseconds interval_{0}; // per lookup; 0 when unpaced
  mutable Mutex mutex_;
  // The earliest start of the next request.
  std::chrono::steady_clock::time_point next_start_ GUARDED_BY(mutex_){};
  // From the provider's own signals.
  std::chrono::steady_clock::time_point blocked_until_ GUARDED_BY(mutex_){};
};

} // namespace leadsync::enrich
