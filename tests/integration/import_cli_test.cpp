// `leadsync import` of CSV lists, driven through the real executable as a user would: encodings,
// delimiters, header languages, digit systems, duplicates across lists, the error file, the JSON
// summary, exit codes, and an import killed with SIGKILL and resumed.

#include "leadsync_test_paths.hpp"
#include "support/cli_process.hpp"
#include "support/csv_fixtures.hpp"
#include "support/raw_database.hpp"

#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <fcntl.h>
#include <filesystem>
#include <fstream>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <sqlite3.h>
#include <sstream>
#include <string>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>
#include <vector>

namespace {

namespace fs = std::filesystem;
using leadsync::test::encode;
using leadsync::testing::CliRun;
using leadsync::testing::read_file;
using nlohmann::json;
const auto quoted = leadsync::testing::shell_quoted;

const fs::path data_folder = fs::path(LEADSYNC_SOURCE_DIR) / "tests/data";

class ImportCliTest : public ::testing::Test {
protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("leadsync-import-cli-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    ASSERT_EQ(leadsync("init " + quoted(dir_.string())).exit_code, 0);
  }
  void TearDown() override { fs::remove_all(dir_); }

  // Runs leadsync with the (shell-quoted) arguments.
  CliRun leadsync(const std::string& args) {
    return leadsync::testing::run_leadsync(LEADSYNC_EXE, args, dir_);
  }

  CliRun import(const std::string& args) {
    return leadsync("-c " + quoted(config()) + " import " + args);
  }

  // `import FILE --json ARGS`, parsed; fails the test when the output is not one JSON document.
  json import_json(const fs::path& file, const std::string& args = "", int expected_exit = 0) {
    const auto run = import(quoted(file.string()) + " --json " + args);
    EXPECT_EQ(run.exit_code, expected_exit) << run.err << run.out;
    auto document = json::parse(run.out, nullptr, false);
    EXPECT_TRUE(document.is_object()) << run.out;
    return document;
  }

  json leads() {
    const auto run = leadsync("-c " + quoted(config()) + " leads list --json --limit 1000");
    EXPECT_EQ(run.exit_code, 0) << run.err;
    return json::parse(run.out).at("leads");
  }

  json lead_with_email(const std::string& email) {
    for (const auto& lead : leads()) {
      const auto& emails = lead.at("person").value("emails", json::array());
      for (const auto& address : emails) {
        if (address == email) {
          return lead;
        }
      }
    }
    ADD_FAILURE() << "no lead with e-mail " << email;
    return json::object();
  }

  fs::path write(const std::string& name, const std::string& bytes) {
    auto path = dir_ / name;
    std::ofstream(path, std::ios::binary) << bytes;
    return path;
  }

  std::string config() const { return (dir_ / "leadsync.toml").string(); }
  fs::path database() const { return dir_ / "state.db"; }

  fs::path dir_;
};

std::vector<std::string> names_of(const json& leads) {
  std::vector<std::string> names;
  for (const auto& lead : leads) {
    names.push_back(lead.at("person").value("first_name", "") + " " +
                    lead.at("person").value("last_name", ""));
  }
  std::sort(names.begin(), names.end());
  return names;
}

// ---- encodings, delimiters, header languages, digit systems -------------------------------------

struct EncodingCase {
  std::string name;     // test name
  std::string encoding; // iconv name of the file
  std::string bom;      // bytes before the text
  std::string text;     // UTF-8 content
  std::string expected_encoding;
  std::vector<std::string> expected_names;
};

class ImportEncodingTest : public ImportCliTest,
                           public ::testing::WithParamInterface<EncodingCase> {};

TEST_P(ImportEncodingTest, IsDetectedAndStoredAsUtf8) {
  const auto& param = GetParam();
  const auto file = write("list.csv", param.bom + encode(param.text, param.encoding.c_str()));

  const auto summary = import_json(file, "--region RU");

  EXPECT_EQ(summary.at("encoding"), param.expected_encoding);
  EXPECT_EQ(summary.at("new_leads"), 2);
  EXPECT_EQ(names_of(leads()), param.expected_names);
}

const std::string russian_list = "Фамилия;Имя;Эл. почта;Телефон\r\n"
                                 "Петров;Иван;ivan@romashka.ru;+7 495 123-45-67\r\n"
                                 "ЁЛКИНА;ОЛЬГА;olga@romashka.ru;8 916 765-43-21\r\n";
const std::string arabic_list = "الاسم الأول\tاسم العائلة\tالبريد الإلكتروني\tالجوال\r\n"
                                "محمد\tالحداد\tm.haddad@alnoor.ae\t+971 50 123 4567\r\n"
                                "فاطمة\tالزهراني\tf.zahrani@jarir.sa\t+966 55 123 4567\r\n";
const std::string latin_list = "First Name,Last Name,Email,Phone\r\n"
                               "José,García,jose@acme-iberia.es,+34 912 345 678\r\n"
                               "Zoë,Lefèvre,zoe@lumiere.fr,+33 1 42 68 53 00\r\n";

INSTANTIATE_TEST_SUITE_P(
    EachEncoding, ImportEncodingTest,
    ::testing::Values(
        EncodingCase{"Utf8", "UTF-8", "", russian_list, "UTF-8", {"Иван Петров", "Ольга Ёлкина"}},
        EncodingCase{"Utf8WithBom",
                     "UTF-8",
                     "\xEF\xBB\xBF",
                     arabic_list,
                     "UTF-8",
                     {"فاطمة الزهراني", "محمد الحداد"}},
        EncodingCase{"Utf16LittleEndianExcelUnicodeText",
                     "UTF-16LE",
                     "\xFF\xFE",
                     arabic_list,
                     "UTF-16LE",
                     {"فاطمة الزهراني", "محمد الحداد"}},
        EncodingCase{"Utf16BigEndian",
                     "UTF-16BE",
                     "\xFE\xFF",
                     russian_list,
                     "UTF-16BE",
                     {"Иван Петров", "Ольга Ёлкина"}},
        EncodingCase{"Windows1251",
                     "WINDOWS-1251",
                     "",
                     russian_list,
                     "WINDOWS-1251",
                     {"Иван Петров", "Ольга Ёлкина"}},
        EncodingCase{"Windows1256",
                     "WINDOWS-1256",
                     "",
                     arabic_list,
                     "WINDOWS-1256",
                     {"فاطمة الزهراني", "محمد الحداد"}},
        EncodingCase{"Iso88591",
                     "ISO-8859-1",
                     "",
                     latin_list,
                     "ISO-8859-1",
                     {"José García", "Zoë Lefèvre"}}),
    [](const ::testing::TestParamInfo<EncodingCase>& info) { return info.param.name; });

TEST_F(ImportCliTest, AnEncodingOptionOverridesDetection) {
  const auto file = write("list.csv", encode(latin_list, "ISO-8859-1"));

  const auto summary = import_json(file, "--encoding windows-1252");

  // The name goes to iconv as given.
  EXPECT_EQ(summary.at("encoding"), "windows-1252");
  EXPECT_EQ(names_of(leads()), (std::vector<std::string>{"José García", "Zoë Lefèvre"}));
}

class ImportDelimiterTest : public ImportCliTest,
                            public ::testing::WithParamInterface<std::string> {};

TEST_P(ImportDelimiterTest, IsSniffedAndSplitsQuotedFieldsRight) {
  const std::string d = GetParam();
  const auto file = write("list.csv", "Last Name" + d + "Company" + d + "Email\n" + "Smith" + d +
                                          "\"Acme" + d + " Inc.\"" + d + "smith@acme.com\n" +
                                          "Jones" + d + "Globex" + d + "jones@globex.com\n");

  const auto summary = import_json(file);

  EXPECT_EQ(summary.at("delimiter"), d);
  EXPECT_EQ(summary.at("new_leads"), 2);
  // A TAB inside a value is white space, which cleaning collapses.
  EXPECT_EQ(lead_with_email("smith@acme.com").at("company").at("name"),
            d == "\t" ? std::string("Acme Inc.") : "Acme" + d + " Inc.");
}

INSTANTIATE_TEST_SUITE_P(EachDelimiter, ImportDelimiterTest, ::testing::Values(",", ";", "\t", "|"),
                         [](const ::testing::TestParamInfo<std::string>& info) {
                           return std::string(info.param == ","    ? "Comma"
                                              : info.param == ";"  ? "Semicolon"
                                              : info.param == "\t" ? "Tab"
                                                                   : "Pipe");
                         });

class ImportHeaderLanguageTest : public ImportCliTest,
                                 public ::testing::WithParamInterface<std::string> {};

TEST_P(ImportHeaderLanguageTest, MapsTheColumnsToTheSameFields) {
  const auto file =
      write("list.csv", GetParam() + "\nIvan,Petrov,ivan@romashka.ru,+7 495 123 45 67,"
                                     "Romashka,CTO,Notes here\n");

  const auto summary = import_json(file, "--region RU");

  std::vector<std::string> fields;
  for (const auto& column : summary.at("columns")) {
    fields.push_back(column.at("field").is_null() ? "-" : column.at("field").get<std::string>());
  }
  EXPECT_EQ(fields, (std::vector<std::string>{"first_name", "last_name", "email", "phone_business",
                                              "company", "job_title", "-"}));
  const auto lead = lead_with_email("ivan@romashka.ru");
  EXPECT_EQ(lead.at("person").at("last_name"), "Petrov");
  EXPECT_EQ(lead.at("person").at("job_title"), "CTO");
  EXPECT_EQ(lead.at("company").at("name"), "Romashka");
  EXPECT_EQ(lead.at("person").at("phones").at(0).at("e164"), "+74951234567");
  // The column nobody maps is kept, not dropped.
  EXPECT_NE(lead.value("description", "").find("Notes here"), std::string::npos);
}

INSTANTIATE_TEST_SUITE_P(
    EachLanguage, ImportHeaderLanguageTest,
    ::testing::Values("First Name,Last Name,E-mail,Work Phone,Company,Job Title,Source Remark",
                      "Имя,Фамилия,Эл. почта,Телефон,Компания,Должность,Откуда",
                      "الاسم الأول,اسم العائلة,البريد الإلكتروني,الهاتف,الشركة,المسمى الوظيفي,"
                      "المصدر"),
    [](const ::testing::TestParamInfo<std::string>& info) {
      return std::string(info.index == 0 ? "English" : info.index == 1 ? "Russian" : "Arabic");
    });

TEST_F(ImportCliTest, EveryDigitSystemGivesTheSameNumber) {
  const auto file = write("list.csv", "First Name,Last Name,Mobile\n"
                                      "Omar,Latin,050 123 4567\n"
                                      "Huda,ArabicIndic,٠٥٠ ١٢٣ ٤٥٦٧\n"
                                      "Reem,Persian,۰۵۰ ۱۲۳ ۴۵۶۷\n");

  const auto summary = import_json(file, "--region AE");

  // The same number with three different names is three people (a shared line).
  EXPECT_EQ(summary.at("new_leads"), 3);
  for (const auto& lead : leads()) {
    EXPECT_EQ(lead.at("person").at("phones").at(0).at("e164"), "+971501234567")
        << lead.at("person").at("last_name");
    EXPECT_EQ(lead.at("person").at("phones").at(0).at("valid"), true);
  }
}

// ---- duplicates across lists, the error file, the summary ---------------------------------------

TEST_F(ImportCliTest, TheSampleListsShareLeadsThatAreMergedWithBothListsCounted) {
  const auto first = import_json(data_folder / "sample-list.csv",
                                 "--vendor 'Data Vendor' --list Q4-IT --acquired 2026-10-01", 1);
  EXPECT_EQ(first.at("merged_in_file"), 2);
  const auto second = import_json(
      data_folder / "sample-list-2.csv",
      "--vendor 'Expo Leads' --list Innoprom-2026 --acquired 2026-07-08 --region RU", 1);

  EXPECT_EQ(second.at("encoding"), "WINDOWS-1251");
  EXPECT_EQ(second.at("delimiter"), ";");
  EXPECT_EQ(second.at("merged_with_stored"), 2);
  const auto anna = lead_with_email("anna.ivanova@gmail.com");
  ASSERT_EQ(anna.at("origin").at("lists").size(), 2U);
  EXPECT_EQ(anna.at("origin").at("lists").at(0).at("vendor"), "Data Vendor");
  EXPECT_EQ(anna.at("origin").at("lists").at(1).at("vendor"), "Expo Leads");
  EXPECT_EQ(anna.at("person").at("middle_name"), "Сергеевна");
  EXPECT_EQ(lead_with_email("ivan.petrov@romashka.ru").at("origin").at("lists").size(), 2U);
}

TEST_F(ImportCliTest, TheErrorFileEscapesAFormulaAndListsRowsInFileOrder) {
  const auto errors = dir_ / "rejected.csv";

  const auto summary =
      import_json(data_folder / "sample-list.csv", "--errors " + quoted(errors.string()), 1);

  const auto text = read_file(errors);
  ASSERT_TRUE(text.starts_with("\xEF\xBB\xBFline,reason,First Name,Last Name,"));
  EXPECT_NE(text.find("\"'=HYPERLINK("), std::string::npos) << text;
  EXPECT_EQ(text.find(",=HYPERLINK("), std::string::npos) << text;
  EXPECT_EQ(text.find(",\"=HYPERLINK("), std::string::npos) << text;
  std::vector<std::int64_t> lines;
  std::istringstream rows(text);
  std::string row;
  std::getline(rows, row);
  while (std::getline(rows, row)) {
    if (!row.empty() && std::isdigit(static_cast<unsigned char>(row[0])) != 0) {
      lines.push_back(std::stoll(row));
    }
  }
  EXPECT_EQ(static_cast<std::int64_t>(lines.size()), summary.at("rejected").at("total"));
  EXPECT_TRUE(std::is_sorted(lines.begin(), lines.end()));
  EXPECT_EQ(summary.at("errors_file"), errors.string());
}

TEST_F(ImportCliTest, JsonSummaryIsOneDocumentWithEveryCount) {
  const auto run =
      import(quoted((data_folder / "sample-list.csv").string()) + " --json --acquired 2026-11-01");
  ASSERT_EQ(run.exit_code, 1) << run.err;
  const auto summary = json::parse(run.out);

  for (const auto* key :
       {"rows_read", "new_leads", "merged", "merged_in_file", "merged_with_stored", "unchanged",
        "empty_rows", "rows_this_run", "run_id"}) {
    EXPECT_TRUE(summary.at(key).is_number_integer()) << key;
  }
  EXPECT_TRUE(summary.at("elapsed_s").is_number());
  EXPECT_TRUE(summary.at("rows_per_second").is_number());
  EXPECT_EQ(summary.at("file"), (data_folder / "sample-list.csv").string());
  EXPECT_EQ(summary.at("dry_run"), false);
  EXPECT_EQ(summary.at("list").at("list_id"), "sample-list.csv");
  EXPECT_EQ(summary.at("list").at("acquired_on"), "2026-11-01");
  EXPECT_TRUE(summary.at("list").at("age").is_string());
  const auto& rejected = summary.at("rejected");
  std::int64_t by_reason = 0;
  for (const auto& [reason, count] : rejected.at("by_reason").items()) {
    by_reason += count.get<std::int64_t>();
  }
  EXPECT_EQ(rejected.at("total"), by_reason);
  EXPECT_EQ(rejected.at("rows").size(), rejected.at("total").get<std::size_t>());
  EXPECT_EQ(summary.at("rows_read").get<std::int64_t>(),
            summary.at("new_leads").get<std::int64_t>() + summary.at("merged").get<std::int64_t>() +
                summary.at("unchanged").get<std::int64_t>() + by_reason +
                summary.at("empty_rows").get<std::int64_t>());
  // No progress bar when stderr is not a terminal.
  EXPECT_EQ(run.err.find("rows/s"), std::string::npos) << run.err;
}

TEST_F(ImportCliTest, HumanSummaryShowsTheMappingAndTheCounts) {
  const auto run = import(quoted((data_folder / "sample-list.csv").string()));

  EXPECT_EQ(run.exit_code, 1) << run.err;
  EXPECT_NE(run.out.find("encoding   UTF-8"), std::string::npos) << run.out;
  EXPECT_NE(run.out.find("Job Title   -> job_title"), std::string::npos) << run.out;
  EXPECT_NE(run.out.find("merged duplicates"), std::string::npos) << run.out;
  EXPECT_NE(run.out.find("no valid e-mail or phone"), std::string::npos) << run.out;
  EXPECT_NE(run.out.find("rows/s"), std::string::npos) << run.out;
}

TEST_F(ImportCliTest, ADryRunWritesNothing) {
  const auto summary = import_json(data_folder / "sample-list.csv", "--dry-run", 1);

  EXPECT_EQ(summary.at("dry_run"), true);
  EXPECT_GT(summary.at("new_leads").get<int>(), 0);
  EXPECT_TRUE(leads().empty());
}

TEST_F(ImportCliTest, JsonLinesStillImport) {
  const auto run = import(quoted((data_folder / "sample-leads.jsonl").string()) + " --json");

  EXPECT_EQ(run.exit_code, 1) << run.err;
  EXPECT_EQ(json::parse(run.out).at("created"), 8);
  EXPECT_EQ(import(quoted((data_folder / "sample-leads.jsonl").string()) + " --vendor X").exit_code,
            2);
}

// ---- exit codes ---------------------------------------------------------------------------------

TEST_F(ImportCliTest, ACleanListExitsZero) {
  const auto file = write("list.csv", latin_list);

  EXPECT_EQ(import_json(file).at("rejected").at("total"), 0);
}

TEST_F(ImportCliTest, UsageAndFileProblemsExitTwoWithAdvice) {
  const auto list = quoted(write("list.csv", latin_list).string());
  const struct {
    std::string args;
    std::string advice;
  } cases[] = {
      {list + " --map 'Email=e_mail'", "first_name"},
      {list + " --map 'Fax=phone_business'", "Fax"},
      {list + " --encoding klingon-8", "utf-8"},
      {list + " --delimiter '#'", "tab"},
      {list + " --acquired 2026-13-45", "--acquired"},
      {list + " --region XX", "--region"},
      {list + " --resume", "without --resume"},
      {list + " --exclusive --shared", "--shared"},
      {quoted((dir_ / "missing.csv").string()), "missing.csv"},
      {quoted(write("book.xlsx", "PK\x03\x04").string()), "CSV UTF-8"},
  };
  for (const auto& c : cases) {
    const auto run = import(c.args);
    EXPECT_EQ(run.exit_code, 2) << c.args << "\n" << run.out << run.err;
    EXPECT_NE(run.err.find(c.advice), std::string::npos) << c.args << "\n" << run.err;
  }
  EXPECT_TRUE(leads().empty());
}

// ---- killed with SIGKILL, then resumed
// ------------------------------------------------------------

constexpr int kill_rows = 200'000;

// Person i: own e-mail, phone and domain. Every 20th row repeats an earlier person in another
// case and with another title; every 50th row cannot become a lead.
std::string big_list() {
  std::string text = "First Name,Last Name,Email,Phone,Company,Job Title,Country\n";
  text.reserve(static_cast<std::size_t>(kill_rows) * 90);
  int person = 0;
  for (int row = 0; row < kill_rows; ++row) {
    if (row % 50 == 49) {
      text += "Broken,Row,broken@,12,,,USA\n";
      continue;
    }
    const bool repeat = row % 20 == 19;
    const int id = repeat ? person - 7 : person++;
    const auto n = std::to_string(id);
    char phone[32];
    std::snprintf(phone, sizeof phone, "(212) %03d-%04d", 200 + id / 10000, id % 10000);
    text += "Given" + n + ",Family" + n + "," + (repeat ? "USER" : "user") + n + "@company" + n +
            ".com," + phone + ",Company " + n + "," + (repeat ? "Director" : "Engineer") + ",USA\n";
  }
  return text;
}

std::int64_t checkpoint_rows(const fs::path& database) {
  sqlite3* db = nullptr;
  std::int64_t rows = -1;
  if (sqlite3_open_v2(database.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK) {
    sqlite3_busy_timeout(db, 1000);
    sqlite3_stmt* statement = nullptr;
    if (sqlite3_prepare_v2(db, "SELECT value FROM checkpoints WHERE name LIKE 'import:%'", -1,
                           &statement, nullptr) == SQLITE_OK &&
        sqlite3_step(statement) == SQLITE_ROW) {
      const auto value = json::parse(
          reinterpret_cast<const char*>(sqlite3_column_text(statement, 0)), nullptr, false);
      if (value.is_object()) {
        rows = value.at("counts").at("rows_read").get<std::int64_t>();
      }
    }
    sqlite3_finalize(statement);
  }
  sqlite3_close(db);
  return rows;
}

using leadsync::test::query_integer;

TEST_F(ImportCliTest, AnImportKilledWithSigkillResumesWithoutDuplicates) {
  const auto list = write("big.csv", big_list());
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    const auto config_path = config();
    const auto list_path = list.string();
    const int devnull = ::open("/dev/null", O_WRONLY);
    ::dup2(devnull, STDOUT_FILENO);
    ::dup2(devnull, STDERR_FILENO);
    ::execl(LEADSYNC_EXE, LEADSYNC_EXE, "-c", config_path.c_str(), "import", list_path.c_str(),
            "--no-progress", static_cast<char*>(nullptr));
    ::_exit(127);
  }
  // Kill it once a few batches are committed, well before the end.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds{120};
  std::int64_t committed = -1;
  while (std::chrono::steady_clock::now() < deadline) {
    committed = checkpoint_rows(database());
    if (committed >= 5'000) {
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds{20});
  }
  ::kill(child, SIGKILL);
  int status = 0;
  ::waitpid(child, &status, 0);
  ASSERT_TRUE(WIFSIGNALED(status)) << "the import ended before it could be killed";
  ASSERT_GE(committed, 5'000);
  const auto at_kill = checkpoint_rows(database());
  ASSERT_LT(at_kill, kill_rows);

  const auto refused = import(quoted(list.string()));
  EXPECT_EQ(refused.exit_code, 2);
  EXPECT_NE(refused.err.find("--resume"), std::string::npos) << refused.err;

  const auto summary = import_json(list, "--resume", 1);

  EXPECT_EQ(summary.at("resumed_at_line").get<std::int64_t>(), at_kill + 2);
  EXPECT_EQ(summary.at("rows_read"), kill_rows);
  EXPECT_EQ(summary.at("rows_this_run").get<std::int64_t>(), kill_rows - at_kill);
  EXPECT_EQ(summary.at("rejected").at("total"), kill_rows / 50);
  const int people = kill_rows - kill_rows / 50 - kill_rows / 20 + kill_rows / 100;
  EXPECT_EQ(summary.at("new_leads"), people);
  EXPECT_EQ(summary.at("merged").get<int>() + summary.at("unchanged").get<int>(),
            kill_rows / 20 - kill_rows / 100);
  EXPECT_EQ(query_integer(database(), "SELECT count(*) FROM leads"), people);
  EXPECT_EQ(query_integer(database(), "SELECT count(DISTINCT email) FROM lead_emails"), people);
  EXPECT_EQ(query_integer(database(), "SELECT count(*) FROM (SELECT email FROM lead_emails "
                                      "GROUP BY email HAVING count(*) > 1)"),
            0);
  EXPECT_EQ(query_integer(database(), "SELECT count(*) FROM leads WHERE id NOT IN "
                                      "(SELECT lead_id FROM outbox)"),
            0);
}

// ---- stopped with SIGINT or SIGTERM; a second import while one runs
// ------------------------------

// `leadsync -c CONFIG import LIST ARGS... --no-progress` started in the background, its output in
// out.txt and err.txt of the test's folder.
pid_t start_import(const std::string& config, const fs::path& list, const fs::path& folder,
                   std::vector<std::string> args = {}) {
  const auto out = (folder / "out.txt").string();
  const auto err = (folder / "err.txt").string();
  std::vector<std::string> words = {LEADSYNC_EXE, "-c", config, "import", list.string()};
  words.emplace_back("--no-progress");
  words.insert(words.end(), args.begin(), args.end());
  const pid_t child = ::fork();
  if (child == 0) {
    const int out_fd = ::open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    const int err_fd = ::open(err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    ::dup2(out_fd, STDOUT_FILENO);
    ::dup2(err_fd, STDERR_FILENO);
    std::vector<char*> argv;
    for (auto& word : words) {
      argv.push_back(word.data());
    }
    argv.push_back(nullptr);
    ::execv(LEADSYNC_EXE, argv.data());
    ::_exit(127);
  }
  return child;
}

// Waits (up to two minutes) until the import has committed its first batch.
std::int64_t wait_for_a_commit(const fs::path& database) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds{120};
  std::int64_t committed = -1;
  while (std::chrono::steady_clock::now() < deadline) {
    committed = checkpoint_rows(database);
    if (committed > 0) {
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds{20});
  }
  return committed;
}

TEST_F(ImportCliTest, AnImportRunningRefusesASecondOneAndSigintStopsItForAResumeToFinish) {
  const auto list = write("big.csv", big_list());
  const auto errors = dir_ / "rejected.csv";
  const pid_t child = start_import(config(), list, dir_, {"--errors", errors.string()});
  ASSERT_GT(child, 0);
  ASSERT_GT(wait_for_a_commit(database()), 0);

  // While it runs, neither another import of the file nor a resume may start.
  const auto pid = std::to_string(child);
  for (const auto* extra : {"", " --resume", " --restart"}) {
    const auto refused = import(quoted(list.string()) + extra);
    EXPECT_EQ(refused.exit_code, 2) << extra << "\n" << refused.err;
    EXPECT_NE(refused.err.find("is already running: process " + pid + " on "), std::string::npos)
        << refused.err;
    EXPECT_NE(refused.err.find("kill " + pid), std::string::npos) << refused.err;
    EXPECT_NE(refused.err.find("--resume"), std::string::npos) << refused.err;
  }

  ::kill(child, SIGINT);
  int status = 0;
  ::waitpid(child, &status, 0);

  ASSERT_TRUE(WIFEXITED(status)) << "the import did not stop cleanly on SIGINT";
  const auto out = read_file(dir_ / "out.txt");
  const auto err = read_file(dir_ / "err.txt");
  ASSERT_EQ(WEXITSTATUS(status), 130) << out << err;
  const auto command = "leadsync -c " + config() + " import " + list.string() + " --resume";
  EXPECT_NE(out.find("Stopped importing " + list.string() + " before line "), std::string::npos)
      << out;
  EXPECT_NE(out.find("rows read"), std::string::npos) << out;
  EXPECT_NE(out.find("Stopped by SIGINT"), std::string::npos) << out;
  EXPECT_NE(out.find("\n  " + command + "\n"), std::string::npos) << out;
  EXPECT_NE(err.find("SIGINT received"), std::string::npos) << err;
  const auto stopped_at = checkpoint_rows(database());
  ASSERT_GT(stopped_at, 0);
  ASSERT_LT(stopped_at, kill_rows);
  EXPECT_EQ(query_integer(database(),
                          "SELECT count(*) FROM runs WHERE kind = 'import' AND status = "
                          "'interrupted'"),
            1);

  const auto summary = import_json(list, "--resume", 1);

  EXPECT_EQ(summary.at("resumed_at_line").get<std::int64_t>(), stopped_at + 2);
  EXPECT_EQ(summary.at("rows_read"), kill_rows);
  EXPECT_EQ(summary.at("stopped_at_line"), nullptr);
  const auto rejected = summary.at("rejected").at("total").get<std::int64_t>();
  EXPECT_EQ(rejected, kill_rows / 50);
  EXPECT_EQ(summary.at("rows_read").get<std::int64_t>(),
            summary.at("new_leads").get<std::int64_t>() + summary.at("merged").get<std::int64_t>() +
                summary.at("unchanged").get<std::int64_t>() + rejected +
                summary.at("empty_rows").get<std::int64_t>());
  const int people = kill_rows - kill_rows / 50 - kill_rows / 20 + kill_rows / 100;
  EXPECT_EQ(summary.at("new_leads"), people);
  EXPECT_EQ(query_integer(database(), "SELECT count(*) FROM leads"), people);
  EXPECT_EQ(query_integer(database(), "SELECT count(*) FROM (SELECT email FROM lead_emails "
                                      "GROUP BY email HAVING count(*) > 1)"),
            0);
  // The error file holds every rejected row once, across both runs.
  const auto text = read_file(errors);
  EXPECT_EQ(static_cast<std::int64_t>(std::count(text.begin(), text.end(), '\n')) - 1, rejected);
}

TEST_F(ImportCliTest, SigtermStopsAnImportWithItsSummarySoFarAndTheCommandToFinish) {
  const auto list = write("big.csv", big_list());
  const pid_t child = start_import(config(), list, dir_, {"--json"});
  ASSERT_GT(child, 0);
  ASSERT_GT(wait_for_a_commit(database()), 0);

  ::kill(child, SIGTERM);
  int status = 0;
  ::waitpid(child, &status, 0);

  ASSERT_TRUE(WIFEXITED(status)) << "the import did not stop cleanly on SIGTERM";
  const auto out = read_file(dir_ / "out.txt");
  const auto err = read_file(dir_ / "err.txt");
  ASSERT_EQ(WEXITSTATUS(status), 143) << out << err;
  const auto summary = json::parse(out, nullptr, false);
  ASSERT_TRUE(summary.is_object()) << out;
  const auto command = "leadsync -c " + config() + " import " + list.string() + " --resume";
  EXPECT_EQ(summary.at("stopped_by"), "SIGTERM");
  EXPECT_EQ(summary.at("resume_command"), command);
  EXPECT_NE(err.find("finish it with: " + command), std::string::npos) << err;
  const auto rows = summary.at("rows_read").get<std::int64_t>();
  EXPECT_EQ(rows, checkpoint_rows(database()));
  EXPECT_EQ(summary.at("stopped_at_line").get<std::int64_t>(), rows + 2);
  EXPECT_EQ(rows, summary.at("new_leads").get<std::int64_t>() +
                      summary.at("merged").get<std::int64_t>() +
                      summary.at("unchanged").get<std::int64_t>() +
                      summary.at("rejected").at("total").get<std::int64_t>() +
                      summary.at("empty_rows").get<std::int64_t>());
  EXPECT_EQ(query_integer(database(), "SELECT count(*) FROM leads"),
            summary.at("new_leads").get<std::int64_t>());
}

} // namespace

namespace {

// The review queue as a sales-ops user works it: import, list the possible duplicates, declare one
// pair two people, merge another by hand, and see it all in `leads show` and `status`.
TEST_F(ImportCliTest, TheReviewQueueListsMergesAndClosesPossibleDuplicates) {
  const auto list = write("scans.csv", "First Name,Last Name,Email,Phone,Website,Country\n"
                                       "Sergey,Ivanov,s.ivanov@acme.ru,,acme.ru,Russia\n"
                                       "Sergei,Ivanov,sergei.i@gmail.com,,acme.ru,Russia\n"
                                       "John,Smith,john.smith@globex.com,,globex.com,USA\n"
                                       "Jon,Smith,,+1 212 456 0000,globex.com,USA\n");
  const auto summary = import_json(list);
  EXPECT_EQ(summary.at("new_leads"), 4);
  EXPECT_EQ(summary.at("possible_duplicates"), 2);

  const auto listed = leadsync("-c " + quoted(config()) + " leads duplicates --json");
  ASSERT_EQ(listed.exit_code, 0) << listed.err;
  const auto pairs = json::parse(listed.out).at("pairs");
  ASSERT_EQ(pairs.size(), 2U);
  for (const auto& pair : pairs) {
    EXPECT_EQ(pair.at("rule"), "similar_name_at_domain");
    EXPECT_EQ(pair.at("status"), "open");
    EXPECT_GT(pair.at("score").get<double>(), 0.9);
    EXPECT_TRUE(pair.at("source").get<std::string>().starts_with("scans.csv line "));
  }
  const auto text = leadsync("-c " + quoted(config()) + " leads duplicates");
  EXPECT_NE(text.out.find("leadsync leads merge A B"), std::string::npos) << text.out;

  const auto& smiths = pairs[1];
  const auto declared = leadsync("-c " + quoted(config()) + " leads not-duplicate " +
                                 smiths.at("lead_a").get<std::string>() + " " +
                                 smiths.at("lead_b").get<std::string>());
  ASSERT_EQ(declared.exit_code, 0) << declared.err;
  EXPECT_NE(declared.out.find("two people"), std::string::npos) << declared.out;

  const auto& ivanovs = pairs[0];
  const auto target = ivanovs.at("lead_a").get<std::string>();
  const auto other = ivanovs.at("lead_b").get<std::string>();
  // The short ids `leads list` prints are accepted too.
  const auto merged = leadsync("-c " + quoted(config()) + " leads merge " + target.substr(24) +
                               " " + other.substr(24));
  ASSERT_EQ(merged.exit_code, 0) << merged.err;
  const auto again = leadsync("-c " + quoted(config()) + " leads merge " + target + " " + other);
  EXPECT_EQ(again.exit_code, 2) << again.out;
  EXPECT_NE(again.err.find("merged into " + target), std::string::npos) << again.err;

  EXPECT_EQ(json::parse(leadsync("-c " + quoted(config()) + " leads duplicates --json").out)
                .at("pairs")
                .size(),
            0U);
  const auto everything = json::parse(
      leadsync("-c " + quoted(config()) + " leads duplicates --all --json").out)["pairs"];
  ASSERT_EQ(everything.size(), 2U);
  EXPECT_EQ(leads().size(), 3U) << "the merged lead is a tombstone";
  const auto shown = leadsync("-c " + quoted(config()) + " leads show " + target);
  EXPECT_NE(shown.out.find("sergei.i@gmail.com"), std::string::npos) << shown.out;
  EXPECT_NE(shown.out.find("by rule manual"), std::string::npos) << shown.out;
  const auto tombstone =
      json::parse(leadsync("-c " + quoted(config()) + " leads show " + other + " --json").out);
  EXPECT_EQ(tombstone.at("merged_into"), target);
  EXPECT_EQ(tombstone.at("deleted"), true);
}

// ---- events import ------------------------------------------------------------------------------

TEST_F(ImportCliTest, EventsImportAddsEventsToImportedLeadsAndSkipsThemTheSecondTime) {
  const auto list = write("list.csv", "First Name,Last Name,Email\r\n"
                                      "Anna,Ivanova,anna@example.com\r\n"
                                      "Omar,Haddad,omar@example.ae\r\n");
  ASSERT_EQ(import_json(list).at("new_leads"), 2);
  const auto omar = lead_with_email("omar@example.ae").at("identity").at("id").get<std::string>();
  const auto events = write(
      "events.jsonl",
      R"({"email":"anna@example.com","kind":"pricing_page_visit","occurred_at":"2026-11-22T20:00:00Z","detail":"https://example.com/pricing","event_id":"e-1"})"
      "\n"
      R"({"lead_id":")" +
          omar +
          R"(","kind":"demo_requested","occurred_at":"2026-11-23T09:30:00+03:00","detail":"form","weight":2,"event_id":"e-2"})"
          "\n"
          R"({"email":"ghost@example.com","kind":"call","occurred_at":"2026-11-22T20:00:00Z","event_id":"e-3"})"
          "\n"
          R"({"email":"anna@example.com","kind":"pageview","occurred_at":"2026-11-22T20:00:00Z","event_id":"e-4"})"
          "\n"
          R"({"email":"anna@example.com","kind":"pricing_page_visit","occurred_at":"2026-11-22T20:00:00Z","event_id":"e-1"})"
          "\n");
  const auto events_command =
      "-c " + quoted(config()) + " events import " + quoted(events.string());

  const auto first = leadsync(events_command + " --json");

  EXPECT_EQ(first.exit_code, 1) << "an unknown lead and a bad kind: " << first.err << first.out;
  const auto summary = json::parse(first.out, nullptr, false);
  ASSERT_TRUE(summary.is_object()) << first.out;
  EXPECT_EQ(summary.at("format"), "jsonl");
  EXPECT_EQ(summary.at("read"), 5);
  EXPECT_EQ(summary.at("added"), 2);
  EXPECT_EQ(summary.at("duplicates"), 1);
  EXPECT_EQ(summary.at("unknown_leads"), 1);
  EXPECT_EQ(summary.at("rejected"), 1);
  EXPECT_EQ(summary.at("by_kind"), (json{{"demo_requested", 1}, {"pricing_page_visit", 1}}));
  ASSERT_EQ(summary.at("problems").size(), 2U);
  EXPECT_EQ(summary.at("problems")[0].at("line"), 3);
  EXPECT_NE(summary.at("problems")[0].at("message").get<std::string>().find("ghost@example.com"),
            std::string::npos);
  EXPECT_EQ(summary.at("problems")[1].at("line"), 4);
  EXPECT_NE(summary.at("problems")[1].at("message").get<std::string>().find("page_visit"),
            std::string::npos);
  EXPECT_EQ(query_integer(database(), "SELECT count(*) FROM behaviour_events"), 2);
  EXPECT_EQ(query_integer(database(), "SELECT count(*) FROM leads"), 2) << "no lead was created";

  const auto second = leadsync(events_command);
  EXPECT_EQ(second.exit_code, 1) << second.err;
  EXPECT_NE(second.out.find("added          0"), std::string::npos) << second.out;
  EXPECT_NE(second.out.find("duplicates     3"), std::string::npos) << second.out;
  EXPECT_NE(second.out.find("line 3: no lead has the e-mail ghost@example.com"), std::string::npos)
      << second.out;
  EXPECT_EQ(query_integer(database(), "SELECT count(*) FROM behaviour_events"), 2);

  // A CSV export of the same events, without the bad rows: nothing new, and a clean exit.
  const auto csv = write("events.csv", "email,kind,occurred_at,detail,event_id\r\n"
                                       "anna@example.com,pricing_page_visit,2026-11-22T20:00:00Z,"
                                       "https://example.com/pricing,e-1\r\n"
                                       "omar@example.ae,content_download,2026-11-24T08:00:00Z,"
                                       "\"Guide, 2026\",e-5\r\n");
  const auto third =
      leadsync("-c " + quoted(config()) + " events import " + quoted(csv.string()) + " --json");
  EXPECT_EQ(third.exit_code, 0) << third.err << third.out;
  const auto csv_summary = json::parse(third.out, nullptr, false);
  ASSERT_TRUE(csv_summary.is_object()) << third.out;
  EXPECT_EQ(csv_summary.at("format"), "csv");
  EXPECT_EQ(csv_summary.at("added"), 1);
  EXPECT_EQ(csv_summary.at("duplicates"), 1);
  EXPECT_EQ(csv_summary.at("problems").size(), 0U);
  EXPECT_EQ(query_integer(database(), "SELECT count(*) FROM behaviour_events WHERE event_id = "
                                      "'e-5' AND lead_id IN (SELECT lead_id FROM lead_emails "
                                      "WHERE email = 'omar@example.ae')"),
            1);
}

TEST_F(ImportCliTest, EventsImportOfAMissingFileOrAnUnknownColumnIsAUsageError) {
  const auto missing = leadsync("-c " + quoted(config()) + " events import " +
                                quoted((dir_ / "absent.jsonl").string()));
  EXPECT_EQ(missing.exit_code, 2) << missing.out;
  EXPECT_NE(missing.err.find("absent.jsonl"), std::string::npos) << missing.err;

  const auto typo = write("events.csv", "email,kind,when\r\nanna@example.com,call,today\r\n");
  const auto refused =
      leadsync("-c " + quoted(config()) + " events import " + quoted(typo.string()));
  EXPECT_EQ(refused.exit_code, 2) << refused.out;
  EXPECT_NE(refused.err.find("unknown column 'when'"), std::string::npos) << refused.err;

  const auto no_file = leadsync("-c " + quoted(config()) + " events import");
  EXPECT_EQ(no_file.exit_code, 2);
}

} // namespace
