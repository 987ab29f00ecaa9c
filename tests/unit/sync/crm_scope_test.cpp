// The job's call scope through sync::DataverseCrm: a push cancelled while the retry policy waits
// out a Retry-After of 300 s returns within milliseconds (real sleeper, real steady clock), and
// every Crm call carries the scope's cancellation and figures.

#include "leadsync/core/random.hpp"
#include "leadsync/dataverse/client.hpp"
#include "leadsync/http/policies.hpp"
#include "leadsync/sync/dataverse_crm.hpp"
#include "leadsync/sync/keyed_write.hpp"
#include "push_fixture.hpp"
#include "support/recording_transport.hpp"

#include <chrono>
#include <functional>
#include <gtest/gtest.h>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace leadsync::sync::testing {
namespace {

using namespace std::chrono_literals;

constexpr const char* crm_lead_id = "6f1f2b3c-1d2e-4f50-8a6b-7c8d9e0f1a2b";

// A DataverseClient over the production retry and throttle policies with the real clock and the
// real sleeper, ending in a scripted transport.
class CrmScopeTest : public PushFixture {
protected:
  CrmScopeTest() {
    auto retry = std::make_shared<http::RetryPolicy>(http::RetryOptions{}, SystemClock::instance(),
                                                     RealSleeper::instance(), random_);
    std::vector<std::shared_ptr<http::Policy>> policies{
        retry, std::make_shared<http::ThrottlePolicy>(limiter_)};
    dataverse::ClientOptions options;
    options.url = "https://contoso.crm.dynamics.com";
    client_ = std::make_shared<dataverse::DataverseClient>(
        options, std::make_shared<http::Pipeline>(std::move(policies), transport_), limiter_,
        random_);
    scope_.cancel = shutdown_.token();
    scope_.stats = stats_;
  }

  SeededRandom random_{15};
  std::shared_ptr<test::RecordingTransport> transport_ =
      std::make_shared<test::RecordingTransport>();
  std::shared_ptr<http::ConcurrencyLimiter> limiter_ =
      std::make_shared<http::ConcurrencyLimiter>(4);
  std::shared_ptr<dataverse::DataverseClient> client_;
  CancellationSource shutdown_;
  std::shared_ptr<http::CallStats> stats_ = std::make_shared<http::CallStats>();
  http::CallScope scope_;
};

TEST_F(CrmScopeTest, APushCancelledDuringARetryAfterWaitReturnsWithinMilliseconds) {
  create("Hopper");
  transport_->then_respond(429, {{"Retry-After", "300"}});
  DataverseCrm crm(client_, scope_);
  Pusher pusher(*store_, crm, mapping_, crm, clock_, PushSettings{});

  std::thread canceller([this] {
    std::this_thread::sleep_for(50ms); // the push is waiting out the 300 s by now
    shutdown_.cancel();
  });
  const auto started = std::chrono::steady_clock::now();
  const auto report = pusher.run(shutdown_.token());
  const auto elapsed = std::chrono::steady_clock::now() - started;
  canceller.join();

  EXPECT_LT(elapsed, 1s);
  ASSERT_FALSE(report.ok()) << "a cancelled push reports the cancellation";
  EXPECT_EQ(report.error().category, ErrorCategory::cancelled);
  EXPECT_EQ(transport_->call_count(), 1U) << "the 429 was had: the wait is what was cancelled";
  EXPECT_EQ(stats_->snapshot().throttled, 1);
  EXPECT_EQ(stats_->snapshot().retries, 0);
  const auto stats = store_->stats().value();
  EXPECT_EQ(stats.outbox_pending, 1) << "the change is given back for the next push";
  EXPECT_EQ(stats.dead_letters, 0);
}

TEST_F(CrmScopeTest, EveryCrmCallCarriesTheScopeOfTheJob) {
  // Nothing is scripted: each call's first request fails (internal, not retried) and returns.
  DataverseCrm crm(client_, scope_);
  const std::string row = "leads(leadsync_externalid='a')";
  const std::vector<std::pair<std::string, std::function<void()>>> calls = {
      {"upsert_multiple",
       [&] {
         (void)crm.upsert_multiple({Json{{"@odata.id", row}}});
       }},
      {"upsert_batch",
       [&] { (void)crm.upsert_batch({KeyedWrite{.row_url = row, .body = Json::object()}}); }},
      {"upsert", [&] { (void)crm.upsert(KeyedWrite{.row_url = row, .body = Json::object()}); }},
      {"remove", [&] { (void)crm.remove(row); }},
      {"rows_by_key", [&] { (void)crm.rows_by_key("leadsync_externalid", {"a"}); }},
      {"qualify", [&] { (void)crm.qualify(crm_lead_id, {}); }},
      {"disqualify", [&] { (void)crm.disqualify(crm_lead_id, 4); }},
      {"reactivate", [&] { (void)crm.reactivate(crm_lead_id); }},
      {"upsert_predictive_score", [&] { (void)crm.upsert_predictive_score(crm_lead_id, {}); }},
      {"merge", [&] { (void)crm.merge(crm_lead_id, "11111111-2222-4333-8444-555555555555"); }},
      {"merge_state", [&] { (void)crm.merge_state(crm_lead_id); }},
      {"track_changes", [&] { (void)crm.track_changes({"leadid"}, {}); }},
      {"resolve", [&] { (void)crm.resolve("campaigns", "name", "Spring Expo"); }},
      {"name_of", [&] { (void)crm.name_of("campaigns", "name", crm_lead_id); }},
  };

  for (const auto& [name, call] : calls) {
    const auto before = transport_->call_count();
    call();
    ASSERT_EQ(transport_->call_count(), before + 1) << name << " sent no request";
    EXPECT_EQ(transport_->call(before).context.stats, stats_) << name;
  }
  shutdown_.cancel();
  for (const auto& sent : transport_->calls()) {
    EXPECT_TRUE(sent.context.cancel.cancelled()) << sent.request.url;
  }
}

TEST_F(CrmScopeTest, ANewScopeSetBetweenJobsIsTheOneLaterCallsCarry) {
  DataverseCrm crm(client_);
  (void)crm.remove("leads(leadsync_externalid='a')");
  crm.set_scope(scope_);
  (void)crm.remove("leads(leadsync_externalid='b')");

  ASSERT_EQ(transport_->call_count(), 2U);
  EXPECT_EQ(transport_->call(0).context.stats, nullptr);
  EXPECT_EQ(transport_->call(1).context.stats, stats_);
  EXPECT_EQ(crm.scope().stats, stats_);
}

} // namespace
} // namespace leadsync::sync::testing
