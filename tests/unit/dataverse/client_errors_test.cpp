// How DataverseClient calls fail and recover through the real pipeline: each failure in its own
// test, with waits recorded on a ManualClock instead of slept.

#include "client_fixture.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace leadsync::dataverse {
namespace {

using namespace std::chrono_literals;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

const std::string who_am_i_body = R"({"BusinessUnitId":"b","UserId":"u","OrganizationId":"o"})";
const std::string requests_limit =
    R"({"error":{"code":"0x80072322","message":"Number of requests exceeded the limit of 6000 )"
    R"(over time window of 300 seconds."}})";
const std::string service_unavailable =
    R"({"error":{"code":"","message":"The service is temporarily unavailable."}})";

std::string lead_key() {
  return odata::key_by_id(kLeadId).value();
}

class ClientErrorsTest : public ClientFixture {};

TEST_F(ClientErrorsTest, After401TheTokenIsRefreshedOnceAndTheRequestSucceeds) {
  transport_->then_respond(401, {{"WWW-Authenticate", "Bearer error=\"invalid_token\""}})
      .then_json(200, who_am_i_body);

  const auto who = client_->who_am_i();

  ASSERT_TRUE(who.ok()) << who.error().describe();
  ASSERT_EQ(transport_->call_count(), 2U);
  EXPECT_EQ(call(0).request.headers.get("Authorization"), "Bearer token-1");
  EXPECT_EQ(call(1).request.headers.get("Authorization"), "Bearer token-2");
  EXPECT_EQ(tokens_->refreshes(), 1);
}

TEST_F(ClientErrorsTest, ASecond401IsUnauthorizedWithTheChallengeReason) {
  const http::Headers challenge{
      {"WWW-Authenticate", R"(Bearer authorization_uri=https://login/x, error="invalid_token", )"
                           R"(error_description="the token was revoked; get a new one")"}};
  transport_->then_respond(401, challenge).then_respond(401, challenge);

  const auto who = client_->who_am_i();

  ASSERT_FALSE(who.ok());
  EXPECT_EQ(who.error().category, ErrorCategory::unauthorized);
  EXPECT_EQ(who.error().http_status, 401);
  EXPECT_EQ(who.error().message, "Unauthorized: the token was revoked; get a new one");
  EXPECT_EQ(transport_->call_count(), 2U) << "one refresh, no more";
}

TEST_F(ClientErrorsTest, A429WaitsTheRetryAfterSecondsThenSucceeds) {
  transport_->then_json(429, requests_limit, {{"Retry-After", "7"}}).then_json(200, who_am_i_body);

  const auto who = client_->who_am_i();

  ASSERT_TRUE(who.ok()) << who.error().describe();
  EXPECT_THAT(sleeper_.waits(), ElementsAre(7000ms));
  EXPECT_EQ(retry_->stats().throttled, 1);
  EXPECT_EQ(limiter_->limit(), 2) << "the limiter halves on a 429";
}

TEST_F(ClientErrorsTest, A429WithAnHttpDateWaitsUntilThatTime) {
  const std::string in_90_seconds = http::http_date(clock_.now() + 90s);
  transport_->then_json(429, requests_limit, {{"Retry-After", in_90_seconds}})
      .then_json(200, who_am_i_body);

  const auto who = client_->who_am_i();

  ASSERT_TRUE(who.ok()) << who.error().describe();
  EXPECT_THAT(sleeper_.waits(), ElementsAre(90000ms));
}

TEST_F(ClientErrorsTest, ACreateRefusedWith429IsSentAgain) {
  transport_->then_json(429, requests_limit, {{"Retry-After", "1"}})
      .then_respond(204, {{"OData-EntityId", kRoot + "leads(" + kLeadId + ")"}});

  const auto id = client_->create("leads", {{"lastname", "x"}});

  ASSERT_TRUE(id.ok()) << id.error().describe();
  EXPECT_EQ(transport_->call_count(), 2U) << "a 429 means the service did not run it";
}

TEST_F(ClientErrorsTest, A503IsRetriedAfterABackoffThenSucceeds) {
  transport_->then_json(503, service_unavailable).then_json(200, who_am_i_body);

  const auto who = client_->who_am_i();

  ASSERT_TRUE(who.ok()) << who.error().describe();
  ASSERT_EQ(sleeper_.waits().size(), 1U);
  EXPECT_LE(sleeper_.waits()[0], 500ms) << "first backoff is at most the base delay";
  EXPECT_EQ(retry_->stats().retries, 1);
}

TEST_F(ClientErrorsTest, A503OnACreateIsNotRepeated) {
  transport_->then_json(503, service_unavailable);

  const auto id = client_->create("leads", {{"lastname", "x"}});

  ASSERT_FALSE(id.ok());
  EXPECT_EQ(id.error().category, ErrorCategory::unavailable);
  EXPECT_EQ(id.error().http_status, 503);
  EXPECT_EQ(transport_->call_count(), 1U) << "the service may have created the row already";
}

TEST_F(ClientErrorsTest, AMalformedBodyIsAProtocolErrorAndNotRetried) {
  transport_->then_respond(200, {{"Content-Type", "text/html"}}, "<html>maintenance</html>");

  const auto who = client_->who_am_i();

  ASSERT_FALSE(who.ok());
  EXPECT_EQ(who.error().category, ErrorCategory::protocol);
  EXPECT_THAT(who.error().message, HasSubstr("not valid JSON"));
  EXPECT_EQ(transport_->call_count(), 1U);
}

TEST_F(ClientErrorsTest, ABodyMissingAnIdIsAProtocolError) {
  transport_->then_json(200, R"({"UserId":"u","OrganizationId":"o"})");

  const auto who = client_->who_am_i();

  ASSERT_FALSE(who.ok());
  EXPECT_EQ(who.error().category, ErrorCategory::protocol);
  EXPECT_THAT(who.error().message, HasSubstr("BusinessUnitId"));
}

TEST_F(ClientErrorsTest, AConnectionResetIsRetried) {
  transport_
      ->then_fail(ErrorCategory::unavailable,
                  "connection to contoso.crm.dynamics.com:443 was closed or reset", true)
      .then_respond(204);

  const auto updated = client_->update("leads", lead_key(), {{"jobtitle", "CTO"}});

  ASSERT_TRUE(updated.ok()) << updated.error().describe();
  EXPECT_EQ(transport_->call_count(), 2U);
  EXPECT_EQ(call(1).context.attempt, 2);
}

TEST_F(ClientErrorsTest, ATimeoutIsRetried) {
  transport_
      ->then_fail(ErrorCategory::timeout,
                  "no response from contoso.crm.dynamics.com:443 within 120 s", true)
      .then_json(200, who_am_i_body);

  const auto who = client_->who_am_i();

  ASSERT_TRUE(who.ok()) << who.error().describe();
  EXPECT_EQ(transport_->call_count(), 2U);
}

TEST_F(ClientErrorsTest, AfterTheLastAttemptTheLastErrorIsReturnedWithTheRequestId) {
  for (int i = 0; i < 6; ++i) {
    transport_->then_json(503, service_unavailable);
  }

  const auto who = client_->who_am_i();

  ASSERT_FALSE(who.ok());
  EXPECT_EQ(transport_->call_count(), 6U) << "RetryOptions::max_attempts";
  EXPECT_EQ(who.error().category, ErrorCategory::unavailable);
  EXPECT_EQ(who.error().http_status, 503);
  EXPECT_EQ(who.error().message, "The service is temporarily unavailable.");
  EXPECT_TRUE(who.error().retryable);
  EXPECT_EQ(who.error().request_id, call(5).request.headers.get("x-ms-client-request-id"));
}

TEST_F(ClientErrorsTest, ATransportFailureCarriesTheRequestId) {
  transport_->then_fail(ErrorCategory::unavailable, "TLS with contoso:443 failed: bad cert", false);

  const auto who = client_->who_am_i();

  ASSERT_FALSE(who.ok());
  EXPECT_EQ(who.error().message, "TLS with contoso:443 failed: bad cert");
  EXPECT_EQ(who.error().request_id, call(0).request.headers.get("x-ms-client-request-id"));
  EXPECT_EQ(transport_->call_count(), 1U) << "a TLS failure is not retryable";
}

class ExhaustedBudgetTest : public ClientFixture {
protected:
  static http::RetryOptions one_retry_budget() {
    http::RetryOptions options;
    options.budget_capacity = 1;
    options.budget_refill = 0;
    return options;
  }
  ExhaustedBudgetTest() : ClientFixture(one_retry_budget()) {}
};

TEST_F(ExhaustedBudgetTest, AnEmptyRetryBudgetReturnsTheFailureAtOnce) {
  transport_->then_json(503, service_unavailable)
      .then_json(503, service_unavailable)
      .then_json(503, service_unavailable);

  const auto first = client_->who_am_i();
  const auto second = client_->who_am_i();

  ASSERT_FALSE(first.ok());
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.error().http_status, 503);
  EXPECT_EQ(transport_->call_count(), 3U) << "one retry for the first call, none for the second";
  EXPECT_EQ(retry_->stats().budget_exhausted, 2);
}

} // namespace
} // namespace leadsync::dataverse
