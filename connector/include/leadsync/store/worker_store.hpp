#pragma once
// Scale-out: the processes sharing one store (workers with heartbeats), singleton leases, and the
// wake-up between processes. One role of the Store (store/store.hpp).

#include "leadsync/core/result.hpp"
#include "leadsync/store/store_types.hpp"

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace leadsync::store {

// A process that takes work from the store (a daemon, a push), registered while it runs so that
// `leadsync status` can list it and the others can tell a live worker from a dead one.
struct WorkerInfo {
  std::string id; // process_name(): "<host>:<pid>"; its leases are held by id or "id:..."
  std::string host;
  std::int64_t pid = 0;
  std::string kind;     // "daemon", "push"
  std::string crm_user; // the application user it signs in as (crm.auth client id); "" if none
  TimePoint started_at{};
  TimePoint heartbeat_at{};
  // Work held (filled by list_workers): unexpired leases of outbox entries and webhook events.
  std::int64_t outbox_held = 0;
  std::int64_t webhook_events_held = 0;
  friend bool operator==(const WorkerInfo&, const WorkerInfo&) = default;
};

// What a heartbeat did.
struct Heartbeat {
  std::int64_t outbox_extended = 0;         // outbox leases of the worker moved to now + lease
  std::int64_t webhook_events_extended = 0; // webhook event leases likewise
};

// What reap_dead_workers did.
struct ReapedWorkers {
  std::vector<std::string> workers; // ids of the workers removed
  std::int64_t outbox_freed = 0;    // their outbox entries given back (no attempt counted)
  std::int64_t webhook_events_freed = 0;
};

// See WorkerStore::open_work_waiter.
class WorkWaiter {
public:
  virtual ~WorkWaiter() = default;
  // Blocks until a signal arrives or `timeout` passes; true when signalled. Signals that arrived
  // since the last wait count (they are not lost between waits). wake() makes a wait return
  // false at once (to stop a thread); it is the only method another thread may call.
  virtual Result<bool> wait(std::chrono::milliseconds timeout) = 0;
  virtual void wake() = 0;
};

class WorkerStore {
public:
  virtual ~WorkerStore() = default;

  // Workers. register_worker inserts or replaces the worker (heartbeat_at = started_at).
  // heartbeat_worker records the worker alive at `now` and extends every lease it holds (entries
  // whose lease_owner is its id or starts with "<id>:") to now + lease, so a long batch of a live
  // worker is never taken from it; not_found when the worker is not registered (it was reaped as
  // dead: it must register again, and its leases may be gone). unregister_worker removes it (no
  // error when missing). list_workers returns the workers whose heartbeat is at or after
  // `alive_since`, oldest first, with the work each holds at `now`. reap_dead_workers removes the
  // workers whose heartbeat is before `dead_before` and frees their leases without counting an
  // attempt, all in one transaction: what a dead worker held is taken by the live ones.
  virtual Status register_worker(const WorkerInfo& worker) = 0;
  virtual Result<Heartbeat> heartbeat_worker(const std::string& worker_id, TimePoint now,
                                             std::chrono::milliseconds lease) = 0;
  virtual Status unregister_worker(const std::string& worker_id) = 0;
  virtual Result<std::vector<WorkerInfo>> list_workers(TimePoint alive_since, TimePoint now) = 0;
  virtual Result<ReapedWorkers> reap_dead_workers(TimePoint dead_before) = 0;

  // Singleton leases: a job of a kind that must run on one worker at a time (a scheduled pull).
  // try_lease takes the lease `name` for `owner` until now + lease when it is free, expired, or
  // already the owner's (then it is renewed), atomically; returns whether the owner holds it.
  // release_lease frees it if the owner holds it (no error otherwise).
  virtual Result<bool> try_lease(const std::string& name, const std::string& owner, TimePoint now,
                                 std::chrono::milliseconds lease) = 0;
  virtual Status release_lease(const std::string& name, const std::string& owner) = 0;

  // A wake-up from other processes: the waiter returns from wait() soon after any process adds a
  // webhook event or an outbox entry to this store (PostgreSQL: LISTEN/NOTIFY on a connection of
  // its own). A hint only: a caller still polls. nullptr when the store has no such signal (SQLite,
  // whose writers are in this process or found by polling).
  virtual Result<std::unique_ptr<WorkWaiter>> open_work_waiter() = 0;
};

} // namespace leadsync::store
