#include "leadsync/sync/crm_metadata.hpp"

#include <utility>

namespace leadsync::sync {

CrmMetadata::CrmMetadata(dataverse::DataverseClient& client, http::CallScope scope)
    : client_(client), scope_(std::move(scope)) {}

Result<std::optional<mapping::AttributeInfo>>
CrmMetadata::attribute(const std::string& logical_entity, const std::string& column) {
  auto table = tables_.find(logical_entity);
  if (table == tables_.end()) {
    LEADSYNC_TRY(const auto definitions, client_.table_columns(logical_entity, scope_));
    Columns columns;
    for (const auto& definition : definitions) {
      columns.emplace(definition.logical_name,
                      mapping::AttributeInfo{definition.attribute_type, definition.max_length});
    }
    table = tables_.emplace(logical_entity, std::move(columns)).first;
  }
  const auto found = table->second.find(column);
  if (found == table->second.end()) {
    return std::optional<mapping::AttributeInfo>();
  }
  return std::optional<mapping::AttributeInfo>(found->second);
}

} // namespace leadsync::sync
