#pragma once
// How leadsync names a process in what it leaves in the store (outbox leases, run history), so a
// later process can tell whether the one that left it is still running.

#include <string>

namespace leadsync {

// This machine's host name; "localhost" when it has none.
std::string host_name();
// "<host>:<pid>", with "localhost" for an empty host.
std::string process_name(const std::string& host, long pid);
// process_name(host_name(), this process's pid).
std::string this_process_name();

} // namespace leadsync
