#pragma once
// The daemon's scheduler: when each named job (pull, push, enrich, qualify, import-watch...) runs.
// It holds no job logic: a firing calls the owner's launch callback, which starts the job on a
// thread of its own and returns at once; the owner reports the end with finished(). The scheduler
// never waits for a job.
//
// Rules (issue 15, "Schedules"):
// - A job's schedule is core/schedule.hpp text; an empty one turns the job off (never fires, next
//   run "off").
// - At most one run of a job at a time: a firing that comes while the job's previous run is still
//   running is skipped and counted (JobSnapshot::skipped, with the reason), and the next firing is
//   computed after it.
// - Missed firings collapse: whenever several of a job's slots passed (downtime, a stopped clock,
//   a long pause), the job fires once, and its next firing is the first slot after that moment.
// - After downtime: the time of each job's last firing is kept in the store's checkpoints
//   ("schedule:<job>:last", RFC 3339). At create(), a job with a slot due between its last firing
//   and now fires once at start (FiringKind::catch_up); a job that never fired waits for its next
//   slot. A job turned on by replace() waits for its next slot too.
// - `@every` intervals start when the daemon starts (create()), as robfig/cron's do ("starting at
//   the time it's added or cron is run", shared/daemon-scaleout.md B.8): the first firing is one
//   interval after the start, whatever the last firing was. A job whose schedule replace() changes
//   starts its interval at that moment. Only the catch-up check measures from the last firing (a
//   slot was missed when last firing + interval <= now).
//
// tick(now) is the whole decision, with no threads and no waits (tests drive it with a
// ManualClock). run(cancel) loops tick() and waits until the next due time through the injected
// Sleeper; cancel, finished() and replace() end a wait at once, so stopping is prompt.
//
// All methods are safe to call from several threads; run() runs on one thread at a time.

#include "leadsync/core/cancel.hpp"
#include "leadsync/core/clock.hpp"
#include "leadsync/core/mutex.hpp"
#include "leadsync/core/result.hpp"
#include "leadsync/core/schedule.hpp"
#include "leadsync/store/store.hpp"

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace leadsync::daemon {

using TimePoint = std::chrono::system_clock::time_point;

// One job's schedule, as configured ([schedule] pull = "*/5 * * * *").
struct JobSchedule {
  std::string name;      // "pull", "push", "enrich", "qualify", "import-watch"...
  std::string schedule;  // core/schedule.hpp text; empty (or blank): the job is off
  std::string time_zone; // the config's time zone (IANA name); empty: UTC. Only UTC today.
};

enum class FiringKind {
  scheduled, // a slot of the schedule came
  catch_up,  // a slot was missed while the daemon was down: runs once at start
};
std::string_view to_string(FiringKind kind);

// What the launch callback is asked to start.
struct Firing {
  std::string job;
  TimePoint due; // the slot (for a catch-up: the first slot missed)
  TimePoint at;  // the tick that launched it
  FiringKind kind = FiringKind::scheduled;
};

// How a run ended, as the owner reports it (the run history's ok/partial/failed, and interrupted
// for a run stopped by shutdown).
enum class RunOutcome { ok, partial, failed, interrupted };
std::string_view to_string(RunOutcome outcome);

// One job as `leadsync status` and /metrics show it.
struct JobSnapshot {
  std::string name;
  bool off = true;
  std::string schedule;              // "off", or Schedule::describe()
  std::string time_zone;             // as configured
  std::optional<TimePoint> next_run; // none when off or when the schedule can never fire
  bool running = false;
  std::optional<TimePoint> last_start; // this process's runs
  std::optional<TimePoint> last_finish;
  std::optional<RunOutcome> last_outcome;
  std::string last_message;             // the owner's message with the last outcome
  std::int64_t runs = 0;                // launched since the daemon started
  std::int64_t failures = 0;            // finished failed, or could not be launched
  std::int64_t skipped = 0;             // firings skipped since the daemon started
  std::string last_skip_reason;         // why the last one was skipped; empty when none was
  std::int64_t taken_elsewhere = 0;     // firings another worker sharing the store ran
  std::optional<TimePoint> last_firing; // last launch, from the store at start, then this process
};

// The store checkpoint holding a job's last firing: "schedule:<job>:last".
std::string last_firing_checkpoint(std::string_view job);

// "off", "never" (a schedule that cannot fire) or the time (RFC 3339), for `leadsync status`.
std::string next_run_text(const JobSnapshot& job);

struct TickReport {
  std::vector<Firing> launched;      // launched by this tick
  std::vector<std::string> skipped;  // jobs whose firing was skipped (still running)
  std::vector<std::string> failed;   // jobs whose launch callback failed
  std::optional<TimePoint> next_due; // the earliest next firing of any job; none when none
};

struct SchedulerOptions {
  // run() reads the clock again at least this often, so a wall-clock change is noticed.
  std::chrono::milliseconds max_wait{std::chrono::seconds{60}};
};

class Scheduler {
public:
  // Starts a job for `firing` (on a thread of its own) and returns at once; a failure means the
  // job did not start (it is then recorded as a failed run and not retried before its next slot).
  // Called without the scheduler's lock held: it may call finished() itself.
  using LaunchCallback = std::function<Status(const Firing& firing)>;

  // Parses every schedule (the whole list fails with the first problem, category config, naming
  // the job), reads each job's last firing from `store` and decides the catch-ups. `store`,
  // `clock` and `sleeper` must outlive the scheduler.
  static Result<std::unique_ptr<Scheduler>> create(std::vector<JobSchedule> jobs,
                                                   store::Store& store, LaunchCallback launch,
                                                   Clock& clock = SystemClock::instance(),
                                                   Sleeper& sleeper = RealSleeper::instance(),
                                                   SchedulerOptions options = {});

  Scheduler(const Scheduler&) = delete;
  Scheduler& operator=(const Scheduler&) = delete;
  ~Scheduler();

  // Launches every job due at `now` (or counts its skip), computes each fired job's next firing
  // after `now`, and returns what it did. Launches happen on the calling thread, in job-name order.
  TickReport tick(TimePoint now);

  // Ticks and waits until the next firing, over and over, until `cancel` is cancelled; returns
  // promptly then. Running jobs are not waited for: the owner cancels and joins them.
  void run(const CancellationToken& cancel);

  // The owner reports the end of a job's run. Fails (not_found) for an unknown job and
  // (invalid_argument) for a job that is not running.
  Status finished(std::string_view job, RunOutcome outcome, std::string message = {});

  // New schedules (SIGHUP). All or nothing: on a bad schedule nothing changes and the error says
  // which. A job whose schedule and zone are unchanged keeps its next firing; a changed or new one
  // gets the first slot after now; a job missing from `jobs` is turned off (its counters and a
  // running run stay, and finished() still works for it).
  Status replace(std::vector<JobSchedule> jobs);

  // The next firing of `job`; none when it is unknown, off or can never fire.
  std::optional<TimePoint> next_run(std::string_view job) const;
  // Every job, by name.
  std::vector<JobSnapshot> snapshot() const;

private:
  struct Parsed {
    std::string name;
    std::string text;                 // trimmed; empty: off
    std::optional<Schedule> schedule; // none: off
    std::string time_zone;
  };
  struct Entry {
    std::string text;
    std::optional<Schedule> schedule;
    TimePoint anchor{};                // where @every intervals start
    std::optional<TimePoint> next_due; // none: off or never
    TimePoint next_slot{};             // Firing::due of the next firing
    FiringKind next_kind = FiringKind::scheduled;
    JobSnapshot view; // what snapshot() shows, kept up to date
  };

  Scheduler(store::Store& store, LaunchCallback launch, Clock& clock, Sleeper& sleeper,
            SchedulerOptions options);

  static Result<std::vector<Parsed>> parse_all(std::vector<JobSchedule> jobs);
  // Claims the firing in the store for this worker (see scheduler.cpp); `previous` gets the last
  // firing the store held before, to give the slot back should the launch fail.
  bool claim_firing(const std::string& job, const Entry& entry, TimePoint now,
                    std::optional<std::string>& previous);
  // The one place a schedule is evaluated: the time-zone overload of next_after replaces this
  // call, and the zone check beside it, when it lands.
  static std::optional<TimePoint> next_firing(const Schedule& schedule,
                                              const std::string& time_zone, TimePoint after,
                                              TimePoint interval_start);
  static Status check_time_zone(const std::string& job, const std::string& time_zone);

  Status load_last_firings(TimePoint now) EXCLUDES(mutex_);
  void record_launch_failure(const std::string& job, TimePoint now, const Error& error)
      EXCLUDES(mutex_);
  void wake() EXCLUDES(mutex_);

  store::Store& store_;
  LaunchCallback launch_;
  Clock& clock_;
  Sleeper& sleeper_;
  SchedulerOptions options_;

  mutable Mutex mutex_;
  std::map<std::string, Entry, std::less<>> entries_ GUARDED_BY(mutex_);
  // The wait run() is in, when it is in one.
  CancellationSource* waiting_ GUARDED_BY(mutex_) = nullptr;
  bool wake_requested_ GUARDED_BY(mutex_) = false; // a wake() came while run() was not waiting
};

} // namespace leadsync::daemon
