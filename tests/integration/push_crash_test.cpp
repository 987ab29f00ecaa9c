// `leadsync push` killed with SIGKILL in the middle of a 20,000-lead run (issue 5, "a crash test"):
// the CRM is an emulator keeping its rows in a --state file and restarted from it, push runs again,
// takes back what the killed push held, and the CRM holds every stored lead exactly once; a further
// push sends nothing.

#include "support/background_leadsync.hpp"
#include "support/cli_process.hpp"
#include "support/emulator_admin.hpp"
#include "support/emulator_process.hpp"
#include "support/raw_database.hpp"
#include "support/raw_http.hpp"

#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstdint>
#include <fcntl.h>
#include <filesystem>
#include <fstream>
#include <gtest/gtest.h>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <sqlite3.h>
#include <sstream>
#include <string>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>
#include <vector>

namespace {

namespace fs = std::filesystem;
using leadsync::testing::CliRun;
using leadsync::testing::EmulatorProcess;
using leadsync::testing::RawConnection;
using nlohmann::json;
const auto quoted = leadsync::testing::shell_quoted;
using leadsync::testing::BackgroundLeadsync;
using Clock = std::chrono::steady_clock;

constexpr int lead_count = 20000;
constexpr const char* test_token = "push-crash-token";

std::optional<json> emulator_stats(std::uint16_t port) {
  return leadsync::testing::emulator_admin(port, "GET", "/_emulator/stats");
}

std::int64_t crm_lead_count(std::uint16_t port) {
  const auto stats = emulator_stats(port);
  return stats ? stats->at("rows").value("leads", std::int64_t{0}) : -1;
}

// The CRM's lead rows as stored: alternate-key value -> row version, and how many rows there are.
struct CrmLeads {
  std::size_t rows = 0;
  std::map<std::string, std::string> version_by_key;
};

std::optional<CrmLeads> crm_leads(std::uint16_t port, const std::string& key_column) {
  const auto records = leadsync::testing::emulator_admin(port, "GET", "/_emulator/records/leads");
  if (!records || !records->is_array()) {
    return std::nullopt;
  }
  CrmLeads leads;
  leads.rows = records->size();
  for (const auto& row : *records) {
    leads.version_by_key[row.at("attributes").value(key_column, std::string())] =
        row.at("version").dump();
  }
  return leads;
}

std::set<std::string> keys_of(const CrmLeads& leads) {
  std::set<std::string> keys;
  for (const auto& [key, version] : leads.version_by_key) {
    keys.insert(key);
  }
  return keys;
}

using leadsync::test::query_strings;

// Waits until `done` holds, polling every 10 ms; false when the deadline passed first.
template <typename Condition> bool wait_until(Condition done, std::chrono::seconds limit) {
  const auto deadline = Clock::now() + limit;
  while (Clock::now() < deadline) {
    if (done()) {
      return true;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return false;
}

class PushCrashTest : public ::testing::TestWithParam<std::string> {
protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("leadsync-push-crash-" + std::to_string(::getpid()) + "-" + GetParam());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    ASSERT_EQ(leadsync("init " + quoted(dir_.string())).exit_code, 0);
    set_config_value("push", "mode", "\"" + GetParam() + "\"");
  }
  void TearDown() override {
    emulator_.reset();
    fs::remove_all(dir_);
  }

  CliRun leadsync(const std::string& args) {
    return leadsync::testing::run_leadsync(LEADSYNC_EXE, args, dir_,
                                           std::string("LEADSYNC_CRM_TOKEN=") + test_token);
  }
  // `leadsync -c CONFIG ARGS`.
  CliRun command(const std::string& args) {
    return leadsync("-c " + quoted(config().string()) + " " + args);
  }
  json status() {
    const auto run = command("status --json");
    EXPECT_EQ(run.exit_code, 0) << run.err;
    return json::parse(run.out, nullptr, false);
  }

  fs::path config() const { return dir_ / "leadsync.toml"; }
  fs::path store() const { return dir_ / "state.db"; }
  fs::path crm_state() const { return dir_ / "crm.db"; }

  // Rewrites `key = ...` in [section] of the config `leadsync init` wrote.
  void set_config_value(const std::string& section, const std::string& key,
                        const std::string& value) {
    std::istringstream in(leadsync::testing::read_file(config()));
    std::string text;
    std::string current;
    bool replaced = false;
    for (std::string line; std::getline(in, line);) {
      if (line.starts_with("[")) {
        current = line.substr(1, line.find(']') - 1);
      } else if (current == section && line.starts_with(key + " = ")) {
        line = key + " = " + value;
        replaced = true;
      }
      text += line + "\n";
    }
    ASSERT_TRUE(replaced) << section << "." << key << " not found in " << config();
    std::ofstream(config(), std::ios::binary | std::ios::trunc) << text;
  }

  // An emulator with the Dataverse limits, keeping its rows in crm.db; 50 ms per request keeps
  // even a fast push of 20,000 leads running for over a second, so the kill lands mid-run.
  void start_emulator() {
    emulator_.reset();
    emulator_ = std::make_unique<EmulatorProcess>(
        DATAVERSE_EMULATOR,
        std::vector<std::string>{"--state", crm_state().string(), "--static-token", test_token,
                                 "--profile", "dataverse", "--latency-ms", "50"});
    ASSERT_NE(emulator_->port(), 0) << "the emulator did not start";
    set_config_value("crm", "url", "\"" + emulator_->url() + "\"");
  }

  // 20,000 people with their own e-mail and company domain, so the import merges none.
  void import_leads() {
    std::ofstream list(dir_ / "leads.csv", std::ios::binary);
    list << "First Name,Last Name,Email,Company\n";
    for (int i = 0; i < lead_count; ++i) {
      const auto n = std::to_string(i);
      list << "Crash,Lead" << n << ",lead" << n << "@company" << n << ".com,Company " << n << "\n";
    }
    list.close();
    const auto run =
        command("import " + quoted((dir_ / "leads.csv").string()) + " --no-progress --json");
    ASSERT_EQ(run.exit_code, 0) << run.err;
    ASSERT_EQ(json::parse(run.out).at("new_leads"), lead_count) << run.out;
  }

  std::set<std::string> stored_lead_ids() {
    const auto ids = query_strings(store(), "SELECT id FROM leads WHERE deleted = 0");
    return {ids.begin(), ids.end()};
  }

  fs::path dir_;
  std::unique_ptr<EmulatorProcess> emulator_;
};

TEST_P(PushCrashTest, APushKilledMidRunAndRunAgainLeavesEveryLeadInTheCrmExactlyOnce) {
  ASSERT_NO_FATAL_FAILURE(start_emulator());
  ASSERT_NO_FATAL_FAILURE(import_leads());
  const auto lead_ids = stored_lead_ids();
  ASSERT_EQ(lead_ids.size(), static_cast<std::size_t>(lead_count));
  const std::string key_column = "leadsync_externalid"; // crm.alternate_key as init writes it

  // 1. Kill the push once a fifth of the leads are in the CRM.
  std::int64_t count_at_kill = 0;
  pid_t killed_push = 0;
  {
    BackgroundLeadsync push(LEADSYNC_EXE, {"-c", config().string(), "push"}, dir_,
                            {std::string("LEADSYNC_CRM_TOKEN=") + test_token});
    const bool reached = wait_until(
        [&] {
          count_at_kill = crm_lead_count(emulator_->port());
          return count_at_kill >= lead_count / 5 || !push.running();
        },
        std::chrono::seconds(120));
    ASSERT_TRUE(reached) << "the push wrote only " << count_at_kill << " leads in 120 s";
    ASSERT_TRUE(push.running()) << "the push ended before it could be killed: "
                                << leadsync::testing::read_file(dir_ / "background-stderr.txt");
    killed_push = push.pid();
    const int status = push.kill();
    ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
  }
  // Requests the push had sent still complete in the CRM. None in flight is not enough: a request
  // still being read, or waiting out its simulated latency, is not in flight yet. So wait until
  // nothing is in flight and neither the requests nor the rows have changed for two seconds.
  {
    json last;
    auto quiet_since = Clock::now();
    ASSERT_TRUE(wait_until(
        [&] {
          const auto stats = emulator_stats(emulator_->port());
          if (!stats || stats->at("in_flight") != 0) {
            quiet_since = Clock::now();
            return false;
          }
          const json now = {stats->at("requests_total"), stats->at("rows")};
          if (now != last) {
            last = now;
            quiet_since = Clock::now();
            return false;
          }
          return Clock::now() - quiet_since >= std::chrono::seconds(2);
        },
        std::chrono::seconds(60)));
  }
  const auto crm_before_restart = crm_lead_count(emulator_->port());
  ASSERT_GT(crm_before_restart, 0);
  ASSERT_LT(crm_before_restart, lead_count) << "the kill came too late to interrupt the push";

  // 2. Restart the CRM from its state file: what it acknowledged is still there.
  ASSERT_EQ(emulator_->stop(), 0);
  ASSERT_NO_FATAL_FAILURE(start_emulator());
  EXPECT_EQ(crm_lead_count(emulator_->port()), crm_before_restart);

  // 3. Push again. It takes back the changes the killed push held under its leases (its workers
  //    were "host:<pid>:n" and that process is gone) and sends everything: the CRM holds every
  //    lead exactly once and the outbox is empty.
  const auto second = command("push");
  ASSERT_EQ(second.exit_code, 0) << second.err << second.out;
  EXPECT_NE(second.out.find("held by a push that stopped without finishing (process " +
                            std::to_string(killed_push) + ")"),
            std::string::npos)
      << second.out;
  const auto crm = crm_leads(emulator_->port(), key_column);
  ASSERT_TRUE(crm);
  EXPECT_EQ(crm->rows, static_cast<std::size_t>(lead_count)) << "a lead is missing or doubled";
  EXPECT_EQ(keys_of(*crm), lead_ids);
  const auto after_push = status();
  EXPECT_EQ(after_push.at("outbox").at("pending"), 0) << after_push.dump(2);
  EXPECT_EQ(after_push.at("outbox").at("leased"), 0) << after_push.dump(2);
  EXPECT_EQ(after_push.at("dead_letters"), 0) << after_push.dump(2);
  // The killed push's run is no longer shown as running.
  const auto& runs = after_push.at("runs");
  EXPECT_EQ(std::count_if(runs.begin(), runs.end(),
                          [](const auto& run) { return run.at("status") == "running"; }),
            0)
      << runs.dump(2);
  EXPECT_EQ(std::count_if(runs.begin(), runs.end(),
                          [](const auto& run) {
                            return run.at("kind") == "push" && run.at("status") == "interrupted";
                          }),
            1)
      << runs.dump(2);

  // 4. Another push finds nothing to send and changes no CRM row.
  const auto idle = command("push");
  ASSERT_EQ(idle.exit_code, 0) << idle.err << idle.out;
  const auto idle_counts = status().at("runs").at(0).at("counts");
  EXPECT_EQ(idle_counts.at("claimed"), 0) << idle_counts.dump();
  EXPECT_EQ(idle_counts.at("upserted"), 0) << idle_counts.dump();
  const auto crm_after_idle = crm_leads(emulator_->port(), key_column);
  ASSERT_TRUE(crm_after_idle);
  EXPECT_EQ(crm_after_idle->version_by_key, crm->version_by_key);
}

INSTANTIATE_TEST_SUITE_P(EachWritingMode, PushCrashTest, ::testing::Values("bulk", "batch"),
                         [](const auto& info) { return info.param; });

} // namespace
