// Push against a fake CRM: coalescing, bisecting a refused bulk batch, outcome ordering, transient
// failures and the three modes.

#include "push_fixture.hpp"

#include <algorithm>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace leadsync::sync {
namespace {

using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;

using PushTest = testing::PushFixture;

TEST_F(PushTest, SeveralChangesOfOneLeadAreSentAsOneWriteOfItsLatestState) {
  auto lead = create("Lovelace");
  lead.person.job_title = "Analyst";
  lead = store_->update_lead(lead).value();
  lead.person.job_title = "Chief Analyst";
  lead = store_->update_lead(lead).value();
  ASSERT_EQ(pending(), 3);

  const auto report = push();

  EXPECT_EQ(report.claimed, 3);
  EXPECT_EQ(report.upserted, 1);
  EXPECT_EQ(report.coalesced, 2);
  EXPECT_EQ(crm_.writes_per_id[lead.identity.id], 1);
  EXPECT_EQ(crm_.rows[lead.identity.id]["jobtitle"], "Chief Analyst");
  EXPECT_EQ(pending(), 0);
}

TEST_F(PushTest, RefusedBulkBatchIsBisectedUntilTheBadLeadIsAloneInTheDeadLetters) {
  std::vector<model::Lead> leads;
  for (int index = 0; index < 8; ++index) {
    leads.push_back(create("Lead" + std::to_string(index)));
  }
  crm_.poisoned.insert(leads[5].identity.id);

  PushSettings settings;
  settings.batch_size = 8;
  const auto report = push(settings);

  EXPECT_EQ(report.upserted, 7);
  EXPECT_EQ(report.dead_lettered, 1);
  EXPECT_EQ(crm_.rows.size(), 7u);
  EXPECT_FALSE(crm_.rows.contains(leads[5].identity.id));
  // Depth first: 0-7 refused, 0-3 fine, 4-7 refused, 4-5 refused, 4 fine, 5 refused, 6-7 fine.
  EXPECT_THAT(crm_.calls, ElementsAre("upsert_multiple:8", "upsert_multiple:4", "upsert_multiple:4",
                                      "upsert_multiple:2", "upsert_multiple:1", "upsert_multiple:1",
                                      "upsert_multiple:2"));
  const auto letters = store_->list_dead_letters(10).value();
  ASSERT_EQ(letters.size(), 1u);
  EXPECT_EQ(letters[0].lead_id, leads[5].identity.id);
  EXPECT_EQ(letters[0].service_code, "0x80044331");
  EXPECT_EQ(letters[0].http_status, 400);
  EXPECT_THAT(letters[0].message, HasSubstr("lastname"));
  EXPECT_EQ(pending(), 0);
}

TEST_F(PushTest, LaterChangesOfADeadLetteredLeadAreCoveredByItsDeadLetter) {
  auto lead = create("Refused");
  lead.person.job_title = "Changed";
  lead = store_->update_lead(lead).value();
  crm_.poisoned.insert(lead.identity.id);

  const auto report = push();

  EXPECT_EQ(report.dead_lettered, 1);
  EXPECT_EQ(report.coalesced, 1);
  EXPECT_EQ(store_->list_dead_letters(10)->size(), 1u);
  EXPECT_EQ(pending(), 0);
}

TEST_F(PushTest, QualifyOutcomeIsSentAfterTheLeadWithItsFlagsAndMarkedPushed) {
  auto lead = create("Hopper");
  lead.qualification.outcome.kind = model::OutcomeKind::qualify;
  lead.qualification.outcome.status_code = 3;
  lead.qualification.outcome.decided_by = "leadsync:rules";
  lead = store_->update_lead(lead).value();

  const auto report = push();

  EXPECT_EQ(report.qualified, 1);
  const std::string crm_id = crm_.rows[lead.identity.id]["leadid"];
  EXPECT_THAT(crm_.calls,
              ElementsAre("upsert_multiple:1", "rows_by_key:1", "qualify:" + crm_id + ":3"));
  const auto stored = store_->get_lead(lead.identity.id).value();
  EXPECT_TRUE(stored.qualification.outcome.pushed);
  EXPECT_EQ(stored.identity.crm_id, crm_id);
  EXPECT_EQ(stored.identity.crm_version, "7");
  EXPECT_EQ(pending(), 0);

  // Recording the CRM id and the pushed mark queued nothing: a second push sends nothing.
  crm_.calls.clear();
  EXPECT_EQ(push().claimed, 0);
  EXPECT_TRUE(crm_.calls.empty());
}

// A lead in the CRM whose row the CRM closed (qualified): a closed lead is read-only, so every
// write of it is refused.
class ClosedLeadPushTest : public PushTest {
protected:
  model::Lead pushed_lead() {
    const auto created = create("Hopper");
    push();
    crm_id_ = crm_.rows[created.identity.id]["leadid"];
    return store_->get_lead(created.identity.id).value();
  }
  void decide_qualify(model::Lead& lead, bool sent) {
    lead.qualification.outcome.kind = model::OutcomeKind::qualify;
    lead.qualification.outcome.status_code = 3;
    lead.qualification.outcome.pushed = sent;
    if (sent) {
      lead.qualification.outcome.pushed_at = clock_.now();
    }
    lead = store_->update_lead(lead, {.enqueue = !sent}).value();
  }
  void edit(model::Lead& lead) {
    lead.person.last_name = "Hopper-Smith";
    lead = store_->update_lead(lead).value();
  }
  void close_in_crm(const model::Lead& lead) {
    crm_.poisoned.insert(lead.identity.id);
    crm_.state_codes[crm_id_] = 1;
  }

  std::string crm_id_;
};

// A push killed after QualifyLead succeeded but before the pushed mark was saved: the CRM row is
// closed, so it refuses the lead's next write. That is the outcome already sent, not a dead letter.
TEST_F(ClosedLeadPushTest, AWriteRefusedBecauseTheLeadIsAlreadyClosedAsDecidedMarksTheOutcomeSent) {
  auto lead = pushed_lead();
  decide_qualify(lead, /*sent=*/false);
  close_in_crm(lead);
  crm_.calls.clear();

  const auto report = push();

  EXPECT_EQ(report.dead_lettered, 0);
  EXPECT_EQ(report.qualified, 1);
  EXPECT_THAT(crm_.calls, Contains("merge_state:" + crm_id_));
  EXPECT_THAT(crm_.calls, Not(Contains("qualify:" + crm_id_ + ":3")));
  EXPECT_TRUE(store_->get_lead(lead.identity.id)->qualification.outcome.pushed);
  EXPECT_EQ(pending(), 0);
}

// Killed after the outcome's pushed mark was saved but before the entries were completed: the
// entry older than the mark was written with the outcome; its refused rewrite completes it.
TEST_F(ClosedLeadPushTest, AnEntryOlderThanTheSentOutcomeIsCompletedWhenTheClosedLeadRefusesIt) {
  auto lead = pushed_lead();
  edit(lead); // the entry the killed push had not completed
  clock_.advance(std::chrono::seconds{1});
  decide_qualify(lead, /*sent=*/true);
  close_in_crm(lead);

  const auto report = push();

  EXPECT_EQ(report.dead_lettered, 0);
  EXPECT_EQ(pending(), 0);
}

TEST_F(ClosedLeadPushTest, AChangeMadeAfterTheOutcomeWasSentToAClosedLeadIsADeadLetter) {
  auto lead = pushed_lead();
  decide_qualify(lead, /*sent=*/true);
  clock_.advance(std::chrono::seconds{1});
  edit(lead); // edited after the lead was qualified
  close_in_crm(lead);

  EXPECT_EQ(push().dead_lettered, 1);
}

TEST_F(ClosedLeadPushTest, AWriteRefusedWhileTheCrmRowIsStillOpenIsADeadLetter) {
  auto lead = pushed_lead();
  decide_qualify(lead, /*sent=*/false);
  crm_.poisoned.insert(lead.identity.id); // refused, but the row is open

  const auto report = push();

  EXPECT_EQ(report.dead_lettered, 1);
  EXPECT_EQ(report.qualified, 0);
  EXPECT_FALSE(store_->get_lead(lead.identity.id)->qualification.outcome.pushed);
}

TEST_F(PushTest, DisqualifyOutcomeUsesItsStatusCode) {
  auto lead = create("Turing");
  lead.identity.crm_id = "00000000-0000-4000-8000-0000000000aa";
  lead.qualification.outcome.kind = model::OutcomeKind::disqualify;
  lead.qualification.outcome.status_code = 6;
  lead = store_->update_lead(lead).value();

  const auto report = push();

  EXPECT_EQ(report.disqualified, 1);
  ASSERT_EQ(crm_.calls.size(), 2u);
  EXPECT_EQ(crm_.calls[1], "disqualify:00000000-0000-4000-8000-0000000000aa:6");
  // Addressed by leadid: our id is written as an ordinary column.
  EXPECT_EQ(crm_.rows[lead.identity.id]["leadsync_externalid"], lead.identity.id);
  EXPECT_EQ(crm_.rows[lead.identity.id]["leadid"], "00000000-0000-4000-8000-0000000000aa");
}

// A lead as `leadsync qualify` leaves it: scores, grade, reasons and when.
model::Lead scored(model::Lead lead, double total, std::string grade) {
  lead.qualification.scores.total = total;
  lead.qualification.grade = std::move(grade);
  lead.qualification.quality_code = 1;
  lead.qualification.reason_text = "82 (A): pricing page x3, director";
  lead.qualification.scored_at =
      model::TimePoint{std::chrono::sys_days{std::chrono::year{2026} / 3 / 14}} +
      std::chrono::hours{9} + std::chrono::minutes{26} + std::chrono::milliseconds{535};
  return lead;
}

TEST_F(PushTest, PredictiveScoreIsWrittenAfterTheLeadWhenTheSettingAsks) {
  auto lead = scored(create("Scored"), 81.6, "A");
  lead = store_->update_lead(lead).value();
  PushSettings settings;
  settings.write_predictive_score = true;

  const auto report = push(settings);

  EXPECT_EQ(report.upserted, 1);
  EXPECT_EQ(report.predictive_scores, 1);
  EXPECT_EQ(report.counts().at("predictive_scores"), 1);
  const std::string crm_id = crm_.rows[lead.identity.id]["leadid"];
  // UpsertMultiple returns no ids: the lead's leadid is read first, then its score row written.
  EXPECT_THAT(crm_.calls, ElementsAre("upsert_multiple:1", "rows_by_key:1",
                                      "predictive_score:" + crm_id + ":82"));
  const auto& score = crm_.predictive_scores.at(crm_id);
  EXPECT_EQ(score.score, 82);
  EXPECT_EQ(score.grade, 0);
  EXPECT_EQ(score.trend, 1);
  EXPECT_EQ(score.reasons, "82 (A): pricing page x3, director");
  EXPECT_EQ(score.scored_on, "2026-03-14T09:26:00Z");
  EXPECT_EQ(pending(), 0);
}

TEST_F(PushTest, PredictiveScoreIsNotWrittenWithoutTheSettingOrForAnUnscoredLead) {
  auto lead = scored(create("Off"), 40, "C");
  lead = store_->update_lead(lead).value();
  create("Unscored");

  push();
  EXPECT_TRUE(crm_.predictive_scores.empty());

  auto again = store_->get_lead(lead.identity.id).value();
  again.person.job_title = "Engineer";
  store_->update_lead(again).value();
  create("Unscored2");
  PushSettings settings;
  settings.write_predictive_score = true;
  const auto report = push(settings);
  EXPECT_EQ(report.upserted, 2);
  EXPECT_EQ(report.predictive_scores, 1); // only the scored lead
  ASSERT_EQ(crm_.predictive_scores.size(), 1u);
  EXPECT_EQ(crm_.predictive_scores.begin()->second.grade, 2);
}

TEST_F(PushTest, PredictiveScoreMapsEachGradeAndClampsTheScore) {
  model::Lead lead;
  EXPECT_FALSE(predictive_score(lead).has_value()); // never scored
  lead = scored(lead, 140, "D");
  ASSERT_TRUE(predictive_score(lead).has_value());
  EXPECT_EQ(predictive_score(lead)->score, 100);
  EXPECT_EQ(predictive_score(lead)->grade, 3);
  lead.qualification.grade = "B";
  lead.qualification.scores.total = -3;
  EXPECT_EQ(predictive_score(lead)->grade, 1);
  EXPECT_EQ(predictive_score(lead)->score, 0);
  lead.qualification.grade = "E";
  EXPECT_FALSE(predictive_score(lead).has_value());
}

TEST_F(PushTest, RefusedPredictiveScoreIsAWarningAndTheLeadStaysWritten) {
  auto lead = scored(create("NoTable"), 55, "B");
  lead.identity.crm_id = "00000000-0000-4000-8000-0000000000bb";
  lead = store_->update_lead(lead).value();
  Error refusal = Error::make(ErrorCategory::not_found,
                              "Resource not found for the segment 'msdyn_predictivescores'.");
  refusal.http_status = 404;
  crm_.score_refusal = refusal;
  PushSettings settings;
  settings.write_predictive_score = true;

  const auto report = push(settings);

  EXPECT_EQ(report.upserted, 1);
  EXPECT_EQ(report.predictive_scores, 0);
  EXPECT_EQ(report.dead_lettered, 0);
  ASSERT_EQ(report.warnings.size(), 1u);
  EXPECT_THAT(report.warnings[0], HasSubstr("predictive score"));
  EXPECT_EQ(pending(), 0);
}

TEST_F(PushTest, TransientPredictiveScoreFailureRetriesTheLeadLater) {
  auto lead = scored(create("Busy"), 70, "B");
  lead.identity.crm_id = "00000000-0000-4000-8000-0000000000cc";
  lead = store_->update_lead(lead).value();
  crm_.score_refusal = Error::make(ErrorCategory::throttled, "Number of requests exceeded", true);
  PushSettings settings;
  settings.write_predictive_score = true;

  // Released for a later attempt, not dead-lettered.
  const auto first = push(settings);
  EXPECT_GE(first.retried_later, 1);
  EXPECT_EQ(first.dead_lettered, 0);
  EXPECT_GE(pending(), 1);

  crm_.score_refusal.reset();
  clock_.advance(std::chrono::minutes(2));
  const auto later = push(settings);
  EXPECT_EQ(later.predictive_scores, 1);
  EXPECT_EQ(crm_.predictive_scores.at("00000000-0000-4000-8000-0000000000cc").score, 70);
  EXPECT_EQ(pending(), 0);
}

TEST_F(PushTest, DryRunShowsThePredictiveScoreRequest) {
  auto lead = scored(create("DryScore"), 30, "D");
  store_->update_lead(lead).value();
  PushSettings settings;
  settings.write_predictive_score = true;
  Pusher pusher(*store_, crm_, mapping_, crm_, clock_, settings);

  const auto requests = pusher.dry_run(10);

  ASSERT_TRUE(requests.ok()) << requests.error().describe();
  // The lead's two entries (created, then scored) each show its score row; bulk comes last.
  ASSERT_EQ(requests->size(), 3u);
  EXPECT_THAT(requests->at(0), HasSubstr("msdyn_predictivescores(msdyn_entityid="));
  EXPECT_THAT(requests->at(0), HasSubstr("\"msdyn_grade\":3"));
  EXPECT_THAT(requests->at(2), HasSubstr("UpsertMultiple"));
  EXPECT_TRUE(crm_.calls.empty());
}

TEST_F(PushTest, TransientFailureReleasesTheEntriesWithABackoffInsteadOfDeadLettering) {
  create("Hamilton");
  create("Johnson");
  crm_.transient = Error::make(ErrorCategory::unavailable, "503 Service Unavailable", true);

  const auto report = push();

  EXPECT_EQ(report.retried_later, 2);
  EXPECT_EQ(report.dead_lettered, 0);
  EXPECT_EQ(pending(), 2);
  // Not claimable before the backoff has passed.
  crm_.transient.reset();
  EXPECT_EQ(push().claimed, 0);
  clock_.advance(std::chrono::minutes(2));
  const auto later = push();
  EXPECT_EQ(later.upserted, 2);
  EXPECT_EQ(pending(), 0);
}

TEST_F(PushTest, BatchModeDeadLettersOnlyTheRefusedItem) {
  const auto good = create("Noether");
  const auto bad = create("Germain");
  crm_.poisoned.insert(bad.identity.id);
  PushSettings settings;
  settings.mode = PushMode::batch;

  const auto report = push(settings);

  EXPECT_EQ(report.upserted, 1);
  EXPECT_EQ(report.dead_lettered, 1);
  EXPECT_THAT(crm_.calls, ElementsAre("upsert_batch:2"));
  // The $batch answer carries the row id, recorded on the lead.
  EXPECT_EQ(store_->get_lead(good.identity.id)->identity.crm_id,
            crm_.rows[good.identity.id]["leadid"]);
}

TEST_F(PushTest, SingleModeSendsOneRequestPerLeadByAlternateKey) {
  const auto lead = create("Curie");
  PushSettings settings;
  settings.mode = PushMode::single;

  const auto report = push(settings);

  EXPECT_EQ(report.upserted, 1);
  EXPECT_THAT(crm_.calls,
              ElementsAre("upsert:leads(leadsync_externalid='" + lead.identity.id + "')"));
}

TEST_F(PushTest, LimitStopsAfterThatManyEntries) {
  for (int index = 0; index < 5; ++index) {
    create("Limit" + std::to_string(index));
  }
  PushSettings settings;
  settings.limit = 3;
  settings.batch_size = 2;

  EXPECT_EQ(push(settings).claimed, 3);
  EXPECT_EQ(pending(), 2);
}

TEST_F(PushTest, DryRunPrintsTheRequestsAndLeavesTheOutboxAlone) {
  const auto lead = create("Dry");
  Pusher pusher(*store_, crm_, mapping_, crm_, clock_, {});

  const auto requests = pusher.dry_run(10);

  ASSERT_TRUE(requests.ok()) << requests.error().describe();
  ASSERT_EQ(requests->size(), 1u);
  EXPECT_THAT(requests->front(), HasSubstr("POST leads/Microsoft.Dynamics.CRM.UpsertMultiple"));
  EXPECT_THAT(requests->front(), HasSubstr(lead.identity.id));
  EXPECT_TRUE(crm_.calls.empty());
  EXPECT_EQ(pending(), 1);
}

TEST_F(PushTest, TwiceAsManyWorkersAsRequestSlotsStillWriteEveryLeadOnce) {
  std::vector<std::string> ids;
  for (int index = 0; index < 40; ++index) {
    ids.push_back(create("Parallel" + std::to_string(index)).identity.id);
  }
  PushSettings settings;
  settings.batch_size = 3;
  settings.workers = push_workers(4);

  const auto report = push(settings);

  EXPECT_EQ(report.claimed, 40);
  EXPECT_EQ(report.upserted, 40);
  for (const auto& id : ids) {
    EXPECT_EQ(crm_.writes_per_id[id], 1) << id;
  }
  EXPECT_EQ(pending(), 0);
}

TEST(PushWorkersTest, TwoWorkersPerRequestSlotAndAtLeastOneSlot) {
  EXPECT_EQ(push_workers(4), 8);
  EXPECT_EQ(push_workers(1), 2);
  EXPECT_EQ(push_workers(0), 2) << "no slot known: one slot's workers";
  EXPECT_EQ(push_workers(-3), 2);
}

} // namespace
} // namespace leadsync::sync
