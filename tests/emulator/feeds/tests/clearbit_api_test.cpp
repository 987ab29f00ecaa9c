// Clearbit v2 over HTTP: auth, shapes, 404/422/202/402/429, unique-query billing
// (enrichment-notes section 2).
#include "http_helpers.hpp"

#include <thread>

namespace femu::testing {
namespace {

using nlohmann::json;

// "Basic base64(sk_test:)": the key as user name, empty password (the Node SDK).
const std::pair<std::string, std::string> kBasic{"Authorization", "Basic c2tfdGVzdDo="};

class ClearbitApi : public EmulatorTest {
protected:
  void SetUp() override { start(); }
  Reply find(const std::string& target) { return get(target, {kBasic}); }
};
// The suite names carry "feeds" so `ctest -R feeds` selects them.
using feedsClearbitApi = ClearbitApi;

TEST_F(feedsClearbitApi, CombinedFindAnswersPersonAndCompany) {
  const auto reply = find("/v2/combined/find?email=john.smith%40acme.com");
  ASSERT_EQ(reply.status, 200) << reply.body;
  const auto body = reply.json();
  EXPECT_EQ(body["person"]["name"]["givenName"], "John");
  EXPECT_EQ(body["person"]["employment"]["title"], "VP Purchasing");
  EXPECT_EQ(body["person"]["employment"]["seniority"], "executive");
  EXPECT_EQ(body["company"]["domain"], "acme.com");
  EXPECT_EQ(body["company"]["metrics"]["employees"], 1500);
  EXPECT_EQ(reply.headers.get("X-RateLimit-Limit"), "600");
}

TEST_F(feedsClearbitApi, BearerWorksAndBadAuthIs401) {
  EXPECT_EQ(
      get("/v2/people/find?email=john.smith%40acme.com", {{"Authorization", "Bearer sk_test"}})
          .status,
      200);
  const auto missing = get("/v2/people/find?email=john.smith%40acme.com");
  EXPECT_EQ(missing.status, 401);
  EXPECT_EQ(missing.json()["error"]["type"], "auth_required");
  emulator_.reset();
  start(small_population(), "sk_right");
  const auto wrong = find("/v2/people/find?email=john.smith%40acme.com");
  EXPECT_EQ(wrong.status, 401);
  EXPECT_EQ(wrong.json()["error"]["type"], "invalid_api_key");
}

TEST_F(feedsClearbitApi, NotFoundInvalidAndBillingOfUniqueQueries) {
  const auto missing = find("/v2/people/find?email=nobody%40nowhere.example");
  ASSERT_EQ(missing.status, 404);
  EXPECT_EQ(missing.json()["error"]["type"], "unknown_record");
  EXPECT_EQ(missing.json()["error"]["message"], "Person not found");
  EXPECT_EQ(find("/v2/people/find?email=nobody%40nowhere.example").status, 404);
  EXPECT_EQ(find("/v2/people/find?email=john.smith%40acme.com").status, 200);
  EXPECT_EQ(find("/v2/people/find?email=JOHN.SMITH%40acme.com").status, 200);
  const auto invalid = find("/v2/people/find?email=not-an-email");
  EXPECT_EQ(invalid.status, 422);
  EXPECT_EQ(invalid.json()["error"]["type"], "invalid_email");
  EXPECT_EQ(find("/v2/companies/find?domain=").status, 422);
  const auto counters = stats()["endpoints"]["clearbit.people.find"];
  EXPECT_EQ(counters["calls"], 5);
  EXPECT_EQ(counters["billed"], 2) << "one 404 and one 200, each unique query once";
}

TEST_F(feedsClearbitApi, QueuedFirstLookupBecomesReady) {
  ASSERT_EQ(configure({{"queued_share", 1.0}, {"queued_ready_s", 0.3}}).status, 200);
  const auto queued = find("/v2/companies/find?domain=acme.com");
  ASSERT_EQ(queued.status, 202);
  EXPECT_EQ(queued.json()["error"]["type"], "queued");
  EXPECT_EQ(find("/v2/companies/find?domain=acme.com").status, 202);
  EXPECT_EQ(stats()["totals"]["credits_spent"], 0) << "202 is not billed";
  std::this_thread::sleep_for(std::chrono::milliseconds(350));
  const auto ready = find("/v2/companies/find?domain=acme.com");
  ASSERT_EQ(ready.status, 200);
  EXPECT_EQ(ready.json()["name"], "Acme Corp");
  EXPECT_EQ(find("/v2/companies/find?domain=acme.com").status, 200) << "only first lookups queue";
  EXPECT_EQ(stats()["totals"]["credits_spent"], 1);
}

TEST_F(feedsClearbitApi, CreditsAndRateLimit) {
  ASSERT_EQ(configure({{"credits", 1}, {"rate_per_min", 3}}).status, 200);
  EXPECT_EQ(find("/v2/people/find?email=john.smith%40acme.com").status, 200);
  const auto over = find("/v2/people/find?email=jsmith%40acme.com");
  EXPECT_EQ(over.status, 402);
  EXPECT_EQ(find("/v2/people/find?email=john.smith%40acme.com").status, 200)
      << "a billed query stays free";
  const auto limited = find("/v2/people/find?email=john.smith%40acme.com");
  ASSERT_EQ(limited.status, 429);
  EXPECT_EQ(limited.headers.get("X-RateLimit-Remaining"), "0");
  EXPECT_EQ(limited.headers.get("X-RateLimit-Limit"), "3");
  EXPECT_GE(std::stoi(*limited.headers.get("X-RateLimit-Reset")), 1);
}

} // namespace
} // namespace femu::testing
