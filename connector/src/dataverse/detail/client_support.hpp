#pragma once
// What the DataverseClient sources share: one source per area of the Web API (client.cpp for the
// request plumbing, client_crud.cpp, client_bulk.cpp, client_lead_actions.cpp, client_changes.cpp,
// client_metadata.cpp, client_webhooks.cpp), all building requests as
// /work/shared/dataverse-notes.md describes. Not part of the public API.

#include "leadsync/core/result.hpp"
#include "leadsync/dataverse/client.hpp"

#include <cstddef>
#include <string>
#include <string_view>

namespace leadsync::dataverse::detail {

inline constexpr std::string_view json_content_type = "application/json; charset=utf-8";
inline constexpr std::string_view action_prefix = "Microsoft.Dynamics.CRM.";

bool is_success(int status);

// Entity sets, logical names and column names must be [A-Za-z_][A-Za-z0-9_]*, so that no caller
// value can change the shape of a URL; `what` names the value in the error.
Status check_name(std::string_view name, std::string_view what);

// Key predicates come from odata::key_by_id / key_by_alternate: "(...)" without spaces.
Status check_key(std::string_view key);

// `id` as a lower-case GUID, or invalid_argument naming `what`.
Result<std::string> checked_guid(std::string_view id, std::string_view what);

// value.dump(), or invalid_argument when the value holds text that is not UTF-8.
Result<std::string> json_text(const Json& value);

Failure protocol_error(std::string message, int http_status);

// The string member `name` of an object in the `what` response, or a protocol error.
Result<std::string> string_member(const Json& object, const char* name, std::string_view what,
                                  int http_status);

// The Error for a response that is not a success, carrying the request id.
Error response_error(const http::Response& response, const std::string& request_id);

// A multi-page read stopped between two pages: what was read is dropped, nothing was changed.
Failure cancelled_between_pages(std::string_view what, std::size_t rows_read);

} // namespace leadsync::dataverse::detail
