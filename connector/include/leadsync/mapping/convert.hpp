#pragma once
// Lead <-> Dataverse lead row, driven by a LeadMapping.
//
// Push (to_dataverse): every entry with direction both or push, except fields the CRM owns, becomes
// a column of the body: text within its maximum length (in Unicode characters; truncated with a
// warning or rejected, per entry), numbers within the column's range, option sets as their integer
// value, money and decimals as JSON numbers, dates as "YYYY-MM-DD", date-times as RFC 3339 UTC,
// booleans as booleans and lookups as "<nav>@odata.bind": "/<entity set>(<id>)". An empty value is
// sent as null (our side masters the field, so clearing it here clears it there), except lookups
// and the lead quality, which are left out when empty. The alternate key column is never in the
// body: it addresses the row (MappedRow::key_column / key_value).
//
// Pull (from_dataverse): reads what select_columns() asked for back into a lead. Columns absent
// from the row leave the field alone; null clears it.

#include "leadsync/core/result.hpp"
#include "leadsync/mapping/lead_mapping.hpp"
#include "leadsync/mapping/lookup.hpp"
#include "leadsync/model/lead.hpp"

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace leadsync::mapping {

struct PushRules {
  FieldSet crm_owned; // internal fields the CRM masters: never written
  model::Date today;  // the day list ages are computed against (from the caller's clock)
};

struct MappedRow {
  nlohmann::json body =
      nlohmann::json::object();      // column -> value, ready for PATCH / UpsertMultiple
  std::string key_column;            // the alternate key column, e.g. "leadsync_externalid"
  std::string key_value;             // the lead's identity.id
  std::vector<std::string> warnings; // e.g. truncations, each naming field and column
};

// Fails with ErrorCategory::validation when the lead cannot be written as it is; the message lists
// every reason, one per line (a text too long for a reject-policy column, a number out of range, an
// option label the set does not know with the accepted labels, a campaign the CRM does not have, a
// missing id...). Fails with the resolver's error when a lookup could not be asked (retry later).
Result<MappedRow> to_dataverse(const model::Lead& lead, const LeadMapping& mapping,
                               LookupResolver& lookups, const PushRules& rules);

// A Dataverse lead row (as a query or a delta read returns it) as a lead.
// - Without an existing lead (a lead created in the CRM): every entry with direction both or pull
// is
//   read; the lead is marked new.
// - With one: the row is merged onto it. Entries with direction pull are read, and entries with
// direction
//   both only for fields in crm_owned; all other fields stay ours. A CRM value equal to what we
//   would write for our current value leaves our value untouched (so "cold_call", pushed as 10
//   "Other", is not turned into "other", and a raw phone number is not replaced by its E.164 form).
// Always: leadid -> identity.crm_id; versionnumber (or the number in @odata.etag W/"n") ->
// identity.crm_version; the key column -> identity.id (must equal the existing lead's id, if it has
// one). statecode/statuscode (entries qualification.crm_state / crm_status): state 1 -> stage
// qualified, state 2 -> disqualified, and the CRM's decision becomes the outcome (status code, the
// status label as reason, "crm:<modifiedby>" and modifiedon as who and when, pushed) unless it is
// the outcome we decided ourselves, which is then marked pushed; state 0 after
// qualified/disqualified is a reactivation. Fails (protocol) on a value of the wrong JSON type,
// (validation) on an option value the mapping does not list, and (not_found) for a lookup id whose
// row no longer exists. `existing` is our current version of the lead, or nullptr.
Result<model::Lead> from_dataverse(const nlohmann::json& row, const LeadMapping& mapping,
                                   LookupResolver& lookups, const model::Lead* existing,
                                   const FieldSet& crm_owned);

// The $select list for reading leads: leadid, versionnumber, every entry with direction both or
// pull (lookups as "_<column>_value"), and modifiedon, _modifiedby_value when statecode is mapped.
std::vector<std::string> select_columns(const LeadMapping& mapping);

} // namespace leadsync::mapping
