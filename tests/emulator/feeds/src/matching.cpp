#include "femu/matching.hpp"

#include <algorithm>
#include <cctype>
#include <leadsync/core/json_limits.hpp>

namespace femu {
namespace {

using leadsync::ErrorCategory;
using leadsync::fail;

// PDL SDKs send booleans as true/false (JS) or True/False (Python, notes 1.4).
leadsync::Result<bool> parse_bool(const std::string& name, const std::string& value) {
  std::string lowered = value;
  std::transform(lowered.begin(), lowered.end(), lowered.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (lowered == "true" || lowered == "1") {
    return true;
  }
  if (lowered == "false" || lowered == "0" || lowered.empty()) {
    return false;
  }
  return fail(ErrorCategory::invalid_argument,
              name + " must be true or false, got '" + value + "'");
}

leadsync::Result<int> parse_min_likelihood(const std::string& value) {
  int parsed = -1;
  try {
    std::size_t used = 0;
    parsed = std::stoi(value, &used);
    if (used != value.size()) {
      parsed = -1;
    }
  } catch (const std::exception&) {
    parsed = -1;
  }
  if (parsed < 0 || parsed > 10) {
    return fail(ErrorCategory::invalid_argument,
                "min_likelihood must be an integer from 0 to 10, got '" + value + "'");
  }
  return parsed;
}

// Reads the options person and company queries share (min_likelihood, titlecase,
// include_if_matched); false when `key` is none of them.
template <typename Query>
leadsync::Result<bool> read_shared_option(Query& query, const std::string& key,
                                          const std::string& value) {
  if (key == "min_likelihood") {
    LEADSYNC_TRY(query.min_likelihood, parse_min_likelihood(value));
  } else if (key == "titlecase") {
    LEADSYNC_TRY(query.titlecase, parse_bool(key, value));
  } else if (key == "include_if_matched") {
    LEADSYNC_TRY(query.include_if_matched, parse_bool(key, value));
  } else {
    return false;
  }
  return true;
}

// profile arrives as a JSON-array string from the JS SDK and as repeated keys from Python (1.4).
void add_profiles(std::vector<std::string>& profiles, const std::string& value) {
  // A deeper array is no profile list: kept as one value rather than parsed (issue 18).
  if (!value.empty() && value.front() == '[' && leadsync::json_depth_within(value)) {
    const auto parsed = nlohmann::json::parse(value, nullptr, false);
    if (parsed.is_array()) {
      for (const auto& item : parsed) {
        if (item.is_string()) {
          profiles.push_back(item.get<std::string>());
        }
      }
      return;
    }
  }
  if (!value.empty()) {
    profiles.push_back(value);
  }
}

void append_location(std::string& location, const std::string& part) {
  if (!part.empty()) {
    location += (location.empty() ? "" : ", ") + part;
  }
}

int jitter(const std::string& record_id, const std::string& canonical, int span) {
  return static_cast<int>(stable_hash(record_id + "|" + canonical, 0x11) %
                          static_cast<std::uint64_t>(span));
}

bool location_matches(const Person& person, const std::string& location) {
  const auto wanted = normalize_name(location);
  if (wanted.empty()) {
    return false;
  }
  for (const auto* field :
       {&person.location_name, &person.location_locality, &person.location_country}) {
    const auto have = normalize_name(*field);
    if (!have.empty() &&
        (wanted.find(have) != std::string::npos || have.find(wanted) != std::string::npos)) {
      return true;
    }
  }
  return false;
}

std::string query_full_name(const PersonQuery& query) {
  if (!query.name.empty()) {
    return query.name;
  }
  return query.first_name + " " + query.last_name;
}

} // namespace

std::string PersonQuery::canonical() const {
  std::string text;
  const auto add = [&text](const char* key, const std::string& value) {
    if (!value.empty()) {
      text += std::string(key) + "=" + utf8_lower(value) + ";";
    }
  };
  for (const auto& email : emails) {
    add("email", email);
  }
  for (const auto& phone : phones) {
    add("phone", phone_digits(phone));
  }
  for (const auto& profile : profiles) {
    add("profile", normalize_profile_url(profile));
  }
  add("name", normalize_name(name.empty() ? first_name + " " + last_name : name));
  add("company", company);
  add("school", school);
  add("location", location);
  return text;
}

std::string CompanyQuery::canonical() const {
  return "website=" + normalize_domain(website) + ";name=" + normalize_company_name(name) +
         ";profile=" + normalize_profile_url(profile);
}

QueryParams params_from_json(const nlohmann::json& object) {
  QueryParams params;
  if (!object.is_object()) {
    return params;
  }
  const auto text = [](const nlohmann::json& value) {
    return value.is_string() ? value.get<std::string>() : value.dump();
  };
  for (const auto& [key, value] : object.items()) {
    if (value.is_null()) {
      continue;
    }
    if (value.is_array()) {
      for (const auto& item : value) {
        params.emplace_back(key, text(item));
      }
    } else {
      params.emplace_back(key, text(value));
    }
  }
  return params;
}

leadsync::Result<PersonQuery> parse_person_query(const QueryParams& params) {
  PersonQuery query;
  for (const auto& [key, value] : params) {
    LEADSYNC_TRY(const bool shared, read_shared_option(query, key, value));
    if (shared) {
      continue;
    }
    if (key == "email") {
      if (!value.empty()) {
        query.emails.push_back(value);
      }
    } else if (key == "phone") {
      if (!value.empty()) {
        query.phones.push_back(value);
      }
    } else if (key == "profile") {
      add_profiles(query.profiles, value);
    } else if (key == "name") {
      query.name = value;
    } else if (key == "first_name") {
      query.first_name = value;
    } else if (key == "last_name") {
      query.last_name = value;
    } else if (key == "company") {
      query.company = value;
    } else if (key == "school") {
      query.school = value;
    } else if (key == "location" || key == "street_address" || key == "locality" ||
               key == "region" || key == "country" || key == "postal_code") {
      append_location(query.location, value);
    } else if (key == "pdl_id" || key == "lid" || key == "email_hash" || key == "birth_date") {
      query.has_other_identifier = query.has_other_identifier || !value.empty();
    }
    // api_key, pretty, required, data_include, middle_name, sandbox: accepted and ignored.
  }
  // Minimum input (notes 1.3): profile OR email OR phone OR email_hash OR lid OR pdl_id OR
  // ((first_name AND last_name) OR name) AND (company OR school OR location fields OR birth_date).
  const bool has_identifier = !query.emails.empty() || !query.phones.empty() ||
                              !query.profiles.empty() || query.has_other_identifier;
  const bool has_name =
      !query.name.empty() || (!query.first_name.empty() && !query.last_name.empty());
  const bool has_context =
      !query.company.empty() || !query.school.empty() || !query.location.empty();
  if (!has_identifier && !(has_name && has_context)) {
    return fail(
        ErrorCategory::invalid_argument,
        "Missing required parameters: give profile, email, phone, email_hash, lid or pdl_id, "
        "or a name (name, or first_name and last_name) with company, school or location");
  }
  return query;
}

leadsync::Result<CompanyQuery> parse_company_query(const QueryParams& params) {
  CompanyQuery query;
  for (const auto& [key, value] : params) {
    LEADSYNC_TRY(const bool shared, read_shared_option(query, key, value));
    if (shared) {
      continue;
    }
    if (key == "name") {
      query.name = value;
    } else if (key == "website") {
      query.website = value;
    } else if (key == "profile") {
      std::vector<std::string> profiles;
      add_profiles(profiles, value);
      query.profile = profiles.empty() ? std::string() : profiles.front();
    }
  }
  if (query.name.empty() && query.website.empty() && query.profile.empty()) {
    return fail(ErrorCategory::invalid_argument,
                "Missing required parameters: give name, website or profile");
  }
  return query;
}

std::optional<PersonMatch> match_person(const std::vector<const Directory*>& directories,
                                        const PersonQuery& query) {
  const std::string canonical = query.canonical();
  const std::string wanted_name = normalize_name(query_full_name(query));
  const auto identifier_match = [&](const Person* person, int base, int span,
                                    const char* field) -> std::optional<PersonMatch> {
    PersonMatch match{person, base + jitter(person->id, canonical, span), {field}};
    if (!wanted_name.empty()) {
      const bool same_name =
          normalize_name(person->full_name) == wanted_name ||
          normalize_name(person->first_name + " " + person->last_name) == wanted_name;
      match.likelihood = same_name ? match.likelihood : std::max(1, match.likelihood - 3);
      if (same_name) {
        match.matched.emplace_back("name");
      }
    }
    return match;
  };
  for (const Directory* directory : directories) {
    for (const auto& email : query.emails) {
      if (const Person* person = directory->person_by_email(email)) {
        return identifier_match(person, 9, 2, "email");
      }
    }
    for (const auto& profile : query.profiles) {
      if (const Person* person = directory->person_by_profile(profile)) {
        return identifier_match(person, 9, 2, "profile");
      }
    }
    for (const auto& phone : query.phones) {
      if (const Person* person = directory->person_by_phone(phone)) {
        return identifier_match(person, 8, 2, "phone");
      }
    }
  }
  if (wanted_name.empty()) {
    return std::nullopt;
  }
  for (const Directory* directory : directories) {
    if (!query.company.empty()) {
      const auto people = directory->people_by_name(query_full_name(query), query.company);
      if (!people.empty()) {
        const Person* person = people.front();
        PersonMatch match{person, 5 + jitter(person->id, canonical, 3), {"name", "company"}};
        if (people.size() > 1) {
          match.likelihood -= 1; // two people of that name at that company: less certain
        }
        if (location_matches(*person, query.location)) {
          match.likelihood += 1;
          match.matched.emplace_back("location");
        }
        return match;
      }
    }
    if (!query.location.empty()) {
      for (const Person* person : directory->people_by_name(query_full_name(query), "")) {
        if (location_matches(*person, query.location)) {
          return PersonMatch{person, 3 + jitter(person->id, canonical, 2), {"name", "location"}};
        }
      }
    }
  }
  return std::nullopt;
}

std::optional<CompanyMatch> match_company(const std::vector<const Directory*>& directories,
                                          const CompanyQuery& query) {
  const std::string canonical = query.canonical();
  for (const Directory* directory : directories) {
    if (!query.website.empty()) {
      if (const Company* company = directory->company_by_domain(query.website)) {
        return CompanyMatch{company, 9 + jitter(company->id, canonical, 2), {"website"}};
      }
    }
    if (!query.profile.empty()) {
      const auto wanted = normalize_profile_url(query.profile);
      for (const auto& company : directory->companies()) {
        if (!company.linkedin_url.empty() &&
            normalize_profile_url(company.linkedin_url) == wanted) {
          return CompanyMatch{&company, 8 + jitter(company.id, canonical, 2), {"profile"}};
        }
      }
    }
  }
  if (query.name.empty()) {
    return std::nullopt;
  }
  for (const Directory* directory : directories) {
    if (const Company* company = directory->company_by_name(query.name)) {
      return CompanyMatch{company, 5 + jitter(company->id, canonical, 3), {"name"}};
    }
  }
  return std::nullopt;
}

} // namespace femu
