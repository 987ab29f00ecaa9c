#pragma once
// The throwaway PostgreSQL 15 server of the tests. A ctest run starts one for all tests through
// the CTest fixture "postgres" (tests/support/postgres_server.sh, in LEADSYNC_TEST_PG_DIR); a test
// executable run by hand that finds none starts its own and stops it at exit. Each test then takes
// a fresh schema (fresh_schema_url) or database (fresh_database_url) of its own, so tests running
// in parallel never see each other's rows.
//
//   auto server = leadsync::testing::PostgresServer::shared();
//   if (!server) GTEST_SKIP() << leadsync::testing::PostgresServer::why_not();

#include "leadsync_test_paths.hpp"

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <mutex>
#include <random>
#include <sstream>
#include <string>
#include <sys/wait.h>
#include <unistd.h>

#ifndef LEADSYNC_TEST_PG_DIR
#define LEADSYNC_TEST_PG_DIR ""
#endif
#ifndef LEADSYNC_SOURCE_DIR
#define LEADSYNC_SOURCE_DIR "."
#endif

namespace leadsync::testing {

class PostgresServer {
public:
  // The server of this ctest run (or of this process), started on first use; nullptr when none can
  // be had (why_not() says why).
  static PostgresServer* shared() {
    static std::once_flag once;
    static std::unique_ptr<PostgresServer> server;
    std::call_once(once, [] { server = start(); });
    return server.get();
  }

  static const std::string& why_not() { return reason(); }

  // The server's Unix socket folder; URLs name it as the host.
  const std::filesystem::path& dir() const { return dir_; }

  // postgresql://leadsync@<socket dir>/<database>[?extra]
  std::string url(const std::string& database, const std::string& extra = {}) const {
    std::string host;
    for (char c : dir_.string()) {
      host += (c == '/') ? std::string("%2F") : std::string(1, c);
    }
    return "postgresql://leadsync@" + host + "/" + database + (extra.empty() ? "" : "?" + extra);
  }

  // A new, empty schema in the database "postgres", and a URL whose connections use it (libpq's
  // options=-c search_path=...). Cheap enough for one per test.
  std::string fresh_schema_url() {
    const std::string name = unique_name("s");
    psql("postgres", "CREATE SCHEMA " + name);
    return url("postgres", "options=-c%20search_path%3D" + name);
  }

  // A new, empty database and its URL (for tests that start several processes on one store).
  std::string fresh_database_url() {
    const std::string name = unique_name("d");
    psql("postgres", "CREATE DATABASE " + name);
    return url(name);
  }

  // Runs SQL through psql against `database`; returns its output (unaligned, tuples only). Throws
  // on failure (a test set-up error).
  std::string psql(const std::string& database, const std::string& sql) const {
    return run_capture({bin() + "/psql", "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-d",
                        url(database), "-c", sql});
  }

  ~PostgresServer() {
    if (owned_) {
      run_capture({std::string(LEADSYNC_SOURCE_DIR) + "/tests/support/postgres_server.sh", "stop",
                   dir_.string()},
                  /*check=*/false);
    }
  }

  PostgresServer(const PostgresServer&) = delete;
  PostgresServer& operator=(const PostgresServer&) = delete;

private:
  PostgresServer(std::filesystem::path dir, bool owned) : dir_(std::move(dir)), owned_(owned) {}

  static std::string& reason() {
    static std::string text;
    return text;
  }

  static std::string bin() {
    const char* configured = std::getenv("LEADSYNC_PG_BIN");
    return configured != nullptr ? configured : "/usr/lib/postgresql/15/bin";
  }

  static bool running_in(const std::filesystem::path& dir) {
    return !dir.empty() && std::filesystem::exists(dir / ".s.PGSQL.5432");
  }

  static std::unique_ptr<PostgresServer> start() {
    if (!std::filesystem::exists(bin() + "/initdb")) {
      reason() = "PostgreSQL 15 server binaries are missing (" + bin() +
                 "); run scripts/install-deps.sh to install them";
      return nullptr;
    }
    const std::filesystem::path fixture = LEADSYNC_TEST_PG_DIR;
    if (running_in(fixture)) {
      return std::unique_ptr<PostgresServer>(new PostgresServer(fixture, false));
    }
    // No shared server: this process starts one of its own.
    std::string pattern = "/tmp/leadsync-pg-XXXXXX";
    if (::mkdtemp(pattern.data()) == nullptr) {
      reason() = "cannot create a folder for PostgreSQL under /tmp";
      return nullptr;
    }
    try {
      run_capture({std::string(LEADSYNC_SOURCE_DIR) + "/tests/support/postgres_server.sh", "start",
                   pattern});
    } catch (const std::exception& problem) {
      reason() = std::string("cannot start PostgreSQL: ") + problem.what();
      return nullptr;
    }
    if (!running_in(pattern)) {
      reason() = "PostgreSQL did not start in " + pattern;
      return nullptr;
    }
    return std::unique_ptr<PostgresServer>(new PostgresServer(pattern, true));
  }

  static std::string unique_name(const std::string& prefix) {
    static std::atomic<int> counter{0};
    static const auto salt = std::random_device{}();
    std::ostringstream name;
    name << "t" << prefix << "_" << ::getpid() << "_" << std::hex << salt << "_" << std::dec
         << counter++;
    return name.str();
  }

  // Runs argv, returns stdout; throws with stderr when it fails and `check` is set.
  static std::string run_capture(const std::vector<std::string>& argv, bool check = true) {
    int out_pipe[2];
    int err_pipe[2];
    if (::pipe(out_pipe) != 0 || ::pipe(err_pipe) != 0) {
      throw std::runtime_error("pipe failed");
    }
    const pid_t child = ::fork();
    if (child == 0) {
      ::dup2(out_pipe[1], 1);
      ::dup2(err_pipe[1], 2);
      // Closed, so that a server this starts does not inherit the pipes and keep them open.
      ::close(out_pipe[0]);
      ::close(err_pipe[0]);
      ::close(out_pipe[1]);
      ::close(err_pipe[1]);
      std::vector<char*> args;
      for (const auto& arg : argv) {
        args.push_back(const_cast<char*>(arg.c_str()));
      }
      args.push_back(nullptr);
      ::execv(args[0], args.data());
      ::_exit(127);
    }
    ::close(out_pipe[1]);
    ::close(err_pipe[1]);
    auto drain = [](int fd) {
      std::string text;
      char buffer[4096];
      ssize_t got = 0;
      while ((got = ::read(fd, buffer, sizeof buffer)) > 0) {
        text.append(buffer, static_cast<std::size_t>(got));
      }
      ::close(fd);
      return text;
    };
    std::string output = drain(out_pipe[0]);
    const std::string errors = drain(err_pipe[0]);
    int status = 0;
    ::waitpid(child, &status, 0);
    if (check && (!WIFEXITED(status) || WEXITSTATUS(status) != 0)) {
      throw std::runtime_error(argv[0] + " failed: " + errors);
    }
    while (!output.empty() && output.back() == '\n') {
      output.pop_back();
    }
    return output;
  }

  std::filesystem::path dir_;
  bool owned_;
};

} // namespace leadsync::testing
