// DataverseClient: create, read (by key, by page, all pages), update, upsert and delete of single
// rows. Section numbers refer to /work/shared/dataverse-notes.md.

#include "detail/client_support.hpp"
#include "leadsync/dataverse/client.hpp"

#include <fmt/format.h>
#include <iterator>
#include <string>
#include <utility>
#include <vector>

namespace leadsync::dataverse {

using namespace detail;

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

} // namespace leadsync::dataverse
