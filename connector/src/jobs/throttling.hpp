#pragma once
// A job's own view of the CRM (issue 15 "Per-job figures", "Cancellation end to end"): the shared
// client of the runtime's connection under a CallScope of the job's own, which carries the job's
// cancellation into every request (retry waits, the concurrency limiter, the token provider, the
// transport) and counts the job's retries and 429s apart from those of jobs running at the same
// time on the same connection.

#include "leadsync/core/cancel.hpp"
#include "leadsync/http/call_scope.hpp"
#include "leadsync/jobs/push.hpp"
#include "leadsync/jobs/runtime.hpp"
#include "leadsync/sync/dataverse_crm.hpp"

#include <memory>

namespace leadsync::jobs::detail {

class ScopedCrm {
public:
  ScopedCrm(const CrmLink& link, const CancellationToken& cancel)
      : stats_(std::make_shared<http::CallStats>()),
        crm_(link.connection.client,
             http::CallScope{.cancel = cancel, .stats = stats_, .deadline = std::nullopt}) {}

  sync::DataverseCrm& crm() { return crm_; }
  const http::CallScope& scope() const { return crm_.scope(); }
  // What the CRM answered this job with so far.
  ThrottleFigures throttling() const {
    const auto figures = stats_->snapshot();
    return {.throttled = figures.throttled, .waited = figures.waited};
  }

private:
  std::shared_ptr<http::CallStats> stats_;
  sync::DataverseCrm crm_;
};

} // namespace leadsync::jobs::detail
