// The qualify, events and enrich jobs over a store of imported leads: their outcomes and the runs
// they record. qualify and enrich record their own runs; the status their outcome reports is the
// one rule's (classify()), and it must be the one in the history.

#include "job_fixture.hpp"
#include "leadsync/jobs/enrich.hpp"
#include "leadsync/jobs/events.hpp"
#include "leadsync/jobs/import.hpp"
#include "leadsync/jobs/qualify.hpp"

#include <gtest/gtest.h>

namespace leadsync::jobs {
namespace {

using testing::email_of;
using testing::JobTest;
using testing::people_csv;

class StoredLeadsTest : public JobTest {
protected:
  void SetUp() override {
    JobTest::SetUp();
    ImportRequest request;
    request.file = write("list.csv", people_csv(3));
    ASSERT_TRUE(run_import(runtime(), request).ok());
  }

  // The run `id` as the history has it.
  store::RunRecord run(std::int64_t id) {
    for (auto& run : runs()) {
      if (run.id == id) {
        return run;
      }
    }
    ADD_FAILURE() << "no run " << id;
    return {};
  }
};

using QualifyJobTest = StoredLeadsTest;

TEST_F(QualifyJobTest, EveryLeadIsScoredAndTheRunIsRecordedWithTheRuleStatus) {
  std::vector<std::int64_t> progress;
  const JobContext context{
      .cancel = {}, .on_progress = [&](const JobProgress& at) { progress.push_back(at.done); }};

  const auto outcome = run_qualify(runtime(), {.dry_run = false}, context).value();

  EXPECT_EQ(outcome.figures.leads, 3);
  EXPECT_EQ(outcome.figures.changed, 3); // never scored before
  EXPECT_EQ(outcome.run.status, RunStatus::ok);
  ASSERT_NE(outcome.run.id, 0);
  const auto recorded = run(outcome.run.id);
  EXPECT_EQ(recorded.kind, "qualify");
  EXPECT_EQ(recorded.status, to_string(outcome.run.status));
  EXPECT_EQ(recorded.counts.at("leads"), 3);
  ASSERT_FALSE(progress.empty());
  EXPECT_EQ(progress.back(), 3);
  for (const auto& lead : leads()) {
    EXPECT_TRUE(lead.qualification.scored_at.has_value()) << lead.identity.id;
  }
}

TEST_F(QualifyJobTest, ADryRunScoresButWritesAndRecordsNothing) {
  const auto before = runs().size();

  const auto outcome = run_qualify(runtime(), {.dry_run = true}).value();

  EXPECT_EQ(outcome.figures.leads, 3);
  EXPECT_EQ(outcome.run.id, 0);
  EXPECT_EQ(runs().size(), before);
  for (const auto& lead : leads()) {
    EXPECT_FALSE(lead.qualification.scored_at.has_value());
  }
}

TEST_F(QualifyJobTest, ACancelledRunIsInterruptedInTheOutcomeAndTheHistoryAlike) {
  CancellationSource cancel;
  cancel.cancel();

  const auto outcome =
      run_qualify(runtime(), {.dry_run = false}, {.cancel = cancel.token(), .on_progress = {}})
          .value();

  EXPECT_TRUE(outcome.figures.interrupted);
  EXPECT_EQ(outcome.run.status, RunStatus::interrupted);
  EXPECT_EQ(run(outcome.run.id).status, "interrupted");
}

TEST_F(QualifyJobTest, OneLeadIsExplainedWithoutWritingOrRecordingAnything) {
  const auto lead = leads().at(0);
  const auto before = runs().size();

  const auto assessment = explain_lead(runtime(), lead.identity.id).value();

  EXPECT_FALSE(assessment.reason_text.empty());
  EXPECT_FALSE(assessment.reasons.empty());
  EXPECT_EQ(runs().size(), before);
  EXPECT_FALSE(explain_lead(runtime(), "00000000-0000-4000-8000-000000000000").ok());
}

using EventsJobTest = StoredLeadsTest;

TEST_F(EventsJobTest, EventsOfKnownLeadsAreAddedAndTheRunIsOk) {
  const auto path = write(
      "events.jsonl",
      R"({"email":")" + email_of(0) +
          R"(","kind":"pricing_page_visit","occurred_at":"2026-11-22T20:00:00Z","detail":"/pricing"})"
          "\n" +
          R"({"email":")" + email_of(1) +
          R"(","kind":"webinar_attended","occurred_at":"2026-11-22T21:00:00Z","detail":"Scoring 101"})"
          "\n");

  const auto outcome = run_events_import(runtime(), {.file = path}).value();

  EXPECT_EQ(outcome.report.added, 2);
  EXPECT_EQ(outcome.run.status, RunStatus::ok);
  const auto recorded = run(outcome.run.id);
  EXPECT_EQ(recorded.kind, "events");
  EXPECT_EQ(recorded.status, "ok");
  EXPECT_EQ(recorded.counts.at("added"), 2);
  EXPECT_EQ(recorded.message, path);
}

TEST_F(EventsJobTest, AnEventOfAnUnknownLeadMakesTheRunPartial) {
  const auto path = write(
      "events.jsonl",
      R"({"email":")" + email_of(0) +
          R"(","kind":"page_visit","occurred_at":"2026-11-22T20:00:00Z","detail":"/"})"
          "\n"
          R"({"email":"nobody@example.com","kind":"page_visit","occurred_at":"2026-11-22T20:00:00Z","detail":"/"})"
          "\n");

  const auto outcome = run_events_import(runtime(), {.file = path}).value();

  EXPECT_EQ(outcome.report.added, 1);
  EXPECT_EQ(outcome.report.unknown_leads, 1);
  EXPECT_EQ(outcome.run.status, RunStatus::partial);
  EXPECT_EQ(run(outcome.run.id).status, "partial");
  EXPECT_EQ(run(outcome.run.id).counts.at("unknown_leads"), 1);
}

TEST_F(EventsJobTest, AFolderIsRefusedBeforeAnyRunIsRecorded) {
  const auto before = runs().size();

  const auto outcome = run_events_import(runtime(), {.file = dir_.path().string()});

  ASSERT_FALSE(outcome.ok());
  EXPECT_EQ(outcome.error().category, ErrorCategory::invalid_argument);
  EXPECT_NE(outcome.error().message.find("is not a file; name a JSON Lines"), std::string::npos)
      << outcome.error().message;
  EXPECT_EQ(runs().size(), before);
}

TEST_F(EventsJobTest, AnUnusableCsvHeaderFailsTheRunWithTheReason) {
  const auto path = write("events.csv", "lead,when\nx,y\n");

  const auto outcome = run_events_import(runtime(), {.file = path});

  ASSERT_FALSE(outcome.ok());
  const auto recorded = runs().at(0);
  EXPECT_EQ(recorded.kind, "events");
  EXPECT_EQ(recorded.status, "failed");
  EXPECT_NE(recorded.message.find(outcome.error().message), std::string::npos) << recorded.message;
}

using EnrichJobTest = StoredLeadsTest;

TEST_F(EnrichJobTest, WithoutProvidersTheJobSaysHowToConfigureOneAndRecordsNothing) {
  const auto before = runs().size();

  const auto outcome = run_enrich(runtime(), {});

  ASSERT_FALSE(outcome.ok());
  EXPECT_EQ(outcome.error().category, ErrorCategory::config);
  EXPECT_EQ(runs().size(), before);
}

} // namespace
} // namespace leadsync::jobs
