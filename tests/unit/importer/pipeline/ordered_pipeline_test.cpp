#include "leadsync/importer/ordered_pipeline.hpp"

#include <atomic>
#include <cstdint>
#include <gtest/gtest.h>
#include <stdexcept>
#include <vector>

namespace leadsync::importer {
namespace {

// Work whose cost depends on the item, so that workers finish out of order.
std::uint64_t uneven_work(int item) {
  std::uint64_t value = static_cast<std::uint64_t>(item);
  const int rounds = (item % 7) * 2000;
  for (int i = 0; i < rounds; ++i) {
    value = value * 6364136223846793005ULL + 1442695040888963407ULL;
  }
  return value;
}

TEST(OrderedPipeline, HandsResultsBackInTheOrderTheyWereProduced) {
  constexpr int items = 5000;
  int next_item = 0;
  OrderedPipeline<int, std::pair<int, std::uint64_t>> pipeline(
      4, 16,
      [&]() -> std::optional<int> {
        if (next_item == items) {
          return std::nullopt;
        }
        return next_item++;
      },
      [](int&& item) { return std::pair(item, uneven_work(item)); });

  std::vector<int> seen;
  while (auto result = pipeline.next()) {
    EXPECT_EQ(result->second, uneven_work(result->first));
    seen.push_back(result->first);
  }

  ASSERT_EQ(seen.size(), static_cast<std::size_t>(items));
  for (int i = 0; i < items; ++i) {
    ASSERT_EQ(seen[static_cast<std::size_t>(i)], i);
  }
}

TEST(OrderedPipeline, NeverHasMoreThanInFlightItemsBetweenProducerAndCaller) {
  constexpr std::size_t in_flight = 5;
  std::atomic<int> produced{0};
  OrderedPipeline<int, int> pipeline(
      3, in_flight,
      [&]() -> std::optional<int> {
        const int item = produced.load();
        if (item == 400) {
          return std::nullopt;
        }
        produced.store(item + 1);
        return item;
      },
      [](int&& item) { return item; });

  int taken = 0;
  while (auto result = pipeline.next()) {
    ++taken;
    // The producer may be one item ahead: it produces, then waits for room.
    EXPECT_LE(produced.load() - taken, static_cast<int>(in_flight)) << "after " << taken;
  }
  EXPECT_EQ(taken, 400);
}

TEST(OrderedPipeline, AnEmptyInputEndsAtOnce) {
  OrderedPipeline<int, int> pipeline(
      2, 4, []() -> std::optional<int> { return std::nullopt; }, [](int&& item) { return item; });

  EXPECT_FALSE(pipeline.next().has_value());
  EXPECT_FALSE(pipeline.next().has_value());
}

TEST(OrderedPipeline, StopEndsAnEndlessInputAndLaterCallsGetNothing) {
  int next_item = 0;
  OrderedPipeline<int, int> pipeline(
      2, 4, [&]() -> std::optional<int> { return next_item++; }, [](int&& item) { return item; });
  ASSERT_EQ(pipeline.next(), std::optional<int>(0));
  ASSERT_EQ(pipeline.next(), std::optional<int>(1));

  pipeline.stop();

  EXPECT_FALSE(pipeline.next().has_value());
}

TEST(OrderedPipeline, AnExceptionInAWorkerReachesTheCaller) {
  int next_item = 0;
  OrderedPipeline<int, int> pipeline(
      2, 4,
      [&]() -> std::optional<int> {
        if (next_item == 10) {
          return std::nullopt;
        }
        return next_item++;
      },
      [](int&& item) -> int {
        if (item == 3) {
          throw std::logic_error("item 3 is broken");
        }
        return item;
      });

  EXPECT_THROW(
      {
        while (pipeline.next()) {
        }
      },
      std::logic_error);
}

} // namespace
} // namespace leadsync::importer
