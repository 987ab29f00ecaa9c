#include "leadsync/model/lead.hpp"

#include "leadsync/core/text.hpp"

#include <algorithm>
#include <set>
#include <utility>

namespace leadsync::model {

ListAgeBucket list_age_bucket(const Origin& origin, Date today) {
  std::optional<std::chrono::sys_days> newest;
  for (const auto& list : origin.lists) {
    if (!list.acquired_on || !list.acquired_on->ok()) {
      continue;
    }
    const std::chrono::sys_days acquired{*list.acquired_on};
    if (!newest || acquired > *newest) {
      newest = acquired;
    }
  }
  if (!newest) {
    return ListAgeBucket::unknown;
  }
  // A date in the future (clock skew, vendor typo) is treated as fresh rather than rejected.
  const auto age_days = (std::chrono::sys_days{today} - *newest).count();
  if (age_days <= 7) {
    return ListAgeBucket::days_1_7;
  }
  if (age_days <= 30) {
    return ListAgeBucket::days_8_30;
  }
  if (age_days <= 60) {
    return ListAgeBucket::days_31_60;
  }
  if (age_days <= 90) {
    return ListAgeBucket::days_61_90;
  }
  return ListAgeBucket::older;
}

int list_count(const Origin& origin) {
  std::set<std::pair<std::string, std::string>> distinct;
  for (const auto& list : origin.lists) {
    distinct.emplace(text::ascii_lower(list.vendor), list.list_id);
  }
  return static_cast<int>(distinct.size());
}

std::string primary_email(const Lead& lead) {
  return lead.person.emails.empty() ? std::string() : lead.person.emails.front();
}

std::vector<std::string> phone_numbers_e164(const Lead& lead) {
  std::vector<std::string> numbers;
  for (const auto& phone : lead.person.phones) {
    if (!phone.e164.empty() &&
        std::find(numbers.begin(), numbers.end(), phone.e164) == numbers.end()) {
      numbers.push_back(phone.e164);
    }
  }
  return numbers;
}

std::string display_name(const Lead& lead) {
  const auto first = text::trim(lead.person.first_name);
  const auto last = text::trim(lead.person.last_name);
  std::string name(first);
  if (!first.empty() && !last.empty()) {
    name += ' ';
  }
  name += last;
  if (!name.empty()) {
    return name;
  }
  if (const auto company = text::trim(lead.company.name); !company.empty()) {
    return std::string(company);
  }
  if (auto email = primary_email(lead); !email.empty()) {
    return email;
  }
  return lead.identity.id;
}

} // namespace leadsync::model
