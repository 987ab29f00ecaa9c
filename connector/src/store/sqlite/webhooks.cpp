// The SQLite store: The webhook queue (WebhookStore).

#include "sqlite/rows.hpp"
#include "sqlite/sqlite_store.hpp"

#include <algorithm>

namespace leadsync::store::sqlite {

// Webhook events. add_webhook_event's transaction is committed (in the write-ahead log) when it
// returns, so an event it accepted survives the process being killed the moment after; see the
// durability note at the top for an operating-system crash.
Result<AddWebhookEventResult> SqliteStore::add_webhook_event(const WebhookEvent& event) {
  LEADSYNC_CHECK(detail::check_webhook_event(event));
  const auto received_at = detail::received_at_millis(event, clock_.now());
  MutexLock lock(mutex_);
  LEADSYNC_TRY(auto transaction, Transaction::begin(database_));
  AddWebhookEventResult result;
  {
    LEADSYNC_TRY(auto insert,
                 database_.query("INSERT INTO webhook_events (dedupe_key, source, message, "
                                 "entity, crm_id, correlation_id, payload, received_at) "
                                 "VALUES (?, ?, ?, ?, ?, ?, ?, ?) "
                                 "ON CONFLICT (dedupe_key) DO NOTHING",
                                 event.dedupe_key, event.source, event.message, event.entity,
                                 event.crm_id, event.correlation_id, event.payload, received_at));
    LEADSYNC_CHECK(insert.run());
    result.added = database_.changes() > 0;
  }
  if (result.added) {
    result.seq = database_.last_insert_rowid();
  } else {
    LEADSYNC_TRY(auto known, database_.query("SELECT seq FROM webhook_events "
                                             "WHERE dedupe_key = ?",
                                             event.dedupe_key));
    LEADSYNC_TRY(const bool found, known.step());
    if (!found) {
      return fail(ErrorCategory::internal,
                  "webhook event " + event.dedupe_key + " was neither added nor found");
    }
    result.seq = known.integer(0);
  }
  LEADSYNC_CHECK(transaction.commit());
  return result;
}

// One UPDATE ... RETURNING takes the oldest claimable events; it runs under the database's
// write lock (BEGIN IMMEDIATE), so two workers, in this process or another, never get the same
// event while its lease runs.
Result<std::vector<WebhookEvent>>
SqliteStore::claim_webhook_events(const std::string& worker, std::size_t max_entries, TimePoint now,
                                  std::chrono::milliseconds lease) {
  LEADSYNC_CHECK(detail::check_webhook_claim(worker, lease));
  if (max_entries == 0) {
    return std::vector<WebhookEvent>{};
  }
  const std::int64_t now_millis = to_millis(now);
  MutexLock lock(mutex_);
  LEADSYNC_TRY(auto transaction, Transaction::begin(database_));
  std::vector<WebhookEvent> claimed;
  {
    LEADSYNC_TRY(auto query, database_.query(sql({"UPDATE webhook_events SET lease_owner = ?1, "
                                                  "lease_until = ?2 WHERE seq IN (SELECT seq FROM "
                                                  "webhook_events WHERE state = 'pending' "
                                                  "AND (lease_owner = '' OR lease_until < ?3) "
                                                  "AND coalesce(not_before, ?3) <= ?3 "
                                                  "ORDER BY seq LIMIT ?4) RETURNING ",
                                                  webhook_event_columns}),
                                             worker, now_millis + lease.count(), now_millis,
                                             sql_limit(max_entries)));
    LEADSYNC_TRY(claimed, read_webhook_events(query));
  }
  LEADSYNC_CHECK(transaction.commit());
  std::sort(claimed.begin(), claimed.end(),
            [](const WebhookEvent& a, const WebhookEvent& b) { return a.seq < b.seq; });
  return claimed;
}

// Like complete_outbox: every listed event the worker still holds is marked done (even when
// its lease expired unnoticed); the others are left alone and named in the error.
Status SqliteStore::complete_webhook_events(const std::vector<std::int64_t>& seqs,
                                            const std::string& worker, TimePoint now) {
  MutexLock lock(mutex_);
  LEADSYNC_TRY(auto transaction, Transaction::begin(database_));
  std::vector<std::int64_t> lost;
  std::vector<std::int64_t> missing;
  for (const auto seq : seqs) {
    LEADSYNC_TRY(const auto owner, webhook_lease_owner(seq));
    if (!owner) {
      missing.push_back(seq);
    } else if (worker.empty() || *owner != worker) {
      lost.push_back(seq);
    } else {
      LEADSYNC_CHECK(finish_webhook_event(seq, WebhookEventState::done, std::nullopt, now));
    }
  }
  LEADSYNC_CHECK(transaction.commit());
  return detail::webhook_completion(lost, missing, worker);
}

Status SqliteStore::retry_webhook_event(std::int64_t seq, const std::string& worker,
                                        const std::string& error, TimePoint not_before) {
  MutexLock lock(mutex_);
  LEADSYNC_TRY(auto transaction, Transaction::begin(database_));
  LEADSYNC_CHECK(require_webhook_lease(seq, worker));
  {
    LEADSYNC_TRY(auto update, database_.query("UPDATE webhook_events SET attempts = attempts + "
                                              "1, last_error = ?, not_before = ?, "
                                              "lease_owner = '', lease_until = NULL "
                                              "WHERE seq = ?",
                                              error, to_millis(not_before), seq));
    LEADSYNC_CHECK(update.run());
  }
  return transaction.commit();
}

Status SqliteStore::fail_webhook_event(std::int64_t seq, const std::string& worker,
                                       const std::string& error, TimePoint now) {
  MutexLock lock(mutex_);
  LEADSYNC_TRY(auto transaction, Transaction::begin(database_));
  LEADSYNC_CHECK(require_webhook_lease(seq, worker));
  LEADSYNC_CHECK(finish_webhook_event(seq, WebhookEventState::failed, error, now));
  return transaction.commit();
}

Result<WebhookQueueStats> SqliteStore::webhook_queue_stats() {
  MutexLock lock(mutex_);
  LEADSYNC_TRY(auto query, database_.query("SELECT coalesce(sum(state = 'pending'), 0), "
                                           "coalesce(sum(state = 'done'), 0), "
                                           "coalesce(sum(state = 'failed'), 0), "
                                           "min(CASE WHEN state = 'pending' THEN received_at END) "
                                           "FROM webhook_events"));
  LEADSYNC_CHECK(query.step());
  return WebhookQueueStats{.pending = query.integer(0),
                           .done = query.integer(1),
                           .failed = query.integer(2),
                           .oldest_pending = from_millis(query.optional_integer(3))};
}

Result<std::vector<WebhookEvent>> SqliteStore::list_webhook_events(std::size_t limit) {
  MutexLock lock(mutex_);
  LEADSYNC_TRY(auto query, database_.query(sql({"SELECT ", webhook_event_columns,
                                                " FROM webhook_events ORDER BY seq DESC LIMIT ?"}),
                                           sql_limit(limit)));
  return read_webhook_events(query);
}

Result<std::int64_t> SqliteStore::prune_webhook_events(TimePoint before) {
  MutexLock lock(mutex_);
  LEADSYNC_TRY(auto remove, database_.query("DELETE FROM webhook_events WHERE state <> "
                                            "'pending' AND finished_at < ?",
                                            to_millis(before)));
  LEADSYNC_CHECK(remove.run());
  return database_.changes();
}

// The holder of a pending webhook event ("" when free); for a finished one "\x01", which no
// worker name equals (worker names are printable); nullopt when there is no such event.
Result<std::optional<std::string>> SqliteStore::webhook_lease_owner(std::int64_t seq) {
  LEADSYNC_TRY(auto query, database_.query("SELECT CASE WHEN state = 'pending' THEN lease_owner "
                                           "ELSE char(1) END FROM webhook_events WHERE seq = ?",
                                           seq));
  LEADSYNC_TRY(const bool found, query.step());
  if (!found) {
    return std::optional<std::string>();
  }
  return std::optional(query.text(0));
}

Status SqliteStore::require_webhook_lease(std::int64_t seq, const std::string& worker) {
  LEADSYNC_TRY(const auto owner, webhook_lease_owner(seq));
  if (!owner) {
    return detail::webhook_event_gone(seq);
  }
  if (worker.empty() || *owner != worker) {
    return detail::webhook_lease_lost(seq, worker);
  }
  return ok_status();
}

// Inside a transaction: done (error nullopt: attempts and last error stay) or failed (the
// attempt counts, its error kept); the lease is dropped either way.
Status SqliteStore::finish_webhook_event(std::int64_t seq, WebhookEventState state,
                                         const std::optional<std::string>& error, TimePoint now) {
  LEADSYNC_TRY(auto update,
               database_.query("UPDATE webhook_events SET state = ?1, "
                               "attempts = attempts + (?2 IS NOT NULL), "
                               "last_error = coalesce(?2, last_error), finished_at = ?3, "
                               "not_before = NULL, lease_owner = '', lease_until = NULL "
                               "WHERE seq = ?4",
                               to_string(state), error ? SqlValue(*error) : SqlValue(nullptr),
                               to_millis(now), seq));
  return update.run();
}

} // namespace leadsync::store::sqlite
