#pragma once
// Time as an injected dependency: production code asks a Clock; tests use ManualClock and never
// sleep.

#include "leadsync/core/mutex.hpp"

#include <chrono>

namespace leadsync {

class Clock {
public:
  using WallTime = std::chrono::system_clock::time_point;
  using SteadyTime = std::chrono::steady_clock::time_point;
  virtual ~Clock() = default;
  virtual WallTime now() const = 0; // calendar time, for records and logs
  virtual SteadyTime
  steady_now() const = 0; // monotonic, for durations, leases in memory and deadlines
};

class SystemClock final : public Clock {
public:
  WallTime now() const override { return std::chrono::system_clock::now(); }
  SteadyTime steady_now() const override { return std::chrono::steady_clock::now(); }
  static SystemClock& instance();
};

// A clock that moves only when told to. Thread-safe.
class ManualClock final : public Clock {
public:
  explicit ManualClock(WallTime start = WallTime{std::chrono::seconds{1'790'000'000}});
  WallTime now() const override;
  SteadyTime steady_now() const override;
  void advance(std::chrono::nanoseconds by);
  void set(WallTime to); // moves wall time only; steady time never goes backwards

private:
  mutable Mutex mutex_;
  WallTime wall_ GUARDED_BY(mutex_);
  SteadyTime steady_ GUARDED_BY(mutex_);
};

} // namespace leadsync
