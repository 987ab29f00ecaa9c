#include "leadsync/core/json_limits.hpp"

#include <gtest/gtest.h>
#include <string>

namespace leadsync {
namespace {

std::string nested_arrays(int depth) {
  return std::string(static_cast<std::size_t>(depth), '[') +
         std::string(static_cast<std::size_t>(depth), ']');
}

TEST(JsonLimitsTest, ParsesADocumentAsTheLibraryWould) {
  const std::string text =
      R"({"value":[{"leadid":"1","n":2.5,"ok":true,"none":null}],"s":"\u00e9"})";
  const auto parsed = parse_untrusted_json(text, "the response");
  ASSERT_TRUE(parsed) << parsed.error().describe();
  EXPECT_EQ(*parsed, nlohmann::json::parse(text));
}

TEST(JsonLimitsTest, AcceptsNestingExactlyAtTheLimit) {
  const auto parsed = parse_untrusted_json(nested_arrays(max_json_depth), "the body");
  ASSERT_TRUE(parsed) << parsed.error().describe();
}

TEST(JsonLimitsTest, RefusesNestingOneLevelPastTheLimitNamingTheDocument) {
  const auto parsed = parse_untrusted_json(nested_arrays(max_json_depth + 1), "the webhook body");
  ASSERT_FALSE(parsed);
  EXPECT_EQ(parsed.error().category, ErrorCategory::protocol);
  EXPECT_NE(parsed.error().message.find("the webhook body"), std::string::npos);
  EXPECT_NE(parsed.error().message.find("deeper than 64"), std::string::npos)
      << parsed.error().message;
}

TEST(JsonLimitsTest, RefusesAHundredThousandLevelsWithoutOverflowingTheStack) {
  std::string text;
  for (int i = 0; i < 100000; ++i) {
    text += R"({"a":)";
  }
  const auto parsed = parse_untrusted_json(text, "the request body");
  ASSERT_FALSE(parsed);
  EXPECT_NE(parsed.error().message.find("deeper than"), std::string::npos);
}

TEST(JsonLimitsTest, ReportsMalformedJsonWithTheParsersMessage) {
  const auto parsed = parse_untrusted_json(R"({"a": )", "the response");
  ASSERT_FALSE(parsed);
  EXPECT_EQ(parsed.error().category, ErrorCategory::protocol);
  EXPECT_NE(parsed.error().message.find("not valid JSON"), std::string::npos);
  EXPECT_NE(parsed.error().message.find("parse error"), std::string::npos)
      << parsed.error().message;
}

TEST(JsonLimitsTest, DoesNotQuoteTheInputInItsMessage) {
  const auto parsed = parse_untrusted_json(R"({"token": s3cr3t-value})", "the token response");
  ASSERT_FALSE(parsed);
  EXPECT_EQ(parsed.error().message.find("s3cr3t"), std::string::npos) << parsed.error().message;
}

TEST(JsonLimitsTest, RefusesTrailingGarbageAfterTheDocument) {
  EXPECT_FALSE(parse_untrusted_json(R"({"a":1} x)", "the response"));
}

TEST(JsonLimitsTest, DepthCheckIgnoresBracketsInsideStrings) {
  const std::string text = R"({"a":"[[[[[[[[[[\"[[[[[[["})";
  EXPECT_TRUE(json_depth_within(text, 1));
  EXPECT_FALSE(json_depth_within(nested_arrays(3), 2));
  EXPECT_TRUE(json_depth_within(nested_arrays(2), 2));
}

} // namespace
} // namespace leadsync
