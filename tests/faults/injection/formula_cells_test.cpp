// Fault suite, injection (issue 18): the error file of an import opens in a spreadsheet without
// running a formula from a vendor's list, including the forms the first escaping missed: a
// leading space or line break before the sign, and the full-width signs.

#include "support/cli_process.hpp"

#include <filesystem>
#include <fstream>
#include <gtest/gtest.h>
#include <string>
#include <unistd.h>
#include <vector>

namespace {

namespace fs = std::filesystem;
using leadsync::testing::CliRun;

class FormulaCellsTest : public ::testing::Test {
protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("leadsync-formula-" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    ASSERT_EQ(leadsync("init " + dir_.string()).exit_code, 0);
  }
  void TearDown() override { fs::remove_all(dir_); }

  CliRun leadsync(const std::string& args) {
    return leadsync::testing::run_leadsync(LEADSYNC_EXE, args, dir_);
  }

  fs::path dir_;
};

std::string csv_quoted(const std::string& cell) {
  std::string quoted = "\"";
  for (const char c : cell) {
    quoted += c == '"' ? std::string("\"\"") : std::string(1, c);
  }
  return quoted + "\"";
}

// Promise: every cell of a rejected row that a spreadsheet would read as a formula is written to
// the error file with a quote in front; counted over the hostile cells of the rejected rows.
TEST_F(FormulaCellsTest, EveryFormulaCellOfTheErrorFileStartsWithAQuote) {
  // The full-width signs are written as UTF-8 text: ＝ ＋ － ＠.
  const std::vector<std::string> hostile = {"=HYPERLINK(\"http://evil.example\")",
                                            " =1+2",
                                            "\t-3+4",
                                            "\n@SUM(A1)",
                                            "＝CMD()",
                                            "＋1",
                                            "－1",
                                            "＠cmd",
                                            " ＝1+1"}; // space then ＝
  std::ofstream csv(dir_ / "list.csv", std::ios::binary);
  csv << "First Name,Last Name,Email,Phone,Company\n"
      << "Good,Person,good.person@example.com,+1 212 456 1000,Fine Inc\n";
  // Each hostile value in the first and the company column of a row without a usable contact.
  for (const auto& value : hostile) {
    csv << csv_quoted(value) << ",Row,broken@,1," << csv_quoted(value) << "\n";
  }
  csv.close();

  const auto errors = dir_ / "errors.csv";
  const auto run =
      leadsync("-c " + (dir_ / "leadsync.toml").string() + " import " +
               (dir_ / "list.csv").string() + " --errors " + errors.string() + " --no-progress");
  EXPECT_EQ(run.exit_code, 1) << "rows were rejected:\n" << run.out << run.err;

  const auto text = leadsync::testing::read_file(errors);
  std::size_t escaped = 0;
  for (const auto& value : hostile) {
    // The cell as written: quoted when it holds a line break, a quote or a comma.
    const bool needs_quotes = value.find_first_of("\"\r\n,") != std::string::npos;
    const std::string safe = needs_quotes ? csv_quoted("'" + value) : "'" + value;
    const std::string raw = needs_quotes ? csv_quoted(value) : value;
    std::size_t found = 0;
    for (auto at = text.find(safe); at != std::string::npos; at = text.find(safe, at + 1)) {
      ++found;
    }
    EXPECT_EQ(found, 2U) << "both cells of the row with " << raw << " carry the quote:\n" << text;
    EXPECT_EQ(text.find("," + raw), std::string::npos) << raw << " is unescaped:\n" << text;
    escaped += found;
  }
  EXPECT_EQ(escaped, 2 * hostile.size());
}

// Promise: the conversion report in CSV form, opened in a spreadsheet, never runs a formula from a
// vendor's or a list's name (both come from purchased files and import options).
TEST_F(FormulaCellsTest, TheReportCsvQuotesAVendorNameThatLooksLikeAFormula) {
  std::ofstream csv(dir_ / "list.csv", std::ios::binary);
  csv << "First Name,Last Name,Email,Company\n"
      << "Good,Person,good.person@example.com,Fine Inc\n";
  csv.close();
  const std::string config = "-c " + (dir_ / "leadsync.toml").string();
  const auto imported = leadsync(config + " import " + (dir_ / "list.csv").string() +
                                 " --vendor '=HYPERLINK(\"http://evil.example\")' --no-progress");
  ASSERT_EQ(imported.exit_code, 0) << imported.out << imported.err;

  const auto report = leadsync(config + " report --by vendor --csv");
  ASSERT_EQ(report.exit_code, 0) << report.out << report.err;
  EXPECT_NE(report.out.find(",\"'=HYPERLINK(\"\"http://evil.example\"\")\","), std::string::npos)
      << report.out;
  EXPECT_EQ(report.out.find(",\"=HYPERLINK"), std::string::npos) << report.out;
  EXPECT_EQ(report.out.find(",=HYPERLINK"), std::string::npos) << report.out;
}

} // namespace
