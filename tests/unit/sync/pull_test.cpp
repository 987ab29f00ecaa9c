// Pull against a fake CRM: checkpoints, leads created in the CRM, CRM outcomes, deletions and an
// expired delta token.

#include "fake_crm.hpp"
#include "leadsync/store/open.hpp"
#include "leadsync/sync/pull.hpp"
#include "leadsync_test_paths.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace leadsync::sync {
namespace {

using ::testing::ElementsAre;

constexpr const char* crm_lead_id = "11111111-2222-4333-8444-555555555555";

class PullTest : public ::testing::Test {
protected:
  void SetUp() override {
    store_ = store::open_store("sqlite::memory:", ".", clock_).value();
    mapping_ =
        mapping::load_lead_mapping(LEADSYNC_SOURCE_DIR "/mappings/lead.toml", "leadsync_").value();
  }

  Result<PullReport> pull(bool full = false, const CancellationToken& cancel = {}) {
    Puller puller(*store_, crm_, mapping_, crm_, {full, "leadsync_externalid", {}});
    return puller.run(cancel);
  }

  static Json crm_row(const std::string& external_id, const std::string& last_name, int state = 0,
                      int status = 1) {
    Json row = {{"leadid", crm_lead_id},
                {"versionnumber", 42},
                {"lastname", last_name},
                {"firstname", "Grace"},
                {"statecode", state},
                {"statuscode", status},
                {"modifiedon", "2026-11-22T20:00:00Z"},
                {"_modifiedby_value", "7c1a3f2e-5b8d-4e61-9a0c-2d4f6b8e1a03"}};
    row["leadsync_externalid"] = external_id.empty() ? Json(nullptr) : Json(external_id);
    return row;
  }

  ManualClock clock_;
  std::unique_ptr<store::Store> store_;
  mapping::LeadMapping mapping_;
  testing::FakeCrm crm_;
};

TEST_F(PullTest, LeadCreatedInTheCrmBecomesANewLeadQueuedToReceiveOurId) {
  crm_.change_batches.push_back({{crm_row("", "Hopper")}, {}, "delta-1"});

  const auto report = pull();

  ASSERT_TRUE(report.ok()) << report.error().describe();
  EXPECT_EQ(report->created, 1);
  EXPECT_TRUE(report->full_read);
  const auto leads = store_->find_by_crm_id(crm_lead_id).value();
  ASSERT_EQ(leads.size(), 1u);
  EXPECT_EQ(leads[0].person.last_name, "Hopper");
  EXPECT_TRUE(leads[0].is_new);
  EXPECT_FALSE(leads[0].identity.id.empty());
  EXPECT_EQ(store_->stats()->outbox_pending, 1); // push writes our id into the row
  EXPECT_EQ(store_->get_checkpoint(leads_delta_checkpoint).value(), "delta-1");
}

TEST_F(PullTest, LaterRunReadsFromTheSavedDeltaLink) {
  crm_.change_batches.push_back({{}, {}, "delta-1"});
  crm_.change_batches.push_back({{}, {}, "delta-2"});
  ASSERT_TRUE(pull().ok());
  const auto second = pull();
  ASSERT_TRUE(second.ok());
  EXPECT_FALSE(second->full_read);
  EXPECT_THAT(crm_.delta_links_asked, ElementsAre("", "delta-1"));
  EXPECT_EQ(store_->get_checkpoint(leads_delta_checkpoint).value(), "delta-2");
}

TEST_F(PullTest, QualificationInTheCrmIsRecordedAsOutcomeWithoutQueueingAPush) {
  model::Lead lead;
  lead.person.last_name = "Lamarr";
  lead = store_->create_lead(lead, {.enqueue = false}).value();
  crm_.change_batches.push_back({{crm_row(lead.identity.id, "Lamarr", 1, 3)}, {}, "delta-1"});

  const auto report = pull();

  ASSERT_TRUE(report.ok()) << report.error().describe();
  EXPECT_EQ(report->updated, 1);
  EXPECT_EQ(report->outcomes, 1);
  const auto stored = store_->get_lead(lead.identity.id).value();
  EXPECT_EQ(stored.identity.crm_id, crm_lead_id);
  EXPECT_EQ(stored.qualification.stage, model::LifecycleStage::qualified);
  EXPECT_EQ(stored.qualification.outcome.kind, model::OutcomeKind::qualify);
  EXPECT_EQ(stored.qualification.outcome.status_code, 3);
  EXPECT_EQ(store_->stats()->outbox_pending, 0);
}

TEST_F(PullTest, DeletedRowBecomesATombstone) {
  model::Lead lead;
  lead.person.last_name = "Gone";
  lead.identity.crm_id = crm_lead_id;
  lead = store_->create_lead(lead, {.enqueue = false}).value();
  crm_.change_batches.push_back({{}, {{crm_lead_id, "deleted"}}, "delta-1"});

  const auto report = pull();

  ASSERT_TRUE(report.ok());
  EXPECT_EQ(report->tombstoned, 1);
  EXPECT_TRUE(store_->get_lead(lead.identity.id)->deleted);
}

TEST_F(PullTest, ExpiredDeltaTokenLeadsToAFullRead) {
  ASSERT_TRUE(store_->put_checkpoint(leads_delta_checkpoint, "old-delta").ok());
  Error expired = Error::make(ErrorCategory::invalid_argument,
                              "Version stamp associated with the client has expired. Please "
                              "perform a full sync.");
  expired.http_status = 400;
  expired.service_code = "0x80044352";
  ASSERT_TRUE(dataverse::DataverseClient::is_expired_delta_token(expired));
  crm_.track_error_once = expired;
  crm_.change_batches.push_back({{crm_row("", "Again")}, {}, "delta-new"});

  const auto report = pull();

  ASSERT_TRUE(report.ok()) << report.error().describe();
  EXPECT_TRUE(report->token_expired);
  EXPECT_TRUE(report->full_read);
  EXPECT_THAT(crm_.delta_links_asked, ElementsAre("old-delta", ""));
  EXPECT_EQ(store_->get_checkpoint(leads_delta_checkpoint).value(), "delta-new");
}

TEST_F(PullTest, FailedReadKeepsTheCheckpoint) {
  ASSERT_TRUE(store_->put_checkpoint(leads_delta_checkpoint, "kept").ok());
  crm_.track_error_once = Error::make(ErrorCategory::unavailable, "503", true);

  const auto report = pull();

  ASSERT_FALSE(report.ok());
  EXPECT_EQ(report.error().category, ErrorCategory::unavailable);
  EXPECT_EQ(store_->get_checkpoint(leads_delta_checkpoint).value(), "kept");
}

TEST_F(PullTest, APullCancelledBeforeItStartsReadsNothing) {
  CancellationSource shutdown;
  shutdown.cancel();

  const auto report = pull(false, shutdown.token());

  ASSERT_FALSE(report.ok());
  EXPECT_EQ(report.error().category, ErrorCategory::cancelled);
  EXPECT_TRUE(crm_.delta_links_asked.empty());
}

TEST_F(PullTest, APullCancelledWhileReadingAppliesNoRowAndKeepsTheCheckpoint) {
  crm_.change_batches.push_back({{}, {}, "delta-1"});
  ASSERT_TRUE(pull().ok());
  crm_.change_batches.push_back({{crm_row("", "Hopper"), crm_row("", "Lovelace")}, {}, "delta-2"});
  CancellationSource shutdown;
  crm_.on_track_changes = [&shutdown] { shutdown.cancel(); };

  const auto report = pull(false, shutdown.token());

  ASSERT_FALSE(report.ok());
  EXPECT_EQ(report.error().category, ErrorCategory::cancelled);
  EXPECT_NE(report.error().message.find("checkpoint was not moved"), std::string::npos)
      << report.error().message;
  EXPECT_EQ(store_->get_checkpoint(leads_delta_checkpoint).value(), "delta-1");
  EXPECT_TRUE(store_->find_by_crm_id(crm_lead_id).value().empty()) << "no row was applied";
}

TEST_F(PullTest, APullThatWasNotCancelledMovesTheCheckpointAsBefore) {
  crm_.change_batches.push_back({{crm_row("", "Hopper")}, {}, "delta-1"});
  CancellationSource shutdown;

  const auto report = pull(false, shutdown.token());

  ASSERT_TRUE(report.ok()) << report.error().describe();
  EXPECT_EQ(report->created, 1);
  EXPECT_EQ(store_->get_checkpoint(leads_delta_checkpoint).value(), "delta-1");
}

} // namespace
} // namespace leadsync::sync
