// The SQLite store: The outbox (OutboxStore).

#include "sqlite/rows.hpp"
#include "sqlite/sqlite_store.hpp"

#include <algorithm>

namespace leadsync::store::sqlite {

// Only the oldest entry of each lead is claimable: a lead's next change goes out only after the
// previous one was completed or dead-lettered, so changes of one lead reach the CRM in order and
// at most one worker holds a lead's changes at a time.
Result<std::vector<OutboxEntry>> SqliteStore::claim_outbox(const ClaimRequest& request) {
  LEADSYNC_CHECK(detail::check_claim(request));
  if (request.max_entries == 0) {
    return std::vector<OutboxEntry>{};
  }
  MutexLock lock(mutex_);
  const std::int64_t now = to_millis(clock_.now());
  const std::int64_t lease_until =
      now + std::chrono::duration_cast<std::chrono::milliseconds>(request.lease).count();
  LEADSYNC_TRY(auto transaction, Transaction::begin(database_));
  std::vector<OutboxEntry> claimed;
  {
    LEADSYNC_TRY(
        auto query,
        database_.query(sql({"UPDATE outbox SET lease_owner = ?1, lease_until = ?2 "
                             "WHERE seq IN (SELECT entry.seq FROM outbox AS entry "
                             "WHERE (entry.lease_owner = '' OR entry.lease_until < ?3) "
                             "AND coalesce(entry.not_before, ?3) <= ?3 "
                             "AND NOT EXISTS (SELECT 1 FROM outbox AS older "
                             "WHERE older.lead_id = entry.lead_id AND older.seq < entry.seq) "
                             "ORDER BY entry.seq LIMIT ?4) RETURNING ",
                             outbox_columns}),
                        request.worker, lease_until, now, sql_limit(request.max_entries)));
    LEADSYNC_TRY(claimed, read_outbox_entries(query));
  }
  LEADSYNC_CHECK(transaction.commit());
  std::sort(claimed.begin(), claimed.end(),
            [](const OutboxEntry& a, const OutboxEntry& b) { return a.seq < b.seq; });
  return claimed;
}

Result<std::map<std::string, std::int64_t>> SqliteStore::outbox_lease_holders() {
  MutexLock lock(mutex_);
  LEADSYNC_TRY(auto query,
               database_.query("SELECT lease_owner, count(*) FROM outbox WHERE lease_owner <> '' "
                               "AND lease_until >= ? GROUP BY lease_owner",
                               to_millis(clock_.now())));
  std::map<std::string, std::int64_t> holders;
  while (true) {
    LEADSYNC_TRY(const bool row, query.step());
    if (!row) {
      return holders;
    }
    holders.emplace(query.text(0), query.integer(1));
  }
}

Result<std::int64_t> SqliteStore::release_leases_of(const std::string& worker_prefix) {
  LEADSYNC_CHECK(detail::check_release_prefix(worker_prefix));
  MutexLock lock(mutex_);
  // substr rather than LIKE: a worker name may hold '%' or '_'.
  LEADSYNC_TRY(
      auto query,
      database_.query("UPDATE outbox SET lease_owner = '', lease_until = NULL "
                      "WHERE lease_owner <> '' AND substr(lease_owner, 1, length(?1)) = ?1",
                      worker_prefix));
  LEADSYNC_CHECK(query.run());
  return database_.changes();
}

// Deletes every listed entry the worker still holds (even when its lease expired unnoticed).
// Entries it no longer holds are left for their new holder and reported in the error.
Status SqliteStore::complete_outbox(const std::vector<std::int64_t>& seqs,
                                    const std::string& worker) {
  MutexLock lock(mutex_);
  LEADSYNC_TRY(auto transaction, Transaction::begin(database_));
  std::vector<std::int64_t> lost;
  std::vector<std::int64_t> missing;
  for (const auto seq : seqs) {
    LEADSYNC_TRY(const auto owner, lease_owner(seq));
    if (!owner) {
      missing.push_back(seq);
    } else if (*owner != worker || worker.empty()) {
      lost.push_back(seq);
    } else {
      LEADSYNC_TRY(auto remove, database_.query("DELETE FROM outbox WHERE seq = ?", seq));
      LEADSYNC_CHECK(remove.run());
    }
  }
  LEADSYNC_CHECK(transaction.commit());
  return detail::outbox_completion(lost, missing, worker);
}

Status SqliteStore::release_outbox(std::int64_t seq, const std::string& worker,
                                   const std::string& error, std::optional<TimePoint> not_before) {
  MutexLock lock(mutex_);
  LEADSYNC_TRY(auto transaction, Transaction::begin(database_));
  LEADSYNC_CHECK(require_lease(seq, worker));
  {
    LEADSYNC_TRY(auto update,
                 database_.query("UPDATE outbox SET attempts = attempts + 1, last_error = ?, "
                                 "not_before = ?, lease_owner = '', lease_until = NULL "
                                 "WHERE seq = ?",
                                 error, to_millis(not_before), seq));
    LEADSYNC_CHECK(update.run());
  }
  return transaction.commit();
}

Result<DeadLetter> SqliteStore::dead_letter_outbox(std::int64_t seq, const std::string& worker,
                                                   const Error& error) {
  MutexLock lock(mutex_);
  LEADSYNC_TRY(auto transaction, Transaction::begin(database_));
  LEADSYNC_CHECK(require_lease(seq, worker));
  OutboxEntry entry;
  {
    LEADSYNC_TRY(
        auto query,
        database_.query(sql({"SELECT ", outbox_columns, " FROM outbox WHERE seq = ?"}), seq));
    LEADSYNC_TRY(auto entries, read_outbox_entries(query));
    entry = std::move(entries.front()); // require_lease found it
  }
  DeadLetter letter;
  letter.lead_id = entry.lead_id;
  letter.operation = entry.operation;
  letter.outbox_seq = entry.seq;
  letter.error_category = std::string(leadsync::to_string(error.category));
  letter.http_status = error.http_status;
  letter.service_code = error.service_code;
  letter.message = error.message;
  letter.attempts = entry.attempts + 1; // the attempt that failed for good counts too
  letter.created_at = now();
  {
    LEADSYNC_TRY(auto insert,
                 database_.query("INSERT INTO dead_letters (lead_id, operation, lead_version, "
                                 "outbox_seq, error_category, http_status, service_code, message, "
                                 "attempts, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                                 letter.lead_id, to_string(letter.operation), entry.lead_version,
                                 letter.outbox_seq, letter.error_category, letter.http_status,
                                 letter.service_code, letter.message, letter.attempts,
                                 to_millis(letter.created_at)));
    LEADSYNC_CHECK(insert.run());
    letter.id = database_.last_insert_rowid();
  }
  {
    LEADSYNC_TRY(auto remove, database_.query("DELETE FROM outbox WHERE seq = ?", seq));
    LEADSYNC_CHECK(remove.run());
  }
  LEADSYNC_CHECK(transaction.commit());
  return letter;
}

Result<std::vector<OutboxEntry>> SqliteStore::pending_outbox(std::size_t limit) {
  MutexLock lock(mutex_);
  LEADSYNC_TRY(auto query, database_.query(sql({"SELECT ", outbox_columns,
                                                " FROM outbox ORDER BY seq LIMIT ?"}),
                                           sql_limit(limit)));
  return read_outbox_entries(query);
}

Status SqliteStore::enqueue(const std::string& lead_id, OutboxOperation operation,
                            std::int64_t lead_version, TimePoint created_at) {
  LEADSYNC_TRY(auto insert,
               database_.query("INSERT INTO outbox (lead_id, operation, lead_version, created_at) "
                               "VALUES (?, ?, ?, ?)",
                               lead_id, to_string(operation), lead_version, to_millis(created_at)));
  return insert.run();
}

// The worker holding the entry, or nullopt when the entry does not exist.
Result<std::optional<std::string>> SqliteStore::lease_owner(std::int64_t seq) {
  LEADSYNC_TRY(auto query, database_.query("SELECT lease_owner FROM outbox WHERE seq = ?", seq));
  LEADSYNC_TRY(const bool found, query.step());
  if (!found) {
    return std::optional<std::string>();
  }
  return std::optional(query.text(0));
}

Status SqliteStore::require_lease(std::int64_t seq, const std::string& worker) {
  LEADSYNC_TRY(const auto owner, lease_owner(seq));
  if (!owner) {
    return detail::outbox_entry_gone(seq);
  }
  if (worker.empty() || *owner != worker) {
    return detail::outbox_lease_lost(seq, worker);
  }
  return ok_status();
}

} // namespace leadsync::store::sqlite
