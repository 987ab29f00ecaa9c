#include "leadsync/jobs/presence.hpp"

#include "leadsync/core/log.hpp"
#include "leadsync/core/process.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <unistd.h>

namespace leadsync::jobs {

PresenceSettings presence_settings(const config::Config& config, std::string kind) {
  PresenceSettings settings;
  settings.kind = std::move(kind);
  if (config.crm.auth.mode == config::AuthMode::client_credentials) {
    settings.crm_user = config.crm.auth.client_id;
  }
  return settings;
}

Result<std::unique_ptr<WorkerPresence>> WorkerPresence::start(store::WorkerStore& store,
                                                              Clock& clock,
                                                              PresenceSettings settings,
                                                              bool run_thread) {
  if (settings.host.empty()) {
    settings.host = host_name();
  }
  if (settings.pid == 0) {
    settings.pid = static_cast<long>(::getpid());
  }
  std::string id = process_name(settings.host, settings.pid);
  std::unique_ptr<WorkerPresence> presence(
      new WorkerPresence(store, clock, std::move(settings), std::move(id)));
  const auto now = clock.now();
  LEADSYNC_CHECK(store.register_worker({.id = presence->id_,
                                        .host = presence->settings_.host,
                                        .pid = presence->settings_.pid,
                                        .kind = presence->settings_.kind,
                                        .crm_user = presence->settings_.crm_user,
                                        .started_at = now,
                                        .heartbeat_at = now,
                                        .outbox_held = 0,
                                        .webhook_events_held = 0}));
  if (run_thread) {
    presence->thread_ = std::thread([raw = presence.get()] { raw->run(); });
  }
  return presence;
}

WorkerPresence::WorkerPresence(store::WorkerStore& store, Clock& clock, PresenceSettings settings,
                               std::string id)
    : store_(store), clock_(clock), settings_(std::move(settings)), id_(std::move(id)) {}

WorkerPresence::~WorkerPresence() {
  stop_.cancel();
  if (thread_.joinable()) {
    thread_.join();
  }
  std::map<std::string, int> held;
  {
    MutexLock lock(mutex_);
    held.swap(held_);
  }
  for (const auto& [name, holders] : held) {
    (void)store_.release_lease(name, id_);
  }
  if (auto removed = store_.unregister_worker(id_); !removed.ok()) {
    log::get()->warn("worker {}: cannot unregister from the store ({}); the others reap it after "
                     "{} s",
                     id_, removed.error().describe(), settings_.dead_after.count() / 1000);
  }
}

Status WorkerPresence::beat() {
  const auto now = clock_.now();
  auto extended = store_.heartbeat_worker(id_, now, settings_.lease);
  if (!extended.ok()) {
    if (extended.error().category != ErrorCategory::not_found) {
      return extended.error();
    }
    log::get()->warn("worker {}: the others took it for dead (no heartbeat for {} s) and took "
                     "over its work; registering again",
                     id_, settings_.dead_after.count() / 1000);
    LEADSYNC_CHECK(store_.register_worker({.id = id_,
                                           .host = settings_.host,
                                           .pid = settings_.pid,
                                           .kind = settings_.kind,
                                           .crm_user = settings_.crm_user,
                                           .started_at = now,
                                           .heartbeat_at = now,
                                           .outbox_held = 0,
                                           .webhook_events_held = 0}));
  }
  std::vector<std::string> held;
  {
    MutexLock lock(mutex_);
    for (const auto& [name, holders] : held_) {
      held.push_back(name);
    }
  }
  for (const auto& name : held) {
    auto renewed = store_.try_lease(name, id_, now, settings_.lease);
    if (renewed.ok() && !*renewed) {
      log::get()->warn("worker {}: lost the lease {} to another worker", id_, name);
    }
  }
  auto reaped = store_.reap_dead_workers(now - settings_.dead_after);
  if (!reaped.ok()) {
    return reaped.error();
  }
  if (!reaped->workers.empty()) {
    log::get()->warn("worker(s) {} sent no heartbeat for {} s: taken for dead; the {} outbox "
                     "entr(ies) and {} webhook event(s) they held are free again",
                     fmt::format("{}", fmt::join(reaped->workers, ", ")),
                     settings_.dead_after.count() / 1000, reaped->outbox_freed,
                     reaped->webhook_events_freed);
  }
  return ok_status();
}

Result<bool> WorkerPresence::hold(const std::string& name) {
  LEADSYNC_TRY(const bool taken, store_.try_lease(name, id_, clock_.now(), settings_.lease));
  if (taken) {
    MutexLock lock(mutex_);
    ++held_[name];
  }
  return taken;
}

void WorkerPresence::drop(const std::string& name) {
  {
    MutexLock lock(mutex_);
    auto found = held_.find(name);
    if (found == held_.end()) {
      return;
    }
    if (--found->second > 0) {
      return;
    }
    held_.erase(found);
  }
  (void)store_.release_lease(name, id_);
}

void WorkerPresence::run() {
  const auto cancel = stop_.token();
  while (cancel.wait_for(settings_.heartbeat)) { // false once stopped
    if (Status beaten = beat(); !beaten.ok()) {
      log::get()->warn("worker {}: heartbeat failed ({}); retried in {} s", id_,
                       beaten.error().describe(), settings_.heartbeat.count() / 1000);
    }
  }
}

} // namespace leadsync::jobs
