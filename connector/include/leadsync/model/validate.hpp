#pragma once
// The lead invariants, checked in one place. Every violated rule is reported, not just the first.

#include "leadsync/model/lead.hpp"

#include <string>
#include <vector>

namespace leadsync::model {

struct Violation {
  std::string field;   // internal field path, e.g. "person.emails[1]"
  std::string rule;    // short machine-readable rule id, e.g. "needs_name_or_company"
  std::string message; // for a person: what is wrong and what would fix it
};

// Rules: a last name or a company name; at least one way to reach the lead (an e-mail, a valid
// phone, or a postal address with city and country); at most 3 e-mails, each syntactically
// plausible; phones with an e164 value start with '+' and hold 8..15 digits; ids are UUIDs when
// present; scores within 0..100; confidences within 0..1; a qualify outcome has statuscode 3 (or -1
// = let the CRM choose), a disqualify outcome 4..7.
std::vector<Violation> validate(const Lead& lead);
std::string
describe(const std::vector<Violation>& violations); // one line: "field: message; field: message"

} // namespace leadsync::model
