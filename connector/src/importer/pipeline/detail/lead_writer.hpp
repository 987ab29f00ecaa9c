#pragma once
// The writer stage of the CSV import: finds each accepted row's lead (a duplicate in the file, a
// stored lead, or a new one), merges, and stages the writes; commit() hands each batch to a
// committer thread of the writer's own, which writes it (Store::write_batch) while the writer
// de-duplicates the next batch. The store call is about two thirds of the writer's work (SQLite,
// file I/O, JSON), so a writer that also committed was the import's bottleneck.
//
// At most one batch is in flight: handing the next waits for it. The store object is shared, and
// a store call waits while a commit holds it (SqliteStore has one connection), so what a batch
// needs is found before the batch before it is handed, when nothing is in flight (prepare(), given
// the rows of the next batch): the stored leads the rows may duplicate, the leads of this import
// they merge into by e-mail or mobile (read from the store), and of those, the ones in the batch
// about to be handed (copies kept with the batch in flight). While the committer writes, the
// writer works from memory. A write staged from a lead of the batch in flight is made an update
// of the version that commit gave it when the next batch is handed. A merge prepare() could not
// foresee (by a name rule) into a lead of the batch in flight waits for its commit and reads the
// lead from the store; into a lead of an earlier batch, it reads the store (waiting for a commit
// in progress).

#include "leadsync/core/clock.hpp"
#include "leadsync/core/mutex.hpp"
#include "leadsync/core/random.hpp"
#include "leadsync/importer/dedupe.hpp"
#include "leadsync/store/store.hpp"
#include "pipeline/detail/rows.hpp"
#include "pipeline/detail/stored_key_filter.hpp"

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <thread>
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
  // `commit_in_background`: commits run on the committer thread (false: commit() writes on the
  // calling thread and returns that batch's status).
  LeadWriter(Stores stores, const Clock& clock, Random& random, MergePolicy policy,
             std::size_t expected_leads, store::TimePoint domain_created_before,
             std::string source_name, bool commit_in_background = true);
  // Waits for the batch in flight (its status is lost: call finish() to see it).
  ~LeadWriter();
  LeadWriter(const LeadWriter&) = delete;
  LeadWriter& operator=(const LeadWriter&) = delete;
  LeadWriter(LeadWriter&&) = delete;
  LeadWriter& operator=(LeadWriter&&) = delete;

  // Reads what the accepted rows of these chunks (the next batch) need from the store, one query
  // each: the stored leads they may duplicate (find_leads), and the leads of this import they
  // merge into by e-mail or mobile that are neither staged nor in flight (get_leads). Call before
  // add() for the rows of the first batch; commit() does it for the batch after the one it hands.
  Status prepare(std::span<const RowChunk> chunks);
  // Finds the accepted row's lead by the rules of dedupe.hpp (merge, flag, or new) and stages the
  // write it needs (none when nothing changes) and the possible-duplicate pairs.
  Result<RowDecision> add(RowOutcome&& row);
  // Hands what is staged and the checkpoint to the committer thread, which writes them in one
  // transaction (every write with WriteOptions::bulk_load), and returns at once. Waits first for
  // the batch in flight, if any, then prepares `next` (the rows of the next batch, already read)
  // before it hands this one. Fails with the error of an earlier batch whose commit failed (then
  // this batch is not written; every later call fails so too).
  Status commit(const std::optional<store::CheckpointValue>& checkpoint,
                std::span<const RowChunk> next = {});
  // Waits for the batch in flight and stops the committer thread: the status of the last commit
  // (the first failure, once one failed). Call it before reading committed_checkpoint() or what
  // the import stored. A later commit() writes on the calling thread.
  Status finish();
  // The checkpoint of the last batch committed (a failed one does not count); nullopt before the
  // first, or when the batches carry none (a dry run). Lags behind commit() until finish().
  const std::optional<store::CheckpointValue>& committed_checkpoint() const { return committed_; }

  std::size_t staged() const { return staged_.size(); }

  // A possible duplicate found for a row, before it is a pair of lead ids.
  struct Flag {
    std::string lead_id;
    Link link;
    std::string other_name; // the other lead's name as known (folded for leads of this file)
  };

private:
  // A batch handed to the committer, which takes it (the writer keeps an InFlight).
  struct Batch {
    std::vector<store::LeadWrite> writes;
    std::vector<store::DuplicatePair> pairs;
    std::optional<store::CheckpointValue> checkpoint;
  };
  // The writer's view of the batch in flight.
  struct InFlight {
    std::unordered_map<std::string, std::size_t> by_id; // lead id -> index in the writes
    // The leads of the batch that the next batch's rows merge into (prepare()), as staged.
    std::unordered_map<std::string, std::pair<model::Lead, store::WriteKind>> kept;
    std::optional<store::CheckpointValue> checkpoint;
  };
  // What the commit of the batch in flight gave.
  struct Outcome {
    Status status;
    std::vector<std::int64_t> versions; // of the written leads, in the order of the writes
  };

  struct Current {
    const model::Lead* lead = nullptr;
    store::WriteKind kind = store::WriteKind::update;
  };

  // The newest copy of a lead: staged in this batch, else in the batch in flight, else as
  // prepare() read it, else in the target store, else (dry run: the scratch store does not have it
  // yet) the stored one.
  Result<Current> current(const std::string& id, const model::Lead* candidate);
  // Writes the batch (the committer's work, on whichever thread commits).
  Outcome write(Batch batch);
  // The committer thread's loop: writes each batch handed to it until told to stop.
  void run_committer();
  // Waits for the batch in flight and takes its outcome: the committed checkpoint, the versions
  // of the staged writes of its leads; the batch is dropped (the store has it). The first failure
  // is kept and returned from then on.
  Status settle();
  void stop_committer();
  void stage(model::Lead lead, store::WriteKind kind);
  void stage_pairs(const std::vector<Flag>& flags, const std::string& lead_id,
                   const RowOutcome& row);
  std::string source_of(const RowOutcome& row) const;
  // Builds the filter of stored keys on first use (after finishing a bulk load left unfinished);
  // drops it for good once another process writes leads (it no longer covers the store, so every
  // key is asked about again, and the lookups no longer skip the bulk load backlog).
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
  // Leads of this import the batch merges into, as prepare() read them from the target store.
  // Dropped when staged again (the copy would be stale once the stage is committed).
  std::unordered_map<std::string, model::Lead> prefetched_;
  // Leads staged now that the next batch's rows merge into (prepare()): kept when it is handed.
  std::unordered_set<std::string> keep_;
  std::unordered_map<std::string, std::vector<std::size_t>> candidates_by_key_;
  enum class FilterState { unbuilt, on, off };
  FilterState filter_state_ = FilterState::unbuilt;
  std::optional<StoredKeyFilter> filter_;
  std::int64_t foreign_writes_ = 0; // the store's foreign_write_marker when the filter was built

  // The committer. Each commit reads the lookup store's foreign_write_marker right after it (same
  // thread, no wait for the store) and publishes it here: the writer checks the filter against it
  // per chunk instead of calling the store, which a commit in progress would hold up.
  std::atomic<std::int64_t> latest_marker_{0};
  std::atomic<bool> marker_unknown_{false}; // a read failed: the filter cannot be trusted
  const bool background_;
  std::optional<InFlight> in_flight_;
  std::optional<store::CheckpointValue> committed_;
  Status failed_; // the first failed commit's status, kept
  Mutex mutex_;
  CondVar changed_;
  // The batch for the committer to take, the commit in flight is done (with outcome_), stop.
  std::optional<Batch> handed_ GUARDED_BY(mutex_);
  bool done_ GUARDED_BY(mutex_) = false;
  bool stopping_ GUARDED_BY(mutex_) = false;
  std::optional<Outcome> outcome_ GUARDED_BY(mutex_);
  std::thread committer_;
};

} // namespace leadsync::importer::detail
