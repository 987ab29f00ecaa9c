#pragma once
// The daemon's HTTP endpoints, as one http::Handler for the Beast server (http/server.hpp):
//
//   GET  /livez, /healthz    200 "ok" while the owner's main loop ticks heartbeat(); 503 once the
//                            last tick is older than liveness_timeout. Never asks the CRM or the
//                            store: an outage there must not make a supervisor restart us
//                            (shared/daemon-scaleout.md B.7).
//   GET  /readyz             200 "ok" when every readiness check passes (the store answers, the
//                            config is loaded, the CRM was reachable on the last try, not shutting
//                            down); 503 else. A failed crm check names the failure's kind
//                            (http/failure.hpp), as the metrics' leadsync_crm_failures_total does.
//                            `?verbose` lists the checks for humans; machines read the status code
//                            only.
//   GET  /metrics            Metrics::scrape() as text/plain; version=0.0.4.
//   POST /webhooks/dataverse Dataverse's webhook (shared/dataverse-notes.md section 11). See below.
//   POST /events             behaviour events, as `leadsync events import` reads them
//                            (importer/events_import.hpp): JSON Lines, or one JSON array of event
//                            objects (then a problem's "line" is the element's 1-based position).
//                            200 with a JSON summary; 422 when nothing could be stored and there
//                            were problems; 400 for an unreadable body.
//   anything else            404; a known path with another method 405 with Allow. GET endpoints
//                            answer HEAD too.
//
// The webhook and /events authenticate alike, per the auth type registered with the
// serviceendpoint: WebhookKey (Dataverse sends `?code=<key>`) or HttpHeader (a header the admin
// named). The presented value and the secret are compared in constant time (SHA-256 digests of
// both, compared with CRYPTO_memcmp, so neither the content nor the length leaks through timing).
// A failure gets 401 with no detail. Then: a body over the cap 413; a body that is not a
// notification 400 (logged once, counted after that); a notification other than Create of lead 200
// (counted as ignored). A Create of lead is stored with Store::add_webhook_event BEFORE 200 is
// answered; a redelivery (same dedupe_key) answers 200 and is counted as a duplicate; a store
// failure answers 503, which Dataverse retries once. on_event runs after an event is stored. The
// handler never calls the CRM: Dataverse waits at most 60 s.
//
// Requests are never logged with their target: it holds the webhook key.

#include "leadsync/core/clock.hpp"
#include "leadsync/core/result.hpp"
#include "leadsync/core/secrets.hpp"
#include "leadsync/daemon/metrics.hpp"
#include "leadsync/http/message.hpp"
#include "leadsync/http/server.hpp"
#include "leadsync/store/store.hpp"

#include <array>
#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

namespace leadsync::daemon {

// serviceendpoint.authtype (dataverse-notes.md section 11): 4 WebhookKey, 5 HttpHeader.
enum class WebhookAuthType { webhook_key, http_header };

struct WebhookAuth {
  WebhookAuthType type = WebhookAuthType::webhook_key;
  std::string header_name; // http_header: the header carrying the secret, e.g. "x-leadsync-key"
  Secret secret;           // the value Dataverse sends (the `code`, or the header's value)
};

// The readiness checks of /readyz, set by the owner.
enum class ReadinessCheck { store, config, crm, shutdown };
inline constexpr std::array<ReadinessCheck, 4> all_readiness_checks = {
    ReadinessCheck::store, ReadinessCheck::config, ReadinessCheck::crm, ReadinessCheck::shutdown};
std::string_view to_string(ReadinessCheck check) noexcept; // "store", "config", "crm", "shutdown"

struct EndpointsOptions {
  store::Store* store = nullptr; // required; outlives the Endpoints
  Metrics* metrics = nullptr;    // required; outlives the Endpoints
  WebhookAuth auth;              // for /webhooks/dataverse and /events
  // Bodies over these get 413. Dataverse strips a notification down when it passes 256 KB
  // (x-ms-dynamics-msg-size-exceeded), so 1 MiB leaves room. Set the server's body_limit to at
  // least max_body_bytes() so that these, not the server, decide.
  std::size_t max_webhook_body_bytes = std::size_t{1} << 20;
  std::size_t max_events_body_bytes = std::size_t{16} << 20;
  int max_json_depth = 64; // deeper JSON nesting is refused (400) before it is parsed
  // /livez turns 503 when the owner's last heartbeat() is older than this.
  std::chrono::milliseconds liveness_timeout{std::chrono::seconds{30}};
  bool keep_webhook_payload = true; // store the notification body with the event
  Clock* clock = nullptr;           // nullptr: SystemClock
  // Runs after an event was stored (on the server thread that answers the request, before the
  // answer): wake the worker. Must be quick and must not throw.
  std::function<void(const store::WebhookEvent&)> on_event;
};

class Endpoints {
public:
  // Checks the options: a secret and, for http_header, a valid header name (errors of category
  // config, saying what to set); store and metrics given, positive limits (invalid_argument).
  static Result<std::unique_ptr<Endpoints>> create(EndpointsOptions options);
  ~Endpoints();
  Endpoints(const Endpoints&) = delete;
  Endpoints& operator=(const Endpoints&) = delete;

  // The handler to give HttpServer::start. It answers inline; it holds a pointer to this object,
  // which must outlive the server's use of it (stop the server first).
  http::Handler handler();
  // The same, computed inline (tests, other servers).
  http::Response handle(const http::Request& request);

  // The owner's main loop is alive (see /livez).
  void heartbeat();
  // Sets a readiness check (see /readyz); detail says why for ?verbose (kept short; no secrets).
  // Before the first call every check fails except shutdown, which passes until set false.
  void set_readiness(ReadinessCheck check, bool ok, std::string_view detail = {});
  // Fails the crm check for a failed call to the CRM, with the failure's kind from
  // http::classify_failure and the message as the detail ("refused: cannot connect to ...").
  // Whether a failure makes the CRM unreachable is FailureClass::crm_unreachable; the caller
  // decides (at start-up any failure does).
  void set_crm_unreachable(const Error& error);
  // The larger of the two body caps: the HTTP server's body_limit should be at least this.
  std::size_t max_body_bytes() const;

private:
  struct State;
  explicit Endpoints(EndpointsOptions options);

  http::Response livez(std::string_view query);
  http::Response readyz(std::string_view query);
  http::Response metrics();
  http::Response webhook(const http::Request& request, std::string_view query);
  http::Response events(const http::Request& request, std::string_view query);
  bool authenticated(const http::Request& request, std::string_view query) const;

  EndpointsOptions options_;
  Clock* clock_;
  std::unique_ptr<State> state_;
};

} // namespace leadsync::daemon
