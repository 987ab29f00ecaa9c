#include "leadsync/sync/crm_metadata.hpp"

namespace leadsync::sync {

namespace {

mapping::KeyStatus to_key_status(dataverse::KeyIndexStatus status) {
  switch (status) {
  case dataverse::KeyIndexStatus::missing:
    return mapping::KeyStatus::missing;
  case dataverse::KeyIndexStatus::pending:
    return mapping::KeyStatus::pending;
  case dataverse::KeyIndexStatus::in_progress:
    return mapping::KeyStatus::in_progress;
  case dataverse::KeyIndexStatus::active:
    return mapping::KeyStatus::active;
  case dataverse::KeyIndexStatus::failed:
    return mapping::KeyStatus::failed;
  }
  return mapping::KeyStatus::missing;
}

} // namespace

CrmMetadata::CrmMetadata(dataverse::DataverseClient& client) : client_(client) {}

Result<std::optional<mapping::AttributeInfo>>
CrmMetadata::attribute(const std::string& logical_entity, const std::string& column) {
  auto table = tables_.find(logical_entity);
  if (table == tables_.end()) {
    LEADSYNC_TRY(const auto definitions, client_.table_columns(logical_entity));
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

Result<mapping::KeyStatus> CrmMetadata::alternate_key_status(const std::string& logical_entity,
                                                             const std::string& key_name) {
  LEADSYNC_TRY(const auto status, client_.alternate_key_status(logical_entity, key_name));
  return to_key_status(status);
}

} // namespace leadsync::sync
