// The SQLite store: Behaviour events (EventStore).

#include "leadsync/model/json.hpp"
#include "sqlite/rows.hpp"
#include "sqlite/sqlite_store.hpp"

namespace leadsync::store::sqlite {

Result<model::BehaviourEvent> SqliteStore::add_event(model::BehaviourEvent event) {
  LEADSYNC_TRY(auto document, detail::prepare_event(event));
  MutexLock lock(mutex_);
  LEADSYNC_TRY(auto transaction, Transaction::begin(database_));
  LEADSYNC_TRY(const bool added, insert_event(event, document));
  if (!added) {
    return detail::event_exists(event.event_id);
  }
  LEADSYNC_CHECK(transaction.commit());
  return event;
}

Result<AddEventsResult> SqliteStore::add_events(const std::vector<model::BehaviourEvent>& events) {
  const auto position = [&](std::size_t index) {
    return detail::position_of("event", index, events.size());
  };
  std::vector<model::BehaviourEvent> prepared = events;
  std::vector<std::string> documents;
  documents.reserve(prepared.size());
  for (std::size_t i = 0; i < prepared.size(); ++i) {
    auto document = detail::prepare_event(prepared[i]);
    if (!document.ok()) {
      return fail(prefixed(document.error(), position(i)));
    }
    documents.push_back(std::move(document).value());
  }
  AddEventsResult result;
  MutexLock lock(mutex_);
  LEADSYNC_TRY(auto transaction, Transaction::begin(database_));
  for (std::size_t i = 0; i < prepared.size(); ++i) {
    auto added = insert_event(prepared[i], documents[i]);
    if (!added.ok()) {
      return fail(prefixed(added.error(), position(i)));
    }
    if (*added) {
      ++result.added;
    } else {
      ++result.duplicates;
      result.duplicate_positions.push_back(i);
    }
  }
  LEADSYNC_CHECK(transaction.commit());
  return result;
}

Result<std::vector<model::BehaviourEvent>> SqliteStore::list_events(const std::string& lead_id) {
  LEADSYNC_TRY(const auto canonical, canonical_id(lead_id));
  MutexLock lock(mutex_);
  LEADSYNC_TRY(auto query, database_.query("SELECT id, occurred_at, doc FROM behaviour_events "
                                           "WHERE lead_id = ? ORDER BY occurred_at, id",
                                           canonical));
  std::vector<model::BehaviourEvent> events;
  for (;;) {
    LEADSYNC_TRY(const bool has_row, query.step());
    if (!has_row) {
      return events;
    }
    LEADSYNC_TRY(auto event, detail::read_event_document(query.integer(0), query.text_view(2)));
    event.lead_id = canonical;
    event.occurred_at = from_millis(query.integer(1));
    events.push_back(std::move(event));
  }
}

// Inside the caller's transaction: stores the event unless its event_id is known; false when it
// was. Sets event.id when stored.
Result<bool> SqliteStore::insert_event(model::BehaviourEvent& event, const std::string& document) {
  LEADSYNC_TRY(const auto lead, find_version(event.lead_id));
  if (!lead) {
    return detail::event_lead_missing(event.lead_id);
  }
  const SqlValue event_id = event.event_id.empty() ? SqlValue(nullptr) : SqlValue(event.event_id);
  LEADSYNC_TRY(auto insert,
               database_.query("INSERT INTO behaviour_events "
                               "(lead_id, kind, occurred_at, doc, event_id) VALUES (?, ?, ?, ?, ?) "
                               "ON CONFLICT DO NOTHING",
                               event.lead_id, model::to_string(event.kind),
                               to_millis(event.occurred_at), document, event_id));
  LEADSYNC_CHECK(insert.run());
  if (database_.changes() == 0) {
    return false;
  }
  event.id = database_.last_insert_rowid();
  return true;
}

} // namespace leadsync::store::sqlite
