#pragma once
// One observation per logical call (all its attempts and retry waits together), for whoever turns
// CRM requests into metrics: the daemon's /metrics counts requests by route and status, 429s, and
// the duration of each call. A pipeline gets an ObserverPolicy in front of its retry policy
// (dataverse::ConnectOptions::observer does this).

#include "leadsync/core/clock.hpp"
#include "leadsync/core/error.hpp"
#include "leadsync/http/pipeline.hpp"

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace leadsync::http {

struct RequestObservation {
  std::string method; // "GET", "PATCH", "POST", ...
  // The route without ids, keys or query, low in cardinality as a metric label: "leads",
  // "leads/UpsertMultiple", "leads/QualifyLead", "WhoAmI", "$batch", "EntityDefinitions/Keys".
  std::string route;
  int status = 0;   // the final HTTP status; 0 when no response was had (transport failure)
  int attempts = 0; // 1 for a call answered at the first try
  std::chrono::nanoseconds duration{0}; // the whole call: every attempt and every retry wait
  bool throttled = false;               // any attempt was answered 429
  // Set when the call ended in an error instead of a response: timeout, cancelled, unavailable, or
  // throttled when a Retry-After was too long to wait for (status then holds that 429).
  std::optional<ErrorCategory> failure;
  // The error itself, under the same condition, for whoever classifies it (http/failure.hpp).
  std::optional<Error> error;
};

class RequestObserver {
public:
  virtual ~RequestObserver() = default;
  // Called once per logical call, on the calling thread, after its last attempt. Must be
  // thread-safe, quick, and must not throw.
  virtual void observe(const RequestObservation& observation) = 0;
};

// Reports every call that passes through it to the observer. Put it in front of the retry policy
// so that one call with its retries is one observation (the retry policy counts 429s into
// CallContext::throttled and leaves the number of attempts in CallContext::attempt).
class ObserverPolicy final : public Policy {
public:
  explicit ObserverPolicy(std::shared_ptr<RequestObserver> observer,
                          Clock& clock = SystemClock::instance());
  Result<Response> send(Request& request, CallContext& context, const NextPolicy& next) override;

private:
  std::shared_ptr<RequestObserver> observer_;
  Clock& clock_;
};

// The route label of a Web API URL: the path after "/api/data/v<version>/" (else the whole path),
// with key predicates "(...)" and the "Microsoft.Dynamics.CRM." action prefix removed and no query:
// "https://org/api/data/v9.2/leads(leadsync_externalid='x')?$select=a" -> "leads",
// ".../leads(<guid>)/Microsoft.Dynamics.CRM.QualifyLead" -> "leads/QualifyLead".
std::string route_label(std::string_view url);

} // namespace leadsync::http
