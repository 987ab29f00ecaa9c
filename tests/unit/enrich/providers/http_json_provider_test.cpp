// Each test spells out its own arrange/act/assert, as the pdl and clearbit tests do; the repeats
// of shape between them (and their using-declarations) are deliberate.

#include "leadsync/enrich/providers/builtin.hpp"
#include "leadsync_test_paths.hpp"
#include "provider_fixture.hpp"

#include <gtest/gtest.h>

namespace leadsync::enrich {
namespace {

using test::RecordingTransport;
using testing::parse_sent;
using testing::ProviderFixture;
using testing::test_key;
using namespace std::chrono_literals;

const std::string shipped_spec = std::string(LEADSYNC_SOURCE_DIR) + "/mappings/social-github.toml";

const char* const octocat = R"({"login": "octocat", "id": 583231,
  "html_url": "https://github.com/octocat", "name": "The Octocat", "company": "@github",
  "blog": "https://github.blog", "location": "San Francisco", "email": null, "bio": null,
  "twitter_username": "octo_twitter"})";

class HttpJsonProviderTest : public ::testing::Test {
protected:
  config::EnrichProviderOptions github_options(bool with_key = false) {
    auto options = fixture.options("github", "http_json");
    options.spec = shipped_spec;
    if (!with_key) {
      options.api_key = {};
    }
    return options;
  }
  std::unique_ptr<Provider> make(const config::EnrichProviderOptions& options) {
    auto made = providers::make_http_json(options, fixture.environment());
    EXPECT_TRUE(made.ok()) << (made.ok() ? "" : made.error().describe());
    return std::move(made).value();
  }
  Result<std::unique_ptr<Provider>> make_with_spec(const std::string& text) {
    fixture.write("spec.toml", text);
    auto options = fixture.options("custom", "http_json");
    options.spec = "spec.toml"; // relative to base_dir
    return providers::make_http_json(options, fixture.environment());
  }
  RecordingTransport& transport() { return *fixture.transport; }

  ProviderFixture fixture;
  http::CallContext context;
};

TEST_F(HttpJsonProviderTest, TheShippedGithubSpecLoadsWithoutAKeyAndServesTheSocialGroup) {
  auto provider = make(github_options());
  EXPECT_EQ(provider->kind(), "http_json");
  EXPECT_EQ(provider->capabilities().groups, std::vector<FieldGroup>{FieldGroup::social});
  EXPECT_FALSE(provider->capabilities().bills_misses);
  Query query;
  query.github_login = "octocat";
  query.email = "octo@example.com";
  EXPECT_EQ(provider->lookup_key(query, FieldGroup::social),
            "social|github_login:octocat,email:octo@example.com");
  EXPECT_EQ(provider->lookup_key(query, FieldGroup::person), "");
  query.personal_allowed = false;
  EXPECT_EQ(provider->lookup_key(query, FieldGroup::social), "");
}

TEST_F(HttpJsonProviderTest, AKnownLoginIsFetchedDirectlyAndMappedWithTheLoginConfidence) {
  auto provider = make(github_options());
  Query query;
  query.github_login = "octocat";
  transport().then_body(200, octocat,
                        {{"x-ratelimit-limit", "60"},
                         {"x-ratelimit-remaining", "59"},
                         {"x-ratelimit-reset", "1790003600"}});
  const auto answer = provider->lookup(query, FieldGroup::social, context);
  ASSERT_TRUE(answer.ok()) << answer.error().describe();
  ASSERT_EQ(transport().call_count(), 1U);
  const http::Request sent = transport().call(0).request;
  EXPECT_EQ(sent.method, "GET");
  EXPECT_EQ(sent.url, "http://127.0.0.1:8766/users/octocat");
  EXPECT_EQ(sent.headers.get("Accept"), "application/vnd.github+json");
  EXPECT_EQ(sent.headers.get("X-GitHub-Api-Version"), "2022-11-28");
  EXPECT_EQ(sent.headers.get("User-Agent"), "leadsync/enrich");
  EXPECT_FALSE(sent.headers.has("Authorization")); // no key configured: optional in this spec
  EXPECT_EQ(answer->outcome, Outcome::matched);
  EXPECT_DOUBLE_EQ(answer->confidence, 0.8);
  EXPECT_DOUBLE_EQ(answer->raw_confidence, 0.8);
  EXPECT_EQ(answer->credits, 0);
  const std::vector<FoundField> expected = {{"social.github_url", "https://github.com/octocat"},
                                            {"company.name", "github"},
                                            {"social.location", "San Francisco"},
                                            {"social.blog", "https://github.blog"},
                                            {"social.x_handle", "octo_twitter"}};
  EXPECT_EQ(answer->fields, expected);
  const RateState rate = provider->rate_state();
  EXPECT_EQ(rate.limit, 60);
  EXPECT_EQ(rate.remaining, 59);
  EXPECT_EQ(rate.reset, Clock::WallTime{std::chrono::seconds{1790003600}});
}

TEST_F(HttpJsonProviderTest, AnEmailIsSearchedThenTheFirstHitsProfileIsFetched) {
  auto provider = make(github_options());
  Query query;
  query.email = "anna+crm@example.com";
  transport()
      .then_body(200, R"({"total_count": 1, "items": [{"login": "anna-i", "id": 7}]})")
      .then_body(200, R"({"login": "anna-i", "html_url": "https://github.com/anna-i",
                        "bio": "Sales at Acme"})");
  const auto answer = provider->lookup(query, FieldGroup::social, context);
  ASSERT_TRUE(answer.ok()) << answer.error().describe();
  ASSERT_EQ(transport().call_count(), 2U);
  const auto search = parse_sent(transport().call(0).request.url);
  EXPECT_EQ(search.path, "/search/users");
  EXPECT_EQ(search.params.at("q"), "anna+crm@example.com in:email");
  EXPECT_EQ(search.query, "q=anna%2Bcrm%40example.com%20in%3Aemail");
  EXPECT_EQ(transport().call(1).request.url, "http://127.0.0.1:8766/users/anna-i");
  EXPECT_DOUBLE_EQ(answer->confidence, 0.7);
  EXPECT_EQ(answer->fields,
            (std::vector<FoundField>{{"social.github_url", "https://github.com/anna-i"},
                                     {"social.bio", "Sales at Acme"}}));
}

TEST_F(HttpJsonProviderTest, AnUnknownLoginFallsBackToTheEmailSearchAndAnEmptySearchIsNoMatch) {
  auto provider = make(github_options());
  Query query;
  query.github_login = "gone";
  query.email = "nobody@example.com";
  transport()
      .then_body(404, R"({"message": "Not Found"})")
      .then_body(200, R"({"total_count": 0, "items": []})");
  const auto answer = provider->lookup(query, FieldGroup::social, context);
  ASSERT_TRUE(answer.ok()) << answer.error().describe();
  EXPECT_EQ(answer->outcome, Outcome::no_match);
  EXPECT_EQ(answer->credits, 0);
  ASSERT_EQ(transport().call_count(), 2U);
  EXPECT_EQ(parse_sent(transport().call(1).request.url).path, "/search/users");
}

TEST_F(HttpJsonProviderTest, PlaceholdersArePercentEncodedInThePath) {
  auto provider = make(github_options());
  Query query;
  query.github_login = "a b/c";
  transport().then_respond(404);
  ASSERT_TRUE(provider->lookup(query, FieldGroup::social, context).ok());
  EXPECT_EQ(transport().call(0).request.url, "http://127.0.0.1:8766/users/a%20b%2Fc");
}

TEST_F(HttpJsonProviderTest, AConfiguredKeyIsSentInTheAuthHeaderTemplate) {
  auto provider = make(github_options(/*with_key=*/true));
  Query query;
  query.github_login = "octocat";
  transport().then_body(200, octocat);
  ASSERT_TRUE(provider->lookup(query, FieldGroup::social, context).ok());
  EXPECT_EQ(transport().call(0).request.headers.get("Authorization"),
            std::string("Bearer ") + test_key);
}

TEST_F(HttpJsonProviderTest, A403WithRemainingZeroIsThrottledButA403WithoutItIsForbidden) {
  auto provider = make(github_options());
  Query query;
  query.github_login = "octocat";
  transport().then_body(403, R"({"message": "API rate limit exceeded"})",
                        {{"x-ratelimit-remaining", "0"}, {"x-ratelimit-reset", "1790000900"}});
  const auto limited = provider->lookup(query, FieldGroup::social, context);
  ASSERT_FALSE(limited.ok());
  EXPECT_EQ(limited.error().category, ErrorCategory::throttled);
  EXPECT_TRUE(limited.error().retryable);
  EXPECT_EQ(limited.error().http_status, 403);
  EXPECT_EQ(provider->rate_state().reset, Clock::WallTime{std::chrono::seconds{1790000900}});

  transport().then_body(403, R"({"message": "Resource not accessible"})",
                        {{"x-ratelimit-remaining", "4999"}});
  const auto refused = provider->lookup(query, FieldGroup::social, context);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().category, ErrorCategory::forbidden);
  EXPECT_FALSE(refused.error().retryable);

  transport().then_body(403, "", {{"retry-after", "60"}}); // a secondary limit
  const auto secondary = provider->lookup(query, FieldGroup::social, context);
  ASSERT_FALSE(secondary.ok());
  EXPECT_EQ(secondary.error().category, ErrorCategory::throttled);
  EXPECT_EQ(provider->rate_state().retry_after, 60s);
}

TEST_F(HttpJsonProviderTest, A429IsThrottledWithOrWithoutRetryAfter) {
  auto provider = make(github_options());
  Query query;
  query.github_login = "octocat";
  transport().then_body(429, "", {{"retry-after", "30"}}).then_respond(429);
  const auto first = provider->lookup(query, FieldGroup::social, context);
  ASSERT_FALSE(first.ok());
  EXPECT_EQ(first.error().category, ErrorCategory::throttled);
  EXPECT_EQ(provider->rate_state().retry_after, 30s);
  const auto second = provider->lookup(query, FieldGroup::social, context);
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.error().category, ErrorCategory::throttled);
  EXPECT_FALSE(provider->rate_state().retry_after.has_value());
}

TEST_F(HttpJsonProviderTest, FailuresMapLikeTheOtherProviders) {
  auto provider = make(github_options());
  Query query;
  query.github_login = "octocat";
  transport()
      .then_body(401, R"({"message": "Bad credentials"})")
      .then_respond(402)
      .then_body(422, R"({"message": "Validation Failed"})")
      .then_respond(502)
      .then_body(200, "not json")
      .then_fail(ErrorCategory::timeout, "deadline passed", true);
  const auto unauthorized = provider->lookup(query, FieldGroup::social, context);
  ASSERT_FALSE(unauthorized.ok());
  EXPECT_EQ(unauthorized.error().category, ErrorCategory::unauthorized);
  const auto credits = provider->lookup(query, FieldGroup::social, context);
  ASSERT_FALSE(credits.ok());
  EXPECT_TRUE(out_of_credits(credits.error()));
  const auto invalid = provider->lookup(query, FieldGroup::social, context);
  ASSERT_TRUE(invalid.ok());
  EXPECT_EQ(invalid->outcome, Outcome::invalid_input);
  EXPECT_EQ(invalid->note, "Validation Failed");
  const auto down = provider->lookup(query, FieldGroup::social, context);
  ASSERT_FALSE(down.ok());
  EXPECT_EQ(down.error().category, ErrorCategory::unavailable);
  EXPECT_TRUE(down.error().retryable);
  const auto malformed = provider->lookup(query, FieldGroup::social, context);
  ASSERT_FALSE(malformed.ok());
  EXPECT_EQ(malformed.error().category, ErrorCategory::protocol);
  const auto timeout = provider->lookup(query, FieldGroup::social, context);
  ASSERT_FALSE(timeout.ok());
  EXPECT_EQ(timeout.error().category, ErrorCategory::timeout);
}

TEST_F(HttpJsonProviderTest, AQueryWithNothingUsableSendsNothing) {
  auto provider = make(github_options());
  Query query;
  query.phone = "+4915100000000"; // not in send_fields
  EXPECT_EQ(provider->lookup_key(query, FieldGroup::social), "");
  const auto result = provider->lookup(query, FieldGroup::social, context);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().category, ErrorCategory::invalid_argument);
  EXPECT_EQ(transport().call_count(), 0U);
}

TEST_F(HttpJsonProviderTest, ASpecWithAScorePointerPostBodyAndPendingStatusWorks) {
  auto made = make_with_spec(R"(
version = 1
send_fields = ["email", "domain"]
[auth]
header = "X-Token: {api_key}"
[status]
no_match = [404]
pending = [202]
[rate_limit]
remaining = "x-left"
reset = "x-reset-in"
reset_unit = "delta_seconds"
[billing]
credits_per_match = 2
credits_per_no_match = 1
[[person.request]]
method = "POST"
path = "/lookup"
body = '{"email": "{email}", "domain": "{domain}"}'
confidence_pointer = "/result/score"
confidence_scale = 100
[[person.field]]
pointer = "/result/title"
field = "person.job_title"
[[person.field]]
pointer = "/result/twitter"
field = "social.x_handle"
strip_at = true
[[person.field]]
pointer = "/result/site"
field = "social.blog"
strip_scheme = true
[[person.field]]
pointer = "/result/gh"
field = "social.github_url"
prefix = "github.com/"
)");
  ASSERT_TRUE(made.ok()) << made.error().describe();
  auto provider = std::move(made).value();
  EXPECT_TRUE(provider->capabilities().bills_misses);
  Query query;
  query.email = "a\"b@example.com";
  query.domain = "example.com";
  transport()
      .then_body(202, "", {{"retry-after", "9"}})
      .then_body(200, R"({"result": {"score": 85, "title": "CFO", "twitter": "@cfo",
                                   "site": "https://cfo.example", "gh": "cfo"}})",
                 {{"x-left", "3"}, {"x-reset-in", "60"}})
      .then_respond(404);
  const auto pending = provider->lookup(query, FieldGroup::person, context);
  ASSERT_TRUE(pending.ok()) << pending.error().describe();
  EXPECT_EQ(pending->outcome, Outcome::pending);
  EXPECT_EQ(pending->retry_after, 9s);
  const auto answer = provider->lookup(query, FieldGroup::person, context);
  ASSERT_TRUE(answer.ok()) << answer.error().describe();
  const http::Request sent = transport().call(1).request;
  EXPECT_EQ(sent.method, "POST");
  EXPECT_EQ(sent.body, R"({"email": "a\"b@example.com", "domain": "example.com"})");
  EXPECT_EQ(sent.headers.get("X-Token"), test_key);
  EXPECT_EQ(sent.headers.get("Content-Type"), "application/json");
  EXPECT_DOUBLE_EQ(answer->raw_confidence, 85);
  EXPECT_DOUBLE_EQ(answer->confidence, 0.85);
  EXPECT_EQ(answer->credits, 2);
  const std::vector<FoundField> expected = {{"person.job_title", "CFO"},
                                            {"social.x_handle", "cfo"},
                                            {"social.blog", "cfo.example"},
                                            {"social.github_url", "github.com/cfo"}};
  EXPECT_EQ(answer->fields, expected);
  EXPECT_EQ(provider->rate_state().remaining, 3);
  EXPECT_EQ(provider->rate_state().reset, fixture.clock.now() + 60s);
  const auto miss = provider->lookup(query, FieldGroup::person, context);
  ASSERT_TRUE(miss.ok());
  EXPECT_EQ(miss->outcome, Outcome::no_match);
  EXPECT_EQ(miss->credits, 1);
}

TEST_F(HttpJsonProviderTest, ASpecWithARequiredAuthHeaderNeedsAKey) {
  fixture.write("spec.toml", R"(
version = 1
send_fields = ["domain"]
[auth]
header = "Authorization: Bearer {api_key}"
[[company.request]]
path = "/companies/{domain}"
confidence = 0.5
[[company.field]]
pointer = "/name"
field = "company.name"
)");
  auto options = fixture.options("custom", "http_json");
  options.spec = "spec.toml";
  options.api_key = {};
  const auto made = providers::make_http_json(options, fixture.environment());
  ASSERT_FALSE(made.ok());
  EXPECT_EQ(made.error().category, ErrorCategory::config);
  EXPECT_NE(made.error().message.find("enrich.provider 'custom': api_key is not configured"),
            std::string::npos);
}

TEST_F(HttpJsonProviderTest, ABadSpecIsRefusedWithEveryProblemAndItsLine) {
  const auto made = make_with_spec(R"(version = 2
send_fields = ["email", "shoe_size"]
[status]
no_match = [404]
throttled = [404]
[rate_limit]
reset_unit = "fortnights"
[[social.request]]
methd = "GET"
path = "/users/{github_login}"
confidence = 1.5
[[social.field]]
pointer = "html_url"
field = "social.github_ur"
)");
  ASSERT_FALSE(made.ok());
  EXPECT_EQ(made.error().category, ErrorCategory::config);
  const std::string& message = made.error().message;
  EXPECT_NE(message.find("enrich.provider 'custom': spec spec.toml has"), std::string::npos)
      << message;
  EXPECT_NE(message.find("spec.toml:1: version must be 1"), std::string::npos) << message;
  EXPECT_NE(message.find("spec.toml:2: send_fields: \"shoe_size\" is not a query field"),
            std::string::npos)
      << message;
  EXPECT_NE(message.find("spec.toml:5: status.throttled: 404 is listed in status.no_match"),
            std::string::npos)
      << message;
  EXPECT_NE(message.find("spec.toml:7: rate_limit.reset_unit \"fortnights\" is unknown"),
            std::string::npos)
      << message;
  EXPECT_NE(message.find("spec.toml:9: social.request[1]: unknown key \"methd\"; did you mean "
                         "\"method\"?"),
            std::string::npos)
      << message;
  EXPECT_NE(message.find("spec.toml:10: social.request[1].path: placeholder {github_login} is "
                         "not in send_fields"),
            std::string::npos)
      << message;
  EXPECT_NE(message.find("spec.toml:11: social.request[1].confidence must be between 0 and 1"),
            std::string::npos)
      << message;
  EXPECT_NE(message.find("spec.toml:13: social.field[1].pointer \"html_url\" is not a JSON "
                         "pointer"),
            std::string::npos)
      << message;
  EXPECT_NE(message.find("spec.toml:14: social.field[1].field \"social.github_ur\" is not an "
                         "enrichable field; did you mean \"social.github_url\"?"),
            std::string::npos)
      << message;
}

TEST_F(HttpJsonProviderTest, ATomlSyntaxErrorIsReportedWithItsLine) {
  const auto made = make_with_spec("version = 1\nsend_fields = [\"email\"\n[[social.request]]\n");
  ASSERT_FALSE(made.ok());
  EXPECT_NE(made.error().message.find("spec.toml:"), std::string::npos);
  EXPECT_NE(made.error().message.find("syntax error"), std::string::npos) << made.error().message;
}

TEST_F(HttpJsonProviderTest, AFollowStepMustNameItsValueAndUseOnlyKnownPlaceholders) {
  const auto made = make_with_spec(R"(version = 1
send_fields = ["email"]
[[social.request]]
path = "/search"
query = { q = "{email}" }
confidence = 0.7
follow = { pointer = "/items/0/id", as = "email", path = "/users/{id}" }
[[social.field]]
pointer = "/url"
field = "social.github_url"
)");
  ASSERT_FALSE(made.ok());
  const std::string& message = made.error().message;
  EXPECT_NE(message.find("spec.toml:7: social.request[1].follow.as \"email\" is a query field "
                         "name"),
            std::string::npos)
      << message;
  EXPECT_NE(message.find("spec.toml:7: social.request[1].follow.path: placeholder {id}"),
            std::string::npos)
      << message;
}

TEST_F(HttpJsonProviderTest, AMissingSpecFileOrSpecKeyIsAConfigError) {
  auto options = fixture.options("custom", "http_json");
  options.spec = "";
  auto made = providers::make_http_json(options, fixture.environment());
  ASSERT_FALSE(made.ok());
  EXPECT_NE(made.error().message.find("enrich.provider 'custom': spec is not set"),
            std::string::npos);
  options.spec = "nowhere.toml";
  made = providers::make_http_json(options, fixture.environment());
  ASSERT_FALSE(made.ok());
  EXPECT_NE(made.error().message.find("cannot be read"), std::string::npos);
}

} // namespace
} // namespace leadsync::enrich
