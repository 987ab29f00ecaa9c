// From import and behaviour events through `qualify` and `push` to the Dataverse emulator: the
// qualified lead's account, contact and opportunity (with its campaign), the disqualified lead's
// state and status reason, everyone's rating and score columns, and that a second qualify and push
// change nothing.

#include "leadsync_test_paths.hpp"
#include "support/cli_process.hpp"
#include "support/emulator_process.hpp"
#include "support/web_api.hpp"

#include <chrono>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <tuple>
#include <unistd.h>

namespace {

namespace fs = std::filesystem;
using leadsync::testing::CliRun;
using Json = nlohmann::json;

constexpr const char* token = "qualify-cli-token";

// RFC 3339 time `days` before now, at the second.
std::string days_ago(int days) {
  const std::time_t when = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now() -
                                                                std::chrono::hours(24 * days));
  std::tm utc{};
  ::gmtime_r(&when, &utc);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &utc);
  return text;
}

class QualifyCliTest : public ::testing::Test {
protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("leadsync-qualify-" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    crm_ = std::make_unique<leadsync::testing::EmulatorProcess>(
        DATAVERSE_EMULATOR, std::vector<std::string>{"--profile", "fast", "--static-token", token});
    ASSERT_NE(crm_->port(), 0) << "the emulator did not start";
    ASSERT_EQ(leadsync("init " + dir_.string()).exit_code, 0);
    std::ofstream(dir_ / "leadsync.toml")
        << "[crm]\nurl = \"" << crm_->url()
        << "\"\n[crm.auth]\nmode = \"static_token\"\ntoken_env = \"LEADSYNC_QUALIFY_TOKEN\"\n"
           "[store]\nurl = \"sqlite://state.db\"\n";
  }
  void TearDown() override {
    crm_.reset();
    fs::remove_all(dir_);
  }

  CliRun leadsync(const std::string& args) {
    return leadsync::testing::run_leadsync(LEADSYNC_EXE, args, dir_,
                                           std::string("LEADSYNC_QUALIFY_TOKEN=") + token);
  }
  CliRun run(const std::string& args) {
    return leadsync("-c " + (dir_ / "leadsync.toml").string() + " " + args);
  }

  // One Web API request to the emulator; the JSON body (null for an empty one) of a 2xx answer.
  std::optional<Json> api(const std::string& method, const std::string& path,
                          const std::string& body = {}) {
    auto [status, json] = leadsync::testing::web_api(crm_->port(), token, method, path, body);
    if (status == 0) {
      return std::nullopt;
    }
    if (status < 200 || status > 299) {
      ADD_FAILURE() << method << " " << path << " -> HTTP " << status << " " << json.dump();
      return std::nullopt;
    }
    return json;
  }

  // The lead row of this e-mail in the CRM.
  Json crm_lead(const std::string& email) {
    const auto rows = api("GET", "leads?$filter=emailaddress1%20eq%20'" + email + "'");
    EXPECT_TRUE(rows && (*rows)["value"].size() == 1) << email;
    return rows ? (*rows)["value"][0] : Json();
  }

  fs::path dir_;
  std::unique_ptr<leadsync::testing::EmulatorProcess> crm_;
};

TEST_F(QualifyCliTest,
       ImportEventsQualifyAndPushLandTheOutcomesInTheCrmAndASecondRoundChangesNothing) {
  ASSERT_TRUE(api("POST", "campaigns", R"({"name":"Fleet Tracking Webinar"})"));
  const auto campaigns = api("GET", "campaigns?$select=campaignid,name");
  ASSERT_TRUE(campaigns && (*campaigns)["value"].size() == 1);
  const std::string campaign_id = (*campaigns)["value"][0]["campaignid"];

  const auto imported = run(std::string("import ") + LEADSYNC_SOURCE_DIR +
                            "/tests/data/demo-scored-leads.jsonl --no-progress");
  ASSERT_EQ(imported.exit_code, 0) << imported.out << imported.err;
  std::ofstream events(dir_ / "events.jsonl");
  const std::string marco = "marco.rossi@vetro-industriale.it";
  for (const auto& [kind, days, id] :
       {std::tuple{"pricing_page_visit", 1, "e1"}, std::tuple{"demo_requested", 1, "e2"},
        std::tuple{"webinar_attended", 3, "e3"}, std::tuple{"content_download", 6, "e4"}}) {
    events << Json{{"email", marco},
                   {"kind", kind},
                   {"occurred_at", days_ago(days)},
                   {"detail", "web"},
                   {"event_id", id}}
                  .dump()
           << "\n";
  }
  events.close();
  const auto added = run("events import " + (dir_ / "events.jsonl").string() + " --json");
  ASSERT_EQ(added.exit_code, 0) << added.out << added.err;
  EXPECT_EQ(Json::parse(added.out)["added"], 4);

  const auto scored = run("qualify --json");
  ASSERT_EQ(scored.exit_code, 0) << scored.out << scored.err;
  const Json first = Json::parse(scored.out);
  EXPECT_EQ(first["leads"], 2);
  EXPECT_EQ(first["changed"], 2);
  EXPECT_EQ(first["decisions"]["qualify"], 1);
  EXPECT_EQ(first["decisions"]["disqualify"], 1);

  const auto pushed = run("push");
  ASSERT_EQ(pushed.exit_code, 0) << pushed.out << pushed.err;

  // Marco: qualified, with an account, a contact and an opportunity from the campaign.
  const Json qualified = crm_lead(marco);
  EXPECT_EQ(qualified["statecode"], 1);
  EXPECT_EQ(qualified["leadsync_grade"], "A");
  EXPECT_EQ(qualified["leadqualitycode"], 1); // hot
  EXPECT_GE(qualified["leadsync_totalscore"].get<double>(), 75.0);
  EXPECT_FALSE(qualified["leadsync_scorereason"].get<std::string>().empty());
  const auto opportunities = api("GET", "opportunities");
  ASSERT_TRUE(opportunities);
  ASSERT_EQ((*opportunities)["value"].size(), 1U);
  EXPECT_EQ((*opportunities)["value"][0]["_campaignid_value"], campaign_id);
  EXPECT_EQ((*api("GET", "accounts"))["value"].size(), 1U);
  EXPECT_EQ((*api("GET", "contacts"))["value"].size(), 1U);

  // Pat works for a competitor: disqualified as canceled (statecode 2, statuscode 7).
  const Json closed = crm_lead("pat.morgan@competitor-crm.example");
  EXPECT_EQ(closed["statecode"], 2);
  EXPECT_EQ(closed["statuscode"], 7);
  EXPECT_EQ(closed["leadqualitycode"], 3); // cold
  EXPECT_TRUE(closed["leadsync_totalscore"].is_number());

  // The same rules, events and leads again: nothing changes, nothing is pushed.
  const auto again = run("qualify --json");
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_EQ(Json::parse(again.out)["changed"], 0);
  const auto pushed_again = run("push");
  ASSERT_EQ(pushed_again.exit_code, 0) << pushed_again.err;
  EXPECT_NE(pushed_again.out.find(" 0 change(s) claimed"), std::string::npos) << pushed_again.out;
}

} // namespace
