// The one run recorder: the ok/partial/failed/interrupted rule, and what it writes to the run
// history.

#include "job_fixture.hpp"
#include "leadsync/jobs/job_kind.hpp"
#include "leadsync/jobs/run_recorder.hpp"

#include <gtest/gtest.h>

namespace leadsync::jobs {
namespace {

using testing::JobTest;

TEST(RunRuleTest, AJobThatFinishedWithoutProblemsIsOk) {
  EXPECT_EQ(classify({.problems = 0, .cancelled = false, .nothing_worked = false}), RunStatus::ok);
}

TEST(RunRuleTest, AJobWithRejectedOrDeadLetteredRecordsIsPartial) {
  EXPECT_EQ(classify({.problems = 3, .cancelled = false, .nothing_worked = false}),
            RunStatus::partial);
}

TEST(RunRuleTest, AJobWhereNothingWorkedIsFailedEvenWithoutAnError) {
  EXPECT_EQ(classify({.problems = 5, .cancelled = false, .nothing_worked = true}),
            RunStatus::failed);
}

TEST(RunRuleTest, ACancelledJobIsInterruptedWhateverElseHappened) {
  EXPECT_EQ(classify({.problems = 0, .cancelled = true, .nothing_worked = false}),
            RunStatus::interrupted);
  EXPECT_EQ(classify({.problems = 2, .cancelled = true, .nothing_worked = true}),
            RunStatus::interrupted);
}

TEST(RunRuleTest, StatusNamesAreThoseOfTheRunHistoryAndParseBack) {
  for (const auto status : {RunStatus::running, RunStatus::ok, RunStatus::partial,
                            RunStatus::failed, RunStatus::interrupted}) {
    EXPECT_EQ(parse_run_status(to_string(status)), status);
  }
  EXPECT_EQ(to_string(RunStatus::interrupted), "interrupted");
  EXPECT_FALSE(parse_run_status("Ok").has_value());
}

TEST(JobKindTest, KindsParseBackFromTheirNamesAndNothingElse) {
  for (const auto kind : all_job_kinds) {
    EXPECT_EQ(parse_job_kind(to_string(kind)), kind);
  }
  EXPECT_EQ(to_string(JobKind::qualify), "qualify");
  EXPECT_FALSE(parse_job_kind("events").has_value());
  EXPECT_FALSE(parse_job_kind("PUSH").has_value());
}

TEST(JobKindTest, EachScheduledKindReadsItsOwnScheduleAndImportNone) {
  config::ScheduleOptions schedule;
  schedule.pull = "*/5 * * * *";
  schedule.push = "* * * * *";
  schedule.enrich = "";
  schedule.qualify = "@hourly";
  schedule.import_watch = "/srv/incoming";
  EXPECT_EQ(schedule_expression(schedule, JobKind::pull), "*/5 * * * *");
  EXPECT_EQ(schedule_expression(schedule, JobKind::push), "* * * * *");
  EXPECT_EQ(schedule_expression(schedule, JobKind::enrich), ""); // off
  EXPECT_EQ(schedule_expression(schedule, JobKind::qualify), "@hourly");
  EXPECT_EQ(schedule_expression(schedule, JobKind::import), "");
}

using RunRecorderTest = JobTest;

TEST_F(RunRecorderTest, AFinishedRunCarriesTheRuleStatusCountsAndMessage) {
  auto recorder = RunRecorder::begin(*store_, clock_, "push").value();
  ASSERT_EQ(runs().at(0).status, "running");
  clock_.advance(std::chrono::seconds{3});

  const auto summary =
      recorder
          .finish({.problems = 2, .cancelled = false, .nothing_worked = false},
                  {{"claimed", 10}, {"dead_lettered", 2}}, "2 dead-lettered, 0 to retry later")
          .value();

  EXPECT_EQ(summary.status, RunStatus::partial);
  EXPECT_EQ(summary.id, recorder.id());
  const auto run = runs().at(0);
  EXPECT_EQ(run.id, summary.id);
  EXPECT_EQ(run.kind, "push");
  EXPECT_EQ(run.status, "partial");
  EXPECT_EQ(run.counts.at("claimed"), 10);
  EXPECT_EQ(run.message, "2 dead-lettered, 0 to retry later");
  ASSERT_TRUE(run.finished_at.has_value());
  EXPECT_EQ(std::chrono::floor<std::chrono::seconds>(*run.finished_at),
            std::chrono::floor<std::chrono::seconds>(clock_.now()));
}

TEST_F(RunRecorderTest, ACancelledRunIsRecordedInterrupted) {
  auto recorder = RunRecorder::begin(*store_, clock_, "import").value();

  ASSERT_TRUE(
      recorder.finish({.problems = 0, .cancelled = true, .nothing_worked = false}, {}, "x").ok());

  EXPECT_EQ(runs().at(0).status, "interrupted");
}

TEST_F(RunRecorderTest, AFailedRunKeepsWhatStoppedIt) {
  auto recorder = RunRecorder::begin(*store_, clock_, "pull").value();

  const auto summary = recorder.fail("unavailable: the CRM did not answer", {{"throttled", 1}});

  EXPECT_EQ(summary.status, RunStatus::failed);
  const auto run = runs().at(0);
  EXPECT_EQ(run.status, "failed");
  EXPECT_EQ(run.message, "unavailable: the CRM did not answer");
  EXPECT_EQ(run.counts.at("throttled"), 1);
}

TEST_F(RunRecorderTest, ARunAJobForgotToFinishIsRecordedFailedNotLeftRunning) {
  {
    auto recorder = RunRecorder::begin(*store_, clock_, "events").value();
    auto moved = std::move(recorder); // moving hands the run over; only `moved` finishes it
  }

  const auto all = runs();
  ASSERT_EQ(all.size(), 1U);
  EXPECT_EQ(all[0].status, "failed");
  EXPECT_NE(all[0].message.find("without recording"), std::string::npos) << all[0].message;
}

TEST_F(RunRecorderTest, ADryRunRecordsNothingButStillClassifies) {
  auto recorder = RunRecorder::not_recorded();

  const auto summary =
      recorder.finish({.problems = 1, .cancelled = false, .nothing_worked = false}, {}, "file")
          .value();

  EXPECT_EQ(summary.id, 0);
  EXPECT_EQ(summary.status, RunStatus::partial);
  EXPECT_TRUE(runs().empty());
}

TEST_F(RunRecorderTest, AnEarlierRunIsFinishedInterruptedWithItsCounts) {
  const auto earlier = store_->begin_run("import").value(); // left running, as a killed process

  ASSERT_TRUE(
      RunRecorder::finish_interrupted(*store_, earlier.id, {{"read", 8}}, "resumed by run 9").ok());

  const auto run = runs().at(0);
  EXPECT_EQ(run.status, "interrupted");
  EXPECT_EQ(run.counts.at("read"), 8);
  EXPECT_EQ(run.message, "resumed by run 9");
}

} // namespace
} // namespace leadsync::jobs
