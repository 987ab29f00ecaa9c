// The import job: CSV lists (with the run it records, cancellation and resume) and JSON Lines, and
// the checks a request gets before anything is opened.

#include "job_fixture.hpp"
#include "leadsync/importer/import_checkpoint.hpp"
#include "leadsync/jobs/import.hpp"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <gtest/gtest.h>

namespace leadsync::jobs {
namespace {

using testing::JobTest;
using testing::people_csv;

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

// Small batches (4 rows) over a few threads: an import of 20 rows commits five times.
importer::PipelineTuning small_batches() {
  return {.normalizer_threads = 2, .chunk_rows = 2, .chunks_in_flight = 3, .batch_rows = 4};
}

class ImportJobTest : public JobTest {
protected:
  ImportRequest csv_request(const std::string& path) {
    ImportRequest request;
    request.file = path;
    return request;
  }

  Result<ImportOutcome> import(const ImportRequest& request, const JobContext& context = {}) {
    auto prepared = prepare_import(runtime(), request);
    if (!prepared.ok()) {
      return fail(prepared.error());
    }
    return prepared->run(context, small_batches());
  }

  importer::ImportCheckpoint checkpoint_of(const std::string& path) {
    const auto name = importer::import_checkpoint_name(path).value();
    return importer::import_checkpoint_from_json(store_->get_checkpoint(name).value().value())
        .value();
  }
};

TEST_F(ImportJobTest, ACsvImportIsRecordedOkWithItsCountsAndTheRunIdInItsCheckpoint) {
  const auto path = write("list.csv", people_csv(3));

  const auto outcome = import(csv_request(path)).value();

  ASSERT_TRUE(outcome.csv.has_value());
  EXPECT_FALSE(outcome.jsonl.has_value());
  EXPECT_EQ(outcome.format, ImportFormat::csv);
  EXPECT_EQ(outcome.csv->counts.new_leads, 3);
  EXPECT_EQ(outcome.run.status, RunStatus::ok);
  const auto history = runs();
  ASSERT_EQ(history.size(), 1U);
  EXPECT_EQ(history[0].id, outcome.run.id);
  EXPECT_EQ(history[0].kind, "import");
  EXPECT_EQ(history[0].status, "ok");
  EXPECT_EQ(history[0].counts.at("created"), 3);
  EXPECT_EQ(history[0].message, path);
  EXPECT_EQ(outcome.csv->run_id, outcome.run.id);
  EXPECT_EQ(checkpoint_of(path).run_id, outcome.run.id);
  EXPECT_EQ(leads().size(), 3U);
}

TEST_F(ImportJobTest, RejectedRowsMakeACsvImportPartial) {
  const auto outcome = import(csv_request(write("list.csv", people_csv(2, 1)))).value();

  EXPECT_EQ(outcome.csv->counts.rejected(), 1);
  EXPECT_EQ(outcome.run.status, RunStatus::partial);
  EXPECT_EQ(runs().at(0).status, "partial");
  EXPECT_EQ(runs().at(0).counts.at("rejected"), 1);
}

TEST_F(ImportJobTest, ACancelledImportIsInterruptedAndItsResumeFinishesThatRun) {
  const auto path = write("list.csv", people_csv(20));
  CancellationSource cancel;
  int progress_reports = 0;
  const JobContext stopping{.cancel = cancel.token(), .on_progress = [&](const JobProgress& at) {
                              ++progress_reports;
                              EXPECT_GT(at.done, 0);
                              EXPECT_GT(at.bytes_total, 0U);
                              cancel.cancel();
                            }};

  const auto stopped = import(csv_request(path), stopping).value();

  ASSERT_TRUE(stopped.csv->stopped_at_line.has_value());
  EXPECT_EQ(*stopped.csv->stopped_at_line, 6); // the rows of lines 2..5 are stored
  EXPECT_EQ(progress_reports, 1);
  EXPECT_EQ(stopped.run.status, RunStatus::interrupted);
  EXPECT_TRUE(contains(stopped.run.message, "stopped before line 6")) << stopped.run.message;
  EXPECT_TRUE(contains(stopped.run.message, "leadsync import " + path + " --resume"))
      << stopped.run.message;
  EXPECT_EQ(runs().at(0).status, "interrupted");

  clock_.advance(std::chrono::seconds{1});
  auto resume = csv_request(path);
  resume.resume = true;
  const auto resumed = import(resume).value();

  EXPECT_EQ(resumed.csv->counts.new_leads, 20);
  EXPECT_EQ(resumed.run.status, RunStatus::ok);
  const auto history = runs(); // newest first
  ASSERT_EQ(history.size(), 2U);
  EXPECT_EQ(history[0].id, resumed.run.id);
  EXPECT_EQ(history[0].status, "ok");
  EXPECT_EQ(history[1].id, stopped.run.id);
  EXPECT_EQ(history[1].status, "interrupted");
  EXPECT_EQ(history[1].message,
            path + ": interrupted before line 6; resumed by run " + std::to_string(resumed.run.id));
  EXPECT_EQ(history[1].counts.at("read"), 4);
  EXPECT_EQ(leads().size(), 20U);
}

TEST_F(ImportJobTest, AnImportThatFailsIsRecordedFailedWithWhatStoppedIt) {
  const auto path = write("list.csv", people_csv(3));
  auto request = csv_request(path);
  request.errors_file = (dir_.path() / "no-such-folder" / "errors.csv").string();

  const auto failed = import(request);

  ASSERT_FALSE(failed.ok());
  const auto history = runs();
  ASSERT_EQ(history.size(), 1U);
  EXPECT_EQ(history[0].status, "failed");
  EXPECT_TRUE(contains(history[0].message, path + ": ")) << history[0].message;
  EXPECT_TRUE(contains(history[0].message, "--errors")) << history[0].message;
}

TEST_F(ImportJobTest, ADryRunRecordsNoRunAndStoresNothing) {
  auto request = csv_request(write("list.csv", people_csv(3, 1)));
  request.dry_run = true;

  const auto outcome = import(request).value();

  EXPECT_EQ(outcome.csv->counts.new_leads, 3);
  EXPECT_EQ(outcome.run.id, 0);
  EXPECT_EQ(outcome.run.status, RunStatus::partial); // what a real import would record
  EXPECT_TRUE(runs().empty());
  EXPECT_TRUE(leads().empty());
}

TEST_F(ImportJobTest, PrepareShowsThePlanBeforeAnyRowIsRead) {
  auto request = csv_request(write("list.csv", people_csv(2)));
  request.vendor = "Expo Leads";
  request.maps = {"Job Title=job_title"};

  auto prepared = prepare_import(runtime(), request).value();

  ASSERT_NE(prepared.csv(), nullptr);
  EXPECT_EQ(prepared.csv()->settings().list.vendor, "Expo Leads");
  EXPECT_EQ(prepared.csv()->delimiter(), ',');
  EXPECT_FALSE(prepared.dictionary_source().empty());
  const auto& columns = prepared.csv()->mapping().columns;
  EXPECT_TRUE(std::any_of(columns.begin(), columns.end(), [](const auto& column) {
    return column.header == "Job Title" && column.source == importer::MappingSource::command_line;
  }));
  EXPECT_TRUE(leads().empty());
  EXPECT_TRUE(runs().empty());
  ASSERT_TRUE(prepared.run().ok());
  EXPECT_EQ(leads().size(), 2U);
  EXPECT_FALSE(prepared.run().ok()); // once
}

TEST_F(ImportJobTest, ABadAcquiredDateOrMapIsRefusedBeforeTheImport) {
  auto bad_date = csv_request(write("list.csv", people_csv(2)));
  bad_date.acquired = "2026-13-01";
  auto bad_map = csv_request(bad_date.file);
  bad_map.maps = {"no equals sign"};

  const auto date = prepare_import(runtime(), bad_date);
  const auto map = prepare_import(runtime(), bad_map);

  ASSERT_FALSE(date.ok());
  EXPECT_EQ(date.error().category, ErrorCategory::invalid_argument);
  EXPECT_TRUE(contains(date.error().message, "--acquired")) << date.error().message;
  ASSERT_FALSE(map.ok());
  EXPECT_TRUE(runs().empty());
}

TEST_F(ImportJobTest, AJsonLinesImportIsRecordedAndRejectedLinesMakeItPartial) {
  const auto path = write(
      "leads.jsonl",
      R"({"person":{"last_name":"Haddad","emails":["r.haddad@example.ae"]},"company":{"name":"Gulf Co"}})"
      "\n"
      R"({"person":{"first_name":"NoLastName","emails":["x@example.com"]}})"
      "\n");

  const auto outcome = import(csv_request(path)).value();

  EXPECT_EQ(outcome.format, ImportFormat::jsonl);
  ASSERT_TRUE(outcome.jsonl.has_value());
  EXPECT_EQ(outcome.jsonl->created, 1);
  EXPECT_EQ(outcome.jsonl->rejected.size(), 1U);
  EXPECT_EQ(outcome.run.status, RunStatus::partial);
  const auto history = runs();
  ASSERT_EQ(history.size(), 1U);
  EXPECT_EQ(history[0].id, outcome.run.id);
  EXPECT_EQ(history[0].status, "partial");
  EXPECT_EQ(history[0].message, path);
}

TEST_F(ImportJobTest, AJsonLinesDryRunRecordsNothing) {
  auto request = csv_request(write("leads.jsonl",
                                   R"({"person":{"last_name":"Haddad","emails":["r@example.ae"]}})"
                                   "\n"));
  request.dry_run = true;

  const auto outcome = import(request).value();

  EXPECT_EQ(outcome.jsonl->created, 1);
  EXPECT_EQ(outcome.run.id, 0);
  EXPECT_TRUE(runs().empty());
  EXPECT_TRUE(leads().empty());
}

TEST(ImportRequestTest, AnExcelWorkbookIsRefusedWithHowToSaveItAsCsv) {
  ImportRequest request;
  request.file = "/tmp/leads.XLSX";

  const auto checked = check_import_request(request);

  ASSERT_FALSE(checked.ok());
  EXPECT_EQ(checked.error().category, ErrorCategory::invalid_argument);
  EXPECT_TRUE(contains(checked.error().message, "File > Save As")) << checked.error().message;
}

TEST(ImportRequestTest, CsvOptionsForAJsonLinesFileAreRefused) {
  ImportRequest request;
  request.file = "/tmp/leads.jsonl";
  request.vendor = "Expo Leads";

  const auto checked = check_import_request(request);

  ASSERT_FALSE(checked.ok());
  EXPECT_TRUE(contains(checked.error().message, "apply to CSV lists only; leave them out"))
      << checked.error().message;
}

TEST(ImportRequestTest, AJsonLinesFileThatCannotBeOpenedIsRefusedWithWhatToCheck) {
  ImportRequest request;
  request.file = "/nonexistent/leads.ndjson";

  const auto checked = check_import_request(request);

  ASSERT_FALSE(checked.ok());
  EXPECT_EQ(checked.error().message, "cannot open /nonexistent/leads.ndjson for reading; check "
                                     "the path and that you may read it");
  EXPECT_EQ(import_format("a/b.NDJSON"), ImportFormat::jsonl);
  EXPECT_EQ(import_format("a/b.tsv"), ImportFormat::csv);
}

// Issue 18: `import /dev/zero` and a large file with no line break end at once, before the import
// is prepared (which would read the whole file).
TEST(ImportRequestTest, ADeviceOrAFileWithNoHeaderInItsFirstMegabyteIsRefusedAtOnce) {
  ImportRequest device;
  device.file = "/dev/zero";
  const auto refused = check_import_request(device);
  ASSERT_FALSE(refused.ok());
  EXPECT_TRUE(contains(refused.error().message, "is a device")) << refused.error().message;

  const auto dir = std::filesystem::temp_directory_path();
  for (const std::string name : {"leadsync-zeros-job-test.csv", "leadsync-zeros-job-test.jsonl"}) {
    const auto path = dir / name;
    { std::ofstream create(path); }
    std::filesystem::resize_file(path, std::uintmax_t{8} << 20); // sparse
    ImportRequest zeros;
    zeros.file = path.string();
    const auto checked = check_import_request(zeros);
    std::filesystem::remove(path);
    ASSERT_FALSE(checked.ok()) << name;
    EXPECT_TRUE(contains(checked.error().message, "hold no line break")) << checked.error().message;
  }
}

} // namespace
} // namespace leadsync::jobs
