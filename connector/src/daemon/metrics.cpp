#include "leadsync/daemon/metrics.hpp"

#include "leadsync/core/log.hpp"
#include "leadsync/core/mutex.hpp"
#include "leadsync/http/failure.hpp"
#include "leadsync/model/json.hpp"

#include <algorithm>
#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>
#include <prometheus/text_serializer.h>
#include <set>
#include <sstream>
#include <utility>

namespace leadsync::daemon {

namespace {

using prometheus::BuildCounter;
using prometheus::BuildGauge;
using prometheus::BuildHistogram;
using prometheus::Counter;
using prometheus::Family;
using prometheus::Gauge;
using prometheus::Histogram;

// A CRM call takes milliseconds when all is well and up to the transport timeout (120 s) when not.
constexpr std::array crm_buckets = {0.005, 0.01, 0.025, 0.05, 0.1,  0.25, 0.5,
                                    1.0,   2.5,  5.0,   10.0, 30.0, 60.0, 120.0};
// Jobs run from under a second (an empty push) to an hour (a large import).
constexpr std::array job_buckets = {0.1,  0.5,  1.0,   2.5,   5.0,   10.0,
                                    30.0, 60.0, 300.0, 900.0, 3600.0};
// Webhook receipt to CRM update: the target is moments (issue 15: p95 overhead <= 50 ms on top of
// the CRM's and provider's own latency); Dataverse gives up on a delivery after 60 s.
constexpr std::array webhook_lag_buckets = {0.005, 0.01, 0.025, 0.05, 0.1,  0.25, 0.5,
                                            1.0,   2.5,  5.0,   10.0, 30.0, 60.0};

template <std::size_t N>
Histogram::BucketBoundaries boundaries(const std::array<double, N>& buckets) {
  return {buckets.begin(), buckets.end()};
}

double unix_seconds(Clock::WallTime time) {
  return std::chrono::duration<double>(time.time_since_epoch()).count();
}

// Every lifecycle stage, so that leadsync_leads{stage} has a series (0) for stages with no lead.
constexpr const auto& all_stages = model::all_lifecycle_stages;

} // namespace

std::string_view to_string(RejectReason reason) noexcept {
  switch (reason) {
  case RejectReason::unauthorized:
    return "unauthorized";
  case RejectReason::too_large:
    return "too_large";
  case RejectReason::malformed:
    return "malformed";
  case RejectReason::unavailable:
    return "unavailable";
  case RejectReason::unprocessable:
    return "unprocessable";
  }
  return "unknown";
}

struct Metrics::Families {
  explicit Families(prometheus::Registry& registry)
      : crm_bucket_boundaries(boundaries(crm_buckets)),
        job_bucket_boundaries(boundaries(job_buckets)),
        webhook_lag_bucket_boundaries(boundaries(webhook_lag_buckets)),
        crm_requests(BuildCounter()
                         .Name("leadsync_crm_requests_total")
                         .Help("HTTP requests sent to the CRM, by method, route and response "
                               "status (0: no response)")
                         .Register(registry)),
        crm_throttled(BuildCounter()
                          .Name("leadsync_crm_throttled_total")
                          .Help("CRM requests answered 429 (service protection limits)")
                          .Register(registry)),
        crm_failures(BuildCounter()
                         .Name("leadsync_crm_failures_total")
                         .Help("CRM calls that ended in an error instead of a response, by kind "
                               "(refused, dns, tls, reset, timeout, network, throttled, ...)")
                         .Register(registry)),
        crm_duration(BuildHistogram()
                         .Name("leadsync_crm_request_duration_seconds")
                         .Help("Duration of CRM requests, by method and route")
                         .Register(registry)),
        outbox_pending(BuildGauge()
                           .Name("leadsync_outbox_pending")
                           .Help("Changes waiting in the outbox to be pushed to the CRM")
                           .Register(registry)),
        outbox_oldest_age(BuildGauge()
                              .Name("leadsync_outbox_oldest_pending_age_seconds")
                              .Help("Age of the oldest change in the outbox (0 when empty)")
                              .Register(registry)),
        dead_letters(BuildGauge()
                         .Name("leadsync_dead_letters")
                         .Help("Changes the CRM refused for good, waiting for `leadsync dlq`")
                         .Register(registry)),
        job_runs(BuildCounter()
                     .Name("leadsync_job_runs_total")
                     .Help("Finished job runs, by job and status (ok, partial, failed, ...)")
                     .Register(registry)),
        job_duration(BuildHistogram()
                         .Name("leadsync_job_duration_seconds")
                         .Help("Duration of finished job runs, by job")
                         .Register(registry)),
        job_skipped(BuildCounter()
                        .Name("leadsync_job_skipped_total")
                        .Help("Job runs not started, by job and reason (overlap: the previous "
                              "run was still going)")
                        .Register(registry)),
        job_next_run(BuildGauge()
                         .Name("leadsync_job_next_run_timestamp_seconds")
                         .Help("When the job runs next (Unix time)")
                         .Register(registry)),
        job_last_success(BuildGauge()
                             .Name("leadsync_job_last_success_timestamp_seconds")
                             .Help("When a run of the job last finished ok or partial (Unix time)")
                             .Register(registry)),
        webhook_received(BuildCounter()
                             .Name("leadsync_webhook_events_received_total")
                             .Help("Webhook POSTs received from Dataverse")
                             .Register(registry)),
        webhook_rejected(BuildCounter()
                             .Name("leadsync_webhook_events_rejected_total")
                             .Help("Webhook POSTs turned away, by reason")
                             .Register(registry)),
        webhook_duplicates(BuildCounter()
                               .Name("leadsync_webhook_events_duplicate_total")
                               .Help("Webhook deliveries of an event already stored (redeliveries)")
                               .Register(registry)),
        webhook_ignored(BuildCounter()
                            .Name("leadsync_webhook_events_ignored_total")
                            .Help("Webhook notifications answered but not kept: not a Create of a "
                                  "lead")
                            .Register(registry)),
        webhook_processed(BuildCounter()
                              .Name("leadsync_webhook_events_processed_total")
                              .Help("Webhook events the worker finished, by outcome")
                              .Register(registry)),
        webhook_lag(BuildHistogram()
                        .Name("leadsync_webhook_lag_seconds")
                        .Help("Time from receiving a webhook event to updating the lead in the CRM")
                        .Register(registry)),
        webhook_queue(BuildGauge()
                          .Name("leadsync_webhook_queue_events")
                          .Help("Stored webhook events, by state (pending, failed)")
                          .Register(registry)),
        webhook_queue_oldest_age(
            BuildGauge()
                .Name("leadsync_webhook_queue_oldest_pending_age_seconds")
                .Help("Age of the oldest pending webhook event (0 when none is pending)")
                .Register(registry)),
        behaviour_events(BuildCounter()
                             .Name("leadsync_behaviour_events_received_total")
                             .Help("Behaviour events received on /events, by result (added, "
                                   "duplicate, problem)")
                             .Register(registry)),
        events_rejected(BuildCounter()
                            .Name("leadsync_events_requests_rejected_total")
                            .Help("Requests to /events turned away, by reason")
                            .Register(registry)),
        enrich_lookups(BuildCounter()
                           .Name("leadsync_enrichment_lookups_total")
                           .Help("Enrichment lookups sent to a provider")
                           .Register(registry)),
        enrich_matches(BuildCounter()
                           .Name("leadsync_enrichment_matches_total")
                           .Help("Enrichment lookups the provider answered with a match")
                           .Register(registry)),
        enrich_credits(BuildCounter()
                           .Name("leadsync_enrichment_credits_total")
                           .Help("Credits the provider billed")
                           .Register(registry)),
        enrich_quota(BuildGauge()
                         .Name("leadsync_enrichment_quota_remaining")
                         .Help("Requests left in the provider's quota for the period (day, month)")
                         .Register(registry)),
        leads(BuildGauge()
                  .Name("leadsync_leads")
                  .Help("Leads in the store (tombstones excluded), by lifecycle stage")
                  .Register(registry)),
        build_info(BuildGauge()
                       .Name("leadsync_build_info")
                       .Help("Always 1; the version label names the running build")
                       .Register(registry)),
        up(BuildGauge()
               .Name("leadsync_up")
               .Help("1 while the daemon is running")
               .Register(registry)),
        // The standard name from the Prometheus client library guidelines ("process metrics"), so
        // that the usual `time() - process_start_time_seconds` uptime queries work unchanged.
        start_time(BuildGauge()
                       .Name("process_start_time_seconds")
                       .Help("Start time of the process since the Unix epoch in seconds")
                       .Register(registry)),
        refresh_failures(BuildCounter()
                             .Name("leadsync_metrics_refresh_failures_total")
                             .Help("Scrapes whose store-held gauges could not be refreshed (the "
                                   "previous values were served)")
                             .Register(registry)) {}

  const Histogram::BucketBoundaries crm_bucket_boundaries;
  const Histogram::BucketBoundaries job_bucket_boundaries;
  const Histogram::BucketBoundaries webhook_lag_bucket_boundaries;
  Family<Counter>& crm_requests;
  Family<Counter>& crm_throttled;
  Family<Counter>& crm_failures;
  Family<Histogram>& crm_duration;
  Family<Gauge>& outbox_pending;
  Family<Gauge>& outbox_oldest_age;
  Family<Gauge>& dead_letters;
  Family<Counter>& job_runs;
  Family<Histogram>& job_duration;
  Family<Counter>& job_skipped;
  Family<Gauge>& job_next_run;
  Family<Gauge>& job_last_success;
  Family<Counter>& webhook_received;
  Family<Counter>& webhook_rejected;
  Family<Counter>& webhook_duplicates;
  Family<Counter>& webhook_ignored;
  Family<Counter>& webhook_processed;
  Family<Histogram>& webhook_lag;
  Family<Gauge>& webhook_queue;
  Family<Gauge>& webhook_queue_oldest_age;
  Family<Counter>& behaviour_events;
  Family<Counter>& events_rejected;
  Family<Counter>& enrich_lookups;
  Family<Counter>& enrich_matches;
  Family<Counter>& enrich_credits;
  Family<Gauge>& enrich_quota;
  Family<Gauge>& leads;
  Family<Gauge>& build_info;
  Family<Gauge>& up;
  Family<Gauge>& start_time;
  Family<Counter>& refresh_failures;

  Mutex mutex;
  Refresh refresh GUARDED_BY(mutex);
  // Stages reported by the store besides all_stages.
  std::set<std::string> stages_seen GUARDED_BY(mutex);
  Mutex refresh_mutex; // held through a refresh (which takes `mutex`)
  bool refresh_failing GUARDED_BY(refresh_mutex) = false;
};

Metrics::Metrics(const MetricsOptions& options)
    : registry_(std::make_shared<prometheus::Registry>()),
      families_(std::make_unique<Families>(*registry_)),
      clock_(options.clock != nullptr ? options.clock : &SystemClock::instance()) {
  auto& f = *families_;
  const auto start = options.start_time == Clock::WallTime{} ? clock_->now() : options.start_time;
  f.build_info.Add({{"version", options.version.empty() ? "unknown" : options.version}}).Set(1);
  f.up.Add({}).Set(1);
  f.start_time.Add({}).Set(unix_seconds(start));
  // Series known from the start, so that rate() and alerts see 0 rather than nothing.
  f.crm_throttled.Add({});
  for (const auto kind : http::all_failure_kinds) {
    f.crm_failures.Add({{"kind", std::string(http::to_string(kind))}});
  }
  f.outbox_pending.Add({});
  f.outbox_oldest_age.Add({});
  f.dead_letters.Add({});
  for (const auto job : metric_job_names) {
    const std::string name(job);
    for (const auto* status : {"ok", "partial", "failed"}) {
      f.job_runs.Add({{"job", name}, {"status", status}});
    }
    f.job_skipped.Add({{"job", name}, {"reason", "overlap"}});
  }
  f.webhook_received.Add({});
  for (const auto reason : {RejectReason::unauthorized, RejectReason::too_large,
                            RejectReason::malformed, RejectReason::unavailable}) {
    f.webhook_rejected.Add({{"reason", std::string(to_string(reason))}});
  }
  f.webhook_duplicates.Add({});
  f.webhook_ignored.Add({});
  f.webhook_lag.Add({}, f.webhook_lag_bucket_boundaries);
  for (const auto* state : {"pending", "failed"}) {
    f.webhook_queue.Add({{"state", state}});
  }
  f.webhook_queue_oldest_age.Add({});
  for (const auto* result : {"added", "duplicate", "problem"}) {
    f.behaviour_events.Add({{"result", result}});
  }
  for (const auto stage : all_stages) {
    f.leads.Add({{"stage", std::string(model::to_string(stage))}});
  }
  f.refresh_failures.Add({});
}

Metrics::~Metrics() = default;

void Metrics::observe_crm_request(std::string_view method, std::string_view route, int status,
                                  std::chrono::duration<double> duration, bool saw_429) {
  auto& f = *families_;
  const std::string method_label(method);
  const std::string route_label(route);
  f.crm_requests
      .Add({{"method", method_label}, {"route", route_label}, {"status", std::to_string(status)}})
      .Increment();
  f.crm_duration.Add({{"method", method_label}, {"route", route_label}}, f.crm_bucket_boundaries)
      .Observe(std::max(0.0, duration.count()));
  if (saw_429) {
    f.crm_throttled.Add({}).Increment();
  }
}

void Metrics::count_crm_failure(const Error& error) {
  const auto failure = http::classify_failure(error);
  families_->crm_failures.Add({{"kind", std::string(http::to_string(failure.kind))}}).Increment();
}

void Metrics::observe_job_run(std::string_view job, std::string_view status,
                              std::chrono::duration<double> duration, Clock::WallTime finished) {
  auto& f = *families_;
  const std::string name(job);
  f.job_runs.Add({{"job", name}, {"status", std::string(status)}}).Increment();
  f.job_duration.Add({{"job", name}}, f.job_bucket_boundaries)
      .Observe(std::max(0.0, duration.count()));
  if (status == "ok" || status == "partial") {
    f.job_last_success.Add({{"job", name}}).Set(unix_seconds(finished));
  }
}

void Metrics::count_job_skipped(std::string_view job, std::string_view reason) {
  families_->job_skipped.Add({{"job", std::string(job)}, {"reason", std::string(reason)}})
      .Increment();
}

void Metrics::set_job_next_run(std::string_view job, std::optional<Clock::WallTime> next) {
  auto& family = families_->job_next_run;
  const prometheus::Labels labels = {{"job", std::string(job)}};
  if (next) {
    family.Add(labels).Set(unix_seconds(*next));
  } else if (family.Has(labels)) {
    family.Remove(&family.Add(labels));
  }
}

void Metrics::count_webhook_received() {
  families_->webhook_received.Add({}).Increment();
}

void Metrics::count_webhook_rejected(RejectReason reason) {
  families_->webhook_rejected.Add({{"reason", std::string(to_string(reason))}}).Increment();
}

void Metrics::count_webhook_duplicate() {
  families_->webhook_duplicates.Add({}).Increment();
}

void Metrics::count_webhook_ignored() {
  families_->webhook_ignored.Add({}).Increment();
}

void Metrics::observe_webhook_processed(std::string_view outcome,
                                        std::optional<std::chrono::duration<double>> lag) {
  auto& f = *families_;
  f.webhook_processed.Add({{"outcome", std::string(outcome)}}).Increment();
  if (lag) {
    f.webhook_lag.Add({}, f.webhook_lag_bucket_boundaries).Observe(std::max(0.0, lag->count()));
  }
}

void Metrics::count_behaviour_events(std::int64_t added, std::int64_t duplicates,
                                     std::int64_t problems) {
  auto& f = *families_;
  f.behaviour_events.Add({{"result", "added"}}).Increment(static_cast<double>(added));
  f.behaviour_events.Add({{"result", "duplicate"}}).Increment(static_cast<double>(duplicates));
  f.behaviour_events.Add({{"result", "problem"}}).Increment(static_cast<double>(problems));
}

void Metrics::count_events_request_rejected(RejectReason reason) {
  families_->events_rejected.Add({{"reason", std::string(to_string(reason))}}).Increment();
}

void Metrics::observe_enrichment_lookup(std::string_view provider, bool matched,
                                        std::int64_t credits) {
  auto& f = *families_;
  const prometheus::Labels labels = {{"provider", std::string(provider)}};
  f.enrich_lookups.Add(labels).Increment();
  auto& matches = f.enrich_matches.Add(labels); // a 0 series for a provider that never matched
  if (matched) {
    matches.Increment();
  }
  f.enrich_credits.Add(labels).Increment(static_cast<double>(std::max<std::int64_t>(credits, 0)));
}

void Metrics::set_provider_quota_remaining(std::string_view provider, std::string_view period,
                                           std::optional<std::int64_t> remaining) {
  auto& family = families_->enrich_quota;
  const prometheus::Labels labels = {{"provider", std::string(provider)},
                                     {"period", std::string(period)}};
  if (remaining) {
    family.Add(labels).Set(static_cast<double>(std::max<std::int64_t>(*remaining, 0)));
  } else if (family.Has(labels)) {
    family.Remove(&family.Add(labels));
  }
}

void Metrics::set_store_stats(const store::StoreStats& stats) {
  auto& f = *families_;
  f.outbox_pending.Add({}).Set(static_cast<double>(stats.outbox_pending + stats.outbox_leased));
  f.dead_letters.Add({}).Set(static_cast<double>(stats.dead_letters));
  MutexLock lock(f.mutex);
  for (const auto stage : all_stages) {
    const std::string name(model::to_string(stage));
    const auto found = stats.leads_by_stage.find(name);
    f.leads.Add({{"stage", name}})
        .Set(found == stats.leads_by_stage.end() ? 0.0 : static_cast<double>(found->second));
  }
  // A stage name the model does not know (a newer store) is shown as it comes, and set to 0 once
  // it is gone, so that no series keeps a stale count.
  for (const auto& entry : stats.leads_by_stage) {
    if (std::none_of(all_stages.begin(), all_stages.end(),
                     [&](auto stage) { return model::to_string(stage) == entry.first; })) {
      f.stages_seen.insert(entry.first);
    }
  }
  for (const auto& stage : f.stages_seen) {
    const auto found = stats.leads_by_stage.find(stage);
    f.leads.Add({{"stage", stage}})
        .Set(found == stats.leads_by_stage.end() ? 0.0 : static_cast<double>(found->second));
  }
}

void Metrics::set_outbox_oldest_age(std::chrono::duration<double> age) {
  families_->outbox_oldest_age.Add({}).Set(std::max(0.0, age.count()));
}

void Metrics::set_webhook_queue(const store::WebhookQueueStats& stats, Clock::WallTime now) {
  auto& f = *families_;
  f.webhook_queue.Add({{"state", "pending"}}).Set(static_cast<double>(stats.pending));
  f.webhook_queue.Add({{"state", "failed"}}).Set(static_cast<double>(stats.failed));
  const double age =
      stats.oldest_pending ? std::chrono::duration<double>(now - *stats.oldest_pending).count() : 0;
  f.webhook_queue_oldest_age.Add({}).Set(std::max(0.0, age));
}

Status Metrics::refresh_from_store(store::Store& store) {
  const auto now = clock_->now();
  auto stats = store.stats();
  if (!stats.ok()) {
    return stats.error();
  }
  set_store_stats(*stats);
  auto oldest = store.pending_outbox(1);
  if (!oldest.ok()) {
    return oldest.error();
  }
  set_outbox_oldest_age(oldest->empty()
                            ? std::chrono::duration<double>(0)
                            : std::chrono::duration<double>(now - oldest->front().created_at));
  auto queue = store.webhook_queue_stats();
  if (!queue.ok()) {
    return queue.error();
  }
  set_webhook_queue(*queue, now);
  return ok_status();
}

void Metrics::set_refresh(Refresh refresh) {
  MutexLock lock(families_->mutex);
  families_->refresh = std::move(refresh);
}

std::string Metrics::scrape() {
  auto& f = *families_;
  {
    // One refresh at a time: two scrapes at once would only do the same store reads twice.
    MutexLock refreshing(f.refresh_mutex);
    Refresh refresh;
    {
      MutexLock lock(f.mutex);
      refresh = f.refresh;
    }
    if (refresh) {
      const auto status = refresh(*this);
      if (!status.ok()) {
        f.refresh_failures.Add({}).Increment();
        if (!f.refresh_failing) {
          log::get()->warn("metrics: the store-held gauges could not be refreshed ({}); serving "
                           "the last values, counting further failures in "
                           "leadsync_metrics_refresh_failures_total",
                           status.error().describe());
        }
        f.refresh_failing = true;
      } else if (f.refresh_failing) {
        log::get()->info("metrics: the store-held gauges are refreshed again");
        f.refresh_failing = false;
      }
    }
  }
  std::ostringstream out;
  prometheus::TextSerializer().Serialize(out, registry_->Collect());
  return std::move(out).str();
}

prometheus::Registry& Metrics::registry() {
  return *registry_;
}

namespace {

class MetricsObserver final : public http::RequestObserver {
public:
  explicit MetricsObserver(Metrics& metrics) : metrics_(metrics) {}
  void observe(const http::RequestObservation& observation) override {
    metrics_.observe_crm_request(observation.method, observation.route, observation.status,
                                 observation.duration, observation.throttled);
    if (observation.error) {
      metrics_.count_crm_failure(*observation.error);
    }
  }

private:
  Metrics& metrics_;
};

} // namespace

std::shared_ptr<http::RequestObserver> crm_request_observer(Metrics& metrics) {
  return std::make_shared<MetricsObserver>(metrics);
}

} // namespace leadsync::daemon
