#pragma once
// How each provider writes a record (enrichment-notes sections 1.6, 2.4 and 4.1). Pure functions
// of a record; no state.

#include "femu/records.hpp"

#include <nlohmann/json.hpp>

namespace femu {

// PDL person `data` (flat snake_case). PDL writes text in lower case unless titlecase=true
// (notes 1.3), so names, titles, companies and places follow `titlecase`.
nlohmann::json pdl_person(const Person& person, bool titlecase);
// PDL company fields (they sit flat next to "status" and "likelihood", notes 1.6).
nlohmann::json pdl_company(const Company& company, bool titlecase);

// Clearbit v2 person (camelCase). `email` is the address that was looked up.
nlohmann::json clearbit_person(const Person& person, const std::string& email);
nlohmann::json clearbit_company(const Company& company);
// Clearbit's employeesRange buckets: 120 -> "51-250".
std::string clearbit_employees_range(std::int64_t employees);
// PDL revenue range to Clearbit's estimatedAnnualRevenue buckets: "$10M-$25M" -> "$10M-$50M".
std::string clearbit_revenue_range(const std::string& pdl_range);

// GitHub GET /users/{login}; requires github_login(person) to be non-empty.
nlohmann::json github_user(const Person& person);
// One item of GET /search/users.
nlohmann::json github_search_item(const Person& person);

} // namespace femu
