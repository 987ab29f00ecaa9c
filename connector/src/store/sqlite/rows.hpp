#pragma once
// Reading the SQLite store's rows into the Store's values (private to store/sqlite/).

#include "leadsync/store/store.hpp"
#include "sqlite/detail/database.hpp"

#include <string>
#include <string_view>
#include <vector>

namespace leadsync::store::sqlite {

// Lead rows are always read with these columns, in this order (see read_lead).
inline constexpr std::string_view lead_columns =
    "leads.id, leads.crm_id, leads.version, leads.is_new, "
    "leads.deleted, leads.created_at, leads.updated_at, leads.doc";

inline constexpr std::string_view outbox_columns =
    "seq, lead_id, operation, lead_version, created_at, attempts, "
    "last_error, not_before, lease_owner, lease_until";

inline constexpr std::string_view dead_letter_columns =
    "id, lead_id, operation, outbox_seq, error_category, http_status, service_code, message, "
    "attempts, "
    "created_at";

inline constexpr std::string_view duplicate_pair_columns =
    "id, lead_a, lead_b, rule, score_milli, evidence, source, status, created_at, resolved_at";

inline constexpr std::string_view feed_file_columns =
    "provider, path, size, mtime_ns, digest, lines, records, rejected, indexed_at";

inline constexpr std::string_view webhook_event_columns =
    "seq, dedupe_key, source, message, entity, crm_id, correlation_id, payload, received_at, "
    "state, attempts, last_error, not_before, lease_owner, lease_until, finished_at";

Result<model::Lead> read_lead(const Query& row);
Result<std::vector<model::Lead>> read_leads(Query& query);
Result<OutboxEntry> read_outbox_entry(const Query& row);
Result<std::vector<OutboxEntry>> read_outbox_entries(Query& query);
Result<DeadLetter> read_dead_letter(const Query& row);
Result<DuplicatePair> read_duplicate_pair(const Query& row);
Result<RunRecord> read_run(const Query& row);
FeedFileState read_feed_file(const Query& row);
Result<std::vector<WebhookEvent>> read_webhook_events(Query& query);
// SQL that is true when the lease owner `owner` (a column) belongs to the worker `id` (an SQL
// expression): the id itself or "<id>:..." (a thread of it), never another worker whose id merely
// starts with it ("h:12" owns "h:12:0", not "h:123"). Comparing a prefix rather than LIKE: a name
// may hold '%' or '_'. The range lets SQLite seek the partial lease_owner indexes (every "<id>:..."
// sorts between "<id>:" and "<id>;"); the exact test then drops what else is in it ("h:120").
std::string owned_by(const std::string& owner, const std::string& id);

} // namespace leadsync::store::sqlite
