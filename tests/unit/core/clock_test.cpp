#include "leadsync/core/clock.hpp"

#include <gtest/gtest.h>
#include <thread>
#include <vector>

namespace leadsync {
namespace {

using namespace std::chrono_literals;

TEST(ManualClockTest, StartsAtTheGivenWallTime) {
  const Clock::WallTime start{std::chrono::seconds{1'800'000'000}};
  const ManualClock clock(start);
  EXPECT_EQ(clock.now(), start);
  EXPECT_EQ(clock.now(), clock.now());
  EXPECT_EQ(clock.steady_now(), clock.steady_now());
}

TEST(ManualClockTest, AdvanceMovesWallAndSteadyTimeByTheSameAmount) {
  ManualClock clock;
  const auto wall = clock.now();
  const auto steady = clock.steady_now();
  clock.advance(1500ms);
  EXPECT_EQ(clock.now() - wall, 1500ms);
  EXPECT_EQ(clock.steady_now() - steady, 1500ms);
  clock.advance(2h);
  EXPECT_EQ(clock.now() - wall, 2h + 1500ms);
  EXPECT_EQ(clock.steady_now() - steady, 2h + 1500ms);
}

TEST(ManualClockTest, SetMovesWallTimeOnly) {
  ManualClock clock;
  const auto steady = clock.steady_now();
  const Clock::WallTime later{std::chrono::seconds{1'900'000'000}};
  clock.set(later);
  EXPECT_EQ(clock.now(), later);
  EXPECT_EQ(clock.steady_now(), steady);
}

TEST(ManualClockTest, SteadyTimeDoesNotGoBackWhenWallTimeIsSetBack) {
  ManualClock clock;
  clock.advance(10s);
  const auto steady = clock.steady_now();
  const auto wall = clock.now();
  clock.set(wall - 1h);
  EXPECT_EQ(clock.now(), wall - 1h);
  EXPECT_EQ(clock.steady_now(), steady);
  clock.advance(1s);
  EXPECT_EQ(clock.steady_now(), steady + 1s);
}

TEST(ManualClockTest, ConcurrentAdvancesAreAllCounted) {
  ManualClock clock;
  const auto steady = clock.steady_now();
  constexpr int threads = 4;
  constexpr int steps = 1000;
  std::vector<std::thread> workers;
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([&clock] {
      for (int i = 0; i < steps; ++i) {
        clock.advance(1ms);
      }
    });
  }
  for (auto& worker : workers) {
    worker.join();
  }
  EXPECT_EQ(clock.steady_now() - steady, std::chrono::milliseconds(threads * steps));
}

TEST(SystemClockTest, SteadyTimeNeverGoesBack) {
  auto& clock = SystemClock::instance();
  auto previous = clock.steady_now();
  for (int i = 0; i < 1000; ++i) {
    const auto current = clock.steady_now();
    ASSERT_GE(current, previous);
    previous = current;
  }
}

TEST(SystemClockTest, InstanceIsOneObject) {
  EXPECT_EQ(&SystemClock::instance(), &SystemClock::instance());
}

} // namespace
} // namespace leadsync
