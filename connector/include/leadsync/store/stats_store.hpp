#pragma once
// Counts for `leadsync status` and the metrics: one role of the Store (store/store.hpp).

#include "leadsync/core/result.hpp"

#include <cstdint>
#include <map>
#include <string>

namespace leadsync::store {

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

class StatsStore {
public:
  virtual ~StatsStore() = default;

  virtual Result<StoreStats> stats() = 0;
};

} // namespace leadsync::store
