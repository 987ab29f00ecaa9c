// The daemon's Prometheus metrics (daemon/metrics.hpp): families, types and labels after
// observations, histogram buckets, the scrape-time refresh from the store, and promtool's lint of a
// real scrape.

#include "leadsync/daemon/metrics.hpp"
#include "leadsync/http/failure.hpp"
#include "leadsync/jobs/job_kind.hpp"
#include "leadsync/store/open.hpp"

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

namespace leadsync::daemon {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

// The value of the sample line that starts with `series` followed by a space; nullopt when absent.
std::optional<double> sample(const std::string& scrape, const std::string& series) {
  std::istringstream lines(scrape);
  for (std::string line; std::getline(lines, line);) {
    if (line.starts_with(series + " ")) {
      return std::stod(line.substr(series.size() + 1));
    }
  }
  return std::nullopt;
}

class MetricsTest : public ::testing::Test {
protected:
  ManualClock clock_;
  Metrics metrics_{{.version = "1.2.3", .start_time = {}, .clock = &clock_}};
};

TEST_F(MetricsTest, CrmRequestsAreCountedByMethodRouteAndStatusWithDurationsAndThrottling) {
  metrics_.observe_crm_request("GET", "leads", 200, 20ms, false);
  metrics_.observe_crm_request("GET", "leads", 200, 40ms, false);
  metrics_.observe_crm_request("POST", "leads/UpsertMultiple", 429, 3s, true);
  metrics_.observe_crm_request("POST", "leads/UpsertMultiple", 0, 120s, false);
  const auto text = metrics_.scrape();

  EXPECT_TRUE(contains(text, "# TYPE leadsync_crm_requests_total counter\n"));
  EXPECT_EQ(sample(text, R"(leadsync_crm_requests_total{method="GET",route="leads",status="200"})"),
            2);
  EXPECT_EQ(
      sample(
          text,
          R"(leadsync_crm_requests_total{method="POST",route="leads/UpsertMultiple",status="429"})"),
      1);
  EXPECT_EQ(
      sample(
          text,
          R"(leadsync_crm_requests_total{method="POST",route="leads/UpsertMultiple",status="0"})"),
      1);
  EXPECT_TRUE(contains(text, "# TYPE leadsync_crm_throttled_total counter\n"));
  EXPECT_EQ(sample(text, "leadsync_crm_throttled_total"), 1);
  EXPECT_TRUE(contains(text, "# TYPE leadsync_crm_request_duration_seconds histogram\n"));
  EXPECT_EQ(
      sample(text, R"(leadsync_crm_request_duration_seconds_count{method="GET",route="leads"})"),
      2);
  EXPECT_NEAR(
      *sample(text, R"(leadsync_crm_request_duration_seconds_sum{method="GET",route="leads"})"),
      0.06, 1e-9);
}

TEST_F(MetricsTest, TheCrmRequestObserverFeedsTheCrmFamilies) {
  const auto observer = crm_request_observer(metrics_);
  observer->observe({.method = "PATCH",
                     .route = "leads",
                     .status = 204,
                     .attempts = 2,
                     .duration = 1500ms,
                     .throttled = true,
                     .failure = std::nullopt});
  const auto text = metrics_.scrape();
  EXPECT_EQ(
      sample(text, R"(leadsync_crm_requests_total{method="PATCH",route="leads",status="204"})"), 1);
  EXPECT_EQ(sample(text, "leadsync_crm_throttled_total"), 1);
  EXPECT_NEAR(
      *sample(text, R"(leadsync_crm_request_duration_seconds_sum{method="PATCH",route="leads"})"),
      1.5, 1e-9);
}

TEST_F(MetricsTest, CrmCallsEndingInAnErrorAreCountedByTheirFailureKind) {
  auto text = metrics_.scrape();
  EXPECT_TRUE(contains(text, "# TYPE leadsync_crm_failures_total counter\n"));
  for (const auto kind : http::all_failure_kinds) {
    EXPECT_EQ(sample(text, "leadsync_crm_failures_total{kind=\"" +
                               std::string(http::to_string(kind)) + "\"}"),
              0)
        << http::to_string(kind);
  }
  Error refused = Error::make(ErrorCategory::unavailable, "cannot connect", true);
  refused.transport_cause = TransportCause::refused;
  Error throttled = Error::make(ErrorCategory::throttled, "Retry-After too long", true);
  throttled.http_status = 429;
  metrics_.count_crm_failure(refused);
  metrics_.count_crm_failure(refused);
  metrics_.count_crm_failure(throttled);
  // A call answered with a response is not a failure here: its status is in the requests family.
  crm_request_observer(metrics_)->observe({.method = "GET",
                                           .route = "leads",
                                           .status = 503,
                                           .attempts = 1,
                                           .duration = 1ms,
                                           .throttled = false,
                                           .failure = std::nullopt,
                                           .error = std::nullopt});
  text = metrics_.scrape();
  EXPECT_EQ(sample(text, R"(leadsync_crm_failures_total{kind="refused"})"), 2);
  EXPECT_EQ(sample(text, R"(leadsync_crm_failures_total{kind="throttled"})"), 1);
  EXPECT_EQ(sample(text, R"(leadsync_crm_failures_total{kind="service_error"})"), 0);
}

TEST_F(MetricsTest, JobRunsSkipsNextRunAndLastSuccessArePerJob) {
  const auto finished = Clock::WallTime{std::chrono::seconds{1'800'000'000}};
  metrics_.observe_job_run("push", "ok", 2s, finished);
  metrics_.observe_job_run("push", "failed", 1s, finished + 60s);
  metrics_.count_job_skipped("pull", "overlap");
  metrics_.set_job_next_run("enrich", finished + 30s);
  const auto text = metrics_.scrape();

  EXPECT_EQ(sample(text, R"(leadsync_job_runs_total{job="push",status="ok"})"), 1);
  EXPECT_EQ(sample(text, R"(leadsync_job_runs_total{job="push",status="failed"})"), 1);
  // Every job kind has its series from the start, so rate() sees 0 instead of nothing.
  EXPECT_EQ(sample(text, R"(leadsync_job_runs_total{job="webhook",status="ok"})"), 0);
  EXPECT_EQ(sample(text, R"(leadsync_job_skipped_total{job="pull",reason="overlap"})"), 1);
  EXPECT_EQ(sample(text, R"(leadsync_job_duration_seconds_count{job="push"})"), 2);
  EXPECT_TRUE(contains(text, "# TYPE leadsync_job_next_run_timestamp_seconds gauge\n"));
  EXPECT_EQ(sample(text, R"(leadsync_job_next_run_timestamp_seconds{job="enrich"})"),
            1'800'000'030);
  // The failed run does not move the last success.
  EXPECT_EQ(sample(text, R"(leadsync_job_last_success_timestamp_seconds{job="push"})"),
            1'800'000'000);
}

TEST_F(MetricsTest, EveryJobKindHasItsSeriesFromTheStart) {
  const auto text = metrics_.scrape();
  for (const auto kind : jobs::all_job_kinds) {
    const std::string name(jobs::to_string(kind));
    EXPECT_NE(std::find(metric_job_names.begin(), metric_job_names.end(), name),
              metric_job_names.end())
        << name;
    EXPECT_EQ(sample(text, R"(leadsync_job_runs_total{job=")" + name + R"(",status="failed"})"), 0)
        << name;
  }
}

TEST_F(MetricsTest, AJobTurnedOffLosesItsNextRunSeries) {
  metrics_.set_job_next_run("qualify", Clock::WallTime{std::chrono::seconds{100}});
  ASSERT_TRUE(
      sample(metrics_.scrape(), R"(leadsync_job_next_run_timestamp_seconds{job="qualify"})"));
  metrics_.set_job_next_run("qualify", std::nullopt);
  EXPECT_FALSE(
      sample(metrics_.scrape(), R"(leadsync_job_next_run_timestamp_seconds{job="qualify"})"));
}

TEST_F(MetricsTest, TheWebhookLagHistogramHasBucketsFromFiveMillisecondsToAMinute) {
  metrics_.observe_webhook_processed("updated", 3ms);
  metrics_.observe_webhook_processed("updated", 200ms);
  metrics_.observe_webhook_processed("updated", 45s);
  metrics_.observe_webhook_processed("updated", 90s);
  metrics_.observe_webhook_processed("failed", std::nullopt);
  const auto text = metrics_.scrape();

  EXPECT_TRUE(contains(text, "# TYPE leadsync_webhook_lag_seconds histogram\n"));
  EXPECT_EQ(sample(text, R"(leadsync_webhook_lag_seconds_bucket{le="0.005"})"), 1);
  EXPECT_EQ(sample(text, R"(leadsync_webhook_lag_seconds_bucket{le="0.1"})"), 1);
  EXPECT_EQ(sample(text, R"(leadsync_webhook_lag_seconds_bucket{le="0.25"})"), 2);
  EXPECT_EQ(sample(text, R"(leadsync_webhook_lag_seconds_bucket{le="30"})"), 2);
  EXPECT_EQ(sample(text, R"(leadsync_webhook_lag_seconds_bucket{le="60"})"), 3);
  EXPECT_EQ(sample(text, R"(leadsync_webhook_lag_seconds_bucket{le="+Inf"})"), 4);
  EXPECT_EQ(sample(text, "leadsync_webhook_lag_seconds_count"), 4);
  EXPECT_EQ(sample(text, R"(leadsync_webhook_events_processed_total{outcome="updated"})"), 4);
  EXPECT_EQ(sample(text, R"(leadsync_webhook_events_processed_total{outcome="failed"})"), 1);
  // Nothing below 5 ms or above a minute: Dataverse gives up on a delivery after 60 s.
  EXPECT_FALSE(contains(text, R"(leadsync_webhook_lag_seconds_bucket{le="0.001"})"));
  EXPECT_FALSE(contains(text, R"(leadsync_webhook_lag_seconds_bucket{le="120"})"));
}

TEST_F(MetricsTest, WebhookReceiptIsCountedByWhatBecameOfIt) {
  metrics_.count_webhook_received();
  metrics_.count_webhook_received();
  metrics_.count_webhook_received();
  metrics_.count_webhook_rejected(RejectReason::unauthorized);
  metrics_.count_webhook_duplicate();
  metrics_.count_webhook_ignored();
  const auto text = metrics_.scrape();
  EXPECT_EQ(sample(text, "leadsync_webhook_events_received_total"), 3);
  EXPECT_EQ(sample(text, R"(leadsync_webhook_events_rejected_total{reason="unauthorized"})"), 1);
  EXPECT_EQ(sample(text, R"(leadsync_webhook_events_rejected_total{reason="malformed"})"), 0);
  EXPECT_EQ(sample(text, "leadsync_webhook_events_duplicate_total"), 1);
  EXPECT_EQ(sample(text, "leadsync_webhook_events_ignored_total"), 1);
}

TEST_F(MetricsTest, EnrichmentIsCountedPerProviderWithItsQuota) {
  metrics_.observe_enrichment_lookup("pdl", true, 2);
  metrics_.observe_enrichment_lookup("pdl", false, 0);
  metrics_.observe_enrichment_lookup("feed", false, 0);
  metrics_.set_provider_quota_remaining("pdl", "month", 998);
  const auto text = metrics_.scrape();
  EXPECT_EQ(sample(text, R"(leadsync_enrichment_lookups_total{provider="pdl"})"), 2);
  EXPECT_EQ(sample(text, R"(leadsync_enrichment_matches_total{provider="pdl"})"), 1);
  EXPECT_EQ(sample(text, R"(leadsync_enrichment_matches_total{provider="feed"})"), 0);
  EXPECT_EQ(sample(text, R"(leadsync_enrichment_credits_total{provider="pdl"})"), 2);
  EXPECT_EQ(sample(text, R"(leadsync_enrichment_quota_remaining{period="month",provider="pdl"})"),
            998);
  metrics_.set_provider_quota_remaining("pdl", "month", std::nullopt);
  EXPECT_FALSE(contains(metrics_.scrape(), "leadsync_enrichment_quota_remaining{"));
}

TEST_F(MetricsTest, BuildInfoUpAndStartTimeAreThereFromTheStart) {
  const auto text = metrics_.scrape();
  EXPECT_EQ(sample(text, R"(leadsync_build_info{version="1.2.3"})"), 1);
  EXPECT_EQ(sample(text, "leadsync_up"), 1);
  EXPECT_EQ(sample(text, "process_start_time_seconds"),
            std::chrono::duration<double>(clock_.now().time_since_epoch()).count());
  // Every lifecycle stage has a series, 0 until the store says otherwise.
  EXPECT_EQ(sample(text, R"(leadsync_leads{stage="new"})"), 0);
  EXPECT_EQ(sample(text, R"(leadsync_leads{stage="disqualified"})"), 0);
}

TEST_F(MetricsTest, TheRefreshRunsOncePerScrapeBeforeSerializing) {
  int calls = 0;
  metrics_.set_refresh([&](Metrics& metrics) {
    ++calls;
    store::StoreStats stats;
    stats.outbox_pending = std::int64_t{10} * calls;
    stats.outbox_leased = 1;
    stats.dead_letters = 2;
    stats.leads_by_stage = {{"new", 5}, {"mql", 3}};
    metrics.set_store_stats(stats);
    return ok_status();
  });
  EXPECT_EQ(calls, 0);
  const auto first = metrics_.scrape();
  EXPECT_EQ(calls, 1);
  EXPECT_EQ(sample(first, "leadsync_outbox_pending"), 11);
  const auto second = metrics_.scrape();
  EXPECT_EQ(calls, 2);
  EXPECT_EQ(sample(second, "leadsync_outbox_pending"), 21);
  EXPECT_EQ(sample(second, "leadsync_dead_letters"), 2);
  EXPECT_EQ(sample(second, R"(leadsync_leads{stage="new"})"), 5);
  EXPECT_EQ(sample(second, R"(leadsync_leads{stage="mql"})"), 3);
  EXPECT_EQ(sample(second, R"(leadsync_leads{stage="sql"})"), 0);
}

TEST_F(MetricsTest, AStageTheModelDoesNotKnowIsShownAndResetWhenGone) {
  store::StoreStats stats;
  stats.leads_by_stage = {{"nurture", 4}};
  metrics_.set_store_stats(stats);
  EXPECT_EQ(sample(metrics_.scrape(), R"(leadsync_leads{stage="nurture"})"), 4);
  metrics_.set_store_stats(store::StoreStats{});
  EXPECT_EQ(sample(metrics_.scrape(), R"(leadsync_leads{stage="nurture"})"), 0);
}

TEST_F(MetricsTest, AFailingRefreshKeepsTheLastValuesAndIsCounted) {
  bool failing = false;
  metrics_.set_refresh([&](Metrics& metrics) -> Status {
    if (failing) {
      return fail(ErrorCategory::storage, "database is locked");
    }
    store::StoreStats stats;
    stats.dead_letters = 7;
    metrics.set_store_stats(stats);
    return ok_status();
  });
  EXPECT_EQ(sample(metrics_.scrape(), "leadsync_dead_letters"), 7);
  failing = true;
  const auto text = metrics_.scrape();
  EXPECT_EQ(sample(text, "leadsync_dead_letters"), 7);
  EXPECT_EQ(sample(text, "leadsync_metrics_refresh_failures_total"), 1);
}

TEST_F(MetricsTest, RefreshFromTheStoreReadsOutboxDeadLettersLeadsAndTheWebhookQueue) {
  auto opened = store::open_store("sqlite::memory:", {}, clock_);
  ASSERT_TRUE(opened.ok()) << opened.error().describe();
  auto& store = **opened;
  model::Lead lead;
  lead.person.first_name = "Ada";
  lead.person.last_name = "Lovelace";
  ASSERT_TRUE(store.create_lead(lead).ok());
  ASSERT_TRUE(store.create_lead(lead).ok());
  store::WebhookEvent event;
  event.dedupe_key = "create:lead:1:op";
  event.source = "dataverse";
  event.message = "Create";
  event.entity = "lead";
  event.crm_id = "3f2504e0-4f89-41d3-9a0c-0305e82c3301";
  event.received_at = clock_.now();
  ASSERT_TRUE(store.add_webhook_event(event).ok());
  clock_.advance(90s);

  metrics_.set_refresh([&](Metrics& metrics) { return metrics.refresh_from_store(store); });
  const auto text = metrics_.scrape();
  EXPECT_EQ(sample(text, "leadsync_outbox_pending"), 2);
  EXPECT_EQ(sample(text, "leadsync_outbox_oldest_pending_age_seconds"), 90);
  EXPECT_EQ(sample(text, "leadsync_dead_letters"), 0);
  EXPECT_EQ(sample(text, R"(leadsync_leads{stage="new"})"), 2);
  EXPECT_EQ(sample(text, R"(leadsync_webhook_queue_events{state="pending"})"), 1);
  EXPECT_EQ(sample(text, "leadsync_webhook_queue_oldest_pending_age_seconds"), 90);
}

// Runs `promtool check metrics` with the file on standard input; returns its exit code and output.
std::pair<int, std::string> promtool_check(const fs::path& input) {
  const std::string command = "promtool check metrics < '" + input.string() + "' 2>&1";
  FILE* pipe = ::popen(command.c_str(), "r");
  if (pipe == nullptr) {
    return {-1, "popen failed"};
  }
  std::string output;
  char buffer[4096];
  while (const auto n = std::fread(buffer, 1, sizeof buffer, pipe)) {
    output.append(buffer, n);
  }
  const int status = ::pclose(pipe);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, output};
}

TEST_F(MetricsTest, PromtoolFindsNothingToLintInARealScrape) {
  if (::access("/usr/bin/promtool", X_OK) != 0) {
    GTEST_SKIP() << "promtool is missing: install the Debian package `prometheus` "
                    "(scripts/install-deps does) to lint the scrape";
  }
  // Every family with a series, as a busy daemon has them.
  metrics_.observe_crm_request("GET", "leads", 200, 20ms, false);
  metrics_.observe_crm_request("POST", "$batch", 429, 2s, true);
  metrics_.observe_job_run("import", "partial", 12s, clock_.now());
  metrics_.count_job_skipped("push", "overlap");
  metrics_.set_job_next_run("pull", clock_.now() + 300s);
  metrics_.count_webhook_received();
  metrics_.count_webhook_rejected(RejectReason::malformed);
  metrics_.count_webhook_duplicate();
  metrics_.count_webhook_ignored();
  metrics_.observe_webhook_processed("updated", 120ms);
  metrics_.count_behaviour_events(3, 1, 1);
  metrics_.count_events_request_rejected(RejectReason::unprocessable);
  metrics_.observe_enrichment_lookup("pdl", true, 1);
  metrics_.set_provider_quota_remaining("pdl", "day", 99);
  metrics_.set_refresh([](Metrics& metrics) -> Status {
    store::StoreStats stats;
    stats.outbox_pending = 4;
    stats.leads_by_stage = {{"new", 5}};
    metrics.set_store_stats(stats);
    metrics.set_outbox_oldest_age(12s);
    metrics.set_webhook_queue({.pending = 1, .done = 2, .failed = 0, .oldest_pending = {}},
                              Clock::WallTime{});
    return ok_status();
  });
  const auto text = metrics_.scrape();
  const fs::path file =
      fs::temp_directory_path() / ("leadsync-metrics-" + std::to_string(::getpid()) + ".prom");
  std::ofstream(file, std::ios::binary) << text;
  const auto [exit_code, output] = promtool_check(file);
  fs::remove(file);
  EXPECT_EQ(exit_code, 0) << output;
  EXPECT_EQ(output, "") << "promtool's lint of the scrape:\n" << output << "\nscrape:\n" << text;
  // The check is only worth something if the scrape holds the families it should.
  EXPECT_TRUE(contains(text, "leadsync_webhook_lag_seconds_bucket"));
  EXPECT_TRUE(contains(text, "leadsync_crm_request_duration_seconds_bucket"));
}

TEST_F(MetricsTest, PromtoolFailsOnAScrapeThatBreaksTheNamingRules) {
  // The lint test above is only meaningful if promtool reports what it finds; check that it does.
  if (::access("/usr/bin/promtool", X_OK) != 0) {
    GTEST_SKIP() << "promtool is missing: install the Debian package `prometheus`";
  }
  const fs::path file =
      fs::temp_directory_path() / ("leadsync-bad-metrics-" + std::to_string(::getpid()) + ".prom");
  std::ofstream(file, std::ios::binary)
      << "# HELP leadsync_requests Requests\n# TYPE leadsync_requests counter\n"
         "leadsync_requests 1\n";
  const auto [exit_code, output] = promtool_check(file);
  fs::remove(file);
  EXPECT_NE(output, "");
  EXPECT_TRUE(contains(output, "leadsync_requests")) << output;
  (void)exit_code;
}

} // namespace
} // namespace leadsync::daemon
