#include "leadsync/jobs/events.hpp"

#include "leadsync/core/log.hpp"

#include <filesystem>
#include <system_error>

namespace leadsync::jobs {

Status check_events_request(const EventsRequest& request) {
  std::error_code ignored;
  if (!std::filesystem::is_regular_file(request.file, ignored)) {
    return fail(ErrorCategory::invalid_argument,
                request.file +
                    " is not a file; name a JSON Lines (.jsonl) or CSV (.csv) file of events");
  }
  return ok_status();
}

Result<EventsOutcome> run_events_import(Runtime& runtime, const EventsRequest& request,
                                        const JobContext& /*context*/) {
  LEADSYNC_CHECK(check_events_request(request));
  store::Store& store = runtime.store();
  LEADSYNC_TRY(auto recorder, RunRecorder::begin(store, runtime.clock(), "events"));
  auto result = importer::import_events_file(store, request.file);
  EventsOutcome outcome;
  outcome.file = request.file;
  if (!result.ok()) {
    outcome.run = recorder.fail(result.error().describe());
    return fail(result.error());
  }
  outcome.report = std::move(result).value();
  const auto& report = outcome.report;
  LEADSYNC_TRY(outcome.run, recorder.finish({.problems = report.rejected + report.unknown_leads,
                                             .cancelled = false,
                                             .nothing_worked = false},
                                            report.counts(), request.file));
  log::get()->info("events import {}: {} read, {} added, {} duplicates, {} unknown leads, "
                   "{} rejected",
                   request.file, report.read, report.added, report.duplicates, report.unknown_leads,
                   report.rejected);
  return outcome;
}

} // namespace leadsync::jobs
