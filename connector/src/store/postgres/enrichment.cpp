// The PostgreSQL store: answer cache, usage ledger, pending lookups, feed index.
//
// Semantics, errors and orderings are those of the SQLite store (sqlite/enrichment.cpp). Text is
// ordered with COLLATE "C" (byte order, as SQLite's default BINARY collation) so both stores list
// in the same order whatever the database's locale.

#include "detail/rules.hpp"
#include "postgres/detail/sql.hpp"
#include "postgres/postgres_store.hpp"

#include <algorithm>
#include <cstdint>
#include <limits>
#include <string>
#include <string_view>
#include <vector>

namespace leadsync::store::postgres {
namespace {

// libpq takes at most 65535 parameters per statement; a chunk of a multi-row INSERT stays well
// below that.
constexpr std::size_t rows_per_insert = 500;

constexpr std::string_view feed_file_columns =
    "provider, path, size, mtime_ns, digest, lines, records, rejected, indexed_at";

FeedFileState read_feed_file(const pqxx::row& row) {
  return FeedFileState{.provider = row[0].as<std::string>(),
                       .path = row[1].as<std::string>(),
                       .size = row[2].as<std::int64_t>(),
                       .mtime_ns = row[3].as<std::int64_t>(),
                       .digest = row[4].as<std::string>(),
                       .lines = row[5].as<std::int64_t>(),
                       .records = row[6].as<std::int64_t>(),
                       .rejected = row[7].as<std::int64_t>(),
                       .indexed_at = from_millis(row[8].as<std::int64_t>())};
}

// "($1, $2, $3), ($4, $5, $6)" for `rows` rows of `columns` parameters each.
std::string value_rows(std::size_t rows, std::size_t columns) {
  std::string text;
  std::size_t parameter = 1;
  for (std::size_t row = 0; row < rows; ++row) {
    text += row == 0 ? "(" : ", (";
    for (std::size_t column = 0; column < columns; ++column) {
      text += (column == 0 ? "$" : ", $") + std::to_string(parameter++);
    }
    text += ")";
  }
  return text;
}

// Inside a transaction: every record of the file and their keys.
void delete_feed_records(pqxx::work& work, const std::string& provider, const std::string& path) {
  work.exec_params("DELETE FROM feed_keys WHERE record_id IN (SELECT id FROM feed_records "
                   "WHERE provider = $1 AND path = $2)",
                   provider, path);
  work.exec_params("DELETE FROM feed_records WHERE provider = $1 AND path = $2", provider, path);
}

// Inside a transaction: the records and their keys, by multi-row INSERTs of rows_per_insert rows.
// The record ids are taken from the identity's sequence first, in one round trip, so the keys
// can name their record without reading ids back from each INSERT (whose RETURNING order is
// unspecified).
void insert_feed_records(pqxx::work& work, const FeedFileState& state,
                         const std::vector<FeedRecord>& records) {
  if (records.empty()) {
    return;
  }
  std::vector<std::int64_t> ids;
  ids.reserve(records.size());
  for (const auto& row :
       work.exec_params("SELECT nextval(pg_get_serial_sequence('feed_records', 'id')) "
                        "FROM generate_series(1, $1)",
                        static_cast<std::int64_t>(records.size()))) {
    ids.push_back(row[0].as<std::int64_t>());
  }
  // Ascending ids in record order, as SQLite assigns them.
  std::sort(ids.begin(), ids.end());

  std::vector<std::string> parameters;
  for (std::size_t start = 0; start < records.size(); start += rows_per_insert) {
    const std::size_t end = std::min(records.size(), start + rows_per_insert);
    parameters.clear();
    for (std::size_t i = start; i < end; ++i) {
      parameters.push_back(std::to_string(ids[i]));
      parameters.push_back(state.provider);
      parameters.push_back(state.path);
      parameters.push_back(std::to_string(records[i].line));
      parameters.push_back(records[i].record);
    }
    work.exec_params("INSERT INTO feed_records (id, provider, path, line, record) "
                     "VALUES " +
                         value_rows(end - start, 5),
                     pqxx::prepare::make_dynamic_params(parameters));
  }

  parameters.clear();
  std::size_t pending_rows = 0;
  const auto flush = [&] {
    if (pending_rows == 0) {
      return;
    }
    work.exec_params("INSERT INTO feed_keys (record_id, position, provider, kind, value) VALUES " +
                         value_rows(pending_rows, 5),
                     pqxx::prepare::make_dynamic_params(parameters));
    parameters.clear();
    pending_rows = 0;
  };
  for (std::size_t i = 0; i < records.size(); ++i) {
    for (std::size_t position = 0; position < records[i].keys.size(); ++position) {
      const auto& key = records[i].keys[position];
      parameters.push_back(std::to_string(ids[i]));
      parameters.push_back(std::to_string(position));
      parameters.push_back(state.provider);
      parameters.emplace_back(to_string(key.kind));
      parameters.push_back(key.value);
      if (++pending_rows == rows_per_insert) {
        flush();
      }
    }
  }
  flush();
}

} // namespace

// ---- answer cache

Result<std::optional<CachedAnswer>> PostgresStore::get_cached_answer(const std::string& provider,
                                                                     const std::string& key,
                                                                     TimePoint now) {
  std::optional<CachedAnswer> found;
  LEADSYNC_CHECK(pool_->transact("read the enrichment cache", [&](pqxx::work& work) -> Status {
    found.reset();
    const auto rows = work.exec_params("SELECT answer, matched, fetched_at, expires_at "
                                       "FROM enrichment_cache WHERE provider = $1 AND key = $2 "
                                       "AND expires_at > $3",
                                       provider, key, to_millis(now));
    if (!rows.empty()) {
      found = CachedAnswer{.provider = provider,
                           .key = key,
                           .answer = rows[0][0].as<std::string>(),
                           .matched = rows[0][1].as<bool>(),
                           .fetched_at = from_millis(rows[0][2].as<std::int64_t>()),
                           .expires_at = from_millis(rows[0][3].as<std::int64_t>())};
    }
    return ok_status();
  }));
  return found;
}

Status PostgresStore::put_cached_answers(const std::vector<CachedAnswer>& answers) {
  LEADSYNC_CHECK(store::detail::check_cached_answers(answers));
  if (answers.empty()) {
    return ok_status();
  }
  // One statement per answer: a later answer for the same key replaces an earlier one of the same
  // call, which one multi-row ON CONFLICT DO UPDATE would refuse.
  return pool_->transact("store enrichment answers", [&](pqxx::work& work) -> Status {
    for (const auto& answer : answers) {
      work.exec_params("INSERT INTO enrichment_cache (provider, key, answer, matched, fetched_at, "
                       "expires_at) VALUES ($1, $2, $3, $4, $5, $6) "
                       "ON CONFLICT (provider, key) DO UPDATE SET answer = EXCLUDED.answer, "
                       "matched = EXCLUDED.matched, fetched_at = EXCLUDED.fetched_at, "
                       "expires_at = EXCLUDED.expires_at",
                       answer.provider, answer.key, answer.answer, answer.matched,
                       to_millis(answer.fetched_at), to_millis(answer.expires_at));
    }
    return ok_status();
  });
}

// Deletes what get_cached_answer no longer returns at `now` (expires_at <= now).
Result<std::int64_t> PostgresStore::prune_cached_answers(TimePoint now) {
  std::int64_t removed = 0;
  LEADSYNC_CHECK(pool_->transact("prune the enrichment cache", [&](pqxx::work& work) -> Status {
    removed = static_cast<std::int64_t>(
        work.exec_params("DELETE FROM enrichment_cache WHERE expires_at <= $1", to_millis(now))
            .affected_rows());
    return ok_status();
  }));
  return removed;
}

// ---- usage ledger

Result<ProviderUsage> PostgresStore::get_usage(const std::string& provider,
                                               const std::string& period) {
  ProviderUsage usage;
  LEADSYNC_CHECK(pool_->transact("read provider usage", [&](pqxx::work& work) -> Status {
    usage = ProviderUsage{};
    const auto rows = work.exec_params("SELECT requests, credits FROM provider_usage "
                                       "WHERE provider = $1 AND period = $2",
                                       provider, period);
    if (!rows.empty()) {
      usage = ProviderUsage{.requests = rows[0][0].as<std::int64_t>(),
                            .credits = rows[0][1].as<std::int64_t>()};
    }
    return ok_status();
  }));
  return usage;
}

Status PostgresStore::add_usage(const std::string& provider,
                                const std::vector<std::string>& periods,
                                const ProviderUsage& delta) {
  LEADSYNC_CHECK(store::detail::check_usage(provider, periods));
  if (periods.empty()) {
    return ok_status();
  }
  // Rows are locked in one order by every caller, so two concurrent additions to the same periods
  // queue behind each other instead of deadlocking. The upsert adds to the stored value in the
  // row itself: concurrent additions are all counted.
  std::vector<std::string> ordered = periods;
  std::sort(ordered.begin(), ordered.end());
  const auto now_millis = to_millis(clock_.now());
  return pool_->transact("record provider usage", [&](pqxx::work& work) -> Status {
    for (const auto& period : ordered) {
      work.exec_params("INSERT INTO provider_usage (provider, period, requests, credits, "
                       "updated_at) VALUES ($1, $2, $3, $4, $5) "
                       "ON CONFLICT (provider, period) DO UPDATE SET "
                       "requests = provider_usage.requests + EXCLUDED.requests, "
                       "credits = provider_usage.credits + EXCLUDED.credits, "
                       "updated_at = EXCLUDED.updated_at",
                       provider, period, delta.requests, delta.credits, now_millis);
    }
    return ok_status();
  });
}

// ---- pending lookups

Status PostgresStore::put_pending_lookup(const PendingLookup& pending) {
  LEADSYNC_CHECK(store::detail::check_pending_lookup(pending));
  const auto now_millis = to_millis(clock_.now());
  return pool_->transact("store a pending lookup", [&](pqxx::work& work) -> Status {
    work.exec_params("INSERT INTO pending_lookups (provider, key, lead_id, lookup_group, "
                     "not_before, attempts, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7) "
                     "ON CONFLICT (provider, key, lead_id) DO UPDATE SET "
                     "lookup_group = EXCLUDED.lookup_group, not_before = EXCLUDED.not_before, "
                     "attempts = EXCLUDED.attempts",
                     pending.provider, pending.key, pending.lead_id, pending.group,
                     to_millis(pending.not_before), pending.attempts, now_millis);
    return ok_status();
  });
}

Status PostgresStore::delete_pending_lookup(const std::string& provider, const std::string& key,
                                            const std::string& lead_id) {
  return pool_->transact("delete a pending lookup", [&](pqxx::work& work) -> Status {
    work.exec_params("DELETE FROM pending_lookups WHERE provider = $1 AND key = $2 "
                     "AND lead_id = $3",
                     provider, key, lead_id);
    return ok_status();
  });
}

Result<std::vector<PendingLookup>> PostgresStore::list_pending_lookups(std::size_t limit) {
  std::vector<PendingLookup> lookups;
  LEADSYNC_CHECK(pool_->transact("list pending lookups", [&](pqxx::work& work) -> Status {
    lookups.clear();
    for (const auto& row : work.exec_params(
             "SELECT provider, key, lead_id, lookup_group, not_before, attempts, created_at "
             "FROM pending_lookups ORDER BY not_before, created_at, provider COLLATE \"C\", "
             "key COLLATE \"C\", lead_id COLLATE \"C\" LIMIT $1",
             sql_limit(limit))) {
      lookups.push_back(PendingLookup{.provider = row[0].as<std::string>(),
                                      .key = row[1].as<std::string>(),
                                      .lead_id = row[2].as<std::string>(),
                                      .group = row[3].as<std::string>(),
                                      .not_before = from_millis(row[4].as<std::int64_t>()),
                                      .attempts = row[5].as<int>(),
                                      .created_at = from_millis(row[6].as<std::int64_t>())});
    }
    return ok_status();
  }));
  return lookups;
}

// ---- feed index

Result<std::optional<FeedFileState>> PostgresStore::get_feed_file(const std::string& provider,
                                                                  const std::string& path) {
  std::optional<FeedFileState> found;
  LEADSYNC_CHECK(pool_->transact("read a feed file's state", [&](pqxx::work& work) -> Status {
    found.reset();
    const auto rows = work.exec_params("SELECT " + std::string(feed_file_columns) +
                                           " FROM feed_files WHERE provider = $1 AND path = $2",
                                       provider, path);
    if (!rows.empty()) {
      found = read_feed_file(rows[0]);
    }
    return ok_status();
  }));
  return found;
}

Result<std::vector<FeedFileState>> PostgresStore::list_feed_files(const std::string& provider) {
  std::vector<FeedFileState> files;
  LEADSYNC_CHECK(pool_->transact("list feed files", [&](pqxx::work& work) -> Status {
    files.clear();
    for (const auto& row :
         work.exec_params("SELECT " + std::string(feed_file_columns) +
                              " FROM feed_files WHERE provider = $1 ORDER BY path COLLATE \"C\"",
                          provider)) {
      files.push_back(read_feed_file(row));
    }
    return ok_status();
  }));
  return files;
}

Status PostgresStore::replace_feed_file(const FeedFileState& state,
                                        const std::vector<FeedRecord>& records, bool append) {
  LEADSYNC_CHECK(store::detail::check_feed_file(state, records));
  return pool_->transact("index a feed file", [&](pqxx::work& work) -> Status {
    work.exec_params("INSERT INTO feed_files (" + std::string(feed_file_columns) +
                         ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) "
                         "ON CONFLICT (provider, path) DO UPDATE SET size = EXCLUDED.size, "
                         "mtime_ns = EXCLUDED.mtime_ns, digest = EXCLUDED.digest, "
                         "lines = EXCLUDED.lines, records = EXCLUDED.records, "
                         "rejected = EXCLUDED.rejected, indexed_at = EXCLUDED.indexed_at",
                     state.provider, state.path, state.size, state.mtime_ns, state.digest,
                     state.lines, state.records, state.rejected, to_millis(state.indexed_at));
    if (!append) {
      delete_feed_records(work, state.provider, state.path);
    }
    insert_feed_records(work, state, records);
    return ok_status();
  });
}

// No error when the file is not indexed.
Status PostgresStore::remove_feed_file(const std::string& provider, const std::string& path) {
  return pool_->transact("remove a feed file", [&](pqxx::work& work) -> Status {
    delete_feed_records(work, provider, path);
    work.exec_params("DELETE FROM feed_files WHERE provider = $1 AND path = $2", provider, path);
    return ok_status();
  });
}

// The keys index (provider, kind, value) finds the records; only those are read and sorted.
Result<std::vector<FeedRecord>> PostgresStore::find_feed_records(const std::string& provider,
                                                                 const FeedKey& key,
                                                                 std::size_t limit) {
  std::vector<FeedRecord> records;
  if (limit == 0 || key.value.empty()) {
    return records;
  }
  LEADSYNC_CHECK(pool_->transact("look up feed records", [&](pqxx::work& work) -> Status {
    records.clear();
    std::vector<std::int64_t> ids;
    std::string id_array = "{";
    for (const auto& row : work.exec_params(
             "SELECT id, path, line, record FROM feed_records WHERE id IN (SELECT record_id "
             "FROM feed_keys WHERE provider = $1 AND kind = $2 AND value = $3) "
             "ORDER BY path COLLATE \"C\", line, id LIMIT $4",
             provider, std::string(to_string(key.kind)), key.value, sql_limit(limit))) {
      ids.push_back(row[0].as<std::int64_t>());
      id_array += (ids.size() == 1 ? "" : ",") + std::to_string(ids.back());
      records.push_back(FeedRecord{.provider = provider,
                                   .path = row[1].as<std::string>(),
                                   .line = row[2].as<std::int64_t>(),
                                   .record = row[3].as<std::string>(),
                                   .keys = {}});
    }
    if (ids.empty()) {
      return ok_status();
    }
    id_array += "}";
    for (const auto& row : work.exec_params("SELECT record_id, kind, value FROM feed_keys "
                                            "WHERE record_id = ANY($1::bigint[]) "
                                            "ORDER BY record_id, position",
                                            id_array)) {
      const auto at = std::find(ids.begin(), ids.end(), row[0].as<std::int64_t>());
      if (at == ids.end()) {
        continue;
      }
      LEADSYNC_TRY(const auto kind, store::detail::parse_feed_key_kind(view_of(row[1])));
      records[static_cast<std::size_t>(at - ids.begin())].keys.push_back(
          FeedKey{.kind = kind, .value = row[2].as<std::string>()});
    }
    return ok_status();
  }));
  return records;
}

} // namespace leadsync::store::postgres
