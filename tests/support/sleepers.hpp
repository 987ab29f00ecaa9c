#pragma once
// Sleepers that never sleep: they move a ManualClock by the wait instead, so code that waits (retry
// back-off, rate limits, schedules) runs at once in tests.

#include "leadsync/core/cancel.hpp"
#include "leadsync/core/clock.hpp"

#include <chrono>
#include <functional>
#include <mutex>
#include <vector>

namespace leadsync::test {

// Advances the clock by each wait and adds it to `slept`; a cancelled token ends the wait at once.
class ClockSleeper final : public Sleeper {
public:
  explicit ClockSleeper(ManualClock& clock) : clock_(clock) {}
  bool sleep_for(std::chrono::nanoseconds duration, const CancellationToken& cancel) override {
    if (cancel.cancelled()) {
      return false;
    }
    slept += duration;
    clock_.advance(duration);
    return true;
  }
  std::chrono::nanoseconds slept{0};

private:
  ManualClock& clock_;
};

// Records each wait and advances the clock by it instead of sleeping. A hook can act during the
// wait (cancel the call, for instance); a cancelled token ends the wait as a real Sleeper would.
// Thread-safe: requests on several threads may wait at once.
class RecordingSleeper final : public Sleeper {
public:
  explicit RecordingSleeper(ManualClock& clock) : clock_(clock) {}

  void during_wait(std::function<void()> hook) {
    std::lock_guard lock(mutex_);
    hook_ = std::move(hook);
  }

  bool sleep_for(std::chrono::nanoseconds duration, const CancellationToken& cancel) override {
    std::function<void()> hook;
    {
      std::lock_guard lock(mutex_);
      waits_.push_back(std::chrono::duration_cast<std::chrono::milliseconds>(duration));
      hook = hook_;
    }
    if (hook) {
      hook();
    }
    if (cancel.cancelled()) {
      return false;
    }
    clock_.advance(duration);
    return true;
  }

  std::vector<std::chrono::milliseconds> waits() const {
    std::lock_guard lock(mutex_);
    return waits_;
  }

private:
  ManualClock& clock_;
  mutable std::mutex mutex_;
  std::function<void()> hook_;
  std::vector<std::chrono::milliseconds> waits_;
};

} // namespace leadsync::test
