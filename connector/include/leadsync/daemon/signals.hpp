#pragma once
// The daemon's signals (daemon(7), shared/daemon-scaleout.md B.2): SIGTERM and SIGINT stop it,
// SIGHUP reloads the configuration.
//
// The signals are blocked and taken with sigtimedwait(2) on a thread of the watcher's own, so the
// callbacks run on an ordinary thread and may lock, log and allocate (nothing runs in a signal
// handler). A blocked signal reaches sigtimedwait only if EVERY thread blocks it, and threads
// inherit the mask of the thread that starts them: construct the SignalWatcher first in main(),
// before any other thread (the HTTP server, the workers, a thread pool) exists.
//
// A signal raised with raise(3) or pthread_kill(3) is directed at one thread and stays pending
// there; send signals to the process (kill(getpid(), SIGTERM)), as systemd and a shell do.

#include "leadsync/core/result.hpp"

#include <atomic>
#include <functional>
#include <thread>

namespace leadsync::daemon {

struct SignalCallbacks {
  // The first SIGTERM or SIGINT: begin a graceful stop. Gets the signal number.
  std::function<void(int signal)> on_stop;
  // SIGHUP: reload the configuration.
  std::function<void()> on_reload;
  // A SIGTERM or SIGINT after the first: the owner's choice, e.g. std::_Exit for an impatient
  // operator. Empty: ignored (the graceful stop goes on).
  std::function<void(int signal)> on_second_stop;
};

class SignalWatcher {
public:
  // Blocks SIGTERM, SIGINT and SIGHUP in the calling thread, then starts the watching thread. The
  // signals stay blocked in the calling thread after destruction: the process is on its way out,
  // and unblocking a signal that arrived meanwhile would let its default action kill the process.
  explicit SignalWatcher(SignalCallbacks callbacks);
  // Stops and joins the watching thread (promptly: it is woken, not waited for). Must not be
  // called from a callback.
  ~SignalWatcher();
  SignalWatcher(const SignalWatcher&) = delete;
  SignalWatcher& operator=(const SignalWatcher&) = delete;

  // True once a SIGTERM or SIGINT came.
  bool stop_requested() const noexcept { return stops_.load() > 0; }

private:
  void run();

  SignalCallbacks callbacks_;
  std::atomic<int> stops_{0};
  std::atomic<bool> quit_{false};
  std::thread thread_;
};

} // namespace leadsync::daemon
