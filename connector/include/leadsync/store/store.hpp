#pragma once
// The Store: leadsync's own state. Leads (with tombstones), the outbox written in the same
// transaction as the lead change it records, checkpoints, dead letters, run history and behaviour
// events. Implementations: SQLite (store/sqlite_store.hpp) and PostgreSQL
// (store/postgres_store.hpp). Nothing outside store/ speaks SQL. All methods are safe to call from
// several threads of one process.

#include "leadsync/core/result.hpp"
#include "leadsync/model/lead.hpp"

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace leadsync::store {

using TimePoint = std::chrono::system_clock::time_point;

// ---- leads
// ----------------------------------------------------------------------------------------------

// What a lead write also records in the outbox.
// merge: the entry's lead is a tombstone merged by hand into lead.merged_into; push asks the CRM to
// merge it (Dataverse's Merge action) when both are there.
enum class OutboxOperation { upsert, qualify, disqualify, reactivate, remove, merge };
std::string_view to_string(OutboxOperation op);

struct WriteOptions {
  // Record the change in the outbox so push sends it (false for changes that came *from* the CRM).
  bool enqueue = true;
  OutboxOperation operation = OutboxOperation::upsert;
  // A bulk load (the CSV import): the store may keep the lead's lookup keys (e-mails, phones,
  // company domain) in a backlog instead of indexing them one by one, and index the whole backlog
  // at once later (Store::finish_bulk_load). Lookups (find_leads, find_by_email, find_by_phone,
  // find_by_domain, scan_lookup_keys) find the keys in either place; in the backlog by reading it
  // all, so a bulk load is finished as soon as it ends.
  bool bulk_load = false;
};

// One lead write of a batch (Store::write_batch): create_lead or update_lead semantics.
enum class WriteKind { create, update };
struct LeadWrite {
  WriteKind kind = WriteKind::create;
  model::Lead lead;
  WriteOptions options;
};

// A named checkpoint value written with a batch.
struct CheckpointValue {
  std::string name;
  std::string value;
};

// Several de-duplication lookups at once (Store::find_leads). Inputs are already normalized.
struct LeadLookup {
  std::vector<std::string> emails;  // compared case-insensitively
  std::vector<std::string> phones;  // E.164
  std::vector<std::string> domains; // company domains, compared case-insensitively
  // When set, domain matches only among leads created before this time. A company domain can hold
  // thousands of leads; an import that tracks the leads it created itself leaves them out this way.
  std::optional<TimePoint> domain_created_before;
  // Keys that bulk writes left for a later Store::finish_bulk_load (WriteOptions::bulk_load) are
  // found too, but by reading all of them: a caller that knows the leads of every bulk load going
  // on (the import finishes any earlier one before it starts, finds its own leads in memory and
  // watches foreign_write_marker for others) sets this to skip them.
  bool skip_unfinished_bulk_loads = false;
};

// What a key passed to Store::scan_lookup_keys is.
enum class LookupKind { email, phone, domain };

struct LeadFilter {
  std::optional<model::LifecycleStage> stage;
  std::optional<bool> is_new;   // only leads not yet enriched/scored
  bool include_deleted = false; // tombstones are hidden unless asked for
  std::optional<TimePoint> updated_since;
  std::string crm_id;    // exact Dataverse leadid
  std::string id_prefix; // leads whose id starts with this (hex digits and '-' only)
  std::string id_suffix; // leads whose id ends with this (hex digits and '-' only)
  // true: only leads enrichment has looked at (Lead::enriched_at set); false: only those it has
  // not.
  std::optional<bool> enriched;
};

struct PageRequest {
  std::size_t limit = 100; // at most 1000
  std::string after;       // cursor from the previous page; empty for the first
};

struct LeadPage {
  std::vector<model::Lead> leads;
  std::string next; // cursor for the following page; empty when this was the last
};

// ---- possible duplicates (the review queue)
// ------------------------------------------------------------------
enum class DuplicateStatus {
  open,          // waiting for a person: `leads merge` or `leads not-duplicate`
  merged,        // merged by hand
  not_duplicate, // two people: never suggested again
};
std::string_view to_string(DuplicateStatus status); // "open", "merged", "not_duplicate"

// Two leads that may be one person. A pair is stored once, whichever lead is named first.
struct DuplicatePair {
  std::int64_t id = 0;  // set by the store
  std::string lead_a;   // the lead found first (stored before, or earlier in the file)
  std::string lead_b;   // the lead that may duplicate it
  std::string rule;     // why: e.g. "similar_name_at_domain", "shared_phone" (importer/dedupe.hpp)
  double score = 0;     // name similarity 0..1 (Jaro-Winkler of the folded names), 0 if none
  std::string evidence; // for people: "same mobile +79161234567; names 'Anna Ivanova' and ..."
  std::string source;   // where it was found: "FILE line N", or "leads not-duplicate"
  DuplicateStatus status = DuplicateStatus::open;
  TimePoint created_at{};               // set by the store
  std::optional<TimePoint> resolved_at; // when merged or declared two people

  friend bool operator==(const DuplicatePair&, const DuplicatePair&) = default;
};

struct DuplicateQuery {
  DuplicateStatus status = DuplicateStatus::open;
  std::string rule;    // only pairs found by this rule; empty: any
  std::string lead_id; // only pairs this lead is part of; empty: any
  std::size_t limit = 100;
};

// ---- outbox
// ---------------------------------------------------------------------------------------------
struct OutboxEntry {
  std::int64_t seq = 0; // global, increasing: the order changes were made
  std::string lead_id;
  OutboxOperation operation = OutboxOperation::upsert;
  std::int64_t lead_version = 0; // the lead version this change produced
  TimePoint created_at{};
  int attempts = 0;
  std::string last_error;
  std::optional<TimePoint> not_before; // retry not earlier than this
  std::string lease_owner;             // worker that holds it; empty when free
  std::optional<TimePoint> lease_until;
};

struct ClaimRequest {
  std::string worker; // unique per worker (host:pid:thread)
  std::size_t max_entries = 200;
  std::chrono::seconds lease{60}; // the lease expires after this; another worker may then take it
};

// ---- dead letters
// ---------------------------------------------------------------------------------------
struct DeadLetter {
  std::int64_t id = 0;
  std::string lead_id;
  OutboxOperation operation = OutboxOperation::upsert;
  std::int64_t outbox_seq = 0;
  std::string error_category; // to_string(ErrorCategory)
  int http_status = 0;
  std::string service_code; // e.g. "0x80044331"
  std::string message;
  int attempts = 0;
  TimePoint created_at{};
};

// ---- runs
// -----------------------------------------------------------------------------------------------
struct RunRecord {
  std::int64_t id = 0;
  std::string kind;   // "import", "push", "pull", "enrich", "qualify"
  std::string status; // "running", "ok", "partial", "failed", "interrupted"
  TimePoint started_at{};
  std::optional<TimePoint> finished_at;
  std::map<std::string, std::int64_t> counts; // e.g. {"read":120,"created":100,"rejected":2}
  std::string message;
  std::string owner; // the process running it, "<host>:<pid>" (begin_run sets it)
};

// ---- enrichment: answer cache, usage ledger, pending lookups, feed index
// ----------------------------------------------------------------------------
// A provider's answer to one lookup, kept so the same question is not paid twice within its TTL.
// Misses are cached too. `answer` is opaque to the store (enrich/ encodes it).
struct CachedAnswer {
  std::string provider; // provider name from the config
  std::string key;      // the provider's lookup key, e.g. "person|email:anna@example.com"
  std::string answer;   // encoded answer
  bool matched = false;
  TimePoint fetched_at{};
  TimePoint expires_at{};
};

// Requests and credits a provider used in one period, kept across restarts so quotas and budgets
// hold. A period is a UTC day "2026-12-06" or month "2026-12" (enrich/ names them).
struct ProviderUsage {
  std::int64_t requests = 0;
  std::int64_t credits = 0;
  friend bool operator==(const ProviderUsage&, const ProviderUsage&) = default;
};

// A lookup the provider queued (HTTP 202): asked again once not_before has passed.
struct PendingLookup {
  std::string provider;
  std::string key;     // the lookup key (as in CachedAnswer)
  std::string lead_id; // the lead waiting for it
  std::string group;   // "person" | "company" | "social"
  TimePoint not_before{};
  int attempts = 0;       // answers of "queued" so far
  TimePoint created_at{}; // set by the store on the first put
  friend bool operator==(const PendingLookup&, const PendingLookup&) = default;
};

// An aggregator feed file (file_feed provider) as last indexed.
struct FeedFileState {
  std::string provider; // the file_feed provider that owns it
  std::string path;     // absolute path
  std::int64_t size = 0;
  std::int64_t mtime_ns = 0;
  std::string digest;        // of the first `size` bytes, to tell an append from a rewrite
  std::int64_t lines = 0;    // lines read so far (an append resumes after them)
  std::int64_t records = 0;  // records indexed
  std::int64_t rejected = 0; // malformed records (reported with their lines, never fatal)
  TimePoint indexed_at{};
  friend bool operator==(const FeedFileState&, const FeedFileState&) = default;
};

enum class FeedKeyKind { email, phone, profile, domain };
std::string_view to_string(FeedKeyKind kind);

struct FeedKey {
  FeedKeyKind kind = FeedKeyKind::email;
  std::string value; // normalized by the caller (lower-case e-mail/domain/profile, E.164 phone)
  friend bool operator==(const FeedKey&, const FeedKey&) = default;
};

// One record of a feed file: the record as JSON text and the keys it answers.
struct FeedRecord {
  std::string provider;
  std::string path;
  std::int64_t line = 0; // 1-based line (CSV: of the record's first line)
  std::string record;    // JSON object text, PDL person shape
  std::vector<FeedKey> keys;
  friend bool operator==(const FeedRecord&, const FeedRecord&) = default;
};

// ---- behaviour events
// ---------------------------------------------------------------------------------------------
// What Store::add_events did with a batch of events.
struct AddEventsResult {
  std::int64_t added = 0;      // events stored
  std::int64_t duplicates = 0; // events not stored: their event_id was known (stored, or earlier
                               // in the batch)
  std::vector<std::size_t>
      duplicate_positions; // 0-based positions of those in the batch, ascending
};

// ---- webhook events
// ---------------------------------------------------------------------------------------------
// A notification received by the daemon (a Dataverse webhook POST), stored durably before it is
// answered and processed later by a worker that holds it under a lease (like outbox entries).
enum class WebhookEventState { pending, done, failed };
std::string_view to_string(WebhookEventState state); // "pending", "done", "failed"

struct WebhookEvent {
  std::int64_t seq = 0;       // set by the store, increasing in arrival order
  std::string dedupe_key;     // one delivery of one operation; a second add with it is a duplicate
  std::string source;         // "dataverse"
  std::string message;        // "Create"
  std::string entity;         // "lead"
  std::string crm_id;         // PrimaryEntityId, lower-case GUID
  std::string correlation_id; // x-ms-correlation-request-id, for support
  std::string payload;        // the body as received ("" when not kept)
  TimePoint received_at{};
  WebhookEventState state = WebhookEventState::pending;
  int attempts = 0;
  std::string last_error;
  std::optional<TimePoint> not_before; // retry not earlier than this
  std::string lease_owner;
  std::optional<TimePoint> lease_until;
  std::optional<TimePoint> finished_at;
};

struct AddWebhookEventResult {
  bool added = false;   // false: the dedupe_key was known (pending, done or failed), nothing stored
  std::int64_t seq = 0; // the stored event's seq (the earlier one's for a duplicate)
};

struct WebhookQueueStats {
  std::int64_t pending = 0;                // waiting or leased
  std::int64_t done = 0;                   // processed and kept for de-duplication until pruned
  std::int64_t failed = 0;                 // gave up after the last attempt
  std::optional<TimePoint> oldest_pending; // received_at of the oldest pending event
};

// ---- workers (scale-out: several processes sharing one store)
// ---------------------------------------------------------------------------------------------
// A process that takes work from the store (a daemon, a push), registered while it runs so that
// `leadsync status` can list it and the others can tell a live worker from a dead one.
struct WorkerInfo {
  std::string id; // process_name(): "<host>:<pid>"; its leases are held by id or "id:..."
  std::string host;
  std::int64_t pid = 0;
  std::string kind;     // "daemon", "push"
  std::string crm_user; // the application user it signs in as (crm.auth client id); "" if none
  TimePoint started_at{};
  TimePoint heartbeat_at{};
  // Work held (filled by list_workers): unexpired leases of outbox entries and webhook events.
  std::int64_t outbox_held = 0;
  std::int64_t webhook_events_held = 0;
  friend bool operator==(const WorkerInfo&, const WorkerInfo&) = default;
};

// What a heartbeat did.
struct Heartbeat {
  std::int64_t outbox_extended = 0;         // outbox leases of the worker moved to now + lease
  std::int64_t webhook_events_extended = 0; // webhook event leases likewise
};

// What reap_dead_workers did.
struct ReapedWorkers {
  std::vector<std::string> workers; // ids of the workers removed
  std::int64_t outbox_freed = 0;    // their outbox entries given back (no attempt counted)
  std::int64_t webhook_events_freed = 0;
};

// ---- stats
// ----------------------------------------------------------------------------------------------
struct StoreStats {
  std::int64_t leads = 0; // not deleted
  std::int64_t tombstones = 0;
  std::map<std::string, std::int64_t> leads_by_stage;
  std::int64_t outbox_pending = 0; // not under a valid lease (including those waiting to retry)
  std::int64_t outbox_leased = 0;  // held by a worker under a lease that has not expired
  std::int64_t dead_letters = 0;
  std::int64_t behaviour_events = 0;
  std::int64_t possible_duplicates = 0; // open pairs in the review queue
};

// See Store::open_work_waiter.
class WorkWaiter {
public:
  virtual ~WorkWaiter() = default;
  // Blocks until a signal arrives or `timeout` passes; true when signalled. Signals that arrived
  // since the last wait count (they are not lost between waits). wake() makes a wait return
  // false at once (to stop a thread); it is the only method another thread may call.
  virtual Result<bool> wait(std::chrono::milliseconds timeout) = 0;
  virtual void wake() = 0;
};

class Store {
public:
  virtual ~Store() = default;

  // Leads. create_lead assigns an id when empty (UUID v4), version 1, created/updated times;
  // refuses an existing id (already_exists). update_lead requires lead.identity.version to equal
  // the stored version (conflict otherwise) and bumps it. Both write the outbox entry, when asked,
  // in the same transaction.
  virtual Result<model::Lead> create_lead(model::Lead lead, const WriteOptions& options = {}) = 0;
  virtual Result<model::Lead> update_lead(model::Lead lead, const WriteOptions& options = {}) = 0;
  // Marks the lead deleted (kept as a tombstone with its history); options.enqueue records a
  // remove. Tombstoning a tombstone changes and records nothing.
  virtual Result<model::Lead> tombstone_lead(const std::string& id,
                                             const WriteOptions& options = {}) = 0;
  virtual Result<model::Lead> get_lead(const std::string& id) = 0; // not_found when missing
  // The leads of these ids that exist (tombstones included), in the order of `ids`; a missing id
  // is left out, an invalid one fails the call. One query for a batch (push reads its claims so).
  virtual Result<std::vector<model::Lead>> get_leads(const std::vector<std::string>& ids) = 0;
  // Lookups for de-duplication; tombstones excluded. Inputs are already normalized by the caller.
  virtual Result<std::vector<model::Lead>> find_by_email(const std::string& email) = 0;
  virtual Result<std::vector<model::Lead>> find_by_phone(const std::string& e164) = 0;
  virtual Result<std::vector<model::Lead>> find_by_domain(const std::string& domain) = 0;
  virtual Result<std::vector<model::Lead>> find_by_crm_id(const std::string& crm_id) = 0;
  virtual Result<LeadPage> list_leads(const LeadFilter& filter, const PageRequest& page) = 0;
  // Live leads holding any of the lookup's e-mails, phones or domains, each once, oldest first: the
  // find_by_* lookups of many candidates in one call.
  virtual Result<std::vector<model::Lead>> find_leads(const LeadLookup& lookup) = 0;
  // Calls `visit` with every key find_leads matches on (e-mails and domains lower-cased, phones in
  // E.164), tombstones' keys possibly included: for a caller that screens many candidates itself
  // before asking find_leads (a bulk import). A key held by several leads may come more than once.
  virtual Status
  scan_lookup_keys(const std::function<void(LookupKind, std::string_view)>& visit) = 0;
  // A number that changes whenever leads are written through another connection or process (not
  // through this Store object): a caller holding what scan_lookup_keys gave knows it is stale.
  virtual Result<std::int64_t> foreign_write_marker() = 0;
  // Every write (as create_lead / update_lead would do it, outbox entries included) and, when
  // given, the checkpoint, in ONE transaction: all of it is stored or none of it. A failing write
  // (stale version, duplicate or invalid id, missing lead) fails the batch with the error of that
  // write, prefixed by its position. Returns the written leads in order (ids, versions and times
  // set). A lead may appear only once in a batch.
  //
  // `pairs` go into the review queue in the same transaction: an open pair is added unless the
  // pair (either order) is known already, whatever its status, so a pair declared two people is
  // never suggested again; a merged or not_duplicate pair sets that status (adding the pair when
  // new). The leads of a pair need not be in the batch.
  virtual Result<std::vector<model::Lead>>
  write_batch(std::vector<LeadWrite> writes, const std::optional<CheckpointValue>& checkpoint,
              const std::vector<DuplicatePair>& pairs) = 0;
  Result<std::vector<model::Lead>> write_batch(std::vector<LeadWrite> writes,
                                               const std::optional<CheckpointValue>& checkpoint) {
    return write_batch(std::move(writes), checkpoint, {});
  }
  // Indexes what bulk writes (WriteOptions::bulk_load) left in the backlog, in one transaction.
  // Lookups are right without it; it makes them fast again. A store without a backlog does
  // nothing.
  virtual Status finish_bulk_load() { return ok_status(); }
  // Live leads whose folded-for-matching names are wanted: calls `visit` with the first and last
  // name of every lead that is not a tombstone (as stored, not folded).
  virtual Status
  scan_person_names(const std::function<void(std::string_view, std::string_view)>& visit) = 0;

  // The review queue: the pairs the query asks for, oldest first.
  virtual Result<std::vector<DuplicatePair>> find_duplicate_pairs(const DuplicateQuery& query) = 0;
  Result<std::vector<DuplicatePair>> list_duplicate_pairs(DuplicateStatus status,
                                                          std::size_t limit) {
    return find_duplicate_pairs({.status = status, .rule = {}, .lead_id = {}, .limit = limit});
  }
  // The pair of these two leads (either order); not_found when none was recorded.
  virtual Result<DuplicatePair> get_duplicate_pair(const std::string& lead_a,
                                                   const std::string& lead_b) = 0;

  // Outbox. claim_outbox leases the oldest free entries (or those whose lease expired), never an
  // entry whose lead has an older entry leased by someone else, so changes of one lead go out in
  // order. Only the oldest entry of each lead is claimable at all (one waiting for its not_before
  // holds back the lead's later ones); the result is ordered by seq.
  virtual Result<std::vector<OutboxEntry>> claim_outbox(const ClaimRequest& request) = 0;
  // Deletes the entries the worker still holds (also after its lease expired, if nobody took them).
  // Entries it no longer holds are left alone and named in the error: conflict when another worker
  // holds them, not_found when they are gone; the held ones are completed all the same.
  virtual Status complete_outbox(const std::vector<std::int64_t>& seqs,
                                 const std::string& worker) = 0;
  // Gives the entry back for a later retry, counting the attempt and keeping the error text.
  virtual Status release_outbox(std::int64_t seq, const std::string& worker,
                                const std::string& error, std::optional<TimePoint> not_before) = 0;
  // Moves the entry to the dead letters (one transaction).
  virtual Result<DeadLetter> dead_letter_outbox(std::int64_t seq, const std::string& worker,
                                                const Error& error) = 0;
  virtual Result<std::vector<OutboxEntry>>
  pending_outbox(std::size_t limit) = 0; // for status / dry-run
  // Workers holding unexpired leases, each with the number of entries it holds.
  virtual Result<std::map<std::string, std::int64_t>> outbox_lease_holders() = 0;
  // Frees, without counting an attempt, every entry held by a worker whose name starts with
  // `worker_prefix`: for a worker known to be gone (its process died), so its changes need not wait
  // for the lease to expire. Returns the number of entries freed.
  virtual Result<std::int64_t> release_leases_of(const std::string& worker_prefix) = 0;

  // Checkpoints: named values such as delta links.
  virtual Result<std::optional<std::string>> get_checkpoint(const std::string& name) = 0;
  virtual Status put_checkpoint(const std::string& name, const std::string& value) = 0;
  // Writes `value` under `name` only if the stored value is still `expected` (std::nullopt: there
  // is no checkpoint of that name), reading and writing in one transaction: of two processes that
  // read the same value and both try to replace it, exactly one succeeds. Returns false, having
  // written nothing, when the stored value is another. An import takes its file this way.
  virtual Result<bool> put_checkpoint_if(const std::string& name,
                                         const std::optional<std::string>& expected,
                                         const std::string& value) = 0;
  virtual Result<std::map<std::string, std::string>> list_checkpoints() = 0;

  // Dead letters.
  virtual Result<std::vector<DeadLetter>> list_dead_letters(std::size_t limit) = 0;
  virtual Result<DeadLetter> get_dead_letter(std::int64_t id) = 0;
  virtual Status drop_dead_letter(std::int64_t id) = 0;
  // Puts the change back into the outbox (new seq) and removes the dead letter, in one transaction.
  virtual Result<OutboxEntry> retry_dead_letter(std::int64_t id) = 0;

  // Run history.
  virtual Result<RunRecord> begin_run(const std::string& kind) = 0;
  virtual Status finish_run(const RunRecord& run) = 0; // status, counts, message, finished_at
  virtual Result<std::vector<RunRecord>> list_runs(std::size_t limit) = 0; // newest first

  // Enrichment answer cache. get_cached_answer returns the entry unless missing or expired at
  // `now`.
  virtual Result<std::optional<CachedAnswer>>
  get_cached_answer(const std::string& provider, const std::string& key, TimePoint now) = 0;
  // Stores (replaces) the answers in one transaction.
  virtual Status put_cached_answers(const std::vector<CachedAnswer>& answers) = 0;
  // Deletes cache entries that expired before `now`; returns how many.
  virtual Result<std::int64_t> prune_cached_answers(TimePoint now) = 0;

  // Usage ledger: zero when nothing was recorded for the provider and period.
  virtual Result<ProviderUsage> get_usage(const std::string& provider,
                                          const std::string& period) = 0;
  // Adds `delta` to the provider's usage in each of the periods, in one transaction.
  virtual Status add_usage(const std::string& provider, const std::vector<std::string>& periods,
                           const ProviderUsage& delta) = 0;

  // Pending (queued) lookups, one per (provider, key, lead_id): put inserts or replaces (keeping
  // created_at), delete removes (no error when missing). list returns up to `limit`, oldest
  // not_before first.
  virtual Status put_pending_lookup(const PendingLookup& pending) = 0;
  virtual Status delete_pending_lookup(const std::string& provider, const std::string& key,
                                       const std::string& lead_id) = 0;
  virtual Result<std::vector<PendingLookup>> list_pending_lookups(std::size_t limit) = 0;

  // Feed index. replace_feed_file stores the file's state and its records in one transaction:
  // append=false first removes every record of that (provider, path); append=true keeps them and
  // adds these (the file grew). remove_feed_file drops the file and its records.
  virtual Result<std::optional<FeedFileState>> get_feed_file(const std::string& provider,
                                                             const std::string& path) = 0;
  virtual Result<std::vector<FeedFileState>> list_feed_files(const std::string& provider) = 0;
  virtual Status replace_feed_file(const FeedFileState& state,
                                   const std::vector<FeedRecord>& records, bool append) = 0;
  virtual Status remove_feed_file(const std::string& provider, const std::string& path) = 0;
  // Records of the provider's feeds holding the key, newest file line last; at most `limit`.
  virtual Result<std::vector<FeedRecord>>
  find_feed_records(const std::string& provider, const FeedKey& key, std::size_t limit) = 0;

  // Behaviour events.
  virtual Result<model::BehaviourEvent> add_event(model::BehaviourEvent event) = 0;
  // Adds the events in ONE transaction. An event whose non-empty event_id is stored already, or
  // came earlier in the batch, is a duplicate: counted and skipped, not an error (add_event refuses
  // such an event with already_exists). Events without an event_id are always added. A missing
  // lead (not_found) or an invalid lead id (invalid_argument) fails the whole batch, the message
  // prefixed by the event's position; nothing is stored then.
  virtual Result<AddEventsResult> add_events(const std::vector<model::BehaviourEvent>& events) = 0;
  virtual Result<std::vector<model::BehaviourEvent>> list_events(const std::string& lead_id) = 0;

  // Webhook events. add_webhook_event stores a new event (state pending) or, when its dedupe_key
  // is known, stores nothing and says so. claim_webhook_events leases up to `max_entries` pending
  // events whose not_before has passed and whose lease is free or expired, oldest first, to
  // `worker` until now + lease. complete_webhook_events marks events done (the worker must hold
  // them); retry_webhook_event frees one for another attempt at not_before (attempts + 1);
  // fail_webhook_event gives it up (state failed, kept with its error). prune_webhook_events
  // deletes done and failed events finished before `before` and returns how many.
  virtual Result<AddWebhookEventResult> add_webhook_event(const WebhookEvent& event) = 0;
  virtual Result<std::vector<WebhookEvent>>
  claim_webhook_events(const std::string& worker, std::size_t max_entries, TimePoint now,
                       std::chrono::milliseconds lease) = 0;
  virtual Status complete_webhook_events(const std::vector<std::int64_t>& seqs,
                                         const std::string& worker, TimePoint now) = 0;
  virtual Status retry_webhook_event(std::int64_t seq, const std::string& worker,
                                     const std::string& error, TimePoint not_before) = 0;
  virtual Status fail_webhook_event(std::int64_t seq, const std::string& worker,
                                    const std::string& error, TimePoint now) = 0;
  virtual Result<WebhookQueueStats> webhook_queue_stats() = 0;
  virtual Result<std::vector<WebhookEvent>>
  list_webhook_events(std::size_t limit) = 0; // newest first
  virtual Result<std::int64_t> prune_webhook_events(TimePoint before) = 0;

  // Workers. register_worker inserts or replaces the worker (heartbeat_at = started_at).
  // heartbeat_worker records the worker alive at `now` and extends every lease it holds (entries
  // whose lease_owner is its id or starts with "<id>:") to now + lease, so a long batch of a live
  // worker is never taken from it; not_found when the worker is not registered (it was reaped as
  // dead: it must register again, and its leases may be gone). unregister_worker removes it (no
  // error when missing). list_workers returns the workers whose heartbeat is at or after
  // `alive_since`, oldest first, with the work each holds at `now`. reap_dead_workers removes the
  // workers whose heartbeat is before `dead_before` and frees their leases without counting an
  // attempt, all in one transaction: what a dead worker held is taken by the live ones.
  virtual Status register_worker(const WorkerInfo& worker) = 0;
  virtual Result<Heartbeat> heartbeat_worker(const std::string& worker_id, TimePoint now,
                                             std::chrono::milliseconds lease) = 0;
  virtual Status unregister_worker(const std::string& worker_id) = 0;
  virtual Result<std::vector<WorkerInfo>> list_workers(TimePoint alive_since, TimePoint now) = 0;
  virtual Result<ReapedWorkers> reap_dead_workers(TimePoint dead_before) = 0;

  // Singleton leases: a job of a kind that must run on one worker at a time (a scheduled pull).
  // try_lease takes the lease `name` for `owner` until now + lease when it is free, expired, or
  // already the owner's (then it is renewed), atomically; returns whether the owner holds it.
  // release_lease frees it if the owner holds it (no error otherwise).
  virtual Result<bool> try_lease(const std::string& name, const std::string& owner, TimePoint now,
                                 std::chrono::milliseconds lease) = 0;
  virtual Status release_lease(const std::string& name, const std::string& owner) = 0;

  // A wake-up from other processes: the waiter returns from wait() soon after any process adds a
  // webhook event or an outbox entry to this store (PostgreSQL: LISTEN/NOTIFY on a connection of
  // its own). A hint only: a caller still polls. nullptr when the store has no such signal (SQLite,
  // whose writers are in this process or found by polling).
  virtual Result<std::unique_ptr<WorkWaiter>> open_work_waiter() = 0;

  virtual Result<StoreStats> stats() = 0;
};

} // namespace leadsync::store
