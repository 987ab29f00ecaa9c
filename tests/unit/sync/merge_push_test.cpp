// Push of a hand merge (`leadsync leads merge A B`): the tombstone B with merged_into = A and its
// merge outbox entry become Dataverse's Merge action, never an upsert or a delete of B.

#include "push_fixture.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace leadsync::sync {
namespace {

using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

class MergePushTest : public testing::PushFixture {
protected:
  // Pushes the lead and records the CRM id the fake gave it, as the next pull would.
  model::Lead in_crm(const std::string& last_name) {
    auto lead = create(last_name);
    push();
    lead = store_->get_lead(lead.identity.id).value();
    lead.identity.crm_id = crm_.rows[lead.identity.id]["leadid"].get<std::string>();
    return store_->update_lead(lead, {.enqueue = false}).value();
  }

  // What `leads merge` writes: the subordinate becomes a tombstone merged into the target with a
  // merge entry, the target gains its data with an upsert entry, in one batch.
  void merge_by_hand(const std::string& target_id, const std::string& subordinate_id) {
    auto target = store_->get_lead(target_id).value();
    auto subordinate = store_->get_lead(subordinate_id).value();
    target.person.job_title = "Merged from " + subordinate.person.last_name;
    subordinate.deleted = true;
    subordinate.merged_into = target_id;
    std::vector<store::LeadWrite> writes;
    writes.push_back({store::WriteKind::update,
                      subordinate,
                      {.enqueue = true, .operation = store::OutboxOperation::merge}});
    writes.push_back({store::WriteKind::update, target, {}});
    auto written = store_->write_batch(std::move(writes), std::nullopt);
    ASSERT_TRUE(written.ok()) << written.error().describe();
  }

  std::string crm_id(const model::Lead& lead) {
    return crm_.rows[lead.identity.id]["leadid"].get<std::string>();
  }
};

TEST_F(MergePushTest, MergeOfTwoLeadsInTheCrmIsSentAsTheMergeActionAfterTheTargetsUpsert) {
  const auto target = in_crm("Target");
  const auto subordinate = in_crm("Subordinate");
  merge_by_hand(target.identity.id, subordinate.identity.id);
  crm_.calls.clear();

  const auto report = push();

  EXPECT_EQ(report.merged, 1);
  EXPECT_EQ(report.removed, 0);
  EXPECT_EQ(report.dead_lettered, 0);
  EXPECT_THAT(crm_.calls, ElementsAre("upsert_multiple:1", "merge:" + target.identity.crm_id +
                                                               "<-" + subordinate.identity.crm_id));
  EXPECT_EQ(crm_.rows[target.identity.id]["jobtitle"], "Merged from Subordinate");
  EXPECT_EQ(crm_.writes_per_id[subordinate.identity.id], 1) << "the tombstone is never upserted";
  EXPECT_EQ(crm_.masters[subordinate.identity.crm_id], target.identity.crm_id);
  EXPECT_EQ(pending(), 0);
}

TEST_F(MergePushTest, EarlierChangesOfTheMergedLeadAreCoveredAndNeverUpsertedOrDeleted) {
  const auto target = in_crm("Target");
  auto subordinate = in_crm("Subordinate");
  subordinate.person.job_title = "Changed before the merge";
  subordinate = store_->update_lead(subordinate).value();
  merge_by_hand(target.identity.id, subordinate.identity.id);
  crm_.calls.clear();

  const auto report = push();

  EXPECT_EQ(report.merged, 1);
  EXPECT_EQ(report.coalesced, 1);
  EXPECT_EQ(crm_.writes_per_id[subordinate.identity.id], 1);
  EXPECT_THAT(crm_.calls, Not(Contains(StartsWith("remove:"))));
  EXPECT_EQ(pending(), 0);
}

TEST_F(MergePushTest, SubordinateTheCrmNeverReceivedNeedsNothingThere) {
  const auto target = in_crm("Target");
  const auto subordinate = create("Never pushed");
  merge_by_hand(target.identity.id, subordinate.identity.id);
  crm_.calls.clear();

  const auto report = push();

  EXPECT_EQ(report.merged, 0);
  EXPECT_EQ(report.dead_lettered, 0);
  EXPECT_THAT(crm_.calls, ElementsAre("upsert_multiple:1", "rows_by_key:1"));
  EXPECT_FALSE(crm_.rows.contains(subordinate.identity.id));
  EXPECT_EQ(pending(), 0);
}

TEST_F(MergePushTest, LeadsWithoutARecordedCrmIdAreFoundByTheirKey) {
  // Pushed in bulk mode and not pulled since: in the CRM, but no leadid recorded here.
  const auto target = create("Target");
  const auto subordinate = create("Subordinate");
  push();
  merge_by_hand(target.identity.id, subordinate.identity.id);
  crm_.calls.clear();

  const auto report = push();

  EXPECT_EQ(report.merged, 1);
  EXPECT_THAT(crm_.calls, ElementsAre("upsert_multiple:1", "rows_by_key:2",
                                      "merge:" + crm_id(target) + "<-" + crm_id(subordinate)));
  EXPECT_EQ(pending(), 0);
}

TEST_F(MergePushTest, MergeWaitsWithoutFailingUntilTheTargetReachesTheCrm) {
  const auto subordinate = in_crm("Subordinate");
  const auto target = create("Target");
  merge_by_hand(target.identity.id, subordinate.identity.id);
  crm_.calls.clear();
  crm_.transient = Error::make(ErrorCategory::unavailable, "503 Service Unavailable", true);

  const auto first = push();

  EXPECT_EQ(first.merges_waiting, 1);
  EXPECT_EQ(first.merged, 0);
  EXPECT_EQ(first.dead_lettered, 0);
  EXPECT_EQ(first.retried_later, 1) << "only the target's upsert failed";
  EXPECT_THAT(crm_.calls, Not(Contains(StartsWith("merge:"))));
  EXPECT_EQ(pending(), 3) << "the target's two upserts and the merge";

  crm_.transient.reset();
  crm_.calls.clear();
  clock_.advance(std::chrono::minutes(2));
  const auto second = push();

  EXPECT_EQ(second.merged, 1);
  EXPECT_EQ(second.merges_waiting, 0);
  EXPECT_THAT(crm_.calls,
              ElementsAre("upsert_multiple:1", "rows_by_key:1",
                          "merge:" + crm_id(target) + "<-" + subordinate.identity.crm_id));
  EXPECT_TRUE(store_->list_dead_letters(10)->empty());
  EXPECT_EQ(pending(), 0);
}

TEST_F(MergePushTest, MergeTheCrmAlreadyDidBeforeACrashCountsAsDone) {
  const auto target = in_crm("Target");
  const auto subordinate = in_crm("Subordinate");
  merge_by_hand(target.identity.id, subordinate.identity.id);
  // Sent before a crash that kept the entry from being completed.
  crm_.masters[subordinate.identity.crm_id] = target.identity.crm_id;
  crm_.calls.clear();

  const auto report = push();

  EXPECT_EQ(report.merged, 1);
  EXPECT_EQ(report.dead_lettered, 0);
  EXPECT_THAT(crm_.calls, Contains("merge_state:" + subordinate.identity.crm_id));
  EXPECT_EQ(pending(), 0);
}

TEST_F(MergePushTest, SubordinateMergedIntoAnotherLeadInTheCrmGoesToTheDeadLetters) {
  const auto target = in_crm("Target");
  const auto subordinate = in_crm("Subordinate");
  merge_by_hand(target.identity.id, subordinate.identity.id);
  crm_.masters[subordinate.identity.crm_id] = "00000000-0000-4000-8000-0000000000ff";

  const auto report = push();

  EXPECT_EQ(report.merged, 0);
  EXPECT_EQ(report.dead_lettered, 1);
  const auto letters = store_->list_dead_letters(10).value();
  ASSERT_EQ(letters.size(), 1u);
  EXPECT_EQ(letters[0].lead_id, subordinate.identity.id);
  EXPECT_EQ(letters[0].operation, store::OutboxOperation::merge);
  EXPECT_EQ(letters[0].http_status, 400);
  EXPECT_THAT(letters[0].message, HasSubstr("already merged"));
}

TEST_F(MergePushTest, TransientMergeFailureIsRetriedLaterAndARefusalIsDeadLettered) {
  const auto target = in_crm("Target");
  const auto first = in_crm("First");
  const auto second = in_crm("Second");
  merge_by_hand(target.identity.id, first.identity.id);
  Error throttled = Error::make(ErrorCategory::throttled, "Number of requests exceeded", true);
  throttled.http_status = 429;
  crm_.merge_refusal_once = throttled;

  const auto report = push();

  EXPECT_EQ(report.retried_later, 1);
  EXPECT_EQ(report.dead_lettered, 0);
  EXPECT_EQ(pending(), 1);

  merge_by_hand(target.identity.id, second.identity.id);
  Error closed = Error::make(ErrorCategory::validation, "The target lead is closed (statecode 1)");
  closed.http_status = 400;
  crm_.merge_refusal_once = closed;
  clock_.advance(std::chrono::minutes(2));
  const auto later = push();

  // One of the two merges is refused for good, the other goes through.
  EXPECT_EQ(later.merged, 1);
  EXPECT_EQ(later.dead_lettered, 1);
  EXPECT_EQ(pending(), 0);
}

TEST_F(MergePushTest, SubordinateGoneFromTheCrmNeedsNoMerge) {
  const auto target = in_crm("Target");
  const auto subordinate = in_crm("Subordinate");
  merge_by_hand(target.identity.id, subordinate.identity.id);
  crm_.gone_leadids.insert(subordinate.identity.crm_id);

  const auto report = push();

  EXPECT_EQ(report.merged, 0);
  EXPECT_EQ(report.dead_lettered, 0);
  EXPECT_EQ(pending(), 0);
}

TEST_F(MergePushTest, TargetMergedFurtherIsFollowedToTheLeadThatIsLeft) {
  const auto last = in_crm("Last");
  const auto middle = in_crm("Middle");
  const auto first = in_crm("First");
  merge_by_hand(middle.identity.id, first.identity.id);
  merge_by_hand(last.identity.id, middle.identity.id);
  crm_.calls.clear();

  const auto report = push();

  EXPECT_EQ(report.merged, 2);
  EXPECT_THAT(crm_.calls, Contains("merge:" + last.identity.crm_id + "<-" + first.identity.crm_id));
  EXPECT_THAT(crm_.calls,
              Contains("merge:" + last.identity.crm_id + "<-" + middle.identity.crm_id));
  EXPECT_EQ(pending(), 0);
}

TEST_F(MergePushTest, TargetDeletedSinceLeavesADeadLetterThatSaysWhatToDo) {
  const auto target = in_crm("Target");
  const auto subordinate = in_crm("Subordinate");
  merge_by_hand(target.identity.id, subordinate.identity.id);
  ASSERT_TRUE(store_->tombstone_lead(target.identity.id, {.enqueue = false}).ok());
  crm_.calls.clear();

  const auto report = push();

  EXPECT_EQ(report.dead_lettered, 1);
  EXPECT_THAT(crm_.calls, Not(Contains(StartsWith("merge:"))));
  const auto letters = store_->list_dead_letters(10).value();
  ASSERT_EQ(letters.size(), 1u);
  EXPECT_THAT(letters[0].message, HasSubstr("deleted since"));
  EXPECT_THAT(letters[0].message, HasSubstr("dlq drop"));
}

TEST_F(MergePushTest, DryRunShowsTheMergeAndNoDeleteOfTheTombstone) {
  const auto target = in_crm("Target");
  const auto subordinate = in_crm("Subordinate");
  merge_by_hand(target.identity.id, subordinate.identity.id);
  Pusher pusher(*store_, crm_, mapping_, crm_, clock_, {});

  const auto requests = pusher.dry_run(10);

  ASSERT_TRUE(requests.ok()) << requests.error().describe();
  std::string text;
  for (const auto& request : *requests) {
    text += request + "\n";
  }
  EXPECT_THAT(text, HasSubstr("POST Merge"));
  EXPECT_THAT(text, Not(HasSubstr("DELETE")));
}

TEST(OutboxOperationTest, MergeHasATextFormTheStoreReadsBack) {
  EXPECT_EQ(store::to_string(store::OutboxOperation::merge), "merge");
}

} // namespace
} // namespace leadsync::sync
