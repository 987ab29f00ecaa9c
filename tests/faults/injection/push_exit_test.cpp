// Fault suite (issue 18, "quiet partial success"): a push that leaves changes queued because the
// CRM throttled it exits 1 and says what remains; a push that sends everything exits 0.

#include "support/cli_process.hpp"
#include "support/emulator_process.hpp"
#include "support/feeds_fixture.hpp"

#include <filesystem>
#include <fstream>
#include <gtest/gtest.h>
#include <memory>
#include <regex>
#include <string>
#include <unistd.h>
#include <vector>

namespace {

namespace fs = std::filesystem;
using leadsync::testing::CliRun;

constexpr const char* token = "push-exit-token";
constexpr int lead_count = 8;

class PushExitTest : public ::testing::Test {
protected:
  void TearDown() override {
    crm_.reset();
    fs::remove_all(dir_);
  }

  // An emulator with these extra options, a config pointing at it (single mode, one request at a
  // time, so each lead is one request) and `lead_count` leads imported.
  void start(const std::vector<std::string>& emulator_options) {
    dir_ = fs::temp_directory_path() /
           ("leadsync-push-exit-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    std::vector<std::string> options = {"--static-token", token};
    options.insert(options.end(), emulator_options.begin(), emulator_options.end());
    crm_ = std::make_unique<leadsync::testing::EmulatorProcess>(DATAVERSE_EMULATOR, options);
    ASSERT_NE(crm_->port(), 0) << "the emulator did not start";
    ASSERT_EQ(leadsync("init " + dir_.string()).exit_code, 0);
    std::ofstream(dir_ / "leadsync.toml")
        << "[crm]\nurl = \"" << crm_->url()
        << "\"\n[crm.auth]\nmode = \"static_token\"\ntoken_env = \"LEADSYNC_PUSH_EXIT_TOKEN\"\n"
           "[store]\nurl = \"sqlite://state.db\"\n"
           "[push]\nmode = \"single\"\nmax_parallel = 1\n";
    std::ofstream csv(dir_ / "list.csv");
    csv << "First Name,Last Name,Email,Company\n";
    for (int i = 0; i < lead_count; ++i) {
      csv << "Person" << i << ",Tester,person" << i << "@company" << i << ".com,Company " << i
          << "\n";
    }
    csv.close();
    const auto imported = run("import " + (dir_ / "list.csv").string() + " --no-progress");
    ASSERT_EQ(imported.exit_code, 0) << imported.out << imported.err;
  }

  CliRun leadsync(const std::string& args) {
    return leadsync::testing::run_leadsync(LEADSYNC_EXE, args, dir_,
                                           std::string("LEADSYNC_PUSH_EXIT_TOKEN=") + token);
  }
  CliRun run(const std::string& args) {
    return leadsync("-c " + (dir_ / "leadsync.toml").string() + " " + args);
  }

  // Lead rows in the CRM, from the emulator's admin statistics (not throttled); -1 when unknown.
  std::int64_t crm_leads() {
    const auto stats = leadsync::testing::emulator_admin(crm_->port(), "GET", "/_emulator/stats");
    return stats ? stats->at("rows").value("leads", std::int64_t{0}) : -1;
  }

  // The outbox backlog `status --json` reports.
  std::int64_t outbox_pending() {
    const auto status = run("status --json");
    EXPECT_EQ(status.exit_code, 0) << status.err;
    const auto document = nlohmann::json::parse(status.out, nullptr, false);
    if (document.is_discarded()) {
      ADD_FAILURE() << status.out;
      return -1;
    }
    return document.at("outbox").at("pending").get<std::int64_t>();
  }

  fs::path dir_;
  std::unique_ptr<leadsync::testing::EmulatorProcess> crm_;
};

// Promise: under throttling that outlasts what a push waits for (a Retry-After of up to an hour),
// the push exits 1, the leads missing from the CRM are exactly the changes it says remain, and the
// message says why, when and what to do.
TEST_F(PushExitTest, PushExitStatusIsOneAndNamesWhatRemainsWhenThrottlingLeavesWorkQueued) {
  start({"--profile", "dataverse", "--window-s", "3600", "--max-requests", "4", "--latency-ms", "0",
         "--per-record-ms", "0"});

  const auto pushed = run("push");

  EXPECT_EQ(pushed.exit_code, 1) << pushed.out << pushed.err;
  const auto in_crm = crm_leads();
  ASSERT_GE(in_crm, 0);
  EXPECT_LT(in_crm, lead_count) << "the limit is lower than the leads";
  const std::int64_t missing = lead_count - in_crm;
  const std::regex left(R"(left for later: (\d+) change\(s\) of (\d+) lead\(s\) are still queued)");
  std::smatch figures;
  ASSERT_TRUE(std::regex_search(pushed.out, figures, left)) << pushed.out;
  EXPECT_EQ(std::stoll(figures[1]), missing) << pushed.out;
  EXPECT_EQ(std::stoll(figures[2]), missing) << pushed.out;
  EXPECT_NE(pushed.out.find("throttled"), std::string::npos) << pushed.out;
  EXPECT_NE(pushed.out.find("HTTP 429"), std::string::npos) << pushed.out;
  EXPECT_NE(pushed.out.find("next attempt due"), std::string::npos) << pushed.out;
  EXPECT_NE(pushed.out.find("run `leadsync push` again"), std::string::npos) << pushed.out;
  EXPECT_EQ(outbox_pending(), missing);

  // Run again before the retry is due: nothing is sent, and the exit status still says work is
  // queued.
  const auto again = run("push");
  EXPECT_EQ(again.exit_code, 1) << again.out << again.err;
  EXPECT_EQ(crm_leads(), in_crm);
  ASSERT_TRUE(std::regex_search(again.out, figures, left)) << again.out;
  EXPECT_EQ(std::stoll(figures[1]), missing) << again.out;
}

// Promise: a push that sends every change exits 0 and leaves nothing queued.
TEST_F(PushExitTest, PushExitStatusIsZeroWhenEveryChangeReachesTheCrm) {
  start({"--profile", "fast"});

  const auto pushed = run("push");

  EXPECT_EQ(pushed.exit_code, 0) << pushed.out << pushed.err;
  EXPECT_EQ(crm_leads(), lead_count);
  EXPECT_EQ(pushed.out.find("left for later"), std::string::npos) << pushed.out;
  EXPECT_EQ(outbox_pending(), 0);
}

} // namespace
