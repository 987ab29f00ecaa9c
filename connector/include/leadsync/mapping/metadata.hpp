#pragma once
// `leadsync check`: does the CRM have what the mapping writes? The sync engine implements
// MetadataSource with the Dataverse client (EntityDefinitions); compare_with_metadata says, per
// problem, what to fix.

#include "leadsync/core/result.hpp"
#include "leadsync/mapping/lead_mapping.hpp"

#include <optional>
#include <string>
#include <vector>

namespace leadsync::mapping {

struct AttributeInfo {
  std::string type; // Dataverse AttributeType: "String", "Memo", "Integer", "BigInt",
                    // "Money", "Decimal", "Double", "Boolean", "DateTime", "Picklist",
                    // "State", "Status", "Lookup", "Customer", "Owner", "Uniqueidentifier"
  std::optional<int> max_length; // String and Memo columns
};

class MetadataSource {
public:
  virtual ~MetadataSource() = default;
  // The column's metadata; nullopt when the table has no such column.
  virtual Result<std::optional<AttributeInfo>> attribute(const std::string& logical_entity,
                                                         const std::string& column) = 0;
};

// Every difference between the mapping and the CRM's lead table, each with the mapping file's line
// and what to do: a column the CRM lacks (create it with this type, or remove the entry), a column
// of another type, and a CRM column shorter than the mapping's max_length. (The alternate key is
// `leadsync check`'s own question, with the steps to create it.) Fails with the source's error
// when the CRM could not be asked.
Result<std::vector<Problem>> compare_with_metadata(const LeadMapping& mapping, MetadataSource& crm);

} // namespace leadsync::mapping
