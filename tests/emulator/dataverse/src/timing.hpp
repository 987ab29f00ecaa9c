#pragma once
// The emulator's clock, which the admin endpoint moves forward, and the queue that holds answers
// back for the latency model.

#include "emulator_support.hpp"
#include "leadsync/core/mutex.hpp"

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <queue>
#include <thread>
#include <vector>

namespace dvemu::detail {

// The emulator's clock: system time plus an offset that POST /_emulator/clock moves forward, so
// tests can expire tokens and change-tracking tokens without waiting.
class OffsetClock final : public leadsync::Clock {
public:
  WallTime now() const override { return std::chrono::system_clock::now() + offset(); }
  SteadyTime steady_now() const override { return std::chrono::steady_clock::now() + offset(); }
  void advance(milliseconds by) { offset_ms_ += by.count(); }
  milliseconds offset() const { return milliseconds{offset_ms_.load()}; }

private:
  std::atomic<std::int64_t> offset_ms_{0};
};

// Runs tasks at given (real) times on one thread, so a delayed answer holds no server thread.
class DelayQueue {
public:
  DelayQueue() = default;
  DelayQueue(const DelayQueue&) = delete;
  DelayQueue& operator=(const DelayQueue&) = delete;
  ~DelayQueue() { stop(); }

  void start() {
    worker_ = std::thread([this] { run(); });
  }

  void run_at(std::chrono::steady_clock::time_point due, std::function<void()> task)
      EXCLUDES(mutex_) {
    {
      leadsync::MutexLock lock(mutex_);
      tasks_.push(Task{due, next_sequence_++, std::move(task)});
    }
    wake_.notify_one();
  }

  // Pending tasks are dropped: after the server stopped nobody can receive their answers.
  void stop() EXCLUDES(mutex_) {
    {
      leadsync::MutexLock lock(mutex_);
      stopping_ = true;
    }
    wake_.notify_one();
    if (worker_.joinable()) {
      worker_.join();
    }
    leadsync::MutexLock lock(mutex_);
    tasks_ = {};
  }

private:
  struct Task {
    std::chrono::steady_clock::time_point due;
    std::uint64_t sequence = 0;
    std::function<void()> run;
  };
  struct Later {
    bool operator()(const Task& a, const Task& b) const {
      return a.due != b.due ? a.due > b.due : a.sequence > b.sequence;
    }
  };

  void run() EXCLUDES(mutex_) {
    leadsync::UniqueLock lock(mutex_);
    while (!stopping_) {
      if (tasks_.empty()) {
        wake_.wait(lock);
        continue;
      }
      const auto due = tasks_.top().due;
      if (std::chrono::steady_clock::now() < due) {
        wake_.wait_until(lock, due);
        continue;
      }
      auto task = std::move(const_cast<Task&>(tasks_.top()).run);
      tasks_.pop();
      lock.unlock();
      task();
      lock.lock();
    }
  }

  leadsync::Mutex mutex_;
  leadsync::CondVar wake_;
  std::priority_queue<Task, std::vector<Task>, Later> tasks_ GUARDED_BY(mutex_);
  std::uint64_t next_sequence_ GUARDED_BY(mutex_) = 0;
  bool stopping_ GUARDED_BY(mutex_) = false;
  std::thread worker_;
};

} // namespace dvemu::detail
