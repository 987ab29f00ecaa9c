#pragma once
// The webhook event job: what the daemon does with the Create-of-lead notifications Dataverse
// posted to /webhooks/dataverse, which the endpoint stored (Store::add_webhook_event) before it
// answered. One run takes a batch of stored events under a lease and, for each:
//   1. reads the lead from the CRM by its PrimaryEntityId (one query for the whole batch): the
//      notification's images may be empty or stripped (x-ms-dynamics-msg-size-exceeded), and
//      reading the current row reconciles redeliveries and reordering (daemon-scaleout.md C);
//   2. takes it into the store as a pull does (sync::Puller::apply_rows): a lead created in the CRM
//      becomes our lead with its leadid, queued for push;
//   3. enriches it (the configured waterfall), then scores and decides it (qualify rules);
//   4. pushes: the enriched fields, scores and any decision go back as an update of the same CRM
//      lead (addressed by its leadid), never a new one.
// Then the events are done. A notification about a lead we created ourselves (our push's create,
// whose Target carries our key) is done at once: the lead is ours already. A lead deleted in the
// CRM meanwhile is done as gone. When the CRM cannot be read, the events are given back with a
// growing delay and given up (state failed, kept with the error) after the last attempt.
//
// Nothing is lost when the process dies: events stay in the store until they are done, and a
// leased event whose worker died is taken again once its lease expires (or at start, when the
// daemon frees the leases of its dead predecessors). Each step is idempotent, so an event processed
// twice that way changes nothing the second time.

#include "leadsync/core/result.hpp"
#include "leadsync/jobs/job_context.hpp"
#include "leadsync/jobs/push.hpp"
#include "leadsync/jobs/run_recorder.hpp"
#include "leadsync/jobs/runtime.hpp"

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace leadsync::jobs {

struct WebhookJobSettings {
  std::string worker;           // lease owner, unique per process ("<host>:<pid>:webhook")
  std::size_t batch_size = 100; // events taken per run
  std::chrono::milliseconds lease{std::chrono::seconds{60}};
  int max_attempts = 5;                      // then the event is given up (failed)
  std::chrono::seconds first_retry_delay{5}; // doubles with each attempt, at most 10 minutes
};

struct WebhookEventsOutcome {
  std::int64_t claimed = 0;   // events taken
  std::int64_t processed = 0; // leads read, enriched, scored and pushed
  std::int64_t own = 0;       // notifications of our own creates: nothing to do
  std::int64_t gone = 0;      // the lead was deleted in the CRM before we read it
  std::int64_t retried = 0;   // given back for a later attempt
  std::int64_t failed = 0;    // given up after the last attempt
  std::int64_t enriched = 0;  // leads that got at least one field
  std::int64_t fields_filled = 0;
  std::int64_t scored = 0; // leads whose scores or decision changed
  std::int64_t pushed = 0; // leads written to the CRM by the push
  // From receipt of each processed event to its lead written back to the CRM.
  std::vector<std::chrono::milliseconds> lags;
  std::vector<std::string> warnings; // a step that could not run (no provider, rules missing)
  ThrottleFigures throttling;
  RunSummary run; // the "webhook" run; id 0 when there was nothing to take
};

// Takes and processes one batch. Returns an empty outcome (claimed 0, nothing recorded) when no
// event is waiting. Fails only when the store fails.
Result<WebhookEventsOutcome> run_webhook_events(Runtime& runtime,
                                                const WebhookJobSettings& settings,
                                                const JobContext& context = {});

} // namespace leadsync::jobs
