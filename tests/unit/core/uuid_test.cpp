#include "leadsync/core/uuid.hpp"

#include <chrono>
#include <gtest/gtest.h>
#include <set>
#include <string>

namespace leadsync {
namespace {

constexpr std::string_view sample = "1b4e28ba-2fa1-4d2b-883f-0016d3cca427";

TEST(UuidTest, DefaultIsNil) {
  const Uuid nil;
  EXPECT_TRUE(nil.is_nil());
  EXPECT_EQ(nil.to_string(), "00000000-0000-0000-0000-000000000000");
}

TEST(UuidTest, GeneratedUuidsHaveVersion4AndTheRfc4122Variant) {
  SeededRandom random(7);
  for (int i = 0; i < 200; ++i) {
    const Uuid uuid = Uuid::generate_v4(random);
    EXPECT_EQ(uuid.version(), 4);
    EXPECT_EQ(uuid.bytes()[8] & 0xC0U, 0x80U);
    const std::string text = uuid.to_string();
    EXPECT_EQ(text[14], '4');
    EXPECT_NE(std::string("89ab").find(text[19]), std::string::npos) << text;
    EXPECT_FALSE(uuid.is_nil());
  }
}

TEST(UuidTest, Version7CarriesTheUnixMillisecondsInItsFirst48Bits) {
  SeededRandom random(7);
  // 1795348800123 ms after the epoch is 0x01A2_0320_A27B.
  const auto at = std::chrono::system_clock::time_point(std::chrono::milliseconds(1795348800123));
  const Uuid uuid = Uuid::generate_v7(at, random);
  EXPECT_EQ(uuid.version(), 7);
  EXPECT_EQ(uuid.bytes()[8] & 0xC0U, 0x80U);
  const std::string text = uuid.to_string();
  EXPECT_EQ(text.substr(0, 13), "01a20320-a27b") << text;
  EXPECT_EQ(text[14], '7');
}

TEST(UuidTest, Version7IdsOfLaterMillisecondsSortLaterAsText) {
  SeededRandom random(11);
  const auto start =
      std::chrono::system_clock::time_point(std::chrono::milliseconds(1795348800000));
  std::string previous;
  for (int i = 0; i < 500; ++i) {
    const std::string text =
        Uuid::generate_v7(start + std::chrono::milliseconds(i), random).to_string();
    EXPECT_LT(previous, text);
    previous = text;
  }
}

TEST(UuidTest, Version7IdsOfOneMillisecondDifferInTheirRandomBits) {
  SeededRandom random(3);
  const auto at = std::chrono::system_clock::time_point(std::chrono::milliseconds(1795348800000));
  std::set<std::string> seen;
  for (int i = 0; i < 1000; ++i) {
    seen.insert(Uuid::generate_v7(at, random).to_string());
  }
  EXPECT_EQ(seen.size(), 1000U);
}

TEST(UuidTest, ToStringIsLowerCaseAndHyphenated) {
  const Uuid uuid = Uuid::parse("1B4E28BA-2FA1-4D2B-883F-0016D3CCA427").value();
  EXPECT_EQ(uuid.to_string(), sample);
}

TEST(UuidTest, ParsesLowerUpperAndBracedFormsToTheSameValue) {
  const auto lower = Uuid::parse(sample);
  const auto upper = Uuid::parse("1B4E28BA-2FA1-4D2B-883F-0016D3CCA427");
  const auto braced = Uuid::parse("{1b4e28ba-2fa1-4d2b-883f-0016d3cca427}");
  ASSERT_TRUE(lower.ok());
  ASSERT_TRUE(upper.ok());
  ASSERT_TRUE(braced.ok());
  EXPECT_EQ(lower.value(), upper.value());
  EXPECT_EQ(lower.value(), braced.value());
  EXPECT_EQ(lower->bytes()[0], 0x1BU);
  EXPECT_EQ(lower->bytes()[15], 0x27U);
}

class UuidInvalidTest : public testing::TestWithParam<std::string_view> {};

TEST_P(UuidInvalidTest, IsRejectedAsInvalidArgument) {
  const auto result = Uuid::parse(GetParam());
  ASSERT_FALSE(result.ok()) << GetParam();
  EXPECT_EQ(result.error().category, ErrorCategory::invalid_argument);
  EXPECT_NE(result.error().message.find("not a UUID"), std::string::npos);
  EXPECT_FALSE(Uuid::is_valid(GetParam()));
}

INSTANTIATE_TEST_SUITE_P(Forms, UuidInvalidTest,
                         testing::Values("", "1b4e28ba2fa14d2b883f0016d3cca427",  // no hyphens
                                         "1b4e28ba-2fa1-4d2b-883f-0016d3cca42",   // one digit short
                                         "1b4e28ba-2fa1-4d2b-883f-0016d3cca4277", // one digit long
                                         "1b4e28ba-2fa1-4d2b-883f_0016d3cca427",  // wrong separator
                                         "1b4e28b-a2fa1-4d2b-883f-0016d3cca427", // hyphen misplaced
                                         "1b4e28ba-2fa1-4d2b-883f-0016d3cca42g", // not hex
                                         "{1b4e28ba-2fa1-4d2b-883f-0016d3cca427",  // unclosed brace
                                         "(1b4e28ba-2fa1-4d2b-883f-0016d3cca427)", // wrong brackets
                                         " 1b4e28ba-2fa1-4d2b-883f-0016d3cca427")); // leading space

TEST(UuidTest, RoundTripsThroughText) {
  SeededRandom random(99);
  for (int i = 0; i < 100; ++i) {
    const Uuid uuid = Uuid::generate_v4(random);
    const auto parsed = Uuid::parse(uuid.to_string());
    ASSERT_TRUE(parsed.ok());
    EXPECT_EQ(parsed.value(), uuid);
  }
}

TEST(UuidTest, SameSeedGivesTheSameSequence) {
  SeededRandom first(1234);
  SeededRandom second(1234);
  SeededRandom other(4321);
  for (int i = 0; i < 10; ++i) {
    const Uuid a = Uuid::generate_v4(first);
    EXPECT_EQ(a, Uuid::generate_v4(second));
    EXPECT_NE(a, Uuid::generate_v4(other));
  }
}

TEST(UuidTest, SecureRandomUuidsAreUniqueOverTenThousand) {
  std::set<std::string> seen;
  for (int i = 0; i < 10'000; ++i) {
    seen.insert(Uuid::generate_v4().to_string());
  }
  EXPECT_EQ(seen.size(), 10'000U);
}

} // namespace
} // namespace leadsync
