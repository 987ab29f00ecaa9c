#include "sqlite/migrations.hpp"

#include <array>
#include <chrono>
#include <string>
#include <string_view>

namespace leadsync::store::sqlite {
namespace {

struct Migration {
  int version;
  std::string_view sql;
};

// Append new steps at the end; never edit a released one. Every time column holds milliseconds
// since the Unix epoch (UTC) so that comparisons and ordering are numeric.
constexpr std::array migrations{
    Migration{1, R"sql(
CREATE TABLE leads (
  id             TEXT PRIMARY KEY,
  crm_id         TEXT NOT NULL DEFAULT '',
  version        INTEGER NOT NULL,
  stage          TEXT NOT NULL,
  is_new         INTEGER NOT NULL,
  deleted        INTEGER NOT NULL DEFAULT 0,
  company_domain TEXT NOT NULL DEFAULT '', -- lower-cased
  created_at     INTEGER NOT NULL,
  updated_at     INTEGER NOT NULL,
  doc            TEXT NOT NULL            -- model::to_json(lead)
);
CREATE INDEX leads_by_crm_id ON leads (crm_id);
CREATE INDEX leads_by_company_domain ON leads (company_domain);
CREATE INDEX leads_by_stage ON leads (stage);
CREATE INDEX leads_by_updated_at ON leads (updated_at);
CREATE INDEX leads_by_created_at ON leads (created_at, id);

-- Lookup tables for de-duplication, rewritten with every lead write.
CREATE TABLE lead_emails (
  lead_id TEXT NOT NULL REFERENCES leads (id),
  email   TEXT NOT NULL, -- lower-cased
  PRIMARY KEY (lead_id, email)
) WITHOUT ROWID;
CREATE INDEX lead_emails_by_email ON lead_emails (email);
CREATE TABLE lead_phones (
  lead_id TEXT NOT NULL REFERENCES leads (id),
  e164    TEXT NOT NULL,
  PRIMARY KEY (lead_id, e164)
) WITHOUT ROWID;
CREATE INDEX lead_phones_by_e164 ON lead_phones (e164);

CREATE TABLE outbox (
  seq          INTEGER PRIMARY KEY AUTOINCREMENT,
  lead_id      TEXT NOT NULL REFERENCES leads (id),
  operation    TEXT NOT NULL,
  lead_version INTEGER NOT NULL,
  created_at   INTEGER NOT NULL,
  attempts     INTEGER NOT NULL DEFAULT 0,
  last_error   TEXT NOT NULL DEFAULT '',
  not_before   INTEGER,
  lease_owner  TEXT NOT NULL DEFAULT '',
  lease_until  INTEGER
);
CREATE INDEX outbox_by_lead ON outbox (lead_id, seq);

CREATE TABLE dead_letters (
  id             INTEGER PRIMARY KEY AUTOINCREMENT,
  lead_id        TEXT NOT NULL REFERENCES leads (id),
  operation      TEXT NOT NULL,
  lead_version   INTEGER NOT NULL,
  outbox_seq     INTEGER NOT NULL,
  error_category TEXT NOT NULL,
  http_status    INTEGER NOT NULL,
  service_code   TEXT NOT NULL,
  message        TEXT NOT NULL,
  attempts       INTEGER NOT NULL,
  created_at     INTEGER NOT NULL
);

CREATE TABLE checkpoints (
  name       TEXT PRIMARY KEY,
  value      TEXT NOT NULL,
  updated_at INTEGER NOT NULL
);

CREATE TABLE runs (
  id          INTEGER PRIMARY KEY AUTOINCREMENT,
  kind        TEXT NOT NULL,
  status      TEXT NOT NULL,
  started_at  INTEGER NOT NULL,
  finished_at INTEGER,
  counts      TEXT NOT NULL DEFAULT '{}', -- JSON object of integers
  message     TEXT NOT NULL DEFAULT ''
);
CREATE INDEX runs_by_started_at ON runs (started_at);

CREATE TABLE behaviour_events (
  id          INTEGER PRIMARY KEY AUTOINCREMENT,
  lead_id     TEXT NOT NULL REFERENCES leads (id),
  kind        TEXT NOT NULL,
  occurred_at INTEGER NOT NULL,
  doc         TEXT NOT NULL -- model::to_json(event)
);
CREATE INDEX behaviour_events_by_lead ON behaviour_events (lead_id, occurred_at);
)sql"},
    // The process a run belongs to ("<host>:<pid>"), so that a run whose process was killed can be
    // told from one still going.
    Migration{2, R"sql(
ALTER TABLE runs ADD COLUMN owner TEXT NOT NULL DEFAULT '';
)sql"},
    // The review queue of possible duplicates. A pair is kept once whichever lead is named first
    // (lead_low < lead_high), so a pair declared two people is never suggested again.
    Migration{3, R"sql(
CREATE TABLE duplicate_pairs (
  id          INTEGER PRIMARY KEY AUTOINCREMENT,
  lead_low    TEXT NOT NULL,
  lead_high   TEXT NOT NULL,
  lead_a      TEXT NOT NULL, -- the lead found first
  lead_b      TEXT NOT NULL,
  rule        TEXT NOT NULL,
  score_milli INTEGER NOT NULL, -- score x 1000
  evidence    TEXT NOT NULL,
  source      TEXT NOT NULL,
  status      TEXT NOT NULL,
  created_at  INTEGER NOT NULL,
  resolved_at INTEGER,
  UNIQUE (lead_low, lead_high)
);
CREATE INDEX duplicate_pairs_by_status ON duplicate_pairs (status, id);
CREATE INDEX duplicate_pairs_by_lead_high ON duplicate_pairs (lead_high);
)sql"},
    // Enrichment. leads.enriched_at mirrors the document's enriched_at (milliseconds; NULL: never
    // enriched) so list_leads can filter on it; the partial index holds only the leads enrichment
    // has not looked at, which `enrich --new` pages through in creation order. Existing leads take
    // the value from their document (only those whose text names the key are parsed; a document
    // that is not JSON, which reading the lead reports anyway, is left NULL rather than stopping
    // the upgrade).
    // The answer cache, the usage ledger (quotas survive restarts), lookups a provider queued,
    // and the index of file feeds: a file, its records, and the keys each record answers.
    Migration{4, R"sql(
ALTER TABLE leads ADD COLUMN enriched_at INTEGER;
UPDATE leads SET enriched_at = coalesce(CAST(round((julianday(
    CASE WHEN json_valid(doc) THEN json_extract(doc, '$.enriched_at') END) - 2440587.5)
    * 86400000.0) AS INTEGER), 0)
  WHERE instr(doc, '"enriched_at"') > 0
    AND CASE WHEN json_valid(doc) THEN json_extract(doc, '$.enriched_at') END IS NOT NULL;
CREATE INDEX leads_not_enriched ON leads (created_at, id) WHERE enriched_at IS NULL;

CREATE TABLE enrichment_cache (
  provider   TEXT NOT NULL,
  key        TEXT NOT NULL,
  answer     TEXT NOT NULL,
  matched    INTEGER NOT NULL,
  fetched_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL,
  PRIMARY KEY (provider, key)
);
CREATE INDEX enrichment_cache_by_expires_at ON enrichment_cache (expires_at);

CREATE TABLE provider_usage (
  provider   TEXT NOT NULL,
  period     TEXT NOT NULL, -- UTC day "2026-12-06" or month "2026-12"
  requests   INTEGER NOT NULL,
  credits    INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  PRIMARY KEY (provider, period)
) WITHOUT ROWID;

CREATE TABLE pending_lookups (
  provider     TEXT NOT NULL,
  key          TEXT NOT NULL,
  lead_id      TEXT NOT NULL,
  lookup_group TEXT NOT NULL, -- "person" | "company" | "social"
  not_before   INTEGER NOT NULL,
  attempts     INTEGER NOT NULL,
  created_at   INTEGER NOT NULL, -- kept when the lookup is put again
  PRIMARY KEY (provider, key, lead_id)
);
CREATE INDEX pending_lookups_by_not_before ON pending_lookups (not_before, created_at);

CREATE TABLE feed_files (
  provider   TEXT NOT NULL,
  path       TEXT NOT NULL,
  size       INTEGER NOT NULL,
  mtime_ns   INTEGER NOT NULL,
  digest     TEXT NOT NULL,
  lines      INTEGER NOT NULL,
  records    INTEGER NOT NULL,
  rejected   INTEGER NOT NULL,
  indexed_at INTEGER NOT NULL,
  PRIMARY KEY (provider, path)
) WITHOUT ROWID;
CREATE TABLE feed_records (
  id       INTEGER PRIMARY KEY,
  provider TEXT NOT NULL,
  path     TEXT NOT NULL,
  line     INTEGER NOT NULL,
  record   TEXT NOT NULL -- JSON object text
);
CREATE INDEX feed_records_by_file ON feed_records (provider, path, line);
-- Rows are clustered by record, so a file's keys go with its records; the index answers lookups.
CREATE TABLE feed_keys (
  record_id INTEGER NOT NULL,
  position  INTEGER NOT NULL, -- order of the key in the record's list
  provider  TEXT NOT NULL,
  kind      TEXT NOT NULL,    -- to_string(FeedKeyKind)
  value     TEXT NOT NULL,
  PRIMARY KEY (record_id, position)
) WITHOUT ROWID;
CREATE INDEX feed_keys_by_value ON feed_keys (provider, kind, value);
)sql"},
    // Behaviour events keep the source's event id in a column of their own, unique where set, so
    // an event delivered twice (a re-imported file, a retried webhook) is stored once. Events
    // stored before take the id their document names, the oldest of each id keeping it.
    Migration{5, R"sql(
ALTER TABLE behaviour_events ADD COLUMN event_id TEXT;
CREATE TEMP TABLE migration_5_event_ids AS
  SELECT min(id) AS id, event_id FROM (
    SELECT id, CASE WHEN json_valid(doc) THEN
                 CASE WHEN json_type(doc, '$.event_id') = 'text'
                      THEN json_extract(doc, '$.event_id') END END AS event_id
      FROM behaviour_events WHERE instr(doc, '"event_id"') > 0)
  WHERE event_id IS NOT NULL AND event_id <> '' GROUP BY event_id;
UPDATE behaviour_events SET event_id =
  (SELECT event_id FROM migration_5_event_ids WHERE migration_5_event_ids.id = behaviour_events.id)
  WHERE id IN (SELECT id FROM migration_5_event_ids);
DROP TABLE migration_5_event_ids;
CREATE UNIQUE INDEX behaviour_events_by_event_id ON behaviour_events (event_id)
  WHERE event_id IS NOT NULL;
)sql"},
    // Webhook notifications the daemon received, stored before they are answered and worked off
    // under leases like the outbox. A done or failed event stays (finished_at set) until pruned, so
    // a redelivery of it is still recognized by its dedupe_key. The claim reads pending events in
    // seq order: the partial index holds only those, so finished events cost it nothing.
    Migration{6, R"sql(
CREATE TABLE webhook_events (
  seq            INTEGER PRIMARY KEY AUTOINCREMENT, -- never reused, also after pruning
  dedupe_key     TEXT NOT NULL UNIQUE,
  source         TEXT NOT NULL,
  message        TEXT NOT NULL,
  entity         TEXT NOT NULL,
  crm_id         TEXT NOT NULL,
  correlation_id TEXT NOT NULL DEFAULT '',
  payload        TEXT NOT NULL DEFAULT '',
  received_at    INTEGER NOT NULL,
  state          TEXT NOT NULL DEFAULT 'pending', -- pending | done | failed
  attempts       INTEGER NOT NULL DEFAULT 0,
  last_error     TEXT NOT NULL DEFAULT '',
  not_before     INTEGER,
  lease_owner    TEXT NOT NULL DEFAULT '',
  lease_until    INTEGER,
  finished_at    INTEGER
);
CREATE INDEX webhook_events_pending ON webhook_events (seq) WHERE state = 'pending';
CREATE INDEX webhook_events_finished ON webhook_events (finished_at) WHERE state <> 'pending';
)sql"},
    // Scale-out (issue 16): the processes taking work from this store, with their heartbeats, and
    // the leases of jobs that run on one worker at a time (a scheduled pull). The same columns as
    // the PostgreSQL schema (postgres/migrations.cpp). They hold runtime state only, so
    // migrate-store does not copy them: the workers of the new store register themselves.
    Migration{7, R"sql(
CREATE TABLE workers (
  id           TEXT PRIMARY KEY, -- "<host>:<pid>"; its leases are held by id or "id:..."
  host         TEXT NOT NULL,
  pid          INTEGER NOT NULL,
  kind         TEXT NOT NULL,    -- "daemon", "push"
  crm_user     TEXT NOT NULL DEFAULT '',
  started_at   INTEGER NOT NULL,
  heartbeat_at INTEGER NOT NULL
);
CREATE TABLE singleton_leases (
  name        TEXT PRIMARY KEY,
  owner       TEXT NOT NULL,
  acquired_at INTEGER NOT NULL, -- when the current owner took it (kept when it renews)
  lease_until INTEGER NOT NULL  -- valid up to and including this time
);
-- Heartbeats and reaping find a worker's leases by owner; free entries ('') stay out of the index.
CREATE INDEX outbox_by_lease_owner ON outbox (lease_owner) WHERE lease_owner <> '';
CREATE INDEX webhook_events_by_lease_owner ON webhook_events (lease_owner)
  WHERE lease_owner <> '';
)sql"},
    // Bulk loads (issue 17): the lookup keys of leads written with WriteOptions::bulk_load wait
    // in lookup_backlog instead of going one by one into random places of the e-mail, phone and
    // domain indexes; finishing the load (sqlite/detail/lookup_backlog.hpp) moves them into
    // lead_emails, lead_phones and lead_domains at once. Keyed by lead id (time-ordered), so a
    // bulk load appends at the end of the table, and deliberately without an index by value:
    // lookups read it whole until the load is finished. The company domain gets a lookup table
    // like e-mails and phones (the column stays, unindexed), so that its index too can wait.
    Migration{8, R"sql(
CREATE TABLE lookup_backlog (
  lead_id TEXT NOT NULL REFERENCES leads (id),
  kind    INTEGER NOT NULL, -- 0 e-mail (lower-cased), 1 phone (E.164), 2 company domain (lower-cased)
  value   TEXT NOT NULL,
  PRIMARY KEY (lead_id, kind, value)
) WITHOUT ROWID;
CREATE TABLE lead_domains (
  lead_id TEXT NOT NULL REFERENCES leads (id),
  domain  TEXT NOT NULL, -- lower-cased
  PRIMARY KEY (lead_id, domain)
) WITHOUT ROWID;
CREATE INDEX lead_domains_by_domain ON lead_domains (domain);
INSERT INTO lead_domains (lead_id, domain)
  SELECT id, company_domain FROM leads WHERE company_domain <> '' ORDER BY id;
DROP INDEX leads_by_company_domain;
)sql"},
};

Result<std::int64_t> current_version(Database& database) {
  return database.query_integer("SELECT coalesce(max(version), 0) FROM schema_migrations");
}

} // namespace

int latest_schema_version() {
  return migrations.back().version;
}

Status migrate(Database& database, const Clock& clock) {
  LEADSYNC_CHECK(database.execute("CREATE TABLE IF NOT EXISTS schema_migrations ("
                                  "version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL)"));
  LEADSYNC_TRY(const std::int64_t found, current_version(database));
  if (found > latest_schema_version()) {
    return fail(ErrorCategory::config,
                "the database " + database.path() + " has schema version " + std::to_string(found) +
                    " and was created by a newer leadsync (this build knows up to version " +
                    std::to_string(latest_schema_version()) + "); upgrade leadsync");
  }
  for (const Migration& migration : migrations) {
    LEADSYNC_TRY(auto transaction, Transaction::begin(database));
    // Read again under the write lock: another process may have migrated meanwhile.
    LEADSYNC_TRY(const std::int64_t version, current_version(database));
    if (version >= migration.version) {
      continue;
    }
    LEADSYNC_CHECK(database.execute(std::string(migration.sql)));
    const auto applied_at =
        std::chrono::duration_cast<std::chrono::milliseconds>(clock.now().time_since_epoch())
            .count();
    LEADSYNC_TRY(auto record,
                 database.query("INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)",
                                migration.version, std::int64_t{applied_at}));
    LEADSYNC_CHECK(record.run());
    LEADSYNC_CHECK(transaction.commit());
  }
  return ok_status();
}

} // namespace leadsync::store::sqlite
