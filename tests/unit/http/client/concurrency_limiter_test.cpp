#include "leadsync/http/policies.hpp"
#include "support/recording_transport.hpp"

#include <algorithm>
#include <future>
#include <gtest/gtest.h>
#include <latch>
#include <thread>
#include <vector>

namespace leadsync::http {
namespace {

using namespace std::chrono_literals;
using test::make_request;
using test::next_to;
using test::RecordingTransport;
using Outcome = ConcurrencyLimiter::Outcome;

// Upper bound for a wait that must end; reached only when the code under test is broken.
constexpr auto hang_guard = 10s;

// Sends `times` requests one after the other, each ending with `outcome`.
void hold_and_release(ConcurrencyLimiter& limiter, Outcome outcome, int times = 1) {
  for (int i = 0; i < times; ++i) {
    const auto slot = limiter.acquire({});
    ASSERT_TRUE(slot);
    limiter.release(*slot, outcome);
  }
}

// Takes `count` slots at once, as requests in flight together; the limit must allow them.
std::vector<ConcurrencyLimiter::Slot> take_slots(ConcurrencyLimiter& limiter, int count) {
  std::vector<ConcurrencyLimiter::Slot> slots;
  for (int i = 0; i < count; ++i) {
    EXPECT_LT(limiter.in_flight(), limiter.limit()) << "acquire would block";
    slots.push_back(limiter.acquire({}).value());
  }
  return slots;
}

TEST(ConcurrencyLimiterTest, InitialLimitIsClampedToOneAndTheCeiling) {
  EXPECT_EQ(ConcurrencyLimiter(8).limit(), 8);
  EXPECT_EQ(ConcurrencyLimiter(100).limit(), 52);
  EXPECT_EQ(ConcurrencyLimiter(0).limit(), 1);
  EXPECT_EQ(ConcurrencyLimiter(10, 6).limit(), 6);
}

TEST(ConcurrencyLimiterTest, RefusesAZeroCeiling) {
  EXPECT_THROW(ConcurrencyLimiter(1, 0), std::invalid_argument);
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

TEST(ConcurrencyLimiterTest, HalvesOnEach429OfRequestsSentOneAfterTheOtherDownToOne) {
  ConcurrencyLimiter limiter(20);
  hold_and_release(limiter, Outcome::throttled);
  EXPECT_EQ(limiter.limit(), 10);
  hold_and_release(limiter, Outcome::throttled);
  EXPECT_EQ(limiter.limit(), 5);
  hold_and_release(limiter, Outcome::throttled, 5);
  EXPECT_EQ(limiter.limit(), 1);
}

TEST(ConcurrencyLimiterTest, RequestsInFlightTogetherThatAllGet429CutTheLimitOnce) {
  ConcurrencyLimiter limiter(4);
  for (const auto slot : take_slots(limiter, 4)) {
    limiter.release(slot, Outcome::throttled);
  }
  EXPECT_EQ(limiter.limit(), 2);
  EXPECT_EQ(limiter.in_flight(), 0);
}

TEST(ConcurrencyLimiterTest, A429ForARequestSentAfterTheCutCutsAgain) {
  ConcurrencyLimiter limiter(4);
  auto before_cut = take_slots(limiter, 4);
  limiter.release(before_cut[0], Outcome::throttled);
  limiter.release(before_cut[1], Outcome::throttled);
  limiter.release(before_cut[2], Outcome::throttled);
  ASSERT_EQ(limiter.limit(), 2);
  const auto after_cut = take_slots(limiter, 1).front(); // two in flight: one old, one new

  limiter.release(before_cut[3], Outcome::throttled);
  EXPECT_EQ(limiter.limit(), 2) << "the old request belongs to the episode already answered";
  limiter.release(after_cut, Outcome::throttled);
  EXPECT_EQ(limiter.limit(), 1) << "sent at the cut limit and still throttled";
}

TEST(ConcurrencyLimiterTest, RecoversByOneSlotPerRoundOfLimitSuccesses) {
  ConcurrencyLimiter limiter(4);
  hold_and_release(limiter, Outcome::throttled);
  ASSERT_EQ(limiter.limit(), 2);
  hold_and_release(limiter, Outcome::success);
  EXPECT_EQ(limiter.limit(), 2);
  hold_and_release(limiter, Outcome::success);
  EXPECT_EQ(limiter.limit(), 3) << "a round at limit 2 is two successes";
  hold_and_release(limiter, Outcome::success, 2);
  EXPECT_EQ(limiter.limit(), 3);
  hold_and_release(limiter, Outcome::success);
  EXPECT_EQ(limiter.limit(), 4) << "a round at limit 3 is three successes";
}

TEST(ConcurrencyLimiterTest, ALate429FromTheCutEpisodeRestartsTheRoundWithoutCutting) {
  ConcurrencyLimiter limiter(4);
  auto before_cut = take_slots(limiter, 2);
  limiter.release(before_cut[0], Outcome::throttled);
  ASSERT_EQ(limiter.limit(), 2);
  hold_and_release(limiter, Outcome::success);

  limiter.release(before_cut[1], Outcome::throttled);
  hold_and_release(limiter, Outcome::success);

  EXPECT_EQ(limiter.limit(), 2) << "still being throttled: no growth on a broken round";
  hold_and_release(limiter, Outcome::success);
  EXPECT_EQ(limiter.limit(), 3);
}

TEST(ConcurrencyLimiterTest, FailuresBreakTheRoundWithoutShrinking) {
  ConcurrencyLimiter limiter(4);
  hold_and_release(limiter, Outcome::success, 3);
  hold_and_release(limiter, Outcome::failure);
  hold_and_release(limiter, Outcome::success, 3);
  EXPECT_EQ(limiter.limit(), 4);
  hold_and_release(limiter, Outcome::success);
  EXPECT_EQ(limiter.limit(), 5);
}

TEST(ConcurrencyLimiterTest, GrowsBackToTheServersDopHintButNotPastIt) {
  ConcurrencyLimiter limiter(1, 52);
  limiter.set_hint(4);
  hold_and_release(limiter, Outcome::throttled);
  ASSERT_EQ(limiter.limit(), 2);
  hold_and_release(limiter, Outcome::success, 2 + 3);
  ASSERT_EQ(limiter.limit(), 4) << "two rounds: 2 -> 3 -> 4";
  hold_and_release(limiter, Outcome::success, 40);
  EXPECT_EQ(limiter.limit(), 4) << "the hint is the most Microsoft recommends";
}

TEST(ConcurrencyLimiterTest, NeverGrowsAboveTheCeiling) {
  ConcurrencyLimiter limiter(2, 3);
  hold_and_release(limiter, Outcome::success, 2);
  ASSERT_EQ(limiter.limit(), 3);
  hold_and_release(limiter, Outcome::success, 12);
  EXPECT_EQ(limiter.limit(), 3);
}

TEST(ConcurrencyLimiterTest, AcquireBlocksAtTheLimitAndWakesOnRelease) {
  ConcurrencyLimiter limiter(1);
  const auto first = limiter.acquire({});
  ASSERT_TRUE(first);
  std::latch started(1);
  auto second = std::async(std::launch::async, [&] {
    started.count_down();
    return limiter.acquire({});
  });
  started.wait();

  EXPECT_EQ(second.wait_for(0s), std::future_status::timeout) << "no slot is free yet";
  EXPECT_EQ(limiter.in_flight(), 1);
  limiter.release(*first, Outcome::success);

  ASSERT_EQ(second.wait_for(hang_guard), std::future_status::ready);
  const auto second_slot = second.get();
  ASSERT_TRUE(second_slot);
  EXPECT_EQ(limiter.in_flight(), 1);
  limiter.release(*second_slot, Outcome::success);
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

  std::shared_ptr<ConcurrencyLimiter> limiter = std::make_shared<ConcurrencyLimiter>(2);
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
  EXPECT_EQ(limiter->limit(), 1);
}

// Each request is sent from inside the previous one's transport call, so four are in flight at
// once and all answer 429 before any returns.
TEST_F(ThrottlePolicyTest, FourRequestsThrottledTogetherHalveTheLimitOnce) {
  limiter->set_hint(4);
  int sent = 0;
  int most_in_flight = 0;
  transport.on_send([&](const Request&, const CallContext&) {
    most_in_flight = std::max(most_in_flight, limiter->in_flight());
    if (++sent < 4) {
      EXPECT_EQ(send()->status, 429);
    }
  });
  transport.then_respond(429).then_respond(429).then_respond(429).then_respond(429);

  EXPECT_EQ(send()->status, 429);

  EXPECT_EQ(most_in_flight, 4);
  EXPECT_EQ(limiter->limit(), 2);
  EXPECT_EQ(limiter->in_flight(), 0);
}

TEST_F(ThrottlePolicyTest, SuccessesGrowTheLimitButErrorsAndServerErrorsDoNot) {
  transport.then_respond(200).then_respond(503).then_respond(204);
  transport.then_fail(ErrorCategory::unavailable, "reset", true).then_respond(404);
  transport.then_respond(201);
  for (int i = 0; i < 5; ++i) {
    (void)send();
  }
  // success, failure, success, failure, success (404 answered): no round of two in a row.
  EXPECT_EQ(limiter->limit(), 2);
  (void)send();
  EXPECT_EQ(limiter->limit(), 3);
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
