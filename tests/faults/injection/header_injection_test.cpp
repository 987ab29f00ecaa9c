// Fault suite, injection: a token holding CR LF must never put a header on the wire (issue 18).
// A loopback Beast server counts what arrives; the client is the production pipeline (user agent,
// bearer token) over the production cpprestsdk transport.
#include "leadsync/core/secrets.hpp"
#include "leadsync/http/cpprest_transport.hpp"
#include "leadsync/http/pipeline.hpp"
#include "leadsync/http/policies.hpp"
#include "leadsync/http/server.hpp"
#include "leadsync/http/token_provider.hpp"

#include <atomic>
#include <chrono>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <memory>
#include <string>

namespace leadsync::http {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

class HeaderInjectionTest : public ::testing::Test {
protected:
  void SetUp() override {
    server = make_beast_server(ServerOptions{});
    auto started = server->start(sync_handler([this](const Request& request) {
      ++requests;
      for (const auto& [name, value] : request.headers) {
        if (iequals(name, "X-Injected")) {
          ++injected;
        }
      }
      return Response::text(200, "ok\n");
    }));
    ASSERT_TRUE(started.ok()) << started.error().describe();
    url = "http://127.0.0.1:" + std::to_string(*started) + "/api/data/v9.2/WhoAmI";
  }

  Result<Response> send_with_token(const std::string& token) {
    const Pipeline pipeline(
        {std::make_shared<UserAgentPolicy>(""),
         std::make_shared<BearerTokenPolicy>(std::make_shared<StaticTokenProvider>(Secret(token)))},
        std::shared_ptr<Transport>(make_cpprest_transport(TransportOptions{})));
    Request request;
    request.method = "GET";
    request.url = url;
    request.deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    return pipeline.send(std::move(request), CallContext{});
  }

  std::unique_ptr<HttpServer> server;
  std::string url;
  std::atomic<int> requests{0};
  std::atomic<int> injected{0};
};

// Promise: a token with CR LF (as a token_file or an environment variable could hold, or a token
// endpoint could answer) fails the call with an invalid_argument error that names the
// Authorization header, never the token; the server receives 0 requests and 0 injected headers.
// The same pipeline with a clean token reaches the server, so the count can tell.
TEST_F(HeaderInjectionTest, ACrLfTokenNeverReachesTheWire) {
  const auto refused = send_with_token("secret-token-value\r\nX-Injected: 1");
  const auto lf_only = send_with_token("secret-token-value\nX-Injected: 1");
  const auto clean = send_with_token("secret-token-value");

  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().category, ErrorCategory::invalid_argument);
  EXPECT_FALSE(refused.error().retryable);
  EXPECT_THAT(refused.error().message, HasSubstr("'Authorization'"));
  EXPECT_THAT(refused.error().message, Not(HasSubstr("secret-token-value")));
  EXPECT_FALSE(lf_only.ok());
  ASSERT_TRUE(clean.ok()) << clean.error().describe();
  EXPECT_EQ(clean->status, 200);
  EXPECT_EQ(requests.load(), 1) << "only the clean request arrived";
  EXPECT_EQ(injected.load(), 0);
}

} // namespace
} // namespace leadsync::http
