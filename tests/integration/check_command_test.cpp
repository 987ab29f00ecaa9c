// `leadsync check` against the emulator in process: what it prints when all is well, and the exit
// code and advice for each CRM-side problem (design section 4: 2 configuration, 3 unreachable or
// refused credentials).

#include "leadsync_test_paths.hpp"
#include "support/cli_process.hpp"
#include "support/tls_test_server.hpp"

#include <dvemu/emulator.hpp>
#include <filesystem>
#include <fstream>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <netdb.h>
#include <sstream>
#include <string>
#include <sys/wait.h>
#include <unistd.h>

namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using CheckRun = leadsync::testing::CliRun;

constexpr const char* test_token = "check-static-token";
constexpr const char* test_client_id = "0c1d2e3f-4a5b-4c6d-8e7f-8091a2b3c4d5";
constexpr const char* test_secret = "check-client-secret";

class CheckCommandTest : public ::testing::Test {
protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("leadsync-check-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    dvemu::EmulatorOptions options;
    options.profile = "fast";
    options.auth.static_token = test_token;
    options.auth.client_id = test_client_id;
    options.auth.client_secret = test_secret;
    options.log_requests = false;
    emulator_ = std::make_unique<dvemu::Emulator>(options);
    ASSERT_TRUE(emulator_->start().ok());
  }
  void TearDown() override {
    emulator_->stop();
    fs::remove_all(dir_);
  }

  // A config pointing at the emulator, with the shipped mapping; `auth` is the [crm.auth] table's
  // body.
  void write_config(const std::string& auth,
                    const std::string& alternate_key = "leadsync_externalid") {
    std::ofstream(dir_ / "leadsync.toml")
        << "[crm]\nurl = \"" << emulator_->base_url() << "\"\nalternate_key = \"" << alternate_key
        << "\"\n[crm.auth]\n"
        << auth << "\n[store]\nurl = \"sqlite://state.db\"\n[mapping]\nlead = \""
        << LEADSYNC_SOURCE_DIR << "/mappings/lead.toml\"\n";
  }
  static std::string static_token_auth() {
    return "mode = \"static_token\"\ntoken_env = \"LEADSYNC_CHECK_TOKEN\"";
  }

  CheckRun check(const std::string& environment) {
    return leadsync::testing::run_leadsync(
        LEADSYNC_EXE, "-c " + (dir_ / "leadsync.toml").string() + " check", dir_, environment);
  }

  fs::path dir_;
  std::unique_ptr<dvemu::Emulator> emulator_;
};

TEST_F(CheckCommandTest, ReportsOrganizationUserDopHintAndAnActiveKey) {
  write_config(static_token_auth());

  const auto run = check(std::string("LEADSYNC_CHECK_TOKEN=") + test_token);

  EXPECT_EQ(run.exit_code, 0) << run.err;
  EXPECT_THAT(run.out, HasSubstr("crm      " + emulator_->base_url() +
                                 ": OK (organization 7c1a3f2e-5b8d-4e61-9a0c-2d4f6b8e1a01, user "
                                 "7c1a3f2e-5b8d-4e61-9a0c-2d4f6b8e1a03, x-ms-dop-hint 4)\n"));
  EXPECT_THAT(run.out, HasSubstr("key      leadsync_externalid on lead: Active\n"));
}

TEST_F(CheckCommandTest, SignsInWithClientCredentialsThroughTheTokenEndpoint) {
  write_config(
      "mode = \"client_credentials\"\ntenant = \"contoso.onmicrosoft.com\"\nclient_id = \"" +
      std::string(test_client_id) +
      "\"\nclient_secret_env = \"LEADSYNC_CHECK_SECRET\"\n"
      "authority = \"" +
      emulator_->base_url() + "\"");

  const auto run = check(std::string("LEADSYNC_CHECK_SECRET=") + test_secret);

  EXPECT_EQ(run.exit_code, 0) << run.err;
  EXPECT_THAT(run.out, HasSubstr(": OK (organization "));
}

TEST_F(CheckCommandTest, AWrongClientSecretExitsThreeSayingWhatToCheck) {
  write_config(
      "mode = \"client_credentials\"\ntenant = \"contoso.onmicrosoft.com\"\nclient_id = \"" +
      std::string(test_client_id) +
      "\"\nclient_secret_env = \"LEADSYNC_CHECK_SECRET\"\n"
      "authority = \"" +
      emulator_->base_url() + "\"");

  const auto run = check("LEADSYNC_CHECK_SECRET=wrong-secret-value");

  EXPECT_EQ(run.exit_code, 3);
  EXPECT_THAT(run.err, HasSubstr("the sign-in service refused the client credentials: "
                                 "invalid_client: AADSTS7000215"));
  EXPECT_THAT(run.err, HasSubstr("check crm.auth.client_id"));
  EXPECT_THAT(run.err + run.out, ::testing::Not(HasSubstr("wrong-secret-value")));
}

TEST_F(CheckCommandTest, ARefusedTokenExitsThreeNamingTheSetting) {
  write_config(static_token_auth());

  const auto run = check("LEADSYNC_CHECK_TOKEN=not-the-token");

  EXPECT_EQ(run.exit_code, 3);
  EXPECT_THAT(run.err, HasSubstr("error: the CRM refused the credentials (HTTP 401): "));
  EXPECT_THAT(run.err, HasSubstr("crm.auth.token_env"));
}

TEST_F(CheckCommandTest, AMissingKeyColumnExitsTwoWithTheStepsToCreateIt) {
  write_config(static_token_auth(), "leadsync_other");

  const auto run = check(std::string("LEADSYNC_CHECK_TOKEN=") + test_token);

  EXPECT_EQ(run.exit_code, 2);
  EXPECT_THAT(run.out, HasSubstr("key      leadsync_other on lead: missing"));
  EXPECT_THAT(run.err, HasSubstr("Tables > Lead > Columns > New column"));
  EXPECT_THAT(run.err, HasSubstr("Tables > Lead > Keys > New key: display name \"leadsync "
                                 "external id\", column leadsync_other"));
  EXPECT_THAT(run.err, HasSubstr("status is Active"));
}

TEST_F(CheckCommandTest, AStoppedCrmExitsThreeAsUnreachable) {
  write_config(static_token_auth());
  emulator_->stop();

  const auto run = check(std::string("LEADSYNC_CHECK_TOKEN=") + test_token);

  EXPECT_EQ(run.exit_code, 3);
  EXPECT_THAT(run.err, HasSubstr("error: cannot reach " + emulator_->base_url() +
                                 ": connection refused. Is the URL right (crm.url) and the org "
                                 "reachable from this machine?"));
}

// The transport's dns cause, not the message's wording, decides the advice. RFC 6761 reserves
// .invalid, so no resolver may answer for it.
TEST_F(CheckCommandTest, AHostNameThatDoesNotResolveExitsThreeSayingSo) {
  addrinfo* found = nullptr;
  if (::getaddrinfo("leadsync-check.nonexistent.invalid", "443", nullptr, &found) == 0) {
    ::freeaddrinfo(found);
    GTEST_SKIP() << "this machine's resolver answers for a .invalid name (NXDOMAIN rewriting)";
  }
  std::ofstream(dir_ / "leadsync.toml")
      << "[crm]\nurl = \"https://leadsync-check.nonexistent.invalid\"\n[crm.auth]\n"
      << static_token_auth() << "\n[store]\nurl = \"sqlite://state.db\"\n";

  const auto run = check(std::string("LEADSYNC_CHECK_TOKEN=") + test_token);

  EXPECT_EQ(run.exit_code, 3) << run.err;
  EXPECT_THAT(run.err, HasSubstr("error: cannot reach https://leadsync-check.nonexistent.invalid: "
                                 "the host name does not resolve. Is the URL right (crm.url)"));
}

TEST_F(CheckCommandTest, WithoutTheTokenAnUnreachableCrmIsStillTold) {
  write_config(static_token_auth());
  emulator_->stop();

  const auto run = check("-u LEADSYNC_CHECK_TOKEN");

  EXPECT_EQ(run.exit_code, 3);
  EXPECT_THAT(run.err, HasSubstr("cannot reach "));
  EXPECT_THAT(run.err, HasSubstr("LEADSYNC_CHECK_TOKEN is not set"));
}

TEST_F(CheckCommandTest, WithoutTheTokenAReachableCrmIsAConfigurationError) {
  write_config(static_token_auth());

  const auto run = check("-u LEADSYNC_CHECK_TOKEN");

  EXPECT_EQ(run.exit_code, 2);
  EXPECT_THAT(run.err, HasSubstr("LEADSYNC_CHECK_TOKEN is not set"));
}

TEST_F(CheckCommandTest, AnUntrustedCertificateExitsThreePointingAtTheCaSetting) {
  const leadsync::test::TlsTestServer server(leadsync::test::make_self_signed_certificate());
  std::ofstream(dir_ / "leadsync.toml")
      << "[crm]\nurl = \"https://127.0.0.1:" << server.port() << "\"\n[crm.auth]\n"
      << static_token_auth() << "\n[store]\nurl = \"sqlite://state.db\"\n";

  const auto run = check(std::string("LEADSYNC_CHECK_TOKEN=") + test_token);

  EXPECT_EQ(run.exit_code, 3);
  EXPECT_THAT(run.err, HasSubstr("error: TLS handshake with 127.0.0.1 failed: certificate verify "
                                 "failed. If a proxy re-signs TLS, add its CA with "
                                 "crm.tls.ca_file"));
}

} // namespace
