#include "leadsync/daemon/daemon.hpp"

#include "leadsync/core/log.hpp"
#include "leadsync/core/mutex.hpp"
#include "leadsync/core/process.hpp"
#include "leadsync/core/secrets.hpp"
#include "leadsync/daemon/endpoints.hpp"
#include "leadsync/daemon/metrics.hpp"
#include "leadsync/daemon/notify.hpp"
#include "leadsync/daemon/scheduler.hpp"
#include "leadsync/daemon/signals.hpp"
#include "leadsync/daemon/watch_folder.hpp"
#include "leadsync/dataverse/connect.hpp"
#include "leadsync/enrich/enricher.hpp"
#include "leadsync/http/failure.hpp"
#include "leadsync/http/options_from_config.hpp"
#include "leadsync/http/server.hpp"
#include "leadsync/jobs/enrich.hpp"
#include "leadsync/jobs/import.hpp"
#include "leadsync/jobs/job_kind.hpp"
#include "leadsync/jobs/presence.hpp"
#include "leadsync/jobs/pull.hpp"
#include "leadsync/jobs/push.hpp"
#include "leadsync/jobs/qualify.hpp"
#include "leadsync/jobs/runtime.hpp"
#include "leadsync/jobs/webhook_events.hpp"
#include "leadsync/store/open.hpp"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <csignal>
#include <cstdlib>
#include <fmt/format.h>
#include <fstream>
#include <list>
#include <map>
#include <mutex>
#include <optional>
#include <thread>
#include <tuple>
#include <unistd.h>

namespace leadsync::daemon {

namespace {

using namespace std::chrono_literals;
constexpr auto main_loop_period = 1s;
constexpr auto webhook_poll_period = 1s; // a safety net: events also wake the worker (in this
                                         // process directly, from other processes by NOTIFY)
constexpr auto notify_wait_slice = 1s;
constexpr auto watch_poll_period = 1s;
// The main loop pings the watchdog only while the workers show progress this recently.
constexpr auto worker_stall_limit = 120s;

std::string_view status_text(jobs::RunStatus status) {
  return jobs::to_string(status);
}

RunOutcome run_outcome(jobs::RunStatus status) {
  switch (status) {
  case jobs::RunStatus::ok:
  case jobs::RunStatus::running:
    return RunOutcome::ok;
  case jobs::RunStatus::partial:
    return RunOutcome::partial;
  case jobs::RunStatus::interrupted:
    return RunOutcome::interrupted;
  case jobs::RunStatus::failed:
    break;
  }
  return RunOutcome::failed;
}

// Whether an error means the CRM could not be reached or refused us (readiness), rather than a
// problem with one record.
bool crm_unreachable(const Error& error) {
  return http::classify_failure(error).crm_unreachable;
}

// Loads and validates the config file; the problems, each on its own, when it has any.
Result<config::Config> reload_config(const std::filesystem::path& file,
                                     std::vector<std::string>& problems) {
  auto loaded = config::load_config(file);
  if (!loaded.ok()) {
    problems.push_back(loaded.error().message);
    return loaded.error();
  }
  for (const auto& problem : config::validate(*loaded)) {
    problems.push_back(problem.describe());
  }
  if (!problems.empty()) {
    return Error::make(ErrorCategory::config,
                       fmt::format("{} problem(s) in {}", problems.size(), file.string()));
  }
  return std::move(loaded->config);
}

std::vector<JobSchedule> schedules_of(const config::Config& config) {
  std::vector<JobSchedule> schedules;
  for (const jobs::JobKind kind : jobs::all_job_kinds) {
    if (kind == jobs::JobKind::import) {
      continue; // the watched folder, not a schedule
    }
    schedules.push_back({.name = std::string(jobs::to_string(kind)),
                         .schedule = jobs::schedule_expression(config.schedule, kind),
                         .time_zone = config.schedule.timezone});
  }
  return schedules;
}

class Daemon {
public:
  explicit Daemon(DaemonOptions options) : options_(std::move(options)) {}
  Daemon(const Daemon&) = delete;
  Daemon& operator=(const Daemon&) = delete;
  ~Daemon() { shut_down(); }

  Status run();

private:
  Status start();
  void main_loop();
  void shut_down();
  void reload();
  std::shared_ptr<jobs::Runtime> runtime() {
    MutexLock lock(runtime_mutex_);
    return runtime_;
  }
  Result<std::shared_ptr<jobs::Runtime>> make_runtime(const config::Config& config, bool recover);

  // Scheduled jobs, each on a thread of its own.
  Status launch(const Firing& firing);
  jobs::RunStatus run_job(jobs::JobKind kind, jobs::Runtime& runtime,
                          const CancellationToken& cancel, std::string& message);
  void reap_finished_jobs();
  void observe_enrichment(const enrich::EnrichOutcome& figures);
  void count_skipped_firings();

  void webhook_worker();
  void wake_webhook_worker();
  void notify_listener();
  void watch_worker();
  // The singleton lease a job of this kind runs under, so that workers sharing the store never run
  // it twice at once; empty for jobs every worker runs (push: the outbox is claimed per entry).
  static std::string singleton_lease_of(jobs::JobKind kind);
  ImportOutcome import_file(const WatchedFile& file, const CancellationToken& cancel);
  void set_crm_reachable(bool reachable, std::string_view detail);

  DaemonOptions options_;
  std::string worker_;
  SystemdNotifier notifier_;
  std::unique_ptr<SignalWatcher> signals_;
  CancellationSource stop_;

  std::shared_ptr<store::Store> store_;
  std::unique_ptr<jobs::WorkerPresence> presence_;
  std::unique_ptr<store::WorkWaiter> waiter_; // PostgreSQL's LISTEN; null for SQLite
  std::thread notify_thread_;
  Mutex runtime_mutex_;
  // Swapped by reload(); readers take a copy of the pointer (runtime()).
  std::shared_ptr<jobs::Runtime> runtime_ GUARDED_BY(runtime_mutex_);
  config::Config config_; // the running config (main loop only)

  std::unique_ptr<Metrics> metrics_;
  std::shared_ptr<http::RequestObserver> observer_;
  std::unique_ptr<Endpoints> endpoints_;
  std::unique_ptr<http::HttpServer> server_;
  std::unique_ptr<Scheduler> scheduler_;
  std::thread scheduler_thread_;
  std::unique_ptr<WatchFolder> watch_;
  std::thread watch_thread_;

  Mutex jobs_mutex_;
  struct RunningJob {
    std::string name;
    std::thread thread;
    std::shared_ptr<std::atomic<bool>> done;
  };
  std::list<RunningJob> running_ GUARDED_BY(jobs_mutex_);

  std::thread webhook_thread_;
  Mutex webhook_mutex_;
  CondVar webhook_wake_;

  // Progress marks for the watchdog: steady-clock ticks of the last loop of each worker.
  std::atomic<std::int64_t> webhook_alive_{0};
  std::atomic<std::int64_t> watch_alive_{0};
  std::atomic<bool> reload_requested_{false};
  std::atomic<bool> webhook_done_{false};
  std::atomic<bool> watch_done_{false};
  std::map<std::string, std::int64_t> skipped_seen_; // per job, for leadsync_job_skipped_total
  bool webhook_pending_ GUARDED_BY(webhook_mutex_) = false;
  bool shut_down_ = false;
  bool forced_ = false; // work was still in flight when the grace period ended
};

std::int64_t steady_ticks() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

Result<std::shared_ptr<jobs::Runtime>> Daemon::make_runtime(const config::Config& config,
                                                            bool recover) {
  jobs::RuntimeOptions options;
  options.recover = recover;
  options.connect = [observer = observer_](const config::Config& with) {
    dataverse::ConnectOptions connect_options;
    connect_options.observer = observer;
    return dataverse::connect(with, connect_options);
  };
  LEADSYNC_TRY(auto made, jobs::Runtime::create(config, store_, std::move(options)));
  return std::shared_ptr<jobs::Runtime>(std::move(made));
}

Status Daemon::start() {
  config_ = options_.config;
  worker_ = process_name(host_name(), ::getpid()) + ":webhook";
  // Signals first: blocked here, before any thread starts, so that every thread inherits the mask.
  signals_ = std::make_unique<SignalWatcher>(
      SignalCallbacks{.on_stop =
                          [this](int /*signal*/) {
                            // The watcher has logged the signal.
                            // [server] changes need a restart: the start-up config's grace.
                            log::get()->info("in-flight work gets up to {} s to finish",
                                             options_.config.server.shutdown_grace_s);
                            stop_.cancel();
                          },
                      .on_reload = [this] { reload_requested_ = true; },
                      .on_second_stop =
                          [](int) {
                            log::get()->warn("second stop signal: exiting at once");
                            std::_Exit(0);
                          }});

  LEADSYNC_TRY(auto opened, store::open_store(config_.store.url, config_.base_dir));
  store_ = std::shared_ptr<store::Store>(std::move(opened));
  // Registered in the store while it runs: other workers sharing it see it alive, its leases are
  // extended by heartbeat, and it reaps workers that died (jobs/presence.hpp).
  LEADSYNC_TRY(presence_, jobs::WorkerPresence::start(*store_, SystemClock::instance(),
                                                      jobs::presence_settings(config_, "daemon")));
  LEADSYNC_TRY(waiter_, store_->open_work_waiter());

  metrics_ = std::make_unique<Metrics>(
      MetricsOptions{.version = options_.version, .start_time = {}, .clock = nullptr});
  metrics_->set_refresh([this](Metrics& metrics) -> Status {
    LEADSYNC_CHECK(metrics.refresh_from_store(*store_));
    // Requests left in each provider's daily and monthly quota (none when it has no quota).
    const auto runtime = this->runtime();
    const auto periods = enrich::usage_periods(runtime->clock().now());
    for (const auto& provider : runtime->config().enrich.providers) {
      for (const auto& [period, key, quota] :
           {std::tuple{"day", periods.day, provider.daily_quota},
            std::tuple{"month", periods.month, provider.monthly_quota}}) {
        std::optional<std::int64_t> left;
        if (quota > 0) {
          LEADSYNC_TRY(const auto used, store_->get_usage(provider.name, key));
          left = std::max<std::int64_t>(0, quota - used.requests);
        }
        metrics.set_provider_quota_remaining(provider.name, period, left);
      }
    }
    return ok_status();
  });
  observer_ = crm_request_observer(*metrics_);
  LEADSYNC_TRY(const auto runtime, make_runtime(config_, true));
  {
    MutexLock lock(runtime_mutex_); // uncontended: no other thread runs yet
    runtime_ = runtime;
  }
  for (const auto& warning : runtime->recovery().warnings) {
    log::get()->warn("start-up recovery: {}", warning);
  }
  if (runtime->recovery().runs_interrupted > 0 || runtime->recovery().leases.freed > 0) {
    log::get()->info("start-up recovery: {} run(s) of stopped processes marked interrupted, {} "
                     "change(s) they held freed",
                     runtime->recovery().runs_interrupted, runtime->recovery().leases.freed);
  }

  LEADSYNC_TRY(const Secret secret, load_webhook_secret(config_));
  WebhookAuth auth;
  auth.type = config_.server.webhook_auth == config::WebhookAuth::header
                  ? WebhookAuthType::http_header
                  : WebhookAuthType::webhook_key;
  auth.header_name = config_.server.webhook_header;
  auth.secret = secret;
  EndpointsOptions endpoint_options;
  endpoint_options.store = store_.get();
  endpoint_options.metrics = metrics_.get();
  endpoint_options.auth = auth;
  endpoint_options.max_webhook_body_bytes =
      static_cast<std::size_t>(config_.server.body_limit_kb) * 1024;
  endpoint_options.on_event = [this](const store::WebhookEvent&) { wake_webhook_worker(); };
  LEADSYNC_TRY(endpoints_, Endpoints::create(std::move(endpoint_options)));
  endpoints_->set_readiness(ReadinessCheck::store, true);
  endpoints_->set_readiness(ReadinessCheck::config, true);
  // One WhoAmI, so that /readyz tells the truth about the CRM from the start; not fatal: the
  // daemon serves the webhook and its schedules try again.
  {
    const http::CallScope probe{.cancel = stop_.token(),
                                .stats = nullptr,
                                .deadline = std::chrono::steady_clock::now() + 10s};
    std::optional<Error> unreachable;
    if (auto link = runtime->crm(); !link.ok()) {
      unreachable = link.error();
    } else if (auto who = (*link)->connection.client->who_am_i(probe); !who.ok()) {
      unreachable = who.error();
    }
    if (unreachable) {
      endpoints_->set_crm_unreachable(*unreachable);
      log::get()->warn("the CRM is not reachable yet: {}", unreachable->message);
    } else {
      endpoints_->set_readiness(ReadinessCheck::crm, true);
    }
  }
  endpoints_->heartbeat();

  config::ServerOptions listen_on = config_.server;
  if (!options_.listen.empty()) { // --listen
    listen_on.listen = options_.listen;
  }
  LEADSYNC_TRY(http::ServerOptions server_options, http::server_options_from(listen_on));
  server_options.threads = 4;
  server_options.body_limit = endpoints_->max_body_bytes();
  server_ = http::make_beast_server(server_options);
  LEADSYNC_TRY(const auto port, server_->start(endpoints_->handler()));
  if (!options_.port_file.empty()) {
    std::ofstream(options_.port_file) << port << "\n";
  }

  LEADSYNC_TRY(scheduler_,
               Scheduler::create(schedules_of(config_), *store_,
                                 [this](const Firing& firing) { return launch(firing); }));
  for (const auto& job : scheduler_->snapshot()) {
    metrics_->set_job_next_run(job.name, job.next_run);
  }
  if (!config_.schedule.import_watch.empty()) {
    WatchFolderOptions watch_options;
    watch_options.folder = config::resolve_path(config_, config_.schedule.import_watch);
    watch_options.settle_time = std::chrono::seconds(config_.schedule.import_watch_settle_s);
    LEADSYNC_TRY(
        watch_, WatchFolder::open(watch_options, *store_,
                                  [this](const WatchedFile& file, const CancellationToken& cancel) {
                                    return import_file(file, cancel);
                                  }));
  }

  webhook_alive_ = steady_ticks();
  watch_alive_ = steady_ticks();
  webhook_thread_ = std::thread([this] {
    webhook_worker();
    webhook_done_ = true;
  });
  scheduler_thread_ = std::thread([this] { scheduler_->run(stop_.token()); });
  if (waiter_) {
    notify_thread_ = std::thread([this] { notify_listener(); });
  }
  if (watch_) {
    watch_thread_ = std::thread([this] {
      watch_worker();
      watch_done_ = true;
    });
  }
  log::get()->info("leadsync daemon listening on {}:{}, store {}, webhook at "
                   "/webhooks/dataverse, metrics at /metrics",
                   server_options.address, port, config_.store.url);
  for (const auto& job : scheduler_->snapshot()) {
    log::get()->info("schedule {}: {}, next run {}", job.name, job.schedule, next_run_text(job));
  }
  (void)notifier_.ready(fmt::format("listening on {}:{}", server_options.address, port));
  return ok_status();
}

Status Daemon::run() {
  if (Status started = start(); !started.ok()) {
    shut_down();
    return started;
  }
  main_loop();
  shut_down();
  if (forced_) {
    // Threads still running jobs refer to this daemon: end the process here, as systemd's SIGKILL
    // would, rather than destroy what they use. Their work is safe in the store (leases expire).
    log::get()->flush();
    std::_Exit(0);
  }
  return ok_status();
}

void Daemon::main_loop() {
  const auto watchdog = notifier_.watchdog_interval();
  const auto period =
      watchdog
          ? std::min<std::chrono::milliseconds>(
                main_loop_period, std::chrono::duration_cast<std::chrono::milliseconds>(*watchdog))
          : std::chrono::milliseconds(main_loop_period);
  auto last_store_check = std::chrono::steady_clock::now() - 1h;
  while (!stop_.cancelled()) {
    endpoints_->heartbeat();
    if (reload_requested_.exchange(false)) {
      reload();
    }
    reap_finished_jobs();
    const auto now = std::chrono::steady_clock::now();
    if (now - last_store_check >= 5s) {
      last_store_check = now;
      const auto probe = store_->get_checkpoint("daemon:probe");
      endpoints_->set_readiness(ReadinessCheck::store, probe.ok(),
                                probe.ok() ? "" : probe.error().message);
    }
    const auto stalled = [&](const std::atomic<std::int64_t>& mark) {
      return steady_ticks() - mark.load() >
             std::chrono::duration_cast<std::chrono::milliseconds>(worker_stall_limit).count();
    };
    if (watchdog && !stalled(webhook_alive_) && !(watch_ && stalled(watch_alive_))) {
      (void)notifier_.watchdog();
    }
    for (const auto& job : scheduler_->snapshot()) {
      metrics_->set_job_next_run(job.name, job.next_run);
    }
    count_skipped_firings();
    (void)stop_.token().wait_for(period);
  }
}

void Daemon::reload() {
  (void)notifier_.reloading();
  std::vector<std::string> problems;
  auto loaded = reload_config(options_.config_file, problems);
  if (!loaded.ok()) {
    for (const auto& problem : problems) {
      log::get()->error("reload: {}", problem);
    }
    log::get()->error("reload refused: keeping the running config ({})", loaded.error().message);
    (void)notifier_.ready("reload refused; running the previous config");
    return;
  }
  config::Config fresh = std::move(loaded).value();
  if (fresh.store.url != config_.store.url) {
    log::get()->warn("reload: store.url changed; it applies after a restart (the running store "
                     "stays {})",
                     config_.store.url);
    fresh.store.url = config_.store.url;
  }
  if (fresh.server.listen != config_.server.listen ||
      fresh.server.webhook_auth != config_.server.webhook_auth ||
      fresh.server.webhook_header != config_.server.webhook_header ||
      fresh.schedule.import_watch != config_.schedule.import_watch) {
    log::get()->warn("reload: [server] and schedule.import_watch changes apply after a restart");
  }
  auto made = make_runtime(fresh, false);
  if (!made.ok()) {
    log::get()->error("reload refused: keeping the running config ({})", made.error().describe());
    (void)notifier_.ready("reload refused; running the previous config");
    return;
  }
  if (Status replaced = scheduler_->replace(schedules_of(fresh)); !replaced.ok()) {
    log::get()->error("reload refused: keeping the running config ({})",
                      replaced.error().describe());
    (void)notifier_.ready("reload refused; running the previous config");
    return;
  }
  log::init(log::options_from(fresh.log));
  {
    MutexLock lock(runtime_mutex_);
    runtime_ = std::move(made).value();
  }
  config_ = std::move(fresh);
  log::get()->info("reloaded {}: the next run of each job uses it", options_.config_file.string());
  (void)notifier_.ready("reloaded");
}

Status Daemon::launch(const Firing& firing) {
  const auto kind = jobs::parse_job_kind(firing.job);
  if (!kind) {
    return Error::make(ErrorCategory::internal, "unknown job " + firing.job);
  }
  auto runtime = this->runtime();
  auto done = std::make_shared<std::atomic<bool>>(false);
  MutexLock lock(jobs_mutex_);
  if (stop_.cancelled()) {
    return Error::make(ErrorCategory::cancelled, "the daemon is stopping");
  }
  running_.push_back({.name = firing.job, .thread = {}, .done = done});
  running_.back().thread = std::thread([this, kind = *kind, name = firing.job, runtime, done] {
    const log::JobScope job_scope(name);
    const std::string lease = singleton_lease_of(kind);
    if (!lease.empty()) {
      auto held = presence_->hold(lease);
      if (!held.ok() || !*held) {
        const std::string why = held.ok() ? "another worker sharing the store is running it"
                                          : "its lease cannot be taken: " + held.error().message;
        log::get()->info("{} skipped: {}", name, why);
        metrics_->count_job_skipped(name, "other_worker");
        (void)scheduler_->finished(name, RunOutcome::ok, "skipped: " + why);
        *done = true;
        return;
      }
    }
    const auto started = std::chrono::steady_clock::now();
    std::string message;
    const jobs::RunStatus status = run_job(kind, *runtime, stop_.token(), message);
    if (!lease.empty()) {
      presence_->drop(lease);
    }
    metrics_->observe_job_run(name, status_text(status), std::chrono::steady_clock::now() - started,
                              runtime->clock().now());
    (void)scheduler_->finished(name, run_outcome(status), message);
    *done = true;
  });
  return ok_status();
}

jobs::RunStatus Daemon::run_job(jobs::JobKind kind, jobs::Runtime& runtime,
                                const CancellationToken& cancel, std::string& message) {
  const jobs::JobContext context{.cancel = cancel, .on_progress = {}};
  const auto summarize = [&](const auto& outcome) {
    if (!outcome.ok()) {
      message = outcome.error().describe();
      if (crm_unreachable(outcome.error()) && endpoints_) {
        endpoints_->set_crm_unreachable(outcome.error());
      }
      log::get()->error("{} failed: {}", jobs::to_string(kind), message);
      return jobs::RunStatus::failed;
    }
    message = outcome->run.message;
    if (kind != jobs::JobKind::qualify && kind != jobs::JobKind::enrich) {
      set_crm_reachable(true, "");
    }
    log::get()->info("{} finished: {}{}", jobs::to_string(kind),
                     jobs::to_string(outcome->run.status),
                     message.empty() ? "" : " (" + message + ")");
    return outcome->run.status;
  };
  switch (kind) {
  case jobs::JobKind::pull:
    return summarize(jobs::run_pull(runtime, {}, context));
  case jobs::JobKind::push:
    return summarize(jobs::run_push(runtime, {}, context));
  case jobs::JobKind::enrich: {
    jobs::EnrichRequest request;
    request.selection = enrich::Selection::new_leads;
    auto outcome = jobs::run_enrich(runtime, request, context);
    if (outcome.ok()) {
      observe_enrichment(outcome->figures);
    }
    return summarize(outcome);
  }
  case jobs::JobKind::qualify:
    return summarize(jobs::run_qualify(runtime, {}, context));
  case jobs::JobKind::import:
    break;
  }
  message = "not a scheduled job";
  return jobs::RunStatus::failed;
}

// Each lookup a run made, matched or not, with the credits it spent, per provider.
void Daemon::observe_enrichment(const enrich::EnrichOutcome& figures) {
  for (const auto& [provider, tally] : figures.providers) {
    for (std::int64_t lookup = 0; lookup < tally.lookups; ++lookup) {
      metrics_->observe_enrichment_lookup(provider, lookup < tally.matched,
                                          lookup == 0 ? tally.credits_spent : 0);
    }
  }
}

// The firings the scheduler skipped since the last look (their job was still running).
void Daemon::count_skipped_firings() {
  for (const auto& job : scheduler_->snapshot()) {
    auto& seen = skipped_seen_[job.name];
    for (; seen < job.skipped; ++seen) {
      metrics_->count_job_skipped(job.name, "overlap");
    }
  }
}

void Daemon::reap_finished_jobs() {
  MutexLock lock(jobs_mutex_);
  for (auto job = running_.begin(); job != running_.end();) {
    if (job->done->load()) {
      job->thread.join();
      job = running_.erase(job);
    } else {
      ++job;
    }
  }
}

void Daemon::set_crm_reachable(bool reachable, std::string_view detail) {
  if (endpoints_) {
    endpoints_->set_readiness(ReadinessCheck::crm, reachable, detail);
  }
}

std::string Daemon::singleton_lease_of(jobs::JobKind kind) {
  switch (kind) {
  case jobs::JobKind::pull:
  case jobs::JobKind::enrich:
  case jobs::JobKind::qualify:
    return "job:" + std::string(jobs::to_string(kind));
  case jobs::JobKind::push:
  case jobs::JobKind::import:
    break;
  }
  return {};
}

void Daemon::wake_webhook_worker() {
  {
    MutexLock lock(webhook_mutex_);
    webhook_pending_ = true;
  }
  webhook_wake_.notify_one();
}

// Waits for the store's work signal (PostgreSQL NOTIFY from any process adding a webhook event)
// and wakes the webhook worker, so an event received by another daemon is taken at once, not at
// the next poll.
void Daemon::notify_listener() {
  const auto cancel = stop_.token();
  while (!cancel.cancelled()) {
    auto signalled = waiter_->wait(notify_wait_slice);
    if (!signalled.ok()) {
      log::get()->warn("work notifications: {}; polling meanwhile", signalled.error().describe());
      (void)cancel.wait_for(notify_wait_slice);
      continue;
    }
    if (*signalled) {
      wake_webhook_worker();
    }
  }
}

void Daemon::webhook_worker() {
  const auto cancel = stop_.token();
  while (!cancel.cancelled()) {
    webhook_alive_ = steady_ticks();
    auto runtime = this->runtime();
    jobs::WebhookJobSettings settings;
    settings.worker = worker_;
    settings.lease = std::chrono::seconds(runtime->config().server.webhook_lease_s);
    settings.max_attempts = runtime->config().server.webhook_max_attempts;
    const auto started = std::chrono::steady_clock::now();
    std::optional<log::JobScope> job_scope(std::in_place, "webhook");
    auto outcome =
        jobs::run_webhook_events(*runtime, settings, {.cancel = cancel, .on_progress = {}});
    job_scope.reset();
    if (!outcome.ok()) {
      log::get()->error("webhook events: {}", outcome.error().describe());
    } else if (outcome->claimed > 0) {
      for (const auto lag : outcome->lags) {
        metrics_->observe_webhook_processed("updated", std::chrono::duration<double>(lag));
      }
      for (std::int64_t index = 0; index < outcome->own; ++index) {
        metrics_->observe_webhook_processed("own", std::nullopt);
      }
      for (std::int64_t index = 0; index < outcome->gone; ++index) {
        metrics_->observe_webhook_processed("gone", std::nullopt);
      }
      for (std::int64_t index = 0; index < outcome->failed; ++index) {
        metrics_->observe_webhook_processed("failed", std::nullopt);
      }
      metrics_->observe_job_run("webhook", status_text(outcome->run.status),
                                std::chrono::steady_clock::now() - started, runtime->clock().now());
      set_crm_reachable(outcome->run.status != jobs::RunStatus::failed,
                        outcome->run.status == jobs::RunStatus::failed ? outcome->run.message : "");
      if (outcome->claimed >= static_cast<std::int64_t>(settings.batch_size) ||
          outcome->processed + outcome->own + outcome->gone > 0) {
        continue; // more may be waiting
      }
    }
    // Registered before the lock is taken: on a token cancelled already the callback runs at once,
    // on this thread, and takes the lock itself. (Declared first, it is destroyed after the lock.)
    auto registration = cancel.on_cancel([this] {
      {
        MutexLock wake_lock(webhook_mutex_);
        webhook_pending_ = true;
      }
      webhook_wake_.notify_one();
    });
    UniqueLock lock(webhook_mutex_);
    webhook_wake_.wait_for(lock, webhook_poll_period, [this] {
      webhook_mutex_.assert_held();
      return webhook_pending_;
    });
    webhook_pending_ = false;
  }
}

void Daemon::watch_worker() {
  const auto cancel = stop_.token();
  // One worker at a time watches the folder (several daemons may mount the same share); another
  // takes over within a heartbeat or two of its stopping.
  const std::string lease =
      "import-folder:" +
      config::resolve_path(config_, config_.schedule.import_watch).lexically_normal().string();
  bool holding = false;
  bool told = false;
  while (!cancel.cancelled()) {
    watch_alive_ = steady_ticks();
    if (!holding) {
      auto held = presence_->hold(lease); // kept and renewed by the heartbeat once taken
      holding = held.ok() && *held;
      if (!holding) {
        if (!told) {
          log::get()->info("watched folder: another worker sharing the store watches it; this "
                           "one takes over if it stops");
          told = true;
        }
        (void)cancel.wait_for(watch_poll_period);
        continue;
      }
    }
    auto results = watch_->poll(runtime()->clock().now(), cancel);
    if (!results.ok()) {
      log::get()->error("watched folder: {}", results.error().describe());
    } else {
      for (const auto& result : *results) {
        log::get()->info("watched folder: {} {}{}: {}", result.name, to_string(result.fate),
                         result.resumed ? " (resumed)" : "", result.message);
      }
    }
    (void)cancel.wait_for(watch_poll_period);
  }
  if (holding) {
    presence_->drop(lease);
  }
}

ImportOutcome Daemon::import_file(const WatchedFile& file, const CancellationToken& cancel) {
  const log::JobScope job_scope("import");
  auto runtime = this->runtime();
  jobs::ImportRequest request;
  request.file = file.path.string();
  request.vendor = file.options.vendor;
  request.list_id = file.options.list;
  request.exclusive = file.options.exclusive.value_or(false);
  request.shared = !file.options.exclusive.value_or(false);
  request.acquired = file.options.acquired;
  request.encoding = file.options.encoding;
  request.delimiter = file.options.delimiter;
  request.maps = file.options.map;
  request.region = file.options.region;
  request.errors_file = file.errors_file.string();
  request.resume = file.resume;
  if (jobs::import_format(request.file) == jobs::ImportFormat::jsonl) {
    jobs::ImportRequest jsonl;
    jsonl.file = request.file;
    request = std::move(jsonl);
  }
  const auto started = std::chrono::steady_clock::now();
  const jobs::JobContext context{.cancel = cancel, .on_progress = {}};
  auto outcome = jobs::run_import(*runtime, request, context);
  if (!outcome.ok() && request.resume) {
    // Nothing was committed before the stop, so there is nothing to resume: import it afresh
    // (rows already stored would be found as stored leads, never made twice).
    log::get()->info("watched folder: {}: {}; importing it afresh", file.name,
                     outcome.error().message);
    request.resume = false;
    outcome = jobs::run_import(*runtime, request, context);
  }
  ImportOutcome result;
  if (!outcome.ok()) {
    result.status = ImportStatus::failed;
    result.message = outcome.error().describe();
    metrics_->observe_job_run("import", "failed", std::chrono::steady_clock::now() - started,
                              runtime->clock().now());
    return result;
  }
  metrics_->observe_job_run("import", status_text(outcome->run.status),
                            std::chrono::steady_clock::now() - started, runtime->clock().now());
  switch (outcome->run.status) {
  case jobs::RunStatus::interrupted:
    result.status = ImportStatus::interrupted;
    break;
  case jobs::RunStatus::partial:
    result.status = ImportStatus::partial;
    break;
  case jobs::RunStatus::failed:
    result.status = ImportStatus::failed;
    break;
  default:
    result.status = ImportStatus::ok;
  }
  if (outcome->csv) {
    const auto& counts = outcome->csv->counts;
    result.message = fmt::format("{} row(s) read, {} new lead(s), {} merged, {} unchanged, {} "
                                 "rejected",
                                 counts.rows_read, counts.new_leads, counts.merged(),
                                 counts.unchanged, counts.rejected());
    if (counts.rejected() > 0) {
      result.error_file = file.errors_file;
    }
  } else if (outcome->jsonl) {
    result.message = fmt::format("{} line(s) read, {} lead(s) created, {} updated, {} rejected",
                                 outcome->jsonl->lines_read, outcome->jsonl->created,
                                 outcome->jsonl->updated, outcome->jsonl->rejected.size());
  }
  return result;
}

void Daemon::shut_down() {
  if (shut_down_) {
    return;
  }
  shut_down_ = true;
  stop_.cancel();
  (void)notifier_.stopping();
  if (endpoints_) {
    endpoints_->set_readiness(ReadinessCheck::shutdown, false, "stopping");
  }
  const auto grace = std::chrono::seconds(config_.server.shutdown_grace_s);
  const auto deadline = std::chrono::steady_clock::now() + grace;
  // The workers and jobs stop after the batch they are on (their token is cancelled); wait for
  // them within the grace period, then let the process end with whatever is left under lease
  // (the next start frees it).
  const auto join_until = [&](std::thread& thread, std::atomic<bool>* done) {
    while (thread.joinable()) {
      if (done == nullptr || done->load()) {
        thread.join();
        return true;
      }
      if (std::chrono::steady_clock::now() >= deadline) {
        thread.detach();
        return false;
      }
      std::this_thread::sleep_for(20ms);
    }
    return true;
  };
  bool all_stopped = true;
  if (scheduler_thread_.joinable()) {
    scheduler_thread_.join(); // returns promptly once cancelled
  }
  {
    MutexLock lock(jobs_mutex_);
    for (auto& job : running_) {
      all_stopped = join_until(job.thread, job.done.get()) && all_stopped;
    }
    running_.clear();
  }
  webhook_wake_.notify_all();
  if (waiter_) {
    waiter_->wake();
  }
  if (notify_thread_.joinable()) {
    notify_thread_.join(); // returns within one wait slice
  }
  all_stopped = join_until(webhook_thread_, &webhook_done_) && all_stopped;
  all_stopped = join_until(watch_thread_, &watch_done_) && all_stopped;
  if (server_) {
    server_->stop();
  }
  if (store_) {
    (void)store_->release_leases_of(process_name(host_name(), ::getpid()));
  }
  if (all_stopped) {
    presence_.reset(); // unregisters; after a forced stop the others reap it instead
  }
  forced_ = !all_stopped;
  if (!all_stopped) {
    log::get()->warn("stopped after the {} s grace period with work in flight; the next start "
                     "takes it up",
                     config_.server.shutdown_grace_s);
  } else if (scheduler_) {
    log::get()->info("stopped");
  }
}

} // namespace

Status run_daemon(DaemonOptions options) {
  Daemon daemon(std::move(options));
  return daemon.run();
}

} // namespace leadsync::daemon
