#include "leadsync/jobs/pull.hpp"

namespace leadsync::jobs {

Result<PullOutcome> run_pull(Runtime& runtime, const PullRequest& request,
                             const JobContext& /*context*/) {
  const auto& config = runtime.config();
  store::Store& store = runtime.store();
  LEADSYNC_TRY(CrmLink * link, runtime.crm());
  sync::PullSettings settings;
  settings.full = request.full;
  settings.key_column = config.crm.alternate_key;
  settings.crm_owned = link->crm_owned;
  sync::Puller puller(store, *link->crm, link->mapping, *link->lookups, settings);

  LEADSYNC_TRY(auto recorder, RunRecorder::begin(store, runtime.clock(), "pull"));
  auto report = puller.run();
  if (!report.ok()) {
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
                                             .cancelled = false, // a pull cannot be cancelled yet
                                             .nothing_worked = false},
                                            outcome.report.counts(), std::move(message)));
  return outcome;
}

} // namespace leadsync::jobs
