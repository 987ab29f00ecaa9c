#pragma once
// Result<T>: a value or an Error. Reading the value of a failed result is a programming error and
// throws BadResultAccess carrying the error's text, so it can never be missed silently. Results are
// [[nodiscard]].

#include "leadsync/core/error.hpp"

#include <stdexcept>
#include <type_traits>
#include <utility>
#include <variant>

namespace leadsync {

class BadResultAccess : public std::logic_error {
public:
  explicit BadResultAccess(const Error& error)
      : std::logic_error("value() read from a failed Result: " + error.describe()) {}
  BadResultAccess() : std::logic_error("error() read from a successful Result") {}
};

// Tag returned by fail(): converts to any Result<T>.
struct Failure {
  Error error;
};

inline Failure fail(Error error) {
  return Failure{std::move(error)};
}
inline Failure fail(ErrorCategory category, std::string message, bool retryable = false) {
  return Failure{Error::make(category, std::move(message), retryable)};
}

template <typename T> class [[nodiscard]] Result {
public:
  using value_type = T;

  Result(T value)
      : state_(std::in_place_index<0>, std::move(value)) {} // NOLINT: implicit by design
  Result(Failure failure) : state_(std::in_place_index<1>, std::move(failure.error)) {} // NOLINT
  Result(Error error) : state_(std::in_place_index<1>, std::move(error)) {}             // NOLINT

  bool ok() const noexcept { return state_.index() == 0; }
  explicit operator bool() const noexcept { return ok(); }

  T& value() & {
    check();
    return std::get<0>(state_);
  }
  const T& value() const& {
    check();
    return std::get<0>(state_);
  }
  T&& value() && {
    check();
    return std::get<0>(std::move(state_));
  }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

  template <typename U> T value_or(U&& fallback) const& {
    return ok() ? std::get<0>(state_) : static_cast<T>(std::forward<U>(fallback));
  }

  const Error& error() const {
    if (ok()) {
      throw BadResultAccess();
    }
    return std::get<1>(state_);
  }

private:
  void check() const {
    if (!ok()) {
      throw BadResultAccess(std::get<1>(state_));
    }
  }
  std::variant<T, Error> state_;
};

// Result<void>: success or an Error.
template <> class [[nodiscard]] Result<void> {
public:
  Result() = default;
  Result(Failure failure) : error_(std::move(failure.error)), failed_(true) {} // NOLINT
  Result(Error error) : error_(std::move(error)), failed_(true) {}             // NOLINT

  bool ok() const noexcept { return !failed_; }
  explicit operator bool() const noexcept { return ok(); }
  void value() const {
    if (failed_) {
      throw BadResultAccess(error_);
    }
  }
  const Error& error() const {
    if (!failed_) {
      throw BadResultAccess();
    }
    return error_;
  }

private:
  Error error_;
  bool failed_ = false;
};

using Status = Result<void>;
inline Status ok_status() {
  return {};
}

} // namespace leadsync

// Propagate a failure to the caller: LEADSYNC_TRY(auto lead, store.get_lead(id));
#define LEADSYNC_CONCAT_INNER(a, b) a##b
#define LEADSYNC_CONCAT(a, b) LEADSYNC_CONCAT_INNER(a, b)
// `tmp` names a variable and `decl` is a declaration ("auto lead"): neither can be parenthesized.
// NOLINTBEGIN(bugprone-macro-parentheses)
#define LEADSYNC_TRY_IMPL(tmp, decl, expr)                                                         \
  auto tmp = (expr);                                                                               \
  if (!tmp.ok())                                                                                   \
    return ::leadsync::Failure{tmp.error()};                                                       \
  decl = std::move(tmp).value()
// NOLINTEND(bugprone-macro-parentheses)
#define LEADSYNC_TRY(decl, expr)                                                                   \
  LEADSYNC_TRY_IMPL(LEADSYNC_CONCAT(try_result_, __LINE__), decl, expr)
// For Status-returning expressions.
#define LEADSYNC_CHECK(expr)                                                                       \
  do {                                                                                             \
    auto&& leadsync_check_status = (expr); /* a named Status is checked, not copied */             \
    if (!leadsync_check_status.ok())                                                               \
      return ::leadsync::Failure{leadsync_check_status.error()};                                   \
  } while (false)
