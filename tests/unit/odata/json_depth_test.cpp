// CRM responses nested deeper than 64 levels are protocol errors, never a stack overflow (issue
// 18).
#include "leadsync/odata/response.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <string>

namespace leadsync::odata {
namespace {

using ::testing::HasSubstr;

std::string deep_arrays(int depth) {
  return std::string(static_cast<std::size_t>(depth), '[') +
         std::string(static_cast<std::size_t>(depth), ']');
}

TEST(ResponseJsonDepth, AnEntityNested100000DeepIsAProtocolErrorThatSaysSo) {
  const auto entity = parse_entity(
      http::Response::json(200, R"({"leadid":"x","subject":)" + deep_arrays(100'000) + "}"));

  ASSERT_FALSE(entity.ok());
  EXPECT_EQ(entity.error().category, ErrorCategory::protocol);
  EXPECT_EQ(entity.error().http_status, 200);
  EXPECT_THAT(entity.error().message, HasSubstr("nested deeper than 64 levels"));
}

TEST(ResponseJsonDepth, SixtyFourLevelsAreStillRead) {
  const auto entity =
      parse_entity(http::Response::json(200, R"({"subject":)" + deep_arrays(63) + "}"));

  EXPECT_TRUE(entity.ok()) << entity.error().describe();
}

TEST(ResponseJsonDepth, ADeepErrorBodyStillGivesAnErrorForTheStatus) {
  const auto entity =
      parse_entity(http::Response::json(500, R"({"error":)" + deep_arrays(100'000) + "}"));

  ASSERT_FALSE(entity.ok());
  EXPECT_EQ(entity.error().http_status, 500);
}

} // namespace
} // namespace leadsync::odata
