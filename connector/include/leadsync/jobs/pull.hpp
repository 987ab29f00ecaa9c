#pragma once
// The pull job: reads what changed in the CRM into the store (sync::Puller), `leadsync pull` and
// the daemon's scheduled pull.

#include "leadsync/core/result.hpp"
#include "leadsync/jobs/job_context.hpp"
#include "leadsync/jobs/run_recorder.hpp"
#include "leadsync/jobs/runtime.hpp"
#include "leadsync/sync/pull.hpp"

namespace leadsync::jobs {

struct PullRequest {
  bool full = false; // read every lead again instead of the changes since the last pull
};

struct PullOutcome {
  sync::PullReport report;
  RunSummary run; // ok, or partial when rows could not be read (the log says why)
};

// Fails when the CRM link cannot be made, or the CRM or the store fails (the run is then recorded
// as failed). sync::Puller takes no cancellation yet, so a pull runs to its end once started.
Result<PullOutcome> run_pull(Runtime& runtime, const PullRequest& request,
                             const JobContext& context = {});

} // namespace leadsync::jobs
