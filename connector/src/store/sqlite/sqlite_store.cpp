// The SQLite Store.
//
// Concurrency: one connection, guarded by a mutex, serves all threads of the process; every method
// runs under it, so a multi-statement transaction never interleaves with another thread's
// statements. Other processes (a CLI run beside the daemon) are kept apart by SQLite's file locks:
// writes take the write lock up front with BEGIN IMMEDIATE and wait up to the busy timeout for it.
//
// Durability: journal_mode=WAL with synchronous=NORMAL. A transaction is in the WAL file when
// COMMIT returns, so every committed change survives the process being killed; only an
// operating-system crash or power loss can lose the last few transactions (their WAL frames are
// synced at the next checkpoint). Since a lead change and its outbox entry commit together, such a
// loss drops both and never leaves a change that push would miss. synchronous=FULL would add an
// fsync to every commit for that last case.
//
// The class is in sqlite/sqlite_store.hpp, its methods in one file per role of the Store; the
// background WAL checkpoint in sqlite/checkpointer.cpp.

#include "leadsync/store/sqlite_store.hpp"

#include "sqlite/migrations.hpp"
#include "sqlite/sqlite_store.hpp"

#include <cerrno>
#include <cstdlib>
#include <fcntl.h>
#include <filesystem>
#include <sys/stat.h>
#include <system_error>
#include <unistd.h>

namespace leadsync::store {
namespace sqlite {

Result<StoreStats> SqliteStore::stats() {
  MutexLock lock(mutex_);
  StoreStats stats;
  LEADSYNC_TRY(auto transaction, Transaction::begin(database_, Transaction::Mode::read));
  {
    LEADSYNC_TRY(auto query, database_.query("SELECT coalesce(sum(deleted = 0), 0), "
                                             "coalesce(sum(deleted <> 0), 0) FROM leads"));
    LEADSYNC_CHECK(query.step());
    stats.leads = query.integer(0);
    stats.tombstones = query.integer(1);
  }
  {
    LEADSYNC_TRY(auto query, database_.query("SELECT stage, count(*) FROM leads "
                                             "WHERE deleted = 0 GROUP BY stage"));
    for (;;) {
      LEADSYNC_TRY(const bool has_row, query.step());
      if (!has_row) {
        break;
      }
      stats.leads_by_stage[query.text(0)] = query.integer(1);
    }
  }
  {
    LEADSYNC_TRY(auto query, database_.query("SELECT count(*), coalesce(sum(lease_owner <> '' AND "
                                             "lease_until >= ?), 0) FROM outbox",
                                             to_millis(clock_.now())));
    LEADSYNC_CHECK(query.step());
    stats.outbox_leased = query.integer(1);
    stats.outbox_pending = query.integer(0) - stats.outbox_leased;
  }
  LEADSYNC_TRY(stats.dead_letters, database_.query_integer("SELECT count(*) FROM dead_letters"));
  LEADSYNC_TRY(stats.behaviour_events,
               database_.query_integer("SELECT count(*) FROM behaviour_events"));
  LEADSYNC_TRY(stats.possible_duplicates,
               database_.query_integer("SELECT count(*) FROM duplicate_pairs "
                                       "WHERE status = 'open'"));
  LEADSYNC_CHECK(transaction.commit());
  return stats;
}

} // namespace sqlite

namespace {

using sqlite::Database;

Status create_private_directories(const std::filesystem::path& folder) {
  std::filesystem::path current;
  for (const auto& part : folder) {
    current /= part;
    std::error_code ignored;
    if (std::filesystem::is_directory(current, ignored)) {
      continue;
    }
    if (::mkdir(current.c_str(), 0700) != 0 && errno != EEXIST) {
      return fail(ErrorCategory::storage,
                  "cannot create the folder " + current.string() +
                      " for the database: " + std::generic_category().message(errno) +
                      "; create it or choose another [store] url");
    }
  }
  return ok_status();
}

// Creates the database file with mode 0600 before SQLite opens it, so it is never readable by
// others even for a moment; SQLite gives the -wal and -shm files the mode of the database file.
Status create_private_file(const std::filesystem::path& path) {
  std::error_code ignored;
  if (std::filesystem::exists(path, ignored)) {
    return ok_status();
  }
  if (path.has_parent_path()) {
    LEADSYNC_CHECK(create_private_directories(path.parent_path()));
  }
  const int fd = ::open(path.c_str(), O_CREAT | O_EXCL | O_RDWR | O_CLOEXEC, 0600);
  if (fd < 0) {
    if (errno == EEXIST) {
      return ok_status(); // another process created it meanwhile
    }
    return fail(ErrorCategory::storage, "cannot create the database file " + path.string() + ": " +
                                            std::generic_category().message(errno) +
                                            "; check that leadsync may write to its folder");
  }
  ::close(fd);
  return ok_status();
}

Status configure(Database& database, bool in_memory) {
  if (!in_memory) {
    LEADSYNC_TRY(const auto mode, database.query_text("PRAGMA journal_mode = WAL"));
    if (mode != "wal") {
      return fail(ErrorCategory::storage, "cannot switch " + database.path() +
                                              " to write-ahead logging (journal mode is '" + mode +
                                              "'); put the database on a local file system");
    }
  }
  // An 8 MB page cache (the default is 2 MB) keeps the upper levels of every index and the
  // recently written leaves in memory; without it a bulk import re-reads each random-keyed index
  // page (e-mail, phone, domain) from the file. A 16 MB write-ahead log between automatic
  // checkpoints (the default is 4 MB) lets a page changed by several batches be copied back once.
  return database.execute("PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON; "
                          "PRAGMA cache_size = -8192; PRAGMA wal_autocheckpoint = 4096");
}

} // namespace

int sqlite_schema_version() {
  return sqlite::latest_schema_version();
}

namespace {

Result<std::unique_ptr<sqlite::SqliteStore>> open_sqlite(const SqliteOptions& options, Clock& clock,
                                                         Random& random) {
  if (options.path.empty()) {
    return fail(ErrorCategory::invalid_argument,
                "no database path given; use \":memory:\" for a database that lives in memory");
  }
  const bool in_memory = options.path == ":memory:";
  if (!in_memory) {
    LEADSYNC_CHECK(create_private_file(options.path));
  }
  LEADSYNC_TRY(auto database, sqlite::Database::open(options.path.string(), options.busy_timeout));
  LEADSYNC_CHECK(configure(database, in_memory));
  LEADSYNC_CHECK(sqlite::migrate(database, clock));
  std::unique_ptr<sqlite::Checkpointer> checkpointer;
  if (!in_memory && options.background_checkpoint_pages > 0) {
    // Without its own connection the store falls back to SQLite's automatic checkpoint.
    auto connection = sqlite::Database::open(options.path.string(), options.busy_timeout);
    if (connection.ok() && connection->execute("PRAGMA synchronous = NORMAL").ok()) {
      checkpointer = std::make_unique<sqlite::Checkpointer>(std::move(connection).value());
    }
  }
  return std::make_unique<sqlite::SqliteStore>(std::move(database), clock, random,
                                               std::move(checkpointer),
                                               options.background_checkpoint_pages);
}

} // namespace

Result<std::unique_ptr<Store>> open_sqlite_store(const SqliteOptions& options, Clock& clock,
                                                 Random& random) {
  LEADSYNC_TRY(auto store, open_sqlite(options, clock, random));
  return std::unique_ptr<Store>(std::move(store));
}

Result<std::unique_ptr<Store>> open_temporary_sqlite_store(Clock& clock, Random& random) {
  std::error_code error;
  auto pattern = (std::filesystem::temp_directory_path(error) / "leadsync-scratch-XXXXXX").string();
  if (error || ::mkdtemp(pattern.data()) == nullptr) {
    return fail(ErrorCategory::storage, "cannot create a scratch folder in the temporary folder; "
                                        "set TMPDIR to a writable folder");
  }
  sqlite::FolderRemover folder(pattern); // removed on failure too
  LEADSYNC_TRY(auto store,
               open_sqlite({std::filesystem::path(pattern) / "scratch.db"}, clock, random));
  store->remove_folder_on_close(std::move(folder));
  return std::unique_ptr<Store>(std::move(store));
}

} // namespace leadsync::store
