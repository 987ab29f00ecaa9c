#pragma once
// The outbox: changes waiting for push, claimed by workers under leases; one role of the Store
// (store/store.hpp). A change that cannot be sent becomes a dead letter
// (store/dead_letter_store.hpp).

#include "leadsync/core/error.hpp"
#include "leadsync/core/result.hpp"
#include "leadsync/store/store_types.hpp"

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace leadsync::store {

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

// A change push gave up on (OutboxStore::dead_letter_outbox; store/dead_letter_store.hpp).
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

class OutboxStore {
public:
  virtual ~OutboxStore() = default;

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
};

} // namespace leadsync::store
