#pragma once
// The import job: a purchased lead list (CSV, importer::CsvImport, with checkpoints and resume) or
// leads in leadsync's own JSON Lines form (importer::import_jsonl). `leadsync import` and the
// daemon's watched folder run it.
//
// It runs in two steps so that a caller can show the plan (encoding, delimiter, columns, list)
// before any row is read: prepare_import() checks the request, reads the column dictionary and
// prepares the CSV import; PreparedImport::run() imports and records the run. run_import() does
// both.
//
// Run history: a CSV import's run keeps its id in the file's checkpoint, so that a resume finishes
// the interrupted run ("interrupted before line N; resumed by run M"). A cancelled CSV import stops
// after the batch it is on and its run is interrupted, with the command that continues it. Dry runs
// record nothing.

#include "leadsync/core/result.hpp"
#include "leadsync/importer/csv_import.hpp"
#include "leadsync/importer/jsonl_import.hpp"
#include "leadsync/jobs/job_context.hpp"
#include "leadsync/jobs/run_recorder.hpp"
#include "leadsync/jobs/runtime.hpp"

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace leadsync::jobs {

enum class ImportFormat { csv, jsonl };

// What `leadsync import` takes (design section 4), as given.
struct ImportRequest {
  std::string file;
  // CSV lists only:
  std::string vendor;
  std::string list_id;    // empty: the file's name
  bool exclusive = false; // sold to us only
  bool shared = false;    // resold to others (the default when neither is given)
  std::string acquired;   // YYYY-MM-DD; empty: unknown
  std::string encoding = "auto";
  std::string delimiter = "auto";
  std::vector<std::string> maps; // "Header=field"
  std::string region;            // empty: import.default_region
  std::string errors_file;
  std::string notes_file;
  bool resume = false;
  bool restart = false;
  // Both formats:
  bool dry_run = false;
};

// By the file's extension: .jsonl and .ndjson are JSON Lines, anything else CSV.
ImportFormat import_format(const std::string& file);

// What is wrong with a request before any config or store is needed, with what to do: an Excel
// workbook, CSV-only options for a JSON Lines file, a JSON Lines file that cannot be opened. Fails
// with invalid_argument; the message reads on its own (after "error: ").
Status check_import_request(const ImportRequest& request);

struct ImportOutcome {
  ImportFormat format = ImportFormat::csv;
  std::string file;
  bool dry_run = false;
  std::optional<importer::ImportReport> csv;  // CSV
  std::optional<importer::JsonlReport> jsonl; // JSON Lines
  std::chrono::duration<double> elapsed{};    // the import itself (CSV: also csv->elapsed)
  RunSummary run; // ok, partial (rows rejected), interrupted (cancelled; CSV only)
};

class PreparedImport {
public:
  PreparedImport(PreparedImport&&) noexcept;
  PreparedImport& operator=(PreparedImport&&) noexcept;
  ~PreparedImport();

  ImportFormat format() const;
  const ImportRequest& request() const;
  // The prepared CSV import, for its plan (encoding, delimiter, columns, list, notes); null for
  // JSON Lines.
  const importer::CsvImport* csv() const;
  // Where the CSV column dictionary came from: its path, or that it is the built-in one.
  const std::string& dictionary_source() const;

  // Imports and records the run. Call once. Fails when the store, the file or the error or notes
  // file fails (the run is then recorded as failed), and (invalid_argument) when another process
  // took the file's import after prepare_import(); rejected rows are in the outcome.
  Result<ImportOutcome> run(const JobContext& context = {},
                            const importer::PipelineTuning& tuning = {});

private:
  friend Result<PreparedImport> prepare_import(Runtime& runtime, ImportRequest request);
  struct State;
  explicit PreparedImport(std::unique_ptr<State> state);
  std::unique_ptr<State> state_;
};

// Checks the request (check_import_request()) and, for a CSV list, loads the column dictionary
// (mapping.import_columns, else the built-in one when the default file is missing) and prepares
// the import (importer::CsvImport::prepare). Every failure is something the user fixes (the file,
// an option, the dictionary, an interrupted import to resume), except store failures.
Result<PreparedImport> prepare_import(Runtime& runtime, ImportRequest request);

// prepare_import(), then run().
Result<ImportOutcome> run_import(Runtime& runtime, ImportRequest request,
                                 const JobContext& context = {});

} // namespace leadsync::jobs
