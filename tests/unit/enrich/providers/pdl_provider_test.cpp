// Each test spells out its own arrange/act/assert, as the clearbit and http_json tests do; the
// repeats of shape between them (and their using-declarations) are deliberate.

#include "leadsync/enrich/providers/builtin.hpp"
#include "leadsync/enrich/providers/pdl_record.hpp"
#include "provider_fixture.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace leadsync::enrich {
namespace {

using test::RecordingTransport;
using testing::parse_sent;
using testing::ProviderFixture;
using testing::test_key;
using namespace std::chrono_literals;

const char* const person_match = R"({"status": 200, "likelihood": 8, "data": {
  "full_name": "anna ivanova", "job_title": "head of sales", "job_title_levels": ["director"],
  "job_company_name": "acme", "job_company_website": "acme.example", "job_company_industry":
  "computer software", "linkedin_url": "linkedin.com/in/anna-ivanova", "twitter_url":
  "twitter.com/anna_iv", "github_url": "github.com/annai", "facebook_url": null,
  "location_name": "moscow, russia", "mobile_phone": "+79990000000"}})";

const char* const company_match = R"({"status": 200, "likelihood": 6, "name": "acme",
  "display_name": "Acme", "website": "acme.example", "industry": "computer software",
  "employee_count": 250, "inferred_revenue": "$10M-$25M",
  "location": {"locality": "berlin", "country": "germany"}})";

class PdlProviderTest : public ::testing::Test {
protected:
  std::unique_ptr<Provider> make(double min_confidence = 0.55, int batch_size = 0) {
    auto options = fixture.options("pdl", "pdl");
    options.min_confidence = min_confidence;
    options.batch_size = batch_size;
    options.timeout_s = 7;
    auto made = providers::make_pdl(options, fixture.environment());
    EXPECT_TRUE(made.ok()) << (made.ok() ? "" : made.error().describe());
    return std::move(made).value();
  }
  RecordingTransport& transport() { return *fixture.transport; }

  static Query by_email() {
    Query query;
    query.email = "anna@acme.example";
    return query;
  }

  ProviderFixture fixture;
  http::CallContext context;
};

TEST_F(PdlProviderTest, PersonLookupSendsTheEmailMinLikelihoodAndKeyHeaderButNoKeyInTheUrl) {
  auto provider = make(0.55);
  transport().then_body(200, person_match);
  const auto before = std::chrono::steady_clock::now();
  ASSERT_TRUE(provider->lookup(by_email(), FieldGroup::person, context).ok());
  const http::Request sent = transport().call(0).request;
  EXPECT_EQ(sent.method, "GET");
  const auto url = parse_sent(sent.url);
  EXPECT_EQ(url.path, "/v5/person/enrich");
  EXPECT_EQ(url.params.at("email"), "anna@acme.example");
  EXPECT_EQ(url.params.at("min_likelihood"), "6"); // ceil(0.55 * 10)
  EXPECT_FALSE(url.params.contains("api_key"));
  EXPECT_EQ(sent.url.find(test_key), std::string::npos);
  EXPECT_EQ(sent.headers.get("X-Api-Key"), test_key);
  EXPECT_EQ(sent.headers.get("User-Agent"), "leadsync/enrich");
  ASSERT_TRUE(sent.deadline.has_value());
  EXPECT_GE(*sent.deadline, before + 7s);
  EXPECT_LE(*sent.deadline, std::chrono::steady_clock::now() + 7s);
}

TEST_F(PdlProviderTest, MinLikelihoodIsClampedToOneThroughTen) {
  auto low = make(0.0);
  transport().then_respond(404);
  (void)low->lookup(by_email(), FieldGroup::person, context);
  EXPECT_EQ(parse_sent(transport().call(0).request.url).params.at("min_likelihood"), "1");
  auto high = make(1.0);
  transport().then_respond(404);
  (void)high->lookup(by_email(), FieldGroup::person, context);
  EXPECT_EQ(parse_sent(transport().call(1).request.url).params.at("min_likelihood"), "10");
  auto exact = make(0.3);
  transport().then_respond(404);
  (void)exact->lookup(by_email(), FieldGroup::person, context);
  EXPECT_EQ(parse_sent(transport().call(2).request.url).params.at("min_likelihood"), "3");
}

TEST_F(PdlProviderTest, PersonIdentifiersArePreferredEmailPhoneProfileThenNameWithCompany) {
  auto provider = make();
  Query query;
  query.first_name = "Anna";
  query.last_name = "Ivanova";
  query.company_name = "Acme GmbH";
  EXPECT_EQ(provider->lookup_key(query, FieldGroup::person), "person|name:Anna Ivanova@Acme GmbH");
  query.domain = "acme.example";
  EXPECT_EQ(provider->lookup_key(query, FieldGroup::person),
            "person|name:Anna Ivanova@acme.example");
  transport().then_respond(404);
  ASSERT_TRUE(provider->lookup(query, FieldGroup::person, context).ok());
  const auto by_name = parse_sent(transport().call(0).request.url);
  EXPECT_EQ(by_name.params.at("first_name"), "Anna");
  EXPECT_EQ(by_name.params.at("last_name"), "Ivanova");
  EXPECT_EQ(by_name.params.at("company"), "acme.example");

  query.linkedin_url = "linkedin.com/in/anna-ivanova";
  EXPECT_EQ(provider->lookup_key(query, FieldGroup::person),
            "person|profile:linkedin.com/in/anna-ivanova");
  transport().then_respond(404);
  ASSERT_TRUE(provider->lookup(query, FieldGroup::person, context).ok());
  const auto by_profile = parse_sent(transport().call(1).request.url);
  EXPECT_EQ(by_profile.params.at("profile"), "linkedin.com/in/anna-ivanova");
  EXPECT_FALSE(by_profile.params.contains("first_name"));

  query.phone = "+4915112345678";
  EXPECT_EQ(provider->lookup_key(query, FieldGroup::person), "person|phone:+4915112345678");
  transport().then_respond(404);
  ASSERT_TRUE(provider->lookup(query, FieldGroup::person, context).ok());
  EXPECT_EQ(parse_sent(transport().call(2).request.url).params.at("phone"), "+4915112345678");
  EXPECT_NE(transport().call(2).request.url.find("phone=%2B4915112345678"), std::string::npos);

  query.email = "anna@acme.example";
  EXPECT_EQ(provider->lookup_key(query, FieldGroup::person), "person|email:anna@acme.example");
  EXPECT_EQ(provider->lookup_key(query, FieldGroup::company), "company|website:acme.example");
  query.domain.clear();
  EXPECT_EQ(provider->lookup_key(query, FieldGroup::company), "company|name:Acme GmbH");
}

TEST_F(PdlProviderTest, PersonLookupWithoutConsentHasNoKeyAndSendsNothing) {
  auto provider = make();
  Query query = by_email();
  query.domain = "acme.example";
  query.personal_allowed = false;
  EXPECT_EQ(provider->lookup_key(query, FieldGroup::person), "");
  EXPECT_EQ(provider->lookup_key(query, FieldGroup::company), "company|website:acme.example");
  const auto result = provider->lookup(query, FieldGroup::person, context);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().category, ErrorCategory::invalid_argument);
  EXPECT_EQ(transport().call_count(), 0U);
}

TEST_F(PdlProviderTest, APersonMatchBecomesFieldsWithLikelihoodOverTenAsConfidence) {
  auto provider = make();
  transport().then_body(200, person_match, {{"x-call-credits-spent", "3"}});
  const auto answer = provider->lookup(by_email(), FieldGroup::person, context);
  ASSERT_TRUE(answer.ok()) << answer.error().describe();
  EXPECT_EQ(answer->outcome, Outcome::matched);
  EXPECT_DOUBLE_EQ(answer->raw_confidence, 8);
  EXPECT_DOUBLE_EQ(answer->confidence, 0.8);
  EXPECT_EQ(answer->credits, 3);
  const std::vector<FoundField> expected = {
      {"person.job_title", "head of sales"},
      {"person.seniority", "director"},
      {"company.name", "acme"},
      {"company.website", "acme.example"},
      {"company.industry", "computer software"},
      {"social.linkedin_url", "linkedin.com/in/anna-ivanova"},
      {"social.x_handle", "anna_iv"},
      {"social.github_url", "github.com/annai"},
      {"social.location", "moscow, russia"},
  };
  EXPECT_EQ(answer->fields, expected);
}

TEST_F(PdlProviderTest, AMatchWithoutACreditsHeaderCostsOneCredit) {
  auto provider = make();
  transport().then_body(200, person_match);
  const auto answer = provider->lookup(by_email(), FieldGroup::person, context);
  ASSERT_TRUE(answer.ok());
  EXPECT_EQ(answer->credits, 1);
}

TEST_F(PdlProviderTest, CompanyLookupAsksByWebsiteOrNameAndReadsTheFlatCompanyRecord) {
  auto provider = make();
  Query query;
  query.domain = "acme.example";
  query.company_name = "Acme";
  transport().then_body(200, company_match);
  const auto answer = provider->lookup(query, FieldGroup::company, context);
  ASSERT_TRUE(answer.ok()) << answer.error().describe();
  const auto url = parse_sent(transport().call(0).request.url);
  EXPECT_EQ(url.path, "/v5/company/enrich");
  EXPECT_EQ(url.params.at("website"), "acme.example");
  EXPECT_FALSE(url.params.contains("name"));
  EXPECT_EQ(url.params.at("min_likelihood"), "6");
  EXPECT_DOUBLE_EQ(answer->confidence, 0.6);
  const std::vector<FoundField> expected = {
      {"company.name", "Acme"},
      {"company.website", "acme.example"},
      {"company.industry", "computer software"},
      {"company.employee_count", "250"},
      {"company.annual_revenue", "10000000"},
      {"company.address.city", "berlin"},
      {"company.address.country", "germany"},
  };
  EXPECT_EQ(answer->fields, expected);

  query.domain.clear();
  transport().then_respond(404);
  ASSERT_TRUE(provider->lookup(query, FieldGroup::company, context).ok());
  EXPECT_EQ(parse_sent(transport().call(1).request.url).params.at("name"), "Acme");
}

TEST_F(PdlProviderTest, A404IsAFreeNoMatch) {
  auto provider = make();
  transport().then_body(404,
                        R"({"status":404,"error":{"type":"not_found","message":"No records"}})",
                        {{"x-call-credits-spent", "0"}});
  const auto answer = provider->lookup(by_email(), FieldGroup::person, context);
  ASSERT_TRUE(answer.ok());
  EXPECT_EQ(answer->outcome, Outcome::no_match);
  EXPECT_EQ(answer->credits, 0);
  EXPECT_TRUE(answer->fields.empty());
}

TEST_F(PdlProviderTest, A400IsInvalidInputCarryingPdlsMessage) {
  auto provider = make();
  transport().then_body(400, R"({"status":400,"error":{"type":"invalid_request_error",
                                 "message":"min_likelihood must be 1..10"}})");
  const auto answer = provider->lookup(by_email(), FieldGroup::person, context);
  ASSERT_TRUE(answer.ok());
  EXPECT_EQ(answer->outcome, Outcome::invalid_input);
  EXPECT_EQ(answer->note, "min_likelihood must be 1..10");
  EXPECT_EQ(answer->credits, 0);
}

TEST_F(PdlProviderTest, A401IsUnauthorizedAndNotRetryable) {
  auto provider = make();
  transport().then_body(401, R"({"status":401,"error":{"type":"authentication_error"}})");
  const auto result = provider->lookup(by_email(), FieldGroup::person, context);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().category, ErrorCategory::unauthorized);
  EXPECT_EQ(result.error().http_status, 401);
  EXPECT_FALSE(result.error().retryable);
  EXPECT_NE(result.error().message.find("enrich.provider 'pdl'"), std::string::npos);
  EXPECT_EQ(result.error().message.find(test_key), std::string::npos);
}

TEST_F(PdlProviderTest, A402IsForbiddenWithTheOutOfCreditsCode) {
  auto provider = make();
  transport().then_body(402, R"({"status":402,"error":{"type":"payment_required"}})");
  const auto result = provider->lookup(by_email(), FieldGroup::person, context);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().category, ErrorCategory::forbidden);
  EXPECT_TRUE(out_of_credits(result.error()));
  EXPECT_FALSE(result.error().retryable);
}

TEST_F(PdlProviderTest, A429IsThrottledAndRateStateKeepsRetryAfterAndReset) {
  auto provider = make();
  transport().then_body(429, R"({"status":429,"error":{"type":"rate_limit_error"}})",
                        {{"Retry-After", "17"},
                         {"x-ratelimit-remaining", R"({"minute": 0})"},
                         {"x-ratelimit-limit", R"({"minute": 100})"},
                         {"x-ratelimit-reset", "2026-09-21T14:13:50Z"}});
  const auto result = provider->lookup(by_email(), FieldGroup::person, context);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().category, ErrorCategory::throttled);
  EXPECT_TRUE(result.error().retryable);
  EXPECT_EQ(result.error().http_status, 429);
  const RateState rate = provider->rate_state();
  EXPECT_EQ(rate.retry_after, 17s);
  EXPECT_EQ(rate.remaining, 0);
  EXPECT_EQ(rate.limit, 100);
  ASSERT_TRUE(rate.reset.has_value());
  EXPECT_EQ(std::chrono::duration_cast<std::chrono::seconds>(rate.reset->time_since_epoch()),
            std::chrono::seconds{1790000000 + 30}); // 2026-09-21T14:13:50Z
}

TEST_F(PdlProviderTest, A429WithoutRetryAfterLeavesRetryAfterUnset) {
  auto provider = make();
  transport().then_body(429, "", {{"x-ratelimit-remaining", "0"}});
  const auto result = provider->lookup(by_email(), FieldGroup::person, context);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().category, ErrorCategory::throttled);
  EXPECT_FALSE(provider->rate_state().retry_after.has_value());
  EXPECT_EQ(provider->rate_state().remaining, 0);
}

TEST_F(PdlProviderTest, A5xxIsUnavailableAndRetryable) {
  auto provider = make();
  transport().then_body(503, "upstream down");
  const auto result = provider->lookup(by_email(), FieldGroup::person, context);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().category, ErrorCategory::unavailable);
  EXPECT_TRUE(result.error().retryable);
  EXPECT_EQ(result.error().http_status, 503);
}

TEST_F(PdlProviderTest, AnUnreadableBodyIsAProtocolError) {
  auto provider = make();
  transport().then_body(200, "{\"status\": 200, \"likeli");
  const auto result = provider->lookup(by_email(), FieldGroup::person, context);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().category, ErrorCategory::protocol);
  transport().then_body(200, R"({"status": 200, "likelihood": 5})");
  const auto no_data = provider->lookup(by_email(), FieldGroup::person, context);
  ASSERT_FALSE(no_data.ok());
  EXPECT_EQ(no_data.error().category, ErrorCategory::protocol);
}

TEST_F(PdlProviderTest, ATransportTimeoutIsPassedOnAsARetryableTimeout) {
  auto provider = make();
  transport().then_fail(ErrorCategory::timeout, "deadline passed after 7 s", true);
  const auto result = provider->lookup(by_email(), FieldGroup::person, context);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().category, ErrorCategory::timeout);
  EXPECT_TRUE(result.error().retryable);
  EXPECT_NE(result.error().message.find("enrich.provider 'pdl'"), std::string::npos);
}

TEST_F(PdlProviderTest, RateStateReadsDictJsonPythonReprAndBareNumbersAndEpochResets) {
  auto provider = make();
  transport().then_body(404, "",
                        {{"x-ratelimit-remaining", R"({"minute": 99})"},
                         {"x-ratelimit-limit", "{'minute': 1000, 'day': None}"},
                         {"x-ratelimit-reset", "1790000060"}});
  ASSERT_TRUE(provider->lookup(by_email(), FieldGroup::person, context).ok());
  RateState rate = provider->rate_state();
  EXPECT_EQ(rate.remaining, 99);
  EXPECT_EQ(rate.limit, 1000);
  ASSERT_TRUE(rate.reset.has_value());
  EXPECT_EQ(*rate.reset, Clock::WallTime{std::chrono::seconds{1790000060}});
  EXPECT_FALSE(rate.retry_after.has_value());

  transport().then_body(404, "", {{"x-ratelimit-remaining", "42"}, {"x-ratelimit-limit", "10000"}});
  ASSERT_TRUE(provider->lookup(by_email(), FieldGroup::person, context).ok());
  rate = provider->rate_state();
  EXPECT_EQ(rate.remaining, 42);
  EXPECT_EQ(rate.limit, 10000);
  EXPECT_FALSE(rate.reset.has_value()); // the last response said nothing about it

  transport().then_body(404, "", {{"Retry-After", "Mon, 21 Sep 2026 14:14:20 GMT"}});
  ASSERT_TRUE(provider->lookup(by_email(), FieldGroup::person, context).ok());
  EXPECT_EQ(provider->rate_state().retry_after, 60s); // the clock is at 14:13:20
}

TEST_F(PdlProviderTest, BulkSendsOneCallWithPositionsAndMapsItemsBackInOrder) {
  auto provider = make();
  EXPECT_EQ(provider->capabilities().max_batch, 100U);
  std::vector<Query> queries(4);
  queries[0].email = "a@acme.example";
  queries[1].phone = "+4915100000001";
  queries[2].linkedin_url = "linkedin.com/in/c";
  queries[3].email = "d@acme.example";
  // The answer lists the items out of order; metadata.position says which is which.
  transport().then_body(200, R"([
    {"status": 404, "error": {"type": "not_found"}, "metadata": {"position": 2}},
    {"status": 200, "likelihood": 9, "data": {"job_title": "cto"}, "metadata": {"position": 0}},
    {"status": 402, "error": {"type": "payment_required"}, "metadata": {"position": 3}},
    {"status": 400, "error": {"message": "bad phone"}, "metadata": {"position": 1}}])",
                        {{"x-ratelimit-remaining", "7"}});
  const auto results = provider->lookup_many(queries, FieldGroup::person, context);
  ASSERT_EQ(transport().call_count(), 1U);
  const http::Request sent = transport().call(0).request;
  EXPECT_EQ(sent.method, "POST");
  EXPECT_EQ(parse_sent(sent.url).path, "/v5/person/bulk");
  EXPECT_EQ(sent.headers.get("X-Api-Key"), test_key);
  const auto body = nlohmann::json::parse(sent.body);
  EXPECT_EQ(body.at("min_likelihood"), 6);
  ASSERT_EQ(body.at("requests").size(), 4U);
  EXPECT_EQ(body.at("requests")[0].at("params").at("email"), "a@acme.example");
  EXPECT_EQ(body.at("requests")[1].at("params").at("phone"), "+4915100000001");
  EXPECT_EQ(body.at("requests")[2].at("params").at("profile"), "linkedin.com/in/c");
  EXPECT_EQ(body.at("requests")[3].at("metadata").at("position"), 3);

  ASSERT_EQ(results.size(), 4U);
  ASSERT_TRUE(results[0].ok());
  EXPECT_EQ(results[0]->outcome, Outcome::matched);
  EXPECT_DOUBLE_EQ(results[0]->confidence, 0.9);
  EXPECT_EQ(results[0]->credits, 1);
  EXPECT_EQ(results[0]->fields, (std::vector<FoundField>{{"person.job_title", "cto"}}));
  ASSERT_TRUE(results[1].ok());
  EXPECT_EQ(results[1]->outcome, Outcome::invalid_input);
  EXPECT_EQ(results[1]->note, "bad phone");
  ASSERT_TRUE(results[2].ok());
  EXPECT_EQ(results[2]->outcome, Outcome::no_match);
  EXPECT_EQ(results[2]->credits, 0);
  ASSERT_FALSE(results[3].ok());
  EXPECT_TRUE(out_of_credits(results[3].error()));
  EXPECT_EQ(provider->rate_state().remaining, 7);
}

TEST_F(PdlProviderTest, BulkSplitsIntoBatchSizeCallsAndSkipsQueriesWithNothingToAsk) {
  auto provider = make(0.55, 2);
  EXPECT_EQ(provider->capabilities().max_batch, 2U);
  std::vector<Query> queries(4);
  queries[0].email = "a@acme.example";
  queries[1].company_name = "Only a company"; // nothing a person lookup can use
  queries[2].email = "c@acme.example";
  queries[3].email = "d@acme.example";
  transport().then_body(200, R"([{"status": 404}, {"status": 404}])");
  transport().then_body(200, R"([{"status": 200, "likelihood": 4, "data": {}}])");
  const auto results = provider->lookup_many(queries, FieldGroup::person, context);
  ASSERT_EQ(transport().call_count(), 2U);
  EXPECT_EQ(nlohmann::json::parse(transport().call(0).request.body).at("requests").size(), 2U);
  EXPECT_EQ(nlohmann::json::parse(transport().call(1).request.body)
                .at("requests")[0]
                .at("params")
                .at("email"),
            "d@acme.example");
  ASSERT_EQ(results.size(), 4U);
  EXPECT_EQ(results[0]->outcome, Outcome::no_match); // items without metadata: in order
  ASSERT_FALSE(results[1].ok());
  EXPECT_EQ(results[1].error().category, ErrorCategory::invalid_argument);
  EXPECT_EQ(results[2]->outcome, Outcome::no_match);
  EXPECT_EQ(results[3]->outcome, Outcome::matched);
  EXPECT_DOUBLE_EQ(results[3]->confidence, 0.4);
}

TEST_F(PdlProviderTest, AFailedBulkCallGivesEveryItemThatError) {
  auto provider = make();
  std::vector<Query> queries(3, by_email());
  transport().then_body(502, "Bad Gateway");
  const auto results = provider->lookup_many(queries, FieldGroup::person, context);
  ASSERT_EQ(results.size(), 3U);
  for (const auto& result : results) {
    ASSERT_FALSE(result.ok());
    EXPECT_EQ(result.error().category, ErrorCategory::unavailable);
    EXPECT_EQ(result.error().http_status, 502);
  }
  transport().then_fail(ErrorCategory::timeout, "deadline passed", true);
  for (const auto& result : provider->lookup_many(queries, FieldGroup::person, context)) {
    ASSERT_FALSE(result.ok());
    EXPECT_EQ(result.error().category, ErrorCategory::timeout);
  }
  transport().then_body(200, R"({"not": "an array"})");
  for (const auto& result : provider->lookup_many(queries, FieldGroup::person, context)) {
    ASSERT_FALSE(result.ok());
    EXPECT_EQ(result.error().category, ErrorCategory::protocol);
  }
}

TEST_F(PdlProviderTest, ABulkAnswerMissingAnItemFailsOnlyThatItem) {
  auto provider = make();
  std::vector<Query> queries(2, by_email());
  transport().then_body(200, R"([{"status": 404, "metadata": {"position": 1}}])");
  const auto results = provider->lookup_many(queries, FieldGroup::person, context);
  ASSERT_FALSE(results[0].ok());
  EXPECT_EQ(results[0].error().category, ErrorCategory::protocol);
  ASSERT_TRUE(results[1].ok());
  EXPECT_EQ(results[1]->outcome, Outcome::no_match);
}

TEST_F(PdlProviderTest, CompanyLookupManyAsksOneByOne) {
  auto provider = make();
  std::vector<Query> queries(2);
  queries[0].domain = "a.example";
  queries[1].domain = "b.example";
  transport().then_respond(404).then_body(200, company_match);
  const auto results = provider->lookup_many(queries, FieldGroup::company, context);
  ASSERT_EQ(transport().call_count(), 2U);
  EXPECT_EQ(parse_sent(transport().call(1).request.url).params.at("website"), "b.example");
  EXPECT_EQ(results[0]->outcome, Outcome::no_match);
  EXPECT_EQ(results[1]->outcome, Outcome::matched);
}

TEST_F(PdlProviderTest, TheFactoryRefusesBadOptionsNamingTheProviderAndWhatToDo) {
  auto options = fixture.options("pdl-main", "pdl");
  options.url = "";
  auto made = providers::make_pdl(options, fixture.environment());
  ASSERT_FALSE(made.ok());
  EXPECT_EQ(made.error().category, ErrorCategory::config);
  EXPECT_NE(made.error().message.find("enrich.provider 'pdl-main': url is not set"),
            std::string::npos);

  options = fixture.options("pdl-main", "pdl");
  options.url = "ftp://127.0.0.1/";
  made = providers::make_pdl(options, fixture.environment());
  ASSERT_FALSE(made.ok());
  EXPECT_NE(made.error().message.find("not an http or https URL"), std::string::npos);

  options = fixture.options("pdl-main", "pdl");
  options.api_key = {};
  made = providers::make_pdl(options, fixture.environment());
  ASSERT_FALSE(made.ok());
  EXPECT_EQ(made.error().category, ErrorCategory::config);
  EXPECT_NE(made.error().message.find("enrich.provider 'pdl-main': api_key is not configured"),
            std::string::npos);

  options = fixture.options("pdl-main", "pdl");
  options.api_key.file = (fixture.dir() / "missing.key").string();
  made = providers::make_pdl(options, fixture.environment());
  ASSERT_FALSE(made.ok());
  EXPECT_NE(made.error().message.find("does not exist"), std::string::npos);

  options = fixture.options("pdl-main", "pdl");
  options.batch_size = 101;
  made = providers::make_pdl(options, fixture.environment());
  ASSERT_FALSE(made.ok());
  EXPECT_NE(made.error().message.find("batch_size must be 1..100"), std::string::npos);

  options = fixture.options("pdl-main", "pdl");
  options.groups = {"social", "weather"};
  made = providers::make_pdl(options, fixture.environment());
  ASSERT_FALSE(made.ok());
  EXPECT_NE(made.error().message.find("\"weather\" is not a group"), std::string::npos);
}

TEST_F(PdlProviderTest, ConfiguredGroupsNarrowWhatTheProviderAnswers) {
  auto options = fixture.options("pdl", "pdl");
  options.groups = {"company"};
  auto provider = std::move(providers::make_pdl(options, fixture.environment())).value();
  EXPECT_EQ(provider->capabilities().groups, std::vector<FieldGroup>{FieldGroup::company});
  EXPECT_EQ(provider->capabilities().max_batch, 1U);
  EXPECT_EQ(provider->lookup_key(by_email(), FieldGroup::person), "");
  EXPECT_FALSE(provider->capabilities().bills_misses);
}

TEST(PdlRecordTest, PersonFieldsSkipNullEmptyAndNonStringValues) {
  const auto record = nlohmann::json::parse(R"({"job_title": null, "job_company_name": "",
      "job_company_website": 42, "linkedin_url": "linkedin.com/in/x",
      "job_title_levels": [], "twitter_username": "x_handle", "industry": "banking"})");
  const std::vector<FoundField> expected = {{"company.industry", "banking"},
                                            {"social.linkedin_url", "linkedin.com/in/x"},
                                            {"social.x_handle", "x_handle"}};
  EXPECT_EQ(providers::pdl_person_fields(record), expected);
  EXPECT_TRUE(providers::pdl_person_fields(nlohmann::json::array()).empty());
}

TEST(PdlRecordTest, CompanyRevenueIsTheLowerBoundOfTheRange) {
  auto fields = [](const char* revenue) {
    nlohmann::json record = {{"inferred_revenue", revenue}};
    const auto found = providers::pdl_company_fields(record);
    return found.empty() ? std::string("none") : found.front().value;
  };
  EXPECT_EQ(fields("$10M-$25M"), "10000000");
  EXPECT_EQ(fields("$0-$1M"), "0");
  EXPECT_EQ(fields("$10B+"), "10000000000");
  EXPECT_EQ(fields("unknown"), "none");
}

} // namespace
} // namespace leadsync::enrich
