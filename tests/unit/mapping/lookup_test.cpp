#include "leadsync/mapping/lookup.hpp"
#include "mapping_test_support.hpp"

#include <gtest/gtest.h>
#include <thread>
#include <vector>

namespace leadsync::mapping {
namespace {

using testing::campaign_id;
using testing::FakeResolver;

TEST(CachingLookupResolver, AsksForEachNameOnce) {
  FakeResolver crm;
  CachingLookupResolver cache(crm);
  for (int i = 0; i < 5; ++i) {
    auto id = cache.resolve("campaigns", "name", "Spring Expo 2026");
    ASSERT_TRUE(id.ok()) << id.error().message;
    EXPECT_EQ(*id, std::optional<std::string>(campaign_id));
  }
  EXPECT_EQ(crm.resolve_calls, 1);
}

TEST(CachingLookupResolver, RemembersThatANameIsUnknown) {
  FakeResolver crm;
  CachingLookupResolver cache(crm);
  EXPECT_EQ(cache.resolve("campaigns", "name", "Nope").value(), std::nullopt);
  EXPECT_EQ(cache.resolve("campaigns", "name", "Nope").value(), std::nullopt);
  EXPECT_EQ(crm.resolve_calls, 1);
}

TEST(CachingLookupResolver, AsksAgainAfterAnError) {
  FakeResolver crm;
  crm.failure = Error::make(ErrorCategory::throttled, "429", true);
  CachingLookupResolver cache(crm);
  auto failed = cache.resolve("campaigns", "name", "Spring Expo 2026");
  ASSERT_FALSE(failed.ok());
  EXPECT_EQ(failed.error().category, ErrorCategory::throttled);
  crm.failure.reset();
  EXPECT_EQ(cache.resolve("campaigns", "name", "Spring Expo 2026").value(),
            std::optional<std::string>(campaign_id));
  EXPECT_EQ(crm.resolve_calls, 2);
}

TEST(CachingLookupResolver, AResolvedNameAnswersTheReverseQuestionWithoutAsking) {
  FakeResolver crm;
  CachingLookupResolver cache(crm);
  ASSERT_TRUE(cache.resolve("campaigns", "name", "Spring Expo 2026").ok());
  EXPECT_EQ(cache.name_of("campaigns", "name", campaign_id).value(),
            std::optional<std::string>("Spring Expo 2026"));
  EXPECT_EQ(crm.name_calls, 0);
}

TEST(CachingLookupResolver, AsksForEachIdOnce) {
  FakeResolver crm;
  CachingLookupResolver cache(crm);
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(cache.name_of("campaigns", "name", campaign_id).value(),
              std::optional<std::string>("Spring Expo 2026"));
  }
  EXPECT_EQ(crm.name_calls, 1);
}

TEST(CachingLookupResolver, ClearForgetsEveryAnswer) {
  FakeResolver crm;
  CachingLookupResolver cache(crm);
  ASSERT_TRUE(cache.resolve("campaigns", "name", "Autumn Gala").ok());
  crm.ids_by_name["Autumn Gala"] = "3b0e0f5a-0000-4000-8000-00000000aaaa";
  cache.clear();
  EXPECT_EQ(cache.resolve("campaigns", "name", "Autumn Gala").value(),
            std::optional<std::string>("3b0e0f5a-0000-4000-8000-00000000aaaa"));
  EXPECT_EQ(crm.resolve_calls, 2);
}

TEST(CachingLookupResolver, ConcurrentCallersShareOneQuestion) {
  FakeResolver crm;
  CachingLookupResolver cache(crm);
  std::vector<std::thread> workers;
  std::atomic<int> correct{0};
  for (int i = 0; i < 8; ++i) {
    workers.emplace_back([&] {
      for (int round = 0; round < 50; ++round) {
        auto id = cache.resolve("campaigns", "name", "Spring Expo 2026");
        if (id.ok() && *id == std::optional<std::string>(campaign_id)) {
          ++correct;
        }
      }
    });
  }
  for (auto& worker : workers) {
    worker.join();
  }
  EXPECT_EQ(correct, 8 * 50);
  EXPECT_EQ(crm.resolve_calls, 1);
}

} // namespace
} // namespace leadsync::mapping
