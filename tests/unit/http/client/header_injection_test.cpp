// A token or header value holding CR LF never reaches the transport: the pipeline checks every
// header after the policies set them (issue 18).
#include "leadsync/http/policies.hpp"
#include "support/recording_transport.hpp"
#include "support/scripted_token_provider.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace leadsync::http {
namespace {

using test::make_request;
using test::RecordingTransport;
using test::ScriptedTokenProvider;
using ::testing::HasSubstr;
using ::testing::Not;

class PipelineHeaderCheckTest : public ::testing::Test {
protected:
  Result<Response> send(Request request) {
    const Pipeline pipeline(
        {std::make_shared<UserAgentPolicy>(""), std::make_shared<BearerTokenPolicy>(provider)},
        transport);
    return pipeline.send(std::move(request), CallContext{});
  }

  std::shared_ptr<ScriptedTokenProvider> provider = std::make_shared<ScriptedTokenProvider>();
  std::shared_ptr<RecordingTransport> transport = std::make_shared<RecordingTransport>();
};

TEST_F(PipelineHeaderCheckTest, SendsAnOrdinaryTokenAsBefore) {
  provider->then_token("token-1");
  transport->then_respond(200);

  ASSERT_TRUE(send(make_request("GET", "https://crm.example.com/api/data/v9.2/WhoAmI")).ok());

  EXPECT_EQ(transport->call_count(), 1U);
}

TEST_F(PipelineHeaderCheckTest, RefusesATokenHoldingCrLfBeforeTheTransport) {
  provider->then_token("token-1\r\nX-Injected: yes");

  const auto result = send(make_request("GET", "https://crm.example.com/api/data/v9.2/WhoAmI"));

  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().category, ErrorCategory::invalid_argument);
  EXPECT_FALSE(result.error().retryable);
  EXPECT_THAT(result.error().message, HasSubstr("'Authorization'"));
  EXPECT_THAT(result.error().message, Not(HasSubstr("token-1")));
  EXPECT_EQ(transport->call_count(), 0U) << "nothing was sent";
}

TEST_F(PipelineHeaderCheckTest, RefusesAHeaderACallerSetWithANul) {
  provider->then_token("token-1");
  auto request = make_request("GET", "https://crm.example.com/api/data/v9.2/leads");
  request.headers.set("Prefer", std::string("odata.maxpagesize=10\0X", 22));

  const auto result = send(std::move(request));

  ASSERT_FALSE(result.ok());
  EXPECT_THAT(result.error().message, HasSubstr("'Prefer'"));
  EXPECT_EQ(transport->call_count(), 0U);
}

} // namespace
} // namespace leadsync::http
