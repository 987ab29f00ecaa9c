#include "leadsync/core/log.hpp"
#include "leadsync/core/secrets.hpp"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <gtest/gtest.h>
#include <optional>
#include <sstream>
#include <string>

namespace leadsync {
namespace {

namespace fs = std::filesystem;

constexpr const char* what = "crm.auth.client_secret";

// Sets an environment variable for the life of the object and restores the previous state.
class ScopedEnv {
public:
  ScopedEnv(std::string name, const char* value) : name_(std::move(name)) {
    if (const char* previous = std::getenv(name_.c_str())) {
      previous_ = previous;
    }
    if (value == nullptr) {
      ::unsetenv(name_.c_str());
    } else {
      ::setenv(name_.c_str(), value, 1);
    }
  }
  ~ScopedEnv() {
    if (previous_) {
      ::setenv(name_.c_str(), previous_->c_str(), 1);
    } else {
      ::unsetenv(name_.c_str());
    }
  }
  ScopedEnv(const ScopedEnv&) = delete;
  ScopedEnv& operator=(const ScopedEnv&) = delete;

private:
  std::string name_;
  std::optional<std::string> previous_;
};

class SecretsTest : public testing::Test {
protected:
  void SetUp() override {
    const auto* test = testing::UnitTest::GetInstance()->current_test_info();
    dir_ = fs::path(testing::TempDir()) / (std::string("leadsync-secrets-") + test->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::string write_file(const std::string& name, const std::string& content,
                         fs::perms perms = fs::perms::owner_read | fs::perms::owner_write) {
    const auto path = dir_ / name;
    std::ofstream(path, std::ios::binary) << content;
    fs::permissions(path, perms);
    return path.string();
  }

  static config::SecretRef file_ref(std::string path) { return {std::move(path), ""}; }
  static config::SecretRef env_ref(std::string name) { return {"", std::move(name)}; }

  fs::path dir_;
};

TEST_F(SecretsTest, ReadsAFileAndTrimsTrailingNewlineAndSpaces) {
  const auto path = write_file("secret", "Fs1-file-secret \r\n\n");
  const auto secret = read_secret(file_ref(path), what);
  ASSERT_TRUE(secret.ok()) << secret.error().describe();
  EXPECT_EQ(secret->reveal(), "Fs1-file-secret");
}

TEST_F(SecretsTest, KeepsLeadingAndInnerSpaces) {
  const auto path = write_file("secret", "  inner space secret\n");
  const auto secret = read_secret(file_ref(path), what);
  ASSERT_TRUE(secret.ok());
  EXPECT_EQ(secret->reveal(), "  inner space secret");
}

TEST_F(SecretsTest, SecretReadFromAFileIsMaskedInLogs) {
  const auto path = write_file("secret", "Fs2-registered-by-read\n");
  ASSERT_TRUE(read_secret(file_ref(path), what).ok());
  EXPECT_EQ(log::redact("value Fs2-registered-by-read"), "value [REDACTED]");
}

TEST_F(SecretsTest, MissingFileErrorNamesThePathAndHowToCreateIt) {
  const auto path = (dir_ / "absent").string();
  const auto secret = read_secret(file_ref(path), what);
  ASSERT_FALSE(secret.ok());
  EXPECT_EQ(secret.error().category, ErrorCategory::config);
  EXPECT_NE(secret.error().message.find(path), std::string::npos) << secret.error().message;
  EXPECT_NE(secret.error().message.find("create it with the secret and chmod 600"),
            std::string::npos);
  EXPECT_NE(secret.error().message.find("crm.auth.client_secret_file"), std::string::npos);
}

TEST_F(SecretsTest, EmptyFileIsRefused) {
  const auto path = write_file("secret", "\n");
  const auto secret = read_secret(file_ref(path), what);
  ASSERT_FALSE(secret.ok());
  EXPECT_EQ(secret.error().category, ErrorCategory::config);
  EXPECT_NE(secret.error().message.find("is empty"), std::string::npos);
  EXPECT_NE(secret.error().message.find(path), std::string::npos);
}

TEST_F(SecretsTest, FolderInsteadOfFileIsRefused) {
  const auto secret = read_secret(file_ref(dir_.string()), what);
  ASSERT_FALSE(secret.ok());
  EXPECT_NE(secret.error().message.find("is a folder"), std::string::npos);
}

TEST_F(SecretsTest, UnreadableFileErrorSaysWhatToDo) {
  const auto path = write_file("secret", "Fs3-unreadable", fs::perms::none);
  std::ifstream probe(path);
  if (probe.good()) {
    GTEST_SKIP() << "running as root: file permissions are not enforced";
  }
  const auto secret = read_secret(file_ref(path), what);
  ASSERT_FALSE(secret.ok());
  EXPECT_NE(secret.error().message.find("cannot read secret file " + path), std::string::npos);
  EXPECT_NE(secret.error().message.find("chmod 600"), std::string::npos);
}

TEST_F(SecretsTest, GroupReadableFileIsReadWithAWarningToChmod) {
  std::ostringstream captured;
  log::init(log::Options{spdlog::level::info, log::Format::text, true}, captured);
  const auto path =
      write_file("secret", "Fs4-group-readable\n",
                 fs::perms::owner_read | fs::perms::owner_write | fs::perms::group_read);
  const auto secret = read_secret(file_ref(path), what);
  log::init(log::Options{});
  ASSERT_TRUE(secret.ok());
  EXPECT_NE(captured.str().find("[warn]"), std::string::npos) << captured.str();
  EXPECT_NE(captured.str().find("chmod 600 " + path), std::string::npos) << captured.str();
}

TEST_F(SecretsTest, OwnerOnlyFileGivesNoWarning) {
  std::ostringstream captured;
  log::init(log::Options{spdlog::level::info, log::Format::text, true}, captured);
  const auto path = write_file("secret", "Fs5-owner-only\n");
  const auto secret = read_secret(file_ref(path), what);
  log::init(log::Options{});
  ASSERT_TRUE(secret.ok());
  EXPECT_EQ(captured.str(), "");
}

TEST_F(SecretsTest, ReadsAnEnvironmentVariableAndRegistersIt) {
  const ScopedEnv env("LEADSYNC_TEST_SECRET", "Ev1-env-secret");
  const auto secret = read_secret(env_ref("LEADSYNC_TEST_SECRET"), what);
  ASSERT_TRUE(secret.ok());
  EXPECT_EQ(secret->reveal(), "Ev1-env-secret");
  EXPECT_EQ(log::redact("Ev1-env-secret"), "[REDACTED]");
}

TEST_F(SecretsTest, UnsetVariableErrorShowsTheExportFix) {
  const ScopedEnv env("LEADSYNC_TEST_SECRET", nullptr);
  const auto secret = read_secret(env_ref("LEADSYNC_TEST_SECRET"), what);
  ASSERT_FALSE(secret.ok());
  EXPECT_EQ(secret.error().category, ErrorCategory::config);
  EXPECT_NE(secret.error().message.find("LEADSYNC_TEST_SECRET is not set"), std::string::npos);
  EXPECT_NE(secret.error().message.find("export LEADSYNC_TEST_SECRET=..."), std::string::npos);
}

TEST_F(SecretsTest, EmptyVariableIsRefused) {
  const ScopedEnv env("LEADSYNC_TEST_SECRET", "");
  const auto secret = read_secret(env_ref("LEADSYNC_TEST_SECRET"), what);
  ASSERT_FALSE(secret.ok());
  EXPECT_NE(secret.error().message.find("LEADSYNC_TEST_SECRET is empty"), std::string::npos);
  EXPECT_NE(secret.error().message.find("export LEADSYNC_TEST_SECRET=..."), std::string::npos);
}

TEST_F(SecretsTest, BothFileAndVariableIsRefused) {
  const auto path = write_file("secret", "Fs6-both\n");
  const ScopedEnv env("LEADSYNC_TEST_SECRET", "Ev2-both");
  const auto secret = read_secret({path, "LEADSYNC_TEST_SECRET"}, what);
  ASSERT_FALSE(secret.ok());
  EXPECT_NE(secret.error().message.find(
                "set only one of crm.auth.client_secret_file or crm.auth.client_secret_env"),
            std::string::npos)
      << secret.error().message;
}

TEST_F(SecretsTest, NeitherFileNorVariableIsRefused) {
  const auto secret = read_secret({}, what);
  ASSERT_FALSE(secret.ok());
  EXPECT_EQ(secret.error().category, ErrorCategory::config);
  EXPECT_NE(secret.error().message.find("crm.auth.client_secret is not configured"),
            std::string::npos);
}

} // namespace
} // namespace leadsync
