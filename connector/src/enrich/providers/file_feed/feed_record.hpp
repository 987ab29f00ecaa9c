#pragma once
// PDL-style person records of aggregator feed files: the keys a record is indexed under, the
// normalization a query goes through to meet them, the CSV row -> record conversion and the
// company fields of a record. Private to leadsync_enrich (file_feed provider).

#include "leadsync/enrich/provider.hpp"
#include "leadsync/store/store.hpp"

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

namespace leadsync::enrich::providers::file_feed {

// Normalizers: each returns "" when the text is not usable as a key of its kind.
// E-mail: trimmed, lower-case; one '@' with a local part and a dotted domain.
std::string normalize_email(std::string_view text);
// Phone: spaces, dashes, dots and parentheses removed; kept only as E.164 ("+" then 7..15 digits,
// the first not 0).
std::string normalize_phone(std::string_view text);
// Profile URL: lower-case, no scheme, no "www.", no query or fragment, no trailing '/'; "x.com/..."
// becomes "twitter.com/..." (PDL writes twitter_url as twitter.com). Needs a host and a path.
std::string normalize_profile(std::string_view text);
// Domain: lower-case, no scheme, no "www.", no path, port or trailing dot; needs a dot.
std::string normalize_domain(std::string_view text);

// Every key the record is indexed under, without duplicates: e-mails (emails[].address, work_email,
// personal_emails), phones (mobile_phone, phone_numbers), profiles (linkedin_url, twitter_url,
// github_url) and the domain (job_company_website).
std::vector<store::FeedKey> record_keys(const nlohmann::json& record);

// The CSV columns holding lists, ';'-separated in a cell ("emails" becomes [{"address": ...}]).
bool is_list_column(std::string_view column);
// A CSV data row (header = PDL field names) as a PDL person record. Empty cells are left out; list
// columns are split on ';'; a cell holding a JSON array or object is taken as that JSON.
nlohmann::json csv_row_to_record(const std::vector<std::string>& header,
                                 const std::vector<std::string>& fields);

// The employer fields a person record gives for a company lookup: company.name
// (job_company_name), company.website (job_company_website), company.industry
// (job_company_industry), company.employee_count (the lower bound of job_company_size: "51-200"
// -> "51", "10001+" -> "10001"), company.address.city / .country
// (job_company_location_locality / _country).
std::vector<FoundField> company_fields(const nlohmann::json& record);

} // namespace leadsync::enrich::providers::file_feed
