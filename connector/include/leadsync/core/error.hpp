#pragma once
// The error value every fallible call in leadsync returns (inside a Result). It carries what a
// caller needs to decide (category, retryable, transport cause) and what a person needs to act
// (message, HTTP status, service code, request ids).

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

// Why an exchange got no HTTP response at all, as the transport saw it. Set by the transport
// (http/cpprest_transport.hpp) and kept by whoever wraps its error, so that callers decide on this
// field rather than on the wording of the message.
enum class TransportCause {
  none,    // not a transport failure (or not known to be one)
  refused, // no connection: refused, or no route to the host
  dns,     // the host name did not resolve
  tls,     // the TLS handshake failed: certificate not trusted, protocol mismatch
  reset,   // the connection was reset or closed before the response was complete
  timeout, // no complete response within the timeout or the request's deadline
  other,   // another failure below HTTP (an unexpected socket error)
};

std::string_view to_string(TransportCause cause) noexcept; // "none", "refused", "dns", ...

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
  TransportCause transport_cause = TransportCause::none;
  // The service's own id of the request (Dataverse's x-ms-service-request-id response header), the
  // one Microsoft support asks for; empty when the service sent none.
  std::string service_request_id;
  std::string endpoint; // "host:port" the transport failed to reach; empty when not a transport one

  static Error make(ErrorCategory category, std::string message, bool retryable = false) {
    Error e;
    e.category = category;
    e.message = std::move(message);
    e.retryable = retryable;
    return e;
  }

  // "category: message (HTTP 429, code 0x80072322)" — for logs and CLI output. A transport cause
  // and a service request id follow in brackets when set: "... [cause: refused]",
  // "... (HTTP 503) [service request id: 5f1c...]".
  std::string describe() const;
};

} // namespace leadsync
