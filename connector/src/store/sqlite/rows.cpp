#include "sqlite/rows.hpp"

#include "detail/rules.hpp"

namespace leadsync::store::sqlite {

using detail::from_millis;
using detail::parse_duplicate_status;
using detail::parse_operation;
using detail::parse_webhook_state;

Result<model::Lead> read_lead(const Query& row) {
  const std::string id = row.text(0);
  LEADSYNC_TRY(model::Lead lead, detail::read_lead_document(id, row.text_view(7)));
  // The columns are authoritative for the identity; the document carries the rest.
  lead.identity.id = id;
  lead.identity.crm_id = row.text(1);
  lead.identity.version = row.integer(2);
  lead.is_new = row.integer(3) != 0;
  lead.deleted = row.integer(4) != 0;
  lead.identity.created_at = from_millis(row.integer(5));
  lead.identity.updated_at = from_millis(row.integer(6));
  return lead;
}

Result<std::vector<model::Lead>> read_leads(Query& query) {
  std::vector<model::Lead> leads;
  for (;;) {
    LEADSYNC_TRY(const bool has_row, query.step());
    if (!has_row) {
      return leads;
    }
    LEADSYNC_TRY(auto lead, read_lead(query));
    leads.push_back(std::move(lead));
  }
}

Result<OutboxEntry> read_outbox_entry(const Query& row) {
  OutboxEntry entry;
  entry.seq = row.integer(0);
  entry.lead_id = row.text(1);
  LEADSYNC_TRY(entry.operation, parse_operation(row.text(2)));
  entry.lead_version = row.integer(3);
  entry.created_at = from_millis(row.integer(4));
  entry.attempts = static_cast<int>(row.integer(5));
  entry.last_error = row.text(6);
  entry.not_before = from_millis(row.optional_integer(7));
  entry.lease_owner = row.text(8);
  entry.lease_until = from_millis(row.optional_integer(9));
  return entry;
}

Result<std::vector<OutboxEntry>> read_outbox_entries(Query& query) {
  std::vector<OutboxEntry> entries;
  for (;;) {
    LEADSYNC_TRY(const bool has_row, query.step());
    if (!has_row) {
      return entries;
    }
    LEADSYNC_TRY(auto entry, read_outbox_entry(query));
    entries.push_back(std::move(entry));
  }
}

Result<DeadLetter> read_dead_letter(const Query& row) {
  DeadLetter letter;
  letter.id = row.integer(0);
  letter.lead_id = row.text(1);
  LEADSYNC_TRY(letter.operation, parse_operation(row.text(2)));
  letter.outbox_seq = row.integer(3);
  letter.error_category = row.text(4);
  letter.http_status = static_cast<int>(row.integer(5));
  letter.service_code = row.text(6);
  letter.message = row.text(7);
  letter.attempts = static_cast<int>(row.integer(8));
  letter.created_at = from_millis(row.integer(9));
  return letter;
}

Result<DuplicatePair> read_duplicate_pair(const Query& row) {
  DuplicatePair pair;
  pair.id = row.integer(0);
  pair.lead_a = row.text(1);
  pair.lead_b = row.text(2);
  pair.rule = row.text(3);
  pair.score = detail::score_of(row.integer(4));
  pair.evidence = row.text(5);
  pair.source = row.text(6);
  LEADSYNC_TRY(pair.status, parse_duplicate_status(row.text(7)));
  pair.created_at = from_millis(row.integer(8));
  pair.resolved_at = from_millis(row.optional_integer(9));
  return pair;
}

Result<RunRecord> read_run(const Query& row) {
  RunRecord run;
  run.id = row.integer(0);
  run.kind = row.text(1);
  run.status = row.text(2);
  run.started_at = from_millis(row.integer(3));
  run.finished_at = from_millis(row.optional_integer(4));
  LEADSYNC_TRY(run.counts, detail::read_run_counts(run.id, row.text_view(5)));
  run.message = row.text(6);
  run.owner = row.text(7);
  return run;
}

FeedFileState read_feed_file(const Query& row) {
  return FeedFileState{.provider = row.text(0),
                       .path = row.text(1),
                       .size = row.integer(2),
                       .mtime_ns = row.integer(3),
                       .digest = row.text(4),
                       .lines = row.integer(5),
                       .records = row.integer(6),
                       .rejected = row.integer(7),
                       .indexed_at = from_millis(row.integer(8))};
}

Result<std::vector<WebhookEvent>> read_webhook_events(Query& query) {
  std::vector<WebhookEvent> events;
  for (;;) {
    LEADSYNC_TRY(const bool has_row, query.step());
    if (!has_row) {
      return events;
    }
    WebhookEvent event;
    event.seq = query.integer(0);
    event.dedupe_key = query.text(1);
    event.source = query.text(2);
    event.message = query.text(3);
    event.entity = query.text(4);
    event.crm_id = query.text(5);
    event.correlation_id = query.text(6);
    event.payload = query.text(7);
    event.received_at = from_millis(query.integer(8));
    LEADSYNC_TRY(event.state, parse_webhook_state(query.text(9)));
    event.attempts = static_cast<int>(query.integer(10));
    event.last_error = query.text(11);
    event.not_before = from_millis(query.optional_integer(12));
    event.lease_owner = query.text(13);
    event.lease_until = from_millis(query.optional_integer(14));
    event.finished_at = from_millis(query.optional_integer(15));
    events.push_back(std::move(event));
  }
}

// SQL that is true when the lease owner `owner` (a column) belongs to the worker `id` (an SQL
// expression): the id itself or "<id>:..." (a thread of it), never another worker whose id merely
// starts with it ("h:12" owns "h:12:0", not "h:123"). Comparing a prefix rather than LIKE: a name
// may hold '%' or '_'. The range lets SQLite seek the partial lease_owner indexes (every "<id>:..."
// sorts between "<id>:" and "<id>;"); the exact test then drops what else is in it ("h:120").
std::string owned_by(const std::string& owner, const std::string& id) {
  const std::string in_range =
      owner + " <> '' AND " + owner + " >= " + id + " AND " + owner + " < " + id + " || ';'";
  const std::string exact = owner + " = " + id + " OR substr(" + owner + ", 1, length(" + id +
                            ") + 1) = " + id + " || ':'";
  return "(" + in_range + " AND (" + exact + "))";
}

} // namespace leadsync::store::sqlite
