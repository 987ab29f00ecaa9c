#pragma once
// What the crash fault tests (SIGKILL at random points, a disk that fills) share: the seeded kill
// plan, polling, counting rows in leadsync's SQLite store, editing the config `leadsync init`
// wrote, the emulators' admin API, and waiting for the CRM to go quiet after a kill. Helpers that
// already live in tests/support are included, not copied; these existed only inside single
// integration tests (issue 19 moves shared doubles into tests/support).

#include "support/background_leadsync.hpp"
#include "support/cli_process.hpp"
#include "support/emulator_admin.hpp"
#include "support/emulator_process.hpp"
#include "support/feeds_fixture.hpp"
#include "support/loopback_ports.hpp"
#include "support/raw_database.hpp"
#include "support/raw_http.hpp"

#include <arpa/inet.h>
#include <chrono>
#include <csignal>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <nlohmann/json.hpp>
#include <optional>
#include <random>
#include <sstream>
#include <string>
#include <sys/socket.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

namespace leadsync::faults {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;
using nlohmann::json;
using test::query_store;

// How many times each job is killed in one test (README "Reliability").
constexpr int kill_rounds = 5;

// The random part of a kill plan. The seed is LEADSYNC_CRASH_SEED when set (to replay a failure),
// otherwise a fresh one; every test puts it into its failure messages with SCOPED_TRACE.
class KillPlan {
public:
  KillPlan() : seed_(initial_seed()), random_(seed_) {}

  std::uint64_t seed() const { return seed_; }
  std::string trace() const {
    return "kill plan seed " + std::to_string(seed_) +
           " (replay with LEADSYNC_CRASH_SEED=" + std::to_string(seed_) + ")";
  }
  // A whole number in [low, high].
  std::int64_t between(std::int64_t low, std::int64_t high) {
    return std::uniform_int_distribution<std::int64_t>(low, high)(random_);
  }
  // The extra delay after the progress mark, so the kill lands somewhere inside the work.
  std::chrono::milliseconds extra_delay(int max_ms) {
    return std::chrono::milliseconds(between(0, max_ms));
  }

private:
  static std::uint64_t initial_seed() {
    if (const char* text = std::getenv("LEADSYNC_CRASH_SEED"); text != nullptr && *text != '\0') {
      return std::strtoull(text, nullptr, 10);
    }
    std::random_device device;
    return (static_cast<std::uint64_t>(device()) << 32) ^ device();
  }

  std::uint64_t seed_;
  std::mt19937_64 random_;
};

// Waits until `done` holds, polling every 10 ms; false when `limit` passed first.
template <typename Condition> bool wait_until(Condition done, std::chrono::milliseconds limit) {
  const auto deadline = Clock::now() + limit;
  while (Clock::now() < deadline) {
    if (done()) {
      return true;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return done();
}

// The first column of the first row of `sql` as an integer, read from leadsync's SQLite store;
// -1 when the file cannot be read (not created yet, or locked for longer than 5 s).
inline std::int64_t sql_integer(const fs::path& database, const std::string& sql) {
  const auto values = query_store(database, sql);
  return values && !values->empty() ? std::stoll(values->front()) : -1;
}

// The first column of every row of `sql` as text; empty when the store cannot be read.
inline std::vector<std::string> sql_strings(const fs::path& database, const std::string& sql) {
  return query_store(database, sql).value_or(std::vector<std::string>{});
}

// Rows of the store's leads that are not deleted, and e-mail addresses held by more than one lead.
inline std::int64_t stored_leads(const fs::path& database) {
  return sql_integer(database, "SELECT count(*) FROM leads WHERE deleted = 0");
}
inline std::int64_t doubled_emails(const fs::path& database) {
  return sql_integer(database, "SELECT count(*) FROM (SELECT lower(email) FROM lead_emails "
                               "GROUP BY lower(email) HAVING count(DISTINCT lead_id) > 1)");
}

// Rewrites `key = ...` in [section] of a config `leadsync init` wrote; false when the key is not
// there (the init text changed shape).
inline bool set_config_value(const fs::path& config, const std::string& section,
                             const std::string& key, const std::string& value) {
  std::istringstream in(testing::read_file(config));
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
  std::ofstream(config, std::ios::binary | std::ios::trunc) << text;
  return replaced;
}

// Rows of one Dataverse emulator table as stored (GET /_emulator/records/<entity set>).
inline std::optional<json> crm_records(std::uint16_t port, const std::string& entity_set) {
  auto rows = testing::emulator_admin(port, "GET", "/_emulator/records/" + entity_set);
  if (!rows || !rows->is_array()) {
    return std::nullopt;
  }
  return rows;
}

// After a kill, requests the dead client had sent still complete in the emulator. None in flight
// is not enough (a request still being read or waiting out its latency is not in flight yet), so
// wait until nothing is in flight and neither the requests nor the rows changed for `quiet`.
inline bool wait_for_quiet_crm(std::uint16_t port,
                               std::chrono::milliseconds quiet = std::chrono::milliseconds(800)) {
  json last;
  auto quiet_since = Clock::now();
  return wait_until(
      [&] {
        const auto stats = testing::emulator_admin(port, "GET", "/_emulator/stats");
        if (!stats || stats->value("in_flight", 1) != 0) {
          quiet_since = Clock::now();
          return false;
        }
        const json now = {stats->value("requests_total", json()), stats->value("rows", json())};
        if (now != last) {
          last = now;
          quiet_since = Clock::now();
          return false;
        }
        return Clock::now() - quiet_since >= quiet;
      },
      std::chrono::seconds(30));
}

// A folder of its own under the temp directory, removed at the end unless the test failed.
inline fs::path scratch_folder(const std::string& prefix) {
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  auto dir = fs::temp_directory_path() /
             ("leadsync-" + prefix + "-" + std::to_string(::getpid()) + "-" + info->name());
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

// A CSV list of `rows` distinct people: own e-mail and company domain, so the import merges none.
inline void write_people_list(const fs::path& path, int rows, const std::string& tag) {
  std::ofstream list(path, std::ios::binary);
  list << "First Name,Last Name,Email,Company,Job Title,Country\n";
  for (int row = 0; row < rows; ++row) {
    const auto n = std::to_string(row);
    list << "Crash,Lead" << n << "," << tag << n << "@company" << n << ".example,Company " << n
         << ",Buyer,USA\n";
  }
}

using leadsync::test::free_port;

// The config `leadsync init` wrote (`init_text`), made a daemon's (as
// tests/integration/daemon_test.cpp does): the CRM at `crm_url` with a static token from
// `token_env`, only the feed-file provider (folder "feeds"), the given [schedule] lines, the daemon
// on `port` with webhook key auth from LEADSYNC_WEBHOOK_KEY. Nothing when the init text changed
// shape.
inline std::optional<std::string> daemon_config(const std::string& init_text,
                                                const std::string& crm_url,
                                                const std::string& token_env, std::uint16_t port,
                                                const std::string& schedule) {
  const auto providers = testing::with_enrich_providers(
      init_text,
      "\n[[enrich.provider]]\nname = \"feeds\"\nkind = \"file_feed\"\nfolder = \"feeds\"\n\n", "");
  if (!providers) {
    return std::nullopt;
  }
  std::string text = *providers;
  const auto cut = text.find("\n[schedule]");
  if (cut == std::string::npos) {
    return std::nullopt;
  }
  text = text.substr(0, cut);
  text += "\n[schedule]\n" + schedule;
  text += "\n[server]\nlisten = \"127.0.0.1:" + std::to_string(port) +
          "\"\nwebhook_auth = \"key\"\nwebhook_key_env = \"LEADSYNC_WEBHOOK_KEY\"\n"
          "shutdown_grace_s = 10\nwebhook_lease_s = 2\n";
  text += "\n[log]\nlevel = \"info\"\nformat = \"json\"\n";
  const std::string default_url = "url = \"http://127.0.0.1:8765\"";
  const auto crm_at = text.find(default_url);
  const auto token_at = text.find("token_env = ");
  if (crm_at == std::string::npos || token_at == std::string::npos) {
    return std::nullopt;
  }
  text.replace(crm_at, default_url.size(), "url = \"" + crm_url + "\"");
  const auto token_line = text.find("token_env = ");
  text.replace(token_line, text.find('\n', token_line) - token_line,
               "token_env = \"" + token_env + "\"");
  return text;
}

// The wait status of a process killed with SIGKILL.
inline bool killed_by_sigkill(int status) {
  return WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL;
}

} // namespace leadsync::faults
