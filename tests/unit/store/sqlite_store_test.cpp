// What is particular to the SQLite store: the file on disk, its journal mode, migrations, error
// reporting, and the store URLs open_store understands.

#include "leadsync/core/clock.hpp"
#include "leadsync/core/random.hpp"
#include "leadsync/store/open.hpp"
#include "leadsync/store/sqlite_store.hpp"
#include "store_test_support.hpp"

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <gtest/gtest.h>
#include <memory>
#include <sqlite3.h>
#include <string>
#include <sys/stat.h>
#include <thread>
#include <unistd.h>
#include <vector>

namespace leadsync::store {
namespace {

namespace fs = std::filesystem;

// A plain SQLite connection for looking at (and tampering with) the file behind the store's back.
class RawDatabase {
public:
  explicit RawDatabase(const fs::path& path) {
    if (sqlite3_open_v2(path.c_str(), &connection_, SQLITE_OPEN_READWRITE, nullptr) != SQLITE_OK) {
      ADD_FAILURE() << "cannot open " << path << ": " << sqlite3_errmsg(connection_);
    }
  }
  RawDatabase(const RawDatabase&) = delete;
  RawDatabase& operator=(const RawDatabase&) = delete;
  ~RawDatabase() { sqlite3_close_v2(connection_); }

  void execute(const std::string& sql) {
    char* message = nullptr;
    if (sqlite3_exec(connection_, sql.c_str(), nullptr, nullptr, &message) != SQLITE_OK) {
      ADD_FAILURE() << sql << ": " << (message != nullptr ? message : "?");
    }
    sqlite3_free(message);
  }

  // The first column of the first row, as text.
  std::string text(const std::string& sql) {
    sqlite3_stmt* statement = nullptr;
    std::string value;
    if (sqlite3_prepare_v2(connection_, sql.c_str(), -1, &statement, nullptr) == SQLITE_OK &&
        sqlite3_step(statement) == SQLITE_ROW && sqlite3_column_text(statement, 0) != nullptr) {
      value = reinterpret_cast<const char*>(sqlite3_column_text(statement, 0));
    } else {
      ADD_FAILURE() << sql << ": " << sqlite3_errmsg(connection_);
    }
    sqlite3_finalize(statement);
    return value;
  }

private:
  sqlite3* connection_ = nullptr;
};

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

unsigned permissions_of(const fs::path& path) {
  struct stat info {};
  EXPECT_EQ(::stat(path.c_str(), &info), 0) << path;
  return info.st_mode & 0777U;
}

class SqliteStoreTest : public ::testing::Test {
protected:
  void SetUp() override {
    std::string pattern = fs::path(::testing::TempDir()) / "leadsync-sqlite-XXXXXX";
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::unique_ptr<Store> open(const fs::path& path) {
    return open_sqlite_store(SqliteOptions{path}, clock_, random_).value();
  }

  model::Lead sample_lead() {
    model::Lead lead;
    lead.person.first_name = "Ada";
    lead.person.last_name = "Lovelace";
    return lead;
  }

  ManualClock clock_;
  SeededRandom random_{7};
  fs::path dir_;
};

TEST_F(SqliteStoreTest, NewDatabaseAndItsFolderAreOnlyAccessibleByTheOwner) {
  const auto path = dir_ / "var" / "lib" / "state.db";

  auto store = open(path);
  ASSERT_TRUE(store->create_lead(sample_lead()).ok());

  EXPECT_EQ(permissions_of(path), 0600U);
  EXPECT_EQ(permissions_of(path.string() + "-wal"), 0600U);
  EXPECT_EQ(permissions_of(dir_ / "var"), 0700U);
  EXPECT_EQ(permissions_of(dir_ / "var" / "lib"), 0700U);
}

TEST_F(SqliteStoreTest, FileDatabaseUsesWriteAheadLogging) {
  const auto path = dir_ / "state.db";
  auto store = open(path);

  EXPECT_EQ(RawDatabase(path).text("PRAGMA journal_mode"), "wal");
}

TEST_F(SqliteStoreTest, MigrationRecordsTheSchemaVersionOnce) {
  const auto path = dir_ / "state.db";
  open(path).reset();
  clock_.advance(std::chrono::hours{1});
  open(path).reset();

  RawDatabase raw(path);
  EXPECT_EQ(raw.text("SELECT max(version) FROM schema_migrations"),
            std::to_string(sqlite_schema_version()));
  EXPECT_EQ(raw.text("SELECT count(*) FROM schema_migrations"),
            std::to_string(sqlite_schema_version()));
}

TEST_F(SqliteStoreTest, AVersion1DatabaseGainsTheRunOwnerAndKeepsItsRuns) {
  const auto path = dir_ / "state.db";
  {
    auto store = open(path);
    auto run = store->begin_run("import").value();
    run.status = "ok";
    ASSERT_TRUE(store->finish_run(run).ok());
  }
  // Back to what version 1 created.
  RawDatabase(path).execute("ALTER TABLE runs DROP COLUMN owner; DROP TABLE duplicate_pairs; "
                            "DELETE FROM schema_migrations WHERE version > 1");

  auto store = open(path);

  const auto runs = store->list_runs(10).value();
  ASSERT_EQ(runs.size(), 1U);
  EXPECT_EQ(runs[0].status, "ok");
  EXPECT_EQ(runs[0].owner, "") << "runs from before the upgrade have no known owner";
  const auto next = store->begin_run("push").value();
  EXPECT_EQ(store->list_runs(1).value().at(0).owner, next.owner);
  EXPECT_TRUE(contains(next.owner, ":" + std::to_string(::getpid()))) << next.owner;
}

TEST_F(SqliteStoreTest, AWriteThroughAnotherConnectionChangesTheForeignWriteMarker) {
  const auto path = dir_ / "state.db";
  auto importer = open(path);
  auto other = open(path); // another process, as far as SQLite is concerned
  const auto before = importer->foreign_write_marker().value();

  ASSERT_TRUE(other->create_lead(sample_lead()).ok());

  EXPECT_NE(importer->foreign_write_marker().value(), before);
}

TEST_F(SqliteStoreTest, OfTwoConnectionsPuttingACheckpointIfUnchangedOnlyOneSucceeds) {
  const auto path = dir_ / "state.db";
  auto first = open(path);
  auto second = open(path); // another process, as far as SQLite is concerned
  std::atomic<int> succeeded{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 6; ++i) {
    threads.emplace_back([&, i] {
      auto& store = i % 2 == 0 ? *first : *second;
      if (store.put_checkpoint_if("import:race", std::nullopt, std::to_string(i)).value_or(false)) {
        ++succeeded;
      }
    });
  }
  for (auto& thread : threads) {
    thread.join();
  }

  EXPECT_EQ(succeeded.load(), 1);
  EXPECT_EQ(first->get_checkpoint("import:race").value(),
            second->get_checkpoint("import:race").value());
}

TEST_F(SqliteStoreTest, TheWriteAheadLogIsCopiedBackWhileWritingGoesOn) {
  const auto path = dir_ / "state.db";
  SqliteOptions options{path};
  options.background_checkpoint_pages = 16; // 64 KB
  auto store = open_sqlite_store(options, clock_, random_).value();
  const auto log = path.string() + "-wal";

  // 300 commits of about 50 KB each (the lead with its 8 KB description, its index and outbox
  // pages): some 15 MB through a log copied back every 64 KB.
  std::uintmax_t largest_log = 0;
  for (int i = 0; i < 300; ++i) {
    auto lead = sample_lead();
    lead.description = std::string(8000, static_cast<char>('a' + i % 26));
    ASSERT_TRUE(store->create_lead(lead).ok());
    largest_log = std::max(largest_log, fs::file_size(log));
  }

  // Copied back by the checkpointer thread, or at four times the size by the writer itself when
  // that thread falls behind: never anywhere near all that was written.
  EXPECT_LT(largest_log, 4'000'000U);
  EXPECT_EQ(store->stats().value().leads, 300);
}

TEST_F(SqliteStoreTest, ReopeningKeepsLeadsAndTheirOutboxEntries) {
  const auto path = dir_ / "state.db";
  std::string id;
  {
    auto store = open(path);
    auto lead = sample_lead();
    lead.person.emails = {"ada@example.com"};
    id = store->create_lead(lead).value().identity.id;
  }

  auto store = open(path);

  EXPECT_EQ(store->get_lead(id).value().person.last_name, "Lovelace");
  EXPECT_EQ(store->find_by_email("ada@example.com").value().size(), 1U);
  const auto pending = store->pending_outbox(10).value();
  ASSERT_EQ(pending.size(), 1U);
  EXPECT_EQ(pending[0].lead_id, id);
}

TEST_F(SqliteStoreTest, DatabaseFromANewerLeadsyncIsRefused) {
  const auto path = dir_ / "state.db";
  open(path).reset();
  const int newer = sqlite_schema_version() + 1;
  RawDatabase(path).execute("INSERT INTO schema_migrations (version, applied_at) VALUES (" +
                            std::to_string(newer) + ", 0)");

  const auto error = error_of(open_sqlite_store(SqliteOptions{path}, clock_, random_));

  EXPECT_EQ(error.category, ErrorCategory::config);
  EXPECT_TRUE(contains(error.message, "created by a newer leadsync")) << error.message;
  EXPECT_TRUE(contains(error.message, "upgrade leadsync")) << error.message;
  EXPECT_TRUE(contains(error.message, std::to_string(newer))) << error.message;
}

TEST_F(SqliteStoreTest, FileThatIsNotADatabaseIsRefusedWithAdvice) {
  const auto path = dir_ / "notes.txt";
  std::ofstream(path) << std::string(4096, 'x');

  const auto error = error_of(open_sqlite_store(SqliteOptions{path}, clock_, random_));

  EXPECT_EQ(error.category, ErrorCategory::storage);
  EXPECT_TRUE(contains(error.message, path.string())) << error.message;
  EXPECT_TRUE(contains(error.message, "not a leadsync database")) << error.message;
}

TEST_F(SqliteStoreTest, EmptyPathIsAnInvalidArgument) {
  EXPECT_EQ(error_of(open_sqlite_store(SqliteOptions{""}, clock_, random_)).category,
            ErrorCategory::invalid_argument);
}

TEST_F(SqliteStoreTest, LockedDatabaseIsARetryableStorageError) {
  const auto path = dir_ / "state.db";
  auto store =
      open_sqlite_store(SqliteOptions{path, std::chrono::milliseconds{0}}, clock_, random_).value();
  RawDatabase other_process(path);
  other_process.execute("BEGIN EXCLUSIVE");

  const auto error = error_of(store->create_lead(sample_lead()));

  EXPECT_EQ(error.category, ErrorCategory::storage);
  EXPECT_TRUE(error.retryable);
  EXPECT_TRUE(contains(error.message, "lock")) << error.message;
  other_process.execute("COMMIT");
  EXPECT_TRUE(store->create_lead(sample_lead()).ok());
}

TEST_F(SqliteStoreTest, StoredLeadThatCannotBeReadIsAStorageErrorNamingIt) {
  const auto path = dir_ / "state.db";
  auto store = open(path);
  const auto id = store->create_lead(sample_lead()).value().identity.id;
  RawDatabase(path).execute("UPDATE leads SET doc = 'not json'");

  const auto error = error_of(store->get_lead(id));

  EXPECT_EQ(error.category, ErrorCategory::storage);
  EXPECT_TRUE(contains(error.message, id)) << error.message;
}

TEST_F(SqliteStoreTest, TextThatIsNotUtf8IsRefusedAndNothingIsStored) {
  auto store = open(":memory:");
  auto lead = sample_lead();
  lead.person.last_name = "Lovel\xE1"
                          "ce"; // windows-1252, not converted

  const auto error = error_of(store->create_lead(lead));

  EXPECT_EQ(error.category, ErrorCategory::invalid_argument);
  EXPECT_TRUE(contains(error.message, "UTF-8")) << error.message;
  EXPECT_EQ(store->stats().value().leads, 0);
  EXPECT_TRUE(store->pending_outbox(10).value().empty());
}

// ---- open_store
// -----------------------------------------------------------------------------------------

TEST_F(SqliteStoreTest, OpenStoreTakesAnAbsoluteSqliteUrl) {
  const auto path = dir_ / "absolute" / "state.db";

  auto store = open_store("sqlite://" + path.string(), "/nonexistent-base", clock_);

  ASSERT_TRUE(store.ok()) << store.error().describe();
  EXPECT_TRUE(fs::exists(path));
}

TEST_F(SqliteStoreTest, OpenStoreResolvesARelativeSqliteUrlAgainstTheBaseFolder) {
  auto store = open_store("sqlite://data/state.db", dir_, clock_);

  ASSERT_TRUE(store.ok()) << store.error().describe();
  EXPECT_TRUE(fs::exists(dir_ / "data" / "state.db"));
}

TEST_F(SqliteStoreTest, OpenStoreOpensAnInMemoryDatabase) {
  auto store = open_store("sqlite::memory:", dir_, clock_);

  ASSERT_TRUE(store.ok()) << store.error().describe();
  EXPECT_TRUE((*store)->create_lead(sample_lead()).ok());
  EXPECT_TRUE(fs::is_empty(dir_));
}

TEST_F(SqliteStoreTest, OpenStoreRefusesPostgresqlInThisBuildWithoutShowingThePassword) {
  const auto error = error_of(open_store("postgresql://leadsync:s3cret@db/leadsync", dir_, clock_));

  EXPECT_EQ(error.category, ErrorCategory::config);
  EXPECT_TRUE(contains(error.message, "-DLEADSYNC_WITH_POSTGRES=ON")) << error.message;
  EXPECT_FALSE(contains(error.message, "s3cret")) << error.message;
}

TEST_F(SqliteStoreTest, OpenStoreRefusesOtherUrlsListingTheAcceptedForms) {
  for (const std::string url : {"mysql://root:hunter2@db/leads", "state.db", "sqlite://", ""}) {
    const auto error = error_of(open_store(url, dir_, clock_));

    EXPECT_EQ(error.category, ErrorCategory::config) << url;
    EXPECT_TRUE(contains(error.message, "sqlite:///")) << error.message;
    EXPECT_TRUE(contains(error.message, "sqlite::memory:")) << error.message;
    EXPECT_FALSE(contains(error.message, "hunter2")) << error.message;
  }
}

} // namespace
} // namespace leadsync::store
