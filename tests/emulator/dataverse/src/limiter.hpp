#pragma once
// Service-protection limits (dataverse-notes section 8), per user over a sliding window.

#include "dvemu/options.hpp"
#include "dvemu/service_error.hpp"
#include "emulator_support.hpp"
#include "leadsync/core/mutex.hpp"

#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <string>
#include <utility>

namespace dvemu::detail {

struct Throttle {
  ServiceError error;
  std::int64_t retry_after_s = 1;
};

struct Remaining {
  std::int64_t requests = 0;
  std::int64_t execution_ms = 0;
};

// One user's figures for GET /_emulator/stats.
struct UserFigures {
  std::int64_t requests = 0;  // data requests that reached the limiter (throttled ones included)
  std::int64_t throttled = 0; // of those, refused with 429
  std::int64_t in_flight = 0;
  Remaining remaining;
};

class Limiter {
public:
  explicit Limiter(LimitOptions limits) : limits_(limits) {}

  LimitOptions limits() const;

  void configure(const LimitOptions& limits);

  // Takes a concurrency slot and counts the request, or says why it is refused. `user` is the
  // caller's systemuserid: every application user has its own windows, slots and 429s.
  std::optional<Throttle> admit(const std::string& user, SteadyTime now);

  // Releases the slot taken by admit() and adds the request's execution time to the window.
  void finish(const std::string& user, SteadyTime now, std::int64_t execution_ms);

  Remaining remaining(const std::string& user, SteadyTime now);

  UserFigures figures(const std::string& user, SteadyTime now) const;

  std::int64_t max_in_flight_seen() const;

  std::int64_t in_flight() const;

  // Forgets the windows and the per-user counts (requests in flight keep their slots).
  void reset();

private:
  struct UserWindow {
    std::deque<SteadyTime> requests;
    std::deque<std::pair<SteadyTime, std::int64_t>> executions;
    std::int64_t execution_sum = 0;
    std::int64_t in_flight = 0;
    std::int64_t seen = 0;
    std::int64_t throttled = 0;
  };

  // Why the user's next request is refused, if it is: concurrency first (it errors immediately),
  // then the two limits measured over the window.
  std::optional<Throttle> check(UserWindow& window, SteadyTime now) const REQUIRES(mutex_);

  // What is left of the window at `now`, counting only what the window still holds (the window
  // need not be pruned).
  Remaining remaining_in(const UserWindow& window, SteadyTime now) const REQUIRES(mutex_);

  void prune(UserWindow& window, SteadyTime now) const REQUIRES(mutex_);

  static std::int64_t seconds_until(SteadyTime when, SteadyTime now);

  mutable leadsync::Mutex mutex_;
  LimitOptions limits_ GUARDED_BY(mutex_);
  std::map<std::string, UserWindow> users_ GUARDED_BY(mutex_);
  std::int64_t in_flight_total_ GUARDED_BY(mutex_) = 0;
  std::int64_t max_in_flight_seen_ GUARDED_BY(mutex_) = 0;
};

} // namespace dvemu::detail
