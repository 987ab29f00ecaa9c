#pragma once
// Whether a lead may be looked up for personal data. Company lookups (by domain or company name)
// are always allowed; a person lookup is not when:
//   - one of enrich.consent_blocking_flags is set on the lead (default do_not_email, do_not_phone:
//     the person asked not to be contacted);
//   - enrich.require_lawful_basis is on and the lead's lawful basis is "none";
//   - the lead's country is in enrich.blocked_regions: the company address country when it is an
//     ISO 3166 alpha-2 code, else the country-code top-level domain of the primary e-mail
//     ("anna@firma.de" -> DE).

#include "leadsync/core/config.hpp"
#include "leadsync/model/lead.hpp"

#include <string>

namespace leadsync::enrich {

struct ConsentDecision {
  bool personal_allowed = true;
  std::string reason; // when not allowed: "do_not_email", "no lawful basis", "region DE"
};

ConsentDecision personal_lookup_consent(const model::Lead& lead,
                                        const config::EnrichOptions& options);

} // namespace leadsync::enrich
