// Service faults, an unreachable CRM (issue 18): the Dataverse emulator is stopped in the middle of
// a push, so every connection is refused for a real minute, then started again on the same port
// from the same state file. Checked by counting leads in the CRM against leadsync's store.

#include "faults/service/service_support.hpp"
#include "support/cli_process.hpp"

#include <algorithm>
#include <atomic>
#include <cctype>
#include <chrono>
#include <gtest/gtest.h>
#include <string>
#include <thread>

namespace {

using namespace leadsync::faults;
using leadsync::testing::CliRun;
using leadsync::testing::shell_quoted;
using namespace std::chrono_literals;

constexpr const char* crm_token = "service-fault-outage-token";
constexpr int lead_count = 2000;

std::string lower(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return text;
}

// Promise: a CRM that refuses every connection for a minute in the middle of a push, then comes
// back with what it had, loses and doubles no lead. The push either waits and finishes (exit 0), or
// exits non-zero saying what remains queued; then a second push finishes. Either way the CRM ends
// with every stored lead exactly once, and nothing is dead-lettered.
TEST(OutageFaultsTest, ACrmUnreachableForAMinuteMidPushLosesAndDoublesNoLead) {
  Scratch scratch("outage");
  RestartableEmulator crm(DATAVERSE_EMULATOR,
                          {"--profile", "dataverse", "--latency-ms", "300", "--state",
                           (scratch.dir() / "crm.db").string(), "--static-token", crm_token},
                          scratch.dir());
  ASSERT_TRUE(crm.start()) << "the emulator did not start";
  const auto leadsync = [&](const std::string& args) {
    return leadsync::testing::run_leadsync(LEADSYNC_EXE, args, scratch.dir(),
                                           std::string("LEADSYNC_CRM_TOKEN=") + crm_token);
  };
  const auto command = [&](const std::string& args) {
    return leadsync("-c " + shell_quoted(scratch.config().string()) + " " + args);
  };
  ASSERT_EQ(leadsync("init " + shell_quoted(scratch.dir().string())).exit_code, 0);
  ASSERT_EQ(write_config(scratch.dir(), ConfigSetup{.crm_url = crm.url(),
                                                    .client_id = {},
                                                    .secret_file = {},
                                                    .push_batch_size = 10,
                                                    .providers = {},
                                                    .wanted_fields = "wanted_fields = []",
                                                    .schedule = "push = \"\"\n",
                                                    .daemon_port = 0}),
            "");
  write_lead_list(scratch.dir() / "outage.csv", "outage", 0, lead_count);
  ASSERT_EQ(command("import " + shell_quoted((scratch.dir() / "outage.csv").string()) +
                    " --no-progress --json")
                .exit_code,
            0);
  const auto ids = store_strings(scratch.store(), "SELECT id FROM leads WHERE deleted = 0");
  ASSERT_EQ(ids.size(), static_cast<std::size_t>(lead_count));

  // The push, in the background; the outage starts once a fifth of the leads are in.
  std::atomic<bool> done{false};
  CliRun first;
  std::thread pusher([&] {
    first = command("push");
    done = true;
  });
  std::int64_t before_outage = 0;
  const bool reached = wait_until(
      [&] {
        before_outage = crm_lead_count(crm.port());
        return before_outage >= lead_count / 5 || done;
      },
      120s, 50ms);
  if (!reached || done) {
    pusher.join();
    FAIL() << "the push ended (or stalled) before the outage could start: " << before_outage
           << " leads in the CRM\n"
           << first.out << first.err.substr(0, 4000);
  }
  ASSERT_EQ(crm.stop(), 0);
  const auto outage_started = Clock::now();
  // The real minute: connections to the port are refused (nothing listens).
  RawConnection probe(crm.port());
  EXPECT_FALSE(probe.connected()) << "something still listens on the CRM's port";
  std::this_thread::sleep_until(outage_started + 60s);
  ASSERT_TRUE(crm.start()) << "the emulator did not start again on port " << crm.port();
  const auto crm_after_restart = crm_lead_count(crm.port());
  EXPECT_GE(crm_after_restart, before_outage) << "the CRM lost rows across its restart";

  pusher.join();
  const auto first_s = std::chrono::duration<double>(Clock::now() - outage_started).count();
  std::cout << "outage: " << before_outage << " leads in before the minute; the first push "
            << (first.exit_code == 0 ? "waited and finished" : "exited") << " with "
            << first.exit_code << ", " << first_s << " s after the outage began\n"
            << first.out << "\n";
  if (first.exit_code != 0) {
    // It says what remains, so an admin or a scheduler knows a second push is needed.
    const auto said = lower(first.out + first.err);
    EXPECT_TRUE(said.find("remain") != std::string::npos ||
                said.find("pending") != std::string::npos ||
                said.find("queued") != std::string::npos)
        << "the failed push does not say what remains:\n"
        << first.out << first.err.substr(0, 4000);
    // A second push once the retry it names is due (it says when).
    const auto wait = next_attempt_wait(first.out).value_or(std::chrono::seconds(0));
    std::this_thread::sleep_for(wait + 1s);
    const auto second = command("push");
    std::cout << "second push after " << wait.count() << " s: exit " << second.exit_code << "\n"
              << second.out << "\n";
    EXPECT_EQ(second.exit_code, 0) << second.out << second.err.substr(0, 4000);
  }

  const auto leads = crm_leads(crm.port());
  ASSERT_TRUE(leads);
  EXPECT_EQ(leads->rows, static_cast<std::size_t>(lead_count)) << "a lead is missing or doubled";
  EXPECT_EQ(leads->keys, std::set<std::string>(ids.begin(), ids.end()));
  const auto status = command("status --json");
  ASSERT_EQ(status.exit_code, 0) << status.err;
  const auto body = Json::parse(status.out, nullptr, false);
  EXPECT_EQ(body.at("dead_letters"), 0) << body.dump(2);
  EXPECT_EQ(body.at("outbox").at("pending"), 0) << body.dump(2);
  EXPECT_EQ(body.at("outbox").at("leased"), 0) << body.dump(2);
}

} // namespace
