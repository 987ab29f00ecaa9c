#include "leadsync/daemon/endpoints.hpp"

#include "leadsync/core/json_limits.hpp"
#include "leadsync/core/log.hpp"
#include "leadsync/core/mutex.hpp"
#include "leadsync/core/text.hpp"
#include "leadsync/dataverse/webhook_payload.hpp"
#include "leadsync/http/failure.hpp"
#include "leadsync/http/headers.hpp"
#include "leadsync/http/url.hpp"
#include "leadsync/importer/events_import.hpp"

#include <algorithm>
#include <atomic>
#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <sstream>
#include <utility>

namespace leadsync::daemon {

namespace {

using Digest = std::array<unsigned char, 32>;

constexpr std::string_view webhook_path = "/webhooks/dataverse";
constexpr std::string_view events_path = "/events";

Digest sha256(std::string_view text) {
  Digest digest{};
  unsigned int length = 0;
  EVP_Digest(text.data(), text.size(), digest.data(), &length, EVP_sha256(), nullptr);
  return digest;
}

// RFC 9110 5.1 field-name: a token.
bool is_token(std::string_view name) {
  constexpr std::string_view extra = "!#$%&'*+-.^_`|~";
  return !name.empty() && std::all_of(name.begin(), name.end(), [&](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           extra.find(c) != std::string_view::npos;
  });
}

// A header value fit for a log line: printable ASCII, at most 100 characters.
std::string loggable(std::string_view value) {
  std::string out;
  for (const char c : value.substr(0, 100)) {
    out.push_back(c >= 0x20 && c < 0x7f ? c : '?');
  }
  return out;
}

// The body without a leading UTF-8 byte order mark and the blanks after it.
std::string_view trim_body_start(std::string_view text) {
  if (text.starts_with("\xEF\xBB\xBF")) {
    text.remove_prefix(3);
  }
  return text::trim_left(text, text::space_tab_cr_lf);
}

http::Response empty(int status) {
  http::Response response;
  response.status = status;
  return response;
}

http::Response method_not_allowed(std::string allow) {
  auto response = http::Response::text(405, "method not allowed; use " + allow + "\n");
  response.headers.set("Allow", std::move(allow));
  return response;
}

bool has_param(std::string_view query, std::string_view name) {
  auto params = http::parse_query(query);
  return params.ok() && std::any_of(params->begin(), params->end(),
                                    [&](const auto& param) { return param.first == name; });
}

// Logs the first occurrence only; later ones are counted in the metrics, not logged, so a
// misconfigured sender or a scanner cannot flood the log.
template <typename... Args>
void log_once(std::atomic<bool>& logged, fmt::format_string<Args...> format, Args&&... args) {
  if (!logged.exchange(true)) {
    log::get()->warn(format, std::forward<Args>(args)...);
  }
}

} // namespace

std::string_view to_string(ReadinessCheck check) noexcept {
  switch (check) {
  case ReadinessCheck::store:
    return "store";
  case ReadinessCheck::config:
    return "config";
  case ReadinessCheck::crm:
    return "crm";
  case ReadinessCheck::shutdown:
    return "shutdown";
  }
  return "unknown";
}

struct Endpoints::State {
  Digest secret_digest{};
  std::atomic<Clock::SteadyTime::rep> last_beat{0};

  Mutex readiness_mutex;
  struct Check {
    bool ok = false;
    std::string detail;
  };
  std::array<Check, all_readiness_checks.size()> checks GUARDED_BY(readiness_mutex){};

  std::atomic<bool> logged_unauthorized{false};
  std::atomic<bool> logged_too_large{false};
  std::atomic<bool> logged_malformed{false};
  std::atomic<bool> logged_events_unauthorized{false};
  std::atomic<bool> logged_events_malformed{false};
  std::atomic<bool> store_failing{false};
};

Result<std::unique_ptr<Endpoints>> Endpoints::create(EndpointsOptions options) {
  if (options.store == nullptr || options.metrics == nullptr) {
    return fail(ErrorCategory::invalid_argument,
                "the daemon's endpoints need a store and metrics (a programming error)");
  }
  if (options.auth.secret.empty()) {
    return fail(ErrorCategory::config,
                "the webhook has no key: set the environment variable [server] webhook_key_env "
                "names (LEADSYNC_WEBHOOK_KEY by default) to the key registered with `leadsync "
                "webhook register`");
  }
  if (options.auth.type == WebhookAuthType::http_header && !is_token(options.auth.header_name)) {
    return fail(ErrorCategory::config,
                "the webhook's auth header name '" + loggable(options.auth.header_name) +
                    "' is not a valid HTTP header name: use letters, digits and '-', e.g. "
                    "x-leadsync-key");
  }
  if (options.max_json_depth < 2 || options.liveness_timeout <= std::chrono::milliseconds{0} ||
      options.max_webhook_body_bytes == 0 || options.max_events_body_bytes == 0) {
    return fail(ErrorCategory::invalid_argument,
                "the daemon's endpoints need a JSON depth of at least 2, a positive liveness "
                "timeout and positive body caps (a programming error)");
  }
  return std::unique_ptr<Endpoints>(new Endpoints(std::move(options)));
}

Endpoints::Endpoints(EndpointsOptions options)
    : options_(std::move(options)),
      clock_(options_.clock != nullptr ? options_.clock : &SystemClock::instance()),
      state_(std::make_unique<State>()) {
  state_->secret_digest = sha256(options_.auth.secret.reveal());
  state_->checks[static_cast<std::size_t>(ReadinessCheck::store)].detail = "not checked yet";
  state_->checks[static_cast<std::size_t>(ReadinessCheck::config)].detail = "not loaded yet";
  state_->checks[static_cast<std::size_t>(ReadinessCheck::crm)].detail = "not tried yet";
  state_->checks[static_cast<std::size_t>(ReadinessCheck::shutdown)].ok = true;
  heartbeat();
}

Endpoints::~Endpoints() = default;

http::Handler Endpoints::handler() {
  return http::sync_handler([this](const http::Request& request) { return handle(request); });
}

void Endpoints::heartbeat() {
  state_->last_beat.store(clock_->steady_now().time_since_epoch().count());
}

void Endpoints::set_readiness(ReadinessCheck check, bool ok, std::string_view detail) {
  MutexLock lock(state_->readiness_mutex);
  auto& entry = state_->checks.at(static_cast<std::size_t>(check));
  entry.ok = ok;
  entry.detail = log::redact(detail);
}

void Endpoints::set_crm_unreachable(const Error& error) {
  const auto failure = http::classify_failure(error);
  set_readiness(ReadinessCheck::crm, false,
                fmt::format("{}: {}", http::to_string(failure.kind), error.message));
}

std::size_t Endpoints::max_body_bytes() const {
  return std::max(options_.max_webhook_body_bytes, options_.max_events_body_bytes);
}

http::Response Endpoints::handle(const http::Request& request) {
  const auto target = http::split_target(request.url);
  const std::string& path = target.path;
  const bool get = request.method == "GET" || request.method == "HEAD";
  const bool post = request.method == "POST";
  if (path == "/livez" || path == "/healthz" || path == "/readyz" || path == "/metrics") {
    if (!get) {
      return method_not_allowed("GET, HEAD");
    }
    if (path == "/readyz") {
      return readyz(target.query);
    }
    if (path == "/metrics") {
      return metrics();
    }
    return livez(target.query);
  }
  if (path == webhook_path || path == events_path) {
    if (!post) {
      return method_not_allowed("POST");
    }
    return path == webhook_path ? webhook(request, target.query) : events(request, target.query);
  }
  return http::Response::text(404, "not found\n");
}

http::Response Endpoints::livez(std::string_view query) {
  const auto last = Clock::SteadyTime(Clock::SteadyTime::duration(state_->last_beat.load()));
  const auto silence = clock_->steady_now() - last;
  const bool alive = silence <= options_.liveness_timeout;
  const double seconds = std::chrono::duration<double>(silence).count();
  if (has_param(query, "verbose")) {
    return http::Response::text(
        alive ? 200 : 503,
        fmt::format("[{}]heartbeat {} (last {:.1f} s ago, limit {:.1f} s)\nlivez check {}\n",
                    alive ? '+' : '-', alive ? "ok" : "failed", seconds,
                    std::chrono::duration<double>(options_.liveness_timeout).count(),
                    alive ? "passed" : "failed"));
  }
  if (!alive) {
    return http::Response::text(
        503, fmt::format("main loop stalled: no heartbeat for {:.1f} s\n", seconds));
  }
  return http::Response::text(200, "ok");
}

http::Response Endpoints::readyz(std::string_view query) {
  std::string verbose;
  std::string failing;
  bool ready = true;
  {
    MutexLock lock(state_->readiness_mutex);
    for (const auto check : all_readiness_checks) {
      const auto& entry = state_->checks.at(static_cast<std::size_t>(check));
      ready = ready && entry.ok;
      verbose += fmt::format("[{}]{} {}", entry.ok ? '+' : '-', to_string(check),
                             entry.ok ? "ok" : "failed");
      if (!entry.detail.empty()) {
        verbose += ": " + entry.detail;
      }
      verbose += '\n';
      if (!entry.ok) {
        failing += (failing.empty() ? "" : ", ") + std::string(to_string(check));
      }
    }
  }
  if (has_param(query, "verbose")) {
    return http::Response::text(ready ? 200 : 503,
                                verbose + "readyz check " + (ready ? "passed\n" : "failed\n"));
  }
  return ready ? http::Response::text(200, "ok")
               : http::Response::text(503, "not ready: " + failing + "\n");
}

http::Response Endpoints::metrics() {
  // The exposition format's media type
  // (https://prometheus.io/docs/instrumenting/exposition_formats/).
  return http::Response::with_body(200, options_.metrics->scrape(),
                                   "text/plain; version=0.0.4; charset=utf-8");
}

bool Endpoints::authenticated(const http::Request& request, std::string_view query) const {
  std::optional<std::string> presented;
  if (options_.auth.type == WebhookAuthType::webhook_key) {
    auto params = http::parse_query(query);
    if (!params.ok()) {
      return false;
    }
    for (const auto& [name, value] : *params) {
      if (name == "code") {
        if (presented) {
          return false; // two keys: ambiguous, refused
        }
        presented = value;
      }
    }
  } else {
    const auto values = request.headers.get_all(options_.auth.header_name);
    if (values.size() == 1) {
      presented = values.front();
    }
  }
  if (!presented || presented->empty()) {
    return false;
  }
  const Digest digest = sha256(*presented);
  return CRYPTO_memcmp(digest.data(), state_->secret_digest.data(), digest.size()) == 0;
}

http::Response Endpoints::webhook(const http::Request& request, std::string_view query) {
  auto& metrics = *options_.metrics;
  metrics.count_webhook_received();
  if (!authenticated(request, query)) {
    metrics.count_webhook_rejected(RejectReason::unauthorized);
    log_once(state_->logged_unauthorized,
             "webhook: refused a request from {} without the right key (401); further ones are "
             "counted in leadsync_webhook_events_rejected_total{{reason=\"unauthorized\"}}. If "
             "Dataverse sends it, the key registered with the serviceendpoint differs from the "
             "daemon's secret",
             loggable(request.remote_address));
    return empty(401);
  }
  if (request.body.size() > options_.max_webhook_body_bytes) {
    metrics.count_webhook_rejected(RejectReason::too_large);
    log_once(state_->logged_too_large,
             "webhook: refused a body of {} bytes, over the cap of {} (413); further ones are "
             "counted in leadsync_webhook_events_rejected_total{{reason=\"too_large\"}}",
             request.body.size(), options_.max_webhook_body_bytes);
    return empty(413);
  }
  const dataverse::WebhookHeaders headers{
      .organization = request.headers.get("x-ms-dynamics-organization").value_or(""),
      .entity_name = request.headers.get("x-ms-dynamics-entity-name").value_or(""),
      .request_name = request.headers.get("x-ms-dynamics-request-name").value_or(""),
      .correlation_id = request.headers.get("x-ms-correlation-request-id").value_or(""),
      .size_exceeded = request.headers.has("x-ms-dynamics-msg-size-exceeded"),
  };
  const std::string correlation = loggable(headers.correlation_id);
  // The parser counts the nesting in a first pass, so no body can exhaust the stack, however deep.
  auto parsed = dataverse::parse_webhook_notification(
      request.body, headers,
      {.max_body_bytes = options_.max_webhook_body_bytes, .max_depth = options_.max_json_depth});
  if (!parsed.ok() && parsed.error().http_status == 413) {
    metrics.count_webhook_rejected(RejectReason::too_large);
    return empty(413);
  }
  if (!parsed.ok()) {
    metrics.count_webhook_rejected(RejectReason::malformed);
    log_once(state_->logged_malformed,
             "webhook: refused a body that is not a Dataverse notification ({}; correlation id "
             "'{}') (400); further ones are counted in "
             "leadsync_webhook_events_rejected_total{{reason=\"malformed\"}}",
             parsed.error().message, correlation);
    return http::Response::text(
        400, "not a Dataverse RemoteExecutionContext: " + parsed.error().message + "\n");
  }
  const auto& note = *parsed;
  if (!http::iequals(note.message_name, "Create") ||
      !http::iequals(note.primary_entity_name, "lead")) {
    metrics.count_webhook_ignored();
    log::get()->debug("webhook: ignored {} of {} {} (correlation id '{}'): only Create of lead "
                      "is taken",
                      loggable(note.message_name), loggable(note.primary_entity_name),
                      note.primary_entity_id, correlation);
    return empty(200);
  }
  store::WebhookEvent event;
  event.dedupe_key = note.dedupe_key();
  event.source = "dataverse";
  event.message = note.message_name;
  event.entity = note.primary_entity_name;
  event.crm_id = note.primary_entity_id;
  event.correlation_id = note.correlation_id;
  event.payload = options_.keep_webhook_payload ? request.body : std::string();
  event.received_at = clock_->now();
  auto added = options_.store->add_webhook_event(event);
  if (!added.ok()) {
    metrics.count_webhook_rejected(RejectReason::unavailable);
    // Logged when the store starts failing, not for every request during an outage.
    if (!state_->store_failing.exchange(true)) {
      log::get()->error("webhook: could not store the event for lead {} (correlation id '{}'): "
                        "{}; answering 503 so that Dataverse retries once, until the store "
                        "answers again",
                        note.primary_entity_id, correlation, added.error().describe());
    }
    return http::Response::text(503, "the event could not be stored; retry later\n");
  }
  if (state_->store_failing.exchange(false)) {
    log::get()->info("webhook: the store takes events again");
  }
  if (!added->added) {
    metrics.count_webhook_duplicate();
    log::get()->info("webhook: duplicate delivery of Create of lead {} (correlation id '{}', "
                     "stored as event {}); answered 200, not stored again",
                     note.primary_entity_id, correlation, added->seq);
    return empty(200);
  }
  event.seq = added->seq;
  log::get()->info("webhook: stored event {} for Create of lead {} (correlation id '{}'{})",
                   event.seq, note.primary_entity_id, correlation,
                   note.size_exceeded ? ", body over 256 KB: the lead will be read from the CRM"
                                      : "");
  if (options_.on_event) {
    options_.on_event(event);
  }
  return empty(200);
}

http::Response Endpoints::events(const http::Request& request, std::string_view query) {
  auto& metrics = *options_.metrics;
  if (!authenticated(request, query)) {
    metrics.count_events_request_rejected(RejectReason::unauthorized);
    log_once(state_->logged_events_unauthorized,
             "events: refused a request from {} without the right key (401); further ones are "
             "counted in leadsync_events_requests_rejected_total{{reason=\"unauthorized\"}}",
             loggable(request.remote_address));
    return empty(401);
  }
  if (request.body.size() > options_.max_events_body_bytes) {
    metrics.count_events_request_rejected(RejectReason::too_large);
    return http::Response::text(
        413, fmt::format("the body has {} bytes, more than the {} this endpoint takes: send the "
                         "events in smaller batches\n",
                         request.body.size(), options_.max_events_body_bytes));
  }
  const auto unreadable = [&](const std::string& why) {
    metrics.count_events_request_rejected(RejectReason::malformed);
    log_once(state_->logged_events_malformed,
             "events: refused an unreadable body ({}) (400); further ones are counted in "
             "leadsync_events_requests_rejected_total{{reason=\"malformed\"}}",
             why);
    return http::Response::text(400, why + "\n");
  };
  const std::string_view body = trim_body_start(request.body);
  if (body.empty()) {
    return unreadable("the body is empty: send behaviour events as JSON Lines (one object a "
                      "line) or as a JSON array of objects");
  }
  if (body.front() != '{' && body.front() != '[') {
    return unreadable("the body is neither JSON Lines nor a JSON array: send one event object a "
                      "line, or a JSON array of event objects");
  }
  if (!json_depth_within(body, options_.max_json_depth)) {
    return unreadable(fmt::format("the JSON nests deeper than {} levels; an event is one flat "
                                  "object",
                                  options_.max_json_depth));
  }
  std::string lines;
  if (body.front() == '[') {
    auto parsed = parse_untrusted_json(body, "the events body", options_.max_json_depth);
    const nlohmann::json array = parsed.ok() ? std::move(parsed).value()
                                             : nlohmann::json(nlohmann::json::value_t::discarded);
    if (array.is_discarded() || !array.is_array()) {
      return unreadable("the body starts with '[' but is not a valid JSON array: send one JSON "
                        "array of event objects, or JSON Lines");
    }
    // One element a line: the importer's line numbers are then the elements' positions.
    for (const auto& element : array) {
      lines += element.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
      lines += '\n';
    }
  } else {
    lines.assign(body);
  }
  std::istringstream input(std::move(lines));
  auto imported = importer::import_events_jsonl(*options_.store, input);
  if (!imported.ok()) {
    const auto& error = imported.error();
    if (error.category == ErrorCategory::storage || error.category == ErrorCategory::unavailable) {
      metrics.count_events_request_rejected(RejectReason::unavailable);
      log::get()->error("events: could not store behaviour events: {}", error.describe());
      return http::Response::text(503, "the events could not be stored; retry later\n");
    }
    return unreadable(error.message);
  }
  const auto& report = *imported;
  metrics.count_behaviour_events(report.added, report.duplicates, report.problem_count);
  nlohmann::json summary = {{"read", report.read},
                            {"added", report.added},
                            {"duplicates", report.duplicates},
                            {"unknown_leads", report.unknown_leads},
                            {"rejected", report.rejected},
                            {"problem_count", report.problem_count},
                            {"problems", nlohmann::json::array()}};
  for (const auto& problem : report.problems) {
    summary["problems"].push_back({{"line", problem.line}, {"message", problem.message}});
  }
  const bool nothing_stored = report.added == 0 && report.problem_count > 0;
  if (nothing_stored) {
    metrics.count_events_request_rejected(RejectReason::unprocessable);
  }
  log::get()->info("events: {} read, {} added, {} duplicates, {} problems", report.read,
                   report.added, report.duplicates, report.problem_count);
  return http::Response::json(
      nothing_stored ? 422 : 200,
      summary.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
}

} // namespace leadsync::daemon
