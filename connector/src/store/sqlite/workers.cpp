// The SQLite store: Workers and singleton leases (WorkerStore).

#include "leadsync/core/process.hpp"
#include "sqlite/rows.hpp"
#include "sqlite/sqlite_store.hpp"

namespace leadsync::store::sqlite {

// ---- workers and singleton leases (scale-out, issue 16)
// Leases belong to a worker by name: its id or "<id>:..." (owned_by). Times are the callers',
// like claim_webhook_events, so that every process judges liveness by the same numbers.
Status SqliteStore::register_worker(const WorkerInfo& worker) {
  if (worker.id.empty()) {
    return fail(ErrorCategory::invalid_argument,
                "register_worker needs the worker's id: process_name(), \"<host>:<pid>\"");
  }
  const auto started_at = to_millis(worker.started_at);
  MutexLock lock(mutex_);
  LEADSYNC_TRY(auto upsert,
               database_.query("INSERT INTO workers (id, host, pid, kind, crm_user, started_at, "
                               "heartbeat_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6) "
                               "ON CONFLICT (id) DO UPDATE SET host = excluded.host, "
                               "pid = excluded.pid, kind = excluded.kind, "
                               "crm_user = excluded.crm_user, started_at = excluded.started_at, "
                               "heartbeat_at = excluded.heartbeat_at",
                               worker.id, worker.host, worker.pid, worker.kind, worker.crm_user,
                               started_at));
  return upsert.run();
}

Result<Heartbeat> SqliteStore::heartbeat_worker(const std::string& worker_id, TimePoint now,
                                                std::chrono::milliseconds lease) {
  if (worker_id.empty()) {
    return fail(ErrorCategory::invalid_argument,
                "heartbeat_worker needs the worker's id: process_name(), \"<host>:<pid>\"");
  }
  if (lease.count() <= 0) {
    return fail(ErrorCategory::invalid_argument,
                "the lease a heartbeat extends must be longer than zero");
  }
  const std::int64_t now_millis = to_millis(now);
  const std::int64_t lease_until = now_millis + lease.count();
  MutexLock lock(mutex_);
  LEADSYNC_TRY(auto transaction, Transaction::begin(database_));
  {
    LEADSYNC_TRY(auto beat, database_.query("UPDATE workers SET heartbeat_at = ? WHERE id = ?",
                                            now_millis, worker_id));
    LEADSYNC_CHECK(beat.run());
  }
  if (database_.changes() == 0) {
    return fail(ErrorCategory::not_found,
                "worker '" + worker_id +
                    "' is not registered (it was reaped as dead after missing its heartbeats, "
                    "or never registered); register it again, and claim its work again: what "
                    "it held may have been given to other workers");
  }
  Heartbeat beat;
  {
    LEADSYNC_TRY(auto extend, database_.query(sql({"UPDATE outbox SET lease_until = ?2 WHERE ",
                                                   owned_by("lease_owner", "?1")}),
                                              worker_id, lease_until));
    LEADSYNC_CHECK(extend.run());
    beat.outbox_extended = database_.changes();
  }
  {
    LEADSYNC_TRY(auto extend, database_.query(sql({"UPDATE webhook_events SET lease_until = ?2 "
                                                   "WHERE state = 'pending' AND ",
                                                   owned_by("lease_owner", "?1")}),
                                              worker_id, lease_until));
    LEADSYNC_CHECK(extend.run());
    beat.webhook_events_extended = database_.changes();
  }
  LEADSYNC_CHECK(transaction.commit());
  return beat;
}

// Its leases are left as they are: a worker that stops cleanly has given its work back, and
// one that did not loses its leases when they expire or when it is reaped.
Status SqliteStore::unregister_worker(const std::string& worker_id) {
  MutexLock lock(mutex_);
  LEADSYNC_TRY(auto remove, database_.query("DELETE FROM workers WHERE id = ?", worker_id));
  return remove.run();
}

Result<std::vector<WorkerInfo>> SqliteStore::list_workers(TimePoint alive_since, TimePoint now) {
  // Held work: unexpired leases (valid up to and including lease_until, as claims judge them).
  const std::string outbox_held = "(SELECT count(*) FROM outbox AS o WHERE " +
                                  owned_by("o.lease_owner", "w.id") + " AND o.lease_until >= ?2)";
  const std::string webhook_events_held =
      "(SELECT count(*) FROM webhook_events AS e WHERE e.state = 'pending' AND " +
      owned_by("e.lease_owner", "w.id") + " AND e.lease_until >= ?2)";
  MutexLock lock(mutex_);
  LEADSYNC_TRY(auto query,
               database_.query("SELECT w.id, w.host, w.pid, w.kind, w.crm_user, w.started_at, "
                               "w.heartbeat_at, " +
                                   outbox_held + ", " + webhook_events_held +
                                   " FROM workers AS w WHERE w.heartbeat_at >= ?1 "
                                   "ORDER BY w.started_at, w.id",
                               to_millis(alive_since), to_millis(now)));
  std::vector<WorkerInfo> workers;
  for (;;) {
    LEADSYNC_TRY(const bool has_row, query.step());
    if (!has_row) {
      return workers;
    }
    workers.push_back(WorkerInfo{.id = query.text(0),
                                 .host = query.text(1),
                                 .pid = query.integer(2),
                                 .kind = query.text(3),
                                 .crm_user = query.text(4),
                                 .started_at = from_millis(query.integer(5)),
                                 .heartbeat_at = from_millis(query.integer(6)),
                                 .outbox_held = query.integer(7),
                                 .webhook_events_held = query.integer(8)});
  }
}

// One transaction: a worker is removed together with the freeing of its leases, so a worker
// that heartbeats meanwhile either keeps everything or learns (not_found) that it lost it.
Result<ReapedWorkers> SqliteStore::reap_dead_workers(TimePoint dead_before) {
  MutexLock lock(mutex_);
  LEADSYNC_TRY(auto transaction, Transaction::begin(database_));
  ReapedWorkers reaped;
  {
    LEADSYNC_TRY(auto dead,
                 database_.query("SELECT id FROM workers WHERE heartbeat_at < ? ORDER BY id",
                                 to_millis(dead_before)));
    for (;;) {
      LEADSYNC_TRY(const bool has_row, dead.step());
      if (!has_row) {
        break;
      }
      reaped.workers.push_back(dead.text(0));
    }
  }
  for (const auto& id : reaped.workers) {
    // No attempt is counted: the work did not fail, its worker went away.
    {
      LEADSYNC_TRY(auto freeing, database_.query(sql({"UPDATE outbox SET lease_owner = '', "
                                                      "lease_until = NULL WHERE ",
                                                      owned_by("lease_owner", "?1")}),
                                                 id));
      LEADSYNC_CHECK(freeing.run());
      reaped.outbox_freed += database_.changes();
    }
    {
      LEADSYNC_TRY(auto freeing, database_.query(sql({"UPDATE webhook_events SET lease_owner = "
                                                      "'', lease_until = NULL WHERE state = "
                                                      "'pending' AND ",
                                                      owned_by("lease_owner", "?1")}),
                                                 id));
      LEADSYNC_CHECK(freeing.run());
      reaped.webhook_events_freed += database_.changes();
    }
    LEADSYNC_TRY(auto remove, database_.query("DELETE FROM workers WHERE id = ?", id));
    LEADSYNC_CHECK(remove.run());
  }
  LEADSYNC_CHECK(transaction.commit());
  return reaped;
}

// One upsert under the write lock: it changes the row only when the lease is free (no row),
// expired, or the owner's already; a row it did not change means another owner holds it.
Result<bool> SqliteStore::try_lease(const std::string& name, const std::string& owner,
                                    TimePoint now, std::chrono::milliseconds lease) {
  if (name.empty() || owner.empty()) {
    return fail(ErrorCategory::invalid_argument,
                "try_lease needs the lease's name and its owner (the worker's id)");
  }
  if (lease.count() <= 0) {
    return fail(ErrorCategory::invalid_argument,
                "a singleton lease must be longer than zero (lease '" + name + "')");
  }
  const std::int64_t now_millis = to_millis(now);
  MutexLock lock(mutex_);
  LEADSYNC_TRY(auto transaction, Transaction::begin(database_));
  bool taken = false;
  {
    LEADSYNC_TRY(auto take,
                 database_.query("INSERT INTO singleton_leases (name, owner, acquired_at, "
                                 "lease_until) VALUES (?1, ?2, ?3, ?4) "
                                 "ON CONFLICT (name) DO UPDATE SET acquired_at = CASE WHEN "
                                 "owner = excluded.owner THEN acquired_at ELSE "
                                 "excluded.acquired_at END, owner = excluded.owner, "
                                 "lease_until = excluded.lease_until "
                                 "WHERE owner = excluded.owner OR lease_until < ?3",
                                 name, owner, now_millis, now_millis + lease.count()));
    LEADSYNC_CHECK(take.run());
    taken = database_.changes() > 0;
  }
  LEADSYNC_CHECK(transaction.commit());
  return taken;
}

Status SqliteStore::release_lease(const std::string& name, const std::string& owner) {
  MutexLock lock(mutex_);
  LEADSYNC_TRY(
      auto release,
      database_.query("DELETE FROM singleton_leases WHERE name = ? AND owner = ?", name, owner));
  return release.run();
}

// SQLite has no signal between processes; writers in this process are seen by polling too.
Result<std::unique_ptr<WorkWaiter>> SqliteStore::open_work_waiter() {
  return std::unique_ptr<WorkWaiter>();
}

} // namespace leadsync::store::sqlite
