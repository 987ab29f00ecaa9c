#pragma once
// A worker's presence in a shared store (issue 16, scale-out). While a daemon or a push runs it is
// registered in the store's workers table and beats every `heartbeat`:
//   - the beat records it alive and extends every lease it holds (outbox entries, webhook events,
//     and the singleton leases it holds through hold()), so a long batch of a live worker is
//     never taken from it, however long the batch;
//   - the beat also reaps the workers whose last beat is older than `dead_after`: their leases
//     are freed at once for the live workers (River's rescuer, Solid Queue's process pruning,
//     daemon-scaleout.md A.2). A worker found reaped (it stalled longer than dead_after) registers
//     again and says so: its leases may have gone to others, and push's idempotent upserts make
//     the repeat harmless.
// `leadsync status` lists the registered workers that are alive.
//
// Only the lease holders' names matter to the store: this worker's id is process_name() and every
// lease it takes is named id or "id:...".

#include "leadsync/core/cancel.hpp"
#include "leadsync/core/clock.hpp"
#include "leadsync/core/config.hpp"
#include "leadsync/core/mutex.hpp"
#include "leadsync/core/result.hpp"
#include "leadsync/store/store.hpp"

#include <chrono>
#include <condition_variable>
#include <map>
#include <memory>
#include <string>
#include <thread>

namespace leadsync::jobs {

struct PresenceSettings {
  std::string kind;     // "daemon", "push"
  std::string crm_user; // the application user (crm.auth client id); "" for a static token
  std::chrono::milliseconds heartbeat{5'000};
  std::chrono::milliseconds lease{60'000};      // each beat extends held leases to now + lease
  std::chrono::milliseconds dead_after{30'000}; // a worker silent this long is reaped
  // This process's name and parts; empty / 0: process_name(host_name(), getpid()).
  std::string host;
  long pid = 0;
};

// The settings of a worker of `kind` under this config: its application user is crm.auth.client_id
// with client credentials (none with a static token); the timings are the defaults above.
PresenceSettings presence_settings(const config::Config& config, std::string kind);

class WorkerPresence {
public:
  // Registers the worker and, when `run_thread`, starts the heartbeat thread (tests beat by hand).
  static Result<std::unique_ptr<WorkerPresence>>
  start(store::WorkerStore& store, Clock& clock, PresenceSettings settings, bool run_thread = true);
  // Stops beating, releases the singleton leases held and unregisters.
  ~WorkerPresence();
  WorkerPresence(const WorkerPresence&) = delete;
  WorkerPresence& operator=(const WorkerPresence&) = delete;

  const std::string& id() const { return id_; }

  // One beat: heartbeat (re-registering when reaped), renew held singleton leases, reap the dead.
  Status beat();

  // Takes (or renews) the singleton lease `name` for this worker; while held, every beat renews
  // it. false when another live worker holds it.
  Result<bool> hold(const std::string& name);
  // Releases a lease taken with hold().
  void drop(const std::string& name);

private:
  WorkerPresence(store::WorkerStore& store, Clock& clock, PresenceSettings settings,
                 std::string id);
  void run();

  store::WorkerStore& store_;
  Clock& clock_;
  PresenceSettings settings_;
  std::string id_;
  Mutex mutex_;
  // Singleton leases held, each with its number of holders.
  std::map<std::string, int> held_ GUARDED_BY(mutex_);
  CancellationSource stop_;
  std::thread thread_;
};

} // namespace leadsync::jobs
