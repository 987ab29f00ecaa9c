#pragma once
// Mutexes the thread-safety analysis can see (core/thread_annotations.hpp). Same behaviour and cost
// as std::mutex, std::lock_guard, std::unique_lock, std::shared_mutex and std::condition_variable;
// only the annotations are new.
//
//   leadsync::Mutex mutex_;
//   int count_ GUARDED_BY(mutex_) = 0;
//   void bump() EXCLUDES(mutex_) { leadsync::MutexLock lock(mutex_); ++count_; }
//
// Waiting on a condition: hold a UniqueLock and wait on a CondVar. The analysis checks a lambda as
// a function of its own, which knows nothing about the lock its caller holds, so a predicate
// reading guarded members starts with `mutex_.assert_held()` (free at run time):
//
//   leadsync::UniqueLock lock(mutex_);
//   changed_.wait(lock, [&] {
//     mutex_.assert_held();
//     return count_ > 0;
//   });

#include "leadsync/core/thread_annotations.hpp"

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <shared_mutex>

namespace leadsync {

class CAPABILITY("mutex") Mutex {
public:
  Mutex() = default;
  Mutex(const Mutex&) = delete;
  Mutex& operator=(const Mutex&) = delete;

  void lock() ACQUIRE() { mutex_.lock(); }
  void unlock() RELEASE() { mutex_.unlock(); }
  bool try_lock() TRY_ACQUIRE(true) { return mutex_.try_lock(); }

  // Tells the analysis that the calling thread holds this mutex (inside condition predicates and
  // callbacks run under the lock). Not checked at run time: std::mutex cannot tell its owner.
  void assert_held() const ASSERT_CAPABILITY(this) {}

private:
  friend class UniqueLock;
  std::mutex mutex_;
};

// Holds a Mutex for its scope (std::lock_guard).
class SCOPED_CAPABILITY MutexLock {
public:
  explicit MutexLock(Mutex& mutex) ACQUIRE(mutex) : mutex_(mutex) { mutex_.lock(); }
  ~MutexLock() RELEASE() { mutex_.unlock(); }
  MutexLock(const MutexLock&) = delete;
  MutexLock& operator=(const MutexLock&) = delete;

private:
  Mutex& mutex_;
};

// Holds a Mutex for its scope, may release and retake it, and is what CondVar waits with
// (std::unique_lock).
class SCOPED_CAPABILITY UniqueLock {
public:
  explicit UniqueLock(Mutex& mutex) ACQUIRE(mutex) : lock_(mutex.mutex_) {}
  ~UniqueLock() RELEASE() {}
  UniqueLock(const UniqueLock&) = delete;
  UniqueLock& operator=(const UniqueLock&) = delete;

  void lock() ACQUIRE() { lock_.lock(); }
  void unlock() RELEASE() { lock_.unlock(); }

private:
  friend class CondVar;
  std::unique_lock<std::mutex> lock_;
};

// std::condition_variable over a UniqueLock. The lock is held again whenever a wait returns, so to
// the analysis it stays held throughout.
class CondVar {
public:
  void notify_one() noexcept { changed_.notify_one(); }
  void notify_all() noexcept { changed_.notify_all(); }

  void wait(UniqueLock& lock) { changed_.wait(lock.lock_); }
  template <typename Predicate> void wait(UniqueLock& lock, Predicate ready) {
    changed_.wait(lock.lock_, std::move(ready));
  }

  template <typename Clock, typename Duration>
  std::cv_status wait_until(UniqueLock& lock,
                            const std::chrono::time_point<Clock, Duration>& deadline) {
    return changed_.wait_until(lock.lock_, deadline);
  }
  template <typename Clock, typename Duration, typename Predicate>
  bool wait_until(UniqueLock& lock, const std::chrono::time_point<Clock, Duration>& deadline,
                  Predicate ready) {
    return changed_.wait_until(lock.lock_, deadline, std::move(ready));
  }

  template <typename Rep, typename Period>
  std::cv_status wait_for(UniqueLock& lock, const std::chrono::duration<Rep, Period>& timeout) {
    return changed_.wait_for(lock.lock_, timeout);
  }
  template <typename Rep, typename Period, typename Predicate>
  bool wait_for(UniqueLock& lock, const std::chrono::duration<Rep, Period>& timeout,
                Predicate ready) {
    return changed_.wait_for(lock.lock_, timeout, std::move(ready));
  }

private:
  std::condition_variable changed_;
};

// A readers-writer mutex (std::shared_mutex).
class CAPABILITY("shared mutex") SharedMutex {
public:
  SharedMutex() = default;
  SharedMutex(const SharedMutex&) = delete;
  SharedMutex& operator=(const SharedMutex&) = delete;

  void lock() ACQUIRE() { mutex_.lock(); }
  void unlock() RELEASE() { mutex_.unlock(); }
  bool try_lock() TRY_ACQUIRE(true) { return mutex_.try_lock(); }
  void lock_shared() ACQUIRE_SHARED() { mutex_.lock_shared(); }
  void unlock_shared() RELEASE_SHARED() { mutex_.unlock_shared(); }
  bool try_lock_shared() TRY_ACQUIRE_SHARED(true) { return mutex_.try_lock_shared(); }

  void assert_held() const ASSERT_CAPABILITY(this) {}
  void assert_reader_held() const ASSERT_SHARED_CAPABILITY(this) {}

private:
  std::shared_mutex mutex_;
};

// Holds a SharedMutex exclusively for its scope (std::unique_lock<std::shared_mutex>).
class SCOPED_CAPABILITY WriterLock {
public:
  explicit WriterLock(SharedMutex& mutex) ACQUIRE(mutex) : mutex_(mutex) { mutex_.lock(); }
  ~WriterLock() RELEASE() { mutex_.unlock(); }
  WriterLock(const WriterLock&) = delete;
  WriterLock& operator=(const WriterLock&) = delete;

private:
  SharedMutex& mutex_;
};

// Holds a SharedMutex shared for its scope (std::shared_lock).
class SCOPED_CAPABILITY ReaderLock {
public:
  explicit ReaderLock(SharedMutex& mutex) ACQUIRE_SHARED(mutex) : mutex_(mutex) {
    mutex_.lock_shared();
  }
  ~ReaderLock() RELEASE() { mutex_.unlock_shared(); }
  ReaderLock(const ReaderLock&) = delete;
  ReaderLock& operator=(const ReaderLock&) = delete;

private:
  SharedMutex& mutex_;
};

} // namespace leadsync
