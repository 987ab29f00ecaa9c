#pragma once
// One run recorder for every job: it begins a run in the run history, and finishes it with the
// job's counts and the status one rule gives (below). push, pull, import and events jobs record
// their runs through it and nothing else decides their status.
//
// enrich and qualify record their own runs today, inside enrich::Enricher::run and
// qualify::run_qualify (they begin the run before their first write and finish it with their own
// counts and message). Their outcome statuses follow the same rule: jobs::run_enrich and
// jobs::run_qualify classify their figures with classify() and report that status, and the unit
// tests check it is the status those modules wrote to the history.

#include "leadsync/core/clock.hpp"
#include "leadsync/core/result.hpp"
#include "leadsync/store/store.hpp"

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace leadsync::jobs {

enum class RunStatus { running, ok, partial, failed, interrupted };

// "running", "ok", "partial", "failed", "interrupted": the status as the run history keeps it.
std::string_view to_string(RunStatus status) noexcept;
std::optional<RunStatus> parse_run_status(std::string_view text) noexcept;

// How a job that ran to its end (it did not fail with an error) ended.
struct RunEnding {
  std::int64_t problems = 0;   // records rejected, dead-lettered, left for a later run, or failed
  bool cancelled = false;      // stopped before the end because its JobContext was cancelled
  bool nothing_worked = false; // every attempt failed (enrich: errors, nothing found or cached)
};

// The rule, in this order:
//   interrupted  cancelled before the end (what was done is kept; the next run goes on);
//   failed       nothing worked (a job that fails with an error is failed too: RunRecorder::fail);
//   partial      it finished, but some records were rejected, dead-lettered or left for later;
//   ok           everything went through.
RunStatus classify(const RunEnding& ending);

// What a job's outcome says about its run.
struct RunSummary {
  std::int64_t id = 0; // the run history entry; 0 when nothing was recorded (a dry run)
  RunStatus status = RunStatus::ok;
  std::string message; // as recorded (push, pull, import, events); empty for enrich and qualify
};

class RunRecorder {
public:
  using Counts = std::map<std::string, std::int64_t>;

  // Begins a run of `kind` ("push", "import", "events"...) in the history: status running, this
  // process as its owner.
  static Result<RunRecorder> begin(store::RunStore& store, const Clock& clock,
                                   std::string_view kind);
  // A recorder that records nothing (a dry run): id() is 0, finish() and fail() write nothing.
  static RunRecorder not_recorded();

  RunRecorder(RunRecorder&& other) noexcept;
  RunRecorder& operator=(RunRecorder&& other) noexcept;
  RunRecorder(const RunRecorder&) = delete;
  RunRecorder& operator=(const RunRecorder&) = delete;
  // A run neither finished nor failed (a job returned on a path that forgot it) is finished as
  // failed, so that no run stays "running" in a daemon that lives for weeks.
  ~RunRecorder();

  std::int64_t id() const { return run_ ? run_->id : 0; }
  bool recording() const { return run_.has_value() && !done_; }

  // Finishes the run with the status classify(ending) gives. Fails when the store cannot record
  // it; the summary carries the id, status and message.
  Result<RunSummary> finish(const RunEnding& ending, Counts counts, std::string message);
  // Finishes the run as failed with `message` (what stopped it). Best effort: the error that
  // stopped the job matters more than one recording it, so a store failure here is only logged.
  RunSummary fail(std::string message, Counts counts = {});

  // Finishes an earlier run, of a process that is gone, as interrupted: the run a resumed CSV
  // import continues, with the counts it had committed.
  static Status finish_interrupted(store::RunStore& store, std::int64_t run_id, Counts counts,
                                   std::string message);

private:
  RunRecorder(store::RunStore* store, const Clock* clock, std::optional<store::RunRecord> run);
  Status write(RunStatus status, Counts counts, std::string message);

  store::RunStore* store_ = nullptr;
  const Clock* clock_ = nullptr;
  std::optional<store::RunRecord> run_;
  bool done_ = false;
};

} // namespace leadsync::jobs
