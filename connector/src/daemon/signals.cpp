#include "leadsync/daemon/signals.hpp"

#include "leadsync/core/log.hpp"

#include <csignal>
#include <ctime>
#include <pthread.h>
#include <unistd.h>

namespace leadsync::daemon {

namespace {

// The value our own wake-up signal carries (see ~SignalWatcher): a SIGHUP queued by this process to
// the watching thread with it is no reload request.
constexpr int wake_value = 0x1EAD5C;

sigset_t watched_signals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGHUP);
  return set;
}

} // namespace

SignalWatcher::SignalWatcher(SignalCallbacks callbacks) : callbacks_(std::move(callbacks)) {
  const sigset_t set = watched_signals();
  // Blocked before the thread starts, so it inherits the mask and every signal waits for
  // sigtimedwait instead of running its default action.
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  thread_ = std::thread([this] { run(); });
}

SignalWatcher::~SignalWatcher() {
  quit_.store(true);
  // Wake the thread now rather than at its next timeout: a SIGHUP directed at that thread only,
  // marked as ours.
  union sigval value {};
  value.sival_int = wake_value;
  pthread_sigqueue(thread_.native_handle(), SIGHUP, value);
  thread_.join();
}

void SignalWatcher::run() {
  const sigset_t set = watched_signals();
  // The timeout only bounds how long a lost wake-up could delay the destructor.
  const timespec timeout{.tv_sec = 1, .tv_nsec = 0};
  while (!quit_.load()) {
    siginfo_t info{};
    const int signal = sigtimedwait(&set, &info, &timeout);
    if (signal < 0) {
      continue; // EAGAIN (timeout) or EINTR
    }
    const bool wake = info.si_code == SI_QUEUE && info.si_pid == ::getpid() &&
                      info.si_value.sival_int == wake_value;
    if (wake) {
      continue;
    }
    if (signal == SIGHUP) {
      log::get()->info("SIGHUP received: reloading the configuration");
      if (callbacks_.on_reload) {
        callbacks_.on_reload();
      }
      continue;
    }
    // SIGTERM or SIGINT.
    if (stops_.fetch_add(1) == 0) {
      log::get()->info("{} received: stopping", signal == SIGTERM ? "SIGTERM" : "SIGINT");
      if (callbacks_.on_stop) {
        callbacks_.on_stop(signal);
      }
    } else {
      log::get()->warn("{} received again while stopping",
                       signal == SIGTERM ? "SIGTERM" : "SIGINT");
      if (callbacks_.on_second_stop) {
        callbacks_.on_second_stop(signal);
      }
    }
  }
}

} // namespace leadsync::daemon
