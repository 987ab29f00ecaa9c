#include "leadsync/core/random.hpp"
#include "leadsync/core/uuid.hpp"
#include "leadsync/http/policies.hpp"
#include "support/recording_transport.hpp"

#include <gtest/gtest.h>

namespace leadsync::http {
namespace {

using test::make_request;
using test::next_to;
using test::RecordingTransport;

TEST(RequestIdPolicyTest, SetsAFreshUuidV4AndCopiesItIntoTheContext) {
  SeededRandom random(1);
  RequestIdPolicy policy(random);
  RecordingTransport transport;
  transport.then_respond(200);
  auto request = make_request("GET", "https://crm.example.com/x");
  CallContext context;

  ASSERT_TRUE(policy.send(request, context, next_to(transport)).ok());

  const auto sent = transport.calls().at(0).request.headers.get("x-ms-client-request-id");
  ASSERT_TRUE(sent.has_value());
  const auto parsed = Uuid::parse(*sent);
  ASSERT_TRUE(parsed.ok()) << *sent;
  EXPECT_EQ(parsed->version(), 4);
  EXPECT_EQ(context.client_request_id, *sent);
  EXPECT_EQ(transport.calls().at(0).context.client_request_id, *sent);
}

TEST(RequestIdPolicyTest, IdsComeFromTheInjectedRandom) {
  SeededRandom first_random(42);
  SeededRandom second_random(42);
  RequestIdPolicy first(first_random);
  RequestIdPolicy second(second_random);
  RecordingTransport transport;
  transport.then_respond(200).then_respond(200).then_respond(200);
  auto a = make_request("GET", "https://crm.example.com/x");
  auto b = make_request("GET", "https://crm.example.com/x");
  auto c = make_request("GET", "https://crm.example.com/x");
  CallContext context_a;
  CallContext context_b;
  CallContext context_c;

  ASSERT_TRUE(first.send(a, context_a, next_to(transport)).ok());
  ASSERT_TRUE(second.send(b, context_b, next_to(transport)).ok());
  ASSERT_TRUE(first.send(c, context_c, next_to(transport)).ok());

  EXPECT_EQ(context_a.client_request_id, context_b.client_request_id);
  EXPECT_NE(context_a.client_request_id, context_c.client_request_id);
}

TEST(RequestIdPolicyTest, KeepsAnIdTheCallerSet) {
  RequestIdPolicy policy;
  RecordingTransport transport;
  transport.then_respond(200);
  auto request = make_request("GET", "https://crm.example.com/x");
  request.headers.set("X-MS-Client-Request-Id", "caller-chosen-id");
  CallContext context;

  ASSERT_TRUE(policy.send(request, context, next_to(transport)).ok());

  const auto sent = transport.calls().at(0).request.headers;
  EXPECT_EQ(sent.get_all("x-ms-client-request-id"), std::vector<std::string>{"caller-chosen-id"});
  EXPECT_EQ(context.client_request_id, "caller-chosen-id");
}

} // namespace
} // namespace leadsync::http
