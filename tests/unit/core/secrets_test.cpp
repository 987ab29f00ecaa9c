#include "leadsync/core/bounded_read.hpp"
#include "leadsync/core/log.hpp"
#include "leadsync/core/secrets.hpp"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <gtest/gtest.h>
#include <optional>
#include <sstream>
#include <string>
#include <sys/stat.h>

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

// Issue 18: a secret file pointed at a device or a FIFO is refused at once, not read forever.
TEST_F(SecretsTest, ADeviceOrAFifoInsteadOfAFileIsRefusedAtOnce) {
  const auto device = read_secret(file_ref("/dev/zero"), what);
  ASSERT_FALSE(device.ok());
  EXPECT_NE(device.error().message.find("is a device"), std::string::npos)
      << device.error().message;
  EXPECT_NE(device.error().message.find("crm.auth.client_secret_file"), std::string::npos);
  const auto fifo = dir_ / "fifo";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  const auto piped = read_secret(file_ref(fifo.string()), what);
  ASSERT_FALSE(piped.ok());
  EXPECT_NE(piped.error().message.find("pipe (FIFO)"), std::string::npos) << piped.error().message;
}

TEST_F(SecretsTest, AFileOverTheSecretLimitIsRefusedSayingTheLimit) {
  const auto path = write_file("secret", std::string(secret_file_limit + 1, 'k'));
  const auto secret = read_secret(file_ref(path), what);
  ASSERT_FALSE(secret.ok());
  EXPECT_NE(secret.error().message.find("64 KB limit"), std::string::npos)
      << secret.error().message.substr(0, 400);
  EXPECT_LT(secret.error().message.size(), 1000u);
}

// Issue 18: a CR LF inside a token would put an extra header on the wire.
TEST_F(SecretsTest, ALineBreakInsideAFileSecretIsRefusedNamingTheKeyNotTheValue) {
  const auto path = write_file("secret", "Fs7-first\r\nX-Injected: yes\n");
  const auto secret = read_secret(file_ref(path), what);
  ASSERT_FALSE(secret.ok());
  EXPECT_EQ(secret.error().category, ErrorCategory::config);
  EXPECT_NE(secret.error().message.find("crm.auth.client_secret_file"), std::string::npos);
  EXPECT_NE(secret.error().message.find("control characters"), std::string::npos)
      << secret.error().message;
  EXPECT_NE(secret.error().message.find("on one line"), std::string::npos);
  EXPECT_EQ(secret.error().message.find("Fs7-first"), std::string::npos);
  EXPECT_EQ(secret.error().message.find("X-Injected"), std::string::npos);
}

TEST_F(SecretsTest, ANulATabOrADelInsideAFileSecretIsRefused) {
  for (const char control : {'\0', '\t', '\x7f', '\x1b'}) {
    const auto path = write_file("secret", std::string("Fs8-a") + control + "b\n");
    const auto secret = read_secret(file_ref(path), what);
    ASSERT_FALSE(secret.ok()) << static_cast<int>(control);
    EXPECT_NE(secret.error().message.find("control characters"), std::string::npos)
        << secret.error().message;
  }
}

TEST_F(SecretsTest, ControlCharactersInAnEnvironmentSecretAreRefusedNamingTheVariable) {
  const ScopedEnv env("LEADSYNC_TEST_SECRET", "Ev3-token\r\nX-Injected: yes");
  const auto secret = read_secret(env_ref("LEADSYNC_TEST_SECRET"), what);
  ASSERT_FALSE(secret.ok());
  EXPECT_EQ(secret.error().category, ErrorCategory::config);
  EXPECT_NE(secret.error().message.find("crm.auth.client_secret_env"), std::string::npos);
  EXPECT_NE(secret.error().message.find("LEADSYNC_TEST_SECRET holds control characters"),
            std::string::npos)
      << secret.error().message;
  EXPECT_EQ(secret.error().message.find("Ev3-token"), std::string::npos);
}

TEST_F(SecretsTest, UnreadableFileErrorSaysWhatToDo) {
  const auto path = write_file("secret", "Fs3-unreadable", fs::perms::none);
  std::ifstream probe(path);
  if (probe.good()) {
    GTEST_SKIP() << "running as root: file permissions are not enforced";
  }
  const auto secret = read_secret(file_ref(path), what);
  ASSERT_FALSE(secret.ok());
  EXPECT_NE(secret.error().message.find("secret file " + path + " cannot be read"),
            std::string::npos)
      << secret.error().message;
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

// --- the webhook key ([server] webhook_key_file / webhook_key_env) ---------------------------

class WebhookSecretTest : public SecretsTest {
protected:
  config::Config with_file(const std::string& path) {
    config::Config config;
    config.server.webhook_key_file = path;
    config.server.webhook_key_env = "LEADSYNC_TEST_WEBHOOK_KEY";
    return config;
  }
  config::Config with_env(const std::string& name = "LEADSYNC_TEST_WEBHOOK_KEY") {
    config::Config config;
    config.server.webhook_key_env = name;
    return config;
  }
};

TEST_F(WebhookSecretTest, TheFileWinsOverTheVariableAndLosesOneTrailingNewline) {
  const ScopedEnv env("LEADSYNC_TEST_WEBHOOK_KEY", "Wk0-from-env");
  const auto secret = load_webhook_secret(with_file(write_file("key", "Wk1-from-file\n")));
  ASSERT_TRUE(secret.ok()) << secret.error().describe();
  EXPECT_EQ(secret->reveal(), "Wk1-from-file");
  EXPECT_EQ(log::redact("key Wk1-from-file"), "key [REDACTED]");
}

TEST_F(WebhookSecretTest, OnlyOneLineEndingIsTrimmedAndSpacesAreKept) {
  const auto crlf = load_webhook_secret(with_file(write_file("crlf", " Wk2 with spaces \r\n")));
  ASSERT_TRUE(crlf.ok()) << crlf.error().describe();
  EXPECT_EQ(crlf->reveal(), " Wk2 with spaces ");

  const auto two = load_webhook_secret(with_file(write_file("two", "Wk3\n\n")));
  ASSERT_FALSE(two.ok());
  EXPECT_NE(two.error().message.find("control characters or more than one line"), std::string::npos)
      << two.error().message;
}

TEST_F(WebhookSecretTest, ControlCharactersInTheFileAreRefused) {
  for (const std::string& content : {std::string("Wk4\tkey"), std::string("Wk5\x01"),
                                     std::string("Wk6\nsecond line"), std::string("Wk7\x7f")}) {
    const auto secret = load_webhook_secret(with_file(write_file("key", content)));
    ASSERT_FALSE(secret.ok()) << content;
    EXPECT_EQ(secret.error().category, ErrorCategory::config);
    EXPECT_NE(secret.error().message.find("server.webhook_key_file"), std::string::npos);
    EXPECT_EQ(secret.error().message.find("Wk"), std::string::npos) << "never the key itself";
  }
}

TEST_F(WebhookSecretTest, ARelativeFileIsFoundBesideTheConfig) {
  write_file("webhook_key", "Wk8-relative\n");
  auto config = with_file("webhook_key");
  config.base_dir = dir_;
  const auto secret = load_webhook_secret(config);
  ASSERT_TRUE(secret.ok()) << secret.error().describe();
  EXPECT_EQ(secret->reveal(), "Wk8-relative");
}

TEST_F(WebhookSecretTest, AMissingFileSaysWhatToSet) {
  const auto path = (dir_ / "absent").string();
  const auto secret = load_webhook_secret(with_file(path));
  ASSERT_FALSE(secret.ok());
  EXPECT_EQ(secret.error().category, ErrorCategory::config);
  EXPECT_NE(secret.error().message.find(path), std::string::npos) << secret.error().message;
  EXPECT_NE(secret.error().message.find("chmod 600"), std::string::npos);
}

TEST_F(WebhookSecretTest, AFolderAFifoOrADeviceIsRefused) {
  const auto fifo = dir_ / "fifo";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  for (const auto& path : {dir_.string(), fifo.string(), std::string("/dev/null")}) {
    const auto secret = load_webhook_secret(with_file(path));
    ASSERT_FALSE(secret.ok()) << path;
    EXPECT_NE(secret.error().message.find("is not a regular file"), std::string::npos)
        << path << ": " << secret.error().message;
  }
}

TEST_F(WebhookSecretTest, AFileOverTheSizeLimitIsRefused) {
  const auto path = write_file("big", std::string(max_webhook_key_bytes + 1, 'k'));
  const auto secret = load_webhook_secret(with_file(path));
  ASSERT_FALSE(secret.ok());
  EXPECT_NE(secret.error().message.find("larger than 4096 bytes"), std::string::npos)
      << secret.error().message;
  EXPECT_TRUE(load_webhook_secret(with_file(write_file("max", std::string(4096, 'k')))).ok());
}

TEST_F(WebhookSecretTest, AnEmptyFileIsRefused) {
  const auto secret = load_webhook_secret(with_file(write_file("empty", "\n")));
  ASSERT_FALSE(secret.ok());
  EXPECT_NE(secret.error().message.find("is empty"), std::string::npos);
}

TEST_F(WebhookSecretTest, TheVariableIsReadWhenNoFileIsSet) {
  const ScopedEnv env("LEADSYNC_TEST_WEBHOOK_KEY", "Wk9-from-env");
  const auto secret = load_webhook_secret(with_env());
  ASSERT_TRUE(secret.ok()) << secret.error().describe();
  EXPECT_EQ(secret->reveal(), "Wk9-from-env");
  EXPECT_EQ(log::redact("Wk9-from-env"), "[REDACTED]");
}

TEST_F(WebhookSecretTest, AnUnsetOrEmptyVariableSaysWhatToSet) {
  for (const char* value : {static_cast<const char*>(nullptr), ""}) {
    const ScopedEnv env("LEADSYNC_TEST_WEBHOOK_KEY", value);
    const auto secret = load_webhook_secret(with_env());
    ASSERT_FALSE(secret.ok());
    EXPECT_EQ(secret.error().category, ErrorCategory::config);
    const auto& message = secret.error().message;
    EXPECT_NE(message.find("LEADSYNC_TEST_WEBHOOK_KEY is "), std::string::npos) << message;
    EXPECT_NE(message.find("server.webhook_key_file"), std::string::npos) << message;
  }
}

TEST_F(WebhookSecretTest, AVariableWithControlCharactersIsRefused) {
  const ScopedEnv env("LEADSYNC_TEST_WEBHOOK_KEY", "Wk10\nsecond");
  const auto secret = load_webhook_secret(with_env());
  ASSERT_FALSE(secret.ok());
  EXPECT_NE(secret.error().message.find("control characters"), std::string::npos);
}

TEST_F(WebhookSecretTest, NothingConfiguredSaysWhatToSet) {
  const auto secret = load_webhook_secret(with_env(""));
  ASSERT_FALSE(secret.ok());
  EXPECT_EQ(secret.error().category, ErrorCategory::config);
  EXPECT_NE(secret.error().message.find("no webhook key is configured"), std::string::npos);
  EXPECT_NE(secret.error().message.find("server.webhook_key_file"), std::string::npos);
  EXPECT_NE(secret.error().message.find("server.webhook_key_env"), std::string::npos);
}

} // namespace
} // namespace leadsync
