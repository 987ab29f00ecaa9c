// Every DataverseClient operation against the emulator in process, over the real cpprestsdk
// transport built by connect(): static token and client credentials, paging, keyed upserts, $batch,
// bulk messages, QualifyLead, change tracking, metadata, webhooks, a 429 storm and a fault plan.

#include "leadsync/dataverse/connect.hpp"
#include "leadsync/http/cpprest_transport.hpp"
#include "leadsync/odata/filter.hpp"
#include "leadsync/odata/query.hpp"
#include "support/emulator_admin_transport.hpp"
#include "support/url_logging_transport.hpp"

#include <atomic>
#include <cstdlib>
#include <dvemu/emulator.hpp>
#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <set>
#include <thread>

namespace leadsync::dataverse {
namespace {

using namespace std::chrono_literals;
using ::testing::HasSubstr;
using ::testing::SizeIs;

constexpr const char* test_static_token = "integration-static-token";
constexpr const char* test_client_id = "leadsync-integration";
constexpr const char* test_client_secret = "integration-secret-value";
constexpr const char* test_tenant = "7c1a3f2e-5b8d-4e61-9a0c-2d4f6b8e1a00";
// Seeded rows (emulator README, "Seeded rows").
constexpr const char* test_organization_id = "7c1a3f2e-5b8d-4e61-9a0c-2d4f6b8e1a01";
constexpr const char* test_user_id = "7c1a3f2e-5b8d-4e61-9a0c-2d4f6b8e1a03";
constexpr const char* test_currency_id = "7c1a3f2e-5b8d-4e61-9a0c-2d4f6b8e1d01";

std::string external_key(const std::string& value) {
  return odata::key_by_alternate({{"leadsync_externalid", value}}).value();
}

std::string id_key(const std::string& id) {
  return odata::key_by_id(id).value();
}

class EmulatorTest : public ::testing::Test {
protected:
  static dvemu::EmulatorOptions fast_profile() {
    dvemu::EmulatorOptions options;
    options.profile = "fast";
    options.auth.static_token = test_static_token;
    options.auth.client_id = test_client_id;
    options.auth.client_secret = test_client_secret;
    options.log_requests = false;
    options.threads = 4;
    return options;
  }

  void start(dvemu::EmulatorOptions options = fast_profile()) {
    emulator_ = std::make_unique<dvemu::Emulator>(std::move(options));
    const auto port = emulator_->start();
    ASSERT_TRUE(port.ok()) << port.error().describe();
    ::setenv("LEADSYNC_IT_TOKEN", test_static_token, 1);
    ::setenv("LEADSYNC_IT_SECRET", test_client_secret, 1);
    config_.crm.url = emulator_->base_url();
    config_.crm.timeout_s = 10;
    config_.crm.auth.mode = config::AuthMode::static_token;
    config_.crm.auth.token.env = "LEADSYNC_IT_TOKEN";
    config_.crm.auth.tenant = test_tenant;
    config_.crm.auth.client_id = test_client_id;
    config_.crm.auth.client_secret.env = "LEADSYNC_IT_SECRET";
    config_.crm.auth.authority = emulator_->base_url();
  }

  void TearDown() override {
    if (emulator_) {
      emulator_->stop();
    }
  }

  Connection connect_client(ConnectOptions options = {}) {
    options.wrap_transport = [](std::shared_ptr<http::Transport> inner) {
      return std::shared_ptr<http::Transport>(
          std::make_shared<test::UrlLoggingTransport>(std::move(inner)));
    };
    auto connection = connect(config_, options);
    if (!connection.ok()) {
      ADD_FAILURE() << connection.error().describe();
      return {};
    }
    return std::move(connection).value();
  }

  // The emulator's admin endpoints (not part of the Web API, so not in the URL log).
  Json admin(const std::string& method, const std::string& path, const Json& body = nullptr) {
    return test::emulator_admin(*admin_transport_, emulator_->base_url(), method, path, body);
  }

  // Stored lead rows whose leadsync_externalid starts with the prefix, by external id.
  std::multiset<std::string> stored_external_ids(const std::string& prefix) {
    std::multiset<std::string> ids;
    for (const auto& row : admin("GET", "records/leads")) {
      const auto& attributes = row["attributes"];
      if (attributes.contains("leadsync_externalid") &&
          attributes["leadsync_externalid"].get<std::string>().starts_with(prefix)) {
        ids.insert(attributes["leadsync_externalid"].get<std::string>());
      }
    }
    return ids;
  }

  std::unique_ptr<dvemu::Emulator> emulator_;
  std::unique_ptr<http::Transport> admin_transport_ = http::make_cpprest_transport({});
  config::Config config_;
};

TEST_F(EmulatorTest, WhoAmIThroughAStaticToken) {
  start();
  auto connection = connect_client();

  const auto who = connection.client->who_am_i();

  ASSERT_TRUE(who.ok()) << who.error().describe();
  EXPECT_EQ(who->organization_id, test_organization_id);
  EXPECT_EQ(who->user_id, test_user_id);
  EXPECT_EQ(who->dop_hint, 4);
  EXPECT_EQ(connection.limiter->limit(), 4);
}

TEST_F(EmulatorTest, WhoAmIThroughTheTokenEndpointWithClientCredentials) {
  start();
  config_.crm.auth.mode = config::AuthMode::client_credentials;
  auto connection = connect_client();

  const auto who = connection.client->who_am_i();
  const auto again = connection.client->who_am_i();

  ASSERT_TRUE(who.ok()) << who.error().describe();
  ASSERT_TRUE(again.ok()) << again.error().describe();
  EXPECT_EQ(who->user_id, test_user_id);
  EXPECT_EQ(emulator_->stats()["tokens_issued"], 1) << "the token is cached";
}

TEST_F(EmulatorTest, AnExpiredTokenIsRefreshedAfterThe401) {
  start();
  config_.crm.auth.mode = config::AuthMode::client_credentials;
  auto connection = connect_client();
  ASSERT_TRUE(connection.client->who_am_i().ok());

  admin("POST", "clock", {{"advance_s", 3600}}); // the emulator's token expires, ours looks fresh
  const auto who = connection.client->who_am_i();

  ASSERT_TRUE(who.ok()) << who.error().describe();
  EXPECT_EQ(emulator_->stats()["tokens_issued"], 2);
}

TEST_F(EmulatorTest, AWrongClientSecretIsRefusedWithWhatToCheck) {
  start();
  config_.crm.auth.mode = config::AuthMode::client_credentials;
  ::setenv("LEADSYNC_IT_SECRET", "not-the-secret", 1);
  auto connection = connect_client();

  const auto who = connection.client->who_am_i();

  ASSERT_FALSE(who.ok());
  EXPECT_EQ(who.error().category, ErrorCategory::unauthorized);
  EXPECT_THAT(who.error().message, HasSubstr("AADSTS7000215"));
  EXPECT_THAT(who.error().message, HasSubstr("check crm.auth.client_id"));
  EXPECT_THAT(who.error().message, ::testing::Not(HasSubstr("not-the-secret")));
}

TEST_F(EmulatorTest, AWrongStaticTokenIsUnauthorizedWithTheReason) {
  start();
  ::setenv("LEADSYNC_IT_TOKEN", "wrong-token", 1);
  auto connection = connect_client();

  const auto who = connection.client->who_am_i();

  ASSERT_FALSE(who.ok());
  EXPECT_EQ(who.error().category, ErrorCategory::unauthorized);
  EXPECT_EQ(who.error().http_status, 401);
  EXPECT_THAT(who.error().message, HasSubstr("Unauthorized: "));
}

TEST_F(EmulatorTest, CreateRetrieveUpdateAndRemove) {
  start();
  auto client = connect_client().client;

  const auto id = client->create(
      "leads", {{"firstname", "Ada"}, {"lastname", "Lovelace"}, {"leadsync_externalid", "crud-1"}});
  ASSERT_TRUE(id.ok()) << id.error().describe();
  odata::Query query;
  query.select = {"firstname", "lastname", "jobtitle"};
  const auto created = client->retrieve("leads", id_key(*id), query);
  ASSERT_TRUE(created.ok()) << created.error().describe();
  EXPECT_EQ((*created)["lastname"], "Lovelace");

  ASSERT_TRUE(client->update("leads", id_key(*id), {{"jobtitle", "Analyst"}}).ok());
  const auto stale = client->update("leads", id_key(*id), {{"jobtitle", "CTO"}},
                                    (*created)["@odata.etag"].get<std::string>());
  ASSERT_FALSE(stale.ok()) << "the row changed since that ETag";
  EXPECT_EQ(stale.error().category, ErrorCategory::conflict);
  const auto updated = client->retrieve("leads", external_key("crud-1"), query);
  ASSERT_TRUE(updated.ok()) << updated.error().describe();
  EXPECT_EQ((*updated)["jobtitle"], "Analyst");

  ASSERT_TRUE(client->remove("leads", id_key(*id)).ok());
  const auto gone = client->retrieve("leads", id_key(*id));
  ASSERT_FALSE(gone.ok());
  EXPECT_EQ(gone.error().category, ErrorCategory::not_found);
}

TEST_F(EmulatorTest, UpdateNeverCreatesAMissingRow) {
  start();
  auto client = connect_client().client;

  const auto updated = client->update("leads", external_key("nobody"), {{"lastname", "X"}});

  ASSERT_FALSE(updated.ok());
  EXPECT_EQ(updated.error().category, ErrorCategory::not_found);
  EXPECT_THAT(stored_external_ids("nobody"), SizeIs(0));
}

TEST_F(EmulatorTest, CreateAndReturnGivesTheSelectedColumns) {
  start();
  auto client = connect_client().client;

  const auto row = client->create_and_return(
      "leads", {{"firstname", "Grace"}, {"lastname", "Hopper"}}, {"leadid", "fullname"});

  ASSERT_TRUE(row.ok()) << row.error().describe();
  EXPECT_TRUE(row->contains("leadid"));
  EXPECT_TRUE(row->contains("@odata.etag"));
}

TEST_F(EmulatorTest, UpsertByAnAlternateKeyHoldingAQuoteCreatesThenUpdatesOneRow) {
  start();
  auto client = connect_client().client;
  const std::string key = external_key("O'Brien-7");

  ASSERT_TRUE(client->upsert("leads", key, {{"lastname", "O'Brien"}}).ok());
  ASSERT_TRUE(client->upsert("leads", key, {{"jobtitle", "Buyer"}}).ok());
  const auto create_again =
      client->upsert("leads", key, {{"lastname", "x"}}, UpsertMode::create_only);

  const auto row = client->retrieve("leads", key);
  ASSERT_TRUE(row.ok()) << row.error().describe();
  EXPECT_EQ((*row)["lastname"], "O'Brien");
  EXPECT_EQ((*row)["jobtitle"], "Buyer");
  EXPECT_EQ((*row)["leadsync_externalid"], "O'Brien-7");
  EXPECT_THAT(stored_external_ids("O'Brien-7"), SizeIs(1));
  ASSERT_FALSE(create_again.ok());
  EXPECT_EQ(create_again.error().http_status, 412);
}

TEST_F(EmulatorTest, RetrieveAllReadsThreePages) {
  start();
  ConnectOptions options;
  options.max_page_size = 10;
  auto client = connect_client(options).client;
  std::vector<Json> targets;
  for (int i = 0; i < 25; ++i) {
    targets.push_back({{"lastname", fmt::format("Page {}", i)},
                       {"leadsync_externalid", fmt::format("page-{:02}", i)}});
  }
  ASSERT_TRUE(client->create_multiple("leads", "lead", targets).ok());
  odata::Query query;
  query.select = {"leadsync_externalid"};
  query.filter = odata::startswith("leadsync_externalid", "page-");

  const auto first = client->retrieve_page("leads", query);
  ASSERT_TRUE(first.ok()) << first.error().describe();
  const auto second = client->retrieve_page("leads", query, first->next_link);
  ASSERT_TRUE(second.ok()) << second.error().describe();
  const auto third = client->retrieve_page("leads", query, second->next_link);
  ASSERT_TRUE(third.ok()) << third.error().describe();
  const auto all = client->retrieve_all("leads", query);

  EXPECT_EQ(first->rows.size(), 10U);
  EXPECT_EQ(second->rows.size(), 10U);
  EXPECT_EQ(third->rows.size(), 5U);
  EXPECT_TRUE(third->next_link.empty());
  ASSERT_TRUE(all.ok()) << all.error().describe();
  std::set<std::string> ids;
  for (const auto& row : *all) {
    ids.insert(row["leadsync_externalid"].get<std::string>());
  }
  EXPECT_EQ(ids.size(), 25U) << "every row once across the pages";
}

TEST_F(EmulatorTest, BatchWithAChangesetAndAReadAfterIt) {
  start();
  auto client = connect_client().client;
  odata::BatchOperation create;
  create.method = "POST";
  create.url = "leads";
  create.body = R"({"lastname":"Batch","leadsync_externalid":"batch-1"})";
  create.content_id = 1;
  odata::BatchOperation update;
  update.method = "PATCH";
  update.url = "$1";
  update.body = R"({"subject":"from a changeset"})";
  update.content_id = 2;
  odata::BatchOperation read;
  read.method = "GET";
  read.url = "leads" + external_key("batch-1") + "?$select=subject";
  odata::BatchRequest request;
  request.parts = {odata::BatchPart{{create, update}, true}, odata::BatchPart{{read}, false}};

  const auto results = client->batch(request);

  ASSERT_TRUE(results.ok()) << results.error().describe();
  ASSERT_EQ(results->size(), 3U);
  EXPECT_EQ((*results)[0].status, 204);
  EXPECT_EQ((*results)[1].status, 204);
  EXPECT_EQ((*results)[2].status, 200);
  EXPECT_EQ(Json::parse((*results)[2].body)["subject"], "from a changeset");
}

TEST_F(EmulatorTest, AFailedChangesetLeavesNothingBehind) {
  start();
  auto client = connect_client().client;
  odata::BatchOperation good;
  good.method = "PATCH";
  good.url = "leads" + external_key("changeset-good");
  good.body = R"({"lastname":"Good"})";
  good.content_id = 1;
  odata::BatchOperation bad = good;
  bad.url = "leads" + external_key("changeset-bad");
  bad.body = R"({"firstname":")" + std::string(51, 'x') + R"("})";
  bad.content_id = 2;
  odata::BatchRequest request;
  request.parts = {odata::BatchPart{{good, bad}, true}};

  const auto results = client->batch(request);

  ASSERT_TRUE(results.ok()) << results.error().describe();
  ASSERT_FALSE(results->empty());
  ASSERT_TRUE(results->back().error.has_value());
  EXPECT_EQ(results->back().status, 400);
  EXPECT_THAT(stored_external_ids("changeset-"), SizeIs(0));
}

TEST_F(EmulatorTest, BulkCreateUpdateAndUpsert) {
  start();
  auto client = connect_client().client;

  const auto ids =
      client->create_multiple("leads", "lead",
                              {{{"lastname", "A"}, {"leadsync_externalid", "bulk-a"}},
                               {{"lastname", "B"}, {"leadsync_externalid", "bulk-b"}}});
  ASSERT_TRUE(ids.ok()) << ids.error().describe();
  ASSERT_EQ(ids->size(), 2U);
  ASSERT_TRUE(
      client->update_multiple("leads", "lead", {{{"leadid", (*ids)[0]}, {"jobtitle", "Updated"}}})
          .ok());
  const auto existing = DataverseClient::alternate_key_id("leads", "leadsync_externalid", "bulk-b");
  const auto fresh = DataverseClient::alternate_key_id("leads", "leadsync_externalid", "bulk-'c");
  ASSERT_TRUE(existing.ok() && fresh.ok());
  const auto upserted =
      client->upsert_multiple("leads", "lead",
                              {{{"@odata.id", *existing}, {"jobtitle", "Upserted"}},
                               {{"@odata.id", *fresh}, {"lastname", "C"}}});
  ASSERT_TRUE(upserted.ok()) << upserted.error().describe();

  EXPECT_EQ(client->retrieve("leads", id_key((*ids)[0]))->at("jobtitle"), "Updated");
  EXPECT_EQ(client->retrieve("leads", external_key("bulk-b"))->at("jobtitle"), "Upserted");
  EXPECT_EQ(client->retrieve("leads", external_key("bulk-'c"))->at("lastname"), "C");
  EXPECT_THAT(stored_external_ids("bulk-"), SizeIs(3));
}

TEST_F(EmulatorTest, APoisonedItemRollsBackTheWholeBulkRequest) {
  start();
  auto client = connect_client().client;
  std::vector<Json> targets;
  for (int i = 0; i < 5; ++i) {
    const auto id = DataverseClient::alternate_key_id("leads", "leadsync_externalid",
                                                      fmt::format("poison-{}", i));
    targets.push_back({{"@odata.id", *id}, {"lastname", "Fine"}});
  }
  targets[3]["firstname"] = std::string(51, 'x'); // firstname holds at most 50 characters

  const auto upserted = client->upsert_multiple("leads", "lead", targets);

  ASSERT_FALSE(upserted.ok());
  EXPECT_EQ(upserted.error().http_status, 400);
  EXPECT_THAT(stored_external_ids("poison-"), SizeIs(0)) << "all or nothing on standard tables";
}

TEST_F(EmulatorTest, QualifyDisqualifyAndReactivate) {
  start();
  auto client = connect_client().client;
  const auto qualified_id = client->create(
      "leads", {{"firstname", "Qualified"}, {"lastname", "Lead"}, {"companyname", "Contoso"}});
  const auto disqualified_id = client->create("leads", {{"lastname", "Later"}});
  ASSERT_TRUE(qualified_id.ok() && disqualified_id.ok());
  QualifyOptions options;
  options.currency_id = test_currency_id;

  const auto created = client->qualify_lead(*qualified_id, options);
  ASSERT_TRUE(created.ok()) << created.error().describe();
  const auto disqualified = client->disqualify_lead(*disqualified_id, 6);
  ASSERT_TRUE(disqualified.ok()) << disqualified.error().describe();
  odata::Query state;
  state.select = {"statecode", "statuscode"};
  const auto after_disqualify = client->retrieve("leads", id_key(*disqualified_id), state);
  const auto reactivated = client->reactivate_lead(*disqualified_id);
  ASSERT_TRUE(reactivated.ok()) << reactivated.error().describe();
  const auto after_reactivate = client->retrieve("leads", id_key(*disqualified_id), state);
  const auto after_qualify = client->retrieve("leads", id_key(*qualified_id), state);

  std::set<std::string> entities;
  for (const auto& reference : *created) {
    entities.insert(reference.entity);
    EXPECT_EQ(reference.id.size(), 36U);
  }
  EXPECT_EQ(entities, (std::set<std::string>{"account", "contact", "opportunity"}));
  EXPECT_EQ(after_qualify->at("statecode"), 1);
  EXPECT_EQ(after_qualify->at("statuscode"), 3);
  EXPECT_EQ(after_disqualify->at("statecode"), 2);
  EXPECT_EQ(after_disqualify->at("statuscode"), 6);
  EXPECT_EQ(after_reactivate->at("statecode"), 0);
  EXPECT_EQ(after_reactivate->at("statuscode"), 1);
}

TEST_F(EmulatorTest, MergeLeadsDeactivatesTheSubordinateAndASecondMergeIsRefused) {
  start();
  auto client = connect_client().client;
  const auto target = client->create("leads", {{"firstname", "Ada"}, {"lastname", "Lovelace"}});
  const auto subordinate = client->create("leads", {{"firstname", "A."}, {"lastname", "Lovelace"}});
  ASSERT_TRUE(target.ok() && subordinate.ok());

  const auto merged = client->merge_leads(*target, *subordinate);
  const auto again = client->merge_leads(*target, *subordinate);

  ASSERT_TRUE(merged.ok()) << merged.error().describe();
  odata::Query query;
  query.select = {"statecode", "statuscode", "merged", "_masterid_value", "firstname"};
  const auto after = client->retrieve("leads", id_key(*subordinate), query);
  ASSERT_TRUE(after.ok()) << after.error().describe();
  EXPECT_EQ(after->at("statecode"), 2);
  EXPECT_EQ(after->at("statuscode"), 7);
  EXPECT_EQ(after->at("merged"), true);
  EXPECT_EQ(after->at("_masterid_value"), *target);
  EXPECT_EQ(client->retrieve("leads", id_key(*target), query)->at("firstname"), "Ada");
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().category, ErrorCategory::validation);
  EXPECT_EQ(again.error().http_status, 400);
  EXPECT_THAT(again.error().message, HasSubstr("already merged into lead " + *target));
}

TEST_F(EmulatorTest, PredictiveScoreUpsertCreatesOneRowPerLeadThenUpdatesIt) {
  start();
  auto client = connect_client().client;
  const auto lead = client->create("leads", {{"lastname", "Scored"}});
  ASSERT_TRUE(lead.ok()) << lead.error().describe();

  const auto created = client->upsert_predictive_score(
      *lead, {.score = 40, .grade = 2, .trend = 3, .reasons = "first", .scored_on = {}});
  const auto updated =
      client->upsert_predictive_score(*lead, {.score = 75,
                                              .grade = 1,
                                              .trend = 0,
                                              .reasons = "second",
                                              .scored_on = "2026-03-14T09:26:00Z"});

  ASSERT_TRUE(created.ok()) << created.error().describe();
  ASSERT_TRUE(updated.ok()) << updated.error().describe();
  odata::Query query;
  query.filter = odata::eq("msdyn_entityid", *lead);
  const auto rows = client->retrieve_all("msdyn_predictivescores", query);
  ASSERT_TRUE(rows.ok()) << rows.error().describe();
  ASSERT_EQ(rows->size(), 1u);
  const Json& row = rows->front();
  EXPECT_EQ(row["msdyn_entitytype"], "lead");
  EXPECT_EQ(row["msdyn_score"], 75);
  EXPECT_EQ(row["msdyn_grade"], 1);
  EXPECT_EQ(row["msdyn_scoretrend"], 0);
  EXPECT_EQ(row["msdyn_scorereasons"], "second");
  EXPECT_EQ(row["msdyn_scoredon"], "2026-03-14T09:26:00Z");
}

TEST_F(EmulatorTest, ChangeTrackingInitialReadThenDeltaWithADelete) {
  start();
  auto client = connect_client().client;
  const auto kept = client->create("leads", {{"lastname", "Kept"}});
  const auto edited = client->create("leads", {{"lastname", "Edited"}});
  const auto deleted = client->create("leads", {{"lastname", "Deleted"}});
  ASSERT_TRUE(kept.ok() && edited.ok() && deleted.ok());

  const auto initial = client->track_changes("leads", {"leadid", "lastname"});
  ASSERT_TRUE(initial.ok()) << initial.error().describe();
  ASSERT_TRUE(client->update("leads", id_key(*edited), {{"lastname", "Edited twice"}}).ok());
  ASSERT_TRUE(client->remove("leads", id_key(*deleted)).ok());
  const auto added = client->create("leads", {{"lastname", "Added"}});
  ASSERT_TRUE(added.ok());
  const auto delta = client->track_changes("leads", {"leadid", "lastname"}, initial->delta_link);

  EXPECT_EQ(initial->changed.size(), 3U);
  EXPECT_FALSE(initial->delta_link.empty());
  ASSERT_TRUE(delta.ok()) << delta.error().describe();
  std::set<std::string> changed;
  for (const auto& row : delta->changed) {
    changed.insert(row["leadid"].get<std::string>());
  }
  EXPECT_EQ(changed, (std::set<std::string>{*edited, *added}));
  ASSERT_EQ(delta->deleted.size(), 1U);
  EXPECT_EQ(delta->deleted[0].id, *deleted);
  EXPECT_NE(delta->delta_link, initial->delta_link);
}

TEST_F(EmulatorTest, AnExpiredDeltaTokenIsTold) {
  start();
  auto client = connect_client().client;
  const auto initial = client->track_changes("leads", {"leadid"});
  ASSERT_TRUE(initial.ok()) << initial.error().describe();

  admin("POST", "clock", {{"advance_s", 8 * 86400}}); // past the 7 days Dataverse keeps changes
  const auto delta = client->track_changes("leads", {"leadid"}, initial->delta_link);

  ASSERT_FALSE(delta.ok());
  EXPECT_TRUE(DataverseClient::is_expired_delta_token(delta.error())) << delta.error().describe();
}

TEST_F(EmulatorTest, MetadataChecksFindTheKeyAndItsColumn) {
  start();
  auto client = connect_client().client;

  const auto column = client->column_exists("lead", "leadsync_externalid");
  const auto no_column = client->column_exists("lead", "leadsync_missing");
  const auto key = client->alternate_key_status("lead", "leadsync_externalid");
  const auto no_key = client->alternate_key_status("lead", "leadsync_missing");

  ASSERT_TRUE(column.ok() && no_column.ok() && key.ok() && no_key.ok());
  EXPECT_TRUE(*column);
  EXPECT_FALSE(*no_column);
  EXPECT_EQ(*key, KeyIndexStatus::active);
  EXPECT_EQ(*no_key, KeyIndexStatus::missing);
}

TEST_F(EmulatorTest, WebhookRegisterAndUnregister) {
  start();
  auto client = connect_client().client;

  const auto registration = client->register_webhook(
      "leadsync-it", "http://127.0.0.1:9/lead-created", WebhookAuth::webhook_key, "hook-key");
  ASSERT_TRUE(registration.ok()) << registration.error().describe();
  const Json endpoints = admin("GET", "records/serviceendpoints");
  const Json steps = admin("GET", "records/sdkmessageprocessingsteps");
  const auto removed = client->unregister_webhook(*registration);

  ASSERT_EQ(endpoints.size(), 1U);
  EXPECT_EQ(endpoints[0]["attributes"]["contract"], 8);
  EXPECT_EQ(endpoints[0]["attributes"]["authtype"], 4);
  EXPECT_EQ(endpoints[0]["attributes"]["authvalue"], "hook-key");
  ASSERT_EQ(steps.size(), 1U);
  EXPECT_EQ(steps[0]["attributes"]["stage"], 40);
  EXPECT_EQ(steps[0]["attributes"]["mode"], 1);
  ASSERT_TRUE(removed.ok()) << removed.error().describe();
  EXPECT_TRUE(admin("GET", "records/serviceendpoints").empty());
  EXPECT_TRUE(admin("GET", "records/sdkmessageprocessingsteps").empty());
}

// Keyed upserts of `count` leads from `threads` threads; every call must succeed.
void upsert_from_threads(DataverseClient& client, const std::string& prefix, int count,
                         int threads) {
  std::atomic<int> next{0};
  std::atomic<int> failures{0};
  std::vector<std::thread> workers;
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([&] {
      for (int i = next++; i < count; i = next++) {
        const std::string external_id = fmt::format("{}{:03}", prefix, i);
        const auto upserted = client.upsert("leads", external_key(external_id),
                                            {{"lastname", "Lead " + external_id}});
        if (!upserted.ok()) {
          ++failures;
          ADD_FAILURE() << external_id << ": " << upserted.error().describe();
        }
      }
    });
  }
  for (auto& worker : workers) {
    worker.join();
  }
  EXPECT_EQ(failures.load(), 0);
}

TEST_F(EmulatorTest, A429StormUnderATightLimitLosesAndDuplicatesNothing) {
  dvemu::EmulatorOptions options = fast_profile();
  options.profile = "dataverse";
  options.limits.window = 1s;
  options.limits.max_requests = 60;
  start(options);
  auto connection = connect_client();

  upsert_from_threads(*connection.client, "storm-", 300, 8);

  const auto stored = stored_external_ids("storm-");
  EXPECT_EQ(stored.size(), 300U);
  EXPECT_EQ(std::set<std::string>(stored.begin(), stored.end()).size(), 300U) << "none twice";
  const auto retry = connection.retry->stats();
  EXPECT_GT(retry.throttled, 0);
  EXPECT_GT(emulator_->stats()["throttled"].get<int>(), 0);
  RecordProperty("throttled", static_cast<int>(retry.throttled));
  RecordProperty("retries", static_cast<int>(retry.retries));
  RecordProperty("waited_ms", static_cast<int>(retry.waited.count()));
  RecordProperty("max_concurrency_seen", emulator_->stats()["max_concurrency_seen"].get<int>());
}

TEST_F(EmulatorTest, AFaultPlanOf503sAndResetsLosesAndDuplicatesNothing) {
  dvemu::EmulatorOptions options = fast_profile();
  options.faults.rate_503 = 0.10;
  options.faults.rate_reset = 0.05;
  options.faults.seed = 4;
  start(options);
  auto connection = connect_client();

  upsert_from_threads(*connection.client, "fault-", 300, 8);

  const auto stored = stored_external_ids("fault-");
  EXPECT_EQ(stored.size(), 300U);
  EXPECT_EQ(std::set<std::string>(stored.begin(), stored.end()).size(), 300U) << "none twice";
  const Json injected = emulator_->stats()["faults_injected"];
  EXPECT_GT(injected.value("503", 0), 0);
  EXPECT_GT(injected.value("reset", 0), 0);
  const auto retry = connection.retry->stats();
  EXPECT_GT(retry.retries, 0);
  RecordProperty("injected_503", injected.value("503", 0));
  RecordProperty("injected_reset", injected.value("reset", 0));
  RecordProperty("retries", static_cast<int>(retry.retries));
  RecordProperty("budget_exhausted", static_cast<int>(retry.budget_exhausted));
  RecordProperty("requests_total", emulator_->stats()["requests_total"].dump());
  RecordProperty("by_status", emulator_->stats()["requests_by_status"].dump());
}

} // namespace
} // namespace leadsync::dataverse
