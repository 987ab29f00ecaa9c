// DataverseClient: table definitions: columns, their types and lengths, and the alternate keys'
// state (section 3). Section numbers refer to /work/shared/dataverse-notes.md.

#include "detail/client_support.hpp"
#include "leadsync/core/text.hpp"
#include "leadsync/dataverse/client.hpp"

#include <array>
#include <fmt/format.h>
#include <functional>
#include <map>
#include <string>
#include <utility>
#include <vector>

namespace leadsync::dataverse {

using namespace detail;

namespace {

Result<KeyIndexStatus> key_index_status(const std::string& text, int http_status) {
  // EntityKeyIndexStatus members (section 3, [ALTDEF]).
  static constexpr std::array<std::pair<std::string_view, KeyIndexStatus>, 4> statuses{{
      {"Pending", KeyIndexStatus::pending},
      {"InProgress", KeyIndexStatus::in_progress},
      {"Active", KeyIndexStatus::active},
      {"Failed", KeyIndexStatus::failed},
  }};
  for (const auto& [name, status] : statuses) {
    if (leadsync::text::iequals(text, name)) {
      return status;
    }
  }
  return protocol_error(fmt::format("the alternate key has the unknown EntityKeyIndexStatus '{}' "
                                    "(expected Pending, InProgress, Active or Failed)",
                                    text),
                        http_status);
}

} // namespace

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
                                text::iequals(columns->front().get<std::string>(), key_name);
    if (text::iequals(schema_name, key_name) || text::iequals(key_logical_name, key_name) ||
        on_that_column) {
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

} // namespace leadsync::dataverse
