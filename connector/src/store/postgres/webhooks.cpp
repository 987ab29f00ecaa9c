// The PostgreSQL store: the webhook queue (WebhookStore).
//
// Semantics and error messages are those of the SQLite store (sqlite/webhooks.cpp). The
// webhook queue is claimed like the outbox (postgres_store.hpp): a CTE picks the oldest claimable
// events FOR UPDATE SKIP LOCKED, so workers on several hosts claiming at once skip each other's
// rows instead of waiting for them, and never get the same event while its lease runs.

#include "detail/rules.hpp"
#include "postgres/detail/sql.hpp"
#include "postgres/postgres_store.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace leadsync::store::postgres {
namespace {

using store::detail::webhook_event_gone;
using store::detail::webhook_lease_lost;

constexpr std::string_view webhook_event_columns =
    "seq, dedupe_key, source, message, entity, crm_id, correlation_id, payload, received_at, "
    "state, attempts, last_error, not_before, lease_owner, lease_until, finished_at";

// Rows of webhook_event_columns, in the order given.
Result<std::vector<WebhookEvent>> read_webhook_events(const pqxx::result& rows) {
  std::vector<WebhookEvent> events;
  events.reserve(rows.size());
  for (const auto& row : rows) {
    WebhookEvent event;
    event.seq = row[0].as<std::int64_t>();
    event.dedupe_key = row[1].as<std::string>();
    event.source = row[2].as<std::string>();
    event.message = row[3].as<std::string>();
    event.entity = row[4].as<std::string>();
    event.crm_id = row[5].as<std::string>();
    event.correlation_id = row[6].as<std::string>();
    event.payload = row[7].as<std::string>();
    event.received_at = from_millis(row[8].as<std::int64_t>());
    LEADSYNC_TRY(event.state, store::detail::parse_webhook_state(view_of(row[9])));
    event.attempts = row[10].as<int>();
    event.last_error = row[11].as<std::string>();
    event.not_before = optional_time(row[12]);
    event.lease_owner = row[13].as<std::string>();
    event.lease_until = optional_time(row[14]);
    event.finished_at = optional_time(row[15]);
    events.push_back(std::move(event));
  }
  return events;
}

// Inside a transaction: the error for an event `worker` could not finish because it does not hold
// it (not_found when there is no such event).
Status lease_refusal(pqxx::work& work, std::int64_t seq, const std::string& worker) {
  if (work.exec_params("SELECT 1 FROM webhook_events WHERE seq = $1", seq).empty()) {
    return webhook_event_gone(seq);
  }
  return webhook_lease_lost(seq, worker);
}

} // namespace

// Stored (and the wake-up sent) when add_webhook_event returns: the daemon answers the webhook
// only after that.
Result<AddWebhookEventResult> PostgresStore::add_webhook_event(const WebhookEvent& event) {
  LEADSYNC_CHECK(store::detail::check_webhook_event(event));
  const auto received_at = store::detail::received_at_millis(event, clock_.now());
  AddWebhookEventResult result;
  LEADSYNC_CHECK(pool_->transact("store a webhook event", [&](pqxx::work& work) -> Status {
    result = AddWebhookEventResult{};
    // A concurrent add of the same key waits on the unique index for the first one's outcome.
    const auto inserted = work.exec_params(
        "INSERT INTO webhook_events (dedupe_key, source, message, entity, crm_id, "
        "correlation_id, payload, received_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) "
        "ON CONFLICT (dedupe_key) DO NOTHING RETURNING seq",
        event.dedupe_key, event.source, event.message, event.entity, event.crm_id,
        event.correlation_id, event.payload, received_at);
    if (!inserted.empty()) {
      result.added = true;
      result.seq = inserted[0][0].as<std::int64_t>();
      // Delivered at commit to every LISTENing waiter (open_work_waiter). The payload names the
      // schema, so that waiters of stores in other schemas of the database ignore it.
      work.exec_params("SELECT pg_notify($1, coalesce(current_schema(), ''))",
                       std::string(work_channel));
      return ok_status();
    }
    const auto known =
        work.exec_params("SELECT seq FROM webhook_events WHERE dedupe_key = $1", event.dedupe_key);
    if (known.empty()) {
      return fail(ErrorCategory::internal,
                  "webhook event " + event.dedupe_key + " was neither added nor found");
    }
    result.seq = known[0][0].as<std::int64_t>();
    return ok_status();
  }));
  return result;
}

Result<std::vector<WebhookEvent>>
PostgresStore::claim_webhook_events(const std::string& worker, std::size_t max_entries,
                                    TimePoint now, std::chrono::milliseconds lease) {
  LEADSYNC_CHECK(store::detail::check_webhook_claim(worker, lease));
  if (max_entries == 0) {
    return std::vector<WebhookEvent>{};
  }
  const std::int64_t now_millis = to_millis(now);
  std::vector<WebhookEvent> claimed;
  LEADSYNC_CHECK(pool_->transact("claim webhook events", [&](pqxx::work& work) -> Status {
    claimed.clear();
    // A lease runs up to and including lease_until. The LIMIT sits in the CTE, never in an
    // IN (subquery) (PostgreSQL BUG #15715, daemon-scaleout.md A.10). A row another claimer
    // updated meanwhile is re-checked against the WHERE when locked, so it is not taken twice.
    const auto rows = work.exec_params(
        "WITH candidates AS (SELECT seq AS candidate FROM webhook_events "
        "WHERE state = 'pending' AND (lease_owner = '' OR lease_until < $3::bigint) "
        "AND coalesce(not_before, $3::bigint) <= $3::bigint "
        "ORDER BY seq LIMIT $4::bigint FOR UPDATE SKIP LOCKED) "
        "UPDATE webhook_events SET lease_owner = $1, lease_until = $2::bigint "
        "FROM candidates WHERE seq = candidates.candidate RETURNING " +
            std::string(webhook_event_columns),
        worker, now_millis + lease.count(), now_millis, sql_limit(max_entries));
    LEADSYNC_TRY(claimed, read_webhook_events(rows));
    return ok_status();
  }));
  // RETURNING's order is unspecified.
  std::sort(claimed.begin(), claimed.end(),
            [](const WebhookEvent& a, const WebhookEvent& b) { return a.seq < b.seq; });
  return claimed;
}

// Like complete_outbox: every listed event the worker still holds is marked done (even when its
// lease expired unnoticed); the others are left alone and named in the error.
Status PostgresStore::complete_webhook_events(const std::vector<std::int64_t>& seqs,
                                              const std::string& worker, TimePoint now) {
  std::vector<std::int64_t> lost;
  std::vector<std::int64_t> missing;
  LEADSYNC_CHECK(pool_->transact("complete webhook events", [&](pqxx::work& work) -> Status {
    lost.clear();
    missing.clear();
    std::multiset<std::int64_t> done;
    std::set<std::int64_t> existing;
    if (!seqs.empty()) {
      const std::string array = bigint_array(seqs);
      if (!worker.empty()) {
        for (const auto& row : work.exec_params(
                 "UPDATE webhook_events SET state = 'done', finished_at = $3, not_before = NULL, "
                 "lease_owner = '', lease_until = NULL WHERE seq = ANY($1::bigint[]) "
                 "AND state = 'pending' AND lease_owner = $2 RETURNING seq",
                 array, worker, to_millis(now))) {
          done.insert(row[0].as<std::int64_t>());
        }
      }
      for (const auto& row : work.exec_params(
               "SELECT seq FROM webhook_events WHERE seq = ANY($1::bigint[])", array)) {
        existing.insert(row[0].as<std::int64_t>());
      }
    }
    // In the order given; a seq listed twice is finished by its first mention (as in SQLite).
    for (const auto seq : seqs) {
      if (const auto at = done.find(seq); at != done.end()) {
        done.erase(at);
      } else if (existing.count(seq) == 0) {
        missing.push_back(seq);
      } else {
        lost.push_back(seq);
      }
    }
    return ok_status();
  }));
  return store::detail::webhook_completion(lost, missing, worker);
}

Status PostgresStore::retry_webhook_event(std::int64_t seq, const std::string& worker,
                                          const std::string& error, TimePoint not_before) {
  return pool_->transact("retry a webhook event", [&](pqxx::work& work) -> Status {
    if (!worker.empty() &&
        !work.exec_params("UPDATE webhook_events SET attempts = attempts + 1, last_error = $3, "
                          "not_before = $4, lease_owner = '', lease_until = NULL "
                          "WHERE seq = $1 AND state = 'pending' AND lease_owner = $2 "
                          "RETURNING seq",
                          seq, worker, error, to_millis(not_before))
             .empty()) {
      return ok_status();
    }
    return lease_refusal(work, seq, worker);
  });
}

Status PostgresStore::fail_webhook_event(std::int64_t seq, const std::string& worker,
                                         const std::string& error, TimePoint now) {
  return pool_->transact("give up a webhook event", [&](pqxx::work& work) -> Status {
    if (!worker.empty() &&
        !work.exec_params("UPDATE webhook_events SET state = 'failed', attempts = attempts + 1, "
                          "last_error = $3, finished_at = $4, not_before = NULL, "
                          "lease_owner = '', lease_until = NULL "
                          "WHERE seq = $1 AND state = 'pending' AND lease_owner = $2 "
                          "RETURNING seq",
                          seq, worker, error, to_millis(now))
             .empty()) {
      return ok_status();
    }
    return lease_refusal(work, seq, worker);
  });
}

Result<WebhookQueueStats> PostgresStore::webhook_queue_stats() {
  WebhookQueueStats stats;
  LEADSYNC_CHECK(pool_->transact("count webhook events", [&](pqxx::work& work) -> Status {
    const auto row = work.exec1("SELECT count(*) FILTER (WHERE state = 'pending'), "
                                "count(*) FILTER (WHERE state = 'done'), "
                                "count(*) FILTER (WHERE state = 'failed'), "
                                "min(received_at) FILTER (WHERE state = 'pending') "
                                "FROM webhook_events");
    stats = WebhookQueueStats{.pending = row[0].as<std::int64_t>(),
                              .done = row[1].as<std::int64_t>(),
                              .failed = row[2].as<std::int64_t>(),
                              .oldest_pending = optional_time(row[3])};
    return ok_status();
  }));
  return stats;
}

Result<std::vector<WebhookEvent>> PostgresStore::list_webhook_events(std::size_t limit) {
  std::vector<WebhookEvent> events;
  LEADSYNC_CHECK(pool_->transact("list webhook events", [&](pqxx::work& work) -> Status {
    LEADSYNC_TRY(events, read_webhook_events(
                             work.exec_params("SELECT " + std::string(webhook_event_columns) +
                                                  " FROM webhook_events ORDER BY seq DESC LIMIT $1",
                                              sql_limit(limit))));
    return ok_status();
  }));
  return events;
}

Result<std::int64_t> PostgresStore::prune_webhook_events(TimePoint before) {
  std::int64_t removed = 0;
  LEADSYNC_CHECK(pool_->transact("prune webhook events", [&](pqxx::work& work) -> Status {
    removed = static_cast<std::int64_t>(
        work.exec_params("DELETE FROM webhook_events WHERE state <> 'pending' "
                         "AND finished_at < $1",
                         to_millis(before))
            .affected_rows());
    return ok_status();
  }));
  return removed;
}

} // namespace leadsync::store::postgres
