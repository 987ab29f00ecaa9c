#include "leadsync/jobs/push.hpp"

#include "leadsync/core/process.hpp"
#include "leadsync/sync/push_settings.hpp"
#include "throttling.hpp"

#include <algorithm>
#include <fmt/format.h>
#include <set>

namespace leadsync::jobs {

namespace {

// Requests in flight at most: push.max_parallel, or "auto": the CRM's x-ms-dop-hint as the
// connection's limiter holds it.
int request_slots(const config::Config& config, const CrmLink& link) {
  if (config.push.max_parallel > 0) {
    return config.push.max_parallel;
  }
  (void)link.connection.client->who_am_i(); // sets the limiter from x-ms-dop-hint
  return link.connection.limiter->limit();
}

void add(sync::LeaseRecovery& into, const sync::LeaseRecovery& more) {
  into.freed += more.freed;
  for (const long pid : more.dead_pids) {
    if (std::find(into.dead_pids.begin(), into.dead_pids.end(), pid) == into.dead_pids.end()) {
      into.dead_pids.push_back(pid);
    }
  }
}

bool expired(const store::OutboxEntry& entry, store::TimePoint now) {
  return entry.lease_owner.empty() || !entry.lease_until || *entry.lease_until <= now;
}

} // namespace

Result<LeftForLater> left_for_later(store::OutboxStore& store, store::TimePoint now,
                                    std::size_t scan_limit) {
  LEADSYNC_TRY(const auto entries, store.pending_outbox(scan_limit));
  LeftForLater left;
  left.complete = entries.size() < scan_limit;
  // A lead whose oldest change waits for a retry holds back its later ones (claim_outbox takes
  // only the oldest entry of a lead): they wait too.
  std::set<std::string> waiting_leads;
  for (const auto& entry : entries) {
    if (!expired(entry, now)) {
      continue;
    }
    const bool tried = entry.attempts > 0 || (entry.not_before && *entry.not_before > now);
    if (!tried) {
      continue;
    }
    waiting_leads.insert(entry.lead_id);
    if (entry.last_error.find("throttled") != std::string::npos ||
        entry.last_error.find("HTTP 429") != std::string::npos) {
      ++left.throttled;
    }
    if (left.last_error.empty()) {
      left.last_error = entry.last_error;
    }
    const auto due = entry.not_before.value_or(now);
    if (!left.next_attempt || due < *left.next_attempt) {
      left.next_attempt = due;
    }
  }
  for (const auto& entry : entries) {
    if (!expired(entry, now)) {
      continue;
    }
    ++(waiting_leads.count(entry.lead_id) > 0 ? left.changes : left.untried);
  }
  left.leads = static_cast<std::int64_t>(waiting_leads.size());
  return left;
}

Result<PushOutcome> run_push(Runtime& runtime, const PushRequest& request,
                             const JobContext& context) {
  const auto& config = runtime.config();
  store::Store& store = runtime.store();
  LEADSYNC_TRY(CrmLink * link, runtime.crm());
  sync::PushSettings settings = sync::push_settings_from(config);
  settings.limit = request.limit;
  settings.worker_id = process_name(runtime.host(), runtime.pid()); // the pusher adds :<n>
  settings.crm_owned = link->crm_owned;

  PushOutcome outcome;
  outcome.dry_run = request.dry_run;
  outcome.mode = config.push.mode;
  if (request.dry_run) {
    sync::Pusher pusher(store, *link->crm, link->mapping, *link->lookups, runtime.clock(),
                        settings);
    LEADSYNC_TRY(outcome.requests, pusher.dry_run(request.limit.value_or(1000)));
    return outcome;
  }
  // A push killed earlier on this host left its changes leased; take them back now rather than
  // after the lease expires, so that this push sends them. Start-up recovery may have done it.
  outcome.taken_back = runtime.take_unreported_leases();
  LEADSYNC_TRY(const auto recovered, sync::recover_leases_of_dead_pushes(
                                         store, runtime.host(), runtime.pid(), runtime.alive()));
  add(outcome.taken_back, recovered);

  outcome.request_slots = request_slots(config, *link);
  settings.workers = sync::push_workers(outcome.request_slots);
  detail::ScopedCrm scoped(*link, context.cancel);
  sync::Pusher pusher(store, scoped.crm(), link->mapping, *link->lookups, runtime.clock(),
                      settings);

  LEADSYNC_TRY(auto recorder, RunRecorder::begin(store, runtime.clock(), "push"));
  std::optional<Result<sync::PushReport>> report;
  report.emplace(pusher.run(context.cancel));
  outcome.throttling = scoped.throttling();
  RunRecorder::Counts counts = report->ok() ? (*report)->counts() : RunRecorder::Counts{};
  counts["throttled"] = outcome.throttling.throttled;
  counts["waited_ms"] = outcome.throttling.waited.count();
  if (!report->ok()) {
    outcome.run = recorder.fail(report->error().describe(), std::move(counts));
    return fail(report->error());
  }
  outcome.report = std::move(*report).value();
  const auto& pushed = outcome.report;
  std::string message;
  if (pushed.dead_lettered > 0 || pushed.retried_later > 0) {
    message = fmt::format("{} dead-lettered, {} to retry later", pushed.dead_lettered,
                          pushed.retried_later);
  }
  LEADSYNC_TRY(outcome.run,
               recorder.finish({.problems = pushed.dead_lettered + pushed.retried_later,
                                .cancelled = context.cancel.cancelled(),
                                .nothing_worked = false},
                               std::move(counts), std::move(message)));
  if (auto holders = store.outbox_lease_holders(); holders.ok()) {
    outcome.other_holders = std::move(holders).value();
  }
  LEADSYNC_TRY(outcome.left, left_for_later(store, runtime.clock().now()));
  return outcome;
}

} // namespace leadsync::jobs
