#pragma once
// What the service-fault tests share: a scratch folder with the config `leadsync init` wrote, the
// emulators' admin APIs, counting rows in the CRM and in leadsync's store, a Dataverse emulator
// that can be stopped and started again on the same port (an outage), and a process's resident
// memory.

#include "support/cli_process.hpp"
#include "support/emulator_admin.hpp"
#include "support/raw_database.hpp"
#include "support/raw_http.hpp"

#include <chrono>
#include <csignal>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <functional>
#include <gtest/gtest.h>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <sys/stat.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>
#include <vector>

namespace leadsync::faults {

namespace fs = std::filesystem;
using Json = nlohmann::json;
using test::query_store;
using testing::emulator_admin;
using Clock = std::chrono::steady_clock;
using testing::RawConnection;

// Replaces the first `from` in `text`; false when it is not there.
inline bool replace_first(std::string& text, const std::string& from, const std::string& to) {
  const auto at = text.find(from);
  if (at == std::string::npos) {
    return false;
  }
  text.replace(at, from.size(), to);
  return true;
}

// Waits until `done` holds, polling every `step`; false when `limit` passed first.
inline bool wait_until(const std::function<bool()>& done, std::chrono::milliseconds limit,
                       std::chrono::milliseconds step = std::chrono::milliseconds(100)) {
  const auto deadline = Clock::now() + limit;
  while (Clock::now() < deadline) {
    if (done()) {
      return true;
    }
    std::this_thread::sleep_for(step);
  }
  return done();
}

// The CRM's lead rows as the emulator stores them: how many, and their alternate-key values.
struct CrmLeads {
  std::size_t rows = 0;
  std::set<std::string> keys;
};

inline std::optional<CrmLeads> crm_leads(std::uint16_t port) {
  const auto records = emulator_admin(port, "GET", "/_emulator/records/leads");
  if (!records || !records->is_array()) {
    return std::nullopt;
  }
  CrmLeads leads;
  leads.rows = records->size();
  for (const auto& row : *records) {
    leads.keys.insert(row.at("attributes").value("leadsync_externalid", std::string()));
  }
  return leads;
}

// Lead rows in the CRM (from the emulator's stats); -1 when it does not answer.
inline std::int64_t crm_lead_count(std::uint16_t port) {
  const auto stats = emulator_admin(port, "GET", "/_emulator/stats");
  return stats ? stats->at("rows").value("leads", std::int64_t{0}) : -1;
}

// The first column of every row `sql` returns from leadsync's SQLite store (read-only).
inline std::vector<std::string> store_strings(const fs::path& database, const std::string& sql) {
  auto values = query_store(database, sql);
  if (!values) {
    ADD_FAILURE() << sql << ": the store " << database << " cannot be read";
  }
  return values.value_or(std::vector<std::string>{});
}

inline std::int64_t store_count(const fs::path& database, const std::string& sql) {
  const auto values = store_strings(database, sql);
  return values.empty() ? -1 : std::stoll(values.front());
}

// VmRSS of a process in kB, from /proc/<pid>/status; -1 when it cannot be read.
inline std::int64_t rss_kb(pid_t pid) {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  for (std::string line; std::getline(status, line);) {
    if (line.starts_with("VmRSS:")) {
      return std::stoll(line.substr(6));
    }
  }
  return -1;
}

// Writes `text` to `path` as an admin rotating a secret would: a new file (chmod 600) renamed over
// the old one, so a reader sees the old secret or the new one, never half of it.
inline void write_secret_file(const fs::path& path, const std::string& text) {
  const fs::path temporary = path.string() + ".new";
  {
    std::ofstream out(temporary, std::ios::binary | std::ios::trunc);
    out << text << "\n";
  }
  ::chmod(temporary.c_str(), 0600);
  fs::rename(temporary, path);
}

// The dataverse-emulator executable as a child process whose port stays the same across a stop and
// a start: the first start picks a free port, later ones bind it again. So a client that holds the
// URL sees connections refused while it is stopped, and the same CRM (its --state file) after.
class RestartableEmulator {
public:
  RestartableEmulator(std::string binary, std::vector<std::string> args, fs::path scratch)
      : binary_(std::move(binary)), args_(std::move(args)), scratch_(std::move(scratch)) {}
  RestartableEmulator(const RestartableEmulator&) = delete;
  RestartableEmulator& operator=(const RestartableEmulator&) = delete;
  ~RestartableEmulator() { stop(); }

  // Starts it (on the port of the first start); false when it did not come up within 15 s.
  bool start() {
    const auto port_file = (scratch_ / "dataverse.port").string();
    fs::remove(port_file);
    std::vector<std::string> argv_storage = {
        binary_,       "--listen", "127.0.0.1:" + std::to_string(port_),
        "--port-file", port_file,  "--quiet"};
    argv_storage.insert(argv_storage.end(), args_.begin(), args_.end());
    const auto log = (scratch_ / "dataverse-emulator.log").string();
    pid_ = ::fork();
    if (pid_ == 0) {
      std::vector<char*> argv;
      for (auto& argument : argv_storage) {
        argv.push_back(argument.data());
      }
      argv.push_back(nullptr);
      std::freopen(log.c_str(), "a", stderr);
      ::execv(binary_.c_str(), argv.data());
      ::_exit(127);
    }
    return wait_until(
        [&] {
          std::ifstream in(port_file);
          unsigned port = 0;
          if (in >> port && port != 0) {
            port_ = static_cast<std::uint16_t>(port);
            return true;
          }
          return false;
        },
        std::chrono::seconds(15), std::chrono::milliseconds(10));
  }
  // SIGTERM and wait; the exit status (-1 when it was not running or died of a signal).
  int stop() {
    if (pid_ <= 0) {
      return -1;
    }
    ::kill(pid_, SIGTERM);
    int status = 0;
    ::waitpid(pid_, &status, 0);
    pid_ = -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }
  std::uint16_t port() const { return port_; }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }

private:
  std::string binary_;
  std::vector<std::string> args_;
  fs::path scratch_;
  pid_t pid_ = -1;
  std::uint16_t port_ = 0;
};

// A scratch folder holding what `leadsync init` wrote; removed after a passing test, kept (and
// named on stderr) after a failing one.
class Scratch {
public:
  explicit Scratch(const std::string& name) {
    dir_ =
        fs::temp_directory_path() / ("leadsync-service-" + name + "-" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  Scratch(const Scratch&) = delete;
  Scratch& operator=(const Scratch&) = delete;
  ~Scratch() {
    if (::testing::Test::HasFailure()) {
      std::cerr << "kept " << dir_ << " for a look\n";
    } else {
      std::error_code ignored;
      fs::remove_all(dir_, ignored);
    }
  }
  const fs::path& dir() const { return dir_; }
  fs::path config() const { return dir_ / "leadsync.toml"; }
  fs::path store() const { return dir_ / "state.db"; }

private:
  fs::path dir_;
};

// `count` leads, each with its own e-mail and company domain so the import merges none, as a CSV
// file at `path`; e-mail i is "<prefix><i>@company<i>.example".
inline void write_lead_list(const fs::path& path, const std::string& prefix, int first, int count) {
  std::ofstream list(path, std::ios::binary | std::ios::trunc);
  list << "First Name,Last Name,Email,Company\n";
  for (int i = first; i < first + count; ++i) {
    const auto n = std::to_string(i);
    list << "Fault,Lead" << n << "," << prefix << n << "@company" << n << ".example,Company " << n
         << "\n";
  }
}

} // namespace leadsync::faults

namespace leadsync::faults {

// How a test wants leadsync set up around the emulators.
struct ConfigSetup {
  std::string crm_url;
  // Empty: crm.auth stays "static_token" from LEADSYNC_CRM_TOKEN. Else client credentials with this
  // client id, the secret read from `secret_file`, tokens from the emulator's endpoint.
  std::string client_id;
  fs::path secret_file;
  int push_batch_size = 200;
  // [[enrich.provider]] tables (TOML, starting with a line break) and wanted_fields; empty: the
  // file feed in "feeds" alone.
  std::string providers;
  std::string wanted_fields = "wanted_fields = []";
  // Daemon: the [schedule] entries ("" turns a job off) and the endpoints' port.
  std::string schedule = "pull = \"\"\npush = \"\"\nenrich = \"\"\nqualify = \"\"\n";
  std::uint16_t daemon_port = 0;
};

inline constexpr const char* tenant_id = "7c1a3f2e-5b8d-4e61-9a0c-2d4f6b8e1a00";

// The config `leadsync init` wrote in `dir`, rewritten for `setup`. Empty on success, else what
// did not fit (the init text changed shape).
inline std::string write_config(const fs::path& dir, const ConfigSetup& setup) {
  std::string text = testing::read_file(dir / "leadsync.toml.init");
  if (text.empty()) {
    text = testing::read_file(dir / "leadsync.toml");
    std::ofstream(dir / "leadsync.toml.init", std::ios::binary) << text;
  }
  const std::string providers =
      setup.providers.empty()
          ? "\n[[enrich.provider]]\nname = \"feeds\"\nkind = \"file_feed\"\nfolder = \"feeds\"\n\n"
          : setup.providers;
  const auto with_providers = [&]() -> std::optional<std::string> {
    const auto first = text.find("\n[[enrich.provider]]");
    const auto schedule = text.find("\n[schedule]");
    if (first == std::string::npos || schedule == std::string::npos) {
      return std::nullopt;
    }
    std::string result = text.substr(0, first) + providers + "\n[schedule]\n" + setup.schedule;
    if (!replace_first(result, "wanted_fields = []", setup.wanted_fields)) {
      return std::nullopt;
    }
    return result;
  }();
  if (!with_providers) {
    return "no [[enrich.provider]], [schedule] or wanted_fields in the init config";
  }
  text = *with_providers;
  fs::create_directories(dir / "feeds");
  if (!replace_first(text, "url = \"http://127.0.0.1:8765\"", "url = \"" + setup.crm_url + "\"")) {
    return "no crm.url in the init config";
  }
  if (!replace_first(text, "batch_size = 200",
                     "batch_size = " + std::to_string(setup.push_batch_size))) {
    return "no push.batch_size in the init config";
  }
  if (!setup.client_id.empty()) {
    if (!replace_first(text, "token_env = \"LEADSYNC_CRM_TOKEN\"\n", "") ||
        !replace_first(text, "authority = \"https://login.microsoftonline.com\"",
                       "authority = \"" + setup.crm_url + "\"") ||
        !replace_first(text, "mode = \"static_token\"",
                       std::string("mode = \"client_credentials\"\ntenant = \"") + tenant_id +
                           "\"\nclient_id = \"" + setup.client_id + "\"\nclient_secret_file = \"" +
                           setup.secret_file.string() + "\"")) {
      return "no crm.auth token_env, authority or mode in the init config";
    }
  }
  text += "\n[server]\nlisten = \"127.0.0.1:" + std::to_string(setup.daemon_port) +
          "\"\nwebhook_auth = \"key\"\nwebhook_key_env = \"LEADSYNC_WEBHOOK_KEY\"\n"
          "shutdown_grace_s = 10\nwebhook_lease_s = 5\n";
  text += "\n[log]\nlevel = \"info\"\nformat = \"json\"\n";
  std::ofstream(dir / "leadsync.toml", std::ios::binary | std::ios::trunc) << text;
  return {};
}

} // namespace leadsync::faults

namespace leadsync::faults {

// How long a push's "next attempt due ... (in 45 s)" / "(in 2 min)" line says to wait; nothing
// when the output has no such line.
inline std::optional<std::chrono::seconds> next_attempt_wait(const std::string& push_output) {
  const auto line = push_output.find("next attempt due");
  if (line == std::string::npos) {
    return std::nullopt;
  }
  if (push_output.find("(now)", line) != std::string::npos) {
    return std::chrono::seconds(0);
  }
  const auto in = push_output.find("(in ", line);
  if (in == std::string::npos) {
    return std::nullopt;
  }
  std::size_t used = 0;
  const long long amount = std::stoll(push_output.substr(in + 4), &used);
  const std::string unit = push_output.substr(in + 4 + used + 1, 3);
  const long long factor = unit.starts_with("min") ? 60 : unit.starts_with("h") ? 3600 : 1;
  return std::chrono::seconds(amount * factor);
}

// Runs `push` again while the last one exited 1 with changes left for a retry, each time after the
// wait it named, as its message tells an admin to do; at most `rounds` more pushes. The last run
// and how many pushes ran in all.
template <typename Command>
std::pair<testing::CliRun, int> push_until_done(Command command, testing::CliRun last, int rounds) {
  int pushes = 1;
  while (last.exit_code == 1 && rounds-- > 0) {
    const auto wait = next_attempt_wait(last.out);
    if (!wait) {
      break;
    }
    std::this_thread::sleep_for(*wait + std::chrono::seconds(1));
    last = command("push");
    ++pushes;
  }
  return {last, pushes};
}

} // namespace leadsync::faults
