#include "leadsync/jobs/webhook_events.hpp"

#include "leadsync/core/log.hpp"
#include "leadsync/dataverse/webhook_payload.hpp"
#include "leadsync/jobs/enrich.hpp"
#include "leadsync/jobs/qualify.hpp"
#include "leadsync/mapping/convert.hpp"
#include "leadsync/odata/filter.hpp"
#include "leadsync/sync/pull.hpp"
#include "throttling.hpp"

#include <algorithm>
#include <fmt/format.h>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

namespace leadsync::jobs {

namespace {

using Json = nlohmann::json;
constexpr const char* leads_entity_set = "leads";
// leadid values per query: "leadid eq <guid> or ..." stays well under URL length limits.
constexpr std::size_t ids_per_query = 50;
constexpr std::chrono::minutes max_retry_delay{10};

// Whether a stored notification is about a lead our own push created: its Target carries our
// key column, and that lead is ours.
bool own_create(const store::WebhookEvent& event, const std::string& key_column,
                store::Store& store) {
  if (event.payload.empty()) {
    return false;
  }
  auto notification = dataverse::parse_webhook_notification(event.payload, {});
  if (!notification.ok()) {
    return false;
  }
  const auto key = notification->target_attributes.find(key_column);
  if (key == notification->target_attributes.end()) {
    return false;
  }
  // The value is kept as compact JSON: a string arrives quoted.
  const std::string& quoted = key->second;
  if (quoted.size() < 3 || quoted.front() != '"' || quoted.back() != '"') {
    return false;
  }
  auto lead = store.get_lead(quoted.substr(1, quoted.size() - 2));
  return lead.ok() && (lead->identity.crm_id.empty() || lead->identity.crm_id == event.crm_id);
}

// The current rows of these leads, by leadid; a lead deleted in the CRM is simply absent.
Result<std::map<std::string, Json>> read_leads(CrmLink& link, const std::vector<std::string>& ids,
                                               const http::CallScope& scope) {
  std::map<std::string, Json> rows;
  auto select = mapping::select_columns(link.mapping);
  for (std::size_t start = 0; start < ids.size(); start += ids_per_query) {
    const std::size_t end = std::min(ids.size(), start + ids_per_query);
    odata::Filter filter = odata::eq("leadid", odata::Guid{ids[start]});
    for (std::size_t index = start + 1; index < end; ++index) {
      filter = filter || odata::eq("leadid", odata::Guid{ids[index]});
    }
    odata::Query query;
    query.select = select;
    query.filter = filter;
    LEADSYNC_TRY(auto page, link.connection.client->retrieve_all(leads_entity_set, query, scope));
    for (auto& row : page) {
      const auto id = row.value("leadid", std::string());
      rows.emplace(id, std::move(row));
    }
  }
  return rows;
}

std::chrono::milliseconds retry_delay(const WebhookJobSettings& settings, int attempts) {
  auto delay = std::chrono::duration_cast<std::chrono::milliseconds>(settings.first_retry_delay);
  for (int attempt = 1; attempt < attempts && delay < max_retry_delay; ++attempt) {
    delay *= 2;
  }
  return std::min<std::chrono::milliseconds>(delay, max_retry_delay);
}

} // namespace

Result<WebhookEventsOutcome> run_webhook_events(Runtime& runtime,
                                                const WebhookJobSettings& settings,
                                                const JobContext& context) {
  store::Store& store = runtime.store();
  Clock& clock = runtime.clock();
  WebhookEventsOutcome outcome;
  LEADSYNC_TRY(auto events, store.claim_webhook_events(settings.worker, settings.batch_size,
                                                       clock.now(), settings.lease));
  if (events.empty()) {
    return outcome;
  }
  outcome.claimed = static_cast<std::int64_t>(events.size());
  LEADSYNC_TRY(auto recorder, RunRecorder::begin(store, clock, "webhook"));
  const auto& config = runtime.config();

  // Gives the events back (or up), when a step that they all need failed.
  const auto give_back = [&](const std::vector<store::WebhookEvent>& batch, const Error& error) {
    for (const auto& event : batch) {
      const int attempts = event.attempts + 1;
      if (attempts >= settings.max_attempts) {
        (void)store.fail_webhook_event(event.seq, settings.worker, error.describe(), clock.now());
        ++outcome.failed;
      } else {
        (void)store.retry_webhook_event(event.seq, settings.worker, error.describe(),
                                        clock.now() + retry_delay(settings, attempts));
        ++outcome.retried;
      }
    }
  };
  const auto counts = [&] {
    return RunRecorder::Counts{{"claimed", outcome.claimed},
                               {"processed", outcome.processed},
                               {"own", outcome.own},
                               {"gone", outcome.gone},
                               {"retried", outcome.retried},
                               {"failed", outcome.failed},
                               {"enriched", outcome.enriched},
                               {"scored", outcome.scored},
                               {"pushed", outcome.pushed},
                               {"throttled", outcome.throttling.throttled},
                               {"waited_ms", outcome.throttling.waited.count()}};
  };

  // Our own creates need nothing; the others need their current row.
  std::vector<store::WebhookEvent> work;
  std::vector<std::int64_t> done_now;
  for (auto& event : events) {
    if (own_create(event, config.crm.alternate_key, store)) {
      done_now.push_back(event.seq);
      ++outcome.own;
    } else {
      work.push_back(std::move(event));
    }
  }
  if (!done_now.empty()) {
    LEADSYNC_CHECK(store.complete_webhook_events(done_now, settings.worker, clock.now()));
  }
  if (work.empty()) {
    LEADSYNC_TRY(
        outcome.run,
        recorder.finish({.problems = 0, .cancelled = false, .nothing_worked = false}, counts(),
                        fmt::format("{} notification(s) of our own creates", outcome.own)));
    return outcome;
  }

  auto link = runtime.crm();
  if (!link.ok()) {
    give_back(work, link.error());
    outcome.run = recorder.fail(link.error().describe(), counts());
    return outcome;
  }
  detail::ScopedCrm scoped(**link, context.cancel);
  const http::CallScope& scope = scoped.scope();
  std::vector<std::string> ids;
  for (const auto& event : work) {
    if (std::find(ids.begin(), ids.end(), event.crm_id) == ids.end()) {
      ids.push_back(event.crm_id);
    }
  }
  auto rows = read_leads(**link, ids, scope);
  if (!rows.ok()) {
    give_back(work, rows.error());
    outcome.run = recorder.fail(rows.error().describe(), counts());
    return outcome;
  }

  // 2. Into the store, as a pull takes a changed row.
  sync::PullSettings pull_settings;
  pull_settings.key_column = config.crm.alternate_key;
  pull_settings.crm_owned = (*link)->crm_owned;
  sync::Puller puller(store, scoped.crm(), (*link)->mapping, *(*link)->lookups, pull_settings);
  std::vector<Json> found;
  for (const auto& id : ids) {
    if (const auto row = rows->find(id); row != rows->end()) {
      found.push_back(row->second);
    }
  }
  auto applied = puller.apply_rows(found);
  if (!applied.ok()) {
    give_back(work, applied.error());
    outcome.run = recorder.fail(applied.error().describe(), counts());
    return outcome;
  }
  std::vector<std::string> lead_ids;
  for (const auto& id : ids) {
    if (rows->count(id) == 0) {
      continue;
    }
    auto leads = store.find_by_crm_id(id);
    if (leads.ok()) {
      for (const auto& lead : *leads) {
        if (!lead.deleted) {
          lead_ids.push_back(lead.identity.id);
        }
      }
    }
  }

  // 3. Enrich, then score, only these leads; the webhook run is the one recorded.
  if (!config.enrich.providers.empty() && !lead_ids.empty()) {
    auto enricher = runtime.enricher();
    if (enricher.ok()) {
      enrich::EnrichRequest request;
      request.selection = enrich::Selection::listed;
      request.lead_ids = lead_ids;
      request.record_run = false;
      request.cancel = context.cancel;
      const auto enriched = (**enricher).run(request);
      if (enriched.ok()) {
        outcome.enriched = enriched->enriched;
        outcome.fields_filled = enriched->fields_filled;
        for (const auto& warning : enriched->warnings) {
          outcome.warnings.push_back("enrich: " + warning);
        }
      } else {
        outcome.warnings.push_back("enrich: " + enriched.error().message);
      }
    } else {
      outcome.warnings.push_back("enrich: " + enricher.error().message);
    }
  }
  if (!lead_ids.empty()) {
    auto rules = runtime.rules();
    if (rules.ok()) {
      qualify::QualifyRequest request;
      request.reactivate_when_hot = config.qualify.reactivate_when_hot;
      request.cancel = context.cancel;
      request.lead_ids = lead_ids;
      request.record_run = false;
      auto scored = qualify::run_qualify(**rules, store, clock, request);
      if (scored.ok()) {
        outcome.scored = scored->changed;
      } else {
        outcome.warnings.push_back("qualify: " + scored.error().message);
      }
    } else {
      outcome.warnings.push_back("qualify: " + rules.error().message);
    }
  }

  // 4. Push: the new lead's key, enriched fields, scores and decision, as an update by leadid.
  auto pushed = run_push(runtime, PushRequest{}, context);
  outcome.throttling = scoped.throttling();
  if (pushed.ok()) {
    outcome.pushed = pushed->report.upserted;
    outcome.throttling.throttled += pushed->throttling.throttled;
    outcome.throttling.waited += pushed->throttling.waited;
  } else {
    // The changes stay in the outbox: the next push (scheduled, or the next event's) sends them.
    outcome.warnings.push_back("push: " + pushed.error().message);
  }

  const auto now = clock.now();
  std::vector<std::int64_t> done;
  for (const auto& event : work) {
    done.push_back(event.seq);
    if (rows->count(event.crm_id) == 0) {
      ++outcome.gone;
      continue;
    }
    ++outcome.processed;
    outcome.lags.push_back(
        std::chrono::duration_cast<std::chrono::milliseconds>(now - event.received_at));
  }
  LEADSYNC_CHECK(store.complete_webhook_events(done, settings.worker, now));
  for (const auto& warning : outcome.warnings) {
    log::get()->warn("webhook events: {}", warning);
  }
  LEADSYNC_TRY(outcome.run,
               recorder.finish({.problems = static_cast<std::int64_t>(outcome.warnings.size()),
                                .cancelled = context.cancel.cancelled(),
                                .nothing_worked = false},
                               counts(),
                               fmt::format("{} lead(s) from the CRM enriched, scored and written "
                                           "back; {} own, {} gone",
                                           outcome.processed, outcome.own, outcome.gone)));
  return outcome;
}

} // namespace leadsync::jobs
