// The committed vendor-style files in tests/data/csv: each is detected (encoding and delimiter),
// its header maps with the shipped mappings/import-columns.toml, and its rows read as the UTF-8
// text they hold.

#include "leadsync/importer/column_mapping.hpp"
#include "leadsync/importer/csv_reader.hpp"
#include "leadsync_test_paths.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace leadsync::importer {
namespace {

using ::testing::ElementsAre;

std::string fixture(const std::string& name) {
  return std::string(LEADSYNC_SOURCE_DIR) + "/tests/data/csv/" + name;
}

struct OpenedFixture {
  CsvReader reader;
  ColumnMapping mapping;
  std::vector<CsvRecord> records;

  std::vector<std::string> fields_of_header() const {
    std::vector<std::string> fields;
    for (const auto& column : mapping.columns) {
      fields.push_back(column.field);
    }
    return fields;
  }
};

OpenedFixture open_fixture(const std::string& name) {
  auto reader = CsvReader::open(fixture(name));
  if (!reader.ok()) {
    throw std::runtime_error(reader.error().describe());
  }
  auto dictionary = ColumnDictionary::load_file(std::string(LEADSYNC_SOURCE_DIR) +
                                                "/mappings/import-columns.toml");
  auto mapping = map_columns(reader->header(), dictionary.value());
  OpenedFixture opened{std::move(reader).value(), std::move(mapping).value(), {}};
  while (true) {
    auto record = opened.reader.next();
    if (!record.ok() || !record->has_value()) {
      break;
    }
    opened.records.push_back(std::move(**record));
  }
  return opened;
}

TEST(FixtureFiles, RussianVendorListInWindows1251WithSemicolons) {
  const auto opened = open_fixture("vendor-ru-windows1251.csv");
  EXPECT_EQ(opened.reader.encoding().name, "WINDOWS-1251");
  EXPECT_EQ(opened.reader.delimiter(), ';');
  EXPECT_THAT(opened.fields_of_header(),
              ElementsAre("last_name", "first_name", "middle_name", "email", "phone_mobile",
                          "company", "job_title", "city"));
  ASSERT_EQ(opened.records.size(), 3u);
  EXPECT_THAT(opened.records[0].fields,
              ElementsAre("Петров", "Иван", "Сергеевич", "i.petrov@romashka.ru",
                          "+7 (916) 123-45-67", "ООО \"Ромашка\"", "Директор", "Москва"));
  EXPECT_EQ(opened.records[1].fields[0], "СИДОРОВА");
  EXPECT_EQ(opened.records[2].fields[1], "Пётр");
  EXPECT_EQ(opened.records[2].line, 4);
}

TEST(FixtureFiles, ArabicExcelUnicodeTextInUtf16WithTabs) {
  const auto opened = open_fixture("vendor-ar-unicode-text.txt");
  EXPECT_EQ(opened.reader.encoding().name, "UTF-16LE");
  EXPECT_EQ(opened.reader.delimiter(), '\t');
  EXPECT_THAT(opened.fields_of_header(),
              ElementsAre("first_name", "last_name", "email", "phone_mobile", "company",
                          "job_title", "city", "country"));
  ASSERT_EQ(opened.records.size(), 2u);
  EXPECT_EQ(opened.records[0].fields[0], "محمد");
  EXPECT_EQ(opened.records[0].fields[3], "٠٥٠١٢٣٤٥٦٧");
  EXPECT_EQ(opened.records[1].fields[4], "مؤسسة الأفق\tللاستشارات");
  EXPECT_TRUE(opened.records[1].ok()) << opened.records[1].error;
}

TEST(FixtureFiles, WesternExpoListInIso8859_1WithCommas) {
  const auto opened = open_fixture("expo-iso8859-1.csv");
  EXPECT_EQ(opened.reader.encoding().name, "ISO-8859-1");
  EXPECT_EQ(opened.reader.delimiter(), ',');
  EXPECT_THAT(opened.fields_of_header(),
              ElementsAre("first_name", "last_name", "email", "phone_business", "company",
                          "job_title", "city", "country"));
  ASSERT_EQ(opened.records.size(), 3u);
  EXPECT_EQ(opened.records[0].fields[4], "Construcciones Pérez, S.A.");
  EXPECT_EQ(opened.records[1].fields[7], "France");
  EXPECT_EQ(opened.records[2].fields[6], "Zürich");
}

} // namespace
} // namespace leadsync::importer
