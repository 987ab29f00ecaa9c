#pragma once
// Types every role of the Store (store/store.hpp) shares: the time point and the operation an
// outbox entry records.

#include <chrono>
#include <string_view>

namespace leadsync::store {

using TimePoint = std::chrono::system_clock::time_point;

// What a lead write also records in the outbox.
// merge: the entry's lead is a tombstone merged by hand into lead.merged_into; push asks the CRM to
// merge it (Dataverse's Merge action) when both are there.
enum class OutboxOperation { upsert, qualify, disqualify, reactivate, remove, merge };
std::string_view to_string(OutboxOperation op);

} // namespace leadsync::store
