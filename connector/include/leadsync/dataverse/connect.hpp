#pragma once
// Builds a ready DataverseClient from the configuration: transport (cpprestsdk), the pipeline in
// its fixed order, the token provider for crm.auth.mode, the concurrency limiter. The one place the
// CLI and the daemon go through, so pointing leadsync at a real org is a config change only.

#include "leadsync/core/config.hpp"
#include "leadsync/dataverse/client.hpp"
#include "leadsync/http/request_observer.hpp"

#include <functional>
#include <memory>

namespace leadsync::dataverse {

struct Connection {
  std::shared_ptr<DataverseClient> client;
  // Process-wide throttling figures for `status`; a job reads its own from the CallStats of the
  // CallScope it passes to the client.
  std::shared_ptr<http::RetryPolicy> retry;
  std::shared_ptr<http::ConcurrencyLimiter> limiter;
};

// Errors: config (missing secret file/env, token over plain http to a non-loopback host).
Result<Connection> connect(const config::Config& config);

struct ConnectOptions {
  http::RetryOptions retry; // `check` retries less: a person is waiting for its answer
  int max_page_size = 5000; // Prefer: odata.maxpagesize for reads (1..5000)
  // Wraps the cpprestsdk transport that every request (token requests included) ends in; tests
  // record the requests this way. Unset: the transport is used as it is.
  std::function<std::shared_ptr<http::Transport>(std::shared_ptr<http::Transport>)> wrap_transport;
  // Told of every CRM call once, after its retries (method, route, final status, attempts,
  // duration, 429 seen): the daemon turns these into Prometheus metrics. Token requests are not
  // CRM calls and are not observed. Unset: nothing is observed.
  std::shared_ptr<http::RequestObserver> observer;
};
Result<Connection> connect(const config::Config& config, const ConnectOptions& options);

} // namespace leadsync::dataverse
