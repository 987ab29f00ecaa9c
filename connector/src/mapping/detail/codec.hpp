#pragma once
// One field's value <-> its Dataverse JSON form, per the mapping entry's column type and limits.

#include "detail/fields.hpp"
#include "leadsync/core/result.hpp"
#include "leadsync/mapping/lead_mapping.hpp"
#include "leadsync/mapping/lookup.hpp"

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

namespace leadsync::mapping::detail {

// The annotation carrying a lookup's display name ("_campaignid_value@OData...FormattedValue") when
// the request asked for annotations.
inline constexpr std::string_view formatted_value = "@OData.Community.Display.V1.FormattedValue";

struct Encoded {
  std::string property; // the column, or "<navigation>@odata.bind" for a lookup
  nlohmann::json value;
  std::string warning; // set when the value was changed to fit (truncated)
};

// nullopt: the column is left out of the body (an empty lookup or lead quality). Fails with
// ErrorCategory::validation when the value cannot be written (the message names field and column
// and says why), or with the resolver's error when a lookup could not be asked.
Result<std::optional<Encoded>> encode_field(const FieldDef& def, const FieldMapping& entry,
                                            const MaybeValue& value, const LeadMapping& mapping,
                                            LookupResolver& lookups);

// The value of `entry`'s property in a Dataverse row (`row` gives annotations, e.g. a lookup's
// formatted name) in the field's kind. Fails (protocol) on a JSON type the column cannot have,
// (validation) on an option value the mapping does not list, (not_found) on a lookup to a missing
// row.
Result<MaybeValue> decode_field(const FieldDef& def, const FieldMapping& entry,
                                const nlohmann::json& row, const LeadMapping& mapping,
                                LookupResolver& lookups);

} // namespace leadsync::mapping::detail
