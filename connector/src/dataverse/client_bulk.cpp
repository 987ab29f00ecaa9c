// DataverseClient: the bulk operations, CreateMultiple, UpdateMultiple and UpsertMultiple (section
// 6), and $batch (section 5). Section numbers refer to /work/shared/dataverse-notes.md.

#include "detail/client_support.hpp"
#include "leadsync/dataverse/client.hpp"

#include <algorithm>
#include <fmt/format.h>
#include <string>
#include <utility>
#include <vector>

namespace leadsync::dataverse {

using namespace detail;

namespace {

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

} // namespace leadsync::dataverse
