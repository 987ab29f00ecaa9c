#pragma once
// One classification of a failed call to the CRM or its sign-in service, for everything that must
// decide on a failure: `leadsync check` (which advice to print), the daemon's /readyz (whether the
// CRM counts as unreachable, and the reason shown) and /metrics (the `kind` label of
// leadsync_crm_failures_total). It reads the structured fields of the Error only (transport cause,
// HTTP status, service code, category), never the wording of its message.

#include "leadsync/core/error.hpp"

#include <array>
#include <string_view>

namespace leadsync::http {

enum class FailureKind {
  // No HTTP answer at all (Error::transport_cause, or a transport error without one):
  refused, // no connection: refused, or no route to the host
  dns,     // the host name does not resolve
  tls,     // the TLS handshake failed: untrusted certificate, http vs https
  reset,   // the connection was reset or closed before the response was complete
  timeout, // no answer in time
  network, // another failure below HTTP
  // An answer that refuses or fails the call:
  sign_in_refused, // the sign-in service refused the credentials (an OAuth error code such as
                   // invalid_client: RFC 6749 section 5.2 codes are words, Dataverse's hexadecimal)
  unauthorized,    // HTTP 401: the service refused the credentials
  forbidden,       // HTTP 403: signed in but not allowed
  throttled,       // HTTP 429: service protection limits
  service_error,   // HTTP 5xx: the service is failing
  other,           // anything else: a bad request, data, protocol, cancellation
};

inline constexpr std::array<FailureKind, 12> all_failure_kinds = {
    FailureKind::refused,         FailureKind::dns,           FailureKind::tls,
    FailureKind::reset,           FailureKind::timeout,       FailureKind::network,
    FailureKind::sign_in_refused, FailureKind::unauthorized,  FailureKind::forbidden,
    FailureKind::throttled,       FailureKind::service_error, FailureKind::other};

// "refused", "dns", "tls", "reset", "timeout", "network", "sign_in_refused", "unauthorized",
// "forbidden", "throttled", "service_error", "other": stable, used as metric label values.
std::string_view to_string(FailureKind kind) noexcept;

struct FailureClass {
  FailureKind kind = FailureKind::other;
  // No HTTP response was had: one of the first six kinds.
  bool no_response = false;
  // The CRM cannot be used until something changes outside leadsync (the network, the service, the
  // credentials or the user's roles): the category is unavailable, timeout, unauthorized or
  // forbidden. Throttling (the CRM answers, slowly) and problems with one request do not count.
  bool crm_unreachable = false;
};

FailureClass classify_failure(const Error& error) noexcept;

} // namespace leadsync::http
