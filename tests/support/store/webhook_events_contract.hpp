#pragma once
// The webhook event queue of the store: events the daemon received, stored before they are
// answered, de-duplicated by their key, and worked off under leases like the outbox. A
// value-parameterized suite over store flavours; a test executable joins it with
//   INSTANTIATE_TEST_SUITE_P(Name, WebhookEventsTest, ::testing::Values(WebhookStoreFlavour{...}),
//                            flavour_name);
// (and WebhookEventsSharedTest for flavours whose store outlives its handle). Include this file
// from exactly one translation unit per test executable (it defines the tests):
// webhook_events_test.cpp (SQLite), webhook_events_postgres_test.cpp (PostgreSQL).

#include "leadsync/core/clock.hpp"
#include "leadsync/core/random.hpp"
#include "leadsync/store/store.hpp"
#include "support/store/store_test_support.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <memory>
#include <ostream>
#include <string>
#include <thread>
#include <vector>

namespace leadsync::store::webhook_testing {

using std::chrono::milliseconds;
using std::chrono::seconds;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

inline constexpr milliseconds lease{60'000};

inline std::vector<std::int64_t> seqs_of(const std::vector<WebhookEvent>& events) {
  std::vector<std::int64_t> seqs;
  for (const auto& event : events) {
    seqs.push_back(event.seq);
  }
  return seqs;
}

// What a flavour gets to open the store of one test.
struct WebhookStoreEnvironment {
  Clock& clock;
  Random& random;
  std::filesystem::path scratch_dir; // empty folder of this test, removed after it
  std::string location = {};         // set by the first `open`; later opens reach the same store
};

struct WebhookStoreFlavour {
  std::string name; // becomes the test name suffix
  // Opens the test's store: a fresh one the first time, the same one again after (a second
  // handle, as another process would have), except for stores that live in memory.
  std::function<std::unique_ptr<Store>(WebhookStoreEnvironment&)> open;
  // When set and it returns a reason, the flavour cannot run here and its tests skip with it.
  std::function<std::string()> unavailable = {};
};

// NOLINTNEXTLINE(readability-identifier-naming): the name GoogleTest looks for
inline void PrintTo(const WebhookStoreFlavour& flavour, std::ostream* out) {
  *out << flavour.name;
}

inline std::string flavour_name(const ::testing::TestParamInfo<WebhookStoreFlavour>& info) {
  return info.param.name;
}

class WebhookEventsTest : public ::testing::TestWithParam<WebhookStoreFlavour> {
protected:
  void SetUp() override {
    std::string pattern =
        (std::filesystem::path(::testing::TempDir()) / "leadsync-webhooks-XXXXXX");
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr) << "cannot create a scratch folder";
    dir_ = pattern;
    if (GetParam().unavailable) {
      if (const std::string reason = GetParam().unavailable(); !reason.empty()) {
        GTEST_SKIP() << reason;
      }
    }
    environment_ = std::make_unique<WebhookStoreEnvironment>(
        WebhookStoreEnvironment{clock_, random_, dir_, {}});
    store_ = open();
    ASSERT_NE(store_, nullptr);
  }

  void TearDown() override {
    store_.reset();
    std::filesystem::remove_all(dir_);
  }

  std::unique_ptr<Store> open() { return GetParam().open(*environment_); }

  Store& store() { return *store_; }
  TimePoint now() const { return clock_.now(); }

  // An event as the daemon stores it for a lead Create, received now.
  WebhookEvent event(const std::string& operation,
                     const std::string& crm_id = "3f2504e0-4f89-41d3-9a0c-0305e82c3301") {
    WebhookEvent event;
    event.dedupe_key = "create:lead:" + crm_id + ":" + operation;
    event.source = "dataverse";
    event.message = "Create";
    event.entity = "lead";
    event.crm_id = crm_id;
    event.correlation_id = "corr-" + operation;
    event.payload = R"({"MessageName":"Create"})";
    event.received_at = now();
    return event;
  }

  std::int64_t add(const std::string& operation) {
    const auto added = store().add_webhook_event(event(operation)).value();
    EXPECT_TRUE(added.added) << operation;
    return added.seq;
  }

  std::vector<WebhookEvent> claim(const std::string& worker, std::size_t max_entries = 10,
                                  milliseconds for_how_long = lease) {
    return store().claim_webhook_events(worker, max_entries, now(), for_how_long).value();
  }

  WebhookEvent find(std::int64_t seq) {
    auto events = store().list_webhook_events(1000).value();
    for (auto& stored : events) {
      if (stored.seq == seq) {
        return stored;
      }
    }
    ADD_FAILURE() << "no webhook event " << seq;
    return {};
  }

  ManualClock clock_;
  SeededRandom random_{20261206};
  std::filesystem::path dir_;
  std::unique_ptr<WebhookStoreEnvironment> environment_;
  std::unique_ptr<Store> store_;
};

TEST_P(WebhookEventsTest, AnAddedEventIsStoredPendingWithEverythingItCarries) {
  const auto added = store().add_webhook_event(event("op-1")).value();

  EXPECT_TRUE(added.added);
  EXPECT_GT(added.seq, 0);
  const auto stored = find(added.seq);
  EXPECT_EQ(stored.dedupe_key, "create:lead:3f2504e0-4f89-41d3-9a0c-0305e82c3301:op-1");
  EXPECT_EQ(stored.source, "dataverse");
  EXPECT_EQ(stored.message, "Create");
  EXPECT_EQ(stored.entity, "lead");
  EXPECT_EQ(stored.crm_id, "3f2504e0-4f89-41d3-9a0c-0305e82c3301");
  EXPECT_EQ(stored.correlation_id, "corr-op-1");
  EXPECT_EQ(stored.payload, R"({"MessageName":"Create"})");
  EXPECT_EQ(stored.received_at, now());
  EXPECT_EQ(stored.state, WebhookEventState::pending);
  EXPECT_EQ(stored.attempts, 0);
  EXPECT_EQ(stored.lease_owner, "");
  EXPECT_FALSE(stored.lease_until.has_value());
  EXPECT_FALSE(stored.not_before.has_value());
  EXPECT_FALSE(stored.finished_at.has_value());
}

TEST_P(WebhookEventsTest, ASecondEventWithAKnownKeyIsADuplicateNamingTheFirst) {
  const auto first = store().add_webhook_event(event("op-1")).value();
  auto redelivered = event("op-1");
  redelivered.correlation_id = "another";

  const auto second = store().add_webhook_event(redelivered).value();

  EXPECT_FALSE(second.added);
  EXPECT_EQ(second.seq, first.seq);
  EXPECT_EQ(store().list_webhook_events(10).value().size(), 1U);
  EXPECT_EQ(find(first.seq).correlation_id, "corr-op-1") << "nothing of the duplicate is stored";
}

TEST_P(WebhookEventsTest, AKeyStaysKnownAfterItsEventIsDoneOrFailed) {
  const auto done = add("op-done");
  const auto failed = add("op-failed");
  const auto claimed = claim("w1");
  ASSERT_EQ(claimed.size(), 2U);
  ASSERT_TRUE(store().complete_webhook_events({done}, "w1", now()).ok());
  ASSERT_TRUE(store().fail_webhook_event(failed, "w1", "gave up", now()).ok());

  EXPECT_FALSE(store().add_webhook_event(event("op-done")).value().added);
  EXPECT_FALSE(store().add_webhook_event(event("op-failed")).value().added);
}

TEST_P(WebhookEventsTest, AnEventWithoutADedupeKeyIsRefused) {
  auto keyless = event("op-1");
  keyless.dedupe_key.clear();

  const auto error = error_of(store().add_webhook_event(keyless));

  EXPECT_EQ(error.category, ErrorCategory::invalid_argument);
  EXPECT_THAT(error.message, HasSubstr("dedupe_key"));
}

TEST_P(WebhookEventsTest, ClaimLeasesTheOldestEventsFirstUpToTheLimit) {
  const auto a = add("a");
  const auto b = add("b");
  const auto c = add("c");
  EXPECT_LT(a, b);
  EXPECT_LT(b, c);

  const auto first = claim("w1", 2);
  const auto rest = claim("w1", 2);

  EXPECT_THAT(seqs_of(first), ElementsAre(a, b));
  EXPECT_THAT(seqs_of(rest), ElementsAre(c));
  ASSERT_EQ(first.size(), 2U);
  EXPECT_EQ(first[0].lease_owner, "w1");
  EXPECT_EQ(first[0].lease_until, now() + lease);
  EXPECT_EQ(first[0].dedupe_key, "create:lead:3f2504e0-4f89-41d3-9a0c-0305e82c3301:a");
}

TEST_P(WebhookEventsTest, ASecondWorkerCannotClaimALeasedEvent) {
  const auto a = add("a");
  ASSERT_THAT(seqs_of(claim("w1")), ElementsAre(a));
  const auto b = add("b");

  const auto other = claim("w2");

  EXPECT_THAT(seqs_of(other), ElementsAre(b)) << "only the event nobody holds";
  EXPECT_TRUE(claim("w3").empty());
}

TEST_P(WebhookEventsTest, AnExpiredLeaseLetsAnotherWorkerClaimTheEvent) {
  const auto a = add("a");
  ASSERT_THAT(seqs_of(claim("w1", 10, milliseconds{30'000})), ElementsAre(a));

  clock_.advance(seconds{30});
  EXPECT_TRUE(claim("w2").empty()) << "the lease runs up to and including its end";
  clock_.advance(milliseconds{1});
  const auto taken = claim("w2");

  EXPECT_THAT(seqs_of(taken), ElementsAre(a));
  EXPECT_EQ(taken.at(0).lease_owner, "w2");
}

TEST_P(WebhookEventsTest, CompleteByAWorkerThatDoesNotHoldTheEventIsRefused) {
  const auto a = add("a");
  ASSERT_EQ(claim("w1").size(), 1U);

  const auto error = error_of(store().complete_webhook_events({a}, "w2", now()));

  EXPECT_EQ(error.category, ErrorCategory::conflict);
  EXPECT_THAT(error.message, HasSubstr("not leased by worker 'w2'"));
  EXPECT_EQ(find(a).state, WebhookEventState::pending);
  EXPECT_EQ(find(a).lease_owner, "w1");
}

TEST_P(WebhookEventsTest, CompleteOfAnEventTakenOverAfterItsLeaseExpiredIsRefused) {
  const auto a = add("a");
  ASSERT_EQ(claim("w1", 10, milliseconds{1000}).size(), 1U);
  clock_.advance(seconds{2});
  ASSERT_EQ(claim("w2").size(), 1U);

  const auto error = error_of(store().complete_webhook_events({a}, "w1", now()));

  EXPECT_EQ(error.category, ErrorCategory::conflict);
  EXPECT_TRUE(store().complete_webhook_events({a}, "w2", now()).ok());
}

TEST_P(WebhookEventsTest, CompleteMarksTheHeldEventsDoneAndNamesTheOthers) {
  const auto a = add("a");
  const auto b = add("b");
  ASSERT_EQ(claim("w1").size(), 2U);
  clock_.advance(seconds{5});

  const auto error = error_of(store().complete_webhook_events({a, 999}, "w1", now()));

  EXPECT_EQ(error.category, ErrorCategory::not_found);
  EXPECT_THAT(error.message, HasSubstr("999"));
  const auto done = find(a);
  EXPECT_EQ(done.state, WebhookEventState::done);
  EXPECT_EQ(done.finished_at, now());
  EXPECT_EQ(done.lease_owner, "");
  EXPECT_FALSE(done.lease_until.has_value());
  EXPECT_EQ(find(b).state, WebhookEventState::pending);
  EXPECT_TRUE(claim("w2").empty()) << "b is still w1's, a is done";
}

TEST_P(WebhookEventsTest, ADoneEventIsNeverClaimedOrCompletedAgain) {
  const auto a = add("a");
  ASSERT_EQ(claim("w1").size(), 1U);
  ASSERT_TRUE(store().complete_webhook_events({a}, "w1", now()).ok());
  clock_.advance(std::chrono::hours{1});

  EXPECT_TRUE(claim("w1").empty());
  EXPECT_EQ(error_of(store().complete_webhook_events({a}, "w1", now())).category,
            ErrorCategory::conflict);
}

TEST_P(WebhookEventsTest, RetryFreesTheEventUntilNotBeforeAndCountsTheAttempt) {
  const auto a = add("a");
  ASSERT_EQ(claim("w1").size(), 1U);
  const auto retry_at = now() + seconds{30};

  ASSERT_TRUE(store().retry_webhook_event(a, "w1", "CRM answered 503", retry_at).ok());

  const auto waiting = find(a);
  EXPECT_EQ(waiting.state, WebhookEventState::pending);
  EXPECT_EQ(waiting.attempts, 1);
  EXPECT_EQ(waiting.last_error, "CRM answered 503");
  EXPECT_EQ(waiting.not_before, retry_at);
  EXPECT_EQ(waiting.lease_owner, "");
  EXPECT_TRUE(claim("w2").empty()) << "not before its not_before";
  clock_.advance(seconds{30});
  const auto again = claim("w2");
  ASSERT_THAT(seqs_of(again), ElementsAre(a));
  EXPECT_EQ(again[0].attempts, 1);
}

TEST_P(WebhookEventsTest, AWaitingRetryDoesNotHoldBackLaterEvents) {
  const auto a = add("a");
  ASSERT_EQ(claim("w1").size(), 1U);
  ASSERT_TRUE(store().retry_webhook_event(a, "w1", "later", now() + seconds{60}).ok());
  const auto b = add("b");

  EXPECT_THAT(seqs_of(claim("w1")), ElementsAre(b));
}

TEST_P(WebhookEventsTest, RetryAndFailByANonHolderAreRefused) {
  const auto a = add("a");
  ASSERT_EQ(claim("w1").size(), 1U);

  EXPECT_EQ(error_of(store().retry_webhook_event(a, "w2", "x", now())).category,
            ErrorCategory::conflict);
  EXPECT_EQ(error_of(store().fail_webhook_event(a, "w2", "x", now())).category,
            ErrorCategory::conflict);
  EXPECT_EQ(error_of(store().fail_webhook_event(12345, "w1", "x", now())).category,
            ErrorCategory::not_found);
  EXPECT_EQ(find(a).attempts, 0);
}

TEST_P(WebhookEventsTest, FailGivesTheEventUpKeepingItsError) {
  const auto a = add("a");
  ASSERT_EQ(claim("w1").size(), 1U);
  clock_.advance(seconds{3});

  ASSERT_TRUE(store().fail_webhook_event(a, "w1", "lead was deleted in the CRM", now()).ok());

  const auto failed = find(a);
  EXPECT_EQ(failed.state, WebhookEventState::failed);
  EXPECT_EQ(failed.attempts, 1);
  EXPECT_EQ(failed.last_error, "lead was deleted in the CRM");
  EXPECT_EQ(failed.finished_at, now());
  EXPECT_EQ(failed.lease_owner, "");
  clock_.advance(std::chrono::hours{1});
  EXPECT_TRUE(claim("w1").empty());
}

TEST_P(WebhookEventsTest, StatsCountEachStateAndTheOldestPendingEvent) {
  EXPECT_EQ(store().webhook_queue_stats().value().pending, 0);
  EXPECT_FALSE(store().webhook_queue_stats().value().oldest_pending.has_value());
  const auto first_received = now();
  const auto a = add("a");
  clock_.advance(seconds{10});
  const auto b = add("b");
  clock_.advance(seconds{10});
  add("c");
  add("d");
  ASSERT_EQ(claim("w1", 2).size(), 2U); // a and b
  ASSERT_TRUE(store().complete_webhook_events({a}, "w1", now()).ok());
  ASSERT_TRUE(store().fail_webhook_event(b, "w1", "no", now()).ok());
  ASSERT_EQ(claim("w1", 1).size(), 1U); // c: leased still counts as pending

  const auto stats = store().webhook_queue_stats().value();

  EXPECT_EQ(stats.pending, 2);
  EXPECT_EQ(stats.done, 1);
  EXPECT_EQ(stats.failed, 1);
  EXPECT_EQ(stats.oldest_pending, first_received + seconds{20}) << "c, once a and b finished";
  EXPECT_NE(stats.oldest_pending, first_received);
}

TEST_P(WebhookEventsTest, ListGivesTheNewestFirstUpToTheLimit) {
  const auto a = add("a");
  const auto b = add("b");
  const auto c = add("c");

  EXPECT_THAT(seqs_of(store().list_webhook_events(10).value()), ElementsAre(c, b, a));
  EXPECT_THAT(seqs_of(store().list_webhook_events(2).value()), ElementsAre(c, b));
}

TEST_P(WebhookEventsTest, PruneDeletesOnlyEventsFinishedBeforeTheCutoff) {
  const auto old_done = add("old-done");
  const auto old_failed = add("old-failed");
  const auto pending = add("pending");
  ASSERT_EQ(claim("w1", 2).size(), 2U);
  ASSERT_TRUE(store().complete_webhook_events({old_done}, "w1", now()).ok());
  ASSERT_TRUE(store().fail_webhook_event(old_failed, "w1", "no", now()).ok());
  clock_.advance(std::chrono::hours{48});
  const auto recent = add("recent");
  ASSERT_EQ(claim("w1", 1).size(), 1U); // pending
  ASSERT_EQ(claim("w1", 1).size(), 1U); // recent
  ASSERT_TRUE(store().complete_webhook_events({recent}, "w1", now()).ok());

  const auto pruned = store().prune_webhook_events(now() - std::chrono::hours{24}).value();

  EXPECT_EQ(pruned, 2);
  EXPECT_THAT(seqs_of(store().list_webhook_events(10).value()), ElementsAre(recent, pending));
  EXPECT_TRUE(store().add_webhook_event(event("old-done")).value().added)
      << "a pruned key is forgotten";
  EXPECT_GT(store().add_webhook_event(event("old-failed")).value().seq, recent)
      << "seqs are never reused";
}

TEST_P(WebhookEventsTest, BadClaimArgumentsAreRefusedAndZeroEntriesClaimNothing) {
  add("a");

  EXPECT_EQ(error_of(store().claim_webhook_events("", 1, now(), lease)).category,
            ErrorCategory::invalid_argument);
  EXPECT_EQ(error_of(store().claim_webhook_events("w1", 1, now(), milliseconds{0})).category,
            ErrorCategory::invalid_argument);
  EXPECT_TRUE(claim("w1", 0).empty());
  EXPECT_EQ(claim("w1").size(), 1U) << "nothing was leased by the calls before";
}

// What needs a store that outlives its handle: two handles on one store (two workers), and a
// store closed and opened again.
using WebhookEventsSharedTest = WebhookEventsTest;

TEST_P(WebhookEventsSharedTest, TwoStoresTakingTurnsNeverClaimTheSameEvent) {
  auto other = open();
  for (int i = 0; i < 20; ++i) {
    add("op-" + std::to_string(i));
  }

  std::vector<std::int64_t> seen;
  for (int round = 0; round < 10; ++round) {
    for (auto* worker : {store_.get(), other.get()}) {
      const auto name = worker == store_.get() ? "w1" : "w2";
      const auto claimed = worker->claim_webhook_events(name, 1, now(), lease).value();
      for (const auto& one : claimed) {
        seen.push_back(one.seq);
      }
    }
  }

  std::sort(seen.begin(), seen.end());
  EXPECT_EQ(seen.size(), 20U);
  EXPECT_EQ(std::adjacent_find(seen.begin(), seen.end()), seen.end()) << "an event claimed twice";
}

TEST_P(WebhookEventsSharedTest, EventsAndTheirStateSurviveReopeningTheStore) {
  const auto a = add("a");
  const auto b = add("b");
  ASSERT_EQ(claim("w1", 1).size(), 1U); // a
  ASSERT_TRUE(store().complete_webhook_events({a}, "w1", now()).ok());

  store_.reset(); // as if the daemon was killed right after answering 200
  store_ = open();

  EXPECT_FALSE(store().add_webhook_event(event("a")).value().added);
  EXPECT_FALSE(store().add_webhook_event(event("b")).value().added);
  const auto stats = store().webhook_queue_stats().value();
  EXPECT_EQ(stats.pending, 1);
  EXPECT_EQ(stats.done, 1);
  EXPECT_THAT(seqs_of(claim("w2")), ElementsAre(b));
}

TEST_P(WebhookEventsSharedTest, TwoStoresClaimingConcurrentlyNeverClaimOneEventTwice) {
  auto other = open();
  ASSERT_NE(other, nullptr);
  constexpr std::size_t events = 120;
  for (std::size_t i = 0; i < events; ++i) {
    add("op-" + std::to_string(i));
  }
  const auto at = now();

  // Each worker claims small batches until it finds nothing left; a failed claim ends it too.
  std::atomic<int> failures{0};
  const auto work_off = [&](Store& worker, const std::string& name,
                            std::vector<std::int64_t>& seen) {
    for (;;) {
      auto claimed = worker.claim_webhook_events(name, 3, at, lease);
      if (!claimed.ok()) {
        ++failures;
        ADD_FAILURE() << name << ": " << claimed.error().describe();
        return;
      }
      if (claimed->empty()) {
        return;
      }
      for (const auto& one : *claimed) {
        EXPECT_EQ(one.lease_owner, name);
        seen.push_back(one.seq);
      }
    }
  };
  std::vector<std::int64_t> seen_by_w1;
  std::vector<std::int64_t> seen_by_w2;
  std::thread w1([&] { work_off(store(), "w1", seen_by_w1); });
  std::thread w2([&] { work_off(*other, "w2", seen_by_w2); });
  w1.join();
  w2.join();

  EXPECT_EQ(failures.load(), 0);
  std::vector<std::int64_t> seen = seen_by_w1;
  seen.insert(seen.end(), seen_by_w2.begin(), seen_by_w2.end());
  std::sort(seen.begin(), seen.end());
  EXPECT_EQ(std::adjacent_find(seen.begin(), seen.end()), seen.end()) << "an event claimed twice";
  EXPECT_EQ(seen.size(), events) << "every event claimed by one of them";
  for (const auto seq : seen_by_w2) {
    EXPECT_EQ(find(seq).lease_owner, "w2") << seq;
  }
}

} // namespace leadsync::store::webhook_testing
