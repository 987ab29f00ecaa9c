#include "leadsync/importer/import_checkpoint.hpp"
#include "support/csv_fixtures.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace leadsync::importer {
namespace {

using test::TempDir;

ImportCheckpoint sample_checkpoint() {
  ImportCheckpoint checkpoint;
  checkpoint.file = "/lists/expo.csv";
  checkpoint.file_size = 123456;
  checkpoint.settings.encoding = "WINDOWS-1251";
  checkpoint.settings.delimiter = ';';
  checkpoint.settings.overrides = {{"Контакт", "full_name"}, {"Ignore me", ""}};
  checkpoint.settings.default_region = "RU";
  checkpoint.settings.list.vendor = "Expo Leads";
  checkpoint.settings.list.list_id = "GITEX-2026";
  checkpoint.settings.list.exclusive = true;
  checkpoint.settings.list.acquired_on =
      model::Date{std::chrono::year{2026}, std::chrono::month{10}, std::chrono::day{1}};
  checkpoint.resume = {4096, 120, 125};
  checkpoint.counts.rows_read = 121;
  checkpoint.counts.new_leads = 100;
  checkpoint.counts.merged_in_file = 7;
  checkpoint.counts.merged_with_stored = 3;
  checkpoint.counts.unchanged = 4;
  checkpoint.counts.empty_rows = 2;
  checkpoint.counts.rejected_by_reason = {{"no_valid_contact", 3}, {"wrong_field_count", 2}};
  checkpoint.counts.with_notes = 6; // of the 114 accepted rows
  checkpoint.errors_file = "/tmp/errors.csv";
  checkpoint.errors_bytes = 512;
  checkpoint.notes_file = "/tmp/notes.csv";
  checkpoint.notes_bytes = 256;
  checkpoint.run_id = 42;
  checkpoint.started_at = model::TimePoint{std::chrono::milliseconds{1'790'000'000'123}};
  checkpoint.owner = "crm-host:4242";
  checkpoint.owner_start = "1662a6e1-e9b8-4c8d-8689-afebdb43ac7a/46429";
  checkpoint.owner_since = model::TimePoint{std::chrono::milliseconds{1'790'000'100'000}};
  checkpoint.updated_at = model::TimePoint{std::chrono::milliseconds{1'790'000'160'500}};
  return checkpoint;
}

TEST(ImportCheckpoint, SurvivesAJsonRoundTripWhole) {
  const auto checkpoint = sample_checkpoint();

  const auto text = to_json_text(checkpoint);
  const auto read = import_checkpoint_from_json(text);

  ASSERT_TRUE(read.ok()) << read.error().message;
  EXPECT_EQ(read.value(), checkpoint);
  const auto document = nlohmann::json::parse(text);
  EXPECT_EQ(document.at("state"), "running");
  EXPECT_EQ(document.at("resume").at("line"), 125);
}

TEST(ImportCheckpoint, AFinishedStateIsKept) {
  auto checkpoint = sample_checkpoint();
  checkpoint.state = ImportCheckpoint::State::finished;

  EXPECT_EQ(import_checkpoint_from_json(to_json_text(checkpoint)).value().state,
            ImportCheckpoint::State::finished);
}

TEST(ImportCheckpoint, TextThatIsNotACheckpointIsRefusedWithTheReason) {
  EXPECT_EQ(import_checkpoint_from_json("row 120").error().category,
            ErrorCategory::invalid_argument);
  auto document = nlohmann::json::parse(to_json_text(sample_checkpoint()));
  document.erase("resume");
  const auto error = import_checkpoint_from_json(document.dump()).error();
  EXPECT_NE(error.message.find("resume"), std::string::npos) << error.message;
  document = nlohmann::json::parse(to_json_text(sample_checkpoint()));
  document["format"] = 99;
  EXPECT_FALSE(import_checkpoint_from_json(document.dump()).ok());
}

TEST(ImportCounts, BalanceWhenEveryRowIsCountedOnce) {
  const auto counts = sample_checkpoint().counts;

  EXPECT_EQ(counts.rejected(), 5);
  EXPECT_EQ(counts.merged(), 10);
  EXPECT_TRUE(counts.balanced());
  auto missing_one = counts;
  missing_one.rows_read += 1;
  EXPECT_FALSE(missing_one.balanced());
  // Rows with notes are also counted by their fate: they do not unbalance the counts.
  EXPECT_EQ(counts.with_notes, 6);
  EXPECT_EQ(counts.run_counts(), (std::map<std::string, std::int64_t>{{"read", 121},
                                                                      {"created", 100},
                                                                      {"merged", 10},
                                                                      {"unchanged", 4},
                                                                      {"rejected", 5},
                                                                      {"empty", 2},
                                                                      {"possible_duplicates", 0},
                                                                      {"suspicious_clusters", 0},
                                                                      {"with_notes", 6}}));
}

TEST(ImportCheckpoint, ACheckpointAnOlderVersionWroteIsReadWithoutOwnerOrNotes) {
  auto document = nlohmann::json::parse(to_json_text(sample_checkpoint()));
  for (const auto* key :
       {"notes_file", "notes_bytes", "owner", "owner_start", "owner_since", "updated_at"}) {
    document.erase(key);
  }
  document.at("counts").erase("with_notes");

  const auto read = import_checkpoint_from_json(document.dump());

  ASSERT_TRUE(read.ok()) << read.error().message;
  EXPECT_EQ(read->counts.with_notes, 0);
  EXPECT_EQ(read->owner, "");
  EXPECT_EQ(read->notes_file, "");
  EXPECT_EQ(read->counts.new_leads, 100);
  EXPECT_EQ(read->run_id, 42);
}

TEST(ImportCheckpointName, NamesTheContentAndSizeNotThePath) {
  TempDir dir;
  const std::string content = "Name,Email\nIvan,ivan@example.com\n";
  const auto first = dir.write("a.csv", content);
  const auto copy = dir.write("b.csv", "Name,Email\nIvan,ivan@example.com\n");
  const auto grown = dir.write("c.csv", "Name,Email\nIvan,ivan@example.com\nAnna,a@example.com\n");

  const auto name = import_checkpoint_name(first).value();

  EXPECT_TRUE(name.starts_with("import:")) << name;
  EXPECT_EQ(name.size(), std::string("import:").size() + 64 + 1 + 2);
  EXPECT_TRUE(name.ends_with(":" + std::to_string(content.size()))) << name;
  EXPECT_EQ(import_checkpoint_name(copy).value(), name);
  EXPECT_NE(import_checkpoint_name(grown).value(), name);
}

TEST(ImportCheckpointName, HashesOnlyTheFirstMebibyteButCountsTheWholeSize) {
  TempDir dir;
  const std::string head(std::size_t{1} << 20, 'x');
  const auto a = dir.write("a.csv", head + "tail one");
  const auto b = dir.write("b.csv", head + "tail two");
  const auto c = dir.write("c.csv", head + "a longer tail");

  EXPECT_EQ(import_checkpoint_name(a).value(), import_checkpoint_name(b).value());
  EXPECT_NE(import_checkpoint_name(a).value(), import_checkpoint_name(c).value());
}

TEST(ImportCheckpointName, AFileThatCannotBeReadFailsWithItsPath) {
  TempDir dir;
  const auto error = import_checkpoint_name((dir.path() / "missing.csv").string()).error();

  EXPECT_EQ(error.category, ErrorCategory::invalid_argument);
  EXPECT_NE(error.message.find("missing.csv"), std::string::npos) << error.message;
}

} // namespace
} // namespace leadsync::importer
