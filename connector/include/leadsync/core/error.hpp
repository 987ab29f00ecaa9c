#pragma once
// The error value every fallible call in leadsync returns (inside a Result). It carries what a
// caller needs to decide (category, retryable) and what a person needs to act (message, HTTP
// status, service code).

#include <string>
#include <string_view>

namespace leadsync {

enum class ErrorCategory {
  invalid_argument, // the caller passed something unusable (bad id, bad key value, bad option)
  validation,       // data failed a rule (lead invariants, CRM column limits)
  config,           // configuration or mapping problem: fix the file
  not_found,        // the record or resource does not exist
  conflict,       // optimistic concurrency: the version changed underneath (HTTP 412, store version
                  // check)
  already_exists, // a create met an existing record (duplicate key)
  unauthorized,   // authentication failed (HTTP 401)
  forbidden,      // authenticated but not allowed (HTTP 403)
  throttled,      // service protection limit (HTTP 429)
  unavailable,    // service or network down: connection refused, reset, 5xx
  timeout,        // a deadline passed
  protocol,       // the other side answered something we cannot understand (malformed body)
  storage,        // the local store failed (disk, SQL)
  cancelled,      // shutdown or caller cancellation
  internal,       // a bug on our side
};

std::string_view to_string(ErrorCategory category) noexcept;

// The text of a C library error number ("No such file or directory"). Unlike std::strerror it is
// safe to call from several threads at once.
std::string system_error_text(int error_number);

struct Error {
  ErrorCategory category = ErrorCategory::internal;
  std::string message;      // what happened and, where a user can act, what to do
  int http_status = 0;      // 0 when no HTTP exchange was involved
  std::string service_code; // e.g. Dataverse "0x80072322"; empty when none
  bool retryable = false;   // true when the same call may succeed later unchanged
  std::string request_id;   // client request id, for support tickets; may be empty

  static Error make(ErrorCategory category, std::string message, bool retryable = false) {
    Error e;
    e.category = category;
    e.message = std::move(message);
    e.retryable = retryable;
    return e;
  }

  // "category: message (HTTP 429, code 0x80072322)" — for logs and CLI output.
  std::string describe() const;
};

} // namespace leadsync
