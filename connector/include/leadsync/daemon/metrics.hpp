#pragma once
// The daemon's Prometheus metrics, kept with prometheus-cpp (a Registry, serialized with its
// TextSerializer) and served on /metrics by daemon/endpoints.hpp from our own HTTP server.
//
// Names follow the Prometheus naming guide (https://prometheus.io/docs/practices/naming/,
// shared/daemon-scaleout.md B.5): the `leadsync_` prefix, base units (seconds), `_total` on
// counters, `_timestamp_seconds` on gauges holding Unix times, and labels of low cardinality only:
// a CRM route is a template the caller names ("leads", "UpsertMultiple"), never a URL with ids.
//
// Families, and who feeds them:
//   CRM calls (the HTTP pipeline's observer):     observe_crm_request, count_crm_failure
//   jobs (the scheduler):                         observe_job_run, count_job_skipped,
//                                                 set_job_next_run
//   webhook receipt (daemon/endpoints.hpp):       count_webhook_*
//   webhook processing (the webhook worker):      observe_webhook_processed
//   behaviour events (POST /events):              count_behaviour_events
//   enrichment (the enrich job):                  observe_enrichment_lookup
//   store-held gauges (the refresh callback):     set_store_stats, set_outbox_oldest_age,
//                                                 set_webhook_queue, set_provider_quota_remaining
// The store-held gauges are refreshed at scrape time through the refresh callback the owner sets;
// refresh_from_store() is the cheap default body for it.
//
// Every method is thread-safe.

#include "leadsync/core/clock.hpp"
#include "leadsync/core/result.hpp"
#include "leadsync/http/request_observer.hpp"
#include "leadsync/store/store.hpp"

#include <array>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace prometheus {
class Registry;
} // namespace prometheus

namespace leadsync::daemon {

// The jobs the job families know from the start (a series of 0 each): jobs::to_string of every
// jobs::JobKind, and "webhook" for the webhook worker. The `job` label takes these names.
inline constexpr std::array<std::string_view, 6> metric_job_names = {
    "pull", "push", "enrich", "qualify", "import", "webhook"};

// Why the webhook endpoint turned a request away: the `reason` label of
// leadsync_webhook_events_rejected_total (and leadsync_events_requests_rejected_total).
enum class RejectReason {
  unauthorized, // 401: missing or wrong key
  too_large,    // 413: body over the cap
  malformed,    // 400: not a parsable notification / unreadable body
  unavailable,  // 503: the store could not take the event
  unprocessable // 422: events endpoint only: nothing could be stored
};
std::string_view to_string(RejectReason reason) noexcept; // "unauthorized", "too_large", ...

struct MetricsOptions {
  std::string version;          // leadsync_build_info{version}
  Clock::WallTime start_time{}; // process_start_time_seconds; the epoch means "now"
  Clock* clock = nullptr;       // for ages; nullptr: SystemClock
};

class Metrics {
public:
  // Called at the start of every scrape, to set the gauges that come from the store. A failure is
  // counted in leadsync_metrics_refresh_failures_total and logged once per failure streak; the
  // gauges then keep their last values.
  using Refresh = std::function<Status(Metrics&)>;

  explicit Metrics(const MetricsOptions& options);
  ~Metrics();
  Metrics(const Metrics&) = delete;
  Metrics& operator=(const Metrics&) = delete;

  // ---- CRM requests
  // One HTTP exchange with the CRM: method ("GET", "POST"...), route (a low-cardinality name the
  // caller gives, e.g. "leads" or "$batch"), status (0 when no response came: transport failure or
  // timeout) and how long it took. saw_429 counts it in leadsync_crm_throttled_total as well (true
  // when the answer was 429, also when a retry later succeeded).
  void observe_crm_request(std::string_view method, std::string_view route, int status,
                           std::chrono::duration<double> duration, bool saw_429);
  // A CRM call that ended in an error instead of a response, counted in
  // leadsync_crm_failures_total{kind} by http::classify_failure's kind ("refused", "dns", "tls",
  // "reset", "timeout", ...: the same kind /readyz names). Every kind has a series from the start.
  void count_crm_failure(const Error& error);

  // ---- jobs (job: a name from metric_job_names)
  // One finished run: status is the run recorder's ("ok", "partial", "failed", "interrupted").
  // Runs with status "ok" or "partial" also set leadsync_job_last_success_timestamp_seconds to
  // `finished`.
  void observe_job_run(std::string_view job, std::string_view status,
                       std::chrono::duration<double> duration, Clock::WallTime finished);
  // A run not started, e.g. reason "overlap" (the previous run of its kind was still going).
  void count_job_skipped(std::string_view job, std::string_view reason);
  // When the job runs next; nullopt (job turned off) removes the series.
  void set_job_next_run(std::string_view job, std::optional<Clock::WallTime> next);

  // ---- webhook (receipt counted by the endpoint, processing by the worker)
  void count_webhook_received();
  void count_webhook_rejected(RejectReason reason);
  void count_webhook_duplicate();
  void count_webhook_ignored(); // authenticated and well-formed, but not a Create of a lead
  // The worker finished an event: outcome "updated", "unchanged", "failed", ...; lag is the time
  // from receipt to the CRM update (leadsync_webhook_lag_seconds), when there was one.
  void observe_webhook_processed(std::string_view outcome,
                                 std::optional<std::chrono::duration<double>> lag);

  // ---- behaviour events (POST /events)
  void count_behaviour_events(std::int64_t added, std::int64_t duplicates, std::int64_t problems);
  void count_events_request_rejected(RejectReason reason);

  // ---- enrichment
  void observe_enrichment_lookup(std::string_view provider, bool matched, std::int64_t credits);
  // Requests left in the provider's quota for the period ("day" or "month"); nullopt when it has
  // none (removes the series).
  void set_provider_quota_remaining(std::string_view provider, std::string_view period,
                                    std::optional<std::int64_t> remaining);

  // ---- gauges from the store (normally set by the refresh callback)
  // Outbox depth, dead letters and leads by stage (stages missing from the map are set to 0).
  void set_store_stats(const store::StoreStats& stats);
  void set_outbox_oldest_age(std::chrono::duration<double> age); // 0 when the outbox is empty
  void set_webhook_queue(const store::WebhookQueueStats& stats, Clock::WallTime now);

  // The cheap refresh: one Store::stats(), one Store::webhook_queue_stats() and the oldest outbox
  // entry (Store::pending_outbox(1), a LIMIT 1 read). Fails with the first store error, setting
  // what it could.
  Status refresh_from_store(store::Store& store);

  void set_refresh(Refresh refresh);

  // Runs the refresh, then serializes every family in the Prometheus text format 0.0.4. Families
  // without a series yet are left out (prometheus-cpp does not print empty families).
  std::string scrape();

  // For owners adding families of their own.
  prometheus::Registry& registry();

private:
  struct Families;
  std::shared_ptr<prometheus::Registry> registry_;
  std::unique_ptr<Families> families_;
  Clock* clock_;
};

// The CRM pipeline's observer (http/request_observer.hpp, dataverse::ConnectOptions::observer)
// feeding observe_crm_request: one observation per logical call, its route, final status (0
// without a response), whole duration and whether any attempt saw a 429. `metrics` must outlive it.
std::shared_ptr<http::RequestObserver> crm_request_observer(Metrics& metrics);

} // namespace leadsync::daemon
