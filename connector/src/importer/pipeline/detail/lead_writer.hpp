#pragma once
// The writer stage of the CSV import: finds each accepted row's lead (a duplicate in the file, a
// stored lead, or a new one), merges, and writes in batches.

#include "leadsync/core/clock.hpp"
#include "leadsync/core/random.hpp"
#include "leadsync/importer/dedupe.hpp"
#include "leadsync/store/store.hpp"
#include "pipeline/detail/rows.hpp"
#include "pipeline/detail/stored_key_filter.hpp"

#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

namespace leadsync::importer::detail {

enum class RowFate { new_lead, merged_in_file, merged_with_stored, unchanged };

// What became of an accepted row: its fate, and the possible duplicates it was queued with.
struct RowDecision {
  RowFate fate = RowFate::new_lead;
  std::size_t possible_duplicates = 0; // pairs queued for review
  bool over_identifier_cap = false;    // a merge refused as a suspicious cluster
};

class LeadWriter {
public:
  struct Stores {
    store::Store& lookup; // where the leads stored before the import are found
    store::Store& target; // where the writes go: `lookup` itself, or a dry run's scratch store
  };

  // `domain_created_before`: stored leads are matched by company domain only when created before
  // this (the leads this import creates are found through the FileIndex).
  // New leads get time-ordered ids (UUID v7) from `clock` and `random`.
  // `source_name` names the file in merge records and review-queue entries ("list.csv line 12").
  LeadWriter(Stores stores, const Clock& clock, Random& random, MergePolicy policy,
             std::size_t expected_leads, store::TimePoint domain_created_before,
             std::string source_name);

  // Looks up, in one query, the stored leads that the accepted rows of a chunk may duplicate.
  // Call before add() for the rows of the chunk.
  Status look_up(std::span<const RowOutcome> rows);
  // Finds the accepted row's lead by the rules of dedupe.hpp (merge, flag, or new) and stages the
  // write it needs (none when nothing changes) and the possible-duplicate pairs.
  Result<RowDecision> add(RowOutcome&& row);
  // Writes what is staged and the checkpoint in one transaction.
  Status commit(const std::optional<store::CheckpointValue>& checkpoint);

  std::size_t staged() const { return staged_.size(); }

  // A possible duplicate found for a row, before it is a pair of lead ids.
  struct Flag {
    std::string lead_id;
    Link link;
    std::string other_name; // the other lead's name as known (folded for leads of this file)
  };

private:
  struct Current {
    const model::Lead* lead = nullptr;
    store::WriteKind kind = store::WriteKind::update;
  };

  // The newest copy of a lead: staged in this batch, else in the target store, else (dry run: the
  // scratch store does not have it yet) the stored one.
  Result<Current> current(const std::string& id, const model::Lead* candidate);
  void stage(model::Lead lead, store::WriteKind kind);
  void stage_pairs(const std::vector<Flag>& flags, const std::string& lead_id,
                   const RowOutcome& row);
  std::string source_of(const RowOutcome& row) const;
  // Builds the filter of stored keys on first use; drops it for good once another process writes
  // leads (it no longer covers the store, so every key is asked about again).
  Status refresh_filter();
  bool may_be_stored(store::LookupKind kind, std::string_view key) const;
  std::vector<const model::Lead*> candidates_for(const StoreLookups& lookups) const;

  Stores stores_;
  std::string source_name_;
  NameFrequency names_;
  std::unordered_set<std::string> indexed_stored_; // stored leads the FileIndex holds
  std::vector<store::DuplicatePair> staged_pairs_;
  // Leads at the identifier cap as last read: a padded list matches them on every row, and reading
  // them from the store each time would cost more than the row. Dropped when staged again.
  static constexpr std::size_t max_capped_kept = 64;
  std::unordered_map<std::string, std::pair<model::Lead, store::WriteKind>> capped_;
  bool dry_run_;
  const Clock& clock_;
  Random& random_;
  MergePolicy policy_;
  store::TimePoint domain_created_before_;
  FileIndex index_;
  std::vector<bool> from_store_; // by FileIndex ref: the lead was stored before this import
  std::vector<store::LeadWrite> staged_;
  std::unordered_map<std::string, std::size_t> staged_by_id_;
  model::Lead fetched_;                 // the lead current() last read from a store
  std::vector<model::Lead> candidates_; // stored leads the batch may duplicate
  std::unordered_map<std::string, std::vector<std::size_t>> candidates_by_key_;
  enum class FilterState { unbuilt, on, off };
  FilterState filter_state_ = FilterState::unbuilt;
  std::optional<StoredKeyFilter> filter_;
  std::int64_t foreign_writes_ = 0; // the store's foreign_write_marker when the filter was built
};

} // namespace leadsync::importer::detail
