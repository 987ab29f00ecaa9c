#pragma once
// What one job (a push, a pull, a webhook event) hands to every CRM call it makes: the job's
// cancellation, an optional deadline, and the figures the calls add up for that job alone. The
// Dataverse client copies the scope into the CallContext of each request, so the retry policy's
// waits, the concurrency limiter's acquire, the token provider and the transport all see the same
// cancellation, and concurrent jobs don't mix their throttling figures.

#include "leadsync/core/cancel.hpp"

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>

namespace leadsync::http {

// Retry and throttling figures: what the retry policy counted, process-wide (RetryPolicy::stats())
// or for one scope (CallStats::snapshot()).
struct RetryStats {
  std::int64_t retries = 0;
  std::int64_t throttled = 0; // 429 responses seen
  std::chrono::milliseconds waited{0};
  std::int64_t budget_exhausted = 0;
};

// The figures of the calls made under one scope. Thread-safe (atomics): a push's workers add to
// the same CallStats at once.
class CallStats {
public:
  void add_retry(std::chrono::milliseconds waited) {
    retries_.fetch_add(1, std::memory_order_relaxed);
    waited_ms_.fetch_add(waited.count(), std::memory_order_relaxed);
  }
  void add_throttled() { throttled_.fetch_add(1, std::memory_order_relaxed); }
  void add_budget_exhausted() { budget_exhausted_.fetch_add(1, std::memory_order_relaxed); }

  RetryStats snapshot() const {
    RetryStats stats;
    stats.retries = retries_.load(std::memory_order_relaxed);
    stats.throttled = throttled_.load(std::memory_order_relaxed);
    stats.waited = std::chrono::milliseconds{waited_ms_.load(std::memory_order_relaxed)};
    stats.budget_exhausted = budget_exhausted_.load(std::memory_order_relaxed);
    return stats;
  }

private:
  std::atomic<std::int64_t> retries_{0};
  std::atomic<std::int64_t> throttled_{0};
  std::atomic<std::int64_t> waited_ms_{0};
  std::atomic<std::int64_t> budget_exhausted_{0};
};

// Passed as a trailing `const CallScope& scope = {}` to the client's operations. The default scope
// is never cancelled, has no deadline and counts nothing of its own (the process-wide figures are
// kept all the same).
struct CallScope {
  CancellationToken cancel;
  std::shared_ptr<CallStats> stats; // null: no per-scope figures
  // When every request of the call must be over, retries included; the earlier of this and a
  // request's own deadline applies.
  std::optional<std::chrono::steady_clock::time_point> deadline;
};

} // namespace leadsync::http
