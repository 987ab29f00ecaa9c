#pragma once
// SQLite implementation of Store: WAL mode, versioned migrations, file created with mode 0600.
//
// Bulk loads (WriteOptions::bulk_load, the CSV import) take a path of their own. A plain write of a
// new lead inserts its e-mails, phones and company domain into lookup tables whose indexes by value
// are written at random places: a 4,000-lead transaction then dirties thousands of their pages,
// each written to the write-ahead log at commit and copied back at checkpoint. A bulk write only
// appends: the lead row (time-ordered id), its outbox entry, and its keys into lookup_backlog,
// keyed by lead id and deliberately unindexed by value. Lookups read the backlog whole besides the
// indexes, so every committed batch is found at once, by every connection; finish_bulk_load() moves
// the backlog into the lookup tables in one transaction (a large one by rebuilding their indexes,
// which sorts, a small one by inserting in key order). The lead document is the compact stored
// form (model::to_stored_json_text). See sqlite/detail/lookup_backlog.hpp and the README's
// "Throughput".

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

// A store in a new folder of the temporary directory (TMPDIR), the folder removed with everything
// in it when the store is destroyed: scratch space no other process sees (an import's dry run; see
// store/open.hpp, scratch_store_factory).
Result<std::unique_ptr<Store>>
open_temporary_sqlite_store(Clock& clock = SystemClock::instance(),
                            Random& random = SecureRandom::instance());

// The schema version this build migrates to.
int sqlite_schema_version();

} // namespace leadsync::store
