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

namespace leadsync::text {
namespace {

TEST(EscapeControlCharactersTest, ShowsNewlinesTabsAndEscapeCodesAsVisibleEscapes) {
  EXPECT_EQ(escape_control_characters("Ann\nINFO forged"), "Ann\\nINFO forged");
  EXPECT_EQ(escape_control_characters("a\tb\rc"), "a\\tb\\rc");
  EXPECT_EQ(escape_control_characters("\x1b[31mred"), "\\x1b[31mred");
  EXPECT_EQ(escape_control_characters(std::string_view("\0x\x7f", 3)), "\\x00x\\x7f");
}

TEST(EscapeControlCharactersTest, EscapesC1ControlsButKeepsOtherUtf8) {
  EXPECT_EQ(escape_control_characters("\xc2\x9b"
                                      "31m"),
            "\\u009b31m");
  EXPECT_EQ(escape_control_characters("Müller Иван محمد ＝"), "Müller Иван محمد ＝");
  EXPECT_EQ(escape_control_characters("\xc2\xa0"), "\xc2\xa0"); // no-break space is not a control
}

TEST(EscapeControlCharactersTest, LeavesPlainTextAndBackslashesAlone) {
  EXPECT_EQ(escape_control_characters("C:\\path 100%"), "C:\\path 100%");
  EXPECT_EQ(escape_control_characters(""), "");
}

} // namespace
} // namespace leadsync::text
