#pragma once
// The one mapping from leadsync.toml to the http component's options, shared by every caller
// (dataverse::connect for the CLI, `check` and the daemon; the daemon's HTTP server).

#include "leadsync/core/config.hpp"
#include "leadsync/core/result.hpp"
#include "leadsync/http/cpprest_transport.hpp"
#include "leadsync/http/server.hpp"

namespace leadsync::http {

// The CRM's transport: crm.timeout_s, crm.tls.ca_file (resolved against the config's folder) and
// crm.tls.insecure_skip_verify.
TransportOptions transport_options_from(const config::Config& config);

// The daemon's listener: server.listen ("127.0.0.1:8080", "[::1]:0") split into address and port;
// the other fields keep their defaults. Fails (config) when listen is not HOST:PORT.
Result<ServerOptions> server_options_from(const config::ServerOptions& server);

} // namespace leadsync::http
