// Runs the webhook event suite (webhook_events_contract.hpp) against the PostgreSQL store, each
// test on a fresh schema of the shared throwaway server (tests/support/postgres_server.hpp), and
// tests the PostgreSQL work waiter (LISTEN/NOTIFY, Store::open_work_waiter).

#include "leadsync/store/postgres_store.hpp"
#include "support/postgres_server.hpp"
#include "support/store/webhook_events_contract.hpp"

#include <chrono>
#include <future>

namespace leadsync::store::webhook_testing {
namespace {

using leadsync::testing::PostgresServer;
using Steady = std::chrono::steady_clock;

std::string postgres_unavailable() {
  return PostgresServer::shared() == nullptr ? PostgresServer::why_not() : std::string();
}

std::unique_ptr<Store> open_postgres(const std::string& url, Clock& clock, Random& random) {
  auto store = open_postgres_store(PostgresOptions{.url = url, .pool_size = 4}, clock, random);
  if (!store.ok()) {
    ADD_FAILURE() << store.error().describe();
    return nullptr;
  }
  return std::move(store).value();
}

WebhookStoreFlavour postgres() {
  return {"Postgres",
          [](WebhookStoreEnvironment& env) -> std::unique_ptr<Store> {
            auto* server = PostgresServer::shared();
            if (server == nullptr) {
              return nullptr;
            }
            if (env.location.empty()) {
              env.location = server->fresh_schema_url();
            }
            return open_postgres(env.location, env.clock, env.random);
          },
          postgres_unavailable};
}

INSTANTIATE_TEST_SUITE_P(Postgres, WebhookEventsTest, ::testing::Values(postgres()), flavour_name);
INSTANTIATE_TEST_SUITE_P(Postgres, WebhookEventsSharedTest, ::testing::Values(postgres()),
                         flavour_name);

// ---- the work waiter
//
// NOTIFY channels belong to a database, not a schema: these tests take a database of their own so
// that no other test's wake-ups (tests may run in parallel on the shared server) reach them.
class PostgresWorkWaiterTest : public ::testing::Test {
protected:
  void SetUp() override {
    server_ = PostgresServer::shared();
    if (server_ == nullptr) {
      GTEST_SKIP() << PostgresServer::why_not();
    }
    url_ = server_->fresh_database_url();
    database_ = url_.substr(url_.rfind('/') + 1);
    store_ = open();
    ASSERT_NE(store_, nullptr);
  }

  std::unique_ptr<Store> open() { return open_postgres(url_, clock_, random_); }

  std::unique_ptr<WorkWaiter> open_waiter() {
    auto waiter = store_->open_work_waiter();
    if (!waiter.ok()) {
      ADD_FAILURE() << waiter.error().describe();
      return nullptr;
    }
    EXPECT_NE(waiter.value(), nullptr) << "PostgreSQL has a work waiter";
    return std::move(waiter).value();
  }

  WebhookEvent event(const std::string& key) {
    WebhookEvent event;
    event.dedupe_key = key;
    event.source = "dataverse";
    event.message = "Create";
    event.entity = "lead";
    event.crm_id = "3f2504e0-4f89-41d3-9a0c-0305e82c3301";
    event.received_at = clock_.now();
    return event;
  }

  // A wait on another thread; the future gives its result and when it returned.
  struct Waiting {
    std::thread thread;
    std::future<std::pair<Result<bool>, Steady::time_point>> outcome;
  };
  static Waiting wait_in_background(WorkWaiter& waiter, std::chrono::milliseconds timeout) {
    std::packaged_task<std::pair<Result<bool>, Steady::time_point>()> task([&waiter, timeout] {
      auto woke = waiter.wait(timeout);
      return std::make_pair(std::move(woke), Steady::now());
    });
    Waiting waiting;
    waiting.outcome = task.get_future();
    waiting.thread = std::thread(std::move(task));
    return waiting;
  }

  ManualClock clock_;
  SeededRandom random_{20261207};
  PostgresServer* server_ = nullptr;
  std::string url_;
  std::string database_;
  std::unique_ptr<Store> store_;
};

TEST_F(PostgresWorkWaiterTest, AnEventAddedByAnotherHandleWakesABlockedWaitWithinASecond) {
  auto waiter = open_waiter();
  ASSERT_NE(waiter, nullptr);
  auto other = open();
  ASSERT_NE(other, nullptr);
  auto waiting = wait_in_background(*waiter, std::chrono::seconds{20});

  const auto adding = Steady::now();
  ASSERT_TRUE(other->add_webhook_event(event("k1")).value().added);
  const auto added = Steady::now();
  waiting.thread.join();

  const auto [woke, returned] = waiting.outcome.get();
  ASSERT_TRUE(woke.ok()) << woke.error().describe();
  EXPECT_TRUE(woke.value()) << "the wait was signalled, it did not time out";
  EXPECT_GE(returned, adding) << "it returned before anything was added";
  EXPECT_LT(returned - added, std::chrono::seconds{1});
}

TEST_F(PostgresWorkWaiterTest, AnEventAddedBetweenWaitsCountsAtTheNextWaitOnce) {
  auto waiter = open_waiter();
  ASSERT_NE(waiter, nullptr);
  ASSERT_TRUE(store_->add_webhook_event(event("k1")).value().added);

  const auto started = Steady::now();
  EXPECT_TRUE(waiter->wait(std::chrono::seconds{20}).value());
  EXPECT_LT(Steady::now() - started, std::chrono::seconds{1});
  EXPECT_FALSE(waiter->wait(std::chrono::milliseconds{200}).value()) << "the signal was taken";
}

TEST_F(PostgresWorkWaiterTest, ADuplicateEventSendsNoWakeUp) {
  ASSERT_TRUE(store_->add_webhook_event(event("k1")).value().added);
  auto waiter = open_waiter();
  ASSERT_NE(waiter, nullptr);

  ASSERT_FALSE(store_->add_webhook_event(event("k1")).value().added);

  EXPECT_FALSE(waiter->wait(std::chrono::milliseconds{300}).value());
}

TEST_F(PostgresWorkWaiterTest, AWakeUpNamingAnotherSchemaIsIgnoredAndOneNamingNoneCounts) {
  auto waiter = open_waiter();
  ASSERT_NE(waiter, nullptr);

  server_->psql(database_, "SELECT pg_notify('leadsync_work', 'another_store')");
  EXPECT_FALSE(waiter->wait(std::chrono::milliseconds{300}).value())
      << "work of a store in another schema of the database";

  server_->psql(database_, "SELECT pg_notify('leadsync_work', 'public')");
  EXPECT_TRUE(waiter->wait(std::chrono::seconds{20}).value()) << "its own schema";
  server_->psql(database_, "SELECT pg_notify('leadsync_work', '')");
  EXPECT_TRUE(waiter->wait(std::chrono::seconds{20}).value()) << "no schema named";
}

TEST_F(PostgresWorkWaiterTest, AWaitTimesOutFalseWhenNothingHappens) {
  auto waiter = open_waiter();
  ASSERT_NE(waiter, nullptr);

  const auto started = Steady::now();
  const auto woke = waiter->wait(std::chrono::milliseconds{300});

  ASSERT_TRUE(woke.ok()) << woke.error().describe();
  EXPECT_FALSE(woke.value());
  EXPECT_GE(Steady::now() - started, std::chrono::milliseconds{300});
  EXPECT_LT(Steady::now() - started, std::chrono::seconds{5});
}

TEST_F(PostgresWorkWaiterTest, WakeFromAnotherThreadEndsABlockedWaitWithFalse) {
  auto waiter = open_waiter();
  ASSERT_NE(waiter, nullptr);
  auto waiting = wait_in_background(*waiter, std::chrono::seconds{30});

  const auto woken = Steady::now();
  waiter->wake();
  waiting.thread.join();

  const auto [woke, returned] = waiting.outcome.get();
  ASSERT_TRUE(woke.ok()) << woke.error().describe();
  EXPECT_FALSE(woke.value());
  EXPECT_LT(returned - woken, std::chrono::seconds{1});
  EXPECT_FALSE(waiter->wait(std::chrono::milliseconds{100}).value());
}

TEST_F(PostgresWorkWaiterTest, AWakeBeforeTheWaitEndsThatWaitAtOnceAndOnlyIt) {
  auto waiter = open_waiter();
  ASSERT_NE(waiter, nullptr);
  waiter->wake();

  const auto started = Steady::now();
  EXPECT_FALSE(waiter->wait(std::chrono::seconds{30}).value());
  EXPECT_LT(Steady::now() - started, std::chrono::seconds{1});

  ASSERT_TRUE(store_->add_webhook_event(event("k1")).value().added);
  EXPECT_TRUE(waiter->wait(std::chrono::seconds{20}).value()) << "the wake was used up";
}

TEST_F(PostgresWorkWaiterTest, AfterItsConnectionIsLostAWaitReconnectsSaysTrueAndHearsLaterEvents) {
  auto waiter = open_waiter();
  ASSERT_NE(waiter, nullptr);
  // The waiter's backend is the one whose last statement was its LISTEN.
  ASSERT_EQ(server_->psql(database_, "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                                     "WHERE datname = current_database() "
                                     "AND pid <> pg_backend_pid() AND query LIKE 'LISTEN%'"),
            "t");

  const auto lost = waiter->wait(std::chrono::seconds{20});
  ASSERT_TRUE(lost.ok()) << lost.error().describe();
  EXPECT_TRUE(lost.value()) << "wake-ups may have been missed: the caller must poll";

  auto other = open();
  ASSERT_NE(other, nullptr);
  ASSERT_TRUE(other->add_webhook_event(event("k1")).value().added);
  const auto started = Steady::now();
  EXPECT_TRUE(waiter->wait(std::chrono::seconds{20}).value()) << "it listens again";
  EXPECT_LT(Steady::now() - started, std::chrono::seconds{1});
}

} // namespace
} // namespace leadsync::store::webhook_testing
