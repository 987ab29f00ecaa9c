// `leadsync migrate-store` driven through the real executable as an admin would: a CSV imported
// into the SQLite store of a fresh install is moved into an empty database of the throwaway
// PostgreSQL server (tests/support/postgres_server.hpp), and `leadsync status` on PostgreSQL then
// counts the same leads. Refusals exit 2 with a message saying what to do; no password is printed.

#include "support/cli_process.hpp"
#include "support/postgres_server.hpp"

#include <filesystem>
#include <fstream>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <string>
#include <unistd.h>

namespace {

namespace fs = std::filesystem;
using leadsync::testing::CliRun;
using leadsync::testing::PostgresServer;
using leadsync::testing::read_file;
using nlohmann::json;
const auto quoted = leadsync::testing::shell_quoted;

const std::string purchased_list = "First Name,Last Name,Email,Phone,Company\r\n"
                                   "José,García,jose@acme-iberia.es,+34 912 345 678,Acme Iberia\r\n"
                                   "Zoë,Lefèvre,zoe@lumiere.fr,+33 1 42 68 53 00,Lumière\r\n"
                                   "Иван,Петров,ivan@romashka.ru,+7 495 123-45-67,Ромашка\r\n";

class MigrateStoreCliTest : public ::testing::Test {
protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("leadsync-migrate-cli-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    server_ = PostgresServer::shared();
    if (server_ == nullptr) {
      GTEST_SKIP() << PostgresServer::why_not();
    }
    target_url_ = server_->fresh_database_url();
    ASSERT_EQ(leadsync("init " + quoted(dir_.string())).exit_code, 0);
    std::ofstream(dir_ / "list.csv", std::ios::binary) << purchased_list;
    const auto imported = leadsync("-c " + quoted(config()) + " import " +
                                   quoted((dir_ / "list.csv").string()) + " --json");
    ASSERT_EQ(imported.exit_code, 0) << imported.err << imported.out;
    ASSERT_EQ(json::parse(imported.out).at("new_leads"), 3) << imported.out;
  }

  void TearDown() override { fs::remove_all(dir_); }

  CliRun leadsync(const std::string& args) {
    return leadsync::testing::run_leadsync(LEADSYNC_EXE, args, dir_);
  }

  CliRun migrate(const std::string& to, const std::string& extra = "") {
    return leadsync("-c " + quoted(config()) + " migrate-store --from sqlite://state.db --to " +
                    quoted(to) + extra);
  }

  // `status --json`, parsed.
  json status() {
    const auto run = leadsync("-c " + quoted(config()) + " status --json");
    EXPECT_EQ(run.exit_code, 0) << run.err << run.out;
    auto document = json::parse(run.out, nullptr, false);
    EXPECT_TRUE(document.is_object()) << run.out;
    return document;
  }

  // Points store.url of the config at `url`, as the admin does after the migration.
  void use_store(const std::string& url) {
    std::string text = read_file(config());
    const std::string old_line = "url = \"sqlite://state.db\"";
    const auto at = text.find(old_line);
    ASSERT_NE(at, std::string::npos) << "leadsync init no longer writes " << old_line;
    text.replace(at, old_line.size(), "url = \"" + url + "\"");
    std::ofstream(config(), std::ios::binary | std::ios::trunc) << text;
  }

  std::string config() const { return (dir_ / "leadsync.toml").string(); }

  fs::path dir_;
  PostgresServer* server_ = nullptr;
  std::string target_url_;
};

TEST_F(MigrateStoreCliTest, StatusOnPostgresCountsTheLeadsImportedIntoSqlite) {
  const auto before = status();
  ASSERT_EQ(before.at("leads").at("total"), 3);

  const auto run = migrate(target_url_, " --json");

  ASSERT_EQ(run.exit_code, 0) << run.err << run.out;
  const auto report = json::parse(run.out);
  EXPECT_EQ(report.at("target"), target_url_);
  EXPECT_EQ(report.at("source"), (dir_ / "state.db").string());
  bool saw_leads = false;
  for (const auto& table : report.at("tables")) {
    SCOPED_TRACE(table.dump());
    EXPECT_EQ(table.at("checksum_ok"), true);
    EXPECT_EQ(table.at("rows_in_target"), table.at("rows"));
    if (table.at("table") == "leads") {
      saw_leads = true;
      EXPECT_EQ(table.at("rows"), 3);
    }
  }
  EXPECT_TRUE(saw_leads);
  use_store(target_url_);
  const auto after = status();
  EXPECT_EQ(after.value("store", ""), target_url_);
  EXPECT_EQ(after.at("leads").at("total"), 3)
      << "status on PostgreSQL (needs PostgresStore::stats and list_runs)";
  EXPECT_EQ(after.at("outbox").at("pending"), before.at("outbox").at("pending"));
}

TEST_F(MigrateStoreCliTest, HumanOutputListsEveryTableAndWhatToDoNext) {
  const auto run = migrate(target_url_);

  ASSERT_EQ(run.exit_code, 0) << run.err << run.out;
  EXPECT_NE(run.out.find("leads"), std::string::npos) << run.out;
  EXPECT_NE(run.out.find("checksum ok"), std::string::npos) << run.out;
  EXPECT_EQ(run.out.find("DIFFERENT"), std::string::npos) << run.out;
  EXPECT_NE(run.out.find("total: "), std::string::npos) << run.out;
  EXPECT_NE(run.out.find("[store] url = \"" + target_url_ + "\""), std::string::npos) << run.out;
  EXPECT_NE(run.out.find("[crm.auth] client_id"), std::string::npos) << run.out;
}

TEST_F(MigrateStoreCliTest, ASecondMigrationIntoTheSameDatabaseIsAUsageError) {
  ASSERT_EQ(migrate(target_url_).exit_code, 0);

  const auto again = migrate(target_url_);

  EXPECT_EQ(again.exit_code, 2) << again.err;
  EXPECT_NE(again.err.find("empty database"), std::string::npos) << again.err;
  EXPECT_TRUE(again.out.empty()) << again.out;
}

TEST_F(MigrateStoreCliTest, APasswordInTheTargetUrlIsRefusedAndNeverPrinted) {
  const std::string prefix = "postgresql://leadsync@";
  ASSERT_EQ(target_url_.rfind(prefix, 0), 0U) << target_url_;
  const auto with_password = "postgresql://leadsync:s3cr3t-pw@" + target_url_.substr(prefix.size());

  const auto run = migrate(with_password, " --json");

  EXPECT_EQ(run.exit_code, 2) << run.err;
  EXPECT_NE(run.err.find("pgpass"), std::string::npos) << run.err;
  EXPECT_EQ((run.out + run.err).find("s3cr3t-pw"), std::string::npos) << run.out << run.err;
}

TEST_F(MigrateStoreCliTest, AMissingSourceFileIsAUsageErrorAndIsNotCreated) {
  const auto run = leadsync("-c " + quoted(config()) +
                            " migrate-store --from sqlite://typo.db --to " + quoted(target_url_));

  EXPECT_EQ(run.exit_code, 2) << run.err;
  EXPECT_NE(run.err.find("typo.db"), std::string::npos) << run.err;
  EXPECT_FALSE(fs::exists(dir_ / "typo.db"));
}

TEST_F(MigrateStoreCliTest, BothUrlsAreRequired) {
  const auto run = leadsync("-c " + quoted(config()) + " migrate-store --from sqlite://state.db");

  EXPECT_EQ(run.exit_code, 2);
  EXPECT_NE(run.err.find("--to"), std::string::npos) << run.err;
}

} // namespace
