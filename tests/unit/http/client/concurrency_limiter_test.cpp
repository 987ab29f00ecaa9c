#include "fakes.hpp"
#include "leadsync/http/policies.hpp"

#include <future>
#include <gtest/gtest.h>
#include <latch>
#include <thread>

namespace leadsync::http {
namespace {

using namespace std::chrono_literals;
using fakes::make_request;
using fakes::next_to;
using fakes::RecordingTransport;
using Outcome = ConcurrencyLimiter::Outcome;

// Upper bound for a wait that must end; reached only when the code under test is broken.
constexpr auto hang_guard = 10s;

void hold_and_release(ConcurrencyLimiter& limiter, Outcome outcome, int times = 1) {
  for (int i = 0; i < times; ++i) {
    ASSERT_TRUE(limiter.acquire({}));
    limiter.release(outcome);
  }
}

TEST(ConcurrencyLimiterTest, InitialLimitIsClampedToOneAndTheCeiling) {
  EXPECT_EQ(ConcurrencyLimiter(8).limit(), 8);
  EXPECT_EQ(ConcurrencyLimiter(100).limit(), 52);
  EXPECT_EQ(ConcurrencyLimiter(0).limit(), 1);
  EXPECT_EQ(ConcurrencyLimiter(10, 6).limit(), 6);
}

TEST(ConcurrencyLimiterTest, RefusesAZeroCeilingOrGrowthStep) {
  EXPECT_THROW(ConcurrencyLimiter(1, 0), std::invalid_argument);
  EXPECT_THROW(ConcurrencyLimiter(1, 52, 0), std::invalid_argument);
}

TEST(ConcurrencyLimiterTest, HintFromWhoAmISetsTheLimitWithinBounds) {
  ConcurrencyLimiter limiter(4);
  limiter.set_hint(12);
  EXPECT_EQ(limiter.limit(), 12);
  limiter.set_hint(500);
  EXPECT_EQ(limiter.limit(), 52);
  limiter.set_hint(0); // header absent: keep what we have
  EXPECT_EQ(limiter.limit(), 52);
  limiter.set_hint(-3);
  EXPECT_EQ(limiter.limit(), 52);
}

TEST(ConcurrencyLimiterTest, HalvesOn429DownToOne) {
  ConcurrencyLimiter limiter(20);
  hold_and_release(limiter, Outcome::throttled);
  EXPECT_EQ(limiter.limit(), 10);
  hold_and_release(limiter, Outcome::throttled);
  EXPECT_EQ(limiter.limit(), 5);
  hold_and_release(limiter, Outcome::throttled, 5);
  EXPECT_EQ(limiter.limit(), 1);
}

TEST(ConcurrencyLimiterTest, GrowsByOneAfterGrowAfterSuccessesInARow) {
  ConcurrencyLimiter limiter(4, 52, 3);
  hold_and_release(limiter, Outcome::success, 2);
  EXPECT_EQ(limiter.limit(), 4);
  hold_and_release(limiter, Outcome::success);
  EXPECT_EQ(limiter.limit(), 5);
  hold_and_release(limiter, Outcome::success, 6);
  EXPECT_EQ(limiter.limit(), 7);
}

TEST(ConcurrencyLimiterTest, FailuresBreakTheStreakWithoutShrinking) {
  ConcurrencyLimiter limiter(4, 52, 3);
  hold_and_release(limiter, Outcome::success, 2);
  hold_and_release(limiter, Outcome::failure);
  hold_and_release(limiter, Outcome::success, 2);
  EXPECT_EQ(limiter.limit(), 4);
  hold_and_release(limiter, Outcome::success);
  EXPECT_EQ(limiter.limit(), 5);
}

TEST(ConcurrencyLimiterTest, NeverGrowsAboveTheCeiling) {
  ConcurrencyLimiter limiter(52, 52, 1);
  hold_and_release(limiter, Outcome::success, 10);
  EXPECT_EQ(limiter.limit(), 52);
}

TEST(ConcurrencyLimiterTest, AcquireBlocksAtTheLimitAndWakesOnRelease) {
  ConcurrencyLimiter limiter(1);
  ASSERT_TRUE(limiter.acquire({}));
  std::latch started(1);
  auto second = std::async(std::launch::async, [&] {
    started.count_down();
    return limiter.acquire({});
  });
  started.wait();

  EXPECT_EQ(second.wait_for(0s), std::future_status::timeout) << "no slot is free yet";
  EXPECT_EQ(limiter.in_flight(), 1);
  limiter.release(Outcome::success);

  ASSERT_EQ(second.wait_for(hang_guard), std::future_status::ready);
  EXPECT_TRUE(second.get());
  EXPECT_EQ(limiter.in_flight(), 1);
  limiter.release(Outcome::success);
}

TEST(ConcurrencyLimiterTest, RaisingTheLimitWakesAWaiter) {
  ConcurrencyLimiter limiter(1);
  ASSERT_TRUE(limiter.acquire({}));
  auto second = std::async(std::launch::async, [&] { return limiter.acquire({}); });

  limiter.set_hint(2);

  ASSERT_EQ(second.wait_for(hang_guard), std::future_status::ready);
  EXPECT_TRUE(second.get());
  EXPECT_EQ(limiter.in_flight(), 2);
}

TEST(ConcurrencyLimiterTest, CancelWakesABlockedAcquire) {
  ConcurrencyLimiter limiter(1);
  ASSERT_TRUE(limiter.acquire({}));
  CancellationSource shutdown;
  std::latch started(1);
  auto waiter = std::async(std::launch::async, [&] {
    started.count_down();
    return limiter.acquire(shutdown.token());
  });
  started.wait();

  shutdown.cancel();

  ASSERT_EQ(waiter.wait_for(hang_guard), std::future_status::ready);
  EXPECT_FALSE(waiter.get());
  EXPECT_EQ(limiter.in_flight(), 1) << "the cancelled waiter took no slot";
}

TEST(ConcurrencyLimiterTest, AcquireWithACancelledTokenTakesNoSlot) {
  ConcurrencyLimiter limiter(4);
  CancellationSource shutdown;
  shutdown.cancel();
  EXPECT_FALSE(limiter.acquire(shutdown.token()));
  EXPECT_EQ(limiter.in_flight(), 0);
}

class ThrottlePolicyTest : public ::testing::Test {
protected:
  Result<Response> send() {
    auto request = make_request("GET", "https://crm.example.com/x");
    return policy.send(request, context, next_to(transport));
  }

  std::shared_ptr<ConcurrencyLimiter> limiter = std::make_shared<ConcurrencyLimiter>(8, 52, 2);
  ThrottlePolicy policy{limiter};
  RecordingTransport transport;
  CallContext context;
};

TEST_F(ThrottlePolicyTest, HoldsASlotWhileTheRequestIsInFlight) {
  int in_flight_during_send = -1;
  transport.on_send(
      [&](const Request&, const CallContext&) { in_flight_during_send = limiter->in_flight(); });
  transport.then_respond(200);

  ASSERT_TRUE(send().ok());

  EXPECT_EQ(in_flight_during_send, 1);
  EXPECT_EQ(limiter->in_flight(), 0);
}

TEST_F(ThrottlePolicyTest, A429HalvesTheLimit) {
  transport.then_respond(429);
  ASSERT_TRUE(send().ok());
  EXPECT_EQ(limiter->limit(), 4);
}

TEST_F(ThrottlePolicyTest, SuccessesGrowTheLimitButErrorsAndServerErrorsDoNot) {
  transport.then_respond(200).then_respond(503).then_respond(204);
  transport.then_fail(ErrorCategory::unavailable, "reset", true).then_respond(404);
  transport.then_respond(201);
  for (int i = 0; i < 6; ++i) {
    (void)send();
  }
  // success, failure, success, failure, success (404 answered), success: one streak of two.
  EXPECT_EQ(limiter->limit(), 9);
  EXPECT_EQ(limiter->in_flight(), 0);
}

TEST_F(ThrottlePolicyTest, CancelledWhileWaitingForASlotFailsWithoutSending) {
  auto full = std::make_shared<ConcurrencyLimiter>(1);
  ASSERT_TRUE(full->acquire({}));
  ThrottlePolicy blocked(full);
  CancellationSource shutdown;
  context.cancel = shutdown.token();
  shutdown.cancel();
  auto request = make_request("GET", "https://crm.example.com/x");

  const auto result = blocked.send(request, context, next_to(transport));

  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().category, ErrorCategory::cancelled);
  EXPECT_EQ(transport.call_count(), 0U);
  EXPECT_EQ(full->in_flight(), 1);
}

} // namespace
} // namespace leadsync::http
