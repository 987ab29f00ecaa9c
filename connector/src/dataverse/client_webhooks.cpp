// DataverseClient: webhook registration: a service endpoint and its step on Create of lead (section
// 11). Section numbers refer to /work/shared/dataverse-notes.md.

#include "detail/client_support.hpp"
#include "leadsync/dataverse/client.hpp"
#include "leadsync/http/url.hpp"

#include <cstdint>
#include <fmt/format.h>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace leadsync::dataverse {

using namespace detail;

namespace {

int webhook_auth_type(WebhookAuth auth) {
  // serviceendpoint.authtype (section 11).
  switch (auth) {
  case WebhookAuth::webhook_key:
    return 4;
  case WebhookAuth::http_header:
    return 5;
  case WebhookAuth::http_query_string:
    return 6;
  }
  throw std::invalid_argument("unknown WebhookAuth value");
}

} // namespace

Result<WebhookRegistration>
DataverseClient::register_webhook(const std::string& name, const std::string& url, WebhookAuth auth,
                                  const std::string& auth_value, const Scope& scope) {
  if (name.empty()) {
    return fail(ErrorCategory::invalid_argument, "a webhook needs a name");
  }
  if (!http::parse_url(url).ok()) {
    return fail(ErrorCategory::invalid_argument,
                fmt::format("the webhook URL '{}' is not an absolute http or https URL", url));
  }
  // Section 11: a serviceendpoint (contract 8, JSON) and a step on Create of lead.
  LEADSYNC_TRY(const std::string message_id,
               first_id("sdkmessages", "sdkmessageid", odata::eq("name", std::string("Create")),
                        "sdkmessage named Create", scope));
  LEADSYNC_TRY(const std::string filter_id,
               first_id("sdkmessagefilters", "sdkmessagefilterid",
                        odata::eq("primaryobjecttypecode", std::string("lead")) &&
                            odata::eq("_sdkmessageid_value", odata::Guid{message_id}),
                        "sdkmessagefilter for Create of lead", scope));
  WebhookRegistration registration;
  LEADSYNC_TRY(registration.service_endpoint_id, create("serviceendpoints",
                                                        Json{{"name", name},
                                                             {"url", url},
                                                             {"contract", 8},
                                                             {"authtype", webhook_auth_type(auth)},
                                                             {"authvalue", auth_value},
                                                             {"messageformat", 2}},
                                                        scope));
  auto step_id =
      create("sdkmessageprocessingsteps",
             Json{{"name", name + ": Create of lead"},
                  {"eventhandler_serviceendpoint@odata.bind",
                   "/serviceendpoints(" + registration.service_endpoint_id + ")"},
                  {"sdkmessageid@odata.bind", "/sdkmessages(" + message_id + ")"},
                  {"sdkmessagefilterid@odata.bind", "/sdkmessagefilters(" + filter_id + ")"},
                  {"stage", 40},
                  {"mode", 1},
                  {"rank", 1},
                  {"supporteddeployment", 0}},
             scope);
  if (!step_id.ok()) {
    // Leave no endpoint behind that nothing triggers; the step's error is the one to report.
    (void)remove("serviceendpoints", "(" + registration.service_endpoint_id + ")", {}, scope);
    return step_id.error();
  }
  registration.step_id = std::move(step_id).value();
  return registration;
}

Status DataverseClient::unregister_webhook(const WebhookRegistration& registration,
                                           const Scope& scope) {
  // The step first: an endpoint that a step still uses cannot be deleted. Rows already gone are
  // fine, so unregistering twice succeeds.
  const std::pair<const char*, const std::string*> rows[] = {
      {"sdkmessageprocessingsteps", &registration.step_id},
      {"serviceendpoints", &registration.service_endpoint_id}};
  for (const auto& [entity_set, id] : rows) {
    if (id->empty()) {
      continue; // an endpoint without a step
    }
    LEADSYNC_TRY(const std::string key, odata::key_by_id(*id));
    const auto removed = remove(entity_set, key, {}, scope);
    if (!removed.ok() && removed.error().http_status != 404) {
      return removed.error();
    }
  }
  return ok_status();
}

Result<std::vector<RegisteredWebhook>> DataverseClient::list_webhooks(const Scope& scope) {
  // Columns may be null (a step without a name): read them leniently.
  const auto text = [](const Json& row, const char* key) {
    const auto found = row.find(key);
    return found != row.end() && found->is_string() ? found->get<std::string>() : std::string();
  };
  const auto number = [](const Json& row, const char* key) {
    const auto found = row.find(key);
    return found != row.end() && found->is_number_integer() ? found->get<int>() : 0;
  };
  odata::Query endpoints;
  endpoints.select = {"serviceendpointid", "name", "url", "authtype"};
  endpoints.filter = odata::eq("contract", std::int64_t{8});
  LEADSYNC_TRY(const auto rows, retrieve_all("serviceendpoints", endpoints, scope));
  std::vector<RegisteredWebhook> webhooks;
  for (const Json& row : rows) {
    RegisteredWebhook webhook;
    webhook.service_endpoint_id = text(row, "serviceendpointid");
    webhook.name = text(row, "name");
    webhook.url = text(row, "url");
    webhook.authtype = number(row, "authtype");
    odata::Query steps;
    steps.select = {"sdkmessageprocessingstepid", "name", "stage", "mode"};
    steps.filter = odata::eq("_eventhandler_value", odata::Guid{webhook.service_endpoint_id});
    LEADSYNC_TRY(const auto step_rows, retrieve_all("sdkmessageprocessingsteps", steps, scope));
    for (const Json& step : step_rows) {
      webhook.steps.push_back({.id = text(step, "sdkmessageprocessingstepid"),
                               .name = text(step, "name"),
                               .stage = number(step, "stage"),
                               .mode = number(step, "mode")});
    }
    webhooks.push_back(std::move(webhook));
  }
  return webhooks;
}

} // namespace leadsync::dataverse
