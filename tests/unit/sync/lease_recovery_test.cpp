#include "leadsync/core/clock.hpp"
#include "leadsync/core/process.hpp"
#include "leadsync/store/open.hpp"
#include "leadsync/sync/lease_recovery.hpp"

#include <algorithm>
#include <gtest/gtest.h>
#include <set>
#include <sys/wait.h>
#include <unistd.h>

namespace leadsync::sync {
namespace {

class LeaseRecoveryTest : public ::testing::Test {
protected:
  void SetUp() override {
    auto opened = store::open_store("sqlite::memory:", ".", clock_);
    ASSERT_TRUE(opened.ok()) << opened.error().describe();
    store_ = std::move(opened).value();
  }

  // One lead with one outbox entry, leased by `worker`.
  void lease_one_to(const std::string& worker) {
    model::Lead lead;
    lead.person.last_name = worker;
    lead.person.emails = {"lead" + std::to_string(++leads_) + "@example.com"};
    ASSERT_TRUE(store_->create_lead(lead).ok());
    const auto claimed = store_->claim_outbox({worker, 1, std::chrono::seconds{120}});
    ASSERT_TRUE(claimed.ok());
    ASSERT_EQ(claimed->size(), 1U);
  }

  std::size_t claimable() {
    return store_->claim_outbox({"probe:1:0", 100, std::chrono::seconds{1}}).value().size();
  }

  ManualClock clock_;
  std::unique_ptr<store::Store> store_;
  int leads_ = 0;
};

TEST_F(LeaseRecoveryTest, TheLeasesOfAKilledPushOnThisHostAreFreedAtOnce) {
  lease_one_to("crm-host:4242:0");
  lease_one_to("crm-host:4242:1");
  const std::set<long> running = {100};

  const auto recovery = recover_leases_of_dead_pushes(
      *store_, "crm-host", 100, [&](long pid) { return running.count(pid) == 1; });

  ASSERT_TRUE(recovery.ok()) << recovery.error().describe();
  EXPECT_EQ(recovery->freed, 2);
  EXPECT_EQ(recovery->dead_pids, std::vector<long>{4242});
  EXPECT_EQ(claimable(), 2U);
}

TEST_F(LeaseRecoveryTest, LivePushesAndOtherHostsKeepTheirLeases) {
  lease_one_to("crm-host:200:0");   // a push running now
  lease_one_to("other-host:300:0"); // pid 300 may well be alive over there
  lease_one_to("crm-host:100:0");   // this very process
  lease_one_to("hand-made-worker"); // not host:pid:n

  const auto recovery =
      recover_leases_of_dead_pushes(*store_, "crm-host", 100, [](long pid) { return pid == 200; });

  ASSERT_TRUE(recovery.ok()) << recovery.error().describe();
  EXPECT_EQ(recovery->freed, 0);
  EXPECT_TRUE(recovery->dead_pids.empty());
  EXPECT_EQ(claimable(), 0U);
}

TEST_F(LeaseRecoveryTest, AnExpiredLeaseIsLeftToTheNextClaim) {
  lease_one_to("crm-host:200:0");
  clock_.advance(std::chrono::seconds{121});

  const auto recovery =
      recover_leases_of_dead_pushes(*store_, "crm-host", 100, [](long) { return false; });

  ASSERT_TRUE(recovery.ok());
  EXPECT_EQ(recovery->freed, 0);
  EXPECT_TRUE(recovery->dead_pids.empty());
  EXPECT_EQ(claimable(), 1U);
}

TEST_F(LeaseRecoveryTest, ThisProcessIsAliveAndAChildThatExitedIsNot) {
  EXPECT_TRUE(process_alive(::getpid()));
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    ::_exit(0);
  }
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  EXPECT_FALSE(process_alive(child));
}

// begin_run stamps the runs with this test process ("<host>:<pid>"); the checks below stand in a
// liveness answer and an own pid that make this process look gone, alive, or the caller itself.
class AbandonedRunsTest : public LeaseRecoveryTest {
protected:
  static std::string this_host() { return host_name(); }

  std::string status_of(std::int64_t run_id) {
    const auto runs = store_->list_runs(50).value();
    for (const auto& run : runs) {
      if (run.id == run_id) {
        return run.status;
      }
    }
    return "missing";
  }

  const long test_pid_ = ::getpid();
  const long other_pid_ = test_pid_ + 1;
};

TEST_F(AbandonedRunsTest, RunsOfAProcessOfThisHostThatIsGoneBecomeInterrupted) {
  const auto abandoned = store_->begin_run("push").value();
  auto finished = store_->begin_run("import").value();
  finished.status = "ok";
  ASSERT_TRUE(store_->finish_run(finished).ok());
  clock_.advance(std::chrono::minutes{5});

  const auto closed = interrupt_runs_of_dead_processes(*store_, this_host(), other_pid_,
                                                       clock_.now(), [](long) { return false; });

  ASSERT_TRUE(closed.ok()) << closed.error().describe();
  EXPECT_EQ(*closed, 1);
  const auto runs = store_->list_runs(10).value();
  const auto run =
      std::find_if(runs.begin(), runs.end(), [&](const auto& r) { return r.id == abandoned.id; });
  ASSERT_NE(run, runs.end());
  EXPECT_EQ(run->status, "interrupted");
  EXPECT_EQ(run->finished_at, clock_.now());
  EXPECT_NE(run->message.find("process " + std::to_string(test_pid_) + " stopped"),
            std::string::npos)
      << run->message;
  EXPECT_EQ(status_of(finished.id), "ok");
}

TEST_F(AbandonedRunsTest, RunsOfALiveProcessAnotherHostOrTheCallerStayRunning) {
  const auto running = store_->begin_run("push").value();

  const auto alive = interrupt_runs_of_dead_processes(*store_, this_host(), other_pid_,
                                                      clock_.now(), [](long) { return true; });
  const auto elsewhere = interrupt_runs_of_dead_processes(
      *store_, this_host() + "-other", other_pid_, clock_.now(), [](long) { return false; });
  const auto own = interrupt_runs_of_dead_processes(*store_, this_host(), test_pid_, clock_.now(),
                                                    [](long) { return false; });

  EXPECT_EQ(alive.value(), 0);
  EXPECT_EQ(elsewhere.value(), 0);
  EXPECT_EQ(own.value(), 0);
  EXPECT_EQ(status_of(running.id), "running");
}

TEST_F(LeaseRecoveryTest, WebhookEventsHeldByADeadDaemonOnThisHostAreGivenBackAtOnce) {
  const auto add = [&](const std::string& key) {
    store::WebhookEvent event;
    event.dedupe_key = key;
    event.source = "dataverse";
    event.message = "Create";
    event.entity = "lead";
    event.crm_id = "00000000-0000-0000-0000-00000000000" + key.substr(key.size() - 1);
    event.received_at = clock_.now();
    ASSERT_TRUE(store_->add_webhook_event(event).ok());
  };
  add("event-1");
  add("event-2");
  add("event-3");
  // A dead daemon of this host, a live one, and one on another host each hold one event.
  for (const char* worker :
       {"crm-host:4242:webhook", "crm-host:200:webhook", "other-host:300:webhook"}) {
    const auto claimed =
        store_->claim_webhook_events(worker, 1, clock_.now(), std::chrono::minutes(10));
    ASSERT_TRUE(claimed.ok() && claimed->size() == 1U);
  }
  const std::set<long> running = {100, 200};

  const auto freed = recover_webhook_events_of_dead_processes(
      *store_, "crm-host", 100, clock_.now(), [&](long pid) { return running.count(pid) == 1; });

  ASSERT_TRUE(freed.ok()) << freed.error().describe();
  EXPECT_EQ(*freed, 1);
  const auto again = store_->claim_webhook_events("crm-host:100:webhook", 10, clock_.now(),
                                                  std::chrono::minutes(1));
  ASSERT_TRUE(again.ok());
  ASSERT_EQ(again->size(), 1U) << "only the dead daemon's event is free again";
  EXPECT_EQ(again->front().dedupe_key, "event-1");
  EXPECT_EQ(again->front().attempts, 1);
}

} // namespace
} // namespace leadsync::sync
