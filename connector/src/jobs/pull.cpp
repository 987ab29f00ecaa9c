#include "leadsync/jobs/pull.hpp"

#include "throttling.hpp"

namespace leadsync::jobs {

Result<PullOutcome> run_pull(Runtime& runtime, const PullRequest& request,
                             const JobContext& context) {
  const auto& config = runtime.config();
  store::Store& store = runtime.store();
  LEADSYNC_TRY(CrmLink * link, runtime.crm());
  sync::PullSettings settings;
  settings.full = request.full;
  settings.key_column = config.crm.alternate_key;
  settings.crm_owned = link->crm_owned;
  detail::ScopedCrm scoped(*link, context.cancel);
  sync::Puller puller(store, scoped.crm(), link->mapping, *link->lookups, settings);

  LEADSYNC_TRY(auto recorder, RunRecorder::begin(store, runtime.clock(), "pull"));
  auto report = puller.run(context.cancel);
  if (!report.ok()) {
    if (report.error().category == ErrorCategory::cancelled) {
      // Nothing is lost: the checkpoint did not move, so the next pull reads the same changes.
      PullOutcome outcome;
      LEADSYNC_TRY(outcome.run,
                   recorder.finish({.problems = 0, .cancelled = true, .nothing_worked = false}, {},
                                   "stopped before the end; the next pull reads it again"));
      return outcome;
    }
    recorder.fail(report.error().describe());
    return fail(report.error());
  }
  PullOutcome outcome;
  outcome.report = std::move(report).value();
  std::string message;
  if (outcome.report.token_expired) {
    message = "change-tracking token expired; read all leads again";
  }
  LEADSYNC_TRY(outcome.run, recorder.finish({.problems = outcome.report.rejected,
                                             .cancelled = false,
                                             .nothing_worked = false},
                                            outcome.report.counts(), std::move(message)));
  return outcome;
}

} // namespace leadsync::jobs
