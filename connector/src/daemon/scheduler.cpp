#include "leadsync/daemon/scheduler.hpp"

#include "leadsync/core/log.hpp"
#include "leadsync/core/text.hpp"
#include "leadsync/model/json.hpp"

#include <algorithm>
#include <exception>
#include <fmt/format.h>
#include <set>
#include <utility>

namespace leadsync::daemon {

std::string_view to_string(FiringKind kind) {
  switch (kind) {
  case FiringKind::scheduled:
    return "scheduled";
  case FiringKind::catch_up:
    return "catch_up";
  }
  return "scheduled";
}

std::string_view to_string(RunOutcome outcome) {
  switch (outcome) {
  case RunOutcome::ok:
    return "ok";
  case RunOutcome::partial:
    return "partial";
  case RunOutcome::failed:
    return "failed";
  case RunOutcome::interrupted:
    return "interrupted";
  }
  return "failed";
}

std::string last_firing_checkpoint(std::string_view job) {
  return fmt::format("schedule:{}:last", job);
}

std::string next_run_text(const JobSnapshot& job) {
  if (job.off) {
    return "off";
  }
  if (!job.next_run) {
    return "never";
  }
  return model::format_time(*job.next_run);
}

Scheduler::Scheduler(store::Store& store, LaunchCallback launch, Clock& clock, Sleeper& sleeper,
                     SchedulerOptions options)
    : store_(store), launch_(std::move(launch)), clock_(clock), sleeper_(sleeper),
      options_(options) {}

Scheduler::~Scheduler() = default;

std::optional<TimePoint> Scheduler::next_firing(const Schedule& schedule,
                                                const std::string& time_zone, TimePoint after,
                                                TimePoint interval_start) {
  // The schedule was parsed in its zone (parse_all), so next_after() evaluates it there.
  static_cast<void>(time_zone);
  return schedule.next_after(after, interval_start);
}

Status Scheduler::check_time_zone(const std::string& job, const std::string& time_zone) {
  if (time_zone.empty()) {
    return ok_status();
  }
  if (Status known = leadsync::check_time_zone(time_zone); !known.ok()) {
    Error error = known.error();
    error.message = fmt::format("[schedule] {}: {}", job, error.message);
    return error;
  }
  return ok_status();
}

Result<std::vector<Scheduler::Parsed>> Scheduler::parse_all(std::vector<JobSchedule> jobs) {
  std::vector<Parsed> parsed;
  std::set<std::string, std::less<>> names;
  for (auto& job : jobs) {
    if (job.name.empty()) {
      return fail(ErrorCategory::invalid_argument, "a scheduled job has no name");
    }
    if (!names.insert(job.name).second) {
      return fail(ErrorCategory::invalid_argument,
                  fmt::format("the job \"{}\" is scheduled twice", job.name));
    }
    Parsed entry{.name = job.name,
                 .text = std::string(text::trim(job.schedule, text::space_tab_cr_lf)),
                 .schedule = std::nullopt,
                 .time_zone = std::move(job.time_zone)};
    if (!entry.text.empty()) {
      LEADSYNC_CHECK(check_time_zone(job.name, entry.time_zone));
      auto schedule = parse_schedule(entry.text, entry.time_zone.empty() ? "UTC" : entry.time_zone);
      if (!schedule.ok()) {
        Error error = schedule.error();
        error.message =
            fmt::format("[schedule] {} = \"{}\": {}", job.name, entry.text, error.message);
        return error;
      }
      entry.schedule = std::move(schedule).value();
    }
    parsed.push_back(std::move(entry));
  }
  return parsed;
}

Result<std::unique_ptr<Scheduler>> Scheduler::create(std::vector<JobSchedule> jobs,
                                                     store::Store& store, LaunchCallback launch,
                                                     Clock& clock, Sleeper& sleeper,
                                                     SchedulerOptions options) {
  if (!launch) {
    return fail(ErrorCategory::invalid_argument, "the scheduler needs a launch callback");
  }
  LEADSYNC_TRY(auto parsed, parse_all(std::move(jobs)));
  std::unique_ptr<Scheduler> scheduler(
      new Scheduler(store, std::move(launch), clock, sleeper, options));
  const TimePoint now = clock.now();
  for (auto& job : parsed) {
    Entry entry;
    entry.text = std::move(job.text);
    entry.schedule = std::move(job.schedule);
    entry.anchor = now;
    entry.view.name = job.name;
    entry.view.time_zone = std::move(job.time_zone);
    if (entry.schedule) {
      entry.view.off = false;
      entry.view.schedule = entry.schedule->describe();
      entry.next_due = next_firing(*entry.schedule, entry.view.time_zone, now, entry.anchor);
      entry.next_slot = entry.next_due.value_or(TimePoint{});
      if (!entry.next_due) {
        log::get()->warn("schedule: {} (\"{}\") can never fire (no such date comes): correct it, "
                         "or leave it empty to turn the job off",
                         job.name, entry.text);
      }
    } else {
      entry.view.schedule = "off";
    }
    const MutexLock lock(scheduler->mutex_); // nobody else sees the scheduler yet
    scheduler->entries_.emplace(job.name, std::move(entry));
  }
  LEADSYNC_CHECK(scheduler->load_last_firings(now));
  return scheduler;
}

Status Scheduler::load_last_firings(TimePoint now) {
  MutexLock lock(mutex_); // nobody else sees the scheduler yet
  for (auto& [name, entry] : entries_) {
    auto stored = store_.get_checkpoint(last_firing_checkpoint(name));
    if (!stored.ok()) {
      Error error = stored.error();
      error.message = "cannot read the last firing of the job \"" + name + "\": " + error.message;
      return error;
    }
    if (!stored.value() || stored.value()->empty()) {
      continue; // never fired (or its only firing failed to start): waits for its next slot
    }
    auto last = model::parse_time(*stored.value());
    if (!last.ok()) {
      log::get()->warn("schedule: the last firing of {} in the store (\"{}\") is not a time; "
                       "taken as never fired",
                       name, *stored.value());
      continue;
    }
    entry.view.last_firing = last.value();
    if (!entry.schedule) {
      continue;
    }
    // An interval measures from the last firing here; a cron expression ignores the anchor.
    const auto missed =
        next_firing(*entry.schedule, entry.view.time_zone, last.value(), last.value());
    if (missed && *missed <= now) {
      entry.next_due = now;
      entry.next_slot = *missed;
      entry.next_kind = FiringKind::catch_up;
      log::get()->info("schedule: {} missed its run of {} while the daemon was down; it runs once "
                       "now",
                       name, model::format_time(*missed));
    }
  }
  return ok_status();
}

// The store's last firing of the job moves to `now` only if no worker sharing the store fired the
// job since the slot due now came (compare-and-set on the checkpoint, so of several workers
// ticking at once exactly one wins). Slots are computed from that last firing, whoever made it:
// a cron slot is the same for every worker; an @every interval counts from the last firing. A
// store that cannot be read does not stop the firing (a lone daemon keeps its schedule); it is
// logged.
bool Scheduler::claim_firing(const std::string& job, const Entry& entry, TimePoint now,
                             std::optional<std::string>& previous) {
  const std::string name = last_firing_checkpoint(job);
  auto stored = store_.get_checkpoint(name);
  if (!stored.ok()) {
    log::get()->warn("schedule: cannot read the last firing of {} ({}); running it", job,
                     stored.error().describe());
    return true;
  }
  previous = stored.value();
  if (stored.value() && !stored.value()->empty() && entry.schedule) {
    if (auto last = model::parse_time(*stored.value()); last.ok()) {
      const auto next = next_firing(*entry.schedule, entry.view.time_zone, *last, *last);
      if (!next || *next > now) {
        return false;
      }
    }
  }
  auto swapped = store_.put_checkpoint_if(name, stored.value(), model::format_time(now));
  if (!swapped.ok()) {
    log::get()->warn("schedule: cannot record the firing of {} in the store ({}); running it", job,
                     swapped.error().describe());
    return true;
  }
  return *swapped;
}

TickReport Scheduler::tick(TimePoint now) {
  TickReport report;
  std::vector<Firing> due;
  std::map<std::string, std::optional<std::string>> claimed_from; // last firings before the claims
  {
    MutexLock lock(mutex_);
    for (auto& [name, entry] : entries_) {
      if (!entry.schedule || !entry.next_due || *entry.next_due > now) {
        continue;
      }
      if (!entry.view.running && !claim_firing(name, entry, now, claimed_from[name])) {
        // Another worker sharing the store ran this slot: wait for the next one.
        ++entry.view.taken_elsewhere;
        log::get()->info("schedule: {} due at {} ran on another worker sharing the store", name,
                         model::format_time(entry.next_slot));
      } else if (entry.view.running) {
        ++entry.view.skipped;
        entry.view.last_skip_reason =
            fmt::format("the firing due at {} was skipped: the run started at {} was still running",
                        model::format_time(entry.next_slot),
                        model::format_time(entry.view.last_start.value_or(TimePoint{})));
        report.skipped.push_back(name);
        log::get()->warn("schedule: {}: {}", name, entry.view.last_skip_reason);
      } else {
        entry.view.running = true;
        entry.view.last_start = now;
        ++entry.view.runs;
        due.push_back(
            Firing{.job = name, .due = entry.next_slot, .at = now, .kind = entry.next_kind});
      }
      // After the firing, not after its slot: slots missed meanwhile collapse into this one.
      entry.next_due = next_firing(*entry.schedule, entry.view.time_zone, now, entry.anchor);
      entry.next_slot = entry.next_due.value_or(TimePoint{});
      entry.next_kind = FiringKind::scheduled;
    }
  }
  for (const auto& firing : due) {
    Status launched;
    try {
      launched = launch_(firing);
    } catch (const std::exception& problem) {
      launched = fail(ErrorCategory::internal, problem.what());
    }
    if (!launched.ok()) {
      // A run that did not start is not a firing: give the slot back ("" when there was none),
      // unless another worker has moved on meanwhile.
      const auto& previous = claimed_from[firing.job];
      (void)store_.put_checkpoint_if(last_firing_checkpoint(firing.job), model::format_time(now),
                                     previous.value_or(std::string()));
      record_launch_failure(firing.job, now, launched.error());
      report.failed.push_back(firing.job);
      continue;
    }
    log::get()->info("schedule: started {} ({}, due {})", firing.job, to_string(firing.kind),
                     model::format_time(firing.due));
    report.launched.push_back(firing);
    {
      MutexLock lock(mutex_);
      if (auto found = entries_.find(firing.job); found != entries_.end()) {
        found->second.view.last_firing = firing.at;
      }
    }
  }
  MutexLock lock(mutex_);
  for (const auto& [name, entry] : entries_) {
    if (entry.schedule && entry.next_due &&
        (!report.next_due || *entry.next_due < *report.next_due)) {
      report.next_due = entry.next_due;
    }
  }
  return report;
}

void Scheduler::record_launch_failure(const std::string& job, TimePoint now, const Error& error) {
  log::get()->error("schedule: {} could not be started: {}", job, error.describe());
  MutexLock lock(mutex_);
  auto found = entries_.find(job);
  if (found == entries_.end()) {
    return;
  }
  auto& view = found->second.view;
  view.running = false;
  view.last_finish = now;
  view.last_outcome = RunOutcome::failed;
  view.last_message = "could not be started: " + error.message;
  ++view.failures;
}

void Scheduler::run(const CancellationToken& cancel) {
  const auto registration = cancel.on_cancel([this] { wake(); });
  while (!cancel.cancelled()) {
    const auto report = tick(clock_.now());
    CancellationSource woken;
    {
      MutexLock lock(mutex_);
      if (std::exchange(wake_requested_, false)) {
        continue; // something changed while ticking: look again before waiting
      }
      waiting_ = &woken;
    }
    auto wait = std::chrono::duration_cast<std::chrono::nanoseconds>(options_.max_wait);
    if (report.next_due) {
      wait = std::clamp(
          std::chrono::duration_cast<std::chrono::nanoseconds>(*report.next_due - clock_.now()),
          std::chrono::nanoseconds{0}, wait);
    }
    if (wait > std::chrono::nanoseconds{0}) {
      sleeper_.sleep_for(wait, woken.token());
    }
    MutexLock lock(mutex_);
    waiting_ = nullptr;
    wake_requested_ = false;
  }
}

void Scheduler::wake() {
  MutexLock lock(mutex_);
  if (waiting_ != nullptr) {
    waiting_->cancel();
  } else {
    wake_requested_ = true;
  }
}

Status Scheduler::finished(std::string_view job, RunOutcome outcome, std::string message) {
  {
    MutexLock lock(mutex_);
    auto found = entries_.find(job);
    if (found == entries_.end()) {
      return fail(ErrorCategory::not_found,
                  fmt::format("finished(): the job \"{}\" is not scheduled", job));
    }
    auto& view = found->second.view;
    if (!view.running) {
      return fail(ErrorCategory::invalid_argument,
                  fmt::format("finished(): the job \"{}\" is not running", job));
    }
    view.running = false;
    view.last_finish = clock_.now();
    view.last_outcome = outcome;
    view.last_message = std::move(message);
    if (outcome == RunOutcome::failed) {
      ++view.failures;
    }
  }
  wake();
  return ok_status();
}

Status Scheduler::replace(std::vector<JobSchedule> jobs) {
  LEADSYNC_TRY(auto parsed, parse_all(std::move(jobs)));
  const TimePoint now = clock_.now();
  {
    MutexLock lock(mutex_);
    std::set<std::string, std::less<>> kept;
    for (auto& job : parsed) {
      kept.insert(job.name);
      auto found = entries_.find(job.name);
      if (found == entries_.end()) {
        found = entries_.emplace(job.name, Entry{}).first;
        found->second.view.name = job.name;
      } else if (found->second.text == job.text && found->second.view.time_zone == job.time_zone) {
        continue; // unchanged: keeps its next firing (and a pending catch-up)
      }
      auto& entry = found->second;
      entry.text = std::move(job.text);
      entry.schedule = std::move(job.schedule);
      entry.view.time_zone = std::move(job.time_zone);
      entry.anchor = now;
      entry.next_kind = FiringKind::scheduled;
      if (entry.schedule) {
        entry.view.off = false;
        entry.view.schedule = entry.schedule->describe();
        entry.next_due = next_firing(*entry.schedule, entry.view.time_zone, now, entry.anchor);
      } else {
        entry.view.off = true;
        entry.view.schedule = "off";
        entry.next_due.reset();
      }
      entry.next_slot = entry.next_due.value_or(TimePoint{});
    }
    for (auto& [name, entry] : entries_) {
      if (kept.count(name) == 0 && entry.schedule) {
        entry.text.clear();
        entry.schedule.reset();
        entry.view.off = true;
        entry.view.schedule = "off";
        entry.next_due.reset();
        entry.next_kind = FiringKind::scheduled;
      }
    }
  }
  wake();
  return ok_status();
}

std::optional<TimePoint> Scheduler::next_run(std::string_view job) const {
  MutexLock lock(mutex_);
  const auto found = entries_.find(job);
  if (found == entries_.end() || !found->second.schedule) {
    return std::nullopt;
  }
  return found->second.next_due;
}

std::vector<JobSnapshot> Scheduler::snapshot() const {
  MutexLock lock(mutex_);
  std::vector<JobSnapshot> jobs;
  jobs.reserve(entries_.size());
  for (const auto& [name, entry] : entries_) {
    JobSnapshot view = entry.view;
    view.next_run = entry.schedule ? entry.next_due : std::nullopt;
    jobs.push_back(std::move(view));
  }
  return jobs;
}

} // namespace leadsync::daemon
