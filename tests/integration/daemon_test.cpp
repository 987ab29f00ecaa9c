// `leadsync daemon` as a real process against the Dataverse emulator, which fires its webhooks like
// Dataverse does: a lead created through the CRM's API comes back enriched and scored; a burst of
// creates is processed exactly once; SIGKILL at random moments loses and doubles nothing; SIGTERM
// exits 0 within the grace period; SIGHUP with a broken config keeps the old one; and a real
// scrape of /metrics passes `promtool check metrics`.

#include "leadsync_test_paths.hpp"
#include "support/background_leadsync.hpp"
#include "support/cli_process.hpp"
#include "support/emulator_process.hpp"
#include "support/feeds_fixture.hpp"
#include "support/loopback_ports.hpp"
#include "support/raw_http.hpp"
#include "support/web_api.hpp"

#include <arpa/inet.h>
#include <chrono>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <functional>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <nlohmann/json.hpp>
#include <optional>
#include <random>
#include <set>
#include <sqlite3.h>
#include <string>
#include <sys/socket.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>
#include <vector>

namespace {

namespace fs = std::filesystem;
using leadsync::testing::BackgroundLeadsync;
using leadsync::testing::CliRun;
using leadsync::testing::RawConnection;
using Json = nlohmann::json;
using namespace std::chrono_literals;

constexpr const char* crm_token = "daemon-test-token";
constexpr const char* webhook_key = "daemon-test-webhook-key-0123456789abcdef";

using leadsync::test::free_port;

// One query's first column of its first row as an integer, from the daemon's SQLite store.
std::int64_t sql_count(const fs::path& database, const std::string& query) {
  sqlite3* db = nullptr;
  std::int64_t value = -1;
  if (sqlite3_open_v2(database.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK) {
    sqlite3_busy_timeout(db, 5000);
    sqlite3_stmt* statement = nullptr;
    if (sqlite3_prepare_v2(db, query.c_str(), -1, &statement, nullptr) == SQLITE_OK &&
        sqlite3_step(statement) == SQLITE_ROW) {
      value = sqlite3_column_int64(statement, 0);
    } else {
      ADD_FAILURE() << query << ": " << sqlite3_errmsg(db);
    }
    sqlite3_finalize(statement);
  }
  sqlite3_close(db);
  return value;
}

class DaemonTest : public ::testing::Test {
protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("leadsync-daemon-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    crm_ = std::make_unique<leadsync::testing::EmulatorProcess>(
        DATAVERSE_EMULATOR,
        std::vector<std::string>{"--profile", "fast", "--static-token", crm_token, "--quiet"});
    ASSERT_NE(crm_->port(), 0) << "the emulator did not start";
    ASSERT_EQ(leadsync("init " + dir_.string()).exit_code, 0);
    fs::create_directories(dir_ / "feeds");
    for (const auto& feed :
         fs::directory_iterator(fs::path(LEADSYNC_SOURCE_DIR) / "tests/data/feeds")) {
      fs::copy_file(feed.path(), dir_ / "feeds" / feed.path().filename());
    }
    port_ = free_port();
    write_config();
  }
  void TearDown() override {
    daemon_.reset();
    crm_.reset();
    if (!HasFailure()) {
      fs::remove_all(dir_);
    } else {
      std::cerr << "kept " << dir_ << " for a look\n";
    }
  }

  // The config `leadsync init` wrote, at the emulator, with only the feed-file provider, the
  // schedules given (all off by default: the webhook path alone) and the daemon on port_.
  void write_config(const std::string& schedule = "pull = \"\"\npush = \"\"\nenrich = \"\"\n"
                                                  "qualify = \"\"\nimport_watch = \"\"\n",
                    const std::string& extra = {}) {
    const std::string init_text = leadsync::testing::read_file(dir_ / "leadsync.toml.init");
    std::string base =
        init_text.empty() ? leadsync::testing::read_file(dir_ / "leadsync.toml") : init_text;
    if (init_text.empty()) {
      std::ofstream(dir_ / "leadsync.toml.init") << base;
    }
    const auto providers = leadsync::testing::with_enrich_providers(
        base,
        "\n[[enrich.provider]]\nname = \"feeds\"\nkind = \"file_feed\"\nfolder = \"feeds\"\n\n",
        "");
    ASSERT_TRUE(providers) << "the init config changed shape";
    std::string text = *providers;
    const auto cut = text.find("\n[schedule]");
    ASSERT_NE(cut, std::string::npos);
    text = text.substr(0, cut);
    text += "\n[schedule]\n" + schedule;
    text += "\n[server]\nlisten = \"127.0.0.1:" + std::to_string(port_) +
            "\"\nwebhook_auth = \"key\"\nwebhook_key_env = \"LEADSYNC_WEBHOOK_KEY\"\n"
            "shutdown_grace_s = 10\nwebhook_lease_s = 5\n" +
            extra;
    text += "\n[log]\nlevel = \"info\"\nformat = \"json\"\n";
    // The CRM: the emulator, with a static token.
    const auto crm_at = text.find("url = \"http://127.0.0.1:8765\"");
    ASSERT_NE(crm_at, std::string::npos);
    text.replace(crm_at, std::string("url = \"http://127.0.0.1:8765\"").size(),
                 "url = \"" + crm_->url() + "\"");
    const auto token_env = text.find("token_env = ");
    if (token_env != std::string::npos) {
      text.replace(token_env, text.find('\n', token_env) - token_env,
                   "token_env = \"LEADSYNC_DAEMON_TOKEN\"");
    }
    std::ofstream(dir_ / "leadsync.toml") << text;
  }

  std::vector<std::string> env() const {
    return {std::string("LEADSYNC_DAEMON_TOKEN=") + crm_token,
            std::string("LEADSYNC_WEBHOOK_KEY=") + webhook_key};
  }
  CliRun leadsync(const std::string& args) {
    return leadsync::testing::run_leadsync(LEADSYNC_EXE, args, dir_,
                                           std::string("LEADSYNC_DAEMON_TOKEN=") + crm_token +
                                               " LEADSYNC_WEBHOOK_KEY=" + webhook_key);
  }
  CliRun run(const std::string& args) {
    return leadsync("-c " + (dir_ / "leadsync.toml").string() + " " + args);
  }

  // Starts the daemon and waits until it answers /readyz.
  void start_daemon() {
    daemon_ = std::make_unique<BackgroundLeadsync>(
        LEADSYNC_EXE, std::vector<std::string>{"-c", (dir_ / "leadsync.toml").string(), "daemon"},
        dir_, env());
    const auto deadline = std::chrono::steady_clock::now() + 30s;
    while (std::chrono::steady_clock::now() < deadline) {
      if (get("/readyz").first == 200) {
        return;
      }
      ASSERT_TRUE(daemon_->running()) << "the daemon exited: " << daemon_log();
      std::this_thread::sleep_for(50ms);
    }
    FAIL() << "the daemon did not become ready: " << daemon_log();
  }
  std::string daemon_log() const {
    return leadsync::testing::read_file(dir_ / "background-stderr.txt");
  }

  // One request to the daemon: status and body (0 when it did not answer).
  std::pair<int, std::string> get(const std::string& path) {
    RawConnection connection(port_);
    if (!connection.connected() ||
        !connection.send("GET " + path +
                         " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")) {
      return {0, ""};
    }
    const auto response = connection.read_response(10s);
    if (!response) {
      return {0, ""};
    }
    return {RawConnection::status_of(*response), response->substr(response->find("\r\n\r\n") + 4)};
  }

  // One Web API request to the emulator; the status and the JSON body.
  std::pair<int, Json> api(const std::string& method, const std::string& path,
                           const std::string& body = {}) {
    return leadsync::testing::web_api(crm_->port(), crm_token, method, path, body);
  }

  // Creates a lead "in Dynamics" (as a person would, without our key).
  bool create_crm_lead(const std::string& first, const std::string& last, const std::string& email,
                       const std::string& company) {
    const auto [status, body] = api("POST", "leads",
                                    Json{{"firstname", first},
                                         {"lastname", last},
                                         {"emailaddress1", email},
                                         {"companyname", company},
                                         {"subject", "Web enquiry"}}
                                        .dump());
    return status == 204 || status == 201;
  }

  // Every lead row in the CRM (paged).
  std::vector<Json> crm_leads(const std::string& select) {
    std::vector<Json> rows;
    std::string path = "leads?$select=" + select;
    for (;;) {
      const auto [status, body] = api("GET", path);
      EXPECT_EQ(status, 200) << path;
      if (status != 200) {
        return rows;
      }
      for (const auto& row : body["value"]) {
        rows.push_back(row);
      }
      if (!body.contains("@odata.nextLink")) {
        return rows;
      }
      const std::string next = body["@odata.nextLink"];
      path = next.substr(next.find("/api/data/v9.2/") + std::string("/api/data/v9.2/").size());
    }
  }

  // Waits until `done` holds, up to `limit`; false when it never did.
  static bool eventually(const std::function<bool()>& done, std::chrono::seconds limit) {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < deadline) {
      if (done()) {
        return true;
      }
      std::this_thread::sleep_for(200ms);
    }
    return done();
  }

  void register_webhook() {
    const auto registered = run("webhook register --url http://127.0.0.1:" + std::to_string(port_) +
                                "/webhooks/dataverse --auth key");
    ASSERT_EQ(registered.exit_code, 0) << registered.out << registered.err;
  }

  fs::path dir_;
  std::uint16_t port_ = 0;
  std::unique_ptr<leadsync::testing::EmulatorProcess> crm_;
  std::unique_ptr<BackgroundLeadsync> daemon_;
};

TEST_F(DaemonTest, ALeadCreatedInTheCrmComesBackEnrichedScoredAndWithItsQualityCode) {
  start_daemon();
  register_webhook();
  const auto status = run("webhook status");
  EXPECT_EQ(status.exit_code, 0) << status.err;
  EXPECT_NE(status.out.find("/webhooks/dataverse"), std::string::npos) << status.out;

  // In the aggregator's feed file: a procurement director at Romashka.
  ASSERT_TRUE(create_crm_lead("Ivan", "Petrov", "ivan.petrov@romashka.ru", "Romashka"));
  Json lead;
  ASSERT_TRUE(eventually(
      [&] {
        const auto rows = crm_leads("leadid,emailaddress1,jobtitle,leadsync_externalid,"
                                    "leadsync_seniority,leadsync_totalscore,leadsync_grade,"
                                    "leadqualitycode");
        if (rows.size() != 1) {
          return false;
        }
        lead = rows[0];
        return lead.value("leadsync_externalid", Json()).is_string() &&
               lead.value("leadqualitycode", Json()).is_number() &&
               lead.value("jobtitle", Json()).is_string();
      },
      30s))
      << lead.dump(2) << daemon_log();
  EXPECT_EQ(crm_leads("leadid").size(), 1u) << "the daemon created a lead instead of updating";
  EXPECT_NE(lead["jobtitle"].get<std::string>().find("rocurement"), std::string::npos)
      << lead.dump(2);
  EXPECT_TRUE(lead["leadsync_grade"].is_string()) << lead.dump(2);

  const auto [metrics_status, metrics] = get("/metrics");
  EXPECT_EQ(metrics_status, 200);
  EXPECT_NE(metrics.find("leadsync_webhook_lag_seconds_count"), std::string::npos) << metrics;

  const auto unregistered = run("webhook unregister");
  EXPECT_EQ(unregistered.exit_code, 0) << unregistered.out << unregistered.err;
  const auto after = run("webhook status");
  EXPECT_EQ(after.out.find("/webhooks/dataverse"), std::string::npos) << after.out;
}

TEST_F(DaemonTest, AThousandCreatesInABurstAreEachProcessedExactlyOnce) {
  start_daemon();
  register_webhook();
  constexpr int creates = 1000;
  for (int index = 0; index < creates; ++index) {
    ASSERT_TRUE(create_crm_lead("Anna", "Ivanova " + std::to_string(index),
                                "anna" + std::to_string(index) + "@company" +
                                    std::to_string(index % 37) + ".example",
                                "Company " + std::to_string(index % 37)));
  }
  std::size_t pushed_back = 0;
  ASSERT_TRUE(eventually(
      [&] {
        pushed_back = 0;
        for (const auto& row : crm_leads("leadid,leadsync_externalid")) {
          pushed_back += row.value("leadsync_externalid", Json()).is_string() ? 1 : 0;
        }
        return pushed_back == creates;
      },
      180s))
      << pushed_back << " of " << creates << " came back\n"
      << daemon_log().substr(0, 4000);
  const auto rows = crm_leads("leadid,leadsync_externalid");
  EXPECT_EQ(rows.size(), static_cast<std::size_t>(creates)) << "leads were created, not updated";
  std::set<std::string> keys;
  for (const auto& row : rows) {
    keys.insert(row.value("leadsync_externalid", ""));
  }
  EXPECT_EQ(keys.size(), static_cast<std::size_t>(creates)) << "two CRM leads share one of ours";
  const auto db = dir_ / "state.db";
  EXPECT_EQ(sql_count(db, "SELECT count(*) FROM webhook_events"), creates);
  EXPECT_EQ(sql_count(db, "SELECT count(*) FROM webhook_events WHERE state = 'done'"), creates);
  EXPECT_EQ(sql_count(db, "SELECT count(*) FROM leads WHERE deleted = 0"), creates);
  EXPECT_EQ(sql_count(db, "SELECT count(*) FROM (SELECT crm_id FROM leads WHERE crm_id <> '' "
                          "GROUP BY crm_id HAVING count(*) > 1)"),
            0);
}

TEST_F(DaemonTest, SigkillAtRandomMomentsLosesNothingAndDoublesNothing) {
  // The schedules reconcile what a dead daemon could not take: Dataverse gives a webhook one
  // delivery, so creates made while it is down come in through the scheduled pull.
  write_config("pull = \"@every 2s\"\npush = \"@every 1s\"\nenrich = \"@every 2s\"\n"
               "qualify = \"@every 2s\"\nimport_watch = \"inbox\"\nimport_watch_settle_s = 1\n");
  fs::create_directories(dir_ / "inbox");
  start_daemon();
  register_webhook();

  std::mt19937 random(20261206);
  // A purchased list dropped into the watched folder while leads are being created in the CRM.
  constexpr int list_rows = 3000;
  {
    std::ofstream list(dir_ / "inbox.tmp.csv");
    list << "First Name,Last Name,Email,Company,Job Title,Country\n";
    for (int row = 0; row < list_rows; ++row) {
      list << "Olga,Smirnova" << row << ",olga.smirnova" << row << "@firm" << (row % 101)
           << ".example,Firm " << (row % 101) << ",Buyer,RU\n";
    }
  }
  fs::rename(dir_ / "inbox.tmp.csv", dir_ / "inbox" / "acme__purchased-2026-12.csv");
  // Killed while the list is being imported (it is claimed into processing/ first).
  ASSERT_TRUE(eventually(
      [&] { return fs::exists(dir_ / "inbox" / "processing" / "acme__purchased-2026-12.csv"); },
      30s))
      << daemon_log();
  std::this_thread::sleep_for(std::chrono::milliseconds(random() % 300));
  daemon_->kill();
  start_daemon();

  constexpr int creates = 150;
  int created = 0;
  for (int round = 0; round < 5; ++round) {
    const int batch = creates / 5;
    for (int index = 0; index < batch; ++index, ++created) {
      ASSERT_TRUE(create_crm_lead("Petr", "Kuznetsov " + std::to_string(created),
                                  "petr" + std::to_string(created) + "@kuz.example", "Kuz"));
      if (index == static_cast<int>(random() % batch)) {
        std::this_thread::sleep_for(std::chrono::milliseconds(random() % 300));
        daemon_->kill();
        std::this_thread::sleep_for(std::chrono::milliseconds(random() % 200));
        start_daemon();
      }
    }
  }
  const auto expected = static_cast<std::size_t>(creates + list_rows);
  std::size_t keyed = 0;
  std::size_t total = 0;
  ASSERT_TRUE(eventually(
      [&] {
        const auto rows = crm_leads("leadid,leadsync_externalid");
        total = rows.size();
        keyed = 0;
        for (const auto& row : rows) {
          keyed += row.value("leadsync_externalid", Json()).is_string() ? 1 : 0;
        }
        return keyed == expected && fs::exists(dir_ / "inbox" / "done");
      },
      240s))
      << keyed << " of " << expected << " keyed, " << total << " CRM leads\n"
      << daemon_log().substr(0, 4000);
  const auto rows = crm_leads("leadid,leadsync_externalid");
  EXPECT_EQ(rows.size(), expected) << "a lead was doubled in the CRM";
  std::set<std::string> keys;
  for (const auto& row : rows) {
    keys.insert(row.value("leadsync_externalid", ""));
  }
  EXPECT_EQ(keys.size(), expected);
  const auto db = dir_ / "state.db";
  EXPECT_EQ(sql_count(db, "SELECT count(*) FROM leads WHERE deleted = 0"),
            static_cast<std::int64_t>(expected));
  EXPECT_TRUE(fs::exists(dir_ / "inbox" / "done" / "acme__purchased-2026-12.csv"));
  EXPECT_FALSE(fs::exists(dir_ / "inbox" / "failed")) << daemon_log().substr(0, 4000);
}

TEST_F(DaemonTest, SigtermExitsZeroWithinTheGracePeriod) {
  start_daemon();
  register_webhook();
  for (int index = 0; index < 20; ++index) {
    ASSERT_TRUE(create_crm_lead("Lena", "Term" + std::to_string(index),
                                "lena" + std::to_string(index) + "@term.example", "Term"));
  }
  const auto started = std::chrono::steady_clock::now();
  const auto status = daemon_->signal_and_wait(SIGTERM, 10s); // shutdown_grace_s = 10
  ASSERT_TRUE(status) << "still running 10 s after SIGTERM";
  EXPECT_TRUE(WIFEXITED(*status)) << *status;
  EXPECT_EQ(WEXITSTATUS(*status), 0) << daemon_log();
  EXPECT_LT(std::chrono::steady_clock::now() - started, 10s);
  EXPECT_NE(daemon_log().find("stopp"), std::string::npos) << daemon_log();
}

TEST_F(DaemonTest, SighupWithABrokenConfigKeepsTheOldOne) {
  start_daemon();
  const std::string good = leadsync::testing::read_file(dir_ / "leadsync.toml");
  std::string broken = good;
  const auto batch = broken.find("batch_size = 200");
  ASSERT_NE(batch, std::string::npos) << "the init config changed shape";
  broken.replace(batch, std::string("batch_size = 200").size(), "batch_size = 5000");
  std::ofstream(dir_ / "leadsync.toml") << broken;
  daemon_->signal(SIGHUP);
  ASSERT_TRUE(eventually([&] { return daemon_log().find("batch_size") != std::string::npos; }, 10s))
      << daemon_log();
  EXPECT_NE(daemon_log().find("keep"), std::string::npos) << daemon_log();
  EXPECT_TRUE(daemon_->running());
  EXPECT_EQ(get("/readyz").first, 200);

  // A good config is taken.
  std::ofstream(dir_ / "leadsync.toml") << good;
  daemon_->signal(SIGHUP);
  ASSERT_TRUE(eventually([&] { return daemon_log().find("reloaded") != std::string::npos; }, 10s))
      << daemon_log();
  EXPECT_EQ(get("/readyz").first, 200);
}

TEST_F(DaemonTest, ARealScrapeOfMetricsPassesPromtool) {
  if (!fs::exists("/usr/bin/promtool")) {
    GTEST_SKIP() << "promtool is missing: scripts/install-deps.sh installs the Debian package "
                    "'prometheus', which carries it";
  }
  start_daemon();
  register_webhook();
  ASSERT_TRUE(create_crm_lead("Ivan", "Petrov", "ivan.petrov@romashka.ru", "Romashka"));
  ASSERT_TRUE(eventually(
      [&] {
        return get("/metrics").second.find("leadsync_webhook_events_received_total 1") !=
               std::string::npos;
      },
      30s))
      << get("/metrics").second;
  const auto [status, metrics] = get("/metrics");
  ASSERT_EQ(status, 200);
  std::ofstream(dir_ / "scrape.txt") << metrics;
  const auto command = "/usr/bin/promtool check metrics < " + (dir_ / "scrape.txt").string() +
                       " > " + (dir_ / "promtool.txt").string() + " 2>&1";
  const int result = std::system(command.c_str());
  EXPECT_EQ(WEXITSTATUS(result), 0) << leadsync::testing::read_file(dir_ / "promtool.txt");
  EXPECT_EQ(leadsync::testing::read_file(dir_ / "promtool.txt"), "");
}

TEST(SystemdUnitTest, TheShippedUnitPassesSystemdAnalyzeVerify) {
  if (!fs::exists("/usr/bin/systemd-analyze")) {
    GTEST_SKIP()
        << "systemd-analyze is missing: scripts/install-deps.sh installs the Debian package "
           "'systemd', which carries it";
  }
  // The unit as shipped, but starting the leadsync just built (verify checks that it exists).
  const auto dir = fs::temp_directory_path() / ("leadsync-unit-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  std::string unit =
      leadsync::testing::read_file(fs::path(LEADSYNC_SOURCE_DIR) / "scripts/leadsync.service");
  const std::string shipped = "/usr/local/bin/leadsync ";
  const auto exec = unit.find("ExecStart=" + shipped);
  ASSERT_NE(exec, std::string::npos) << "ExecStart changed shape";
  unit.replace(exec + std::string("ExecStart=").size(), shipped.size(),
               std::string(LEADSYNC_EXE) + " ");
  std::ofstream(dir / "leadsync.service") << unit;
  const auto report = dir / "verify.txt";
  const int status =
      std::system(("/usr/bin/systemd-analyze verify --man=no " +
                   (dir / "leadsync.service").string() + " > " + report.string() + " 2>&1")
                      .c_str());
  EXPECT_EQ(WEXITSTATUS(status), 0) << leadsync::testing::read_file(report);
  // verify exits 0 on a key it cannot parse ("Failed to parse service type, ignoring"): any line
  // it prints is a problem.
  EXPECT_EQ(leadsync::testing::read_file(report), "");
  EXPECT_NE(unit.find("Type=notify"), std::string::npos);
  EXPECT_NE(unit.find("WatchdogSec="), std::string::npos);
  EXPECT_NE(unit.find("DynamicUser=yes"), std::string::npos);
  fs::remove_all(dir);
}

} // namespace
