#pragma once
// One mapped row of a purchased list -> a lead, or the reasons it cannot be one. Pure and
// thread-safe (see normalize.hpp): rows can be converted in parallel and written in order by one
// writer.

#include "leadsync/core/config.hpp"
#include "leadsync/core/result.hpp"
#include "leadsync/importer/normalize.hpp"
#include "leadsync/model/lead.hpp"

#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace leadsync::importer {

// The lead fields a list column can be mapped to. "phone" is a phone of unknown kind (guessed from
// the number); "full_name" is split into first/middle/last unless those columns are present too.
std::span<const std::string_view> lead_field_names();
bool is_lead_field(std::string_view name);

// What happens to columns that map to no lead field (config import.unmapped_columns, parsed by
// config::parse_unmapped_columns): description appends them to the lead's description as
// "Header: value" lines; custom returns them in RowResult::custom_fields for the caller to store as
// custom columns; drop ignores them.
using UnmappedColumns = config::UnmappedColumns;

using NamedValues = std::vector<std::pair<std::string, std::string>>;

struct MappedRow {
  NamedValues fields;   // (lead field name, raw value) in column order; a field may repeat
  NamedValues unmapped; // (original header, raw value) of the columns mapped to nothing
};

struct RowContext {
  // The region of phones without a country code, unless the row's country column names one.
  std::string default_region = "US";
  UnmappedColumns unmapped_columns = UnmappedColumns::description;
  // The list this row came on; added to origin.lists when its vendor or list id is set.
  model::ListProvenance list;
};

struct RowResult {
  model::Lead lead;                  // the cleaned lead; complete only when accepted()
  std::string reject_reason;         // empty when accepted; else every reason, joined with "; "
  std::vector<std::string> problems; // values dropped or not trusted, even on an accepted row
  std::vector<EmailCheck> emails;    // the check of every e-mail given, valid or not, in order
  NamedValues custom_fields;         // the unmapped columns, when UnmappedColumns::custom

  bool accepted() const { return reject_reason.empty(); }
};

// Cleans every field (names proper-cased, e-mails checked, phones to E.164 with the row's country
// as the region when it names one, company domain from the website, else from a non-free-mail
// e-mail host) and checks the import requirement: a last name or a company, AND a valid e-mail or a
// valid phone. A rejected row says all that is missing, e.g. "no last name or company; no valid
// e-mail or phone: e-mail 'x@' is not valid (nothing after '@'); phone '555-0100' is not a valid
// number for region US". Invalid e-mails are kept apart, as received, in person.invalid_emails
// (never used as an e-mail, and reported); phones that are not valid are kept, flagged. Numbers:
// employee_count accepts "1,200", "1 200", "51-200" (lower bound), "500+"; annual_revenue accepts
// thousands separators, a decimal comma, currency signs and K/M/B (тыс/млн/млрд) multipliers.
// language accepts a BCP 47 tag or an English/Russian/Arabic language name ("Russian", "русский",
// "العربية"). A field given twice keeps its first value (the second is reported); a field name that
// is not a lead field is reported and kept as an unmapped column. origin.channel is purchased_list.
RowResult build_lead(const MappedRow& row, const RowContext& context);

} // namespace leadsync::importer
