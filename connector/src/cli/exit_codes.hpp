#pragma once
// Exit codes, as design section 4 fixes them.

#include "leadsync/core/error.hpp"

namespace leadsync::cli {

enum ExitCode : int {
  exit_ok = 0,          // success
  exit_rejected = 1,    // finished, but some records were rejected or dead-lettered, or (push,
                        // sync) some changes remain queued for a retry: throttled or failed for now
  exit_usage = 2,       // usage, configuration or mapping error
  exit_unreachable = 3, // CRM or provider unreachable, or authentication failed
  exit_internal = 4,    // internal error
};

// A command that SIGINT or SIGTERM stopped cleanly (an import, after committing its batch) exits
// with 128 + the signal's number, as a shell reports a process the signal ended: 130 for SIGINT,
// 143 for SIGTERM.
inline int exit_stopped_by(int signal) {
  return 128 + signal;
}

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
