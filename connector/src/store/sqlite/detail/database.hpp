#pragma once
// Thin RAII layer over the sqlite3 C API: a connection with a statement cache, queries that reset
// themselves when they go out of scope, and transactions that roll back unless committed. Every
// SQLite failure becomes an ErrorCategory::storage Error that names the file and, where it is
// obvious, what to do. Not thread-safe: the owner serializes access (SqliteStore holds a mutex).

#include "leadsync/core/result.hpp"

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <variant>

struct sqlite3;
struct sqlite3_stmt;

namespace leadsync::store::sqlite {

// A value bound to a statement parameter.
using SqlValue = std::variant<std::nullptr_t, std::int64_t, std::string>;

class Database;

// A prepared statement in use: bind, step, read columns. Resets and clears its bindings on
// destruction, so the cached statement is ready for the next user.
class Query {
public:
  Query(sqlite3_stmt* statement, Database& database, bool& in_use);
  Query(Query&& other) noexcept;
  Query& operator=(Query&&) = delete;
  Query(const Query&) = delete;
  Query& operator=(const Query&) = delete;
  ~Query();

  // Parameters are numbered from 1. A failed bind is reported by the next step().
  Query& bind(int index, std::int64_t value);
  Query& bind(int index, std::string_view value);
  Query& bind(int index, std::nullptr_t);
  Query& bind(int index, const SqlValue& value);
  Query& bind(int index, std::optional<std::int64_t> value);
  Query& bind(int index, const std::string& value) { return bind(index, std::string_view(value)); }
  Query& bind(int index, const char* value) { return bind(index, std::string_view(value)); }
  Query& bind(int index, int value) { return bind(index, static_cast<std::int64_t>(value)); }
  Query& bind(int index, bool value) { return bind(index, static_cast<std::int64_t>(value)); }

  // True when a row is available, false when the statement has finished.
  Result<bool> step();
  // Steps to completion, ignoring rows.
  Status run();

  bool is_null(int column) const;
  std::int64_t integer(int column) const;
  std::string text(int column) const;
  // The column's text without a copy; valid until the next step() or the query's end.
  std::string_view text_view(int column) const;
  std::optional<std::int64_t> optional_integer(int column) const;

private:
  sqlite3_stmt* statement_;
  Database* database_;
  bool* in_use_;
  int bind_error_ = 0;
};

class Database {
public:
  // Opens the connection (creating the file when missing) with extended result codes and the busy
  // timeout.
  static Result<Database> open(const std::string& path, std::chrono::milliseconds busy_timeout);

  Database(Database&&) noexcept = default;
  Database& operator=(Database&&) = delete;
  ~Database();

  // Prepares (or takes from the cache) the statement and binds the arguments to parameters 1..n.
  template <typename... Args> Result<Query> query(const std::string& sql, const Args&... args) {
    LEADSYNC_TRY(auto* cached, prepare(sql));
    Query query(cached->statement.get(), *this, cached->in_use);
    int index = 0;
    (query.bind(++index, args), ...);
    return query;
  }

  // Runs one or more statements without parameters (schema changes, PRAGMAs).
  Status execute(const std::string& sql);

  // The single text value a statement such as "PRAGMA journal_mode" returns.
  Result<std::string> query_text(const std::string& sql);
  Result<std::int64_t> query_integer(const std::string& sql);

  // Calls `on_commit` with the number of frames in the write-ahead log after each commit that
  // wrote to it, in place of SQLite's automatic checkpoint (sqlite3_wal_hook). An empty function
  // puts nothing in its place: no checkpoint happens until one is asked for.
  void on_wal_commit(std::function<void(int)> on_commit);
  // Copies what it can of the write-ahead log back into the database, waiting for neither readers
  // nor writers (PRAGMA wal_checkpoint(PASSIVE)).
  Status checkpoint_passive();

  std::int64_t last_insert_rowid() const;
  std::int64_t changes() const; // rows changed by the last INSERT, UPDATE or DELETE
  const std::string& path() const { return path_; }

  // The storage Error for a failed SQLite call: "<doing> failed on <path>: <SQLite message>;
  // <advice>".
  Error error(int code, std::string_view doing) const;

private:
  struct Closer {
    void operator()(sqlite3* connection) const;
  };
  struct Finalizer {
    void operator()(sqlite3_stmt* statement) const;
  };

  struct CachedStatement {
    std::unique_ptr<sqlite3_stmt, Finalizer> statement;
    bool in_use = false; // a live Query holds it; using it twice at once is a programming error
  };

  Database(sqlite3* connection, std::string path);
  Result<CachedStatement*> prepare(const std::string& sql);

  std::unique_ptr<sqlite3, Closer> connection_;
  std::string path_;
  // Behind a pointer so that its address, which SQLite holds, survives a move of the Database.
  std::unique_ptr<std::function<void(int)>> wal_commit_;
  // Declared after connection_ so the statements are finalized before the connection closes.
  std::unordered_map<std::string, CachedStatement> statements_;
};

// BEGIN IMMEDIATE (takes the write lock up front, waiting up to the busy timeout) or a deferred
// BEGIN for consistent reads. Rolls back on destruction unless committed.
class Transaction {
public:
  enum class Mode { write, read };
  static Result<Transaction> begin(Database& database, Mode mode = Mode::write);

  Transaction(Transaction&& other) noexcept;
  Transaction& operator=(Transaction&&) = delete;
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;
  ~Transaction();

  Status commit();

private:
  explicit Transaction(Database& database) : database_(&database) {}
  Database* database_;
};

} // namespace leadsync::store::sqlite
