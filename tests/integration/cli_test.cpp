// Drives the `leadsync` executable as a user would: exit codes, stdout and stderr as design section
// 4 fixes.

#include "leadsync_test_paths.hpp"
#include "support/cli_process.hpp"
#include "support/emulator_process.hpp"
#include "support/loopback_ports.hpp"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <sys/wait.h>
#include <unistd.h>

namespace {

namespace fs = std::filesystem;
using leadsync::testing::CliRun;
using leadsync::testing::read_file;

class CliTest : public ::testing::Test {
protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("leadsync-cli-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  // Runs leadsync with the arguments (already shell-quoted where needed).
  CliRun leadsync(const std::string& args) {
    return leadsync::testing::run_leadsync(LEADSYNC_EXE, args, dir_);
  }

  std::string config() const { return (dir_ / "leadsync.toml").string(); }
  CliRun init() { return leadsync("init " + dir_.string()); }
  void write(const std::string& name, const std::string& text) {
    std::ofstream(dir_ / name, std::ios::binary) << text;
  }

  fs::path dir_;
};

const std::string sample_leads_path =
    std::string(LEADSYNC_SOURCE_DIR) + "/tests/data/sample-leads.jsonl";

TEST_F(CliTest, InitWritesAConfigThatChecksClean) {
  const auto init_run = init();
  ASSERT_EQ(init_run.exit_code, 0) << init_run.err;
  EXPECT_TRUE(fs::exists(config()));
  EXPECT_NE(init_run.out.find("leadsync.toml"), std::string::npos);

  // init points the config at the local emulator's default address. Something may listen there on
  // this machine, so check runs against a port held closed instead: the configuration and the store
  // are fine, no CRM answers, and check ends with exit status 3 and says what to look at.
  std::string text = read_file(config());
  const std::string default_url = "url = \"http://127.0.0.1:8765\"";
  const auto at = text.find(default_url);
  ASSERT_NE(at, std::string::npos) << text;
  const leadsync::test::ClosedPort closed;
  ASSERT_NE(closed.port(), 0);
  text.replace(at, default_url.size(), "url = \"" + closed.url() + "\"");
  write("leadsync.toml", text);

  const auto check = leadsync("-c " + config() + " check");
  EXPECT_EQ(check.exit_code, 3) << check.err;
  EXPECT_NE(check.out.find("config"), std::string::npos) << check.out;
  EXPECT_NE(check.err.find("cannot reach " + closed.url()), std::string::npos) << check.err;
}

TEST_F(CliTest, InitRefusesToOverwriteWithoutForce) {
  ASSERT_EQ(init().exit_code, 0);
  const auto again = init();
  EXPECT_EQ(again.exit_code, 2);
  EXPECT_NE(again.err.find("--force"), std::string::npos) << again.err;
  EXPECT_EQ(leadsync("init --force " + dir_.string()).exit_code, 0);
}

TEST_F(CliTest, CheckNamesEveryMistakeWithItsLine) {
  write("leadsync.toml", "[crm]\n"
                         "url = \"http://127.0.0.1:8765\"\n"
                         "api_versoin = \"9.2\"\n" // line 3: unknown key (typo)
                         "[push]\n"
                         "mode = \"bulkk\"\n"      // line 5: bad value
                         "batch_size = \"many\"\n" // line 6: wrong type
                         "[store]\n"
                         "url = \"sqlite://state.db\"\n"
                         "[crm.auth]\n"
                         "mode = \"none\"\n");
  const auto check = leadsync("-c " + config() + " check");
  EXPECT_EQ(check.exit_code, 2);
  EXPECT_NE(check.err.find(":3: crm.api_versoin"), std::string::npos) << check.err;
  EXPECT_NE(check.err.find(":5: push.mode"), std::string::npos) << check.err;
  EXPECT_NE(check.err.find(":6: push.batch_size"), std::string::npos) << check.err;
  EXPECT_NE(check.err.find("3 problems"), std::string::npos) << check.err;
}

TEST_F(CliTest, LiteralSecretIsRefusedWithoutEchoingIt) {
  write("leadsync.toml", "[crm.auth]\n"
                         "mode = \"client_credentials\"\n"
                         "tenant = \"contoso.onmicrosoft.com\"\n"
                         "client_id = \"11111111-2222-3333-4444-555555555555\"\n"
                         "client_secret = \"s3cr3t-Value-never-shown\"\n");
  const auto check = leadsync("-c " + config() + " check");
  EXPECT_EQ(check.exit_code, 2);
  EXPECT_NE(check.err.find("client_secret_file"), std::string::npos) << check.err;
  EXPECT_EQ(check.err.find("s3cr3t-Value-never-shown"), std::string::npos) << check.err;
  EXPECT_EQ(check.out.find("s3cr3t-Value-never-shown"), std::string::npos);
}

TEST_F(CliTest, MissingConfigSaysHowToCreateOne) {
  const auto run = leadsync("-c " + (dir_ / "nope.toml").string() + " status");
  EXPECT_EQ(run.exit_code, 2);
  EXPECT_NE(run.err.find("leadsync init"), std::string::npos) << run.err;
}

TEST_F(CliTest, ImportListShowAndStatusWorkTogether) {
  ASSERT_EQ(init().exit_code, 0);
  const auto imported = leadsync("-c " + config() + " import " + sample_leads_path);
  // The sample has one line that cannot become a lead: exit 1 and the line named.
  EXPECT_EQ(imported.exit_code, 1) << imported.err;
  EXPECT_NE(imported.out.find("line 9:"), std::string::npos) << imported.out;

  const auto listed = leadsync("-c " + config() + " leads list --json");
  ASSERT_EQ(listed.exit_code, 0) << listed.err;
  const auto leads = nlohmann::json::parse(listed.out).at("leads");
  ASSERT_EQ(leads.size(), 8U); // 10 lines: one rejected, one a repeat of line 1
  const auto table = leadsync("-c " + config() + " leads list");
  EXPECT_NE(table.out.find("Соколов"), std::string::npos) << table.out;
  EXPECT_NE(table.out.find("الحداد"), std::string::npos) << table.out;

  const std::string id = leads.at(0).at("identity").at("id");
  const auto shown = leadsync("-c " + config() + " leads show " + id + " --json");
  ASSERT_EQ(shown.exit_code, 0) << shown.err;
  EXPECT_EQ(nlohmann::json::parse(shown.out).at("identity").at("id"), id);
  // The short id that `leads list` prints (the id's end) is enough.
  const std::string short_id = id.substr(id.size() - 12);
  EXPECT_NE(table.out.find(short_id), std::string::npos) << table.out;
  const auto by_end = leadsync("-c " + config() + " leads show " + short_id);
  ASSERT_EQ(by_end.exit_code, 0) << by_end.err;
  EXPECT_NE(by_end.out.find(id), std::string::npos) << by_end.out;
  // Leads imported together share the start of their ids: a short start is ambiguous.
  const auto by_start = leadsync("-c " + config() + " leads show " + id.substr(0, 4));
  EXPECT_EQ(by_start.exit_code, 2) << by_start.out;
  EXPECT_NE(by_start.err.find("give more of the id"), std::string::npos) << by_start.err;

  const auto status = leadsync("-c " + config() + " status --json");
  ASSERT_EQ(status.exit_code, 0) << status.err;
  const auto document = nlohmann::json::parse(status.out);
  EXPECT_EQ(document.at("leads").at("total"), 8);
  EXPECT_EQ(document.at("outbox").at("pending"), 8);
  ASSERT_FALSE(document.at("runs").empty());
  EXPECT_EQ(document.at("runs").at(0).at("kind"), "import");
  EXPECT_EQ(document.at("runs").at(0).at("counts").at("rejected"), 1);

  const auto again = leadsync("-c " + config() + " import " + sample_leads_path + " --json");
  // Nine good lines (one repeats line 1), all already stored as they are.
  EXPECT_EQ(nlohmann::json::parse(again.out).at("unchanged"), 9);
  EXPECT_EQ(nlohmann::json::parse(again.out).at("created"), 0);
}

TEST_F(CliTest, ShowOfAnUnknownIdIsAUsageError) {
  ASSERT_EQ(init().exit_code, 0);
  const auto run = leadsync("-c " + config() + " leads show 00000000-0000-4000-8000-000000000000");
  EXPECT_EQ(run.exit_code, 2);
  EXPECT_NE(run.err.find("no lead with id"), std::string::npos) << run.err;
}

TEST_F(CliTest, ExcelWorkbookGetsSaveAsAdvice) {
  ASSERT_EQ(init().exit_code, 0);
  write("list.xlsx", "PK");
  const auto run = leadsync("-c " + config() + " import " + (dir_ / "list.xlsx").string());
  EXPECT_EQ(run.exit_code, 2);
  EXPECT_NE(run.err.find("CSV UTF-8"), std::string::npos) << run.err;
}

TEST_F(CliTest, UsageErrorsExitTwoAndHelpExitsZero) {
  EXPECT_EQ(leadsync("no-such-command").exit_code, 2);
  EXPECT_EQ(leadsync("").exit_code, 2);
  for (const std::string command :
       {"", "init", "check", "import", "leads", "leads list", "leads show", "status"}) {
    const auto help = leadsync(command + " --help");
    EXPECT_EQ(help.exit_code, 0) << command;
    EXPECT_NE(help.out.find("Usage"), std::string::npos) << command << ": " << help.out;
  }
}

TEST_F(CliTest, JsonOutputIsOneDocumentOnStdout) {
  ASSERT_EQ(init().exit_code, 0);
  const auto status = leadsync("-c " + config() + " --log-level debug status --json");
  ASSERT_EQ(status.exit_code, 0) << status.err;
  EXPECT_TRUE(nlohmann::json::accept(status.out)) << status.out;
}

// `leadsync check` compares the mapping with the CRM's lead table; the emulator executable is the
// CRM, with one extra String column the mapping can be pointed at.
class CheckMappingTest : public CliTest {
protected:
  static constexpr const char* test_token = "cli-check-mapping-token";

  void SetUp() override {
    CliTest::SetUp();
    ASSERT_EQ(init().exit_code, 0); // writes mappings/lead.toml, the copy the config points at
    const std::string emulator = DATAVERSE_EMULATOR;
    crm_ = std::make_unique<leadsync::testing::EmulatorProcess>(
        emulator,
        std::vector<std::string>{"--profile", "fast", "--static-token", test_token,
                                 "--extra-column", "lead:leadsync_revenuetext:String:100"});
    ASSERT_NE(crm_->port(), 0) << "the emulator did not start";
    write("leadsync.toml", "[crm]\nurl = \"" + crm_->url() +
                               "\"\n[crm.auth]\nmode = \"static_token\"\ntoken_env = "
                               "\"LEADSYNC_CLI_TOKEN\"\n[store]\nurl = \"sqlite://state.db\"\n");
  }

  CliRun check() {
    return leadsync::testing::run_leadsync(LEADSYNC_EXE, "-c " + config() + " check", dir_,
                                           std::string("LEADSYNC_CLI_TOKEN=") + test_token);
  }

  fs::path mapping() const { return dir_ / "mappings" / "lead.toml"; }

  // Replaces `from`, which occurs once, in the mapping copy.
  void edit_mapping(const std::string& from, const std::string& to) {
    std::string text = read_file(mapping());
    const auto at = text.find(from);
    ASSERT_NE(at, std::string::npos) << from;
    ASSERT_EQ(text.find(from, at + 1), std::string::npos) << from << " occurs twice";
    text.replace(at, from.size(), to);
    std::ofstream(mapping(), std::ios::binary) << text;
  }

  // "<mapping>:<line>" of the line holding `text`, as problems name it.
  std::string where(const std::string& text) const {
    std::istringstream lines(read_file(mapping()));
    std::string line;
    for (int number = 1; std::getline(lines, line); ++number) {
      if (line.find(text) != std::string::npos) {
        return mapping().string() + ":" + std::to_string(number);
      }
    }
    ADD_FAILURE() << text << " is not in the mapping";
    return {};
  }

  std::unique_ptr<leadsync::testing::EmulatorProcess> crm_;
};

TEST_F(CheckMappingTest, TheShippedMappingMatchesTheCrm) {
  const auto run = check();

  EXPECT_EQ(run.exit_code, 0) << run.out << run.err;
  EXPECT_NE(run.out.find("mapping  " + mapping().string() + ": OK ("), std::string::npos)
      << run.out;
  EXPECT_NE(run.out.find("key      leadsync_externalid on lead: Active"), std::string::npos)
      << run.out;
}

TEST_F(CheckMappingTest, UnknownColumnShorterColumnAndWrongTypeAreEachToldWithTheirLine) {
  edit_mapping("column = \"middlename\"", "column = \"leadsync_nosuchcolumn\"");
  edit_mapping("column = \"jobtitle\"\ntype = \"string\"\nmax_length = 100",
               "column = \"jobtitle\"\ntype = \"string\"\nmax_length = 150");
  edit_mapping("column = \"revenue\"", "column = \"leadsync_revenuetext\"");

  const auto run = check();

  EXPECT_EQ(run.exit_code, 2) << run.out << run.err;
  EXPECT_NE(
      run.out.find("mapping  " + mapping().string() + ": 3 differences from the CRM's lead table"),
      std::string::npos)
      << run.out;
  EXPECT_NE(run.err.find(where("[fields.\"person.middle_name\"]") +
                         ": leadsync_nosuchcolumn: lead column 'leadsync_nosuchcolumn' does not "
                         "exist in the CRM: create it (String, max 50 characters)"),
            std::string::npos)
      << run.err;
  EXPECT_NE(run.err.find(where("[fields.\"person.job_title\"]") +
                         ": jobtitle: lead column 'jobtitle' holds 100 characters in the CRM but "
                         "the mapping allows 150: set max_length = 100"),
            std::string::npos)
      << run.err;
  EXPECT_NE(run.err.find(where("[fields.\"company.annual_revenue\"]") +
                         ": leadsync_revenuetext: lead column 'leadsync_revenuetext' has the wrong "
                         "type: the mapping says money (Money), the CRM has String"),
            std::string::npos)
      << run.err;
}

TEST_F(CheckMappingTest, AMappingThatDoesNotLoadIsToldAndTheCrmIsStillChecked) {
  edit_mapping("column = \"jobtitle\"\ntype = \"string\"",
               "column = \"jobtitle\"\ntype = \"strng\"");

  const auto run = check();

  EXPECT_EQ(run.exit_code, 2) << run.out << run.err;
  EXPECT_NE(run.err.find(mapping().string() + " cannot be used (1 problem)"), std::string::npos)
      << run.err;
  EXPECT_NE(run.err.find("strng"), std::string::npos) << run.err;
  EXPECT_NE(run.out.find("key      leadsync_externalid on lead: Active"), std::string::npos)
      << run.out;
  EXPECT_EQ(run.out.find("mapping  " + mapping().string() + ": OK"), std::string::npos) << run.out;
}

TEST_F(CheckMappingTest, AMissingMappingFileSaysWhichSettingNamesIt) {
  fs::remove(mapping());

  const auto run = check();

  EXPECT_EQ(run.exit_code, 2) << run.out << run.err;
  EXPECT_NE(run.err.find("cannot read the lead mapping " + mapping().string()), std::string::npos)
      << run.err;
  EXPECT_NE(run.err.find("mapping.lead"), std::string::npos) << run.err;
}

} // namespace
