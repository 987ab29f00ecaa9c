// The PostgreSQL store: leads, lookups, batches, the review queue.
//
// Every method keeps the SQLite store's semantics (store/sqlite/leads.cpp): the same
// results, error categories and messages. What differs is how the work reaches the server:
// - A lead write is one or two statements (data-modifying CTEs write the lead, its lookup rows and
//   its outbox entry together) instead of one per row.
// - A write_batch of more than bulk_threshold writes is COPYed into a staging table (temporary, one
//   per connection) and written to leads, lookups and outbox with a few set-based statements.
// - Scans and find_leads read through a server-side cursor, a batch of rows at a time: libpq keeps
//   a whole result in client memory, which for a million leads would be the table twice over.
// - foreign_write_marker counts the lead writes of other Store objects as they announce them on
//   lead_write_channel (LISTEN/NOTIFY; see ForeignWrites).

#include "detail/rules.hpp"
#include "leadsync/core/mutex.hpp"
#include "leadsync/core/process.hpp"
#include "leadsync/model/json.hpp"
#include "postgres/detail/sql.hpp"
#include "postgres/postgres_store.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <limits>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <tuple>
#include <unordered_map>
#include <unordered_set>

namespace leadsync::store::postgres {
namespace {

using store::detail::ascii_lower;
using store::detail::canonical_id;
using store::detail::canonical_ids;
using store::detail::lead_exists;
using store::detail::lead_not_found;
using store::detail::outbox_operation;
using store::detail::prefixed;

// A batch of more writes than this goes through COPY and set-based statements (see bulk_write);
// smaller ones take a statement or two per write, which costs less than the staging table.
constexpr std::size_t bulk_threshold = 64;
// Rows per FETCH when scanning keys or names, and leads per FETCH of find_leads.
constexpr std::size_t scan_batch = 10'000;
constexpr std::size_t lead_batch = 500;
// Every transaction that writes leads notifies this channel, the payload naming the Store object
// that wrote (writer_token): how foreign_write_marker tells others' writes from its own.
constexpr const char* lead_write_channel = "leadsync_leads";

// Lead rows are always read with these columns, in this order (see read_lead).
constexpr std::string_view lead_columns =
    "leads.id, leads.crm_id, leads.version, leads.is_new, leads.deleted, leads.created_at, "
    "leads.updated_at, leads.doc";
constexpr std::string_view duplicate_pair_columns =
    "id, lead_a, lead_b, rule, score_milli, evidence, source, status, created_at, resolved_at";

Result<model::Lead> read_lead(const pqxx::row& row) {
  std::string id = row[0].as<std::string>();
  LEADSYNC_TRY(model::Lead lead, store::detail::read_lead_document(id, view_of(row[7])));
  // The columns are authoritative for the identity; the document carries the rest.
  lead.identity.id = std::move(id);
  lead.identity.crm_id = row[1].as<std::string>();
  lead.identity.version = row[2].as<std::int64_t>();
  lead.is_new = row[3].as<bool>();
  lead.deleted = row[4].as<bool>();
  lead.identity.created_at = from_millis(row[5].as<std::int64_t>());
  lead.identity.updated_at = from_millis(row[6].as<std::int64_t>());
  return lead;
}

Result<std::vector<model::Lead>> read_leads(const pqxx::result& rows) {
  std::vector<model::Lead> leads;
  leads.reserve(rows.size());
  for (const auto& row : rows) {
    LEADSYNC_TRY(auto lead, read_lead(row));
    leads.push_back(std::move(lead));
  }
  return leads;
}

// Runs `query` (complete SQL: values quoted in) through a server-side cursor and hands `each` the
// rows `batch` at a time, so that no result larger than a batch is ever held in memory.
Status for_each_batch(pqxx::work& work, const std::string& query, std::size_t batch,
                      const std::function<Status(const pqxx::result&)>& each) {
  work.exec0("DECLARE leadsync_scan NO SCROLL CURSOR FOR " + query);
  const std::string fetch = "FETCH FORWARD " + std::to_string(batch) + " FROM leadsync_scan";
  for (;;) {
    const auto rows = work.exec(fetch);
    if (!rows.empty()) {
      LEADSYNC_CHECK(each(rows));
    }
    if (rows.size() < batch) {
      break;
    }
  }
  work.exec0("CLOSE leadsync_scan");
  return ok_status();
}

// The payload of this Store object's lead-write notifications: its process and its address (two
// Store objects of one process are two writers, as two SQLite connections are).
std::string writer_token(const void* store) {
  static const std::string process = this_process_name();
  return process + "/" + std::to_string(reinterpret_cast<std::uintptr_t>(store));
}

// Inside a transaction that wrote leads: announce it (delivered at commit) and, when it added
// outbox entries, wake the pushers.
void notify_lead_writes(pqxx::work& work, const std::string& token, bool enqueued) {
  if (enqueued) {
    work.exec_params("SELECT pg_notify($1, coalesce(current_schema(), '') || '|' || $2), "
                     "pg_notify($3, coalesce(current_schema(), ''))",
                     lead_write_channel, token, work_channel);
  } else {
    work.exec_params("SELECT pg_notify($1, coalesce(current_schema(), '') || '|' || $2)",
                     lead_write_channel, token);
  }
}

// ---- one lead

// A lead as its row stores it (identity set), its lookup keys and, when asked, its outbox entry.
struct LeadRow {
  std::string document;
  std::string stage;
  std::string domain; // lower-cased
  std::set<std::string> emails;
  std::set<std::string> phones;
  std::optional<std::string> operation; // the outbox entry's, when one is recorded
};

Result<LeadRow> lead_row(const model::Lead& lead, std::optional<OutboxOperation> operation) {
  LeadRow row;
  LEADSYNC_TRY(row.document, store::detail::lead_document(lead));
  row.stage = std::string(model::to_string(lead.qualification.stage));
  row.domain = ascii_lower(lead.company.domain);
  row.emails = store::detail::email_keys(lead);
  row.phones = store::detail::phone_keys(lead);
  if (operation) {
    row.operation = std::string(to_string(*operation));
  }
  return row;
}

// Inside a transaction: a new lead (identity set), its lookup rows and its outbox entry, in one
// statement. already_exists when the id is taken.
Status insert_lead(pqxx::work& work, const model::Lead& lead, const LeadRow& row) {
  const auto inserted = work.exec_params1(
      "WITH inserted AS (INSERT INTO leads (id, crm_id, version, stage, is_new, deleted, "
      "company_domain, created_at, updated_at, enriched_at, doc) VALUES "
      "($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) ON CONFLICT (id) DO NOTHING RETURNING id), "
      "emails AS (INSERT INTO lead_emails (lead_id, email) "
      "SELECT id, unnest($12::text[]) FROM inserted), "
      "phones AS (INSERT INTO lead_phones (lead_id, e164) "
      "SELECT id, unnest($13::text[]) FROM inserted), "
      "queued AS (INSERT INTO outbox (lead_id, operation, lead_version, created_at) "
      "SELECT id, $14::text, $3, $9 FROM inserted WHERE $14::text IS NOT NULL) "
      "SELECT count(*) FROM inserted",
      lead.identity.id, lead.identity.crm_id, lead.identity.version, row.stage, lead.is_new,
      lead.deleted, row.domain, to_millis(lead.identity.created_at.value()),
      to_millis(lead.identity.updated_at.value()), nullable(lead.enriched_at).c_str(), row.document,
      text_array(row.emails), text_array(row.phones), nullable(row.operation).c_str());
  if (inserted[0].as<std::int64_t>() == 0) {
    return lead_exists(lead.identity.id);
  }
  return ok_status();
}

// Inside a transaction, the lead's row locked: the new version of a stored lead (identity set),
// its lookup rows replaced and its outbox entry, in one statement.
Status rewrite_lead(pqxx::work& work, const model::Lead& lead, const LeadRow& row) {
  // The lookup rows still wanted stay; the DELETE and the INSERT touch disjoint rows, as the
  // parts of one statement see the same snapshot.
  work.exec_params(
      "WITH updated AS (UPDATE leads SET crm_id = $2, version = $3, stage = $4, is_new = $5, "
      "deleted = $6, company_domain = $7, updated_at = $8, enriched_at = $9, doc = $10 "
      "WHERE id = $1), "
      "old_emails AS (DELETE FROM lead_emails WHERE lead_id = $1 AND email <> ALL($11::text[])), "
      "new_emails AS (INSERT INTO lead_emails (lead_id, email) SELECT $1, unnest($11::text[]) "
      "ON CONFLICT DO NOTHING), "
      "old_phones AS (DELETE FROM lead_phones WHERE lead_id = $1 AND e164 <> ALL($12::text[])), "
      "new_phones AS (INSERT INTO lead_phones (lead_id, e164) SELECT $1, unnest($12::text[]) "
      "ON CONFLICT DO NOTHING), "
      "queued AS (INSERT INTO outbox (lead_id, operation, lead_version, created_at) "
      "SELECT $1, $13::text, $3, $8 WHERE $13::text IS NOT NULL) "
      "SELECT 1",
      lead.identity.id, lead.identity.crm_id, lead.identity.version, row.stage, lead.is_new,
      lead.deleted, row.domain, to_millis(lead.identity.updated_at.value()),
      nullable(lead.enriched_at).c_str(), row.document, text_array(row.emails),
      text_array(row.phones), nullable(row.operation).c_str());
  return ok_status();
}

struct StoredVersion {
  std::int64_t version = 0;
  std::int64_t created_at = 0;
};

// Inside a transaction: locks the lead's row (a concurrent update waits for this transaction) and
// returns its version, or nullopt when there is no such lead.
std::optional<StoredVersion> lock_version(pqxx::work& work, const std::string& id) {
  const auto rows =
      work.exec_params("SELECT version, created_at FROM leads WHERE id = $1 FOR UPDATE", id);
  if (rows.empty()) {
    return std::nullopt;
  }
  return StoredVersion{.version = rows[0][0].as<std::int64_t>(),
                       .created_at = rows[0][1].as<std::int64_t>()};
}

// Sets a new lead's identity (version 1, the clock's time) and stores it.
Status create_one(pqxx::work& work, model::Lead& lead, const WriteOptions& options, TimePoint now) {
  store::detail::start_identity(lead, now);
  LEADSYNC_TRY(const auto row, lead_row(lead, outbox_operation(options)));
  return insert_lead(work, lead, row);
}

// Stores a new version of a lead; the given version must be the stored one.
Status update_one(pqxx::work& work, model::Lead& lead, const WriteOptions& options, TimePoint now) {
  const auto stored = lock_version(work, lead.identity.id);
  if (!stored) {
    return lead_not_found(lead.identity.id);
  }
  LEADSYNC_CHECK(store::detail::advance_identity(lead, stored->version, stored->created_at, now));
  LEADSYNC_TRY(const auto row, lead_row(lead, outbox_operation(options)));
  return rewrite_lead(work, lead, row);
}

// ---- many leads: COPY into a staging table, then set-based statements

// The staging table of bulk_write, one per connection (temporary tables are), emptied at every
// commit; created by the first bulk write on the connection.
constexpr std::string_view staging_table_ddl =
    "CREATE TEMPORARY TABLE leadsync_batch (doc text NOT NULL, pos integer NOT NULL, "
    "is_create boolean NOT NULL, id text NOT NULL, crm_id text NOT NULL, version bigint NOT NULL, "
    "stage text NOT NULL, is_new boolean NOT NULL, deleted boolean NOT NULL, "
    "company_domain text NOT NULL, created_at bigint NOT NULL, updated_at bigint NOT NULL, "
    "enriched_at bigint, operation text) ON COMMIT DELETE ROWS";
// The columns COPY fills, in the order of the tuples written (doc first: libpqxx joins a row's
// fields into a string from the last one backwards, so the long document is copied least often).
std::vector<std::string> staging_columns() {
  return {"doc",        "pos",        "is_create",   "id",       "crm_id",
          "version",    "stage",      "is_new",      "deleted",  "company_domain",
          "created_at", "updated_at", "enriched_at", "operation"};
}

// Inside a transaction: writes leads[i] as writes[i] asks (ids checked, canonical and unique), as
// create_one / update_one would, but with a constant number of statements. Fails with the error
// of the first failing write, prefixed by `position(i)`.
Status bulk_write(pqxx::work& work, const std::vector<LeadWrite>& writes,
                  std::vector<model::Lead>& leads, TimePoint now,
                  const std::function<std::string(std::size_t)>& position) {
  std::vector<std::string> update_ids;
  std::vector<std::string> create_ids;
  for (std::size_t i = 0; i < writes.size(); ++i) {
    (writes[i].kind == WriteKind::create ? create_ids : update_ids).push_back(leads[i].identity.id);
  }
  // Lock the leads to update in one order (id), so two batches touching the same leads wait for
  // each other instead of deadlocking.
  std::unordered_map<std::string, StoredVersion> stored;
  if (!update_ids.empty()) {
    const auto rows = work.exec_params("SELECT id, version, created_at FROM leads "
                                       "WHERE id = ANY($1::text[]) ORDER BY id FOR UPDATE",
                                       text_array(update_ids));
    for (const auto& row : rows) {
      stored.emplace(row[0].as<std::string>(),
                     StoredVersion{.version = row[1].as<std::int64_t>(),
                                   .created_at = row[2].as<std::int64_t>()});
    }
  }
  std::unordered_set<std::string> taken;
  if (!create_ids.empty()) {
    const auto rows =
        work.exec_params("SELECT id FROM leads WHERE id = ANY($1::text[])", text_array(create_ids));
    for (const auto& row : rows) {
      taken.insert(row[0].as<std::string>());
    }
  }
  // Identities and documents, in order: the first write that fails fails the batch, as it would
  // one statement at a time.
  std::vector<LeadRow> rows;
  rows.reserve(writes.size());
  bool enqueued = false;
  for (std::size_t i = 0; i < writes.size(); ++i) {
    auto& lead = leads[i];
    const bool create = writes[i].kind == WriteKind::create;
    if (create) {
      lead.identity.version = 1;
      lead.identity.created_at = now;
    } else {
      const auto found = stored.find(lead.identity.id);
      if (found == stored.end()) {
        return prefixed(lead_not_found(lead.identity.id), position(i));
      }
      if (auto advanced = store::detail::advance_identity(lead, found->second.version,
                                                          found->second.created_at, now);
          !advanced.ok()) {
        return prefixed(advanced.error(), position(i));
      }
    }
    lead.identity.updated_at = now;
    auto row = lead_row(lead, outbox_operation(writes[i].options));
    if (!row.ok()) {
      return prefixed(row.error(), position(i));
    }
    if (create && taken.count(lead.identity.id) != 0) {
      return prefixed(lead_exists(lead.identity.id), position(i));
    }
    enqueued = enqueued || row->operation.has_value();
    rows.push_back(std::move(row).value());
  }

  if (work.exec("SELECT to_regclass('pg_temp.leadsync_batch') IS NULL")[0][0].as<bool>()) {
    work.exec0(std::string(staging_table_ddl));
  }
  {
    pqxx::stream_to copy(work, "leadsync_batch", staging_columns());
    for (std::size_t i = 0; i < writes.size(); ++i) {
      const auto& lead = leads[i];
      const auto& row = rows[i];
      const auto enriched_at = nullable(lead.enriched_at);
      const auto operation = nullable(row.operation);
      copy << std::forward_as_tuple(
          row.document, static_cast<std::int64_t>(i), writes[i].kind == WriteKind::create,
          lead.identity.id, lead.identity.crm_id, lead.identity.version, row.stage, lead.is_new,
          lead.deleted, row.domain, to_millis(*lead.identity.created_at),
          to_millis(*lead.identity.updated_at), enriched_at.c_str(), operation.c_str());
    }
    copy.complete();
  }
  if (!create_ids.empty()) {
    // A lead created meanwhile by another transaction makes its insert do nothing.
    const auto inserted = work.exec(
        "INSERT INTO leads (id, crm_id, version, stage, is_new, deleted, company_domain, "
        "created_at, updated_at, enriched_at, doc) SELECT id, crm_id, version, stage, is_new, "
        "deleted, company_domain, created_at, updated_at, enriched_at, doc "
        "FROM leadsync_batch WHERE is_create ORDER BY pos ON CONFLICT (id) DO NOTHING RETURNING "
        "id");
    if (inserted.size() != create_ids.size()) {
      std::unordered_set<std::string> inserted_ids;
      for (const auto& row : inserted) {
        inserted_ids.insert(row[0].as<std::string>());
      }
      for (std::size_t i = 0; i < writes.size(); ++i) {
        if (writes[i].kind == WriteKind::create && inserted_ids.count(leads[i].identity.id) == 0) {
          return prefixed(lead_exists(leads[i].identity.id), position(i));
        }
      }
    }
  }
  if (!update_ids.empty()) {
    work.exec0("UPDATE leads SET crm_id = b.crm_id, version = b.version, stage = b.stage, "
               "is_new = b.is_new, deleted = b.deleted, company_domain = b.company_domain, "
               "updated_at = b.updated_at, enriched_at = b.enriched_at, doc = b.doc "
               "FROM leadsync_batch AS b WHERE leads.id = b.id AND NOT b.is_create");
    work.exec0("DELETE FROM lead_emails WHERE lead_id IN "
               "(SELECT id FROM leadsync_batch WHERE NOT is_create)");
    work.exec0("DELETE FROM lead_phones WHERE lead_id IN "
               "(SELECT id FROM leadsync_batch WHERE NOT is_create)");
  }
  // Lookup rows straight into their tables: their leads exist now, and per lead they are unique.
  {
    pqxx::stream_to copy(work, "lead_emails", std::vector<std::string>{"lead_id", "email"});
    for (std::size_t i = 0; i < writes.size(); ++i) {
      for (const auto& email : rows[i].emails) {
        copy << std::forward_as_tuple(leads[i].identity.id, email);
      }
    }
    copy.complete();
  }
  {
    pqxx::stream_to copy(work, "lead_phones", std::vector<std::string>{"lead_id", "e164"});
    for (std::size_t i = 0; i < writes.size(); ++i) {
      for (const auto& phone : rows[i].phones) {
        copy << std::forward_as_tuple(leads[i].identity.id, phone);
      }
    }
    copy.complete();
  }
  if (enqueued) {
    // Sequence numbers follow the batch's order, as they would one write at a time.
    work.exec0("INSERT INTO outbox (lead_id, operation, lead_version, created_at) "
               "SELECT id, operation, version, updated_at FROM leadsync_batch "
               "WHERE operation IS NOT NULL ORDER BY pos");
  }
  return ok_status();
}

// A lead write's transaction. Its statements leave no duplicate key to the database (ON CONFLICT
// for new ids and lookup rows, the leads to update locked first), so a unique violation (SQLSTATE
// 23505) can only come from a writer that got in between in a way they do not foresee: reported,
// as SQLite reports a taken id, as already_exists rather than as a storage failure.
Status write_leads(ConnectionPool& pool, std::string_view what,
                   const std::function<Status(pqxx::work&)>& body) {
  return pool.transact(what, [&](pqxx::work& work) -> Status {
    try {
      return body(work);
    } catch (const pqxx::unique_violation& problem) {
      return fail(ErrorCategory::already_exists,
                  "cannot " + std::string(what) +
                      ": another writer stored the same key meanwhile (" + trimmed(problem.what()) +
                      "); read the lead again and retry");
    }
  });
}

// ---- the review queue

Result<DuplicatePair> read_duplicate_pair(const pqxx::row& row) {
  DuplicatePair pair;
  pair.id = row[0].as<std::int64_t>();
  pair.lead_a = row[1].as<std::string>();
  pair.lead_b = row[2].as<std::string>();
  pair.rule = row[3].as<std::string>();
  pair.score = store::detail::score_of(row[4].as<std::int64_t>());
  pair.evidence = row[5].as<std::string>();
  pair.source = row[6].as<std::string>();
  LEADSYNC_TRY(pair.status, store::detail::parse_duplicate_status(view_of(row[7])));
  pair.created_at = from_millis(row[8].as<std::int64_t>());
  pair.resolved_at = from_millis(optional_integer(row[9]));
  return pair;
}

// Inside a transaction. An open pair is added unless the pair is known; a resolved one sets its
// status (see Store::write_batch).
Status save_duplicate_pair(pqxx::work& work, const DuplicatePair& pair, const Clock& clock) {
  LEADSYNC_TRY(const auto row, store::detail::duplicate_pair_row(pair, clock.now()));
  work.exec_params(std::string("INSERT INTO duplicate_pairs (lead_low, lead_high, lead_a, lead_b, "
                               "rule, score_milli, evidence, source, status, created_at, "
                               "resolved_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) "
                               "ON CONFLICT (lead_low, lead_high) DO ") +
                       (row.resolved ? "UPDATE SET status = excluded.status, "
                                       "resolved_at = excluded.resolved_at"
                                     : "NOTHING"),
                   row.low, row.high, row.a, row.b, pair.rule, row.score_milli, pair.evidence,
                   pair.source, std::string(to_string(pair.status)), row.created_at,
                   nullable(row.resolved_at).c_str());
  return ok_status();
}

Status save_checkpoint(pqxx::work& work, const CheckpointValue& checkpoint, const Clock& clock) {
  work.exec_params("INSERT INTO checkpoints (name, value, updated_at) VALUES ($1, $2, $3) "
                   "ON CONFLICT (name) DO UPDATE SET value = excluded.value, "
                   "updated_at = excluded.updated_at",
                   checkpoint.name, checkpoint.value, to_millis(clock.now()));
  return ok_status();
}

// ---- foreign writes

} // namespace

// What foreign_write_marker of one Store object keeps: a connection LISTENing on
// lead_write_channel and the count of notifications other writers sent since.
//
// Why notifications: the marker must change for another writer's commit but not for this
// object's own, and be cheap enough to read before every lookup batch of an import. The tables
// hold nothing that says who wrote a row, and a count over the leads table would scan it.
//
// A listener that is not read holds back the server's notification queue once its socket is full
// (https://www.postgresql.org/docs/15/sql-notify.html), so the store's own lead writes drain it
// (tend), and a marker nobody read for idle_limit (the import is over) stops listening; the next
// read then reports a change, as writes may have been missed.
class ForeignWrites {
public:
  static constexpr std::chrono::minutes idle_limit{10};

  Result<std::int64_t> marker(ConnectionPool& pool, const std::string& token) EXCLUDES(mutex_) {
    MutexLock lock(mutex_);
    last_read_ = std::chrono::steady_clock::now();
    if (!connection_) {
      LEADSYNC_TRY(connection_, pool.dedicated_connection());
      try {
        // NOTIFY reaches the whole database: payloads are "<schema>|<writer>", and only this
        // store's schema counts (several schemas may share a database, as the tests' do).
        std::string schema;
        {
          pqxx::nontransaction query(*connection_);
          schema = query.exec1("SELECT coalesce(current_schema(), '')")[0].as<std::string>();
        }
        receiver_ = std::make_unique<Receiver>(*connection_, schema + "|", token, count_);
        backend_pid_ = connection_->backendpid();
      } catch (const std::exception& problem) {
        drop();
        return error_from(problem, "listen for lead writes");
      }
    }
    try {
      // A round trip first: the server delivers every notification whose writer committed before
      // it, so a write that happened before this call is counted by it.
      {
        pqxx::nontransaction ping(*connection_);
        ping.exec("SELECT 1");
      }
      connection_->get_notifs();
      if (connection_->backendpid() != backend_pid_) {
        // libpqxx reconnected (and listens again): what was sent meanwhile is lost, so assume a
        // write happened.
        backend_pid_ = connection_->backendpid();
        ++count_;
      }
    } catch (const std::exception& problem) {
      drop();
      return error_from(problem, "listen for lead writes");
    }
    return count_;
  }

  // Reads what arrived without waiting (or stops listening when nobody asked for a while). Never
  // delays the caller: skipped while a marker is being read.
  void tend() EXCLUDES(mutex_) {
    if (!mutex_.try_lock()) {
      return;
    }
    tend_locked();
    mutex_.unlock();
  }

private:
  class Receiver final : public pqxx::notification_receiver {
  public:
    Receiver(pqxx::connection_base& connection, std::string schema_prefix, const std::string& own,
             std::int64_t& count)
        : pqxx::notification_receiver(connection, lead_write_channel),
          schema_prefix_(std::move(schema_prefix)), own_(schema_prefix_ + own), count_(count) {}
    void operator()(const std::string& payload, int /*backend_pid*/) override {
      if (payload.starts_with(schema_prefix_) && payload != own_) {
        ++count_;
      }
    }

  private:
    std::string schema_prefix_;
    std::string own_;
    std::int64_t& count_;
  };

  void tend_locked() REQUIRES(mutex_) {
    if (!connection_) {
      return;
    }
    if (std::chrono::steady_clock::now() - last_read_ > idle_limit) {
      drop();
      return;
    }
    try {
      connection_->get_notifs();
    } catch (const std::exception&) {
      drop(); // the next marker reconnects and reports a change
    }
  }

  // Stops listening; writes from now on go unseen, so the marker changes.
  void drop() REQUIRES(mutex_) {
    receiver_.reset(); // before its connection
    connection_.reset();
    ++count_;
  }

  Mutex mutex_;
  // Also counted by receiver_, whose callbacks run inside get_notifs(), with the lock held.
  std::int64_t count_ GUARDED_BY(mutex_) = 0;
  int backend_pid_ GUARDED_BY(mutex_) = 0;
  std::chrono::steady_clock::time_point last_read_ GUARDED_BY(mutex_){};
  std::unique_ptr<pqxx::connection> connection_ GUARDED_BY(mutex_);
  std::unique_ptr<Receiver> receiver_ GUARDED_BY(mutex_); // destroyed before connection_
};

ForeignWritesHandle make_foreign_writes() {
  return std::make_shared<ForeignWrites>();
}

// After a lead write: keeps the store's listener, if any, drained.
void PostgresStore::tend_foreign_writes() {
  foreign_writes_->tend();
}

// ---- leads

Result<model::Lead> PostgresStore::create_lead(model::Lead lead, const WriteOptions& options) {
  LEADSYNC_CHECK(store::detail::assign_id(lead, clock_, random_));
  const auto token = writer_token(this);
  model::Lead created;
  LEADSYNC_CHECK(write_leads(*pool_, "create a lead", [&](pqxx::work& work) -> Status {
    created = lead;
    LEADSYNC_CHECK(create_one(work, created, options, store::detail::stored_time(clock_.now())));
    notify_lead_writes(work, token, options.enqueue);
    return ok_status();
  }));
  tend_foreign_writes();
  return created;
}

Result<model::Lead> PostgresStore::update_lead(model::Lead lead, const WriteOptions& options) {
  LEADSYNC_TRY(lead.identity.id, canonical_id(lead.identity.id));
  const auto token = writer_token(this);
  model::Lead updated;
  LEADSYNC_CHECK(write_leads(*pool_, "update a lead", [&](pqxx::work& work) -> Status {
    updated = lead;
    LEADSYNC_CHECK(update_one(work, updated, options, store::detail::stored_time(clock_.now())));
    notify_lead_writes(work, token, options.enqueue);
    return ok_status();
  }));
  tend_foreign_writes();
  return updated;
}

// Tombstoning a tombstone changes nothing and records nothing.
Result<model::Lead> PostgresStore::tombstone_lead(const std::string& id,
                                                  const WriteOptions& options) {
  LEADSYNC_TRY(const auto canonical, canonical_id(id));
  const auto token = writer_token(this);
  model::Lead lead;
  LEADSYNC_CHECK(write_leads(*pool_, "delete a lead", [&](pqxx::work& work) -> Status {
    const auto rows = work.exec_params(
        sql({"SELECT ", lead_columns, " FROM leads WHERE id = $1 FOR UPDATE"}), canonical);
    if (rows.empty()) {
      return lead_not_found(canonical);
    }
    LEADSYNC_TRY(lead, read_lead(rows[0]));
    if (!store::detail::make_tombstone(lead, store::detail::stored_time(clock_.now()))) {
      return ok_status();
    }
    const auto operation = options.enqueue ? std::optional(OutboxOperation::remove) : std::nullopt;
    LEADSYNC_TRY(const auto row, lead_row(lead, operation));
    LEADSYNC_CHECK(rewrite_lead(work, lead, row));
    notify_lead_writes(work, token, options.enqueue);
    return ok_status();
  }));
  tend_foreign_writes();
  return lead;
}

Result<model::Lead> PostgresStore::get_lead(const std::string& id) {
  LEADSYNC_TRY(const auto canonical, canonical_id(id));
  model::Lead lead;
  LEADSYNC_CHECK(pool_->transact("read a lead", [&](pqxx::work& work) -> Status {
    const auto rows =
        work.exec_params(sql({"SELECT ", lead_columns, " FROM leads WHERE id = $1"}), canonical);
    if (rows.empty()) {
      return lead_not_found(canonical);
    }
    LEADSYNC_TRY(lead, read_lead(rows[0]));
    return ok_status();
  }));
  return lead;
}

// One statement for the batch (id = ANY of an array): a push reads each claimed batch so, not a
// lead at a time (a transaction of three round trips each).
Result<std::vector<model::Lead>> PostgresStore::get_leads(const std::vector<std::string>& ids) {
  LEADSYNC_TRY(const auto canonical, canonical_ids(ids));
  std::vector<model::Lead> leads;
  if (canonical.empty()) {
    return leads;
  }
  std::map<std::string, model::Lead> found;
  LEADSYNC_CHECK(pool_->transact("read leads", [&](pqxx::work& work) -> Status {
    const auto rows =
        work.exec_params(sql({"SELECT ", lead_columns, " FROM leads WHERE id = ANY($1::text[])"}),
                         text_array(canonical));
    for (const auto& row : rows) {
      LEADSYNC_TRY(auto lead, read_lead(row));
      std::string id = lead.identity.id;
      found.emplace(std::move(id), std::move(lead));
    }
    return ok_status();
  }));
  leads.reserve(found.size());
  for (const auto& id : canonical) {
    if (auto hit = found.find(id); hit != found.end()) {
      leads.push_back(hit->second);
    }
  }
  return leads;
}

namespace {

// Live leads matching `condition` (which follows "FROM leads" and has one parameter), oldest
// first.
Result<std::vector<model::Lead>> find_live_leads(ConnectionPool& pool, std::string_view condition,
                                                 const std::string& value) {
  if (value.empty()) {
    return std::vector<model::Lead>{};
  }
  std::vector<model::Lead> leads;
  LEADSYNC_CHECK(pool.transact("look up leads", [&](pqxx::work& work) -> Status {
    const auto rows =
        work.exec_params(sql({"SELECT ", lead_columns, " FROM leads ", condition,
                              " AND NOT leads.deleted ORDER BY leads.created_at, leads.id"}),
                         value);
    LEADSYNC_TRY(leads, read_leads(rows));
    return ok_status();
  }));
  return leads;
}

} // namespace

Result<std::vector<model::Lead>> PostgresStore::find_by_email(const std::string& email) {
  return find_live_leads(*pool_,
                         "JOIN lead_emails ON lead_emails.lead_id = leads.id "
                         "WHERE lead_emails.email = $1",
                         ascii_lower(email));
}

Result<std::vector<model::Lead>> PostgresStore::find_by_phone(const std::string& e164) {
  return find_live_leads(*pool_,
                         "JOIN lead_phones ON lead_phones.lead_id = leads.id "
                         "WHERE lead_phones.e164 = $1",
                         e164);
}

Result<std::vector<model::Lead>> PostgresStore::find_by_domain(const std::string& domain) {
  return find_live_leads(*pool_, "WHERE leads.company_domain = $1", ascii_lower(domain));
}

Result<std::vector<model::Lead>> PostgresStore::find_by_crm_id(const std::string& crm_id) {
  return find_live_leads(*pool_, "WHERE leads.crm_id = $1", crm_id);
}

Result<LeadPage> PostgresStore::list_leads(const LeadFilter& filter, const PageRequest& page) {
  LEADSYNC_TRY(const std::size_t limit, store::detail::page_size(page));
  std::string text = sql({"SELECT ", lead_columns, " FROM leads WHERE true"});
  std::vector<std::string> parameters;
  const auto parameter = [&](std::string value) {
    parameters.push_back(std::move(value));
    return "$" + std::to_string(parameters.size());
  };
  if (!filter.include_deleted) {
    text += " AND NOT deleted";
  }
  if (filter.stage) {
    text += " AND stage = " + parameter(std::string(model::to_string(*filter.stage)));
  }
  if (filter.is_new) {
    text += " AND is_new = " + parameter(*filter.is_new ? "true" : "false");
  }
  if (filter.enriched) {
    // Written exactly as the partial index leads_not_enriched is, so that it is used.
    text += *filter.enriched ? " AND enriched_at IS NOT NULL" : " AND enriched_at IS NULL";
  }
  if (filter.updated_since) {
    text += " AND updated_at >= " + parameter(std::to_string(to_millis(*filter.updated_since)));
  }
  if (!filter.crm_id.empty()) {
    text += " AND crm_id = " + parameter(filter.crm_id);
  }
  // Ids are stored lower-case; a part of an id has no LIKE wildcards (checked first).
  for (const bool suffix : {false, true}) {
    const std::string& part = suffix ? filter.id_suffix : filter.id_prefix;
    if (part.empty()) {
      continue;
    }
    LEADSYNC_TRY(auto pattern, store::detail::id_pattern(part, suffix));
    text += " AND id LIKE " + parameter(std::move(pattern));
  }
  if (!page.after.empty()) {
    LEADSYNC_TRY(const auto cursor, store::detail::parse_cursor(page.after));
    const auto created_at = parameter(std::to_string(cursor.created_at));
    text += " AND (created_at, id) > (" + created_at + "::bigint, " + parameter(cursor.id) + ")";
  }
  // One row more than asked tells whether another page follows.
  text += " ORDER BY created_at, id LIMIT " + parameter(std::to_string(limit + 1));

  LeadPage result;
  LEADSYNC_CHECK(pool_->transact("list leads", [&](pqxx::work& work) -> Status {
    const auto rows = work.exec_params(text, pqxx::prepare::make_dynamic_params(parameters));
    LEADSYNC_TRY(result.leads, read_leads(rows));
    return ok_status();
  }));
  if (result.leads.size() > limit) {
    result.leads.pop_back();
    result.next = store::detail::make_cursor(result.leads.back());
  }
  return result;
}

// One statement for all the keys, each list one array; read a batch of leads at a time (a
// company domain may hold thousands).
Result<std::vector<model::Lead>> PostgresStore::find_leads(const LeadLookup& lookup) {
  const auto keys = store::detail::lookup_keys(lookup);
  if (keys.empty()) {
    return std::vector<model::Lead>{};
  }
  std::vector<model::Lead> leads;
  LEADSYNC_CHECK(pool_->transact("look up leads", [&](pqxx::work& work) -> Status {
    leads.clear();
    const auto any_of = [&](const std::vector<std::string>& keys) {
      return "ANY(" + work.quote(text_array(keys)) + "::text[])";
    };
    constexpr std::string_view live_hits_in_order =
        " FROM leads JOIN hits ON hits.id = leads.id WHERE NOT leads.deleted "
        "ORDER BY leads.created_at, leads.id";
    const std::string query = sql(
        {"WITH hits (id) AS (SELECT lead_id FROM lead_emails WHERE email = ", any_of(keys.emails),
         " UNION SELECT lead_id FROM lead_phones WHERE e164 = ", any_of(keys.phones),
         " UNION SELECT id FROM leads WHERE company_domain = ", any_of(keys.domains),
         " AND created_at < ", std::to_string(keys.domain_created_before), ") SELECT ",
         lead_columns, live_hits_in_order});
    return for_each_batch(work, query, lead_batch, [&](const pqxx::result& rows) -> Status {
      for (const auto& row : rows) {
        LEADSYNC_TRY(auto lead, read_lead(row));
        leads.push_back(std::move(lead));
      }
      return ok_status();
    });
  }));
  return leads;
}

Status
PostgresStore::scan_lookup_keys(const std::function<void(LookupKind, std::string_view)>& visit) {
  return pool_->transact("scan the lookup keys", [&](pqxx::work& work) -> Status {
    // Each part reads one table or index in its own order: nothing is sorted.
    return for_each_batch(work,
                          "SELECT 0, email FROM lead_emails UNION ALL "
                          "SELECT 1, e164 FROM lead_phones UNION ALL "
                          "SELECT 2, company_domain FROM leads WHERE company_domain <> ''",
                          scan_batch, [&](const pqxx::result& rows) -> Status {
                            for (const auto& row : rows) {
                              const auto kind = row[0].as<int>();
                              visit(kind == 0   ? LookupKind::email
                                    : kind == 1 ? LookupKind::phone
                                                : LookupKind::domain,
                                    view_of(row[1]));
                            }
                            return ok_status();
                          });
  });
}

Result<std::int64_t> PostgresStore::foreign_write_marker() {
  return foreign_writes_->marker(*pool_, writer_token(this));
}

Result<std::vector<model::Lead>>
PostgresStore::write_batch(std::vector<LeadWrite> writes,
                           const std::optional<CheckpointValue>& checkpoint,
                           const std::vector<DuplicatePair>& pairs) {
  LEADSYNC_CHECK(store::detail::prepare_writes(writes, checkpoint, clock_, random_));
  const auto position = [&](std::size_t index) {
    return store::detail::position_of("write", index, writes.size());
  };
  // The leads are written in place; a transaction run again (after a deadlock) starts from the
  // versions the caller gave.
  std::vector<std::int64_t> given_versions;
  given_versions.reserve(writes.size());
  for (const auto& write : writes) {
    given_versions.push_back(write.lead.identity.version);
  }
  std::vector<model::Lead> leads;
  leads.reserve(writes.size());
  for (auto& write : writes) {
    leads.push_back(std::move(write.lead));
  }
  const auto token = writer_token(this);
  LEADSYNC_CHECK(write_leads(*pool_, "write a batch of leads", [&](pqxx::work& work) -> Status {
    for (std::size_t i = 0; i < leads.size(); ++i) {
      leads[i].identity.version = given_versions[i];
    }
    const TimePoint now = store::detail::stored_time(clock_.now());
    if (writes.size() > bulk_threshold) {
      LEADSYNC_CHECK(bulk_write(work, writes, leads, now, position));
    } else {
      for (std::size_t i = 0; i < writes.size(); ++i) {
        auto written = writes[i].kind == WriteKind::create
                           ? create_one(work, leads[i], writes[i].options, now)
                           : update_one(work, leads[i], writes[i].options, now);
        if (!written.ok()) {
          return prefixed(written.error(), position(i));
        }
      }
    }
    for (const auto& pair : pairs) {
      LEADSYNC_CHECK(save_duplicate_pair(work, pair, clock_));
    }
    if (checkpoint) {
      LEADSYNC_CHECK(save_checkpoint(work, *checkpoint, clock_));
    }
    if (!writes.empty()) {
      const bool enqueued = std::any_of(writes.begin(), writes.end(), [](const LeadWrite& write) {
        return write.options.enqueue;
      });
      notify_lead_writes(work, token, enqueued);
    }
    return ok_status();
  }));
  tend_foreign_writes();
  return leads;
}

Status PostgresStore::scan_person_names(
    const std::function<void(std::string_view, std::string_view)>& visit) {
  return pool_->transact("scan the lead names", [&](pqxx::work& work) -> Status {
    // The document is parsed once per row (OFFSET 0 keeps the planner from copying the
    // expression into both columns); json, not jsonb, accepts any text JSON holds.
    return for_each_batch(
        work,
        "SELECT person->>'first_name', person->>'last_name' FROM "
        "(SELECT doc::json->'person' AS person FROM leads WHERE NOT deleted OFFSET 0) AS live",
        scan_batch, [&](const pqxx::result& rows) -> Status {
          for (const auto& row : rows) {
            visit(view_of(row[0]), view_of(row[1]));
          }
          return ok_status();
        });
  });
}

Result<std::vector<DuplicatePair>>
PostgresStore::find_duplicate_pairs(const DuplicateQuery& query) {
  std::string lead;
  if (!query.lead_id.empty()) {
    LEADSYNC_TRY(lead, canonical_id(query.lead_id));
  }
  std::vector<DuplicatePair> pairs;
  LEADSYNC_CHECK(pool_->transact("read the review queue", [&](pqxx::work& work) -> Status {
    pairs.clear();
    const auto rows = work.exec_params(
        sql({"SELECT ", duplicate_pair_columns,
             " FROM duplicate_pairs WHERE status = $1 AND ($2 = '' OR rule = $2) AND "
             "($3 = '' OR lead_low = $3 OR lead_high = $3) ORDER BY id LIMIT $4"}),
        std::string(to_string(query.status)), query.rule, lead, sql_limit(query.limit));
    for (const auto& row : rows) {
      LEADSYNC_TRY(auto pair, read_duplicate_pair(row));
      pairs.push_back(std::move(pair));
    }
    return ok_status();
  }));
  return pairs;
}

Result<DuplicatePair> PostgresStore::get_duplicate_pair(const std::string& lead_a,
                                                        const std::string& lead_b) {
  LEADSYNC_TRY(const auto a, canonical_id(lead_a));
  LEADSYNC_TRY(const auto b, canonical_id(lead_b));
  DuplicatePair pair;
  LEADSYNC_CHECK(pool_->transact("read the review queue", [&](pqxx::work& work) -> Status {
    const auto rows = work.exec_params(sql({"SELECT ", duplicate_pair_columns,
                                            " FROM duplicate_pairs WHERE lead_low = $1 AND "
                                            "lead_high = $2"}),
                                       std::min(a, b), std::max(a, b));
    if (rows.empty()) {
      return store::detail::duplicate_pair_not_found(a, b);
    }
    LEADSYNC_TRY(pair, read_duplicate_pair(rows[0]));
    return ok_status();
  }));
  return pair;
}

} // namespace leadsync::store::postgres
