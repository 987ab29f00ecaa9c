#include "leadsync/core/process.hpp"

#include <cerrno>
#include <charconv>
#include <csignal>
#include <fstream>
#include <sstream>
#include <unistd.h>

namespace leadsync {

std::string host_name() {
  char host[256] = {};
  if (::gethostname(host, sizeof(host) - 1) != 0 || host[0] == '\0') {
    return "localhost";
  }
  return host;
}

std::string process_name(const std::string& host, long pid) {
  return (host.empty() ? std::string("localhost") : host) + ":" + std::to_string(pid);
}

std::string this_process_name() {
  return process_name(host_name(), ::getpid());
}

std::optional<ProcessName> parse_process_name(std::string_view name) {
  const auto colon = name.rfind(':');
  if (colon == std::string_view::npos || colon == 0) {
    return std::nullopt;
  }
  ProcessName parsed{std::string(name.substr(0, colon)), 0};
  const char* first = name.data() + colon + 1;
  const char* last = name.data() + name.size();
  const auto [end, error] = std::from_chars(first, last, parsed.pid);
  if (error != std::errc() || end != last || parsed.pid <= 0) {
    return std::nullopt;
  }
  return parsed;
}

bool process_exists(long pid) {
  // EPERM: the process exists but belongs to another user.
  return pid > 0 && (::kill(static_cast<pid_t>(pid), 0) == 0 || errno == EPERM);
}

std::string process_start_token(long pid) {
  std::ifstream boot_file("/proc/sys/kernel/random/boot_id");
  std::string boot;
  std::getline(boot_file, boot);
  std::ifstream stat_file("/proc/" + std::to_string(pid) + "/stat");
  std::string stat;
  std::getline(stat_file, stat);
  // "pid (comm) state ppid ...": the command may hold spaces and parentheses, so count the fields
  // after its last ')'. The start time is field 22, the 20th after the command.
  const auto comm_end = stat.rfind(')');
  if (boot.empty() || comm_end == std::string::npos) {
    return {};
  }
  std::istringstream fields(stat.substr(comm_end + 1));
  std::string field;
  for (int i = 0; i < 20 && fields >> field; ++i) {
  }
  if (!fields || field.empty()) {
    return {};
  }
  return boot + "/" + field;
}

} // namespace leadsync
