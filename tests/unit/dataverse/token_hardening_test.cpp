// The client-credentials token endpoint's answer is outside input: a 100,000-deep body and an
// access_token holding CR LF are protocol errors, never a crash or an injected header (issue 18).
#include "fakes.hpp"
#include "leadsync/dataverse/client_credentials.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <string>

namespace leadsync::dataverse {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

class TokenHardeningTest : public ::testing::Test {
protected:
  ClientCredentialsProvider make_provider() {
    ClientCredentialsOptions options;
    options.authority = "https://login.microsoftonline.com/";
    options.tenant = "contoso.onmicrosoft.com";
    options.client_id = "11111111-2222-4333-8444-555555555555";
    options.client_secret = Secret("s3cr3t");
    options.scope = "https://contoso.crm.dynamics.com/.default";
    return ClientCredentialsProvider(std::move(options), transport_, clock_);
  }

  ManualClock clock_;
  std::shared_ptr<fakes::RecordingTransport> transport_ =
      std::make_shared<fakes::RecordingTransport>();
};

TEST_F(TokenHardeningTest, ATokenAnswerNested100000DeepIsAProtocolError) {
  transport_->then_json(200, R"({"access_token":"t","expires_in":3599,"x":)" +
                                 std::string(100'000, '[') + std::string(100'000, ']') + "}");
  auto provider = make_provider();

  const auto token = provider.get_token(false);

  ASSERT_FALSE(token.ok());
  EXPECT_EQ(token.error().category, ErrorCategory::protocol);
  EXPECT_THAT(token.error().message, HasSubstr("nested deeper than 64 levels"));
}

TEST_F(TokenHardeningTest, AnAccessTokenHoldingCrLfIsRefusedWithoutQuotingIt) {
  transport_->then_json(
      200, R"({"token_type":"Bearer","expires_in":3599,"access_token":"tok-abc\r\nX-Evil: 1"})");
  auto provider = make_provider();

  const auto token = provider.get_token(false);

  ASSERT_FALSE(token.ok());
  EXPECT_EQ(token.error().category, ErrorCategory::protocol);
  EXPECT_THAT(token.error().message, HasSubstr("line break"));
  EXPECT_THAT(token.error().message, Not(HasSubstr("tok-abc")));
  EXPECT_THAT(token.error().message, Not(HasSubstr("X-Evil")));
}

} // namespace
} // namespace leadsync::dataverse
