// "Bytes invalid in the encoding make a row error, never mojibake": a UTF-8 file with a few bad
// bytes is detected as UTF-8 wherever the bad bytes are (first data row, middle, last row, within
// the detection sample or after it), every other row reads intact, and exactly the bad rows are
// errors that name their line and the file offset of the bad byte.

#include "leadsync/importer/csv_reader.hpp"
#include "support/csv_fixtures.hpp"
#include "unit/importer/csv/read_all.hpp"

#include <algorithm>
#include <cstdio>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <map>

namespace leadsync::importer {
namespace {

using test::encode;
using test::TempDir;
using ::testing::HasSubstr;
using testing::read_all;
using Fields = std::vector<std::string>;

constexpr int data_rows = 2000; // about 140 KB: rows run well past the 64 KiB detection sample

Fields row_fields(int i) {
  static const std::vector<std::string> first_names{"Иван",  "محمد",  "José", "Anna",
                                                    "Мария", "فاطمة", "Zoë"};
  static const std::vector<std::string> cities{"Москва", "الرياض", "Zürich", "Oslo"};
  const auto n = static_cast<std::size_t>(i);
  return {first_names[n % first_names.size()], "Петров-" + std::to_string(i),
          "ООО Ромашка " + std::to_string(i), cities[n % cities.size()]};
}

struct BadByteFile {
  std::string bytes;
  std::map<int, std::uint64_t> bad_offsets; // data row -> file offset of its first bad byte
};

// The list with `bad` inserted into the company of each row in `bad_rows` ("ООО" + bad + " ..."),
// or, for the last row when `at_the_very_end`, as the last bytes of a file without a final line
// break.
BadByteFile make_file(const std::vector<int>& bad_rows, std::string_view bad,
                      bool at_the_very_end = false) {
  BadByteFile file;
  file.bytes = "First Name,Last Name,Company,City\n";
  for (int i = 0; i < data_rows; ++i) {
    const Fields fields = row_fields(i);
    const bool is_bad = std::find(bad_rows.begin(), bad_rows.end(), i) != bad_rows.end();
    const bool last = i == data_rows - 1;
    file.bytes += fields[0] + "," + fields[1] + ",";
    if (is_bad && !(last && at_the_very_end)) {
      const std::string& company = fields[2];
      const std::size_t split = std::string("ООО").size();
      file.bytes += company.substr(0, split);
      file.bad_offsets[i] = file.bytes.size();
      file.bytes += std::string(bad) + company.substr(split);
    } else {
      file.bytes += fields[2];
    }
    file.bytes += "," + fields[3];
    if (is_bad && last && at_the_very_end) {
      file.bad_offsets[i] = file.bytes.size();
      file.bytes += bad;
    } else {
      file.bytes += "\n";
    }
  }
  return file;
}

// The first data row whose line starts past the detection sample.
int first_row_after_the_sample() {
  const std::string bytes = make_file({}, "").bytes;
  int row = 0;
  std::size_t line_start = bytes.find('\n') + 1;
  while (line_start < encoding_sample_bytes) {
    line_start = bytes.find('\n', line_start) + 1;
    ++row;
  }
  return row;
}

std::string offset_text(std::uint64_t offset) {
  char hex[24];
  std::snprintf(hex, sizeof hex, "0x%llX", static_cast<unsigned long long>(offset));
  return "at file offset " + std::to_string(offset) + " (" + hex + ")";
}

struct Placement {
  std::string name;
  std::vector<int> rows; // -1 stands for the first row after the detection sample
  bool at_the_very_end = false;
};

struct BadBytes {
  std::string name;
  std::string bytes;
};

class BadBytesInUtf8Test : public ::testing::TestWithParam<std::tuple<Placement, BadBytes>> {
protected:
  TempDir dir;
};

TEST_P(BadBytesInUtf8Test, FileIsReadAsUtf8AndExactlyTheBadRowsAreErrorsWithLineAndOffset) {
  const auto& [placement, bad] = GetParam();
  std::vector<int> rows = placement.rows;
  for (int& row : rows) {
    row = row < 0 ? first_row_after_the_sample() : row;
  }
  const BadByteFile file = make_file(rows, bad.bytes, placement.at_the_very_end);
  ASSERT_EQ(file.bad_offsets.size(), rows.size());

  auto reader = CsvReader::open(dir.write("list.csv", file.bytes));
  ASSERT_TRUE(reader.ok()) << reader.error().describe();
  EXPECT_EQ(reader->encoding().name, "UTF-8") << reader->encoding().reason;
  EXPECT_EQ(reader->delimiter(), ',');
  const auto records = read_all(*reader);
  ASSERT_EQ(records.size(), static_cast<std::size_t>(data_rows));

  for (int i = 0; i < data_rows; ++i) {
    const CsvRecord& record = records[static_cast<std::size_t>(i)];
    EXPECT_EQ(record.line, i + 2);
    const auto bad_offset = file.bad_offsets.find(i);
    if (bad_offset == file.bad_offsets.end()) {
      EXPECT_TRUE(record.ok()) << "row " << i << ": " << record.error;
      EXPECT_EQ(record.fields, row_fields(i)) << "row " << i;
      continue;
    }
    EXPECT_FALSE(record.ok()) << "row " << i;
    EXPECT_THAT(record.error,
                HasSubstr("line " + std::to_string(i + 2) + ": the bytes " + test::hex(bad.bytes) +
                          " " + offset_text(bad_offset->second) + " are not valid UTF-8"));
    EXPECT_THAT(record.error, HasSubstr("--encoding"));
    ASSERT_LT(bad_offset->second, file.bytes.size());
    EXPECT_EQ(file.bytes.substr(bad_offset->second, bad.bytes.size()), bad.bytes)
        << "the offset points at the bad byte";
  }
}

INSTANTIATE_TEST_SUITE_P(
    PlacesAndBytes, BadBytesInUtf8Test,
    ::testing::Combine(
        ::testing::Values(Placement{"FirstDataRow", {0}}, Placement{"MiddleOfTheSample", {400}},
                          Placement{"FirstRowAfterTheSample", {-1}},
                          Placement{"MiddleAfterTheSample", {1500}},
                          Placement{"LastRow", {data_rows - 1}},
                          Placement{"LastBytesOfTheFile", {data_rows - 1}, true},
                          Placement{"EverywhereAtOnce", {0, 1, 400, -1, 1500, data_rows - 1}}),
        ::testing::Values(BadBytes{"Ff", "\xFF"}, BadBytes{"LatinE9", "\xE9"},
                          BadBytes{"LeadByteWithoutItsTrail", "\xC3"},
                          BadBytes{"LoneTrailByte", "\xA9"},
                          BadBytes{"CutThreeByteSequence", "\xE2\x80"})),
    [](const auto& info) {
      return std::get<0>(info.param).name + "_" + std::get<1>(info.param).name;
    });

// --- a code page guessed from the sample refuses UTF-8 text after it

class GuessedCodePageTest : public ::testing::Test {
protected:
  // Western names in Windows-1252 past the detection sample, then UTF-8 rows.
  std::string western_then_utf8(int* western_rows) {
    std::string text = encode("First Name,Last Name,City\n", "WINDOWS-1252");
    int rows = 0;
    while (text.size() <= encoding_sample_bytes) {
      text += encode("José,Müller,Zürich\n", "WINDOWS-1252");
      ++rows;
    }
    *western_rows = rows;
    utf8_offset = text.size();
    text += "Иван,Петров,Москва\n";
    text += encode("François,Ångström,Besançon\n", "WINDOWS-1252");
    text += "Zoë,Brontë,Haworth\n";
    return text;
  }

  TempDir dir;
  std::uint64_t utf8_offset = 0;
};

TEST_F(GuessedCodePageTest, Utf8RowsAfterTheSampleAreErrorsNotMojibake) {
  int western_rows = 0;
  const std::string bytes = western_then_utf8(&western_rows);
  auto reader = CsvReader::open(dir.write("list.csv", bytes));
  ASSERT_TRUE(reader.ok()) << reader.error().describe();
  EXPECT_EQ(reader->encoding().name, "ISO-8859-1");
  const auto records = read_all(*reader);
  ASSERT_EQ(records.size(), static_cast<std::size_t>(western_rows + 3));
  EXPECT_EQ(records.front().fields, (Fields{"José", "Müller", "Zürich"}));
  const auto& russian = records[static_cast<std::size_t>(western_rows)];
  EXPECT_FALSE(russian.ok());
  EXPECT_THAT(russian.error, HasSubstr("line " + std::to_string(western_rows + 2) +
                                       ": the bytes 0xD0 0x98 " + offset_text(utf8_offset) +
                                       " are UTF-8 text, but the file was read as ISO-8859-1"));
  EXPECT_THAT(russian.error, HasSubstr("--encoding utf-8"));
  const auto& french = records[static_cast<std::size_t>(western_rows) + 1];
  EXPECT_TRUE(french.ok()) << french.error;
  EXPECT_EQ(french.fields, (Fields{"François", "Ångström", "Besançon"}));
  EXPECT_FALSE(records.back().ok());
  EXPECT_THAT(records.back().error, HasSubstr("0xC3 0xAB"));
  EXPECT_EQ(std::count_if(records.begin(), records.end(), [](const auto& r) { return !r.ok(); }),
            2);
}

TEST_F(GuessedCodePageTest, ANamedEncodingReadsEveryRowAsAsked) {
  int western_rows = 0;
  const std::string bytes = western_then_utf8(&western_rows);
  auto reader = CsvReader::open(dir.write("list.csv", bytes), {.encoding = "iso-8859-1"});
  ASSERT_TRUE(reader.ok()) << reader.error().describe();
  const auto records = read_all(*reader);
  EXPECT_TRUE(std::all_of(records.begin(), records.end(), [](const auto& r) { return r.ok(); }));
}

TEST_F(GuessedCodePageTest, Utf8TextInADetectedUtf8FileIsNeverRefused) {
  auto reader = CsvReader::open(dir.write("list.csv", "a,b\nИван,Zoë\n"));
  ASSERT_TRUE(reader.ok()) << reader.error().describe();
  EXPECT_FALSE(reader->encoding().refuse_utf8_lines);
  const auto records = read_all(*reader);
  ASSERT_EQ(records.size(), 1U);
  EXPECT_TRUE(records[0].ok()) << records[0].error;
}

} // namespace
} // namespace leadsync::importer
