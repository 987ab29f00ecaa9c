// DataverseClient: each operation is one Web API request (or a short series of them) built exactly
// as /work/shared/dataverse-notes.md describes; section numbers below refer to the notes.

#include "leadsync/dataverse/client.hpp"

#include "leadsync/core/uuid.hpp"
#include "leadsync/http/url.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <fmt/format.h>
#include <iterator>
#include <map>
#include <stdexcept>
#include <utility>

namespace leadsync::dataverse {

namespace {

constexpr std::string_view request_id_header = "x-ms-client-request-id";
constexpr std::string_view json_content_type = "application/json; charset=utf-8";
constexpr std::string_view action_prefix = "Microsoft.Dynamics.CRM.";
constexpr int largest_page_size = 5000; // section 4: a page never holds more
// ExpiredVersionStamp (section 7): the delta token is older than the org keeps changes.
constexpr std::string_view expired_version_stamp_code = "0x80044352";
constexpr std::string_view expired_version_stamp_message =
    "Version stamp associated with the client has expired";

bool is_success(int status) {
  return status >= 200 && status < 300;
}

bool is_letter(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

// Entity sets, logical names and column names: [A-Za-z_][A-Za-z0-9_]*. Checked so that no caller
// value can change the shape of a URL.
bool is_name(std::string_view text) {
  return !text.empty() && (is_letter(text.front()) || text.front() == '_') &&
         std::all_of(text.begin(), text.end(),
                     [](char c) { return is_letter(c) || is_digit(c) || c == '_'; });
}

Status check_name(std::string_view name, std::string_view what) {
  if (is_name(name)) {
    return ok_status();
  }
  return fail(ErrorCategory::invalid_argument,
              fmt::format("'{}' is not a valid {}: use the logical name (letters, digits and '_')",
                          name, what));
}

// Key predicates come from odata::key_by_id / key_by_alternate: "(...)" without spaces.
Status check_key(std::string_view key) {
  const bool well_formed = key.size() > 2 && key.front() == '(' && key.back() == ')' &&
                           std::none_of(key.begin(), key.end(), [](unsigned char c) {
                             return c <= 0x20 || c == 0x7f || c == '?' || c == '#';
                           });
  if (well_formed) {
    return ok_status();
  }
  return fail(ErrorCategory::invalid_argument,
              fmt::format("'{}' is not a key predicate: build it with odata::key_by_id or "
                          "odata::key_by_alternate",
                          key));
}

bool iequals(std::string_view a, std::string_view b) {
  return http::iequals(a, b);
}

Result<std::string> checked_guid(std::string_view id, std::string_view what) {
  auto parsed = Uuid::parse(id);
  if (!parsed.ok()) {
    return fail(ErrorCategory::invalid_argument,
                fmt::format("'{}' is not a valid {}: a Dataverse id is a GUID written as "
                            "8-4-4-4-12 hexadecimal digits",
                            id, what));
  }
  return parsed->to_string();
}

Result<std::string> json_text(const Json& value) {
  try {
    return value.dump();
  } catch (const Json::type_error&) {
    return fail(ErrorCategory::invalid_argument,
                "the row holds text that is not valid UTF-8; convert it to UTF-8 before sending");
  }
}

Failure protocol_error(std::string message, int http_status) {
  Error error = Error::make(ErrorCategory::protocol, std::move(message));
  error.http_status = http_status;
  return Failure{std::move(error)};
}

Result<std::string> string_member(const Json& object, const char* name, std::string_view what,
                                  int http_status) {
  const auto member = object.find(name);
  if (member == object.end() || !member->is_string()) {
    return protocol_error(fmt::format("the {} response has no string \"{}\"", what, name),
                          http_status);
  }
  return member->get<std::string>();
}

// The value of a parameter such as error_description="..." in a WWW-Authenticate challenge.
std::string challenge_parameter(std::string_view challenge, std::string_view name) {
  const std::string needle = std::string(name) + "=\"";
  const auto start = challenge.find(needle);
  if (start == std::string_view::npos) {
    return {};
  }
  const auto value_start = start + needle.size();
  const auto end = challenge.find('"', value_start);
  if (end == std::string_view::npos) {
    return {};
  }
  return std::string(challenge.substr(value_start, end - value_start));
}

Error response_error(const http::Response& response, const std::string& request_id) {
  Error error = odata::error_from_response(response);
  error.request_id = request_id;
  // Dataverse answers 401 with an empty body; the reason is only in the challenge.
  if (response.status == 401 && error.message == http::reason_phrase(401)) {
    const auto challenge = response.headers.get("WWW-Authenticate");
    if (const auto description = challenge_parameter(challenge.value_or(""), "error_description");
        !description.empty()) {
      error.message += ": " + description;
    }
  }
  return error;
}

// A multi-page read stopped between two pages: what was read is dropped, nothing was changed.
Failure cancelled_between_pages(std::string_view what, std::size_t rows_read) {
  return fail(ErrorCategory::cancelled,
              fmt::format("the read of {} was cancelled after {} row(s), between two pages",
                          what.empty() ? std::string_view("the delta link") : what, rows_read));
}

std::string bulk_url_suffix(std::string_view message) {
  return "/" + std::string(action_prefix) + std::string(message);
}

Result<std::string> bulk_body(const std::string& logical_name, std::vector<Json> targets,
                              std::string_view message) {
  LEADSYNC_CHECK(check_name(logical_name, "table logical name"));
  if (targets.empty()) {
    return fail(ErrorCategory::invalid_argument,
                fmt::format("{} needs at least one target row", message));
  }
  const std::string type = std::string(action_prefix) + logical_name;
  for (std::size_t i = 0; i < targets.size(); ++i) {
    if (!targets[i].is_object()) {
      return fail(ErrorCategory::invalid_argument,
                  fmt::format("{} target {} is a JSON {}, not an object of columns", message, i,
                              targets[i].type_name()));
    }
    targets[i]["@odata.type"] = type;
  }
  return json_text(Json{{"Targets", std::move(targets)}});
}

// "#Microsoft.Dynamics.CRM.account" -> "account".
std::string entity_from_type(std::string_view type) {
  if (type.starts_with('#')) {
    type.remove_prefix(1);
  }
  if (type.starts_with(action_prefix)) {
    type.remove_prefix(action_prefix.size());
  }
  return std::string(type);
}

Result<KeyIndexStatus> key_index_status(const std::string& text, int http_status) {
  // EntityKeyIndexStatus members (section 3, [ALTDEF]).
  static constexpr std::array<std::pair<std::string_view, KeyIndexStatus>, 4> statuses{{
      {"Pending", KeyIndexStatus::pending},
      {"InProgress", KeyIndexStatus::in_progress},
      {"Active", KeyIndexStatus::active},
      {"Failed", KeyIndexStatus::failed},
  }};
  for (const auto& [name, status] : statuses) {
    if (iequals(text, name)) {
      return status;
    }
  }
  return protocol_error(fmt::format("the alternate key has the unknown EntityKeyIndexStatus '{}' "
                                    "(expected Pending, InProgress, Active or Failed)",
                                    text),
                        http_status);
}

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

// Only reads, and writes addressed by key, can be repeated without doing the work twice.
bool batch_is_idempotent(const odata::BatchRequest& request) {
  return std::all_of(request.parts.begin(), request.parts.end(), [](const odata::BatchPart& part) {
    return std::all_of(
        part.operations.begin(), part.operations.end(), [](const odata::BatchOperation& operation) {
          const bool keyed_write = operation.method == "PATCH" || operation.method == "PUT" ||
                                   operation.method == "DELETE";
          const bool by_reference = operation.url.starts_with('$');
          return operation.method == "GET" || (keyed_write && !by_reference);
        });
  });
}

} // namespace

DataverseClient::DataverseClient(ClientOptions options, std::shared_ptr<http::Pipeline> pipeline,
                                 std::shared_ptr<http::ConcurrencyLimiter> limiter, Random& random)
    : options_(std::move(options)), pipeline_(std::move(pipeline)), limiter_(std::move(limiter)),
      random_(random) {
  if (!pipeline_) {
    throw std::invalid_argument("DataverseClient needs a pipeline");
  }
  if (options_.max_page_size < 1 || options_.max_page_size > largest_page_size) {
    throw std::invalid_argument("ClientOptions::max_page_size must be between 1 and 5000");
  }
  while (!options_.url.empty() && options_.url.back() == '/') {
    options_.url.pop_back();
  }
}

std::string DataverseClient::service_root() const {
  return options_.url + "/api/data/v" + options_.api_version + "/";
}

http::Request DataverseClient::make_request(std::string method, std::string url) const {
  http::Request request;
  request.method = std::move(method);
  request.url = std::move(url);
  // Section 12: the headers every request sends.
  request.headers.set("Accept", "application/json");
  request.headers.set("OData-MaxVersion", "4.0");
  request.headers.set("OData-Version", "4.0");
  if (request.method == "GET") {
    request.headers.set("If-None-Match", "null");
  }
  return request;
}

Status DataverseClient::set_json_body(http::Request& request, const Json& body) {
  LEADSYNC_TRY(request.body, json_text(body));
  request.headers.set("Content-Type", std::string(json_content_type));
  return ok_status();
}

std::string DataverseClient::assign_request_id(http::Request& request) {
  if (auto existing = request.headers.get(request_id_header); existing && !existing->empty()) {
    return *existing;
  }
  std::string id = Uuid::generate_v4(random_).to_string();
  request.headers.set(std::string(request_id_header), id);
  return id;
}

Result<http::Response> DataverseClient::send_any_status(http::Request request, bool idempotent,
                                                        const Scope& scope) {
  const std::string request_id = assign_request_id(request);
  if (scope.deadline && (!request.deadline || *scope.deadline < *request.deadline)) {
    request.deadline = scope.deadline;
  }
  http::CallContext context;
  context.cancel = scope.cancel;
  context.idempotent = idempotent;
  context.stats = scope.stats;
  auto result = pipeline_->send(std::move(request), std::move(context));
  if (!result.ok()) {
    Error error = result.error();
    if (error.request_id.empty()) {
      error.request_id = request_id;
    }
    return error;
  }
  return result;
}

Result<http::Response> DataverseClient::send(http::Request request, bool idempotent,
                                             const Scope& scope) {
  const std::string request_id = assign_request_id(request);
  LEADSYNC_TRY(http::Response response, send_any_status(std::move(request), idempotent, scope));
  if (!is_success(response.status)) {
    return response_error(response, request_id);
  }
  return response;
}

Status DataverseClient::check_service_link(const std::string& link, std::string_view what) const {
  const auto link_url = http::parse_url(link);
  const auto root = http::parse_url(service_root());
  const bool inside = link_url.ok() && root.ok() && link_url->scheme == root->scheme &&
                      link_url->host == root->host && link_url->port == root->port &&
                      link_url->path.starts_with(root->path);
  if (inside) {
    return ok_status();
  }
  // The link would carry our bearer token: follow it only within the organization's Web API.
  return protocol_error(fmt::format("the service returned an {} outside {}; refusing to follow it",
                                    what, service_root()),
                        0);
}

Result<WhoAmIResult> DataverseClient::who_am_i(const CancellationToken& cancel) {
  Scope scope;
  scope.cancel = cancel;
  return who_am_i(scope);
}

Result<WhoAmIResult> DataverseClient::who_am_i(const Scope& scope) {
  LEADSYNC_TRY(const http::Response response,
               send(make_request("GET", service_root() + "WhoAmI"), true, scope));
  LEADSYNC_TRY(const Json body, odata::parse_entity(response));
  WhoAmIResult result;
  LEADSYNC_TRY(result.user_id, string_member(body, "UserId", "WhoAmI", response.status));
  LEADSYNC_TRY(result.business_unit_id,
               string_member(body, "BusinessUnitId", "WhoAmI", response.status));
  LEADSYNC_TRY(result.organization_id,
               string_member(body, "OrganizationId", "WhoAmI", response.status));
  // Section 8: x-ms-dop-hint is the recommended degree of parallelism.
  if (const auto hint = response.headers.get("x-ms-dop-hint")) {
    int value = 0;
    const auto [end, ec] = std::from_chars(hint->data(), hint->data() + hint->size(), value);
    if (ec == std::errc{} && end == hint->data() + hint->size() && value > 0) {
      result.dop_hint = value;
      if (limiter_) {
        limiter_->set_hint(value);
      }
    }
  }
  return result;
}

Result<std::string> DataverseClient::create(const std::string& entity_set, const Json& row,
                                            const Scope& scope) {
  LEADSYNC_CHECK(check_name(entity_set, "entity set name"));
  auto request = make_request("POST", service_root() + entity_set);
  LEADSYNC_CHECK(set_json_body(request, row));
  LEADSYNC_TRY(const http::Response response, send(std::move(request), false, scope));
  // Section 3: 204 with OData-EntityId naming the new row.
  return odata::entity_id_from_header(response);
}

Result<Json> DataverseClient::create_and_return(const std::string& entity_set, const Json& row,
                                                const std::vector<std::string>& select,
                                                const Scope& scope) {
  LEADSYNC_CHECK(check_name(entity_set, "entity set name"));
  odata::Query query;
  query.select = select;
  LEADSYNC_TRY(const std::string query_string, query.to_query_string());
  auto request = make_request("POST", service_root() + entity_set +
                                          (query_string.empty() ? "" : "?" + query_string));
  request.headers.set("Prefer", "return=representation");
  LEADSYNC_CHECK(set_json_body(request, row));
  LEADSYNC_TRY(const http::Response response, send(std::move(request), false, scope));
  return odata::parse_entity(response);
}

Result<Json> DataverseClient::retrieve(const std::string& entity_set, const std::string& key,
                                       const odata::Query& query, const Scope& scope) {
  LEADSYNC_CHECK(check_name(entity_set, "entity set name"));
  LEADSYNC_CHECK(check_key(key));
  LEADSYNC_TRY(const std::string query_string, query.to_query_string());
  auto request = make_request("GET", service_root() + entity_set + key +
                                         (query_string.empty() ? "" : "?" + query_string));
  LEADSYNC_TRY(const http::Response response, send(std::move(request), true, scope));
  return odata::parse_entity(response);
}

Result<odata::CollectionPage> DataverseClient::read_page(std::string url, std::string prefer,
                                                         const Scope& scope) {
  auto request = make_request("GET", std::move(url));
  request.headers.set("Prefer", std::move(prefer));
  LEADSYNC_TRY(const http::Response response, send(std::move(request), true, scope));
  return odata::parse_collection(response);
}

Result<odata::CollectionPage> DataverseClient::retrieve_page(const std::string& entity_set,
                                                             const odata::Query& query,
                                                             const std::string& next_link,
                                                             const Scope& scope) {
  const std::string prefer = fmt::format("odata.maxpagesize={}", options_.max_page_size);
  if (!next_link.empty()) {
    // Section 4: follow the nextLink as given, with the same page size preference.
    LEADSYNC_CHECK(check_service_link(next_link, "@odata.nextLink"));
    return read_page(next_link, prefer, scope);
  }
  LEADSYNC_CHECK(check_name(entity_set, "entity set name"));
  LEADSYNC_TRY(const std::string query_string, query.to_query_string());
  return read_page(service_root() + entity_set + (query_string.empty() ? "" : "?" + query_string),
                   prefer, scope);
}

Result<std::vector<Json>> DataverseClient::retrieve_all(const std::string& entity_set,
                                                        const odata::Query& query,
                                                        const Scope& scope) {
  std::vector<Json> rows;
  std::string next_link;
  do {
    if (!next_link.empty() && scope.cancel.cancelled()) {
      return cancelled_between_pages(entity_set, rows.size());
    }
    LEADSYNC_TRY(odata::CollectionPage page, retrieve_page(entity_set, query, next_link, scope));
    if (!page.next_link.empty() && page.next_link == next_link) {
      return protocol_error("the service returned the same @odata.nextLink twice; stopping "
                            "instead of reading the same page forever",
                            0);
    }
    std::move(page.rows.begin(), page.rows.end(), std::back_inserter(rows));
    next_link = std::move(page.next_link);
  } while (!next_link.empty());
  return rows;
}

Status DataverseClient::update(const std::string& entity_set, const std::string& key,
                               const Json& changes, const std::string& if_match_etag,
                               const Scope& scope) {
  LEADSYNC_CHECK(check_name(entity_set, "entity set name"));
  LEADSYNC_CHECK(check_key(key));
  auto request = make_request("PATCH", service_root() + entity_set + key);
  // Section 3: If-Match: * makes the PATCH a pure update, so a missing row is never created.
  request.headers.set("If-Match", if_match_etag.empty() ? "*" : if_match_etag);
  LEADSYNC_CHECK(set_json_body(request, changes));
  LEADSYNC_TRY(const http::Response response, send(std::move(request), true, scope));
  return ok_status();
}

Status DataverseClient::upsert(const std::string& entity_set, const std::string& key,
                               const Json& row, UpsertMode mode, const Scope& scope) {
  LEADSYNC_CHECK(check_name(entity_set, "entity set name"));
  LEADSYNC_CHECK(check_key(key));
  auto request = make_request("PATCH", service_root() + entity_set + key);
  switch (mode) {
  case UpsertMode::create_or_update:
    break;
  case UpsertMode::update_only:
    request.headers.set("If-Match", "*");
    break;
  case UpsertMode::create_only:
    request.headers.set("If-None-Match", "*");
    break;
  }
  LEADSYNC_CHECK(set_json_body(request, row));
  LEADSYNC_TRY(const http::Response response, send(std::move(request), true, scope));
  return ok_status();
}

Status DataverseClient::remove(const std::string& entity_set, const std::string& key,
                               const std::string& if_match_etag, const Scope& scope) {
  LEADSYNC_CHECK(check_name(entity_set, "entity set name"));
  LEADSYNC_CHECK(check_key(key));
  auto request = make_request("DELETE", service_root() + entity_set + key);
  if (!if_match_etag.empty()) {
    request.headers.set("If-Match", if_match_etag);
  }
  LEADSYNC_TRY(const http::Response response, send(std::move(request), true, scope));
  return ok_status();
}

Result<std::vector<std::string>> DataverseClient::create_multiple(const std::string& entity_set,
                                                                  const std::string& logical_name,
                                                                  std::vector<Json> targets,
                                                                  const Scope& scope) {
  LEADSYNC_CHECK(check_name(entity_set, "entity set name"));
  auto request =
      make_request("POST", service_root() + entity_set + bulk_url_suffix("CreateMultiple"));
  LEADSYNC_TRY(request.body, bulk_body(logical_name, std::move(targets), "CreateMultiple"));
  request.headers.set("Content-Type", std::string(json_content_type));
  LEADSYNC_TRY(const http::Response response, send(std::move(request), false, scope));
  // Section 6: {"Ids":[...]} in the order of the targets.
  LEADSYNC_TRY(const Json body, odata::parse_entity(response));
  const auto ids = body.find("Ids");
  if (ids == body.end() || !ids->is_array()) {
    return protocol_error("the CreateMultiple response has no \"Ids\" array", response.status);
  }
  std::vector<std::string> result;
  for (const Json& id : *ids) {
    if (!id.is_string()) {
      return protocol_error("the CreateMultiple response has an id that is not a string",
                            response.status);
    }
    result.push_back(id.get<std::string>());
  }
  return result;
}

Status DataverseClient::update_multiple(const std::string& entity_set,
                                        const std::string& logical_name, std::vector<Json> targets,
                                        const Scope& scope) {
  LEADSYNC_CHECK(check_name(entity_set, "entity set name"));
  auto request =
      make_request("POST", service_root() + entity_set + bulk_url_suffix("UpdateMultiple"));
  LEADSYNC_TRY(request.body, bulk_body(logical_name, std::move(targets), "UpdateMultiple"));
  request.headers.set("Content-Type", std::string(json_content_type));
  LEADSYNC_TRY(const http::Response response, send(std::move(request), true, scope));
  return ok_status();
}

Status DataverseClient::upsert_multiple(const std::string& entity_set,
                                        const std::string& logical_name, std::vector<Json> targets,
                                        const Scope& scope) {
  LEADSYNC_CHECK(check_name(entity_set, "entity set name"));
  auto request =
      make_request("POST", service_root() + entity_set + bulk_url_suffix("UpsertMultiple"));
  LEADSYNC_TRY(request.body, bulk_body(logical_name, std::move(targets), "UpsertMultiple"));
  request.headers.set("Content-Type", std::string(json_content_type));
  LEADSYNC_TRY(const http::Response response, send(std::move(request), true, scope));
  return ok_status();
}

Result<std::string> DataverseClient::alternate_key_id(const std::string& entity_set,
                                                      const std::string& key_column,
                                                      const std::string& value) {
  LEADSYNC_CHECK(check_name(entity_set, "entity set name"));
  // key_by_alternate refuses the characters Dataverse cannot take in a key; the id itself goes in
  // a JSON body, so it is written without percent-encoding.
  if (auto checked = odata::key_by_alternate({{key_column, value}}); !checked.ok()) {
    return checked.error();
  }
  return entity_set + "(" + key_column + "=" + odata::quote_string(value) + ")";
}

Result<std::vector<odata::OperationResult>>
DataverseClient::batch(const odata::BatchRequest& request, const Scope& scope) {
  LEADSYNC_TRY(const odata::EncodedBatch encoded,
               odata::encode_batch(request, "/api/data/v" + options_.api_version + "/", random_));
  auto http_request = make_request("POST", service_root() + "$batch");
  http_request.headers.set("Content-Type", encoded.content_type);
  if (!encoded.prefer.empty()) {
    http_request.headers.set("Prefer", encoded.prefer);
  }
  http_request.body = encoded.body;
  const std::string request_id = assign_request_id(http_request);
  LEADSYNC_TRY(const http::Response response,
               send_any_status(std::move(http_request), batch_is_idempotent(request), scope));
  // Section 5: without continue-on-error a failure is answered with its own status and a
  // multipart body holding the failing part; the decoder reads both.
  const auto content_type = response.headers.get("Content-Type").value_or("");
  if (!is_success(response.status) && !content_type.starts_with("multipart/")) {
    return response_error(response, request_id);
  }
  return odata::decode_batch_response(response);
}

Result<std::vector<CreatedReference>> DataverseClient::qualify_lead(const std::string& lead_id,
                                                                    const QualifyOptions& options,
                                                                    const Scope& scope) {
  LEADSYNC_TRY(const std::string key, odata::key_by_id(lead_id));
  // Section 2: QualifyLead parameters; entity parameters are objects with @odata.type.
  Json body = {{"CreateAccount", options.create_account},
               {"CreateContact", options.create_contact},
               {"CreateOpportunity", options.create_opportunity},
               {"Status", options.status}};
  if (!options.currency_id.empty()) {
    LEADSYNC_TRY(const std::string id, checked_guid(options.currency_id, "currency id"));
    body["OpportunityCurrencyId"] = {
        {"@odata.type", std::string(action_prefix) + "transactioncurrency"},
        {"transactioncurrencyid", id}};
  }
  if (!options.customer_id.empty()) {
    if (options.customer_entity != "account" && options.customer_entity != "contact") {
      return fail(ErrorCategory::invalid_argument,
                  fmt::format("the opportunity customer must be an \"account\" or a \"contact\" "
                              "(got \"{}\")",
                              options.customer_entity));
    }
    LEADSYNC_TRY(const std::string id, checked_guid(options.customer_id, "customer id"));
    body["OpportunityCustomerId"] = {
        {"@odata.type", std::string(action_prefix) + options.customer_entity},
        {options.customer_entity + "id", id}};
  }
  if (!options.source_campaign_id.empty()) {
    LEADSYNC_TRY(const std::string id, checked_guid(options.source_campaign_id, "campaign id"));
    body["SourceCampaignId"] = {{"@odata.type", std::string(action_prefix) + "campaign"},
                                {"campaignid", id}};
  }
  auto request = make_request("POST", service_root() + "leads" + key + "/" +
                                          std::string(action_prefix) + "QualifyLead");
  LEADSYNC_CHECK(set_json_body(request, body));
  LEADSYNC_TRY(const http::Response response, send(std::move(request), false, scope));
  LEADSYNC_TRY(const odata::CollectionPage created, odata::parse_collection(response));
  std::vector<CreatedReference> references;
  for (const Json& row : created.rows) {
    LEADSYNC_TRY(const std::string type,
                 string_member(row, "@odata.type", "QualifyLead", response.status));
    CreatedReference reference;
    reference.entity = entity_from_type(type);
    LEADSYNC_TRY(reference.id, string_member(row, (reference.entity + "id").c_str(), "QualifyLead",
                                             response.status));
    references.push_back(std::move(reference));
  }
  return references;
}

Status DataverseClient::set_lead_state(const std::string& lead_id, int state_code, int status_code,
                                       const Scope& scope) {
  LEADSYNC_TRY(const std::string key, odata::key_by_id(lead_id));
  // Section 2: statecode and statuscode always together; If-Match: * so a missing lead is an
  // error instead of a new, empty lead.
  return update("leads", key, Json{{"statecode", state_code}, {"statuscode", status_code}}, {},
                scope);
}

Status DataverseClient::disqualify_lead(const std::string& lead_id, int status_code,
                                        const Scope& scope) {
  if (status_code < 4 || status_code > 7) {
    return fail(ErrorCategory::invalid_argument,
                fmt::format("{} is not a status code for a disqualified lead: use 4 (Lost), "
                            "5 (Cannot Contact), 6 (No Longer Interested) or 7 (Canceled)",
                            status_code));
  }
  return set_lead_state(lead_id, 2, status_code, scope);
}

Status DataverseClient::reactivate_lead(const std::string& lead_id, const Scope& scope) {
  return set_lead_state(lead_id, 0, 1, scope);
}

Status DataverseClient::upsert_predictive_score(const std::string& lead_id,
                                                const PredictiveScore& score, const Scope& scope) {
  LEADSYNC_TRY(const std::string lead, checked_guid(lead_id, "lead id"));
  if (score.grade < 0 || score.grade > 3) {
    return fail(ErrorCategory::invalid_argument,
                fmt::format("{} is not a predictive score grade: use 0 (Grade A), 1 (Grade B), "
                            "2 (Grade C) or 3 (Grade D)",
                            score.grade));
  }
  if (score.trend < 0 || score.trend > 3) {
    return fail(ErrorCategory::invalid_argument,
                fmt::format("{} is not a predictive score trend: use 0 (Improving), 1 (Steady), "
                            "2 (Declining) or 3 (Not enough info)",
                            score.trend));
  }
  constexpr std::size_t max_reasons = 10'000; // msdyn_scorereasons is a memo of 10,000
  if (score.reasons.size() > max_reasons) {
    return fail(ErrorCategory::invalid_argument,
                fmt::format("the score reasons are {} characters; msdyn_scorereasons holds at most "
                            "{}",
                            score.reasons.size(), max_reasons));
  }
  LEADSYNC_TRY(
      const std::string key,
      odata::key_by_alternate({{"msdyn_entityid", odata::Literal{lead}},
                               {"msdyn_entitytype", odata::Literal{std::string("lead")}}}));
  // The key columns come from the URL: Dataverse copies them into a new row and drops them from
  // the body of an update [UPSERT].
  Json row = {{"msdyn_score", score.score},
              {"msdyn_grade", score.grade},
              {"msdyn_scoretrend", score.trend}};
  if (!score.reasons.empty()) {
    row["msdyn_scorereasons"] = score.reasons;
  }
  if (!score.scored_on.empty()) {
    row["msdyn_scoredon"] = score.scored_on;
  }
  return upsert("msdyn_predictivescores", key, row, UpsertMode::create_or_update, scope);
}

Status DataverseClient::merge_leads(const std::string& target_id, const std::string& subordinate_id,
                                    const Json& update_content, bool perform_parenting_checks,
                                    const Scope& scope) {
  LEADSYNC_TRY(const std::string target, checked_guid(target_id, "target lead id"));
  LEADSYNC_TRY(const std::string subordinate, checked_guid(subordinate_id, "subordinate lead id"));
  if (target == subordinate) {
    return fail(
        ErrorCategory::invalid_argument,
        fmt::format("lead {} cannot be merged into itself: name two different leads", target));
  }
  if (!update_content.is_object()) {
    return fail(ErrorCategory::invalid_argument,
                fmt::format("the merge's update content is a JSON {}, not an object of the "
                            "target's columns",
                            update_content.type_name()));
  }
  // Merge is unbound; Target, Subordinate and UpdateContent are typed by @odata.type because the
  // parameters are crmbaseentity (merge-entity-using-web-api).
  const std::string lead_type = std::string(action_prefix) + "lead";
  Json body = {{"Target", {{"@odata.type", lead_type}, {"leadid", target}}},
               {"Subordinate", {{"@odata.type", lead_type}, {"leadid", subordinate}}},
               {"PerformParentingChecks", perform_parenting_checks}};
  if (!update_content.empty()) {
    Json content = update_content;
    content["@odata.type"] = lead_type;
    body["UpdateContent"] = std::move(content);
  }
  auto request = make_request("POST", service_root() + "Merge");
  LEADSYNC_CHECK(set_json_body(request, body));
  // Not idempotent: a second Merge of the same subordinate is refused, so a lost answer is not
  // resent blindly; the caller checks the subordinate's merged/masterid instead.
  LEADSYNC_TRY(const http::Response response, send(std::move(request), false, scope));
  return ok_status();
}

Result<ChangeBatch> DataverseClient::track_changes(const std::string& entity_set,
                                                   const std::vector<std::string>& select,
                                                   const std::string& delta_link,
                                                   const Scope& scope) {
  const std::string prefer =
      fmt::format("odata.track-changes,odata.maxpagesize={}", options_.max_page_size);
  std::string url;
  if (delta_link.empty()) {
    // Section 7: $filter, $orderby, $expand and $top are not allowed with change tracking.
    LEADSYNC_CHECK(check_name(entity_set, "entity set name"));
    odata::Query query;
    query.select = select;
    LEADSYNC_TRY(const std::string query_string, query.to_query_string());
    url = service_root() + entity_set + (query_string.empty() ? "" : "?" + query_string);
  } else {
    LEADSYNC_CHECK(check_service_link(delta_link, "@odata.deltaLink"));
    url = delta_link;
  }
  ChangeBatch changes;
  for (bool first_page = true;; first_page = false) {
    if (!first_page && scope.cancel.cancelled()) {
      return cancelled_between_pages(entity_set, changes.changed.size() + changes.deleted.size());
    }
    LEADSYNC_TRY(odata::CollectionPage page, read_page(url, prefer, scope));
    std::move(page.rows.begin(), page.rows.end(), std::back_inserter(changes.changed));
    std::move(page.deleted.begin(), page.deleted.end(), std::back_inserter(changes.deleted));
    if (page.next_link.empty()) {
      changes.delta_link = std::move(page.delta_link);
      break;
    }
    if (page.next_link == url) {
      return protocol_error("the service returned the same @odata.nextLink twice while tracking "
                            "changes; stopping instead of reading the same page forever",
                            0);
    }
    LEADSYNC_CHECK(check_service_link(page.next_link, "@odata.nextLink"));
    url = std::move(page.next_link);
  }
  if (changes.delta_link.empty()) {
    return protocol_error(
        fmt::format("the change-tracking read of {} ended without an @odata.deltaLink; is change "
                    "tracking enabled for the table (\"Track changes\" in its properties)?",
                    entity_set.empty() ? "the delta link" : entity_set),
        0);
  }
  return changes;
}

bool DataverseClient::is_expired_delta_token(const Error& error) {
  return iequals(error.service_code, expired_version_stamp_code) ||
         error.message.find(expired_version_stamp_message) != std::string::npos;
}

// Table definitions by name:
// https://learn.microsoft.com/en-us/power-apps/developer/data-platform/webapi/retrieve-metadata-name-metadataid
// (EntityDefinitions(LogicalName='account')/Attributes(LogicalName='emailaddress1')); keys are the
// Keys collection of EntityMetadata, each an EntityKeyMetadata with EntityKeyIndexStatus
// (https://learn.microsoft.com/en-us/dotnet/api/microsoft.xrm.sdk.metadata.entitykeymetadata.entitykeyindexstatus).
Result<bool> DataverseClient::column_exists(const std::string& logical_name,
                                            const std::string& column, const Scope& scope) {
  LEADSYNC_CHECK(check_name(logical_name, "table logical name"));
  LEADSYNC_CHECK(check_name(column, "column logical name"));
  auto request =
      make_request("GET", service_root() + "EntityDefinitions(LogicalName='" + logical_name +
                              "')/Attributes(LogicalName='" + column + "')?$select=LogicalName");
  auto response = send(std::move(request), true, scope);
  if (!response.ok()) {
    if (response.error().http_status == 404) {
      return false;
    }
    return response.error();
  }
  return true;
}

Result<KeyIndexStatus> DataverseClient::alternate_key_status(const std::string& logical_name,
                                                             const std::string& key_name,
                                                             const Scope& scope) {
  LEADSYNC_CHECK(check_name(logical_name, "table logical name"));
  LEADSYNC_CHECK(check_name(key_name, "alternate key name"));
  auto request = make_request(
      "GET", service_root() + "EntityDefinitions(LogicalName='" + logical_name +
                 "')/Keys?$select=SchemaName,LogicalName,KeyAttributes,EntityKeyIndexStatus");
  LEADSYNC_TRY(const http::Response response, send(std::move(request), true, scope));
  LEADSYNC_TRY(const odata::CollectionPage keys, odata::parse_collection(response));
  for (const Json& key : keys.rows) {
    const auto schema_name = key.value("SchemaName", std::string());
    const auto key_logical_name = key.value("LogicalName", std::string());
    // Power Apps names a key after its display name and the publisher prefix, so a key whose one
    // column has the name asked for counts too: leadsync names its key after its column.
    const auto columns = key.find("KeyAttributes");
    const bool on_that_column = columns != key.end() && columns->is_array() &&
                                columns->size() == 1 && columns->front().is_string() &&
                                iequals(columns->front().get<std::string>(), key_name);
    if (iequals(schema_name, key_name) || iequals(key_logical_name, key_name) || on_that_column) {
      LEADSYNC_TRY(const std::string status,
                   string_member(key, "EntityKeyIndexStatus", "alternate key", response.status));
      return key_index_status(status, response.status);
    }
  }
  return KeyIndexStatus::missing;
}

// MaxLength is a property of the derived StringAttributeMetadata and MemoAttributeMetadata types,
// not of AttributeMetadata, so $select can name it only after a cast segment
// (https://learn.microsoft.com/power-apps/developer/data-platform/webapi/query-metadata-web-api,
// "Retrieving attributes"): EntityDefinitions(LogicalName='lead')/Attributes/
// Microsoft.Dynamics.CRM.StringAttributeMetadata?$select=LogicalName,MaxLength lists the String
// columns only. Table definitions are not paged.
Result<std::vector<ColumnDefinition>>
DataverseClient::table_columns(const std::string& logical_name, const Scope& scope) {
  LEADSYNC_CHECK(check_name(logical_name, "table logical name"));
  const std::string attributes =
      service_root() + "EntityDefinitions(LogicalName='" + logical_name + "')/Attributes";
  const auto read_definitions = [this,
                                 &scope](const std::string& url) -> Result<odata::CollectionPage> {
    LEADSYNC_TRY(const http::Response response, send(make_request("GET", url), true, scope));
    return odata::parse_collection(response);
  };

  LEADSYNC_TRY(const odata::CollectionPage all,
               read_definitions(attributes + "?$select=LogicalName,AttributeType"));
  std::vector<ColumnDefinition> columns;
  std::map<std::string, std::size_t, std::less<>> position;
  for (const Json& attribute : all.rows) {
    ColumnDefinition column;
    LEADSYNC_TRY(column.logical_name,
                 string_member(attribute, "LogicalName", "attribute definition", 200));
    LEADSYNC_TRY(column.attribute_type,
                 string_member(attribute, "AttributeType", "attribute definition", 200));
    position.emplace(column.logical_name, columns.size());
    columns.push_back(std::move(column));
  }

  for (const std::string_view derived_type : {"Microsoft.Dynamics.CRM.StringAttributeMetadata",
                                              "Microsoft.Dynamics.CRM.MemoAttributeMetadata"}) {
    LEADSYNC_TRY(const odata::CollectionPage typed,
                 read_definitions(
                     fmt::format("{}/{}?$select=LogicalName,MaxLength", attributes, derived_type)));
    for (const Json& attribute : typed.rows) {
      LEADSYNC_TRY(const std::string name,
                   string_member(attribute, "LogicalName", derived_type, 200));
      const auto found = position.find(name);
      const auto max_length = attribute.find("MaxLength");
      if (found != position.end() && max_length != attribute.end() &&
          max_length->is_number_integer()) {
        columns[found->second].max_length = max_length->get<int>();
      }
    }
  }
  return columns;
}

Result<std::string> DataverseClient::first_id(const std::string& entity_set,
                                              const std::string& id_column,
                                              const odata::Filter& filter, std::string_view what,
                                              const Scope& scope) {
  odata::Query query;
  query.select = {id_column};
  query.filter = filter;
  query.top = 1;
  LEADSYNC_TRY(const std::string query_string, query.to_query_string());
  LEADSYNC_TRY(const odata::CollectionPage page,
               read_page(service_root() + entity_set + "?" + query_string,
                         fmt::format("odata.maxpagesize={}", options_.max_page_size), scope));
  if (page.rows.empty()) {
    return fail(ErrorCategory::not_found, fmt::format("the organization has no {}", what));
  }
  return string_member(page.rows.front(), id_column.c_str(), entity_set, 200);
}

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
