#include "leadsync/jobs/qualify.hpp"

namespace leadsync::jobs {

Result<QualifyOutcome> run_qualify(Runtime& runtime, const QualifyRequest& request,
                                   const JobContext& context) {
  LEADSYNC_TRY(const auto rules, runtime.rules());
  qualify::QualifyRequest asked{.dry_run = request.dry_run,
                                .reactivate_when_hot = runtime.config().qualify.reactivate_when_hot,
                                .cancel = context.cancel,
                                .on_progress = {},
                                .lead_ids = {},
                                .record_run = true};
  if (context.on_progress) {
    asked.on_progress = [&context](std::int64_t leads_done) {
      JobProgress shown;
      shown.done = leads_done;
      context.on_progress(shown);
    };
  }
  // qualify::run_qualify records its own run (qualify/run.cpp); its status follows classify().
  LEADSYNC_TRY(auto figures, qualify::run_qualify(*rules, runtime.store(), runtime.clock(), asked));
  QualifyOutcome outcome;
  outcome.run = {
      .id = figures.run_id,
      .status = classify(
          {.problems = figures.errors, .cancelled = figures.interrupted, .nothing_worked = false}),
      .message = {}};
  outcome.figures = std::move(figures);
  return outcome;
}

Result<qualify::Assessment> explain_lead(Runtime& runtime, const std::string& lead_id) {
  LEADSYNC_TRY(const auto rules, runtime.rules());
  return qualify::explain(*rules, runtime.store(), lead_id, runtime.clock().now());
}

} // namespace leadsync::jobs
