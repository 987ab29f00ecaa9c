#include "leadsync/core/config.hpp"
#include "leadsync/core/log.hpp"

#include <chrono>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <regex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace leadsync::log {
namespace {

struct RedactionCase {
  std::string_view input;
  std::string_view expected;
};

// NOLINTNEXTLINE(readability-identifier-naming): the name GoogleTest looks for
void PrintTo(const RedactionCase& c, std::ostream* os) {
  *os << '"' << c.input << '"';
}

// Restores the process-wide PII setting a test changes.
class PiiRedactionGuard {
public:
  PiiRedactionGuard() : saved_(Redactor::instance().redact_pii()) {}
  ~PiiRedactionGuard() { Redactor::instance().set_redact_pii(saved_); }
  PiiRedactionGuard(const PiiRedactionGuard&) = delete;
  PiiRedactionGuard& operator=(const PiiRedactionGuard&) = delete;

private:
  bool saved_;
};

class CredentialRedactionTest : public testing::TestWithParam<RedactionCase> {};

TEST_P(CredentialRedactionTest, IsMaskedEvenWithPiiRedactionOff) {
  const PiiRedactionGuard guard;
  Redactor::instance().set_redact_pii(false);
  EXPECT_EQ(redact(GetParam().input), GetParam().expected);
}

INSTANTIATE_TEST_SUITE_P(
    Rules, CredentialRedactionTest,
    testing::Values(
        RedactionCase{"Authorization: Bearer eyJhbGciOi.abc-123_x\nnext line",
                      "Authorization: [REDACTED]\nnext line"},
        RedactionCase{"authorization: Basic dXNlcjpwYXNz", "authorization: [REDACTED]"},
        RedactionCase{R"({"Authorization": "Bearer abc.def", "Accept": "json"})",
                      R"({"Authorization": "[REDACTED]", "Accept": "json"})"},
        RedactionCase{"authorization failed for user 7", "authorization failed for user 7"},
        RedactionCase{"sent Bearer eyJ0eXAi.eyJzdWIi.sig_-x~+/= to crm",
                      "sent Bearer [REDACTED] to crm"},
        RedactionCase{"bearers abc are fine", "bearers abc are fine"},
        RedactionCase{"grant_type=client_credentials&client_secret=abc~123&scope=x",
                      "grant_type=client_credentials&client_secret=[REDACTED]&scope=x"},
        RedactionCase{"client_secret_file=/etc/leadsync/client_secret",
                      "client_secret_file=/etc/leadsync/client_secret"},
        RedactionCase{"user=bob&password=hunter22 done", "user=bob&password=[REDACTED] done"},
        RedactionCase{"GET /cb?access_token=abc.def&state=1",
                      "GET /cb?access_token=[REDACTED]&state=1"},
        RedactionCase{"refresh_token=zzz-yyy", "refresh_token=[REDACTED]"},
        RedactionCase{R"({"token_type":"Bearer","access_token":"eyJ\"x","expires_in":3599})",
                      R"({"token_type":"Bearer","access_token":"[REDACTED]","expires_in":3599})"},
        RedactionCase{R"({"client_secret": "x1y2z3", "client_id": "abc"})",
                      R"({"client_secret": "[REDACTED]", "client_id": "abc"})"},
        RedactionCase{R"({"password":"p@ss w0rd"})", R"({"password":"[REDACTED]"})"},
        RedactionCase{"password: must be at least 8 characters",
                      "password: must be at least 8 characters"},
        RedactionCase{"the password policy changed", "the password policy changed"}));

class PiiRedactionTest : public testing::TestWithParam<RedactionCase> {};

TEST_P(PiiRedactionTest, MasksOnlyEmailsAndPhones) {
  const PiiRedactionGuard guard;
  Redactor::instance().set_redact_pii(true);
  EXPECT_EQ(redact(GetParam().input), GetParam().expected);
}

INSTANTIATE_TEST_SUITE_P(
    Emails, PiiRedactionTest,
    testing::Values(
        RedactionCase{"contact john.doe@example.com today", "contact j***@example.com today"},
        RedactionCase{"mail Anna+news@sub.example.co.uk.", "mail A***@sub.example.co.uk."},
        RedactionCase{"<x_1@mail.example.org>", "<x***@mail.example.org>"},
        RedactionCase{"user@localhost is local", "user@localhost is local"},
        RedactionCase{"ping @mention please", "ping @mention please"},
        RedactionCase{"a@b.c has no real domain", "a@b.c has no real domain"}));

INSTANTIATE_TEST_SUITE_P(
    PhonesMasked, PiiRedactionTest,
    testing::Values(RedactionCase{"call +49 151 1234 5678 now", "call +49********678 now"},
                    RedactionCase{"call +4915112345678", "call +49********678"},
                    RedactionCase{"office (212) 555-1234.", "office (21*****234."},
                    RedactionCase{"mobile 0151-1234567", "mobile 01******567"},
                    RedactionCase{"raw 4915112345678 from csv", "raw 49********678 from csv"},
                    RedactionCase{"us 212.555.1234", "us 21*****234"},
                    RedactionCase{"phone: 030 1234567", "phone: 03*****567"}));

INSTANTIATE_TEST_SUITE_P(
    NotPhones, PiiRedactionTest,
    testing::Values(
        RedactionCase{"on 2026-11-22 we", "on 2026-11-22 we"},
        RedactionCase{"at 2026-11-22T20:00:00Z", "at 2026-11-22T20:00:00Z"},
        RedactionCase{"at 2026-11-22T20:00:00.123+01:00", "at 2026-11-22T20:00:00.123+01:00"},
        RedactionCase{"at 2026-11-22 20:00:00", "at 2026-11-22 20:00:00"},
        RedactionCase{"due 22.11.2026 10:15", "due 22.11.2026 10:15"},
        RedactionCase{"lead 1b4e28ba-2fa1-4d2b-883f-0016d3cca427",
                      "lead 1b4e28ba-2fa1-4d2b-883f-0016d3cca427"},
        RedactionCase{"lead a1b2c3d4-1234-4567-8901-abcdef123456",
                      "lead a1b2c3d4-1234-4567-8901-abcdef123456"},
        RedactionCase{"lead 12345678-1234-4234-8234-123456789012",
                      "lead 12345678-1234-4234-8234-123456789012"},
        RedactionCase{"imported 1000000 rows", "imported 1000000 rows"},
        RedactionCase{"took 1234567 us", "took 1234567 us"},
        RedactionCase{"windows 10.0.19045.2364", "windows 10.0.19045.2364"},
        RedactionCase{"spdlog v1.10.0", "spdlog v1.10.0"},
        RedactionCase{"listening on 192.168.100.200:8080", "listening on 192.168.100.200:8080"},
        RedactionCase{"emulator 127.0.0.1:8765", "emulator 127.0.0.1:8765"},
        RedactionCase{"ratio 1234.56789", "ratio 1234.56789"},
        RedactionCase{"id_0151123456789", "id_0151123456789"}));

TEST(RedactorTest, RegisteredSecretIsMaskedWherever) {
  Redactor::instance().add_secret("Zq8-registered-secret");
  EXPECT_EQ(redact("k=Zq8-registered-secret;again:Zq8-registered-secret"),
            "k=[REDACTED];again:[REDACTED]");
}

TEST(RedactorTest, SecretsShorterThanFourCharactersAreNotRegistered) {
  Redactor::instance().add_secret("Qx9");
  EXPECT_EQ(redact("Qx9 stays"), "Qx9 stays");
}

TEST(RedactorTest, LongerSecretIsMaskedWholeWhenItContainsAShorterOne) {
  Redactor::instance().add_secret("Wv4short");
  Redactor::instance().add_secret("Wv4short-and-longer");
  EXPECT_EQ(redact("Wv4short-and-longer"), "[REDACTED]");
  EXPECT_EQ(redact("Wv4short"), "[REDACTED]");
}

TEST(RedactorTest, PiiOffKeepsEmailsAndPhonesButStillMasksSecrets) {
  const PiiRedactionGuard guard;
  Redactor::instance().add_secret("Pk2-pii-off-secret");
  Redactor::instance().set_redact_pii(false);
  EXPECT_FALSE(Redactor::instance().redact_pii());
  EXPECT_EQ(redact("jane@example.com +49 151 1234 5678 Pk2-pii-off-secret"),
            "jane@example.com +49 151 1234 5678 [REDACTED]");
}

TEST(RedactorTest, InstanceIsProcessWide) {
  EXPECT_EQ(&Redactor::instance(), &Redactor::instance());
}

TEST(RedactorTest, ConcurrentRegistrationAndRedactionAreSafe) {
  std::vector<std::thread> threads;
  std::vector<std::string> results(4);
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([t, &results] {
      const std::string secret = "Cc7-thread-secret-" + std::to_string(t);
      for (int i = 0; i < 200; ++i) {
        Redactor::instance().add_secret(secret + "-" + std::to_string(i));
        (void)redact("noise " + secret);
      }
      results[static_cast<std::size_t>(t)] = redact("x " + secret + "-199 y");
    });
  }
  for (auto& thread : threads) {
    thread.join();
  }
  for (const auto& result : results) {
    EXPECT_EQ(result, "x [REDACTED] y");
  }
}

TEST(MaskTest, EmailKeepsFirstCharacterAndDomain) {
  EXPECT_EQ(mask_email("john@example.com"), "j***@example.com");
  EXPECT_EQ(mask_email("élise@example.fr"), "é***@example.fr");
  EXPECT_EQ(mask_email("not-an-address"), "***");
  EXPECT_EQ(mask_email("@example.com"), "***");
}

TEST(MaskTest, PhoneKeepsPlusFirstTwoAndLastThreeDigits) {
  EXPECT_EQ(mask_phone("+49 151 123 456"), "+49******456");
  EXPECT_EQ(mask_phone("(212) 555-1234"), "21*****234");
  EXPECT_EQ(mask_phone("12345"), "*****");
}

TEST(LogOptionsTest, EachConfiguredLevelBecomesTheLoggersLevel) {
  EXPECT_EQ(level_of(config::LogLevel::trace), spdlog::level::trace);
  EXPECT_EQ(level_of(config::LogLevel::debug), spdlog::level::debug);
  EXPECT_EQ(level_of(config::LogLevel::info), spdlog::level::info);
  EXPECT_EQ(level_of(config::LogLevel::warn), spdlog::level::warn);
  EXPECT_EQ(level_of(config::LogLevel::error), spdlog::level::err);
  EXPECT_EQ(level_of(config::LogLevel::off), spdlog::level::off);
}

TEST(LogOptionsTest, TheLogSectionOfTheConfigReachesTheLoggersOptions) {
  const Options options = options_from(config::LogOptions{
      .level = config::LogLevel::warn, .format = config::LogFormat::json, .redact_pii = false});
  EXPECT_EQ(options.level, spdlog::level::warn);
  EXPECT_EQ(options.format, Format::json);
  EXPECT_FALSE(options.redact_pii);
  EXPECT_EQ(options_from(config::LogOptions{}).format, Format::text);
}

class LogOutputTest : public testing::Test {
protected:
  void TearDown() override { init(Options{}); }

  std::vector<std::string> lines() const {
    std::vector<std::string> result;
    std::istringstream in(out_.str());
    for (std::string line; std::getline(in, line);) {
      result.push_back(line);
    }
    return result;
  }

  std::ostringstream out_;
};

TEST_F(LogOutputTest, TextLineHasUtcTimestampLevelAndMessage) {
  init(Options{spdlog::level::info, Format::text, true}, out_);
  using namespace std::chrono;
  const auto time = sys_days{year{2026} / 11 / 22} + hours{20} + milliseconds{123};
  get()->log(time, spdlog::source_loc{}, spdlog::level::info, "hello");
  EXPECT_EQ(out_.str(), "2026-11-22T20:00:00.123Z [info] hello\n");
}

TEST_F(LogOutputTest, EveryLineOfAJobNamesTheJobAndItsRunUntilTheScopeEnds) {
  init(Options{spdlog::level::info, Format::json, true}, out_);
  get()->info("before");
  {
    const JobScope scope("push");
    get()->info("claimed");
    JobScope::set_run(42);
    get()->info("sent");
    {
      const JobScope inner("webhook");
      get()->info("inner");
    }
    get()->info("after inner");
  }
  JobScope::set_run(7); // no scope: nothing to set
  get()->info("after");
  const auto written = lines();
  ASSERT_EQ(written.size(), 6U);
  const auto field = [&](std::size_t line, const char* key) {
    const auto object = nlohmann::json::parse(written[line]);
    return object.contains(key) ? object[key].dump() : std::string("-");
  };
  EXPECT_EQ(field(0, "job"), "-");
  EXPECT_EQ(field(1, "job"), "\"push\"");
  EXPECT_EQ(field(1, "run"), "-");
  EXPECT_EQ(field(2, "run"), "42");
  EXPECT_EQ(field(3, "job"), "\"webhook\"");
  EXPECT_EQ(field(3, "run"), "-");
  EXPECT_EQ(field(4, "job"), "\"push\"");
  EXPECT_EQ(field(4, "run"), "42");
  EXPECT_EQ(field(5, "job"), "-");

  out_.str("");
  init(Options{spdlog::level::info, Format::text, true}, out_);
  const JobScope scope("pull");
  JobScope::set_run(9);
  get()->info("read");
  EXPECT_NE(out_.str().find("[info] [pull#9] read"), std::string::npos) << out_.str();
}

TEST_F(LogOutputTest, JsonLineIsOneValidObjectWithAllFields) {
  init(Options{spdlog::level::debug, Format::json, true}, out_);
  get()->warn("pushed {} leads to \"crm\"\n\tdone", 3);
  const auto written = lines();
  ASSERT_EQ(written.size(), 1U);
  EXPECT_EQ(written[0].rfind("{\"ts\":", 0), 0U) << written[0];
  const auto object = nlohmann::json::parse(written[0]);
  EXPECT_EQ(object.size(), 4U);
  EXPECT_EQ(object.at("level"), "warn");
  EXPECT_EQ(object.at("logger"), "leadsync");
  EXPECT_EQ(object.at("msg"), "pushed 3 leads to \"crm\"\n\tdone");
  EXPECT_TRUE(std::regex_match(object.at("ts").get<std::string>(),
                               std::regex(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z)")))
      << object.at("ts");
}

// Issue 18: a lead field holding a newline must not forge a second log line, nor an escape
// sequence reach the terminal, in text format.
TEST_F(LogOutputTest, TextLineShowsControlCharactersOfTheMessageAsVisibleEscapes) {
  init(Options{spdlog::level::info, Format::text, true}, out_);
  using namespace std::chrono;
  const auto time = sys_days{year{2026} / 11 / 22} + hours{20};
  get()->log(time, spdlog::source_loc{}, spdlog::level::info,
             fmt::format("imported {} from {}", "Ann\n2026-11-22T20:00:00.000Z [info] forged",
                         "\x1b[31mEvil\r\x7f\xc2\x9b"));
  EXPECT_EQ(out_.str(), "2026-11-22T20:00:00.000Z [info] imported Ann\\n2026-11-22T20:00:00.000Z "
                        "[info] forged from \\x1b[31mEvil\\r\\x7f\\u009b\n");
  EXPECT_EQ(lines().size(), 1U);
  EXPECT_EQ(out_.str().find('\x1b'), std::string::npos);
}

TEST_F(LogOutputTest, TextLineEscapesAfterRedactingSoEmailsAndPhonesAreStillMasked) {
  init(Options{spdlog::level::info, Format::text, true}, out_);
  get()->info("lead jane.roe@example.com\n+49 30 1234567\x1b[0m");
  EXPECT_NE(out_.str().find("lead j***@example.com\\n"), std::string::npos) << out_.str();
  EXPECT_EQ(out_.str().find("jane.roe"), std::string::npos) << out_.str();
  EXPECT_EQ(out_.str().find("1234567"), std::string::npos) << out_.str();
  EXPECT_NE(out_.str().find("\\x1b[0m"), std::string::npos) << out_.str();
  EXPECT_EQ(lines().size(), 1U);
}

TEST_F(LogOutputTest, JsonLineKeepsAForgedLineInsideTheMessageString) {
  init(Options{spdlog::level::info, Format::json, true}, out_);
  get()->info("Ann\n2026-11-22T20:00:00.000Z [info] forged \x1b[31m");
  const auto written = lines();
  ASSERT_EQ(written.size(), 1U);
  EXPECT_EQ(written[0].find('\x1b'), std::string::npos) << written[0];
  EXPECT_EQ(nlohmann::json::parse(written[0]).at("msg"),
            "Ann\n2026-11-22T20:00:00.000Z [info] forged \x1b[31m");
}

TEST_F(LogOutputTest, JsonStaysValidForInvalidUtf8) {
  init(Options{spdlog::level::info, Format::json, true}, out_);
  get()->info("bad byte \xff here");
  const auto written = lines();
  ASSERT_EQ(written.size(), 1U);
  const auto object = nlohmann::json::parse(written[0]);
  EXPECT_EQ(object.at("msg"), "bad byte \xEF\xBF\xBD here");
}

TEST_F(LogOutputTest, MessagesAreRedactedBeforeWriting) {
  init(Options{spdlog::level::info, Format::json, true}, out_);
  Redactor::instance().add_secret("Lg5-logged-secret");
  get()->info("secret Lg5-logged-secret for jane.roe@example.com, Authorization: Bearer abc");
  const auto object = nlohmann::json::parse(lines().at(0));
  EXPECT_EQ(object.at("msg"), "secret [REDACTED] for j***@example.com, Authorization: [REDACTED]");
  EXPECT_EQ(out_.str().find("Lg5-logged-secret"), std::string::npos);
}

TEST_F(LogOutputTest, InitWithPiiOffKeepsEmailsInTheLog) {
  init(Options{spdlog::level::info, Format::text, false}, out_);
  get()->info("from jane.roe@example.com");
  EXPECT_NE(out_.str().find("from jane.roe@example.com"), std::string::npos) << out_.str();
}

TEST_F(LogOutputTest, MessagesBelowTheLevelAreDropped) {
  init(Options{spdlog::level::warn, Format::text, true}, out_);
  get()->info("quiet");
  get()->error("loud");
  const auto written = lines();
  ASSERT_EQ(written.size(), 1U);
  EXPECT_NE(written[0].find("[error] loud"), std::string::npos) << written[0];
}

TEST_F(LogOutputTest, InitInstallsTheDefaultLoggerNamedLeadsync) {
  init(Options{spdlog::level::debug, Format::text, true}, out_);
  const auto logger = get();
  EXPECT_EQ(logger->name(), "leadsync");
  EXPECT_EQ(logger->level(), spdlog::level::debug);
  EXPECT_EQ(spdlog::default_logger(), logger);
  spdlog::info("through the spdlog default");
  EXPECT_NE(out_.str().find("[info] through the spdlog default"), std::string::npos);
}

} // namespace
} // namespace leadsync::log
