#pragma once
// Exit codes, as design section 4 fixes them.

#include "leadsync/core/error.hpp"

namespace leadsync::cli {

enum ExitCode : int {
  exit_ok = 0,          // success
  exit_rejected = 1,    // finished, but some records were rejected or dead-lettered
  exit_usage = 2,       // usage, configuration or mapping error
  exit_unreachable = 3, // CRM or provider unreachable, or authentication failed
  exit_internal = 4,    // internal error
};

inline int exit_code_for(const Error& error) {
  switch (error.category) {
  case ErrorCategory::invalid_argument:
  case ErrorCategory::validation:
  case ErrorCategory::config:
  case ErrorCategory::not_found:
    return exit_usage;
  case ErrorCategory::unauthorized:
  case ErrorCategory::forbidden:
  case ErrorCategory::throttled:
  case ErrorCategory::unavailable:
  case ErrorCategory::timeout:
    return exit_unreachable;
  default:
    return exit_internal;
  }
}

} // namespace leadsync::cli
