// The PostgreSQL store: workers, singleton leases, the work waiter, stats.
//
// A worker's leases are the rows whose lease_owner is its id or starts with "<id>:" (a claim may
// add a suffix per thread). The prefix is compared with left(), not LIKE, so that neither a LIKE
// metacharacter in an id nor a longer pid ("h:123" against "h:12") matches by accident.

#include "postgres/detail/sql.hpp"
#include "postgres/postgres_store.hpp"

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <poll.h>
#include <string>
#include <string_view>
#include <sys/eventfd.h>
#include <unistd.h>
#include <vector>

namespace leadsync::store::postgres {
namespace {

// The rows of a table held by worker $1 (see the file comment). `lease_owner <> ''` lets the
// planner use the partial index on held rows.
constexpr std::string_view held_by_worker =
    "lease_owner <> '' AND (lease_owner = $1 OR left(lease_owner, length($1) + 1) = $1 || ':')";

Status check_worker_id(const std::string& id) {
  if (id.empty()) {
    return fail(ErrorCategory::invalid_argument,
                "a worker needs an id, \"<host>:<pid>\" (process_name() in core/process.hpp)");
  }
  return ok_status();
}

// Inside a transaction: moves the leases `worker` holds in `table` to `lease_until` (nullopt: frees
// them) and returns how many. The rows are locked in seq order first, the order claims take them,
// so that a transaction locking the same rows in that order waits instead of deadlocking (a
// deadlock would still be retried by the pool).
std::int64_t move_leases(pqxx::work& work, std::string_view table, std::string_view pending_only,
                         const std::string& worker, std::optional<std::int64_t> lease_until) {
  const std::string query =
      "UPDATE " + std::string(table) + " SET lease_owner = CASE WHEN $2::bigint IS NULL THEN '' " +
      "ELSE lease_owner END, lease_until = $2::bigint WHERE seq IN (SELECT seq FROM " +
      std::string(table) + " WHERE " + std::string(held_by_worker) + std::string(pending_only) +
      " ORDER BY seq FOR UPDATE)";
  return static_cast<std::int64_t>(
      work.exec_params(query, worker, nullable(lease_until).c_str()).affected_rows());
}

// ---- the work waiter

// Sets a flag when a notification on the work channel arrives for this store (called by libpqxx
// from inside get_notifs(), on the waiting thread). Channels belong to a database, not a schema:
// a payload naming another schema is another store's work (two deployments, or tests, sharing a
// database) and is ignored; an empty payload names no schema and counts.
class WorkReceiver final : public pqxx::notification_receiver {
public:
  WorkReceiver(pqxx::connection_base& connection, std::string schema, bool& signalled)
      : pqxx::notification_receiver(connection, work_channel), schema_(std::move(schema)),
        signalled_(signalled) {}
  void operator()(const std::string& payload, int /*backend_pid*/) override {
    if (payload.empty() || payload == schema_) {
      signalled_ = true;
    }
  }

private:
  std::string schema_;
  bool& signalled_;
};

constexpr std::chrono::milliseconds max_wait = std::chrono::hours{24};

// LISTENs on a connection of its own (never in a transaction, so notifications are delivered
// between waits too and count at the next one). wake() writes an eventfd that wait() polls beside
// the connection's socket, so a blocked wait returns at once.
//
// NOTIFY is not durable: what is sent while the connection is down is lost. A wait that finds the
// connection lost therefore reconnects (LISTEN again) and returns true, so that its caller polls
// (daemon-scaleout.md A.11).
class PostgresWorkWaiter final : public WorkWaiter {
public:
  PostgresWorkWaiter(std::string url, std::unique_ptr<pqxx::connection> connection, int wake_fd)
      : url_(std::move(url)), connection_(std::move(connection)), wake_fd_(wake_fd) {}

  PostgresWorkWaiter(const PostgresWorkWaiter&) = delete;
  PostgresWorkWaiter& operator=(const PostgresWorkWaiter&) = delete;

  ~PostgresWorkWaiter() override {
    drop();
    ::close(wake_fd_);
  }

  // Registers the receiver: LISTEN on the connection, for the schema the store's tables are in
  // (the first of the URL's search_path, as for the pool's connections).
  Status listen() {
    try {
      std::string schema;
      {
        pqxx::nontransaction query(*connection_);
        schema = query.exec1("SELECT coalesce(current_schema(), '')")[0].as<std::string>();
      }
      receiver_ = std::make_unique<WorkReceiver>(*connection_, std::move(schema), signalled_);
    } catch (const std::exception& problem) {
      return error_from(problem, "listen for work wake-ups");
    }
    if (!connection_->is_open()) {
      return fail(ErrorCategory::storage,
                  "cannot listen for work wake-ups: the connection to PostgreSQL was lost; it is "
                  "retried, check that the server is up",
                  true);
    }
    return ok_status();
  }

  // A wait longer than a day ends after a day (returning false): the deadline must not overflow.
  Result<bool> wait(std::chrono::milliseconds timeout) override {
    const auto deadline =
        std::chrono::steady_clock::now() + std::min<std::chrono::milliseconds>(timeout, max_wait);
    for (;;) {
      if (take_wake()) {
        return false;
      }
      if (!connection_ || !connection_->is_open()) {
        const Status reconnected = reconnect(deadline);
        if (!reconnected.ok()) {
          if (take_wake()) {
            return false;
          }
          return reconnected.error();
        }
        return true;
      }
      try {
        connection_->get_notifs(); // what arrived since the last call, signalled_ by the receiver
      } catch (const pqxx::broken_connection&) {
        continue; // reconnects above
      } catch (const std::exception& problem) {
        return error_from(problem, "wait for work wake-ups");
      }
      if (signalled_) {
        signalled_ = false;
        return true;
      }
      const auto left =
          std::chrono::ceil<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) {
        return false;
      }
      block(connection_->sock(), left);
    }
  }

  void wake() override {
    const std::uint64_t one = 1;
    // Only a full counter (2^64 - 2 wakes unconsumed) can fail, and then a wake is pending anyway.
    [[maybe_unused]] const auto written = ::write(wake_fd_, &one, sizeof one);
  }

private:
  // Consumes a pending wake(); true when there was one.
  bool take_wake() {
    std::uint64_t count = 0;
    return ::read(wake_fd_, &count, sizeof count) == static_cast<ssize_t>(sizeof count);
  }

  // Blocks until the socket (when >= 0) has input, a wake() arrives, or `timeout` passes.
  void block(int socket, std::chrono::milliseconds timeout) const {
    pollfd fds[2] = {{.fd = wake_fd_, .events = POLLIN, .revents = 0},
                     {.fd = socket, .events = POLLIN, .revents = 0}};
    const auto millis = static_cast<int>(std::min<std::int64_t>(timeout.count(), 60'000));
    while (::poll(fds, socket >= 0 ? 2 : 1, millis) < 0 && errno == EINTR) {
    }
  }

  // A new connection LISTENing again. When the server cannot be reached, the wait still lasts
  // until its deadline (or a wake) so that a caller waiting in a loop does not spin, and then says
  // why.
  Status reconnect(std::chrono::steady_clock::time_point deadline) {
    drop();
    signalled_ = false;
    try {
      connection_ = std::make_unique<pqxx::connection>(url_);
    } catch (const std::exception& problem) {
      connection_.reset();
      const auto left =
          std::chrono::ceil<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
      if (left.count() > 0) {
        block(-1, left);
      }
      return fail(
          ErrorCategory::storage,
          "cannot reconnect to PostgreSQL to listen for work wake-ups: " + trimmed(problem.what()) +
              " (it is retried at the next wait; until then work is found by polling)",
          true);
    }
    Status listening = listen();
    if (!listening.ok()) {
      drop();
    }
    return listening;
  }

  // Closes the connection, then forgets the receiver: a receiver removed from an open connection
  // sends UNLISTEN, which on a broken one would make libpqxx try to reconnect (or complain) first.
  // The server forgets a closed session's LISTENs anyway.
  void drop() noexcept {
    if (connection_) {
      connection_->disconnect();
    }
    receiver_.reset();
    connection_.reset();
  }

  std::string url_;
  std::unique_ptr<pqxx::connection> connection_;
  std::unique_ptr<WorkReceiver> receiver_; // registered with connection_; dropped before it
  bool signalled_ = false;                 // only the waiting thread touches it
  int wake_fd_;
};

} // namespace

// ---- workers

Status PostgresStore::register_worker(const WorkerInfo& worker) {
  LEADSYNC_CHECK(check_worker_id(worker.id));
  const auto started_at =
      to_millis(worker.started_at == TimePoint{} ? clock_.now() : worker.started_at);
  return pool_->transact("register a worker", [&](pqxx::work& work) -> Status {
    work.exec_params("INSERT INTO workers (id, host, pid, kind, crm_user, started_at, "
                     "heartbeat_at) VALUES ($1, $2, $3, $4, $5, $6, $6) "
                     "ON CONFLICT (id) DO UPDATE SET host = EXCLUDED.host, pid = EXCLUDED.pid, "
                     "kind = EXCLUDED.kind, crm_user = EXCLUDED.crm_user, "
                     "started_at = EXCLUDED.started_at, heartbeat_at = EXCLUDED.heartbeat_at",
                     worker.id, worker.host, worker.pid, worker.kind, worker.crm_user, started_at);
    return ok_status();
  });
}

Result<Heartbeat> PostgresStore::heartbeat_worker(const std::string& worker_id, TimePoint now,
                                                  std::chrono::milliseconds lease) {
  LEADSYNC_CHECK(check_worker_id(worker_id));
  if (lease.count() <= 0) {
    return fail(ErrorCategory::invalid_argument,
                "a heartbeat extends leases by a lease longer than zero");
  }
  const auto now_millis = to_millis(now);
  Heartbeat beat;
  LEADSYNC_CHECK(pool_->transact("record a worker heartbeat", [&](pqxx::work& work) -> Status {
    beat = Heartbeat{};
    if (work.exec_params("UPDATE workers SET heartbeat_at = $2 WHERE id = $1 RETURNING id",
                         worker_id, now_millis)
            .empty()) {
      return fail(ErrorCategory::not_found,
                  "worker '" + worker_id +
                      "' is not registered (it was taken for dead and removed, and its leases "
                      "may have gone to other workers); register it again");
    }
    const std::int64_t until = now_millis + lease.count();
    beat.outbox_extended = move_leases(work, "outbox", "", worker_id, until);
    beat.webhook_events_extended =
        move_leases(work, "webhook_events", " AND state = 'pending'", worker_id, until);
    return ok_status();
  }));
  return beat;
}

Status PostgresStore::unregister_worker(const std::string& worker_id) {
  return pool_->transact("unregister a worker", [&](pqxx::work& work) -> Status {
    work.exec_params("DELETE FROM workers WHERE id = $1", worker_id);
    return ok_status();
  });
}

Result<std::vector<WorkerInfo>> PostgresStore::list_workers(TimePoint alive_since, TimePoint now) {
  std::vector<WorkerInfo> workers;
  LEADSYNC_CHECK(pool_->transact("list workers", [&](pqxx::work& work) -> Status {
    workers.clear();
    // A lease is held up to and including lease_until.
    const std::string held = "lease_owner <> '' AND (lease_owner = w.id OR "
                             "left(lease_owner, length(w.id) + 1) = w.id || ':') "
                             "AND lease_until >= $2";
    std::string query = "SELECT w.id, w.host, w.pid, w.kind, w.crm_user, w.started_at, "
                        "w.heartbeat_at, (SELECT count(*) FROM outbox WHERE ";
    query += held;
    query += "), (SELECT count(*) FROM webhook_events WHERE state = 'pending' AND ";
    query += held;
    query += ") FROM workers AS w WHERE w.heartbeat_at >= $1 "
             "ORDER BY w.started_at, w.id COLLATE \"C\"";
    for (const auto& row : work.exec_params(query, to_millis(alive_since), to_millis(now))) {
      workers.push_back(WorkerInfo{.id = row[0].as<std::string>(),
                                   .host = row[1].as<std::string>(),
                                   .pid = row[2].as<std::int64_t>(),
                                   .kind = row[3].as<std::string>(),
                                   .crm_user = row[4].as<std::string>(),
                                   .started_at = from_millis(row[5].as<std::int64_t>()),
                                   .heartbeat_at = from_millis(row[6].as<std::int64_t>()),
                                   .outbox_held = row[7].as<std::int64_t>(),
                                   .webhook_events_held = row[8].as<std::int64_t>()});
    }
    return ok_status();
  }));
  return workers;
}

Result<ReapedWorkers> PostgresStore::reap_dead_workers(TimePoint dead_before) {
  ReapedWorkers reaped;
  LEADSYNC_CHECK(pool_->transact("remove dead workers", [&](pqxx::work& work) -> Status {
    reaped = ReapedWorkers{};
    // A worker whose heartbeat commits first is re-checked against the WHERE and stays; one that
    // beats after this commits finds itself gone and registers again.
    for (const auto& row : work.exec_params(
             "DELETE FROM workers WHERE heartbeat_at < $1 RETURNING id", to_millis(dead_before))) {
      reaped.workers.push_back(row[0].as<std::string>());
    }
    std::sort(reaped.workers.begin(), reaped.workers.end());
    for (const auto& id : reaped.workers) {
      reaped.outbox_freed += move_leases(work, "outbox", "", id, std::nullopt);
      reaped.webhook_events_freed +=
          move_leases(work, "webhook_events", " AND state = 'pending'", id, std::nullopt);
    }
    return ok_status();
  }));
  return reaped;
}

// ---- singleton leases

// One statement, atomic under concurrency (River's leader election, daemon-scaleout.md A.3): the
// insert takes a free name; on conflict the row is taken over only when it is the owner's
// (renewal) or its lease has run out (a lease is valid up to and including lease_until, as the
// outbox's), and RETURNING says whether that happened.
Result<bool> PostgresStore::try_lease(const std::string& name, const std::string& owner,
                                      TimePoint now, std::chrono::milliseconds lease) {
  if (name.empty() || owner.empty()) {
    return fail(ErrorCategory::invalid_argument,
                "a singleton lease needs a name and an owner (got name '" + name + "', owner '" +
                    owner + "')");
  }
  if (lease.count() <= 0) {
    return fail(ErrorCategory::invalid_argument,
                "the lease of '" + name + "' must be longer than zero");
  }
  const auto now_millis = to_millis(now);
  bool held = false;
  LEADSYNC_CHECK(pool_->transact("take the lease '" + name + "'", [&](pqxx::work& work) -> Status {
    held = !work.exec_params("INSERT INTO singleton_leases AS l (name, owner, acquired_at, "
                             "lease_until) VALUES ($1, $2, $3, $4) "
                             "ON CONFLICT (name) DO UPDATE SET owner = EXCLUDED.owner, "
                             "acquired_at = CASE WHEN l.owner = EXCLUDED.owner THEN l.acquired_at "
                             "ELSE EXCLUDED.acquired_at END, lease_until = EXCLUDED.lease_until "
                             "WHERE l.owner = EXCLUDED.owner OR l.lease_until < $3 "
                             "RETURNING owner",
                             name, owner, now_millis, now_millis + lease.count())
                .empty();
    return ok_status();
  }));
  return held;
}

Status PostgresStore::release_lease(const std::string& name, const std::string& owner) {
  return pool_->transact("release the lease '" + name + "'", [&](pqxx::work& work) -> Status {
    work.exec_params("DELETE FROM singleton_leases WHERE name = $1 AND owner = $2", name, owner);
    return ok_status();
  });
}

// ---- the work waiter

Result<std::unique_ptr<WorkWaiter>> PostgresStore::open_work_waiter() {
  const int wake_fd = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (wake_fd < 0) {
    return fail(ErrorCategory::internal,
                "cannot create an eventfd for the work waiter: " + system_error_text(errno));
  }
  auto connection = pool_->dedicated_connection();
  if (!connection.ok()) {
    ::close(wake_fd);
    return connection.error();
  }
  // The waiter reconnects by the URL itself, so it does not depend on the store's pool.
  auto waiter =
      std::make_unique<PostgresWorkWaiter>(pool_->url(), std::move(connection).value(), wake_fd);
  LEADSYNC_CHECK(waiter->listen());
  return std::unique_ptr<WorkWaiter>(std::move(waiter));
}

// ---- stats

// The same numbers as SQLite's; one statement, so one snapshot, for the counts.
Result<StoreStats> PostgresStore::stats() {
  StoreStats stats;
  const auto now_millis = to_millis(clock_.now());
  LEADSYNC_CHECK(pool_->transact("count the store's contents", [&](pqxx::work& work) -> Status {
    stats = StoreStats{};
    const auto row = work.exec_params1(
        "SELECT (SELECT count(*) FILTER (WHERE NOT deleted) FROM leads), "
        "(SELECT count(*) FILTER (WHERE deleted) FROM leads), "
        "(SELECT count(*) FROM outbox), "
        "(SELECT count(*) FROM outbox WHERE lease_owner <> '' AND lease_until >= $1), "
        "(SELECT count(*) FROM dead_letters), "
        "(SELECT count(*) FROM behaviour_events), "
        "(SELECT count(*) FROM duplicate_pairs WHERE status = 'open')",
        now_millis);
    stats.leads = row[0].as<std::int64_t>();
    stats.tombstones = row[1].as<std::int64_t>();
    stats.outbox_leased = row[3].as<std::int64_t>();
    stats.outbox_pending = row[2].as<std::int64_t>() - stats.outbox_leased;
    stats.dead_letters = row[4].as<std::int64_t>();
    stats.behaviour_events = row[5].as<std::int64_t>();
    stats.possible_duplicates = row[6].as<std::int64_t>();
    for (const auto& stage :
         work.exec("SELECT stage, count(*) FROM leads WHERE NOT deleted GROUP BY stage")) {
      stats.leads_by_stage[stage[0].as<std::string>()] = stage[1].as<std::int64_t>();
    }
    return ok_status();
  }));
  return stats;
}

} // namespace leadsync::store::postgres
