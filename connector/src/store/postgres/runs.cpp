// The PostgreSQL store: run history and checkpoints (RunStore).
//
// The semantics, error categories and messages are the SQLite store's (store/sqlite/runs.cpp).

#include "detail/rules.hpp"
#include "leadsync/core/process.hpp"
#include "postgres/detail/sql.hpp"
#include "postgres/postgres_store.hpp"

#include <nlohmann/json.hpp>

namespace leadsync::store::postgres {
namespace {

Result<RunRecord> read_run(const pqxx::row& row) {
  RunRecord run;
  run.id = row[0].as<std::int64_t>();
  run.kind = row[1].as<std::string>();
  run.status = row[2].as<std::string>();
  run.started_at = from_millis(row[3].as<std::int64_t>());
  run.finished_at = from_millis(optional_integer(row[4]));
  LEADSYNC_TRY(run.counts, store::detail::read_run_counts(run.id, view_of(row[5])));
  run.message = row[6].as<std::string>();
  run.owner = row[7].as<std::string>();
  return run;
}

} // namespace

// ---- checkpoints

Result<std::optional<std::string>> PostgresStore::get_checkpoint(const std::string& name) {
  std::optional<std::string> value;
  LEADSYNC_CHECK(pool_->transact("read a checkpoint", [&](pqxx::work& work) -> Status {
    const auto rows = work.exec_params("SELECT value FROM checkpoints WHERE name = $1", name);
    value = rows.empty() ? std::nullopt : std::optional(rows[0][0].as<std::string>());
    return ok_status();
  }));
  return value;
}

Status PostgresStore::put_checkpoint(const std::string& name, const std::string& value) {
  LEADSYNC_CHECK(store::detail::check_checkpoint_name(name));
  return pool_->transact("write a checkpoint", [&](pqxx::work& work) -> Status {
    work.exec_params("INSERT INTO checkpoints (name, value, updated_at) VALUES ($1, $2, $3) "
                     "ON CONFLICT (name) DO UPDATE SET value = excluded.value, "
                     "updated_at = excluded.updated_at",
                     name, value, to_millis(clock_.now()));
    return ok_status();
  });
}

// One statement that writes only if the stored value is still the expected one, and the count of
// rows it wrote: of two processes racing, the second waits on the first's row (or unique-index
// entry), then sees the new value and writes nothing.
Result<bool> PostgresStore::put_checkpoint_if(const std::string& name,
                                              const std::optional<std::string>& expected,
                                              const std::string& value) {
  LEADSYNC_CHECK(store::detail::check_checkpoint_name(name));
  bool written = false;
  LEADSYNC_CHECK(pool_->transact("write a checkpoint", [&](pqxx::work& work) -> Status {
    const auto now = to_millis(clock_.now());
    const auto result = expected
                            ? work.exec_params("UPDATE checkpoints SET value = $3, updated_at = $4 "
                                               "WHERE name = $1 AND value = $2",
                                               name, *expected, value, now)
                            : work.exec_params("INSERT INTO checkpoints (name, value, updated_at) "
                                               "VALUES ($1, $2, $3) ON CONFLICT (name) DO NOTHING",
                                               name, value, now);
    written = result.affected_rows() == 1;
    return ok_status();
  }));
  return written;
}

Result<std::map<std::string, std::string>> PostgresStore::list_checkpoints() {
  std::map<std::string, std::string> checkpoints;
  LEADSYNC_CHECK(pool_->transact("read the checkpoints", [&](pqxx::work& work) -> Status {
    checkpoints.clear();
    for (const auto& row : work.exec("SELECT name, value FROM checkpoints")) {
      checkpoints.emplace(row[0].as<std::string>(), row[1].as<std::string>());
    }
    return ok_status();
  }));
  return checkpoints;
}

// ---- runs

Result<RunRecord> PostgresStore::begin_run(const std::string& kind) {
  LEADSYNC_CHECK(store::detail::check_run_kind(kind));
  RunRecord run;
  run.kind = kind;
  run.status = "running";
  run.owner = this_process_name();
  run.started_at = store::detail::stored_time(clock_.now());
  LEADSYNC_CHECK(pool_->transact("record a run", [&](pqxx::work& work) -> Status {
    run.id = work.exec_params1("INSERT INTO runs (kind, status, started_at, owner) "
                               "VALUES ($1, $2, $3, $4) RETURNING id",
                               run.kind, run.status, to_millis(run.started_at), run.owner)[0]
                 .as<std::int64_t>();
    return ok_status();
  }));
  return run;
}

Status PostgresStore::finish_run(const RunRecord& run) {
  LEADSYNC_CHECK(store::detail::check_run_end(run));
  const auto finished_at = to_millis(run.finished_at.value_or(clock_.now()));
  const auto counts = nlohmann::json(run.counts).dump();
  return pool_->transact("record the end of a run", [&](pqxx::work& work) -> Status {
    const auto updated =
        work.exec_params("UPDATE runs SET status = $1, finished_at = $2, counts = $3, "
                         "message = $4 WHERE id = $5",
                         run.status, finished_at, counts, run.message, run.id);
    if (updated.affected_rows() == 0) {
      return store::detail::run_not_found(run.id);
    }
    return ok_status();
  });
}

Result<std::vector<RunRecord>> PostgresStore::list_runs(std::size_t limit) {
  std::vector<RunRecord> runs;
  LEADSYNC_CHECK(pool_->transact("read the run history", [&](pqxx::work& work) -> Status {
    runs.clear();
    const auto rows =
        work.exec_params("SELECT id, kind, status, started_at, finished_at, counts, message, owner "
                         "FROM runs ORDER BY started_at DESC, id DESC LIMIT $1",
                         sql_limit(limit));
    for (const auto& row : rows) {
      LEADSYNC_TRY(auto run, read_run(row));
      runs.push_back(std::move(run));
    }
    return ok_status();
  }));
  return runs;
}

} // namespace leadsync::store::postgres
