// The emulated Web API in process: http::Request values in, http::Response values out, against the
// behaviour dataverse-notes.md documents (sections 2-7, 9, 12).

#include "dvemu/record_store.hpp"
#include "dvemu/schema.hpp"
#include "dvemu/web_api.hpp"

#include <chrono>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <leadsync/core/clock.hpp>
#include <leadsync/core/random.hpp>
#include <leadsync/core/uuid.hpp>
#include <leadsync/http/message.hpp>
#include <set>
#include <string>
#include <utility>
#include <vector>

namespace dvemu {
namespace {

namespace http = leadsync::http;
using ::testing::HasSubstr;
using ::testing::StartsWith;

constexpr const char* org_url = "http://127.0.0.1:8765";
constexpr const char* root = "http://127.0.0.1:8765/api/data/v9.2/";
constexpr const char* api = "/api/data/v9.2/";

struct Created {
  std::string entity;
  std::string id;
  std::string user;
};

class RecordingSink : public EventSink {
public:
  void record_created(const EntityDef& entity, const StoredRecord& record,
                      const std::string& user_id) override {
    events.push_back(Created{entity.logical_name, record.id, user_id});
  }
  std::vector<Created> events;
};

EmulatorOptions test_options() {
  EmulatorOptions options;
  options.organization_url = org_url;
  options.limits.dop_hint = 7;
  return options;
}

class WebApiTest : public ::testing::Test {
protected:
  WebApiTest()
      : options_(test_options()), schema_(Schema::dataverse(options_)),
        store_(schema_, clock_, random_), api_(schema_, store_, options_, &sink_) {
    context_.user_id = "11111111-1111-4111-8111-111111111111";
    context_.business_unit_id = "22222222-2222-4222-8222-222222222222";
    context_.organization_id = "33333333-3333-4333-8333-333333333333";
  }

  http::Response send(const std::string& method, const std::string& path,
                      const std::string& body = "",
                      const std::vector<std::pair<std::string, std::string>>& headers = {}) {
    http::Request request;
    request.method = method;
    request.url = starts_with_root(path) ? path.substr(std::string(org_url).size()) : api + path;
    request.body = body;
    if (!body.empty()) {
      request.headers.set("Content-Type", "application/json; charset=utf-8");
    }
    for (const auto& [name, value] : headers) {
      request.headers.set(name, value);
    }
    return api_.handle(request, context_);
  }
  http::Response get(const std::string& path,
                     const std::vector<std::pair<std::string, std::string>>& headers = {}) {
    return send("GET", path, "", headers);
  }
  http::Response post(const std::string& path, const nlohmann::json& body,
                      const std::vector<std::pair<std::string, std::string>>& headers = {}) {
    return send("POST", path, body.dump(), headers);
  }
  http::Response patch(const std::string& path, const nlohmann::json& body,
                       const std::vector<std::pair<std::string, std::string>>& headers = {}) {
    return send("PATCH", path, body.dump(), headers);
  }

  // Creates a lead and returns its id, read from OData-EntityId.
  std::string create_lead(const nlohmann::json& body) {
    const auto response = post("leads", body);
    EXPECT_EQ(response.status, 204) << response.body;
    return id_from_entity_id(response);
  }
  std::string create(const std::string& set, const nlohmann::json& body) {
    const auto response = post(set, body);
    EXPECT_EQ(response.status, 204) << response.body;
    return id_from_entity_id(response);
  }
  static std::string id_from_entity_id(const http::Response& response) {
    const std::string url = response.headers.get("OData-EntityId").value_or("");
    const auto open = url.rfind('(');
    return open == std::string::npos ? std::string() : url.substr(open + 1, url.size() - open - 2);
  }
  nlohmann::json lead(const std::string& id) {
    const auto response = get("leads(" + id + ")");
    EXPECT_EQ(response.status, 200) << response.body;
    return nlohmann::json::parse(response.body);
  }
  std::size_t lead_rows() {
    auto txn = store_.begin();
    return txn.scan(*schema_.by_entity_set("leads")).size();
  }
  static nlohmann::json json_of(const http::Response& response) {
    return nlohmann::json::parse(response.body);
  }
  static std::string error_code(const http::Response& response) {
    return nlohmann::json::parse(response.body)["error"]["code"].get<std::string>();
  }
  static std::string error_message(const http::Response& response) {
    return nlohmann::json::parse(response.body)["error"]["message"].get<std::string>();
  }
  static bool starts_with_root(const std::string& path) { return path.rfind(org_url, 0) == 0; }

  leadsync::ManualClock clock_;
  leadsync::SeededRandom random_{42};
  EmulatorOptions options_;
  Schema schema_;
  RecordStore store_;
  RecordingSink sink_;
  WebApi api_;
  CallContext context_;
};

TEST_F(WebApiTest, CreateAnswers204WithTheODataEntityIdOfTheNewRow) {
  const auto response = post("leads", {{"firstname", "Ada"}, {"lastname", "Lovelace"}});

  ASSERT_EQ(response.status, 204) << response.body;
  EXPECT_EQ(response.headers.get("OData-Version"), "4.0");
  const std::string id = id_from_entity_id(response);
  EXPECT_TRUE(leadsync::Uuid::is_valid(id));
  EXPECT_EQ(response.headers.get("OData-EntityId"), std::string(root) + "leads(" + id + ")");
  EXPECT_TRUE(response.body.empty());
  EXPECT_EQ(lead(id)["firstname"], "Ada");
  ASSERT_EQ(sink_.events.size(), 1u);
  EXPECT_EQ(sink_.events[0].entity, "lead");
  EXPECT_EQ(sink_.events[0].id, id);
  EXPECT_EQ(sink_.events[0].user, context_.user_id);
}

TEST_F(WebApiTest, CreateWithReturnRepresentationAnswers201WithTheSelectedColumnsAndNoEntityId) {
  const auto response = post("leads?$select=firstname", {{"firstname", "Ada"}, {"lastname", "L"}},
                             {{"Prefer", "return=representation"}});

  ASSERT_EQ(response.status, 201) << response.body;
  EXPECT_EQ(response.headers.get("Preference-Applied"), "return=representation");
  EXPECT_EQ(response.headers.get("Content-Type"), "application/json; odata.metadata=minimal");
  EXPECT_FALSE(response.headers.has("OData-EntityId"));
  const auto body = json_of(response);
  EXPECT_EQ(body["@odata.context"], std::string(root) + "$metadata#leads(firstname)/$entity");
  EXPECT_THAT(body["@odata.etag"].get<std::string>(), StartsWith("W/\""));
  EXPECT_EQ(body["firstname"], "Ada");
  EXPECT_TRUE(leadsync::Uuid::is_valid(body["leadid"].get<std::string>()));
  EXPECT_FALSE(body.contains("lastname"));
}

TEST_F(WebApiTest, CreateRefusesAFirstnameLongerThanFiftyCharacters) {
  const auto response = post("leads", {{"firstname", std::string(51, 'a')}});

  EXPECT_EQ(response.status, 400);
  EXPECT_EQ(error_code(response), "0x80044331");
  EXPECT_EQ(lead_rows(), 0u);
}

TEST_F(WebApiTest, CreateRefusesAnUnknownProperty) {
  const auto response = post("leads", {{"Firstname", "Ada"}});

  EXPECT_EQ(response.status, 400);
  EXPECT_THAT(error_message(response), HasSubstr("Firstname"));
  EXPECT_EQ(lead_rows(), 0u);
}

TEST_F(WebApiTest, CreateRefusesABodyThatIsNotJson) {
  http::Request request;
  request.method = "POST";
  request.url = std::string(api) + "leads";
  request.headers.set("Content-Type", "text/plain");
  request.body = "firstname=Ada";
  const auto wrong_type = api_.handle(request, context_);
  request.headers.set("Content-Type", "application/json");
  request.body = "{\"firstname\":";
  const auto truncated = api_.handle(request, context_);

  EXPECT_EQ(wrong_type.status, 400);
  EXPECT_THAT(error_message(wrong_type), HasSubstr("Content-Type: application/json"));
  EXPECT_EQ(truncated.status, 400);
  EXPECT_EQ(error_code(truncated), "0x80048d19");
  EXPECT_EQ(lead_rows(), 0u);
}

TEST_F(WebApiTest, RetrieveSelectsColumnsAndExpandsTheParentAccount) {
  const std::string account = create("accounts", {{"name", "Contoso"}});
  const std::string id =
      create_lead({{"firstname", "Ada"},
                   {"lastname", "Lovelace"},
                   {"parentaccountid@odata.bind", "/accounts(" + account + ")"}});

  const auto response =
      get("leads(" + id + ")?$select=firstname&$expand=parentaccountid($select=name)");

  ASSERT_EQ(response.status, 200) << response.body;
  const auto body = json_of(response);
  EXPECT_EQ(body["@odata.context"],
            std::string(root) + "$metadata#leads(firstname,parentaccountid(name))/$entity");
  EXPECT_EQ(body["firstname"], "Ada");
  EXPECT_FALSE(body.contains("lastname"));
  EXPECT_EQ(body["parentaccountid"]["name"], "Contoso");
  EXPECT_EQ(body["parentaccountid"]["accountid"], account);
}

TEST_F(WebApiTest, RetrieveByAlternateKeyFindsTheRow) {
  const std::string id = create_lead({{"leadsync_externalid", "ext-1"}, {"lastname", "K"}});

  const auto response = get("leads(leadsync_externalid='ext-1')?$select=lastname");

  ASSERT_EQ(response.status, 200) << response.body;
  EXPECT_EQ(json_of(response)["leadid"], id);
}

TEST_F(WebApiTest, RetrieveAnswers304OnlyWhileIfNoneMatchNamesTheCurrentVersion) {
  const std::string id = create_lead({{"lastname", "Lovelace"}});
  const std::string etag = lead(id)["@odata.etag"];

  const auto unchanged = get("leads(" + id + ")", {{"If-None-Match", etag}});
  const auto with_expand =
      get("leads(" + id + ")?$expand=parentaccountid($select=name)", {{"If-None-Match", etag}});
  const auto with_annotations =
      get("leads(" + id + ")",
          {{"If-None-Match", etag}, {"Prefer", "odata.include-annotations=\"*\""}});
  ASSERT_EQ(patch("leads(" + id + ")", {{"lastname", "Byron"}}).status, 204);
  const auto changed = get("leads(" + id + ")", {{"If-None-Match", etag}});

  EXPECT_EQ(unchanged.status, 304);
  EXPECT_TRUE(unchanged.body.empty());
  EXPECT_EQ(with_expand.status, 200);
  EXPECT_EQ(with_annotations.status, 200);
  ASSERT_EQ(changed.status, 200);
  EXPECT_EQ(json_of(changed)["lastname"], "Byron");
}

TEST_F(WebApiTest, RetrieveOfAMissingRowAnswers404WithTheDocumentedMessage) {
  const std::string missing = "aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa";

  const auto response = get("leads(" + missing + ")");

  EXPECT_EQ(response.status, 404);
  EXPECT_EQ(error_message(response), "lead With Id = " + missing + " Does Not Exist");
}

TEST_F(WebApiTest, UpdateWithAStaleIfMatchAnswers412AndLeavesTheRow) {
  const std::string id = create_lead({{"lastname", "Lovelace"}});
  const std::string stale = lead(id)["@odata.etag"];
  ASSERT_EQ(patch("leads(" + id + ")", {{"lastname", "Byron"}}).status, 204);

  const auto response = patch("leads(" + id + ")", {{"lastname", "King"}}, {{"If-Match", stale}});
  const auto current = patch("leads(" + id + ")", {{"jobtitle", "Countess"}},
                             {{"If-Match", lead(id)["@odata.etag"]}});

  EXPECT_EQ(response.status, 412);
  EXPECT_EQ(error_code(response), "0x80060882");
  EXPECT_EQ(error_message(response),
            "The version of the existing record doesn't match the RowVersion property provided.");
  EXPECT_EQ(current.status, 204);
  EXPECT_EQ(lead(id)["lastname"], "Byron");
}

TEST_F(WebApiTest, UpdateWithReturnRepresentationAnswers200) {
  const std::string id = create_lead({{"lastname", "Lovelace"}});

  const auto response = patch("leads(" + id + ")?$select=lastname", {{"lastname", "Byron"}},
                              {{"Prefer", "return=representation"}});

  ASSERT_EQ(response.status, 200) << response.body;
  EXPECT_EQ(json_of(response)["lastname"], "Byron");
  EXPECT_EQ(response.headers.get("Preference-Applied"), "return=representation");
}

TEST_F(WebApiTest, UpsertByAlternateKeyWithAQuoteCreatesThenUpdatesTheSameRow) {
  const std::string path = "leads(leadsync_externalid='O''Brien-1')";

  const auto created = patch(path, {{"firstname", "Pat"}, {"lastname", "O'Brien"}});
  const auto updated = patch(path, {{"firstname", "Patrick"}});

  ASSERT_EQ(created.status, 204) << created.body;
  ASSERT_EQ(updated.status, 204) << updated.body;
  const std::string id = id_from_entity_id(created);
  EXPECT_TRUE(leadsync::Uuid::is_valid(id));
  EXPECT_EQ(updated.headers.get("OData-EntityId"), created.headers.get("OData-EntityId"));
  EXPECT_EQ(lead_rows(), 1u);
  const auto row = lead(id);
  EXPECT_EQ(row["leadsync_externalid"], "O'Brien-1");
  EXPECT_EQ(row["firstname"], "Patrick");
  EXPECT_EQ(row["lastname"], "O'Brien");
}

TEST_F(WebApiTest, UpsertByPrimaryKeyCreatesTheRowWithThatId) {
  const std::string id = "bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb";

  const auto response =
      patch("leads(" + id + ")", {{"lastname", "New"}}, {{"Prefer", "return=representation"}});
  const auto again =
      patch("leads(" + id + ")", {{"lastname", "Newer"}}, {{"Prefer", "return=representation"}});

  EXPECT_EQ(response.status, 201);
  EXPECT_EQ(again.status, 200);
  EXPECT_EQ(lead(id)["lastname"], "Newer");
}

TEST_F(WebApiTest, UpsertWithIfNoneMatchStarOnAnExistingRowAnswers412) {
  const std::string id = create_lead({{"lastname", "Lovelace"}});

  const auto response =
      patch("leads(" + id + ")", {{"lastname", "Byron"}}, {{"If-None-Match", "*"}});

  EXPECT_EQ(response.status, 412);
  EXPECT_EQ(error_message(response), "A record with matching key values already exists.");
  EXPECT_EQ(lead(id)["lastname"], "Lovelace");
}

TEST_F(WebApiTest, UpsertWithIfMatchStarOnAMissingRowAnswers404AndCreatesNothing) {
  const std::string missing = "cccccccc-cccc-4ccc-8ccc-cccccccccccc";

  const auto response =
      patch("leads(" + missing + ")", {{"lastname", "Ghost"}}, {{"If-Match", "*"}});

  EXPECT_EQ(response.status, 404);
  EXPECT_EQ(error_message(response), "lead With Id = " + missing + " Does Not Exist");
  EXPECT_EQ(lead_rows(), 0u);
}

TEST_F(WebApiTest, DeleteAnswers204ThenTheRowIsGone) {
  const std::string id = create_lead({{"lastname", "Lovelace"}});

  const auto deleted = send("DELETE", "leads(" + id + ")");
  const auto again = send("DELETE", "leads(" + id + ")");

  EXPECT_EQ(deleted.status, 204);
  EXPECT_EQ(get("leads(" + id + ")").status, 404);
  EXPECT_EQ(again.status, 404);
}

TEST_F(WebApiTest, DeleteWithAStaleIfMatchAnswers412AndKeepsTheRow) {
  const std::string id = create_lead({{"lastname", "Lovelace"}});
  const std::string stale = lead(id)["@odata.etag"];
  ASSERT_EQ(patch("leads(" + id + ")", {{"lastname", "Byron"}}).status, 204);

  const auto response = send("DELETE", "leads(" + id + ")", "", {{"If-Match", stale}});

  EXPECT_EQ(response.status, 412);
  EXPECT_EQ(get("leads(" + id + ")").status, 200);
}

TEST_F(WebApiTest, SinglePropertyPutGetAndDelete) {
  const std::string id = create_lead({{"lastname", "Lovelace"}, {"jobtitle", "Analyst"}});

  const auto put = send("PUT", "leads(" + id + ")/jobtitle", R"({"value":"Countess"})");
  const auto read = get("leads(" + id + ")/jobtitle");
  const auto cleared = send("DELETE", "leads(" + id + ")/jobtitle");
  const auto read_cleared = get("leads(" + id + ")/jobtitle");

  EXPECT_EQ(put.status, 204);
  ASSERT_EQ(read.status, 200) << read.body;
  EXPECT_EQ(json_of(read)["value"], "Countess");
  EXPECT_EQ(cleared.status, 204);
  EXPECT_EQ(read_cleared.status, 204);
  EXPECT_TRUE(lead(id)["jobtitle"].is_null());
}

TEST_F(WebApiTest, RetrieveMultipleFiltersSortsLimitsAndCounts) {
  for (const char* name : {"Smith", "Stone", "Sato", "Brown", "Silva", "Jones"}) {
    create_lead({{"lastname", name}});
  }

  const auto response =
      get("leads?$select=lastname&$filter=startswith(lastname,'S')&$orderby=lastname%20desc&$top=2&"
          "$count=true");

  ASSERT_EQ(response.status, 200) << response.body;
  const auto body = json_of(response);
  EXPECT_EQ(body["@odata.context"], std::string(root) + "$metadata#leads(lastname)");
  EXPECT_EQ(body["@odata.count"], 4);
  ASSERT_EQ(body["value"].size(), 2u);
  EXPECT_EQ(body["value"][0]["lastname"], "Stone");
  EXPECT_EQ(body["value"][1]["lastname"], "Smith");
  EXPECT_FALSE(body.contains("@odata.nextLink"));
  EXPECT_EQ(context_.records_processed, 6 + 2);
}

TEST_F(WebApiTest, PagingWalksTwelveRowsInThreePagesThroughAbsoluteNextLinks) {
  std::set<std::string> all;
  for (int i = 0; i < 12; ++i) {
    all.insert(create_lead({{"lastname", "Row " + std::to_string(i % 4)}}));
  }
  const std::vector<std::pair<std::string, std::string>> prefer = {
      {"Prefer", "odata.maxpagesize=5"}};

  std::vector<std::size_t> page_sizes;
  std::vector<std::string> seen;
  std::string next = "leads?$select=lastname&$orderby=lastname&$top=3";
  while (!next.empty()) {
    const auto response = get(next, prefer);
    ASSERT_EQ(response.status, 200) << response.body;
    EXPECT_EQ(response.headers.get("Preference-Applied"), "odata.maxpagesize=5");
    const auto body = json_of(response);
    page_sizes.push_back(body["value"].size());
    for (const auto& row : body["value"]) {
      seen.push_back(row["leadid"]);
    }
    next = body.value("@odata.nextLink", "");
    if (!next.empty()) {
      EXPECT_THAT(next,
                  StartsWith(std::string(root) + "leads?$select=lastname&$orderby=lastname&$top=3&"
                                                 "$skiptoken="));
    }
  }

  EXPECT_EQ(page_sizes, (std::vector<std::size_t>{5, 5, 2})); // $top is ignored with maxpagesize
  EXPECT_EQ(std::set<std::string>(seen.begin(), seen.end()), all);
  EXPECT_EQ(seen.size(), all.size());
}

TEST_F(WebApiTest, MaxPageSizeIsCappedAtFiveThousand) {
  create_lead({{"lastname", "Only"}});

  const auto response = get("leads", {{"Prefer", "odata.maxpagesize=9000"}});
  const auto invalid = get("leads", {{"Prefer", "odata.maxpagesize=lots"}});

  EXPECT_EQ(response.headers.get("Preference-Applied"), "odata.maxpagesize=5000");
  EXPECT_EQ(invalid.status, 400);
}

TEST_F(WebApiTest, CountSegmentAnswersPlainText) {
  create_lead({{"lastname", "Smith"}});
  create_lead({{"lastname", "Jones"}});

  const auto all = get("leads/$count");
  const auto filtered = get("leads/$count?$filter=lastname%20eq%20'Smith'");

  EXPECT_EQ(all.status, 200);
  EXPECT_THAT(all.headers.get("Content-Type").value_or(""), StartsWith("text/plain"));
  EXPECT_EQ(all.body, "2");
  EXPECT_EQ(filtered.body, "1");
}

TEST_F(WebApiTest, ChangeTrackingReturnsCreatedUpdatedAndDeletedRowsSinceTheDeltaLink) {
  const std::string kept = create_lead({{"firstname", "Kept"}, {"lastname", "A"}});
  const std::string removed = create_lead({{"firstname", "Removed"}, {"lastname", "B"}});
  const std::vector<std::pair<std::string, std::string>> track = {
      {"Prefer", "odata.track-changes"}};

  const auto initial = get("leads?$select=firstname", track);
  ASSERT_EQ(initial.status, 200) << initial.body;
  EXPECT_EQ(initial.headers.get("Preference-Applied"), "odata.track-changes");
  const std::string delta_link = json_of(initial)["@odata.deltaLink"];
  EXPECT_THAT(delta_link, StartsWith(std::string(root) + "leads?$select=firstname&$deltatoken="));
  EXPECT_EQ(json_of(initial)["value"].size(), 2u);

  ASSERT_EQ(patch("leads(" + kept + ")", {{"firstname", "Changed"}}).status, 204);
  ASSERT_EQ(send("DELETE", "leads(" + removed + ")").status, 204);
  const std::string added = create_lead({{"firstname", "Added"}, {"lastname", "C"}});

  const auto delta = get(delta_link, track);
  ASSERT_EQ(delta.status, 200) << delta.body;
  const auto body = json_of(delta);
  EXPECT_EQ(body["@odata.context"], std::string(root) + "$metadata#leads(firstname)/$delta");
  ASSERT_EQ(body["value"].size(), 3u);
  EXPECT_EQ(body["value"][0]["leadid"], kept);
  EXPECT_EQ(body["value"][0]["firstname"], "Changed");
  EXPECT_EQ(body["value"][1]["leadid"], added);
  EXPECT_EQ(
      body["value"][2],
      (nlohmann::json{{"@odata.context", std::string(root) + "$metadata#leads/$deletedEntity"},
                      {"id", removed},
                      {"reason", "deleted"}}));

  const auto quiet = get(body["@odata.deltaLink"].get<std::string>(), track);
  ASSERT_EQ(quiet.status, 200);
  EXPECT_TRUE(json_of(quiet)["value"].empty());
}

TEST_F(WebApiTest, ChangeTrackingPagesAndPutsTheDeltaLinkOnTheLastPage) {
  for (int i = 0; i < 3; ++i) {
    create_lead({{"lastname", "Row"}});
  }
  const std::vector<std::pair<std::string, std::string>> prefer = {
      {"Prefer", "odata.track-changes,odata.maxpagesize=2"}};

  const auto first = json_of(get("leads?$select=lastname", prefer));
  const auto last = json_of(get(first["@odata.nextLink"].get<std::string>(), prefer));

  EXPECT_FALSE(first.contains("@odata.deltaLink"));
  EXPECT_TRUE(last.contains("@odata.deltaLink"));
  EXPECT_FALSE(last.contains("@odata.nextLink"));
}

TEST_F(WebApiTest, DeltaTokenOlderThanTheConfiguredDaysIsRefusedAsExpired) {
  create_lead({{"lastname", "A"}});
  const std::string delta_link = json_of(
      get("leads?$select=lastname", {{"Prefer", "odata.track-changes"}}))["@odata.deltaLink"];

  clock_.advance(std::chrono::hours(24 * 6));
  const auto six_days = get(delta_link);
  clock_.advance(std::chrono::hours(24 * 2));
  const auto eight_days = get(delta_link);

  EXPECT_EQ(six_days.status, 200);
  EXPECT_EQ(eight_days.status, 400);
  EXPECT_EQ(error_code(eight_days), "0x80044352");
  EXPECT_EQ(error_message(eight_days),
            "Version stamp associated with the client has expired. Please perform a full sync.");
}

TEST_F(WebApiTest, MalformedDeltaTokenIsRefused) {
  const auto response = get("leads?$deltatoken=not-a-token");

  EXPECT_EQ(response.status, 400);
  EXPECT_THAT(error_message(response), HasSubstr("@odata.deltaLink"));
}

TEST_F(WebApiTest, ChangeTrackingRefusesFilterWithTheDocumentedMessage) {
  const auto response = get("leads?$select=lastname&$filter=lastname%20eq%20'A'",
                            {{"Prefer", "odata.track-changes"}});

  EXPECT_EQ(response.status, 400);
  EXPECT_EQ(error_message(response),
            "The \"$filter\" query parameter isn't supported when Change Tracking is enabled.");
}

TEST_F(WebApiTest, CreateMultipleCreatesEveryTargetAndReturnsTheIds) {
  const nlohmann::json body = {
      {"Targets",
       {{{"@odata.type", "Microsoft.Dynamics.CRM.lead"}, {"lastname", "One"}},
        {{"@odata.type", "Microsoft.Dynamics.CRM.lead"}, {"lastname", "Two"}},
        {{"@odata.type", "Microsoft.Dynamics.CRM.lead"}, {"lastname", "Three"}}}}};

  const auto response = post("leads/Microsoft.Dynamics.CRM.CreateMultiple", body);

  ASSERT_EQ(response.status, 200) << response.body;
  const auto result = json_of(response);
  EXPECT_EQ(result["@odata.context"],
            std::string(root) + "$metadata#Microsoft.Dynamics.CRM.CreateMultipleResponse");
  ASSERT_EQ(result["Ids"].size(), 3u);
  EXPECT_EQ(lead(result["Ids"][1])["lastname"], "Two");
  EXPECT_EQ(lead_rows(), 3u);
  EXPECT_EQ(context_.records_processed, 3 + 1);
  EXPECT_EQ(sink_.events.size(), 3u);
}

TEST_F(WebApiTest, CreateMultipleWritesNothingWhenOneTargetFails) {
  const nlohmann::json body = {
      {"Targets",
       {{{"@odata.type", "Microsoft.Dynamics.CRM.lead"}, {"lastname", "One"}},
        {{"@odata.type", "Microsoft.Dynamics.CRM.lead"}, {"firstname", std::string(51, 'x')}},
        {{"@odata.type", "Microsoft.Dynamics.CRM.lead"}, {"lastname", "Three"}}}}};

  const auto response = post("leads/Microsoft.Dynamics.CRM.CreateMultiple", body);

  EXPECT_EQ(response.status, 400);
  EXPECT_EQ(error_code(response), "0x80044331");
  EXPECT_EQ(lead_rows(), 0u);
  EXPECT_TRUE(sink_.events.empty());
}

TEST_F(WebApiTest, BulkTargetWithoutODataTypeIsRefused) {
  const nlohmann::json body = {
      {"Targets",
       {{{"@odata.type", "Microsoft.Dynamics.CRM.lead"}, {"lastname", "One"}},
        {{"lastname", "Two"}}}}};

  const auto response = post("leads/Microsoft.Dynamics.CRM.CreateMultiple", body);

  EXPECT_EQ(response.status, 400);
  EXPECT_THAT(error_message(response),
              HasSubstr("\"@odata.type\": \"Microsoft.Dynamics.CRM.lead\""));
  EXPECT_EQ(lead_rows(), 0u);
}

TEST_F(WebApiTest, UpdateMultipleUpdatesRowsNamedByPrimaryKey) {
  const std::string a = create_lead({{"lastname", "A"}});
  const std::string b = create_lead({{"lastname", "B"}});
  const nlohmann::json body = {
      {"Targets",
       {{{"@odata.type", "Microsoft.Dynamics.CRM.lead"}, {"leadid", a}, {"jobtitle", "CEO"}},
        {{"@odata.type", "Microsoft.Dynamics.CRM.lead"}, {"leadid", b}, {"jobtitle", "CTO"}}}}};
  const nlohmann::json keyless = {
      {"Targets", {{{"@odata.type", "Microsoft.Dynamics.CRM.lead"}, {"jobtitle", "CFO"}}}}};

  const auto response = post("leads/Microsoft.Dynamics.CRM.UpdateMultiple", body);
  const auto refused = post("leads/Microsoft.Dynamics.CRM.UpdateMultiple", keyless);

  EXPECT_EQ(response.status, 204) << response.body;
  EXPECT_EQ(lead(a)["jobtitle"], "CEO");
  EXPECT_EQ(lead(b)["jobtitle"], "CTO");
  EXPECT_EQ(refused.status, 400);
  EXPECT_THAT(error_message(refused), HasSubstr("leadid"));
}

TEST_F(WebApiTest, UpsertMultipleCreatesAndUpdatesByAlternateKey) {
  auto target = [](const std::string& key, const std::string& lastname) {
    return nlohmann::json{{"@odata.type", "Microsoft.Dynamics.CRM.lead"},
                          {"@odata.id", "leads(leadsync_externalid='" + key + "')"},
                          {"lastname", lastname}};
  };
  const auto first = post("leads/Microsoft.Dynamics.CRM.UpsertMultiple",
                          {{"Targets", {target("k1", "One"), target("k2", "Two")}}});
  nlohmann::json absolute = target("k3", "Three");
  absolute["@odata.id"] = std::string(root) + "leads(leadsync_externalid='k3')";
  const auto second = post("leads/Microsoft.Dynamics.CRM.UpsertMultiple",
                           {{"Targets", {target("k2", "Two again"), absolute}}});

  EXPECT_EQ(first.status, 204) << first.body;
  EXPECT_EQ(second.status, 204) << second.body;
  EXPECT_EQ(lead_rows(), 3u);
  EXPECT_EQ(json_of(get("leads(leadsync_externalid='k2')"))["lastname"], "Two again");
  EXPECT_EQ(json_of(get("leads(leadsync_externalid='k3')"))["leadsync_externalid"], "k3");
}

TEST_F(WebApiTest, UpsertMultipleRollsBackEarlierTargetsWhenALaterOneFails) {
  const nlohmann::json body = {{"Targets",
                                {{{"@odata.type", "Microsoft.Dynamics.CRM.lead"},
                                  {"@odata.id", "leads(leadsync_externalid='ok')"},
                                  {"lastname", "Fine"}},
                                 {{"@odata.type", "Microsoft.Dynamics.CRM.lead"},
                                  {"@odata.id", "leads(leadsync_externalid='bad')"},
                                  {"leadsourcecode", 99}}}}};

  const auto response = post("leads/Microsoft.Dynamics.CRM.UpsertMultiple", body);

  EXPECT_EQ(response.status, 400);
  EXPECT_EQ(lead_rows(), 0u);
}

TEST_F(WebApiTest, QualifyLeadCreatesLinkedRecordsAndClosesTheLead) {
  const std::string id = create_lead({{"firstname", "Ada"},
                                      {"lastname", "Lovelace"},
                                      {"companyname", "Analytical Engines"},
                                      {"emailaddress1", "ada@example.com"},
                                      {"subject", "Engine order"}});
  sink_.events.clear();

  const auto response =
      post("leads(" + id + ")/Microsoft.Dynamics.CRM.QualifyLead", {{"CreateAccount", true},
                                                                    {"CreateContact", true},
                                                                    {"CreateOpportunity", true},
                                                                    {"Status", 3}});

  ASSERT_EQ(response.status, 200) << response.body;
  const auto body = json_of(response);
  EXPECT_EQ(body["@odata.context"],
            std::string(root) + "$metadata#Collection(Microsoft.Dynamics.CRM.crmbaseentity)");
  ASSERT_EQ(body["value"].size(), 3u);
  EXPECT_EQ(body["value"][0]["@odata.type"], "#Microsoft.Dynamics.CRM.account");
  const std::string account = body["value"][0]["accountid"];
  const std::string contact = body["value"][1]["contactid"];
  const std::string opportunity = body["value"][2]["opportunityid"];

  const auto account_row = json_of(get("accounts(" + account + ")"));
  EXPECT_EQ(account_row["name"], "Analytical Engines");
  EXPECT_EQ(account_row["_originatingleadid_value"], id);
  const auto contact_row = json_of(get("contacts(" + contact + ")"));
  EXPECT_EQ(contact_row["lastname"], "Lovelace");
  EXPECT_EQ(contact_row["emailaddress1"], "ada@example.com");
  EXPECT_EQ(contact_row["_originatingleadid_value"], id);
  EXPECT_EQ(contact_row["_parentcustomerid_value"], account);
  const auto opportunity_row = json_of(get("opportunities(" + opportunity + ")"));
  EXPECT_EQ(opportunity_row["name"], "Engine order");
  EXPECT_EQ(opportunity_row["_originatingleadid_value"], id);
  EXPECT_EQ(opportunity_row["_customerid_value"], account);

  const auto lead_row = lead(id);
  EXPECT_EQ(lead_row["statecode"], 1);
  EXPECT_EQ(lead_row["statuscode"], 3);
  EXPECT_EQ(lead_row["_qualifyingopportunityid_value"], opportunity);
  EXPECT_EQ(lead_row["_parentaccountid_value"], account);
  EXPECT_EQ(sink_.events.size(), 3u);
}

TEST_F(WebApiTest, QualifyLeadUsesTheCustomerAndCurrencyParameters) {
  const std::string contact = create("contacts", {{"lastname", "Existing"}});
  const std::string currency =
      create("transactioncurrencies",
             {{"currencyname", "Euro"}, {"isocurrencycode", "EUR"}, {"currencysymbol", "E"}});
  const std::string campaign = create("campaigns", {{"name", "Spring"}});
  const std::string id = create_lead({{"firstname", "Ada"}, {"lastname", "Lovelace"}});

  const auto response =
      post("leads(" + id + ")/Microsoft.Dynamics.CRM.QualifyLead",
           {{"CreateAccount", false},
            {"CreateContact", false},
            {"CreateOpportunity", true},
            {"Status", 3},
            {"OpportunityCustomerId",
             {{"@odata.type", "Microsoft.Dynamics.CRM.contact"}, {"contactid", contact}}},
            {"OpportunityCurrencyId",
             {{"@odata.type", "Microsoft.Dynamics.CRM.transactioncurrency"},
              {"transactioncurrencyid", currency}}},
            {"SourceCampaignId",
             {{"@odata.type", "Microsoft.Dynamics.CRM.campaign"}, {"campaignid", campaign}}}});

  ASSERT_EQ(response.status, 200) << response.body;
  const auto value = json_of(response)["value"];
  ASSERT_EQ(value.size(), 1u);
  const auto opportunity =
      json_of(get("opportunities(" + value[0]["opportunityid"].get<std::string>() + ")"));
  EXPECT_EQ(opportunity["name"], "Opportunity for Ada Lovelace");
  EXPECT_EQ(opportunity["_customerid_value"], contact);
  EXPECT_EQ(opportunity["_transactioncurrencyid_value"], currency);
  EXPECT_EQ(opportunity["_campaignid_value"], campaign); // SourceCampaignId is stored
}

TEST_F(WebApiTest, LeadTakesTheGradeAndScoreReasonColumnsWithTheirLengths) {
  const std::string id = create_lead({{"lastname", "Graded"},
                                      {"leadsync_totalscore", 82},
                                      {"leadsync_grade", "A"},
                                      {"leadsync_scorereason", "82 A: pricing page, demo"}});
  const auto row = lead(id);
  EXPECT_EQ(row["leadsync_grade"], "A");
  EXPECT_EQ(row["leadsync_scorereason"], "82 A: pricing page, demo");

  const auto too_long = post("leads", {{"lastname", "X"}, {"leadsync_grade", "AB"}});
  EXPECT_EQ(too_long.status, 400) << too_long.body;
  const auto reason_too_long =
      post("leads", {{"lastname", "X"}, {"leadsync_scorereason", std::string(251, 'r')}});
  EXPECT_EQ(reason_too_long.status, 400) << reason_too_long.body;
}

TEST_F(WebApiTest, FormattedValuesAnnotateChoicesStateAndStatusWhenAsked) {
  const std::string id = create_lead({{"lastname", "Hot"},
                                      {"leadqualitycode", 1},
                                      {"budgetamount", 20000},
                                      {"estimatedclosedate", "2023-04-07"}});
  const char* formatted = "odata.include-annotations=\"OData.Community.Display.V1.FormattedValue\"";

  const auto plain = get("leads(" + id + ")");
  ASSERT_EQ(plain.status, 200);
  EXPECT_FALSE(json_of(plain).contains("statecode@OData.Community.Display.V1.FormattedValue"));
  EXPECT_FALSE(plain.headers.get("Preference-Applied").has_value());

  const auto annotated = get("leads(" + id + ")", {{"Prefer", formatted}});
  ASSERT_EQ(annotated.status, 200) << annotated.body;
  const auto row = json_of(annotated);
  EXPECT_EQ(row["statecode@OData.Community.Display.V1.FormattedValue"], "Open");
  EXPECT_EQ(row["statuscode@OData.Community.Display.V1.FormattedValue"], "New");
  EXPECT_EQ(row["leadqualitycode@OData.Community.Display.V1.FormattedValue"], "Hot");
  EXPECT_EQ(row["budgetamount@OData.Community.Display.V1.FormattedValue"], "$20,000.00");
  EXPECT_EQ(row["estimatedclosedate@OData.Community.Display.V1.FormattedValue"], "4/7/2023");
  EXPECT_EQ(row["leadqualitycode"], 1); // the value itself is unchanged
  EXPECT_FALSE(row.contains("need@OData.Community.Display.V1.FormattedValue")); // null: none
  EXPECT_FALSE(row.contains("lastname@OData.Community.Display.V1.FormattedValue"));
  EXPECT_EQ(annotated.headers.get("Preference-Applied"), formatted);

  ASSERT_EQ(patch("leads(" + id + ")", {{"statecode", 2}, {"statuscode", 6}}).status, 204);
  const auto listed = get("leads?$select=statecode,statuscode,leadqualitycode",
                          {{"Prefer", "odata.include-annotations=\"*\""}});
  ASSERT_EQ(listed.status, 200) << listed.body;
  const auto first = json_of(listed)["value"][0];
  EXPECT_EQ(first["statecode@OData.Community.Display.V1.FormattedValue"], "Disqualified");
  EXPECT_EQ(first["statuscode@OData.Community.Display.V1.FormattedValue"], "No Longer Interested");
  EXPECT_EQ(listed.headers.get("Preference-Applied"), "odata.include-annotations=\"*\"");

  // Other annotations only: no formatted values.
  const auto other =
      get("leads?$select=statecode",
          {{"Prefer", "odata.include-annotations=\"Microsoft.Dynamics.CRM.lookuplogicalname\""}});
  EXPECT_FALSE(
      json_of(other)["value"][0].contains("statecode@OData.Community.Display.V1.FormattedValue"));
}

TEST_F(WebApiTest, FormattedValuesComeWithReturnRepresentationAndDates) {
  const auto created =
      post("leads?$select=leadqualitycode,createdon", {{"lastname", "Rep"}, {"leadqualitycode", 3}},
           {{"Prefer", "return=representation,odata.include-annotations=\"*\""}});
  ASSERT_EQ(created.status, 201) << created.body;
  const auto row = json_of(created);
  EXPECT_EQ(row["leadqualitycode@OData.Community.Display.V1.FormattedValue"], "Cold");
  EXPECT_THAT(row["createdon@OData.Community.Display.V1.FormattedValue"].get<std::string>(),
              ::testing::MatchesRegex("[0-9]+/[0-9]+/[0-9]+ [0-9]+:[0-9][0-9] (AM|PM)"));
  EXPECT_THAT(created.headers.get("Preference-Applied").value_or(""),
              HasSubstr("return=representation"));
  EXPECT_THAT(created.headers.get("Preference-Applied").value_or(""),
              HasSubstr("odata.include-annotations"));
}

TEST_F(WebApiTest, PredictiveScoreIsCreatedThenUpdatedByItsAlternateKey) {
  const std::string lead_id = create_lead({{"lastname", "Scored"}});
  const std::string path =
      "msdyn_predictivescores(msdyn_entityid='" + lead_id + "',msdyn_entitytype='lead')";

  const auto created = patch(path, {{"msdyn_score", 64},
                                    {"msdyn_grade", 1},
                                    {"msdyn_scoretrend", 3},
                                    {"msdyn_scorereasons", "Pricing page visits"}});
  ASSERT_EQ(created.status, 204) << created.body;
  const std::string id = id_from_entity_id(created);
  EXPECT_TRUE(leadsync::Uuid::is_valid(id));
  const auto updated =
      patch(path, {{"msdyn_score", 81}, {"msdyn_grade", 0}, {"msdyn_scoretrend", 0}});
  ASSERT_EQ(updated.status, 204) << updated.body;
  EXPECT_EQ(updated.headers.get("OData-EntityId"), created.headers.get("OData-EntityId"));

  const auto read = get(path, {{"Prefer", "odata.include-annotations=\"*\""}});
  ASSERT_EQ(read.status, 200) << read.body;
  const auto row = json_of(read);
  EXPECT_EQ(row["msdyn_predictivescoreid"], id);
  EXPECT_EQ(row["msdyn_entityid"], lead_id); // key values from the URL go into the new row
  EXPECT_EQ(row["msdyn_entitytype"], "lead");
  EXPECT_EQ(row["msdyn_score"], 81);
  EXPECT_EQ(row["msdyn_scorereasons"], "Pricing page visits");
  EXPECT_EQ(row["msdyn_grade@OData.Community.Display.V1.FormattedValue"], "Grade A");
  EXPECT_EQ(row["msdyn_scoretrend@OData.Community.Display.V1.FormattedValue"], "Improving");
  auto txn = store_.begin();
  EXPECT_EQ(txn.scan(*schema_.by_entity_set("msdyn_predictivescores")).size(), 1u);
}

TEST_F(WebApiTest, PredictiveScoreIsCreatedByPostAndRefusesAGradeOutsideTheOptions) {
  const auto created = post("msdyn_predictivescores", {{"msdyn_score", 40},
                                                       {"msdyn_scoretrend", 1},
                                                       {"msdyn_grade", 2},
                                                       {"msdyn_entityid", "some-lead"},
                                                       {"msdyn_entitytype", "lead"}});
  ASSERT_EQ(created.status, 204) << created.body;
  // The alternate key is unique: a second create for the same lead is refused.
  const auto again =
      post("msdyn_predictivescores",
           {{"msdyn_score", 41}, {"msdyn_entityid", "some-lead"}, {"msdyn_entitytype", "lead"}});
  EXPECT_EQ(again.status, 412) << again.body;
  const auto bad_grade =
      patch("msdyn_predictivescores(msdyn_entityid='other',msdyn_entitytype='lead')",
            {{"msdyn_grade", 4}});
  EXPECT_EQ(bad_grade.status, 400) << bad_grade.body;
  const auto wrong_key = get("msdyn_predictivescores(msdyn_entityid='some-lead')");
  EXPECT_EQ(wrong_key.status, 400) << wrong_key.body;
}

TEST_F(WebApiTest, QualifyLeadWithAMissingReferencedRecordChangesNothing) {
  const std::string id = create_lead({{"lastname", "Lovelace"}, {"companyname", "AE"}});
  const std::string missing = "dddddddd-dddd-4ddd-8ddd-dddddddddddd";

  const auto response =
      post("leads(" + id + ")/Microsoft.Dynamics.CRM.QualifyLead",
           {{"CreateAccount", true},
            {"CreateContact", false},
            {"CreateOpportunity", true},
            {"Status", 3},
            {"OpportunityCustomerId",
             {{"@odata.type", "Microsoft.Dynamics.CRM.account"}, {"accountid", missing}}}});

  EXPECT_EQ(response.status, 404);
  EXPECT_EQ(error_message(response), "account With Id = " + missing + " Does Not Exist");
  EXPECT_EQ(lead(id)["statecode"], 0);
  auto txn = store_.begin();
  EXPECT_TRUE(txn.scan(*schema_.by_entity_set("accounts")).empty());
}

TEST_F(WebApiTest, QualifyLeadRefusesALeadThatIsAlreadyClosed) {
  const std::string id = create_lead({{"lastname", "Lovelace"}, {"companyname", "AE"}});
  const nlohmann::json params = {{"CreateAccount", false},
                                 {"CreateContact", false},
                                 {"CreateOpportunity", true},
                                 {"Status", -1}};
  ASSERT_EQ(post("leads(" + id + ")/Microsoft.Dynamics.CRM.QualifyLead", params).status, 200);

  const auto again = post("leads(" + id + ")/Microsoft.Dynamics.CRM.QualifyLead", params);

  EXPECT_EQ(again.status, 400);
  EXPECT_EQ(error_message(again),
            "The lead is closed and you cannot convert or qualify a lead that is already closed.");
  auto txn = store_.begin();
  EXPECT_EQ(txn.scan(*schema_.by_entity_set("opportunities")).size(), 1u);
}

TEST_F(WebApiTest, QualifyLeadRefusesMissingParametersAndAccountWithoutCompanyName) {
  const std::string id = create_lead({{"lastname", "Lovelace"}});

  const auto missing = post("leads(" + id + ")/Microsoft.Dynamics.CRM.QualifyLead",
                            {{"CreateAccount", true}, {"Status", 3}});
  const auto no_company =
      post("leads(" + id + ")/Microsoft.Dynamics.CRM.QualifyLead", {{"CreateAccount", true},
                                                                    {"CreateContact", false},
                                                                    {"CreateOpportunity", false},
                                                                    {"Status", 3}});

  EXPECT_EQ(missing.status, 400);
  EXPECT_THAT(error_message(missing), HasSubstr("CreateContact"));
  EXPECT_EQ(no_company.status, 400);
  EXPECT_THAT(error_message(no_company), HasSubstr("companyname"));
  EXPECT_EQ(lead(id)["statecode"], 0);
}

TEST_F(WebApiTest, DisqualifyAcceptsAValidPairAndRefusesAnInvalidOne) {
  const std::string valid = create_lead({{"lastname", "A"}});
  const std::string invalid = create_lead({{"lastname", "B"}});

  const auto disqualified = patch("leads(" + valid + ")", {{"statecode", 2}, {"statuscode", 4}});
  const auto refused = patch("leads(" + invalid + ")", {{"statecode", 2}, {"statuscode", 1}});

  EXPECT_EQ(disqualified.status, 204) << disqualified.body;
  EXPECT_EQ(lead(valid)["statecode"], 2);
  EXPECT_EQ(lead(valid)["statuscode"], 4);
  EXPECT_EQ(refused.status, 400);
  EXPECT_EQ(error_code(refused), "0x80048408");
  EXPECT_EQ(lead(invalid)["statecode"], 0);
}

TEST_F(WebApiTest, ClosedLeadIsReadOnlyUntilReactivated) {
  const std::string id = create_lead({{"lastname", "A"}});
  ASSERT_EQ(patch("leads(" + id + ")", {{"statecode", 2}, {"statuscode", 5}}).status, 204);

  const auto edit_closed = patch("leads(" + id + ")", {{"jobtitle", "CEO"}});
  const auto reactivated = patch("leads(" + id + ")", {{"statecode", 0}, {"statuscode", 1}});
  const auto edit_open = patch("leads(" + id + ")", {{"jobtitle", "CEO"}});

  EXPECT_EQ(edit_closed.status, 400);
  EXPECT_THAT(error_message(edit_closed), HasSubstr("Reactivate it first"));
  EXPECT_EQ(reactivated.status, 204) << reactivated.body;
  EXPECT_EQ(edit_open.status, 204) << edit_open.body;
  EXPECT_EQ(lead(id)["jobtitle"], "CEO");
}

TEST_F(WebApiTest, QualifyingThroughPatchIsRefusedInFavourOfQualifyLead) {
  const std::string id = create_lead({{"lastname", "A"}});

  const auto response = patch("leads(" + id + ")", {{"statecode", 1}, {"statuscode", 3}});

  EXPECT_EQ(response.status, 400);
  EXPECT_THAT(error_message(response), HasSubstr("QualifyLead"));
  EXPECT_EQ(lead(id)["statecode"], 0);
}

TEST_F(WebApiTest, DuplicateDetectionRefusesTheSameEmailOnlyWhenTheHeaderAsksForIt) {
  create_lead({{"lastname", "A"}, {"emailaddress1", "Ada@Example.com"}});
  const std::vector<std::pair<std::string, std::string>> detect = {
      {"MSCRM.SuppressDuplicateDetection", "false"}};

  const auto refused =
      post("leads", {{"lastname", "B"}, {"emailaddress1", "ada@example.com"}}, detect);
  const auto suppressed = post("leads", {{"lastname", "C"}, {"emailaddress1", "ada@example.com"}});
  const std::string other = create_lead({{"lastname", "D"}, {"emailaddress1", "d@example.com"}});
  const auto update_refused =
      patch("leads(" + other + ")", {{"emailaddress1", "ADA@example.com"}}, detect);

  EXPECT_EQ(refused.status, 412);
  EXPECT_EQ(error_code(refused), "0x80040333");
  EXPECT_EQ(error_message(refused),
            "A record was not created or updated because a duplicate of the "
            "current record already exists.");
  EXPECT_EQ(suppressed.status, 204);
  EXPECT_EQ(update_refused.status, 412);
  EXPECT_EQ(lead(other)["emailaddress1"], "d@example.com");
}

TEST_F(WebApiTest, DuplicateStatusFollowsTheCompatibilitySwitch) {
  options_.compat.duplicate_status = 500;
  create_lead({{"lastname", "A"}, {"emailaddress1", "a@example.com"}});

  const auto response = post("leads", {{"lastname", "B"}, {"emailaddress1", "a@example.com"}},
                             {{"MSCRM.SuppressDuplicateDetection", "false"}});

  EXPECT_EQ(response.status, 500);
  EXPECT_EQ(error_code(response), "0x80040333");
}

TEST_F(WebApiTest, AlternateKeyValuesStayUnique) {
  create_lead({{"lastname", "A"}, {"leadsync_externalid", "same"}});

  const auto response = post("leads", {{"lastname", "B"}, {"leadsync_externalid", "same"}});

  EXPECT_EQ(response.status, 412);
  EXPECT_EQ(lead_rows(), 1u);
}

TEST_F(WebApiTest, WhoAmIAnswersTheCallerAndTheDopHint) {
  const auto response = get("WhoAmI");
  const auto with_parentheses = get("WhoAmI()");

  ASSERT_EQ(response.status, 200);
  EXPECT_EQ(response.headers.get("x-ms-dop-hint"), "7");
  EXPECT_EQ(json_of(response),
            (nlohmann::json{{"@odata.context",
                             std::string(root) + "$metadata#Microsoft.Dynamics.CRM.WhoAmIResponse"},
                            {"BusinessUnitId", context_.business_unit_id},
                            {"UserId", context_.user_id},
                            {"OrganizationId", context_.organization_id}}));
  EXPECT_EQ(with_parentheses.status, 200);
}

TEST_F(WebApiTest, WhoAmIWithPostFindsNoResource) {
  const auto response = send("POST", "WhoAmI", "{}");

  EXPECT_EQ(response.status, 404);
  EXPECT_EQ(error_message(response), "No HTTP resource was found that matches the request URI '" +
                                         std::string(root) + "WhoAmI'.");
}

TEST_F(WebApiTest, MetadataIsTheCsdlDocument) {
  const auto response = get("$metadata");

  ASSERT_EQ(response.status, 200);
  EXPECT_EQ(response.headers.get("Content-Type"), "application/xml");
  EXPECT_EQ(response.body, schema_.csdl(root));
}

TEST_F(WebApiTest, UnknownEntitySetIsResourceNotFound) {
  const auto response = get("Leads");

  EXPECT_EQ(response.status, 404);
  EXPECT_EQ(error_code(response), "0x8006088a");
  EXPECT_EQ(error_message(response), "Resource not found for the segment 'Leads'.");
}

TEST_F(WebApiTest, PatchOrDeleteOnACollectionIsMethodNotAllowed) {
  const auto patched = patch("leads", {{"lastname", "A"}});
  const auto deleted = send("DELETE", "leads");

  EXPECT_EQ(patched.status, 405);
  EXPECT_EQ(patched.headers.get("Allow"), "GET, POST");
  EXPECT_EQ(deleted.status, 405);
}

TEST_F(WebApiTest, ExecuteInsideACallersTransactionDefersEventsUntilAnnounced) {
  std::vector<PendingEvent> pending;
  context_.pending_events = &pending;
  http::Request request;
  request.method = "POST";
  request.url = std::string(api) + "leads";
  request.headers.set("Content-Type", "application/json");
  request.body = R"({"lastname":"In changeset"})";
  {
    auto txn = store_.begin();
    const auto response = api_.execute(request, context_, &txn);
    ASSERT_EQ(response.status, 204) << response.body;
    txn.commit();
  }

  EXPECT_TRUE(sink_.events.empty());
  ASSERT_EQ(pending.size(), 1u);
  api_.announce(pending, context_);
  ASSERT_EQ(sink_.events.size(), 1u);
  EXPECT_EQ(sink_.events[0].id, pending[0].id);
}

TEST_F(WebApiTest, ExecuteInsideARolledBackTransactionLeavesNoRow) {
  http::Request request;
  request.method = "POST";
  request.url = std::string(api) + "leads";
  request.headers.set("Content-Type", "application/json");
  request.body = R"({"lastname":"Rolled back"})";
  {
    auto txn = store_.begin();
    ASSERT_EQ(api_.execute(request, context_, &txn).status, 204);
  }

  EXPECT_EQ(lead_rows(), 0u);
  EXPECT_TRUE(sink_.events.empty());
}

// ---- Merge (the unbound action, leads)

nlohmann::json lead_reference(const std::string& id) {
  return {{"@odata.type", "Microsoft.Dynamics.CRM.lead"}, {"leadid", id}};
}

nlohmann::json merge_body(const std::string& target, const std::string& subordinate,
                          bool parenting_checks = false) {
  return {{"Target", lead_reference(target)},
          {"Subordinate", lead_reference(subordinate)},
          {"PerformParentingChecks", parenting_checks}};
}

TEST_F(WebApiTest, MergeDeactivatesTheSubordinateAndLinksItToTheTarget) {
  const std::string target =
      create_lead({{"firstname", "Ada"}, {"lastname", "Lovelace"}, {"jobtitle", "Analyst"}});
  const std::string subordinate =
      create_lead({{"firstname", "A."}, {"lastname", "Lovelace"}, {"jobtitle", "Countess"}});
  auto body = merge_body(target, subordinate);
  body["UpdateContent"] = {{"@odata.type", "Microsoft.Dynamics.CRM.lead"},
                           {"telephone1", "+44 20 7946 0000"}};

  const auto response = post("Merge", body);

  ASSERT_EQ(response.status, 204) << response.body;
  EXPECT_TRUE(response.body.empty());
  const auto kept = lead(target);
  EXPECT_EQ(kept["firstname"], "Ada");
  EXPECT_EQ(kept["jobtitle"], "Analyst");
  EXPECT_EQ(kept["telephone1"], "+44 20 7946 0000");
  EXPECT_EQ(kept["statecode"], 0);
  EXPECT_EQ(kept["merged"], false);
  const auto merged = lead(subordinate);
  EXPECT_EQ(merged["statecode"], 2);
  EXPECT_EQ(merged["statuscode"], 7);
  EXPECT_EQ(merged["merged"], true);
  EXPECT_EQ(merged["_masterid_value"], target);
  EXPECT_EQ(merged["jobtitle"], "Countess");
  EXPECT_EQ(lead_rows(), 2u);
}

TEST_F(WebApiTest, MergeMovesTheRecordsThatOriginatedFromTheSubordinateToTheTarget) {
  const std::string target = create_lead({{"lastname", "Target"}});
  const std::string subordinate = create_lead({{"lastname", "Subordinate"}});
  const std::string account =
      create("accounts",
             {{"name", "AE"}, {"originatingleadid@odata.bind", "/leads(" + subordinate + ")"}});

  ASSERT_EQ(post("Merge", merge_body(target, subordinate)).status, 204);

  EXPECT_EQ(json_of(get("accounts(" + account + ")"))["_originatingleadid_value"], target);
}

TEST_F(WebApiTest, MergeOfAMissingLeadAnswers404AndChangesNothing) {
  const std::string target = create_lead({{"lastname", "Target"}});
  const std::string missing = "dddddddd-dddd-4ddd-8ddd-dddddddddddd";

  const auto response = post("Merge", merge_body(target, missing));
  const auto reversed = post("Merge", merge_body(missing, target));

  EXPECT_EQ(response.status, 404);
  EXPECT_EQ(error_message(response), "lead With Id = " + missing + " Does Not Exist");
  EXPECT_EQ(reversed.status, 404);
  EXPECT_EQ(lead(target)["statecode"], 0);
}

TEST_F(WebApiTest, MergeRefusesALeadMergedIntoItself) {
  const std::string id = create_lead({{"lastname", "Alone"}});

  const auto response = post("Merge", merge_body(id, id));

  EXPECT_EQ(response.status, 400);
  EXPECT_THAT(error_message(response), HasSubstr("same lead"));
  EXPECT_EQ(lead(id)["statecode"], 0);
}

TEST_F(WebApiTest, MergeRefusesASubordinateThatIsAlreadyMergedAndNamesWhereItWent) {
  const std::string first = create_lead({{"lastname", "First"}});
  const std::string second = create_lead({{"lastname", "Second"}});
  const std::string duplicate = create_lead({{"lastname", "Duplicate"}});
  ASSERT_EQ(post("Merge", merge_body(first, duplicate)).status, 204);

  const auto again = post("Merge", merge_body(first, duplicate));
  const auto elsewhere = post("Merge", merge_body(second, duplicate));
  const auto into_merged = post("Merge", merge_body(duplicate, second));

  EXPECT_EQ(again.status, 400);
  EXPECT_EQ(error_message(again), "The subordinate lead " + duplicate +
                                      " was already merged into lead " + first +
                                      " and is inactive; it cannot be merged again.");
  EXPECT_EQ(elsewhere.status, 400);
  EXPECT_EQ(into_merged.status, 400);
  EXPECT_THAT(error_message(into_merged), HasSubstr("merge into that lead instead"));
  EXPECT_EQ(lead(duplicate)["_masterid_value"], first);
  EXPECT_EQ(lead(second)["statecode"], 0);
}

TEST_F(WebApiTest, MergeRefusesAClosedSubordinateUntilItIsReactivated) {
  const std::string target = create_lead({{"lastname", "Target"}});
  const std::string subordinate = create_lead({{"lastname", "Subordinate"}});
  ASSERT_EQ(patch("leads(" + subordinate + ")", {{"statecode", 2}, {"statuscode", 4}}).status, 204);

  const auto closed = post("Merge", merge_body(target, subordinate));
  ASSERT_EQ(patch("leads(" + subordinate + ")", {{"statecode", 0}, {"statuscode", 1}}).status, 204);
  const auto reopened = post("Merge", merge_body(target, subordinate));

  EXPECT_EQ(closed.status, 400);
  EXPECT_THAT(error_message(closed), HasSubstr("Reactivate it first"));
  EXPECT_EQ(reopened.status, 204) << reopened.body;
}

TEST_F(WebApiTest, MergeServesLeadsOnlyAndRefusesTablesThatCannotBeMerged) {
  const std::string account = create("accounts", {{"name", "AE"}});
  const std::string other = create("accounts", {{"name", "AE Ltd"}});
  const nlohmann::json accounts = {
      {"Target", {{"@odata.type", "Microsoft.Dynamics.CRM.account"}, {"accountid", account}}},
      {"Subordinate", {{"@odata.type", "Microsoft.Dynamics.CRM.account"}, {"accountid", other}}},
      {"PerformParentingChecks", false}};
  const std::string campaign = create("campaigns", {{"name", "Spring"}});
  const nlohmann::json campaigns = {
      {"Target", {{"@odata.type", "Microsoft.Dynamics.CRM.campaign"}, {"campaignid", campaign}}},
      {"Subordinate",
       {{"@odata.type", "Microsoft.Dynamics.CRM.campaign"}, {"campaignid", campaign}}},
      {"PerformParentingChecks", false}};

  const auto account_merge = post("Merge", accounts);
  const auto campaign_merge = post("Merge", campaigns);

  EXPECT_EQ(account_merge.status, 501);
  EXPECT_THAT(error_message(account_merge), HasSubstr("merges leads only"));
  EXPECT_EQ(campaign_merge.status, 400);
  EXPECT_THAT(error_message(campaign_merge),
              HasSubstr("only account, contact, lead and incident records can be merged"));
}

TEST_F(WebApiTest, MergeNeedsItsParametersAndOnlyPost) {
  const std::string target = create_lead({{"lastname", "Target"}});
  const std::string subordinate = create_lead({{"lastname", "Subordinate"}});
  auto no_checks = merge_body(target, subordinate);
  no_checks.erase("PerformParentingChecks");
  auto untyped = merge_body(target, subordinate);
  untyped["UpdateContent"] = {{"jobtitle", "CEO"}};

  const auto without_checks = post("Merge", no_checks);
  const auto without_subordinate =
      post("Merge", {{"Target", lead_reference(target)}, {"PerformParentingChecks", false}});
  const auto untyped_content = post("Merge", untyped);
  const auto with_get = get("Merge");

  EXPECT_EQ(without_checks.status, 400);
  EXPECT_THAT(error_message(without_checks), HasSubstr("PerformParentingChecks"));
  EXPECT_EQ(without_subordinate.status, 400);
  EXPECT_THAT(error_message(without_subordinate), HasSubstr("'Subordinate'"));
  EXPECT_EQ(untyped_content.status, 400);
  EXPECT_THAT(error_message(untyped_content), HasSubstr("@odata.type"));
  EXPECT_EQ(with_get.status, 404);
  EXPECT_EQ(lead(subordinate)["statecode"], 0);
}

TEST_F(WebApiTest, MergeWithAnInvalidUpdateContentChangesNeitherLead) {
  const std::string target = create_lead({{"lastname", "Target"}});
  const std::string subordinate = create_lead({{"lastname", "Subordinate"}});
  auto body = merge_body(target, subordinate);
  body["UpdateContent"] = {{"@odata.type", "Microsoft.Dynamics.CRM.lead"},
                           {"firstname", std::string(51, 'x')}};

  const auto response = post("Merge", body);

  EXPECT_EQ(response.status, 400);
  EXPECT_TRUE(lead(target)["firstname"].is_null());
  EXPECT_EQ(lead(subordinate)["statecode"], 0);
  EXPECT_EQ(lead(subordinate)["merged"], false);
}

TEST_F(WebApiTest, MergeWithParentingChecksRefusesLeadsOfDifferentParentAccounts) {
  const std::string first_account = create("accounts", {{"name", "AE"}});
  const std::string second_account = create("accounts", {{"name", "DE"}});
  const std::string target = create_lead(
      {{"lastname", "Target"}, {"parentaccountid@odata.bind", "/accounts(" + first_account + ")"}});
  const std::string subordinate =
      create_lead({{"lastname", "Subordinate"},
                   {"parentaccountid@odata.bind", "/accounts(" + second_account + ")"}});

  const auto checked = post("Merge", merge_body(target, subordinate, true));
  const auto unchecked = post("Merge", merge_body(target, subordinate, false));

  EXPECT_EQ(checked.status, 400);
  EXPECT_THAT(error_message(checked), HasSubstr("parentaccountid"));
  EXPECT_EQ(unchecked.status, 204) << unchecked.body;
  EXPECT_EQ(lead(target)["_parentaccountid_value"], first_account);
}

} // namespace
} // namespace dvemu
