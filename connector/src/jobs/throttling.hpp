#pragma once
// The one place a job's throttling figures are taken (issue 15 "Per-job figures").
//
// Today they are a delta of the connection's process-wide retry figures
// (http::RetryPolicy::stats()), read before and after the work: a job running at the same time on
// the same connection adds its 429s to this job's. When the Dataverse client takes a per-call
// http::CallScope, this function makes a scope with its own http::CallStats, hands it to `work`
// and returns the scope's figures instead; no caller has to change but this one's signature.

#include "leadsync/dataverse/connect.hpp"
#include "leadsync/jobs/push.hpp"

#include <functional>

namespace leadsync::jobs::detail {

// Runs `work` and returns the throttling the connection saw meanwhile.
ThrottleFigures measure_throttling(const dataverse::Connection& connection,
                                   const std::function<void()>& work);

} // namespace leadsync::jobs::detail
