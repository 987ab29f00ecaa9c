// Service faults, sign-in (issue 18): an access token that expires in the middle of a push, and a
// client secret rotated on disk while the daemon runs. The CRM is the Dataverse emulator with its
// Entra-style token endpoint; every promise is checked by counting rows in the CRM.

#include "faults/service/service_support.hpp"
#include "support/background_leadsync.hpp"
#include "support/cli_process.hpp"
#include "support/loopback_ports.hpp"

#include <arpa/inet.h>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <string>
#include <sys/socket.h>
#include <thread>
#include <unistd.h>

namespace {

using namespace leadsync::faults;
using leadsync::testing::BackgroundLeadsync;
using leadsync::testing::CliRun;
using leadsync::testing::shell_quoted;
using namespace std::chrono_literals;

constexpr const char* fault_client_id = "3f2a1b4c-5d6e-4f70-8a9b-0c1d2e3f4a5b";
constexpr const char* secret_env = "LEADSYNC_FAULT_EMULATOR_SECRET";
constexpr const char* webhook_key = "service-fault-webhook-key-0123456789abcdef";

using leadsync::test::free_port;

// The status the emulator's token endpoint answers for `secret` (0: no answer).
int token_status(std::uint16_t port, const std::string& secret) {
  const std::string form =
      "grant_type=client_credentials&client_id=" + std::string(fault_client_id) +
      "&client_secret=" + secret + "&scope=http%3A%2F%2F127.0.0.1%3A" + std::to_string(port) +
      "%2F.default";
  RawConnection connection(port);
  if (!connection.connected() ||
      !connection.send("POST /" + std::string(tenant_id) +
                       "/oauth2/v2.0/token HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
                       "Content-Type: application/x-www-form-urlencoded\r\nContent-Length: " +
                       std::to_string(form.size()) + "\r\n\r\n" + form)) {
    return 0;
  }
  return RawConnection::status_of(connection.read_response(10s).value_or(""));
}

class AuthFaultsTest : public ::testing::Test {
protected:
  void SetUp() override {
    // The emulator reads the one secret it accepts from this variable at start.
    ::setenv(secret_env, "first-secret-0123456789", 1);
    write_secret_file(secret_file(), "first-secret-0123456789");
  }

  CliRun leadsync(const std::string& args) {
    return leadsync::testing::run_leadsync(LEADSYNC_EXE, args, scratch_.dir(),
                                           std::string("LEADSYNC_WEBHOOK_KEY=") + webhook_key);
  }
  CliRun command(const std::string& args) {
    return leadsync("-c " + shell_quoted(scratch_.config().string()) + " " + args);
  }
  void import_leads(const std::string& prefix, int first, int count) {
    const auto list = scratch_.dir() / (prefix + ".csv");
    write_lead_list(list, prefix, first, count);
    const auto run = command("import " + shell_quoted(list.string()) + " --no-progress --json");
    ASSERT_EQ(run.exit_code, 0) << run.err;
  }
  std::set<std::string> stored_ids() {
    const auto ids = store_strings(scratch_.store(), "SELECT id FROM leads WHERE deleted = 0");
    return {ids.begin(), ids.end()};
  }
  Json status() {
    const auto run = command("status --json");
    EXPECT_EQ(run.exit_code, 0) << run.err;
    return Json::parse(run.out, nullptr, false);
  }
  fs::path secret_file() const { return scratch_.dir() / "client_secret"; }

  // The emulator with the documented limits, client credentials for fault_client_id and
  // `lifetime_s` long tokens; `latency_ms` per request keeps a push running for several seconds.
  void start_crm(int lifetime_s, int latency_ms) {
    crm_ = std::make_unique<RestartableEmulator>(
        DATAVERSE_EMULATOR,
        std::vector<std::string>{"--profile", "dataverse", "--latency-ms",
                                 std::to_string(latency_ms), "--client-id", fault_client_id,
                                 "--client-secret-env", secret_env, "--token-lifetime-s",
                                 std::to_string(lifetime_s)},
        scratch_.dir());
    ASSERT_TRUE(crm_->start()) << "the emulator did not start";
  }

  Scratch scratch_{::testing::UnitTest::GetInstance()->current_test_info()->name()};
  std::unique_ptr<RestartableEmulator> crm_;
};

// Promise: a push whose access token expires while it runs (the CRM's clock jumps an hour ahead
// again and again, so the token the client still thinks good is refused with 401) signs in again
// and carries on: every lead reaches the CRM exactly once, nothing is dead-lettered, exit 0.
TEST_F(AuthFaultsTest, APushWhoseTokenExpiresMidRunSignsInAgainAndLosesNothing) {
  constexpr int leads = 2000;
  ASSERT_NO_FATAL_FAILURE(start_crm(/*lifetime_s=*/4, /*latency_ms=*/150));
  ASSERT_EQ(leadsync("init " + shell_quoted(scratch_.dir().string())).exit_code, 0);
  ASSERT_EQ(write_config(scratch_.dir(), ConfigSetup{.crm_url = crm_->url(),
                                                     .client_id = fault_client_id,
                                                     .secret_file = secret_file(),
                                                     .push_batch_size = 20,
                                                     .providers = {},
                                                     .wanted_fields = "wanted_fields = []",
                                                     .schedule = "push = \"\"\n",
                                                     .daemon_port = 0}),
            "");
  ASSERT_NO_FATAL_FAILURE(import_leads("expiry", 0, leads));

  std::atomic<bool> done{false};
  CliRun push;
  std::thread pusher([&] {
    push = command("push");
    done = true;
  });
  int jumps = 0;
  while (!done) {
    std::this_thread::sleep_for(700ms);
    if (!done &&
        emulator_admin(crm_->port(), "POST", "/_emulator/clock", R"({"advance_s": 3600})")) {
      ++jumps;
    }
  }
  pusher.join();
  EXPECT_EQ(push.exit_code, 0) << push.out << push.err;

  const auto stats = emulator_admin(crm_->port(), "GET", "/_emulator/stats");
  ASSERT_TRUE(stats);
  const auto refused = stats->at("requests_by_status").value("401", 0);
  std::cout << "token expiry: " << jumps << " clock jumps of 1 h, " << refused
            << " requests refused 401, " << stats->value("tokens_issued", 0) << " tokens issued\n";
  EXPECT_GE(jumps, 3) << "the push ended too soon for its token to expire mid-run";
  EXPECT_GT(refused, 0) << "no request met an expired token: the test proved nothing";
  EXPECT_GE(stats->value("tokens_issued", 0), 3);
  const auto crm = crm_leads(crm_->port());
  ASSERT_TRUE(crm);
  EXPECT_EQ(crm->rows, static_cast<std::size_t>(leads)) << "a lead is missing or doubled";
  EXPECT_EQ(crm->keys, stored_ids());
  const auto after = status();
  EXPECT_EQ(after.at("dead_letters"), 0) << after.dump(2);
  EXPECT_EQ(after.at("outbox").at("pending"), 0) << after.dump(2);
}

// Promise: the client secret rotated on disk while the daemon runs (the CRM's identity provider
// told the new one, the old one refused from then on, the daemon's token expired) is read again at
// the next token request: the daemon, still the same process, pushes the leads imported after the
// rotation, and the CRM holds every lead once.
TEST_F(AuthFaultsTest, ASecretRotatedOnDiskIsPickedUpByTheRunningDaemonWithoutARestart) {
  constexpr int batch = 100;
  ASSERT_NO_FATAL_FAILURE(start_crm(/*lifetime_s=*/3599, /*latency_ms=*/10));
  ASSERT_EQ(leadsync("init " + shell_quoted(scratch_.dir().string())).exit_code, 0);
  const std::uint16_t port = free_port();
  ASSERT_EQ(
      write_config(scratch_.dir(),
                   ConfigSetup{.crm_url = crm_->url(),
                               .client_id = fault_client_id,
                               .secret_file = secret_file(),
                               .push_batch_size = 50,
                               .providers = {},
                               .wanted_fields = "wanted_fields = []",
                               .schedule = "pull = \"\"\npush = \"@every 1s\"\nenrich = \"\"\n"
                                           "qualify = \"\"\n",
                               .daemon_port = port}),
      "");
  BackgroundLeadsync daemon(LEADSYNC_EXE, {"-c", scratch_.config().string(), "daemon"},
                            scratch_.dir(), {std::string("LEADSYNC_WEBHOOK_KEY=") + webhook_key});
  const auto daemon_log = [&] {
    return leadsync::testing::read_file(scratch_.dir() / "background-stderr.txt").substr(0, 6000);
  };
  ASSERT_TRUE(wait_until(
      [&] {
        RawConnection connection(port);
        return connection.connected() &&
               connection.send("GET /readyz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n") &&
               RawConnection::status_of(connection.read_response(5s).value_or("")) == 200;
      },
      30s))
      << daemon_log();
  const pid_t daemon_pid = daemon.pid();

  // Before the rotation: the first batch arrives with the first secret.
  ASSERT_NO_FATAL_FAILURE(import_leads("before", 0, batch));
  ASSERT_TRUE(wait_until([&] { return crm_lead_count(crm_->port()) == batch; }, 60s))
      << crm_lead_count(crm_->port()) << " leads in the CRM\n"
      << daemon_log();

  // The rotation: the identity provider takes the new secret, the file gets it, and the daemon's
  // token dies (the CRM's clock two hours ahead), so its next request needs a new token.
  ASSERT_TRUE(emulator_admin(crm_->port(), "POST", "/_emulator/client-secret",
                             R"({"client_secret": "second-secret-9876543210"})"));
  // The identity provider now refuses the old secret and takes the new one.
  EXPECT_EQ(token_status(crm_->port(), "first-secret-0123456789"), 401);
  EXPECT_EQ(token_status(crm_->port(), "second-secret-9876543210"), 200);
  write_secret_file(secret_file(), "second-secret-9876543210");
  ASSERT_TRUE(emulator_admin(crm_->port(), "POST", "/_emulator/clock", R"({"advance_s": 7200})"));
  const auto tokens_before =
      emulator_admin(crm_->port(), "GET", "/_emulator/stats")->value("tokens_issued", 0);

  ASSERT_NO_FATAL_FAILURE(import_leads("after", batch, batch));
  EXPECT_TRUE(
      wait_until([&] { return crm_lead_count(crm_->port()) == std::int64_t{2} * batch; }, 60s))
      << crm_lead_count(crm_->port()) << " leads in the CRM of " << 2 * batch
      << " (the daemon kept the old secret?)\n"
      << daemon_log();
  EXPECT_TRUE(daemon.running()) << daemon_log();
  EXPECT_EQ(daemon.pid(), daemon_pid);
  const auto stats = emulator_admin(crm_->port(), "GET", "/_emulator/stats");
  ASSERT_TRUE(stats);
  EXPECT_GT(stats->value("tokens_issued", 0), tokens_before) << "no token after the rotation";
  const auto crm = crm_leads(crm_->port());
  ASSERT_TRUE(crm);
  EXPECT_EQ(crm->rows, static_cast<std::size_t>(2 * batch)) << "a lead is missing or doubled";
  EXPECT_EQ(crm->keys, stored_ids());
  const auto after = status();
  EXPECT_EQ(after.at("dead_letters"), 0) << after.dump(2);
  ASSERT_TRUE(daemon.signal_and_wait(SIGTERM, 20s));
}

} // namespace
