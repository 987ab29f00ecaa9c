// The PostgreSQL store: behaviour events (EventStore); the webhook queue is in webhooks.cpp.
//
// Semantics and error messages are those of the SQLite store (sqlite/events.cpp).

#include "detail/rules.hpp"
#include "leadsync/model/json.hpp"
#include "postgres/detail/sql.hpp"
#include "postgres/postgres_store.hpp"

#include <algorithm>
#include <cstdint>
#include <limits>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace leadsync::store::postgres {
namespace {

using store::detail::event_lead_missing;
using store::detail::prefixed;

// ---- behaviour events

// The ids of `lead_ids` (canonical UUIDs) that have a lead row, in one query. Canonical ids hold
// only hex digits and '-', so they can be written into an array literal as they are.
std::set<std::string> existing_leads(pqxx::work& work, const std::set<std::string>& lead_ids) {
  std::string array = "{";
  for (const auto& id : lead_ids) {
    array += (array.size() == 1 ? "" : ",") + id;
  }
  array += "}";
  std::set<std::string> found;
  for (const auto& row :
       work.exec_params("SELECT id FROM leads WHERE id = ANY($1::text[])", array)) {
    found.insert(row[0].as<std::string>());
  }
  return found;
}

// Inside the caller's transaction: stores the event unless its event_id is known; false when it
// was. Sets event.id when stored. A concurrent transaction inserting the same event_id makes this
// one wait for its outcome, then do nothing (it committed) or insert (it rolled back).
bool insert_event(pqxx::work& work, model::BehaviourEvent& event, const std::string& document) {
  const auto rows = work.exec_params(
      "INSERT INTO behaviour_events (lead_id, kind, occurred_at, doc, event_id) "
      "VALUES ($1, $2, $3, $4, $5) ON CONFLICT (event_id) WHERE event_id IS NOT NULL DO NOTHING "
      "RETURNING id",
      event.lead_id, std::string(model::to_string(event.kind)), to_millis(event.occurred_at),
      document, event.event_id.empty() ? nullptr : event.event_id.c_str());
  if (rows.empty()) {
    return false;
  }
  event.id = rows[0][0].as<std::int64_t>();
  return true;
}

} // namespace

// ---- behaviour events

Result<model::BehaviourEvent> PostgresStore::add_event(model::BehaviourEvent event) {
  LEADSYNC_TRY(const auto document, store::detail::prepare_event(event));
  LEADSYNC_CHECK(pool_->transact("add a behaviour event", [&](pqxx::work& work) -> Status {
    if (existing_leads(work, {event.lead_id}).empty()) {
      return event_lead_missing(event.lead_id);
    }
    if (!insert_event(work, event, document)) {
      return store::detail::event_exists(event.event_id);
    }
    return ok_status();
  }));
  return event;
}

Result<AddEventsResult>
PostgresStore::add_events(const std::vector<model::BehaviourEvent>& events) {
  const auto position = [&](std::size_t index) {
    return store::detail::position_of("event", index, events.size());
  };
  std::vector<model::BehaviourEvent> prepared = events;
  std::vector<std::string> documents;
  documents.reserve(prepared.size());
  std::set<std::string> lead_ids;
  for (std::size_t i = 0; i < prepared.size(); ++i) {
    auto document = store::detail::prepare_event(prepared[i]);
    if (!document.ok()) {
      return fail(prefixed(document.error(), position(i)));
    }
    documents.push_back(std::move(document).value());
    lead_ids.insert(prepared[i].lead_id);
  }
  AddEventsResult result;
  if (prepared.empty()) {
    return result;
  }
  LEADSYNC_CHECK(pool_->transact("add behaviour events", [&](pqxx::work& work) -> Status {
    result = AddEventsResult{};
    const auto known = existing_leads(work, lead_ids);
    for (std::size_t i = 0; i < prepared.size(); ++i) {
      if (known.count(prepared[i].lead_id) == 0) {
        return fail(prefixed(event_lead_missing(prepared[i].lead_id), position(i)));
      }
    }
    for (std::size_t i = 0; i < prepared.size(); ++i) {
      if (insert_event(work, prepared[i], documents[i])) {
        ++result.added;
      } else {
        ++result.duplicates;
        result.duplicate_positions.push_back(i);
      }
    }
    return ok_status();
  }));
  return result;
}

Result<std::vector<model::BehaviourEvent>> PostgresStore::list_events(const std::string& lead_id) {
  LEADSYNC_TRY(const auto canonical, store::detail::canonical_id(lead_id));
  std::vector<model::BehaviourEvent> events;
  LEADSYNC_CHECK(pool_->transact("list behaviour events", [&](pqxx::work& work) -> Status {
    events.clear();
    for (const auto& row : work.exec_params("SELECT id, occurred_at, doc FROM behaviour_events "
                                            "WHERE lead_id = $1 ORDER BY occurred_at, id",
                                            canonical)) {
      LEADSYNC_TRY(auto event,
                   store::detail::read_event_document(row[0].as<std::int64_t>(), view_of(row[2])));
      event.lead_id = canonical;
      event.occurred_at = from_millis(row[1].as<std::int64_t>());
      events.push_back(std::move(event));
    }
    return ok_status();
  }));
  return events;
}

} // namespace leadsync::store::postgres
