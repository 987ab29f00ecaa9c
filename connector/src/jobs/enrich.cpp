#include "leadsync/jobs/enrich.hpp"

namespace leadsync::jobs {

Result<EnrichOutcome> run_enrich(Runtime& runtime, const EnrichRequest& request,
                                 const JobContext& context) {
  LEADSYNC_TRY(auto enricher, runtime.enricher());
  enrich::EnrichRequest asked{.selection = request.selection,
                              .lead_id = request.lead_id,
                              .lead_ids = {},
                              .record_run = true,
                              .provider = request.provider,
                              .dry_run = request.dry_run,
                              .limit = request.limit,
                              .cancel = context.cancel,
                              .on_progress = {}};
  if (context.on_progress) {
    asked.on_progress = [&context](const enrich::EnrichProgress& progress) {
      JobProgress shown;
      shown.done = progress.leads_done;
      shown.total = progress.leads_total;
      shown.lookups = progress.lookups;
      shown.matched = progress.matched;
      context.on_progress(shown);
    };
  }
  // The enricher records its own run (enrich/enricher.cpp); its status follows classify().
  LEADSYNC_TRY(auto figures, enricher->run(asked));
  const bool nothing_worked = figures.errors > 0 && figures.enriched == 0 && figures.matched == 0 &&
                              figures.cache_hits == 0;
  EnrichOutcome outcome;
  outcome.run = {.id = figures.run_id,
                 .status = classify({.problems = figures.errors,
                                     .cancelled = figures.interrupted,
                                     .nothing_worked = nothing_worked}),
                 .message = {}};
  outcome.figures = std::move(figures);
  return outcome;
}

} // namespace leadsync::jobs
