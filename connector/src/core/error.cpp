#include "leadsync/core/error.hpp"

#include <system_error>

namespace leadsync {

std::string system_error_text(int error_number) {
  return std::generic_category().message(error_number); // strerror_r underneath
}

std::string_view to_string(ErrorCategory category) noexcept {
  switch (category) {
  case ErrorCategory::invalid_argument:
    return "invalid argument";
  case ErrorCategory::validation:
    return "validation";
  case ErrorCategory::config:
    return "configuration";
  case ErrorCategory::not_found:
    return "not found";
  case ErrorCategory::conflict:
    return "conflict";
  case ErrorCategory::already_exists:
    return "already exists";
  case ErrorCategory::unauthorized:
    return "unauthorized";
  case ErrorCategory::forbidden:
    return "forbidden";
  case ErrorCategory::throttled:
    return "throttled";
  case ErrorCategory::unavailable:
    return "unavailable";
  case ErrorCategory::timeout:
    return "timeout";
  case ErrorCategory::protocol:
    return "protocol";
  case ErrorCategory::storage:
    return "storage";
  case ErrorCategory::cancelled:
    return "cancelled";
  case ErrorCategory::internal:
    return "internal";
  }
  return "unknown";
}

std::string_view to_string(TransportCause cause) noexcept {
  switch (cause) {
  case TransportCause::none:
    return "none";
  case TransportCause::refused:
    return "refused";
  case TransportCause::dns:
    return "dns";
  case TransportCause::tls:
    return "tls";
  case TransportCause::reset:
    return "reset";
  case TransportCause::timeout:
    return "timeout";
  case TransportCause::other:
    return "other";
  }
  return "unknown";
}

std::string Error::describe() const {
  std::string text(to_string(category));
  text += ": ";
  text += message;
  if (http_status != 0 || !service_code.empty()) {
    text += " (";
    if (http_status != 0) {
      text += "HTTP " + std::to_string(http_status);
    }
    if (!service_code.empty()) {
      text += http_status != 0 ? ", code " : "code ";
      text += service_code;
    }
    text += ")";
  }
  // In brackets after the rest, so that text up to here reads as it always did.
  const bool has_cause = transport_cause != TransportCause::none;
  if (has_cause || !service_request_id.empty()) {
    text += " [";
    if (has_cause) {
      text += "cause: ";
      text += to_string(transport_cause);
    }
    if (!service_request_id.empty()) {
      text += has_cause ? "; service request id: " : "service request id: ";
      text += service_request_id;
    }
    text += "]";
  }
  return text;
}

} // namespace leadsync
