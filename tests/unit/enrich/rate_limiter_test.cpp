// The rate limiter paces lookups at the configured rate and obeys what the provider says.

#include "leadsync/enrich/fields.hpp"
#include "leadsync/enrich/rate_limiter.hpp"
#include "unit/enrich/fake_provider.hpp"

#include <gtest/gtest.h>

namespace leadsync::enrich {
namespace {

using namespace std::chrono_literals;
using testing::ClockSleeper;

constexpr auto far_away = std::chrono::steady_clock::time_point::max();

TEST(RateLimiterTest, SixtyPerMinuteSendsALookupAboutASecondAndABulkCallOfTenWaitsTenTimesAsLong) {
  ManualClock clock;
  ClockSleeper sleeper(clock);
  RateLimiter limiter(60, clock, sleeper);
  const auto start = clock.steady_now();
  const auto interval = std::chrono::duration_cast<std::chrono::nanoseconds>(
      std::chrono::duration<double>(60.0 / (60 * 0.99))); // 1% headroom

  ASSERT_TRUE(limiter.acquire(1, {}, far_away).ok());
  EXPECT_EQ(clock.steady_now(), start); // the first goes at once
  ASSERT_TRUE(limiter.acquire(10, {}, far_away).ok());
  EXPECT_EQ(clock.steady_now(), start + interval);
  ASSERT_TRUE(limiter.acquire(1, {}, far_away).ok());
  EXPECT_EQ(clock.steady_now(), start + 11 * interval);
  EXPECT_GT(interval, 1s);
  EXPECT_LT(interval, 1011ms);
}

TEST(RateLimiterTest, NoConfiguredRateMeansNoWaiting) {
  ManualClock clock;
  ClockSleeper sleeper(clock);
  RateLimiter limiter(0, clock, sleeper);
  for (int i = 0; i < 1000; ++i) {
    ASSERT_TRUE(limiter.acquire(100, {}, far_away).ok());
  }
  EXPECT_EQ(sleeper.slept, 0ns);
}

TEST(RateLimiterTest, NoRemainingRequestsBlocksUntilTheProvidersReset) {
  ManualClock clock;
  ClockSleeper sleeper(clock);
  RateLimiter limiter(0, clock, sleeper);
  limiter.observe({.limit = 100, .remaining = 0, .reset = clock.now() + 42s, .retry_after = {}},
                  false);
  const auto start = clock.steady_now();
  ASSERT_TRUE(limiter.acquire(1, {}, far_away).ok());
  EXPECT_EQ(clock.steady_now(), start + 42s);
}

TEST(RateLimiterTest, A429WithoutAnyHintBacksOffForTheFallback) {
  ManualClock clock;
  ClockSleeper sleeper(clock);
  RateLimiter limiter(0, clock, sleeper);
  limiter.observe({}, true, 30s);
  const auto start = clock.steady_now();
  ASSERT_TRUE(limiter.acquire(1, {}, far_away).ok());
  EXPECT_EQ(clock.steady_now(), start + 30s);
}

TEST(RateLimiterTest, AWaitPastTheDeadlineIsRefusedWithoutBookingAndCancellationStopsAWait) {
  ManualClock clock;
  ClockSleeper sleeper(clock);
  RateLimiter limiter(0, clock, sleeper);
  limiter.observe({.limit = {}, .remaining = {}, .reset = {}, .retry_after = 120s}, true);
  const auto refused = limiter.acquire(1, {}, clock.steady_now() + 60s);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().category, ErrorCategory::throttled);
  EXPECT_EQ(sleeper.slept, 0ns);

  CancellationSource stop;
  stop.cancel();
  const auto cancelled = limiter.acquire(1, stop.token(), far_away);
  ASSERT_FALSE(cancelled.ok());
  EXPECT_EQ(cancelled.error().category, ErrorCategory::cancelled);
}

TEST(EnrichableFieldsTest, NumbersAreParsedAndRefusedWhenTheyAreNotNumbers) {
  model::Lead lead;
  ASSERT_TRUE(set_field(lead, "company.employee_count", "250").ok());
  EXPECT_EQ(lead.company.employee_count, 250);
  ASSERT_TRUE(set_field(lead, "company.annual_revenue", "12500000.5").ok());
  EXPECT_DOUBLE_EQ(*lead.company.annual_revenue, 12500000.5);
  EXPECT_EQ(field_text(lead, "company.employee_count"), "250");
  EXPECT_FALSE(set_field(lead, "company.employee_count", "51-200").ok());
  EXPECT_FALSE(set_field(lead, "company.annual_revenue", "-5").ok());
  EXPECT_FALSE(set_field(lead, "person.emails[0]", "x@y.z").ok());
  ASSERT_TRUE(set_field(lead, "social.x_handle", "anna").ok());
  EXPECT_EQ(lead.social.x_handle, "anna");
  EXPECT_FALSE(field_empty(lead, "social.x_handle"));
}

} // namespace
} // namespace leadsync::enrich
