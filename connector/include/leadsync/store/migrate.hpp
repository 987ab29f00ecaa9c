#pragma once
// Moving a single-node install from its SQLite store to PostgreSQL (`leadsync migrate-store`,
// issue 16): every row of every table that holds leadsync's state is copied, verified and
// committed in one PostgreSQL transaction, so the target holds either all of it or nothing.
// Runtime state of the daemons (workers, singleton leases) and the schema bookkeeping are not
// copied; the target's identity sequences continue after the copied ids.

#include "leadsync/core/clock.hpp"
#include "leadsync/core/result.hpp"

#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace leadsync::store {

// What was copied of one table.
struct TableMigration {
  std::string table;
  std::int64_t rows_copied = 0;    // rows read from SQLite and written to PostgreSQL
  std::int64_t rows_in_target = 0; // rows PostgreSQL holds after the copy (read back)
  // SHA-256 (lower-case hex) of a canonical rendering of every row in primary-key order,
  // computed from what SQLite gave and from what PostgreSQL gives back; equal after a migration.
  std::string source_checksum;
  std::string target_checksum;
  // Tables with an identity column: the id the next row inserted in PostgreSQL gets (after the
  // largest id SQLite ever handed out, also one of a row since deleted).
  std::optional<std::int64_t> next_id;
};

struct StoreMigrationReport {
  std::string source;                 // the SQLite file
  std::string target;                 // the PostgreSQL URL, password removed
  std::vector<TableMigration> tables; // in copy order
  std::int64_t total_rows = 0;
};

// Copies the SQLite store `from_url` (sqlite:///abs/path or sqlite://path relative to base_dir)
// into the PostgreSQL database `to_url` (postgresql://USER@HOST[:PORT]/DB; the password comes from
// ~/.pgpass or PGPASSFILE, never from the URL). Both schemas are first brought to this build's
// version. Refuses, changing nothing:
// - a source file that does not exist (not_found) or a URL of another kind (invalid_argument);
// - a target that holds any row already (already_exists): migrate into an empty database;
// - a source still in use (conflict): a run "running" whose process is alive on this host, or an
//   outbox entry or webhook event under an unexpired lease at clock.now();
// - a source holding a table or column this build does not know how to copy (internal).
// Reads SQLite in one read transaction (a consistent snapshot), streams each table in primary-key
// order into COPY, then reads PostgreSQL back and compares row counts and checksums before
// COMMIT: a difference rolls everything back and fails naming the table. `progress`, when set, is
// called as rows are copied with the table and its rows so far (the last call of a table gives
// its total).
Result<StoreMigrationReport>
migrate_store(const std::string& from_url, const std::string& to_url,
              const std::filesystem::path& base_dir, Clock& clock,
              const std::function<void(std::string_view table, std::int64_t rows)>& progress = {});

// What the SQLite database `file` holds that migrate_store would not copy or expects and does not
// find: "table NAME" for a table it neither copies nor deliberately leaves out, "column
// TABLE.NAME" for a column it does not copy, "missing column TABLE.NAME" / "missing table NAME"
// for one it would copy that the file lacks. Empty when the copy is complete. Only reads `file`.
Result<std::vector<std::string>> unmapped_sqlite_schema(const std::filesystem::path& file);

} // namespace leadsync::store
