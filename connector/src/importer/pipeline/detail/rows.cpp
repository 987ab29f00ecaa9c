#include "pipeline/detail/rows.hpp"

#include "leadsync/model/validate.hpp"

namespace leadsync::importer::detail {

namespace {

bool contains(std::string_view text, std::string_view part) {
  return text.find(part) != std::string_view::npos;
}

// Decided on the lead, not on the wording of the reason, which lists the details.
std::string rejection_category(const model::Lead& lead) {
  const bool named = !lead.person.last_name.empty() || !lead.company.name.empty();
  bool reachable = !lead.person.emails.empty();
  for (const auto& phone : lead.person.phones) {
    reachable = reachable || phone.valid;
  }
  if (!named && !reachable) {
    return "no_name_and_no_contact";
  }
  return named ? "no_valid_contact" : "no_name_or_company";
}

} // namespace

std::string csv_error_category(std::string_view error) {
  if (contains(error, "fields, but the header has")) {
    return "wrong_field_count";
  }
  if (contains(error, "quoted field opened")) {
    return "unclosed_quote";
  }
  if (contains(error, "the bytes ") || contains(error, "NUL character")) {
    return "invalid_encoding";
  }
  if (contains(error, "longer than")) {
    return "row_too_long";
  }
  return "unreadable_row";
}

RowNormalizer::RowNormalizer(const ColumnMapping& mapping, RowContext context)
    : mapping_(mapping), context_(std::move(context)) {}

RowOutcome RowNormalizer::normalize(CsvRecord&& record) const {
  RowOutcome outcome;
  outcome.line = record.line;
  outcome.resume_after = record.resume_after();
  if (!record.ok()) {
    outcome.reason = std::move(record.error);
    outcome.category = csv_error_category(outcome.reason);
    outcome.fields = std::move(record.fields);
    return outcome;
  }
  MappedRow row;
  for (const auto& column : mapping_.columns) {
    auto& value = record.fields[column.index];
    if (column.field.empty()) {
      row.unmapped.emplace_back(column.header, std::move(value));
    } else {
      row.fields.emplace_back(column.field, std::move(value));
    }
  }
  auto result = build_lead(row, context_);
  if (!result.accepted()) {
    outcome.reason = std::move(result.reject_reason);
    outcome.category = rejection_category(result.lead);
  } else if (const auto violations = model::validate(result.lead); !violations.empty()) {
    outcome.reason = model::describe(violations);
    outcome.category = "breaks_lead_rules";
  }
  if (!outcome.reason.empty() || !result.problems.empty()) {
    // The cells back in file order, for the error or notes file: the mapped row took them column
    // by column.
    outcome.fields.reserve(mapping_.columns.size());
    std::size_t next_mapped = 0;
    std::size_t next_unmapped = 0;
    for (const auto& column : mapping_.columns) {
      auto& cell = column.field.empty() ? row.unmapped[next_unmapped++].second
                                        : row.fields[next_mapped++].second;
      outcome.fields.push_back(std::move(cell));
    }
  }
  if (!outcome.reason.empty()) {
    return outcome;
  }
  for (const auto& problem : result.problems) {
    outcome.notes += (outcome.notes.empty() ? "" : "; ") + problem;
  }
  outcome.accepted = true;
  outcome.lead = std::move(result.lead);
  outcome.keys = match_keys(outcome.lead);
  outcome.lookups = store_lookups(outcome.lead);
  return outcome;
}

RowChunk RowNormalizer::normalize(RecordChunk&& chunk) const {
  RowChunk rows;
  rows.rows.reserve(chunk.records.size());
  for (std::size_t i = 0; i < chunk.records.size(); ++i) {
    rows.rows.push_back(normalize(std::move(chunk.records[i])));
    rows.rows.back().empty_before = chunk.empty_before[i];
  }
  rows.last = chunk.last;
  rows.empty_at_end = chunk.empty_at_end;
  rows.error = std::move(chunk.error);
  return rows;
}

} // namespace leadsync::importer::detail
