#include "leadsync/sync/lease_recovery.hpp"

#include "leadsync/core/process.hpp"

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <csignal>
#include <optional>
#include <string_view>

namespace leadsync::sync {
namespace {

struct WorkerName {
  std::string host;
  long pid = 0;
};

// "<host>:<pid>" (a process, process_name()) or "<host>:<pid>:<n>" (a push worker thread); nullopt
// for other forms.
std::optional<WorkerName> parse_worker_name(std::string_view worker, bool with_thread) {
  if (with_thread) {
    const auto thread_colon = worker.rfind(':');
    if (thread_colon == std::string_view::npos) {
      return std::nullopt;
    }
    worker = worker.substr(0, thread_colon);
  }
  const auto pid_colon = worker.rfind(':');
  if (pid_colon == std::string_view::npos || pid_colon == 0) {
    return std::nullopt;
  }
  WorkerName name{std::string(worker.substr(0, pid_colon)), 0};
  const char* first = worker.data() + pid_colon + 1;
  const char* last = worker.data() + worker.size();
  const auto [end, error] = std::from_chars(first, last, name.pid);
  if (error != std::errc() || end != last || name.pid <= 0) {
    return std::nullopt;
  }
  return name;
}

} // namespace

bool process_alive(long pid) {
  // EPERM: the process exists but belongs to another user.
  return ::kill(static_cast<pid_t>(pid), 0) == 0 || errno == EPERM;
}

Result<LeaseRecovery> recover_leases_of_dead_pushes(store::OutboxStore& store,
                                                    const std::string& host, long own_pid,
                                                    const ProcessAlive& alive) {
  LEADSYNC_TRY(const auto holders, store.outbox_lease_holders());
  LeaseRecovery recovery;
  for (const auto& holder : holders) {
    const auto name = parse_worker_name(holder.first, /*with_thread=*/true);
    const bool gone = name && name->host == host && name->pid != own_pid && !alive(name->pid);
    const bool freed_already =
        gone && std::find(recovery.dead_pids.begin(), recovery.dead_pids.end(), name->pid) !=
                    recovery.dead_pids.end();
    if (!gone || freed_already) { // freeing a process frees all of its threads
      continue;
    }
    LEADSYNC_TRY(const auto freed,
                 store.release_leases_of(process_name(name->host, name->pid) + ":"));
    recovery.freed += freed;
    recovery.dead_pids.push_back(name->pid);
  }
  return recovery;
}

Result<std::int64_t>
recover_webhook_events_of_dead_processes(store::WebhookStore& store, const std::string& host,
                                         long own_pid, std::chrono::system_clock::time_point now,
                                         const ProcessAlive& alive, std::size_t recent) {
  LEADSYNC_TRY(const auto events, store.list_webhook_events(recent));
  std::int64_t freed = 0;
  for (const auto& event : events) {
    if (event.state != store::WebhookEventState::pending || event.lease_owner.empty() ||
        !event.lease_until || *event.lease_until <= now) {
      continue; // free, expired (claimable anyway) or finished
    }
    const auto name = parse_worker_name(event.lease_owner, /*with_thread=*/true);
    if (!name || name->host != host || name->pid == own_pid || alive(name->pid)) {
      continue;
    }
    LEADSYNC_CHECK(store.retry_webhook_event(
        event.seq, event.lease_owner,
        "the daemon processing it stopped (process " + std::to_string(name->pid) + ")", now));
    ++freed;
  }
  return freed;
}

Result<int> interrupt_runs_of_dead_processes(store::RunStore& store, const std::string& host,
                                             long own_pid,
                                             std::chrono::system_clock::time_point now,
                                             const ProcessAlive& alive, std::size_t recent) {
  LEADSYNC_TRY(auto runs, store.list_runs(recent));
  int interrupted = 0;
  for (auto& run : runs) {
    if (run.status != "running") {
      continue;
    }
    const auto owner = parse_worker_name(run.owner, /*with_thread=*/false);
    if (!owner || owner->host != host || owner->pid == own_pid || alive(owner->pid)) {
      continue;
    }
    run.status = "interrupted";
    run.finished_at = now;
    run.message = "process " + std::to_string(owner->pid) +
                  " stopped before the run finished (killed, crashed or the machine restarted); "
                  "the time is when this was noticed";
    LEADSYNC_CHECK(store.finish_run(run));
    ++interrupted;
  }
  return interrupted;
}

} // namespace leadsync::sync
