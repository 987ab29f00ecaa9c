#include "femu/shapes.hpp"

#include "femu/text.hpp"

#include <algorithm>
#include <cstdio>

namespace femu {
namespace {

using nlohmann::json;

json text_or_null(const std::string& text) {
  return text.empty() ? json(nullptr) : json(text);
}

json cased(const std::string& text, bool titlecase) {
  if (text.empty()) {
    return nullptr;
  }
  return titlecase ? utf8_titlecase(text) : utf8_lower(text);
}

json url_or_null(const std::string& url) {
  return url.empty() ? json(nullptr) : json(normalize_profile_url(url));
}

// "$10M-$25M" -> 10'000'000 (the lower bound); 0 when unreadable.
double revenue_lower_bound(const std::string& range) {
  if (range.size() < 2 || range[0] != '$') {
    return 0;
  }
  std::size_t used = 0;
  double value = 0;
  try {
    value = std::stod(range.substr(1), &used);
  } catch (const std::exception&) {
    return 0;
  }
  const char unit = 1 + used < range.size() ? range[1 + used] : ' ';
  return value * (unit == 'B' ? 1e9 : unit == 'M' ? 1e6 : unit == 'K' ? 1e3 : 1);
}

// Clearbit seniority from PDL levels: "executive", "director", "manager" or null.
json clearbit_seniority(const std::vector<std::string>& levels) {
  const auto has = [&](const char* level) {
    return std::find(levels.begin(), levels.end(), level) != levels.end();
  };
  if (has("cxo") || has("owner") || has("vp") || has("partner")) {
    return "executive";
  }
  if (has("director")) {
    return "director";
  }
  if (has("manager")) {
    return "manager";
  }
  return nullptr;
}

// Clearbit's category for the PDL industry vocabulary; other industries pass through.
json clearbit_category(const std::string& industry) {
  struct Category {
    const char* pdl;
    const char* sector;
    const char* industry_group;
    const char* industry;
    const char* sic;
    const char* naics;
  };
  static const Category categories[] = {
      {"computer software", "Information Technology", "Software & Services",
       "Internet Software & Services", "7372", "51"},
      {"information technology and services", "Information Technology", "Software & Services",
       "IT Services", "7370", "54"},
      {"financial services", "Financials", "Diversified Financials",
       "Diversified Financial Services", "6199", "52"},
      {"management consulting", "Industrials", "Commercial & Professional Services",
       "Professional Services", "8742", "54"},
      {"marketing and advertising", "Consumer Discretionary", "Media", "Advertising", "7311", "54"},
      {"retail", "Consumer Discretionary", "Retailing", "Specialty Retail", "5900", "44"},
      {"construction", "Industrials", "Capital Goods", "Construction & Engineering", "1500", "23"},
      {"hospital & health care", "Health Care", "Health Care Equipment & Services",
       "Health Care Providers & Services", "8000", "62"},
      {"education management", "Consumer Discretionary", "Consumer Services",
       "Diversified Consumer Services", "8200", "61"},
      {"telecommunications", "Telecommunication Services", "Telecommunication Services",
       "Diversified Telecommunication Services", "4813", "51"},
  };
  for (const auto& category : categories) {
    if (industry == category.pdl) {
      return {{"sector", category.sector},     {"industryGroup", category.industry_group},
              {"industry", category.industry}, {"subIndustry", category.industry},
              {"sicCode", category.sic},       {"naicsCode", category.naics}};
    }
  }
  return {
      {"sector", nullptr},      {"industryGroup", nullptr}, {"industry", text_or_null(industry)},
      {"subIndustry", nullptr}, {"sicCode", nullptr},       {"naicsCode", nullptr}};
}

json clearbit_geo(const std::string& city, const std::string& country) {
  return {{"streetNumber", nullptr},
          {"streetName", nullptr},
          {"subPremise", nullptr},
          {"city", city.empty() ? json(nullptr) : json(utf8_titlecase(city))},
          {"state", nullptr},
          {"stateCode", nullptr},
          {"postalCode", nullptr},
          {"country", country.empty() ? json(nullptr) : json(utf8_titlecase(country))},
          {"countryCode", text_or_null(country_code(country))},
          {"lat", nullptr},
          {"lng", nullptr}};
}

bool is_webmail(const std::string& email) {
  static const char* const providers[] = {"gmail.com",  "outlook.com", "yahoo.com", "hotmail.com",
                                          "hotmail.es", "mail.ru",     "yandex.ru", "bk.ru",
                                          "gmx.de",     "web.de",      "orange.fr"};
  const auto domain = email.substr(email.find('@') + 1);
  return std::any_of(std::begin(providers), std::end(providers),
                     [&](const char* provider) { return domain == provider; });
}

// A deterministic positive integer id (GitHub ids, Twitter ids).
std::int64_t numeric_id(const std::string& text) {
  return static_cast<std::int64_t>(stable_hash(text, 0x61) % 90'000'000) + 1'000'000;
}

// Clearbit ids are UUIDs; derive one from the record id.
std::string uuid_from(const std::string& text) {
  const auto high = stable_hash(text, 1);
  const auto low = stable_hash(text, 2);
  char buffer[37];
  std::snprintf(buffer, sizeof buffer, "%08llx-%04llx-4%03llx-a%03llx-%012llx",
                static_cast<unsigned long long>(high >> 32),
                static_cast<unsigned long long>((high >> 16) & 0xFFFF),
                static_cast<unsigned long long>(high & 0xFFF),
                static_cast<unsigned long long>(low >> 52),
                static_cast<unsigned long long>(low & 0xFFFFFFFFFFFFull));
  return buffer;
}

constexpr const char* kIndexedAt = "2024-01-15T10:00:00.000Z";

} // namespace

json pdl_person(const Person& person, bool titlecase) {
  json emails = json::array();
  for (const auto& address : person.emails) {
    const bool personal = std::find(person.personal_emails.begin(), person.personal_emails.end(),
                                    address) != person.personal_emails.end();
    emails.push_back({{"address", address},
                      {"type", personal ? json("personal") : json("current_professional")},
                      {"first_seen", "2021-03-01"},
                      {"last_seen", "2024-01-15"},
                      {"num_sources", 3}});
  }
  json profiles = json::array();
  const std::pair<const char*, const std::string*> networks[] = {{"linkedin", &person.linkedin_url},
                                                                 {"twitter", &person.twitter_url},
                                                                 {"github", &person.github_url}};
  for (const auto& [network, url] : networks) {
    if (!url->empty()) {
      profiles.push_back({{"network", network},
                          {"url", normalize_profile_url(*url)},
                          {"username", profile_handle(*url)},
                          {"id", nullptr}});
    }
  }
  const auto handle_or_null = [](const std::string& url) {
    return url.empty() ? json(nullptr) : json(profile_handle(url));
  };
  return {{"id", person.id},
          {"full_name", cased(person.full_name, titlecase)},
          {"first_name", cased(person.first_name, titlecase)},
          {"middle_name", nullptr},
          {"last_name", cased(person.last_name, titlecase)},
          {"sex", nullptr},
          {"birth_year", nullptr},
          {"linkedin_url", url_or_null(person.linkedin_url)},
          {"linkedin_username", handle_or_null(person.linkedin_url)},
          {"linkedin_id", nullptr},
          {"facebook_url", nullptr},
          {"twitter_url", url_or_null(person.twitter_url)},
          {"twitter_username", handle_or_null(person.twitter_url)},
          {"github_url", url_or_null(person.github_url)},
          {"github_username", handle_or_null(person.github_url)},
          {"work_email", text_or_null(person.work_email)},
          {"personal_emails", person.personal_emails},
          {"recommended_personal_email",
           person.personal_emails.empty() ? json(nullptr) : json(person.personal_emails.front())},
          {"mobile_phone", text_or_null(person.mobile_phone)},
          {"phone_numbers", person.phone_numbers},
          {"emails", emails},
          {"industry", cased(person.job_company_industry, titlecase)},
          {"job_title", cased(person.job_title, titlecase)},
          {"job_title_role", text_or_null(person.job_title_role)},
          {"job_title_sub_role", nullptr},
          {"job_title_levels", person.job_title_levels},
          {"job_company_id", nullptr},
          {"job_company_name", cased(person.job_company_name, titlecase)},
          {"job_company_website", text_or_null(person.job_company_website)},
          {"job_company_size", text_or_null(person.job_company_size)},
          {"job_company_industry", cased(person.job_company_industry, titlecase)},
          {"job_company_linkedin_url", nullptr},
          {"job_start_date", nullptr},
          {"job_last_changed", nullptr},
          {"job_last_verified", nullptr},
          {"location_name", cased(person.location_name, titlecase)},
          {"location_locality", cased(person.location_locality, titlecase)},
          {"location_region", nullptr},
          {"location_country", cased(person.location_country, titlecase)},
          {"location_continent", nullptr},
          {"location_geo", nullptr},
          {"location_postal_code", nullptr},
          {"location_street_address", nullptr},
          {"location_last_updated", nullptr},
          {"summary", text_or_null(person.bio)},
          {"profiles", profiles},
          {"experience", json::array()},
          {"education", json::array()},
          {"skills", json::array()},
          {"interests", json::array()},
          {"dataset_version", "29.0"}};
}

json pdl_company(const Company& company, bool titlecase) {
  const std::string location_name =
      company.locality + (company.locality.empty() || company.country.empty() ? "" : ", ") +
      company.country;
  return {{"id", company.id},
          {"name", cased(company.name, titlecase)},
          {"display_name", text_or_null(company.name)},
          {"website", text_or_null(company.website)},
          {"size", text_or_null(company.size)},
          {"employee_count", company.employee_count},
          {"industry", cased(company.industry, titlecase)},
          {"founded", company.founded == 0 ? json(nullptr) : json(company.founded)},
          {"location",
           {{"name", cased(location_name, titlecase)},
            {"locality", cased(company.locality, titlecase)},
            {"region", nullptr},
            {"country", cased(company.country, titlecase)},
            {"continent", nullptr}}},
          {"linkedin_url", url_or_null(company.linkedin_url)},
          {"twitter_url", url_or_null(company.twitter_url)},
          {"facebook_url", nullptr},
          {"ticker", nullptr},
          {"type", "private"},
          {"summary", nullptr},
          {"tags", json::array()},
          {"alternative_domains", json::array()},
          {"total_funding_raised", nullptr},
          {"inferred_revenue", text_or_null(company.inferred_revenue)}};
}

std::string clearbit_employees_range(std::int64_t employees) {
  if (employees <= 0) {
    return "";
  }
  if (employees <= 10) {
    return "1-10";
  }
  if (employees <= 50) {
    return "11-50";
  }
  if (employees <= 250) {
    return "51-250";
  }
  if (employees <= 1000) {
    return "251-1K";
  }
  if (employees <= 5000) {
    return "1K-5K";
  }
  if (employees <= 10000) {
    return "5K-10K";
  }
  if (employees <= 50000) {
    return "10K-50K";
  }
  return employees <= 100000 ? "50K-100K" : "100K+";
}

std::string clearbit_revenue_range(const std::string& pdl_range) {
  if (pdl_range.empty()) {
    return "";
  }
  const double low = revenue_lower_bound(pdl_range);
  if (low < 1e6) {
    return "$0-$1M";
  }
  if (low < 1e7) {
    return "$1M-$10M";
  }
  if (low < 5e7) {
    return "$10M-$50M";
  }
  if (low < 1e8) {
    return "$50M-$100M";
  }
  if (low < 2.5e8) {
    return "$100M-$250M";
  }
  if (low < 1e9) {
    return "$250M-$1B";
  }
  return low < 1e10 ? "$1B-$10B" : "$10B+";
}

json clearbit_person(const Person& person, const std::string& email) {
  const auto handle = [](const std::string& url) {
    return url.empty() ? json(nullptr) : json(profile_handle(url));
  };
  // Clearbit's LinkedIn handle keeps the "in/" prefix: "in/alexmaccaw".
  json linkedin_handle = nullptr;
  if (!person.linkedin_url.empty()) {
    const auto url = normalize_profile_url(person.linkedin_url);
    const auto in = url.find("/in/");
    linkedin_handle =
        in == std::string::npos ? json(profile_handle(url)) : json(url.substr(in + 1));
  }
  const std::string login = github_login(person);
  json github = {{"handle", nullptr},   {"id", nullptr},   {"avatar", nullptr},
                 {"company", nullptr},  {"blog", nullptr}, {"followers", nullptr},
                 {"following", nullptr}};
  if (!login.empty()) {
    github = {
        {"handle", login},
        {"id", numeric_id(login)},
        {"avatar", "https://avatars.githubusercontent.com/u/" + std::to_string(numeric_id(login))},
        {"company", text_or_null(person.job_company_name)},
        {"blog", nullptr},
        {"followers", person.github_followers},
        {"following", person.github_following}};
  }
  const std::string location =
      person.location_locality.empty()
          ? utf8_titlecase(person.location_name)
          : utf8_titlecase(person.location_locality +
                           (person.location_country.empty() ? "" : ", ") + person.location_country);
  return {
      {"id", uuid_from(person.id)},
      {"name",
       {{"fullName", text_or_null(person.full_name)},
        {"givenName", text_or_null(person.first_name)},
        {"familyName", text_or_null(person.last_name)}}},
      {"email", email},
      {"location", text_or_null(location)},
      {"timeZone", nullptr},
      {"utcOffset", nullptr},
      {"geo", clearbit_geo(person.location_locality, person.location_country)},
      {"bio", text_or_null(person.bio)},
      {"site", nullptr},
      {"avatar", nullptr},
      {"gender", nullptr},
      {"employment",
       {{"domain", text_or_null(person.job_company_website)},
        {"name", text_or_null(person.job_company_name)},
        {"title", text_or_null(person.job_title)},
        {"role", text_or_null(person.job_title_role)},
        {"subRole", nullptr},
        {"seniority", clearbit_seniority(person.job_title_levels)}}},
      {"facebook", {{"handle", nullptr}}},
      {"github", github},
      {"twitter",
       {{"handle", handle(person.twitter_url)},
        {"id", person.twitter_url.empty() ? json(nullptr) : json(numeric_id(person.twitter_url))},
        {"bio", nullptr},
        {"followers", nullptr},
        {"following", nullptr},
        {"statuses", nullptr},
        {"favorites", nullptr},
        {"location", nullptr},
        {"site", nullptr},
        {"avatar", nullptr}}},
      {"linkedin", {{"handle", linkedin_handle}}},
      {"googleplus", {{"handle", nullptr}}},
      {"gravatar",
       {{"handle", nullptr},
        {"urls", json::array()},
        {"avatar", nullptr},
        {"avatars", json::array()}}},
      {"fuzzy", false},
      {"emailProvider", is_webmail(email)},
      {"indexedAt", kIndexedAt}};
}

json clearbit_company(const Company& company) {
  const std::string slug = company.website.substr(0, company.website.find('.'));
  const double revenue_low = revenue_lower_bound(company.inferred_revenue);
  const std::string location = utf8_titlecase(
      company.locality + (company.locality.empty() || company.country.empty() ? "" : ", ") +
      company.country);
  return {
      {"id", uuid_from(company.id)},
      {"name", text_or_null(company.name)},
      {"legalName", nullptr},
      {"domain", text_or_null(company.website)},
      {"domainAliases", json::array()},
      {"site", {{"phoneNumbers", json::array()}, {"emailAddresses", json::array()}}},
      {"category", clearbit_category(company.industry)},
      {"tags", json::array()},
      {"description", nullptr},
      {"foundedYear", company.founded == 0 ? json(nullptr) : json(company.founded)},
      {"location", text_or_null(location)},
      {"timeZone", nullptr},
      {"utcOffset", nullptr},
      {"geo", clearbit_geo(company.locality, company.country)},
      {"logo", company.website.empty() ? json(nullptr)
                                       : json("https://logo.clearbit.com/" + company.website)},
      {"facebook", {{"handle", nullptr}, {"likes", nullptr}}},
      {"linkedin",
       {{"handle", company.linkedin_url.empty()
                       ? json(nullptr)
                       : json("company/" + profile_handle(company.linkedin_url))}}},
      {"twitter",
       {{"handle",
         company.twitter_url.empty() ? json(nullptr) : json(profile_handle(company.twitter_url))},
        {"id", nullptr},
        {"bio", nullptr},
        {"followers", nullptr},
        {"following", nullptr},
        {"location", nullptr},
        {"site", nullptr},
        {"avatar", nullptr}}},
      {"crunchbase", {{"handle", slug.empty() ? json(nullptr) : json("organization/" + slug)}}},
      {"emailProvider", false},
      {"type", "private"},
      {"ticker", nullptr},
      {"identifiers", {{"usEIN", nullptr}}},
      {"phone", nullptr},
      {"metrics",
       {{"alexaUsRank", nullptr},
        {"alexaGlobalRank", nullptr},
        {"employees", company.employee_count > 0 ? json(company.employee_count) : json(nullptr)},
        {"employeesRange", text_or_null(clearbit_employees_range(company.employee_count))},
        {"marketCap", nullptr},
        {"raised", nullptr},
        // Clearbit fills annualRevenue for public companies only; the emulator gives the lower
        // bound of the estimate so the connector has a number to map.
        {"annualRevenue",
         revenue_low > 0 ? json(static_cast<std::int64_t>(revenue_low)) : json(nullptr)},
        {"estimatedAnnualRevenue", text_or_null(clearbit_revenue_range(company.inferred_revenue))},
        {"fiscalYearEnd", nullptr}}},
      {"indexedAt", kIndexedAt},
      {"tech", json::array()},
      {"techCategories", json::array()},
      {"parent", {{"domain", nullptr}}},
      {"ultimateParent", {{"domain", nullptr}}}};
}

json github_user(const Person& person) {
  const std::string login = github_login(person);
  const auto id = numeric_id(login);
  json user = github_search_item(person);
  user.erase("score");
  user["name"] = text_or_null(person.full_name);
  user["company"] = text_or_null(person.job_company_name);
  user["blog"] = ""; // GitHub sends "" rather than null for an empty blog
  user["location"] = text_or_null(utf8_titlecase(person.location_name));
  user["email"] = person.github_email_public && !person.emails.empty() ? json(person.emails.front())
                                                                       : json(nullptr);
  user["hireable"] = nullptr;
  user["bio"] = text_or_null(person.bio);
  user["twitter_username"] =
      person.twitter_url.empty() ? json(nullptr) : json(profile_handle(person.twitter_url));
  user["public_repos"] = person.github_public_repos;
  user["public_gists"] = person.github_public_repos / 7;
  user["followers"] = person.github_followers;
  user["following"] = person.github_following;
  user["created_at"] =
      "2015-0" + std::to_string(1 + id % 9) + "-1" + std::to_string(id % 10) + "T08:00:00Z";
  user["updated_at"] = "2024-01-15T10:00:00Z";
  return user;
}

json github_search_item(const Person& person) {
  const std::string login = github_login(person);
  const auto id = numeric_id(login);
  const std::string api = "https://api.github.com/users/" + login;
  return {{"login", login},
          {"id", id},
          {"node_id", "MDQ6VXNlcj" + std::to_string(id)},
          {"avatar_url", "https://avatars.githubusercontent.com/u/" + std::to_string(id) + "?v=4"},
          {"gravatar_id", ""},
          {"url", api},
          {"html_url", "https://github.com/" + login},
          {"followers_url", api + "/followers"},
          {"repos_url", api + "/repos"},
          {"type", "User"},
          {"site_admin", false},
          {"score", 1.0}};
}

} // namespace femu
