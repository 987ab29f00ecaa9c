#pragma once
// Rows of every table, kept in memory (and in SQLite with --state), with an org-wide row version
// that drives ETags and change tracking, tombstones for deleted rows, and all-or-nothing
// transactions for changesets and bulk messages.

#include "dvemu/schema.hpp"

#include <chrono>
#include <cstdint>
#include <leadsync/core/clock.hpp>
#include <leadsync/core/mutex.hpp>
#include <leadsync/core/random.hpp>
#include <leadsync/core/result.hpp>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

namespace dvemu {

using Json = nlohmann::json;

// Case folding for the case-insensitive comparisons Dataverse makes (its SQL collation): ASCII,
// Latin-1, Latin Extended-A, Greek and Cyrillic capitals are folded; other characters are kept as
// they are.
std::string fold_case(std::string_view utf8);

// "2026-11-22T20:00:00Z": how the emulator stores and returns DateTime values (seconds, UTC).
std::string to_rfc3339(std::chrono::system_clock::time_point time);

// A row. Attributes are keyed by column logical name. Values: strings, numbers, booleans, null;
// DateTime as "2026-11-22T20:00:00Z", DateOnly as "2026-11-22"; lookups as
// {"id":"<guid>","entity":"account"} (the target's logical name, needed for polymorphic lookups).
struct StoredRecord {
  std::string id; // lower-case GUID
  Json attributes = Json::object();
  std::int64_t version = 0; // versionnumber; the ETag is W/"<version>"
};

struct DeletedRecord {
  std::string id;
  std::int64_t version = 0; // org version at deletion
};

struct Changes {
  std::vector<const StoredRecord*>
      changed;                        // created or updated after the given version, by version
  std::vector<DeletedRecord> deleted; // deleted after the given version (even if created after)
};

class RecordStore {
public:
  RecordStore(const Schema& schema, leadsync::Clock& clock, leadsync::Random& random);
  ~RecordStore();

  // Exclusive access to every table while it lives. Writes are undone when it is destroyed without
  // commit(), so a failed changeset or bulk request leaves no trace (versions may skip numbers).
  class Txn {
  public:
    Txn(Txn&&) noexcept;
    ~Txn();
    const StoredRecord* find(const EntityDef& entity, const std::string& id) const;
    // Key columns with their values (already converted to stored form), matched exactly; strings
    // are compared case-insensitively as SQL Server does.
    const StoredRecord* find_by_key(const EntityDef& entity,
                                    const std::vector<std::pair<std::string, Json>>& key) const;
    std::vector<const StoredRecord*> scan(const EntityDef& entity) const; // in creation order
    // The alternate key that row `id` (empty or unknown id: a new row) would share with another row
    // once `changes` are applied to it, or nullptr. Check it before insert/update: Dataverse
    // refuses such writes (DuplicateRecordEntityKey, see payload.hpp duplicate_key_error).
    const AlternateKeyDef* key_conflict(const EntityDef& entity, const std::string& id,
                                        const Json& changes) const;
    // Inserts a row: uses attributes[primary_id] when present (else a new GUID), sets createdon,
    // modifiedon, versionnumber, statecode/statuscode defaults where the table has them, two-option
    // defaults, and the computed columns (lead/contact fullname from first and last name).
    // Preconditions (std::logic_error otherwise): the id is not in use and key_conflict() is
    // nullptr.
    const StoredRecord& insert(const EntityDef& entity, Json attributes);
    // Merges the changes into the row (a null value clears the column), bumps its version, sets
    // modifiedon, recomputes computed columns. Preconditions (std::logic_error otherwise): the row
    // exists and key_conflict() is nullptr.
    const StoredRecord& update(const EntityDef& entity, const std::string& id, const Json& changes);
    // Removes the row and leaves a tombstone for change tracking; an unknown id is ignored.
    void erase(const EntityDef& entity, const std::string& id);
    Changes changes_since(const EntityDef& entity, std::int64_t version) const;
    std::int64_t current_version() const;
    // Makes the writes permanent (and durable with a state file). If the state file cannot be
    // written, the writes are undone and std::runtime_error says why: nothing unacknowledged stays
    // in memory.
    void commit();

  private:
    friend class RecordStore;
    struct Impl;
    explicit Txn(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> impl_;
  };

  // Blocks until no other transaction is open. Do not call it again on a thread that holds a Txn.
  Txn begin();

  // Persistence: loads the rows from the SQLite file (creating it), and from then on writes every
  // committed transaction to it before commit() returns. A new (empty) file receives the rows
  // already in memory; a file with rows replaces them.
  leadsync::Status attach_state_file(const std::string& path);
  void reset(); // drops every row (keeps the version counter increasing)
  std::map<std::string, std::int64_t> row_counts(); // entity set -> rows
  leadsync::Clock& clock() { return clock_; }

private:
  struct State;
  const Schema& schema_;
  leadsync::Clock& clock_;
  leadsync::Random& random_;
  leadsync::Mutex mutex_; // held by a Txn for its whole life
  std::unique_ptr<State> state_ PT_GUARDED_BY(mutex_);
};

} // namespace dvemu
