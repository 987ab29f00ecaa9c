#pragma once
// Behaviour events of leads (visits, opens, clicks): one role of the Store (store/store.hpp).

#include "leadsync/core/result.hpp"
#include "leadsync/model/lead.hpp"

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace leadsync::store {

// What Store::add_events did with a batch of events.
struct AddEventsResult {
  std::int64_t added = 0;      // events stored
  std::int64_t duplicates = 0; // events not stored: their event_id was known (stored, or earlier
                               // in the batch)
  std::vector<std::size_t>
      duplicate_positions; // 0-based positions of those in the batch, ascending
};

class EventStore {
public:
  virtual ~EventStore() = default;

  // Behaviour events.
  virtual Result<model::BehaviourEvent> add_event(model::BehaviourEvent event) = 0;
  // Adds the events in ONE transaction. An event whose non-empty event_id is stored already, or
  // came earlier in the batch, is a duplicate: counted and skipped, not an error (add_event refuses
  // such an event with already_exists). Events without an event_id are always added. A missing
  // lead (not_found) or an invalid lead id (invalid_argument) fails the whole batch, the message
  // prefixed by the event's position; nothing is stored then.
  virtual Result<AddEventsResult> add_events(const std::vector<model::BehaviourEvent>& events) = 0;
  virtual Result<std::vector<model::BehaviourEvent>> list_events(const std::string& lead_id) = 0;
};

} // namespace leadsync::store
