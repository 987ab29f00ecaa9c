#include "leadsync/core/clock.hpp"
#include "leadsync/mapping/lookup.hpp"
#include "mapping_test_support.hpp"

#include <chrono>
#include <gtest/gtest.h>
#include <string>
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

TEST(CachingLookupResolver, AFoundAnswerIsAskedAgainAfterItsTtl) {
  FakeResolver crm;
  ManualClock clock;
  CachingLookupResolver cache(crm, clock);
  ASSERT_TRUE(cache.resolve("campaigns", "name", "Spring Expo 2026").ok());

  clock.advance(std::chrono::minutes{10} - std::chrono::seconds{1});
  ASSERT_TRUE(cache.resolve("campaigns", "name", "Spring Expo 2026").ok());
  EXPECT_EQ(crm.resolve_calls, 1) << "still within the 10 minutes found answers last";
  crm.ids_by_name["Spring Expo 2026"] = "3b0e0f5a-0000-4000-8000-00000000bbbb";
  clock.advance(std::chrono::seconds{1});

  EXPECT_EQ(cache.resolve("campaigns", "name", "Spring Expo 2026").value(),
            std::optional<std::string>("3b0e0f5a-0000-4000-8000-00000000bbbb"));
  EXPECT_EQ(crm.resolve_calls, 2);
}

TEST(CachingLookupResolver, NotFoundIsRememberedForAMinuteOnly) {
  FakeResolver crm;
  ManualClock clock;
  CachingLookupResolver cache(crm, clock);
  EXPECT_EQ(cache.resolve("campaigns", "name", "Autumn Gala").value(), std::nullopt);
  clock.advance(std::chrono::seconds{59});
  EXPECT_EQ(cache.resolve("campaigns", "name", "Autumn Gala").value(), std::nullopt);
  EXPECT_EQ(crm.resolve_calls, 1);

  // Someone creates the campaign in the CRM; a daemon finds it a minute later.
  crm.ids_by_name["Autumn Gala"] = "3b0e0f5a-0000-4000-8000-00000000aaaa";
  clock.advance(std::chrono::seconds{1});

  EXPECT_EQ(cache.resolve("campaigns", "name", "Autumn Gala").value(),
            std::optional<std::string>("3b0e0f5a-0000-4000-8000-00000000aaaa"));
  EXPECT_EQ(crm.resolve_calls, 2);
}

TEST(CachingLookupResolver, TtlsAreConfigurable) {
  FakeResolver crm;
  ManualClock clock;
  CachingLookupResolver cache(
      crm, clock, {.found = std::chrono::seconds{30}, .not_found = std::chrono::hours{1}});
  ASSERT_TRUE(cache.resolve("campaigns", "name", "Spring Expo 2026").ok());
  ASSERT_TRUE(cache.resolve("campaigns", "name", "Nope").ok());
  clock.advance(std::chrono::seconds{30});

  ASSERT_TRUE(cache.resolve("campaigns", "name", "Spring Expo 2026").ok());
  ASSERT_TRUE(cache.resolve("campaigns", "name", "Nope").ok());

  EXPECT_EQ(crm.resolve_calls, 3) << "the found answer expired, the not-found one did not";
}

TEST(CachingLookupResolver, AZeroTtlRemembersNothing) {
  FakeResolver crm;
  ManualClock clock;
  CachingLookupResolver cache(
      crm, clock,
      {.found = std::chrono::milliseconds{0}, .not_found = std::chrono::milliseconds{0}});
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(cache.resolve("campaigns", "name", "Spring Expo 2026").ok());
  }
  EXPECT_EQ(crm.resolve_calls, 3);
  EXPECT_EQ(cache.name_of("campaigns", "name", campaign_id).value(),
            std::optional<std::string>("Spring Expo 2026"));
  EXPECT_EQ(crm.name_calls, 1) << "nor the reverse answer";
}

TEST(CachingLookupResolver, TheReverseAnswerExpiresWithTheName) {
  FakeResolver crm;
  ManualClock clock;
  CachingLookupResolver cache(crm, clock);
  ASSERT_TRUE(cache.resolve("campaigns", "name", "Spring Expo 2026").ok());
  ASSERT_TRUE(cache.name_of("campaigns", "name", campaign_id).ok());
  EXPECT_EQ(crm.name_calls, 0);

  clock.advance(std::chrono::minutes{10});
  ASSERT_TRUE(cache.name_of("campaigns", "name", campaign_id).ok());

  EXPECT_EQ(crm.name_calls, 1);
}

TEST(CachingLookupResolver, ManyExpiredAnswersDoNotChangeWhatIsAnswered) {
  FakeResolver crm;
  ManualClock clock;
  CachingLookupResolver cache(crm, clock);
  // Past the size at which expired entries are swept, with every earlier answer expired.
  for (int i = 0; i < 1500; ++i) {
    ASSERT_TRUE(cache.resolve("campaigns", "name", "Campaign " + std::to_string(i)).ok());
    clock.advance(std::chrono::seconds{1});
  }
  ASSERT_TRUE(cache.resolve("campaigns", "name", "Spring Expo 2026").ok());
  const int asked = crm.resolve_calls;

  EXPECT_EQ(cache.resolve("campaigns", "name", "Spring Expo 2026").value(),
            std::optional<std::string>(campaign_id));
  EXPECT_EQ(cache.resolve("campaigns", "name", "Campaign 1499").value(), std::nullopt);
  EXPECT_EQ(crm.resolve_calls, asked) << "live answers survive the sweep";
  EXPECT_EQ(cache.resolve("campaigns", "name", "Campaign 0").value(), std::nullopt);
  EXPECT_EQ(crm.resolve_calls, asked + 1) << "an expired one is asked again";
}

} // namespace
} // namespace leadsync::mapping
