#pragma once
// SIGINT (Ctrl-C) and SIGTERM during a long command: the first one asks the command to stop
// cleanly (an import commits the batch it is on, prints what it did and how to finish), a second
// one ends the process at once, as if nothing caught it.

#include "leadsync/core/cancel.hpp"

#include <atomic>
#include <functional>
#include <string_view>
#include <thread>

namespace leadsync::cli {

class StopSignals {
public:
  // Catches SIGINT and SIGTERM until destroyed. `on_stop` runs once, on a thread of its own, with
  // the first signal's number, after the token is cancelled: it may print (it must not exit).
  explicit StopSignals(std::function<void(int)> on_stop = {});
  StopSignals(const StopSignals&) = delete;
  StopSignals& operator=(const StopSignals&) = delete;
  // Gives SIGINT and SIGTERM back their earlier handling.
  ~StopSignals();

  CancellationToken token() const { return source_.token(); }
  // The first signal caught, 0 while none was.
  int signal() const { return signal_.load(); }

private:
  CancellationSource source_;
  std::function<void(int)> on_stop_;
  std::atomic<int> signal_{0};
  std::thread watcher_;
};

// "SIGINT", "SIGTERM", else "signal N".
std::string signal_name(int signal);

} // namespace leadsync::cli
