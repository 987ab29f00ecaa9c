#pragma once
// The people and companies the emulator knows: typed records (PDL field names), conversion from
// the PDL-shaped JSON that POST /_emulator/records plants, the indexes every provider looks them up
// by, and the seeded synthetic population.

#include <cstdint>
#include <leadsync/core/result.hpp>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace femu {

// The fixed PDL-style industry vocabulary of generated companies (lower case, as PDL answers).
inline const std::vector<std::string>& industry_vocabulary() {
  static const std::vector<std::string> industries = {"computer software",
                                                      "information technology and services",
                                                      "financial services",
                                                      "management consulting",
                                                      "marketing and advertising",
                                                      "retail",
                                                      "construction",
                                                      "hospital & health care",
                                                      "education management",
                                                      "telecommunications"};
  return industries;
}

struct Company {
  std::string id;
  std::string name;    // as written ("Acme Analytics"); PDL answers it lower case
  std::string website; // a bare domain: "acme-analytics.com"
  std::string size;    // PDL range: "51-200"
  std::int64_t employee_count = 0;
  std::string industry;         // PDL vocabulary, lower case
  std::string inferred_revenue; // PDL range: "$10M-$25M"
  std::string locality;         // city
  std::string country;          // lower case English name: "united states"
  int founded = 0;              // 0 = unknown
  std::string linkedin_url;
  std::string twitter_url;
};

struct Person {
  std::string id;
  std::string full_name;
  std::string first_name;
  std::string last_name;
  std::vector<std::string> emails; // every known address, work first
  std::string work_email;
  std::vector<std::string> personal_emails;
  std::string mobile_phone; // E.164: "+74951234567"
  std::vector<std::string> phone_numbers;
  std::string job_title;
  std::string job_title_role;                // PDL role: "sales", "engineering", ...
  std::vector<std::string> job_title_levels; // PDL levels: "cxo", "vp", "director", "manager", ...
  std::string job_company_name;
  std::string job_company_website;
  std::string job_company_size;
  std::string job_company_industry;
  std::string linkedin_url; // "linkedin.com/in/jane-doe" (PDL writes them without a scheme)
  std::string twitter_url;
  std::string github_url;
  std::string location_name; // "moscow, russia"
  std::string location_locality;
  std::string location_country;
  std::string bio;
  // GitHub-only facts, derived deterministically when not planted.
  bool github_email_public = false;
  int github_public_repos = 0;
  int github_followers = 0;
  int github_following = 0;
};

// Reads a planted record in PDL shape (the fields listed in ../README.md). Fails
// (invalid_argument) when a person has neither a name nor an e-mail, or a company has neither a
// name nor a website, or a field has the wrong JSON type.
leadsync::Result<Person> person_from_pdl_json(const nlohmann::json& record);
leadsync::Result<Company> company_from_pdl_json(const nlohmann::json& record);

// An indexed set of records. Not thread-safe: the emulator guards it.
class Directory {
public:
  void add(Person person);
  void add(Company company);
  void clear();

  const Person* person_by_email(std::string_view email) const;
  const Person* person_by_phone(std::string_view phone) const;
  // A LinkedIn, Twitter or GitHub URL in any spelling ("https://www.linkedin.com/in/x/").
  const Person* person_by_profile(std::string_view url) const;
  const Person* person_by_github_login(std::string_view login) const;
  // Every person of that name (normalize_name) at that company (normalize_company_name, or its
  // domain); without a company, every person of that name.
  std::vector<const Person*> people_by_name(std::string_view full_name,
                                            std::string_view company) const;
  const Company* company_by_domain(std::string_view website) const;
  const Company* company_by_name(std::string_view name) const;

  std::size_t people_count() const { return people_.size(); }
  std::size_t company_count() const { return companies_.size(); }
  const std::vector<Person>& people() const { return people_; }
  const std::vector<Company>& companies() const { return companies_; }

private:
  // Records live in vectors; the indexes map a normal form to positions (later records win).
  std::vector<Person> people_;
  std::vector<Company> companies_;
  std::map<std::string, std::size_t> person_by_email_;
  std::map<std::string, std::size_t> person_by_phone_;
  std::map<std::string, std::size_t> person_by_profile_;
  std::map<std::string, std::size_t> person_by_github_;
  std::multimap<std::string, std::size_t> people_by_name_;
  std::map<std::string, std::size_t> company_by_domain_;
  std::map<std::string, std::size_t> company_by_name_;
};

// The seeded synthetic population: `people` people (Latin, Cyrillic and Arabic names) working at
// about people/8 companies, plus the people and companies of tests/data/sample-list*.csv. The same
// seed and size always give the same records.
void generate_population(Directory& directory, std::uint64_t seed, std::size_t people);

// The people and companies of tests/data/sample-list*.csv, in the planting shape.
const nlohmann::json& sample_list_records();

// Helpers shared with the answer shapes.
std::string github_login(const Person& person); // from github_url; empty without one
// "united states" -> "US"; empty when unknown.
std::string country_code(std::string_view country);
// PDL size range of an employee count: 120 -> "51-200".
std::string pdl_size_range(std::int64_t employees);

} // namespace femu
