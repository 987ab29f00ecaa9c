#pragma once
// Builds a ready DataverseClient from the configuration: transport (cpprestsdk), the pipeline in its fixed
// order, the token provider for crm.auth.mode, the concurrency limiter. The one place the CLI and the daemon
// go through, so pointing leadsync at a real org is a config change only.

#include "leadsync/core/config.hpp"
#include "leadsync/dataverse/client.hpp"

#include <memory>

namespace leadsync::dataverse {

struct Connection {
  std::shared_ptr<DataverseClient> client;
  std::shared_ptr<http::RetryPolicy> retry; // for throttling figures in `status`
  std::shared_ptr<http::ConcurrencyLimiter> limiter;
};

// Errors: config (missing secret file/env, token over plain http to a non-loopback host).
Result<Connection> connect(const config::Config& config);

} // namespace leadsync::dataverse
