#include "postgres/detail/pool.hpp"

#include "postgres/detail/sql.hpp"

#include <chrono>
#include <thread>

namespace leadsync::store::postgres {
namespace {

constexpr int max_attempts = 3;

// SQLSTATEs after which running the same transaction again may succeed
// (https://www.postgresql.org/docs/15/errcodes-appendix.html): serialization_failure,
// deadlock_detected, admin_shutdown, crash_shutdown, cannot_connect_now.
bool retryable_state(std::string_view state) {
  return state == "40001" || state == "40P01" || state == "57P01" || state == "57P02" ||
         state == "57P03";
}

} // namespace

std::string sqlstate_of(const std::exception& problem) {
  if (const auto* sql = dynamic_cast<const pqxx::sql_error*>(&problem)) {
    return sql->sqlstate();
  }
  return {};
}

Error error_from(const std::exception& problem, std::string_view what) {
  const std::string text = trimmed(problem.what());
  if (dynamic_cast<const pqxx::broken_connection*>(&problem) != nullptr) {
    return Error::make(ErrorCategory::storage,
                       "cannot " + std::string(what) + ": the connection to PostgreSQL was lost (" +
                           text + "); it is retried, check that the server is up",
                       true);
  }
  if (dynamic_cast<const pqxx::in_doubt_error*>(&problem) != nullptr) {
    return Error::make(ErrorCategory::storage,
                       "cannot " + std::string(what) +
                           ": the connection was lost during COMMIT, so whether it was stored is "
                           "unknown (" +
                           text + ")",
                       true);
  }
  const std::string state = sqlstate_of(problem);
  return Error::make(ErrorCategory::storage,
                     "cannot " + std::string(what) + ": PostgreSQL " +
                         (state.empty() ? std::string() : "error " + state + ": ") + text,
                     retryable_state(state));
}

Result<std::unique_ptr<ConnectionPool>> ConnectionPool::open(std::string url, std::size_t size) {
  std::unique_ptr<ConnectionPool> pool(new ConnectionPool(std::move(url), size == 0 ? 1 : size));
  LEADSYNC_TRY(auto first, pool->connect());
  {
    MutexLock lock(pool->mutex_); // uncontended: no other thread has the pool yet
    pool->idle_.push_back(std::move(first));
    pool->open_ = 1;
  }
  return pool;
}

Result<std::unique_ptr<pqxx::connection>> ConnectionPool::connect() {
  try {
    auto connection = std::make_unique<pqxx::connection>(url_);
    return connection;
  } catch (const std::exception& problem) {
    const std::string text = trimmed(problem.what());
    return fail(ErrorCategory::storage,
                "cannot connect to PostgreSQL: " + text +
                    " (check store.url, that the server runs, and the password in ~/.pgpass or "
                    "PGPASSFILE)",
                true);
  }
}

Result<std::unique_ptr<pqxx::connection>> ConnectionPool::dedicated_connection() {
  return connect();
}

Status ConnectionPool::transact(std::string_view what,
                                const std::function<Status(pqxx::work&)>& body) {
  for (int attempt = 1;; ++attempt) {
    std::unique_ptr<pqxx::connection> connection;
    {
      UniqueLock lock(mutex_);
      released_.wait(lock, [this] {
        mutex_.assert_held();
        return !idle_.empty() || open_ < size_;
      });
      if (!idle_.empty()) {
        connection = std::move(idle_.back());
        idle_.pop_back();
      } else {
        ++open_; // reserved; opened below without the lock
      }
    }
    if (!connection) {
      auto opened = connect();
      if (!opened.ok()) {
        MutexLock lock(mutex_);
        --open_;
        released_.notify_one();
        return opened.error();
      }
      connection = std::move(opened).value();
    }
    Status outcome = ok_status();
    bool keep = true;
    bool again = false;
    try {
      pqxx::work transaction(*connection);
      outcome = body(transaction);
      if (outcome.ok()) {
        transaction.commit();
      } else {
        transaction.abort();
      }
    } catch (const pqxx::broken_connection& problem) {
      keep = false;
      outcome = error_from(problem, what);
    } catch (const pqxx::in_doubt_error& problem) {
      keep = false;
      outcome = error_from(problem, what);
    } catch (const std::exception& problem) {
      outcome = error_from(problem, what);
      again = retryable_state(sqlstate_of(problem)) && attempt < max_attempts;
      keep = connection->is_open();
    }
    {
      MutexLock lock(mutex_);
      if (keep) {
        idle_.push_back(std::move(connection));
      } else {
        --open_;
      }
      released_.notify_one();
    }
    if (!again) {
      return outcome;
    }
    // A deadlock or serialization failure: the other transaction usually finishes within
    // milliseconds.
    std::this_thread::sleep_for(std::chrono::milliseconds(5 * attempt));
  }
}

} // namespace leadsync::store::postgres
