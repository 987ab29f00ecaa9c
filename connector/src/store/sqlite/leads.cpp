// The SQLite store: Leads and the review queue of possible duplicates (LeadStore).

#include "leadsync/model/json.hpp"
#include "sqlite/detail/lookup_backlog.hpp"
#include "sqlite/rows.hpp"
#include "sqlite/sqlite_store.hpp"

#include <algorithm>
#include <nlohmann/json.hpp>

namespace leadsync::store::sqlite {

Result<model::Lead> SqliteStore::create_lead(model::Lead lead, const WriteOptions& options) {
  LEADSYNC_CHECK(detail::assign_id(lead, clock_, random_));
  MutexLock lock(mutex_);
  LEADSYNC_TRY(auto transaction, Transaction::begin(database_));
  LEADSYNC_CHECK(insert_lead(lead, options));
  LEADSYNC_CHECK(transaction.commit());
  return lead;
}

Result<model::Lead> SqliteStore::update_lead(model::Lead lead, const WriteOptions& options) {
  LEADSYNC_TRY(lead.identity.id, canonical_id(lead.identity.id));
  MutexLock lock(mutex_);
  LEADSYNC_TRY(auto transaction, Transaction::begin(database_));
  LEADSYNC_CHECK(apply_update(lead, options));
  LEADSYNC_CHECK(transaction.commit());
  return lead;
}

Result<std::vector<model::Lead>>
SqliteStore::write_batch(std::vector<LeadWrite> writes,
                         const std::optional<CheckpointValue>& checkpoint,
                         const std::vector<DuplicatePair>& pairs) {
  LEADSYNC_CHECK(detail::prepare_writes(writes, checkpoint, clock_, random_));
  MutexLock lock(mutex_);
  LEADSYNC_TRY(auto transaction, Transaction::begin(database_));
  for (std::size_t i = 0; i < writes.size(); ++i) {
    auto& write = writes[i];
    auto written = write.kind == WriteKind::create ? insert_lead(write.lead, write.options)
                                                   : apply_update(write.lead, write.options);
    if (!written.ok()) {
      return fail(prefixed(written.error(), detail::position_of("write", i, writes.size())));
    }
  }
  for (const auto& pair : pairs) {
    LEADSYNC_CHECK(save_duplicate_pair(pair));
  }
  if (checkpoint) {
    LEADSYNC_CHECK(save_checkpoint(checkpoint->name, checkpoint->value));
  }
  LEADSYNC_CHECK(transaction.commit());
  std::vector<model::Lead> leads;
  leads.reserve(writes.size());
  for (auto& write : writes) {
    leads.push_back(std::move(write.lead));
  }
  return leads;
}

Status SqliteStore::finish_bulk_load() {
  MutexLock lock(mutex_);
  LEADSYNC_TRY(auto transaction, Transaction::begin(database_));
  LEADSYNC_CHECK(sqlite::merge_lookup_backlog(database_));
  return transaction.commit();
}

// Tombstoning a tombstone changes nothing and records nothing.
Result<model::Lead> SqliteStore::tombstone_lead(const std::string& id,
                                                const WriteOptions& options) {
  LEADSYNC_TRY(const auto canonical, canonical_id(id));
  MutexLock lock(mutex_);
  LEADSYNC_TRY(auto transaction, Transaction::begin(database_));
  LEADSYNC_TRY(auto lead, load_lead(canonical));
  if (!detail::make_tombstone(lead, now())) {
    return lead;
  }
  LEADSYNC_CHECK(
      save_lead(lead, options.enqueue ? std::optional(OutboxOperation::remove) : std::nullopt));
  LEADSYNC_CHECK(transaction.commit());
  return lead;
}

Result<model::Lead> SqliteStore::get_lead(const std::string& id) {
  LEADSYNC_TRY(const auto canonical, canonical_id(id));
  MutexLock lock(mutex_);
  return load_lead(canonical);
}

// One lookup by primary key each, under one lock: SQLite has no round trips to save.
Result<std::vector<model::Lead>> SqliteStore::get_leads(const std::vector<std::string>& ids) {
  LEADSYNC_TRY(const auto canonical, canonical_ids(ids));
  std::vector<model::Lead> leads;
  leads.reserve(ids.size());
  MutexLock lock(mutex_);
  for (const auto& id : canonical) {
    auto lead = load_lead(id);
    if (lead.ok()) {
      leads.push_back(std::move(lead).value());
    } else if (lead.error().category != ErrorCategory::not_found) {
      return lead.error();
    }
  }
  return leads;
}

Result<std::vector<model::Lead>> SqliteStore::find_by_email(const std::string& email) {
  return find_live_leads("WHERE leads.id IN (SELECT lead_id FROM lead_emails WHERE email = ?1 "
                         "UNION SELECT lead_id FROM lookup_backlog WHERE value = ?1 AND kind = 0)",
                         ascii_lower(email));
}

Result<std::vector<model::Lead>> SqliteStore::find_by_phone(const std::string& e164) {
  return find_live_leads("WHERE leads.id IN (SELECT lead_id FROM lead_phones WHERE e164 = ?1 "
                         "UNION SELECT lead_id FROM lookup_backlog WHERE value = ?1 AND kind = 1)",
                         e164);
}

Result<std::vector<model::Lead>> SqliteStore::find_by_domain(const std::string& domain) {
  return find_live_leads("WHERE leads.id IN (SELECT lead_id FROM lead_domains WHERE domain = ?1 "
                         "UNION SELECT lead_id FROM lookup_backlog WHERE value = ?1 AND kind = 2)",
                         ascii_lower(domain));
}

Result<std::vector<model::Lead>> SqliteStore::find_by_crm_id(const std::string& crm_id) {
  return find_live_leads("WHERE leads.crm_id = ?", crm_id);
}

// One statement for all the keys: each list is bound as one JSON array parameter.
Result<std::vector<model::Lead>> SqliteStore::find_leads(const LeadLookup& lookup) {
  const auto keys = detail::lookup_keys(lookup);
  if (keys.empty()) {
    return std::vector<model::Lead>{};
  }
  MutexLock lock(mutex_);
  LEADSYNC_TRY(
      auto query,
      database_.query(
          sql({"WITH hits (id) AS ("
               "SELECT lead_id FROM lead_emails WHERE email IN (SELECT value FROM json_each(?1)) "
               "UNION SELECT lead_id FROM lead_phones WHERE e164 IN "
               "(SELECT value FROM json_each(?2)) "
               "UNION SELECT lead_id FROM lead_domains JOIN leads ON leads.id = lead_id "
               "WHERE domain IN (SELECT value FROM json_each(?3)) AND created_at < ?4 ",
               lookup.skip_unfinished_bulk_loads ? ""
                                                 : "UNION SELECT lead_id FROM lookup_backlog "
                                                   "JOIN leads ON leads.id = lead_id "
                                                   "WHERE CASE kind "
                                                   "WHEN 0 THEN value IN (SELECT value FROM "
                                                   "json_each(?1)) "
                                                   "WHEN 1 THEN value IN (SELECT value FROM "
                                                   "json_each(?2)) "
                                                   "ELSE value IN (SELECT value FROM "
                                                   "json_each(?3)) AND created_at < ?4 END",
               ") SELECT ", lead_columns,
               " FROM leads JOIN hits ON hits.id = leads.id WHERE leads.deleted = 0 ",
               "ORDER BY leads.created_at, leads.id"}),
          nlohmann::json(keys.emails).dump(), nlohmann::json(keys.phones).dump(),
          nlohmann::json(keys.domains).dump(), keys.domain_created_before));
  return read_leads(query);
}

Status
SqliteStore::scan_lookup_keys(const std::function<void(LookupKind, std::string_view)>& visit) {
  MutexLock lock(mutex_);
  // Each part reads one index in its own order: no sorting, no lookups into the leads table.
  LEADSYNC_TRY(auto query, database_.query("SELECT 0, email FROM lead_emails UNION ALL "
                                           "SELECT 1, e164 FROM lead_phones UNION ALL "
                                           "SELECT kind, value FROM lookup_backlog UNION ALL "
                                           "SELECT 2, domain FROM lead_domains"));
  for (;;) {
    LEADSYNC_TRY(const bool has_row, query.step());
    if (!has_row) {
      return ok_status();
    }
    const auto kind = query.integer(0);
    visit(kind == 0   ? LookupKind::email
          : kind == 1 ? LookupKind::phone
                      : LookupKind::domain,
          query.text_view(1));
  }
}

Status SqliteStore::scan_person_names(
    const std::function<void(std::string_view, std::string_view)>& visit) {
  MutexLock lock(mutex_);
  LEADSYNC_TRY(auto query, database_.query("SELECT json_extract(doc, '$.person.first_name'), "
                                           "json_extract(doc, '$.person.last_name') "
                                           "FROM leads WHERE deleted = 0"));
  for (;;) {
    LEADSYNC_TRY(const bool has_row, query.step());
    if (!has_row) {
      return ok_status();
    }
    visit(query.text_view(0), query.text_view(1));
  }
}

Result<std::vector<DuplicatePair>> SqliteStore::find_duplicate_pairs(const DuplicateQuery& query) {
  std::string lead;
  if (!query.lead_id.empty()) {
    LEADSYNC_TRY(lead, canonical_id(query.lead_id));
  }
  MutexLock lock(mutex_);
  LEADSYNC_TRY(auto found,
               database_.query("SELECT " + std::string(duplicate_pair_columns) +
                                   " FROM duplicate_pairs WHERE status = ?1 AND (?2 = '' OR "
                                   "rule = ?2) AND (?3 = '' OR lead_low = ?3 OR lead_high = ?3) "
                                   "ORDER BY id LIMIT ?4",
                               to_string(query.status), query.rule, lead, sql_limit(query.limit)));
  std::vector<DuplicatePair> pairs;
  for (;;) {
    LEADSYNC_TRY(const bool has_row, found.step());
    if (!has_row) {
      return pairs;
    }
    LEADSYNC_TRY(auto pair, read_duplicate_pair(found));
    pairs.push_back(std::move(pair));
  }
}

Result<DuplicatePair> SqliteStore::get_duplicate_pair(const std::string& lead_a,
                                                      const std::string& lead_b) {
  LEADSYNC_TRY(const auto a, canonical_id(lead_a));
  LEADSYNC_TRY(const auto b, canonical_id(lead_b));
  MutexLock lock(mutex_);
  LEADSYNC_TRY(auto query, database_.query("SELECT " + std::string(duplicate_pair_columns) +
                                               " FROM duplicate_pairs WHERE lead_low = ? AND "
                                               "lead_high = ?",
                                           std::min(a, b), std::max(a, b)));
  LEADSYNC_TRY(const bool found, query.step());
  if (!found) {
    return detail::duplicate_pair_not_found(a, b);
  }
  return read_duplicate_pair(query);
}

// SQLite's data_version changes when another connection commits, never for this one's own.
Result<std::int64_t> SqliteStore::foreign_write_marker() {
  MutexLock lock(mutex_);
  return database_.query_integer("PRAGMA data_version");
}

Result<LeadPage> SqliteStore::list_leads(const LeadFilter& filter, const PageRequest& page) {
  LEADSYNC_TRY(const std::size_t limit, detail::page_size(page));
  std::string text = sql({"SELECT ", lead_columns, " FROM leads WHERE 1 = 1"});
  std::vector<SqlValue> parameters;
  if (!filter.include_deleted) {
    text += " AND deleted = 0";
  }
  if (filter.stage) {
    text += " AND stage = ?";
    parameters.emplace_back(std::string(model::to_string(*filter.stage)));
  }
  if (filter.is_new) {
    text += " AND is_new = ?";
    parameters.emplace_back(std::int64_t{*filter.is_new});
  }
  if (filter.enriched) {
    // Written exactly as the partial index leads_not_enriched is, so that it is used.
    text += *filter.enriched ? " AND enriched_at IS NOT NULL" : " AND enriched_at IS NULL";
  }
  if (filter.updated_since) {
    text += " AND updated_at >= ?";
    parameters.emplace_back(to_millis(*filter.updated_since));
  }
  if (!filter.crm_id.empty()) {
    text += " AND crm_id = ?";
    parameters.emplace_back(filter.crm_id);
  }
  // Ids are stored lower-case; a part of an id has no LIKE wildcards (checked first).
  for (const bool suffix : {false, true}) {
    const std::string& part = suffix ? filter.id_suffix : filter.id_prefix;
    if (part.empty()) {
      continue;
    }
    LEADSYNC_TRY(auto pattern, detail::id_pattern(part, suffix));
    text += " AND id LIKE ?";
    parameters.emplace_back(std::move(pattern));
  }
  if (!page.after.empty()) {
    LEADSYNC_TRY(const auto cursor, parse_cursor(page.after));
    text += " AND (created_at, id) > (?, ?)";
    parameters.emplace_back(cursor.created_at);
    parameters.emplace_back(cursor.id);
  }
  text += " ORDER BY created_at, id LIMIT ?";
  // One row more than asked tells whether another page follows.
  parameters.emplace_back(static_cast<std::int64_t>(limit + 1));

  MutexLock lock(mutex_);
  LEADSYNC_TRY(auto query, database_.query(text));
  for (std::size_t i = 0; i < parameters.size(); ++i) {
    query.bind(static_cast<int>(i + 1), parameters[i]);
  }
  LeadPage result;
  LEADSYNC_TRY(result.leads, read_leads(query));
  if (result.leads.size() > limit) {
    result.leads.pop_back();
    result.next = detail::make_cursor(result.leads.back());
  }
  return result;
}

// Inside a transaction. An open pair is added unless the pair is known; a resolved one sets its
// status (see Store::write_batch).
Status SqliteStore::save_duplicate_pair(const DuplicatePair& pair) {
  LEADSYNC_TRY(const auto row, detail::duplicate_pair_row(pair, clock_.now()));
  LEADSYNC_TRY(auto insert,
               database_.query(
                   std::string("INSERT INTO duplicate_pairs (lead_low, lead_high, lead_a, lead_b, "
                               "rule, score_milli, evidence, source, status, created_at, "
                               "resolved_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
                               "ON CONFLICT (lead_low, lead_high) DO ") +
                       (row.resolved ? "UPDATE SET status = excluded.status, "
                                       "resolved_at = excluded.resolved_at"
                                     : "NOTHING"),
                   row.low, row.high, row.a, row.b, pair.rule, row.score_milli, pair.evidence,
                   pair.source, to_string(pair.status), row.created_at, row.resolved_at));
  return insert.run();
}

// Stores a new lead (version 1, the clock's time) inside the caller's transaction.
Status SqliteStore::insert_lead(model::Lead& lead, const WriteOptions& options) {
  detail::start_identity(lead, now());
  return save_lead(lead, detail::outbox_operation(options), /*new_lead=*/true, options.bulk_load);
}

// Stores a new version of a lead inside the caller's transaction; the given version must be the
// stored one.
Status SqliteStore::apply_update(model::Lead& lead, const WriteOptions& options) {
  LEADSYNC_TRY(const auto stored, find_version(lead.identity.id));
  if (!stored) {
    return detail::lead_not_found(lead.identity.id);
  }
  LEADSYNC_CHECK(detail::advance_identity(lead, stored->version, stored->created_at, now()));
  return save_lead(lead, detail::outbox_operation(options), /*new_lead=*/false, options.bulk_load);
}

Result<std::optional<SqliteStore::StoredVersion>> SqliteStore::find_version(const std::string& id) {
  LEADSYNC_TRY(auto query,
               database_.query("SELECT version, created_at FROM leads WHERE id = ?", id));
  LEADSYNC_TRY(const bool found, query.step());
  if (!found) {
    return std::optional<StoredVersion>();
  }
  return std::optional(StoredVersion{query.integer(0), query.integer(1)});
}

Result<model::Lead> SqliteStore::load_lead(const std::string& id) {
  LEADSYNC_TRY(auto query,
               database_.query(sql({"SELECT ", lead_columns, " FROM leads WHERE id = ?"}), id));
  LEADSYNC_TRY(const bool found, query.step());
  if (!found) {
    return detail::lead_not_found(id);
  }
  return read_lead(query);
}

// Non-deleted leads matching `condition` (which follows "FROM leads" and has one parameter).
Result<std::vector<model::Lead>> SqliteStore::find_live_leads(std::string_view condition,
                                                              const std::string& value) {
  if (value.empty()) {
    return std::vector<model::Lead>{};
  }
  MutexLock lock(mutex_);
  LEADSYNC_TRY(auto query,
               database_.query(sql({"SELECT ", lead_columns, " FROM leads ", condition,
                                    " AND leads.deleted = 0 ORDER BY leads.created_at, leads.id"}),
                               value));
  return read_leads(query);
}

// Writes the lead row, rewrites its lookup rows (a new lead has none to remove; `bulk`: into the
// backlog) and, when `operation` is set, records the outbox entry. Runs inside the caller's
// transaction.
Status SqliteStore::save_lead(const model::Lead& lead, std::optional<OutboxOperation> operation,
                              bool new_lead, bool bulk) {
  LEADSYNC_TRY(const auto document, detail::lead_document(lead));
  {
    // A new lead's insert does nothing when the id is taken: one statement instead of a lookup
    // and an insert, which matters for bulk imports.
    LEADSYNC_TRY(
        auto upsert,
        database_.query(
            new_lead ? "INSERT INTO leads (id, crm_id, version, stage, is_new, deleted, "
                       "company_domain, created_at, updated_at, enriched_at, doc) VALUES "
                       "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING"
                     : "INSERT INTO leads (id, crm_id, version, stage, is_new, deleted, "
                       "company_domain, created_at, updated_at, enriched_at, doc) VALUES "
                       "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
                       "ON CONFLICT (id) DO UPDATE SET crm_id = excluded.crm_id, version = "
                       "excluded.version, stage = excluded.stage, is_new = excluded.is_new, "
                       "deleted = excluded.deleted, company_domain = excluded.company_domain, "
                       "updated_at = excluded.updated_at, enriched_at = excluded.enriched_at, "
                       "doc = excluded.doc",
            lead.identity.id, lead.identity.crm_id, lead.identity.version,
            model::to_string(lead.qualification.stage), lead.is_new, lead.deleted,
            ascii_lower(lead.company.domain), to_millis(lead.identity.created_at.value()),
            to_millis(lead.identity.updated_at.value()), to_millis(lead.enriched_at), document));
    LEADSYNC_CHECK(upsert.run());
  }
  if (new_lead && database_.changes() == 0) {
    return detail::lead_exists(lead.identity.id);
  }
  LEADSYNC_CHECK(bulk ? write_backlog(lead, new_lead) : write_lookups(lead, new_lead));
  if (operation) {
    LEADSYNC_CHECK(enqueue(lead.identity.id, *operation, lead.identity.version,
                           lead.identity.updated_at.value()));
  }
  return ok_status();
}

Status SqliteStore::write_lookups(const model::Lead& lead, bool new_lead) {
  const std::string& id = lead.identity.id;
  if (!new_lead) {
    LEADSYNC_CHECK(remove_rows("lookup_backlog", id));
  }
  LEADSYNC_CHECK(replace_rows("lead_emails", "email", id, detail::email_keys(lead), new_lead));
  LEADSYNC_CHECK(replace_rows("lead_phones", "e164", id, detail::phone_keys(lead), new_lead));
  return replace_rows("lead_domains", "domain", id, domain_keys(lead), new_lead);
}

// A bulk write's keys: all of the lead's keys go to the backlog (an update's indexed ones are
// taken out, so that the backlog holds the lead's whole set). See
// sqlite/detail/lookup_backlog.hpp.
Status SqliteStore::write_backlog(const model::Lead& lead, bool new_lead) {
  const std::string& id = lead.identity.id;
  if (!new_lead) {
    LEADSYNC_CHECK(remove_rows("lead_emails", id));
    LEADSYNC_CHECK(remove_rows("lead_phones", id));
    LEADSYNC_CHECK(remove_rows("lead_domains", id));
    LEADSYNC_CHECK(remove_rows("lookup_backlog", id));
  }
  const auto add = [&](int kind, const std::set<std::string>& values) -> Status {
    mutex_.assert_held(); // called below, under the caller's lock
    for (const auto& value : values) {
      LEADSYNC_TRY(auto insert, database_.query("INSERT OR IGNORE INTO lookup_backlog (lead_id, "
                                                "kind, value) VALUES (?, ?, ?)",
                                                id, std::int64_t{kind}, value));
      LEADSYNC_CHECK(insert.run());
    }
    return ok_status();
  };
  LEADSYNC_CHECK(add(0, detail::email_keys(lead)));
  LEADSYNC_CHECK(add(1, detail::phone_keys(lead)));
  return add(2, domain_keys(lead));
}

std::set<std::string> SqliteStore::domain_keys(const model::Lead& lead) {
  if (lead.company.domain.empty()) {
    return {};
  }
  return {ascii_lower(lead.company.domain)};
}

Status SqliteStore::remove_rows(std::string_view table, const std::string& lead_id) {
  LEADSYNC_TRY(auto remove,
               database_.query(sql({"DELETE FROM ", table, " WHERE lead_id = ?"}), lead_id));
  return remove.run();
}

Status SqliteStore::replace_rows(std::string_view table, std::string_view column,
                                 const std::string& lead_id, const std::set<std::string>& values,
                                 bool new_lead) {
  if (!new_lead) {
    LEADSYNC_CHECK(remove_rows(table, lead_id));
  }
  const std::string insert_sql =
      sql({"INSERT INTO ", table, " (lead_id, ", column, ") VALUES (?, ?)"});
  for (const auto& value : values) {
    LEADSYNC_TRY(auto insert, database_.query(insert_sql, lead_id, value));
    LEADSYNC_CHECK(insert.run());
  }
  return ok_status();
}

} // namespace leadsync::store::sqlite
