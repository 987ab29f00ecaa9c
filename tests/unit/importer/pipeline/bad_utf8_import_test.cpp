// The adversarial probe, through the whole import: a 6,000-row UTF-8 list (most names Cyrillic)
// with a bad byte in its first data row, a middle row, a row past the detection sample and its last
// row. It is read as UTF-8: exactly those rows are rejected as invalid_encoding, with their line
// and the file offset of the bad byte, and every other row is stored intact.

#include "leadsync/importer/csv_import.hpp"
#include "leadsync/store/sqlite_store.hpp"
#include "support/csv_fixtures.hpp"

#include <algorithm>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <map>
#include <vector>

namespace leadsync::importer {
namespace {

using test::TempDir;
using ::testing::HasSubstr;

constexpr int rows = 6000;

std::string email_of(int n) {
  return "person" + std::to_string(n) + "@company" + std::to_string(n) + ".com";
}

std::string first_name_of(int n) {
  static const std::vector<std::string> names{"Иван",    "Мария", "Сергей", "Ольга",
                                              "Дмитрий", "Анна",  "Пётр"};
  return n % 8 == 0 ? "Person" : names[static_cast<std::size_t>(n) % names.size()];
}

TEST(BadUtf8Import, OneBadByteRejectsItsRowAndLeavesEveryOtherRowIntact) {
  const std::vector<int> bad_rows{0, 300, 3000, rows - 1}; // 3000 is past the first 64 KiB
  std::string text = "First Name,Last Name,Email,Phone,Company,Job Title,Country\n";
  std::vector<std::uint64_t> bad_offsets;
  for (int i = 0; i < rows; ++i) {
    const auto id = std::to_string(i);
    text += first_name_of(i) + ",";
    if (std::find(bad_rows.begin(), bad_rows.end(), i) != bad_rows.end()) {
      bad_offsets.push_back(text.size());
      text += "\xE9";
    }
    text += "Тестов," + email_of(i) + ",+1 212 456 " + std::to_string(1000 + i) + ",Компания " +
            id + ",Инженер,USA\n";
  }
  ASSERT_GT(text.size(), 3 * encoding_sample_bytes);
  TempDir dir;
  ManualClock clock;
  SeededRandom random{7};
  auto store = store::open_sqlite_store({":memory:"}, clock, random).value();
  const auto dictionary = ColumnDictionary::load_text(builtin_import_columns()).value();
  CsvImportOptions options;
  options.path = dir.write("probe.csv", text);
  options.default_region = "US";

  auto prepared = CsvImport::prepare(*store, dictionary, options, clock, random);
  ASSERT_TRUE(prepared.ok()) << prepared.error().describe();
  EXPECT_EQ(prepared->encoding().name, "UTF-8") << prepared->encoding().reason;
  const auto report = prepared->run({.normalizer_threads = 2}).value();

  EXPECT_EQ(report.counts.rows_read, rows);
  EXPECT_EQ(report.counts.new_leads, rows - 4);
  EXPECT_EQ(report.counts.rejected_by_reason,
            (std::map<std::string, std::int64_t>{{"invalid_encoding", 4}}));
  EXPECT_TRUE(report.counts.balanced());
  ASSERT_EQ(report.rejected_rows.size(), bad_rows.size());
  for (std::size_t i = 0; i < bad_rows.size(); ++i) {
    const auto& rejected = report.rejected_rows[i];
    EXPECT_EQ(rejected.line, bad_rows[i] + 2);
    EXPECT_THAT(rejected.reason, HasSubstr("line " + std::to_string(bad_rows[i] + 2) +
                                           ": the bytes 0xE9 at file offset " +
                                           std::to_string(bad_offsets[i]) + " ("));
  }
  for (const int i : {1, 2, 299, 301, 2999, 3001, rows - 2}) {
    const auto leads = store->find_by_email(email_of(i)).value();
    ASSERT_EQ(leads.size(), 1U) << "row " << i;
    EXPECT_EQ(leads[0].person.first_name, first_name_of(i));
    EXPECT_EQ(leads[0].person.last_name, "Тестов");
    EXPECT_EQ(leads[0].company.name, "Компания " + std::to_string(i));
  }
  for (const int i : bad_rows) {
    EXPECT_TRUE(store->find_by_email(email_of(i)).value().empty()) << "row " << i;
  }
}

} // namespace
} // namespace leadsync::importer
