#include "leadsync/enrich/rate_limiter.hpp"

#include <algorithm>

namespace leadsync::enrich {

using std::chrono::steady_clock;

RateLimiter::RateLimiter(double per_minute, const Clock& clock, Sleeper& sleeper)
    : clock_(clock), sleeper_(sleeper) {
  if (per_minute > 0) {
    // 1% headroom: the time between our send and the provider's count varies, and a provider
    // counting in fixed windows would otherwise see R + 1 now and then (one 429 in a 10,000-lead
    // benchmark run without it).
    interval_ = std::chrono::duration_cast<std::chrono::nanoseconds>(
        std::chrono::duration<double>(60.0 / (per_minute * 0.99)));
  }
}

Status RateLimiter::acquire(std::size_t lookups, const CancellationToken& cancel,
                            steady_clock::time_point deadline) {
  steady_clock::time_point start;
  {
    MutexLock lock(mutex_);
    const steady_clock::time_point now = clock_.steady_now();
    start = std::max({now, next_start_, blocked_until_});
    if (start > deadline) {
      return Error::make(ErrorCategory::throttled,
                         "the provider's rate limit leaves no room before the deadline", true);
    }
    next_start_ = start + interval_ * static_cast<std::int64_t>(lookups);
  }
  const steady_clock::time_point now = clock_.steady_now();
  if (start > now && !sleeper_.sleep_for(start - now, cancel)) {
    return Error::make(ErrorCategory::cancelled, "stopped while waiting for the rate limit");
  }
  if (cancel.cancelled()) {
    return Error::make(ErrorCategory::cancelled, "stopped");
  }
  return {};
}

void RateLimiter::observe(const RateState& state, bool throttled, std::chrono::seconds fallback) {
  MutexLock lock(mutex_);
  const steady_clock::time_point now = clock_.steady_now();
  steady_clock::time_point until = now;
  if (state.retry_after) {
    until = std::max(until, now + *state.retry_after);
  }
  const bool exhausted = state.remaining && *state.remaining <= 0;
  if ((exhausted || (throttled && !state.retry_after)) && state.reset) {
    const auto wait = *state.reset - clock_.now();
    until = std::max(until, now + std::chrono::duration_cast<std::chrono::nanoseconds>(
                                      std::max(wait, decltype(wait)::zero())));
  }
  if (throttled && until == now) {
    until = now + fallback; // a 429 that says nothing about when: back off
  }
  blocked_until_ = std::max(blocked_until_, until);
}

steady_clock::time_point RateLimiter::free_at() const {
  MutexLock lock(mutex_);
  return std::max(next_start_, blocked_until_);
}

} // namespace leadsync::enrich
