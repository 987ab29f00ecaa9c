#include "leadsync/enrich/providers/pdl_record.hpp"

#include "providers/detail/http_support.hpp"

#include <nlohmann/json.hpp>
#include <string>

namespace leadsync::enrich::providers {
namespace {

// A non-empty string member; nullopt for missing, null, empty and non-string values.
std::optional<std::string> string_member(const nlohmann::json& record, const char* key) {
  if (!record.is_object()) {
    return std::nullopt;
  }
  const auto found = record.find(key);
  if (found == record.end() || !found->is_string()) {
    return std::nullopt;
  }
  std::string value = found->get<std::string>();
  if (value.empty()) {
    return std::nullopt;
  }
  return value;
}

// The first non-empty string of an array member (job_title_levels: ["senior", "manager"]).
std::optional<std::string> first_string(const nlohmann::json& record, const char* key) {
  if (!record.is_object()) {
    return std::nullopt;
  }
  const auto found = record.find(key);
  if (found == record.end() || !found->is_array()) {
    return std::nullopt;
  }
  for (const auto& item : *found) {
    if (item.is_string() && !item.get<std::string>().empty()) {
      return item.get<std::string>();
    }
  }
  return std::nullopt;
}

void add(std::vector<FoundField>& fields, const char* field, std::optional<std::string> value) {
  if (value) {
    fields.push_back(FoundField{.field = field, .value = std::move(*value)});
  }
}

// "twitter.com/anna" or "https://x.com/anna/" -> "anna".
std::optional<std::string> handle_from_url(std::optional<std::string> url) {
  if (!url) {
    return std::nullopt;
  }
  std::string text = *url;
  while (!text.empty() && text.back() == '/') {
    text.pop_back();
  }
  const auto slash = text.find_last_of('/');
  std::string handle = slash == std::string::npos ? text : text.substr(slash + 1);
  if (!handle.empty() && handle.front() == '@') {
    handle.erase(0, 1);
  }
  if (handle.empty()) {
    return std::nullopt;
  }
  return handle;
}

} // namespace

std::vector<FoundField> pdl_person_fields(const nlohmann::json& record) {
  std::vector<FoundField> fields;
  if (!record.is_object()) {
    return fields;
  }
  add(fields, "person.job_title", string_member(record, "job_title"));
  add(fields, "person.seniority", first_string(record, "job_title_levels"));
  add(fields, "company.name", string_member(record, "job_company_name"));
  add(fields, "company.website", string_member(record, "job_company_website"));
  auto industry = string_member(record, "job_company_industry");
  add(fields, "company.industry", industry ? industry : string_member(record, "industry"));
  add(fields, "social.linkedin_url", string_member(record, "linkedin_url"));
  auto x_handle = string_member(record, "twitter_username");
  add(fields, "social.x_handle",
      x_handle ? x_handle : handle_from_url(string_member(record, "twitter_url")));
  add(fields, "social.github_url", string_member(record, "github_url"));
  add(fields, "social.facebook_url", string_member(record, "facebook_url"));
  add(fields, "social.location", string_member(record, "location_name"));
  return fields;
}

std::vector<FoundField> pdl_company_fields(const nlohmann::json& record) {
  std::vector<FoundField> fields;
  if (!record.is_object()) {
    return fields;
  }
  auto name = string_member(record, "display_name");
  add(fields, "company.name", name ? name : string_member(record, "name"));
  add(fields, "company.website", string_member(record, "website"));
  add(fields, "company.industry", string_member(record, "industry"));
  const auto employees = record.find("employee_count");
  if (employees != record.end() && employees->is_number_integer()) {
    add(fields, "company.employee_count", support::number_text(*employees));
  }
  if (const auto revenue = string_member(record, "inferred_revenue")) {
    if (const auto lower = support::revenue_lower_bound(*revenue)) {
      add(fields, "company.annual_revenue", std::to_string(*lower));
    }
  }
  const auto location = record.find("location");
  if (location != record.end() && location->is_object()) {
    add(fields, "company.address.city", string_member(*location, "locality"));
    add(fields, "company.address.country", string_member(*location, "country"));
  }
  return fields;
}

} // namespace leadsync::enrich::providers
