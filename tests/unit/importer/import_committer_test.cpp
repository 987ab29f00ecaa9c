// The import's committer thread (csv_import.hpp), through CsvImport: the writer de-duplicates the
// next batch while the committer writes the last one. Each test runs with commits in the
// background and on the calling thread. lead_writer_test.cpp holds a batch in flight.

#include "gated_store.hpp"
#include "leadsync/core/cancel.hpp"
#include "leadsync/importer/csv_import.hpp"
#include "leadsync/store/sqlite_store.hpp"
#include "support/csv_fixtures.hpp"

#include <gtest/gtest.h>

namespace leadsync::importer {
namespace {

using test::TempDir;
using testing::GatedStore;

const std::string header = "First Name,Last Name,Email,Phone,Company,Job Title,Country\n";

std::string email_of(int n) {
  return "person" + std::to_string(n) + "@company" + std::to_string(n) + ".com";
}

std::string row_of(int n, const std::string& title = "Engineer", const std::string& phone = "") {
  const auto id = std::to_string(n);
  return "Person" + id + ",Tester," + email_of(n) + "," +
         (phone.empty() ? "+1 212 456 " + std::to_string(1000 + n) : phone) + ",Company " + id +
         "," + title + ",USA\n";
}

std::string list_of(int count) {
  std::string text = header;
  for (int i = 0; i < count; ++i) {
    text += row_of(i);
  }
  return text;
}

class CommitterTest : public ::testing::TestWithParam<bool> {
protected:
  void SetUp() override {
    store_ = store::open_sqlite_store({":memory:"}, clock_, random_).value();
    dictionary_ = ColumnDictionary::load_text(builtin_import_columns()).value();
  }

  CsvImportOptions options_for(const std::string& path) {
    CsvImportOptions options;
    options.path = path;
    options.default_region = "US";
    return options;
  }

  // One row per chunk, two per batch: a small file makes several batches.
  static PipelineTuning two_row_batches(bool in_background) {
    PipelineTuning tuning;
    tuning.normalizer_threads = 2;
    tuning.chunk_rows = 1;
    tuning.chunks_in_flight = 4;
    tuning.batch_rows = 2;
    tuning.commit_in_background = in_background;
    return tuning;
  }

  Result<ImportReport> import(store::Store& through, const CsvImportOptions& options,
                              const PipelineTuning& tuning, const CancellationToken& cancel = {},
                              const CsvImport::ProgressCallback& progress = {}) {
    auto prepared = CsvImport::prepare(through, dictionary_, options, clock_, random_);
    if (!prepared.ok()) {
      return fail(prepared.error());
    }
    return prepared->run(tuning, progress, cancel);
  }

  ImportCheckpoint stored_checkpoint(const std::string& path) {
    return import_checkpoint_from_json(
               store_->get_checkpoint(import_checkpoint_name(path).value()).value().value())
        .value();
  }

  std::vector<model::Lead> all_leads() {
    store::PageRequest page;
    page.limit = 1000;
    return store_->list_leads({}, page).value().leads;
  }

  ManualClock clock_;
  SeededRandom random_{11};
  TempDir dir_;
  std::unique_ptr<store::Store> store_;
  ColumnDictionary dictionary_ = ColumnDictionary::load_text("[fields]\n").value();
};

// Each person comes again in the next batch: in the background, the lead the row merges into is
// in the batch in flight when the row is added (lead_writer_test.cpp holds one in flight to show
// that its write has not happened then).
TEST_P(CommitterTest, RowsMergeIntoLeadsOfThePreviousBatch) {
  std::string text = header + row_of(0);
  for (int i = 1; i < 8; ++i) {
    text += row_of(i) + row_of(i - 1, "CTO", "+1 212 456 " + std::to_string(2000 + i - 1));
  }
  const auto path = dir_.write("list.csv", text); // batches: p0 p1 | p0' p2 | p1' p3 | ...
  GatedStore gated(*store_);

  const auto report = import(gated, options_for(path), two_row_batches(GetParam()));

  ASSERT_TRUE(report.ok()) << report.error().describe();
  EXPECT_EQ(report->counts.new_leads, 8);
  EXPECT_EQ(report->counts.merged_in_file, 7);
  EXPECT_EQ(all_leads().size(), 8U);
  for (int i = 0; i < 7; ++i) {
    const auto leads = store_->find_by_email(email_of(i)).value();
    ASSERT_EQ(leads.size(), 1U) << email_of(i);
    EXPECT_EQ(leads[0].person.job_title, "CTO");
    EXPECT_EQ(leads[0].identity.version, 2);      // created, then updated by the next batch
    EXPECT_EQ(leads[0].person.phones.size(), 2U); // both rows' numbers
  }
}

TEST_P(CommitterTest, AFailedCommitFailsTheImportAndResumeImportsEveryRowOnce) {
  const auto path = dir_.write("list.csv", list_of(10)); // five batches
  GatedStore gated(*store_);
  gated.fail(1);

  const auto failed = import(gated, options_for(path), two_row_batches(GetParam()));

  ASSERT_FALSE(failed.ok());
  EXPECT_EQ(failed.error().category, ErrorCategory::storage);
  EXPECT_NE(failed.error().message.find("disk full (injected)"), std::string::npos);
  EXPECT_EQ(gated.write_batch_calls(), 2U); // nothing was handed after the failed batch
  ASSERT_EQ(gated.batches().size(), 1U);
  // Only the one before the first lookup (finishing earlier loads): none after the failure.
  EXPECT_EQ(gated.finish_bulk_load_after(), (std::vector<std::size_t>{0}));
  // The checkpoint is the first batch's, given up (no owner) so that it can be resumed at once.
  const auto first = import_checkpoint_from_json(gated.batches()[0].checkpoint->value).value();
  const auto checkpoint = stored_checkpoint(path);
  EXPECT_EQ(checkpoint.state, ImportCheckpoint::State::running);
  EXPECT_EQ(checkpoint.resume.line, first.resume.line);
  EXPECT_EQ(checkpoint.counts.rows_read, 2);
  EXPECT_TRUE(checkpoint.owner.empty());
  EXPECT_EQ(all_leads().size(), 2U);

  clock_.advance(std::chrono::seconds{1});
  auto resume = options_for(path);
  resume.start = CsvImportOptions::Start::resume;
  GatedStore resumed_through(*store_);
  const auto resumed = import(resumed_through, resume, two_row_batches(GetParam()));

  ASSERT_TRUE(resumed.ok()) << resumed.error().describe();
  EXPECT_EQ(resumed->resumed_at_line, first.resume.line);
  EXPECT_EQ(resumed->counts.rows_read, 10);
  EXPECT_EQ(resumed->counts.new_leads, 10);
  EXPECT_TRUE(resumed->counts.balanced());
  EXPECT_EQ(all_leads().size(), 10U);
  for (int i = 0; i < 10; ++i) {
    EXPECT_EQ(store_->find_by_email(email_of(i)).value().size(), 1U) << email_of(i);
  }
  EXPECT_EQ(stored_checkpoint(path).state, ImportCheckpoint::State::finished);
  const auto finished = resumed_through.finish_bulk_load_after();
  ASSERT_EQ(finished.size(), 2U); // the failed run's load first, then this one's at its end
  EXPECT_EQ(finished[0], 0U);
  EXPECT_EQ(finished[1], resumed_through.write_batch_calls());
}

TEST_P(CommitterTest, EveryWriteIsABulkLoadFinishedOnceAfterTheLastCommit) {
  const auto path = dir_.write("list.csv", list_of(7) + row_of(3, "CTO"));
  GatedStore gated(*store_);

  const auto report = import(gated, options_for(path), two_row_batches(GetParam()));

  ASSERT_TRUE(report.ok()) << report.error().describe();
  EXPECT_EQ(report->counts.merged_in_file, 1);
  const auto batches = gated.batches();
  ASSERT_EQ(batches.size(), 5U); // four of two rows, then the end of the file
  std::size_t writes = 0;
  for (const auto& batch : batches) {
    EXPECT_EQ(batch.bulk_writes, batch.writes);
    writes += batch.writes;
  }
  EXPECT_EQ(writes, 8U); // seven new leads, and person 3 again
  // Before the first lookup (an earlier load left unfinished), and once after the last commit.
  EXPECT_EQ(gated.finish_bulk_load_after(), (std::vector<std::size_t>{0, 5}));
  EXPECT_EQ(store_->find_by_email(email_of(3)).value().at(0).person.job_title, "CTO");
}

TEST_P(CommitterTest, AStoppedImportCommitsItsLastBatchAndFinishesTheBulkLoad) {
  const auto path = dir_.write("list.csv", list_of(10));
  GatedStore gated(*store_);
  CancellationSource cancel;

  const auto report = import(gated, options_for(path), two_row_batches(GetParam()), cancel.token(),
                             [&](const ImportProgress&) { cancel.cancel(); });

  ASSERT_TRUE(report.ok()) << report.error().describe();
  ASSERT_TRUE(report->stopped_at_line.has_value());
  EXPECT_EQ(gated.batches().size(), 1U);
  EXPECT_EQ(gated.finish_bulk_load_after(), (std::vector<std::size_t>{0, 1}));
  const auto checkpoint = stored_checkpoint(path);
  EXPECT_EQ(checkpoint.resume.line, *report->stopped_at_line); // the batch in flight is stored
  EXPECT_EQ(checkpoint.counts, report->counts);
  EXPECT_EQ(all_leads().size(), 2U);
}

// The writer checks its filter of stored keys against the marker the committer reads after each
// commit, not by asking the store per chunk (a commit in progress would hold every call up).
TEST_P(CommitterTest, TheStoreIsAskedForTheForeignWriteMarkerOncePerCommit) {
  const auto path = dir_.write("list.csv", list_of(12)); // twelve chunks
  GatedStore gated(*store_);

  const auto report = import(gated, options_for(path), two_row_batches(GetParam()));

  ASSERT_TRUE(report.ok()) << report.error().describe();
  EXPECT_EQ(gated.batches().size(), 7U); // six of two rows, then the end of the file
  // Once when the filter is built, then once per batch.
  EXPECT_EQ(gated.foreign_write_marker_calls(), 1U + 7U);
}

// The stored-key lookups skip the bulk load backlog (LeadLookup::skip_unfinished_bulk_loads) while
// it can hold only this import's leads: until another process writes leads.
TEST_P(CommitterTest, LookupsSkipTheBulkLoadBacklogUntilAnotherProcessWrites) {
  for (const int stored : {5, 6, 7}) {
    model::Lead lead;
    lead.person.last_name = "Tester";
    lead.person.emails.push_back(email_of(stored));
    ASSERT_TRUE(store_->create_lead(lead).ok());
  }
  clock_.advance(std::chrono::seconds{1});
  // Each batch has a stored person: each asks the store (find_leads) once, before it is added.
  const auto path = dir_.write("list.csv", header + row_of(0) + row_of(5) + row_of(1) + row_of(6) +
                                               row_of(2) + row_of(7));
  GatedStore gated(*store_);
  gated.after_batch([&](std::size_t index) {
    if (index == 0) {
      gated.add_foreign_write(); // another process writes a lead meanwhile
    }
  });

  const auto report = import(gated, options_for(path), two_row_batches(GetParam()));

  ASSERT_TRUE(report.ok()) << report.error().describe();
  EXPECT_EQ(report->counts.merged_with_stored, 3);
  const auto skips = gated.find_leads_skips();
  ASSERT_EQ(skips.size(), 3U);
  EXPECT_TRUE(skips.front());
  EXPECT_FALSE(skips.back());                            // after the other process's write was seen
  EXPECT_EQ(gated.finish_bulk_load_after().front(), 0U); // before any lookup
}

TEST_P(CommitterTest, ADryRunLeavesTheStoresBulkLoadAlone) {
  model::Lead lead;
  lead.person.last_name = "Tester";
  lead.person.emails.push_back(email_of(1));
  ASSERT_TRUE(store_->create_lead(lead).ok());
  clock_.advance(std::chrono::seconds{1});
  auto options = options_for(dir_.write("list.csv", list_of(4)));
  options.dry_run = true;
  GatedStore gated(*store_);

  const auto report = import(gated, options, two_row_batches(GetParam()));

  ASSERT_TRUE(report.ok()) << report.error().describe();
  EXPECT_EQ(report->counts.merged_with_stored, 1);
  EXPECT_TRUE(gated.finish_bulk_load_after().empty());
  EXPECT_EQ(gated.find_leads_skips(), (std::vector<bool>{false})); // it may hold others' leads
  EXPECT_EQ(gated.write_batch_calls(), 0U);
}

INSTANTIATE_TEST_SUITE_P(InBackgroundOrNot, CommitterTest, ::testing::Bool(),
                         [](const ::testing::TestParamInfo<bool>& info) {
                           return info.param ? std::string("InBackground")
                                             : std::string("OnTheCallingThread");
                         });

} // namespace
} // namespace leadsync::importer
