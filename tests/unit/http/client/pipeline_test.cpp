#include "leadsync/core/random.hpp"
#include "leadsync/http/pipeline.hpp"
#include "leadsync/http/policies.hpp"
#include "support/recording_transport.hpp"
#include "support/sleepers.hpp"

#include <gtest/gtest.h>
#include <stdexcept>

namespace leadsync::http {
namespace {

using test::make_request;
using test::RecordingSleeper;
using test::RecordingTransport;

// Appends "<name>>" on the way in and "<<name>" on the way out to a shared trace.
class TracingPolicy final : public Policy {
public:
  TracingPolicy(std::string name, std::vector<std::string>& trace)
      : name_(std::move(name)), trace_(trace) {}
  Result<Response> send(Request& request, CallContext& context, const NextPolicy& next) override {
    trace_.push_back(name_ + ">");
    request.headers.add("X-Seen-By", name_);
    auto result = next(request, context);
    trace_.push_back("<" + name_);
    return result;
  }

private:
  std::string name_;
  std::vector<std::string>& trace_;
};

TEST(PipelineTest, RunsPoliciesInOrderAndTheTransportLast) {
  std::vector<std::string> trace;
  auto transport = std::make_shared<RecordingTransport>();
  transport->then_respond(204);
  transport->on_send(
      [&trace](const Request&, const CallContext&) { trace.push_back("transport"); });
  const Pipeline pipeline({std::make_shared<TracingPolicy>("a", trace),
                           std::make_shared<TracingPolicy>("b", trace),
                           std::make_shared<TracingPolicy>("c", trace)},
                          transport);

  const auto result =
      pipeline.send(make_request("GET", "https://crm.example.com/api/data/v9.2/leads"));

  ASSERT_TRUE(result.ok()) << result.error().describe();
  EXPECT_EQ(result->status, 204);
  EXPECT_EQ(trace, (std::vector<std::string>{"a>", "b>", "c>", "transport", "<c", "<b", "<a"}));
  ASSERT_EQ(transport->call_count(), 1U);
  EXPECT_EQ(transport->calls()[0].request.headers.get_all("X-Seen-By"),
            (std::vector<std::string>{"a", "b", "c"}));
}

TEST(PipelineTest, WithoutPoliciesSendsStraightToTheTransport) {
  auto transport = std::make_shared<RecordingTransport>();
  transport->then_respond(200, {}, "body");
  const Pipeline pipeline({}, transport);

  const auto result = pipeline.send(make_request("GET", "https://crm.example.com/x"));

  ASSERT_TRUE(result.ok());
  EXPECT_EQ(result->body, "body");
  EXPECT_EQ(transport->calls().at(0).request.url, "https://crm.example.com/x");
}

TEST(PipelineTest, PassesTheCallersContextDown) {
  auto transport = std::make_shared<RecordingTransport>();
  transport->then_respond(200);
  const Pipeline pipeline({}, transport);
  CallContext context;
  context.idempotent = true;
  context.client_request_id = "given";

  ASSERT_TRUE(pipeline.send(make_request("GET", "https://crm.example.com/x"), context).ok());

  EXPECT_TRUE(transport->calls().at(0).context.idempotent);
  EXPECT_EQ(transport->calls().at(0).context.client_request_id, "given");
}

TEST(PipelineTest, RefusesAMissingTransportOrPolicy) {
  EXPECT_THROW(Pipeline({}, nullptr), std::invalid_argument);
  EXPECT_THROW(Pipeline({nullptr}, std::make_shared<RecordingTransport>()), std::invalid_argument);
}

// The production order end to end: one id for every attempt, a fresh Authorization per attempt,
// the limiter slot released each time, and the attempt numbers visible to the transport.
TEST(PipelineTest, FullChainRetriesA429WithTheSameRequestId) {
  ManualClock clock;
  RecordingSleeper sleeper(clock);
  SeededRandom random(7);
  auto transport = std::make_shared<RecordingTransport>();
  transport->then_respond(429, {{"Retry-After", "2"}}).then_respond(201);
  auto limiter = std::make_shared<ConcurrencyLimiter>(4);
  const Pipeline pipeline(
      {std::make_shared<RequestIdPolicy>(random), std::make_shared<UserAgentPolicy>("test"),
       std::make_shared<RetryPolicy>(RetryOptions{}, clock, sleeper, random),
       std::make_shared<BearerTokenPolicy>(
           std::make_shared<StaticTokenProvider>(Secret("token-abc"))),
       std::make_shared<ThrottlePolicy>(limiter), std::make_shared<LogPolicy>(clock)},
      transport);

  const auto result =
      pipeline.send(make_request("POST", "https://crm.example.com/api/data/v9.2/leads"));

  ASSERT_TRUE(result.ok()) << result.error().describe();
  EXPECT_EQ(result->status, 201);
  const auto calls = transport->calls();
  ASSERT_EQ(calls.size(), 2U);
  EXPECT_EQ(calls[0].context.attempt, 1);
  EXPECT_EQ(calls[1].context.attempt, 2);
  const auto first_id = calls[0].request.headers.get("x-ms-client-request-id");
  ASSERT_TRUE(first_id.has_value());
  EXPECT_EQ(calls[1].request.headers.get("x-ms-client-request-id"), first_id);
  EXPECT_EQ(calls[1].context.client_request_id, *first_id);
  EXPECT_EQ(calls[1].request.headers.get("Authorization"), "Bearer token-abc");
  EXPECT_EQ(sleeper.waits(), (std::vector<std::chrono::milliseconds>{std::chrono::seconds{2}}));
  EXPECT_EQ(limiter->in_flight(), 0);
  EXPECT_EQ(limiter->limit(), 2); // halved once by the 429
}

} // namespace
} // namespace leadsync::http
