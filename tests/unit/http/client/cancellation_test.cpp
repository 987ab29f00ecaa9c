// The on_cancel registration that lets waits other than a sleep end at once on cancellation.

#include "leadsync/core/cancel.hpp"

#include <atomic>
#include <future>
#include <gtest/gtest.h>
#include <latch>

namespace leadsync {
namespace {

using namespace std::chrono_literals;

constexpr auto hang_guard = 10s;

TEST(CancellationRegistrationTest, CallbackRunsOnceWhenCancelled) {
  CancellationSource source;
  int calls = 0;
  const auto registration = source.token().on_cancel([&calls] { ++calls; });
  EXPECT_EQ(calls, 0);

  source.cancel();
  source.cancel();

  EXPECT_EQ(calls, 1);
}

TEST(CancellationRegistrationTest, CallbackRunsAtOnceOnAnAlreadyCancelledToken) {
  CancellationSource source;
  source.cancel();
  bool ran = false;
  const auto registration = source.token().on_cancel([&ran] { ran = true; });
  EXPECT_TRUE(ran);
}

TEST(CancellationRegistrationTest, DestroyedRegistrationIsNeverCalled) {
  CancellationSource source;
  bool ran = false;
  {
    const auto registration = source.token().on_cancel([&ran] { ran = true; });
  }
  source.cancel();
  EXPECT_FALSE(ran);
}

TEST(CancellationRegistrationTest, CallbackMayReadTheTokenItBelongsTo) {
  CancellationSource source;
  const auto token = source.token();
  bool seen_cancelled = false;
  const auto registration = token.on_cancel([&] { seen_cancelled = token.cancelled(); });
  source.cancel();
  EXPECT_TRUE(seen_cancelled);
}

TEST(CancellationRegistrationTest, TokenThatCannotBeCancelledRegistersNothing) {
  const CancellationToken never;
  bool ran = false;
  const auto registration = never.on_cancel([&ran] { ran = true; });
  EXPECT_FALSE(ran);
  EXPECT_FALSE(never.cancelled());
}

TEST(CancellationRegistrationTest, MovedRegistrationStaysRegisteredOnce) {
  CancellationSource source;
  int calls = 0;
  auto first = source.token().on_cancel([&calls] { ++calls; });
  CancellationRegistration second = std::move(first);
  first = CancellationRegistration{};
  source.cancel();
  EXPECT_EQ(calls, 1);
}

TEST(CancellationRegistrationTest, DestroyingARegistrationWaitsForItsRunningCallback) {
  CancellationSource source;
  std::latch callback_started(1);
  std::latch let_callback_finish(1);
  std::atomic<bool> callback_finished{false};
  auto registration = std::make_unique<CancellationRegistration>(source.token().on_cancel([&] {
    callback_started.count_down();
    let_callback_finish.wait();
    callback_finished = true;
  }));
  auto canceller = std::async(std::launch::async, [&] { source.cancel(); });
  callback_started.wait();

  auto destroyer = std::async(std::launch::async, [&] {
    registration.reset();
    return callback_finished.load();
  });
  EXPECT_EQ(destroyer.wait_for(0s), std::future_status::timeout);
  let_callback_finish.count_down();

  ASSERT_EQ(destroyer.wait_for(hang_guard), std::future_status::ready);
  EXPECT_TRUE(destroyer.get()) << "the destructor returned while its callback still ran";
  canceller.get();
}

TEST(CancellationTokenTest, WaitForEndsEarlyOnCancel) {
  CancellationSource source;
  auto waiter = std::async(std::launch::async, [token = source.token()] {
    return token.wait_for(std::chrono::hours{1});
  });
  source.cancel();
  ASSERT_EQ(waiter.wait_for(hang_guard), std::future_status::ready);
  EXPECT_FALSE(waiter.get());
}

} // namespace
} // namespace leadsync
