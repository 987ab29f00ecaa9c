// The PostgreSQL store: outbox and dead letters (OutboxStore, DeadLetterStore); runs and
// checkpoints are in runs.cpp.
//
// The semantics, error categories and messages are the SQLite store's
// (store/sqlite/outbox.cpp). Several workers on several hosts claim from one outbox: see
// claim_outbox for how they keep each lead's changes in order.

#include "detail/rules.hpp"
#include "leadsync/core/process.hpp"
#include "postgres/detail/sql.hpp"
#include "postgres/postgres_store.hpp"

#include <algorithm>
#include <limits>
#include <nlohmann/json.hpp>
#include <set>
#include <unordered_map>

namespace leadsync::store::postgres {
namespace {

using store::detail::dead_letter_not_found;
using store::detail::parse_operation;

constexpr std::string_view outbox_columns =
    "seq, lead_id, operation, lead_version, created_at, attempts, last_error, not_before, "
    "lease_owner, lease_until";
constexpr std::string_view dead_letter_columns =
    "id, lead_id, operation, outbox_seq, error_category, http_status, service_code, message, "
    "attempts, created_at";

Result<OutboxEntry> read_outbox_entry(const pqxx::row& row) {
  OutboxEntry entry;
  entry.seq = row[0].as<std::int64_t>();
  entry.lead_id = row[1].as<std::string>();
  LEADSYNC_TRY(entry.operation, parse_operation(view_of(row[2])));
  entry.lead_version = row[3].as<std::int64_t>();
  entry.created_at = from_millis(row[4].as<std::int64_t>());
  entry.attempts = row[5].as<int>();
  entry.last_error = row[6].as<std::string>();
  entry.not_before = from_millis(optional_integer(row[7]));
  entry.lease_owner = row[8].as<std::string>();
  entry.lease_until = from_millis(optional_integer(row[9]));
  return entry;
}

Result<std::vector<OutboxEntry>> read_outbox_entries(const pqxx::result& rows) {
  std::vector<OutboxEntry> entries;
  entries.reserve(rows.size());
  for (const auto& row : rows) {
    LEADSYNC_TRY(auto entry, read_outbox_entry(row));
    entries.push_back(std::move(entry));
  }
  return entries;
}

Result<DeadLetter> read_dead_letter(const pqxx::row& row) {
  DeadLetter letter;
  letter.id = row[0].as<std::int64_t>();
  letter.lead_id = row[1].as<std::string>();
  LEADSYNC_TRY(letter.operation, parse_operation(view_of(row[2])));
  letter.outbox_seq = row[3].as<std::int64_t>();
  letter.error_category = row[4].as<std::string>();
  letter.http_status = row[5].as<int>();
  letter.service_code = row[6].as<std::string>();
  letter.message = row[7].as<std::string>();
  letter.attempts = row[8].as<int>();
  letter.created_at = from_millis(row[9].as<std::int64_t>());
  return letter;
}

// Inside a transaction, after a change of `seq` by `worker` touched no row: why.
Error not_held(pqxx::work& work, std::int64_t seq, const std::string& worker) {
  if (work.exec_params("SELECT 1 FROM outbox WHERE seq = $1", seq).empty()) {
    return store::detail::outbox_entry_gone(seq);
  }
  return store::detail::outbox_lease_lost(seq, worker);
}

} // namespace

// Only the oldest entry of each lead is claimable: a lead's next change goes out only after the
// previous one was completed or dead-lettered, so changes of one lead reach the CRM in order and
// at most one worker holds a lead's changes at a time.
//
// Several workers claim at once. The candidates are locked FOR UPDATE SKIP LOCKED, so a worker
// passes over the entries another one is claiming instead of waiting for it; the CTE (materialized:
// a LIMIT inside IN (subquery) may lock more rows, PostgreSQL BUG #15715, daemon-scaleout.md
// A.10) runs once. The NOT EXISTS over older entries of the same lead reads rows, not locks: when
// worker A is claiming entry 1 of a lead, worker B skips entry 1 and still sees it, so it does not
// take entry 2 either. Entry 2 becomes claimable only once entry 1 is deleted and that deletion is
// committed, before B's statement starts.
Result<std::vector<OutboxEntry>> PostgresStore::claim_outbox(const ClaimRequest& request) {
  LEADSYNC_CHECK(store::detail::check_claim(request));
  if (request.max_entries == 0) {
    return std::vector<OutboxEntry>{};
  }
  std::vector<OutboxEntry> claimed;
  LEADSYNC_CHECK(pool_->transact("claim the outbox", [&](pqxx::work& work) -> Status {
    const std::int64_t now = to_millis(clock_.now());
    const std::int64_t lease_until =
        now + std::chrono::duration_cast<std::chrono::milliseconds>(request.lease).count();
    const auto rows = work.exec_params(
        sql({"WITH candidates AS MATERIALIZED (SELECT entry.seq FROM outbox AS entry "
             "WHERE (entry.lease_owner = '' OR entry.lease_until < $3) "
             "AND coalesce(entry.not_before, $3) <= $3 "
             "AND NOT EXISTS (SELECT 1 FROM outbox AS older "
             "WHERE older.lead_id = entry.lead_id AND older.seq < entry.seq) "
             "ORDER BY entry.seq LIMIT $4 FOR UPDATE OF entry SKIP LOCKED), "
             "claimed AS (UPDATE outbox SET lease_owner = $1, lease_until = $2 FROM candidates "
             "WHERE outbox.seq = candidates.seq RETURNING outbox.*) "
             "SELECT ",
             outbox_columns, " FROM claimed ORDER BY seq"}),
        request.worker, lease_until, now, sql_limit(request.max_entries));
    LEADSYNC_TRY(claimed, read_outbox_entries(rows));
    return ok_status();
  }));
  return claimed;
}

// Deletes every listed entry the worker still holds (even when its lease expired unnoticed).
// Entries it no longer holds are left for their new holder and reported in the error.
Status PostgresStore::complete_outbox(const std::vector<std::int64_t>& seqs,
                                      const std::string& worker) {
  if (seqs.empty()) {
    return ok_status();
  }
  std::vector<std::int64_t> lost;
  std::vector<std::int64_t> missing;
  LEADSYNC_CHECK(pool_->transact("complete outbox entries", [&](pqxx::work& work) -> Status {
    lost.clear();
    missing.clear();
    // A concurrent claim of an expired entry makes the DELETE re-check the owner of the entry's
    // new version, so an entry taken over is never deleted.
    const auto deleted_rows =
        work.exec_params("DELETE FROM outbox WHERE seq = ANY($1::bigint[]) AND lease_owner = $2 "
                         "AND $2 <> '' RETURNING seq",
                         bigint_array(seqs), worker);
    std::set<std::int64_t> deleted;
    for (const auto& row : deleted_rows) {
      deleted.insert(row[0].as<std::int64_t>());
    }
    std::vector<std::int64_t> others;
    for (const auto seq : seqs) {
      if (deleted.count(seq) == 0) {
        others.push_back(seq);
      }
    }
    std::set<std::int64_t> existing;
    if (!others.empty()) {
      for (const auto& row : work.exec_params(
               "SELECT seq FROM outbox WHERE seq = ANY($1::bigint[])", bigint_array(others))) {
        existing.insert(row[0].as<std::int64_t>());
      }
    }
    // In the order given; a seq listed twice is gone the second time, as one at a time.
    for (const auto seq : seqs) {
      if (deleted.erase(seq) != 0) {
        continue;
      }
      (existing.count(seq) != 0 ? lost : missing).push_back(seq);
    }
    return ok_status();
  }));
  return store::detail::outbox_completion(lost, missing, worker);
}

Status PostgresStore::release_outbox(std::int64_t seq, const std::string& worker,
                                     const std::string& error,
                                     std::optional<TimePoint> not_before) {
  return pool_->transact("release an outbox entry", [&](pqxx::work& work) -> Status {
    const auto updated = work.exec_params(
        "UPDATE outbox SET attempts = attempts + 1, last_error = $1, not_before = $2, "
        "lease_owner = '', lease_until = NULL WHERE seq = $3 AND lease_owner = $4 AND $4 <> ''",
        error, nullable(not_before).c_str(), seq, worker);
    if (updated.affected_rows() == 0) {
      return not_held(work, seq, worker);
    }
    return ok_status();
  });
}

Result<DeadLetter> PostgresStore::dead_letter_outbox(std::int64_t seq, const std::string& worker,
                                                     const Error& error) {
  DeadLetter letter;
  LEADSYNC_CHECK(pool_->transact("dead-letter an outbox entry", [&](pqxx::work& work) -> Status {
    // The attempt that failed for good counts too.
    const auto rows = work.exec_params(
        sql({"WITH moved AS (DELETE FROM outbox WHERE seq = $1 AND lease_owner = $2 AND $2 <> '' "
             "RETURNING lead_id, operation, lead_version, seq, attempts) "
             "INSERT INTO dead_letters (lead_id, operation, lead_version, outbox_seq, "
             "error_category, http_status, service_code, message, attempts, created_at) "
             "SELECT lead_id, operation, lead_version, seq, $3::text, $4::integer, $5::text, "
             "$6::text, attempts + 1, $7::bigint FROM moved RETURNING ",
             dead_letter_columns}),
        seq, worker, std::string(leadsync::to_string(error.category)), error.http_status,
        error.service_code, error.message, to_millis(clock_.now()));
    if (rows.empty()) {
      return not_held(work, seq, worker);
    }
    LEADSYNC_TRY(letter, read_dead_letter(rows[0]));
    return ok_status();
  }));
  return letter;
}

Result<std::vector<OutboxEntry>> PostgresStore::pending_outbox(std::size_t limit) {
  std::vector<OutboxEntry> entries;
  LEADSYNC_CHECK(pool_->transact("read the outbox", [&](pqxx::work& work) -> Status {
    const auto rows = work.exec_params(
        sql({"SELECT ", outbox_columns, " FROM outbox ORDER BY seq LIMIT $1"}), sql_limit(limit));
    LEADSYNC_TRY(entries, read_outbox_entries(rows));
    return ok_status();
  }));
  return entries;
}

Result<std::map<std::string, std::int64_t>> PostgresStore::outbox_lease_holders() {
  std::map<std::string, std::int64_t> holders;
  LEADSYNC_CHECK(pool_->transact("read the outbox leases", [&](pqxx::work& work) -> Status {
    holders.clear();
    const auto rows =
        work.exec_params("SELECT lease_owner, count(*) FROM outbox WHERE lease_owner <> '' "
                         "AND lease_until >= $1 GROUP BY lease_owner",
                         to_millis(clock_.now()));
    for (const auto& row : rows) {
      holders.emplace(row[0].as<std::string>(), row[1].as<std::int64_t>());
    }
    return ok_status();
  }));
  return holders;
}

Result<std::int64_t> PostgresStore::release_leases_of(const std::string& worker_prefix) {
  LEADSYNC_CHECK(store::detail::check_release_prefix(worker_prefix));
  std::int64_t freed = 0;
  LEADSYNC_CHECK(
      pool_->transact("release a worker's outbox leases", [&](pqxx::work& work) -> Status {
        // left() rather than LIKE: a worker name may hold '%' or '_'.
        const auto updated =
            work.exec_params("UPDATE outbox SET lease_owner = '', lease_until = NULL "
                             "WHERE lease_owner <> '' AND left(lease_owner, length($1)) = $1",
                             worker_prefix);
        freed = static_cast<std::int64_t>(updated.affected_rows());
        return ok_status();
      }));
  return freed;
}

// ---- dead letters

Result<std::vector<DeadLetter>> PostgresStore::list_dead_letters(std::size_t limit) {
  std::vector<DeadLetter> letters;
  LEADSYNC_CHECK(pool_->transact("read the dead letters", [&](pqxx::work& work) -> Status {
    letters.clear();
    const auto rows = work.exec_params(
        sql({"SELECT ", dead_letter_columns, " FROM dead_letters ORDER BY id LIMIT $1"}),
        sql_limit(limit));
    for (const auto& row : rows) {
      LEADSYNC_TRY(auto letter, read_dead_letter(row));
      letters.push_back(std::move(letter));
    }
    return ok_status();
  }));
  return letters;
}

Result<DeadLetter> PostgresStore::get_dead_letter(std::int64_t id) {
  DeadLetter letter;
  LEADSYNC_CHECK(pool_->transact("read a dead letter", [&](pqxx::work& work) -> Status {
    const auto rows = work.exec_params(
        sql({"SELECT ", dead_letter_columns, " FROM dead_letters WHERE id = $1"}), id);
    if (rows.empty()) {
      return dead_letter_not_found(id);
    }
    LEADSYNC_TRY(letter, read_dead_letter(rows[0]));
    return ok_status();
  }));
  return letter;
}

Status PostgresStore::drop_dead_letter(std::int64_t id) {
  return pool_->transact("drop a dead letter", [&](pqxx::work& work) -> Status {
    if (work.exec_params("DELETE FROM dead_letters WHERE id = $1", id).affected_rows() == 0) {
      return dead_letter_not_found(id);
    }
    return ok_status();
  });
}

Result<OutboxEntry> PostgresStore::retry_dead_letter(std::int64_t id) {
  OutboxEntry entry;
  LEADSYNC_CHECK(pool_->transact("retry a dead letter", [&](pqxx::work& work) -> Status {
    const auto rows = work.exec_params(
        sql({"WITH letter AS (DELETE FROM dead_letters WHERE id = $1 "
             "RETURNING lead_id, operation, lead_version) "
             "INSERT INTO outbox (lead_id, operation, lead_version, created_at) "
             "SELECT lead_id, operation, lead_version, $2::bigint FROM letter RETURNING ",
             outbox_columns}),
        id, to_millis(clock_.now()));
    if (rows.empty()) {
      return dead_letter_not_found(id);
    }
    LEADSYNC_TRY(entry, read_outbox_entry(rows[0]));
    work.exec_params("SELECT pg_notify($1, coalesce(current_schema(), ''))", work_channel);
    return ok_status();
  }));
  return entry;
}

} // namespace leadsync::store::postgres
