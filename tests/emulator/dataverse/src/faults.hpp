#pragma once
// The seeded fault plan: which data request gets a 500, a 503, a reset connection, a slow answer or
// a revoked token.

#include "dvemu/options.hpp"
#include "leadsync/core/mutex.hpp"

#include <leadsync/core/random.hpp>
#include <memory>
#include <string_view>

namespace dvemu::detail {

enum class Fault { none, error_500, error_503, reset, slow, revoke };

std::string_view fault_name(Fault fault);

class FaultPlan {
public:
  explicit FaultPlan(const FaultOptions& options) : options_(options) {}

  FaultOptions options() const;

  // Replaces the plan and restarts its random sequence from the plan's seed.
  void configure(const FaultOptions& options);

  // One draw per data request: the fault to inject, if any.
  Fault draw();

private:
  mutable leadsync::Mutex mutex_;
  FaultOptions options_ GUARDED_BY(mutex_);
  std::unique_ptr<leadsync::SeededRandom>
      random_ GUARDED_BY(mutex_) = std::make_unique<leadsync::SeededRandom>(options_.seed);
};

} // namespace dvemu::detail
