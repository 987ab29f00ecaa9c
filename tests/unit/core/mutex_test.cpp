#include "leadsync/core/mutex.hpp"

#include <chrono>
#include <future>
#include <gtest/gtest.h>
#include <thread>

namespace leadsync {
namespace {

// try_lock from another thread: std::mutex may not be try-locked by the thread that holds it.
bool lockable_from_another_thread(Mutex& mutex) {
  return std::async(std::launch::async,
                    [&mutex] {
                      if (!mutex.try_lock()) {
                        return false;
                      }
                      mutex.unlock();
                      return true;
                    })
      .get();
}

bool shared_lockable_from_another_thread(SharedMutex& mutex) {
  return std::async(std::launch::async,
                    [&mutex] {
                      if (!mutex.try_lock_shared()) {
                        return false;
                      }
                      mutex.unlock_shared();
                      return true;
                    })
      .get();
}

bool exclusively_lockable_from_another_thread(SharedMutex& mutex) {
  return std::async(std::launch::async,
                    [&mutex] {
                      if (!mutex.try_lock()) {
                        return false;
                      }
                      mutex.unlock();
                      return true;
                    })
      .get();
}

TEST(Mutex, TryLockSucceedsOnAFreeMutexAndFailsOnAHeldOne) {
  Mutex mutex;
  if (!mutex.try_lock()) {
    FAIL() << "try_lock refused a free mutex";
  }
  EXPECT_FALSE(lockable_from_another_thread(mutex));
  mutex.unlock();
  EXPECT_TRUE(lockable_from_another_thread(mutex));
}

TEST(Mutex, MutexLockHoldsTheMutexForItsScopeOnly) {
  Mutex mutex;
  {
    MutexLock lock(mutex);
    EXPECT_FALSE(lockable_from_another_thread(mutex));
  }
  EXPECT_TRUE(lockable_from_another_thread(mutex));
}

TEST(Mutex, UniqueLockCanReleaseAndRetakeTheMutex) {
  Mutex mutex;
  UniqueLock lock(mutex);
  EXPECT_FALSE(lockable_from_another_thread(mutex));
  lock.unlock();
  EXPECT_TRUE(lockable_from_another_thread(mutex));
  lock.lock();
  EXPECT_FALSE(lockable_from_another_thread(mutex));
}

TEST(Mutex, UniqueLockReleasesOnDestructionAfterAnUnlock) {
  Mutex mutex;
  {
    UniqueLock lock(mutex);
    lock.unlock();
  }
  EXPECT_TRUE(lockable_from_another_thread(mutex));
}

class Mailbox {
public:
  void post(int value) EXCLUDES(mutex_) {
    {
      MutexLock lock(mutex_);
      value_ = value;
    }
    arrived_.notify_all();
  }

  int take() EXCLUDES(mutex_) {
    UniqueLock lock(mutex_);
    arrived_.wait(lock, [&] {
      mutex_.assert_held();
      return value_ != 0;
    });
    return value_;
  }

  bool take_within(std::chrono::milliseconds timeout) EXCLUDES(mutex_) {
    UniqueLock lock(mutex_);
    return arrived_.wait_for(lock, timeout, [&] {
      mutex_.assert_held();
      return value_ != 0;
    });
  }

  bool take_until(std::chrono::steady_clock::time_point deadline) EXCLUDES(mutex_) {
    UniqueLock lock(mutex_);
    while (value_ == 0) {
      if (arrived_.wait_until(lock, deadline) == std::cv_status::timeout) {
        return value_ != 0;
      }
    }
    return true;
  }

private:
  Mutex mutex_;
  CondVar arrived_;
  int value_ GUARDED_BY(mutex_) = 0;
};

TEST(CondVar, AWaiterWakesWithTheValueAnotherThreadPosted) {
  Mailbox mailbox;
  auto taken = std::async(std::launch::async, [&mailbox] { return mailbox.take(); });
  std::this_thread::sleep_for(std::chrono::milliseconds{20}); // usually parks the waiter first
  mailbox.post(42);
  EXPECT_EQ(taken.get(), 42);
}

TEST(CondVar, AWaitWithATimeoutReportsWhetherTheConditionBecameTrue) {
  Mailbox mailbox;
  EXPECT_FALSE(mailbox.take_within(std::chrono::milliseconds{1}));
  EXPECT_FALSE(mailbox.take_until(std::chrono::steady_clock::now() + std::chrono::milliseconds{1}));
  auto taken = std::async(std::launch::async,
                          [&mailbox] { return mailbox.take_within(std::chrono::minutes{1}); });
  mailbox.post(7);
  EXPECT_TRUE(taken.get());
  EXPECT_TRUE(mailbox.take_until(std::chrono::steady_clock::now()));
}

TEST(SharedMutex, ReadersShareTheMutexAndKeepWritersOut) {
  SharedMutex mutex;
  {
    ReaderLock lock(mutex);
    EXPECT_TRUE(shared_lockable_from_another_thread(mutex));
    EXPECT_FALSE(exclusively_lockable_from_another_thread(mutex));
  }
  EXPECT_TRUE(exclusively_lockable_from_another_thread(mutex));
}

TEST(SharedMutex, AWriterKeepsReadersAndWritersOut) {
  SharedMutex mutex;
  {
    WriterLock lock(mutex);
    EXPECT_FALSE(shared_lockable_from_another_thread(mutex));
    EXPECT_FALSE(exclusively_lockable_from_another_thread(mutex));
  }
  EXPECT_TRUE(shared_lockable_from_another_thread(mutex));
}

} // namespace
} // namespace leadsync
