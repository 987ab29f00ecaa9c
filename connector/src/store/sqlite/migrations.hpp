#pragma once
// Versioned schema migrations for the SQLite store. Each step runs in its own transaction together
// with the schema_migrations row that records it, so a crash leaves the database at a whole step.

#include "leadsync/core/clock.hpp"
#include "leadsync/core/result.hpp"
#include "sqlite/detail/database.hpp"

namespace leadsync::store::sqlite {

// Brings the database to the newest schema this build knows. Refuses a database whose schema is
// newer.
Status migrate(Database& database, const Clock& clock);

// The version of the last migration step.
int latest_schema_version();

} // namespace leadsync::store::sqlite
