// Scale-out (issue 16) with real processes: three `leadsync daemon`s share one PostgreSQL database
// of the throwaway test server (tests/support/postgres_server.hpp), each signing in to the
// Dataverse emulator (profile fast) as its own application user (its own crm.auth client id, client
// credentials through the emulator's token endpoint). 60,000 imported leads reach the CRM exactly
// once although one daemon is SIGKILLed while the outbox drains; a thousand webhook events that
// all arrive at one daemon are each processed once, by more than one daemon (NOTIFY); and a
// scheduled pull runs on one worker per slot.

#include "leadsync_test_paths.hpp"
#include "support/background_leadsync.hpp"
#include "support/cli_process.hpp"
#include "support/emulator_process.hpp"
#include "support/feeds_fixture.hpp"
#include "support/loopback_ports.hpp"
#include "support/postgres_server.hpp"
#include "support/raw_http.hpp"
#include "support/web_api.hpp"

#include <algorithm>
#include <arpa/inet.h>
#include <array>
#include <chrono>
#include <csignal>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <gtest/gtest.h>
#include <map>
#include <memory>
#include <netinet/in.h>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <string>
#include <sys/socket.h>
#include <thread>
#include <unistd.h>
#include <vector>

namespace {

namespace fs = std::filesystem;
using leadsync::testing::BackgroundLeadsync;
using leadsync::testing::CliRun;
using leadsync::testing::PostgresServer;
using leadsync::testing::RawConnection;
using Json = nlohmann::json;
using namespace std::chrono_literals;

constexpr int daemons = 3;
// One application user per daemon: the emulator knows these client ids (one secret for all);
// config validation wants the GUID form of an Entra application id.
constexpr std::array<const char*, daemons> client_ids = {"5ca1e000-0000-4000-8000-00000000000a",
                                                         "5ca1e000-0000-4000-8000-00000000000b",
                                                         "5ca1e000-0000-4000-8000-00000000000c"};
constexpr const char* secret_env = "LEADSYNC_SCALEOUT_CLIENT_SECRET";
constexpr const char* client_secret = "scaleout-test-client-secret";
// The test's own Web API calls (creating leads, reading them back); it acts as the first user.
constexpr const char* crm_token = "scaleout-test-token";
constexpr const char* webhook_key = "scaleout-test-webhook-key-0123456789abcdef";
// Any tenant is accepted; this is the emulator's seeded one (its README, "Seeded rows").
constexpr const char* tenant = "7c1a3f2e-5b8d-4e61-9a0c-2d4f6b8e1a00";

using leadsync::test::free_port;

// Replaces the first occurrence of `from` in `text`; false when it is not there.
bool replace_first(std::string& text, const std::string& from, const std::string& to) {
  const auto at = text.find(from);
  if (at == std::string::npos) {
    return false;
  }
  text.replace(at, from.size(), to);
  return true;
}

// Waits until `done` holds, up to `limit`; false when it never did.
bool eventually(const std::function<bool()>& done, std::chrono::seconds limit,
                std::chrono::milliseconds poll = 200ms) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < deadline) {
    if (done()) {
      return true;
    }
    std::this_thread::sleep_for(poll);
  }
  return done();
}

// The sum of every sample of the counter `name` (all label sets) in a Prometheus text scrape.
double counter_sum(const std::string& scrape, const std::string& name) {
  double sum = 0;
  std::istringstream lines(scrape);
  std::string line;
  while (std::getline(lines, line)) {
    if (line.starts_with(name + "{") || line.starts_with(name + " ")) {
      sum += std::stod(line.substr(line.rfind(' ') + 1));
    }
  }
  return sum;
}

class ScaleOutTest : public ::testing::Test {
protected:
  void SetUp() override {
    server_ = PostgresServer::shared();
    if (server_ == nullptr) {
      GTEST_SKIP() << PostgresServer::why_not();
    }
    dir_ = fs::temp_directory_path() /
           ("leadsync-scaleout-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    store_url_ = server_->fresh_database_url();
    database_ = store_url_.substr(store_url_.rfind('/') + 1);
    // The emulator reads the secret from its environment, the daemons from theirs.
    ::setenv(secret_env, client_secret, 1);
    std::vector<std::string> args = {"--profile",           "fast",     "--static-token", crm_token,
                                     "--client-secret-env", secret_env, "--threads",      "4"};
    for (const char* client_id : client_ids) {
      args.insert(args.end(), {"--client-id", client_id});
    }
    crm_ = std::make_unique<leadsync::testing::EmulatorProcess>(DATAVERSE_EMULATOR, args);
    ASSERT_NE(crm_->port(), 0) << "the emulator did not start";
    const auto init = leadsync("init " + leadsync::testing::shell_quoted(dir_.string()));
    ASSERT_EQ(init.exit_code, 0) << init.err;
    fs::create_directories(dir_ / "feeds");
    for (const auto& feed :
         fs::directory_iterator(fs::path(LEADSYNC_SOURCE_DIR) / "tests/data/feeds")) {
      fs::copy_file(feed.path(), dir_ / "feeds" / feed.path().filename());
    }
    for (int index = 0; index < daemons; ++index) {
      ports_[index] = free_port();
      ASSERT_NE(ports_[index], 0) << "no free port on loopback";
      fs::create_directories(scratch(index));
    }
  }

  void TearDown() override {
    for (auto& daemon : daemons_) {
      daemon.reset();
    }
    crm_.reset();
    if (dir_.empty()) {
      return;
    }
    if (!HasFailure()) {
      fs::remove_all(dir_);
    } else {
      std::cerr << "kept " << dir_ << " (daemon logs in d0..d2) and database " << database_
                << " for a look\n";
    }
  }

  // leadsync-<index>.toml: what `leadsync init` wrote, at the emulator with client credentials as
  // user `index`, on the shared PostgreSQL store, with only the feed-file provider, the schedules
  // given ([schedule] keys, "" turns a job off) and the daemon's endpoints on its own port.
  void write_configs(const std::string& schedule) {
    std::string base = leadsync::testing::read_file(dir_ / "leadsync.toml");
    const auto providers = leadsync::testing::with_enrich_providers(
        base,
        "\n[[enrich.provider]]\nname = \"feeds\"\nkind = \"file_feed\"\nfolder = \"feeds\"\n\n",
        "");
    ASSERT_TRUE(providers) << "the init config changed shape";
    base = *providers;
    const auto cut = base.find("\n[schedule]");
    ASSERT_NE(cut, std::string::npos);
    base = base.substr(0, cut);
    ASSERT_TRUE(
        replace_first(base, "url = \"http://127.0.0.1:8765\"", "url = \"" + crm_->url() + "\""));
    ASSERT_TRUE(replace_first(base, "token_env = \"LEADSYNC_CRM_TOKEN\"\n", ""));
    ASSERT_TRUE(replace_first(base, "authority = \"https://login.microsoftonline.com\"",
                              "authority = \"" + crm_->url() + "\""));
    ASSERT_TRUE(replace_first(base, "url = \"sqlite://state.db\"", "url = \"" + store_url_ + "\""));
    for (int index = 0; index < daemons; ++index) {
      std::string text = base;
      ASSERT_TRUE(replace_first(text, "mode = \"static_token\"",
                                std::string("mode = \"client_credentials\"\ntenant = \"") + tenant +
                                    "\"\nclient_id = \"" + client_ids[index] +
                                    "\"\nclient_secret_env = \"" + secret_env + "\""));
      text += "\n[schedule]\n" + schedule;
      text += "\n[server]\nlisten = \"127.0.0.1:" + std::to_string(ports_[index]) +
              "\"\nwebhook_auth = \"key\"\nwebhook_key_env = \"LEADSYNC_WEBHOOK_KEY\"\n"
              "shutdown_grace_s = 10\nwebhook_lease_s = 30\n";
      text += "\n[log]\nlevel = \"info\"\nformat = \"json\"\n";
      std::ofstream(config(index)) << text;
    }
    const auto check = run(0, "check");
    ASSERT_EQ(check.exit_code, 0) << check.out << check.err;
  }

  std::string config(int index) const {
    return (dir_ / ("leadsync-" + std::to_string(index) + ".toml")).string();
  }
  fs::path scratch(int index) const { return dir_ / ("d" + std::to_string(index)); }

  CliRun leadsync(const std::string& args) {
    return leadsync::testing::run_leadsync(LEADSYNC_EXE, args, dir_,
                                           std::string("LEADSYNC_WEBHOOK_KEY=") + webhook_key);
  }
  // `leadsync` with daemon `index`'s config (its application user).
  CliRun run(int index, const std::string& args) {
    return leadsync("-c " + leadsync::testing::shell_quoted(config(index)) + " " + args);
  }

  // Starts daemon `index` and waits until it answers /readyz.
  void start_daemon(int index) {
    daemons_[index] = std::make_unique<BackgroundLeadsync>(
        LEADSYNC_EXE, std::vector<std::string>{"-c", config(index), "daemon"}, scratch(index),
        std::vector<std::string>{std::string("LEADSYNC_WEBHOOK_KEY=") + webhook_key});
    pids_[index].push_back(daemons_[index]->pid());
    const auto deadline = std::chrono::steady_clock::now() + 60s;
    while (std::chrono::steady_clock::now() < deadline) {
      if (get(index, "/readyz").first == 200) {
        return;
      }
      ASSERT_TRUE(daemons_[index]->running()) << "daemon " << index << " exited: " << log(index);
      std::this_thread::sleep_for(50ms);
    }
    FAIL() << "daemon " << index << " did not become ready: " << log(index);
  }
  void start_daemons() {
    for (int index = 0; index < daemons; ++index) {
      start_daemon(index);
      if (HasFatalFailure()) {
        return;
      }
    }
  }
  // SIGTERM to every daemon, then waits for each (they exit within shutdown_grace_s).
  void stop_daemons() {
    for (auto& daemon : daemons_) {
      if (daemon) {
        daemon->signal(SIGTERM);
      }
    }
    for (int index = 0; index < daemons; ++index) {
      if (daemons_[index]) {
        const auto status = daemons_[index]->signal_and_wait(SIGTERM, 15s);
        EXPECT_TRUE(status && WIFEXITED(*status) && WEXITSTATUS(*status) == 0)
            << "daemon " << index << " did not stop cleanly: " << log(index).substr(0, 4000);
        daemons_[index].reset();
      }
    }
  }
  std::string log(int index) const {
    const auto text = leadsync::testing::read_file(scratch(index) / "background-stderr.txt");
    return text.size() > 6000 ? "..." + text.substr(text.size() - 6000) : text;
  }
  // "host:pid", the name daemon `index` leaves in runs.owner and in its leases (the host part is
  // the same for all of them).
  std::string pid_suffix(int index) const { return ":" + std::to_string(daemons_[index]->pid()); }

  // One request to daemon `index`: status and body (0 when it did not answer).
  std::pair<int, std::string> get(int index, const std::string& path) {
    RawConnection connection(ports_[index]);
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

  // SQL against the shared database (unaligned, tuples only, '|' between columns).
  std::string sql(const std::string& query) { return server_->psql(database_, query); }
  std::int64_t sql_count(const std::string& query) { return std::stoll(sql(query)); }

  std::pair<int, Json> api(const std::string& method, const std::string& path,
                           const std::string& body = {}) {
    return leadsync::testing::web_api(crm_->port(), crm_token, method, path, body);
  }
  // Leads upserted by the finished push runs of each process (runs.owner is "host:pid").
  std::map<pid_t, std::int64_t> upserted_by_pid() {
    std::map<pid_t, std::int64_t> upserted;
    std::istringstream runs(sql("SELECT owner, counts FROM runs WHERE kind = 'push' AND "
                                "finished_at IS NOT NULL"));
    std::string line;
    while (std::getline(runs, line)) {
      const auto bar = line.find('|');
      const auto colon = line.rfind(':', bar);
      if (bar == std::string::npos || colon == std::string::npos) {
        ADD_FAILURE() << "unexpected runs row: " << line;
        continue;
      }
      const auto counts = Json::parse(line.substr(bar + 1), nullptr, false);
      upserted[static_cast<pid_t>(std::stol(line.substr(colon + 1, bar - colon - 1)))] +=
          counts.is_object() ? counts.value("upserted", std::int64_t{0}) : 0;
    }
    return upserted;
  }
  Json emulator_stats() {
    const auto stats = leadsync::testing::emulator_admin(crm_->port(), "GET", "/_emulator/stats");
    EXPECT_TRUE(stats.has_value()) << "GET /_emulator/stats failed";
    return stats.value_or(Json::object());
  }

  // Every lead row in the CRM (paged, 5,000 a page).
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
      const std::string root = "/api/data/v9.2/";
      path = next.substr(next.find(root) + root.size());
    }
  }

  PostgresServer* server_ = nullptr;
  fs::path dir_;
  std::string store_url_;
  std::string database_;
  std::unique_ptr<leadsync::testing::EmulatorProcess> crm_;
  std::array<std::uint16_t, daemons> ports_{};
  std::array<std::unique_ptr<BackgroundLeadsync>, daemons> daemons_;
  std::array<std::vector<pid_t>, daemons> pids_; // every process daemon `index` has been
};

// A purchased list of `rows` distinct people (own e-mail, own name), the same in every run.
void write_list(const fs::path& path, int rows) {
  std::ofstream list(path, std::ios::binary);
  list << "First Name,Last Name,Email,Company,Job Title,Country\n";
  constexpr std::array<const char*, 5> firsts = {"Olga", "Ivan", "Maria", "Pedro", "Chloe"};
  for (int row = 0; row < rows; ++row) {
    const int company = row % 503;
    list << firsts[static_cast<std::size_t>(row) % firsts.size()] << ",Scaleout" << row << ",lead"
         << row << "@firm" << company << ".example,Firm " << company << ",Buyer,US\n";
  }
}

TEST_F(ScaleOutTest,
       ThreeDaemonsPushSixtyThousandImportedLeadsExactlyOnceWithOneKilledAndRestarted) {
  constexpr int leads = 60'000;
  write_configs("pull = \"\"\npush = \"@every 1s\"\nenrich = \"\"\nqualify = \"\"\n"
                "import_watch = \"\"\n");
  ASSERT_FALSE(HasFatalFailure());
  write_list(dir_ / "list.csv", leads);
  const auto began = std::chrono::steady_clock::now();
  const auto imported =
      run(0, "import " + leadsync::testing::shell_quoted((dir_ / "list.csv").string()) +
                 " --vendor scaleout --list sixty-k --no-progress --json");
  ASSERT_EQ(imported.exit_code, 0) << imported.out << imported.err;
  ASSERT_EQ(Json::parse(imported.out, nullptr, false).value("new_leads", 0), leads) << imported.out;
  std::cout << "imported " << leads << " leads in "
            << std::chrono::duration<double>(std::chrono::steady_clock::now() - began).count()
            << " s\n";
  ASSERT_EQ(sql_count("SELECT count(*) FROM outbox"), leads);

  const auto pushing = std::chrono::steady_clock::now();
  start_daemons();
  ASSERT_FALSE(HasFatalFailure());
  // `status` lists the three workers, each with its application user.
  const auto status = run(1, "status --json");
  ASSERT_EQ(status.exit_code, 0) << status.err;
  const auto listed = Json::parse(status.out);
  std::set<std::string> users;
  for (const auto& worker : listed.at("workers")) {
    if (worker.value("kind", "") == "daemon") {
      users.insert(worker.value("crm_user", ""));
    }
  }
  EXPECT_EQ(users, std::set<std::string>(client_ids.begin(), client_ids.end())) << status.out;

  // Half drained: kill the daemon holding the most outbox entries (or daemon 1 if none holds any
  // at that moment), so that what it held must be taken back by the others.
  std::int64_t left = leads;
  ASSERT_TRUE(eventually(
      [&] {
        left = sql_count("SELECT count(*) FROM outbox");
        return left <= leads / 2;
      },
      300s, 50ms))
      << left << " left in the outbox\n"
      << log(0);
  ASSERT_GT(left, 0) << "the outbox drained before a daemon could be killed half-way";
  int victim = 1;
  std::int64_t most = 0;
  for (int index = 0; index < daemons; ++index) {
    const auto held = sql_count("SELECT count(*) FROM outbox WHERE lease_owner LIKE '%" +
                                pid_suffix(index) + ":%' AND lease_until IS NOT NULL");
    if (held > most) {
      most = held;
      victim = index;
    }
  }
  daemons_[victim]->kill();
  std::cout << "killed daemon " << victim << " (" << client_ids[victim] << ") holding " << most
            << " outbox entries with " << left << " of " << leads << " left\n";
  start_daemon(victim);
  ASSERT_FALSE(HasFatalFailure());

  ASSERT_TRUE(eventually(
      [&] {
        left = sql_count("SELECT count(*) FROM outbox");
        return left == 0;
      },
      420s, 500ms))
      << left << " left in the outbox\n"
      << log(0);
  const Json stats = emulator_stats(); // before the reads below add to the first user's count
  std::cout << "the outbox drained "
            << std::chrono::duration<double>(std::chrono::steady_clock::now() - pushing).count()
            << " s after the daemons started\n";
  stop_daemons();

  EXPECT_EQ(sql_count("SELECT count(*) FROM dead_letters"), 0);
  const auto rows = crm_leads("leadid,leadsync_externalid");
  EXPECT_EQ(rows.size(), static_cast<std::size_t>(leads)) << "a lead was doubled or lost";
  std::set<std::string> keys;
  for (const auto& row : rows) {
    if (row.value("leadsync_externalid", Json()).is_string()) {
      keys.insert(row["leadsync_externalid"].get<std::string>());
    }
  }
  EXPECT_EQ(keys.size(), static_cast<std::size_t>(leads)) << "two CRM leads share one of ours";
  std::istringstream ids(sql("SELECT id FROM leads WHERE NOT deleted"));
  std::string id;
  std::size_t ours = 0;
  std::size_t missing = 0;
  while (std::getline(ids, id)) {
    ++ours;
    missing += keys.contains(id) ? 0 : 1;
  }
  EXPECT_EQ(ours, static_cast<std::size_t>(leads));
  EXPECT_EQ(missing, 0u) << "leads of ours missing in the CRM";

  // Each application user wrote: the emulator counts requests per user, and the push runs of
  // each daemon that was not killed (runs.owner "host:pid") upserted leads.
  std::map<std::string, std::int64_t> requests;
  for (const auto& user : stats.at("users")) {
    requests[user.at("client_id").get<std::string>()] = user.at("requests").get<std::int64_t>();
  }
  const auto upserted = upserted_by_pid();
  for (int index = 0; index < daemons; ++index) {
    std::int64_t by_daemon = 0;
    for (const pid_t pid : pids_[index]) {
      by_daemon += upserted.contains(pid) ? upserted.at(pid) : 0;
    }
    std::cout << "daemon " << index << " (" << client_ids[index]
              << "): " << requests[client_ids[index]] << " CRM requests, " << by_daemon
              << " leads upserted in finished push runs\n";
    EXPECT_GT(requests[client_ids[index]], 0) << client_ids[index] << " made no request";
    if (index != victim) {
      EXPECT_GT(by_daemon, 0) << "daemon " << index << " pushed nothing: the work was not shared";
    }
  }
}

TEST_F(ScaleOutTest, WebhookEventsFromAThousandCreatesAreEachProcessedOnceAcrossThreeDaemons) {
  constexpr int creates = 1000;
  write_configs("pull = \"\"\npush = \"\"\nenrich = \"\"\nqualify = \"\"\nimport_watch = \"\"\n");
  ASSERT_FALSE(HasFatalFailure());
  start_daemons();
  ASSERT_FALSE(HasFatalFailure());
  // Every delivery goes to daemon 0. A load balancer would spread them; one daemon receiving all
  // is the hardest case for the others, which learn of the events only by NOTIFY (or polling).
  const auto registered =
      run(0, "webhook register --url http://127.0.0.1:" + std::to_string(ports_[0]) +
                 "/webhooks/dataverse --auth key");
  ASSERT_EQ(registered.exit_code, 0) << registered.out << registered.err;

  for (int index = 0; index < creates; ++index) {
    const auto [status, body] =
        api("POST", "leads",
            Json{{"firstname", "Anna"},
                 {"lastname", "Webhook " + std::to_string(index)},
                 {"emailaddress1", "anna" + std::to_string(index) + "@hook" +
                                       std::to_string(index % 41) + ".example"},
                 {"companyname", "Hook " + std::to_string(index % 41)},
                 {"subject", "Web enquiry"}}
                .dump());
    ASSERT_TRUE(status == 204 || status == 201) << status << " " << body.dump();
  }
  std::int64_t done = 0;
  ASSERT_TRUE(eventually(
      [&] {
        done = sql_count("SELECT count(*) FROM webhook_events WHERE state = 'done'");
        return done >= creates;
      },
      300s, 500ms))
      << done << " of " << creates << " events done\n"
      << log(0);
  // The counters move once a worker's batch is recorded, just after the rows.
  std::array<double, daemons> processed{};
  double total = 0;
  eventually(
      [&] {
        total = 0;
        for (int index = 0; index < daemons; ++index) {
          processed[index] =
              counter_sum(get(index, "/metrics").second, "leadsync_webhook_events_processed_total");
          total += processed[index];
        }
        return total >= creates;
      },
      30s);
  int busy = 0;
  std::cout << "webhook events processed:";
  for (int index = 0; index < daemons; ++index) {
    std::cout << " daemon " << index << " " << processed[index] << ";";
    busy += processed[index] > 0 ? 1 : 0;
  }
  std::cout << " total " << total << "\n";
  EXPECT_EQ(total, creates) << "an event was processed twice or not at all";
  EXPECT_GE(busy, 2) << "one daemon did all the work: the others were not woken";
  EXPECT_EQ(sql_count("SELECT count(*) FROM webhook_events"), creates);
  // Each done at its first attempt: the store counts the attempts that failed (retry_webhook_event
  // adds one), so 0 means taken once and finished once.
  EXPECT_EQ(sql_count("SELECT count(*) FROM webhook_events WHERE state = 'done' AND attempts = 0"),
            creates);
  const auto stats = emulator_stats();
  EXPECT_EQ(stats.at("webhooks").at("delivered").get<int>(), creates) << stats.at("webhooks");

  const auto rows = crm_leads("leadid,leadsync_externalid");
  EXPECT_EQ(rows.size(), static_cast<std::size_t>(creates)) << "leads were created, not updated";
  std::set<std::string> keys;
  for (const auto& row : rows) {
    if (row.value("leadsync_externalid", Json()).is_string()) {
      keys.insert(row["leadsync_externalid"].get<std::string>());
    }
  }
  EXPECT_EQ(keys.size(), static_cast<std::size_t>(creates)) << "not every lead came back keyed";
  stop_daemons();
}

TEST_F(ScaleOutTest, AScheduledPullRunsOnOneWorkerOnly) {
  write_configs("pull = \"@every 2s\"\npush = \"\"\nenrich = \"\"\nqualify = \"\"\n"
                "import_watch = \"\"\n");
  ASSERT_FALSE(HasFatalFailure());
  const auto started = std::chrono::steady_clock::now();
  start_daemons();
  ASSERT_FALSE(HasFatalFailure());
  // The schedule has to run for a while with all three daemons up: there is nothing to wait on.
  std::this_thread::sleep_for(10s);
  stop_daemons();
  const double elapsed_s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();

  struct Run {
    std::int64_t started_ms = 0;
    std::int64_t finished_ms = 0;
    std::string owner;
    std::string status;
  };
  std::vector<Run> pulls;
  std::istringstream rows(sql("SELECT started_at, coalesce(finished_at, -1), owner, status "
                              "FROM runs WHERE kind = 'pull' ORDER BY started_at, id"));
  std::string line;
  std::map<std::string, int> by_owner;
  while (std::getline(rows, line)) {
    std::istringstream fields(line);
    Run pull;
    std::string started_at;
    std::string finished_at;
    std::getline(fields, started_at, '|');
    std::getline(fields, finished_at, '|');
    std::getline(fields, pull.owner, '|');
    std::getline(fields, pull.status, '|');
    pull.started_ms = std::stoll(started_at);
    pull.finished_ms = std::stoll(finished_at);
    ++by_owner[pull.owner];
    pulls.push_back(pull);
  }
  std::cout << pulls.size() << " pull runs in " << elapsed_s << " s, by worker:";
  for (const auto& [owner, count] : by_owner) {
    std::cout << " " << owner << " " << count << ";";
  }
  std::cout << " starts apart (ms):";
  for (std::size_t index = 1; index < pulls.size(); ++index) {
    std::cout << " " << pulls[index].started_ms - pulls[index - 1].started_ms;
  }
  std::cout << "\n";
  // One run per 2 s slot while the daemons ran (the first may come at once), not one per daemon.
  EXPECT_GE(pulls.size(), 3u);
  EXPECT_LE(static_cast<double>(pulls.size()), elapsed_s / 2 + 1)
      << "a slot ran on several workers";
  for (std::size_t index = 0; index < pulls.size(); ++index) {
    SCOPED_TRACE("pull run " + std::to_string(index) + " of " + pulls[index].owner);
    // The daemons are stopped at a moment of the test's choosing: a pull running then ends
    // interrupted, as it should (it finishes on the next slot); every earlier one ran to the end.
    const bool cut_by_the_stop = index + 1 == pulls.size() && pulls[index].status == "interrupted";
    EXPECT_TRUE(pulls[index].status == "ok" || cut_by_the_stop) << pulls[index].status;
    EXPECT_GE(pulls[index].finished_ms, pulls[index].started_ms) << "never finished";
    if (index > 0) {
      EXPECT_GE(pulls[index].started_ms, pulls[index - 1].finished_ms)
          << "two pulls overlapped in time";
      // Slots are 2 s apart; a run starts a moment after its slot is claimed.
      EXPECT_GE(pulls[index].started_ms - pulls[index - 1].started_ms, 1500)
          << "two pulls started within one slot";
    }
  }
}

} // namespace
