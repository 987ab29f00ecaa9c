#include "leadsync/core/text.hpp"

#include <gtest/gtest.h>

namespace leadsync::text {
namespace {

TEST(EditDistanceTest, CountsInsertionsDeletionsAndSubstitutions) {
  EXPECT_EQ(edit_distance("api_version", "api_version"), 0U);
  EXPECT_EQ(edit_distance("api_versoin", "api_version"), 2U); // a swap is two substitutions
  EXPECT_EQ(edit_distance("url", "urll"), 1U);
  EXPECT_EQ(edit_distance("", "mode"), 4U);
  EXPECT_EQ(edit_distance("kitten", "sitting"), 3U);
}

TEST(ClosestMatchTest, PicksTheNearestCandidateWithinTheLimit) {
  const std::vector<std::string_view> keys = {"url", "api_version", "alternate_key", "timeout_s"};
  EXPECT_EQ(closest_match("api_versoin", keys, 2), "api_version");
  EXPECT_EQ(closest_match("timeout", keys, 2), "timeout_s");
  EXPECT_EQ(closest_match("something_else", keys, 2), "");
  EXPECT_EQ(closest_match("urx", {}, 2), "");
}

} // namespace
} // namespace leadsync::text
