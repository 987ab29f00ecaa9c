#include "leadsync/core/process.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

namespace leadsync {
namespace {

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

} // namespace
} // namespace leadsync
