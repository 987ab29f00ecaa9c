#pragma once
// The push job: sends the outbox to the CRM (sync::Pusher), `leadsync push` and the daemon's
// scheduled push. Before pushing it takes back the changes a push of this host that stopped
// without finishing still holds under its leases.

#include "leadsync/core/result.hpp"
#include "leadsync/jobs/job_context.hpp"
#include "leadsync/jobs/run_recorder.hpp"
#include "leadsync/jobs/runtime.hpp"
#include "leadsync/sync/lease_recovery.hpp"
#include "leadsync/sync/push.hpp"

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace leadsync::jobs {

struct PushRequest {
  bool dry_run = false;             // the requests a push would send; nothing sent or changed
  std::optional<std::size_t> limit; // at most this many outbox entries (dry run: default 1000)
};

// The throttling the CRM answered a job with.
struct ThrottleFigures {
  std::int64_t throttled = 0;          // HTTP 429 answers
  std::chrono::milliseconds waited{0}; // waited before retrying
};

// What a push left in the outbox for a later push, counted in the store after it (issue 18: a
// push that leaves work queued must say so and exit 1). Entries another live push holds under a
// lease are not counted here (see PushOutcome::other_holders).
struct LeftForLater {
  // Changes waiting for a retry: tried and given back (throttled, or a failure a retry may fix),
  // with the later changes of the same leads, which wait behind them.
  std::int64_t changes = 0;
  std::int64_t leads = 0;     // the leads those changes belong to
  std::int64_t throttled = 0; // of the tried ones, those the CRM last refused with HTTP 429
  std::optional<store::TimePoint> next_attempt; // the earliest a push may try one of them again
  std::string last_error;                       // the error of the first of them, as recorded
  // Changes queued but not tried by this push: beyond --limit, or written while it ran.
  std::int64_t untried = 0;
  bool complete = true; // false when the outbox was too long to count whole (figures are minimums)

  bool any() const { return changes > 0; }
};

// Counts what the outbox holds for a later push at `now` (reads at most `scan_limit` entries).
Result<LeftForLater> left_for_later(store::OutboxStore& store, store::TimePoint now,
                                    std::size_t scan_limit = 100000);

struct PushOutcome {
  bool dry_run = false;
  std::vector<std::string> requests; // dry run: each request as text (method, URL, body)
  // Changes held by pushes that stopped without finishing, freed for this push (by start-up
  // recovery or by this push), and those processes.
  sync::LeaseRecovery taken_back;
  config::PushMode mode = config::PushMode::bulk; // push.mode
  int request_slots = 0;                          // requests in flight at most
  sync::PushReport report;
  ThrottleFigures throttling;
  // Workers of other processes still holding outbox entries after this push: worker -> entries.
  std::map<std::string, std::int64_t> other_holders;
  LeftForLater left; // what remains queued after this push
  RunSummary run;    // ok, partial (dead-lettered or left for later), interrupted
};

// Fails when the CRM link cannot be made or the store fails (the run is
// then recorded as failed); whatever the CRM refuses is in the report.
Result<PushOutcome> run_push(Runtime& runtime, const PushRequest& request,
                             const JobContext& context = {});

} // namespace leadsync::jobs
