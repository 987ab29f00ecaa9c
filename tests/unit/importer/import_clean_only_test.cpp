// PipelineTuning::clean_only: the rows are read and cleaned and counted, nothing else happens.

#include "gated_store.hpp"
#include "leadsync/importer/csv_import.hpp"
#include "leadsync/store/sqlite_store.hpp"
#include "support/csv_fixtures.hpp"
#include "support/tmpdir_override.hpp"

#include <cstdlib>
#include <filesystem>
#include <gtest/gtest.h>

namespace leadsync::importer {
namespace {

using test::TempDir;
using testing::GatedStore;

const std::string header = "First Name,Last Name,Email,Phone,Company,Job Title,Country\n";

std::string good_row(int n) {
  const auto id = std::to_string(n);
  return "Person" + id + ",Tester,person" + id + "@company" + id + ".com,+1 212 456 " +
         std::to_string(1000 + n) + ",Company " + id + ",Engineer,USA\n";
}

bool is_empty_folder(const std::filesystem::path& folder) {
  return std::filesystem::directory_iterator(folder) == std::filesystem::directory_iterator();
}

class CleanOnlyTest : public ::testing::Test {
protected:
  void SetUp() override {
    store_ = store::open_sqlite_store({":memory:"}, clock_, random_).value();
    dictionary_ = ColumnDictionary::load_text(builtin_import_columns()).value();
  }

  CsvImportOptions options_for(const std::string& path) {
    CsvImportOptions options;
    options.path = path;
    options.default_region = "US";
    options.dry_run = true;
    return options;
  }

  static PipelineTuning clean_only() {
    PipelineTuning tuning;
    tuning.normalizer_threads = 2;
    tuning.chunk_rows = 2;
    tuning.chunks_in_flight = 3;
    tuning.batch_rows = 4;
    tuning.clean_only = true;
    return tuning;
  }

  ManualClock clock_;
  SeededRandom random_{7};
  TempDir dir_;
  std::unique_ptr<store::Store> store_;
  ColumnDictionary dictionary_ = ColumnDictionary::load_text("[fields]\n").value();
};

TEST_F(CleanOnlyTest, CountsTheRowsAndStoresNothing) {
  std::string text = header;
  for (int i = 0; i < 10; ++i) {
    text += good_row(i);
  }
  text += good_row(3);                       // a duplicate: not looked for
  text += "Bad,Row,broken@,12,,,USA\n";      // no valid contact
  text += "Ragged,Row,ragged@example.com\n"; // wrong field count
  text += ",,,,,,\n";                        // blank
  auto options = options_for(dir_.write("list.csv", text));
  options.errors_file = (dir_.path() / "errors.csv").string();
  GatedStore gated(*store_);
  const auto scratch_parent = dir_.path() / "tmp";
  std::filesystem::create_directory(scratch_parent);
  const test::TmpdirOverride temporary(scratch_parent);
  auto prepared = CsvImport::prepare(gated, dictionary_, options, clock_, random_).value();
  std::size_t progress_calls = 0;
  bool scratch_seen = false;

  const auto report = prepared.run(clean_only(), [&](const ImportProgress&) {
    ++progress_calls;
    scratch_seen = scratch_seen || !is_empty_folder(scratch_parent);
  });

  ASSERT_TRUE(report.ok()) << report.error().describe();
  const auto& counts = report->counts;
  EXPECT_EQ(counts.rows_read, 14);
  EXPECT_EQ(counts.new_leads, 11); // every accepted row, the duplicate included
  EXPECT_EQ(counts.merged(), 0);
  EXPECT_EQ(counts.unchanged, 0);
  EXPECT_EQ(counts.empty_rows, 1);
  EXPECT_EQ(counts.rejected_by_reason, (std::map<std::string, std::int64_t>{
                                           {"no_valid_contact", 1}, {"wrong_field_count", 1}}));
  EXPECT_TRUE(counts.balanced());
  EXPECT_EQ(report->rejected_rows.size(), 2U);
  EXPECT_GT(progress_calls, 0U);
  // Nothing de-duplicated or written: no store call, no scratch store, no error file.
  EXPECT_EQ(gated.write_batch_calls(), 0U);
  EXPECT_FALSE(scratch_seen);
  EXPECT_FALSE(std::filesystem::exists(options.errors_file));
  EXPECT_TRUE(report->errors_file.empty());
  store::PageRequest page;
  page.limit = 100;
  EXPECT_TRUE(store_->list_leads({}, page).value().leads.empty());
  EXPECT_TRUE(store_->list_checkpoints().value().empty());
}

TEST_F(CleanOnlyTest, IsRefusedWithoutADryRun) {
  auto options = options_for(dir_.write("list.csv", header + good_row(1)));
  options.dry_run = false;
  auto prepared = CsvImport::prepare(*store_, dictionary_, options, clock_, random_).value();

  const auto report = prepared.run(clean_only());

  ASSERT_FALSE(report.ok());
  EXPECT_EQ(report.error().category, ErrorCategory::invalid_argument);
  EXPECT_NE(report.error().message.find("measuring only"), std::string::npos);
  store::PageRequest page;
  page.limit = 100;
  EXPECT_TRUE(store_->list_leads({}, page).value().leads.empty());
  EXPECT_TRUE(store_->list_checkpoints().value().empty()); // the file was not even taken
}

} // namespace
} // namespace leadsync::importer
