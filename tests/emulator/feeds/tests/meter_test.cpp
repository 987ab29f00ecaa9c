#include "femu/meter.hpp"

#include <gtest/gtest.h>

namespace femu {
namespace {

using namespace std::chrono_literals;

TEST(feedsRateLimiter, FixedWindowPerBucket) {
  RateLimiter limiter(60s);
  const SteadyTime start = std::chrono::steady_clock::now();
  auto first = limiter.take("pdl:a", 1, 2, 1000, start);
  EXPECT_TRUE(first.allowed);
  EXPECT_EQ(first.remaining, 1);
  EXPECT_EQ(first.limit, 2);
  EXPECT_EQ(first.reset_in, 60s);
  EXPECT_TRUE(limiter.take("pdl:a", 1, 2, 1000, start + 1s).allowed);
  const auto refused = limiter.take("pdl:a", 1, 2, 1000, start + 10s);
  EXPECT_FALSE(refused.allowed);
  EXPECT_EQ(refused.remaining, 0);
  EXPECT_EQ(refused.reset_in, 50s);
  EXPECT_TRUE(limiter.take("pdl:b", 1, 2, 1000, start + 10s).allowed) << "other keys are separate";
  EXPECT_TRUE(limiter.take("pdl:a", 1, 2, 1000, start + 60s).allowed) << "a new window";
}

TEST(feedsRateLimiter, BulkCallsCostOnePerItemAndAreRefusedWhole) {
  RateLimiter limiter(60s);
  const SteadyTime start = std::chrono::steady_clock::now();
  EXPECT_TRUE(limiter.take("k", 7, 10, 0, start).allowed);
  const auto too_big = limiter.take("k", 4, 10, 0, start);
  EXPECT_FALSE(too_big.allowed);
  EXPECT_EQ(too_big.used, 7) << "a refused call takes nothing";
  const auto fits = limiter.take("k", 3, 10, 0, start);
  EXPECT_TRUE(fits.allowed);
  EXPECT_EQ(fits.remaining, 0);
}

TEST(feedsRateLimiter, UnlimitedAdvertisesTheNominalLimit) {
  RateLimiter limiter(60s);
  const SteadyTime start = std::chrono::steady_clock::now();
  for (int i = 0; i < 5000; ++i) {
    ASSERT_TRUE(limiter.take("k", 1, 0, 1000, start).allowed);
  }
  const auto decision = limiter.take("k", 1, 0, 1000, start);
  EXPECT_EQ(decision.limit, 1000);
  EXPECT_EQ(decision.remaining, 1000);
  EXPECT_EQ(decision.used, 5001);
}

TEST(feedsCreditBank, SpendsUntilEmptyAndRestores) {
  CreditBank bank;
  bank.set_total(2);
  EXPECT_TRUE(bank.spend());
  EXPECT_TRUE(bank.spend());
  EXPECT_FALSE(bank.spend());
  EXPECT_EQ(bank.remaining(), 0);
  EXPECT_EQ(bank.spent(), 2);
  bank.restore();
  EXPECT_EQ(bank.remaining(), 2);
  bank.set_total(0);
  EXPECT_FALSE(bank.remaining().has_value());
  for (int i = 0; i < 100; ++i) {
    EXPECT_TRUE(bank.spend());
  }
}

TEST(feedsCallStats, CountsPerEndpointAndInTotal) {
  CallStats stats;
  stats.record("pdl.person.enrich", 200, 1, 1);
  stats.record("pdl.person.enrich", 404, 1, 0);
  stats.record("pdl.person.bulk", 200, 50, 31);
  const auto json = stats.to_json();
  EXPECT_EQ(json["endpoints"]["pdl.person.enrich"]["calls"], 2);
  EXPECT_EQ(json["endpoints"]["pdl.person.enrich"]["statuses"]["404"], 1);
  EXPECT_EQ(json["endpoints"]["pdl.person.bulk"]["items"], 50);
  EXPECT_EQ(json["totals"]["billed"], 32);
  EXPECT_EQ(json["totals"]["calls"], 3);
  EXPECT_EQ(stats.billed("pdl.person.bulk"), 31);
}

TEST(feedsUniqueQueryLedger, BillsEachQueryOnce) {
  UniqueQueryLedger ledger;
  EXPECT_FALSE(ledger.billed("person:a@b.com"));
  ledger.mark("person:a@b.com");
  EXPECT_TRUE(ledger.billed("person:a@b.com"));
  ledger.clear();
  EXPECT_FALSE(ledger.billed("person:a@b.com"));
}

} // namespace
} // namespace femu
