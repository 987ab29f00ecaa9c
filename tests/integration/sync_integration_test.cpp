// Push and pull against the Dataverse emulator in process, over the real transport: every mode
// delivers each lead exactly once with its mapped columns, a refused lead is isolated in a bulk
// batch, faults and throttling lose nothing, and pull records what happened in the CRM.

#include "leadsync/dataverse/connect.hpp"
#include "leadsync/http/cpprest_transport.hpp"
#include "leadsync/store/open.hpp"
#include "leadsync/sync/dataverse_crm.hpp"
#include "leadsync/sync/pull.hpp"
#include "leadsync/sync/push.hpp"
#include "leadsync_test_paths.hpp"
#include "support/emulator_admin_transport.hpp"

#include <cstdlib>
#include <dvemu/emulator.hpp>
#include <fstream>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <map>
#include <sstream>

namespace leadsync::sync {
namespace {

using namespace std::chrono_literals;
using ::testing::HasSubstr;

constexpr const char* test_token = "sync-integration-token";

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

class SyncIntegrationTest : public ::testing::Test {
protected:
  static dvemu::EmulatorOptions fast() {
    dvemu::EmulatorOptions options;
    options.profile = "fast";
    options.auth.static_token = test_token;
    options.log_requests = false;
    options.threads = 4;
    return options;
  }

  void start(dvemu::EmulatorOptions options = fast(),
             const std::string& mapping_text = read_file(LEADSYNC_SOURCE_DIR
                                                         "/mappings/lead.toml")) {
    emulator_ = std::make_unique<dvemu::Emulator>(std::move(options));
    ASSERT_TRUE(emulator_->start().ok());
    ::setenv("LEADSYNC_SYNC_IT_TOKEN", test_token, 1);
    config_.crm.url = emulator_->base_url();
    config_.crm.timeout_s = 30;
    config_.crm.auth.mode = config::AuthMode::static_token;
    config_.crm.auth.token.env = "LEADSYNC_SYNC_IT_TOKEN";
    dataverse::ConnectOptions connect_options;
    connect_options.retry.base_delay = 20ms;
    connect_options.retry.max_delay = 200ms;
    auto connection = dataverse::connect(config_, connect_options);
    ASSERT_TRUE(connection.ok()) << connection.error().describe();
    connection_ = std::move(connection).value();
    crm_ = std::make_unique<DataverseCrm>(connection_.client);
    auto mapping = mapping::load_lead_mapping_text(mapping_text, "lead.toml", "leadsync_");
    ASSERT_TRUE(mapping.ok()) << mapping.error().describe();
    mapping_ = std::move(mapping).value();
    store_ = store::open_store("sqlite::memory:", ".").value();
  }

  void TearDown() override {
    if (emulator_) {
      emulator_->stop();
    }
  }

  std::vector<model::Lead> create_leads(int count, const std::string& prefix = "Lead") {
    std::vector<model::Lead> leads;
    const model::Channel channels[] = {model::Channel::web, model::Channel::trade_show,
                                       model::Channel::partner, model::Channel::advertisement};
    for (int index = 0; index < count; ++index) {
      model::Lead lead;
      lead.person.first_name = "First" + std::to_string(index);
      lead.person.last_name = prefix + std::to_string(index);
      lead.person.job_title = index % 2 == 0 ? "Buyer" : "CFO";
      lead.person.emails = {"lead" + std::to_string(index) + "@example.com"};
      lead.company.name = "Company " + std::to_string(index % 97);
      lead.company.employee_count = 10 + index;
      lead.origin.channel = channels[index % 4];
      lead.consent.do_not_email = index % 3 == 0;
      lead.subject = "Interested in plan " + std::to_string(index % 5);
      auto created = store_->create_lead(lead);
      EXPECT_TRUE(created.ok());
      leads.push_back(std::move(created).value());
    }
    return leads;
  }

  PushReport push(PushMode mode, std::size_t batch_size = 200, int workers = 4) {
    PushSettings settings;
    settings.mode = mode;
    settings.batch_size = batch_size;
    settings.workers = workers;
    settings.retry_backoff = 0s;
    Pusher pusher(*store_, *crm_, mapping_, *crm_, SystemClock::instance(), settings);
    auto report = pusher.run();
    EXPECT_TRUE(report.ok()) << report.error().describe();
    return report.value_or(PushReport{});
  }

  Result<PullReport> pull(const mapping::FieldSet& crm_owned = {}) {
    Puller puller(*store_, *crm_, mapping_, *crm_, {false, "leadsync_externalid", crm_owned});
    return puller.run();
  }

  Json admin(const std::string& method, const std::string& path, const Json& body = nullptr) {
    return test::emulator_admin(*admin_transport_, emulator_->base_url(), method, path, body);
  }

  // The CRM's lead rows by external id; fails the test when one is there twice.
  std::map<std::string, Json> crm_rows() {
    std::map<std::string, Json> rows;
    for (const auto& row : admin("GET", "records/leads")) {
      const auto& attributes = row["attributes"];
      const auto id = attributes.value("leadsync_externalid", std::string());
      EXPECT_FALSE(rows.contains(id)) << "lead " << id << " is in the CRM twice";
      rows[id] = attributes;
    }
    return rows;
  }

  // Every lead is there once, with the mapped columns as the store holds them.
  void expect_exactly_once(const std::vector<model::Lead>& leads) {
    const auto rows = crm_rows();
    EXPECT_EQ(rows.size(), leads.size());
    // leadsourcecode values from mappings/lead.toml (Dataverse's lead source options).
    const std::map<model::Channel, int> source_codes = {{model::Channel::web, 8},
                                                        {model::Channel::trade_show, 7},
                                                        {model::Channel::partner, 4},
                                                        {model::Channel::advertisement, 1}};
    for (const auto& lead : leads) {
      const auto row = rows.find(lead.identity.id);
      ASSERT_NE(row, rows.end()) << "lead " << lead.identity.id << " did not arrive";
      const Json& a = row->second;
      EXPECT_EQ(a["firstname"], lead.person.first_name);
      EXPECT_EQ(a["lastname"], lead.person.last_name);
      EXPECT_EQ(a["jobtitle"], lead.person.job_title);
      EXPECT_EQ(a["emailaddress1"], lead.person.emails[0]);
      EXPECT_EQ(a["companyname"], lead.company.name);
      EXPECT_EQ(a["numberofemployees"], *lead.company.employee_count);
      EXPECT_EQ(a["leadsourcecode"], source_codes.at(lead.origin.channel));
      EXPECT_EQ(a["donotemail"], lead.consent.do_not_email);
      EXPECT_EQ(a["subject"], lead.subject);
    }
  }

  std::unique_ptr<dvemu::Emulator> emulator_;
  std::unique_ptr<http::Transport> admin_transport_ = http::make_cpprest_transport({});
  config::Config config_;
  dataverse::Connection connection_;
  std::unique_ptr<DataverseCrm> crm_;
  mapping::LeadMapping mapping_;
  std::unique_ptr<store::Store> store_;
};

TEST_F(SyncIntegrationTest, BulkModeDeliversFiveThousandLeadsExactlyOnceAndIsIdempotent) {
  start();
  const auto leads = create_leads(5000);
  const auto report = push(PushMode::bulk);
  EXPECT_EQ(report.upserted, 5000);
  EXPECT_EQ(report.dead_lettered, 0);
  expect_exactly_once(leads);
  // Every lead queued again: the same push changes nothing in the CRM's row count.
  for (const auto& lead : leads) {
    ASSERT_TRUE(store_->update_lead(store_->get_lead(lead.identity.id).value()).ok());
  }
  EXPECT_EQ(push(PushMode::bulk).upserted, 5000);
  expect_exactly_once(leads);
}

TEST_F(SyncIntegrationTest, BatchModeDeliversFiveThousandLeadsExactlyOnce) {
  start();
  const auto leads = create_leads(5000);
  const auto report = push(PushMode::batch);
  EXPECT_EQ(report.upserted, 5000);
  expect_exactly_once(leads);
  // The $batch answers carry the row ids.
  EXPECT_FALSE(store_->get_lead(leads[17].identity.id)->identity.crm_id.empty());
}

TEST_F(SyncIntegrationTest, SingleModeDeliversFiveThousandLeadsExactlyOnce) {
  start();
  const auto leads = create_leads(5000);
  const auto report = push(PushMode::single, 200, 8);
  EXPECT_EQ(report.upserted, 5000);
  expect_exactly_once(leads);
}

TEST_F(SyncIntegrationTest, PoisonedLeadInABulkBatchIsDeadLetteredAndItsNeighboursArrive) {
  // A mapping that allows longer last names than the CRM does: the CRM refuses the lead.
  std::string text = read_file(LEADSYNC_SOURCE_DIR "/mappings/lead.toml");
  const auto entry = text.find("[fields.\"person.last_name\"]");
  ASSERT_NE(entry, std::string::npos);
  const auto limit = text.find("max_length = 50", entry);
  ASSERT_NE(limit, std::string::npos);
  text.replace(limit, 15, "max_length = 80");
  start(fast(), text);
  auto leads = create_leads(1000);
  auto poisoned = store_->get_lead(leads[613].identity.id).value();
  poisoned.person.last_name = std::string(51, 'x');
  ASSERT_TRUE(store_->update_lead(poisoned).ok());

  const auto report = push(PushMode::bulk, 1000, 1);

  EXPECT_EQ(report.upserted, 999);
  EXPECT_EQ(report.dead_lettered, 1);
  const auto letters = store_->list_dead_letters(10).value();
  ASSERT_EQ(letters.size(), 1u);
  EXPECT_EQ(letters[0].lead_id, poisoned.identity.id);
  EXPECT_FALSE(letters[0].service_code.empty());
  EXPECT_THAT(letters[0].message, HasSubstr("lastname"));
  const auto rows = crm_rows();
  EXPECT_EQ(rows.size(), 999u);
  EXPECT_FALSE(rows.contains(poisoned.identity.id));
}

TEST_F(SyncIntegrationTest, FaultsAndTightThrottlingLoseAndDoubleNothing) {
  auto options = fast();
  options.profile = "dataverse";
  options.limits = dvemu::scaled_limits(2s);
  options.limits.max_requests = 8;
  options.faults = dvemu::parse_fault_spec("500=0.04,503=0.04,reset=0.02").value();
  start(options);
  const auto leads = create_leads(2000);

  std::int64_t upserted = 0;
  for (int run = 0; run < 20 && store_->stats()->outbox_pending > 0; ++run) {
    upserted += push(PushMode::bulk, 100, 4).upserted;
  }

  EXPECT_EQ(store_->stats()->outbox_pending, 0);
  EXPECT_EQ(upserted, 2000);
  EXPECT_GT(connection_.retry->stats().throttled, 0);
  expect_exactly_once(leads);
}

TEST_F(SyncIntegrationTest, PullRecordsCrmEditsQualificationsDeletionsAndNewLeads) {
  start();
  const auto leads = create_leads(5);
  push(PushMode::batch);
  auto first = pull();
  ASSERT_TRUE(first.ok()) << first.error().describe();
  EXPECT_TRUE(first->full_read);

  auto& client = *connection_.client;
  const auto crm_id = [&](int index) {
    return store_->get_lead(leads[index].identity.id)->identity.crm_id;
  };
  const auto key = [](const std::string& id) { return odata::key_by_id(id).value(); };
  ASSERT_TRUE(client.update("leads", key(crm_id(0)), {{"jobtitle", "VP Sales"}}).ok());
  ASSERT_TRUE(client.qualify_lead(crm_id(1), {}).ok());
  ASSERT_TRUE(client.disqualify_lead(crm_id(2), 5).ok());
  ASSERT_TRUE(client.remove("leads", key(crm_id(3))).ok());
  ASSERT_TRUE(client.create("leads", {{"lastname", "Walk-in"}, {"firstname", "Wanda"}}).ok());

  auto second = pull({"person.job_title"});

  ASSERT_TRUE(second.ok()) << second.error().describe();
  EXPECT_FALSE(second->full_read);
  EXPECT_EQ(second->created, 1);
  EXPECT_EQ(second->tombstoned, 1);
  EXPECT_EQ(second->outcomes, 2);
  EXPECT_EQ(store_->get_lead(leads[0].identity.id)->person.job_title, "VP Sales");
  const auto qualified = store_->get_lead(leads[1].identity.id).value();
  EXPECT_EQ(qualified.qualification.stage, model::LifecycleStage::qualified);
  EXPECT_EQ(qualified.qualification.outcome.kind, model::OutcomeKind::qualify);
  EXPECT_THAT(qualified.qualification.outcome.decided_by, ::testing::StartsWith("crm"));
  const auto disqualified = store_->get_lead(leads[2].identity.id).value();
  EXPECT_EQ(disqualified.qualification.stage, model::LifecycleStage::disqualified);
  EXPECT_EQ(disqualified.qualification.outcome.status_code, 5);
  EXPECT_TRUE(store_->get_lead(leads[3].identity.id)->deleted);

  // The walk-in lead gets our id in the CRM on the next push, in the same row.
  const auto before = crm_rows().size();
  EXPECT_EQ(push(PushMode::bulk).upserted, 1);
  const auto rows = crm_rows();
  EXPECT_EQ(rows.size(), before); // the same row, now with our id
  EXPECT_FALSE(rows.contains(""));
}

TEST_F(SyncIntegrationTest, ExpiredDeltaTokenLeadsToAFullReRead) {
  start();
  create_leads(3);
  push(PushMode::bulk);
  ASSERT_TRUE(pull().ok());
  admin("POST", "clock", {{"advance_s", 8 * 24 * 3600}});

  const auto report = pull();

  ASSERT_TRUE(report.ok()) << report.error().describe();
  EXPECT_TRUE(report->token_expired);
  EXPECT_TRUE(report->full_read);
  EXPECT_EQ(report->read, 3);
}

TEST_F(SyncIntegrationTest, HandMergeReachesTheCrmAsAMergeAndIsNeverDeletedThere) {
  start();
  const auto leads = create_leads(3);
  push(PushMode::bulk); // no leadid recorded: the merge finds both rows by their key
  auto target = store_->get_lead(leads[0].identity.id).value();
  auto subordinate = store_->get_lead(leads[1].identity.id).value();
  target.person.job_title = "Head of Purchasing";
  subordinate.deleted = true;
  subordinate.merged_into = target.identity.id;
  std::vector<store::LeadWrite> writes;
  writes.push_back({store::WriteKind::update,
                    subordinate,
                    {.enqueue = true, .operation = store::OutboxOperation::merge}});
  writes.push_back({store::WriteKind::update, target, {}});
  ASSERT_TRUE(store_->write_batch(std::move(writes), std::nullopt).ok());

  const auto report = push(PushMode::bulk);

  EXPECT_EQ(report.merged, 1);
  EXPECT_EQ(report.removed, 0);
  EXPECT_EQ(report.dead_lettered, 0);
  auto rows = crm_rows();
  ASSERT_EQ(rows.size(), 3u) << "nothing is deleted in the CRM";
  const auto& kept = rows[target.identity.id];
  const auto& merged = rows[subordinate.identity.id];
  EXPECT_EQ(kept["jobtitle"], "Head of Purchasing");
  EXPECT_EQ(kept["statecode"], 0);
  EXPECT_EQ(merged["statecode"], 2);
  EXPECT_EQ(merged["merged"], true);
  EXPECT_EQ(merged["masterid"]["id"], kept["leadid"]);

  // Pulling the merged row back leaves the tombstone alone.
  ASSERT_TRUE(pull().ok());
  EXPECT_TRUE(store_->get_lead(subordinate.identity.id)->deleted);

  // The same merge queued again (as after a crash before its entry was completed) is done.
  auto tombstone = store_->get_lead(subordinate.identity.id).value();
  ASSERT_TRUE(
      store_->update_lead(tombstone, {.enqueue = true, .operation = store::OutboxOperation::merge})
          .ok());
  const auto again = push(PushMode::bulk);
  EXPECT_EQ(again.merged, 1);
  EXPECT_EQ(again.dead_lettered, 0);
  EXPECT_TRUE(store_->list_dead_letters(10)->empty());
}

TEST_F(SyncIntegrationTest, PredictiveScoresReachTheCrmKeyedByTheLeadAndAreUpdatedInPlace) {
  start();
  auto leads = create_leads(30, "Scored");
  const std::string grades = "ABCD";
  for (std::size_t index = 0; index < leads.size(); ++index) {
    auto& lead = leads[index];
    lead.qualification.scores.total = static_cast<double>(index * 3);
    lead.qualification.grade = std::string(1, grades[index % 4]);
    lead.qualification.reason_text = "reason " + std::to_string(index);
    lead.qualification.scored_at = std::chrono::system_clock::now();
    lead = store_->update_lead(lead).value();
  }
  for (const PushMode mode : {PushMode::bulk, PushMode::batch}) {
    PushSettings settings;
    settings.mode = mode;
    settings.batch_size = 8;
    settings.workers = 2;
    settings.retry_backoff = 0s;
    settings.write_predictive_score = true;
    Pusher pusher(*store_, *crm_, mapping_, *crm_, SystemClock::instance(), settings);
    const auto report = pusher.run();
    ASSERT_TRUE(report.ok()) << report.error().describe();
    EXPECT_EQ(report->upserted, 30);
    EXPECT_EQ(report->predictive_scores, 30);
    EXPECT_TRUE(report->warnings.empty());

    const auto rows = crm_rows();
    std::map<std::string, Json> scores; // by msdyn_entityid
    for (const auto& row : admin("GET", "records/msdyn_predictivescores")) {
      const auto& attributes = row["attributes"];
      const auto lead_id = attributes.value("msdyn_entityid", std::string());
      EXPECT_FALSE(scores.contains(lead_id)) << "two score rows for lead " << lead_id;
      scores[lead_id] = attributes;
    }
    ASSERT_EQ(scores.size(), 30u);
    for (std::size_t index = 0; index < leads.size(); ++index) {
      const auto& lead = leads[index];
      const std::string crm_id = rows.at(lead.identity.id)["leadid"];
      ASSERT_TRUE(scores.contains(crm_id)) << lead.identity.id;
      const Json& score = scores[crm_id];
      EXPECT_EQ(score["msdyn_entitytype"], "lead");
      EXPECT_EQ(score["msdyn_score"],
                static_cast<int>(index * 3) + (mode == PushMode::bulk ? 0 : 1));
      EXPECT_EQ(score["msdyn_grade"], static_cast<int>(index % 4));
      EXPECT_EQ(score["msdyn_scoretrend"], 1);
      EXPECT_EQ(score["msdyn_scorereasons"], "reason " + std::to_string(index));
      EXPECT_EQ(store_->get_lead(lead.identity.id)->identity.crm_id, crm_id);
    }
    // Rescored: the next push (in the other mode) updates the same rows.
    for (auto& lead : leads) {
      lead = store_->get_lead(lead.identity.id).value();
      lead.qualification.scores.total += 1;
      lead = store_->update_lead(lead).value();
    }
  }
}

} // namespace
} // namespace leadsync::sync
