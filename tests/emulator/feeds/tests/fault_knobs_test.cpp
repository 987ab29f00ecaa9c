// The fault knobs the service-fault suite uses (issue 18): 429 storms, dropped connections, and the
// JSON depth limit on every body the emulator parses.
#include "http_helpers.hpp"

#include <string>

namespace femu::testing {
namespace {

using nlohmann::json;

class FaultKnobs : public EmulatorTest {};
// The suite names carry "feeds" so `ctest -R feeds` selects them.
using feedsFaultKnobs = FaultKnobs;

TEST_F(feedsFaultKnobs, AStormAnswersTheFirstCallsOfEveryRound429WithRetryAfterAndBillsNothing) {
  Knobs knobs = small_population();
  knobs.storm_every = 4;
  knobs.storm_length = 2;
  start(knobs);
  std::vector<int> statuses;
  for (int call = 0; call < 8; ++call) {
    const auto reply = get("/v5/company/enrich?name=nobody-at-all&api_key=k");
    statuses.push_back(reply.status);
    if (reply.status == 429) {
      EXPECT_EQ(reply.headers.get("Retry-After").value_or(""), "1");
      EXPECT_EQ(reply.json()["error"]["type"], "rate_limit_error") << reply.body;
    }
  }
  EXPECT_EQ(statuses, (std::vector<int>{429, 429, 404, 404, 429, 429, 404, 404}));
  EXPECT_EQ(stats()["totals"]["billed"], 0);
  // Each vendor in its own shape: Clearbit's rate_limit error, GitHub's secondary limit.
  const auto clearbit = get("/v2/people/find?email=a%40b.example", {{"Authorization", "Bearer k"}});
  EXPECT_EQ(clearbit.status, 429);
  EXPECT_EQ(clearbit.json()["error"]["type"], "rate_limit") << clearbit.body;
  const auto github = get("/users/someone");
  EXPECT_EQ(github.status, 429);
  EXPECT_NE(github.json()["message"].get<std::string>().find("secondary rate limit"),
            std::string::npos);
}

TEST_F(feedsFaultKnobs, AResetDropsTheConnectionWithoutAnAnswerAndIsCountedAsStatusZero) {
  Knobs knobs = small_population();
  knobs.reset_rate = 1;
  start(knobs);
  const auto reply = get("/v5/person/enrich?email=a%40b.example&api_key=k");
  EXPECT_EQ(reply.status, 0) << "an answer came: " << reply.body;
  const auto body = stats();
  EXPECT_EQ(body["endpoints"]["pdl.person.enrich"]["statuses"]["0"], 1) << body.dump();
  EXPECT_EQ(body["totals"]["billed"], 0);
  // Admin calls are never dropped.
  EXPECT_EQ(get("/_emulator/config").status, 200);
}

TEST_F(feedsFaultKnobs, KnobsThatCannotWorkTogetherAreRefusedAndNothingChanges) {
  start();
  const auto endless = configure({{"storm_every", 3}, {"storm_length", 3}});
  EXPECT_EQ(endless.status, 400);
  EXPECT_NE(endless.body.find("storm_length must be less than storm_every"), std::string::npos)
      << endless.body;
  const auto too_many = configure({{"fault_rate", 0.7}, {"reset_rate", 0.5}});
  EXPECT_EQ(too_many.status, 400);
  EXPECT_NE(too_many.body.find("at most 1"), std::string::npos) << too_many.body;
  const auto knobs = get("/_emulator/config").json();
  EXPECT_EQ(knobs["storm_every"], 0);
  EXPECT_EQ(knobs["reset_rate"], 0.0);
}

TEST_F(feedsFaultKnobs, ABodyNestedTooDeepIsRefused400SayingSoWithoutCrashing) {
  start();
  const std::string deep = std::string(100'000, '[') + std::string(100'000, ']');
  const auto pdl = call(port_, "POST", "/v5/person/enrich", {{"X-Api-Key", "k"}}, deep);
  EXPECT_EQ(pdl.status, 400);
  EXPECT_EQ(pdl.json()["error"]["type"], "invalid_request_error") << pdl.body;
  EXPECT_NE(pdl.body.find("nested deeper than 64"), std::string::npos) << pdl.body;
  for (const char* admin : {"/_emulator/records", "/_emulator/config"}) {
    const auto reply = call(port_, "POST", admin, {}, deep);
    EXPECT_EQ(reply.status, 400) << admin;
    EXPECT_NE(reply.body.find("nested deeper than 64"), std::string::npos) << reply.body;
  }
  // A deep profile value is one plain value, not parsed.
  std::string profile;
  for (int level = 0; level < 5000; ++level) {
    profile += "%5B";
  }
  EXPECT_EQ(get("/v5/person/enrich?api_key=k&profile=" + profile).status, 404);
  EXPECT_EQ(get("/_emulator/stats").status, 200) << "the emulator did not survive";
}

} // namespace
} // namespace femu::testing
