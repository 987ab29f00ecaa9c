#pragma once
// systemd service notifications (Type=notify) through libsystemd's sd_notify(3): READY, RELOADING,
// STOPPING, STATUS and the WATCHDOG keep-alive (shared/daemon-scaleout.md B.1).
//
// Outside systemd (no $NOTIFY_SOCKET) every call does nothing and succeeds. Debian 12 ships systemd
// 252, which has no Type=notify-reload (v253): a reload is announced with reloading() and finished
// with ready(), by hand. Ping watchdog() from the main loop, when it shows progress, every
// watchdog_interval(); a timer thread of its own would hide a wedged loop.

#include "leadsync/core/result.hpp"

#include <chrono>
#include <optional>
#include <string_view>

namespace leadsync::daemon {

class SystemdNotifier {
public:
  // True when $NOTIFY_SOCKET is set, i.e. systemd (or a test) listens.
  bool enabled() const;

  // "READY=1" (startup or a reload finished), with "STATUS=<status>" when status is not empty.
  Status ready(std::string_view status = {});
  // "RELOADING=1": a configuration reload begins; follow it with ready().
  Status reloading();
  // "STOPPING=1": shutdown begins.
  Status stopping();
  // "STATUS=<text>": one line for `systemctl status` (line breaks become spaces).
  Status status(std::string_view text);
  // "WATCHDOG=1": the keep-alive ping.
  Status watchdog();

  // How often to call watchdog(): half of what sd_watchdog_enabled(3) reads from $WATCHDOG_USEC
  // (the interval systemd's man page recommends); nullopt when the watchdog is off, or meant for
  // another process ($WATCHDOG_PID), or the variables are unreadable.
  std::optional<std::chrono::microseconds> watchdog_interval() const;

private:
  static Status send(const std::string& state);
};

} // namespace leadsync::daemon
