#include "leadsync/http/policies.hpp"
#include "support/recording_transport.hpp"

#include <gtest/gtest.h>

namespace leadsync::http {
namespace {

using namespace std::chrono_literals;
using test::make_response;

// Sunday 2026-11-22 20:00:00 UTC.
const Clock::WallTime now =
    Clock::WallTime{std::chrono::sys_days{std::chrono::year{2026} / std::chrono::November / 22}} +
    20h;

std::optional<std::chrono::milliseconds> parse(std::string value) {
  return parse_retry_after(make_response(429, {{"Retry-After", std::move(value)}}), now);
}

TEST(ParseRetryAfterTest, AbsentHeaderGivesNothing) {
  EXPECT_EQ(parse_retry_after(make_response(429), now), std::nullopt);
}

TEST(ParseRetryAfterTest, DeltaSeconds) {
  EXPECT_EQ(parse("0"), 0ms);
  EXPECT_EQ(parse("120"), 120s);
  EXPECT_EQ(parse("  5 "), 5s);
}

TEST(ParseRetryAfterTest, HugeDeltaSecondsStaysHugeInsteadOfOverflowing) {
  const auto parsed = parse("99999999999999999999999");
  ASSERT_TRUE(parsed.has_value());
  EXPECT_GT(*parsed, std::chrono::hours{24 * 365 * 10});
}

TEST(ParseRetryAfterTest, ImfFixdate) {
  EXPECT_EQ(parse("Sun, 22 Nov 2026 20:01:30 GMT"), 90s);
  EXPECT_EQ(parse("Mon, 23 Nov 2026 20:00:00 GMT"), 24h);
}

TEST(ParseRetryAfterTest, ObsoleteRfc850Date) {
  EXPECT_EQ(parse("Sunday, 22-Nov-26 20:00:45 GMT"), 45s);
}

TEST(ParseRetryAfterTest, AsctimeDateWithASpacePaddedDay) {
  EXPECT_EQ(parse("Mon Nov 23 20:00:00 2026"), 24h);
  EXPECT_EQ(parse("Tue Dec  1 20:00:00 2026"), std::chrono::hours{24 * 9});
}

TEST(ParseRetryAfterTest, DateInThePastMeansNow) {
  EXPECT_EQ(parse("Sun, 22 Nov 2026 19:59:59 GMT"), 0ms);
  EXPECT_EQ(parse("Sun, 06 Nov 1994 08:49:37 GMT"), 0ms);
}

TEST(ParseRetryAfterTest, Rfc850YearMoreThanFiftyYearsAheadIsInThePastCentury) {
  // "94" read as 2094 would be 68 years ahead, so it is 1994.
  EXPECT_EQ(parse("Sunday, 06-Nov-94 08:49:37 GMT"), 0ms);
  // "30" read as 2030 is only 4 years ahead.
  EXPECT_GT(parse("Friday, 22-Nov-30 20:00:00 GMT").value_or(0ms), std::chrono::hours{24 * 365});
}

TEST(ParseRetryAfterTest, MalformedValuesGiveNothing) {
  for (const char* value : {"", "soon", "-5", "1.5", "5s", "Sun, 22 Nov 2026 20:00:12",
                            "Sun, 31 Feb 2026 20:00:00 GMT", "Sun, 22 Foo 2026 20:00:00 GMT",
                            "Sun, 22 Nov 2026 25:00:00 GMT", "Sun, 22 Nov 2026 20:00:00 GMT x"}) {
    EXPECT_EQ(parse(value), std::nullopt) << '"' << value << '"';
  }
}

} // namespace
} // namespace leadsync::http
