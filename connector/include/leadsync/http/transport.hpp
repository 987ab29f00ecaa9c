#pragma once
// The one-method transport every outgoing HTTP call ends in. The production implementation is the
// cpprestsdk adapter (cpprest_transport.hpp), the only file in leadsync that includes cpprestsdk
// headers; tests use a recording fake.

#include "leadsync/core/cancel.hpp"
#include "leadsync/core/result.hpp"
#include "leadsync/http/call_scope.hpp"
#include "leadsync/http/message.hpp"

#include <memory>
#include <string>

namespace leadsync::http {

// What travels with one logical call through the pipeline.
struct CallContext {
  CancellationToken cancel; // shutdown or caller cancellation
  int attempt = 1;          // set by the retry policy: 1 for the first try
  // True when sending the request twice cannot do harm: GET, PATCH/PUT/DELETE by key, keyed
  // upserts. A create (POST without a key) is not, and is retried only where the service cannot
  // have run it (429).
  bool idempotent = false;
  std::string client_request_id; // set by the request-id policy, echoed in errors and logs
  // The figures of the job the call belongs to (CallScope::stats); null: only the process-wide
  // ones are counted.
  std::shared_ptr<CallStats> stats;
  // What a RequestObserver reports the call under ("leads", "leads/UpsertMultiple", "WhoAmI");
  // empty: derived from the URL by route_label().
  std::string route;
  int throttled = 0; // 429 responses seen so far in this call, counted by the retry policy
};

class Transport {
public:
  virtual ~Transport() = default;
  // Sends the request and returns the response whatever its status. Fails only when no HTTP
  // response was had: connection refused or reset (unavailable, retryable), deadline passed
  // (timeout, retryable), TLS failure (unavailable, not retryable, message decoded from OpenSSL),
  // cancelled.
  virtual Result<Response> send(const Request& request, const CallContext& context) = 0;
};

} // namespace leadsync::http
