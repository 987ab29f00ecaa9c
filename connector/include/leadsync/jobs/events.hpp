#pragma once
// The behaviour-events import job (`leadsync events import FILE`): page visits, downloads, webinar
// and demo attendance... that engagement scoring reads (importer/events_import.hpp). Recorded in
// the run history as kind "events".

#include "leadsync/core/result.hpp"
#include "leadsync/importer/events_import.hpp"
#include "leadsync/jobs/job_context.hpp"
#include "leadsync/jobs/run_recorder.hpp"
#include "leadsync/jobs/runtime.hpp"

#include <string>

namespace leadsync::jobs {

struct EventsRequest {
  std::string file; // JSON Lines (.jsonl) or CSV (.csv) file of events
};

// Fails (invalid_argument) when the file is not a regular file; the message reads on its own
// (after "error: ") and says what to give.
Status check_events_request(const EventsRequest& request);

struct EventsOutcome {
  std::string file;
  importer::EventsImportReport report;
  RunSummary run; // ok, or partial when events were rejected or their leads unknown
};

// Fails when the file cannot be read, its CSV header is unusable, or the store fails (the run is
// then recorded as failed); bad events are in the report.
Result<EventsOutcome> run_events_import(Runtime& runtime, const EventsRequest& request,
                                        const JobContext& context = {});

} // namespace leadsync::jobs
