#pragma once
// The Store contract for scale-out (issue 16): workers and their heartbeats, reaping dead workers,
// singleton leases, and the work waiter. Part of the StoreContract suite: include it after
// store_contract.hpp, in the one translation unit per test executable that includes that.
//
// Lease owners: a worker id is "<host>:<pid>" (process_name()); its claims may use "<id>:<suffix>"
// (a thread). "h:12" owns "h:12" and "h:12:0" but never "h:123" or "h:120".

#include "support/store/store_contract.hpp"

#include <array>
#include <atomic>
#include <chrono>
#include <future>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace leadsync::store::testing::workers_contract {

using std::chrono::milliseconds;
using std::chrono::minutes;
using std::chrono::seconds;

// A worker as a daemon registers itself: id "<host>:<pid>", started at `started_at`.
inline WorkerInfo worker_info(const std::string& id, TimePoint started_at,
                              const std::string& kind = "daemon") {
  const auto colon = id.rfind(':');
  return WorkerInfo{.id = id,
                    .host = id.substr(0, colon),
                    .pid = std::stoll(id.substr(colon + 1)),
                    .kind = kind,
                    .crm_user = "11111111-2222-3333-4444-555555555555",
                    .started_at = started_at,
                    .heartbeat_at = started_at,
                    .outbox_held = 0,
                    .webhook_events_held = 0};
}

inline std::vector<std::string> worker_ids(const std::vector<WorkerInfo>& workers) {
  std::vector<std::string> ids;
  for (const auto& worker : workers) {
    ids.push_back(worker.id);
  }
  return ids;
}

inline const WorkerInfo* find_worker(const std::vector<WorkerInfo>& workers,
                                     const std::string& id) {
  for (const auto& worker : workers) {
    if (worker.id == id) {
      return &worker;
    }
  }
  return nullptr;
}

// A webhook event for a lead Create, de-duplicated by `name`.
inline WebhookEvent webhook_event(const std::string& name, TimePoint received_at) {
  WebhookEvent event;
  event.dedupe_key = "create:lead:" + name;
  event.source = "dataverse";
  event.message = "Create";
  event.entity = "lead";
  event.crm_id = "3f2504e0-4f89-41d3-9a0c-0305e82c3301";
  event.correlation_id = "corr-" + name;
  event.received_at = received_at;
  return event;
}

inline std::vector<std::int64_t> event_seqs(const std::vector<WebhookEvent>& events) {
  std::vector<std::int64_t> seqs;
  for (const auto& event : events) {
    seqs.push_back(event.seq);
  }
  return seqs;
}

// seq -> lease_until of every outbox entry / webhook event (nullopt when free).
inline std::map<std::int64_t, std::optional<TimePoint>>
outbox_leases(const std::vector<OutboxEntry>& entries) {
  std::map<std::int64_t, std::optional<TimePoint>> leases;
  for (const auto& entry : entries) {
    leases[entry.seq] = entry.lease_until;
  }
  return leases;
}

inline std::map<std::int64_t, std::optional<TimePoint>>
webhook_leases(const std::vector<WebhookEvent>& events) {
  std::map<std::int64_t, std::optional<TimePoint>> leases;
  for (const auto& event : events) {
    leases[event.seq] = event.lease_until;
  }
  return leases;
}

// ---- workers
// ---------------------------------------------------------------------------------------------

TEST_P(StoreContract, ARegisteredWorkerIsListedAndRegisteringItAgainReplacesIt) {
  const auto started = clock_.now();
  auto first = worker_info("h:12", started, "push");
  first.heartbeat_at = started + minutes{5}; // a registration is the first heartbeat
  first.outbox_held = 3;                     // filled by list_workers, not stored
  ASSERT_TRUE(store().register_worker(first).ok());

  auto expected = worker_info("h:12", started, "push");
  EXPECT_EQ(store().list_workers(started, clock_.now()).value(), std::vector{expected});

  clock_.advance(seconds{30});
  auto again = worker_info("h:12", clock_.now(), "daemon");
  again.crm_user = "66666666-7777-8888-9999-000000000000";
  ASSERT_TRUE(store().register_worker(again).ok());

  EXPECT_EQ(store().list_workers(TimePoint{}, clock_.now()).value(), std::vector{again})
      << "one row per worker id, holding the latest registration";
}

TEST_P(StoreContract, WorkersAreListedOldestFirstWhenTheirHeartbeatIsAtOrAfterAliveSince) {
  const auto t0 = clock_.now();
  ASSERT_TRUE(store().register_worker(worker_info("a:1", t0)).ok());
  // Started ten minutes ago, registered only now: its heartbeat brings it to t0.
  ASSERT_TRUE(store().register_worker(worker_info("c:3", t0 - minutes{10})).ok());
  ASSERT_TRUE(store().heartbeat_worker("c:3", t0, minutes{1}).ok());
  clock_.advance(seconds{20});
  ASSERT_TRUE(store().register_worker(worker_info("b:2", clock_.now())).ok());
  clock_.advance(seconds{40});
  ASSERT_TRUE(store().heartbeat_worker("b:2", clock_.now(), minutes{1}).ok());

  const auto alive = store().list_workers(t0, clock_.now()).value();

  EXPECT_EQ(worker_ids(alive), (std::vector<std::string>{"c:3", "a:1", "b:2"}));
  ASSERT_EQ(alive.size(), 3U);
  EXPECT_EQ(alive[0].started_at, t0 - minutes{10});
  EXPECT_EQ(alive[0].heartbeat_at, t0);
  EXPECT_EQ(alive[1].heartbeat_at, t0);
  EXPECT_EQ(alive[2].started_at, t0 + seconds{20});
  EXPECT_EQ(alive[2].heartbeat_at, clock_.now());
  EXPECT_EQ(worker_ids(store().list_workers(t0 + milliseconds{1}, clock_.now()).value()),
            std::vector<std::string>{"b:2"});
  EXPECT_TRUE(store().list_workers(clock_.now() + milliseconds{1}, clock_.now()).value().empty());
}

TEST_P(StoreContract, AnUnregisteredWorkerIsGoneAndUnregisteringAnUnknownOneIsNoError) {
  ASSERT_TRUE(store().register_worker(worker_info("h:12", clock_.now())).ok());
  ASSERT_TRUE(store().register_worker(worker_info("h:123", clock_.now())).ok());

  ASSERT_TRUE(store().unregister_worker("h:12").ok());

  EXPECT_EQ(worker_ids(store().list_workers(TimePoint{}, clock_.now()).value()),
            std::vector<std::string>{"h:123"});
  EXPECT_TRUE(store().unregister_worker("h:12").ok()) << "already gone: fine";
  EXPECT_TRUE(store().unregister_worker("nobody:1").ok());
  EXPECT_EQ(error_of(store().heartbeat_worker("h:12", clock_.now(), minutes{1})).category,
            ErrorCategory::not_found);
}

TEST_P(StoreContract, AHeartbeatOfAnUnregisteredWorkerIsNotFoundAndExtendsNothing) {
  create(lead_named("Ada"));
  const auto held = claim("h:12:0", 1, seconds{60});
  ASSERT_EQ(held.size(), 1U);
  clock_.advance(seconds{30});

  const auto error = error_of(store().heartbeat_worker("h:12", clock_.now(), minutes{5}));

  EXPECT_EQ(error.category, ErrorCategory::not_found);
  EXPECT_NE(error.message.find("h:12"), std::string::npos) << error.message;
  EXPECT_EQ(outbox_leases(pending()).at(held[0].seq), held[0].lease_until);
  EXPECT_TRUE(store().list_workers(TimePoint{}, clock_.now()).value().empty())
      << "a heartbeat does not register";
}

TEST_P(StoreContract, AHeartbeatExtendsTheLeasesOfTheWorkerAndItsThreadsButNotOfOtherWorkers) {
  const auto t0 = clock_.now();
  ASSERT_TRUE(store().register_worker(worker_info("h:12", t0)).ok());
  ASSERT_TRUE(store().register_worker(worker_info("h:123", t0)).ok());
  for (const char* name : {"A", "B", "C", "D"}) {
    create(lead_named(name));
  }
  const auto own = claim("h:12", 1, seconds{60});
  const auto own_thread = claim("h:12:thread", 1, seconds{60});
  const auto other = claim("h:123", 1, seconds{60}); // "h:12" is a prefix of its id
  const auto other_too = claim("h:120", 1, seconds{60});
  ASSERT_EQ(own.size() + own_thread.size() + other.size() + other_too.size(), 4U);
  for (const char* name : {"e1", "e2", "e3"}) {
    ASSERT_TRUE(store().add_webhook_event(webhook_event(name, t0)).ok());
  }
  const auto own_events = store().claim_webhook_events("h:12", 1, t0, seconds{60}).value();
  const auto thread_events = store().claim_webhook_events("h:12:web", 1, t0, seconds{60}).value();
  const auto other_events = store().claim_webhook_events("h:123", 1, t0, seconds{60}).value();
  ASSERT_EQ(own_events.size() + thread_events.size() + other_events.size(), 3U);
  clock_.advance(seconds{50});

  const auto beat = store().heartbeat_worker("h:12", clock_.now(), minutes{2}).value();

  EXPECT_EQ(beat.outbox_extended, 2);
  EXPECT_EQ(beat.webhook_events_extended, 2);
  const auto extended = clock_.now() + minutes{2};
  const auto entries = outbox_leases(pending());
  EXPECT_EQ(entries.at(own[0].seq), extended);
  EXPECT_EQ(entries.at(own_thread[0].seq), extended);
  EXPECT_EQ(entries.at(other[0].seq), t0 + seconds{60});
  EXPECT_EQ(entries.at(other_too[0].seq), t0 + seconds{60});
  const auto events = webhook_leases(store().list_webhook_events(100).value());
  EXPECT_EQ(events.at(own_events[0].seq), extended);
  EXPECT_EQ(events.at(thread_events[0].seq), extended);
  EXPECT_EQ(events.at(other_events[0].seq), t0 + seconds{60});
  EXPECT_EQ(store().list_workers(clock_.now(), clock_.now()).value().at(0).id, "h:12")
      << "the heartbeat time is recorded";

  // Past the first leases' end only the other workers' work can be taken.
  clock_.advance(seconds{11});
  EXPECT_EQ(seqs_of(claim("h:9")), (std::vector{other[0].seq, other_too[0].seq}));
  EXPECT_EQ(event_seqs(store().claim_webhook_events("h:9", 10, clock_.now(), seconds{60}).value()),
            std::vector{other_events[0].seq});
}

TEST_P(StoreContract, AHeartbeatAlsoKeepsALeaseThatRanOutWhileNobodyTookIt) {
  ASSERT_TRUE(store().register_worker(worker_info("h:12", clock_.now())).ok());
  create(lead_named("Slow"));
  const auto held = claim("h:12:0", 1, seconds{10});
  ASSERT_EQ(held.size(), 1U);
  ASSERT_TRUE(store().add_webhook_event(webhook_event("slow", clock_.now())).ok());
  const auto events = store().claim_webhook_events("h:12:0", 1, clock_.now(), seconds{10}).value();
  ASSERT_EQ(events.size(), 1U);
  clock_.advance(seconds{30}); // expired, but still the worker's: nobody claimed it since

  const auto beat = store().heartbeat_worker("h:12", clock_.now(), minutes{1}).value();

  EXPECT_EQ(beat.outbox_extended, 1);
  EXPECT_EQ(beat.webhook_events_extended, 1);
  EXPECT_TRUE(claim("h:9").empty());
  EXPECT_TRUE(store().claim_webhook_events("h:9", 10, clock_.now(), minutes{1}).value().empty());
  EXPECT_EQ(outbox_leases(pending()).at(held[0].seq), clock_.now() + minutes{1});
}

TEST_P(StoreContract, ListedWorkersCountTheWorkTheyHoldUnderUnexpiredLeases) {
  const auto t0 = clock_.now();
  ASSERT_TRUE(store().register_worker(worker_info("h:12", t0)).ok());
  ASSERT_TRUE(store().register_worker(worker_info("h:123", t0)).ok());
  for (const char* name : {"A", "B", "C", "D"}) {
    create(lead_named(name));
  }
  ASSERT_EQ(claim("h:12", 1, seconds{30}).size(), 1U);
  ASSERT_EQ(claim("h:12:1", 1, seconds{90}).size(), 1U);
  ASSERT_EQ(claim("h:123", 1, seconds{90}).size(), 1U); // the fourth entry stays free
  for (const char* name : {"e1", "e2", "e3", "e4"}) {
    ASSERT_TRUE(store().add_webhook_event(webhook_event(name, t0)).ok());
  }
  ASSERT_EQ(store().claim_webhook_events("h:12:web", 1, t0, seconds{30}).value().size(), 1U);
  const auto others = store().claim_webhook_events("h:123", 2, t0, seconds{90}).value();
  ASSERT_EQ(others.size(), 2U);

  const auto counted = [&] {
    std::map<std::string, std::pair<std::int64_t, std::int64_t>> held;
    const auto workers = store().list_workers(TimePoint{}, clock_.now()).value();
    for (const auto& worker : workers) {
      held[worker.id] = {worker.outbox_held, worker.webhook_events_held};
    }
    return held;
  };
  using Held = std::map<std::string, std::pair<std::int64_t, std::int64_t>>;
  EXPECT_EQ(counted(), (Held{{"h:12", {2, 1}}, {"h:123", {1, 2}}}));

  clock_.advance(seconds{31});
  EXPECT_EQ(counted(), (Held{{"h:12", {1, 0}}, {"h:123", {1, 2}}}))
      << "expired leases are not counted";

  ASSERT_TRUE(store().complete_webhook_events({others[0].seq}, "h:123", clock_.now()).ok());
  EXPECT_EQ(counted(), (Held{{"h:12", {1, 0}}, {"h:123", {1, 1}}}))
      << "finished events are not held";
}

TEST_P(StoreContract, ReapingRemovesDeadWorkersAndGivesTheirWorkToOthersAtOnce) {
  const auto t0 = clock_.now();
  ASSERT_TRUE(store().register_worker(worker_info("h:12", t0)).ok());
  ASSERT_TRUE(store().register_worker(worker_info("h:123", t0)).ok());
  for (const char* name : {"A", "B", "C"}) {
    create(lead_named(name));
  }
  const auto dead_thread = claim("h:12:0", 1, minutes{10});
  const auto dead = claim("h:12", 1, minutes{10});
  const auto alive = claim("h:123", 1, minutes{10});
  ASSERT_EQ(dead_thread.size() + dead.size() + alive.size(), 3U);
  for (const char* name : {"e1", "e2"}) {
    ASSERT_TRUE(store().add_webhook_event(webhook_event(name, t0)).ok());
  }
  const auto dead_events = store().claim_webhook_events("h:12", 1, t0, minutes{10}).value();
  const auto alive_events = store().claim_webhook_events("h:123:0", 1, t0, minutes{10}).value();
  ASSERT_EQ(dead_events.size() + alive_events.size(), 2U);
  clock_.advance(minutes{2});
  ASSERT_TRUE(store().heartbeat_worker("h:123", clock_.now(), minutes{10}).ok());

  const auto reaped = store().reap_dead_workers(t0 + minutes{1}).value();

  EXPECT_EQ(reaped.workers, std::vector<std::string>{"h:12"});
  EXPECT_EQ(reaped.outbox_freed, 2);
  EXPECT_EQ(reaped.webhook_events_freed, 1);
  EXPECT_EQ(worker_ids(store().list_workers(TimePoint{}, clock_.now()).value()),
            std::vector<std::string>{"h:123"});
  // Long before those leases would have run out, another worker takes the dead one's work.
  const auto retaken = claim("h:7");
  EXPECT_EQ(seqs_of(retaken), (std::vector{dead_thread[0].seq, dead[0].seq}));
  for (const auto& entry : retaken) {
    EXPECT_EQ(entry.attempts, 0) << "reaping counts no attempt";
  }
  const auto retaken_events =
      store().claim_webhook_events("h:7", 10, clock_.now(), minutes{1}).value();
  EXPECT_EQ(event_seqs(retaken_events), event_seqs(dead_events));
  ASSERT_EQ(retaken_events.size(), 1U);
  EXPECT_EQ(retaken_events[0].attempts, 0);
  EXPECT_EQ(store().outbox_lease_holders().value(),
            (std::map<std::string, std::int64_t>{{"h:123", 1}, {"h:7", 2}}))
      << "the live worker keeps its work";
  EXPECT_EQ(error_of(store().heartbeat_worker("h:12", clock_.now(), minutes{1})).category,
            ErrorCategory::not_found)
      << "a reaped worker must register again";

  const auto again = store().reap_dead_workers(t0 + minutes{1}).value();
  EXPECT_TRUE(again.workers.empty());
  EXPECT_EQ(again.outbox_freed, 0);
  EXPECT_EQ(again.webhook_events_freed, 0);
}

TEST_P(StoreContract, ReapingLeavesAWorkerWhoseHeartbeatIsAtTheLimit) {
  const auto t0 = clock_.now();
  ASSERT_TRUE(store().register_worker(worker_info("h:1", t0)).ok());
  ASSERT_TRUE(store().register_worker(worker_info("h:2", t0 + milliseconds{1})).ok());

  EXPECT_TRUE(store().reap_dead_workers(t0).value().workers.empty());
  EXPECT_EQ(store().reap_dead_workers(t0 + milliseconds{1}).value().workers,
            std::vector<std::string>{"h:1"});
  EXPECT_EQ(worker_ids(store().list_workers(TimePoint{}, clock_.now()).value()),
            std::vector<std::string>{"h:2"});
}

TEST_P(StoreContract, AWorkerNeedsAnIdAndAHeartbeatAPositiveLease) {
  auto nameless = worker_info("h:1", clock_.now());
  nameless.id.clear();
  EXPECT_EQ(error_of(store().register_worker(nameless)).category, ErrorCategory::invalid_argument);
  ASSERT_TRUE(store().register_worker(worker_info("h:1", clock_.now())).ok());
  EXPECT_EQ(error_of(store().heartbeat_worker("h:1", clock_.now(), milliseconds{0})).category,
            ErrorCategory::invalid_argument);
  EXPECT_EQ(worker_ids(store().list_workers(TimePoint{}, clock_.now()).value()),
            std::vector<std::string>{"h:1"});
}

// ---- singleton leases
// ---------------------------------------------------------------------------------------------

TEST_P(StoreContract, AFreeLeaseIsTakenAndHeldAgainstOthersUntilItExpires) {
  const auto t0 = clock_.now();

  EXPECT_TRUE(store().try_lease("pull", "h:1", t0, minutes{1}).value());
  EXPECT_FALSE(store().try_lease("pull", "h:2", t0, minutes{1}).value());
  EXPECT_TRUE(store().try_lease("prune", "h:2", t0, minutes{1}).value())
      << "leases of other names are independent";
  EXPECT_FALSE(store().try_lease("pull", "h:2", t0 + minutes{1}, minutes{1}).value())
      << "the lease is valid up to and including its end";
  EXPECT_TRUE(
      store().try_lease("pull", "h:2", t0 + minutes{1} + milliseconds{1}, minutes{1}).value())
      << "an expired lease is taken over";
  EXPECT_FALSE(
      store().try_lease("pull", "h:1", t0 + minutes{1} + milliseconds{2}, minutes{1}).value())
      << "the former owner lost it";
}

TEST_P(StoreContract, TheOwnerOfALeaseRenewsIt) {
  const auto t0 = clock_.now();
  ASSERT_TRUE(store().try_lease("pull", "h:1", t0, minutes{1}).value());

  EXPECT_TRUE(store().try_lease("pull", "h:1", t0 + seconds{30}, minutes{1}).value());

  EXPECT_FALSE(store().try_lease("pull", "h:2", t0 + seconds{61}, minutes{1}).value())
      << "renewed until t0 + 90 s";
  EXPECT_FALSE(store().try_lease("pull", "h:2", t0 + seconds{90}, minutes{1}).value());
  EXPECT_TRUE(
      store().try_lease("pull", "h:2", t0 + seconds{90} + milliseconds{1}, minutes{1}).value());
}

TEST_P(StoreContract, ALeaseIsReleasedOnlyByItsOwner) {
  const auto t0 = clock_.now();
  ASSERT_TRUE(store().try_lease("pull", "h:1", t0, minutes{1}).value());

  EXPECT_TRUE(store().release_lease("pull", "h:2").ok()) << "not the owner: no error, no effect";
  EXPECT_FALSE(store().try_lease("pull", "h:2", t0, minutes{1}).value());

  EXPECT_TRUE(store().release_lease("pull", "h:1").ok());
  EXPECT_TRUE(store().try_lease("pull", "h:2", t0, minutes{1}).value()) << "free at once";
  EXPECT_TRUE(store().release_lease("never-taken", "h:1").ok());
}

TEST_P(StoreContract, ALeaseNeedsANameAnOwnerAndAPositiveDuration) {
  const auto now = clock_.now();
  EXPECT_EQ(error_of(store().try_lease("", "h:1", now, minutes{1})).category,
            ErrorCategory::invalid_argument);
  EXPECT_EQ(error_of(store().try_lease("pull", "", now, minutes{1})).category,
            ErrorCategory::invalid_argument);
  EXPECT_EQ(error_of(store().try_lease("pull", "h:1", now, milliseconds{0})).category,
            ErrorCategory::invalid_argument);
  EXPECT_TRUE(store().try_lease("pull", "h:2", now, minutes{1}).value()) << "nothing was taken";
}

TEST_P(StoreContract, OfWorkersOnTwoHandlesRacingForALeaseExactlyOneGetsIt) {
  auto another = open_another();
  if (!another) {
    GTEST_SKIP() << "this store has no second handle";
  }
  std::array<Store*, 2> handles{&store(), another.get()};
  const auto now = clock_.now();
  std::atomic<int> taken{0};
  std::atomic<int> failed{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back([&, i] {
      const auto got = handles[static_cast<std::size_t>(i % 2)]->try_lease(
          "pull", "h:" + std::to_string(100 + i), now, minutes{1});
      if (!got.ok()) {
        ++failed;
      } else if (*got) {
        ++taken;
      }
    });
  }
  for (auto& thread : threads) {
    thread.join();
  }

  EXPECT_EQ(failed.load(), 0);
  EXPECT_EQ(taken.load(), 1);
}

TEST_P(StoreContract, WorkersAndLeasesOfOneHandleAreSeenThroughAnother) {
  auto another = open_another();
  if (!another) {
    GTEST_SKIP() << "this store has no second handle";
  }
  ASSERT_TRUE(another->register_worker(worker_info("h:2", clock_.now())).ok());
  ASSERT_TRUE(another->try_lease("pull", "h:2", clock_.now(), minutes{1}).value());

  EXPECT_EQ(worker_ids(store().list_workers(TimePoint{}, clock_.now()).value()),
            std::vector<std::string>{"h:2"});
  EXPECT_FALSE(store().try_lease("pull", "h:1", clock_.now(), minutes{1}).value());
  EXPECT_TRUE(store().heartbeat_worker("h:2", clock_.now(), minutes{1}).ok());
}

// ---- the work waiter
// ---------------------------------------------------------------------------------------------
// A store may have no waiter (nullptr: SQLite); these tests then check only that asking is no
// error. The waits are real (a LISTEN connection) but short, or end as soon as the signal comes.

TEST_P(StoreContract, AWorkWaiterWakesWhenAnotherProcessAddsAWebhookEvent) {
  auto opened = store().open_work_waiter();
  ASSERT_TRUE(opened.ok()) << opened.error().describe();
  auto another = open_another();
  if (*opened == nullptr || !another) {
    GTEST_SKIP() << "this store has no work waiter or no second handle";
  }
  auto& waiter = **opened;

  ASSERT_TRUE(another->add_webhook_event(webhook_event("e1", clock_.now())).value().added);

  const auto woke = waiter.wait(seconds{10});
  ASSERT_TRUE(woke.ok()) << woke.error().describe();
  EXPECT_TRUE(*woke) << "a signal that came before the wait counts";
}

TEST_P(StoreContract, AWorkWaiterWakesWhenAnotherProcessAddsAnOutboxEntry) {
  auto opened = store().open_work_waiter();
  ASSERT_TRUE(opened.ok()) << opened.error().describe();
  auto another = open_another();
  if (*opened == nullptr || !another) {
    GTEST_SKIP() << "this store has no work waiter or no second handle";
  }
  auto& waiter = **opened;

  ASSERT_TRUE(another->create_lead(lead_named("Ada")).ok());

  const auto woke = waiter.wait(seconds{10});
  ASSERT_TRUE(woke.ok()) << woke.error().describe();
  EXPECT_TRUE(*woke);
}

TEST_P(StoreContract, AWorkWaiterTimesOutWhenNoWorkIsAdded) {
  auto opened = store().open_work_waiter();
  ASSERT_TRUE(opened.ok()) << opened.error().describe();
  if (*opened == nullptr) {
    GTEST_SKIP() << "this store has no work waiter";
  }

  const auto woke = (*opened)->wait(milliseconds{50});

  ASSERT_TRUE(woke.ok()) << woke.error().describe();
  EXPECT_FALSE(*woke);
}

TEST_P(StoreContract, WakingAWorkWaiterEndsAWaitInProgress) {
  auto opened = store().open_work_waiter();
  ASSERT_TRUE(opened.ok()) << opened.error().describe();
  if (*opened == nullptr) {
    GTEST_SKIP() << "this store has no work waiter";
  }
  auto& waiter = **opened;
  const auto started = std::chrono::steady_clock::now();
  auto waiting = std::async(std::launch::async, [&] { return waiter.wait(minutes{1}); });

  // The wait may not have begun when wake() is first called: wake until it returns.
  while (waiting.wait_for(milliseconds{10}) != std::future_status::ready &&
         std::chrono::steady_clock::now() - started < seconds{20}) {
    waiter.wake();
  }

  ASSERT_EQ(waiting.wait_for(seconds{0}), std::future_status::ready) << "wake() did not end it";
  const auto woke = waiting.get();
  ASSERT_TRUE(woke.ok()) << woke.error().describe();
  EXPECT_FALSE(*woke) << "a wake-up is not a signal of work";
}

} // namespace leadsync::store::testing::workers_contract
