#include "leadsync/jobs/run_recorder.hpp"

#include "leadsync/core/log.hpp"

#include <array>
#include <utility>

namespace leadsync::jobs {

namespace {

constexpr std::array<RunStatus, 5> all_statuses = {RunStatus::running, RunStatus::ok,
                                                   RunStatus::partial, RunStatus::failed,
                                                   RunStatus::interrupted};

} // namespace

std::string_view to_string(RunStatus status) noexcept {
  switch (status) {
  case RunStatus::running:
    return "running";
  case RunStatus::ok:
    return "ok";
  case RunStatus::partial:
    return "partial";
  case RunStatus::failed:
    return "failed";
  case RunStatus::interrupted:
    return "interrupted";
  }
  return "unknown";
}

std::optional<RunStatus> parse_run_status(std::string_view text) noexcept {
  for (const RunStatus status : all_statuses) {
    if (to_string(status) == text) {
      return status;
    }
  }
  return std::nullopt;
}

RunStatus classify(const RunEnding& ending) {
  if (ending.cancelled) {
    return RunStatus::interrupted;
  }
  if (ending.nothing_worked) {
    return RunStatus::failed;
  }
  return ending.problems > 0 ? RunStatus::partial : RunStatus::ok;
}

RunRecorder::RunRecorder(store::RunStore* store, const Clock* clock,
                         std::optional<store::RunRecord> run)
    : store_(store), clock_(clock), run_(std::move(run)) {}

Result<RunRecorder> RunRecorder::begin(store::RunStore& store, const Clock& clock,
                                       std::string_view kind) {
  LEADSYNC_TRY(auto run, store.begin_run(std::string(kind)));
  log::JobScope::set_run(run.id); // every later line of the job's thread names its run
  return RunRecorder(&store, &clock, std::move(run));
}

RunRecorder RunRecorder::not_recorded() {
  return RunRecorder(nullptr, nullptr, std::nullopt);
}

RunRecorder::RunRecorder(RunRecorder&& other) noexcept
    : store_(other.store_), clock_(other.clock_), run_(std::move(other.run_)), done_(other.done_) {
  other.run_.reset();
}

RunRecorder& RunRecorder::operator=(RunRecorder&& other) noexcept {
  if (this != &other) {
    if (recording()) {
      fail("the job ended without recording how (an internal error)");
    }
    store_ = other.store_;
    clock_ = other.clock_;
    run_ = std::move(other.run_);
    done_ = other.done_;
    other.run_.reset();
  }
  return *this;
}

RunRecorder::~RunRecorder() {
  if (recording()) {
    fail("the job ended without recording how (an internal error)");
  }
}

Status RunRecorder::write(RunStatus status, Counts counts, std::string message) {
  done_ = true;
  run_->status = std::string(to_string(status));
  run_->finished_at = clock_->now();
  run_->counts = std::move(counts);
  run_->message = std::move(message);
  return store_->finish_run(*run_);
}

Result<RunSummary> RunRecorder::finish(const RunEnding& ending, Counts counts,
                                       std::string message) {
  RunSummary summary{.id = id(), .status = classify(ending), .message = message};
  if (recording()) {
    LEADSYNC_CHECK(write(summary.status, std::move(counts), std::move(message)));
  }
  return summary;
}

RunSummary RunRecorder::fail(std::string message, Counts counts) {
  RunSummary summary{.id = id(), .status = RunStatus::failed, .message = message};
  if (recording()) {
    if (auto written = write(RunStatus::failed, std::move(counts), std::move(message));
        !written.ok()) {
      log::get()->warn("cannot record run {} as failed: {}", summary.id,
                       written.error().describe());
    }
  }
  return summary;
}

Status RunRecorder::finish_interrupted(store::RunStore& store, std::int64_t run_id, Counts counts,
                                       std::string message) {
  store::RunRecord run;
  run.id = run_id;
  run.status = std::string(to_string(RunStatus::interrupted));
  run.counts = std::move(counts);
  run.message = std::move(message);
  return store.finish_run(run);
}

} // namespace leadsync::jobs
