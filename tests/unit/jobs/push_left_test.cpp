// jobs::left_for_later: what a push left queued for a retry, counted in the store (issue 18: a push
// that leaves work queued exits 1 and says what remains).

#include "job_fixture.hpp"
#include "leadsync/jobs/push.hpp"

#include <chrono>
#include <gtest/gtest.h>
#include <string>

namespace leadsync::jobs {
namespace {

using namespace std::chrono_literals;

class LeftForLaterTest : public testing::JobTest {
protected:
  // A new lead with one upsert in the outbox; returns its id.
  std::string new_lead(const std::string& email) {
    model::Lead lead;
    lead.person.first_name = "Ann";
    lead.person.emails = {email};
    return store_->create_lead(lead).value().identity.id;
  }

  // Takes every claimable entry as a push worker and gives them back with `error`, due after
  // `backoff`, as the pusher does for a failure a retry may fix.
  void fail_all(const std::string& error, std::chrono::seconds backoff) {
    const auto claimed =
        store_->claim_outbox({.worker = "test:1:0", .max_entries = 100, .lease = 60s});
    ASSERT_TRUE(claimed.ok());
    for (const auto& entry : *claimed) {
      ASSERT_TRUE(
          store_->release_outbox(entry.seq, "test:1:0", error, clock_.now() + backoff).ok());
    }
  }
};

TEST_F(LeftForLaterTest, AnEmptyOutboxLeavesNothing) {
  const auto left = left_for_later(*store_, clock_.now()).value();
  EXPECT_FALSE(left.any());
  EXPECT_EQ(left.changes, 0);
  EXPECT_EQ(left.untried, 0);
  EXPECT_TRUE(left.complete);
}

TEST_F(LeftForLaterTest, ChangesNeverTriedAreUntriedNotLeftForARetry) {
  new_lead("a@example.com");
  new_lead("b@example.com");
  const auto left = left_for_later(*store_, clock_.now()).value();
  EXPECT_FALSE(left.any());
  EXPECT_EQ(left.untried, 2);
}

TEST_F(LeftForLaterTest, ThrottledChangesCountWithTheirLeadsReasonAndEarliestDueTime) {
  new_lead("a@example.com");
  new_lead("b@example.com");
  fail_all("throttled: too many requests (HTTP 429)", 300s);
  const auto due = clock_.now() + 300s;
  new_lead("c@example.com"); // written after the push: not tried

  const auto left = left_for_later(*store_, clock_.now()).value();

  EXPECT_TRUE(left.any());
  EXPECT_EQ(left.changes, 2);
  EXPECT_EQ(left.leads, 2);
  EXPECT_EQ(left.throttled, 2);
  EXPECT_EQ(left.untried, 1);
  ASSERT_TRUE(left.next_attempt.has_value());
  EXPECT_EQ(*left.next_attempt, due);
  EXPECT_EQ(left.last_error, "throttled: too many requests (HTTP 429)");
}

TEST_F(LeftForLaterTest, ALaterChangeOfAWaitingLeadWaitsWithIt) {
  const auto id = new_lead("a@example.com");
  fail_all("unavailable: 503 Service Unavailable (HTTP 503)", 60s);
  auto lead = store_->get_lead(id).value();
  lead.person.job_title = "CTO";
  ASSERT_TRUE(store_->update_lead(lead).ok());

  const auto left = left_for_later(*store_, clock_.now()).value();

  EXPECT_EQ(left.changes, 2);
  EXPECT_EQ(left.leads, 1);
  EXPECT_EQ(left.throttled, 0) << "a 503 is not throttling";
  EXPECT_EQ(left.untried, 0);
}

TEST_F(LeftForLaterTest, ChangesAnotherLivePushHoldsAreNotCounted) {
  new_lead("a@example.com");
  ASSERT_EQ(store_->claim_outbox({.worker = "other:2:0", .max_entries = 10, .lease = 60s})->size(),
            1U);
  const auto left = left_for_later(*store_, clock_.now()).value();
  EXPECT_FALSE(left.any());
  EXPECT_EQ(left.untried, 0);
}

TEST_F(LeftForLaterTest, AnOutboxLongerThanTheScanIsMarkedIncomplete) {
  new_lead("a@example.com");
  new_lead("b@example.com");
  fail_all("throttled (HTTP 429)", 60s);
  const auto left = left_for_later(*store_, clock_.now(), 1).value();
  EXPECT_FALSE(left.complete);
  EXPECT_EQ(left.changes, 1);
}

} // namespace
} // namespace leadsync::jobs
