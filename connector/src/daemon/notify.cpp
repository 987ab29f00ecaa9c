#include "leadsync/daemon/notify.hpp"

#include <cstdint>
#include <cstdlib>
#include <string>
#include <systemd/sd-daemon.h>

namespace leadsync::daemon {

namespace {

// STATUS= is one line (sd_notify(3)): a line break would start a new assignment.
std::string one_line(std::string_view text) {
  std::string line(text);
  for (auto& c : line) {
    if (c == '\n' || c == '\r') {
      c = ' ';
    }
  }
  return line;
}

} // namespace

bool SystemdNotifier::enabled() const {
  // Read only: the environment is never changed by the daemon after start-up.
  const char* socket = std::getenv("NOTIFY_SOCKET"); // NOLINT(concurrency-mt-unsafe)
  return socket != nullptr && *socket != '\0';
}

Status SystemdNotifier::ready(std::string_view status) {
  std::string state = "READY=1";
  if (!status.empty()) {
    state += "\nSTATUS=" + one_line(status);
  }
  return send(state);
}

Status SystemdNotifier::reloading() {
  return send("RELOADING=1");
}

Status SystemdNotifier::stopping() {
  return send("STOPPING=1");
}

Status SystemdNotifier::status(std::string_view text) {
  return send("STATUS=" + one_line(text));
}

Status SystemdNotifier::watchdog() {
  return send("WATCHDOG=1");
}

std::optional<std::chrono::microseconds> SystemdNotifier::watchdog_interval() const {
  std::uint64_t usec = 0;
  // > 0: on for this process; 0: off or for another pid; < 0: unparsable variables.
  if (sd_watchdog_enabled(0, &usec) <= 0 || usec == 0) {
    return std::nullopt;
  }
  return std::chrono::microseconds(static_cast<std::chrono::microseconds::rep>(usec / 2));
}

Status SystemdNotifier::send(const std::string& state) {
  // sd_notify returns 0 when $NOTIFY_SOCKET is unset (nothing to do), > 0 when sent.
  const int result = sd_notify(0, state.c_str());
  if (result < 0) {
    return fail(ErrorCategory::unavailable,
                "could not notify systemd (" + system_error_text(-result) +
                    "); check that $NOTIFY_SOCKET names the service manager's socket");
  }
  return ok_status();
}

} // namespace leadsync::daemon
