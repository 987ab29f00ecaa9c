#include "leadsync/core/text.hpp"

#include <gtest/gtest.h>

#include <array>
#include <string>
#include <string_view>
#include <vector>

namespace leadsync::text {
namespace {

TEST(AsciiClassTest, TellsAsciiDigitsAndLettersOnly) {
  EXPECT_TRUE(is_ascii_digit('0'));
  EXPECT_TRUE(is_ascii_digit('9'));
  EXPECT_FALSE(is_ascii_digit('a'));
  EXPECT_FALSE(is_ascii_digit('/')); // the bytes around 0-9 are not digits
  EXPECT_FALSE(is_ascii_digit(':'));
  EXPECT_TRUE(is_ascii_alpha('a'));
  EXPECT_TRUE(is_ascii_alpha('Z'));
  EXPECT_FALSE(is_ascii_alpha('@')); // the bytes around A-Z and a-z are not letters
  EXPECT_FALSE(is_ascii_alpha('['));
  EXPECT_FALSE(is_ascii_alpha('`'));
  EXPECT_FALSE(is_ascii_alpha('{'));
  EXPECT_FALSE(is_ascii_alpha('\xC3')); // the first byte of a UTF-8 letter is not one
  EXPECT_FALSE(is_ascii_alpha('7'));
}

TEST(AsciiCaseTest, LowersOnlyAsciiLettersAndLeavesUtf8Alone) {
  EXPECT_EQ(ascii_lower("Content-TYPE: ÄÖ Ω"), "content-type: ÄÖ Ω");
  EXPECT_EQ(ascii_lower('Q'), 'q');
  EXPECT_EQ(ascii_lower('['), '['); // the byte after 'Z' is not a letter
  EXPECT_EQ(ascii_upper('q'), 'Q');
  EXPECT_EQ(ascii_upper('{'), '{');
}

TEST(AsciiCaseTest, RaisesOnlyAsciiLettersAndLeavesUtf8Alone) {
  EXPECT_EQ(ascii_upper("de-at: äö ω"), "DE-AT: äö ω");
  EXPECT_EQ(ascii_upper("`az{"), "`AZ{"); // the bytes around a-z are not letters
  EXPECT_EQ(ascii_upper(""), "");
}

TEST(AsciiCaseTest, ComparesIgnoringAsciiCaseOnly) {
  EXPECT_TRUE(iequals("OData-MaxVersion", "odata-maxversion"));
  EXPECT_FALSE(iequals("odata", "odata "));
  EXPECT_FALSE(iequals("Ä", "ä")); // not ASCII: compared byte for byte
  EXPECT_TRUE(iequals("", ""));
}

TEST(TrimTest, RemovesAsciiWhitespaceAtBothEndsByDefault) {
  EXPECT_EQ(trim(" \t\r\n\f\vvalue with  spaces\n "), "value with  spaces");
  EXPECT_EQ(trim("   "), "");
  EXPECT_EQ(trim(""), "");
  EXPECT_EQ(trim_left("  a b  "), "a b  ");
  EXPECT_EQ(trim_right("  a b  "), "  a b");
}

TEST(TrimTest, RemovesOnlyTheBlanksItIsGiven) {
  EXPECT_EQ(trim(" \"quoted\"\t", " \t\""), "quoted");
  EXPECT_EQ(trim("\n value \n", " "), "\n value \n");
  EXPECT_EQ(trim("\t value\r\n", space_and_tab), "value\r\n");
  EXPECT_EQ(trim("\r\n value\t\f", space_tab_cr_lf), "value\t\f");
  EXPECT_EQ(trim("\xC2\xA0x\xC2\xA0"), "\xC2\xA0x\xC2\xA0"); // no-break space is not ASCII
}

TEST(JoinTest, PutsTheSeparatorBetweenPartsOfAnyStringRange) {
  EXPECT_EQ(join(std::vector<std::string>{"a", "b", "c"}, ", "), "a, b, c");
  EXPECT_EQ(join(std::vector<std::string_view>{"one"}, "|"), "one");
  EXPECT_EQ(join(std::vector<std::string>{}, ", "), "");
  EXPECT_EQ(join(std::array<const char*, 2>{"x", ""}, "-"), "x-");
}

TEST(HexValueTest, ReadsHexDigitsInEitherCaseAndRefusesEverythingElse) {
  EXPECT_EQ(hex_value('0'), 0);
  EXPECT_EQ(hex_value('9'), 9);
  EXPECT_EQ(hex_value('a'), 10);
  EXPECT_EQ(hex_value('F'), 15);
  EXPECT_EQ(hex_value('g'), -1);
  EXPECT_EQ(hex_value('G'), -1);
  EXPECT_EQ(hex_value(' '), -1);
  EXPECT_EQ(hex_value('\xff'), -1);
}

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
