// The SQLite store: Enrichment state: answer cache, usage ledger, pending lookups, feed index
// (EnrichmentStore).

#include "sqlite/rows.hpp"
#include "sqlite/sqlite_store.hpp"

namespace leadsync::store::sqlite {

// ---- enrichment
Result<std::optional<CachedAnswer>>
SqliteStore::get_cached_answer(const std::string& provider, const std::string& key, TimePoint at) {
  MutexLock lock(mutex_);
  LEADSYNC_TRY(auto query, database_.query("SELECT answer, matched, fetched_at, expires_at "
                                           "FROM enrichment_cache WHERE provider = ? AND key = ? "
                                           "AND expires_at > ?",
                                           provider, key, to_millis(at)));
  LEADSYNC_TRY(const bool found, query.step());
  if (!found) {
    return std::optional<CachedAnswer>();
  }
  return std::optional(CachedAnswer{.provider = provider,
                                    .key = key,
                                    .answer = query.text(0),
                                    .matched = query.integer(1) != 0,
                                    .fetched_at = from_millis(query.integer(2)),
                                    .expires_at = from_millis(query.integer(3))});
}

Status SqliteStore::put_cached_answers(const std::vector<CachedAnswer>& answers) {
  LEADSYNC_CHECK(detail::check_cached_answers(answers));
  if (answers.empty()) {
    return ok_status();
  }
  MutexLock lock(mutex_);
  LEADSYNC_TRY(auto transaction, Transaction::begin(database_));
  for (const auto& answer : answers) {
    LEADSYNC_TRY(auto upsert,
                 database_.query("INSERT INTO enrichment_cache (provider, key, answer, matched, "
                                 "fetched_at, expires_at) VALUES (?, ?, ?, ?, ?, ?) "
                                 "ON CONFLICT (provider, key) DO UPDATE SET "
                                 "answer = excluded.answer, matched = excluded.matched, "
                                 "fetched_at = excluded.fetched_at, "
                                 "expires_at = excluded.expires_at",
                                 answer.provider, answer.key, answer.answer, answer.matched,
                                 to_millis(answer.fetched_at), to_millis(answer.expires_at)));
    LEADSYNC_CHECK(upsert.run());
  }
  return transaction.commit();
}

// Deletes what get_cached_answer no longer returns at `at` (expires_at <= at).
Result<std::int64_t> SqliteStore::prune_cached_answers(TimePoint at) {
  MutexLock lock(mutex_);
  LEADSYNC_TRY(auto remove, database_.query("DELETE FROM enrichment_cache WHERE expires_at <= ?",
                                            to_millis(at)));
  LEADSYNC_CHECK(remove.run());
  return database_.changes();
}

Result<ProviderUsage> SqliteStore::get_usage(const std::string& provider,
                                             const std::string& period) {
  MutexLock lock(mutex_);
  LEADSYNC_TRY(auto query, database_.query("SELECT requests, credits FROM provider_usage "
                                           "WHERE provider = ? AND period = ?",
                                           provider, period));
  LEADSYNC_TRY(const bool found, query.step());
  if (!found) {
    return ProviderUsage{};
  }
  return ProviderUsage{.requests = query.integer(0), .credits = query.integer(1)};
}

Status SqliteStore::add_usage(const std::string& provider, const std::vector<std::string>& periods,
                              const ProviderUsage& delta) {
  LEADSYNC_CHECK(detail::check_usage(provider, periods));
  if (periods.empty()) {
    return ok_status();
  }
  MutexLock lock(mutex_);
  const auto now_millis = to_millis(clock_.now());
  LEADSYNC_TRY(auto transaction, Transaction::begin(database_));
  for (const auto& period : periods) {
    LEADSYNC_TRY(auto upsert,
                 database_.query("INSERT INTO provider_usage (provider, period, requests, "
                                 "credits, updated_at) VALUES (?, ?, ?, ?, ?) "
                                 "ON CONFLICT (provider, period) DO UPDATE SET "
                                 "requests = requests + excluded.requests, "
                                 "credits = credits + excluded.credits, "
                                 "updated_at = excluded.updated_at",
                                 provider, period, delta.requests, delta.credits, now_millis));
    LEADSYNC_CHECK(upsert.run());
  }
  return transaction.commit();
}

Status SqliteStore::put_pending_lookup(const PendingLookup& pending) {
  LEADSYNC_CHECK(detail::check_pending_lookup(pending));
  MutexLock lock(mutex_);
  LEADSYNC_TRY(auto upsert,
               database_.query("INSERT INTO pending_lookups (provider, key, lead_id, "
                               "lookup_group, not_before, attempts, created_at) "
                               "VALUES (?, ?, ?, ?, ?, ?, ?) "
                               "ON CONFLICT (provider, key, lead_id) DO UPDATE SET "
                               "lookup_group = excluded.lookup_group, "
                               "not_before = excluded.not_before, attempts = excluded.attempts",
                               pending.provider, pending.key, pending.lead_id, pending.group,
                               to_millis(pending.not_before), pending.attempts,
                               to_millis(clock_.now())));
  return upsert.run();
}

Status SqliteStore::delete_pending_lookup(const std::string& provider, const std::string& key,
                                          const std::string& lead_id) {
  MutexLock lock(mutex_);
  LEADSYNC_TRY(auto remove, database_.query("DELETE FROM pending_lookups WHERE provider = ? "
                                            "AND key = ? AND lead_id = ?",
                                            provider, key, lead_id));
  return remove.run();
}

Result<std::vector<PendingLookup>> SqliteStore::list_pending_lookups(std::size_t limit) {
  MutexLock lock(mutex_);
  LEADSYNC_TRY(auto query,
               database_.query("SELECT provider, key, lead_id, lookup_group, not_before, "
                               "attempts, created_at FROM pending_lookups "
                               "ORDER BY not_before, created_at, provider, key, lead_id LIMIT ?",
                               sql_limit(limit)));
  std::vector<PendingLookup> lookups;
  for (;;) {
    LEADSYNC_TRY(const bool has_row, query.step());
    if (!has_row) {
      return lookups;
    }
    lookups.push_back(PendingLookup{.provider = query.text(0),
                                    .key = query.text(1),
                                    .lead_id = query.text(2),
                                    .group = query.text(3),
                                    .not_before = from_millis(query.integer(4)),
                                    .attempts = static_cast<int>(query.integer(5)),
                                    .created_at = from_millis(query.integer(6))});
  }
}

Result<std::optional<FeedFileState>> SqliteStore::get_feed_file(const std::string& provider,
                                                                const std::string& path) {
  MutexLock lock(mutex_);
  LEADSYNC_TRY(auto query, database_.query(sql({"SELECT ", feed_file_columns,
                                                " FROM feed_files WHERE provider = ? AND "
                                                "path = ?"}),
                                           provider, path));
  LEADSYNC_TRY(const bool found, query.step());
  if (!found) {
    return std::optional<FeedFileState>();
  }
  return std::optional(read_feed_file(query));
}

Result<std::vector<FeedFileState>> SqliteStore::list_feed_files(const std::string& provider) {
  MutexLock lock(mutex_);
  LEADSYNC_TRY(auto query,
               database_.query(sql({"SELECT ", feed_file_columns,
                                    " FROM feed_files WHERE provider = ? ORDER BY path"}),
                               provider));
  std::vector<FeedFileState> files;
  for (;;) {
    LEADSYNC_TRY(const bool has_row, query.step());
    if (!has_row) {
      return files;
    }
    files.push_back(read_feed_file(query));
  }
}

Status SqliteStore::replace_feed_file(const FeedFileState& state,
                                      const std::vector<FeedRecord>& records, bool append) {
  LEADSYNC_CHECK(detail::check_feed_file(state, records));
  MutexLock lock(mutex_);
  LEADSYNC_TRY(auto transaction, Transaction::begin(database_));
  {
    LEADSYNC_TRY(auto upsert,
                 database_.query(sql({"INSERT INTO feed_files (", feed_file_columns,
                                      ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) "
                                      "ON CONFLICT (provider, path) DO UPDATE SET "
                                      "size = excluded.size, mtime_ns = excluded.mtime_ns, "
                                      "digest = excluded.digest, lines = excluded.lines, "
                                      "records = excluded.records, "
                                      "rejected = excluded.rejected, "
                                      "indexed_at = excluded.indexed_at"}),
                                 state.provider, state.path, state.size, state.mtime_ns,
                                 state.digest, state.lines, state.records, state.rejected,
                                 to_millis(state.indexed_at)));
    LEADSYNC_CHECK(upsert.run());
  }
  if (!append) {
    LEADSYNC_CHECK(delete_feed_records(state.provider, state.path));
  }
  for (const auto& record : records) {
    std::int64_t record_id = 0;
    {
      LEADSYNC_TRY(auto insert,
                   database_.query("INSERT INTO feed_records (provider, path, line, record) "
                                   "VALUES (?, ?, ?, ?)",
                                   state.provider, state.path, record.line, record.record));
      LEADSYNC_CHECK(insert.run());
      record_id = database_.last_insert_rowid();
    }
    for (std::size_t position = 0; position < record.keys.size(); ++position) {
      const auto& key = record.keys[position];
      LEADSYNC_TRY(auto insert,
                   database_.query("INSERT INTO feed_keys (record_id, position, provider, "
                                   "kind, value) VALUES (?, ?, ?, ?, ?)",
                                   record_id, static_cast<std::int64_t>(position), state.provider,
                                   to_string(key.kind), key.value));
      LEADSYNC_CHECK(insert.run());
    }
  }
  return transaction.commit();
}

// No error when the file is not indexed.
Status SqliteStore::remove_feed_file(const std::string& provider, const std::string& path) {
  MutexLock lock(mutex_);
  LEADSYNC_TRY(auto transaction, Transaction::begin(database_));
  LEADSYNC_CHECK(delete_feed_records(provider, path));
  {
    LEADSYNC_TRY(
        auto remove,
        database_.query("DELETE FROM feed_files WHERE provider = ? AND path = ?", provider, path));
    LEADSYNC_CHECK(remove.run());
  }
  return transaction.commit();
}

// The keys index (provider, kind, value) finds the records; only those are read and sorted.
Result<std::vector<FeedRecord>>
SqliteStore::find_feed_records(const std::string& provider, const FeedKey& key, std::size_t limit) {
  std::vector<FeedRecord> records;
  if (limit == 0 || key.value.empty()) {
    return records;
  }
  MutexLock lock(mutex_);
  LEADSYNC_TRY(auto transaction, Transaction::begin(database_, Transaction::Mode::read));
  std::vector<std::int64_t> ids;
  {
    LEADSYNC_TRY(auto query,
                 database_.query("SELECT id, path, line, record FROM feed_records "
                                 "WHERE id IN (SELECT record_id FROM feed_keys "
                                 "WHERE provider = ?1 AND kind = ?2 AND value = ?3) "
                                 "ORDER BY path, line, id LIMIT ?4",
                                 provider, to_string(key.kind), key.value, sql_limit(limit)));
    for (;;) {
      LEADSYNC_TRY(const bool has_row, query.step());
      if (!has_row) {
        break;
      }
      ids.push_back(query.integer(0));
      records.push_back(FeedRecord{.provider = provider,
                                   .path = query.text(1),
                                   .line = query.integer(2),
                                   .record = query.text(3),
                                   .keys = {}});
    }
  }
  for (std::size_t i = 0; i < records.size(); ++i) {
    LEADSYNC_TRY(auto query, database_.query("SELECT kind, value FROM feed_keys "
                                             "WHERE record_id = ? ORDER BY position",
                                             ids[i]));
    for (;;) {
      LEADSYNC_TRY(const bool has_row, query.step());
      if (!has_row) {
        break;
      }
      LEADSYNC_TRY(const auto kind, parse_feed_key_kind(query.text_view(0)));
      records[i].keys.push_back(FeedKey{.kind = kind, .value = query.text(1)});
    }
  }
  LEADSYNC_CHECK(transaction.commit());
  return records;
}

// Inside a transaction: every record of the file and their keys.
Status SqliteStore::delete_feed_records(const std::string& provider, const std::string& path) {
  {
    LEADSYNC_TRY(auto remove,
                 database_.query("DELETE FROM feed_keys WHERE record_id IN (SELECT id FROM "
                                 "feed_records WHERE provider = ? AND path = ?)",
                                 provider, path));
    LEADSYNC_CHECK(remove.run());
  }
  LEADSYNC_TRY(
      auto remove,
      database_.query("DELETE FROM feed_records WHERE provider = ? AND path = ?", provider, path));
  return remove.run();
}

} // namespace leadsync::store::sqlite
