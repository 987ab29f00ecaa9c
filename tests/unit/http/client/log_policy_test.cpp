#include "leadsync/http/policies.hpp"
#include "support/log_capture.hpp"
#include "support/recording_transport.hpp"

#include <gtest/gtest.h>

namespace leadsync::http {
namespace {

using namespace std::chrono_literals;
using test::LogCapture;
using test::make_request;
using test::RecordingTransport;

class LogPolicyTest : public ::testing::Test {
protected:
  // Sends through the log policy; the transport takes `duration` on the manual clock.
  Result<Response> send(Request request, std::chrono::milliseconds duration) {
    transport.on_send(
        [this, duration](const Request&, const CallContext&) { clock.advance(duration); });
    CallContext context;
    context.attempt = 2;
    context.client_request_id = "rid-123";
    const NextPolicy next = [this](Request& r, CallContext& c) { return transport.send(r, c); };
    return policy.send(request, context, next);
  }

  Request patch_request() {
    auto request = make_request("PATCH", "https://crm.example.com/api/data/v9.2/"
                                         "leads(leadsync_externalid='k1')?$select=emailaddress1");
    request.headers.set("Authorization", "Bearer secret-token-value");
    request.headers.set("Content-Type", "application/json");
    request.body = R"({"emailaddress1":"jane.roe@example.com"})";
    return request;
  }

  ManualClock clock;
  LogPolicy policy{clock};
  RecordingTransport transport;
};

TEST_F(LogPolicyTest, OneLineWithMethodPathStatusDurationAttemptAndRequestId) {
  const LogCapture log(spdlog::level::debug);
  transport.then_respond(204);

  ASSERT_TRUE(send(patch_request(), 12ms).ok());

  const auto lines = log.lines();
  ASSERT_EQ(lines.size(), 1U) << log.text();
  EXPECT_NE(lines[0].find("[debug] PATCH /api/data/v9.2/leads(leadsync_externalid='k1') 204 12ms "
                          "attempt 2 rid=rid-123"),
            std::string::npos)
      << lines[0];
}

TEST_F(LogPolicyTest, LeavesOutQueryStringHeadersAndBody) {
  const LogCapture log(spdlog::level::debug);
  transport.then_respond(200, {{"Set-Cookie", "affinity=abc"}}, R"({"fullname":"Jane Roe"})");

  ASSERT_TRUE(send(patch_request(), 1ms).ok());

  const auto text = log.text();
  for (const char* absent : {"?", "$select", "secret-token-value", "Authorization", "Bearer",
                             "jane.roe", "application/json", "Jane Roe", "affinity"}) {
    EXPECT_EQ(text.find(absent), std::string::npos) << absent << " in: " << text;
  }
}

TEST_F(LogPolicyTest, TransportFailureIsAWarningWithTheError) {
  const LogCapture log(spdlog::level::info);
  transport.then_fail(ErrorCategory::unavailable, "cannot connect to crm.example.com:443", true);

  const auto result =
      send(make_request("GET", "https://crm.example.com/api/data/v9.2/WhoAmI"), 3ms);

  ASSERT_FALSE(result.ok());
  const auto lines = log.lines();
  ASSERT_EQ(lines.size(), 1U) << log.text();
  EXPECT_NE(lines[0].find("[warn] GET /api/data/v9.2/WhoAmI failed (unavailable: cannot connect to "
                          "crm.example.com:443) 3ms attempt 2 rid=rid-123"),
            std::string::npos)
      << lines[0];
}

TEST_F(LogPolicyTest, SuccessesStayBelowInfoWhileThrottlingAndServerErrorsWarn) {
  const LogCapture log(spdlog::level::info);
  transport.then_respond(200).then_respond(404).then_respond(429).then_respond(503);

  for (int i = 0; i < 4; ++i) {
    ASSERT_TRUE(send(make_request("GET", "https://crm.example.com/p"), 1ms).ok());
  }

  const auto lines = log.lines();
  ASSERT_EQ(lines.size(), 3U) << log.text();
  EXPECT_NE(lines[0].find("[info] GET /p 404"), std::string::npos) << lines[0];
  EXPECT_NE(lines[1].find("[warn] GET /p 429"), std::string::npos) << lines[1];
  EXPECT_NE(lines[2].find("[warn] GET /p 503"), std::string::npos) << lines[2];
}

} // namespace
} // namespace leadsync::http
