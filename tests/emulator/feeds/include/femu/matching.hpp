#pragma once
// People Data Labs enrichment queries: parsing them from what the SDKs send (query strings with
// repeated keys and profile as a JSON-array string, JSON bodies, bulk "params" objects; notes
// 1.3, 1.4, 1.9), checking PDL's minimum input rule, and matching them against the records with a
// deterministic likelihood.

#include "femu/records.hpp"
#include "femu/text.hpp"

#include <leadsync/core/result.hpp>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace femu {

struct PersonQuery {
  std::vector<std::string> emails;
  std::vector<std::string> phones;
  std::vector<std::string> profiles; // LinkedIn, Twitter or GitHub URLs
  std::string name;                  // full name
  std::string first_name;
  std::string last_name;
  std::string company; // name or website
  std::string school;
  std::string location; // location, locality, region, country, ... folded together
  bool has_other_identifier =
      false;              // pdl_id, lid, email_hash, birth_date, ...: accepted, never matched
  int min_likelihood = 2; // notes 1.3: default 2
  bool titlecase = false;
  bool include_if_matched = false;

  // A stable text of the identifying fields, for hashing (miss-rate, likelihood jitter).
  std::string canonical() const;
};

struct CompanyQuery {
  std::string name;
  std::string website;
  std::string profile;
  int min_likelihood = 2;
  bool titlecase = false;
  bool include_if_matched = false;

  std::string canonical() const;
};

// JSON (a POST body or a bulk item's "params") as the same name/value pairs a query string gives:
// arrays become repeated keys, scalars their text, objects their JSON text.
QueryParams params_from_json(const nlohmann::json& object);

// Fails (invalid_argument, the message says what is missing or wrong) when the query does not meet
// PDL's minimum input (notes 1.3) or a control parameter is out of range.
leadsync::Result<PersonQuery> parse_person_query(const QueryParams& params);
leadsync::Result<CompanyQuery> parse_company_query(const QueryParams& params);

struct PersonMatch {
  const Person* person = nullptr;
  int likelihood = 0;               // 1..10
  std::vector<std::string> matched; // the input fields that matched ("email", "name", ...)
};
struct CompanyMatch {
  const Company* company = nullptr;
  int likelihood = 0;
  std::vector<std::string> matched;
};

// Looks the query up in each directory in turn (planted records first). Likelihood, deterministic
// per record and query: e-mail or profile 9-10, phone 8-9, name + company 5-7 (lower when the name
// is shared), name + location 3-4; an identifier match whose given name disagrees loses 3.
std::optional<PersonMatch> match_person(const std::vector<const Directory*>& directories,
                                        const PersonQuery& query);
// Website 9-10, profile 8-9, name 5-7.
std::optional<CompanyMatch> match_company(const std::vector<const Directory*>& directories,
                                          const CompanyQuery& query);

} // namespace femu
