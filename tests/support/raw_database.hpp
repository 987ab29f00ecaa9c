#pragma once
// Reading leadsync's SQLite store file directly, from a test that runs the `leadsync` executable
// (integration and fault tests count what it wrote there): read-only, waiting up to 5 s for a
// writer's lock (the process under test may be mid-commit); and a read-write connection for
// tests that tamper with the file. Link SQLite::SQLite3.

#include <cstdint>
#include <filesystem>
#include <gtest/gtest.h>
#include <optional>
#include <sqlite3.h>
#include <string>
#include <vector>

namespace leadsync::test {

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

// The first column of every row, or no rows when the query cannot run.
inline std::vector<std::string> query_strings(const std::filesystem::path& database,
                                              const std::string& sql) {
  return query_store(database, sql).value_or(std::vector<std::string>{});
}

// The first column of the first row as an integer; -1 when there is none or the query cannot run.
inline std::int64_t query_integer(const std::filesystem::path& database, const std::string& sql) {
  std::int64_t value = -1;
  sqlite3* db = nullptr;
  if (sqlite3_open_v2(database.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK) {
    sqlite3_busy_timeout(db, 5000);
    sqlite3_stmt* statement = nullptr;
    if (sqlite3_prepare_v2(db, sql.c_str(), -1, &statement, nullptr) == SQLITE_OK &&
        sqlite3_step(statement) == SQLITE_ROW) {
      value = sqlite3_column_int64(statement, 0);
    }
    sqlite3_finalize(statement);
  }
  sqlite3_close(db);
  return value;
}

// A plain read-write SQLite connection, for looking at (and tampering with) the store's file
// behind its back; a statement that fails fails the test.
class RawDatabase {
public:
  explicit RawDatabase(const std::filesystem::path& path) {
    if (sqlite3_open_v2(path.c_str(), &connection_, SQLITE_OPEN_READWRITE, nullptr) != SQLITE_OK) {
      ADD_FAILURE() << "cannot open " << path << ": " << sqlite3_errmsg(connection_);
    }
  }
  RawDatabase(const RawDatabase&) = delete;
  RawDatabase& operator=(const RawDatabase&) = delete;
  ~RawDatabase() { sqlite3_close_v2(connection_); }

  void execute(const std::string& sql) {
    if (sqlite3_exec(connection_, sql.c_str(), nullptr, nullptr, nullptr) != SQLITE_OK) {
      ADD_FAILURE() << sql << ": " << sqlite3_errmsg(connection_);
    }
  }

  // Runs `sql` once per value, bound to ?1, in one transaction.
  void run_for_each(const std::string& sql, const std::vector<std::string>& values) {
    execute("BEGIN");
    sqlite3_stmt* statement = nullptr;
    if (sqlite3_prepare_v2(connection_, sql.c_str(), -1, &statement, nullptr) != SQLITE_OK) {
      ADD_FAILURE() << sql << ": " << sqlite3_errmsg(connection_);
    }
    for (const auto& value : values) {
      sqlite3_bind_text(statement, 1, value.c_str(), -1, SQLITE_TRANSIENT);
      if (sqlite3_step(statement) != SQLITE_DONE) {
        ADD_FAILURE() << sql << ": " << sqlite3_errmsg(connection_);
      }
      sqlite3_reset(statement);
    }
    sqlite3_finalize(statement);
    execute("COMMIT");
  }

  // The first column of the first row, as text ("" for NULL).
  std::string text(const std::string& sql) {
    sqlite3_stmt* statement = nullptr;
    std::string value;
    if (sqlite3_prepare_v2(connection_, sql.c_str(), -1, &statement, nullptr) == SQLITE_OK &&
        sqlite3_step(statement) == SQLITE_ROW) {
      if (const auto* column = sqlite3_column_text(statement, 0); column != nullptr) {
        value = reinterpret_cast<const char*>(column);
      }
    } else {
      ADD_FAILURE() << sql << ": " << sqlite3_errmsg(connection_);
    }
    sqlite3_finalize(statement);
    return value;
  }

  // The query plan of a statement, one step a line (EXPLAIN QUERY PLAN's detail column).
  std::string plan(const std::string& sql) {
    sqlite3_stmt* statement = nullptr;
    std::string steps;
    if (sqlite3_prepare_v2(connection_, ("EXPLAIN QUERY PLAN " + sql).c_str(), -1, &statement,
                           nullptr) != SQLITE_OK) {
      ADD_FAILURE() << sql << ": " << sqlite3_errmsg(connection_);
    }
    while (statement != nullptr && sqlite3_step(statement) == SQLITE_ROW) {
      steps += reinterpret_cast<const char*>(sqlite3_column_text(statement, 3));
      steps += '\n';
    }
    sqlite3_finalize(statement);
    return steps;
  }

private:
  sqlite3* connection_ = nullptr;
};

} // namespace leadsync::test
