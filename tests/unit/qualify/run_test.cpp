// The qualify run over a real store: what it writes, what it leaves alone, and that a second run
// at the same time changes nothing.

#include "leadsync/qualify/run.hpp"
#include "leadsync/store/open.hpp"
#include "leadsync_test_paths.hpp"

#include <gtest/gtest.h>

namespace leadsync::qualify {
namespace {

class QualifyRunTest : public ::testing::Test {
protected:
  void SetUp() override {
    auto opened = store::open_store("sqlite::memory:", {}, clock_);
    ASSERT_TRUE(opened.ok()) << opened.error().describe();
    store_ = std::move(*opened);
    auto rules = load_rules(std::string(LEADSYNC_SOURCE_DIR) + "/mappings/scoring.toml");
    ASSERT_TRUE(rules.ok()) << rules.error().describe();
    rules_ = std::move(*rules);
  }

  std::string add_lead(const std::string& email, const std::function<void(model::Lead&)>& edit) {
    model::Lead lead;
    lead.person.first_name = "Marco";
    lead.person.last_name = "Rossi";
    lead.person.job_title = "Chief Technology Officer";
    lead.person.emails = {email};
    lead.company.name = "Vetro";
    lead.company.employee_count = 800;
    lead.company.annual_revenue = 5e7;
    edit(lead);
    auto created = store_->create_lead(lead, {.enqueue = false});
    EXPECT_TRUE(created.ok());
    return created->identity.id;
  }

  QualifyOutcome run() {
    auto outcome = run_qualify(rules_, *store_, clock_, {});
    EXPECT_TRUE(outcome.ok()) << outcome.error().describe();
    return *outcome;
  }

  ManualClock clock_;
  std::unique_ptr<store::Store> store_;
  RuleSet rules_;
};

TEST_F(QualifyRunTest, ScoresAndDecidesThenASecondRunWritesNothingAndQueuesNothing) {
  const std::string competitor = add_lead("pat@competitor-crm.example", [](model::Lead&) {});
  const std::string plain = add_lead("marco@vetro.example", [](model::Lead&) {});

  const QualifyOutcome first = run();
  EXPECT_EQ(first.leads, 2);
  EXPECT_EQ(first.changed, 2);
  EXPECT_EQ(first.decisions.at("disqualify"), 1);
  const model::Lead closed = store_->get_lead(competitor).value();
  EXPECT_EQ(closed.qualification.outcome.kind, model::OutcomeKind::disqualify);
  EXPECT_EQ(closed.qualification.outcome.status_code, 7); // canceled
  EXPECT_EQ(closed.qualification.outcome.decided_by, "leadsync:rules");
  EXPECT_FALSE(closed.qualification.grade.empty());
  EXPECT_FALSE(closed.qualification.reasons.empty());
  EXPECT_EQ(closed.qualification.scored_at, clock_.now());
  const model::Lead open = store_->get_lead(plain).value();
  EXPECT_EQ(open.qualification.outcome.kind, model::OutcomeKind::none);
  EXPECT_NE(open.qualification.quality_code, 0);
  const auto queued = store_->pending_outbox(10).value().size();
  EXPECT_EQ(queued, 2U);

  clock_.advance(std::chrono::seconds(1));
  const QualifyOutcome second = run();
  EXPECT_EQ(second.changed, 0);
  EXPECT_EQ(second.unchanged, 2);
  EXPECT_EQ(store_->pending_outbox(10).value().size(), queued);
  EXPECT_EQ(store_->get_lead(competitor).value().identity.version, closed.identity.version);
}

TEST_F(QualifyRunTest, ADecisionAPersonMadeInTheCrmIsKeptAndWhatTheRulesWouldDoIsRecorded) {
  const std::string id = add_lead("pat@competitor-crm.example", [](model::Lead& lead) {
    lead.qualification.stage = model::LifecycleStage::qualified;
    lead.qualification.outcome.kind = model::OutcomeKind::qualify;
    lead.qualification.outcome.decided_by = "crm:Jane Seller";
    lead.qualification.outcome.pushed = true;
  });

  const QualifyOutcome outcome = run();

  EXPECT_EQ(outcome.kept_crm_decisions, 1);
  const model::Lead kept = store_->get_lead(id).value();
  EXPECT_EQ(kept.qualification.outcome.kind, model::OutcomeKind::qualify);
  EXPECT_EQ(kept.qualification.outcome.decided_by, "crm:Jane Seller");
  EXPECT_EQ(kept.qualification.stage, model::LifecycleStage::qualified);
  const auto& fired = kept.qualification.fired_rules;
  EXPECT_NE(std::find(fired.begin(), fired.end(), "would_have:disqualify:competitor"), fired.end());
}

TEST_F(QualifyRunTest, ADryRunWritesNothing) {
  add_lead("pat@competitor-crm.example", [](model::Lead&) {});
  auto outcome = run_qualify(rules_, *store_, clock_,
                             {.dry_run = true,
                              .reactivate_when_hot = false,
                              .cancel = {},
                              .on_progress = {},
                              .lead_ids = {},
                              .record_run = true});
  ASSERT_TRUE(outcome.ok());
  EXPECT_EQ(outcome->changed, 1);
  EXPECT_TRUE(store_->pending_outbox(10).value().empty());
  EXPECT_TRUE(store_->list_runs(10).value().empty());
}

TEST_F(QualifyRunTest, OnlyTheListedLeadsAreScoredAndNoRunIsRecordedWhenTheCallerRecordsIt) {
  const std::string listed = add_lead("pat@competitor-crm.example", [](model::Lead&) {});
  const std::string other = add_lead("marco@vetro.example", [](model::Lead&) {});
  auto outcome = run_qualify(rules_, *store_, clock_,
                             {.dry_run = false,
                              .reactivate_when_hot = false,
                              .cancel = {},
                              .on_progress = {},
                              .lead_ids = {listed, "01900000-0000-7000-8000-000000000000"},
                              .record_run = false});
  ASSERT_TRUE(outcome.ok()) << outcome.error().describe();
  EXPECT_EQ(outcome->leads, 1) << "an unknown id is skipped";
  EXPECT_EQ(outcome->changed, 1);
  EXPECT_TRUE(store_->get_lead(listed)->qualification.scored_at.has_value());
  EXPECT_FALSE(store_->get_lead(other)->qualification.scored_at.has_value());
  EXPECT_TRUE(store_->list_runs(10).value().empty());
}

} // namespace
} // namespace leadsync::qualify
