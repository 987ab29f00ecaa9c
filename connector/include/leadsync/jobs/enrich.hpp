#pragma once
// The enrichment job (`leadsync enrich`, the daemon's scheduled enrich): the waterfall over the
// configured providers (enrich::Enricher, which records its own run; see run_recorder.hpp).

#include "leadsync/core/result.hpp"
#include "leadsync/enrich/enricher.hpp"
#include "leadsync/jobs/job_context.hpp"
#include "leadsync/jobs/run_recorder.hpp"
#include "leadsync/jobs/runtime.hpp"

#include <cstdint>
#include <string>

namespace leadsync::jobs {

struct EnrichRequest {
  enrich::Selection selection = enrich::Selection::new_leads;
  std::string lead_id;    // Selection::one
  std::string provider;   // ask only this provider; empty: all of them
  bool dry_run = false;   // count what would be asked; ask nothing, write nothing
  std::int64_t limit = 0; // at most this many leads; 0: no limit
};

struct EnrichOutcome {
  enrich::EnrichOutcome figures; // everything `leadsync enrich` shows
  RunSummary run;                // id and status (classify()) of the run the enricher recorded
};

// Fails (config) when no provider is configured or one cannot be made, and when the request
// itself is wrong (an unknown provider or lead); everything else is in the figures.
Result<EnrichOutcome> run_enrich(Runtime& runtime, const EnrichRequest& request,
                                 const JobContext& context = {});

} // namespace leadsync::jobs
