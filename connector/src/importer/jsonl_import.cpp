#include "leadsync/importer/jsonl_import.hpp"

#include "detail/bounded_line.hpp"
#include "leadsync/core/text.hpp"
#include "leadsync/model/json.hpp"
#include "leadsync/model/validate.hpp"

#include <algorithm>
#include <nlohmann/json.hpp>

namespace leadsync::importer {
namespace {

// E-mail domains are case-insensitive; local parts are kept as given.
void normalize_emails(model::Lead& lead) {
  for (auto& email : lead.person.emails) {
    email = std::string(text::trim(email, text::space_tab_cr_lf));
    const auto at = email.rfind('@');
    if (at != std::string::npos) {
      email.replace(at, std::string::npos, text::ascii_lower(std::string_view(email).substr(at)));
    }
  }
}

// The lead as it would be stored, minus what the store owns, to tell "unchanged" from "updated".
nlohmann::json comparable(const model::Lead& lead) {
  auto document = model::to_json(lead);
  document.erase("identity");
  return document;
}

// Finds the stored lead this line describes: same id, else same primary e-mail.
Result<std::optional<model::Lead>> find_existing(store::Store& store, const model::Lead& lead) {
  if (!lead.identity.id.empty()) {
    auto found = store.get_lead(lead.identity.id);
    if (found.ok()) {
      return std::optional<model::Lead>(std::move(found).value());
    }
    if (found.error().category != ErrorCategory::not_found) {
      return fail(found.error());
    }
    return std::optional<model::Lead>();
  }
  const auto email = model::primary_email(lead);
  if (email.empty()) {
    return std::optional<model::Lead>();
  }
  LEADSYNC_TRY(auto matches, store.find_by_email(email));
  if (matches.empty()) {
    return std::optional<model::Lead>();
  }
  return std::optional<model::Lead>(std::move(matches.front()));
}

} // namespace

std::map<std::string, std::int64_t> JsonlReport::counts() const {
  return {{"read", lines_read},
          {"created", created},
          {"updated", updated},
          {"unchanged", unchanged},
          {"rejected", static_cast<std::int64_t>(rejected.size())}};
}

Result<JsonlReport> import_jsonl(store::Store& store, std::istream& input,
                                 const JsonlOptions& options) {
  JsonlReport report;
  detail::JsonLinesReader lines(
      input, "lead", "Write one lead object a line (leadsync leads show ID --json shows one)");
  std::string line;
  for (;;) {
    LEADSYNC_TRY(const bool more, lines.next(line));
    if (!more) {
      break;
    }
    const std::int64_t line_number = lines.line_number();
    ++report.lines_read;
    auto parsed = model::lead_from_json_text(line);
    if (!parsed.ok()) {
      report.rejected.push_back({line_number, parsed.error().message});
      continue;
    }
    model::Lead lead = std::move(parsed).value();
    normalize_emails(lead);
    if (const auto violations = model::validate(lead); !violations.empty()) {
      report.rejected.push_back({line_number, model::describe(violations)});
      continue;
    }
    LEADSYNC_TRY(auto existing, find_existing(store, lead));
    if (!existing) {
      if (!options.dry_run) {
        auto created = store.create_lead(std::move(lead));
        if (!created.ok()) {
          if (created.error().category == ErrorCategory::invalid_argument) {
            report.rejected.push_back({line_number, created.error().message});
            continue;
          }
          return fail(created.error());
        }
      }
      ++report.created;
      continue;
    }
    lead.identity = existing->identity; // the store owns id, version and times
    lead.is_new = existing->is_new || lead.is_new;
    if (comparable(lead) == comparable(*existing)) {
      ++report.unchanged;
      continue;
    }
    if (!options.dry_run) {
      LEADSYNC_TRY(auto updated, store.update_lead(std::move(lead)));
      (void)updated;
    }
    ++report.updated;
  }
  if (input.bad()) {
    return fail(ErrorCategory::invalid_argument,
                "could not read the input after line " + std::to_string(lines.line_number()));
  }
  return report;
}

} // namespace leadsync::importer
