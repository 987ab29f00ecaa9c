#include "leadsync/model/validate.hpp"

#include "leadsync/core/text.hpp"
#include "leadsync/core/uuid.hpp"

#include <algorithm>
#include <fmt/format.h>

namespace leadsync::model {
namespace {

// A lead keeps every address it received, up to the identifier cap; the CRM gets the first three.
constexpr std::size_t max_emails = max_identifiers_per_lead;
constexpr std::size_t min_e164_digits = 8;
constexpr std::size_t max_e164_digits = 15;
constexpr int status_qualified = 3;
constexpr int status_crm_chooses = -1;
constexpr int first_disqualified_status = 4; // lost
constexpr int last_disqualified_status = 7;  // cancelled

bool blank(std::string_view text) {
  return text::trim(text).empty();
}

// Plausible, not proven: one '@', a local part, a dotted domain, no whitespace. Full checks belong
// to the importer's normalizer.
bool plausible_email(std::string_view email) {
  if (std::any_of(email.begin(), email.end(), text::is_ascii_space) ||
      std::count(email.begin(), email.end(), '@') != 1) {
    return false;
  }
  const auto at = email.find('@');
  const auto domain = email.substr(at + 1);
  const auto dot = domain.find('.');
  return at > 0 && dot != std::string_view::npos && dot > 0 && domain.back() != '.';
}

bool e164_shaped(std::string_view number) {
  if (number.empty() || number.front() != '+') {
    return false;
  }
  const auto digits = number.substr(1);
  return digits.size() >= min_e164_digits && digits.size() <= max_e164_digits &&
         std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; });
}

bool within(double value, double low, double high) {
  return value >= low && value <= high;
}

class Checker {
public:
  void add(std::string field, std::string rule, std::string message) {
    violations_.push_back({std::move(field), std::move(rule), std::move(message)});
  }
  std::vector<Violation> take() { return std::move(violations_); }

private:
  std::vector<Violation> violations_;
};

void check_name(const Lead& lead, Checker& checker) {
  if (blank(lead.person.last_name) && blank(lead.company.name)) {
    checker.add("person.last_name", "needs_name_or_company",
                "neither a last name nor a company name is set: fill person.last_name or "
                "company.name");
  }
}

void check_reachable(const Lead& lead, Checker& checker) {
  const auto& person = lead.person;
  const bool has_email = std::any_of(person.emails.begin(), person.emails.end(),
                                     [](const std::string& email) { return !blank(email); });
  const bool has_phone =
      std::any_of(person.phones.begin(), person.phones.end(),
                  [](const Phone& phone) { return phone.valid || !phone.e164.empty(); });
  const auto& address = lead.company.address;
  const bool has_address = !blank(address.city) && !blank(address.country);
  if (!has_email && !has_phone && !has_address) {
    checker.add("person", "needs_contact",
                "no way to reach the lead: add an e-mail address, a phone number that normalizes "
                "to E.164, or a postal address with city and country");
  }
}

void check_emails(const Lead& lead, Checker& checker) {
  const auto& emails = lead.person.emails;
  if (emails.size() > max_emails) {
    checker.add(
        "person.emails", "too_many_emails",
        fmt::format("{} e-mail addresses given, a lead keeps at most {}: remove the extra ones",
                    emails.size(), max_emails));
  }
  for (std::size_t i = 0; i < emails.size(); ++i) {
    if (!plausible_email(emails[i])) {
      checker.add(fmt::format("person.emails[{}]", i), "email_format",
                  fmt::format("\"{}\" is not a plausible e-mail address (one '@', a name before "
                              "it, a domain with a dot after it, no spaces): correct or remove it",
                              emails[i]));
    }
  }
}

void check_phones(const Lead& lead, Checker& checker) {
  const auto& phones = lead.person.phones;
  for (std::size_t i = 0; i < phones.size(); ++i) {
    if (!phones[i].e164.empty() && !e164_shaped(phones[i].e164)) {
      checker.add(fmt::format("person.phones[{}].e164", i), "phone_e164_format",
                  fmt::format("\"{}\" is not E.164 ('+' and {} to {} digits): store the "
                              "normalized number, or leave e164 empty and keep the text in raw",
                              phones[i].e164, min_e164_digits, max_e164_digits));
    }
  }
}

void check_guid(const std::string& value, const std::string& field, Checker& checker) {
  if (!value.empty() && !Uuid::is_valid(value)) {
    checker.add(field, "uuid_format",
                fmt::format("\"{}\" is not a GUID like 1b4e28ba-2fa1-4d2b-883f-0016d3cca427: use "
                            "the id exactly as the CRM returned it, or leave it empty",
                            value));
  }
}

void check_ids(const Lead& lead, Checker& checker) {
  const auto& id = lead.identity.id;
  if (!id.empty()) {
    // The internal id is a key: "ABC…" and "abc…" must not become two leads, so only the canonical
    // form.
    const auto parsed = Uuid::parse(id);
    if (!parsed.ok() || parsed.value().to_string() != id) {
      checker.add("identity.id", "uuid_format",
                  fmt::format("\"{}\" is not a lower-case hyphenated UUID like "
                              "1b4e28ba-2fa1-4d2b-883f-0016d3cca427: fix it, or leave it empty so "
                              "the store assigns one",
                              id));
    }
  }
  check_guid(lead.identity.crm_id, "identity.crm_id", checker);
  for (std::size_t i = 0; i < lead.activities.size(); ++i) {
    check_guid(lead.activities[i].crm_id, fmt::format("activities[{}].crm_id", i), checker);
  }
}

void check_scores(const Lead& lead, Checker& checker) {
  const auto& scores = lead.qualification.scores;
  const std::pair<const char*, double> named[] = {{"fit", scores.fit},
                                                  {"engagement", scores.engagement},
                                                  {"data_quality", scores.data_quality},
                                                  {"total", scores.total}};
  for (const auto& [name, value] : named) {
    if (!within(value, 0, 100)) {
      checker.add(fmt::format("qualification.scores.{}", name), "score_range",
                  fmt::format("score {} is outside 0..100: clamp it, or fix the scoring rule "
                              "weights that produced it",
                              value));
    }
  }
}

void check_confidences(const Lead& lead, Checker& checker) {
  for (std::size_t i = 0; i < lead.enrichment.size(); ++i) {
    const double confidence = lead.enrichment[i].confidence;
    if (!within(confidence, 0, 1)) {
      checker.add(fmt::format("enrichment[{}].confidence", i), "confidence_range",
                  fmt::format("confidence {} is outside 0..1: normalize the provider's raw "
                              "confidence (kept in raw_confidence) to 0..1",
                              confidence));
    }
  }
}

void check_outcome(const Lead& lead, Checker& checker) {
  const auto& outcome = lead.qualification.outcome;
  const int status = outcome.status_code;
  if (outcome.kind == OutcomeKind::qualify && status != status_qualified &&
      status != status_crm_chooses) {
    checker.add("qualification.outcome.status_code", "outcome_status_code",
                fmt::format("a qualify outcome has status code {}: use 3 (qualified) or -1 to let "
                            "the CRM choose",
                            status));
  }
  if (outcome.kind == OutcomeKind::disqualify &&
      (status < first_disqualified_status || status > last_disqualified_status)) {
    checker.add("qualification.outcome.status_code", "outcome_status_code",
                fmt::format("a disqualify outcome has status code {}: use 4 (lost), 5 (cannot "
                            "contact), 6 (no longer interested) or 7 (cancelled)",
                            status));
  }
}

} // namespace

std::vector<Violation> validate(const Lead& lead) {
  if (lead.deleted) {
    return {}; // a tombstone only records that the lead is gone
  }
  Checker checker;
  check_name(lead, checker);
  check_reachable(lead, checker);
  check_emails(lead, checker);
  check_phones(lead, checker);
  check_ids(lead, checker);
  check_scores(lead, checker);
  check_confidences(lead, checker);
  check_outcome(lead, checker);
  return checker.take();
}

std::string describe(const std::vector<Violation>& violations) {
  std::string text;
  for (const auto& violation : violations) {
    if (!text.empty()) {
      text += "; ";
    }
    text += violation.field;
    text += ": ";
    text += violation.message;
  }
  return text;
}

} // namespace leadsync::model
