// One import of a file at a time: a run takes the file's checkpoint for its process, a second
// import of the file (fresh, --resume or --restart) is refused while that process runs, and only
// an import whose process is gone can be resumed. And an import cancelled between two batches.

#include "leadsync/core/cancel.hpp"
#include "leadsync/core/process.hpp"
#include "leadsync/importer/csv_import.hpp"
#include "leadsync/store/sqlite_store.hpp"
#include "recording_store.hpp"
#include "support/csv_fixtures.hpp"
#include "support/reaped_pid.hpp"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

namespace leadsync::importer {
namespace {

using leadsync::testing::reaped_pid;

using test::TempDir;
using testing::RecordingStore;
using Start = CsvImportOptions::Start;

const std::string header = "First Name,Last Name,Email,Phone,Company,Job Title,Country\n";

// Person n: an e-mail, phone and company domain of their own.
std::string good_row(int n) {
  const auto id = std::to_string(n);
  return "Person" + id + ",Tester,person" + id + "@company" + id + ".com,+1 212 456 " +
         std::to_string(1000 + n) + ",Company " + id + ",Engineer,USA\n";
}

std::string list_of(int count) {
  std::string text = header;
  for (int i = 0; i < count; ++i) {
    text += good_row(i);
  }
  return text;
}

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

class ImportOwnershipTest : public ::testing::Test {
protected:
  void SetUp() override {
    store_ = store::open_sqlite_store({":memory:"}, clock_, random_).value();
    dictionary_ = ColumnDictionary::load_text(builtin_import_columns()).value();
    path_ = dir_.write("list.csv", list_of(20));
  }

  CsvImportOptions options(Start start = Start::fresh) const {
    CsvImportOptions options;
    options.path = path_;
    options.default_region = "US";
    options.start = start;
    return options;
  }

  // Small batches (4 rows): an import of the 20 rows commits five times.
  static PipelineTuning small_batches() {
    return {.normalizer_threads = 2, .chunk_rows = 2, .chunks_in_flight = 3, .batch_rows = 4};
  }

  Result<CsvImport> prepare(const CsvImportOptions& options, store::Store* through = nullptr) {
    return CsvImport::prepare(through != nullptr ? *through : *store_, dictionary_, options, clock_,
                              random_);
  }

  Result<ImportReport> import(const CsvImportOptions& options, store::Store* through = nullptr) {
    auto prepared = prepare(options, through);
    if (!prepared.ok()) {
      return fail(prepared.error());
    }
    return prepared->run(small_batches());
  }

  ImportCheckpoint stored_checkpoint() {
    const auto name = import_checkpoint_name(path_).value();
    return import_checkpoint_from_json(store_->get_checkpoint(name).value().value()).value();
  }

  void store_checkpoint(const ImportCheckpoint& checkpoint) {
    const auto name = import_checkpoint_name(path_).value();
    ASSERT_TRUE(store_->put_checkpoint(name, to_json_text(checkpoint)).ok());
  }

  // An import stopped after two of its five batches, as a process killed then leaves it: its
  // checkpoint names `owner` (with `owner_start`), which then no longer runs the import.
  void leave_interrupted_import(const std::string& owner, const std::string& owner_start) {
    RecordingStore failing(*store_);
    failing.fail_batch = 2;
    ASSERT_FALSE(import(options(), &failing).ok());
    auto checkpoint = stored_checkpoint();
    ASSERT_EQ(checkpoint.state, ImportCheckpoint::State::running);
    ASSERT_EQ(checkpoint.counts.rows_read, 8);
    checkpoint.owner = owner;
    checkpoint.owner_start = owner_start;
    checkpoint.owner_since = clock_.now();
    checkpoint.updated_at = clock_.now();
    store_checkpoint(checkpoint);
    clock_.advance(std::chrono::seconds{1});
  }

  std::size_t stored_leads() {
    store::PageRequest page;
    page.limit = 1000;
    return store_->list_leads({}, page).value().leads.size();
  }

  ManualClock clock_;
  SeededRandom random_{11};
  TempDir dir_;
  std::string path_;
  std::unique_ptr<store::Store> store_;
  ColumnDictionary dictionary_ = ColumnDictionary::load_text("[fields]\n").value();
};

TEST_F(ImportOwnershipTest, WhileAnImportRunsASecondOneAndAResumeOfTheFileAreRefusedNamingIt) {
  RecordingStore recording(*store_);
  std::vector<Error> refusals;
  std::optional<CsvImport> dry_run;
  recording.after_batch = [&](std::size_t batch) {
    if (batch != 1) {
      return;
    }
    // The first import has committed two batches and is still running, in this very process.
    for (const auto start : {Start::fresh, Start::resume, Start::restart}) {
      auto second = prepare(options(start));
      EXPECT_FALSE(second.ok());
      if (!second.ok()) {
        refusals.push_back(second.error());
      }
    }
    auto dry = options();
    dry.dry_run = true;
    auto prepared = prepare(dry);
    ASSERT_TRUE(prepared.ok()) << prepared.error().message;
    dry_run.emplace(std::move(prepared).value());
  };

  const auto first = import(options(), &recording);

  ASSERT_TRUE(first.ok()) << first.error().message;
  EXPECT_EQ(first->counts.new_leads, 20);
  ASSERT_EQ(refusals.size(), 3U);
  const auto pid = std::to_string(::getpid());
  for (const auto& refusal : refusals) {
    EXPECT_EQ(refusal.category, ErrorCategory::invalid_argument);
    const auto& message = refusal.message;
    EXPECT_TRUE(contains(message, "is already running: process " + pid + " on " + host_name()))
        << message;
    EXPECT_TRUE(contains(message, "(run " + std::to_string(first->run_id) + ", since ")) << message;
    EXPECT_TRUE(contains(message, "8 rows committed so far")) << message;
    EXPECT_TRUE(contains(message, "Wait for that one to finish")) << message;
    EXPECT_TRUE(contains(message, "kill " + pid)) << message;
    EXPECT_TRUE(contains(message, "leadsync import " + path_ + " --resume")) << message;
  }
  // A dry run writes nothing that could clash: it may run, and says why its counts may differ.
  ASSERT_TRUE(dry_run.has_value());
  const auto& notes = dry_run->notes();
  EXPECT_TRUE(std::any_of(notes.begin(), notes.end(),
                          [](const std::string& note) { return contains(note, "is running"); }));
  EXPECT_EQ(stored_leads(), 20U);
  EXPECT_EQ(stored_checkpoint().state, ImportCheckpoint::State::finished);
}

TEST_F(ImportOwnershipTest, OfTwoImportsPreparedTogetherOnlyTheFirstToRunGetsTheFile) {
  auto first = prepare(options()).value();
  auto second = prepare(options()).value(); // both saw no checkpoint: the race of the issue
  std::optional<Result<ImportReport>> second_run;

  const auto first_run = first.run(small_batches(), [&](const ImportProgress& progress) {
    if (!second_run && progress.rows_read >= 4) {
      second_run.emplace(second.run(small_batches()));
    }
  });

  ASSERT_TRUE(first_run.ok()) << first_run.error().message;
  EXPECT_EQ(first_run->counts.new_leads, 20);
  ASSERT_TRUE(second_run.has_value());
  ASSERT_FALSE(second_run->ok());
  EXPECT_TRUE(contains(second_run->error().message,
                       "is already running: process " + std::to_string(::getpid())))
      << second_run->error().message;
  EXPECT_EQ(stored_leads(), 20U);
}

TEST_F(ImportOwnershipTest, AnImportWhoseProcessIsGoneIsInterruptedAndCanBeResumed) {
  leave_interrupted_import(process_name(host_name(), reaped_pid()), "");

  const auto fresh = import(options());
  ASSERT_FALSE(fresh.ok());
  EXPECT_TRUE(contains(fresh.error().message, "was interrupted")) << fresh.error().message;
  const auto resumed = import(options(Start::resume));

  ASSERT_TRUE(resumed.ok()) << resumed.error().message;
  EXPECT_EQ(resumed->counts.rows_read, 20);
  EXPECT_EQ(resumed->rows_this_run, 12);
  EXPECT_EQ(resumed->counts.new_leads, 20);
  EXPECT_TRUE(resumed->counts.balanced());
  EXPECT_EQ(stored_leads(), 20U);
}

TEST_F(ImportOwnershipTest, ALaterProcessWithTheOwnersPidDoesNotHoldTheImport) {
  // This process has the pid, but it is not the process that took the import.
  leave_interrupted_import(this_process_name(), "an-earlier-boot/12345");

  const auto resumed = import(options(Start::resume));

  ASSERT_TRUE(resumed.ok()) << resumed.error().message;
  EXPECT_EQ(resumed->counts.new_leads, 20);
}

TEST_F(ImportOwnershipTest, AnImportOnAnotherHostHoldsTheFileUntilAnHourAfterItsLastCommit) {
  leave_interrupted_import("crm-worker-2.example:4242", "");

  const auto refused = import(options(Start::resume));
  ASSERT_FALSE(refused.ok());
  EXPECT_TRUE(contains(refused.error().message, "process 4242 on crm-worker-2.example"))
      << refused.error().message;
  EXPECT_TRUE(contains(refused.error().message,
                       "cannot see the processes of crm-worker-2.example: if that import no "
                       "longer runs, resume it there, or here from "))
      << refused.error().message;

  clock_.advance(std::chrono::minutes{60});
  const auto resumed = import(options(Start::resume));

  ASSERT_TRUE(resumed.ok()) << resumed.error().message;
  EXPECT_EQ(stored_leads(), 20U);
}

TEST_F(ImportOwnershipTest, AnImportThatFailsGivesTheFileUpSoThisProcessCanResumeIt) {
  RecordingStore failing(*store_);
  failing.fail_batch = 2;
  ASSERT_FALSE(import(options(), &failing).ok());

  EXPECT_EQ(stored_checkpoint().owner, "");
  EXPECT_TRUE(import(options(Start::resume)).ok());
}

TEST_F(ImportOwnershipTest, AnImportThatStoppedBeforeItsFirstBatchMayStartOver) {
  auto errors_nowhere = options();
  errors_nowhere.errors_file = (dir_.path() / "no-such-folder" / "errors.csv").string();

  const auto failed = import(errors_nowhere);
  ASSERT_FALSE(failed.ok());
  EXPECT_TRUE(contains(failed.error().message, "--errors")) << failed.error().message;

  // Nothing was stored, so nothing asks for --resume.
  const auto fresh = import(options());
  ASSERT_TRUE(fresh.ok()) << fresh.error().message;
  EXPECT_EQ(fresh->counts.new_leads, 20);
}

TEST_F(ImportOwnershipTest, ACancelledImportStopsAfterItsBatchAndAResumeFinishesIt) {
  CancellationSource cancel;
  auto first = prepare(options()).value();

  const auto stopped = first.run(
      small_batches(), [&](const ImportProgress&) { cancel.cancel(); }, cancel.token());

  ASSERT_TRUE(stopped.ok()) << stopped.error().message;
  ASSERT_TRUE(stopped->stopped_at_line.has_value());
  EXPECT_EQ(*stopped->stopped_at_line, 6); // rows of lines 2..5 are stored
  EXPECT_EQ(stopped->counts.rows_read, 4);
  EXPECT_EQ(stopped->counts.new_leads, 4);
  EXPECT_TRUE(stopped->counts.balanced());
  EXPECT_EQ(stored_leads(), 4U);
  const auto checkpoint = stored_checkpoint();
  EXPECT_EQ(checkpoint.state, ImportCheckpoint::State::running);
  EXPECT_EQ(checkpoint.resume.line, 6);
  EXPECT_EQ(checkpoint.owner, ""); // given up: resumable at once, by this process too

  const auto resumed = import(options(Start::resume));

  ASSERT_TRUE(resumed.ok()) << resumed.error().message;
  EXPECT_FALSE(resumed->stopped_at_line.has_value());
  EXPECT_EQ(resumed->counts.rows_read, 20);
  EXPECT_EQ(resumed->counts.new_leads, 20);
  EXPECT_TRUE(resumed->counts.balanced());
  EXPECT_EQ(stored_leads(), 20U);
}

TEST_F(ImportOwnershipTest, ACancellationAfterTheLastBatchLeavesAFinishedImport) {
  CancellationSource cancel;
  cancel.cancel();
  const std::string path = dir_.write("short.csv", list_of(3));
  auto short_list = options();
  short_list.path = path;

  const auto report = prepare(short_list).value().run(small_batches(), {}, cancel.token());

  ASSERT_TRUE(report.ok()) << report.error().message;
  EXPECT_FALSE(report->stopped_at_line.has_value());
  EXPECT_EQ(report->counts.new_leads, 3);
}

} // namespace
} // namespace leadsync::importer
