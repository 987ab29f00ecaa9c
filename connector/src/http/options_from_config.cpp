#include "leadsync/http/options_from_config.hpp"

#include <exception>
#include <string>

namespace leadsync::http {

TransportOptions transport_options_from(const config::Config& config) {
  const auto& crm = config.crm;
  TransportOptions options;
  options.timeout = std::chrono::seconds(crm.timeout_s);
  if (!crm.tls.ca_file.empty()) {
    options.ca_file = config::resolve_path(config, crm.tls.ca_file).string();
  }
  options.insecure_skip_verify = crm.tls.insecure_skip_verify;
  return options;
}

Result<ServerOptions> server_options_from(const config::ServerOptions& server) {
  const std::string& listen = server.listen;
  const auto colon = listen.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == listen.size()) {
    return Error::make(ErrorCategory::config,
                       "server.listen must be HOST:PORT, like \"127.0.0.1:8080\" (got \"" +
                           listen.substr(0, 64) + "\")");
  }
  std::string host = listen.substr(0, colon);
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  int port = -1;
  try {
    std::size_t used = 0;
    port = std::stoi(listen.substr(colon + 1), &used);
    if (used != listen.size() - colon - 1) {
      port = -1;
    }
  } catch (const std::exception&) {
    port = -1;
  }
  if (port < 0 || port > 65535) {
    return Error::make(ErrorCategory::config,
                       "server.listen: the port must be a number from 0 to 65535 (got \"" +
                           listen.substr(colon + 1, 16) + "\")");
  }
  ServerOptions options;
  options.address = std::move(host);
  options.port = static_cast<std::uint16_t>(port);
  return options;
}

} // namespace leadsync::http
