#pragma once
// The PostgreSQL schema and its upgrades. Internal to store/.

#include "leadsync/core/clock.hpp"
#include "leadsync/core/result.hpp"
#include "postgres/detail/pool.hpp"

namespace leadsync::store::postgres {

int latest_schema_version();

// Creates or upgrades the schema. Several processes starting at once take turns: each migration
// runs under a transaction-scoped advisory lock and re-reads the version under it.
Status migrate(ConnectionPool& pool, const Clock& clock);

} // namespace leadsync::store::postgres
