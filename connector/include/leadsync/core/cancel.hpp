#pragma once
// Cancellation that travels with each call, and waits that a cancellation interrupts at once, so
// shutdown is prompt. Sleeper is the injected way to wait: production waits on the token, tests
// record the wait and advance a ManualClock instead of sleeping.

#include "leadsync/core/mutex.hpp"

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <thread>

namespace leadsync {

class CancellationRegistration;

class CancellationToken {
public:
  CancellationToken() = default; // never cancelled
  bool cancelled() const;
  // Waits up to `duration`; returns false as soon as the token is cancelled, true when the time
  // passed.
  bool wait_for(std::chrono::nanoseconds duration) const;
  // Runs `callback` once when the token is cancelled: at once on this thread if it already is, else
  // on the thread that cancels. Lets a wait on another condition (a free slot, a network reply) end
  // at once on cancellation. The callback must not throw. Nothing is registered on a token that can
  // never be cancelled.
  [[nodiscard]] CancellationRegistration on_cancel(std::function<void()> callback) const;

private:
  friend class CancellationSource;
  friend class CancellationRegistration;
  struct State {
    Mutex mutex;
    CondVar changed;
    bool cancelled GUARDED_BY(mutex) = false;
    std::map<std::uint64_t, std::function<void()>> callbacks GUARDED_BY(mutex);
    std::uint64_t next_callback_id GUARDED_BY(mutex) = 1;
    // The callback cancel() is running now, 0 when none.
    std::uint64_t running_callback_id GUARDED_BY(mutex) = 0;
    std::thread::id cancelling_thread GUARDED_BY(mutex);
  };
  explicit CancellationToken(std::shared_ptr<State> state) : state_(std::move(state)) {}
  std::shared_ptr<State> state_;
};

// Keeps an on_cancel callback registered. Destroying it unregisters the callback; if the callback
// is running on another thread at that moment, the destructor waits for it to finish, so whatever
// the callback refers to may be destroyed right after.
class CancellationRegistration {
public:
  CancellationRegistration() = default;
  CancellationRegistration(CancellationRegistration&& other) noexcept;
  CancellationRegistration& operator=(CancellationRegistration&& other) noexcept;
  CancellationRegistration(const CancellationRegistration&) = delete;
  CancellationRegistration& operator=(const CancellationRegistration&) = delete;
  ~CancellationRegistration();

private:
  friend class CancellationToken;
  CancellationRegistration(std::shared_ptr<CancellationToken::State> state, std::uint64_t id)
      : state_(std::move(state)), id_(id) {}
  void unregister() noexcept;
  std::shared_ptr<CancellationToken::State> state_;
  std::uint64_t id_ = 0;
};

class CancellationSource {
public:
  CancellationSource();
  CancellationToken token() const { return CancellationToken(state_); }
  void cancel(); // wakes every waiter and runs every on_cancel callback; idempotent
  bool cancelled() const;

private:
  std::shared_ptr<CancellationToken::State> state_;
};

class Sleeper {
public:
  virtual ~Sleeper() = default;
  // Returns false when cancelled before the duration passed.
  virtual bool sleep_for(std::chrono::nanoseconds duration, const CancellationToken& cancel) = 0;
};

class RealSleeper final : public Sleeper {
public:
  bool sleep_for(std::chrono::nanoseconds duration, const CancellationToken& cancel) override {
    return cancel.wait_for(duration);
  }
  static RealSleeper& instance();
};

} // namespace leadsync
