#pragma once
// Import of leads in the internal JSON form, one per line (JSON Lines). Each line is parsed,
// checked against the lead invariants, matched against the store (same id, else same primary
// e-mail) and written with its outbox entry. Every rejected line is reported with its number and
// reason; nothing is silently dropped.

#include "leadsync/core/result.hpp"
#include "leadsync/store/store.hpp"

#include <cstdint>
#include <istream>
#include <map>
#include <string>
#include <vector>

namespace leadsync::importer {

struct RejectedLine {
  std::int64_t line = 0;
  std::string reason;
};

struct JsonlReport {
  std::int64_t lines_read = 0; // non-blank lines
  std::int64_t created = 0;
  std::int64_t updated = 0;
  std::int64_t unchanged = 0;
  std::vector<RejectedLine> rejected;
  std::map<std::string, std::int64_t> counts() const; // for the run history
};

struct JsonlOptions {
  bool dry_run = false; // parse, validate and match, but write nothing
};

// Fails only when the store fails; bad lines are reported in the JsonlReport.
Result<JsonlReport> import_jsonl(store::Store& store, std::istream& input,
                                 const JsonlOptions& options = {});

} // namespace leadsync::importer
