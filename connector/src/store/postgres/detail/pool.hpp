#pragma once
// A small pool of libpqxx connections, and the one way the PostgreSQL store runs SQL: a body in a
// transaction, with libpqxx's exceptions turned into Results. Internal to store/.

#include "leadsync/core/mutex.hpp"
#include "leadsync/core/result.hpp"

#include <cstddef>
#include <functional>
#include <memory>
#include <pqxx/pqxx>
#include <string>
#include <string_view>
#include <vector>

namespace leadsync::store::postgres {

class ConnectionPool {
public:
  // Opens the first connection at once (so a wrong URL fails at start-up), the others on demand.
  static Result<std::unique_ptr<ConnectionPool>> open(std::string url, std::size_t size);

  // Runs `body` in a READ COMMITTED transaction and commits it when the body returns ok (rolls
  // back otherwise). A serialization failure or deadlock runs the body again (up to 3 times); a
  // lost connection is dropped from the pool and reported as a retryable storage error. `what`
  // names the operation in error messages ("claim the outbox").
  Status transact(std::string_view what, const std::function<Status(pqxx::work&)>& body)
      EXCLUDES(mutex_);

  // A connection of its own, outside the pool (LISTEN needs one that stays open).
  Result<std::unique_ptr<pqxx::connection>> dedicated_connection();

  const std::string& url() const { return url_; }

private:
  explicit ConnectionPool(std::string url, std::size_t size) : url_(std::move(url)), size_(size) {}
  Result<std::unique_ptr<pqxx::connection>> connect();

  std::string url_;
  std::size_t size_;
  Mutex mutex_;
  CondVar released_;
  std::vector<std::unique_ptr<pqxx::connection>> idle_ GUARDED_BY(mutex_);
  std::size_t open_ GUARDED_BY(mutex_) = 0; // connections lent out or idle
};

// An Error from a libpqxx exception (storage; SQLSTATE and the server's message kept; retryable
// for a lost connection, serialization failure, deadlock or a server shutting down).
Error error_from(const std::exception& problem, std::string_view what);

// The SQLSTATE of a libpqxx sql_error, "" for anything else.
std::string sqlstate_of(const std::exception& problem);

} // namespace leadsync::store::postgres
