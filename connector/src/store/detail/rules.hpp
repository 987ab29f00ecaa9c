#pragma once
// What the SQLite and the PostgreSQL stores share beside their SQL: the Store contract's rules
// (argument checks, lead identities and versions, list_leads cursors), the conversions between
// the API's values and the columns' (times, enum names, documents) and the error messages both
// report. One home, so that the two stores cannot drift apart; the contract tests
// (tests/unit/store/store_contract.hpp) check the results of both. Internal to store/: nothing here
// speaks SQL beyond joining text (sql) and bounding a LIMIT (sql_limit).

#include "leadsync/core/clock.hpp"
#include "leadsync/core/random.hpp"
#include "leadsync/core/result.hpp"
#include "leadsync/core/text.hpp"
#include "leadsync/model/lead.hpp"
#include "leadsync/store/store.hpp"

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace leadsync::store::detail {

// ---- times: BIGINT milliseconds since the epoch (wall time at millisecond precision)

std::int64_t to_millis(TimePoint time);
std::optional<std::int64_t> to_millis(const std::optional<TimePoint>& time);
TimePoint from_millis(std::int64_t millis);
std::optional<TimePoint> from_millis(std::optional<std::int64_t> millis);
// `time` as the database keeps it: floored to the millisecond.
TimePoint stored_time(TimePoint time);

// ---- text

// The parts joined, for statements assembled from constants.
std::string sql(std::initializer_list<std::string_view> parts);
// A count as a LIMIT value: size_t beyond the largest int64 means "no limit" anyway.
std::int64_t sql_limit(std::size_t limit);
// Keys (e-mail addresses, domains, ids) are compared byte for byte after lowering A-Z only.
using text::ascii_lower;
// "1, 2, 3".
std::string join_numbers(const std::vector<std::int64_t>& numbers);
// The error with `prefix` put before its message ("write 2 of 5: ").
Error prefixed(Error error, const std::string& prefix);
// "<what> <index + 1> of <count>: ", the prefix of an error about one item of a batch.
std::string position_of(std::string_view what, std::size_t index, std::size_t count);

// ---- lead ids, identities and versions

// The canonical (lower-case) form of a lead id; invalid_argument for an empty or malformed one.
Result<std::string> canonical_id(const std::string& id);
// canonical_id of each, in order; the first invalid one fails the whole list.
Result<std::vector<std::string>> canonical_ids(const std::vector<std::string>& ids);
// A given id is checked and put in canonical form; an empty one is assigned. Version 7 ids grow
// with time, so the indexes keyed by lead id are appended to rather than written all over.
Status assign_id(model::Lead& lead, const Clock& clock, Random& random);
// Before a write_batch touches the database: the checkpoint has a name, creates get their ids,
// updates' ids are canonical, and no lead is written twice. Errors name the write (position_of).
Status prepare_writes(std::vector<LeadWrite>& writes,
                      const std::optional<CheckpointValue>& checkpoint, const Clock& clock,
                      Random& random);
// The outbox operation a write records, if any.
std::optional<OutboxOperation> outbox_operation(const WriteOptions& options);
// A new lead's identity: version 1, created and updated `now`.
void start_identity(model::Lead& lead, TimePoint now);
// The next version of a stored lead: conflict (stale_version) unless the lead carries the stored
// version; then version + 1, the stored creation time, updated `now`.
Status advance_identity(model::Lead& lead, std::int64_t stored_version,
                        std::int64_t stored_created_at_millis, TimePoint now);
// A tombstone of the lead, updated `now`; false (nothing changed) when it is one already.
bool make_tombstone(model::Lead& lead, TimePoint now);
// The lookup keys of a lead: its e-mail addresses lower-cased, its E.164 numbers; no empty ones.
std::set<std::string> email_keys(const model::Lead& lead);
std::set<std::string> phone_keys(const model::Lead& lead);

Error lead_not_found(const std::string& id);
Error lead_exists(const std::string& id);
Error stale_version(const std::string& id, std::int64_t stored, std::int64_t given);
Error lead_written_twice(const std::string& id);

// The keys of a find_leads lookup as the lookup tables hold them (lower-cased, no empty ones) and
// its domain cut-off in milliseconds (the largest int64 when there is none).
struct LookupKeys {
  std::vector<std::string> emails;
  std::vector<std::string> phones;
  std::vector<std::string> domains;
  std::int64_t domain_created_before = 0;
  bool empty() const { return emails.empty() && phones.empty() && domains.empty(); }
};
LookupKeys lookup_keys(const LeadLookup& lookup);

// ---- documents (the doc columns)

// The lead as the doc column keeps it (model::to_stored_json_text: members at their default left
// out, so SQL that reads a member gets NULL for a default one); invalid_argument when its text is
// not UTF-8 (nlohmann::json refuses it).
Result<std::string> lead_document(const model::Lead& lead);
// A stored lead document read back; storage error naming the lead when it cannot be.
Result<model::Lead> read_lead_document(const std::string& id, std::string_view document);
// Puts the event in the form it is stored in (canonical lead id, whole milliseconds, no id yet)
// and returns its document.
Result<std::string> prepare_event(model::BehaviourEvent& event);
// A stored behaviour event document read back (id, lead and time are the columns').
Result<model::BehaviourEvent> read_event_document(std::int64_t id, std::string_view document);
Error event_lead_missing(const std::string& lead_id);
Error event_exists(const std::string& event_id);

// ---- list_leads

// The page size asked for, at most 1000; invalid_argument for 0.
Result<std::size_t> page_size(const PageRequest& page);
// The LIKE pattern of a LeadFilter id prefix (suffix: true, an id suffix): invalid_argument when
// the part holds anything but hex digits and '-' (so no LIKE wildcard).
Result<std::string> id_pattern(const std::string& part, bool suffix);

// The keyset cursor of list_leads: "<created_at millis>:<id>" of the last row of a page.
struct Cursor {
  std::int64_t created_at = 0;
  std::string id;
};
std::string make_cursor(const model::Lead& lead);
Result<Cursor> parse_cursor(std::string_view text);

// ---- enum columns (written by to_string; an unknown name was written by a newer leadsync)

Result<OutboxOperation> parse_operation(std::string_view text);
Result<DuplicateStatus> parse_duplicate_status(std::string_view text);
Result<WebhookEventState> parse_webhook_state(std::string_view text);
Result<FeedKeyKind> parse_feed_key_kind(std::string_view text);

// ---- the review queue

// A duplicate pair as its row stores it: ids canonical and ordered (low, high), the score in
// thousandths, resolved_at set for a resolved pair (the given time or `now`).
struct DuplicatePairRow {
  std::string a;
  std::string b;
  std::string low;
  std::string high;
  bool resolved = false;
  std::int64_t score_milli = 0;
  std::int64_t created_at = 0;
  std::optional<std::int64_t> resolved_at;
};
Result<DuplicatePairRow> duplicate_pair_row(const DuplicatePair& pair, TimePoint now);
double score_of(std::int64_t score_milli);
Error duplicate_pair_not_found(const std::string& a, const std::string& b);

// ---- outbox, dead letters, checkpoints, runs

Status check_claim(const ClaimRequest& request);
Status check_release_prefix(const std::string& worker_prefix);
Status check_checkpoint_name(const std::string& name);
Status check_run_kind(const std::string& kind);
Status check_run_end(const RunRecord& run);
// A run's counts column ({"name": integer, ...}) read back.
Result<std::map<std::string, std::int64_t>> read_run_counts(std::int64_t run_id,
                                                            std::string_view text);
Error run_not_found(std::int64_t id);
Error dead_letter_not_found(std::int64_t id);
Error outbox_lease_lost(std::int64_t seq, const std::string& worker);
Error outbox_entry_gone(std::int64_t seq);
// The outcome of complete_outbox: ok when every entry was completed; else conflict (some were
// `lost` to another worker) or not_found (only `missing` ones), naming them.
Status outbox_completion(const std::vector<std::int64_t>& lost,
                         const std::vector<std::int64_t>& missing, const std::string& worker);

// ---- enrichment

Status check_cached_answers(const std::vector<CachedAnswer>& answers);
Status check_usage(const std::string& provider, const std::vector<std::string>& periods);
Status check_pending_lookup(const PendingLookup& pending);
// replace_feed_file's arguments: the file is named, and every record is the file's (or unnamed).
Status check_feed_file(const FeedFileState& state, const std::vector<FeedRecord>& records);

// ---- webhook events

Status check_webhook_event(const WebhookEvent& event);
// received_at in milliseconds; an event without one is received `now`.
std::int64_t received_at_millis(const WebhookEvent& event, TimePoint now);
Status check_webhook_claim(const std::string& worker, std::chrono::milliseconds lease);
Error webhook_lease_lost(std::int64_t seq, const std::string& worker);
Error webhook_event_gone(std::int64_t seq);
// The outcome of complete_webhook_events, as outbox_completion's.
Status webhook_completion(const std::vector<std::int64_t>& lost,
                          const std::vector<std::int64_t>& missing, const std::string& worker);

} // namespace leadsync::store::detail
