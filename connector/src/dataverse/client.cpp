// DataverseClient: each operation is one Web API request (or a short series of them) built exactly
// as /work/shared/dataverse-notes.md describes; section numbers below refer to the notes. This
// file holds what every request goes through (headers, request id, sending, errors) and WhoAmI;
// the operations are in client_*.cpp by area.

#include "leadsync/dataverse/client.hpp"

#include "detail/client_support.hpp"
#include "leadsync/core/uuid.hpp"
#include "leadsync/http/url.hpp"

#include <algorithm>
#include <charconv>
#include <fmt/format.h>
#include <stdexcept>
#include <utility>

namespace leadsync::dataverse {

namespace {

constexpr std::string_view request_id_header = "x-ms-client-request-id";
constexpr int largest_page_size = 5000; // section 4: a page never holds more

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

} // namespace

namespace detail {

bool is_success(int status) {
  return status >= 200 && status < 300;
}

Status check_name(std::string_view name, std::string_view what) {
  if (is_name(name)) {
    return ok_status();
  }
  return fail(ErrorCategory::invalid_argument,
              fmt::format("'{}' is not a valid {}: use the logical name (letters, digits and '_')",
                          name, what));
}

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

Failure cancelled_between_pages(std::string_view what, std::size_t rows_read) {
  return fail(ErrorCategory::cancelled,
              fmt::format("the read of {} was cancelled after {} row(s), between two pages",
                          what.empty() ? std::string_view("the delta link") : what, rows_read));
}

} // namespace detail

using namespace detail;

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

} // namespace leadsync::dataverse
