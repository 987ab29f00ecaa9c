#include "leadsync/http/failure.hpp"

namespace leadsync::http {

namespace {

// The kind of a failure that got no HTTP response; `other` when it had one.
FailureKind transport_kind(const Error& error) noexcept {
  switch (error.transport_cause) {
  case TransportCause::refused:
    return FailureKind::refused;
  case TransportCause::dns:
    return FailureKind::dns;
  case TransportCause::tls:
    return FailureKind::tls;
  case TransportCause::reset:
    return FailureKind::reset;
  case TransportCause::timeout:
    return FailureKind::timeout;
  case TransportCause::other:
    return FailureKind::network;
  case TransportCause::none:
    break;
  }
  // A transport that does not set a cause (a test double, a future adapter) is still told apart
  // from an answer by the missing status.
  if (error.http_status == 0 && error.category == ErrorCategory::timeout) {
    return FailureKind::timeout;
  }
  if (error.http_status == 0 && error.category == ErrorCategory::unavailable) {
    return FailureKind::network;
  }
  return FailureKind::other;
}

FailureKind answered_kind(const Error& error) noexcept {
  const bool oauth_code = !error.service_code.empty() && !error.service_code.starts_with("0x");
  if (error.category == ErrorCategory::unauthorized && oauth_code) {
    return FailureKind::sign_in_refused;
  }
  switch (error.http_status) {
  case 401:
    return FailureKind::unauthorized;
  case 403:
    return FailureKind::forbidden;
  case 429:
    return FailureKind::throttled;
  default:
    break;
  }
  if (error.category == ErrorCategory::unavailable && error.http_status >= 500) {
    return FailureKind::service_error;
  }
  return FailureKind::other;
}

} // namespace

std::string_view to_string(FailureKind kind) noexcept {
  switch (kind) {
  case FailureKind::refused:
    return "refused";
  case FailureKind::dns:
    return "dns";
  case FailureKind::tls:
    return "tls";
  case FailureKind::reset:
    return "reset";
  case FailureKind::timeout:
    return "timeout";
  case FailureKind::network:
    return "network";
  case FailureKind::sign_in_refused:
    return "sign_in_refused";
  case FailureKind::unauthorized:
    return "unauthorized";
  case FailureKind::forbidden:
    return "forbidden";
  case FailureKind::throttled:
    return "throttled";
  case FailureKind::service_error:
    return "service_error";
  case FailureKind::other:
    return "other";
  }
  return "other";
}

FailureClass classify_failure(const Error& error) noexcept {
  FailureClass result;
  result.kind = transport_kind(error);
  result.no_response = result.kind != FailureKind::other;
  if (!result.no_response) {
    result.kind = answered_kind(error);
  }
  result.crm_unreachable =
      error.category == ErrorCategory::unavailable || error.category == ErrorCategory::timeout ||
      error.category == ErrorCategory::unauthorized || error.category == ErrorCategory::forbidden;
  return result;
}

} // namespace leadsync::http
