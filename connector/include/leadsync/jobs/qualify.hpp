#pragma once
// The qualification job (`leadsync qualify`, the daemon's scheduled qualify): scores every lead,
// sets its stage and decides (qualify::run_qualify, which records its own run; see
// run_recorder.hpp). And the explanation of one lead's assessment (`qualify --explain`).

#include "leadsync/core/result.hpp"
#include "leadsync/jobs/job_context.hpp"
#include "leadsync/jobs/run_recorder.hpp"
#include "leadsync/jobs/runtime.hpp"
#include "leadsync/qualify/assess.hpp"
#include "leadsync/qualify/run.hpp"

#include <string>

namespace leadsync::jobs {

struct QualifyRequest {
  bool dry_run = false; // score and count; write nothing
};

struct QualifyOutcome {
  qualify::QualifyOutcome figures; // everything `leadsync qualify` shows
  RunSummary run;                  // id and status (classify()) of the run qualify recorded
};

// Fails when the rules cannot be loaded (config, with every problem) or the store fails before
// the first lead; per-lead failures are in the figures.
Result<QualifyOutcome> run_qualify(Runtime& runtime, const QualifyRequest& request,
                                   const JobContext& context = {});

// The assessment of one lead (its whole id) now, with its stored events: why it scores and is
// decided as it is. Writes nothing and records no run.
Result<qualify::Assessment> explain_lead(Runtime& runtime, const std::string& lead_id);

} // namespace leadsync::jobs
