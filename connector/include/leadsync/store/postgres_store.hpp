#pragma once
// The PostgreSQL Store: the same Store contract as SQLite, for several processes (daemons on one
// or more hosts, plain commands) sharing one database. Work is claimed the way PostgreSQL job
// queues do it (FOR UPDATE SKIP LOCKED in a CTE, leases extended by heartbeats, dead workers'
// leases rescued by the live ones); LISTEN/NOTIFY wakes a waiting worker; a bulk write goes
// through COPY into a staging table and set-based inserts. See README "Scaling out".
//
// The URL is libpq's: postgresql://USER@HOST[:PORT]/DB[?sslmode=verify-full&...]. The password
// comes from ~/.pgpass or PGPASSFILE (libpq reads them), never from the URL: a URL holding one is
// refused, since URLs reach logs and process lists. TLS is libpq's (sslmode, sslrootcert).

#include "leadsync/core/clock.hpp"
#include "leadsync/core/random.hpp"
#include "leadsync/core/result.hpp"
#include "leadsync/store/store.hpp"

#include <cstddef>
#include <memory>
#include <string>

namespace leadsync::store {

struct PostgresOptions {
  std::string url; // postgresql://USER@HOST[:PORT]/DB[?PARAMS]
  // Connections the store opens at most (lazily); callers beyond wait for a free one.
  std::size_t pool_size = 4;
};

// Connects, then creates or upgrades the schema (one process at a time, under an advisory lock).
Result<std::unique_ptr<Store>> open_postgres_store(const PostgresOptions& options,
                                                   Clock& clock = SystemClock::instance(),
                                                   Random& random = SecureRandom::instance());

// The schema version this build migrates to.
int postgres_schema_version();

// The URL with any password removed, safe to print.
std::string redact_postgres_url(const std::string& url);

} // namespace leadsync::store
