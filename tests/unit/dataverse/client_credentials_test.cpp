// The OAuth2 client-credentials provider against a recording transport and a ManualClock.

#include "fakes.hpp"
#include "leadsync/dataverse/client_credentials.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <thread>
#include <vector>

namespace leadsync::dataverse {
namespace {

using namespace std::chrono_literals;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr const char* test_secret = "s3cr3t+/=&value";
constexpr const char* token_url =
    "https://login.microsoftonline.com/contoso.onmicrosoft.com/oauth2/v2.0/token";

std::string token_body(const std::string& token, int expires_in) {
  return R"({"token_type":"Bearer","expires_in":)" + std::to_string(expires_in) +
         R"(,"ext_expires_in":3599,"access_token":")" + token + R"("})";
}

class ClientCredentialsTest : public ::testing::Test {
protected:
  ClientCredentialsProvider
  make_provider(std::string authority = "https://login.microsoftonline.com/") {
    ClientCredentialsOptions options;
    options.authority = std::move(authority);
    options.tenant = "contoso.onmicrosoft.com";
    options.client_id = "11111111-2222-4333-8444-555555555555";
    options.client_secret = Secret(test_secret);
    options.scope = "https://contoso.crm.dynamics.com/.default";
    return ClientCredentialsProvider(options, transport_, clock_);
  }

  ManualClock clock_;
  std::shared_ptr<fakes::RecordingTransport> transport_ =
      std::make_shared<fakes::RecordingTransport>();
};

TEST_F(ClientCredentialsTest, PostsTheFormToTheTenantTokenEndpoint) {
  transport_->then_json(200, token_body("tok-1", 3599));
  auto provider = make_provider();

  const auto token = provider.get_token(false);

  ASSERT_TRUE(token.ok()) << token.error().describe();
  EXPECT_EQ(token->token.reveal(), "tok-1");
  EXPECT_EQ(token->expires_at, clock_.now() + 3599s);
  EXPECT_EQ(fakes::wire(transport_->call(0).request),
            std::string("POST ") + token_url +
                "\n"
                "Accept: application/json\n"
                "Content-Type: application/x-www-form-urlencoded\n"
                "\n"
                "client_id=11111111-2222-4333-8444-555555555555&client_secret=s3cr3t%2B%2F%3D%"
                "26value&scope=https%3A%2F%2Fcontoso.crm.dynamics.com%2F.default&grant_type="
                "client_credentials");
}

TEST_F(ClientCredentialsTest, CachesTheTokenUntilItIsDueForRefresh) {
  transport_->then_json(200, token_body("tok-1", 3599)).then_json(200, token_body("tok-2", 3599));
  auto provider = make_provider();

  ASSERT_TRUE(provider.get_token(false).ok());
  clock_.advance(3599s - 300s - 1s); // just before refresh_ahead (300 s) of expiry
  const auto cached = provider.get_token(false);
  clock_.advance(1s);
  const auto refreshed = provider.get_token(false);

  ASSERT_TRUE(cached.ok());
  ASSERT_TRUE(refreshed.ok());
  EXPECT_EQ(cached->token.reveal(), "tok-1");
  EXPECT_EQ(refreshed->token.reveal(), "tok-2");
  EXPECT_EQ(transport_->call_count(), 2U);
}

TEST_F(ClientCredentialsTest, AShortLivedTokenIsRefreshedAtHalfItsLife) {
  transport_->then_json(200, token_body("short", 200)).then_json(200, token_body("next", 200));
  auto provider = make_provider();

  ASSERT_TRUE(provider.get_token(false).ok());
  clock_.advance(99s);
  EXPECT_EQ(provider.get_token(false)->token.reveal(), "short");
  clock_.advance(1s);
  EXPECT_EQ(provider.get_token(false)->token.reveal(), "next");
}

TEST_F(ClientCredentialsTest, ForceRefreshBypassesTheCache) {
  transport_->then_json(200, token_body("tok-1", 3599)).then_json(200, token_body("tok-2", 3599));
  auto provider = make_provider();

  ASSERT_TRUE(provider.get_token(false).ok());
  const auto forced = provider.get_token(true);

  ASSERT_TRUE(forced.ok());
  EXPECT_EQ(forced->token.reveal(), "tok-2");
  EXPECT_EQ(transport_->call_count(), 2U);
}

TEST_F(ClientCredentialsTest, ConcurrentCallersShareOneTokenRequest) {
  transport_->then_json(200, token_body("shared", 3599));
  auto provider = make_provider();

  std::vector<std::thread> threads;
  std::vector<std::string> tokens(8);
  for (std::size_t i = 0; i < tokens.size(); ++i) {
    threads.emplace_back([&, i] { tokens[i] = provider.get_token(false)->token.reveal(); });
  }
  for (auto& thread : threads) {
    thread.join();
  }

  EXPECT_EQ(transport_->call_count(), 1U);
  for (const auto& token : tokens) {
    EXPECT_EQ(token, "shared");
  }
}

TEST_F(ClientCredentialsTest, AcceptsExpiresInWrittenAsAString) {
  transport_->then_json(200, R"({"token_type":"Bearer","expires_in":"3599","access_token":"t"})");
  auto provider = make_provider();

  const auto token = provider.get_token(false);

  ASSERT_TRUE(token.ok()) << token.error().describe();
  EXPECT_EQ(token->expires_at, clock_.now() + 3599s);
}

TEST_F(ClientCredentialsTest, AWrongSecretIsUnauthorizedWithWhatToCheck) {
  transport_->then_json(
      401, R"({"error":"invalid_client","error_description":"AADSTS7000215: Invalid client )"
           R"(secret provided. Ensure the secret being sent in the request is the client secret )"
           R"(value.","error_codes":[7000215]})");
  auto provider = make_provider();

  const auto token = provider.get_token(false);

  ASSERT_FALSE(token.ok());
  EXPECT_EQ(token.error().category, ErrorCategory::unauthorized);
  EXPECT_EQ(token.error().http_status, 401);
  EXPECT_THAT(token.error().message, HasSubstr("invalid_client: AADSTS7000215: Invalid client "
                                               "secret provided."));
  EXPECT_THAT(token.error().message, HasSubstr("check crm.auth.client_id"));
  EXPECT_THAT(token.error().message, HasSubstr("crm.auth.tenant"));
  EXPECT_THAT(token.error().message, Not(HasSubstr(test_secret)));
}

TEST_F(ClientCredentialsTest, ASecretEchoedByTheServerNeverReachesTheError) {
  transport_->then_json(400, std::string(R"({"error":"invalid_request","error_description":"bad )"
                                         R"(value )") +
                                 test_secret + R"("})");
  auto provider = make_provider();

  const auto token = provider.get_token(false);

  ASSERT_FALSE(token.ok());
  EXPECT_THAT(token.error().message, Not(HasSubstr(test_secret)));
  EXPECT_THAT(token.error().message, HasSubstr("bad value ***"));
}

TEST_F(ClientCredentialsTest, AWrongScopePointsAtTheScopeSetting) {
  transport_->then_json(400, R"({"error":"invalid_scope","error_description":"AADSTS70011: The )"
                             R"(provided value for the input parameter 'scope' is not valid."})");
  auto provider = make_provider();

  const auto token = provider.get_token(false);

  ASSERT_FALSE(token.ok());
  EXPECT_EQ(token.error().category, ErrorCategory::unauthorized);
  EXPECT_THAT(token.error().message, HasSubstr("check crm.auth.scope"));
}

TEST_F(ClientCredentialsTest, AnUnreachableEndpointIsUnavailableNamingTheTokenUrl) {
  transport_->then_fail(ErrorCategory::unavailable,
                        "cannot connect to login.microsoftonline.com:443: connection refused",
                        true);
  auto provider = make_provider();

  const auto token = provider.get_token(false);

  ASSERT_FALSE(token.ok());
  EXPECT_EQ(token.error().category, ErrorCategory::unavailable);
  EXPECT_TRUE(token.error().retryable);
  EXPECT_THAT(token.error().message, HasSubstr(token_url));
  EXPECT_THAT(token.error().message, HasSubstr("connection refused"));
}

TEST_F(ClientCredentialsTest, AServerErrorOfTheEndpointIsUnavailable) {
  transport_->then_respond(503, {}, "");
  auto provider = make_provider();

  const auto token = provider.get_token(false);

  ASSERT_FALSE(token.ok());
  EXPECT_EQ(token.error().category, ErrorCategory::unavailable);
  EXPECT_THAT(token.error().message, HasSubstr("answered HTTP 503"));
}

TEST_F(ClientCredentialsTest, AnAnswerWithoutAnAccessTokenIsAProtocolError) {
  transport_->then_json(200, R"({"token_type":"Bearer","expires_in":3599})");
  auto provider = make_provider();

  const auto token = provider.get_token(false);

  ASSERT_FALSE(token.ok());
  EXPECT_EQ(token.error().category, ErrorCategory::protocol);
  EXPECT_THAT(token.error().message, HasSubstr("access_token"));
}

TEST_F(ClientCredentialsTest, RefusesToSendTheSecretOverPlainHttpToAnotherHost) {
  auto provider = make_provider("http://login.example.com");

  const auto token = provider.get_token(false);

  ASSERT_FALSE(token.ok());
  EXPECT_EQ(token.error().category, ErrorCategory::config);
  EXPECT_EQ(transport_->call_count(), 0U);
}

TEST_F(ClientCredentialsTest, AllowsPlainHttpToLoopbackForTheEmulator) {
  transport_->then_json(200, token_body("local", 3599));
  auto provider = make_provider("http://127.0.0.1:8765");

  const auto token = provider.get_token(false);

  ASSERT_TRUE(token.ok()) << token.error().describe();
  EXPECT_EQ(transport_->call(0).request.url,
            "http://127.0.0.1:8765/contoso.onmicrosoft.com/oauth2/v2.0/token");
}

} // namespace
} // namespace leadsync::dataverse
