#include "stop_signals.hpp"

#include <array>
#include <cerrno>
#include <csignal>
#include <fcntl.h>
#include <string>
#include <unistd.h>

namespace leadsync::cli {
namespace {

constexpr std::array<int, 2> stop_signals = {SIGINT, SIGTERM};

// The handler may only do what is async-signal-safe: it writes the signal's number into a pipe
// that a watcher thread reads. The pipe lives as long as the process, so a handler still running
// on some thread while a StopSignals goes away never writes into a file descriptor reused since.
struct SignalPipe {
  int read = -1;
  int write = -1;
};

const SignalPipe& signal_pipe() {
  static const SignalPipe pipe = [] {
    SignalPipe made;
    int fds[2] = {-1, -1};
    if (::pipe2(fds, O_CLOEXEC) == 0) {
      made.read = fds[0];
      made.write = fds[1];
      (void)::fcntl(made.write, F_SETFL, O_NONBLOCK);
    }
    return made;
  }();
  return pipe;
}

volatile std::sig_atomic_t caught = 0; // the first signal of the current StopSignals
std::array<struct sigaction, stop_signals.size()> previous{};

extern "C" void on_stop_signal(int signal) {
  if (caught != 0) {
    // The second one: do what the signal does by default (end the process) once this returns.
    (void)std::signal(signal, SIG_DFL);
    (void)std::raise(signal);
    return;
  }
  caught = signal;
  const int saved_errno = errno;
  const auto byte = static_cast<unsigned char>(signal);
  (void)!::write(signal_pipe().write, &byte, 1);
  errno = saved_errno;
}

} // namespace

std::string signal_name(int signal) {
  switch (signal) {
  case SIGINT:
    return "SIGINT";
  case SIGTERM:
    return "SIGTERM";
  default:
    return "signal " + std::to_string(signal);
  }
}

StopSignals::StopSignals(std::function<void(int)> on_stop) : on_stop_(std::move(on_stop)) {
  const auto& pipe = signal_pipe();
  if (pipe.read < 0) {
    return; // no pipe: the signals keep ending the process, as before
  }
  caught = 0;
  watcher_ = std::thread([this, read = pipe.read] {
    for (;;) {
      unsigned char byte = 0;
      const auto got = ::read(read, &byte, 1);
      if (got < 0 && errno == EINTR) {
        continue;
      }
      if (got != 1 || byte == 0) { // 0: the destructor's "stop watching"
        return;
      }
      if (signal_.load() == 0) {
        signal_ = byte;
        source_.cancel();
        if (on_stop_) {
          on_stop_(byte);
        }
      }
    }
  });
  struct sigaction action {};
  action.sa_handler = on_stop_signal;
  // Reads and writes the signal lands in (the CSV reader's, SQLite's) go on instead of failing.
  action.sa_flags = SA_RESTART;
  sigemptyset(&action.sa_mask);
  for (std::size_t i = 0; i < stop_signals.size(); ++i) {
    (void)::sigaction(stop_signals[i], &action, &previous[i]);
  }
}

StopSignals::~StopSignals() {
  if (!watcher_.joinable()) {
    return;
  }
  for (std::size_t i = 0; i < stop_signals.size(); ++i) {
    (void)::sigaction(stop_signals[i], &previous[i], nullptr);
  }
  const unsigned char stop = 0;
  (void)!::write(signal_pipe().write, &stop, 1);
  watcher_.join();
}

} // namespace leadsync::cli
