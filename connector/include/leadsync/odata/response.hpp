#pragma once
// Reading Web API responses: entities, collections (with nextLink / deltaLink / count / deleted
// rows), ETags, OData-EntityId, and the {"error":{"code","message"}} body mapped into leadsync's
// Error.

#include "leadsync/core/result.hpp"
#include "leadsync/http/message.hpp"

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace leadsync::odata {

struct DeletedEntity {
  std::string id;
  std::string reason; // "deleted"
};

struct CollectionPage {
  std::vector<nlohmann::json> rows;   // entity objects, annotations kept
  std::vector<DeletedEntity> deleted; // $deletedEntity rows of a delta response
  std::string next_link;              // @odata.nextLink, empty on the last page
  std::string delta_link;             // @odata.deltaLink, on the last page of a tracked read
  std::optional<std::int64_t> count;  // @odata.count
};

// Parses a 2xx JSON body; malformed JSON or a wrong shape is a protocol error naming what was
// wrong. A non-2xx response yields error_from_response(response). In a collection, rows whose
// "@odata.context" ends in "$deletedEntity" (or that carry "reason":"deleted" and an "id") go to
// `deleted`, all others to `rows`.
Result<nlohmann::json> parse_entity(const http::Response& response);
Result<CollectionPage> parse_collection(const http::Response& response);

// The row id from an OData-EntityId header ("https://org/api/data/v9.2/leads(<guid>)").
Result<std::string> entity_id_from_header(const http::Response& response);
// "W/\"12345\"" -> "12345"; empty when absent.
std::string etag_version(const nlohmann::json& entity);

// Dataverse's own id of a request, sent on every Web API response (also on each part of a $batch
// response): the id Microsoft support asks for. The Web API's error handling:
// https://learn.microsoft.com/en-us/power-apps/developer/data-platform/webapi/compose-http-requests-handle-errors
inline constexpr std::string_view service_request_id_header = "x-ms-service-request-id";
// The header's value as sent (it may list several ids, comma-separated); empty when absent.
std::string service_request_id(const http::Headers& headers);

// Maps a non-2xx response to an Error: category from the status (400 validation, 401 unauthorized,
// 403 forbidden, 404 not_found, 408 timeout, 409/412 conflict, 413 and other 4xx invalid_argument,
// 429 throttled, 5xx unavailable), retryable for 408/429/500/502/503/504, http_status, service_code
// and message from the body (a body that is not the error shape keeps its first 200 characters; an
// empty one gives the reason phrase). Code 0x80040333 (duplicate record) with 412 or 500 is
// already_exists, not retryable; the service protection codes 0x80072322/0x80072321/0x80072326 are
// throttled. The Entra token endpoint's {"error":"<code>","error_description":"..."} gives "<code>:
// <description>", and with 400/401 the category unauthorized. service_request_id is the response's
// x-ms-service-request-id.
Error error_from_response(const http::Response& response);

} // namespace leadsync::odata
