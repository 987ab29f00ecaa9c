// `leadsync daemon` killed with SIGKILL while it processes the webhooks of leads created in the CRM
// (the Dataverse emulator fires them as Dataverse does), restarted each time (issue 18, fault
// suite).

#include "faults/crash/crash_support.hpp"
#include "support/web_api.hpp"

#include <gtest/gtest.h>
#include <memory>
#include <set>

namespace {

using namespace leadsync::faults;
using leadsync::testing::BackgroundLeadsync;
using leadsync::testing::EmulatorProcess;
using leadsync::testing::RawConnection;
const auto quoted = leadsync::testing::shell_quoted;

constexpr const char* crm_token = "crash-daemon-token";
constexpr const char* webhook_key = "crash-daemon-webhook-key-0123456789abcdef";
constexpr int creates = 400;

class DaemonKillTest : public ::testing::Test {
protected:
  void SetUp() override {
    dir_ = scratch_folder("crash-daemon");
    crm_ = std::make_unique<EmulatorProcess>(
        DATAVERSE_EMULATOR,
        std::vector<std::string>{"--profile", "fast", "--static-token", crm_token});
    ASSERT_NE(crm_->port(), 0) << "the emulator did not start";
    ASSERT_EQ(leadsync::testing::run_leadsync(LEADSYNC_EXE, "init " + quoted(dir_.string()), dir_)
                  .exit_code,
              0);
    fs::create_directories(dir_ / "feeds");
    port_ = free_port();
    // Dataverse delivers a webhook once: creates it could not deliver while the daemon was down
    // come in through the scheduled pull, which is part of the promise.
    const auto text = daemon_config(leadsync::testing::read_file(config()), crm_->url(),
                                    "LEADSYNC_DAEMON_TOKEN", port_,
                                    "pull = \"@every 2s\"\npush = \"@every 1s\"\nenrich = \"\"\n"
                                    "qualify = \"\"\nimport_watch = \"\"\n");
    ASSERT_TRUE(text) << "the config `leadsync init` wrote has changed shape";
    std::ofstream(config(), std::ios::binary | std::ios::trunc) << *text;
  }
  void TearDown() override {
    daemon_.reset();
    crm_.reset();
    if (!HasFailure()) {
      std::error_code ignored;
      fs::remove_all(dir_, ignored);
    } else {
      std::cerr << "kept " << dir_ << " for a look\n";
    }
  }

  fs::path config() const { return dir_ / "leadsync.toml"; }
  fs::path store() const { return dir_ / "state.db"; }
  std::vector<std::string> env() const {
    return {std::string("LEADSYNC_DAEMON_TOKEN=") + crm_token,
            std::string("LEADSYNC_WEBHOOK_KEY=") + webhook_key};
  }
  std::string daemon_log() const {
    return leadsync::testing::read_file(dir_ / "background-stderr.txt").substr(0, 4000);
  }

  int readyz() {
    RawConnection connection(port_);
    if (!connection.connected() ||
        !connection.send("GET /readyz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")) {
      return 0;
    }
    const auto response = connection.read_response(std::chrono::seconds(5));
    return response ? RawConnection::status_of(*response) : 0;
  }
  void start_daemon() {
    daemon_ = std::make_unique<BackgroundLeadsync>(
        LEADSYNC_EXE, std::vector<std::string>{"-c", config().string(), "daemon"}, dir_, env());
    ASSERT_TRUE(wait_until([&] { return readyz() == 200 || !daemon_->running(); },
                           std::chrono::seconds(30)));
    ASSERT_TRUE(daemon_->running()) << "the daemon exited: " << daemon_log();
  }

  // Webhook events the daemon has finished.
  std::int64_t events_done() {
    return std::max<std::int64_t>(
        sql_integer(store(), "SELECT count(*) FROM webhook_events WHERE state = 'done'"), 0);
  }

  fs::path dir_;
  std::uint16_t port_ = 0;
  std::unique_ptr<EmulatorProcess> crm_;
  std::unique_ptr<BackgroundLeadsync> daemon_;
};

// Promise: a daemon killed with SIGKILL while it processes webhooks, again and again, and
// restarted processes every lead created in the CRM exactly once: one store lead per CRM lead, each
// CRM lead updated with our key (none created twice), no webhook event left unfinished.
TEST_F(DaemonKillTest, ADaemonKilledWhileProcessingWebhooksAndRestartedProcessesEachLeadOnce) {
  KillPlan plan;
  SCOPED_TRACE(plan.trace());
  ASSERT_NO_FATAL_FAILURE(start_daemon());
  const auto registered = leadsync::testing::run_leadsync(
      LEADSYNC_EXE,
      "-c " + quoted(config().string()) + " webhook register --url http://127.0.0.1:" +
          std::to_string(port_) + "/webhooks/dataverse --auth key",
      dir_,
      std::string("LEADSYNC_DAEMON_TOKEN=") + crm_token + " LEADSYNC_WEBHOOK_KEY=" + webhook_key);
  ASSERT_EQ(registered.exit_code, 0) << registered.out << registered.err;

  // The creates come in rounds; in each, the daemon is killed once it has finished some of the
  // round's events, after a random extra delay, and restarted.
  int kills = 0;
  int created = 0;
  std::vector<std::int64_t> at_kill;
  for (int round = 0; round < kill_rounds; ++round) {
    const auto before = events_done();
    for (int index = 0; index < creates / kill_rounds; ++index, ++created) {
      const auto n = std::to_string(created);
      const auto [status, body] = leadsync::testing::web_api(
          crm_->port(), crm_token, "POST", "leads",
          json{{"firstname", "Webhook"},
               {"lastname", "Lead " + n},
               {"emailaddress1", "webhook" + n + "@hook" + n + ".example"},
               {"companyname", "Hook " + n},
               {"subject", "Web enquiry"}}
              .dump());
      ASSERT_TRUE(status == 204 || status == 201) << status << " " << body.dump();
    }
    ASSERT_TRUE(wait_until([&] { return events_done() > before; }, std::chrono::seconds(30)))
        << "round " << round << ": no webhook event finished: " << daemon_log();
    std::this_thread::sleep_for(plan.extra_delay(150));
    ASSERT_TRUE(daemon_->running()) << daemon_log();
    ASSERT_TRUE(killed_by_sigkill(daemon_->kill()));
    ++kills;
    at_kill.push_back(events_done());
    std::this_thread::sleep_for(plan.extra_delay(200));
    ASSERT_NO_FATAL_FAILURE(start_daemon());
  }
  std::cout << "daemon: " << kills << " kills, at finished webhook events";
  for (const auto value : at_kill) {
    std::cout << " " << value;
  }
  std::cout << " of " << creates << " creates\n";

  // Every CRM lead comes back with our key (the pull takes those whose webhook was lost).
  std::size_t keyed = 0;
  std::size_t rows = 0;
  const bool settled = wait_until(
      [&] {
        const auto leads = crm_records(crm_->port(), "leads");
        if (!leads) {
          return false;
        }
        rows = leads->size();
        keyed = 0;
        for (const auto& row : *leads) {
          keyed += row.at("attributes").value("leadsync_externalid", json()).is_string() ? 1 : 0;
        }
        return keyed == static_cast<std::size_t>(creates) &&
               sql_integer(store(), "SELECT count(*) FROM webhook_events WHERE state <> 'done'") ==
                   0;
      },
      std::chrono::seconds(60));
  ASSERT_TRUE(settled) << keyed << " of " << creates << " CRM leads keyed, " << rows << " rows\n"
                       << daemon_log();
  const auto leads = crm_records(crm_->port(), "leads");
  ASSERT_TRUE(leads);
  EXPECT_EQ(leads->size(), static_cast<std::size_t>(creates)) << "a lead was doubled in the CRM";
  std::set<std::string> keys;
  for (const auto& row : *leads) {
    keys.insert(row.at("attributes").value("leadsync_externalid", std::string()));
  }
  EXPECT_EQ(keys.size(), static_cast<std::size_t>(creates)) << "two CRM leads share one of ours";
  EXPECT_EQ(stored_leads(store()), creates) << "a lead was lost or doubled in the store";
  EXPECT_EQ(sql_integer(store(), "SELECT count(DISTINCT crm_id) FROM leads WHERE deleted = 0 "
                                 "AND crm_id <> ''"),
            creates);
  EXPECT_EQ(doubled_emails(store()), 0);
  const auto ids = sql_strings(store(), "SELECT id FROM leads WHERE deleted = 0");
  EXPECT_EQ(keys, std::set<std::string>(ids.begin(), ids.end()));
}

} // namespace
