#include "leadsync/http/policies.hpp"
#include "support/recording_transport.hpp"

#include <gtest/gtest.h>

namespace leadsync::http {
namespace {

using test::make_request;
using test::next_to;
using test::RecordingTransport;

std::string sent_user_agent(UserAgentPolicy& policy, Request request) {
  RecordingTransport transport;
  transport.then_respond(200);
  CallContext context;
  EXPECT_TRUE(policy.send(request, context, next_to(transport)).ok());
  return transport.calls().at(0).request.headers.get_all("User-Agent").at(0);
}

TEST(UserAgentPolicyTest, NamesLeadsyncAndItsVersion) {
  UserAgentPolicy policy;
  EXPECT_EQ(sent_user_agent(policy, make_request("GET", "https://crm.example.com/x")),
            "leadsync/" LEADSYNC_VERSION);
}

TEST(UserAgentPolicyTest, AppendsTheSuffixInParentheses) {
  UserAgentPolicy policy("daemon");
  EXPECT_EQ(sent_user_agent(policy, make_request("GET", "https://crm.example.com/x")),
            "leadsync/" LEADSYNC_VERSION " (daemon)");
}

TEST(UserAgentPolicyTest, ReplacesAnyUserAgentAlreadySet) {
  UserAgentPolicy policy;
  auto request = make_request("GET", "https://crm.example.com/x");
  request.headers.add("user-agent", "something/1.0");
  RecordingTransport transport;
  transport.then_respond(200);
  CallContext context;

  ASSERT_TRUE(policy.send(request, context, next_to(transport)).ok());

  EXPECT_EQ(transport.calls().at(0).request.headers.get_all("User-Agent"),
            std::vector<std::string>{"leadsync/" LEADSYNC_VERSION});
}

} // namespace
} // namespace leadsync::http
