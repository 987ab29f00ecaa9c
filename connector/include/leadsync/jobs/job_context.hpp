#pragma once
// What every job takes besides its runtime and request: a cancellation token and, optionally, a
// progress callback. Jobs never print; the caller (the CLI's progress line, the daemon's metrics)
// decides what to do with progress.

#include "leadsync/core/cancel.hpp"

#include <chrono>
#include <cstdint>
#include <functional>

namespace leadsync::jobs {

// How far a job is. Each job fills the fields that mean something for it; the others stay 0.
struct JobProgress {
  // import: rows read (those of the interrupted run a resume continues included);
  // enrich and qualify: leads looked at.
  std::int64_t done = 0;
  std::int64_t total = 0;                  // enrich: leads to look at, when known; 0: unknown
  std::int64_t done_this_run = 0;          // import: rows this run read
  std::uint64_t bytes_done = 0;            // import: position in the file
  std::uint64_t bytes_total = 0;           // import: the file's size
  std::int64_t lookups = 0;                // enrich
  std::int64_t matched = 0;                // enrich
  std::chrono::duration<double> elapsed{}; // import: this run
};

using ProgressCallback = std::function<void(const JobProgress&)>;

struct JobContext {
  // Once cancelled, the job stops at its next safe point (after the batch it is writing) and its
  // run is recorded as interrupted.
  CancellationToken cancel;
  ProgressCallback on_progress; // called on the job's thread; empty: no progress reports
};

} // namespace leadsync::jobs
