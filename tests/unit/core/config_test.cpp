#include "leadsync/core/config.hpp"

#include <filesystem>
#include <fstream>
#include <gtest/gtest.h>
#include <string>
#include <vector>

namespace leadsync::config {
namespace {

namespace fs = std::filesystem;

std::vector<Problem> problems_in(const std::string& text) {
  return validate(load_config_text(text, "leadsync.toml"));
}

std::string describe_all(const std::vector<Problem>& problems) {
  std::string text;
  for (const auto& problem : problems) {
    text += problem.describe() + "\n";
  }
  return text;
}

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

// Every config needs a token reference for the default auth mode; tests of other sections add it.
const std::string token_auth = "[crm.auth]\ntoken_env = \"LEADSYNC_CRM_TOKEN\"\n";

TEST(DefaultConfigTest, LoadsAndValidatesWithZeroProblems) {
  const auto loaded = load_config_text(default_config_text(), "leadsync.toml");
  EXPECT_TRUE(loaded.problems.empty()) << describe_all(loaded.problems);
  const auto problems = validate(loaded);
  EXPECT_TRUE(problems.empty()) << describe_all(problems);
}

TEST(DefaultConfigTest, PointsAtTheEmulatorWithAStaticTokenFromTheEnvironment) {
  const auto config = load_config_text(default_config_text(), "leadsync.toml").config;
  EXPECT_EQ(config.crm.url, "http://127.0.0.1:8765");
  EXPECT_EQ(config.crm.auth.mode, "static_token");
  EXPECT_EQ(config.crm.auth.token.env, "LEADSYNC_CRM_TOKEN");
  EXPECT_TRUE(config.crm.auth.token.file.empty());
  EXPECT_EQ(config.store.url, "sqlite://state.db");
  EXPECT_EQ(config.push.max_parallel, 0);
  EXPECT_TRUE(config.log.redact_pii);
}

TEST(DefaultConfigTest, DocumentsEveryKeyAndHowToReachARealOrg) {
  const std::string text = default_config_text();
  const std::vector<std::string> keys = {"url",
                                         "api_version",
                                         "alternate_key",
                                         "custom_prefix",
                                         "timeout_s",
                                         "mode",
                                         "tenant",
                                         "client_id",
                                         "client_secret_file",
                                         "client_secret_env",
                                         "token_file",
                                         "token_env",
                                         "authority",
                                         "scope",
                                         "ca_file",
                                         "insecure_skip_verify",
                                         "batch_size",
                                         "max_parallel",
                                         "crm_owned_fields",
                                         "default_region",
                                         "unmapped_columns",
                                         "lead",
                                         "import_columns",
                                         "rules",
                                         "pull",
                                         "push",
                                         "enrich",
                                         "qualify",
                                         "import_watch",
                                         "listen",
                                         "webhook_key_env",
                                         "level",
                                         "format",
                                         "redact_pii"};
  for (const auto& key : keys) {
    EXPECT_TRUE(contains(text, "\n" + key + " = ") || contains(text, "\n# " + key + " = "))
        << key << " is not in the template";
  }
  EXPECT_TRUE(contains(text, "https://<org>.crm.dynamics.com"));
  EXPECT_TRUE(contains(text, "mode = \"client_credentials\""));
}

TEST(LoadTest, ThreeMistakesOnDifferentLinesGiveExactlyThreeProblems) {
  const std::string text = "[crm]\n"                              // 1
                           "url = \"http://127.0.0.1:8765\"\n"    // 2
                           "api_versoin = \"9.2\"\n"              // 3
                           "\n"                                   // 4
                           "[crm.auth]\n"                         // 5
                           "token_env = \"LEADSYNC_CRM_TOKEN\"\n" // 6
                           "\n"                                   // 7
                           "[push]\n"                             // 8
                           "batch_size = \"200\"\n"               // 9
                           "mode = \"bulkk\"\n";                  // 10
  const auto problems = problems_in(text);
  ASSERT_EQ(problems.size(), 3U) << describe_all(problems);
  EXPECT_EQ(problems[0].key, "crm.api_versoin");
  EXPECT_EQ(problems[0].line, 3);
  EXPECT_EQ(problems[1].key, "push.batch_size");
  EXPECT_EQ(problems[1].line, 9);
  EXPECT_EQ(problems[2].key, "push.mode");
  EXPECT_EQ(problems[2].line, 10);
}

TEST(LoadTest, SyntaxErrorIsOneProblemWithItsLine) {
  const auto problems = problems_in("[crm]\nurl = \"unterminated\n[push]\n");
  ASSERT_EQ(problems.size(), 1U) << describe_all(problems);
  EXPECT_EQ(problems[0].line, 2);
  EXPECT_TRUE(problems[0].key.empty());
  EXPECT_TRUE(contains(problems[0].message, "syntax error")) << problems[0].message;
}

TEST(LoadTest, DuplicateKeyIsASyntaxError) {
  const auto problems = problems_in(token_auth + "[push]\nmode = \"bulk\"\nmode = \"batch\"\n");
  ASSERT_EQ(problems.size(), 1U) << describe_all(problems);
  EXPECT_EQ(problems[0].line, 5);
}

TEST(LoadTest, UnknownKeySuggestsTheClosestKnownKey) {
  const auto problems = problems_in(token_auth + "[push]\nbatchsize = 10\n");
  ASSERT_EQ(problems.size(), 1U) << describe_all(problems);
  EXPECT_EQ(problems[0].key, "push.batchsize");
  EXPECT_EQ(problems[0].line, 4);
  EXPECT_EQ(problems[0].message, "unknown key 'batchsize' in [push] (did you mean 'batch_size'?)");
}

TEST(LoadTest, UnknownKeyWithoutACloseMatchListsTheKnownKeys) {
  const auto problems = problems_in(token_auth + "[push]\ncolour = \"red\"\n");
  ASSERT_EQ(problems.size(), 1U) << describe_all(problems);
  EXPECT_FALSE(contains(problems[0].message, "did you mean"));
  EXPECT_TRUE(contains(problems[0].message, "known keys: mode, batch_size, max_parallel"))
      << problems[0].message;
}

TEST(LoadTest, UnknownSectionSuggestsTheClosestSection) {
  const auto problems = problems_in(token_auth + "[crmm]\nurl = \"https://x\"\n");
  ASSERT_EQ(problems.size(), 1U) << describe_all(problems);
  EXPECT_EQ(problems[0].key, "crmm");
  EXPECT_EQ(problems[0].line, 3);
  EXPECT_TRUE(contains(problems[0].message, "unknown section [crmm] (did you mean 'crm'?)"))
      << problems[0].message;
}

TEST(LoadTest, UnknownSubsectionIsReported) {
  const auto problems = problems_in(token_auth + "[crm.tsl]\nca_file = \"\"\n");
  ASSERT_EQ(problems.size(), 1U) << describe_all(problems);
  EXPECT_EQ(problems[0].key, "crm.tsl");
  EXPECT_TRUE(contains(problems[0].message, "did you mean 'tls'?")) << problems[0].message;
}

TEST(LoadTest, KeyOutsideAnySectionIsReported) {
  const auto problems = problems_in("url = \"https://x\"\n" + token_auth);
  ASSERT_EQ(problems.size(), 1U) << describe_all(problems);
  EXPECT_EQ(problems[0].key, "url");
  EXPECT_EQ(
      problems[0].message,
      "unknown key 'url' outside any section; did you mean to put it under [crm] or [store]?");
}

TEST(LoadTest, WrongTypesNameWhatWasExpectedAndWhatWasFound) {
  const auto problems = problems_in(token_auth + "[crm]\ntimeout_s = \"120\"\nurl = 5\n"
                                                 "[log]\nredact_pii = \"yes\"\n"
                                                 "[pull]\ncrm_owned_fields = \"owner\"\n");
  ASSERT_EQ(problems.size(), 4U) << describe_all(problems);
  EXPECT_EQ(problems[0].key, "crm.timeout_s");
  EXPECT_EQ(problems[0].message, "expected an integer, got a string");
  EXPECT_EQ(problems[1].key, "crm.url");
  EXPECT_EQ(problems[1].message, "expected a string, got an integer");
  EXPECT_EQ(problems[2].key, "log.redact_pii");
  EXPECT_EQ(problems[2].message, "expected a boolean (true or false), got a string");
  EXPECT_EQ(problems[3].key, "pull.crm_owned_fields");
  EXPECT_EQ(problems[3].message, "expected an array of strings, got a string");
}

TEST(LoadTest, SectionThatIsNotATableIsReported) {
  const auto problems = problems_in("push = 3\n" + token_auth);
  ASSERT_EQ(problems.size(), 1U) << describe_all(problems);
  EXPECT_EQ(problems[0].key, "push");
  EXPECT_EQ(problems[0].message, "expected a table ([push]), got an integer");
}

TEST(LoadTest, ValuesFillTheOptionStructs) {
  const auto loaded =
      load_config_text(token_auth + "[push]\nmode = \"single\"\nbatch_size = 5\n"
                                    "max_parallel = 8\n"
                                    "[pull]\ncrm_owned_fields = [\"owner\", \"stage\"]\n"
                                    "[crm.tls]\ninsecure_skip_verify = true\n",
                       "leadsync.toml");
  EXPECT_TRUE(loaded.problems.empty()) << describe_all(loaded.problems);
  EXPECT_EQ(loaded.config.push.mode, "single");
  EXPECT_EQ(loaded.config.push.batch_size, 5);
  EXPECT_EQ(loaded.config.push.max_parallel, 8);
  EXPECT_EQ(loaded.config.pull.crm_owned_fields, (std::vector<std::string>{"owner", "stage"}));
  EXPECT_TRUE(loaded.config.crm.tls.insecure_skip_verify);
  EXPECT_EQ(loaded.config.crm.auth.token.env, "LEADSYNC_CRM_TOKEN");
}

TEST(LoadTest, MaxParallelAcceptsAutoAndRejectsOtherWords) {
  const auto automatic = load_config_text("[push]\nmax_parallel = \"auto\"\n", "leadsync.toml");
  EXPECT_TRUE(automatic.problems.empty());
  EXPECT_EQ(automatic.config.push.max_parallel, 0);

  const auto word = load_config_text("[push]\nmax_parallel = \"many\"\n", "leadsync.toml");
  ASSERT_EQ(word.problems.size(), 1U);
  EXPECT_EQ(word.problems[0].message, "must be \"auto\" or an integer (got \"many\")");

  const auto fraction = load_config_text("[push]\nmax_parallel = 2.5\n", "leadsync.toml");
  ASSERT_EQ(fraction.problems.size(), 1U);
  EXPECT_EQ(fraction.problems[0].message,
            "expected \"auto\" or an integer, got a floating-point number");
}

TEST(LoadTest, NonStringListElementIsReportedWithItsPosition) {
  const auto loaded =
      load_config_text("[pull]\ncrm_owned_fields = [\n  \"owner\",\n  3,\n]\n", "leadsync.toml");
  ASSERT_EQ(loaded.problems.size(), 1U) << describe_all(loaded.problems);
  EXPECT_EQ(loaded.problems[0].key, "pull.crm_owned_fields");
  EXPECT_EQ(loaded.problems[0].line, 4);
  EXPECT_EQ(loaded.problems[0].message, "element 2: expected a string, got an integer");
  EXPECT_EQ(loaded.config.pull.crm_owned_fields, std::vector<std::string>{"owner"});
}

TEST(LoadTest, IntegerBeyondIntIsReported) {
  const auto loaded = load_config_text("[push]\nbatch_size = 99999999999\n", "leadsync.toml");
  ASSERT_EQ(loaded.problems.size(), 1U);
  EXPECT_TRUE(contains(loaded.problems[0].message, "out of range"));
  EXPECT_EQ(loaded.config.push.batch_size, 200);
}

TEST(LoadTest, RecordsTheLineOfEveryKeySeen) {
  const auto loaded = load_config_text(
      "# comment\n[crm]\nurl = \"http://127.0.0.1:1\"\n\n[crm.auth]\nmode = \"none\"\n",
      "leadsync.toml");
  EXPECT_EQ(loaded.key_lines.at("crm"), 2);
  EXPECT_EQ(loaded.key_lines.at("crm.url"), 3);
  EXPECT_EQ(loaded.key_lines.at("crm.auth"), 5);
  EXPECT_EQ(loaded.key_lines.at("crm.auth.mode"), 6);
  EXPECT_EQ(loaded.key_lines.count("push"), 0U);
}

TEST(LiteralSecretTest, ClientSecretIsRefusedWithTheWayToMoveItAndWithoutItsValue) {
  const std::string value = "Sv9-literal-VALUE";
  const auto problems =
      problems_in("[crm.auth]\nmode = \"none\"\nclient_secret = \"" + value + "\"\n");
  ASSERT_EQ(problems.size(), 1U) << describe_all(problems);
  EXPECT_EQ(problems[0].key, "crm.auth.client_secret");
  EXPECT_EQ(problems[0].line, 3);
  EXPECT_EQ(
      problems[0].message,
      "a secret may not be written in the config file. Put it in a file only leadsync can read "
      "(printf '%s' 'VALUE' > /etc/leadsync/client_secret && chmod 600 "
      "/etc/leadsync/client_secret) and set crm.auth.client_secret_file = "
      "\"/etc/leadsync/client_secret\", or export LEADSYNC_CLIENT_SECRET and set "
      "crm.auth.client_secret_env = \"LEADSYNC_CLIENT_SECRET\".");
  EXPECT_FALSE(contains(problems[0].describe(), value));
}

TEST(LiteralSecretTest, TokenIsRefusedPointingAtTokenFileAndEnv) {
  const auto problems = problems_in("[crm.auth]\nmode = \"none\"\ntoken = \"Tk3-literal\"\n");
  ASSERT_EQ(problems.size(), 1U) << describe_all(problems);
  EXPECT_EQ(problems[0].key, "crm.auth.token");
  EXPECT_TRUE(contains(problems[0].message, "crm.auth.token_file"));
  EXPECT_TRUE(contains(problems[0].message, "crm.auth.token_env"));
  EXPECT_FALSE(contains(problems[0].message, "Tk3-literal"));
}

TEST(LiteralSecretTest, WebhookKeyIsRefusedPointingAtWebhookKeyEnv) {
  const auto problems = problems_in(token_auth + "[server]\nwebhook_key = \"Wh1-literal\"\n");
  ASSERT_EQ(problems.size(), 1U) << describe_all(problems);
  EXPECT_EQ(problems[0].key, "server.webhook_key");
  EXPECT_TRUE(contains(problems[0].message, "server.webhook_key_env = \"LEADSYNC_WEBHOOK_KEY\""));
  EXPECT_FALSE(contains(problems[0].message, "Wh1-literal"));
}

TEST(LiteralSecretTest, SecretKeysAreRefusedInAnySectionAndAtTheTop) {
  const auto problems = problems_in("api_key = \"Ak1\"\n" + token_auth +
                                    "[push]\npassword = \"Pw1\"\n[log]\nsecret = 5\n");
  ASSERT_EQ(problems.size(), 3U) << describe_all(problems);
  EXPECT_EQ(problems[0].key, "api_key");
  EXPECT_EQ(problems[1].key, "push.password");
  EXPECT_EQ(problems[2].key, "log.secret");
  for (const auto& problem : problems) {
    EXPECT_TRUE(contains(problem.message, "a secret may not be written in the config file"));
    EXPECT_FALSE(contains(problem.message, "Ak1") || contains(problem.message, "Pw1"));
  }
}

TEST(LiteralSecretTest, PostgresUrlWithPasswordIsRefusedWithoutEchoingIt) {
  const auto problems =
      problems_in(token_auth + "[store]\nurl = \"postgresql://leadsync:Pg7-hunter@db/leads\"\n");
  ASSERT_EQ(problems.size(), 1U) << describe_all(problems);
  EXPECT_EQ(problems[0].key, "store.url");
  EXPECT_TRUE(contains(problems[0].message, "~/.pgpass"));
  EXPECT_TRUE(contains(problems[0].message, "PGPASSFILE"));
  EXPECT_FALSE(contains(problems[0].describe(), "Pg7-hunter"));
}

TEST(LiteralSecretTest, PostgresPasswordParameterIsRefused) {
  const auto problems = problems_in(
      token_auth +
      "[store]\nurl = \"postgresql://leadsync@db/leads?sslmode=require&password=Pg8\"\n");
  ASSERT_EQ(problems.size(), 1U) << describe_all(problems);
  EXPECT_EQ(problems[0].key, "store.url");
}

TEST(LiteralSecretTest, PostgresUrlWithoutPasswordIsAccepted) {
  EXPECT_TRUE(
      problems_in(token_auth + "[store]\nurl = \"postgresql://leadsync@db:5432/leads\"\n").empty());
}

struct RuleCase {
  std::string toml;         // a config fragment; [crm.auth] with a token is added unless it has one
  std::string key;          // the single problem's key
  std::string message_part; // something its message must say
};

// NOLINTNEXTLINE(readability-identifier-naming): the name GoogleTest looks for
void PrintTo(const RuleCase& c, std::ostream* os) {
  *os << c.toml;
}

std::string with_auth(const std::string& toml) {
  return contains(toml, "[crm.auth]") ? toml : token_auth + toml;
}

class SemanticRuleTest : public testing::TestWithParam<RuleCase> {};

TEST_P(SemanticRuleTest, ReportsOneProblemForTheKey) {
  const auto problems = problems_in(with_auth(GetParam().toml));
  ASSERT_EQ(problems.size(), 1U) << describe_all(problems);
  EXPECT_EQ(problems[0].key, GetParam().key);
  EXPECT_TRUE(contains(problems[0].message, GetParam().message_part)) << problems[0].message;
}

const std::string credentials = "[crm.auth]\nmode = \"client_credentials\"\n";
const std::string tenant = "tenant = \"contoso.onmicrosoft.com\"\n";
const std::string client_id = "client_id = \"1b4e28ba-2fa1-4d2b-883f-0016d3cca427\"\n";
const std::string secret_env = "client_secret_env = \"LEADSYNC_CLIENT_SECRET\"\n";

INSTANTIATE_TEST_SUITE_P(
    Crm, SemanticRuleTest,
    testing::Values(
        RuleCase{"[crm]\nurl = \"ftp://org.example.com\"\n", "crm.url",
                 "must be an http(s) URL with a host"},
        RuleCase{"[crm]\nurl = \"https://\"\n", "crm.url", "must be an http(s) URL with a host"},
        RuleCase{"[crm]\nurl = \"http://org.crm.dynamics.com\"\n", "crm.url",
                 "must use https: plain http is allowed only to a loopback address"},
        RuleCase{"[crm]\nurl = \"http://10.0.0.5:8765\"\n", "crm.url", "must use https"},
        RuleCase{"[crm]\nurl = \"https://org.crm.dynamics.com/api/data/v9.2\"\n", "crm.url",
                 "without a path"},
        RuleCase{"[crm]\nurl = \"https://me:pw@org.crm.dynamics.com\"\n", "crm.url",
                 "must not contain a user name or password"},
        RuleCase{"[crm]\napi_version = \"v9\"\n", "crm.api_version",
                 "must be a Web API version like \"9.2\" (got \"v9\")"},
        RuleCase{"[crm]\nalternate_key = \"9key\"\n", "crm.alternate_key", "logical name"},
        RuleCase{"[crm]\ncustom_prefix = \"leadsync\"\n", "crm.custom_prefix", "ends with _"},
        RuleCase{"[crm]\ntimeout_s = 0\n", "crm.timeout_s",
                 "must be between 1 and 600 seconds (got 0)"},
        RuleCase{"[crm]\ntimeout_s = 601\n", "crm.timeout_s", "(got 601)"},
        RuleCase{"[crm.tls]\nca_file = \"/nonexistent/leadsync-ca.pem\"\n", "crm.tls.ca_file",
                 "the CA bundle /nonexistent/leadsync-ca.pem does not exist"}));

INSTANTIATE_TEST_SUITE_P(
    Auth, SemanticRuleTest,
    testing::Values(
        RuleCase{"[crm.auth]\nmode = \"oauth\"\n", "crm.auth.mode",
                 "must be one of client_credentials, static_token, none (got \"oauth\")"},
        RuleCase{"[crm.auth]\nmode = \"static_token\"\n", "crm.auth.token_file",
                 "crm.auth.mode = \"static_token\" needs the token"},
        RuleCase{"[crm.auth]\ntoken_file = \"/etc/t\"\ntoken_env = \"T\"\n", "crm.auth.token_env",
                 "set only one of crm.auth.token_file or crm.auth.token_env"},
        RuleCase{credentials + client_id + secret_env, "crm.auth.tenant", "is required"},
        RuleCase{credentials + tenant + secret_env, "crm.auth.client_id", "is required"},
        RuleCase{credentials + tenant + "client_id = \"leadsync-app\"\n" + secret_env,
                 "crm.auth.client_id", "a GUID"},
        RuleCase{credentials + tenant + client_id, "crm.auth.client_secret_file",
                 "needs the client secret"},
        RuleCase{credentials + tenant + client_id + secret_env + "client_secret_file = \"/s\"\n",
                 "crm.auth.client_secret_env", "set only one of"},
        RuleCase{token_auth + "authority = \"http://login.example.com\"\n", "crm.auth.authority",
                 "must use https"},
        RuleCase{"[crm.auth]\ntoken_env = \"abc def-1\"\n", "crm.auth.token_env",
                 "must be the name of an environment variable"}));

INSTANTIATE_TEST_SUITE_P(
    StoreAndPush, SemanticRuleTest,
    testing::Values(
        RuleCase{"[store]\nurl = \"mysql://u@h/db\"\n", "store.url", "(got scheme \"mysql\")"},
        RuleCase{"[store]\nurl = \"state.db\"\n", "store.url", "(got no scheme)"},
        RuleCase{"[store]\nurl = \"sqlite://\"\n", "store.url", "needs a file after sqlite://"},
        RuleCase{"[push]\nmode = \"bulkk\"\n", "push.mode",
                 "must be one of bulk, batch, single (got \"bulkk\")"},
        RuleCase{"[push]\nbatch_size = 1001\n", "push.batch_size",
                 "must be between 1 and 1000 (got 1001)"},
        RuleCase{"[push]\nbatch_size = 0\n", "push.batch_size", "(got 0)"},
        RuleCase{"[push]\nmax_parallel = 53\n", "push.max_parallel",
                 "must be \"auto\" or between 1 and 52 (got 53)"}));

INSTANTIATE_TEST_SUITE_P(
    ImportScheduleServerLog, SemanticRuleTest,
    testing::Values(
        RuleCase{"[import]\ndefault_region = \"us\"\n", "import.default_region",
                 "two-letter ISO 3166 region code in upper case"},
        RuleCase{"[import]\ndefault_region = \"USA\"\n", "import.default_region", "(got \"USA\")"},
        RuleCase{"[import]\nunmapped_columns = \"keep\"\n", "import.unmapped_columns",
                 "must be one of description, custom, drop (got \"keep\")"},
        RuleCase{"[schedule]\npull = \"*/5 * * *\"\n", "schedule.pull", "5-field cron expression"},
        RuleCase{"[schedule]\npush = \"* * * * * *\"\n", "schedule.push", "(got \"* * * * * *\")"},
        RuleCase{"[schedule]\nqualify = \"61 * * * *\"\n", "schedule.qualify", "5-field cron"},
        RuleCase{"[schedule]\nqualify = \"0 9-5 * * *\"\n", "schedule.qualify", "5-field cron"},
        RuleCase{"[schedule]\nqualify = \"*/0 * * * *\"\n", "schedule.qualify", "5-field cron"},
        RuleCase{"[schedule]\nqualify = \"0 0 * * funday\"\n", "schedule.qualify", "5-field"},
        RuleCase{"[schedule]\nenrich = \"@every 30d\"\n", "schedule.enrich", "@every <n>s"},
        RuleCase{"[schedule]\nenrich = \"@every 0s\"\n", "schedule.enrich", "@every <n>s"},
        RuleCase{"[schedule]\nenrich = \"@daily\"\n", "schedule.enrich", "@every <n>s"},
        RuleCase{"[server]\nlisten = \"127.0.0.1\"\n", "server.listen",
                 "must be HOST:PORT with a port from 0 to 65535"},
        RuleCase{"[server]\nlisten = \"127.0.0.1:70000\"\n", "server.listen", "70000"},
        RuleCase{"[server]\nlisten = \":8080\"\n", "server.listen", "HOST:PORT"},
        RuleCase{"[server]\nwebhook_key_env = \"my key\"\n", "server.webhook_key_env",
                 "not the secret itself"},
        RuleCase{"[log]\nlevel = \"verbose\"\n", "log.level",
                 "must be one of trace, debug, info, warn, error, off (got \"verbose\")"},
        RuleCase{"[log]\nformat = \"xml\"\n", "log.format",
                 "must be one of text, json (got \"xml\")"}));

class AcceptedConfigTest : public testing::TestWithParam<std::string> {};

TEST_P(AcceptedConfigTest, HasNoProblems) {
  const auto problems = problems_in(with_auth(GetParam()));
  EXPECT_TRUE(problems.empty()) << describe_all(problems);
}

INSTANTIATE_TEST_SUITE_P(
    Values, AcceptedConfigTest,
    testing::Values(
        "[crm]\nurl = \"http://localhost:8765\"\n", "[crm]\nurl = \"http://127.0.0.2:9000\"\n",
        "[crm]\nurl = \"http://[::1]:8765\"\n", "[crm]\nurl = \"https://org.crm4.dynamics.com/\"\n",
        "[crm.auth]\ntoken_file = \"/etc/leadsync/crm_token\"\n", "[crm.auth]\nmode = \"none\"\n",
        credentials + tenant + client_id + "client_secret_file = \"/etc/leadsync/client_secret\"\n",
        "[crm.tls]\ninsecure_skip_verify = true\n", "[store]\nurl = \"sqlite::memory:\"\n",
        "[store]\nurl = \"sqlite:///var/lib/leadsync/state.db\"\n",
        "[push]\nmode = \"single\"\nbatch_size = 1000\nmax_parallel = 52\n",
        "[push]\nmode = \"batch\"\nbatch_size = 1\nmax_parallel = \"auto\"\n",
        "[schedule]\npull = \"0 9-17 * * mon-fri\"\npush = \"*/15 0,12 1 jan,jul *\"\n"
        "enrich = \"@every 5m\"\nqualify = \"0 0 * * 7\"\n",
        "[schedule]\npull = \"\"\nenrich = \"@every 1h\"\n", "[server]\nlisten = \"[::1]:0\"\n",
        "[server]\nlisten = \"0.0.0.0:65535\"\n",
        "[import]\ndefault_region = \"DE\"\nunmapped_columns = \"drop\"\n",
        "[log]\nlevel = \"off\"\nformat = \"json\"\nredact_pii = false\n"));

TEST(ValidateTest, MissingKeyHasLineZeroAndItsDescriptionOmitsTheLine) {
  const auto problems = problems_in(credentials + client_id + secret_env);
  ASSERT_EQ(problems.size(), 1U) << describe_all(problems);
  EXPECT_EQ(problems[0].key, "crm.auth.tenant");
  EXPECT_EQ(problems[0].line, 0);
  EXPECT_EQ(problems[0].describe().rfind("leadsync.toml: crm.auth.tenant: is required", 0), 0U)
      << problems[0].describe();
}

TEST(ValidateTest, SemanticProblemCarriesTheLineOfItsKey) {
  const auto problems = problems_in(token_auth + "[push]\n\nbatch_size = 5000\n");
  ASSERT_EQ(problems.size(), 1U) << describe_all(problems);
  EXPECT_EQ(problems[0].line, 5);
  EXPECT_EQ(problems[0].describe(),
            "leadsync.toml:5: push.batch_size: must be between 1 and 1000 (got 5000)");
}

TEST(ProblemTest, DescribeOmitsLineWhenZeroAndKeyWhenEmpty) {
  EXPECT_EQ((Problem{"push.mode", 12, "bad", "leadsync.toml"}.describe()),
            "leadsync.toml:12: push.mode: bad");
  EXPECT_EQ((Problem{"push.mode", 0, "bad", "leadsync.toml"}.describe()),
            "leadsync.toml: push.mode: bad");
  EXPECT_EQ((Problem{"", 3, "syntax error", "/etc/leadsync.toml"}.describe()),
            "/etc/leadsync.toml:3: syntax error");
  EXPECT_EQ((Problem{"", 3, "syntax error", ""}.describe()), "line 3: syntax error");
}

class ConfigFileTest : public testing::Test {
protected:
  void SetUp() override {
    const auto* test = testing::UnitTest::GetInstance()->current_test_info();
    dir_ = fs::path(testing::TempDir()) / (std::string("leadsync-config-") + test->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  fs::path write(const std::string& name, const std::string& content) {
    auto path = dir_ / name;
    std::ofstream(path) << content;
    return path;
  }

  fs::path dir_;
};

TEST_F(ConfigFileTest, MissingFileFailsNamingThePathAndLeadsyncInit) {
  const auto path = dir_ / "absent.toml";
  const auto loaded = load_config(path);
  ASSERT_FALSE(loaded.ok());
  EXPECT_EQ(loaded.error().category, ErrorCategory::config);
  EXPECT_TRUE(contains(loaded.error().message, path.string()));
  EXPECT_TRUE(contains(loaded.error().message, "leadsync init"));
}

TEST_F(ConfigFileTest, FolderInsteadOfFileFails) {
  const auto loaded = load_config(dir_);
  ASSERT_FALSE(loaded.ok());
  EXPECT_TRUE(contains(loaded.error().message, "it is a folder")) << loaded.error().message;
}

TEST_F(ConfigFileTest, LoadsAFileAndResolvesPathsAgainstItsFolder) {
  write("ca.pem", "-----BEGIN CERTIFICATE-----\n");
  const auto path = write("leadsync.toml", token_auth + "[crm.tls]\nca_file = \"ca.pem\"\n");
  const auto loaded = load_config(path);
  ASSERT_TRUE(loaded.ok()) << loaded.error().describe();
  EXPECT_EQ(loaded->config.source_file, path);
  EXPECT_EQ(loaded->config.base_dir, dir_);
  EXPECT_EQ(resolve_path(loaded->config, "ca.pem"), dir_ / "ca.pem");
  EXPECT_EQ(resolve_path(loaded->config, "/etc/ssl/ca.pem"), fs::path("/etc/ssl/ca.pem"));
  EXPECT_TRUE(validate(*loaded).empty()) << describe_all(validate(*loaded));
}

TEST_F(ConfigFileTest, ProblemsNameTheFile) {
  const auto path = write("leadsync.toml", token_auth + "[push]\nmode = \"fast\"\n");
  const auto loaded = load_config(path);
  ASSERT_TRUE(loaded.ok());
  const auto problems = validate(*loaded);
  ASSERT_EQ(problems.size(), 1U);
  EXPECT_EQ(problems[0].describe().rfind(path.string() + ":4: push.mode: ", 0), 0U)
      << problems[0].describe();
}

} // namespace
} // namespace leadsync::config
