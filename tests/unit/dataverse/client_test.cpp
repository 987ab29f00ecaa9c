// Every DataverseClient operation pinned on the wire: method, URL, headers and body exactly as
// dataverse-notes.md describes them, and what the client makes of the answer.

#include "client_fixture.hpp"
#include "leadsync/core/uuid.hpp"
#include "leadsync/odata/query.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <regex>
#include <string_view>

namespace leadsync::dataverse {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

std::string alternate_key(const std::string& value) {
  return odata::key_by_alternate({{"leadsync_externalid", value}}).value();
}

std::string lead_key() {
  return odata::key_by_id(kLeadId).value();
}

class ClientTest : public ClientFixture {};

TEST_F(ClientTest, WhoAmISendsTheODataHeadersAndKeepsTheDopHint) {
  transport_->then_json(200,
                        R"({"@odata.context":"x","BusinessUnitId":"b-1","UserId":"u-1",)"
                        R"("OrganizationId":"o-1"})",
                        {{"x-ms-dop-hint", "9"}});

  const auto who = client_->who_am_i();

  ASSERT_TRUE(who.ok()) << who.error().describe();
  EXPECT_EQ(wire(0), "GET " + kRoot + "WhoAmI\n" + odata_headers() + "If-None-Match: null\n" +
                         pipeline_headers());
  EXPECT_EQ(who->user_id, "u-1");
  EXPECT_EQ(who->business_unit_id, "b-1");
  EXPECT_EQ(who->organization_id, "o-1");
  EXPECT_EQ(who->dop_hint, 9);
  EXPECT_EQ(limiter_->limit(), 9) << "the limiter starts from the hint";
  EXPECT_TRUE(call(0).context.idempotent);
}

TEST_F(ClientTest, WhoAmIWithoutADopHintLeavesTheLimiterAlone) {
  transport_->then_json(200, R"({"BusinessUnitId":"b","UserId":"u","OrganizationId":"o"})");

  const auto who = client_->who_am_i();

  ASSERT_TRUE(who.ok());
  EXPECT_EQ(who->dop_hint, 0);
  EXPECT_EQ(limiter_->limit(), 4);
}

TEST_F(ClientTest, EveryRequestCarriesAFreshClientRequestId) {
  transport_->then_json(200, R"({"BusinessUnitId":"b","UserId":"u","OrganizationId":"o"})")
      .then_json(200, R"({"BusinessUnitId":"b","UserId":"u","OrganizationId":"o"})");

  ASSERT_TRUE(client_->who_am_i().ok());
  ASSERT_TRUE(client_->who_am_i().ok());

  const auto first = call(0).request.headers.get("x-ms-client-request-id");
  const auto second = call(1).request.headers.get("x-ms-client-request-id");
  ASSERT_TRUE(first && second);
  EXPECT_TRUE(Uuid::is_valid(*first)) << *first;
  EXPECT_NE(*first, *second);
  EXPECT_EQ(call(0).context.client_request_id, *first);
}

TEST_F(ClientTest, CreatePostsTheRowAndReadsTheIdFromODataEntityId) {
  transport_->then_respond(
      204, {{"OData-EntityId", kRoot + "leads(6F1F2B3C-1D2E-4F50-8A6B-7C8D9E0F1A2B)"}});

  const auto id = client_->create("leads", {{"lastname", "O'Bryan"}, {"subject", "Trade show"}});

  ASSERT_TRUE(id.ok()) << id.error().describe();
  EXPECT_EQ(*id, kLeadId);
  EXPECT_EQ(wire(0), "POST " + kRoot + "leads\n" + odata_headers() +
                         "Content-Type: application/json; charset=utf-8\n" + pipeline_headers() +
                         "\n" + R"({"lastname":"O'Bryan","subject":"Trade show"})");
  EXPECT_FALSE(call(0).context.idempotent) << "a create is not safe to repeat";
}

TEST_F(ClientTest, CreateAndReturnAsksForTheRepresentationOfTheSelectedColumns) {
  transport_->then_json(201, R"({"@odata.etag":"W/\"5\"","leadid":")" + kLeadId +
                                 R"(","fullname":"Ada Lovelace"})");

  const auto row = client_->create_and_return(
      "leads", {{"firstname", "Ada"}, {"lastname", "Lovelace"}}, {"leadid", "fullname"});

  ASSERT_TRUE(row.ok()) << row.error().describe();
  EXPECT_EQ((*row)["fullname"], "Ada Lovelace");
  EXPECT_EQ(wire(0), "POST " + kRoot + "leads?$select=leadid,fullname\n" + odata_headers() +
                         "Prefer: return=representation\n"
                         "Content-Type: application/json; charset=utf-8\n" +
                         pipeline_headers() + "\n" +
                         R"({"firstname":"Ada","lastname":"Lovelace"})");
}

TEST_F(ClientTest, RetrieveByAlternateKeyWithQueryOptions) {
  transport_->then_json(200, R"({"leadid":")" + kLeadId + R"(","emailaddress1":"a@b.c"})");
  odata::Query query;
  query.select = {"leadid", "emailaddress1"};
  query.expand = {{"parentaccountid", {"name"}}};

  const auto row = client_->retrieve("leads", alternate_key("O'Bryan-1"), query);

  ASSERT_TRUE(row.ok()) << row.error().describe();
  EXPECT_EQ((*row)["emailaddress1"], "a@b.c");
  EXPECT_EQ(wire(0),
            "GET " + kRoot +
                "leads(leadsync_externalid=%27O%27%27Bryan-1%27)?$select=leadid,emailaddress1&"
                "$expand=parentaccountid($select=name)\n" +
                odata_headers() + "If-None-Match: null\n" + pipeline_headers());
}

TEST_F(ClientTest, RetrieveRefusesAKeyThatIsNotAPredicate) {
  const auto row = client_->retrieve("leads", "?$top=1");

  ASSERT_FALSE(row.ok());
  EXPECT_EQ(row.error().category, ErrorCategory::invalid_argument);
  EXPECT_EQ(transport_->call_count(), 0U);
}

TEST_F(ClientTest, RetrieveAllFollowsEveryNextLinkAsGivenWithTheSamePageSize) {
  const std::string page2 =
      kRoot + "leads?$select=leadid&$skiptoken=%3Ccookie%20pagenumber=%222%22%20/%3E";
  const std::string page3 =
      kRoot + "leads?$select=leadid&$skiptoken=%3Ccookie%20pagenumber=%223%22%20/%3E";
  transport_
      ->then_json(200, R"({"value":[{"leadid":"1"},{"leadid":"2"}],"@odata.nextLink":")" + page2 +
                           R"("})")
      .then_json(200, R"({"value":[{"leadid":"3"},{"leadid":"4"}],"@odata.nextLink":")" + page3 +
                          R"("})")
      .then_json(200, R"({"value":[{"leadid":"5"}]})");
  odata::Query query;
  query.select = {"leadid"};

  const auto rows = client_->retrieve_all("leads", query);

  ASSERT_TRUE(rows.ok()) << rows.error().describe();
  ASSERT_EQ(rows->size(), 5U);
  EXPECT_EQ((*rows)[4]["leadid"], "5");
  const std::string tail = odata_headers() + "If-None-Match: null\n" +
                           "Prefer: odata.maxpagesize=5000\n" + pipeline_headers();
  EXPECT_EQ(wire(0), "GET " + kRoot + "leads?$select=leadid\n" + tail);
  EXPECT_EQ(wire(1), "GET " + page2 + "\n" + tail);
  EXPECT_EQ(wire(2), "GET " + page3 + "\n" + tail);
}

TEST_F(ClientTest, RetrievePageRefusesANextLinkOutsideTheOrganization) {
  const auto page = client_->retrieve_page("leads", {},
                                           "https://evil.example.com/api/data/v9.2/"
                                           "leads?$skiptoken=1");

  ASSERT_FALSE(page.ok());
  EXPECT_EQ(page.error().category, ErrorCategory::protocol);
  EXPECT_EQ(transport_->call_count(), 0U) << "the bearer token never leaves the organization";
}

TEST_F(ClientTest, RetrieveAllStopsWhenTheServiceRepeatsANextLink) {
  const std::string next = kRoot + "leads?$skiptoken=2";
  transport_->then_json(200, R"({"value":[],"@odata.nextLink":")" + next + R"("})")
      .then_json(200, R"({"value":[],"@odata.nextLink":")" + next + R"("})");

  const auto rows = client_->retrieve_all("leads", {});

  ASSERT_FALSE(rows.ok());
  EXPECT_EQ(rows.error().category, ErrorCategory::protocol);
  EXPECT_EQ(transport_->call_count(), 2U);
}

TEST_F(ClientTest, UpdateIsAPureUpdateWithIfMatchStar) {
  transport_->then_respond(204);

  ASSERT_TRUE(client_->update("leads", lead_key(), {{"jobtitle", "CTO"}}).ok());

  EXPECT_EQ(wire(0), "PATCH " + kRoot + "leads(" + kLeadId + ")\n" + odata_headers() +
                         "If-Match: *\n"
                         "Content-Type: application/json; charset=utf-8\n" +
                         pipeline_headers() + "\n" + R"({"jobtitle":"CTO"})");
  EXPECT_TRUE(call(0).context.idempotent);
}

TEST_F(ClientTest, UpdateWithAnETagSendsItInIfMatch) {
  transport_->then_respond(204);

  ASSERT_TRUE(client_->update("leads", lead_key(), {{"jobtitle", "CTO"}}, "W/\"123\"").ok());

  EXPECT_EQ(call(0).request.headers.get("If-Match"), "W/\"123\"");
}

TEST_F(ClientTest, UpdateOfAStaleVersionIsAConflict) {
  transport_->then_json(412,
                        R"({"error":{"code":"0x80060882","message":"The version of the )"
                        R"(existing record doesn't match the RowVersion property provided."}})");

  const auto updated = client_->update("leads", lead_key(), {{"jobtitle", "CTO"}}, "W/\"1\"");

  ASSERT_FALSE(updated.ok());
  EXPECT_EQ(updated.error().category, ErrorCategory::conflict);
  EXPECT_EQ(updated.error().http_status, 412);
  EXPECT_EQ(transport_->call_count(), 1U) << "a 412 is not retried";
}

TEST_F(ClientTest, UpsertModesChooseTheConditionalHeaders) {
  transport_->then_respond(204).then_respond(204).then_respond(204);
  const std::string key = alternate_key("A-1");
  const Json row = {{"lastname", "Hopper"}};

  ASSERT_TRUE(client_->upsert("leads", key, row).ok());
  ASSERT_TRUE(client_->upsert("leads", key, row, UpsertMode::update_only).ok());
  ASSERT_TRUE(client_->upsert("leads", key, row, UpsertMode::create_only).ok());

  const std::string url = "PATCH " + kRoot + "leads(leadsync_externalid=%27A-1%27)\n";
  const std::string body_part = "Content-Type: application/json; charset=utf-8\n" +
                                pipeline_headers() + "\n" + R"({"lastname":"Hopper"})";
  EXPECT_EQ(wire(0), url + odata_headers() + body_part);
  EXPECT_EQ(wire(1), url + odata_headers() + "If-Match: *\n" + body_part);
  EXPECT_EQ(wire(2), url + odata_headers() + "If-None-Match: *\n" + body_part);
  for (std::size_t i = 0; i < 3; ++i) {
    EXPECT_TRUE(call(i).context.idempotent) << "a keyed upsert is safe to repeat";
  }
}

TEST_F(ClientTest, CreateOnlyUpsertOfAnExistingKeyIsAlreadyExistsOrConflict) {
  transport_->then_json(412, R"({"error":{"code":"0x80040237","message":"A record with matching )"
                             R"(key values already exists."}})");

  const auto upserted =
      client_->upsert("leads", alternate_key("A-1"), {{"lastname", "x"}}, UpsertMode::create_only);

  ASSERT_FALSE(upserted.ok());
  EXPECT_EQ(upserted.error().http_status, 412);
  EXPECT_EQ(upserted.error().message, "A record with matching key values already exists.");
}

TEST_F(ClientTest, RemoveDeletesByKeyWithAnOptionalETag) {
  transport_->then_respond(204).then_respond(204);

  ASSERT_TRUE(client_->remove("leads", lead_key()).ok());
  ASSERT_TRUE(client_->remove("leads", lead_key(), "W/\"7\"").ok());

  EXPECT_EQ(wire(0),
            "DELETE " + kRoot + "leads(" + kLeadId + ")\n" + odata_headers() + pipeline_headers());
  EXPECT_EQ(wire(1), "DELETE " + kRoot + "leads(" + kLeadId + ")\n" + odata_headers() +
                         "If-Match: W/\"7\"\n" + pipeline_headers());
}

TEST_F(ClientTest, RemoveOfAMissingRowIsNotFound) {
  transport_->then_json(404, R"({"error":{"code":"0x80040217","message":"lead With Id = )" +
                                 kLeadId + R"( Does Not Exist"}})");

  const auto removed = client_->remove("leads", lead_key());

  ASSERT_FALSE(removed.ok());
  EXPECT_EQ(removed.error().category, ErrorCategory::not_found);
}

TEST_F(ClientTest, CreateMultipleTypesEveryTargetAndReturnsTheIds) {
  transport_->then_json(200, R"({"@odata.context":"x","Ids":["id-1","id-2"]})");

  const auto ids =
      client_->create_multiple("leads", "lead", {{{"lastname", "A"}}, {{"lastname", "B"}}});

  ASSERT_TRUE(ids.ok()) << ids.error().describe();
  EXPECT_THAT(*ids, ElementsAre("id-1", "id-2"));
  EXPECT_EQ(wire(0),
            "POST " + kRoot + "leads/Microsoft.Dynamics.CRM.CreateMultiple\n" + odata_headers() +
                "Content-Type: application/json; charset=utf-8\n" + pipeline_headers() + "\n" +
                R"({"Targets":[{"@odata.type":"Microsoft.Dynamics.CRM.lead","lastname":"A"},)"
                R"({"@odata.type":"Microsoft.Dynamics.CRM.lead","lastname":"B"}]})");
  EXPECT_FALSE(call(0).context.idempotent);
}

TEST_F(ClientTest, UpdateAndUpsertMultiplePostTheirMessages) {
  transport_->then_respond(204).then_respond(204);
  const std::string id =
      DataverseClient::alternate_key_id("leads", "leadsync_externalid", "O'Neil").value();

  ASSERT_TRUE(
      client_->update_multiple("leads", "lead", {{{"leadid", kLeadId}, {"jobtitle", "CEO"}}}).ok());
  ASSERT_TRUE(
      client_->upsert_multiple("leads", "lead", {{{"@odata.id", id}, {"lastname", "Q"}}}).ok());

  EXPECT_EQ(wire(0),
            "POST " + kRoot + "leads/Microsoft.Dynamics.CRM.UpdateMultiple\n" + odata_headers() +
                "Content-Type: application/json; charset=utf-8\n" + pipeline_headers() + "\n" +
                R"({"Targets":[{"@odata.type":"Microsoft.Dynamics.CRM.lead","jobtitle":"CEO",)"
                R"("leadid":")" +
                kLeadId + R"("}]})");
  EXPECT_EQ(wire(1), "POST " + kRoot + "leads/Microsoft.Dynamics.CRM.UpsertMultiple\n" +
                         odata_headers() + "Content-Type: application/json; charset=utf-8\n" +
                         pipeline_headers() + "\n" +
                         R"j({"Targets":[{"@odata.id":"leads(leadsync_externalid='O''Neil')",)j"
                         R"("@odata.type":"Microsoft.Dynamics.CRM.lead","lastname":"Q"}]})");
  EXPECT_TRUE(call(0).context.idempotent);
  EXPECT_TRUE(call(1).context.idempotent);
}

TEST_F(ClientTest, BulkMessagesRefuseAnEmptyListOrANonObjectTarget) {
  const auto empty = client_->upsert_multiple("leads", "lead", {});
  const auto not_object = client_->create_multiple("leads", "lead", {Json("x")});

  ASSERT_FALSE(empty.ok());
  EXPECT_EQ(empty.error().category, ErrorCategory::invalid_argument);
  ASSERT_FALSE(not_object.ok());
  EXPECT_THAT(not_object.error().message, HasSubstr("target 0"));
  EXPECT_EQ(transport_->call_count(), 0U);
}

TEST_F(ClientTest, AlternateKeyIdDoublesQuotesAndRefusesForbiddenCharacters) {
  const auto id = DataverseClient::alternate_key_id("leads", "leadsync_externalid", "O'Neil");
  const auto slash = DataverseClient::alternate_key_id("leads", "leadsync_externalid", "a/b");

  ASSERT_TRUE(id.ok());
  EXPECT_EQ(*id, "leads(leadsync_externalid='O''Neil')");
  ASSERT_FALSE(slash.ok());
  EXPECT_EQ(slash.error().category, ErrorCategory::invalid_argument);
  EXPECT_THAT(slash.error().message, HasSubstr("'/'"));
}

TEST_F(ClientTest, UpsertByAKeyHoldingASlashIsRefusedBeforeSending) {
  const auto key = odata::key_by_alternate({{"leadsync_externalid", std::string("list/42")}});

  ASSERT_FALSE(key.ok());
  EXPECT_EQ(key.error().category, ErrorCategory::invalid_argument);
  EXPECT_THAT(key.error().message, HasSubstr("leadsync_externalid"));
  EXPECT_EQ(transport_->call_count(), 0U);
}

std::string batch_response_body() {
  return "--batchresponse_1\r\n"
         "Content-Type: multipart/mixed; boundary=changesetresponse_1\r\n\r\n"
         "--changesetresponse_1\r\n"
         "Content-Type: application/http\r\n"
         "Content-Transfer-Encoding: binary\r\n"
         "Content-ID: 1\r\n\r\n"
         "HTTP/1.1 204 No Content\r\n"
         "OData-Version: 4.0\r\n\r\n\r\n"
         "--changesetresponse_1--\r\n"
         "--batchresponse_1\r\n"
         "Content-Type: application/http\r\n"
         "Content-Transfer-Encoding: binary\r\n\r\n"
         "HTTP/1.1 200 OK\r\n"
         "Content-Type: application/json; odata.metadata=minimal\r\n\r\n"
         "{\"leadid\":\"1\"}\r\n"
         "--batchresponse_1--\r\n";
}

odata::BatchRequest keyed_batch() {
  odata::BatchOperation upsert;
  upsert.method = "PATCH";
  upsert.url = "leads" + alternate_key("A-1");
  upsert.body = R"({"lastname":"A"})";
  upsert.content_id = 1;
  odata::BatchOperation read;
  read.method = "GET";
  read.url = "leads" + alternate_key("A-1") + "?$select=leadid";
  odata::BatchRequest request;
  request.parts = {odata::BatchPart{{upsert}, true}, odata::BatchPart{{read}, false}};
  request.continue_on_error = true;
  return request;
}

// The multipart boundaries are random: name them by their kind so the body can be pinned.
std::string with_fixed_boundaries(const std::string& text) {
  static const std::regex boundary("(batch|changeset)_[0-9a-f-]{36}");
  return std::regex_replace(text, boundary, "$1_X");
}

std::string crlf(std::string_view text) {
  std::string converted;
  for (const char c : text) {
    if (c == '\n') {
      converted += '\r';
    }
    converted += c;
  }
  return converted;
}

TEST_F(ClientTest, BatchPostsTheEncodedMultipartAndDecodesEveryResult) {
  transport_->then_respond(200, {{"Content-Type", "multipart/mixed; boundary=batchresponse_1"}},
                           batch_response_body());

  const auto results = client_->batch(keyed_batch());

  ASSERT_TRUE(results.ok()) << results.error().describe();
  ASSERT_EQ(results->size(), 2U);
  EXPECT_EQ((*results)[0].status, 204);
  EXPECT_EQ((*results)[0].content_id, 1);
  EXPECT_EQ((*results)[1].status, 200);
  const std::string expected_body = crlf(R"(--batch_X
Content-Type: multipart/mixed; boundary=changeset_X

--changeset_X
Content-Type: application/http
Content-Transfer-Encoding: binary
Content-ID: 1

PATCH /api/data/v9.2/leads(leadsync_externalid=%27A-1%27) HTTP/1.1
Content-Type: application/json; type=entry

{"lastname":"A"}
--changeset_X--
--batch_X
Content-Type: application/http
Content-Transfer-Encoding: binary

GET /api/data/v9.2/leads(leadsync_externalid=%27A-1%27)?$select=leadid HTTP/1.1


--batch_X--
)");
  EXPECT_EQ(with_fixed_boundaries(wire(0)), "POST " + kRoot + "$batch\n" + odata_headers() +
                                                "Content-Type: multipart/mixed; boundary=batch_X\n"
                                                "Prefer: odata.continue-on-error\n" +
                                                pipeline_headers() + "\n" + expected_body);
  EXPECT_TRUE(call(0).context.idempotent) << "keyed upserts and reads only";
}

TEST_F(ClientTest, BatchWithACreateIsNotRepeatable) {
  transport_->then_respond(200, {{"Content-Type", "multipart/mixed; boundary=batchresponse_1"}},
                           batch_response_body());
  odata::BatchRequest request = keyed_batch();
  request.parts[0].operations[0].method = "POST";
  request.parts[0].operations[0].url = "leads";

  ASSERT_TRUE(client_->batch(request).ok());

  EXPECT_FALSE(call(0).context.idempotent);
}

TEST_F(ClientTest, BatchStoppedByAFailureDecodesTheFailingPart) {
  const std::string body = "--batchresponse_2\r\n"
                           "Content-Type: application/http\r\n"
                           "Content-Transfer-Encoding: binary\r\n\r\n"
                           "HTTP/1.1 400 Bad Request\r\n"
                           "Content-Type: application/json; odata.metadata=minimal\r\n\r\n"
                           R"({"error":{"code":"0x80044331","message":"too long"}})"
                           "\r\n--batchresponse_2--\r\n";
  transport_->then_respond(400, {{"Content-Type", "multipart/mixed; boundary=batchresponse_2"}},
                           body);

  const auto results = client_->batch(keyed_batch());

  ASSERT_TRUE(results.ok()) << results.error().describe();
  ASSERT_EQ(results->size(), 1U);
  ASSERT_TRUE((*results)[0].error.has_value());
  EXPECT_EQ((*results)[0].error->service_code, "0x80044331");
}

TEST_F(ClientTest, BatchRejectedAsAWholeIsAnError) {
  transport_->then_json(400, R"({"error":{"code":"0x80040203","message":"bad batch"}})");

  const auto results = client_->batch(keyed_batch());

  ASSERT_FALSE(results.ok());
  EXPECT_EQ(results.error().message, "bad batch");
  EXPECT_EQ(results.error().request_id, call(0).request.headers.get("x-ms-client-request-id"));
}

TEST_F(ClientTest, QualifyLeadSendsTheParametersAndReadsTheCreatedRecords) {
  const std::string currency = "7c1a3f2e-5b8d-4e61-9a0c-2d4f6b8e1d01";
  const std::string account = "11111111-2222-4333-8444-555555555555";
  const std::string campaign = "99999999-8888-4777-8666-555555555555";
  transport_->then_json(200,
                        R"({"value":[)"
                        R"({"@odata.type":"#Microsoft.Dynamics.CRM.account","accountid":"a-1"},)"
                        R"({"@odata.type":"#Microsoft.Dynamics.CRM.contact","contactid":"c-1"},)"
                        R"({"@odata.type":"#Microsoft.Dynamics.CRM.opportunity",)"
                        R"("opportunityid":"o-1"}]})");
  QualifyOptions options;
  options.currency_id = currency;
  options.customer_entity = "account";
  options.customer_id = account;
  options.source_campaign_id = campaign;

  const auto created = client_->qualify_lead(kLeadId, options);

  ASSERT_TRUE(created.ok()) << created.error().describe();
  ASSERT_EQ(created->size(), 3U);
  EXPECT_EQ((*created)[0].entity, "account");
  EXPECT_EQ((*created)[0].id, "a-1");
  EXPECT_EQ((*created)[2].entity, "opportunity");
  EXPECT_EQ((*created)[2].id, "o-1");
  EXPECT_EQ(
      wire(0),
      "POST " + kRoot + "leads(" + kLeadId + ")/Microsoft.Dynamics.CRM.QualifyLead\n" +
          odata_headers() + "Content-Type: application/json; charset=utf-8\n" + pipeline_headers() +
          "\n" +
          R"({"CreateAccount":true,"CreateContact":true,"CreateOpportunity":true,)"
          R"("OpportunityCurrencyId":{"@odata.type":"Microsoft.Dynamics.CRM.transactioncurrency",)"
          R"("transactioncurrencyid":")" +
          currency +
          R"("},"OpportunityCustomerId":{"@odata.type":"Microsoft.Dynamics.CRM.account",)"
          R"("accountid":")" +
          account +
          R"("},"SourceCampaignId":{"@odata.type":"Microsoft.Dynamics.CRM.campaign",)"
          R"("campaignid":")" +
          campaign + R"("},"Status":3})");
  EXPECT_FALSE(call(0).context.idempotent);
}

TEST_F(ClientTest, QualifyLeadRefusesACustomerThatIsNeitherAccountNorContact) {
  QualifyOptions options;
  options.customer_entity = "lead";
  options.customer_id = kLeadId;

  const auto created = client_->qualify_lead(kLeadId, options);

  ASSERT_FALSE(created.ok());
  EXPECT_EQ(created.error().category, ErrorCategory::invalid_argument);
  EXPECT_EQ(transport_->call_count(), 0U);
}

TEST_F(ClientTest, DisqualifySetsStateTwoWithTheGivenStatus) {
  transport_->then_respond(204);

  ASSERT_TRUE(client_->disqualify_lead(kLeadId, 5).ok());

  EXPECT_EQ(wire(0), "PATCH " + kRoot + "leads(" + kLeadId + ")\n" + odata_headers() +
                         "If-Match: *\n"
                         "Content-Type: application/json; charset=utf-8\n" +
                         pipeline_headers() + "\n" + R"({"statecode":2,"statuscode":5})");
}

TEST_F(ClientTest, DisqualifyWithAStatusOfAnotherStateIsRefusedBeforeSending) {
  const auto disqualified = client_->disqualify_lead(kLeadId, 3);

  ASSERT_FALSE(disqualified.ok());
  EXPECT_EQ(disqualified.error().category, ErrorCategory::invalid_argument);
  EXPECT_EQ(disqualified.error().message,
            "3 is not a status code for a disqualified lead: use 4 (Lost), 5 (Cannot Contact), "
            "6 (No Longer Interested) or 7 (Canceled)");
  EXPECT_EQ(transport_->call_count(), 0U);
}

TEST_F(ClientTest, ReactivateReopensTheLeadAsNew) {
  transport_->then_respond(204);

  ASSERT_TRUE(client_->reactivate_lead(kLeadId).ok());

  EXPECT_EQ(wire(0), "PATCH " + kRoot + "leads(" + kLeadId + ")\n" + odata_headers() +
                         "If-Match: *\n"
                         "Content-Type: application/json; charset=utf-8\n" +
                         pipeline_headers() + "\n" + R"({"statecode":0,"statuscode":1})");
}

TEST_F(ClientTest, PredictiveScoreIsUpsertedByTheLeadsAlternateKey) {
  transport_->then_respond(204);
  PredictiveScore score{.score = 82,
                        .grade = 0,
                        .trend = 1,
                        .reasons = "pricing page x3",
                        .scored_on = "2026-03-14T09:26:00Z"};

  const auto upserted = client_->upsert_predictive_score(kLeadId, score);

  ASSERT_TRUE(upserted.ok()) << upserted.error().describe();
  EXPECT_EQ(wire(0),
            "PATCH " + kRoot + "msdyn_predictivescores(msdyn_entityid=%27" + kLeadId +
                "%27,msdyn_entitytype=%27lead%27)\n" + odata_headers() +
                "Content-Type: application/json; charset=utf-8\n" + pipeline_headers() + "\n" +
                R"({"msdyn_grade":0,"msdyn_score":82,"msdyn_scoredon":"2026-03-14T09:26:00Z",)" +
                R"("msdyn_scorereasons":"pricing page x3","msdyn_scoretrend":1})");
  EXPECT_TRUE(call(0).context.idempotent);
}

TEST_F(ClientTest, PredictiveScoreWithAnUnknownGradeTrendOrLeadIdIsRefusedBeforeSending) {
  const auto bad_grade = client_->upsert_predictive_score(
      kLeadId, {.score = 1, .grade = 4, .trend = 1, .reasons = {}, .scored_on = {}});
  const auto bad_trend = client_->upsert_predictive_score(
      kLeadId, {.score = 1, .grade = 0, .trend = -1, .reasons = {}, .scored_on = {}});
  const auto bad_id = client_->upsert_predictive_score("lead-1", {});
  const auto long_reasons = client_->upsert_predictive_score(
      kLeadId,
      {.score = 1, .grade = 0, .trend = 1, .reasons = std::string(10'001, 'r'), .scored_on = {}});

  ASSERT_FALSE(bad_grade.ok());
  EXPECT_THAT(bad_grade.error().message, HasSubstr("0 (Grade A)"));
  ASSERT_FALSE(bad_trend.ok());
  EXPECT_THAT(bad_trend.error().message, HasSubstr("3 (Not enough info)"));
  ASSERT_FALSE(bad_id.ok());
  EXPECT_EQ(bad_id.error().category, ErrorCategory::invalid_argument);
  ASSERT_FALSE(long_reasons.ok());
  EXPECT_THAT(long_reasons.error().message, HasSubstr("10000"));
  EXPECT_EQ(transport_->call_count(), 0U);
}

TEST_F(ClientTest, MergeLeadsPostsTheUnboundActionWithTypedLeadReferences) {
  const std::string subordinate = "11111111-2222-4333-8444-555555555555";
  transport_->then_respond(204);

  const auto merged = client_->merge_leads(kLeadId, subordinate);

  ASSERT_TRUE(merged.ok()) << merged.error().describe();
  EXPECT_EQ(wire(0),
            "POST " + kRoot + "Merge\n" + odata_headers() +
                "Content-Type: application/json; charset=utf-8\n" + pipeline_headers() + "\n" +
                R"({"PerformParentingChecks":false,)" +
                R"("Subordinate":{"@odata.type":"Microsoft.Dynamics.CRM.lead","leadid":")" +
                subordinate + R"("},)" +
                R"("Target":{"@odata.type":"Microsoft.Dynamics.CRM.lead","leadid":")" + kLeadId +
                R"("}})");
  EXPECT_FALSE(call(0).context.idempotent) << "a second Merge of the same lead is refused";
}

TEST_F(ClientTest, MergeLeadsSendsUpdateContentTypedAsALeadAndTheParentingChecks) {
  const std::string subordinate = "11111111-2222-4333-8444-555555555555";
  transport_->then_respond(204);

  const auto merged =
      client_->merge_leads(kLeadId, subordinate, {{"telephone1", "+4930123456"}}, true);

  ASSERT_TRUE(merged.ok()) << merged.error().describe();
  const auto body = nlohmann::json::parse(call(0).request.body);
  EXPECT_EQ(body["UpdateContent"], (nlohmann::json{{"@odata.type", "Microsoft.Dynamics.CRM.lead"},
                                                   {"telephone1", "+4930123456"}}));
  EXPECT_EQ(body["PerformParentingChecks"], true);
}

TEST_F(ClientTest, MergeLeadsRefusesTheSameLeadTwiceOrAnIdThatIsNotAGuidBeforeSending) {
  const auto same = client_->merge_leads(kLeadId, kLeadId);
  const auto not_guid = client_->merge_leads(kLeadId, "lead-2");
  const auto not_object = client_->merge_leads(kLeadId, "11111111-2222-4333-8444-555555555555",
                                               nlohmann::json::array());

  ASSERT_FALSE(same.ok());
  EXPECT_EQ(same.error().category, ErrorCategory::invalid_argument);
  EXPECT_THAT(same.error().message, HasSubstr("cannot be merged into itself"));
  ASSERT_FALSE(not_guid.ok());
  EXPECT_THAT(not_guid.error().message, HasSubstr("subordinate lead id"));
  ASSERT_FALSE(not_object.ok());
  EXPECT_EQ(not_object.error().category, ErrorCategory::invalid_argument);
  EXPECT_EQ(transport_->call_count(), 0U);
}

TEST_F(ClientTest, MergeLeadsRefusalsKeepTheStatusCodeAndMessage) {
  const std::string subordinate = "11111111-2222-4333-8444-555555555555";
  transport_->then_json(404, R"({"error":{"code":"0x80040217","message":"lead With Id = )" +
                                 subordinate + R"( Does Not Exist"}})");
  transport_->then_json(400, R"({"error":{"code":"0x80040203","message":"The subordinate lead )" +
                                 subordinate + R"( was already merged into lead )" + kLeadId +
                                 R"( and is inactive; it cannot be merged again."}})");

  const auto missing = client_->merge_leads(kLeadId, subordinate);
  const auto again = client_->merge_leads(kLeadId, subordinate);

  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().category, ErrorCategory::not_found);
  EXPECT_EQ(missing.error().http_status, 404);
  EXPECT_FALSE(missing.error().retryable);
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().category, ErrorCategory::validation);
  EXPECT_EQ(again.error().service_code, "0x80040203");
  EXPECT_THAT(again.error().message, HasSubstr("already merged"));
  EXPECT_FALSE(again.error().request_id.empty());
}

TEST_F(ClientTest, TrackChangesReadsEveryPageAndKeepsTheDeltaLink) {
  const std::string next = kRoot + "leads?$select=leadid,lastname&$skiptoken=2";
  const std::string delta = kRoot + "leads?$select=leadid,lastname&$deltatoken=919042%2108%2f22";
  transport_->then_json(200, R"({"value":[{"leadid":"1"}],"@odata.nextLink":")" + next + R"("})")
      .then_json(200, R"({"value":[{"leadid":"2"}],"@odata.deltaLink":")" + delta + R"("})");

  const auto changes = client_->track_changes("leads", {"leadid", "lastname"});

  ASSERT_TRUE(changes.ok()) << changes.error().describe();
  EXPECT_EQ(changes->changed.size(), 2U);
  EXPECT_TRUE(changes->deleted.empty());
  EXPECT_EQ(changes->delta_link, delta);
  const std::string tail = odata_headers() + "If-None-Match: null\n" +
                           "Prefer: odata.track-changes,odata.maxpagesize=5000\n" +
                           pipeline_headers();
  EXPECT_EQ(wire(0), "GET " + kRoot + "leads?$select=leadid,lastname\n" + tail);
  EXPECT_EQ(wire(1), "GET " + next + "\n" + tail);
}

TEST_F(ClientTest, TrackChangesFromADeltaLinkCollectsDeletedRows) {
  const std::string delta = kRoot + "leads?$select=leadid&$deltatoken=1%212";
  const std::string next_delta = kRoot + "leads?$select=leadid&$deltatoken=3%214";
  transport_->then_json(
      200,
      R"({"value":[{"leadid":"9","lastname":"New"},)"
      R"({"@odata.context":"x/$metadata#leads/$deletedEntity","id":"d-1","reason":"deleted"}],)"
      R"("@odata.deltaLink":")" +
          next_delta + R"("})");

  const auto changes = client_->track_changes("leads", {"leadid"}, delta);

  ASSERT_TRUE(changes.ok()) << changes.error().describe();
  EXPECT_EQ(call(0).request.url, delta) << "the delta link is used as given";
  ASSERT_EQ(changes->changed.size(), 1U);
  ASSERT_EQ(changes->deleted.size(), 1U);
  EXPECT_EQ(changes->deleted[0].id, "d-1");
  EXPECT_EQ(changes->delta_link, next_delta);
}

TEST_F(ClientTest, TrackChangesWithoutADeltaLinkIsAProtocolError) {
  transport_->then_json(200, R"({"value":[]})");

  const auto changes = client_->track_changes("leads", {"leadid"});

  ASSERT_FALSE(changes.ok());
  EXPECT_EQ(changes.error().category, ErrorCategory::protocol);
  EXPECT_THAT(changes.error().message, HasSubstr("change tracking"));
}

TEST_F(ClientTest, AnExpiredDeltaTokenIsRecognised) {
  transport_->then_json(400, R"({"error":{"code":"0x80044352","message":"Version stamp )"
                             R"(associated with the client has expired. Please perform a full )"
                             R"(sync."}})");

  const auto changes =
      client_->track_changes("leads", {"leadid"}, kRoot + "leads?$deltatoken=1%212");

  ASSERT_FALSE(changes.ok());
  EXPECT_TRUE(DataverseClient::is_expired_delta_token(changes.error()));
}

TEST_F(ClientTest, ExpiredDeltaTokenIsRecognisedByItsMessageAloneAndNothingElseIs) {
  Error by_message = Error::make(ErrorCategory::validation,
                                 "Version stamp associated with the client has expired. Please "
                                 "perform a full sync.");
  Error other = Error::make(ErrorCategory::validation, "something else");
  other.service_code = "0x80044331";

  EXPECT_TRUE(DataverseClient::is_expired_delta_token(by_message));
  EXPECT_FALSE(DataverseClient::is_expired_delta_token(other));
}

TEST_F(ClientTest, ColumnExistsAsksForTheAttributeDefinition) {
  transport_->then_json(200, R"({"LogicalName":"leadsync_externalid"})");

  const auto exists = client_->column_exists("lead", "leadsync_externalid");

  ASSERT_TRUE(exists.ok());
  EXPECT_TRUE(*exists);
  EXPECT_EQ(wire(0), "GET " + kRoot +
                         "EntityDefinitions(LogicalName='lead')/Attributes(LogicalName='leadsync_"
                         "externalid')?$select=LogicalName\n" +
                         odata_headers() + "If-None-Match: null\n" + pipeline_headers());
}

TEST_F(ClientTest, AMissingColumnIsFalseButOtherFailuresAreErrors) {
  transport_->then_json(404, R"({"error":{"code":"0x80041103","message":"no such attribute"}})")
      .then_json(403, R"({"error":{"code":"0x80040220","message":"no privilege"}})");

  const auto missing = client_->column_exists("lead", "leadsync_externalid");
  const auto forbidden = client_->column_exists("lead", "leadsync_externalid");

  ASSERT_TRUE(missing.ok());
  EXPECT_FALSE(*missing);
  ASSERT_FALSE(forbidden.ok());
  EXPECT_EQ(forbidden.error().category, ErrorCategory::forbidden);
}

TEST_F(ClientTest, AlternateKeyStatusMatchesTheKeyByNameAndReadsItsIndexStatus) {
  transport_->then_json(
      200,
      R"({"value":[{"SchemaName":"other","LogicalName":"other","EntityKeyIndexStatus":"Failed"},)"
      R"({"SchemaName":"leadsync_ExternalId","LogicalName":"leadsync_externalid",)"
      R"("KeyAttributes":["leadsync_externalid"],"EntityKeyIndexStatus":"InProgress"}]})");

  const auto status = client_->alternate_key_status("lead", "leadsync_externalid");

  ASSERT_TRUE(status.ok()) << status.error().describe();
  EXPECT_EQ(*status, KeyIndexStatus::in_progress);
  EXPECT_EQ(wire(0), "GET " + kRoot +
                         "EntityDefinitions(LogicalName='lead')/Keys?$select=SchemaName,"
                         "LogicalName,KeyAttributes,EntityKeyIndexStatus\n" +
                         odata_headers() + "If-None-Match: null\n" + pipeline_headers());
}

TEST_F(ClientTest, AKeyNamedByPowerAppsIsFoundByItsOnlyColumn) {
  transport_->then_json(200,
                        R"({"value":[{"SchemaName":"cr8a2_LeadsyncExternalId","LogicalName":)"
                        R"("cr8a2_leadsyncexternalid","KeyAttributes":["leadsync_externalid"],)"
                        R"("EntityKeyIndexStatus":"Active"}]})");

  const auto status = client_->alternate_key_status("lead", "leadsync_externalid");

  ASSERT_TRUE(status.ok()) << status.error().describe();
  EXPECT_EQ(*status, KeyIndexStatus::active);
}

TEST_F(ClientTest, AlternateKeyStatusMapsEveryIndexStatusAndAMissingKey) {
  const auto keys = [](const std::string& status) {
    return R"({"value":[{"SchemaName":"k","EntityKeyIndexStatus":")" + status + R"("}]})";
  };
  transport_->then_json(200, keys("Pending"))
      .then_json(200, keys("Active"))
      .then_json(200, keys("Failed"))
      .then_json(200, R"({"value":[]})")
      .then_json(200, keys("Rebuilding"));

  EXPECT_EQ(client_->alternate_key_status("lead", "k").value(), KeyIndexStatus::pending);
  EXPECT_EQ(client_->alternate_key_status("lead", "k").value(), KeyIndexStatus::active);
  EXPECT_EQ(client_->alternate_key_status("lead", "k").value(), KeyIndexStatus::failed);
  EXPECT_EQ(client_->alternate_key_status("lead", "k").value(), KeyIndexStatus::missing);
  const auto unknown = client_->alternate_key_status("lead", "k");
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.error().category, ErrorCategory::protocol);
}

TEST_F(ClientTest, MetadataChecksRefuseNamesThatWouldChangeTheUrl) {
  const auto column = client_->column_exists("lead", "x')/..");
  const auto key = client_->alternate_key_status("lead'", "k");

  EXPECT_FALSE(column.ok());
  EXPECT_FALSE(key.ok());
  EXPECT_EQ(transport_->call_count(), 0U);
}

class WebhookTest : public ClientFixture {
protected:
  static constexpr const char* message_id = "7c1a3f2e-5b8d-4e61-9a0c-2d4f6b8e1b01";
  static constexpr const char* filter_id = "7c1a3f2e-5b8d-4e61-9a0c-2d4f6b8e1c01";
  static constexpr const char* endpoint = "aaaaaaaa-0000-4000-8000-000000000001";
  static constexpr const char* webhook_step_id = "bbbbbbbb-0000-4000-8000-000000000002";

  void script_lookups() {
    transport_
        ->then_json(200, std::string(R"({"value":[{"sdkmessageid":")") + message_id + R"("}]})")
        .then_json(200, std::string(R"({"value":[{"sdkmessagefilterid":")") + filter_id + R"("}]})")
        .then_respond(204, {{"OData-EntityId", kRoot + "serviceendpoints(" + endpoint + ")"}});
  }
};

TEST_F(WebhookTest, RegisterFindsTheMessageAndFilterThenCreatesEndpointAndStep) {
  script_lookups();
  transport_->then_respond(
      204, {{"OData-EntityId", kRoot + "sdkmessageprocessingsteps(" + webhook_step_id + ")"}});

  const auto registration = client_->register_webhook("leadsync", "https://hooks.example.com/lead",
                                                      WebhookAuth::webhook_key, "key-123");

  ASSERT_TRUE(registration.ok()) << registration.error().describe();
  EXPECT_EQ(registration->service_endpoint_id, endpoint);
  EXPECT_EQ(registration->step_id, webhook_step_id);
  const std::string read_tail = odata_headers() + "If-None-Match: null\n" +
                                "Prefer: odata.maxpagesize=5000\n" + pipeline_headers();
  EXPECT_EQ(wire(0),
            "GET " + kRoot +
                "sdkmessages?$select=sdkmessageid&$filter=name%20eq%20%27Create%27&$top=1\n" +
                read_tail);
  EXPECT_EQ(wire(1), "GET " + kRoot +
                         "sdkmessagefilters?$select=sdkmessagefilterid&$filter="
                         "primaryobjecttypecode%20eq%20%27lead%27%20and%20_sdkmessageid_value%20eq%"
                         "20" +
                         message_id + "&$top=1\n" + read_tail);
  const std::string write_head = odata_headers() +
                                 "Content-Type: application/json; charset=utf-8\n" +
                                 pipeline_headers() + "\n";
  EXPECT_EQ(wire(2), "POST " + kRoot + "serviceendpoints\n" + write_head +
                         R"({"authtype":4,"authvalue":"key-123","contract":8,"messageformat":2,)"
                         R"("name":"leadsync","url":"https://hooks.example.com/lead"})");
  EXPECT_EQ(wire(3), "POST " + kRoot + "sdkmessageprocessingsteps\n" + write_head +
                         R"j({"eventhandler_serviceendpoint@odata.bind":"/serviceendpoints()j" +
                         endpoint +
                         R"j()","mode":1,"name":"leadsync: Create of lead","rank":1,)j"
                         R"j("sdkmessagefilterid@odata.bind":"/sdkmessagefilters()j" +
                         filter_id + R"j()","sdkmessageid@odata.bind":"/sdkmessages()j" +
                         message_id + R"j()","stage":40,"supporteddeployment":0})j");
}

TEST_F(WebhookTest, AFailedStepRemovesTheEndpointItLeftBehind) {
  script_lookups();
  transport_->then_json(400, R"({"error":{"code":"0x80040203","message":"bad step"}})")
      .then_respond(204);

  const auto registration = client_->register_webhook("leadsync", "https://hooks.example.com/lead",
                                                      WebhookAuth::http_header, "<settings />");

  ASSERT_FALSE(registration.ok());
  EXPECT_EQ(registration.error().message, "bad step");
  ASSERT_EQ(transport_->call_count(), 5U);
  EXPECT_EQ(call(4).request.method, "DELETE");
  EXPECT_EQ(call(4).request.url, kRoot + "serviceendpoints(" + endpoint + ")");
}

TEST_F(WebhookTest, RegisterFailsClearlyWhenTheCreateMessageIsMissing) {
  transport_->then_json(200, R"({"value":[]})");

  const auto registration = client_->register_webhook("leadsync", "https://hooks.example.com/lead",
                                                      WebhookAuth::webhook_key, "k");

  ASSERT_FALSE(registration.ok());
  EXPECT_EQ(registration.error().category, ErrorCategory::not_found);
  EXPECT_THAT(registration.error().message, HasSubstr("Create"));
}

TEST_F(WebhookTest, UnregisterDeletesStepThenEndpointAndToleratesRowsAlreadyGone) {
  transport_->then_respond(204).then_json(404, R"({"error":{"code":"","message":"gone"}})");

  const auto removed = client_->unregister_webhook({endpoint, webhook_step_id});

  ASSERT_TRUE(removed.ok()) << removed.error().describe();
  EXPECT_EQ(wire(0), "DELETE " + kRoot + "sdkmessageprocessingsteps(" + webhook_step_id + ")\n" +
                         odata_headers() + pipeline_headers());
  EXPECT_EQ(wire(1), "DELETE " + kRoot + "serviceendpoints(" + endpoint + ")\n" + odata_headers() +
                         pipeline_headers());
}

} // namespace
} // namespace leadsync::dataverse
