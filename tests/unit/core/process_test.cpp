#include "leadsync/core/process.hpp"
#include "support/reaped_pid.hpp"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

namespace leadsync {
namespace {

using leadsync::testing::reaped_pid;

TEST(ProcessName, IsHostColonPidWithLocalhostForAnUnnamedHost) {
  EXPECT_EQ(process_name("crm-host", 42), "crm-host:42");
  EXPECT_EQ(process_name("", 42), "localhost:42");
}

TEST(ProcessName, ThisProcessIsThisHostAndThisPid) {
  char host[256] = {};
  ASSERT_EQ(::gethostname(host, sizeof(host) - 1), 0);
  const std::string expected_host = host[0] != '\0' ? host : "localhost";
  EXPECT_EQ(host_name(), expected_host);
  EXPECT_EQ(this_process_name(), expected_host + ":" + std::to_string(::getpid()));
}

TEST(ParseProcessName, TakesAProcessNameApartAndRefusesOtherText) {
  const auto parsed = parse_process_name("crm-host:42");
  ASSERT_TRUE(parsed.has_value());
  EXPECT_EQ(parsed->host, "crm-host");
  EXPECT_EQ(parsed->pid, 42);
  EXPECT_EQ(parse_process_name("[::1]:7")->host, "[::1]");
  EXPECT_FALSE(parse_process_name("crm-host").has_value());
  EXPECT_FALSE(parse_process_name(":42").has_value());
  EXPECT_FALSE(parse_process_name("crm-host:0").has_value());
  EXPECT_FALSE(parse_process_name("crm-host:42x").has_value());
}

TEST(ProcessExists, IsTrueForThisProcessAndFalseForOneThatEnded) {
  EXPECT_TRUE(process_exists(::getpid()));
  EXPECT_FALSE(process_exists(reaped_pid()));
  EXPECT_FALSE(process_exists(0));
}

TEST(ProcessStartToken, IsStableForAProcessAndEmptyOnceItIsGone) {
  const auto token = process_start_token(::getpid());
  ASSERT_FALSE(token.empty());
  EXPECT_EQ(process_start_token(::getpid()), token);
  EXPECT_EQ(process_start_token(reaped_pid()), "");
}

} // namespace
} // namespace leadsync
