#include "leadsync/enrich/fields.hpp"

#include <charconv>
#include <cmath>
#include <optional>

namespace leadsync::enrich {
namespace {

using model::Lead;

// The text members, addressed by path.
std::string* text_member(Lead& lead, std::string_view path) {
  struct Entry {
    std::string_view path;
    std::string* member;
  };
  const Entry entries[] = {
      {"person.job_title", &lead.person.job_title},
      {"person.seniority", &lead.person.seniority},
      {"company.name", &lead.company.name},
      {"company.website", &lead.company.website},
      {"company.industry", &lead.company.industry},
      {"company.address.city", &lead.company.address.city},
      {"company.address.country", &lead.company.address.country},
      {"social.linkedin_url", &lead.social.linkedin_url},
      {"social.x_handle", &lead.social.x_handle},
      {"social.github_url", &lead.social.github_url},
      {"social.facebook_url", &lead.social.facebook_url},
      {"social.bio", &lead.social.bio},
      {"social.location", &lead.social.location},
      {"social.blog", &lead.social.blog},
  };
  for (const Entry& entry : entries) {
    if (entry.path == path) {
      return entry.member;
    }
  }
  return nullptr;
}

std::string format_number(double value) {
  if (std::floor(value) == value && std::fabs(value) < 1e15) {
    return std::to_string(static_cast<long long>(value));
  }
  char buffer[64];
  const auto [end, error] = std::to_chars(buffer, buffer + sizeof buffer, value);
  return error == std::errc() ? std::string(buffer, end) : std::to_string(value);
}

Error bad_value(std::string_view path, std::string_view value, std::string_view expected) {
  return Error::make(ErrorCategory::validation, std::string(path) + ": '" +
                                                    std::string(value.substr(0, 40)) + "' is not " +
                                                    std::string(expected));
}

} // namespace

const std::vector<EnrichableField>& enrichable_fields() {
  static const std::vector<EnrichableField> fields{
      {.path = "person.job_title", .group = FieldGroup::person, .personal = true},
      {.path = "person.seniority", .group = FieldGroup::person, .personal = true},
      {.path = "company.name", .group = FieldGroup::company, .personal = false},
      {.path = "company.website", .group = FieldGroup::company, .personal = false},
      {.path = "company.industry", .group = FieldGroup::company, .personal = false},
      {.path = "company.employee_count", .group = FieldGroup::company, .personal = false},
      {.path = "company.annual_revenue", .group = FieldGroup::company, .personal = false},
      {.path = "company.address.city", .group = FieldGroup::company, .personal = false},
      {.path = "company.address.country", .group = FieldGroup::company, .personal = false},
      {.path = "social.linkedin_url", .group = FieldGroup::social, .personal = true},
      {.path = "social.x_handle", .group = FieldGroup::social, .personal = true},
      {.path = "social.github_url", .group = FieldGroup::social, .personal = true},
      {.path = "social.facebook_url", .group = FieldGroup::social, .personal = true},
      {.path = "social.bio", .group = FieldGroup::social, .personal = true},
      {.path = "social.location", .group = FieldGroup::social, .personal = true},
      {.path = "social.blog", .group = FieldGroup::social, .personal = true},
  };
  return fields;
}

const EnrichableField* find_enrichable_field(std::string_view path) {
  for (const EnrichableField& field : enrichable_fields()) {
    if (field.path == path) {
      return &field;
    }
  }
  return nullptr;
}

std::string field_text(const Lead& lead, std::string_view path) {
  if (path == "company.employee_count") {
    return lead.company.employee_count ? std::to_string(*lead.company.employee_count) : "";
  }
  if (path == "company.annual_revenue") {
    return lead.company.annual_revenue ? format_number(*lead.company.annual_revenue) : "";
  }
  // text_member needs a mutable lead only to hand out a pointer; nothing is written through it.
  std::string* member = text_member(const_cast<Lead&>(lead), path);
  return member == nullptr ? std::string() : *member;
}

bool field_empty(const Lead& lead, std::string_view path) {
  return field_text(lead, path).empty();
}

Status set_field(Lead& lead, std::string_view path, std::string_view value) {
  if (path == "company.employee_count") {
    std::int64_t count = 0;
    const auto [end, error] = std::from_chars(value.data(), value.data() + value.size(), count);
    if (error != std::errc() || end != value.data() + value.size() || count < 0) {
      return bad_value(path, value, "a whole number of employees");
    }
    lead.company.employee_count = count;
    return {};
  }
  if (path == "company.annual_revenue") {
    double revenue = 0;
    const auto [end, error] = std::from_chars(value.data(), value.data() + value.size(), revenue);
    if (error != std::errc() || end != value.data() + value.size() || !(revenue >= 0) ||
        !std::isfinite(revenue)) {
      return bad_value(path, value, "a non-negative amount");
    }
    lead.company.annual_revenue = revenue;
    return {};
  }
  std::string* member = text_member(lead, path);
  if (member == nullptr) {
    return Error::make(ErrorCategory::invalid_argument,
                       "'" + std::string(path) + "' is not a field enrichment can fill");
  }
  *member = std::string(value);
  return {};
}

} // namespace leadsync::enrich
