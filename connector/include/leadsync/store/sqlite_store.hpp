#pragma once
// SQLite implementation of Store: WAL mode, versioned migrations, file created with mode 0600.

#include "leadsync/core/clock.hpp"
#include "leadsync/core/random.hpp"
#include "leadsync/store/store.hpp"

#include <filesystem>
#include <memory>

namespace leadsync::store {

struct SqliteOptions {
  std::filesystem::path path; // ":memory:" for an in-memory database
  std::chrono::milliseconds busy_timeout{5000};
  // A file database copies its write-ahead log back on a thread of its own once the log holds
  // this many pages (4 KB each), and within the commit itself should the log reach four times as
  // many. 0: SQLite's automatic checkpoint at the same size, inside the commit that crosses it.
  int background_checkpoint_pages = 4096;
};

// Opens (creating when missing) and migrates the database.
Result<std::unique_ptr<Store>> open_sqlite_store(const SqliteOptions& options,
                                                 Clock& clock = SystemClock::instance(),
                                                 Random& random = SecureRandom::instance());

// The schema version this build migrates to.
int sqlite_schema_version();

} // namespace leadsync::store
