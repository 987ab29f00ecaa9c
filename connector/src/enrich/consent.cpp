#include "leadsync/enrich/consent.hpp"

#include "leadsync/core/text.hpp"

#include <algorithm>
#include <cctype>

namespace leadsync::enrich {
namespace {

bool flag_set(const model::Consent& consent, const std::string& flag) {
  if (flag == "do_not_email") {
    return consent.do_not_email;
  }
  if (flag == "do_not_phone") {
    return consent.do_not_phone;
  }
  if (flag == "do_not_bulk_email") {
    return consent.do_not_bulk_email;
  }
  if (flag == "do_not_postal_mail") {
    return consent.do_not_postal_mail;
  }
  return false;
}

// The lead's country as an ISO 3166 alpha-2 code, or empty when it cannot be told.
std::string lead_region(const model::Lead& lead) {
  const std::string& country = lead.company.address.country;
  if (country.size() == 2 && std::isalpha(static_cast<unsigned char>(country[0])) != 0 &&
      std::isalpha(static_cast<unsigned char>(country[1])) != 0) {
    return text::ascii_upper(country);
  }
  const std::string email = model::primary_email(lead);
  const auto dot = email.rfind('.');
  if (email.find('@') != std::string::npos && dot != std::string::npos &&
      email.size() - dot - 1 == 2) {
    return text::ascii_upper(email.substr(dot + 1));
  }
  return {};
}

} // namespace

ConsentDecision personal_lookup_consent(const model::Lead& lead,
                                        const config::EnrichOptions& options) {
  for (const std::string& flag : options.consent_blocking_flags) {
    if (flag_set(lead.consent, flag)) {
      return {.personal_allowed = false, .reason = flag};
    }
  }
  if (options.require_lawful_basis && lead.consent.lawful_basis == model::LawfulBasis::none) {
    return {.personal_allowed = false, .reason = "no lawful basis"};
  }
  if (!options.blocked_regions.empty()) {
    const std::string region = lead_region(lead);
    if (!region.empty() && std::find(options.blocked_regions.begin(), options.blocked_regions.end(),
                                     region) != options.blocked_regions.end()) {
      return {.personal_allowed = false, .reason = "region " + region};
    }
  }
  return {.personal_allowed = true, .reason = {}};
}

} // namespace leadsync::enrich
