#include "limiter.hpp"

#include <algorithm>
#include <fmt/format.h>

namespace dvemu::detail {

LimitOptions Limiter::limits() const {
  leadsync::MutexLock lock(mutex_);
  return limits_;
}

void Limiter::configure(const LimitOptions& limits) {
  leadsync::MutexLock lock(mutex_);
  limits_ = limits;
}

std::optional<Throttle> Limiter::admit(const std::string& user, SteadyTime now) {
  leadsync::MutexLock lock(mutex_);
  auto& window = users_[user];
  ++window.seen;
  auto refusal = check(window, now);
  if (refusal) {
    ++window.throttled;
    return refusal;
  }
  if (limits_.enabled) {
    window.requests.push_back(now);
  }
  ++window.in_flight;
  ++in_flight_total_;
  max_in_flight_seen_ = std::max(max_in_flight_seen_, in_flight_total_);
  return std::nullopt;
}

void Limiter::finish(const std::string& user, SteadyTime now, std::int64_t execution_ms) {
  leadsync::MutexLock lock(mutex_);
  auto& window = users_[user];
  window.in_flight = std::max<std::int64_t>(0, window.in_flight - 1);
  in_flight_total_ = std::max<std::int64_t>(0, in_flight_total_ - 1);
  if (limits_.enabled && execution_ms > 0) {
    window.executions.emplace_back(now, execution_ms);
    window.execution_sum += execution_ms;
  }
}

Remaining Limiter::remaining(const std::string& user, SteadyTime now) {
  leadsync::MutexLock lock(mutex_);
  auto& window = users_[user];
  prune(window, now);
  return remaining_in(window, now);
}

UserFigures Limiter::figures(const std::string& user, SteadyTime now) const {
  leadsync::MutexLock lock(mutex_);
  const auto found = users_.find(user);
  const UserWindow unused;
  const auto& window = found == users_.end() ? unused : found->second;
  return UserFigures{.requests = window.seen,
                     .throttled = window.throttled,
                     .in_flight = window.in_flight,
                     .remaining = remaining_in(window, now)};
}

std::int64_t Limiter::max_in_flight_seen() const {
  leadsync::MutexLock lock(mutex_);
  return max_in_flight_seen_;
}

std::int64_t Limiter::in_flight() const {
  leadsync::MutexLock lock(mutex_);
  return in_flight_total_;
}

void Limiter::reset() {
  leadsync::MutexLock lock(mutex_);
  for (auto& [user, window] : users_) {
    window.requests.clear();
    window.executions.clear();
    window.execution_sum = 0;
    window.seen = 0;
    window.throttled = 0;
  }
  max_in_flight_seen_ = in_flight_total_;
}

std::optional<Throttle> Limiter::check(UserWindow& window, SteadyTime now) const {
  if (!limits_.enabled) {
    return std::nullopt;
  }
  prune(window, now);
  if (window.in_flight >= limits_.max_concurrency) {
    return Throttle{
        ServiceError{429, codes::concurrency_limit,
                     fmt::format("Number of concurrent requests exceeded the limit of {}.",
                                 limits_.max_concurrency)},
        1};
  }
  if (static_cast<std::int64_t>(window.requests.size()) >= limits_.max_requests) {
    // The request at this index is the one whose leaving brings the count under the limit.
    const auto leaving = window.requests.size() - static_cast<std::size_t>(limits_.max_requests);
    return Throttle{
        ServiceError{
            429, codes::requests_limit,
            fmt::format("Number of requests exceeded the limit of {} over time window of {} "
                        "seconds.",
                        limits_.max_requests, window_seconds_text(limits_.window))},
        seconds_until(window.requests[leaving] + limits_.window, now)};
  }
  if (window.execution_sum >= limits_.max_execution_ms) {
    std::int64_t sum = window.execution_sum;
    SteadyTime frees = now;
    for (const auto& [time, ms] : window.executions) {
      sum -= ms;
      if (sum < limits_.max_execution_ms) {
        frees = time + limits_.window;
        break;
      }
    }
    return Throttle{
        ServiceError{
            429, codes::execution_time_limit,
            fmt::format("Combined execution time of incoming requests exceeded limit of {} "
                        "milliseconds over time window of {} seconds. Decrease number of "
                        "concurrent requests or reduce the duration of requests and try "
                        "again later.",
                        group_thousands(limits_.max_execution_ms),
                        window_seconds_text(limits_.window))},
        seconds_until(frees, now)};
  }
  return std::nullopt;
}

Remaining Limiter::remaining_in(const UserWindow& window, SteadyTime now) const {
  const auto horizon = now - limits_.window;
  const auto requests = std::count_if(window.requests.begin(), window.requests.end(),
                                      [&](SteadyTime time) { return time > horizon; });
  std::int64_t execution_ms = 0;
  for (const auto& [time, ms] : window.executions) {
    execution_ms += time > horizon ? ms : 0;
  }
  return Remaining{std::max<std::int64_t>(0, limits_.max_requests - requests),
                   std::max<std::int64_t>(0, limits_.max_execution_ms - execution_ms)};
}

void Limiter::prune(UserWindow& window, SteadyTime now) const {
  const auto horizon = now - limits_.window;
  while (!window.requests.empty() && window.requests.front() <= horizon) {
    window.requests.pop_front();
  }
  while (!window.executions.empty() && window.executions.front().first <= horizon) {
    window.execution_sum -= window.executions.front().second;
    window.executions.pop_front();
  }
}

std::int64_t Limiter::seconds_until(SteadyTime when, SteadyTime now) {
  const auto wait = std::chrono::duration_cast<milliseconds>(when - now).count();
  return std::max<std::int64_t>(1, (wait + 999) / 1000);
}

} // namespace dvemu::detail
