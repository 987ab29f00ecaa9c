#include "leadsync/odata/response.hpp"

#include "leadsync/core/json_limits.hpp"
#include "leadsync/core/text.hpp"
#include "odata_text.hpp"

#include <algorithm>
#include <array>
#include <fmt/format.h>
#include <optional>

namespace leadsync::odata {

namespace {

using nlohmann::json;

constexpr std::size_t body_excerpt_length = 200;
constexpr std::string_view duplicate_record_code = "0x80040333";
// Service protection limits: requests, execution time, concurrent requests.
constexpr std::array<std::string_view, 3> service_protection_codes = {"0x80072322", "0x80072321",
                                                                      "0x80072326"};

bool is_success(int status) {
  return status >= 200 && status < 300;
}

Failure protocol_error(const http::Response& response, std::string what) {
  Error error = Error::make(ErrorCategory::protocol, std::move(what));
  error.http_status = response.status;
  error.service_request_id = service_request_id(response.headers);
  return Failure{std::move(error)};
}

// The first characters of a body for a message, cut at a UTF-8 character boundary.
std::string body_excerpt(std::string_view body) {
  body = text::trim_right(body, text::space_tab_cr_lf);
  if (body.size() <= body_excerpt_length) {
    return std::string(body);
  }
  std::size_t cut = body_excerpt_length;
  while (cut > 0 && (static_cast<unsigned char>(body[cut]) & 0xC0U) == 0x80U) {
    --cut;
  }
  return std::string(body.substr(0, cut));
}

Result<json> parse_json_object(const http::Response& response, std::string_view what) {
  if (!is_success(response.status)) {
    return error_from_response(response);
  }
  // Depth-limited (issue 18): a response nested 100,000 deep must be an error, not a stack
  // overflow.
  if (!json_depth_within(response.body)) {
    return protocol_error(
        response, fmt::format("the {} response body is JSON nested deeper than {} levels, more "
                              "than leadsync accepts; check that the CRM URL points at Dataverse",
                              what, max_json_depth));
  }
  json document = json::parse(response.body, nullptr, false);
  if (document.is_discarded()) {
    return protocol_error(response, fmt::format("the {} response body is not valid JSON: '{}'",
                                                what, body_excerpt(response.body)));
  }
  if (!document.is_object()) {
    return protocol_error(response, fmt::format("the {} response body is a JSON {}, not an object",
                                                what, document.type_name()));
  }
  return document;
}

bool is_deleted_entry(const json& entry) {
  const auto context = entry.find("@odata.context");
  if (context != entry.end() && context->is_string() &&
      context->get_ref<const std::string&>().ends_with("$deletedEntity")) {
    return true;
  }
  const auto reason = entry.find("reason");
  return reason != entry.end() && *reason == "deleted" && entry.contains("id");
}

Result<DeletedEntity> deleted_entity(const http::Response& response, const json& entry) {
  const auto id = entry.find("id");
  if (id == entry.end() || !id->is_string()) {
    return protocol_error(response,
                          "a $deletedEntity row in the delta response has no string \"id\"");
  }
  DeletedEntity deleted{id->get<std::string>(), "deleted"};
  if (const auto reason = entry.find("reason"); reason != entry.end() && reason->is_string()) {
    deleted.reason = reason->get<std::string>();
  }
  return deleted;
}

Result<std::string> optional_link(const http::Response& response, const json& document,
                                  const char* name) {
  const auto link = document.find(name);
  if (link == document.end() || link->is_null()) {
    return std::string();
  }
  if (!link->is_string()) {
    return protocol_error(response, fmt::format("\"{}\" in the collection response is a {}, not a "
                                                "string",
                                                name, link->type_name()));
  }
  return link->get<std::string>();
}

ErrorCategory category_for_status(int status) {
  switch (status) {
  case 400:
    return ErrorCategory::validation;
  case 401:
    return ErrorCategory::unauthorized;
  case 403:
    return ErrorCategory::forbidden;
  case 404:
    return ErrorCategory::not_found;
  case 408:
    return ErrorCategory::timeout;
  case 409:
  case 412:
    return ErrorCategory::conflict;
  case 413:
    return ErrorCategory::invalid_argument;
  case 429:
    return ErrorCategory::throttled;
  default:
    break;
  }
  if (status >= 500 && status < 600) {
    return ErrorCategory::unavailable;
  }
  if (status >= 400 && status < 500) {
    return ErrorCategory::invalid_argument;
  }
  return ErrorCategory::protocol;
}

bool is_retryable_status(int status) {
  return status == 408 || status == 429 || status == 500 || status == 502 || status == 503 ||
         status == 504;
}

bool is_service_protection_code(std::string_view code) {
  return std::find(service_protection_codes.begin(), service_protection_codes.end(), code) !=
         service_protection_codes.end();
}

struct ServiceMessage {
  std::string code;
  std::string message;
  bool token_endpoint = false; // the Entra {"error":"...","error_description":"..."} shape
};

std::string string_member(const json& object, const char* name) {
  const auto member = object.find(name);
  return member != object.end() && member->is_string() ? member->get<std::string>() : "";
}

// The code and message of a Web API or Entra error body; empty when the body has neither shape.
std::optional<ServiceMessage> service_message(const std::string& body) {
  // Too deep to be an error body: the caller then quotes an excerpt of the raw text instead.
  auto parsed = parse_untrusted_json(body, "the error body");
  if (!parsed.ok()) {
    return std::nullopt;
  }
  const json document = std::move(parsed).value();
  if (!document.is_object()) {
    return std::nullopt;
  }
  const auto error = document.find("error");
  if (error == document.end()) {
    return std::nullopt;
  }
  if (error->is_object()) {
    return ServiceMessage{string_member(*error, "code"), string_member(*error, "message")};
  }
  if (error->is_string()) {
    const std::string code = error->get<std::string>();
    const std::string description = string_member(document, "error_description");
    return ServiceMessage{code, description.empty() ? code : code + ": " + description, true};
  }
  return std::nullopt;
}

} // namespace

Result<nlohmann::json> parse_entity(const http::Response& response) {
  return parse_json_object(response, "entity");
}

Result<CollectionPage> parse_collection(const http::Response& response) {
  LEADSYNC_TRY(json document, parse_json_object(response, "collection"));
  const auto value = document.find("value");
  if (value == document.end() || !value->is_array()) {
    return protocol_error(response, "the collection response has no \"value\" array of rows");
  }
  CollectionPage page;
  for (json& entry : *value) {
    if (!entry.is_object()) {
      return protocol_error(response, fmt::format("a row in the collection \"value\" is a JSON {}, "
                                                  "not an object",
                                                  entry.type_name()));
    }
    if (is_deleted_entry(entry)) {
      LEADSYNC_TRY(DeletedEntity deleted, deleted_entity(response, entry));
      page.deleted.push_back(std::move(deleted));
    } else {
      page.rows.push_back(std::move(entry));
    }
  }
  LEADSYNC_TRY(page.next_link, optional_link(response, document, "@odata.nextLink"));
  LEADSYNC_TRY(page.delta_link, optional_link(response, document, "@odata.deltaLink"));
  if (const auto count = document.find("@odata.count"); count != document.end()) {
    if (!count->is_number_integer()) {
      return protocol_error(response, fmt::format("\"@odata.count\" in the collection response is "
                                                  "{}, not an integer",
                                                  count->dump()));
    }
    page.count = count->get<std::int64_t>();
  }
  return page;
}

Result<std::string> entity_id_from_header(const http::Response& response) {
  const auto header = response.headers.get("OData-EntityId");
  if (!header) {
    return protocol_error(response, "the response has no OData-EntityId header naming the row");
  }
  const std::string_view value = *header;
  const auto open = value.rfind('(');
  if (open != std::string_view::npos && value.ends_with(')')) {
    std::string_view inside = value.substr(open + 1, value.size() - open - 2);
    // The named primary key form: leads(leadid=<guid>).
    if (const auto equals = inside.find('=');
        equals != std::string_view::npos && is_identifier(inside.substr(0, equals))) {
      inside.remove_prefix(equals + 1);
    }
    if (is_guid(inside)) {
      return text::ascii_lower(inside);
    }
  }
  return protocol_error(response,
                        fmt::format("the OData-EntityId header '{}' does not end in a row "
                                    "id such as leads(<guid>)",
                                    value));
}

std::string service_request_id(const http::Headers& headers) {
  return headers.get(service_request_id_header).value_or("");
}

std::string etag_version(const nlohmann::json& entity) {
  if (!entity.is_object()) {
    return {};
  }
  std::string_view etag;
  const auto member = entity.find("@odata.etag");
  if (member == entity.end() || !member->is_string()) {
    return {};
  }
  etag = member->get_ref<const std::string&>();
  if (etag.starts_with("W/")) {
    etag.remove_prefix(2);
  }
  if (etag.size() >= 2 && etag.front() == '"' && etag.back() == '"') {
    etag = etag.substr(1, etag.size() - 2);
  }
  return std::string(etag);
}

Error error_from_response(const http::Response& response) {
  Error error;
  error.http_status = response.status;
  error.service_request_id = service_request_id(response.headers);
  error.category = category_for_status(response.status);
  error.retryable = is_retryable_status(response.status);

  if (const auto service = service_message(response.body)) {
    error.service_code = service->code;
    error.message = service->message;
    if (service->token_endpoint && (response.status == 400 || response.status == 401)) {
      error.category = ErrorCategory::unauthorized;
    }
  } else {
    error.message = body_excerpt(response.body);
  }
  if (error.message.empty()) {
    error.message = std::string(http::reason_phrase(response.status));
  }

  if (error.service_code == duplicate_record_code &&
      (response.status == 412 || response.status == 500)) {
    error.category = ErrorCategory::already_exists;
    error.retryable = false;
  } else if (is_service_protection_code(error.service_code)) {
    error.category = ErrorCategory::throttled;
    error.retryable = true;
  }
  return error;
}

} // namespace leadsync::odata
