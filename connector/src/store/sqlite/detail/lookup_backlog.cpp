#include "sqlite/detail/lookup_backlog.hpp"

#include <array>
#include <string>
#include <string_view>

namespace leadsync::store::sqlite {
namespace {

struct LookupTable {
  int kind; // lookup_backlog.kind
  std::string_view table;
  std::string_view column;
  std::string_view index; // its index by value (migrations.cpp)
};

constexpr std::array<LookupTable, 3> lookup_tables{{
    {.kind = 0, .table = "lead_emails", .column = "email", .index = "lead_emails_by_email"},
    {.kind = 1, .table = "lead_phones", .column = "e164", .index = "lead_phones_by_e164"},
    {.kind = 2, .table = "lead_domains", .column = "domain", .index = "lead_domains_by_domain"},
}};

std::string insert_from_backlog(const LookupTable& lookup, std::string_view order) {
  // OR IGNORE: a key the lead has indexed already stays as it is.
  return "INSERT OR IGNORE INTO " + std::string(lookup.table) + " (lead_id, " +
         std::string(lookup.column) +
         ") SELECT lead_id, value FROM lookup_backlog WHERE kind = " + std::to_string(lookup.kind) +
         " ORDER BY " + std::string(order) + ";";
}

} // namespace

Status merge_lookup_backlog(Database& database) {
  LEADSYNC_TRY(const auto has_backlog,
               database.query_integer("SELECT count(*) FROM sqlite_master "
                                      "WHERE type = 'table' AND name = 'lookup_backlog'"));
  if (has_backlog == 0) {
    return ok_status();
  }
  LEADSYNC_TRY(const auto waiting, database.query_integer("SELECT count(*) FROM lookup_backlog"));
  if (waiting == 0) {
    return ok_status();
  }
  LEADSYNC_TRY(const auto indexed,
               database.query_integer("SELECT (SELECT count(*) FROM lead_emails) + "
                                      "(SELECT count(*) FROM lead_phones) + "
                                      "(SELECT count(*) FROM lead_domains)"));
  std::string sql;
  if (2 * waiting >= indexed) {
    for (const auto& lookup : lookup_tables) {
      sql += "DROP INDEX " + std::string(lookup.index) + ";";
      sql += insert_from_backlog(lookup, "lead_id, value");
      sql += "CREATE INDEX " + std::string(lookup.index) + " ON " + std::string(lookup.table) +
             " (" + std::string(lookup.column) + ");";
    }
  } else {
    for (const auto& lookup : lookup_tables) {
      sql += insert_from_backlog(lookup, "value");
    }
  }
  sql += "DELETE FROM lookup_backlog;";
  return database.execute(sql);
}

} // namespace leadsync::store::sqlite
