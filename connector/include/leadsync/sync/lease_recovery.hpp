#pragma once
// A push that was killed (SIGKILL, a crash, a reboot) leaves its outbox entries leased for the
// lease time (two minutes). The next push on the same host takes them back at once when the
// process that held them is gone, instead of reporting success while those changes wait.

#include "leadsync/core/result.hpp"
#include "leadsync/store/store.hpp"

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace leadsync::sync {

struct LeaseRecovery {
  std::vector<long> dead_pids; // pushes of this host that are gone, whose leases were freed
  std::int64_t freed = 0;      // entries freed
};

// Whether a process with this pid runs on this host.
using ProcessAlive = std::function<bool(long pid)>;
bool process_alive(long pid); // kill(pid, 0)

// `host` is this machine's as host_name() gives it; `own_pid` is never considered gone.
//
// Frees the leases of workers named "<host>:<pid>:<n>" (process_name() and the push thread)
// whose process is not alive. A pid reused by an unrelated process counts as alive: its entries
// then wait for their lease to expire, which is safe.
Result<LeaseRecovery> recover_leases_of_dead_pushes(store::OutboxStore& store,
                                                    const std::string& host, long own_pid,
                                                    const ProcessAlive& alive = process_alive);

// Runs still marked "running" whose process on this host is gone (killed or crashed before it
// could finish the run) are finished as "interrupted", so that `status` does not show them running
// for good. Looks at the newest `recent` runs; returns how many it finished.
// Webhook events (Store::claim_webhook_events) leased by a daemon of this host that is gone are
// given back at once, counted as a failed attempt, instead of waiting out their lease. Looks at the
// newest `recent` events; returns how many it gave back.
Result<std::int64_t>
recover_webhook_events_of_dead_processes(store::WebhookStore& store, const std::string& host,
                                         long own_pid, std::chrono::system_clock::time_point now,
                                         const ProcessAlive& alive = process_alive,
                                         std::size_t recent = 1000);

Result<int> interrupt_runs_of_dead_processes(store::RunStore& store, const std::string& host,
                                             long own_pid,
                                             std::chrono::system_clock::time_point now,
                                             const ProcessAlive& alive = process_alive,
                                             std::size_t recent = 200);

} // namespace leadsync::sync
