#pragma once
// People Data Labs record shapes -> our fields. Shared by the pdl provider (API answers) and the
// file_feed provider (feed files hold PDL-style person records).

#include "leadsync/enrich/provider.hpp"

#include <nlohmann/json_fwd.hpp>
#include <vector>

namespace leadsync::enrich::providers {

// The fields a PDL person record (the "data" object of /v5/person/enrich, or one feed record)
// gives: person.job_title, person.seniority, company.name, company.website, company.industry,
// social.linkedin_url, social.x_handle, social.github_url, social.facebook_url, social.location.
// Null, empty and non-string values are skipped. URLs are kept without scheme as PDL gives them.
std::vector<FoundField> pdl_person_fields(const nlohmann::json& record);

// The fields a PDL company record (the body of /v5/company/enrich) gives: company.name,
// company.website, company.industry, company.employee_count, company.annual_revenue (the lower
// bound of inferred_revenue, "$10M-$25M" -> 10000000), company.address.city/.country.
std::vector<FoundField> pdl_company_fields(const nlohmann::json& record);

} // namespace leadsync::enrich::providers
