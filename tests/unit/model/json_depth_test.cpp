// A lead document (JSON Lines import, stored rows) nested 100,000 deep is a validation error that
// says so, never a stack overflow (issue 18).
#include "leadsync/model/json.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <string>

namespace leadsync::model {
namespace {

using ::testing::HasSubstr;

TEST(LeadJsonDepth, ALeadNested100000DeepIsRefusedWithTheLimit) {
  const std::string text = R"({"last_name":"Deep","notes":)" + std::string(100'000, '[') +
                           std::string(100'000, ']') + "}";

  const auto lead = lead_from_json_text(text);

  ASSERT_FALSE(lead.ok());
  EXPECT_EQ(lead.error().category, ErrorCategory::validation);
  EXPECT_THAT(lead.error().message, HasSubstr("nested deeper than 64 levels"));
}

TEST(LeadJsonDepth, AnUnclosedDeepDocumentIsRefusedToo) {
  const auto lead = lead_from_json_text(std::string(100'000, '{'));

  ASSERT_FALSE(lead.ok());
  EXPECT_THAT(lead.error().message, HasSubstr("nested deeper than 64 levels"));
}

} // namespace
} // namespace leadsync::model
