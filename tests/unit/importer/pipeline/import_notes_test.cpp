// Rows that are imported although a value of theirs was dropped or is not trusted (an invalid
// e-mail next to a valid phone...): counted as "with notes", listed with their notes, written to
// the notes file, and the raw value kept on the lead.

#include "leadsync/importer/csv_import.hpp"
#include "leadsync/store/sqlite_store.hpp"
#include "recording_store.hpp"
#include "support/csv_fixtures.hpp"

#include <fstream>
#include <gtest/gtest.h>
#include <sstream>

namespace leadsync::importer {
namespace {

using test::TempDir;
using testing::RecordingStore;

const std::string header = "First Name,Last Name,Email,Phone,Company,Job Title,Country\n";

std::string good_row(int n) {
  const auto id = std::to_string(n);
  return "Person" + id + ",Tester,person" + id + "@company" + id + ".com,+1 212 456 " +
         std::to_string(1000 + n) + ",Company " + id + ",Engineer,USA\n";
}

std::string read_all(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

class ImportNotesTest : public ::testing::Test {
protected:
  void SetUp() override {
    store_ = store::open_sqlite_store({":memory:"}, clock_, random_).value();
    dictionary_ = ColumnDictionary::load_text(builtin_import_columns()).value();
  }

  CsvImportOptions options_for(const std::string& path) const {
    CsvImportOptions options;
    options.path = path;
    options.default_region = "US";
    options.errors_file = (dir_.path() / "errors.csv").string();
    options.notes_file = (dir_.path() / "notes.csv").string();
    return options;
  }

  Result<ImportReport> import(const CsvImportOptions& options, store::Store* through = nullptr) {
    auto prepared = CsvImport::prepare(through != nullptr ? *through : *store_, dictionary_,
                                       options, clock_, random_);
    if (!prepared.ok()) {
      return fail(prepared.error());
    }
    return prepared->run(
        {.normalizer_threads = 2, .chunk_rows = 2, .chunks_in_flight = 3, .batch_rows = 4});
  }

  ManualClock clock_;
  SeededRandom random_{5};
  TempDir dir_;
  std::unique_ptr<store::Store> store_;
  ColumnDictionary dictionary_ = ColumnDictionary::load_text("[fields]\n").value();
};

TEST_F(ImportNotesTest, AnInvalidEmailNextToAValidPhoneIsKeptCountedAndWrittenToTheNotesFile) {
  const auto path = dir_.write(
      "list.csv", header + good_row(1) +
                      // line 3: the e-mail is not one, the phone is fine
                      "Anna,Smith,anna.smith@@acme,+1 212 456 2000,Acme,CFO,USA\n" + good_row(2) +
                      // line 5: no way to reach at all: rejected, not a note
                      "Bad,Row,broken@,12,,,USA\n" +
                      // line 6: the same person as line 2, with a second address
                      // that is not one, and a formula for a job title
                      "Person1,Tester,person1@company1.com x@@y,,Company 1,=1+1,USA\n");

  const auto report = import(options_for(path)).value();

  const auto& counts = report.counts;
  EXPECT_EQ(counts.rows_read, 5);
  EXPECT_EQ(counts.with_notes, 2);
  EXPECT_EQ(counts.new_leads, 3);
  EXPECT_EQ(counts.merged() + counts.unchanged, 1);
  EXPECT_EQ(counts.rejected(), 1);
  EXPECT_TRUE(counts.balanced()); // rows with notes are counted by their fate as well
  ASSERT_EQ(report.noted_rows.size(), 2U);
  EXPECT_EQ(report.noted_rows[0].line, 3);
  EXPECT_EQ(report.noted_rows[0].notes,
            "e-mail 'anna.smith@@acme' is not valid (more than one '@')");
  EXPECT_EQ(report.noted_rows[1].line, 6);
  EXPECT_EQ(report.noted_rows[1].notes, "e-mail 'x@@y' is not valid (more than one '@')");
  EXPECT_EQ(report.notes_file, options_for(path).notes_file);

  // The raw value stays on the lead, marked invalid.
  const auto anna = store_->find_by_phone("+12124562000").value();
  ASSERT_EQ(anna.size(), 1U);
  EXPECT_TRUE(anna[0].person.emails.empty());
  EXPECT_EQ(anna[0].person.invalid_emails, std::vector<std::string>{"anna.smith@@acme"});
  const auto person1 = store_->find_by_email("person1@company1.com").value();
  ASSERT_EQ(person1.size(), 1U);
  EXPECT_EQ(person1[0].person.invalid_emails, std::vector<std::string>{"x@@y"});

  // The notes file: the error file's form, "notes" for "reason", formulas defused.
  const auto notes = read_all(report.notes_file);
  EXPECT_EQ(notes, "\xEF\xBB\xBFline,notes,First Name,Last Name,Email,Phone,Company,Job "
                   "Title,Country\r\n"
                   "3,e-mail 'anna.smith@@acme' is not valid (more than one '@'),Anna,Smith,"
                   "anna.smith@@acme,'+1 212 456 2000,Acme,CFO,USA\r\n"
                   "6,e-mail 'x@@y' is not valid (more than one '@'),Person1,Tester,"
                   "person1@company1.com x@@y,,Company 1,'=1+1,USA\r\n");
  // The error file has the rejected row only.
  const auto errors = read_all(report.errors_file);
  EXPECT_NE(errors.find("\r\n5,"), std::string::npos) << errors;
  EXPECT_EQ(errors.find("\r\n3,"), std::string::npos) << errors;
}

TEST_F(ImportNotesTest, AResumedImportContinuesTheNotesFileWithoutRepeatingARow) {
  std::string text = header;
  std::vector<std::string> expected_lines;
  for (int i = 0; i < 20; ++i) {
    if (i % 3 == 0) {
      const auto id = std::to_string(i);
      text += "Noted" + id + ",Tester,noted" + id + "@@x,+1 212 456 " + std::to_string(3000 + i) +
              ",Noted " + id + ",CTO,USA\n";
      expected_lines.push_back(std::to_string(i + 2));
    } else {
      text += good_row(i);
    }
  }
  const auto path = dir_.write("list.csv", text);
  RecordingStore failing(*store_);
  failing.fail_batch = 2; // stops after two batches (8 rows), as if killed
  ASSERT_FALSE(import(options_for(path), &failing).ok());
  auto resume = options_for(path);
  resume.notes_file.clear(); // taken from the interrupted run
  resume.errors_file.clear();
  resume.start = CsvImportOptions::Start::resume;

  const auto report = import(resume).value();

  EXPECT_EQ(report.counts.with_notes, 7);
  EXPECT_EQ(report.notes_file, options_for(path).notes_file);
  std::istringstream notes(read_all(report.notes_file));
  std::string line;
  std::getline(notes, line); // the header
  std::vector<std::string> lines;
  while (std::getline(notes, line)) {
    lines.push_back(line.substr(0, line.find(',')));
  }
  EXPECT_EQ(lines, expected_lines);
}

TEST_F(ImportNotesTest, TheNotesFileMayNotBeTheErrorFile) {
  const auto path = dir_.write("list.csv", header + good_row(1));
  auto options = options_for(path);
  options.notes_file = options.errors_file;

  const auto refused = import(options);

  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.error().message.find("--notes"), std::string::npos);
}

} // namespace
} // namespace leadsync::importer
