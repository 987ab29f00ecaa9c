#include "sqlite/detail/database.hpp"

#include <cerrno>
#include <sqlite3.h>
#include <stdexcept>
#include <utility>

namespace leadsync::store::sqlite {
namespace {

struct Advice {
  std::string_view text;
  bool retryable = false;
};

Advice advice_for(int code) {
  switch (code & 0xFF) {
  case SQLITE_BUSY:
  case SQLITE_LOCKED:
    return {
        "another process holds the database lock; retry later, or stop the other leadsync process "
        "using this database",
        true};
  case SQLITE_FULL:
    return {"the disk is full; free space on the disk that holds the database and retry", true};
  case SQLITE_READONLY:
    return {
        "the database file or its folder is read-only; give the leadsync user write permission on "
        "both (SQLite creates -wal and -shm files next to the database)"};
  case SQLITE_CANTOPEN:
  case SQLITE_PERM:
    return {"check that the folder exists and that the leadsync user may read and write it"};
  case SQLITE_CORRUPT:
  case SQLITE_NOTADB:
    return {"the file is damaged or is not a leadsync database; restore it from a backup or point "
            "[store] url at another file"};
  case SQLITE_IOERR:
    return {"the disk reported an I/O error; check the disk and the system log"};
  default:
    return {};
  }
}

std::string quote_sql(std::string_view sql) {
  constexpr std::size_t shown = 80;
  return "\"" + std::string(sql.substr(0, shown)) + (sql.size() > shown ? "...\"" : "\"");
}

} // namespace

Query::Query(sqlite3_stmt* statement, Database& database, bool& in_use)
    : statement_(statement), database_(&database), in_use_(&in_use) {
  if (in_use) {
    throw std::logic_error("SQLite statement used twice at once: " +
                           std::string(sqlite3_sql(statement)));
  }
  in_use = true;
}

Query::Query(Query&& other) noexcept
    : statement_(std::exchange(other.statement_, nullptr)), database_(other.database_),
      in_use_(other.in_use_), bind_error_(other.bind_error_) {}

Query::~Query() {
  if (statement_ != nullptr) {
    sqlite3_reset(statement_);
    sqlite3_clear_bindings(statement_);
    *in_use_ = false;
  }
}

Query& Query::bind(int index, std::int64_t value) {
  const int rc = sqlite3_bind_int64(statement_, index, value);
  if (rc != SQLITE_OK && bind_error_ == SQLITE_OK) {
    bind_error_ = rc;
  }
  return *this;
}

Query& Query::bind(int index, std::string_view value) {
  // An empty string_view may have a null data(), which SQLite would store as NULL.
  const char* data = value.empty() ? "" : value.data();
  const int rc =
      sqlite3_bind_text64(statement_, index, data, value.size(), SQLITE_TRANSIENT, SQLITE_UTF8);
  if (rc != SQLITE_OK && bind_error_ == SQLITE_OK) {
    bind_error_ = rc;
  }
  return *this;
}

Query& Query::bind(int index, std::nullptr_t) {
  const int rc = sqlite3_bind_null(statement_, index);
  if (rc != SQLITE_OK && bind_error_ == SQLITE_OK) {
    bind_error_ = rc;
  }
  return *this;
}

Query& Query::bind(int index, const SqlValue& value) {
  std::visit([&](const auto& alternative) { bind(index, alternative); }, value);
  return *this;
}

Query& Query::bind(int index, std::optional<std::int64_t> value) {
  return value ? bind(index, *value) : bind(index, nullptr);
}

Result<bool> Query::step() {
  if (bind_error_ != SQLITE_OK) {
    return database_->error(bind_error_, "binding a statement parameter");
  }
  const int rc = sqlite3_step(statement_);
  if (rc == SQLITE_ROW) {
    return true;
  }
  if (rc == SQLITE_DONE) {
    return false;
  }
  return database_->error(rc, "running " + quote_sql(sqlite3_sql(statement_)));
}

Status Query::run() {
  for (;;) {
    LEADSYNC_TRY(const bool has_row, step());
    if (!has_row) {
      return ok_status();
    }
  }
}

bool Query::is_null(int column) const {
  return sqlite3_column_type(statement_, column) == SQLITE_NULL;
}

std::int64_t Query::integer(int column) const {
  return sqlite3_column_int64(statement_, column);
}

std::string Query::text(int column) const {
  const auto* data = sqlite3_column_text(statement_, column);
  const int size = sqlite3_column_bytes(statement_, column);
  return data == nullptr ? std::string() : std::string(reinterpret_cast<const char*>(data), size);
}

std::string_view Query::text_view(int column) const {
  const auto* data = sqlite3_column_text(statement_, column);
  const int size = sqlite3_column_bytes(statement_, column);
  return data == nullptr ? std::string_view()
                         : std::string_view(reinterpret_cast<const char*>(data), size);
}

std::optional<std::int64_t> Query::optional_integer(int column) const {
  if (is_null(column)) {
    return std::nullopt;
  }
  return integer(column);
}

void Database::Closer::operator()(sqlite3* connection) const {
  sqlite3_close_v2(connection);
}

void Database::Finalizer::operator()(sqlite3_stmt* statement) const {
  sqlite3_finalize(statement);
}

Database::Database(sqlite3* connection, std::string path)
    : connection_(connection), path_(std::move(path)) {}

Database::~Database() = default;

Result<Database> Database::open(const std::string& path, std::chrono::milliseconds busy_timeout) {
  sqlite3* raw = nullptr;
  // NOMUTEX: SQLite's own per-call locking would not make multi-statement transactions safe anyway;
  // the owner serializes all use of the connection.
  const int rc =
      sqlite3_open_v2(path.c_str(), &raw,
                      SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
  Database database(raw, path);
  if (rc != SQLITE_OK) {
    return database.error(rc, "opening the database");
  }
  sqlite3_extended_result_codes(raw, 1);
  sqlite3_busy_timeout(raw, static_cast<int>(busy_timeout.count()));
  return database;
}

void Database::on_wal_commit(std::function<void(int)> on_commit) {
  wal_commit_ = std::make_unique<std::function<void(int)>>(std::move(on_commit));
  sqlite3_wal_hook(
      connection_.get(),
      [](void* callback, sqlite3*, const char*, int frames) {
        const auto& on_commit = *static_cast<std::function<void(int)>*>(callback);
        if (on_commit) {
          on_commit(frames);
        }
        return SQLITE_OK;
      },
      wal_commit_.get());
}

Status Database::checkpoint_passive() {
  const int rc = sqlite3_wal_checkpoint_v2(connection_.get(), nullptr, SQLITE_CHECKPOINT_PASSIVE,
                                           nullptr, nullptr);
  if (rc != SQLITE_OK) {
    return error(rc, "copying the write-ahead log into the database");
  }
  return ok_status();
}

Result<Database::CachedStatement*> Database::prepare(const std::string& sql) {
  if (auto found = statements_.find(sql); found != statements_.end()) {
    return &found->second;
  }
  sqlite3_stmt* statement = nullptr;
  const int rc = sqlite3_prepare_v3(connection_.get(), sql.c_str(), static_cast<int>(sql.size()),
                                    SQLITE_PREPARE_PERSISTENT, &statement, nullptr);
  if (rc != SQLITE_OK) {
    sqlite3_finalize(statement);
    return error(rc, "preparing " + quote_sql(sql));
  }
  auto [inserted, _] = statements_.emplace(sql, CachedStatement{{statement, Finalizer{}}});
  return &inserted->second;
}

Status Database::execute(const std::string& sql) {
  const int rc = sqlite3_exec(connection_.get(), sql.c_str(), nullptr, nullptr, nullptr);
  if (rc != SQLITE_OK) {
    return error(rc, "running " + quote_sql(sql));
  }
  return ok_status();
}

Result<std::string> Database::query_text(const std::string& sql) {
  LEADSYNC_TRY(auto query, this->query(sql));
  LEADSYNC_TRY(const bool has_row, query.step());
  if (!has_row) {
    return std::string();
  }
  return query.text(0);
}

Result<std::int64_t> Database::query_integer(const std::string& sql) {
  LEADSYNC_TRY(auto query, this->query(sql));
  LEADSYNC_TRY(const bool has_row, query.step());
  if (!has_row) {
    return std::int64_t{0};
  }
  return query.integer(0);
}

std::int64_t Database::last_insert_rowid() const {
  return sqlite3_last_insert_rowid(connection_.get());
}

std::int64_t Database::changes() const {
  return sqlite3_changes64(connection_.get());
}

Error Database::error(int code, std::string_view doing) const {
  std::string message = std::string(doing) + " failed on " + path_ + ": ";
  // The connection's message is more specific than the code's generic text, but only while it
  // describes this code (it may be absent when opening failed early).
  if (connection_ != nullptr && sqlite3_extended_errcode(connection_.get()) == code) {
    message += sqlite3_errmsg(connection_.get());
  } else {
    message += sqlite3_errstr(code);
  }
  Advice advice = advice_for(code);
  // SQLite reports SQLITE_FULL only for ENOSPC; a write past the file size limit (ulimit -f,
  // RLIMIT_FSIZE: EFBIG) or the user's disk quota (EDQUOT) comes back as a plain I/O error.
  if ((code & 0xFF) == SQLITE_IOERR && connection_ != nullptr) {
    const int system_errno = sqlite3_system_errno(connection_.get());
    if (system_errno == EFBIG) {
      advice = {"the file size limit of this process was reached (ulimit -f); raise it or run "
                "leadsync where it has none, then retry",
                false};
    } else if (system_errno == ENOSPC || system_errno == EDQUOT) {
      advice = {"the disk is full; free space on the disk that holds the database and retry", true};
    }
  }
  if (!advice.text.empty()) {
    message += "; ";
    message += advice.text;
  }
  return Error::make(ErrorCategory::storage, std::move(message), advice.retryable);
}

Result<Transaction> Transaction::begin(Database& database, Mode mode) {
  LEADSYNC_CHECK(database.execute(mode == Mode::write ? "BEGIN IMMEDIATE" : "BEGIN"));
  return Transaction(database);
}

Transaction::Transaction(Transaction&& other) noexcept
    : database_(std::exchange(other.database_, nullptr)) {}

Transaction::~Transaction() {
  if (database_ != nullptr) {
    // Failing to roll back leaves nothing to do: the connection reports it on its next use.
    (void)database_->execute("ROLLBACK");
  }
}

Status Transaction::commit() {
  LEADSYNC_CHECK(database_->execute("COMMIT"));
  database_ = nullptr;
  return ok_status();
}

} // namespace leadsync::store::sqlite
