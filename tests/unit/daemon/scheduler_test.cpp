#include "leadsync/core/cancel.hpp"
#include "leadsync/core/clock.hpp"
#include "leadsync/daemon/scheduler.hpp"
#include "leadsync/model/json.hpp"
#include "leadsync/store/open.hpp"
#include "support/sleepers.hpp"

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <future>
#include <gtest/gtest.h>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace leadsync::daemon {
namespace {

using namespace std::chrono_literals;

// "2026-11-03 10:05" or "2026-11-03 10:05:30", UTC.
TimePoint at(const std::string& text) {
  int year = 0;
  unsigned month = 0;
  unsigned day = 0;
  int hour = 0;
  int minute = 0;
  int second = 0;
  const int read =
      std::sscanf(text.c_str(), "%d-%u-%u %d:%d:%d", &year, &month, &day, &hour, &minute, &second);
  EXPECT_GE(read, 5) << text;
  const std::chrono::year_month_day date{std::chrono::year{year} / std::chrono::month{month} /
                                         std::chrono::day{day}};
  return TimePoint{std::chrono::sys_days{date} + std::chrono::hours{hour} +
                   std::chrono::minutes{minute} + std::chrono::seconds{second}};
}

using test::ClockSleeper;

class SchedulerTest : public ::testing::Test {
protected:
  void SetUp() override {
    auto opened = store::open_store("sqlite::memory:", {}, clock_);
    ASSERT_TRUE(opened.ok()) << opened.error().describe();
    store_ = std::move(*opened);
  }

  // A scheduler whose launches are recorded in launched_ (and fail while fail_launch_ is set).
  std::unique_ptr<Scheduler> make(std::vector<JobSchedule> jobs, Sleeper* sleeper = nullptr) {
    auto created = Scheduler::create(
        std::move(jobs), *store_,
        [this](const Firing& firing) -> Status {
          std::lock_guard lock(mutex_);
          if (fail_launch_) {
            return fail(ErrorCategory::unavailable, "no thread to run it on");
          }
          launched_.push_back(firing);
          changed_.notify_all();
          return ok_status();
        },
        clock_, sleeper != nullptr ? *sleeper : sleeper_, SchedulerOptions{});
    EXPECT_TRUE(created.ok()) << created.error().describe();
    return created.ok() ? std::move(created).value() : nullptr;
  }

  std::vector<Firing> launched() {
    std::lock_guard lock(mutex_);
    return launched_;
  }

  static const JobSnapshot& job(const std::vector<JobSnapshot>& jobs, const std::string& name) {
    for (const auto& entry : jobs) {
      if (entry.name == name) {
        return entry;
      }
    }
    ADD_FAILURE() << "no job " << name;
    static const JobSnapshot none;
    return none;
  }

  ManualClock clock_{at("2026-11-03 10:01")};
  ClockSleeper sleeper_{clock_};
  std::unique_ptr<store::Store> store_;
  std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<Firing> launched_;
  bool fail_launch_ = false;
};

TEST_F(SchedulerTest, ADueFiringLaunchesTheJobAndNothingLaunchesBeforeIt) {
  auto scheduler = make({{.name = "push", .schedule = "*/5 * * * *", .time_zone = ""}});
  ASSERT_NE(scheduler, nullptr);
  EXPECT_EQ(scheduler->next_run("push"), at("2026-11-03 10:05"));

  auto early = scheduler->tick(at("2026-11-03 10:04:59"));
  EXPECT_TRUE(early.launched.empty());
  EXPECT_EQ(early.next_due, at("2026-11-03 10:05"));

  auto due = scheduler->tick(at("2026-11-03 10:05"));
  ASSERT_EQ(due.launched.size(), 1U);
  EXPECT_EQ(due.launched[0].job, "push");
  EXPECT_EQ(due.launched[0].due, at("2026-11-03 10:05"));
  EXPECT_EQ(due.launched[0].kind, FiringKind::scheduled);
  EXPECT_EQ(launched().size(), 1U);
  EXPECT_EQ(scheduler->next_run("push"), at("2026-11-03 10:10"));
  const auto view = job(scheduler->snapshot(), "push");
  EXPECT_TRUE(view.running);
  EXPECT_EQ(view.runs, 1);
  EXPECT_EQ(view.last_start, at("2026-11-03 10:05"));
}

TEST_F(SchedulerTest,
       AFiringWhileThePreviousRunIsStillRunningIsSkippedCountedAndTheNextComesAfter) {
  auto scheduler = make({{.name = "pull", .schedule = "*/5 * * * *", .time_zone = ""}});
  ASSERT_NE(scheduler, nullptr);
  ASSERT_EQ(scheduler->tick(at("2026-11-03 10:05")).launched.size(), 1U);

  const auto overlapping = scheduler->tick(at("2026-11-03 10:10"));
  EXPECT_TRUE(overlapping.launched.empty());
  EXPECT_EQ(overlapping.skipped, std::vector<std::string>{"pull"});
  auto view = job(scheduler->snapshot(), "pull");
  EXPECT_EQ(view.skipped, 1);
  EXPECT_NE(view.last_skip_reason.find("still running"), std::string::npos)
      << view.last_skip_reason;
  EXPECT_NE(view.last_skip_reason.find("2026-11-03T10:05:00Z"), std::string::npos);
  EXPECT_EQ(scheduler->next_run("pull"), at("2026-11-03 10:15"));
  EXPECT_EQ(launched().size(), 1U);

  ASSERT_TRUE(scheduler->finished("pull", RunOutcome::ok, "pulled 3").ok());
  const auto next = scheduler->tick(at("2026-11-03 10:15"));
  ASSERT_EQ(next.launched.size(), 1U);
  view = job(scheduler->snapshot(), "pull");
  EXPECT_EQ(view.skipped, 1);
  EXPECT_EQ(view.runs, 2);
}

TEST_F(SchedulerTest, SlotsMissedWhileTheClockStoodStillFireOnce) {
  auto scheduler = make({{.name = "push", .schedule = "* * * * *", .time_zone = ""}});
  ASSERT_NE(scheduler, nullptr);
  const auto late = scheduler->tick(at("2026-11-03 10:30:10"));
  ASSERT_EQ(late.launched.size(), 1U);
  EXPECT_EQ(late.launched[0].due, at("2026-11-03 10:02"));
  EXPECT_EQ(scheduler->next_run("push"), at("2026-11-03 10:31"));
  ASSERT_TRUE(scheduler->finished("push", RunOutcome::ok).ok());
  EXPECT_TRUE(scheduler->tick(at("2026-11-03 10:30:50")).launched.empty());
}

TEST_F(SchedulerTest, AMissedRunAfterDowntimeRunsOnceAtStartAndThenFollowsItsSlots) {
  {
    auto before = make({{.name = "qualify", .schedule = "*/5 * * * *", .time_zone = ""}});
    ASSERT_NE(before, nullptr);
    ASSERT_EQ(before->tick(at("2026-11-03 10:05")).launched.size(), 1U);
  }
  auto stored = store_->get_checkpoint(last_firing_checkpoint("qualify"));
  ASSERT_TRUE(stored.ok());
  EXPECT_EQ(stored.value(), "2026-11-03T10:05:00Z");

  // Down from 10:05 to 13:42: some forty slots missed.
  clock_.set(at("2026-11-03 13:42"));
  launched_.clear();
  auto after = make({{.name = "qualify", .schedule = "*/5 * * * *", .time_zone = ""}});
  ASSERT_NE(after, nullptr);
  EXPECT_EQ(after->next_run("qualify"), at("2026-11-03 13:42"));
  EXPECT_EQ(job(after->snapshot(), "qualify").last_firing, at("2026-11-03 10:05"));

  const auto start = after->tick(at("2026-11-03 13:42"));
  ASSERT_EQ(start.launched.size(), 1U);
  EXPECT_EQ(start.launched[0].kind, FiringKind::catch_up);
  EXPECT_EQ(start.launched[0].due, at("2026-11-03 10:10"));
  EXPECT_EQ(after->next_run("qualify"), at("2026-11-03 13:45"));
  ASSERT_TRUE(after->finished("qualify", RunOutcome::ok).ok());
  EXPECT_TRUE(after->tick(at("2026-11-03 13:44")).launched.empty());
  EXPECT_EQ(launched().size(), 1U);
  stored = store_->get_checkpoint(last_firing_checkpoint("qualify"));
  ASSERT_TRUE(stored.ok());
  EXPECT_EQ(stored.value(), "2026-11-03T13:42:00Z");

  // Started again at once: nothing was missed this time.
  clock_.set(at("2026-11-03 13:43"));
  auto again = make({{.name = "qualify", .schedule = "*/5 * * * *", .time_zone = ""}});
  ASSERT_NE(again, nullptr);
  EXPECT_EQ(again->next_run("qualify"), at("2026-11-03 13:45"));
  EXPECT_TRUE(again->tick(at("2026-11-03 13:43")).launched.empty());
}

TEST_F(SchedulerTest, AJobThatNeverFiredWaitsForItsNextSlot) {
  clock_.set(at("2026-11-03 13:42"));
  auto scheduler = make({{.name = "qualify", .schedule = "0 * * * *", .time_zone = ""}});
  ASSERT_NE(scheduler, nullptr);
  EXPECT_EQ(scheduler->next_run("qualify"), at("2026-11-03 14:00"));
  EXPECT_TRUE(scheduler->tick(at("2026-11-03 13:42")).launched.empty());
  EXPECT_FALSE(job(scheduler->snapshot(), "qualify").last_firing.has_value());
  EXPECT_EQ(scheduler->tick(at("2026-11-03 14:00")).launched.size(), 1U);
}

TEST_F(SchedulerTest, AnEmptyScheduleTurnsTheJobOff) {
  auto scheduler = make({{.name = "enrich", .schedule = "", .time_zone = ""},
                         {.name = "qualify", .schedule = "  \t", .time_zone = ""}});
  ASSERT_NE(scheduler, nullptr);
  EXPECT_FALSE(scheduler->next_run("enrich").has_value());
  const auto jobs = scheduler->snapshot();
  ASSERT_EQ(jobs.size(), 2U);
  for (const auto& view : jobs) {
    EXPECT_TRUE(view.off) << view.name;
    EXPECT_EQ(view.schedule, "off");
    EXPECT_EQ(next_run_text(view), "off");
  }
  const auto report = scheduler->tick(at("2026-11-05 00:00"));
  EXPECT_TRUE(report.launched.empty());
  EXPECT_FALSE(report.next_due.has_value());
}

TEST_F(SchedulerTest, EveryIntervalsStartAtTheDaemonsStart) {
  clock_.set(at("2026-11-03 10:00:20"));
  auto scheduler = make({{.name = "enrich", .schedule = "@every 90s", .time_zone = ""}});
  ASSERT_NE(scheduler, nullptr);
  EXPECT_EQ(scheduler->next_run("enrich"), at("2026-11-03 10:01:50"));
  EXPECT_EQ(job(scheduler->snapshot(), "enrich").schedule, "every 1m30s");
  ASSERT_EQ(scheduler->tick(at("2026-11-03 10:01:50")).launched.size(), 1U);
  ASSERT_TRUE(scheduler->finished("enrich", RunOutcome::ok).ok());
  EXPECT_EQ(scheduler->next_run("enrich"), at("2026-11-03 10:03:20"));
  // A late tick keeps the phase of the start: the next firing is a slot, not tick + 90s.
  ASSERT_EQ(scheduler->tick(at("2026-11-03 10:03:31")).launched.size(), 1U);
  EXPECT_EQ(scheduler->next_run("enrich"), at("2026-11-03 10:04:50"));
}

TEST_F(SchedulerTest, AnEveryJobCatchesUpOnlyWhenAnIntervalPassedSinceItsLastFiring) {
  ASSERT_TRUE(
      store_->put_checkpoint(last_firing_checkpoint("enrich"), "2026-11-03T10:00:00Z").ok());
  clock_.set(at("2026-11-03 10:00:20"));
  auto within = make({{.name = "enrich", .schedule = "@every 30s", .time_zone = ""}});
  ASSERT_NE(within, nullptr);
  EXPECT_EQ(within->next_run("enrich"), at("2026-11-03 10:00:50"));
  within.reset();

  clock_.set(at("2026-11-03 10:00:40"));
  auto past = make({{.name = "enrich", .schedule = "@every 30s", .time_zone = ""}});
  ASSERT_NE(past, nullptr);
  EXPECT_EQ(past->next_run("enrich"), at("2026-11-03 10:00:40"));
  const auto report = past->tick(at("2026-11-03 10:00:40"));
  ASSERT_EQ(report.launched.size(), 1U);
  EXPECT_EQ(report.launched[0].kind, FiringKind::catch_up);
  EXPECT_EQ(report.launched[0].due, at("2026-11-03 10:00:30"));
  EXPECT_EQ(past->next_run("enrich"), at("2026-11-03 10:01:10"));
}

TEST_F(SchedulerTest, NextRunAndTheSnapshotShowEachJob) {
  auto scheduler = make({{.name = "pull", .schedule = "*/5 * * * *", .time_zone = ""},
                         {.name = "qualify", .schedule = "0 * * * *", .time_zone = "UTC"},
                         {.name = "enrich", .schedule = "@every 30s", .time_zone = ""},
                         {.name = "import-watch", .schedule = "", .time_zone = ""},
                         {.name = "feb30", .schedule = "0 0 30 2 *", .time_zone = ""}});
  ASSERT_NE(scheduler, nullptr);
  EXPECT_EQ(scheduler->next_run("pull"), at("2026-11-03 10:05"));
  EXPECT_EQ(scheduler->next_run("qualify"), at("2026-11-03 11:00"));
  EXPECT_EQ(scheduler->next_run("enrich"), at("2026-11-03 10:01:30"));
  EXPECT_FALSE(scheduler->next_run("import-watch").has_value());
  EXPECT_FALSE(scheduler->next_run("feb30").has_value());
  EXPECT_FALSE(scheduler->next_run("no-such-job").has_value());

  const auto jobs = scheduler->snapshot();
  std::vector<std::string> names;
  for (const auto& view : jobs) {
    names.push_back(view.name);
  }
  EXPECT_EQ(names,
            (std::vector<std::string>{"enrich", "feb30", "import-watch", "pull", "qualify"}));
  EXPECT_EQ(next_run_text(job(jobs, "pull")), "2026-11-03T10:05:00Z");
  EXPECT_EQ(next_run_text(job(jobs, "import-watch")), "off");
  EXPECT_EQ(next_run_text(job(jobs, "feb30")), "never");
  EXPECT_EQ(job(jobs, "qualify").time_zone, "UTC");
  EXPECT_NE(job(jobs, "pull").schedule.find("*/5 * * * *"), std::string::npos);
  EXPECT_FALSE(job(jobs, "pull").running);
  EXPECT_FALSE(job(jobs, "pull").last_outcome.has_value());

  const auto report = scheduler->tick(at("2026-11-03 10:01:30"));
  ASSERT_EQ(report.launched.size(), 1U);
  EXPECT_EQ(report.launched[0].job, "enrich");
  EXPECT_EQ(report.next_due, at("2026-11-03 10:02"));
}

TEST_F(SchedulerTest, FinishedRecordsTheOutcomeAndRefusesAJobThatIsNotRunning) {
  auto scheduler = make({{.name = "push", .schedule = "* * * * *", .time_zone = ""}});
  ASSERT_NE(scheduler, nullptr);
  const auto idle = scheduler->finished("push", RunOutcome::ok);
  ASSERT_FALSE(idle.ok());
  EXPECT_EQ(idle.error().category, ErrorCategory::invalid_argument);
  const auto unknown = scheduler->finished("nope", RunOutcome::ok);
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.error().category, ErrorCategory::not_found);

  ASSERT_EQ(scheduler->tick(at("2026-11-03 10:02")).launched.size(), 1U);
  clock_.set(at("2026-11-03 10:02:40"));
  ASSERT_TRUE(scheduler->finished("push", RunOutcome::failed, "CRM unreachable").ok());
  const auto view = job(scheduler->snapshot(), "push");
  EXPECT_FALSE(view.running);
  EXPECT_EQ(view.last_outcome, RunOutcome::failed);
  EXPECT_EQ(view.last_message, "CRM unreachable");
  EXPECT_EQ(view.last_finish, at("2026-11-03 10:02:40"));
  EXPECT_EQ(view.failures, 1);
  EXPECT_FALSE(scheduler->finished("push", RunOutcome::ok).ok()) << "reported twice";
}

TEST_F(SchedulerTest, ALaunchThatFailsCountsAsAFailedRunAndWaitsForTheNextSlot) {
  auto scheduler = make({{.name = "push", .schedule = "*/5 * * * *", .time_zone = ""}});
  ASSERT_NE(scheduler, nullptr);
  fail_launch_ = true;
  const auto report = scheduler->tick(at("2026-11-03 10:05"));
  EXPECT_TRUE(report.launched.empty());
  EXPECT_EQ(report.failed, std::vector<std::string>{"push"});
  auto view = job(scheduler->snapshot(), "push");
  EXPECT_FALSE(view.running);
  EXPECT_EQ(view.last_outcome, RunOutcome::failed);
  EXPECT_NE(view.last_message.find("no thread to run it on"), std::string::npos);
  EXPECT_EQ(view.failures, 1);
  EXPECT_EQ(scheduler->next_run("push"), at("2026-11-03 10:10"));
  auto stored = store_->get_checkpoint(last_firing_checkpoint("push"));
  ASSERT_TRUE(stored.ok());
  // The slot was claimed for this worker before the launch and given back after it failed.
  EXPECT_TRUE(!stored.value().has_value() || stored.value()->empty())
      << "a run that did not start is not a firing: " << stored.value().value_or("");

  fail_launch_ = false;
  EXPECT_EQ(scheduler->tick(at("2026-11-03 10:10")).launched.size(), 1U);
}

TEST_F(SchedulerTest, ABadScheduleOrAnUnknownTimeZoneIsRefusedNamingTheJob) {
  auto bad = Scheduler::create(
      {{.name = "pull", .schedule = "*/5 24 * * *", .time_zone = ""}}, *store_,
      [](const Firing&) { return ok_status(); }, clock_, sleeper_);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().category, ErrorCategory::config);
  EXPECT_NE(bad.error().message.find("[schedule] pull"), std::string::npos) << bad.error().message;
  EXPECT_NE(bad.error().message.find("hour"), std::string::npos) << bad.error().message;

  auto zone = Scheduler::create(
      {{.name = "push", .schedule = "0 9 * * *", .time_zone = "Europe/Atlantis"}}, *store_,
      [](const Firing&) { return ok_status(); }, clock_, sleeper_);
  ASSERT_FALSE(zone.ok());
  EXPECT_EQ(zone.error().category, ErrorCategory::config);
  EXPECT_NE(zone.error().message.find("[schedule] push"), std::string::npos)
      << zone.error().message;
  EXPECT_NE(zone.error().message.find("Europe/Atlantis"), std::string::npos);

  auto twice = Scheduler::create(
      {{.name = "push", .schedule = "", .time_zone = ""},
       {.name = "push", .schedule = "", .time_zone = ""}},
      *store_, [](const Firing&) { return ok_status(); }, clock_, sleeper_);
  EXPECT_FALSE(twice.ok());
}

TEST_F(SchedulerTest, ReplaceKeepsUnchangedJobsReschedulesChangedOnesAndRefusesABadOneWhole) {
  auto scheduler = make({{.name = "pull", .schedule = "*/5 * * * *", .time_zone = ""},
                         {.name = "push", .schedule = "* * * * *", .time_zone = ""},
                         {.name = "qualify", .schedule = "0 * * * *", .time_zone = ""}});
  ASSERT_NE(scheduler, nullptr);
  ASSERT_EQ(scheduler->tick(at("2026-11-03 10:02")).launched.size(), 1U); // push, still running

  clock_.set(at("2026-11-03 10:02:30"));
  const auto refused =
      scheduler->replace({{.name = "pull", .schedule = "0 0 * * *", .time_zone = ""},
                          {.name = "push", .schedule = "bad", .time_zone = ""}});
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.error().message.find("push"), std::string::npos) << refused.error().message;
  EXPECT_EQ(scheduler->next_run("pull"), at("2026-11-03 10:05")) << "nothing changed";

  ASSERT_TRUE(scheduler
                  ->replace({{.name = "pull", .schedule = "*/5 * * * *", .time_zone = ""},
                             {.name = "push", .schedule = "@every 10m", .time_zone = ""},
                             {.name = "enrich", .schedule = "@every 30s", .time_zone = ""}})
                  .ok());
  EXPECT_EQ(scheduler->next_run("pull"), at("2026-11-03 10:05"));
  EXPECT_EQ(scheduler->next_run("push"), at("2026-11-03 10:12:30"));
  EXPECT_EQ(scheduler->next_run("enrich"), at("2026-11-03 10:03"));
  EXPECT_FALSE(scheduler->next_run("qualify").has_value()) << "missing from the new list: off";
  const auto jobs = scheduler->snapshot();
  EXPECT_TRUE(job(jobs, "qualify").off);
  EXPECT_TRUE(job(jobs, "push").running) << "the run in progress is kept";
  EXPECT_TRUE(scheduler->finished("push", RunOutcome::ok).ok());
  EXPECT_TRUE(scheduler->tick(at("2026-11-03 11:00")).skipped.empty());
}

TEST_F(SchedulerTest, RunLaunchesEachDueJobWaitingThroughTheSleeperUntilCancelled) {
  CancellationSource stop;
  std::unique_ptr<Scheduler> scheduler;
  std::vector<Firing> seen;
  auto created = Scheduler::create(
      {{.name = "push", .schedule = "*/5 * * * *", .time_zone = ""}}, *store_,
      [&](const Firing& firing) -> Status {
        seen.push_back(firing);
        // The job "runs" at once: the owner may report the end from inside the launch.
        EXPECT_TRUE(scheduler->finished(firing.job, RunOutcome::ok).ok());
        if (seen.size() == 3) {
          stop.cancel();
        }
        return ok_status();
      },
      clock_, sleeper_);
  ASSERT_TRUE(created.ok()) << created.error().describe();
  scheduler = std::move(created).value();
  scheduler->run(stop.token());
  ASSERT_EQ(seen.size(), 3U);
  EXPECT_EQ(seen[0].due, at("2026-11-03 10:05"));
  EXPECT_EQ(seen[1].due, at("2026-11-03 10:10"));
  EXPECT_EQ(seen[2].due, at("2026-11-03 10:15"));
  EXPECT_EQ(seen[2].at, at("2026-11-03 10:15")) << "the sleeper waited exactly until each slot";
  EXPECT_EQ(job(scheduler->snapshot(), "push").last_outcome, RunOutcome::ok);
}

TEST_F(SchedulerTest, RunReturnsPromptlyWhenCancelledDuringALongWait) {
  auto scheduler = make({{.name = "qualify", .schedule = "0 0 1 1 *", .time_zone = ""}},
                        &RealSleeper::instance());
  ASSERT_NE(scheduler, nullptr);
  CancellationSource stop;
  auto running = std::async(std::launch::async, [&] { scheduler->run(stop.token()); });
  stop.cancel();
  // Without the cancel, run() would wait a minute (max_wait) and then on: only cancel ends it.
  ASSERT_EQ(running.wait_for(30s), std::future_status::ready);
  running.get();
  EXPECT_TRUE(launched().empty());
}

TEST_F(SchedulerTest, FinishedAndReplaceWakeRunEarly) {
  auto scheduler =
      make({{.name = "push", .schedule = "@every 1h", .time_zone = ""}}, &RealSleeper::instance());
  ASSERT_NE(scheduler, nullptr);
  CancellationSource stop;
  auto running = std::async(std::launch::async, [&] { scheduler->run(stop.token()); });
  const auto launches = [&](std::size_t count) {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, 30s, [&] { return launched_.size() >= count; });
  };
  // run() waits on the real clock for at most max_wait (a minute): only a wake makes it look at
  // the moved ManualClock sooner.
  clock_.advance(1h);
  ASSERT_TRUE(
      scheduler->replace({{.name = "push", .schedule = "@every 1h", .time_zone = ""}}).ok());
  ASSERT_TRUE(launches(1));
  clock_.advance(1h);
  ASSERT_TRUE(scheduler->finished("push", RunOutcome::ok).ok());
  ASSERT_TRUE(launches(2));
  stop.cancel();
  ASSERT_EQ(running.wait_for(30s), std::future_status::ready);
  running.get();
  EXPECT_EQ(launched().size(), 2U);
}

// ---- several workers sharing one store (issue 16): each slot runs on one of them

int count_job(const std::vector<Firing>& firings, const std::string& job) {
  return static_cast<int>(
      std::count_if(firings.begin(), firings.end(), [&](const Firing& f) { return f.job == job; }));
}

TEST_F(SchedulerTest, OfThreeWorkersTickingAtTheSameSlotExactlyOneRunsIt) {
  auto first = make({{.name = "pull", .schedule = "*/5 * * * *", .time_zone = ""}});
  auto second = make({{.name = "pull", .schedule = "*/5 * * * *", .time_zone = ""}});
  auto third = make({{.name = "pull", .schedule = "*/5 * * * *", .time_zone = ""}});
  ASSERT_NE(third, nullptr);

  EXPECT_EQ(first->tick(at("2026-11-03 10:05:00")).launched.size(), 1U);
  EXPECT_TRUE(second->tick(at("2026-11-03 10:05:00")).launched.empty());
  EXPECT_TRUE(third->tick(at("2026-11-03 10:05:01")).launched.empty());
  EXPECT_EQ(job(second->snapshot(), "pull").taken_elsewhere, 1);

  // The next slot goes to whoever ticks first; again only one.
  EXPECT_EQ(third->tick(at("2026-11-03 10:10:00")).launched.size(), 1U);
  EXPECT_TRUE(first->tick(at("2026-11-03 10:10:00")).launched.empty());
  EXPECT_TRUE(second->tick(at("2026-11-03 10:10:02")).launched.empty());
  EXPECT_EQ(count_job(launched_, "pull"), 2);
}

TEST_F(SchedulerTest, AnIntervalCountsFromTheLastFiringOfAnyWorker) {
  clock_.set(at("2026-11-03 10:00:00"));
  auto early = make({{.name = "pull", .schedule = "@every 10m", .time_zone = ""}});
  clock_.set(at("2026-11-03 10:03:00"));
  auto late = make({{.name = "pull", .schedule = "@every 10m", .time_zone = ""}});
  ASSERT_NE(late, nullptr);

  EXPECT_EQ(early->tick(at("2026-11-03 10:10:00")).launched.size(), 1U);
  // The second worker's own interval ends at 10:13, but the last firing was 10:10.
  EXPECT_TRUE(late->tick(at("2026-11-03 10:13:00")).launched.empty());
  EXPECT_EQ(late->tick(at("2026-11-03 10:23:00")).launched.size(), 1U);
  EXPECT_TRUE(early->tick(at("2026-11-03 10:24:00")).launched.empty());
  EXPECT_EQ(count_job(launched_, "pull"), 2);
}

} // namespace
TEST_F(SchedulerTest, AScheduleInTheConfigsTimeZoneFiresAtThatZonesWallClockTime) {
  // 09:00 in Berlin is 08:00 UTC in winter (CET, +1) and 07:00 UTC in summer (CEST, +2).
  auto scheduler = Scheduler::create(
      {{.name = "qualify", .schedule = "0 9 * * *", .time_zone = "Europe/Berlin"}}, *store_,
      [](const Firing&) { return ok_status(); }, clock_, sleeper_);
  ASSERT_TRUE(scheduler.ok()) << scheduler.error().message;
  const auto next = (*scheduler)->next_run("qualify");
  ASSERT_TRUE(next);
  const auto utc_hour = std::chrono::duration_cast<std::chrono::hours>(next->time_since_epoch() %
                                                                       std::chrono::hours(24))
                            .count();
  EXPECT_TRUE(utc_hour == 8 || utc_hour == 7) << utc_hour;
  const auto snapshot = (*scheduler)->snapshot();
  ASSERT_EQ(snapshot.size(), 1u);
  EXPECT_EQ(snapshot[0].time_zone, "Europe/Berlin");
}

} // namespace leadsync::daemon
