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
};

// Opens (creating when missing) and migrates the database.
Result<std::unique_ptr<Store>> open_sqlite_store(const SqliteOptions& options,
                                                 Clock& clock = SystemClock::instance(),
                                                 Random& random = SecureRandom::instance());

// The schema version this build migrates to.
int sqlite_schema_version();

} // namespace leadsync::store
