#pragma once
// What a CSV import records so that it can be resumed: its settings, the row after the last
// committed batch, the counters so far and the length of its error file. The import writes it with
// every batch of leads, in the same transaction (Store::write_batch), under a name derived from the
// file's content, so a run killed at any moment (even with SIGKILL) leaves a checkpoint that
// matches exactly what the store holds.

#include "leadsync/core/result.hpp"
#include "leadsync/importer/column_mapping.hpp"
#include "leadsync/importer/csv_reader.hpp"
#include "leadsync/model/lead.hpp"

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace leadsync::importer {

inline bool operator==(const ColumnOverride& a, const ColumnOverride& b) {
  return a.header == b.header && a.field == b.field;
}
inline bool operator==(const ResumePoint& a, const ResumePoint& b) {
  return a.offset == b.offset && a.index == b.index && a.line == b.line;
}

// How an import reads and labels a file; kept in the checkpoint so that --resume continues the
// same way.
struct ImportSettings {
  std::string encoding = "UTF-8"; // iconv name the reader used, never "auto"
  char delimiter = ',';
  std::vector<ColumnOverride> overrides; // --map
  std::string default_region = "US";
  model::ListProvenance list; // vendor, list id, exclusive, acquisition date

  friend bool operator==(const ImportSettings&, const ImportSettings&) = default;
};

// Where every row of the file went. Each row read lands in exactly one of the other counters.
struct ImportCounts {
  std::int64_t rows_read = 0;          // data rows, blank ones included (the header is not a row)
  std::int64_t new_leads = 0;          // rows that became a new lead
  std::int64_t merged_in_file = 0;     // rows that changed a lead an earlier row of the file made
  std::int64_t merged_with_stored = 0; // rows that changed a lead stored before this import
  std::int64_t unchanged = 0;          // duplicates that added nothing
  std::int64_t empty_rows = 0;         // rows whose fields are all blank: skipped
  // Not fates of their own (a row counted here is also counted above):
  std::int64_t possible_duplicates = 0; // pairs queued for review (`leads duplicates`)
  std::int64_t suspicious_clusters = 0; // rows whose merge was refused at the identifier cap
  std::map<std::string, std::int64_t> rejected_by_reason; // reason category -> rows
  // Accepted rows (new, merged or unchanged) that had a value dropped or not trusted (an invalid
  // e-mail, a phone that is not valid, an unreadable employee count...). Not a fate either: each
  // such row is counted as new, merged or unchanged too.
  std::int64_t with_notes = 0;

  std::int64_t rejected() const;
  std::int64_t merged() const { return merged_in_file + merged_with_stored; }
  // rows_read == new_leads + merged() + unchanged + rejected() + empty_rows
  bool balanced() const;
  // The counts for the run history: read, created, merged, unchanged, rejected, empty and the
  // counts that are not fates (possible_duplicates, suspicious_clusters, with_notes).
  std::map<std::string, std::int64_t> run_counts() const;

  friend bool operator==(const ImportCounts&, const ImportCounts&) = default;
};

struct ImportCheckpoint {
  enum class State { running, finished };
  State state = State::running;
  std::string file;            // the path it was started with, for messages
  std::uint64_t file_size = 0; // bytes
  ImportSettings settings;
  ResumePoint resume;             // the first row not yet committed
  ImportCounts counts;            // up to `resume`
  std::string errors_file;        // absolute path of the --errors file; empty when there is none
  std::uint64_t errors_bytes = 0; // its length when the checkpoint was committed
  std::string notes_file;         // absolute path of the --notes file; empty when there is none
  std::uint64_t notes_bytes = 0;  // its length when the checkpoint was committed
  std::int64_t run_id = 0;        // the run history entry of the run that wrote it
  model::TimePoint started_at{};  // when the import (its first run) started
  // The process that holds the import while it runs ("<host>:<pid>", process_name()); empty once
  // it stopped on its own (failed or interrupted) and in checkpoints older versions wrote.
  std::string owner;
  std::string owner_start;        // process_start_token() of the owner: tells a reused pid apart
  model::TimePoint owner_since{}; // when the owner took the import
  model::TimePoint updated_at{};  // when the checkpoint was last written

  friend bool operator==(const ImportCheckpoint&, const ImportCheckpoint&) = default;
};

std::string to_json_text(const ImportCheckpoint& checkpoint);
// Fails (invalid_argument) on text that is not a checkpoint this version wrote.
Result<ImportCheckpoint> import_checkpoint_from_json(std::string_view text);

// The checkpoint name of a file: "import:" + SHA-256 (hex) of its first MiB + ":" + its size. It
// names the same content wherever the file lies, and a file that grew or shrank gets a new name.
// Fails when the file cannot be read.
Result<std::string> import_checkpoint_name(const std::string& path);

} // namespace leadsync::importer
