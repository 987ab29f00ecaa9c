#include "leadsync/importer/csv_reader.hpp"
#include "support/csv_fixtures.hpp"
#include "unit/importer/csv/read_all.hpp"

#include <algorithm>
#include <fstream>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace leadsync::importer {
namespace {

using test::encode;
using test::TempDir;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using testing::read_all;
using Fields = std::vector<std::string>;

class CsvReaderTest : public ::testing::Test {
protected:
  CsvReader open(std::string_view bytes, const ReadOptions& options = {},
                 const char* name = "list.csv") {
    auto reader = CsvReader::open(dir.write(name, bytes), options);
    if (!reader.ok()) {
      throw std::runtime_error(reader.error().describe());
    }
    return std::move(reader).value();
  }

  std::vector<CsvRecord> read(std::string_view bytes, const ReadOptions& options = {}) {
    auto reader = open(bytes, options);
    return read_all(reader);
  }

  TempDir dir;
};

// --- encodings
// -----------------------------------------------------------------------------------------

const std::string russian_csv = "Имя,Фамилия,Компания\n"
                                "Иван,Петров,\"ООО \"\"Ромашка\"\"\"\n"
                                "Мария,Сидорова,АО Вектор\n";
const std::string arabic_csv = "الاسم الأول,اسم العائلة,الشركة\n"
                               "محمد,العتيبي,شركة النور للتجارة\n"
                               "فاطمة,الزهراني,مؤسسة الأفق\n";
const std::string western_csv = "First Name,Last Name,Company\n"
                                "José,Müller,Société Générale\n"
                                "François,Ångström,Café Crème\n";

struct EncodedFile {
  const std::string* text; // the content, in UTF-8
  std::string bytes;       // the file
  std::string option;      // the --encoding value that names it
  std::string expected_encoding;
};

class CsvReaderEncodingTest : public CsvReaderTest,
                              public ::testing::WithParamInterface<std::string> {
protected:
  EncodedFile file() const {
    const std::string& which = GetParam();
    if (which == "utf-8") {
      return {&arabic_csv, arabic_csv, "utf-8", "UTF-8"};
    }
    if (which == "utf-8-bom") {
      return {&russian_csv, "\xEF\xBB\xBF" + russian_csv, "utf-8", "UTF-8"};
    }
    if (which == "utf-16le-bom") {
      return {&arabic_csv, "\xFF\xFE" + encode(arabic_csv, "UTF-16LE"), "utf-16", "UTF-16LE"};
    }
    if (which == "utf-16be-bom") {
      return {&russian_csv, "\xFE\xFF" + encode(russian_csv, "UTF-16BE"), "utf-16be", "UTF-16BE"};
    }
    if (which == "windows-1251") {
      return {&russian_csv, encode(russian_csv, "WINDOWS-1251"), "windows-1251", "WINDOWS-1251"};
    }
    if (which == "windows-1256") {
      return {&arabic_csv, encode(arabic_csv, "WINDOWS-1256"), "windows-1256", "WINDOWS-1256"};
    }
    return {&western_csv, encode(western_csv, "ISO-8859-1"), "iso-8859-1", "ISO-8859-1"};
  }
};

// Splits simple CSV text (no quotes) the way the reader should, to compare with what it returns.
std::vector<Fields> split_plain_csv(const std::string& text) {
  std::vector<Fields> rows;
  std::size_t line_start = 0;
  while (line_start < text.size()) {
    const std::size_t line_end = text.find('\n', line_start);
    const std::string line = text.substr(line_start, line_end - line_start);
    Fields fields;
    std::size_t field_start = 0;
    while (true) {
      const std::size_t comma = line.find(',', field_start);
      fields.push_back(line.substr(field_start, comma - field_start));
      if (comma == std::string::npos) {
        break;
      }
      field_start = comma + 1;
    }
    rows.push_back(fields);
    line_start = line_end + 1;
  }
  return rows;
}

TEST_P(CsvReaderEncodingTest, DetectsTheEncodingAndReadsTheSameTextAsUtf8) {
  const EncodedFile encoded = file();
  auto reader = open(encoded.bytes);
  EXPECT_EQ(reader.encoding().name, encoded.expected_encoding);
  const auto records = read_all(reader);
  ASSERT_EQ(records.size(), 2u);
  EXPECT_TRUE(records[0].ok()) << records[0].error;
  EXPECT_TRUE(records[1].ok()) << records[1].error;
  if (encoded.text == &russian_csv) {
    EXPECT_THAT(reader.header(), ElementsAre("Имя", "Фамилия", "Компания"));
    EXPECT_THAT(records[0].fields, ElementsAre("Иван", "Петров", "ООО \"Ромашка\""));
    EXPECT_THAT(records[1].fields, ElementsAre("Мария", "Сидорова", "АО Вектор"));
  } else {
    const auto rows = split_plain_csv(*encoded.text);
    EXPECT_EQ(reader.header(), rows[0]);
    EXPECT_EQ(records[0].fields, rows[1]);
    EXPECT_EQ(records[1].fields, rows[2]);
  }
}

TEST_P(CsvReaderEncodingTest, NamingTheEncodingGivesTheSameRecords) {
  const EncodedFile encoded = file();
  auto detected = open(encoded.bytes);
  auto named = open(encoded.bytes, {.encoding = encoded.option});
  EXPECT_EQ(named.encoding().name, encoded.expected_encoding);
  EXPECT_EQ(named.header(), detected.header());
  const auto expected = read_all(detected);
  const auto records = read_all(named);
  ASSERT_EQ(records.size(), expected.size());
  for (std::size_t i = 0; i < records.size(); ++i) {
    EXPECT_EQ(records[i].fields, expected[i].fields);
  }
}

INSTANTIATE_TEST_SUITE_P(Encodings, CsvReaderEncodingTest,
                         ::testing::Values("utf-8", "utf-8-bom", "utf-16le-bom", "utf-16be-bom",
                                           "windows-1251", "windows-1256", "iso-8859-1"),
                         [](const auto& info) {
                           std::string name = info.param;
                           std::replace(name.begin(), name.end(), '-', '_');
                           return name;
                         });

TEST_F(CsvReaderTest, EncodingOverrideReadsBytesTheDetectorWouldReadOtherwise) {
  const std::string bytes = encode(russian_csv, "WINDOWS-1251");
  auto reader = open(bytes, {.encoding = "koi8-r"});
  EXPECT_EQ(reader.encoding().name, "koi8-r");
  EXPECT_EQ(reader.header()[0], test::convert(encode("Имя", "WINDOWS-1251"), "KOI8-R", "UTF-8"));
  EXPECT_NE(reader.header()[0], "Имя");
}

TEST_F(CsvReaderTest, UnknownEncodingFailsOpen) {
  const auto reader = CsvReader::open(dir.write("a.csv", "a,b\n1,2\n"), {.encoding = "ebcdic-xyz"});
  ASSERT_FALSE(reader.ok());
  EXPECT_THAT(reader.error().message, HasSubstr("windows-1251"));
}

TEST_F(CsvReaderTest, InvalidUtf8MakesExactlyThatRowAnErrorAndReadingGoesOn) {
  const auto records =
      read("name,city\nAnna,Oslo\nB\xFF\xFEob,Rome\nCleo,Nice\n", {.encoding = "utf-8"});
  ASSERT_EQ(records.size(), 3u);
  EXPECT_TRUE(records[0].ok());
  EXPECT_FALSE(records[1].ok());
  EXPECT_THAT(records[1].error, HasSubstr("line 3:"));
  EXPECT_THAT(records[1].error, HasSubstr("0xFF"));
  EXPECT_THAT(records[1].error, HasSubstr("UTF-8"));
  EXPECT_THAT(records[1].error, HasSubstr("--encoding"));
  EXPECT_EQ(records[1].fields[0], "B\xEF\xBF\xBD\xEF\xBF\xBDob") << "invalid bytes become U+FFFD";
  EXPECT_TRUE(records[2].ok());
  EXPECT_THAT(records[2].fields, ElementsAre("Cleo", "Nice"));
}

TEST_F(CsvReaderTest, InvalidUtf8AfterTheDetectionSampleIsARowError) {
  std::string text = "name,city\n";
  std::int64_t rows = 0;
  while (text.size() <= encoding_sample_bytes) {
    text += "Ана,Осло\n";
    ++rows;
  }
  text += "Jos\xE9,Madrid\nCleo,Nice\n";
  auto reader = open(text);
  EXPECT_EQ(reader.encoding().name, "UTF-8");
  const auto records = read_all(reader);
  ASSERT_EQ(records.size(), static_cast<std::size_t>(rows + 2));
  EXPECT_EQ(std::count_if(records.begin(), records.end(), [](const auto& r) { return !r.ok(); }),
            1);
  EXPECT_THAT(records[rows].error, HasSubstr("line " + std::to_string(rows + 2) + ":"));
  EXPECT_THAT(records[rows].error, HasSubstr("0xE9"));
  EXPECT_THAT(records.back().fields, ElementsAre("Cleo", "Nice"));
}

TEST_F(CsvReaderTest, ByteUndefinedInWindows1251IsARowError) {
  const std::string bytes = encode("Имя,Город\nИван,Москва\n", "WINDOWS-1251") + "\x98\xE0,x\n" +
                            encode("Мария,Тверь\n", "WINDOWS-1251");
  const auto records = read(bytes, {.encoding = "windows-1251"});
  ASSERT_EQ(records.size(), 3u);
  EXPECT_TRUE(records[0].ok());
  EXPECT_THAT(records[1].error, HasSubstr("line 3:"));
  EXPECT_THAT(records[1].error, HasSubstr("0x98"));
  EXPECT_THAT(records[1].error, HasSubstr("WINDOWS-1251"));
  EXPECT_THAT(records[2].fields, ElementsAre("Мария", "Тверь"));
}

TEST_F(CsvReaderTest, LoneSurrogateInUtf16IsARowError) {
  std::string bytes = "\xFF\xFE" + encode("name,city\nAnna,Oslo\n", "UTF-16LE");
  bytes += std::string("\x00\xD8", 2) + encode("x,y\nCleo,Nice\n", "UTF-16LE");
  const auto records = read(bytes);
  ASSERT_EQ(records.size(), 3u);
  EXPECT_TRUE(records[0].ok());
  EXPECT_THAT(records[1].error, HasSubstr("line 3:"));
  EXPECT_THAT(records[2].fields, ElementsAre("Cleo", "Nice"));
}

TEST_F(CsvReaderTest, InvalidBytesOnTheSecondLineOfAQuotedFieldFailThatRecord) {
  const auto records =
      read("name,note\nAnna,\"first\nsecond \xC3\x28\"\nCleo,ok\n", {.encoding = "utf-8"});
  ASSERT_EQ(records.size(), 2u);
  EXPECT_EQ(records[0].line, 2);
  EXPECT_THAT(records[0].error, HasSubstr("line 3:"));
  EXPECT_TRUE(records[1].ok());
  EXPECT_EQ(records[1].line, 4);
}

TEST_F(CsvReaderTest, NulCharactersMakeARowError) {
  const auto records = read(std::string("a,b\n1,2\nx\0y,3\n", 14));
  ASSERT_EQ(records.size(), 2u);
  EXPECT_THAT(records[1].error, HasSubstr("NUL"));
}

TEST_F(CsvReaderTest, AnUnsupportedHeaderRowFailsOpen) {
  const auto reader =
      CsvReader::open(dir.write("a.csv", "na\xFFme,city\n1,2\n"), {.encoding = "utf-8"});
  ASSERT_FALSE(reader.ok());
  EXPECT_THAT(reader.error().message, HasSubstr("header row"));
  EXPECT_THAT(reader.error().message, HasSubstr("line 1"));
}

// --- dialect
// -------------------------------------------------------------------------------------------

class CsvReaderDelimiterTest : public CsvReaderTest, public ::testing::WithParamInterface<char> {};

TEST_P(CsvReaderDelimiterTest, SniffsTheDelimiterEvenWithOthersInsideQuotedValues) {
  const char d = GetParam();
  std::string text = "name|company|city\n"
                     "Anna|\"Acme, Inc; Ltd|\tGroup\"|Oslo\n"
                     "Bob|Beta|\"Rome; Italy, EU\"\n"
                     "Cleo|Gamma|Nice\n";
  std::replace(text.begin(), text.end(), '|', '#');
  std::replace(text.begin(), text.end(), '#', d);
  auto reader = open(text);
  EXPECT_EQ(reader.delimiter(), d);
  EXPECT_EQ(reader.delimiter_reason(), "sniffed from the first rows");
  EXPECT_THAT(reader.header(), ElementsAre("name", "company", "city"));
  const auto records = read_all(reader);
  ASSERT_EQ(records.size(), 3u);
  EXPECT_EQ(records[0].fields.size(), 3u);
  EXPECT_EQ(records[0].fields[0], "Anna");
  EXPECT_EQ(records[0].fields[2], "Oslo");
  EXPECT_EQ(records[1].fields[2], "Rome; Italy, EU");
}

INSTANTIATE_TEST_SUITE_P(Delimiters, CsvReaderDelimiterTest, ::testing::Values(',', ';', '\t', '|'),
                         [](const auto& info) {
                           switch (info.param) {
                           case ',':
                             return std::string("comma");
                           case ';':
                             return std::string("semicolon");
                           case '\t':
                             return std::string("tab");
                           default:
                             return std::string("pipe");
                           }
                         });

TEST_F(CsvReaderTest, DelimiterOverrideWinsOverSniffing) {
  const std::string text = "a|b,c\n1|2,3\n4|5,6\n";
  auto sniffed = open(text);
  EXPECT_EQ(sniffed.delimiter(), ',');
  auto piped = open(text, {.delimiter = "|"});
  EXPECT_EQ(piped.delimiter(), '|');
  EXPECT_EQ(piped.delimiter_reason(), "--delimiter");
  EXPECT_THAT(piped.header(), ElementsAre("a", "b,c"));
  const auto records = read_all(piped);
  ASSERT_EQ(records.size(), 2u);
  EXPECT_THAT(records[0].fields, ElementsAre("1", "2,3"));
}

TEST_F(CsvReaderTest, DelimiterOptionNames) {
  EXPECT_EQ(*parse_delimiter_option("tab").value(), '\t');
  EXPECT_EQ(*parse_delimiter_option("\t").value(), '\t');
  EXPECT_EQ(*parse_delimiter_option(";").value(), ';');
  EXPECT_EQ(*parse_delimiter_option("|").value(), '|');
  EXPECT_EQ(*parse_delimiter_option(",").value(), ',');
  EXPECT_FALSE(parse_delimiter_option("auto").value().has_value());
  const auto bad = parse_delimiter_option(":");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().category, ErrorCategory::invalid_argument);
  EXPECT_THAT(bad.error().message, HasSubstr("tab"));
}

TEST_F(CsvReaderTest, BadDelimiterOptionFailsOpen) {
  const auto reader = CsvReader::open(dir.write("a.csv", "a,b\n"), {.delimiter = "space"});
  ASSERT_FALSE(reader.ok());
  EXPECT_THAT(reader.error().message, HasSubstr("space"));
}

TEST_F(CsvReaderTest, SingleColumnFileUsesComma) {
  auto reader = open("email\na@example.com\nb@example.com\n");
  EXPECT_EQ(reader.delimiter(), ',');
  EXPECT_THAT(reader.header(), ElementsAre("email"));
  EXPECT_EQ(read_all(reader).size(), 2u);
}

TEST_F(CsvReaderTest, ExcelSepLineNamesTheDelimiterAndIsNotTheHeader) {
  auto reader = open("sep=;\nname;city\nAnna;Oslo, Norway\n");
  EXPECT_EQ(reader.delimiter(), ';');
  EXPECT_THAT(reader.header(), ElementsAre("name", "city"));
  EXPECT_EQ(reader.header_line(), 2);
  const auto records = read_all(reader);
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0].line, 3);
  EXPECT_THAT(records[0].fields, ElementsAre("Anna", "Oslo, Norway"));
}

TEST_F(CsvReaderTest, QuotedFieldsHoldDelimitersDoubledQuotesAndLineBreaks) {
  const auto records =
      read("a,b,c\n\"x, y\",\"say \"\"hi\"\"\",\"one\ntwo\"\n\"crlf\r\nkept\",\"\",plain\n");
  ASSERT_EQ(records.size(), 2u);
  EXPECT_THAT(records[0].fields, ElementsAre("x, y", "say \"hi\"", "one\ntwo"));
  EXPECT_THAT(records[1].fields, ElementsAre("crlf\r\nkept", "", "plain"));
}

TEST_F(CsvReaderTest, ExcelLeniencyKeepsStrayQuotes) {
  const auto records = read("size,note\n5\" screen,a\"b\n\"5\" inch,ok\n");
  ASSERT_EQ(records.size(), 2u);
  EXPECT_THAT(records[0].fields, ElementsAre("5\" screen", "a\"b"));
  EXPECT_THAT(records[1].fields, ElementsAre("5 inch", "ok"));
}

TEST_F(CsvReaderTest, LineEndingsLfCrlfAndCrAloneGiveTheSameRecordsAndLines) {
  for (const std::string_view end : {"\n", "\r\n", "\r"}) {
    std::string text;
    for (const auto* row : {"name,city", "Anna,Oslo", "Bob,Rome"}) {
      text += row;
      text += end;
    }
    const auto records = read(text);
    ASSERT_EQ(records.size(), 2u);
    EXPECT_THAT(records[0].fields, ElementsAre("Anna", "Oslo"));
    EXPECT_THAT(records[1].fields, ElementsAre("Bob", "Rome"));
    EXPECT_EQ(records[1].line, 3);
  }
}

TEST_F(CsvReaderTest, CrLfSplitByTheEndOfTheReadBufferIsOneLineBreak) {
  constexpr std::size_t read_buffer_bytes = std::size_t{64} * 1024;
  // The CR of the first data row is the last byte the first read brings in; its LF comes with the
  // next.
  const std::string long_value(read_buffer_bytes - std::string("h\r\n").size() - 1, 'x');
  const std::string text = "h\r\n" + long_value + "\r\nshort\r\n";
  ASSERT_EQ(text.find('\r', 3), read_buffer_bytes - 1);
  const auto records = read(text);
  ASSERT_EQ(records.size(), 2u);
  EXPECT_EQ(records[0].fields[0].size(), long_value.size());
  EXPECT_EQ(records[1].line, 3);
  EXPECT_THAT(records[1].fields, ElementsAre("short"));
  // In UTF-16 the CR is the last code unit of the first read.
  const std::string wide_value((read_buffer_bytes - 2 - 6) / 2 - 1, 'x');
  const std::string utf16 = "\xFF\xFE" + encode("h\r\n" + wide_value + "\r\nshort\r\n", "UTF-16LE");
  ASSERT_EQ(utf16.substr(read_buffer_bytes - 2, 2), std::string("\r\0", 2));
  const auto wide_records = read(utf16);
  ASSERT_EQ(wide_records.size(), 2u);
  EXPECT_EQ(wide_records[1].line, 3);
  EXPECT_THAT(wide_records[1].fields, ElementsAre("short"));
}

TEST_F(CsvReaderTest, LastLineWithoutLineBreakIsRead) {
  const auto records = read("name,city\nAnna,Oslo");
  ASSERT_EQ(records.size(), 1u);
  EXPECT_THAT(records[0].fields, ElementsAre("Anna", "Oslo"));
}

TEST_F(CsvReaderTest, RaggedRowsAreReportedWithLineAndCount) {
  const auto records = read("a,b,c\n1,2,3\n1,2\n1,2,3,4\n7,8,9\n");
  ASSERT_EQ(records.size(), 4u);
  EXPECT_TRUE(records[0].ok());
  EXPECT_THAT(records[1].error, HasSubstr("line 3: 2 fields, but the header has 3 columns"));
  EXPECT_THAT(records[2].error, HasSubstr("line 4: 4 fields, but the header has 3 columns"));
  EXPECT_THAT(records[2].error, HasSubstr("double quotes"));
  EXPECT_TRUE(records[3].ok());
  EXPECT_THAT(records[1].fields, ElementsAre("1", "2")) << "the row is returned for the report";
}

TEST_F(CsvReaderTest, EmptyRowsAreSkippedAndCountedAndLinesStayPhysical) {
  auto reader = open("\nname,city\n\nAnna,Oslo\n,\n  ,\t\n\nBob,Rome\n\n");
  EXPECT_EQ(reader.header_line(), 2);
  const auto records = read_all(reader);
  ASSERT_EQ(records.size(), 2u);
  EXPECT_EQ(records[0].line, 4);
  EXPECT_EQ(records[0].index, 0);
  EXPECT_EQ(records[1].line, 8);
  EXPECT_EQ(records[1].index, 1);
  EXPECT_EQ(reader.empty_rows_skipped(), 5);
}

TEST_F(CsvReaderTest, LineNumbersCountTheLineBreaksInsideQuotes) {
  const auto records = read("a,b\n1,\"x\ny\nz\"\n2,\"p\r\nq\"\n3,w\n");
  ASSERT_EQ(records.size(), 3u);
  EXPECT_EQ(records[0].line, 2);
  EXPECT_EQ(records[0].line_count, 3);
  EXPECT_EQ(records[1].line, 5);
  EXPECT_EQ(records[1].line_count, 2);
  EXPECT_EQ(records[2].line, 7);
}

TEST_F(CsvReaderTest, UnclosedQuoteFailsItsRowAndTheFollowingRowsAreRead) {
  const auto records = read("name,note\nAnna,\"unclosed\nBob,fine\nCleo,also fine\n");
  ASSERT_EQ(records.size(), 3u);
  EXPECT_THAT(records[0].error, HasSubstr("line 2:"));
  EXPECT_THAT(records[0].error, HasSubstr("never closed"));
  EXPECT_THAT(records[0].fields, ElementsAre("Anna", "unclosed"));
  EXPECT_THAT(records[1].fields, ElementsAre("Bob", "fine"));
  EXPECT_EQ(records[1].line, 3);
  EXPECT_EQ(records[2].line, 4);
}

TEST_F(CsvReaderTest, QuotedFieldLongerThanTheLimitFailsItsRowAndReadingGoesOn) {
  std::string text = "name,note\nAnna,\"open\n";
  for (int i = 0; i < 200; ++i) {
    text += "filler line without a closing quote\n";
  }
  text += "last,\"closes\"\n";
  auto reader = open(text, {.max_record_bytes = 1024});
  const auto records = read_all(reader);
  ASSERT_GE(records.size(), 2u);
  EXPECT_THAT(records[0].error, HasSubstr("not closed within 1024 bytes"));
  EXPECT_EQ(records[1].line, 3);
  EXPECT_THAT(records[1].fields, ElementsAre("filler line without a closing quote"));
}

TEST_F(CsvReaderTest, HeaderNamesAreTrimmed) {
  auto reader = open(" name ,\tcity \n1,2\n");
  EXPECT_THAT(reader.header(), ElementsAre("name", "city"));
}

TEST_F(CsvReaderTest, HeaderOnlyFileHasNoRecords) {
  auto reader = open("name,city\n");
  EXPECT_TRUE(read_all(reader).empty());
}

// --- files that are not CSV
// ----------------------------------------------------------------------------

TEST_F(CsvReaderTest, EmptyFileFailsOpen) {
  const auto reader = CsvReader::open(dir.write("empty.csv", ""));
  ASSERT_FALSE(reader.ok());
  EXPECT_THAT(reader.error().message, HasSubstr("empty"));
}

TEST_F(CsvReaderTest, FileOfBlankLinesHasNoHeader) {
  const auto reader = CsvReader::open(dir.write("blank.csv", "\n\n,,\n"));
  ASSERT_FALSE(reader.ok());
  EXPECT_THAT(reader.error().message, HasSubstr("no header row"));
}

TEST_F(CsvReaderTest, MissingFileIsNotFound) {
  const auto reader = CsvReader::open((dir.path() / "nope.csv").string());
  ASSERT_FALSE(reader.ok());
  EXPECT_EQ(reader.error().category, ErrorCategory::not_found);
  EXPECT_THAT(reader.error().message, HasSubstr("nope.csv"));
}

TEST_F(CsvReaderTest, XlsxWorkbookIsRefusedWithTheSaveAsCsvUtf8Steps) {
  const std::string zip_start("PK\x03\x04\x14\x00\x06\x00", 8);
  for (const char* name : {"leads.xlsx", "renamed.csv"}) {
    const auto reader = CsvReader::open(dir.write(name, zip_start + "[Content_Types].xml"));
    ASSERT_FALSE(reader.ok()) << name;
    EXPECT_EQ(reader.error().category, ErrorCategory::invalid_argument);
    EXPECT_THAT(reader.error().message, HasSubstr("File > Save As"));
    EXPECT_THAT(reader.error().message, HasSubstr("CSV UTF-8 (Comma delimited) (*.csv)"));
  }
}

TEST_F(CsvReaderTest, OldXlsWorkbookIsRefused) {
  const auto reader =
      CsvReader::open(dir.write("leads.dat", "\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1 more bytes"));
  ASSERT_FALSE(reader.ok());
  EXPECT_THAT(reader.error().message, HasSubstr(".xls"));
  EXPECT_THAT(reader.error().message, HasSubstr("CSV UTF-8"));
}

TEST_F(CsvReaderTest, WorkbookExtensionIsRefusedEvenWithTextInside) {
  const auto reader = CsvReader::open(dir.write("leads.XLS", "name,city\n"));
  ASSERT_FALSE(reader.ok());
  EXPECT_THAT(reader.error().message, HasSubstr("rename it to .csv"));
}

// --- resume
// --------------------------------------------------------------------------------------------

void expect_resume_gives_the_same_records(const std::string& path, const ReadOptions& options) {
  auto reader = CsvReader::open(path, options);
  ASSERT_TRUE(reader.ok()) << reader.error().describe();
  const auto all = read_all(*reader);
  ASSERT_GE(all.size(), 3u);
  for (std::size_t k = 0; k < all.size(); ++k) {
    auto resumed = CsvReader::open(path, options);
    ASSERT_TRUE(resumed.ok());
    ASSERT_TRUE(resumed->seek(all[k].resume_after()).ok());
    const auto rest = read_all(*resumed);
    ASSERT_EQ(rest.size(), all.size() - k - 1) << "resuming after record " << k;
    for (std::size_t i = 0; i < rest.size(); ++i) {
      const auto& expected = all[k + 1 + i];
      EXPECT_EQ(rest[i].fields, expected.fields);
      EXPECT_EQ(rest[i].index, expected.index);
      EXPECT_EQ(rest[i].line, expected.line);
      EXPECT_EQ(rest[i].offset, expected.offset);
      EXPECT_EQ(rest[i].error, expected.error);
    }
  }
}

const std::string resume_text = "name,note\r\n"
                                "Anna,\"two\r\nlines\"\r\n"
                                "\r\n"
                                "Bob,plain\r\n"
                                "Cleo,\"x\"\"y\"\r\n"
                                "Dan\r\n"
                                "Eve,\"Ева, ok\"\r\n";

TEST_F(CsvReaderTest, SeekToARecordedResumePointYieldsTheSameFollowingRecords) {
  expect_resume_gives_the_same_records(dir.write("resume.csv", resume_text), {});
}

TEST_F(CsvReaderTest, ResumeWorksInUtf16) {
  const std::string bytes = "\xFF\xFE" + encode(resume_text, "UTF-16LE");
  expect_resume_gives_the_same_records(dir.write("resume16.csv", bytes), {});
}

TEST_F(CsvReaderTest, FirstRecordPointRestartsAtTheFirstDataRow) {
  auto reader = open("sep=,\nname,city\nAnna,Oslo\nBob,Rome\n");
  const auto all = read_all(reader);
  ASSERT_TRUE(reader.seek(reader.first_record()).ok());
  const auto again = read_all(reader);
  ASSERT_EQ(again.size(), all.size());
  EXPECT_EQ(again[0].line, 3);
  EXPECT_EQ(again[0].fields, all[0].fields);
}

TEST_F(CsvReaderTest, ResumePointInsideTheHeaderIsRefused) {
  auto reader = open("name,city\nAnna,Oslo\n");
  const auto status = reader.seek({.offset = 2, .index = 0, .line = 1});
  ASSERT_FALSE(status.ok());
  EXPECT_THAT(status.error().message, HasSubstr("byte 2"));
}

// --- memory
// --------------------------------------------------------------------------------------------

TEST_F(CsvReaderTest, BuffersStayBoundedReadingALargeFile) {
  const std::string path = (dir.path() / "large.csv").string();
  std::int64_t rows = 0;
  {
    std::ofstream out(path, std::ios::binary);
    out << "first_name,last_name,email,company,phone,note\n";
    std::string row;
    while (out.tellp() < std::streamoff{20} * 1024 * 1024) {
      row = "Анна,Petrova-" + std::to_string(rows) + ",anna" + std::to_string(rows) +
            "@example.com,\"Acme, Inc\",+7 495 123-45-67,\"multi\nline\"\n";
      out << row;
      ++rows;
    }
  }
  auto reader = CsvReader::open(path);
  ASSERT_TRUE(reader.ok());
  std::size_t peak = 0;
  std::int64_t count = 0;
  while (true) {
    auto record = reader->next();
    ASSERT_TRUE(record.ok());
    if (!record->has_value()) {
      break;
    }
    ASSERT_TRUE((*record)->ok()) << (*record)->error;
    ++count;
    peak = std::max(peak, reader->buffer_capacity());
  }
  EXPECT_EQ(count, rows);
  EXPECT_LT(peak, std::size_t{1} << 20);
}

TEST_F(CsvReaderTest, OverlongLineIsARowErrorAndDoesNotGrowTheBuffers) {
  const std::string text = "name,note\nAnna," + std::string(3 << 20, 'x') + "\nBob,ok\n";
  auto reader = open(text, {.max_record_bytes = std::size_t{64} * 1024});
  const auto records = read_all(reader);
  ASSERT_EQ(records.size(), 2u);
  EXPECT_THAT(records[0].error, HasSubstr("longer than 65536 bytes"));
  EXPECT_THAT(records[1].fields, ElementsAre("Bob", "ok"));
  EXPECT_LT(reader.buffer_capacity(), std::size_t{1} << 20);
}

} // namespace
} // namespace leadsync::importer
