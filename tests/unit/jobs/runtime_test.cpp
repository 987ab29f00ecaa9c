// The Runtime: start-up recovery (abandoned runs, dead leases) and the things it makes on first
// need, once, for callers on several threads.

#include "job_fixture.hpp"
#include "leadsync/core/process.hpp"
#include "leadsync/jobs/runtime.hpp"

#include <atomic>
#include <gtest/gtest.h>
#include <thread>
#include <unistd.h>

namespace leadsync::jobs {
namespace {

using testing::JobTest;

// The store names a run's owner after the real process (begin_run). So the tests pretend to be
// another process (own_pid) on this host, to which the real one looks gone (or alive, or not
// seen at all from another host).
const long real_pid = static_cast<long>(::getpid());
constexpr long own_pid = 777;
constexpr long gone_pusher = 4242; // a push the lease tests pretend was killed

class RuntimeTest : public JobTest {
protected:
  RuntimeOptions as_process(std::string host, sync::ProcessAlive alive) {
    return {.clock = nullptr,
            .connect = {},
            .enrich = {},
            .recover = true,
            .host = std::move(host),
            .pid = own_pid,
            .alive = std::move(alive)};
  }
  RuntimeOptions recovering() {
    return as_process(host_name(), [](long pid) { return pid != real_pid && pid != gone_pusher; });
  }

  // Leads with a pending outbox entry each.
  void add_pending_leads(int count) {
    for (int i = 0; i < count; ++i) {
      model::Lead lead;
      lead.person.last_name = "Lead" + std::to_string(i);
      lead.person.emails.push_back(testing::email_of(i));
      ASSERT_TRUE(
          store_->create_lead(lead, {.enqueue = true, .operation = store::OutboxOperation::upsert})
              .ok());
    }
  }
};

TEST_F(RuntimeTest, ARunLeftRunningByAProcessThatIsGoneIsFinishedInterrupted) {
  const auto abandoned = store_->begin_run("push").value();
  auto finished = store_->begin_run("pull").value();
  finished.status = "ok";
  ASSERT_TRUE(store_->finish_run(finished).ok());

  const auto& recovered = runtime(recovering()).recovery();

  EXPECT_EQ(recovered.runs_interrupted, 1);
  EXPECT_TRUE(recovered.warnings.empty());
  const auto all = runs();
  ASSERT_EQ(all.size(), 2U);
  EXPECT_EQ(all[1].id, abandoned.id);
  EXPECT_EQ(all[1].status, "interrupted");
  EXPECT_NE(all[1].message.find("process " + std::to_string(real_pid) +
                                " stopped before the run finished"),
            std::string::npos)
      << all[1].message;
  EXPECT_EQ(all[0].status, "ok"); // finished runs are left as they are
}

TEST_F(RuntimeTest, ARunOfAProcessThatLivesOrRunsOnAnotherHostIsLeftRunning) {
  (void)store_->begin_run("push").value();

  EXPECT_EQ(runtime(as_process(host_name(), [](long) { return true; })).recovery().runs_interrupted,
            0);
  EXPECT_EQ(
      runtime(as_process("another-host", [](long) { return false; })).recovery().runs_interrupted,
      0);
  EXPECT_EQ(runs().at(0).status, "running");
}

TEST_F(RuntimeTest, LeasesOfAPushThatIsGoneAreFreedAndReportedOnce) {
  add_pending_leads(3);
  const auto claimed = store_
                           ->claim_outbox({.worker = process_name(host_name(), gone_pusher) + ":1",
                                           .max_entries = 10,
                                           .lease = std::chrono::seconds{120}})
                           .value();
  ASSERT_EQ(claimed.size(), 3U);

  auto& started = runtime(recovering());

  EXPECT_EQ(started.recovery().leases.freed, 3);
  EXPECT_TRUE(store_->outbox_lease_holders().value().empty());
  const auto first = started.take_unreported_leases();
  EXPECT_EQ(first.freed, 3);
  EXPECT_EQ(first.dead_pids, std::vector<long>{gone_pusher});
  const auto second = started.take_unreported_leases();
  EXPECT_EQ(second.freed, 0);
  EXPECT_TRUE(second.dead_pids.empty());
}

TEST_F(RuntimeTest, WithoutRecoveryNothingIsTouched) {
  const auto abandoned = store_->begin_run("push").value();
  auto options = recovering();
  options.recover = false;

  EXPECT_EQ(runtime(options).recovery().runs_interrupted, 0);
  EXPECT_EQ(runs().at(0).id, abandoned.id);
  EXPECT_EQ(runs().at(0).status, "running");
}

TEST_F(RuntimeTest, TheCrmLinkIsMadeOnceForCallersOnSeveralThreads) {
  std::atomic<int> connects{0};
  auto options = recovering();
  options.recover = false;
  options.connect = [&connects](const config::Config&) -> Result<dataverse::Connection> {
    ++connects;
    return dataverse::Connection{};
  };
  auto& shared = runtime(options);
  EXPECT_EQ(connects.load(), 0); // nothing is connected until a job needs it

  std::vector<CrmLink*> seen(4, nullptr);
  std::vector<std::thread> threads;
  for (std::size_t i = 0; i < seen.size(); ++i) {
    threads.emplace_back([&shared, &seen, i] { seen[i] = shared.crm().value(); });
  }
  for (auto& thread : threads) {
    thread.join();
  }

  EXPECT_EQ(connects.load(), 1);
  for (auto* link : seen) {
    EXPECT_EQ(link, seen[0]);
  }
  EXPECT_NE(seen[0]->mapping.find_field("person.last_name"), nullptr); // mappings/lead.toml
}

TEST_F(RuntimeTest, AFailedConnectionIsNotKeptSoTheNextJobTriesAgain) {
  int connects = 0;
  auto options = recovering();
  options.recover = false;
  options.connect = [&connects](const config::Config&) -> Result<dataverse::Connection> {
    if (++connects == 1) {
      return fail(ErrorCategory::config, "crm.auth.token_env LEADSYNC_TOKEN is not set");
    }
    return dataverse::Connection{};
  };
  auto& shared = runtime(options);

  const auto first = shared.crm();
  ASSERT_FALSE(first.ok());
  EXPECT_EQ(first.error().category, ErrorCategory::config);
  EXPECT_TRUE(shared.crm().ok());
  EXPECT_EQ(connects, 2);
}

TEST_F(RuntimeTest, TheRulesAreLoadedOnceAndABrokenRulesFileIsReportedEachTime) {
  auto& shared = runtime();
  const auto first = shared.rules().value();
  EXPECT_EQ(shared.rules().value(), first);

  config_.qualify.rules = dir_.write("scoring.toml", "[no_such_table]\nx = 1\n");
  auto& broken = runtime();
  EXPECT_FALSE(broken.rules().ok());
  EXPECT_FALSE(broken.rules().ok());
}

TEST_F(RuntimeTest, ARuntimeWithoutEnrichmentProvidersSaysHowToAddThem) {
  const auto handle = runtime().enricher();

  ASSERT_FALSE(handle.ok());
  EXPECT_EQ(handle.error().category, ErrorCategory::config);
  EXPECT_NE(handle.error().message.find("[[enrich.provider]]"), std::string::npos)
      << handle.error().message;
}

} // namespace
} // namespace leadsync::jobs
