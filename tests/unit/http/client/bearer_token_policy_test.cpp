#include "leadsync/http/policies.hpp"
#include "support/recording_transport.hpp"
#include "support/scripted_token_provider.hpp"

#include <gtest/gtest.h>

namespace leadsync::http {
namespace {

using test::make_request;
using test::next_to;
using test::RecordingTransport;
using test::ScriptedTokenProvider;

class BearerTokenPolicyTest : public ::testing::Test {
protected:
  Result<Response> send(std::string url) {
    auto request = make_request("GET", std::move(url));
    CallContext context;
    return policy.send(request, context, next_to(transport));
  }

  std::shared_ptr<ScriptedTokenProvider> provider = std::make_shared<ScriptedTokenProvider>();
  BearerTokenPolicy policy{provider};
  RecordingTransport transport;
};

TEST_F(BearerTokenPolicyTest, AddsTheTokenAsABearerAuthorization) {
  provider->then_token("token-1");
  transport.then_respond(200);

  ASSERT_TRUE(send("https://crm.example.com/api/data/v9.2/WhoAmI").ok());

  EXPECT_EQ(transport.calls().at(0).request.headers.get("Authorization"), "Bearer token-1");
  EXPECT_EQ(provider->requests(), std::vector<bool>{false});
}

TEST_F(BearerTokenPolicyTest, RefusesPlainHttpToAHostThatIsNotLoopback) {
  provider->then_token("token-1");

  const auto result = send("http://crm.example.com/api/data/v9.2/WhoAmI");

  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().category, ErrorCategory::config);
  EXPECT_EQ(result.error().message,
            "refusing to send a bearer token over plain http to crm.example.com; use https");
  EXPECT_EQ(transport.call_count(), 0U);
  EXPECT_TRUE(provider->requests().empty()) << "no token is even fetched";
}

TEST_F(BearerTokenPolicyTest, AllowsPlainHttpToLoopback) {
  provider->then_token("t").then_token("t").then_token("t");
  transport.then_respond(200).then_respond(200).then_respond(200);

  EXPECT_TRUE(send("http://127.0.0.1:8765/api/data/v9.2/WhoAmI").ok());
  EXPECT_TRUE(send("http://localhost:8765/api/data/v9.2/WhoAmI").ok());
  EXPECT_TRUE(send("http://[::1]:8765/api/data/v9.2/WhoAmI").ok());

  EXPECT_EQ(transport.call_count(), 3U);
}

TEST_F(BearerTokenPolicyTest, After401RefreshesOnceAndSendsAgain) {
  provider->then_token("revoked").then_token("fresh");
  transport.then_respond(401).then_respond(200, {}, "welcome");

  const auto result = send("https://crm.example.com/api/data/v9.2/WhoAmI");

  ASSERT_TRUE(result.ok());
  EXPECT_EQ(result->body, "welcome");
  const auto calls = transport.calls();
  ASSERT_EQ(calls.size(), 2U);
  EXPECT_EQ(calls[0].request.headers.get("Authorization"), "Bearer revoked");
  EXPECT_EQ(calls[1].request.headers.get_all("Authorization"),
            std::vector<std::string>{"Bearer fresh"});
  EXPECT_EQ(provider->requests(), (std::vector<bool>{false, true}));
  EXPECT_EQ(provider->refused_tokens(), (std::vector<std::string>{"", "revoked"}))
      << "the refresh names the token that was refused, so only that one is replaced";
}

TEST_F(BearerTokenPolicyTest, TheCallsCancellationGoesWithEveryTokenRequest) {
  provider->then_token("revoked").then_token("fresh");
  transport.then_respond(401).then_respond(200);
  CancellationSource shutdown;
  auto request = make_request("GET", "https://crm.example.com/api/data/v9.2/WhoAmI");
  CallContext context;
  context.cancel = shutdown.token();

  ASSERT_TRUE(policy.send(request, context, next_to(transport)).ok());
  shutdown.cancel();

  const auto tokens = provider->cancel_tokens();
  ASSERT_EQ(tokens.size(), 2U);
  EXPECT_TRUE(tokens[0].cancelled());
  EXPECT_TRUE(tokens[1].cancelled());
}

TEST_F(BearerTokenPolicyTest, ASecond401IsReturnedAsIs) {
  provider->then_token("a").then_token("b");
  transport.then_respond(401, {{"WWW-Authenticate", "Bearer error=\"invalid_token\""}})
      .then_respond(401, {}, "still no");

  const auto result = send("https://crm.example.com/api/data/v9.2/WhoAmI");

  ASSERT_TRUE(result.ok());
  EXPECT_EQ(result->status, 401);
  EXPECT_EQ(result->body, "still no");
  EXPECT_EQ(transport.call_count(), 2U);
  EXPECT_EQ(provider->requests().size(), 2U);
}

TEST_F(BearerTokenPolicyTest, TokenProviderErrorPropagatesWithoutSending) {
  provider->then_fail(ErrorCategory::unauthorized, "AADSTS7000215: invalid client secret");

  const auto result = send("https://crm.example.com/api/data/v9.2/WhoAmI");

  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().category, ErrorCategory::unauthorized);
  EXPECT_EQ(result.error().message, "AADSTS7000215: invalid client secret");
  EXPECT_EQ(transport.call_count(), 0U);
}

TEST_F(BearerTokenPolicyTest, RefreshErrorAfter401Propagates) {
  provider->then_token("old").then_fail(ErrorCategory::unavailable, "token endpoint unreachable");
  transport.then_respond(401);

  const auto result = send("https://crm.example.com/api/data/v9.2/WhoAmI");

  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().message, "token endpoint unreachable");
  EXPECT_EQ(transport.call_count(), 1U);
}

TEST_F(BearerTokenPolicyTest, MalformedUrlIsAnInvalidArgument) {
  const auto result = send("crm.example.com/no-scheme");

  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().category, ErrorCategory::invalid_argument);
  EXPECT_EQ(transport.call_count(), 0U);
}

} // namespace
} // namespace leadsync::http
