#include "leadsync/core/process.hpp"

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

} // namespace leadsync
