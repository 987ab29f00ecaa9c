// Merging a newer list row into a stored lead (policy in dedupe.hpp).

#include "clean/detail/text.hpp"
#include "leadsync/importer/dedupe.hpp"

#include <algorithm>

namespace leadsync::importer {
namespace {

bool same_list(const model::ListProvenance& a, const model::ListProvenance& b) {
  return detail::iequals(a.vendor, b.vendor) && a.list_id == b.list_id;
}

bool same_phone(const model::Phone& a, const model::Phone& b) {
  return a.e164.empty() && b.e164.empty() ? a.raw == b.raw : a.e164 == b.e164;
}

std::vector<std::string_view> lines_of(std::string_view text) {
  std::vector<std::string_view> lines;
  std::size_t start = 0;
  while (start < text.size()) {
    auto end = text.find('\n', start);
    if (end == std::string_view::npos) {
      end = text.size();
    }
    lines.push_back(text.substr(start, end - start));
    start = end + 1;
  }
  return lines;
}

class Merger {
public:
  Merger(const model::Lead& stored, const MergePolicy& policy)
      : lead_(stored), stored_wins_(policy.stored_values_win ||
                                    (policy.crm_values_win && !stored.identity.crm_id.empty())) {}

  // Fills an empty value; replaces a different one unless the stored side wins.
  template <typename T>
  void value(T& target, const T& incoming, bool target_empty, bool incoming_empty,
             std::string_view path) {
    if (incoming_empty || target == incoming || (!target_empty && stored_wins_)) {
      return;
    }
    target = incoming;
    changed(path);
  }

  void text(std::string& target, const std::string& incoming, std::string_view path) {
    value(target, incoming, target.empty(), incoming.empty(), path);
  }

  template <typename T>
  void optional(std::optional<T>& target, const std::optional<T>& incoming, std::string_view path) {
    value(target, incoming, !target.has_value(), !incoming.has_value(), path);
  }

  void merge(const model::Lead& newcomer) {
    merge_person(newcomer.person);
    merge_company(newcomer.company);
    merge_origin(newcomer.origin);
    merge_consent(newcomer.consent);
    text(lead_.subject, newcomer.subject, "subject");
    merge_description(newcomer.description);
    if (!changed_.empty()) {
      lead_.is_new = true;
    }
  }

  MergeResult take() { return {std::move(lead_), std::move(changed_)}; }

private:
  void changed(std::string_view path) {
    if (std::find(changed_.begin(), changed_.end(), path) == changed_.end()) {
      changed_.emplace_back(path);
    }
  }

  void merge_person(const model::Person& incoming) {
    auto& person = lead_.person;
    text(person.first_name, incoming.first_name, "person.first_name");
    text(person.middle_name, incoming.middle_name, "person.middle_name");
    text(person.last_name, incoming.last_name, "person.last_name");
    text(person.job_title, incoming.job_title, "person.job_title");
    text(person.language, incoming.language, "person.language");
    optional(person.preferred_contact_method, incoming.preferred_contact_method,
             "person.preferred_contact_method");
    for (const auto& email : incoming.emails) {
      const bool known =
          std::any_of(person.emails.begin(), person.emails.end(),
                      [&](const std::string& kept) { return detail::iequals(kept, email); });
      if (!known) {
        person.emails.push_back(email);
        changed("person.emails");
      }
    }
    for (const auto& invalid : incoming.invalid_emails) {
      if (std::find(person.invalid_emails.begin(), person.invalid_emails.end(), invalid) ==
          person.invalid_emails.end()) {
        person.invalid_emails.push_back(invalid);
        changed("person.invalid_emails");
      }
    }
    for (const auto& phone : incoming.phones) {
      const auto kept = std::find_if(person.phones.begin(), person.phones.end(),
                                     [&](const model::Phone& p) { return same_phone(p, phone); });
      if (kept == person.phones.end()) {
        person.phones.push_back(phone);
        changed("person.phones");
      } else if (kept->extension.empty() && !phone.extension.empty()) {
        kept->extension = phone.extension;
        changed("person.phones");
      }
    }
  }

  void merge_company(const model::Company& incoming) {
    auto& company = lead_.company;
    text(company.name, incoming.name, "company.name");
    // The domain follows the website it came from; one derived from an e-mail host only fills a
    // gap.
    if (!incoming.website.empty()) {
      const bool take = company.website.empty() || !stored_wins_;
      if (take && company.website != incoming.website) {
        company.website = incoming.website;
        changed("company.website");
      }
      if (take && company.domain != incoming.domain) {
        company.domain = incoming.domain;
        changed("company.domain");
      }
    } else if (company.domain.empty() && !incoming.domain.empty()) {
      company.domain = incoming.domain;
      changed("company.domain");
    }
    text(company.industry, incoming.industry, "company.industry");
    optional(company.employee_count, incoming.employee_count, "company.employee_count");
    optional(company.annual_revenue, incoming.annual_revenue, "company.annual_revenue");
    value(company.address, incoming.address, company.address == model::Address{},
          incoming.address == model::Address{}, "company.address");
  }

  void merge_origin(const model::Origin& incoming) {
    auto& origin = lead_.origin;
    if (origin.channel == model::Channel::other && incoming.channel != model::Channel::other) {
      origin.channel = incoming.channel;
      changed("origin.channel");
    }
    if (origin.campaign.empty() && !incoming.campaign.empty()) {
      origin.campaign = incoming.campaign;
      changed("origin.campaign");
    }
    if (origin.lead_magnet.empty() && !incoming.lead_magnet.empty()) {
      origin.lead_magnet = incoming.lead_magnet;
      changed("origin.lead_magnet");
    }
    for (const auto& list : incoming.lists) {
      const bool known =
          std::any_of(origin.lists.begin(), origin.lists.end(),
                      [&](const model::ListProvenance& kept) { return same_list(kept, list); });
      if (!known) {
        origin.lists.push_back(list);
        changed("origin.lists");
      }
    }
  }

  void merge_consent(const model::Consent& incoming) {
    auto& consent = lead_.consent;
    auto refuse = [&](bool& flag, bool incoming_flag, std::string_view path) {
      if (incoming_flag && !flag) {
        flag = true;
        changed(path);
      }
    };
    refuse(consent.do_not_email, incoming.do_not_email, "consent.do_not_email");
    refuse(consent.do_not_phone, incoming.do_not_phone, "consent.do_not_phone");
    refuse(consent.do_not_bulk_email, incoming.do_not_bulk_email, "consent.do_not_bulk_email");
    refuse(consent.do_not_postal_mail, incoming.do_not_postal_mail, "consent.do_not_postal_mail");
  }

  void merge_description(const std::string& incoming) {
    auto& description = lead_.description;
    auto known = lines_of(description);
    std::string added;
    for (const auto line : lines_of(incoming)) {
      if (line.empty() || std::find(known.begin(), known.end(), line) != known.end()) {
        continue;
      }
      known.push_back(line);
      if (!description.empty() || !added.empty()) {
        added += '\n';
      }
      added += line;
    }
    if (!added.empty()) {
      description += added;
      changed("description");
    }
  }

  model::Lead lead_;
  bool stored_wins_;
  std::vector<std::string> changed_;
};

} // namespace

MergeResult merge_leads(const model::Lead& stored, const model::Lead& newcomer,
                        const MergePolicy& policy) {
  Merger merger(stored, policy);
  merger.merge(newcomer);
  return merger.take();
}

bool exceeds_identifier_cap(const model::Lead& lead) {
  return lead.person.emails.size() > model::max_identifiers_per_lead ||
         lead.person.phones.size() > model::max_identifiers_per_lead;
}

void record_merge(model::Lead& lead, std::string_view rule, std::string source,
                  model::TimePoint at) {
  if (lead.merges.size() < model::max_merge_records) {
    lead.merges.push_back({std::string(rule), std::move(source), at});
  }
  ++lead.merge_count;
}

} // namespace leadsync::importer
