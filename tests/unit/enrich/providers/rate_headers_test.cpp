// Rate-limit and Retry-After headers from a provider are outside input: a value past any sensible
// time is not understood, never an overflow of the nanosecond clock (a fuzz finding of issue 18:
// "x-ratelimit-reset: 101000000000"; inputs in tests/fuzz/corpus/*/regression-reset-overflow).
#include "providers/detail/http_support.hpp"

#include <gtest/gtest.h>

namespace leadsync::enrich::providers::support {
namespace {

using namespace std::chrono_literals;

const auto now = std::chrono::system_clock::time_point{std::chrono::seconds{1'796'000'000}};

TEST(RateHeadersTest, AResetInSecondsFromNowOrAsUnixTimeIsRead) {
  EXPECT_EQ(parse_reset("3600", ResetUnit::automatic, now), now + 3600s);
  EXPECT_EQ(parse_reset("1796003600", ResetUnit::automatic, now),
            std::chrono::system_clock::time_point{std::chrono::seconds{1'796'003'600}});
  EXPECT_EQ(parse_reset("2026-12-06T20:00:00Z", ResetUnit::automatic, now),
            parse_iso8601_utc("2026-12-06T20:00:00Z"));
}

TEST(RateHeadersTest, AResetPastAnySensibleTimeIsNotUnderstood) {
  EXPECT_FALSE(parse_reset("101000000000", ResetUnit::automatic, now));
  EXPECT_FALSE(parse_reset("9223372036854775807", ResetUnit::epoch_seconds, now));
  EXPECT_FALSE(parse_reset("44674407370", ResetUnit::delta_seconds, now));
  EXPECT_FALSE(parse_reset("9999-12-31T23:59:59Z", ResetUnit::iso8601, now));
}

TEST(RateHeadersTest, ARetryAfterPastAYearOrInAFarYearIsNotUnderstood) {
  EXPECT_EQ(parse_retry_after("120", now), 120s);
  EXPECT_FALSE(parse_retry_after("99999999999", now));
  EXPECT_FALSE(parse_retry_after("Fri, 31 Dec 9999 23:59:59 GMT", now));
}

} // namespace
} // namespace leadsync::enrich::providers::support
