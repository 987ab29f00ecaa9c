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
  return text;
}

} // namespace leadsync
