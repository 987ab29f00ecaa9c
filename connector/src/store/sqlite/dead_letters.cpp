// The SQLite store: Dead letters (DeadLetterStore).

#include "sqlite/rows.hpp"
#include "sqlite/sqlite_store.hpp"

namespace leadsync::store::sqlite {

Result<std::vector<DeadLetter>> SqliteStore::list_dead_letters(std::size_t limit) {
  MutexLock lock(mutex_);
  LEADSYNC_TRY(auto query, database_.query(sql({"SELECT ", dead_letter_columns,
                                                " FROM dead_letters ORDER BY id LIMIT ?"}),
                                           sql_limit(limit)));
  std::vector<DeadLetter> letters;
  for (;;) {
    LEADSYNC_TRY(const bool has_row, query.step());
    if (!has_row) {
      return letters;
    }
    LEADSYNC_TRY(auto letter, read_dead_letter(query));
    letters.push_back(std::move(letter));
  }
}

Result<DeadLetter> SqliteStore::get_dead_letter(std::int64_t id) {
  MutexLock lock(mutex_);
  LEADSYNC_TRY(auto query,
               database_.query(
                   sql({"SELECT ", dead_letter_columns, " FROM dead_letters WHERE id = ?"}), id));
  LEADSYNC_TRY(const bool found, query.step());
  if (!found) {
    return detail::dead_letter_not_found(id);
  }
  return read_dead_letter(query);
}

Status SqliteStore::drop_dead_letter(std::int64_t id) {
  MutexLock lock(mutex_);
  LEADSYNC_TRY(auto query, database_.query("DELETE FROM dead_letters WHERE id = ?", id));
  LEADSYNC_CHECK(query.run());
  if (database_.changes() == 0) {
    return detail::dead_letter_not_found(id);
  }
  return ok_status();
}

Result<OutboxEntry> SqliteStore::retry_dead_letter(std::int64_t id) {
  MutexLock lock(mutex_);
  LEADSYNC_TRY(auto transaction, Transaction::begin(database_));
  OutboxEntry entry;
  {
    LEADSYNC_TRY(auto query, database_.query("SELECT lead_id, operation, lead_version "
                                             "FROM dead_letters WHERE id = ?",
                                             id));
    LEADSYNC_TRY(const bool found, query.step());
    if (!found) {
      return detail::dead_letter_not_found(id);
    }
    entry.lead_id = query.text(0);
    LEADSYNC_TRY(entry.operation, parse_operation(query.text(1)));
    entry.lead_version = query.integer(2);
  }
  entry.created_at = now();
  LEADSYNC_CHECK(enqueue(entry.lead_id, entry.operation, entry.lead_version, entry.created_at));
  entry.seq = database_.last_insert_rowid();
  {
    LEADSYNC_TRY(auto remove, database_.query("DELETE FROM dead_letters WHERE id = ?", id));
    LEADSYNC_CHECK(remove.run());
  }
  LEADSYNC_CHECK(transaction.commit());
  return entry;
}

} // namespace leadsync::store::sqlite
