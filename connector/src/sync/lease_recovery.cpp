#include "leadsync/sync/lease_recovery.hpp"

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <csignal>
#include <optional>

namespace leadsync::sync {
namespace {

struct WorkerName {
  std::string host;
  long pid = 0;
};

// "<host>:<pid>:<n>" as local_worker_name and the pusher make it; nullopt for other forms.
std::optional<WorkerName> parse_worker_name(const std::string& worker) {
  const auto thread_colon = worker.rfind(':');
  if (thread_colon == std::string::npos || thread_colon == 0) {
    return std::nullopt;
  }
  const auto pid_colon = worker.rfind(':', thread_colon - 1);
  if (pid_colon == std::string::npos) {
    return std::nullopt;
  }
  WorkerName name{worker.substr(0, pid_colon), 0};
  const char* first = worker.data() + pid_colon + 1;
  const char* last = worker.data() + thread_colon;
  const auto [end, error] = std::from_chars(first, last, name.pid);
  if (error != std::errc() || end != last || name.pid <= 0) {
    return std::nullopt;
  }
  return name;
}

} // namespace

std::string local_worker_name(const std::string& host, long pid) {
  return (host.empty() ? std::string("localhost") : host) + ":" + std::to_string(pid);
}

bool process_alive(long pid) {
  // EPERM: the process exists but belongs to another user.
  return ::kill(static_cast<pid_t>(pid), 0) == 0 || errno == EPERM;
}

Result<LeaseRecovery> recover_leases_of_dead_pushes(store::Store& store, const std::string& host,
                                                    long own_pid, const ProcessAlive& alive) {
  LEADSYNC_TRY(const auto holders, store.outbox_lease_holders());
  const std::string local_host = host.empty() ? std::string("localhost") : host;
  LeaseRecovery recovery;
  for (const auto& [worker, entries] : holders) {
    const auto name = parse_worker_name(worker);
    const bool gone = name && name->host == local_host && name->pid != own_pid && !alive(name->pid);
    if (!gone) {
      recovery.held_by_others += entries;
      const std::string holder = name ? local_worker_name(name->host, name->pid) : worker;
      if (std::find(recovery.holders.begin(), recovery.holders.end(), holder) ==
          recovery.holders.end()) {
        recovery.holders.push_back(holder);
      }
      continue;
    }
    if (std::find(recovery.dead_pids.begin(), recovery.dead_pids.end(), name->pid) !=
        recovery.dead_pids.end()) {
      continue; // all of this process's threads were freed by the prefix already
    }
    LEADSYNC_TRY(const auto freed,
                 store.release_leases_of(local_worker_name(name->host, name->pid) + ":"));
    recovery.freed += freed;
    recovery.dead_pids.push_back(name->pid);
  }
  return recovery;
}

} // namespace leadsync::sync
