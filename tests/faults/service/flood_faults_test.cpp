// Service faults, a malformed webhook flood (issue 18): 10,000 bad requests against a running
// `leadsync daemon` while slowloris connections hold partial headers. Checked by counting: /readyz
// answers sampled during the flood, the daemon's VmRSS, webhook events stored, and a valid webhook
// after the flood coming back from the CRM processed.

#include "faults/service/service_support.hpp"
#include "support/background_leadsync.hpp"
#include "support/cli_process.hpp"
#include "support/loopback_ports.hpp"
#include "support/web_api.hpp"

#include <arpa/inet.h>
#include <atomic>
#include <chrono>
#include <gtest/gtest.h>
#include <list>
#include <memory>
#include <netinet/in.h>
#include <random>
#include <string>
#include <sys/socket.h>
#include <thread>
#include <unistd.h>

namespace {

using namespace leadsync::faults;
using leadsync::testing::BackgroundLeadsync;
using leadsync::testing::shell_quoted;
using namespace std::chrono_literals;

constexpr const char* crm_token = "service-fault-flood-token";
constexpr const char* webhook_key = "service-fault-flood-key-0123456789abcdef";
constexpr int request_count = 10'000;
constexpr int warm_up_count = 1'000;
constexpr int slowloris_connections = 16; // connections holding partial headers at any time
constexpr std::int64_t rss_growth_bound_kb = 10240; // allowed growth after warm-up: 10 MB
constexpr std::size_t body_limit =
    std::size_t{1024} * 1024; // server.body_limit_kb = 1024 (the default)

using leadsync::test::free_port;

std::string post(const std::string& target, const std::string& body,
                 const std::string& extra_headers = {}) {
  return "POST " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n" +
         extra_headers + "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
}

// Bad request number `index`: one of eight kinds, in turn, so every thousand holds each kind.
// Returns the bytes and whether to wait for an answer (a truncated request gets none until the
// server's read timeout, so the connection is just closed).
std::pair<std::string, bool> bad_request(int index, std::mt19937& random) {
  const std::string keyed = "/webhooks/dataverse?code=" + std::string(webhook_key);
  switch (index % 8) {
  case 0: { // garbage bytes
    std::string bytes(256 + random() % 2048, '\0');
    for (auto& byte : bytes) {
      byte = static_cast<char>(random());
    }
    return {bytes, false};
  }
  case 1: // a wrong key
    return {post("/webhooks/dataverse?code=wrong-key-" + std::to_string(index),
                 R"({"MessageName":"Create","PrimaryEntityName":"lead"})"),
            true};
  case 2: // no key, key twice
    return {
        post(index % 16 == 2 ? "/webhooks/dataverse" : keyed + "&code=" + std::string(webhook_key),
             "{}"),
        true};
  case 3: // oversized: announced past the limit (every 100th really sends it)
    if (index % 100 == 3) {
      return {post(keyed, std::string(body_limit + 65536, 'x')), true};
    }
    return {"POST " + keyed + " HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 1073741824\r\n\r\n" +
                std::string(4096, '['),
            true};
  case 4: // deep JSON, with the right key
    return {post(keyed, std::string(100'000, '[') + std::string(100'000, ']')), true};
  case 5: // truncated: half the announced body, then the connection closes
    return {"POST " + keyed + " HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 4000\r\n\r\n" +
                std::string(2000, '{'),
            false};
  case 6: // the right key, a body that is not a RemoteExecutionContext
    return {post(keyed, index % 16 == 6 ? R"({"MessageName": 5, "InputParameters": "x"})"
                                        : "not json at all \x01\x02"),
            true};
  default: // a broken request line or header
    return {index % 16 == 7 ? "POST /webhooks/dataverse HTTP/9.9\r\nHost: x\r\n\r\n"
                            : "POST " + keyed + " HTTP/1.1\r\nHost x\r\nNo-Colon-Here\r\n\r\n",
            true};
  }
}

// Connections that send a request line and then one header byte now and then, never finishing
// (slowloris); reopened when the server closes them.
class Slowloris {
public:
  explicit Slowloris(std::uint16_t port) : port_(port) {
    thread_ = std::thread([this] { run(); });
  }
  Slowloris(const Slowloris&) = delete;
  Slowloris& operator=(const Slowloris&) = delete;
  ~Slowloris() {
    stop_ = true;
    thread_.join();
  }
  int opened() const { return opened_; }

private:
  void run() {
    std::list<std::unique_ptr<RawConnection>> held;
    while (!stop_) {
      for (auto it = held.begin(); it != held.end();) {
        if (!(*it)->send("X")) { // closed by the server (read timeout): open another
          it = held.erase(it);
        } else {
          ++it;
        }
      }
      while (held.size() < slowloris_connections && !stop_) {
        auto connection = std::make_unique<RawConnection>(port_);
        if (!connection->connected() ||
            !connection->send("POST /webhooks/dataverse HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")) {
          break;
        }
        held.push_back(std::move(connection));
        ++opened_;
      }
      std::this_thread::sleep_for(500ms);
    }
  }
  std::uint16_t port_;
  std::atomic<bool> stop_{false};
  std::atomic<int> opened_{0};
  std::thread thread_;
};

// Promise: 10,000 malformed requests (garbage, wrong or missing keys, oversized and deep-JSON
// bodies, truncated requests, broken request lines) while 16 slowloris connections hold partial
// headers leave the daemon ready (/readyz 200 at every sample), its memory flat (VmRSS grows less
// than 10 MB from after the first 1,000 to after all 10,000), store no webhook event, and a valid
// webhook after the flood is still processed (the lead comes back from the CRM with our key).
TEST(FloodFaultsTest, TenThousandMalformedWebhooksLeaveTheDaemonReadyAndItsMemoryFlat) {
  Scratch scratch("flood");
  RestartableEmulator crm(DATAVERSE_EMULATOR, {"--profile", "fast", "--static-token", crm_token},
                          scratch.dir());
  ASSERT_TRUE(crm.start()) << "the emulator did not start";
  const std::string env =
      std::string("LEADSYNC_CRM_TOKEN=") + crm_token + " LEADSYNC_WEBHOOK_KEY=" + webhook_key;
  const auto leadsync = [&](const std::string& args) {
    return leadsync::testing::run_leadsync(LEADSYNC_EXE, args, scratch.dir(), env);
  };
  const auto command = [&](const std::string& args) {
    return leadsync("-c " + shell_quoted(scratch.config().string()) + " " + args);
  };
  ASSERT_EQ(leadsync("init " + shell_quoted(scratch.dir().string())).exit_code, 0);
  const std::uint16_t port = free_port();
  ASSERT_EQ(
      write_config(scratch.dir(), ConfigSetup{.crm_url = crm.url(),
                                              .client_id = {},
                                              .secret_file = {},
                                              .push_batch_size = 200,
                                              .providers = {},
                                              .wanted_fields = "wanted_fields = []",
                                              .schedule = "pull = \"\"\npush = \"\"\nenrich = "
                                                          "\"\"\nqualify = \"\"\n",
                                              .daemon_port = port}),
      "");
  BackgroundLeadsync daemon(LEADSYNC_EXE, {"-c", scratch.config().string(), "daemon"},
                            scratch.dir(),
                            {std::string("LEADSYNC_CRM_TOKEN=") + crm_token,
                             std::string("LEADSYNC_WEBHOOK_KEY=") + webhook_key});
  const auto daemon_log = [&] {
    return leadsync::testing::read_file(scratch.dir() / "background-stderr.txt").substr(0, 6000);
  };
  const auto readyz = [&] {
    RawConnection connection(port);
    if (!connection.connected() ||
        !connection.send("GET /readyz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")) {
      return 0;
    }
    return RawConnection::status_of(connection.read_response(5s).value_or(""));
  };
  ASSERT_TRUE(wait_until([&] { return readyz() == 200; }, 30s)) << daemon_log();

  const auto rss_before = rss_kb(daemon.pid());
  std::int64_t rss_warm = 0;
  int samples = 0;
  int not_ready = 0;
  std::map<int, int> answers; // status -> count (0: closed without an answer)
  std::mt19937 random(18);
  const auto started = Clock::now();
  {
    Slowloris slow(port);
    for (int index = 0; index < request_count; ++index) {
      const auto [bytes, wait] = bad_request(index, random);
      RawConnection connection(port);
      if (connection.connected()) {
        connection.send(bytes); // the server may close before it has read everything
        if (wait) {
          const auto response = connection.read_response(5s);
          ++answers[response ? RawConnection::status_of(*response) : 0];
        }
      }
      if (index % 250 == 249) {
        ++samples;
        not_ready += readyz() == 200 ? 0 : 1;
      }
      if (index + 1 == warm_up_count) {
        rss_warm = rss_kb(daemon.pid());
      }
    }
    EXPECT_GT(slow.opened(), 0) << "no slowloris connection was held";
    EXPECT_EQ(readyz(), 200) << "not ready while slowloris connections are held";
  }
  const auto flood_s = std::chrono::duration<double>(Clock::now() - started).count();
  const auto rss_after = rss_kb(daemon.pid());
  std::string statuses;
  for (const auto& [status, count] : answers) {
    statuses += std::to_string(status) + ":" + std::to_string(count) + " ";
  }
  std::cout << "flood: " << request_count << " bad requests in " << flood_s << " s; answers "
            << statuses << "; /readyz " << samples - not_ready << "/" << samples << " ready; VmRSS "
            << rss_before << " kB before, " << rss_warm << " kB after " << warm_up_count << ", "
            << rss_after << " kB after " << request_count << " (growth after warm-up "
            << rss_after - rss_warm << " kB, bound " << rss_growth_bound_kb << " kB)\n";
  ASSERT_TRUE(daemon.running()) << daemon_log();
  EXPECT_EQ(not_ready, 0) << "/readyz was not 200 at " << not_ready << " of " << samples
                          << " samples";
  ASSERT_GT(rss_warm, 0);
  EXPECT_LT(rss_after - rss_warm, rss_growth_bound_kb)
      << "the daemon's memory grew under the flood";
  EXPECT_EQ(answers[200] + answers[202], 0) << "a malformed webhook was accepted: " << statuses;
  EXPECT_EQ(store_count(scratch.store(), "SELECT count(*) FROM webhook_events"), 0)
      << "a malformed webhook was stored as an event";

  // A valid webhook after the flood: a lead created in the CRM comes back processed.
  const auto registered =
      command("webhook register --url http://127.0.0.1:" + std::to_string(port) +
              "/webhooks/dataverse --auth key");
  ASSERT_EQ(registered.exit_code, 0) << registered.out << registered.err;
  const auto [created, ignored] =
      leadsync::testing::web_api(crm.port(), crm_token, "POST", "leads",
                                 Json{{"firstname", "After"},
                                      {"lastname", "Flood"},
                                      {"emailaddress1", "after.flood@company.example"},
                                      {"companyname", "Company"},
                                      {"subject", "Web enquiry"}}
                                     .dump());
  ASSERT_TRUE(created == 204 || created == 201) << created;
  EXPECT_TRUE(wait_until(
      [&] {
        const auto leads = crm_leads(crm.port());
        return leads && leads->rows == 1 && !leads->keys.contains("");
      },
      60s))
      << "the valid webhook after the flood was not processed\n"
      << daemon_log();
  EXPECT_EQ(
      store_count(scratch.store(), "SELECT count(*) FROM webhook_events WHERE state = 'done'"), 1);
  ASSERT_TRUE(daemon.signal_and_wait(SIGTERM, 20s));
}

} // namespace
