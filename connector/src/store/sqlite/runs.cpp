// The SQLite store: Run history and checkpoints (RunStore).

#include "leadsync/core/process.hpp"
#include "sqlite/rows.hpp"
#include "sqlite/sqlite_store.hpp"

#include <nlohmann/json.hpp>

namespace leadsync::store::sqlite {

Result<std::optional<std::string>> SqliteStore::get_checkpoint(const std::string& name) {
  MutexLock lock(mutex_);
  LEADSYNC_TRY(auto query, database_.query("SELECT value FROM checkpoints WHERE name = ?", name));
  LEADSYNC_TRY(const bool found, query.step());
  if (!found) {
    return std::optional<std::string>();
  }
  return std::optional(query.text(0));
}

Status SqliteStore::put_checkpoint(const std::string& name, const std::string& value) {
  LEADSYNC_CHECK(detail::check_checkpoint_name(name));
  MutexLock lock(mutex_);
  return save_checkpoint(name, value);
}

// BEGIN IMMEDIATE takes the database's write lock before the read, so no other connection can
// write the checkpoint between the comparison and the write.
Result<bool> SqliteStore::put_checkpoint_if(const std::string& name,
                                            const std::optional<std::string>& expected,
                                            const std::string& value) {
  LEADSYNC_CHECK(detail::check_checkpoint_name(name));
  MutexLock lock(mutex_);
  LEADSYNC_TRY(auto transaction, Transaction::begin(database_));
  std::optional<std::string> stored;
  {
    LEADSYNC_TRY(auto query, database_.query("SELECT value FROM checkpoints WHERE name = ?", name));
    LEADSYNC_TRY(const bool found, query.step());
    if (found) {
      stored = query.text(0);
    }
  }
  if (stored != expected) {
    return false;
  }
  LEADSYNC_CHECK(save_checkpoint(name, value));
  LEADSYNC_CHECK(transaction.commit());
  return true;
}

Result<std::map<std::string, std::string>> SqliteStore::list_checkpoints() {
  MutexLock lock(mutex_);
  LEADSYNC_TRY(auto query, database_.query("SELECT name, value FROM checkpoints"));
  std::map<std::string, std::string> checkpoints;
  for (;;) {
    LEADSYNC_TRY(const bool has_row, query.step());
    if (!has_row) {
      return checkpoints;
    }
    checkpoints.emplace(query.text(0), query.text(1));
  }
}

Result<RunRecord> SqliteStore::begin_run(const std::string& kind) {
  LEADSYNC_CHECK(detail::check_run_kind(kind));
  RunRecord run;
  run.kind = kind;
  run.status = "running";
  run.owner = this_process_name();
  MutexLock lock(mutex_);
  run.started_at = now();
  LEADSYNC_TRY(auto insert,
               database_.query("INSERT INTO runs (kind, status, started_at, owner) "
                               "VALUES (?, ?, ?, ?)",
                               run.kind, run.status, to_millis(run.started_at), run.owner));
  LEADSYNC_CHECK(insert.run());
  run.id = database_.last_insert_rowid();
  return run;
}

Status SqliteStore::finish_run(const RunRecord& run) {
  LEADSYNC_CHECK(detail::check_run_end(run));
  MutexLock lock(mutex_);
  const auto finished_at = to_millis(run.finished_at.value_or(clock_.now()));
  LEADSYNC_TRY(auto update,
               database_.query("UPDATE runs SET status = ?, finished_at = ?, counts = ?, "
                               "message = ? WHERE id = ?",
                               run.status, finished_at, nlohmann::json(run.counts).dump(),
                               run.message, run.id));
  LEADSYNC_CHECK(update.run());
  if (database_.changes() == 0) {
    return detail::run_not_found(run.id);
  }
  return ok_status();
}

Result<std::vector<RunRecord>> SqliteStore::list_runs(std::size_t limit) {
  MutexLock lock(mutex_);
  LEADSYNC_TRY(
      auto query,
      database_.query("SELECT id, kind, status, started_at, finished_at, counts, message, owner "
                      "FROM runs ORDER BY started_at DESC, id DESC LIMIT ?",
                      sql_limit(limit)));
  std::vector<RunRecord> runs;
  for (;;) {
    LEADSYNC_TRY(const bool has_row, query.step());
    if (!has_row) {
      return runs;
    }
    LEADSYNC_TRY(auto run, read_run(query));
    runs.push_back(std::move(run));
  }
}

Status SqliteStore::save_checkpoint(const std::string& name, const std::string& value) {
  LEADSYNC_TRY(auto query,
               database_.query("INSERT INTO checkpoints (name, value, updated_at) VALUES (?, ?, ?) "
                               "ON CONFLICT (name) DO UPDATE SET value = excluded.value, "
                               "updated_at = excluded.updated_at",
                               name, value, to_millis(clock_.now())));
  return query.run();
}

} // namespace leadsync::store::sqlite
