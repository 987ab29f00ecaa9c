#pragma once
// JSON (de)serialization of the lead model in snake_case. Enums are written as their snake_case
// names (LifecycleStage::new_lead as "new"); times as RFC 3339 UTC; dates as YYYY-MM-DD. Empty
// optionals, empty strings and empty arrays are omitted; numbers, booleans, enums and nested
// objects are always written, so the output is deterministic and to_json(from_json(to_json(x))) ==
// to_json(x). Reading: a missing key or a null takes the field's default; an unknown key is
// rejected (it is usually a typo). Parsing untrusted input never throws: lead_from_json returns a
// Result (ErrorCategory::validation) whose message names the JSON pointer of the first bad element,
// e.g.
// `/person/phones/1/kind: unknown value "fax" (expected one of business, mobile, home, other)`.

#include "leadsync/core/result.hpp"
#include "leadsync/model/lead.hpp"

// The enum names and the time formats the codec writes, declared here before they had headers of
// their own; code that needs only them includes those.
#include "leadsync/model/enum_names.hpp"
#include "leadsync/model/time.hpp"

#include <nlohmann/json_fwd.hpp>
#include <string>
#include <string_view>

namespace leadsync::model {

nlohmann::json to_json(const Lead& lead);
// to_json(lead).dump(), written without building the tree (several times faster). Throws
// nlohmann::json::type_error, as dump() does, for text that is not UTF-8.
std::string to_json_text(const Lead& lead);
// The form the stores keep (the leads.doc column): to_json_text's document, same key order and
// value formats, without every member, at any depth, that equals its value in a
// default-constructed record (a nested record that is all defaults is left out whole); the
// identity is always written. Reading fills a missing member with that default, so
// lead_from_json_text(to_stored_json_text(lead)) == lead, and a freshly imported lead takes
// under 60% of the bytes (its consent, qualification and social parts are all defaults). Not for
// output that people or other programs read: they get the full form. Throws as to_json_text.
std::string to_stored_json_text(const Lead& lead);
Result<Lead> lead_from_json(const nlohmann::json& document);
Result<Lead> lead_from_json_text(std::string_view text); // parse + convert

nlohmann::json to_json(const BehaviourEvent& event);
Result<BehaviourEvent> behaviour_event_from_json(const nlohmann::json& document);

} // namespace leadsync::model
