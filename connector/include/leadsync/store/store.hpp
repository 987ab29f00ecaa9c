#pragma once
// The Store: leadsync's own state. Leads (with tombstones), the outbox written in the same
// transaction as the lead change it records, checkpoints, dead letters, run history, enrichment
// state, behaviour events, the webhook queue and the workers sharing the store. Implementations:
// SQLite (store/sqlite_store.hpp) and PostgreSQL (store/postgres_store.hpp). Nothing outside store/
// speaks SQL. All methods are safe to call from several threads of one process.
//
// Store is the sum of its roles, each an abstract class of its own header. A component that needs
// one or two roles takes those (a RunStore&, say), so its test double implements only them; a
// Store& converts to any of its roles.

#include "leadsync/store/dead_letter_store.hpp"
#include "leadsync/store/enrichment_store.hpp"
#include "leadsync/store/event_store.hpp"
#include "leadsync/store/lead_store.hpp"
#include "leadsync/store/outbox_store.hpp"
#include "leadsync/store/run_store.hpp"
#include "leadsync/store/stats_store.hpp"
#include "leadsync/store/store_types.hpp"
#include "leadsync/store/webhook_store.hpp"
#include "leadsync/store/worker_store.hpp"

namespace leadsync::store {

// The roles share no base class: a Store is each of them once.
class Store : public LeadStore,
              public OutboxStore,
              public RunStore,
              public DeadLetterStore,
              public EnrichmentStore,
              public EventStore,
              public WebhookStore,
              public WorkerStore,
              public StatsStore {
public:
  ~Store() override = default;
};

} // namespace leadsync::store
