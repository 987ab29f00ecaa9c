#pragma once
// Leads (with tombstones) and the review queue of possible duplicates: one role of the Store
// (store/store.hpp). A lead write records its outbox entry in the same transaction.

#include "leadsync/core/result.hpp"
#include "leadsync/model/lead.hpp"
#include "leadsync/store/store_types.hpp"

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace leadsync::store {

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

class LeadStore {
public:
  virtual ~LeadStore() = default;

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
};

} // namespace leadsync::store
