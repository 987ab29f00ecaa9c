#pragma once
// The lookup backlog of the SQLite store (migration 8): the e-mail, phone and company domain keys
// of leads written by a bulk load (WriteOptions::bulk_load), not yet in lead_emails, lead_phones
// and lead_domains.
//
// Why: each new lead's keys land at random places of the e-mail, phone and domain indexes. A
// 4,000-lead transaction then dirties thousands of their pages, and SQLite writes every dirty page
// to the write-ahead log at each commit (and copies it back at each checkpoint): most of an
// import's file writes and a third of its CPU. The backlog is keyed by lead id, which grows with
// time, so a bulk load only appends to it. It has no index by value (one would be written at
// random just the same), so a lookup reads the whole backlog: finishing the load indexes it.

#include "leadsync/core/result.hpp"
#include "sqlite/detail/database.hpp"

namespace leadsync::store::sqlite {

// Inside the caller's transaction: moves every key of the backlog into lead_emails, lead_phones
// and lead_domains and empties the backlog. A backlog at least half as large as those tables (a
// first import) is inserted in lead id order with their by-value indexes dropped and built again
// afterwards, as CREATE INDEX sorts (about 40% less time than inserting in key order); a smaller
// one is inserted in key order, which writes each index page once. A no-op on a database without
// the table.
Status merge_lookup_backlog(Database& database);

} // namespace leadsync::store::sqlite
