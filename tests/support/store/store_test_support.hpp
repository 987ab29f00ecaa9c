#pragma once
// Small helpers shared by the store tests.

#include "leadsync/core/result.hpp"

#include <gtest/gtest.h>
#include <ostream>

namespace leadsync {

inline void PrintTo(ErrorCategory category, std::ostream* out) {
  *out << to_string(category);
}

// The error of a result that should have failed (a test failure, and an `internal` error, when it
// did not).
template <typename T> Error error_of(const Result<T>& result) {
  if (result.ok()) {
    ADD_FAILURE() << "expected a failure, got success";
    return Error::make(ErrorCategory::internal, "unexpected success");
  }
  return result.error();
}

} // namespace leadsync
