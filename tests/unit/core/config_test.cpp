#include "leadsync/core/bounded_read.hpp"
#include "leadsync/core/config.hpp"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <gtest/gtest.h>
#include <map>
#include <string>
#include <sys/stat.h>
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
  EXPECT_EQ(config.crm.auth.mode, AuthMode::static_token);
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
                                         "write_predictive_score",
                                         "reactivate_when_hot",
                                         "pull",
                                         "push",
                                         "enrich",
                                         "qualify",
                                         "import_watch",
                                         "timezone",
                                         "import_watch_settle_s",
                                         "listen",
                                         "webhook_auth",
                                         "webhook_header",
                                         "webhook_key_env",
                                         "webhook_key_file",
                                         "body_limit_kb",
                                         "shutdown_grace_s",
                                         "webhook_lease_s",
                                         "webhook_max_attempts",
                                         "level",
                                         "format",
                                         "redact_pii",
                                         "wanted_fields",
                                         "min_confidence",
                                         "pay_on_match_first",
                                         "consent_blocking_flags",
                                         "require_lawful_basis",
                                         "blocked_regions",
                                         "pending_retry_s",
                                         "name",
                                         "kind",
                                         "api_key_file",
                                         "api_key_env",
                                         "rate_limit_per_min",
                                         "daily_quota",
                                         "monthly_quota",
                                         "charges",
                                         "credit_budget_per_run",
                                         "credit_budget_per_day",
                                         "cache_ttl_days",
                                         "groups",
                                         "batch_size",
                                         "folder",
                                         "spec"};
  for (const auto& key : keys) {
    EXPECT_TRUE(contains(text, "\n" + key + " = ") || contains(text, "\n# " + key + " = "))
        << key << " is not in the template";
  }
  EXPECT_TRUE(contains(text, "https://<org>.crm.dynamics.com"));
  EXPECT_TRUE(contains(text, "mode = \"client_credentials\""));
}

TEST(DefaultConfigTest, EnrichesWithTheLocalPdlEmulatorAndAFeedFolder) {
  const auto loaded = load_config_text(default_config_text(), "leadsync.toml");
  const EnrichOptions& enrich = loaded.config.enrich;
  EXPECT_TRUE(enrich.wanted_fields.empty());
  EXPECT_DOUBLE_EQ(enrich.min_confidence, 0.5);
  EXPECT_TRUE(enrich.pay_on_match_first);
  EXPECT_TRUE(enrich.merge.empty());
  EXPECT_EQ(enrich.consent_blocking_flags,
            (std::vector<std::string>{"do_not_email", "do_not_phone"}));
  EXPECT_FALSE(enrich.require_lawful_basis);
  EXPECT_TRUE(enrich.blocked_regions.empty());
  EXPECT_EQ(enrich.pending_retry_s, 30);
  ASSERT_EQ(enrich.providers.size(), 2U);

  const EnrichProviderOptions& pdl = enrich.providers[0];
  const EnrichProviderOptions expected_pdl{.name = "pdl",
                                           .kind = "pdl",
                                           .url = "http://127.0.0.1:8766",
                                           .api_key = {.file = "", .env = "LEADSYNC_PDL_API_KEY"},
                                           .rate_limit_per_min = 600,
                                           .daily_quota = 10000,
                                           .monthly_quota = 0,
                                           .charges = "match",
                                           .credit_budget_per_run = 1000,
                                           .credit_budget_per_day = 5000,
                                           .cache_ttl_days = 30,
                                           .min_confidence = 0.6,
                                           .groups = {},
                                           .timeout_s = 30,
                                           .batch_size = 0,
                                           .folder = "",
                                           .spec = ""};
  EXPECT_EQ(pdl.name, expected_pdl.name);
  EXPECT_EQ(pdl.kind, expected_pdl.kind);
  EXPECT_EQ(pdl.url, expected_pdl.url);
  EXPECT_EQ(pdl.api_key.env, expected_pdl.api_key.env);
  EXPECT_EQ(pdl.api_key.file, expected_pdl.api_key.file);
  EXPECT_DOUBLE_EQ(pdl.rate_limit_per_min, expected_pdl.rate_limit_per_min);
  EXPECT_EQ(pdl.daily_quota, expected_pdl.daily_quota);
  EXPECT_EQ(pdl.monthly_quota, expected_pdl.monthly_quota);
  EXPECT_EQ(pdl.charges, expected_pdl.charges);
  EXPECT_EQ(pdl.credit_budget_per_run, expected_pdl.credit_budget_per_run);
  EXPECT_EQ(pdl.credit_budget_per_day, expected_pdl.credit_budget_per_day);
  EXPECT_EQ(pdl.cache_ttl_days, expected_pdl.cache_ttl_days);
  EXPECT_DOUBLE_EQ(pdl.min_confidence, expected_pdl.min_confidence);
  EXPECT_EQ(pdl.groups, expected_pdl.groups);
  EXPECT_EQ(pdl.timeout_s, expected_pdl.timeout_s);
  EXPECT_EQ(pdl.batch_size, expected_pdl.batch_size);
  EXPECT_EQ(pdl.folder, expected_pdl.folder);
  EXPECT_EQ(pdl.spec, expected_pdl.spec);

  const EnrichProviderOptions& feeds = enrich.providers[1];
  EXPECT_EQ(feeds.name, "feeds");
  EXPECT_EQ(feeds.kind, "file_feed");
  EXPECT_EQ(feeds.folder, "feeds");
  EXPECT_TRUE(feeds.url.empty());
  EXPECT_TRUE(feeds.api_key.empty());
  EXPECT_EQ(resolve_path(loaded.config, feeds.folder), fs::path("feeds"));
}

TEST(DefaultConfigTest, ShowsClearbitAndAnHttpJsonSocialProviderCommentedOut) {
  const std::string text = default_config_text();
  EXPECT_TRUE(contains(text, "\n# kind = \"clearbit\"\n"));
  EXPECT_TRUE(contains(text, "\n# kind = \"http_json\"\n"));
  EXPECT_TRUE(contains(text, "\n# spec = \"mappings/social-github.toml\"\n"));
  EXPECT_TRUE(contains(text, "\n# groups = [\"social\"]\n"));
  EXPECT_TRUE(contains(text, "\n[enrich.merge]\n"));
}

TEST(DefaultConfigTest, CommentedOutProvidersLoadAndValidateWhenUncommented) {
  std::string text = default_config_text();
  for (const std::string line :
       {"[[enrich.provider]]", "name = \"clearbit\"", "kind = \"clearbit\"",
        "url = \"http://127.0.0.1:8766\"", "api_key_env = \"LEADSYNC_CLEARBIT_API_KEY\"",
        "rate_limit_per_min = 600", "monthly_quota = 2500", "credit_budget_per_day = 500",
        "groups = [\"person\", \"company\"]", "name = \"social-github\"", "kind = \"http_json\"",
        "url = \"https://api.github.com\"", "api_key_env = \"LEADSYNC_GITHUB_TOKEN\"",
        "spec = \"mappings/social-github.toml\"", "groups = [\"social\"]", "charges = \"request\"",
        "rate_limit_per_min = 60", "\"person.job_title\" = \"overwrite_if_more_confident\"",
        "\"company.industry\" = \"never\""}) {
    for (auto at = text.find("\n# " + line + "\n"); at != std::string::npos;
         at = text.find("\n# " + line + "\n")) {
      text.erase(at + 1, 2);
    }
  }
  const auto loaded = load_config_text(text, "leadsync.toml");
  const auto problems = validate(loaded);
  EXPECT_TRUE(problems.empty()) << describe_all(problems);
  const auto& providers = loaded.config.enrich.providers;
  ASSERT_EQ(providers.size(), 4U);
  EXPECT_EQ(providers[2].name, "clearbit");
  EXPECT_EQ(providers[2].charges, "request");
  EXPECT_EQ(providers[3].name, "social-github");
  EXPECT_EQ(providers[3].spec, "mappings/social-github.toml");
  EXPECT_EQ(loaded.config.enrich.merge.at("company.industry"), "never");
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
  EXPECT_EQ(loaded.config.push.mode, PushMode::single);
  EXPECT_EQ(loaded.config.push.batch_size, 5);
  EXPECT_EQ(loaded.config.push.max_parallel, 8);
  EXPECT_EQ(loaded.config.pull.crm_owned_fields, (std::vector<std::string>{"owner", "stage"}));
  EXPECT_TRUE(loaded.config.crm.tls.insecure_skip_verify);
  EXPECT_EQ(loaded.config.crm.auth.token.env, "LEADSYNC_CRM_TOKEN");
}

TEST(LoadTest, QualifyFlagsDefaultToFalseAndLoadWhenSet) {
  const auto defaults = load_config_text(default_config_text(), "leadsync.toml").config;
  EXPECT_FALSE(defaults.qualify.write_predictive_score);
  EXPECT_FALSE(defaults.qualify.reactivate_when_hot);
  EXPECT_FALSE(Config{}.qualify.write_predictive_score);
  EXPECT_FALSE(Config{}.qualify.reactivate_when_hot);

  const auto loaded = load_config_text(
      token_auth + "[qualify]\nwrite_predictive_score = true\nreactivate_when_hot = true\n",
      "leadsync.toml");
  EXPECT_TRUE(loaded.problems.empty()) << describe_all(loaded.problems);
  EXPECT_TRUE(loaded.config.qualify.write_predictive_score);
  EXPECT_TRUE(loaded.config.qualify.reactivate_when_hot);
  EXPECT_EQ(loaded.config.qualify.rules, "mappings/scoring.toml");

  const auto problems = problems_in(token_auth + "[qualify]\nwrite_predictive_score = \"yes\"\n");
  ASSERT_EQ(problems.size(), 1U) << describe_all(problems);
  EXPECT_EQ(problems[0].key, "qualify.write_predictive_score");
  EXPECT_EQ(problems[0].message, "expected a boolean (true or false), got a string");
}

// Issue 18: a huge value is refused with a short excerpt of it, not repeated whole.
TEST(LoadTest, AHugeValueIsQuotedAsAShortExcerptInEveryProblem) {
  const std::string huge(5u << 20, 'v');
  std::string text = "[crm]\nurl = \"" + huge + "\"\napi_version = \"" + huge +
                     "\"\nalternate_key = \"" + huge + "\"\n[crm.tls]\nca_file = \"" + huge +
                     "\"\n[push]\nmode = \"" + huge + "\"\nmax_parallel = \"" + huge +
                     "\"\n[import]\ndefault_region = \"" + huge + "\"\n[log]\nlevel = \"" + huge +
                     "\"\n[[enrich.provider]]\nname = \"" + huge + "\"\nkind = \"" + huge + "\"\n";
  const auto loaded = load_config_text(text, "leadsync.toml");
  const auto problems = validate(loaded);
  ASSERT_GE(problems.size(), 9U) << describe_all(problems).substr(0, 2000);
  for (const auto& problem : problems) {
    EXPECT_LT(problem.describe().size(), 600U) << problem.describe().substr(0, 800);
  }
  const auto api_version = std::find_if(problems.begin(), problems.end(), [](const Problem& p) {
    return p.key == "crm.api_version";
  });
  ASSERT_NE(api_version, problems.end());
  EXPECT_TRUE(contains(api_version->message, "(got \"" + std::string(40, 'v') + "...\" (" +
                                                 std::to_string(huge.size()) + " bytes))"))
      << api_version->message.substr(0, 600);
}

// Issue 18: a huge unknown key is reported at once (no suggestion is searched for it) and as an
// excerpt.
TEST(LoadTest, AHugeUnknownKeyIsReportedAsAShortExcerpt) {
  const std::string huge(3u << 20, 'k');
  const auto loaded = load_config_text(
      "[crm]\n" + huge + " = 1\n" + huge + "x = 2\n[" + huge + "]\n", "leadsync.toml");
  ASSERT_EQ(loaded.problems.size(), 3U) << describe_all(loaded.problems).substr(0, 2000);
  for (const auto& problem : loaded.problems) {
    EXPECT_LT(problem.describe().size(), 600U) << problem.describe().substr(0, 800);
    EXPECT_TRUE(contains(problem.message, "(" + std::to_string(huge.size())) ||
                contains(problem.message, "(" + std::to_string(huge.size() + 1)))
        << problem.message.substr(0, 800);
  }
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
        RuleCase{"[schedule]\npull = \"*/5 * * *\"\n", "schedule.pull",
                 "expected 5 fields (minute hour day-of-month month day-of-week) or @every "
                 "<duration>, got 4"},
        RuleCase{"[schedule]\npush = \"* * * * * *\"\n", "schedule.push", "got 6"},
        RuleCase{"[schedule]\nqualify = \"61 * * * *\"\n", "schedule.qualify",
                 "field 1 (minute): 61 is out of range 0-59"},
        RuleCase{"[schedule]\nqualify = \"0 9-5 * * *\"\n", "schedule.qualify",
                 "field 2 (hour): range \"9-5\" starts after it ends"},
        RuleCase{"[schedule]\nqualify = \"*/0 * * * *\"\n", "schedule.qualify",
                 "field 1 (minute): step 0 in \"*/0\" is out of range 1-59"},
        RuleCase{"[schedule]\nqualify = \"0 0 * * funday\"\n", "schedule.qualify",
                 "field 5 (day-of-week): \"funday\" is not 0-7 (0 and 7 are Sunday) or SUN-SAT"},
        RuleCase{"[schedule]\nqualify = \"0 0 31 2 *\"\n", "schedule.qualify",
                 "\"0 0 31 2 *\" never fires"},
        RuleCase{"[schedule]\nenrich = \"@every 30d\"\n", "schedule.enrich",
                 "@every: duration \"30d\" has unknown unit \"d\""},
        RuleCase{"[schedule]\nenrich = \"@every 0s\"\n", "schedule.enrich",
                 "@every: duration \"0s\" must be at least 1s"},
        RuleCase{"[schedule]\nenrich = \"@every 25h\"\n", "schedule.enrich",
                 "is longer than the maximum 24h"},
        RuleCase{"[schedule]\npull = \"@reboot\"\n", "schedule.pull", "unknown \"@reboot\""},
        RuleCase{"[server]\nlisten = \"127.0.0.1\"\n", "server.listen",
                 "must be HOST:PORT with a port from 0 to 65535"},
        RuleCase{"[server]\nlisten = \"127.0.0.1:70000\"\n", "server.listen", "70000"},
        RuleCase{"[server]\nlisten = \":8080\"\n", "server.listen", "HOST:PORT"},
        RuleCase{"[server]\nwebhook_key_env = \"my key\"\n", "server.webhook_key_env",
                 "not the secret itself"},
        RuleCase{"[schedule]\ntimezone = \"Europe/Berlln\"\n", "schedule.timezone",
                 "unknown time zone \"Europe/Berlln\"; use \"UTC\" or an IANA time zone name like "
                 "\"Europe/Berlin\""},
        RuleCase{"[schedule]\ntimezone = \"GMT+1\"\n", "schedule.timezone", "unknown time zone"},
        RuleCase{"[schedule]\ntimezone = \"\"\n", "schedule.timezone", "unknown time zone"},
        RuleCase{"[schedule]\ntimezone = \"Europe/Berlin\"\nqualify = \"0 0 30 2 *\"\n",
                 "schedule.qualify", "\"0 0 30 2 *\" never fires"},
        RuleCase{"[schedule]\nimport_watch_settle_s = 0\n", "schedule.import_watch_settle_s",
                 "must be between 1 and 3600 seconds (got 0)"},
        RuleCase{"[server]\nwebhook_auth = \"query\"\n", "server.webhook_auth",
                 "must be one of key, header (got \"query\")"},
        RuleCase{"[server]\nwebhook_header = \"x leadsync key\"\n", "server.webhook_header",
                 "must be an HTTP header name"},
        RuleCase{"[server]\nwebhook_header = \"\"\n", "server.webhook_header",
                 "must be an HTTP header name"},
        RuleCase{"[server]\nwebhook_header = \"x-key:\"\n", "server.webhook_header", "(got "},
        RuleCase{"[server]\nbody_limit_kb = 0\n", "server.body_limit_kb",
                 "must be between 1 and 65536 KB (got 0)"},
        RuleCase{"[server]\nshutdown_grace_s = 0\n", "server.shutdown_grace_s",
                 "must be between 1 and 3600 seconds"},
        RuleCase{"[server]\nwebhook_lease_s = -5\n", "server.webhook_lease_s",
                 "must be between 1 and 86400 seconds (got -5)"},
        RuleCase{"[server]\nwebhook_max_attempts = 0\n", "server.webhook_max_attempts",
                 "must be between 1 and 100 (got 0)"},
        RuleCase{"[server]\nwebhook_max_attempts = \"5\"\n", "server.webhook_max_attempts",
                 "integer"},
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
        "[schedule]\npull = \"\"\nenrich = \"@every 1h\"\n",
        "[schedule]\npull = \"@daily\"\npush = \"@every 1h30m10s\"\nenrich = \"\"\n"
        "qualify = \"0 0 29 2 *\"\n",
        "[schedule]\npull = \"0 0 13 * FRI\"\npush = \"@HOURLY\"\nqualify = \"0 0 * * 5-7\"\n",
        "[server]\nlisten = \"[::1]:0\"\n", "[server]\nlisten = \"0.0.0.0:65535\"\n",
        "[schedule]\ntimezone = \"Europe/Berlin\"\npull = \"30 2 * * *\"\n"
        "import_watch = \"/srv/leadsync/inbox\"\nimport_watch_settle_s = 3600\n",
        "[schedule]\ntimezone = \"America/New_York\"\n",
        "[server]\nwebhook_auth = \"header\"\nwebhook_header = \"X-Dataverse-Key\"\n"
        "webhook_key_file = \"/etc/leadsync/webhook_key\"\nwebhook_key_env = \"\"\n"
        "body_limit_kb = 256\nshutdown_grace_s = 90\nwebhook_lease_s = 300\n"
        "webhook_max_attempts = 1\n",
        "[import]\ndefault_region = \"DE\"\nunmapped_columns = \"drop\"\n",
        "[log]\nlevel = \"off\"\nformat = \"json\"\nredact_pii = false\n"));

// Each enum-like setting: every word parses to its value and prints back as the same word; an
// unknown word is a config error whose message lists the words, as validate() reports it.
template <class Enum>
void expect_words(Result<Enum> (*parse)(std::string_view),
                  const std::vector<std::pair<std::string_view, Enum>>& words,
                  const std::string& message_for_bad) {
  for (const auto& [word, value] : words) {
    const auto parsed = parse(word);
    ASSERT_TRUE(parsed.ok()) << word;
    EXPECT_EQ(parsed.value(), value) << word;
    EXPECT_EQ(to_string(value), word);
  }
  const auto bad = parse("Bogus");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().category, ErrorCategory::config);
  EXPECT_EQ(bad.error().message, message_for_bad);
}

TEST(SettingWordsTest, AuthModeHasThreeWords) {
  expect_words<AuthMode>(parse_auth_mode,
                         {{"client_credentials", AuthMode::client_credentials},
                          {"static_token", AuthMode::static_token},
                          {"none", AuthMode::none}},
                         "must be one of client_credentials, static_token, none (got \"Bogus\")");
}

TEST(SettingWordsTest, PushModeHasThreeWords) {
  expect_words<PushMode>(
      parse_push_mode,
      {{"bulk", PushMode::bulk}, {"batch", PushMode::batch}, {"single", PushMode::single}},
      "must be one of bulk, batch, single (got \"Bogus\")");
}

TEST(SettingWordsTest, UnmappedColumnsHasThreeWords) {
  expect_words<UnmappedColumns>(parse_unmapped_columns,
                                {{"description", UnmappedColumns::description},
                                 {"custom", UnmappedColumns::custom},
                                 {"drop", UnmappedColumns::drop}},
                                "must be one of description, custom, drop (got \"Bogus\")");
}

TEST(SettingWordsTest, LogLevelHasSixWords) {
  expect_words<LogLevel>(parse_log_level,
                         {{"trace", LogLevel::trace},
                          {"debug", LogLevel::debug},
                          {"info", LogLevel::info},
                          {"warn", LogLevel::warn},
                          {"error", LogLevel::error},
                          {"off", LogLevel::off}},
                         "must be one of trace, debug, info, warn, error, off (got \"Bogus\")");
}

TEST(SettingWordsTest, LogFormatAndWebhookAuthHaveTwoWordsEach) {
  expect_words<LogFormat>(parse_log_format, {{"text", LogFormat::text}, {"json", LogFormat::json}},
                          "must be one of text, json (got \"Bogus\")");
  expect_words<WebhookAuth>(parse_webhook_auth,
                            {{"key", WebhookAuth::key}, {"header", WebhookAuth::header}},
                            "must be one of key, header (got \"Bogus\")");
}

TEST(SettingWordsTest, WordsAreCaseSensitiveAndAHugeOneIsQuotedAsAnExcerpt) {
  EXPECT_FALSE(parse_push_mode("BULK").ok());
  EXPECT_FALSE(parse_log_level("INFO").ok());
  const std::string huge(1000, 'x');
  const auto bad = parse_push_mode(huge);
  ASSERT_FALSE(bad.ok());
  EXPECT_LT(bad.error().message.size(), 150U) << bad.error().message;
}

TEST(SettingWordsTest, TheFileIsReadIntoTheEnums) {
  const auto loaded = load_config_text(
      "[crm.auth]\nmode = \"none\"\n[push]\nmode = \"batch\"\n[import]\nunmapped_columns = "
      "\"drop\"\n[server]\nwebhook_auth = \"header\"\n[log]\nlevel = \"debug\"\nformat = "
      "\"json\"\n",
      "leadsync.toml");
  ASSERT_TRUE(loaded.problems.empty()) << describe_all(loaded.problems);
  EXPECT_EQ(loaded.config.crm.auth.mode, AuthMode::none);
  EXPECT_EQ(loaded.config.push.mode, PushMode::batch);
  EXPECT_EQ(loaded.config.import.unmapped_columns, UnmappedColumns::drop);
  EXPECT_EQ(loaded.config.server.webhook_auth, WebhookAuth::header);
  EXPECT_EQ(loaded.config.log.level, LogLevel::debug);
  EXPECT_EQ(loaded.config.log.format, LogFormat::json);
}

TEST(SettingWordsTest, AnUnknownAuthModeIsTheOnlyProblemItsSection) {
  const auto problems = problems_in("[crm.auth]\nmode = \"kerberos\"\n");
  ASSERT_EQ(problems.size(), 1U) << describe_all(problems);
  EXPECT_EQ(problems[0].describe(),
            "leadsync.toml:2: crm.auth.mode: must be one of client_credentials, static_token, none "
            "(got \"kerberos\")");
}

TEST(SettingWordsTest, AWordOfTheWrongTypeIsAWrongTypeProblem) {
  const auto problems = problems_in(token_auth + "[push]\nmode = 3\n");
  ASSERT_EQ(problems.size(), 1U) << describe_all(problems);
  EXPECT_EQ(problems[0].key, "push.mode");
  EXPECT_EQ(problems[0].message, "expected a string, got an integer");
}

TEST(DefaultConfigTest, DaemonKeysHaveTheirDocumentedDefaults) {
  const auto config = load_config_text(default_config_text(), "leadsync.toml").config;
  EXPECT_EQ(config.schedule.timezone, "UTC");
  EXPECT_EQ(config.schedule.import_watch, "");
  EXPECT_EQ(config.schedule.import_watch_settle_s, 5);
  EXPECT_EQ(config.server.listen, "127.0.0.1:8080");
  EXPECT_EQ(config.server.webhook_auth, WebhookAuth::key);
  EXPECT_EQ(config.server.webhook_header, "x-leadsync-key");
  EXPECT_EQ(config.server.webhook_key_env, "LEADSYNC_WEBHOOK_KEY");
  EXPECT_EQ(config.server.webhook_key_file, "");
  EXPECT_EQ(config.server.body_limit_kb, 1024);
  EXPECT_EQ(config.server.shutdown_grace_s, 30);
  EXPECT_EQ(config.server.webhook_lease_s, 60);
  EXPECT_EQ(config.server.webhook_max_attempts, 5);
  // A file without these keys gets the same.
  const auto bare = load_config_text(token_auth, "leadsync.toml").config;
  EXPECT_EQ(bare.schedule.timezone, config.schedule.timezone);
  EXPECT_EQ(bare.server.webhook_auth, config.server.webhook_auth);
  EXPECT_EQ(bare.server.webhook_max_attempts, config.server.webhook_max_attempts);
}

TEST(ValidateTest, DaemonKeyProblemsCarryTheirLines) {
  const std::string text = token_auth +                    // lines 1-2
                           "[schedule]\n"                  // 3
                           "timezone = \"Mars/Olympus\"\n" // 4
                           "pull = \"61 * * * *\"\n"       // 5
                           "[server]\n"                    // 6
                           "webhook_auth = \"basic\"\n"    // 7
                           "webhook_lease_s = 0\n";        // 8
  const auto problems = problems_in(text);
  ASSERT_EQ(problems.size(), 4U) << describe_all(problems);
  EXPECT_EQ(problems[0].key, "schedule.timezone");
  EXPECT_EQ(problems[0].line, 4);
  EXPECT_EQ(problems[1].key, "schedule.pull");
  EXPECT_EQ(problems[1].line, 5);
  EXPECT_TRUE(contains(problems[1].message, "61 is out of range")) << problems[1].message;
  EXPECT_EQ(problems[2].key, "server.webhook_auth");
  EXPECT_EQ(problems[2].line, 7);
  EXPECT_EQ(problems[3].key, "server.webhook_lease_s");
  EXPECT_EQ(problems[3].line, 8);
}

TEST(ValidateTest, ALiteralWebhookKeySaysToMoveItToAFileOrTheEnvironment) {
  const auto problems = problems_in(token_auth + "[server]\nwebhook_key = \"Wh1-literal\"\n");
  ASSERT_EQ(problems.size(), 1U) << describe_all(problems);
  EXPECT_TRUE(
      contains(problems[0].message, "server.webhook_key_file = \"/etc/leadsync/webhook_key\""))
      << problems[0].message;
  EXPECT_FALSE(contains(problems[0].message, "Wh1-literal"));
}

TEST(ValidateTest, MissingKeyHasLineZeroAndItsDescriptionOmitsTheLine) {
  const auto problems = problems_in(credentials + client_id + secret_env);
  ASSERT_EQ(problems.size(), 1U) << describe_all(problems);
  EXPECT_EQ(problems[0].key, "crm.auth.tenant");
  EXPECT_EQ(problems[0].line, 0);
  EXPECT_EQ(problems[0].describe().rfind("leadsync.toml: crm.auth.tenant: is required", 0), 0U)
      << problems[0].describe();
}

TEST(ValidateTest, EachBadScheduleIsAProblemAtTheLineOfItsKeyWithTheParsersMessage) {
  const auto problems =
      problems_in(token_auth + "[schedule]\npull = \"*/5 * * * *\"\n\nqualify = \"0 24 * * *\"\n"
                               "push = \"@every 1.5h\"\nenrich = \"\"\n");
  ASSERT_EQ(problems.size(), 2U) << describe_all(problems);
  EXPECT_EQ(problems[0].describe(),
            "leadsync.toml:6: schedule.qualify: field 2 (hour): 24 is out of range 0-23");
  EXPECT_EQ(problems[1].describe(),
            "leadsync.toml:7: schedule.push: @every: duration \"1.5h\" has a fraction; use whole "
            "numbers of h, m and s, like 1h30m instead of 1.5h");
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

// ---- [enrich] and [[enrich.provider]] ----

// A valid PDL provider table; tests append keys to it or replace lines in it.
const std::string pdl_provider = "[[enrich.provider]]\n"
                                 "name = \"pdl\"\n"
                                 "kind = \"pdl\"\n"
                                 "url = \"http://127.0.0.1:8766\"\n"
                                 "api_key_env = \"LEADSYNC_PDL_API_KEY\"\n";

TEST(EnrichLoadTest, KeysLeftOutTakeTheDefaults) {
  const auto loaded =
      load_config_text(token_auth + "[[enrich.provider]]\nname = \"f\"\nkind = \"file_feed\"\n"
                                    "folder = \"feeds\"\n",
                       "leadsync.toml");
  EXPECT_TRUE(validate(loaded).empty()) << describe_all(validate(loaded));
  const EnrichOptions& enrich = loaded.config.enrich;
  EXPECT_TRUE(enrich.wanted_fields.empty());
  EXPECT_DOUBLE_EQ(enrich.min_confidence, 0.5);
  EXPECT_TRUE(enrich.pay_on_match_first);
  EXPECT_TRUE(enrich.merge.empty());
  EXPECT_EQ(enrich.consent_blocking_flags,
            (std::vector<std::string>{"do_not_email", "do_not_phone"}));
  EXPECT_FALSE(enrich.require_lawful_basis);
  EXPECT_TRUE(enrich.blocked_regions.empty());
  EXPECT_EQ(enrich.pending_retry_s, 30);
  ASSERT_EQ(enrich.providers.size(), 1U);
  const EnrichProviderOptions& provider = enrich.providers[0];
  EXPECT_TRUE(provider.url.empty());
  EXPECT_TRUE(provider.api_key.empty());
  EXPECT_DOUBLE_EQ(provider.rate_limit_per_min, 0);
  EXPECT_EQ(provider.daily_quota, 0);
  EXPECT_EQ(provider.monthly_quota, 0);
  EXPECT_EQ(provider.charges, "match");
  EXPECT_EQ(provider.credit_budget_per_run, 0);
  EXPECT_EQ(provider.credit_budget_per_day, 0);
  EXPECT_EQ(provider.cache_ttl_days, 30);
  EXPECT_DOUBLE_EQ(provider.min_confidence, 0.5);
  EXPECT_TRUE(provider.groups.empty());
  EXPECT_EQ(provider.timeout_s, 30);
  EXPECT_EQ(provider.batch_size, 0);
  EXPECT_TRUE(provider.spec.empty());
}

TEST(EnrichLoadTest, ConfigWithoutAnEnrichSectionHasNoProviders) {
  const auto loaded = load_config_text(token_auth, "leadsync.toml");
  EXPECT_TRUE(loaded.config.enrich.providers.empty());
  EXPECT_TRUE(validate(loaded).empty());
}

TEST(EnrichLoadTest, ChargesDefaultsToMatchForPdlAndToRequestForClearbit) {
  const auto loaded = load_config_text(
      token_auth + pdl_provider +
          "[[enrich.provider]]\nname = \"cb\"\nkind = \"clearbit\"\nurl = \"https://x.example\"\n"
          "api_key_file = \"/etc/leadsync/cb\"\n"
          "[[enrich.provider]]\nname = \"cb2\"\nkind = \"clearbit\"\nurl = \"https://x.example\"\n"
          "api_key_env = \"CB\"\ncharges = \"match\"\n",
      "leadsync.toml");
  EXPECT_TRUE(validate(loaded).empty()) << describe_all(validate(loaded));
  ASSERT_EQ(loaded.config.enrich.providers.size(), 3U);
  EXPECT_EQ(loaded.config.enrich.providers[0].charges, "match");
  EXPECT_EQ(loaded.config.enrich.providers[1].charges, "request");
  EXPECT_EQ(loaded.config.enrich.providers[1].api_key.file, "/etc/leadsync/cb");
  EXPECT_EQ(loaded.config.enrich.providers[2].charges, "match");
}

TEST(EnrichLoadTest, ValuesFillTheEnrichOptionsInFileOrder) {
  const auto loaded = load_config_text(
      token_auth +
          "[enrich]\nwanted_fields = [\"person.job_title\", \"company.industry\"]\n"
          "min_confidence = 1\npay_on_match_first = false\n"
          "consent_blocking_flags = [\"do_not_bulk_email\", \"do_not_postal_mail\"]\n"
          "require_lawful_basis = true\nblocked_regions = [\"de\", \"FR\"]\n"
          "pending_retry_s = 86400\n"
          "[enrich.merge]\n\"person.job_title\" = \"overwrite_if_more_confident\"\n"
          "company.industry = \"never\"\n" +
          pdl_provider +
          "rate_limit_per_min = 12.5\nmonthly_quota = 50000000000\ncharges = \"request\"\n"
          "cache_ttl_days = 3650\nmin_confidence = 0\ngroups = [\"person\", \"company\"]\n"
          "timeout_s = 600\nbatch_size = 100\n"
          "[[enrich.provider]]\nname = \"social_github-2\"\nkind = \"http_json\"\n"
          "url = \"https://api.github.com\"\nspec = \"mappings/social-github.toml\"\n",
      "leadsync.toml");
  EXPECT_TRUE(validate(loaded).empty()) << describe_all(validate(loaded));
  const EnrichOptions& enrich = loaded.config.enrich;
  EXPECT_EQ(enrich.wanted_fields,
            (std::vector<std::string>{"person.job_title", "company.industry"}));
  EXPECT_DOUBLE_EQ(enrich.min_confidence, 1.0);
  EXPECT_FALSE(enrich.pay_on_match_first);
  EXPECT_EQ(enrich.consent_blocking_flags,
            (std::vector<std::string>{"do_not_bulk_email", "do_not_postal_mail"}));
  EXPECT_TRUE(enrich.require_lawful_basis);
  EXPECT_EQ(enrich.blocked_regions, (std::vector<std::string>{"DE", "FR"}));
  EXPECT_EQ(enrich.pending_retry_s, 86400);
  EXPECT_EQ(enrich.merge, (std::map<std::string, std::string>{
                              {"company.industry", "never"},
                              {"person.job_title", "overwrite_if_more_confident"}}));
  ASSERT_EQ(enrich.providers.size(), 2U);
  const EnrichProviderOptions& pdl = enrich.providers[0];
  EXPECT_EQ(pdl.name, "pdl");
  EXPECT_DOUBLE_EQ(pdl.rate_limit_per_min, 12.5);
  EXPECT_EQ(pdl.monthly_quota, 50000000000);
  EXPECT_EQ(pdl.charges, "request");
  EXPECT_EQ(pdl.cache_ttl_days, 3650);
  EXPECT_DOUBLE_EQ(pdl.min_confidence, 0.0);
  EXPECT_EQ(pdl.groups, (std::vector<std::string>{"person", "company"}));
  EXPECT_EQ(pdl.timeout_s, 600);
  EXPECT_EQ(pdl.batch_size, 100);
  EXPECT_EQ(enrich.providers[1].name, "social_github-2");
  EXPECT_EQ(enrich.providers[1].spec, "mappings/social-github.toml");
}

TEST(EnrichLoadTest, ProviderKeysAreRecordedWithTheirLines) {
  const auto loaded = load_config_text(token_auth + "[enrich]\n" + pdl_provider + "\n" +
                                           "[[enrich.provider]]\nname = \"f\"\n",
                                       "leadsync.toml");
  EXPECT_EQ(loaded.key_lines.at("enrich"), 3);
  EXPECT_EQ(loaded.key_lines.at("enrich.provider[0]"), 4);
  EXPECT_EQ(loaded.key_lines.at("enrich.provider[0].name"), 5);
  EXPECT_EQ(loaded.key_lines.at("enrich.provider[0].api_key_env"), 8);
  EXPECT_EQ(loaded.key_lines.at("enrich.provider[1]"), 10);
  EXPECT_EQ(loaded.key_lines.at("enrich.provider[1].name"), 11);
}

TEST(EnrichLoadTest, UnknownKeysInEnrichAndInAProviderAreReportedWithTheirLines) {
  const auto problems = problems_in(token_auth +               // 1-2
                                    "[enrich]\n"               // 3
                                    "min_confidense = 0.5\n" + // 4
                                    pdl_provider +             // 5-9
                                    "chargs = \"match\"\n"     // 10
                                    "colour = \"red\"\n"       // 11
                                    "[enrich.mergee]\n");      // 12
  ASSERT_EQ(problems.size(), 4U) << describe_all(problems);
  EXPECT_EQ(problems[0].key, "enrich.min_confidense");
  EXPECT_EQ(problems[0].line, 4);
  EXPECT_EQ(problems[0].message,
            "unknown key 'min_confidense' in [enrich] (did you mean 'min_confidence'?)");
  EXPECT_EQ(problems[1].key, "enrich.provider[0].chargs");
  EXPECT_EQ(problems[1].line, 10);
  EXPECT_EQ(problems[1].message,
            "unknown key 'chargs' in [[enrich.provider]] (did you mean 'charges'?)");
  EXPECT_EQ(problems[2].key, "enrich.provider[0].colour");
  EXPECT_EQ(problems[2].line, 11);
  EXPECT_TRUE(contains(problems[2].message, "known keys: name, kind, url, api_key_file"))
      << problems[2].message;
  EXPECT_EQ(problems[3].key, "enrich.mergee");
  EXPECT_EQ(problems[3].line, 12);
  EXPECT_TRUE(contains(problems[3].message, "did you mean 'merge'?")) << problems[3].message;
}

TEST(EnrichLoadTest, WrongTypesAreAllReportedWithTheirKeysAndLines) {
  const auto problems = problems_in(token_auth +                      // 1-2
                                    "[enrich]\n"                      // 3
                                    "min_confidence = \"high\"\n"     // 4
                                    "pay_on_match_first = 1\n"        // 5
                                    "blocked_regions = \"DE\"\n"      // 6
                                    "[enrich.merge]\n"                // 7
                                    "\"person.job_title\" = true\n" + // 8
                                    pdl_provider +                    // 9-13
                                    "daily_quota = 1.5\n"             // 14
                                    "rate_limit_per_min = \"600\"\n"  // 15
                                    "groups = [\"person\", 3]\n"      // 16
                                    "timeout_s = 30.0\n");            // 17
  ASSERT_EQ(problems.size(), 8U) << describe_all(problems);
  EXPECT_EQ(problems[0].key, "enrich.min_confidence");
  EXPECT_EQ(problems[0].line, 4);
  EXPECT_EQ(problems[0].message, "expected a number, got a string");
  EXPECT_EQ(problems[1].key, "enrich.pay_on_match_first");
  EXPECT_EQ(problems[1].line, 5);
  EXPECT_EQ(problems[2].key, "enrich.blocked_regions");
  EXPECT_EQ(problems[2].message, "expected an array of strings, got a string");
  EXPECT_EQ(problems[3].key, "enrich.merge.person.job_title");
  EXPECT_EQ(problems[3].line, 8);
  EXPECT_TRUE(contains(problems[3].message, "expected a string (\"fill_empty\""))
      << problems[3].message;
  EXPECT_EQ(problems[4].key, "enrich.provider[0].daily_quota");
  EXPECT_EQ(problems[4].line, 14);
  EXPECT_EQ(problems[4].message, "expected an integer, got a floating-point number");
  EXPECT_EQ(problems[5].key, "enrich.provider[0].rate_limit_per_min");
  EXPECT_EQ(problems[5].line, 15);
  EXPECT_EQ(problems[6].key, "enrich.provider[0].groups");
  EXPECT_EQ(problems[6].line, 16);
  EXPECT_EQ(problems[6].message, "element 2: expected a string, got an integer");
  EXPECT_EQ(problems[7].key, "enrich.provider[0].timeout_s");
  EXPECT_EQ(problems[7].line, 17);
}

TEST(EnrichLoadTest, ProviderWrittenAsASingleTableIsReported) {
  const auto problems = problems_in(token_auth + "[enrich.provider]\nname = \"pdl\"\n");
  ASSERT_EQ(problems.size(), 1U) << describe_all(problems);
  EXPECT_EQ(problems[0].key, "enrich.provider");
  EXPECT_EQ(problems[0].line, 3);
  EXPECT_EQ(problems[0].message, "expected an array of tables ([[enrich.provider]], with two "
                                 "brackets), got a table");
}

TEST(EnrichLoadTest, ProviderThatIsNotATableIsReported) {
  const auto problems = problems_in(token_auth + "[enrich]\nprovider = [\"pdl\"]\n");
  ASSERT_EQ(problems.size(), 1U) << describe_all(problems);
  EXPECT_EQ(problems[0].key, "enrich.provider[0]");
  EXPECT_EQ(problems[0].line, 4);
  EXPECT_EQ(problems[0].message, "expected a table ([[enrich.provider]]), got a string");
}

TEST(EnrichLoadTest, InlineProviderTablesAreAccepted) {
  const auto loaded = load_config_text(
      token_auth +
          "[enrich]\nprovider = [{ name = \"f\", kind = \"file_feed\", folder = \"in\" }]\n",
      "leadsync.toml");
  EXPECT_TRUE(validate(loaded).empty()) << describe_all(validate(loaded));
  ASSERT_EQ(loaded.config.enrich.providers.size(), 1U);
  EXPECT_EQ(loaded.config.enrich.providers[0].folder, "in");
}

TEST(EnrichLiteralSecretTest, ApiKeyIsRefusedWithTheWayToMoveItAndWithoutItsValue) {
  const std::string value = "pdl-Ak9-literal";
  const auto problems = problems_in(token_auth + pdl_provider + "api_key = \"" + value + "\"\n");
  ASSERT_EQ(problems.size(), 1U) << describe_all(problems);
  EXPECT_EQ(problems[0].key, "enrich.provider[0].api_key");
  EXPECT_EQ(problems[0].line, 8);
  EXPECT_EQ(problems[0].message,
            "a secret may not be written in the config file. Put it in a file only leadsync can "
            "read (printf '%s' 'VALUE' > /etc/leadsync/pdl_api_key && chmod 600 "
            "/etc/leadsync/pdl_api_key) and set enrich.provider[0].api_key_file = "
            "\"/etc/leadsync/pdl_api_key\", or export LEADSYNC_PDL_API_KEY and set "
            "enrich.provider[0].api_key_env = \"LEADSYNC_PDL_API_KEY\".");
  EXPECT_FALSE(contains(problems[0].describe(), value));
}

TEST(EnrichLiteralSecretTest, KeyTokenAndSecretAreRefusedInAProviderToo) {
  const auto problems = problems_in(
      token_auth + "[[enrich.provider]]\nname = \"social-github\"\nkind = \"http_json\"\n"
                   "url = \"https://api.github.com\"\nspec = \"s.toml\"\n"
                   "key = \"K1-literal\"\ntoken = \"T1-literal\"\nSecret = \"S1-literal\"\n");
  ASSERT_EQ(problems.size(), 3U) << describe_all(problems);
  EXPECT_EQ(problems[0].key, "enrich.provider[0].key");
  EXPECT_EQ(problems[1].key, "enrich.provider[0].token");
  EXPECT_EQ(problems[2].key, "enrich.provider[0].Secret");
  for (const auto& problem : problems) {
    EXPECT_TRUE(contains(problem.message, "export LEADSYNC_SOCIAL_GITHUB_API_KEY and set "
                                          "enrich.provider[0].api_key_env"))
        << problem.message;
    EXPECT_FALSE(contains(problem.describe(), "-literal"));
  }
}

TEST(EnrichLiteralSecretTest, ApiKeyInTheEnrichSectionPointsAtTheProviderTables) {
  const auto problems = problems_in(token_auth + "[enrich]\napi_key = \"Ak2-literal\"\n");
  ASSERT_EQ(problems.size(), 1U) << describe_all(problems);
  EXPECT_EQ(problems[0].key, "enrich.api_key");
  EXPECT_TRUE(contains(problems[0].message, "api_key_file or api_key_env"));
  EXPECT_FALSE(contains(problems[0].message, "Ak2-literal"));
}

TEST(EnrichValidateTest, DuplicateProviderNamesAreReportedAtTheSecondOne) {
  const auto problems = problems_in(token_auth + pdl_provider + "\n" + pdl_provider);
  ASSERT_EQ(problems.size(), 1U) << describe_all(problems);
  EXPECT_EQ(problems[0].key, "enrich.provider[1].name");
  EXPECT_EQ(problems[0].line, 10);
  EXPECT_EQ(problems[0].message,
            "provider name \"pdl\" is taken already by enrich.provider[0] (line 4); names must "
            "be unique");
}

TEST(EnrichValidateTest, MissingRequiredKeysAreReportedAtTheProviderTable) {
  const auto problems = problems_in(token_auth + "[[enrich.provider]]\n"  // 3
                                                 "kind = \"pdl\"\n"       // 4
                                                 "\n"                     // 5
                                                 "[[enrich.provider]]\n"  // 6
                                                 "name = \"nothing\"\n"); // 7
  ASSERT_EQ(problems.size(), 4U) << describe_all(problems);
  EXPECT_EQ(problems[0].key, "enrich.provider[0].name");
  EXPECT_EQ(problems[0].line, 3);
  EXPECT_TRUE(contains(problems[0].message, "is required")) << problems[0].message;
  EXPECT_EQ(problems[1].key, "enrich.provider[0].url");
  EXPECT_EQ(problems[1].line, 3);
  EXPECT_TRUE(contains(problems[1].message, "is required for kind \"pdl\""));
  EXPECT_EQ(problems[2].key, "enrich.provider[0].api_key_file");
  EXPECT_EQ(problems[2].line, 3);
  EXPECT_TRUE(contains(problems[2].message, "kind \"pdl\" needs the API key"));
  EXPECT_EQ(problems[3].key, "enrich.provider[1].kind");
  EXPECT_EQ(problems[3].line, 6);
  EXPECT_EQ(problems[3].message, "is required: one of pdl, clearbit, http_json, file_feed");
}

TEST(EnrichValidateTest, RequiredKeyOfTheWrongTypeOrEmptyIsReportedOnceAtItsLine) {
  const auto problems = problems_in(token_auth +             // 1-2
                                    "[[enrich.provider]]\n"  // 3
                                    "name = 7\n"             // 4
                                    "kind = \"file_feed\"\n" // 5
                                    "folder = \"\"\n");      // 6
  ASSERT_EQ(problems.size(), 2U) << describe_all(problems);
  EXPECT_EQ(problems[0].key, "enrich.provider[0].name");
  EXPECT_EQ(problems[0].line, 4);
  EXPECT_EQ(problems[0].message, "expected a string, got an integer");
  EXPECT_EQ(problems[1].key, "enrich.provider[0].folder");
  EXPECT_EQ(problems[1].line, 6);
  EXPECT_TRUE(contains(problems[1].message, "is required for kind \"file_feed\""));
}

TEST(EnrichValidateTest, EveryProblemOfOneProviderIsReportedAtOnceTopToBottom) {
  const auto problems = problems_in(token_auth +                     // 1-2
                                    "[[enrich.provider]]\n"          // 3
                                    "name = \"PDL\"\n"               // 4
                                    "kind = \"pdl\"\n"               // 5
                                    "url = \"http://pdl.example\"\n" // 6
                                    "api_key_env = \"K\"\n"          // 7
                                    "charges = \"credit\"\n"         // 8
                                    "cache_ttl_days = 3651\n"        // 9
                                    "min_confidence = 1.5\n"         // 10
                                    "timeout_s = 0\n"                // 11
                                    "batch_size = 101\n");           // 12
  ASSERT_EQ(problems.size(), 7U) << describe_all(problems);
  const std::vector<std::pair<std::string, int>> expected = {
      {"enrich.provider[0].name", 4},
      {"enrich.provider[0].url", 6},
      {"enrich.provider[0].charges", 8},
      {"enrich.provider[0].cache_ttl_days", 9},
      {"enrich.provider[0].min_confidence", 10},
      {"enrich.provider[0].timeout_s", 11},
      {"enrich.provider[0].batch_size", 12}};
  for (std::size_t i = 0; i < expected.size(); ++i) {
    EXPECT_EQ(problems[i].key, expected[i].first) << describe_all(problems);
    EXPECT_EQ(problems[i].line, expected[i].second) << describe_all(problems);
  }
}

// Rules of [enrich] and [[enrich.provider]]: each fragment gives exactly one problem.
INSTANTIATE_TEST_SUITE_P(
    Enrich, SemanticRuleTest,
    testing::Values(
        RuleCase{"[enrich]\nmin_confidence = 1.01\n", "enrich.min_confidence",
                 "must be a number between 0 and 1 (got 1.01)"},
        RuleCase{"[enrich]\nmin_confidence = -0.1\n", "enrich.min_confidence", "between 0 and 1"},
        RuleCase{"[enrich]\nmin_confidence = nan\n", "enrich.min_confidence", "between 0 and 1"},
        RuleCase{"[enrich]\nwanted_fields = [\"person.job_title\", \"\"]\n", "enrich.wanted_fields",
                 "element 2: must be a field name"},
        RuleCase{"[enrich]\nconsent_blocking_flags = [\"do_not_email\", \"do_not_fax\"]\n",
                 "enrich.consent_blocking_flags",
                 "element 2: must be one of do_not_email, do_not_phone, do_not_bulk_email, "
                 "do_not_postal_mail (got \"do_not_fax\")"},
        RuleCase{"[enrich]\nblocked_regions = [\"DEU\"]\n", "enrich.blocked_regions",
                 "element 1: must be a two-letter ISO 3166 country code"},
        RuleCase{"[enrich]\nblocked_regions = [\"D1\"]\n", "enrich.blocked_regions",
                 "(got \"D1\")"},
        RuleCase{"[enrich]\npending_retry_s = 0\n", "enrich.pending_retry_s",
                 "must be between 1 and 86400 seconds (got 0)"},
        RuleCase{"[enrich]\npending_retry_s = 86401\n", "enrich.pending_retry_s", "(got 86401)"},
        RuleCase{"[enrich.merge]\n\"person.job_title\" = \"always\"\n",
                 "enrich.merge.person.job_title",
                 "must be one of fill_empty, overwrite_if_more_confident, never (got \"always\")"},
        RuleCase{"[enrich.merge]\n\"\" = \"never\"\n", "enrich.merge.", "may not be empty"}));

// Rules of one provider: the PDL table above with one key changed gives exactly one problem.
struct ProviderCase {
  std::string replace;      // a line of pdl_provider ("" for none)
  std::string with;         // what replaces it (or is appended when replace is "")
  std::string key;          // the problem's key
  std::string message_part; // something its message must say
};

// NOLINTNEXTLINE(readability-identifier-naming): the name GoogleTest looks for
void PrintTo(const ProviderCase& c, std::ostream* os) {
  *os << c.replace << " -> " << c.with;
}

class ProviderRuleTest : public testing::TestWithParam<ProviderCase> {};

TEST_P(ProviderRuleTest, ReportsOneProblemForTheKeyOnItsLine) {
  std::string table = pdl_provider;
  if (GetParam().replace.empty()) {
    table += GetParam().with;
  } else {
    const auto at = table.find(GetParam().replace);
    ASSERT_NE(at, std::string::npos);
    table.replace(at, GetParam().replace.size(), GetParam().with);
  }
  const auto loaded = load_config_text(token_auth + table, "leadsync.toml");
  const auto problems = validate(loaded);
  ASSERT_EQ(problems.size(), 1U) << describe_all(problems);
  EXPECT_EQ(problems[0].key, GetParam().key);
  EXPECT_TRUE(contains(problems[0].message, GetParam().message_part)) << problems[0].message;
  const auto line = loaded.key_lines.find(GetParam().key);
  const int expected_line =
      line != loaded.key_lines.end() ? line->second : loaded.key_lines.at("enrich.provider[0]");
  EXPECT_EQ(problems[0].line, expected_line);
}

const std::string pdl_url = "url = \"http://127.0.0.1:8766\"\n";
const std::string pdl_key = "api_key_env = \"LEADSYNC_PDL_API_KEY\"\n";

INSTANTIATE_TEST_SUITE_P(
    Provider, ProviderRuleTest,
    testing::Values(
        ProviderCase{"name = \"pdl\"\n", "name = \"PDL\"\n", "enrich.provider[0].name",
                     "lower-case letters, digits, _ and -"},
        ProviderCase{"name = \"pdl\"\n", "name = \"p.d.l\"\n", "enrich.provider[0].name",
                     "(got \"p.d.l\")"},
        ProviderCase{"name = \"pdl\"\n", "", "enrich.provider[0].name", "is required"},
        ProviderCase{"kind = \"pdl\"\n", "kind = \"zoominfo\"\n", "enrich.provider[0].kind",
                     "must be one of pdl, clearbit, http_json, file_feed (got \"zoominfo\")"},
        ProviderCase{pdl_url, "", "enrich.provider[0].url", "is required for kind \"pdl\""},
        ProviderCase{pdl_url, "url = \"ftp://pdl.example\"\n", "enrich.provider[0].url",
                     "must be an http(s) URL with a host"},
        ProviderCase{
            pdl_url, "url = \"http://api.peopledatalabs.com\"\n", "enrich.provider[0].url",
            "must use https: plain http is allowed only to a loopback address (127.0.0.0/8, "
            "localhost, ::1), as the API key would cross the network unencrypted"},
        ProviderCase{pdl_url, "url = \"https://me:pw@api.peopledatalabs.com\"\n",
                     "enrich.provider[0].url", "credentials belong in api_key_file / api_key_env"},
        ProviderCase{pdl_key, "", "enrich.provider[0].api_key_file",
                     "kind \"pdl\" needs the API key: set api_key_file = "
                     "\"/etc/leadsync/pdl_api_key\""},
        ProviderCase{"", "api_key_file = \"/etc/leadsync/pdl_api_key\"\n",
                     "enrich.provider[0].api_key_env",
                     "set only one of enrich.provider[0].api_key_file or "
                     "enrich.provider[0].api_key_env"},
        ProviderCase{pdl_key, "api_key_env = \"sk-123 456\"\n", "enrich.provider[0].api_key_env",
                     "not the secret itself"},
        ProviderCase{"", "rate_limit_per_min = -1\n", "enrich.provider[0].rate_limit_per_min",
                     "must be 0 (no limit) or more (got -1)"},
        ProviderCase{"", "rate_limit_per_min = inf\n", "enrich.provider[0].rate_limit_per_min",
                     "(got inf)"},
        ProviderCase{"", "daily_quota = -5\n", "enrich.provider[0].daily_quota",
                     "must be 0 (no quota) or more (got -5)"},
        ProviderCase{"", "monthly_quota = -1\n", "enrich.provider[0].monthly_quota", "(got -1)"},
        ProviderCase{"", "charges = \"credit\"\n", "enrich.provider[0].charges",
                     "must be one of match, request (got \"credit\")"},
        ProviderCase{"", "credit_budget_per_run = -1\n", "enrich.provider[0].credit_budget_per_run",
                     "must be 0 (no limit) or more"},
        ProviderCase{"", "credit_budget_per_day = -1\n", "enrich.provider[0].credit_budget_per_day",
                     "must be 0 (no limit) or more"},
        ProviderCase{"", "cache_ttl_days = -1\n", "enrich.provider[0].cache_ttl_days",
                     "must be between 0 and 3650 days (got -1)"},
        ProviderCase{"", "cache_ttl_days = 3651\n", "enrich.provider[0].cache_ttl_days",
                     "(got 3651)"},
        ProviderCase{"", "min_confidence = 2\n", "enrich.provider[0].min_confidence",
                     "must be a number between 0 and 1 (got 2)"},
        ProviderCase{"", "groups = [\"person\", \"social\", \"Company\"]\n",
                     "enrich.provider[0].groups",
                     "element 3: must be one of person, company, social (got \"Company\")"},
        ProviderCase{"", "timeout_s = 0\n", "enrich.provider[0].timeout_s",
                     "must be between 1 and 600 seconds (got 0)"},
        ProviderCase{"", "timeout_s = 601\n", "enrich.provider[0].timeout_s", "(got 601)"},
        ProviderCase{"", "batch_size = -1\n", "enrich.provider[0].batch_size",
                     "must be between 0 and 100 (got -1)"},
        ProviderCase{"", "batch_size = 101\n", "enrich.provider[0].batch_size", "(got 101)"},
        ProviderCase{"", "folder = \"feeds\"\n", "enrich.provider[0].folder",
                     "is not used by kind \"pdl\": only file_feed reads it"},
        ProviderCase{"", "spec = \"s.toml\"\n", "enrich.provider[0].spec",
                     "is not used by kind \"pdl\": only http_json reads it"}));

INSTANTIATE_TEST_SUITE_P(
    KindRequirements, SemanticRuleTest,
    testing::Values(
        RuleCase{"[[enrich.provider]]\nname = \"cb\"\nkind = \"clearbit\"\n"
                 "url = \"https://person.clearbit.com\"\n",
                 "enrich.provider[0].api_key_file", "kind \"clearbit\" needs the API key"},
        RuleCase{"[[enrich.provider]]\nname = \"cb\"\nkind = \"clearbit\"\napi_key_env = \"CB\"\n",
                 "enrich.provider[0].url", "is required for kind \"clearbit\""},
        RuleCase{"[[enrich.provider]]\nname = \"gh\"\nkind = \"http_json\"\n"
                 "url = \"https://api.github.com\"\n",
                 "enrich.provider[0].spec",
                 "is required for kind \"http_json\": the TOML file describing the API"},
        RuleCase{"[[enrich.provider]]\nname = \"gh\"\nkind = \"http_json\"\nspec = \"s.toml\"\n",
                 "enrich.provider[0].url", "is required for kind \"http_json\""},
        RuleCase{"[[enrich.provider]]\nname = \"f\"\nkind = \"file_feed\"\n",
                 "enrich.provider[0].folder", "is required for kind \"file_feed\""},
        RuleCase{"[[enrich.provider]]\nname = \"f\"\nkind = \"file_feed\"\nfolder = \"in\"\n"
                 "url = \"https://x.example\"\n",
                 "enrich.provider[0].url", "is not used by kind \"file_feed\""},
        RuleCase{"[[enrich.provider]]\nname = \"f\"\nkind = \"file_feed\"\nfolder = \"in\"\n"
                 "api_key_env = \"K\"\n",
                 "enrich.provider[0].api_key_env", "is not used by kind \"file_feed\""}));

INSTANTIATE_TEST_SUITE_P(
    Enrich, AcceptedConfigTest,
    testing::Values(
        // http_json needs no API key; plain http is fine to loopback.
        "[[enrich.provider]]\nname = \"gh\"\nkind = \"http_json\"\nurl = \"http://localhost:9\"\n"
        "spec = \"s.toml\"\n",
        "[[enrich.provider]]\nname = \"gh\"\nkind = \"http_json\"\nurl = \"https://x.example/v2\"\n"
        "spec = \"s.toml\"\napi_key_file = \"/etc/leadsync/gh\"\n",
        "[enrich]\nmin_confidence = 0\nblocked_regions = [\"us\"]\nconsent_blocking_flags = []\n"
        "pending_retry_s = 1\n",
        "[enrich.merge]\nperson.job_title = \"never\"\n\"company.name\" = \"fill_empty\"\n"
        "social.linkedin_url = \"overwrite_if_more_confident\"\n"));

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
  EXPECT_TRUE(contains(loaded.error().message, "is a folder")) << loaded.error().message;
}

// Issue 18: the config named at a device or a FIFO fails at once; an oversized file is refused
// by its size before anything is parsed.
TEST_F(ConfigFileTest, ADeviceAFifoOrAnOversizedFileIsRefusedWithWhatToDo) {
  const auto device = load_config("/dev/zero");
  ASSERT_FALSE(device.ok());
  EXPECT_TRUE(contains(device.error().message, "is a device")) << device.error().message;
  EXPECT_TRUE(contains(device.error().message, "--config FILE"));
  const auto fifo = dir_ / "fifo.toml";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  const auto piped = load_config(fifo);
  ASSERT_FALSE(piped.ok());
  EXPECT_TRUE(contains(piped.error().message, "pipe (FIFO)")) << piped.error().message;
  const auto big = write("big.toml", "# " + std::string(leadsync::config_file_limit, 'x') + "\n");
  const auto oversized = load_config(big);
  ASSERT_FALSE(oversized.ok());
  EXPECT_TRUE(contains(oversized.error().message, "4 MB limit")) << oversized.error().message;
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
