#pragma once
// mapping::MetadataSource over the Dataverse client, for `leadsync check`: the first question about
// a table reads all its column definitions at once (DataverseClient::table_columns, three requests)
// and later questions are answered from them.

#include "leadsync/core/result.hpp"
#include "leadsync/dataverse/client.hpp"
#include "leadsync/mapping/metadata.hpp"

#include <map>
#include <optional>
#include <string>

namespace leadsync::sync {

class CrmMetadata final : public mapping::MetadataSource {
public:
  // The client must outlive this object. The scope goes with every request it makes.
  explicit CrmMetadata(dataverse::DataverseClient& client, http::CallScope scope = {});

  Result<std::optional<mapping::AttributeInfo>> attribute(const std::string& logical_entity,
                                                          const std::string& column) override;

private:
  using Columns = std::map<std::string, mapping::AttributeInfo, std::less<>>;

  dataverse::DataverseClient& client_;
  http::CallScope scope_;
  std::map<std::string, Columns, std::less<>> tables_; // by table logical name
};

} // namespace leadsync::sync
