// The emulator's front end: every request passes, in order, through the request log, the admin
// endpoints (/_emulator/*), the Entra-style token endpoint, authentication, the service-protection
// limits, the seeded fault plan and the Web API, whose answer is then held back by the latency
// model before it is sent. Creates of rows with a registered webhook step are posted to the
// webhook's URL by a worker thread. Behaviour follows shared/dataverse-notes.md; the README next to
// this file documents it.
// This file routes requests and runs the data pipeline; the parts beside it are the limiter
// (limiter.cpp), the fault plan (faults.cpp), the token endpoint (token_endpoint.cpp), webhooks
// (webhooks.cpp), the admin endpoints (admin.cpp) and the options (options.cpp).

#include "dvemu/emulator.hpp"

#include "dvemu/record_store.hpp"
#include "dvemu/schema.hpp"
#include "dvemu/service_error.hpp"
#include "dvemu/web_api.hpp"
#include "emulator_impl.hpp"
#include "emulator_options.hpp"
#include "emulator_support.hpp"
#include "leadsync/core/json_limits.hpp"
#include "webhooks.hpp"

#include <algorithm>
#include <array>
#include <fmt/format.h>
#include <leadsync/core/log.hpp>
#include <leadsync/core/random.hpp>
#include <leadsync/core/uuid.hpp>
#include <leadsync/http/server.hpp>
#include <leadsync/http/url.hpp>
#include <openssl/evp.h>
#include <stdexcept>
#include <vector>

namespace dvemu {

using namespace detail;

namespace {

constexpr const char* create_message_id = "7c1a3f2e-5b8d-4e61-9a0c-2d4f6b8e1b01";
constexpr const char* us_dollar_id = "7c1a3f2e-5b8d-4e61-9a0c-2d4f6b8e1d01";
// sdkmessagefilter rows for Create of these tables, so webhook steps can be registered on them.
constexpr std::array<std::pair<const char*, const char*>, 3> create_filters{{
    {"lead", "7c1a3f2e-5b8d-4e61-9a0c-2d4f6b8e1c01"},
    {"contact", "7c1a3f2e-5b8d-4e61-9a0c-2d4f6b8e1c02"},
    {"account", "7c1a3f2e-5b8d-4e61-9a0c-2d4f6b8e1c03"},
}};

bool starts_with_path(std::string_view path, std::string_view prefix) {
  return path.size() >= prefix.size() && path.substr(0, prefix.size()) == prefix &&
         (path.size() == prefix.size() || path[prefix.size()] == '/');
}

} // namespace

std::string application_user_id(std::string_view client_id) {
  // RFC 9562 section 5.5: SHA-1 of the namespace's 16 bytes and the name; the hash's first 16 bytes
  // with the version (5) and variant bits set. The namespace is the emulator's tenant id.
  const auto tenant = leadsync::Uuid::parse(Identity{}.tenant_id);
  if (!tenant.ok()) {
    throw std::logic_error("the emulator's tenant id is not a UUID");
  }
  std::string input(tenant.value().bytes().begin(), tenant.value().bytes().end());
  input.append(client_id);
  std::array<unsigned char, EVP_MAX_MD_SIZE> hash{};
  unsigned int length = 0;
  if (EVP_Digest(input.data(), input.size(), hash.data(), &length, EVP_sha1(), nullptr) != 1 ||
      length < 16) {
    throw std::runtime_error("OpenSSL could not compute SHA-1 for an application user id");
  }
  hash[6] = static_cast<unsigned char>((hash[6] & 0x0fU) | 0x50U);
  hash[8] = static_cast<unsigned char>((hash[8] & 0x3fU) | 0x80U);
  std::string text;
  for (std::size_t i = 0; i < 16; ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) {
      text += '-';
    }
    text += fmt::format("{:02x}", hash[i]);
  }
  return text;
}

Emulator::Impl::Impl(EmulatorOptions emulator_options)
    : options(std::move(emulator_options)), limiter(options.limits), faults(options.faults),
      tokens(options.auth.static_token) {
  users.push_back(
      detail::ApplicationUser{.client_id = options.auth.client_id, .user_id = identity.user_id});
  for (const auto& client_id : options.auth.additional_client_ids) {
    users.push_back(
        detail::ApplicationUser{.client_id = client_id, .user_id = application_user_id(client_id)});
  }
}

leadsync::Result<std::uint16_t> Emulator::Impl::start() {
  leadsync::MutexLock lock(lifecycle_mutex);
  if (running || server) {
    return fail(ErrorCategory::invalid_argument,
                "the emulator was already started; create a new one to start again");
  }
  if (options.profile == "fast") {
    options.limits.enabled = false;
    options.latency = LatencyOptions{};
  }
  LEADSYNC_CHECK(validate(options));
  LEADSYNC_TRY(const auto listen, parse_listen(options.listen));
  limiter.configure(options.limits);
  faults.configure(options.faults);

  LEADSYNC_CHECK(Schema::validate(options));
  schema.emplace(Schema::dataverse(options));
  store = std::make_unique<RecordStore>(*schema, clock, leadsync::SecureRandom::instance());
  if (!options.state_file.empty()) {
    LEADSYNC_CHECK(store->attach_state_file(options.state_file));
  }
  LEADSYNC_CHECK(seed_rows());

  leadsync::http::ServerOptions server_options;
  server_options.address = listen.host;
  server_options.port = listen.port;
  server_options.threads = options.threads;
  server_options.read_timeout = options.read_timeout;
  server_options.idle_timeout = options.idle_timeout;
  server = leadsync::http::make_beast_server(server_options);
  // Requests can only arrive once the port is known; until `ready` they get a 503.
  LEADSYNC_TRY(port, server->start([this](const Request& request, Respond respond) {
    serve(request, std::move(respond));
  }));

  host = listen.host;
  if (host == "0.0.0.0" || host == "::" || host == "[::]") {
    host = "127.0.0.1";
  } else if (host.find(':') != std::string::npos && host.front() != '[') {
    host = "[" + host + "]";
  }
  if (options.organization_url.empty()) {
    options.organization_url = "http://" + host + ":" + std::to_string(port);
  }
  webhooks = std::make_unique<WebhookDispatcher>(*schema, *store, clock, identity,
                                                 options.organization_url);
  api = std::make_unique<WebApi>(*schema, *store, options, webhooks.get());
  delays.start();
  webhooks->start();
  started = std::chrono::steady_clock::now();
  running = true;
  ready.store(true, std::memory_order_release);

  if (!options.port_file.empty()) {
    if (auto written = write_port_file(options.port_file, port); !written.ok()) {
      running = false;
      ready = false;
      server->stop();
      delays.stop();
      webhooks->stop();
      return written.error();
    }
  }
  return port;
}

void Emulator::Impl::stop() {
  leadsync::MutexLock lock(lifecycle_mutex);
  if (!running) {
    return;
  }
  running = false;
  ready = false;
  server->stop(); // no handler runs after this
  delays.stop();  // delayed answers are dropped: their connections are gone
  webhooks->stop();
}

void Emulator::Impl::serve(const Request& request, Respond respond) {
  auto exchange = std::make_shared<Exchange>();
  exchange->method = request.method;
  exchange->path = leadsync::http::split_target(request.url).path;
  exchange->respond = std::move(respond);
  if (!ready.load(std::memory_order_acquire)) {
    finish(*exchange, Response::text(503, "the emulator is starting or stopping; retry shortly\n"));
    return;
  }
  const auto& path = exchange->path;
  if (path.rfind(admin_prefix, 0) == 0) {
    exchange->counted = false;
    serve_admin(request, *exchange);
    return;
  }
  if (starts_with_path(path, data_prefix)) {
    serve_data(request, exchange);
    return;
  }
  // /{tenant}/oauth2/v2.0/token
  const auto segments = split(path, '/');
  if (segments.size() == 5 && segments[0].empty() && !segments[1].empty() &&
      segments[2] == "oauth2" && segments[3] == "v2.0" && segments[4] == "token") {
    if (request.method != "POST") {
      auto response =
          Response::json(405, Json{{"error", "invalid_request"},
                                   {"error_description", "The token endpoint accepts only POST."}}
                                  .dump());
      response.headers.set("Allow", "POST");
      finish(*exchange, std::move(response));
      return;
    }
    finish(*exchange, issue_token(request, segments[1]));
    return;
  }
  finish(*exchange,
         service_error_response(ServiceError{
             404, "",
             "No resource at '" + path +
                 "'. The emulator serves the Web API under /api/data/v9.2/, tokens at "
                 "/{tenant}/oauth2/v2.0/token and its admin endpoints under /_emulator/."}));
}

void Emulator::Impl::finish(Exchange& exchange, Response response) {
  if (exchange.holds_slot) {
    limiter.finish(exchange.user, clock.steady_now(), exchange.execution_ms);
    exchange.holds_slot = false;
    if (!response.abort_connection) {
      add_rate_headers(response, exchange.user);
    }
  }
  const std::string outcome =
      response.abort_connection ? std::string("reset") : std::to_string(response.status);
  if (exchange.counted) {
    counters.record(outcome);
  }
  if (options.log_requests) {
    const auto elapsed = std::chrono::duration_cast<milliseconds>(std::chrono::steady_clock::now() -
                                                                  exchange.received)
                             .count();
    leadsync::log::get()->info("{} {} {} {}ms user={}", exchange.method, exchange.path, outcome,
                               elapsed, exchange.user);
  }
  exchange.respond(std::move(response));
}

void Emulator::Impl::add_rate_headers(Response& response, const std::string& user) {
  const auto limits = limiter.limits();
  response.headers.set("x-ms-dop-hint", std::to_string(limits.dop_hint));
  if (!limits.enabled) {
    return;
  }
  const auto remaining = limiter.remaining(user, clock.steady_now());
  response.headers.set("x-ms-ratelimit-burst-remaining-xrm-requests",
                       std::to_string(remaining.requests));
  // Seconds with a group separator and two decimals, as Dataverse sends it ("1,199.46").
  response.headers.set("x-ms-ratelimit-time-remaining-xrm-requests",
                       fmt::format("{}.{:02}", group_thousands(remaining.execution_ms / 1000),
                                   (remaining.execution_ms % 1000) / 10));
}

Response Emulator::Impl::unauthorized(const std::string& problem) const {
  // Dataverse answers 401 with an empty body and a Bearer challenge naming the authority
  // (RFC 6750); the emulator adds error="invalid_token" with a description when a token was sent.
  Response response;
  response.status = 401;
  std::string challenge = "Bearer authorization_uri=" + options.organization_url + "/" +
                          identity.tenant_id +
                          "/oauth2/authorize, resource_id=" + options.organization_url + "/";
  if (!problem.empty()) {
    challenge += ", error=\"invalid_token\", error_description=\"" + problem + "\"";
  }
  response.headers.set("WWW-Authenticate", challenge);
  return response;
}

void Emulator::Impl::serve_data(const Request& request, const std::shared_ptr<Exchange>& exchange) {
  // (4) authentication
  std::string token;
  std::string user = identity.user_id;
  if (options.auth.required) {
    const auto authorization = request.headers.get("Authorization");
    if (!authorization) {
      finish(*exchange, unauthorized(""));
      return;
    }
    const auto space = authorization->find(' ');
    if (space == std::string::npos || !iequals(authorization->substr(0, space), "Bearer") ||
        trim(authorization->substr(space + 1)).empty()) {
      finish(*exchange, unauthorized("The Authorization header must be 'Bearer <access token>'."));
      return;
    }
    token = trim(authorization->substr(space + 1));
    const auto [state, token_user] = tokens.check(token, identity.user_id, clock.now());
    switch (state) {
    case TokenState::valid:
      user = token_user;
      break;
    case TokenState::expired:
      finish(*exchange, unauthorized("The access token has expired. Request a new one from the "
                                     "token endpoint."));
      return;
    case TokenState::revoked:
      finish(*exchange, unauthorized("The access token has been revoked. Request a new one from "
                                     "the token endpoint."));
      return;
    case TokenState::unknown:
      finish(*exchange, unauthorized("The access token is not valid. Request one from "
                                     "/{tenant}/oauth2/v2.0/token."));
      return;
    }
  }
  exchange->user = user;

  // (5) service-protection limits
  if (auto throttle = limiter.admit(user, clock.steady_now())) {
    counters.record_throttled();
    auto response = service_error_response(throttle->error);
    response.headers.set("Retry-After", std::to_string(throttle->retry_after_s));
    add_rate_headers(response, user);
    finish(*exchange, std::move(response));
    return;
  }
  exchange->holds_slot = true;

  // (6) seeded faults, drawn before anything is executed
  const Fault fault = faults.draw();
  if (fault != Fault::none) {
    counters.record_fault(fault);
  }
  switch (fault) {
  case Fault::error_500:
    finish(*exchange, service_error_response(
                          ServiceError{500, "0x80040216", "An unexpected error occurred."}));
    return;
  case Fault::error_503:
    finish(*exchange, service_error_response(ServiceError{
                          503, "", "The service is temporarily unavailable. Retry the request."}));
    return;
  case Fault::reset: {
    Response response;
    response.abort_connection = true;
    finish(*exchange, std::move(response));
    return;
  }
  case Fault::revoke:
    if (!token.empty()) {
      tokens.revoke(token);
    }
    break;
  case Fault::slow:
  case Fault::none:
    break;
  }

  // (7) execute now, answer after the modelled execution time
  CallContext context;
  context.user_id = user;
  context.business_unit_id = identity.business_unit_id;
  context.organization_id = identity.organization_id;
  Response response;
  try {
    response = api->handle(request, context);
  } catch (const std::exception& error) {
    leadsync::log::get()->error("Web API failed on {} {}: {}", exchange->method, exchange->path,
                                error.what());
    response =
        service_error_response(ServiceError{500, "0x80040216", "An unexpected error occurred."});
  }
  if (!response.headers.has("REQ_ID")) {
    const auto request_id = new_guid();
    response.headers.set("REQ_ID", request_id);
    response.headers.set("x-ms-service-request-id", request_id);
  }
  const auto& latency = options.latency;
  exchange->execution_ms =
      latency.base.count() + context.records_processed * latency.per_record.count();
  const auto delay = milliseconds{exchange->execution_ms} +
                     (fault == Fault::slow ? faults.options().slow_delay : milliseconds::zero());
  if (delay <= milliseconds::zero()) {
    finish(*exchange, std::move(response));
    return;
  }
  delays.run_at(exchange->received + delay,
                [this, exchange, response = std::move(response)]() mutable {
                  finish(*exchange, std::move(response));
                });
}

// The rows every org has: the organization, its root business unit, the application user the tokens
// map to, US dollar, and the Create message with its filters for webhook registration. Only columns
// the schema defines are written; tables it does not serve are skipped.
leadsync::Status Emulator::Impl::seed_rows() {
  const auto reference = [](const std::string& id, const char* entity) {
    return Json{{"id", id}, {"entity", entity}};
  };
  std::vector<std::pair<std::string, Json>> rows{
      {"organization",
       {{"organizationid", identity.organization_id},
        {"name", identity.organization_name},
        {"expirechangetrackingindays", options.compat.change_token_days}}},
      {"businessunit",
       {{"businessunitid", identity.business_unit_id},
        {"name", identity.organization_name},
        {"organizationid", reference(identity.organization_id, "organization")}}},
      {"transactioncurrency",
       {{"transactioncurrencyid", us_dollar_id},
        {"currencyname", "US Dollar"},
        {"isocurrencycode", "USD"},
        {"currencysymbol", "$"},
        {"currencyprecision", 2},
        {"exchangerate", 1}}},
      {"sdkmessage", {{"sdkmessageid", create_message_id}, {"name", "Create"}}},
  };
  // One non-interactive (accessmode 4) systemuser per application user; applicationid holds the
  // client id when it is a GUID, as on Dataverse, so a client can find its own user.
  for (const auto& user : users) {
    const bool first = user.user_id == identity.user_id;
    const std::string name =
        first ? std::string("leadsync-emulator") : "leadsync-emulator " + user.client_id;
    Json row{{"systemuserid", user.user_id},
             {"firstname", "#"},
             {"lastname", name},
             {"fullname", "# " + name},
             {"domainname", first ? std::string("leadsync-emulator@emulator.invalid")
                                  : user.client_id + "@emulator.invalid"},
             {"accessmode", 4},
             {"isdisabled", false},
             {"businessunitid", reference(identity.business_unit_id, "businessunit")}};
    if (const auto application = leadsync::Uuid::parse(user.client_id); application.ok()) {
      row["applicationid"] = application.value().to_string();
    }
    rows.emplace_back("systemuser", std::move(row));
  }
  for (const auto& [table, filter_id] : create_filters) {
    rows.emplace_back("sdkmessagefilter",
                      Json{{"sdkmessagefilterid", filter_id},
                           {"sdkmessageid", reference(create_message_id, "sdkmessage")},
                           {"primaryobjecttypecode", table},
                           {"secondaryobjecttypecode", "none"},
                           {"iscustomprocessingstepallowed", true},
                           {"isvisible", true}});
  }
  auto txn = store->begin();
  for (auto& [logical_name, attributes] : rows) {
    const auto* entity = schema->by_logical_name(logical_name);
    if (entity == nullptr) {
      continue;
    }
    const auto id = attributes[entity->primary_id].get<std::string>();
    if (txn.find(*entity, id) != nullptr) {
      continue;
    }
    Json known = Json::object();
    for (const auto& [column, value] : attributes.items()) {
      if (entity->column(column) != nullptr) {
        known[column] = value;
      }
    }
    known[entity->primary_id] = id;
    txn.insert(*entity, std::move(known));
  }
  try {
    txn.commit();
  } catch (const std::runtime_error& error) {
    return fail(ErrorCategory::storage,
                std::string("cannot write the default rows: ") + error.what());
  }
  return leadsync::ok_status();
}

Emulator::Emulator(EmulatorOptions options) : impl_(std::make_unique<Impl>(std::move(options))) {}

Emulator::~Emulator() {
  stop();
}

leadsync::Result<std::uint16_t> Emulator::start() {
  return impl_->start();
}

void Emulator::stop() {
  impl_->stop();
}

std::string Emulator::base_url() const {
  return "http://" + impl_->host + ":" + std::to_string(impl_->port);
}

nlohmann::json Emulator::stats() const {
  return impl_->stats_json(default_ceiling_batch);
}

} // namespace dvemu
