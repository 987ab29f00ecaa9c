// A disk that fills during `leadsync import` (issue 18, fault suite): the store lives on a small
// tmpfs the test mounts (it runs as root in CI; skipped when mount is refused), or, in the
// fallback, the import runs under RLIMIT_FSIZE with SIGXFSZ ignored so that a write past the limit
// fails with EFBIG as on a full disk instead of killing the process.

#include "faults/crash/crash_support.hpp"

#include <fcntl.h>
#include <functional>
#include <gtest/gtest.h>
#include <sys/resource.h>

namespace {

using namespace leadsync::faults;
using leadsync::testing::CliRun;
using leadsync::testing::read_file;
const auto quoted = leadsync::testing::shell_quoted;

constexpr int list_rows = 6'000;

// `PRAGMA integrity_check` of the store: "ok" when intact.
std::string integrity_of(const fs::path& database) {
  sqlite3* db = nullptr;
  std::string result = "cannot open " + database.string();
  if (sqlite3_open_v2(database.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK) {
    sqlite3_busy_timeout(db, 5000);
    sqlite3_stmt* statement = nullptr;
    if (sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &statement, nullptr) == SQLITE_OK) {
      result.clear();
      while (sqlite3_step(statement) == SQLITE_ROW) {
        result += reinterpret_cast<const char*>(sqlite3_column_text(statement, 0));
      }
    } else {
      result = sqlite3_errmsg(db);
    }
    sqlite3_finalize(statement);
  }
  sqlite3_close(db);
  return result;
}

// `leadsync ARGS` in the foreground, its files limited to `file_limit` bytes (0: no limit) and
// SIGXFSZ ignored; the exit status (-1 when it died of a signal) and what it printed.
CliRun run_with_file_limit(const std::vector<std::string>& args, const fs::path& dir,
                           rlim_t file_limit) {
  std::vector<std::string> words = {LEADSYNC_EXE};
  words.insert(words.end(), args.begin(), args.end());
  const auto out = (dir / "out.txt").string();
  const auto err = (dir / "err.txt").string();
  const pid_t child = ::fork();
  if (child == 0) {
    ::dup2(::open("/dev/null", O_RDONLY), STDIN_FILENO);
    ::dup2(::open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600), STDOUT_FILENO);
    ::dup2(::open(err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600), STDERR_FILENO);
    if (file_limit > 0) {
      const rlimit limit{file_limit, file_limit};
      ::setrlimit(RLIMIT_FSIZE, &limit);
      ::signal(SIGXFSZ, SIG_IGN);
    }
    ::unsetenv("LEADSYNC_CONFIG");
    std::vector<char*> argv;
    for (auto& word : words) {
      argv.push_back(word.data());
    }
    argv.push_back(nullptr);
    ::execv(LEADSYNC_EXE, argv.data());
    ::_exit(127);
  }
  int status = 0;
  ::waitpid(child, &status, 0);
  return CliRun{WIFEXITED(status) ? WEXITSTATUS(status) : -1, read_file(out), read_file(err)};
}

// A tmpfs of `size` mounted at `at` for the test; unmounted (lazily) when it goes.
class SmallDisk {
public:
  SmallDisk(fs::path at, const std::string& size) : at_(std::move(at)) {
    fs::create_directories(at_);
    mounted_ = std::system(("mount -t tmpfs -o size=" + size + " leadsync-fault-tmpfs " +
                            quoted(at_.string()) + " 2>/dev/null")
                               .c_str()) == 0;
  }
  SmallDisk(const SmallDisk&) = delete;
  SmallDisk& operator=(const SmallDisk&) = delete;
  ~SmallDisk() {
    if (mounted_) {
      (void)std::system(("umount -l " + quoted(at_.string())).c_str());
    }
  }
  bool mounted() const { return mounted_; }
  bool grow(const std::string& size) {
    return std::system(("mount -o remount,size=" + size + " " + quoted(at_.string())).c_str()) == 0;
  }

private:
  fs::path at_;
  bool mounted_ = false;
};

class DiskFullTest : public ::testing::Test {
protected:
  void SetUp() override {
    dir_ = scratch_folder("crash-disk");
    ASSERT_EQ(leadsync::testing::run_leadsync(LEADSYNC_EXE, "init " + quoted(dir_.string()), dir_)
                  .exit_code,
              0);
    write_people_list(list(), list_rows, "disk");
  }
  void TearDown() override {
    if (!HasFailure()) {
      std::error_code ignored;
      fs::remove_all(dir_, ignored);
    }
  }

  void use_store(const fs::path& database) {
    database_ = database;
    ASSERT_TRUE(
        set_config_value(config(), "store", "url", "\"sqlite://" + database.string() + "\""))
        << "[store] url not found in the config init wrote";
  }
  std::vector<std::string> import_args(bool resume) const {
    std::vector<std::string> args = {
        "-c", config().string(), "import", list().string(), "--no-progress", "--json"};
    if (resume) {
      args.emplace_back("--resume");
    }
    return args;
  }

  // The checks after the disk filled: a clear error that says the disk is full and what to do, an
  // intact store, and then, with space again, `--resume` imports every row exactly once.
  void expect_clear_error_intact_store_and_resume(const CliRun& failed, bool says_disk_full,
                                                  const std::function<void()>& make_space) {
    EXPECT_NE(failed.exit_code, 0) << "the import succeeded on a full disk: " << failed.out;
    EXPECT_NE(failed.exit_code, -1) << "the import died of a signal: " << failed.err;
    if (says_disk_full) {
      EXPECT_NE(failed.err.find("disk is full"), std::string::npos) << failed.err;
      EXPECT_NE(failed.err.find("free space"), std::string::npos) << failed.err;
    } else {
      // EFBIG reaches leadsync as SQLite's "disk I/O error" (SQLite says SQLITE_FULL only for
      // ENOSPC); the message still names the store and the command that finishes the import.
      EXPECT_NE(failed.err.find(database_.string()), std::string::npos) << failed.err;
    }
    EXPECT_NE(failed.err.find("--resume"), std::string::npos) << failed.err;
    EXPECT_EQ(integrity_of(database_), "ok");
    const auto committed = stored_leads(database_);
    std::cout << "disk full after " << committed << " of " << list_rows << " rows committed\n";
    EXPECT_LT(committed, list_rows) << "the disk was not small enough to fill";
    EXPECT_GT(committed, 0) << "the disk filled before the first batch: make it bigger";

    make_space();
    const auto resumed = run_with_file_limit(import_args(true), dir_, 0);
    ASSERT_EQ(resumed.exit_code, 0) << resumed.err << resumed.out;
    const auto summary = json::parse(resumed.out, nullptr, false);
    ASSERT_TRUE(summary.is_object()) << resumed.out;
    EXPECT_EQ(summary.value("rows_read", -1), list_rows) << summary.dump(2);
    EXPECT_EQ(integrity_of(database_), "ok");
    EXPECT_EQ(stored_leads(database_), list_rows) << "a row was lost or imported twice";
    EXPECT_EQ(doubled_emails(database_), 0);
    EXPECT_EQ(sql_integer(database_, "SELECT count(*) FROM leads WHERE id NOT IN "
                                     "(SELECT lead_id FROM outbox)"),
              0);
  }

  fs::path config() const { return dir_ / "leadsync.toml"; }
  fs::path list() const { return dir_ / "people.csv"; }

  fs::path dir_;
  fs::path database_;
};

// Promise: when the disk that holds the store fills during an import, the import stops with an
// error that says the disk is full and to free space (not a crash), the store passes
// `PRAGMA integrity_check`, and once there is space `import --resume` imports every row once.
TEST_F(DiskFullTest, AnImportOnADiskThatFillsStopsClearlyKeepsTheStoreIntactAndResumes) {
  // 5 MB: room for the schema and a few batches (a row takes about 1.4 KB of store, and the
  // write-ahead log grows to about 4 MB between checkpoints), not for 6,000 rows.
  SmallDisk disk(dir_ / "disk", "5m");
  if (!disk.mounted()) {
    GTEST_SKIP() << "mount -t tmpfs was refused (not root, or no CAP_SYS_ADMIN); the "
                    "RLIMIT_FSIZE test covers a full disk here";
  }
  ASSERT_NO_FATAL_FAILURE(use_store(dir_ / "disk" / "state.db"));
  const auto failed = run_with_file_limit(import_args(false), dir_, 0);
  expect_clear_error_intact_store_and_resume(failed, true, [&] { ASSERT_TRUE(disk.grow("256m")); });
}

// Promise: the same when the store cannot grow because of a file-size limit (RLIMIT_FSIZE, the
// fallback where no tmpfs can be mounted): an error naming the store and the command to resume
// (not a crash), an intact store, a complete resume once the limit is lifted.
TEST_F(DiskFullTest, AnImportOverAFileSizeLimitStopsClearlyKeepsTheStoreIntactAndResumes) {
  ASSERT_NO_FATAL_FAILURE(use_store(dir_ / "state.db"));
  const auto failed = run_with_file_limit(import_args(false), dir_, 3 * 1024 * 1024);
  expect_clear_error_intact_store_and_resume(failed, false, [] {});
}

} // namespace
