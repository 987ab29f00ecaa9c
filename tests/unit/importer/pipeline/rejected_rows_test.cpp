#include "leadsync/importer/rejected_rows.hpp"
#include "support/csv_fixtures.hpp"

#include <filesystem>
#include <fstream>
#include <gtest/gtest.h>
#include <map>
#include <sstream>

namespace leadsync::importer {
namespace {

using test::TempDir;

std::string read_all(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

class SpreadsheetSafe : public ::testing::TestWithParam<std::string> {};

TEST_P(SpreadsheetSafe, ACellStartingLikeAFormulaGetsAQuoteInFront) {
  const std::string cell = GetParam() + "HYPERLINK(\"http://evil.example\")";

  EXPECT_EQ(spreadsheet_safe(cell), "'" + cell);
}

std::string formula_start_name(const ::testing::TestParamInfo<std::string>& info) {
  static const std::map<std::string, std::string> names = {
      {"=", "Equals"},
      {"+", "Plus"},
      {"-", "Minus"},
      {"@", "At"},
      {"\t", "Tab"},
      {"\r", "CarriageReturn"},
      {"\n", "LineFeed"},
      {" =", "SpaceThenEquals"},
      {"  \t+", "BlanksThenPlus"},
      {"\r\n-", "LineBreakThenMinus"},
      {"\xC2\xA0@", "NoBreakSpaceThenAt"},
      {"\xE3\x80\x80=", "IdeographicSpaceThenEquals"},
      {"＝", "FullWidthEquals"},
      {"＋", "FullWidthPlus"},
      {"－", "FullWidthMinus"},
      {"＠", "FullWidthAt"},
      {" ＝", "SpaceThenFullWidthEquals"}};
  return names.at(info.param);
}

// Issue 18 adds LF, whitespace before the sign and the full-width signs to OWASP's list.
INSTANTIATE_TEST_SUITE_P(EachFormulaStart, SpreadsheetSafe,
                         ::testing::Values("=", "+", "-", "@", "\t", "\r", "\n", " =", "  \t+",
                                           "\r\n-", "\xC2\xA0@", "\xE3\x80\x80=", "＝", "＋", "－",
                                           "＠", " ＝"),
                         formula_start_name);

TEST(SpreadsheetSafe, OtherCellsStayAsTheyAre) {
  for (const std::string cell : {"", "Ivan", "1=1", "'quoted", " spaced = fine", "Иван", "محمد",
                                 "5-2", "  Ann", "a＝b", "\xC2\xA0text", "ｅｘ"}) {
    EXPECT_EQ(spreadsheet_safe(cell), cell);
  }
}

TEST(ErrorFileLine, QuotesAndEscapesACellThatStartsWithALineBreak) {
  EXPECT_EQ(error_file_line({"\n=HYPERLINK(\"x\")"}, ','), "\"'\n=HYPERLINK(\"\"x\"\")\"\r\n");
}

TEST(ErrorFileLine, QuotesCellsWithTheDelimiterQuotesOrLineBreaks) {
  EXPECT_EQ(error_file_line({"7", "a, b", "say \"hi\"", "two\nlines", "plain"}, ','),
            "7,\"a, b\",\"say \"\"hi\"\"\",\"two\nlines\",plain\r\n");
  EXPECT_EQ(error_file_line({"a, b", "c;d"}, ';'), "a, b;\"c;d\"\r\n");
}

TEST(ErrorFileLine, EscapesAFormulaInsideQuotesToo) {
  EXPECT_EQ(error_file_line({"=SUM(A1,A2)"}, ','), "\"'=SUM(A1,A2)\"\r\n");
}

TEST(RejectedRowsWriter, WritesABomTheHeaderAndEachRowWithLineAndReason) {
  TempDir dir;
  const auto path = (dir.path() / "errors.csv").string();
  auto writer = RejectedRowsWriter::create(path, {"Name", "Email"}, ';').value();

  ASSERT_TRUE(writer.add(12, "no valid e-mail or phone", {"Ivan", "=cmd|' /C calc'!A0"}).ok());
  ASSERT_TRUE(writer.add(15, "wrong number of fields", {"only one"}).ok());
  const auto length = writer.flush().value();

  const auto text = read_all(path);
  EXPECT_EQ(text, "\xEF\xBB\xBF"
                  "line;reason;Name;Email\r\n"
                  "12;no valid e-mail or phone;Ivan;'=cmd|' /C calc'!A0\r\n"
                  "15;wrong number of fields;only one\r\n");
  EXPECT_EQ(length, text.size());
}

TEST(RejectedRowsWriter, ResumeCutsTheFileBackToTheCommittedLengthAndAppends) {
  TempDir dir;
  const auto path = (dir.path() / "errors.csv").string();
  std::uint64_t committed = 0;
  {
    auto writer = RejectedRowsWriter::create(path, {"Name"}, ',').value();
    ASSERT_TRUE(writer.add(2, "first", {"A"}).ok());
    committed = writer.flush().value();
    ASSERT_TRUE(writer.add(3, "written after the last commit", {"B"}).ok());
    ASSERT_TRUE(writer.flush().ok());
  }

  auto resumed = RejectedRowsWriter::resume(path, committed, ',').value();
  ASSERT_TRUE(resumed.add(3, "again", {"B"}).ok());
  ASSERT_TRUE(resumed.flush().ok());

  EXPECT_EQ(read_all(path), "\xEF\xBB\xBFline,reason,Name\r\n2,first,A\r\n3,again,B\r\n");
}

TEST(RejectedRowsWriter, ResumeOfAShorterOrMissingFileFails) {
  TempDir dir;
  const auto path = (dir.path() / "errors.csv").string();
  EXPECT_FALSE(RejectedRowsWriter::resume(path, 10, ',').ok());
  dir.write("errors.csv", "short");
  EXPECT_EQ(RejectedRowsWriter::resume(path, 100, ',').error().category,
            ErrorCategory::invalid_argument);
}

TEST(RejectedRowsWriter, AnUnwritablePathSaysToChooseAnother) {
  TempDir dir;
  const auto error =
      RejectedRowsWriter::create((dir.path() / "no/such/folder/errors.csv").string(), {}, ',')
          .error();

  EXPECT_EQ(error.category, ErrorCategory::invalid_argument);
  EXPECT_NE(error.message.find("--errors"), std::string::npos) << error.message;
}

} // namespace
} // namespace leadsync::importer
