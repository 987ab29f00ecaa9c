#include "leadsync/core/clock.hpp"

namespace leadsync {

SystemClock& SystemClock::instance() {
  static SystemClock clock;
  return clock;
}

ManualClock::ManualClock(WallTime start)
    : wall_(start), steady_(SteadyTime{std::chrono::hours{1}}) {}

Clock::WallTime ManualClock::now() const {
  MutexLock lock(mutex_);
  return wall_;
}

Clock::SteadyTime ManualClock::steady_now() const {
  MutexLock lock(mutex_);
  return steady_;
}

void ManualClock::advance(std::chrono::nanoseconds by) {
  MutexLock lock(mutex_);
  const auto step = std::chrono::duration_cast<WallTime::duration>(by);
  wall_ += step;
  steady_ += std::chrono::duration_cast<SteadyTime::duration>(by);
}

void ManualClock::set(WallTime to) {
  MutexLock lock(mutex_);
  wall_ = to;
}

} // namespace leadsync
