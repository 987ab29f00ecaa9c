// Admin endpoints, planted records across every provider shape, and the executable itself.
#include "http_helpers.hpp"
#include "support/emulator_process.hpp"

namespace femu::testing {
namespace {

using nlohmann::json;

class AdminApi : public EmulatorTest {
protected:
  void SetUp() override { start(); }
};
// The suite names carry "feeds" so `ctest -R feeds` selects them.
using feedsAdminApi = AdminApi;

const json kPlanted = {{"people",
                        {{{"full_name", "Katherine Johnson"},
                          {"first_name", "Katherine"},
                          {"last_name", "Johnson"},
                          {"emails", {{{"address", "kj@orbital-math.com"}}}},
                          {"work_email", "kj@orbital-math.com"},
                          {"mobile_phone", "+17575550199"},
                          {"job_title", "Research Mathematician"},
                          {"job_title_levels", {"senior"}},
                          {"job_company_name", "Orbital Math"},
                          {"job_company_website", "orbital-math.com"},
                          {"github_url", "https://github.com/kjohnson-orbits"},
                          {"location_country", "united states"},
                          {"bio", "Trajectories."}}}},
                       {"companies",
                        {{{"name", "Orbital Math"},
                          {"website", "orbital-math.com"},
                          {"size", "51-200"},
                          {"employee_count", 90},
                          {"industry", "computer software"},
                          {"inferred_revenue", "$10M-$25M"},
                          {"location", {{"locality", "hampton"}, {"country", "united states"}}}}}}};

TEST_F(feedsAdminApi, PlantedRecordsAnswerEveryProvider) {
  const auto planted = post("/_emulator/records", kPlanted);
  ASSERT_EQ(planted.status, 200) << planted.body;
  EXPECT_EQ(planted.json()["planted"]["people"], 1);
  const auto pdl = get("/v5/person/enrich?phone=%2B1+757+555+0199&api_key=k");
  ASSERT_EQ(pdl.status, 200) << pdl.body;
  EXPECT_EQ(pdl.json()["data"]["job_company_name"], "orbital math");
  const auto clearbit =
      get("/v2/combined/find?email=kj%40orbital-math.com", {{"Authorization", "Bearer k"}});
  ASSERT_EQ(clearbit.status, 200);
  EXPECT_EQ(clearbit.json()["person"]["bio"], "Trajectories.");
  EXPECT_EQ(clearbit.json()["company"]["metrics"]["estimatedAnnualRevenue"], "$10M-$50M");
  const auto github = get("/users/kjohnson-orbits");
  ASSERT_EQ(github.status, 200);
  EXPECT_EQ(github.json()["email"], "kj@orbital-math.com");
  EXPECT_EQ(get("/search/users?q=kj%40orbital-math.com+in%3Aemail").json()["total_count"], 1);

  const auto body = stats();
  EXPECT_EQ(body["planted"]["people"], 1);
  EXPECT_EQ(body["totals"]["calls"], 4);
  EXPECT_EQ(body["totals"]["billed"], 2);
  EXPECT_EQ(body["population"]["people"].get<int>(), 200 + 21);

  ASSERT_EQ(post("/_emulator/reset", json::object()).status, 200);
  EXPECT_EQ(get("/users/kjohnson-orbits").status, 404) << "reset drops planted records";
  EXPECT_EQ(stats()["totals"]["calls"], 1);
}

TEST_F(feedsAdminApi, BadInputIsRefusedWithTheReason) {
  const auto bad_record = post("/_emulator/records", {{"people", {{{"job_title", "x"}}}}});
  EXPECT_EQ(bad_record.status, 400);
  EXPECT_NE(bad_record.json()["error"].get<std::string>().find("people[0]"), std::string::npos);
  const auto bad_knob = configure({{"miss_rate", 2}});
  EXPECT_EQ(bad_knob.status, 400);
  const auto unknown = configure({{"rate-per-minute", 2}});
  EXPECT_EQ(unknown.status, 400);
  EXPECT_NE(unknown.json()["error"].get<std::string>().find("rate_per_min"), std::string::npos);
  const auto kebab = configure({{"rate-per-min", 7}});
  ASSERT_EQ(kebab.status, 200);
  EXPECT_EQ(kebab.json()["rate_per_min"], 7);
}

TEST_F(feedsAdminApi, ConfigCanRegenerateThePopulation) {
  ASSERT_EQ(configure({{"population", 50}, {"seed", 9}}).status, 200);
  EXPECT_EQ(stats()["population"]["people"], 50 + 21);
}

TEST(feedsEmulatorProcess, StartsOnAFreePortAndStopsCleanly) {
  leadsync::testing::EmulatorProcess process(FEEDS_EMULATOR_EXE,
                                             {"--population", "100", "--seed", "4"});
  ASSERT_NE(process.port(), 0);
  const auto reply = call(process.port(), "GET", "/v5/company/enrich?website=jarir.sa&api_key=k");
  EXPECT_EQ(reply.status, 200);
  EXPECT_EQ(call(process.port(), "GET", "/_emulator/stats").json()["population"]["people"], 121);
  EXPECT_EQ(process.stop(), 0);
}

} // namespace
} // namespace femu::testing
