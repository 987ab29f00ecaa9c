#pragma once
// Reading leadsync's SQLite store from a fault test, the way the promises are counted: read-only,
// waiting up to 5 s for a writer's lock (the process under test may be mid-commit).

#include <filesystem>
#include <optional>
#include <sqlite3.h>
#include <string>
#include <vector>

namespace leadsync::faults {

// The first column of every row `sql` returns, as text; nullopt when the file cannot be opened or
// the statement cannot run (the store not created yet, a table not there yet, locked past 5 s).
inline std::optional<std::vector<std::string>> query_store(const std::filesystem::path& database,
                                                           const std::string& sql) {
  std::optional<std::vector<std::string>> values;
  sqlite3* db = nullptr;
  if (sqlite3_open_v2(database.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK) {
    sqlite3_busy_timeout(db, 5000);
    sqlite3_stmt* statement = nullptr;
    if (sqlite3_prepare_v2(db, sql.c_str(), -1, &statement, nullptr) == SQLITE_OK) {
      values.emplace();
      int step = SQLITE_ROW;
      while ((step = sqlite3_step(statement)) == SQLITE_ROW) {
        const auto* text = sqlite3_column_text(statement, 0);
        values->emplace_back(text == nullptr ? "" : reinterpret_cast<const char*>(text));
      }
      if (step != SQLITE_DONE) {
        values.reset();
      }
    }
    sqlite3_finalize(statement);
  }
  sqlite3_close(db);
  return values;
}

} // namespace leadsync::faults
