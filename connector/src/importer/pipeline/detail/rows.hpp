#pragma once
// The reader and normalizer stages of the CSV import: records in chunks, and what each row became.

#include "leadsync/core/error.hpp"
#include "leadsync/importer/column_mapping.hpp"
#include "leadsync/importer/csv_reader.hpp"
#include "leadsync/importer/dedupe.hpp"
#include "leadsync/importer/row_to_lead.hpp"
#include "leadsync/model/lead.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace leadsync::importer::detail {

// Consecutive records of the file, as the reader thread hands them on.
struct RecordChunk {
  std::vector<CsvRecord> records;
  // Blank rows the reader skipped before each record, counted from where this run started.
  std::vector<std::int64_t> empty_before;
  bool last = false;             // the end of the file follows
  std::int64_t empty_at_end = 0; // with `last`: blank rows skipped in all, trailing ones included
  std::optional<Error> error;    // reading failed after the records (an I/O error)
};

// One row after normalization.
struct RowOutcome {
  std::int64_t line = 0;
  ResumePoint resume_after; // where reading continues after this row
  std::int64_t empty_before = 0;
  bool accepted = false;
  // Rejected rows: the reason, its category (describe_rejection) and the original cells.
  std::string reason;
  std::string category;
  std::vector<std::string> fields; // also on an accepted row with notes
  // Accepted rows: what was dropped or not trusted (RowResult::problems, joined with "; "), empty
  // when nothing was; the lead and what finds its duplicates.
  std::string notes;
  model::Lead lead;
  MatchKeys keys;
  StoreLookups lookups;
};

struct RowChunk {
  std::vector<RowOutcome> rows;
  bool last = false;
  std::int64_t empty_at_end = 0;
  std::optional<Error> error;
};

// Record -> outcome: column mapping, build_lead, model::validate, match keys. Const and pure, so
// the normalizer threads share one.
class RowNormalizer {
public:
  RowNormalizer(const ColumnMapping& mapping, RowContext context);
  RowOutcome normalize(CsvRecord&& record) const;
  RowChunk normalize(RecordChunk&& chunk) const;

private:
  const ColumnMapping& mapping_;
  RowContext context_;
};

// The rejection category (see describe_rejection) of a CSV reader's row error message.
std::string csv_error_category(std::string_view error);

} // namespace leadsync::importer::detail
