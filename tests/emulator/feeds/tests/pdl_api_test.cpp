// People Data Labs v5 over HTTP: routes, auth, envelopes, headers, bulk, billing, limits
// (enrichment-notes section 1).
#include "http_helpers.hpp"

#include <chrono>

namespace femu::testing {
namespace {

using nlohmann::json;

class PdlApi : public EmulatorTest {
protected:
  void SetUp() override { start(); }
  Reply enrich(const std::string& query) {
    return get("/v5/person/enrich?" + query + "&api_key=" + kApiKey);
  }
  std::vector<std::pair<std::string, std::string>> key_header() { return {{"X-Api-Key", kApiKey}}; }
};
// The suite names carry "feeds" so `ctest -R feeds` selects them.
using feedsPdlApi = PdlApi;

TEST_F(feedsPdlApi, GetEnrichAnswersStatusLikelihoodAndDataWithHeaders) {
  const auto reply = enrich("email=ivan.petrov%40romashka.ru");
  ASSERT_EQ(reply.status, 200) << reply.body;
  const auto body = reply.json();
  EXPECT_EQ(body["status"], 200);
  EXPECT_GE(body["likelihood"].get<int>(), 9);
  EXPECT_EQ(body["data"]["work_email"], "ivan.petrov@romashka.ru");
  EXPECT_EQ(body["data"]["full_name"], "иван петров");
  EXPECT_EQ(reply.headers.get("x-call-credits-spent"), "1");
  EXPECT_EQ(reply.headers.get("x-call-credits-type"), "enrich");
  EXPECT_EQ(json::parse(*reply.headers.get("x-ratelimit-limit"))["minute"], 1000);
  EXPECT_TRUE(json::parse(*reply.headers.get("x-ratelimit-remaining")).contains("minute"));
  EXPECT_EQ(reply.headers.get("x-ratelimit-reset")->back(), 'Z');
}

TEST_F(feedsPdlApi, PostEnrichReadsAJsonBodyAndTheKeyHeader) {
  const auto reply = post("/v5/person/enrich",
                          {{"first_name", "José"},
                           {"last_name", "García"},
                           {"company", "Acme Iberia"},
                           {"include_if_matched", true}},
                          key_header());
  ASSERT_EQ(reply.status, 200) << reply.body;
  const auto body = reply.json();
  EXPECT_GE(body["likelihood"].get<int>(), 5);
  EXPECT_LE(body["likelihood"].get<int>(), 7);
  EXPECT_EQ(body["matched"], json({"name", "company"}));
}

TEST_F(feedsPdlApi, MissesAndLowLikelihoodAre404InTheErrorEnvelopeAndFree) {
  const auto miss = enrich("email=nobody%40nowhere.example");
  ASSERT_EQ(miss.status, 404);
  EXPECT_EQ(miss.json()["status"], 404);
  EXPECT_EQ(miss.json()["error"]["type"], "not_found");
  EXPECT_EQ(miss.headers.get("x-call-credits-spent"), "0");
  const auto strict = enrich("name=Jos%C3%A9+Garc%C3%ADa&company=Acme+Iberia&min_likelihood=8");
  EXPECT_EQ(strict.status, 404);
  EXPECT_EQ(stats()["endpoints"]["pdl.person.enrich"]["billed"], 0);
}

TEST_F(feedsPdlApi, AuthenticationAndValidationErrors) {
  const auto missing = get("/v5/person/enrich?email=a%40b.com");
  EXPECT_EQ(missing.status, 401);
  EXPECT_EQ(missing.json()["error"]["type"], "authentication_error");
  const auto invalid = enrich("name=Jane+Doe");
  EXPECT_EQ(invalid.status, 400);
  EXPECT_EQ(invalid.json()["error"]["type"], "invalid_request_error");
  EXPECT_EQ(call(port_, "DELETE", "/v5/person/enrich", key_header()).status, 405);
}

TEST_F(feedsPdlApi, OnlyTheConfiguredKeyIsAcceptedWhenOneIsSet) {
  emulator_.reset();
  start(small_population(), kApiKey);
  EXPECT_EQ(get("/v5/person/enrich?email=a%40b.com&api_key=" + std::string(64, 'x')).status, 401);
  EXPECT_EQ(enrich("email=ivan.petrov%40romashka.ru").status, 200);
}

TEST_F(feedsPdlApi, CompanyEnrichIsFlat) {
  const auto reply = get("/v5/company/enrich?name=Acme+Corp&api_key=" + kApiKey);
  ASSERT_EQ(reply.status, 200) << reply.body;
  const auto body = reply.json();
  EXPECT_EQ(body["website"], "acme.com");
  EXPECT_EQ(body["status"], 200);
  EXPECT_FALSE(body.contains("data"));
  EXPECT_EQ(reply.headers.get("x-call-credits-type"), "enrich_company");
}

TEST_F(feedsPdlApi, BulkAnswersInOrderAndBillsEachMatch) {
  const json request = {
      {"requests",
       {{{"params", {{"email", {"john.smith@acme.com"}}}}, {"metadata", {{"id", "a"}}}},
        {{"params", {{"email", "nobody@nowhere.example"}}}, {"metadata", {{"id", "b"}}}},
        {{"params", {{"name", "Jane"}}}, {"metadata", {{"id", "c"}}}},
        {{"params", {{"profile", {"linkedin.com/in/grace-obrien"}}}}}}},
      {"titlecase", true}};
  const auto reply = post("/v5/person/bulk", request, key_header());
  ASSERT_EQ(reply.status, 200) << reply.body;
  const auto items = reply.json();
  ASSERT_EQ(items.size(), 4u);
  EXPECT_EQ(items[0]["status"], 200);
  EXPECT_EQ(items[0]["metadata"]["id"], "a");
  EXPECT_EQ(items[0]["data"]["full_name"], "John Smith") << "top-level titlecase applies";
  EXPECT_EQ(items[1]["status"], 404);
  EXPECT_EQ(items[1]["metadata"]["id"], "b");
  EXPECT_EQ(items[2]["status"], 400);
  EXPECT_EQ(items[3]["status"], 200);
  EXPECT_FALSE(items[3].contains("metadata"));
  EXPECT_EQ(reply.headers.get("x-call-credits-spent"), "2");
  const auto counters = stats()["endpoints"]["pdl.person.bulk"];
  EXPECT_EQ(counters["calls"], 1);
  EXPECT_EQ(counters["items"], 4);
  EXPECT_EQ(counters["billed"], 2);
}

TEST_F(feedsPdlApi, BulkSizeMustBeOneToAHundred) {
  EXPECT_EQ(post("/v5/person/bulk", {{"requests", json::array()}}, key_header()).status, 400);
  json too_many = {{"requests", json::array()}};
  for (int i = 0; i < 101; ++i) {
    too_many["requests"].push_back({{"params", {{"email", "a@b.com"}}}});
  }
  const auto reply = post("/v5/person/bulk", too_many, key_header());
  EXPECT_EQ(reply.status, 400);
  EXPECT_EQ(reply.json()["error"]["type"], "invalid_request_error");
  EXPECT_EQ(get("/v5/person/bulk", key_header()).status, 405);
}

TEST_F(feedsPdlApi, RateLimitCountsBulkItemsAndAnswers429WithRetryAfter) {
  ASSERT_EQ(configure({{"rate_per_min", 5}}).status, 200);
  json bulk = {{"requests", json::array()}};
  for (int i = 0; i < 4; ++i) {
    bulk["requests"].push_back({{"params", {{"email", "john.smith@acme.com"}}}});
  }
  const auto first = post("/v5/person/bulk", bulk, key_header());
  ASSERT_EQ(first.status, 200);
  EXPECT_EQ(json::parse(*first.headers.get("x-ratelimit-remaining"))["minute"], 1);
  EXPECT_EQ(post("/v5/person/bulk", bulk, key_header()).status, 429) << "4 items do not fit in 1";
  EXPECT_EQ(enrich("email=john.smith%40acme.com").status, 200);
  const auto limited = enrich("email=john.smith%40acme.com");
  ASSERT_EQ(limited.status, 429);
  EXPECT_EQ(limited.json()["error"]["type"], "rate_limit_error");
  EXPECT_EQ(json::parse(*limited.headers.get("x-ratelimit-remaining"))["minute"], 0);
  const int retry_after = std::stoi(*limited.headers.get("Retry-After"));
  EXPECT_GE(retry_after, 1);
  EXPECT_LE(retry_after, 60);
  // Another key has its own window.
  EXPECT_EQ(get("/v5/person/enrich?email=john.smith%40acme.com&api_key=other").status, 200);
}

TEST_F(feedsPdlApi, SpentCreditsGive402AndMatchesStopAtTheBudget) {
  ASSERT_EQ(configure({{"credits", 2}}).status, 200);
  json bulk = {{"requests", json::array()}};
  for (const char* email : {"john.smith@acme.com", "jsmith@acme.com", "d.volkov@severstal-it.ru"}) {
    bulk["requests"].push_back({{"params", {{"email", email}}}});
  }
  const auto reply = post("/v5/person/bulk", bulk, key_header());
  ASSERT_EQ(reply.status, 200);
  EXPECT_EQ(reply.json()[2]["status"], 402);
  EXPECT_EQ(reply.headers.get("x-totallimit-remaining"), "0");
  const auto refused = enrich("email=john.smith%40acme.com");
  EXPECT_EQ(refused.status, 402);
  EXPECT_EQ(refused.json()["error"]["type"], "payment_required");
  ASSERT_EQ(post("/_emulator/reset", json::object()).status, 200);
  EXPECT_EQ(enrich("email=john.smith%40acme.com").status, 200) << "reset restores the credits";
}

TEST_F(feedsPdlApi, MissRateAndFaultRateAreDeterministicAndFree) {
  ASSERT_EQ(configure({{"miss_rate", 1.0}}).status, 200);
  EXPECT_EQ(enrich("email=john.smith%40acme.com").status, 404);
  ASSERT_EQ(configure({{"miss_rate", 0.0}, {"fault_rate", 1.0}}).status, 200);
  const auto fault = enrich("email=john.smith%40acme.com");
  EXPECT_TRUE(fault.status == 500 || fault.status == 503) << fault.status;
  EXPECT_EQ(fault.json()["error"]["type"], "api_error");
  EXPECT_EQ(stats()["totals"]["credits_spent"], 0);
}

TEST_F(feedsPdlApi, LatencyDelaysTheAnswer) {
  ASSERT_EQ(configure({{"latency_ms", 150}}).status, 200);
  const auto started = std::chrono::steady_clock::now();
  EXPECT_EQ(enrich("email=john.smith%40acme.com").status, 200);
  EXPECT_GE(std::chrono::steady_clock::now() - started, std::chrono::milliseconds(150));
}

} // namespace
} // namespace femu::testing
