// A worker's presence in the store: registered while it runs, its leases extended by each beat,
// workers that stopped beating reaped by the live ones, singleton leases held and renewed.

#include "leadsync/core/clock.hpp"
#include "leadsync/jobs/presence.hpp"
#include "leadsync/store/open.hpp"

#include <chrono>
#include <gtest/gtest.h>
#include <memory>
#include <string>
#include <vector>

namespace leadsync::jobs {
namespace {

using namespace std::chrono_literals;

class PresenceTest : public ::testing::Test {
protected:
  void SetUp() override {
    auto opened = store::open_store("sqlite::memory:", {}, clock_);
    ASSERT_TRUE(opened.ok()) << opened.error().describe();
    store_ = std::move(*opened);
  }

  PresenceSettings settings(long pid, std::string kind = "daemon") {
    PresenceSettings made;
    made.kind = std::move(kind);
    made.crm_user = "app-user-" + std::to_string(pid);
    made.host = "host-a";
    made.pid = pid;
    return made;
  }

  std::unique_ptr<WorkerPresence> start(long pid) {
    auto started = WorkerPresence::start(*store_, clock_, settings(pid), /*run_thread=*/false);
    EXPECT_TRUE(started.ok()) << started.error().describe();
    return started.ok() ? std::move(started).value() : nullptr;
  }

  std::vector<store::WorkerInfo> alive() {
    return store_->list_workers(clock_.now() - 30s, clock_.now()).value();
  }

  // A lead with one change waiting in the outbox.
  void add_change() {
    model::Lead lead;
    lead.person.first_name = "Anna";
    lead.person.last_name = "Ivanova";
    ASSERT_TRUE(store_->create_lead(lead).ok());
  }

  ManualClock clock_;
  std::unique_ptr<store::Store> store_;
};

TEST_F(PresenceTest, AStartedWorkerIsListedWithItsUserUntilItStops) {
  {
    auto presence = start(101);
    ASSERT_NE(presence, nullptr);
    EXPECT_EQ(presence->id(), "host-a:101");
    const auto workers = alive();
    ASSERT_EQ(workers.size(), 1U);
    EXPECT_EQ(workers[0].host, "host-a");
    EXPECT_EQ(workers[0].pid, 101);
    EXPECT_EQ(workers[0].kind, "daemon");
    EXPECT_EQ(workers[0].crm_user, "app-user-101");
  }
  EXPECT_TRUE(alive().empty()) << "a stopped worker unregisters";
}

TEST_F(PresenceTest, EachBeatExtendsTheLeasesTheWorkerHolds) {
  auto presence = start(101);
  ASSERT_NE(presence, nullptr);
  add_change();
  const auto claimed =
      store_->claim_outbox({.worker = "host-a:101:push-1", .max_entries = 10, .lease = 60s});
  ASSERT_TRUE(claimed.ok());
  ASSERT_EQ(claimed->size(), 1U);

  // Without beats the lease would have expired after 60 s; with one every 5 s it never does.
  for (int beat = 0; beat < 30; ++beat) {
    clock_.advance(5s);
    ASSERT_TRUE(presence->beat().ok());
  }
  const auto other =
      store_->claim_outbox({.worker = "host-b:7:push-1", .max_entries = 10, .lease = 60s});
  ASSERT_TRUE(other.ok());
  EXPECT_TRUE(other->empty()) << "a live worker's change was taken from it";
}

TEST_F(PresenceTest, AWorkerThatStoppedBeatingIsReapedAndItsWorkTakenOver) {
  auto dead = start(101);
  auto live = start(202);
  ASSERT_NE(live, nullptr);
  add_change();
  ASSERT_EQ(store_->claim_outbox({.worker = "host-a:101:push-1", .max_entries = 10, .lease = 600s})
                ->size(),
            1U);

  clock_.advance(31s); // the dead one never beats again
  ASSERT_TRUE(live->beat().ok());

  const auto workers = alive();
  ASSERT_EQ(workers.size(), 1U);
  EXPECT_EQ(workers[0].id, "host-a:202");
  const auto taken =
      store_->claim_outbox({.worker = "host-a:202:push-1", .max_entries = 10, .lease = 60s});
  ASSERT_TRUE(taken.ok());
  EXPECT_EQ(taken->size(), 1U) << "the dead worker's change was not freed";
  EXPECT_EQ(taken->front().attempts, 0) << "a rescue is not an attempt";
}

TEST_F(PresenceTest, AWorkerTakenForDeadRegistersAgainAtItsNextBeat) {
  auto slow = start(101);
  auto other = start(202);
  ASSERT_NE(other, nullptr);
  clock_.advance(40s);
  ASSERT_TRUE(other->beat().ok()); // reaps the slow one
  ASSERT_EQ(alive().size(), 1U);

  ASSERT_TRUE(slow->beat().ok());
  EXPECT_EQ(alive().size(), 2U);
}

TEST_F(PresenceTest, ASingletonLeaseIsHeldByOneWorkerRenewedByBeatsAndFreedByDrop) {
  auto first = start(101);
  auto second = start(202);
  ASSERT_NE(second, nullptr);

  EXPECT_TRUE(first->hold("job:pull").value());
  EXPECT_FALSE(second->hold("job:pull").value());

  for (int beat = 0; beat < 30; ++beat) { // 150 s, well past the 60 s lease
    clock_.advance(5s);
    ASSERT_TRUE(first->beat().ok());
    ASSERT_TRUE(second->beat().ok());
  }
  EXPECT_FALSE(second->hold("job:pull").value()) << "a renewed lease was taken over";

  first->drop("job:pull");
  EXPECT_TRUE(second->hold("job:pull").value());
}

TEST_F(PresenceTest, TheApplicationUserIsTheClientIdOnlyWithClientCredentials) {
  config::Config config;
  config.crm.auth.mode = config::AuthMode::client_credentials;
  config.crm.auth.client_id = "11111111-2222-3333-4444-555555555555";
  EXPECT_EQ(presence_settings(config, "push").crm_user, "11111111-2222-3333-4444-555555555555");
  EXPECT_EQ(presence_settings(config, "push").kind, "push");
  config.crm.auth.mode = config::AuthMode::static_token;
  EXPECT_EQ(presence_settings(config, "push").crm_user, "");
}

} // namespace
} // namespace leadsync::jobs
