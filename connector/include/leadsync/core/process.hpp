#pragma once
// How leadsync names a process in what it leaves in the store (outbox leases, run history), so a
// later process can tell whether the one that left it is still running.

#include <optional>
#include <string>
#include <string_view>

namespace leadsync {

// This machine's host name; "localhost" when it has none.
std::string host_name();
// "<host>:<pid>", with "localhost" for an empty host.
std::string process_name(const std::string& host, long pid);
// process_name(host_name(), this process's pid).
std::string this_process_name();

// A process_name() taken apart; nullopt for text that is not "<host>:<pid>" with a positive pid.
struct ProcessName {
  std::string host;
  long pid = 0;
};
std::optional<ProcessName> parse_process_name(std::string_view name);

// Whether a process with this pid exists on this machine (one of another user counts).
bool process_exists(long pid);
// What tells this process apart from a later one that gets the same pid: the boot and the time
// the process started ("<boot id>/<start ticks>", from /proc). Empty when it cannot be read (the
// process is gone, or there is no /proc): then only the pid can be compared.
std::string process_start_token(long pid);

} // namespace leadsync
