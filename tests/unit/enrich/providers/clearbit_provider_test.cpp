// Each test spells out its own arrange/act/assert, as the pdl and http_json tests do; the repeats
// of shape between them (and their using-declarations) are deliberate.

#include "leadsync/enrich/providers/builtin.hpp"
#include "provider_fixture.hpp"

#include <gtest/gtest.h>

namespace leadsync::enrich {
namespace {

using test::RecordingTransport;
using testing::parse_sent;
using testing::ProviderFixture;
using namespace std::chrono_literals;

const char* const combined_match = R"({
  "person": {"id": "p1", "name": {"fullName": "Anna Ivanova"}, "email": "anna@acme.example",
    "location": "Berlin, DE", "bio": "Sells things.", "site": "https://anna.example",
    "fuzzy": false,
    "employment": {"domain": "acme.example", "name": "Acme", "title": "Head of Sales",
                   "role": "sales", "seniority": "director"},
    "linkedin": {"handle": "in/anna-ivanova"}, "twitter": {"handle": "anna_iv"},
    "github": {"handle": "annai"}, "facebook": {"handle": null}},
  "company": {"id": "c1", "name": "Acme GmbH", "domain": "acme.example",
    "category": {"sector": "IT", "industry": "Software"},
    "metrics": {"employees": 250, "annualRevenue": null, "estimatedAnnualRevenue": "$10M-$50M"},
    "geo": {"city": "Berlin", "countryCode": "DE"}}})";

class ClearbitProviderTest : public ::testing::Test {
protected:
  std::unique_ptr<Provider> make() {
    auto made =
        providers::make_clearbit(fixture.options("clearbit", "clearbit"), fixture.environment());
    EXPECT_TRUE(made.ok()) << (made.ok() ? "" : made.error().describe());
    return std::move(made).value();
  }
  RecordingTransport& transport() { return *fixture.transport; }
  static Query query() {
    Query query;
    query.email = "anna@acme.example";
    query.domain = "acme.example";
    return query;
  }

  ProviderFixture fixture;
  http::CallContext context;
};

TEST_F(ClearbitProviderTest, PersonGroupAsksCombinedFindByEmailWithBasicAuthKeyAsUserName) {
  auto provider = make();
  transport().then_body(200, combined_match);
  ASSERT_TRUE(provider->lookup(query(), FieldGroup::person, context).ok());
  const http::Request sent = transport().call(0).request;
  EXPECT_EQ(sent.method, "GET");
  const auto url = parse_sent(sent.url);
  EXPECT_EQ(url.path, "/v2/combined/find");
  EXPECT_EQ(url.params.at("email"), "anna@acme.example");
  EXPECT_EQ(url.params.size(), 1U);
  // base64("test-key-0123456789:")
  EXPECT_EQ(sent.headers.get("Authorization"), "Basic dGVzdC1rZXktMDEyMzQ1Njc4OTo=");
  EXPECT_EQ(sent.headers.get("User-Agent"), "leadsync/enrich");
  EXPECT_TRUE(sent.deadline.has_value());
}

TEST_F(ClearbitProviderTest, ACombinedMatchFillsPersonAndCompanyFieldsFromBothHalves) {
  auto provider = make();
  transport().then_body(200, combined_match);
  const auto answer = provider->lookup(query(), FieldGroup::person, context);
  ASSERT_TRUE(answer.ok()) << answer.error().describe();
  EXPECT_EQ(answer->outcome, Outcome::matched);
  EXPECT_DOUBLE_EQ(answer->raw_confidence, 1);
  EXPECT_DOUBLE_EQ(answer->confidence, 0.9);
  EXPECT_EQ(answer->credits, 1);
  const std::vector<FoundField> expected = {
      {"person.job_title", "Head of Sales"},
      {"person.seniority", "director"},
      {"company.name", "Acme GmbH"}, // the company half wins over employment.name
      {"company.website", "acme.example"},
      {"social.linkedin_url", "linkedin.com/in/anna-ivanova"},
      {"social.x_handle", "anna_iv"},
      {"social.github_url", "github.com/annai"},
      {"social.bio", "Sells things."},
      {"social.blog", "https://anna.example"},
      {"social.location", "Berlin, DE"},
      {"company.industry", "Software"},
      {"company.employee_count", "250"},
      {"company.annual_revenue", "10000000"},
      {"company.address.city", "Berlin"},
      {"company.address.country", "DE"},
  };
  EXPECT_EQ(answer->fields, expected);
}

TEST_F(ClearbitProviderTest, AFuzzyPersonMatchGetsTheLowerFixedConfidence) {
  auto provider = make();
  transport().then_body(200, R"({"person": {"fuzzy": true, "linkedin": {"handle": "anna"}},
                               "company": null})");
  const auto answer = provider->lookup(query(), FieldGroup::person, context);
  ASSERT_TRUE(answer.ok());
  EXPECT_DOUBLE_EQ(answer->raw_confidence, 0);
  EXPECT_DOUBLE_EQ(answer->confidence, 0.6);
  EXPECT_EQ(answer->fields,
            (std::vector<FoundField>{{"social.linkedin_url", "linkedin.com/in/anna"}}));
}

TEST_F(ClearbitProviderTest, ACombinedAnswerWithBothHalvesNullIsABilledNoMatch) {
  auto provider = make();
  transport().then_body(200, R"({"person": null, "company": null})");
  const auto answer = provider->lookup(query(), FieldGroup::person, context);
  ASSERT_TRUE(answer.ok());
  EXPECT_EQ(answer->outcome, Outcome::no_match);
  EXPECT_EQ(answer->credits, 1);
}

TEST_F(ClearbitProviderTest, CompanyGroupAsksCompaniesFindByDomain) {
  auto provider = make();
  transport().then_body(200, R"({"name": "Acme GmbH", "domain": "acme.example",
      "metrics": {"employees": 40, "annualRevenue": 12500000}, "geo": {"countryCode": "DE"}})");
  const auto answer = provider->lookup(query(), FieldGroup::company, context);
  ASSERT_TRUE(answer.ok()) << answer.error().describe();
  const auto url = parse_sent(transport().call(0).request.url);
  EXPECT_EQ(url.path, "/v2/companies/find");
  EXPECT_EQ(url.params.at("domain"), "acme.example");
  EXPECT_FALSE(url.params.contains("email"));
  EXPECT_DOUBLE_EQ(answer->confidence, 0.9);
  const std::vector<FoundField> expected = {{"company.name", "Acme GmbH"},
                                            {"company.website", "acme.example"},
                                            {"company.employee_count", "40"},
                                            {"company.annual_revenue", "12500000"},
                                            {"company.address.country", "DE"}};
  EXPECT_EQ(answer->fields, expected);
}

TEST_F(ClearbitProviderTest, SocialGroupAsksPeopleFindByEmail) {
  auto provider = make();
  transport().then_body(200, R"({"fuzzy": false, "github": {"handle": "annai"},
                               "twitter": {"handle": "@anna_iv"}})");
  const auto answer = provider->lookup(query(), FieldGroup::social, context);
  ASSERT_TRUE(answer.ok());
  EXPECT_EQ(parse_sent(transport().call(0).request.url).path, "/v2/people/find");
  EXPECT_EQ(answer->fields, (std::vector<FoundField>{{"social.x_handle", "anna_iv"},
                                                     {"social.github_url", "github.com/annai"}}));
}

TEST_F(ClearbitProviderTest, LookupKeysNameTheGroupAndIdentifierAndRespectConsent) {
  auto provider = make();
  Query q = query();
  EXPECT_EQ(provider->lookup_key(q, FieldGroup::person), "person|email:anna@acme.example");
  EXPECT_EQ(provider->lookup_key(q, FieldGroup::social), "social|email:anna@acme.example");
  EXPECT_EQ(provider->lookup_key(q, FieldGroup::company), "company|domain:acme.example");
  q.personal_allowed = false;
  EXPECT_EQ(provider->lookup_key(q, FieldGroup::person), "");
  EXPECT_EQ(provider->lookup_key(q, FieldGroup::company), "company|domain:acme.example");
  const auto refused = provider->lookup(q, FieldGroup::social, context);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().category, ErrorCategory::invalid_argument);
  EXPECT_EQ(transport().call_count(), 0U);
}

TEST_F(ClearbitProviderTest, A202IsPendingWithRetryAfterAndTheNextAskGetsTheMatch) {
  auto provider = make();
  transport()
      .then_body(202, R"({"error": {"type": "queued"}})", {{"Retry-After", "10"}})
      .then_body(200, combined_match);
  const auto first = provider->lookup(query(), FieldGroup::person, context);
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(first->outcome, Outcome::pending);
  EXPECT_EQ(first->retry_after, 10s);
  EXPECT_EQ(first->credits, 0);
  EXPECT_TRUE(first->fields.empty());
  const auto second = provider->lookup(query(), FieldGroup::person, context);
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(second->outcome, Outcome::matched);
  EXPECT_FALSE(second->fields.empty());
  EXPECT_EQ(transport().call(0).request.url, transport().call(1).request.url);
}

TEST_F(ClearbitProviderTest, A202WithAnEmptyBodyAndNoRetryAfterIsPendingWithoutAHint) {
  auto provider = make();
  transport().then_respond(202);
  const auto answer = provider->lookup(query(), FieldGroup::person, context);
  ASSERT_TRUE(answer.ok());
  EXPECT_EQ(answer->outcome, Outcome::pending);
  EXPECT_FALSE(answer->retry_after.has_value());
}

TEST_F(ClearbitProviderTest, A404IsANoMatchThatClearbitBills) {
  auto provider = make();
  EXPECT_TRUE(provider->capabilities().bills_misses);
  EXPECT_EQ(provider->capabilities().max_batch, 1U);
  transport().then_body(404, R"({"error":{"type":"unknown_record","message":"Person not found"}})");
  const auto answer = provider->lookup(query(), FieldGroup::person, context);
  ASSERT_TRUE(answer.ok());
  EXPECT_EQ(answer->outcome, Outcome::no_match);
  EXPECT_EQ(answer->credits, 1);
}

TEST_F(ClearbitProviderTest, A422IsInvalidInputWithClearbitsMessage) {
  auto provider = make();
  transport().then_body(422, R"({"error":{"type":"email_invalid","message":"Invalid email."}})");
  const auto answer = provider->lookup(query(), FieldGroup::person, context);
  ASSERT_TRUE(answer.ok());
  EXPECT_EQ(answer->outcome, Outcome::invalid_input);
  EXPECT_EQ(answer->note, "Invalid email.");
  EXPECT_EQ(answer->credits, 0);
}

TEST_F(ClearbitProviderTest, A401IsUnauthorized) {
  auto provider = make();
  transport().then_body(401, R"({"error":{"type":"auth_required","message":"API key required"}})");
  const auto result = provider->lookup(query(), FieldGroup::company, context);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().category, ErrorCategory::unauthorized);
  EXPECT_NE(result.error().message.find("enrich.provider 'clearbit'"), std::string::npos);
}

TEST_F(ClearbitProviderTest, A402IsOutOfCredits) {
  auto provider = make();
  transport().then_body(402, R"({"error":{"message":"Your account is over its free quota."}})");
  const auto result = provider->lookup(query(), FieldGroup::company, context);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().category, ErrorCategory::forbidden);
  EXPECT_TRUE(out_of_credits(result.error()));
  EXPECT_NE(result.error().message.find("over its free quota"), std::string::npos);
}

TEST_F(ClearbitProviderTest, A429IsThrottledAndTheRateLimitHeadersAreReported) {
  auto provider = make();
  transport().then_body(
      429, R"({"error":{"type":"rate_limit"}})",
      {{"X-RateLimit-Limit", "600"}, {"X-RateLimit-Remaining", "0"}, {"X-RateLimit-Reset", "42"}});
  const auto result = provider->lookup(query(), FieldGroup::person, context);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().category, ErrorCategory::throttled);
  EXPECT_TRUE(result.error().retryable);
  const RateState rate = provider->rate_state();
  EXPECT_EQ(rate.limit, 600);
  EXPECT_EQ(rate.remaining, 0);
  EXPECT_EQ(rate.reset, fixture.clock.now() + 42s); // a small number: seconds from now
  EXPECT_FALSE(rate.retry_after.has_value());

  transport().then_body(429, "", {{"Retry-After", "5"}});
  ASSERT_FALSE(provider->lookup(query(), FieldGroup::person, context).ok());
  EXPECT_EQ(provider->rate_state().retry_after, 5s);
}

TEST_F(ClearbitProviderTest, A5xxIsUnavailableAndRetryable) {
  auto provider = make();
  transport().then_body(500, "oops");
  const auto result = provider->lookup(query(), FieldGroup::person, context);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().category, ErrorCategory::unavailable);
  EXPECT_TRUE(result.error().retryable);
}

TEST_F(ClearbitProviderTest, AMalformedBodyIsAProtocolError) {
  auto provider = make();
  transport().then_body(200, "<html>hello</html>");
  const auto result = provider->lookup(query(), FieldGroup::person, context);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().category, ErrorCategory::protocol);
  transport().then_body(200, R"({"unexpected": true})");
  const auto neither = provider->lookup(query(), FieldGroup::person, context);
  ASSERT_FALSE(neither.ok());
  EXPECT_EQ(neither.error().category, ErrorCategory::protocol);
}

TEST_F(ClearbitProviderTest, ATransportTimeoutIsARetryableTimeout) {
  auto provider = make();
  transport().then_fail(ErrorCategory::timeout, "deadline passed", true);
  const auto result = provider->lookup(query(), FieldGroup::person, context);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().category, ErrorCategory::timeout);
  EXPECT_TRUE(result.error().retryable);
}

TEST_F(ClearbitProviderTest, TheFactoryNeedsAKey) {
  auto options = fixture.options("cb", "clearbit");
  options.api_key = {};
  const auto made = providers::make_clearbit(options, fixture.environment());
  ASSERT_FALSE(made.ok());
  EXPECT_EQ(made.error().category, ErrorCategory::config);
  EXPECT_NE(made.error().message.find("enrich.provider 'cb': api_key is not configured"),
            std::string::npos);
}

} // namespace
} // namespace leadsync::enrich
