#pragma once
// Import of a purchased lead list from a CSV file into the store: `leadsync import FILE.csv`.
//
// The pipeline: one reader thread (CsvReader: decoding, dialect, records in file order) -> N
// normalizer threads (column mapping, build_lead, model::validate, match keys: pure, in parallel)
// -> one writer, the calling thread, which takes the rows back in file order and
//   - reports rejected and unreadable rows (in file order) to the summary and the error file;
//   - finds each accepted row's duplicate: first among the leads this import made or touched
//     (FileIndex), then among the stored leads (Store::find_leads for a whole batch at once, then
//     match_stored), and merges it (merge_leads), or makes a new lead;
//   - stages every new or changed lead with its outbox entry, some thousands of rows per batch,
//     and hands each batch with the import checkpoint to
// -> one committer thread, which writes the batch in one transaction (Store::write_batch, as a
//    bulk load: WriteOptions::bulk_load) while the writer de-duplicates the next batch. At most
//    one batch is in flight; a row may merge into a lead of the batch in flight (the writer reads
//    it from the batch). The writer reads a batch's rows before it hands the batch before them,
//    and what they need from the store (stored duplicates, leads of this import they merge into)
//    then, so that it does not wait for a commit. When the run ends without an error,
//    Store::finish_bulk_load.
// Queues between the stages hold a bounded number of rows, so memory does not grow with the file;
// the FileIndex (about 85 bytes per lead) is the only part that grows with the number of leads.
//
// Resuming: the checkpoint of a file (import_checkpoint.hpp) records the first row not committed.
// `Start::resume` seeks the reader there, restores the counters and continues; the rows of the
// interrupted run are in the store, so they are found as stored leads: no lead is created twice.
// A file whose import was interrupted is refused without resume or restart, with a message that
// says so.
//
// One import of a file at a time: a run takes the file's checkpoint for its process before it reads
// a row (Store::put_checkpoint_if, so of two imports starting together exactly one gets it), with
// its owner ("<host>:<pid>", the process's start token, since when). While that process runs,
// another import of the file (fresh, resume or restart) is refused with a message naming it; an
// import whose process is gone (killed, crashed) is interrupted and can be resumed. A run that
// stops on its own (an error, a cancellation) gives the file up as it returns.
//
// Cancelling (the token run() takes) stops the run after the batch it is on is committed: the
// report covers the rows so far (stopped_at_line), and a resume continues.
//
// The importer only imports: the run history entry of an import is begun and finished by the
// import job (jobs/import.hpp), which hands its id to run(). The id is kept in the checkpoint, so
// the job that resumes an interrupted import can finish the interrupted run.
//
// Dry run: everything happens as in a real import, but the writes go to a scratch store
// (CsvImportOptions::scratch_store; by default a temporary SQLite file, removed afterwards, for any
// backend: store/open.hpp says why), so the counts are exactly those a real import would give and
// the store is not touched (no checkpoint).

#include "leadsync/core/cancel.hpp"
#include "leadsync/core/clock.hpp"
#include "leadsync/core/random.hpp"
#include "leadsync/core/result.hpp"
#include "leadsync/importer/column_mapping.hpp"
#include "leadsync/importer/csv_reader.hpp"
#include "leadsync/importer/dedupe.hpp"
#include "leadsync/importer/import_checkpoint.hpp"
#include "leadsync/importer/row_to_lead.hpp"
#include "leadsync/model/lead.hpp"
#include "leadsync/store/open.hpp"
#include "leadsync/store/store.hpp"

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace leadsync::importer {

// mappings/import-columns.toml as this build shipped it, for when the configured file is missing.
std::string_view builtin_import_columns();

// Why rows are rejected, as the keys of ImportCounts::rejected_by_reason (each rejected row counts
// under exactly one):
//   wrong_field_count       more or fewer fields than the header has columns
//   invalid_encoding        bytes that are not valid in the file's encoding (or a NUL character)
//   unclosed_quote          a quoted field that is never closed
//   row_too_long            a row longer than the reader's limit
//   unreadable_row          any other problem the CSV reader reports
//   no_name_or_company      neither a last name nor a company
//   no_valid_contact        neither a valid e-mail nor a valid phone
//   no_name_and_no_contact  both of the above
//   breaks_lead_rules       the lead breaks another rule of model::validate
// The phrase for people, e.g. "no last name or company"; the key itself when it is unknown.
std::string_view describe_rejection(std::string_view category);

struct CsvImportOptions {
  enum class Start {
    fresh,   // refused when an earlier import of the file was interrupted
    resume,  // continue the interrupted import of the file
    restart, // start over, ignoring an interrupted import (its leads are matched as stored)
  };

  std::string path;
  ReadOptions read;                      // --encoding, --delimiter ("auto" detects)
  std::vector<ColumnOverride> overrides; // --map
  std::string region;                    // --region; empty: default_region
  std::string default_region = "US";     // import.default_region
  UnmappedColumns unmapped_columns = UnmappedColumns::description; // import.unmapped_columns
  std::string vendor;                                              // --vendor
  std::string list_id;                                             // --list; empty: the file's name
  std::optional<bool> exclusive;          // --exclusive / --shared; unset: shared
  std::optional<model::Date> acquired_on; // --acquired
  std::string errors_file;                // --errors; empty: none (resume: the interrupted run's)
  // --notes: the accepted rows that had values dropped or not trusted, with their notes; empty:
  // none (resume: the interrupted run's).
  std::string notes_file;
  bool dry_run = false;
  Start start = Start::fresh;
  MergePolicy merge;
  // Where a dry run writes: a new, empty store thrown away afterwards (stored leads are still read
  // from the real store). Unset: store::scratch_store_factory, the store's own choice.
  store::ScratchStoreFactory scratch_store;
};

struct PipelineTuning {
  std::size_t normalizer_threads = 0; // 0: one per hardware thread
  std::size_t chunk_rows = 256;       // rows a normalizer takes at once
  std::size_t chunks_in_flight = 0;   // chunks between reader and writer; 0: 4 per normalizer
  // Rows per store transaction (and checkpoint), rounded up to whole chunks: the writer
  // de-duplicates batch N+1 while the committer writes batch N. A batch lives three times in
  // memory (staged, in flight, and the rows of the next one, read before the staged batch is handed
  // so that their store reads do not wait for a commit), which bounds it by the memory target: 1M
  // rows on 2 cores with the bulk-load path, 1,000 rows per batch: 57 s, peak RSS 147 MB; 2,000:
  // 52 s, 156 MB; 4,000: 54 s, 171 MB.
  std::size_t batch_rows = 1000;
  // Whether batches are written by the writer's committer thread while the writer de-duplicates
  // the next (the store call is about two thirds of the serial work; 300,000 rows on 2 cores:
  // about 25% faster). false: the writer commits each batch itself before it goes on (for tests
  // and for measuring).
  bool commit_in_background = true;
  // Niceness the normalizer threads add to their own (Linux nice values are per thread). The
  // writer and the committer are the stages that cannot run in parallel: when they and the
  // normalizers compete for the cores, the serial stages going first keep every core busy (2
  // cores: about 10% faster). 0 leaves them as they are.
  int normalizer_nice = 5;
  // Measuring only (import_bench's cleaning ceiling): reads, decodes, maps and cleans every row on
  // the normalizer threads and counts them (rows_read, rejected), with no de-duplication and no
  // writes at all. Only with a dry run (CsvImport::run refuses it otherwise). Every accepted row
  // counts as a new lead (so the counts balance); no error or notes file is written and no scratch
  // store is made; the report lists the first rejected and noted rows as usual.
  bool clean_only = false;
};

struct ImportProgress {
  std::int64_t rows_read = 0;              // so far, the rows of an interrupted run included
  std::int64_t rows_this_run = 0;          // rows this run read
  std::uint64_t bytes_done = 0;            // position in the file
  std::uint64_t bytes_total = 0;           // the file's size
  std::chrono::duration<double> elapsed{}; // this run
};

struct RejectedRow {
  std::int64_t line = 0; // physical line where the row starts
  std::string reason;
};

// An accepted row that had values dropped or not trusted (RowResult::problems).
struct NotedRow {
  std::int64_t line = 0; // physical line where the row starts
  std::string notes;     // every note, joined with "; "
};

struct ImportReport {
  static constexpr std::size_t max_listed_rejections = 100;

  ImportCounts counts;                    // the whole file, an interrupted run's rows included
  std::vector<RejectedRow> rejected_rows; // the first max_listed_rejections, in file order
  std::vector<NotedRow> noted_rows;       // the first max_listed_rejections, in file order
  std::int64_t rows_this_run = 0;
  std::chrono::duration<double> elapsed{};     // this run
  std::optional<std::int64_t> resumed_at_line; // where this run started, when it resumed
  std::int64_t run_id = 0;                     // the run id run() was given; 0: none
  std::string errors_file;                     // absolute path; empty when none was written
  std::string notes_file;                      // absolute path; empty when none was written
  // Set when the run was cancelled before the end of the file: the first line not imported, where
  // `--resume` continues. The counts are those committed.
  std::optional<std::int64_t> stopped_at_line;

  double rows_per_second() const;
};

class CsvImport {
public:
  using ProgressCallback = std::function<void(const ImportProgress&)>;

  // Opens the file (encoding and delimiter detected or as asked), maps its columns, and looks for
  // the file's checkpoint. Fails (invalid_argument, config) on what the user must fix: a file that
  // cannot be read or is a workbook, a bad option, an unknown --map header or field, an unknown
  // region, an interrupted import without resume or restart, resume without one to continue,
  // resume with options that differ from the interrupted run's, or an import of the file that
  // another process is running (a dry run is not refused: it gets a note).
  static Result<CsvImport> prepare(store::Store& store, const ColumnDictionary& dictionary,
                                   CsvImportOptions options, Clock& clock = SystemClock::instance(),
                                   Random& random = SecureRandom::instance());

  CsvImport(CsvImport&&) noexcept;
  CsvImport& operator=(CsvImport&&) noexcept;
  ~CsvImport();

  const EncodingChoice& encoding() const;
  char delimiter() const;
  const std::string& delimiter_reason() const;
  const ColumnMapping& mapping() const;
  const ImportSettings& settings() const; // what the rows are read and labelled with
  // The checkpoint this import continues, when it resumes.
  const std::optional<ImportCheckpoint>& resuming() const;
  const std::string& checkpoint_name() const;
  std::uint64_t file_size() const;
  // Age of the list by its acquisition date, as of the clock's today.
  model::ListAgeBucket list_age() const;
  // Things the user should know before the import runs (mapping warnings, settings taken from the
  // checkpoint, unmapped columns going to the description).
  const std::vector<std::string>& notes() const;

  // Imports the rows. Fails when the store, the file or the error or notes file fails, and
  // (invalid_argument) when another process took the file's import after prepare(); rejected rows
  // are in the report. Call once. `progress` is called from the calling thread after each batch.
  // Once `cancel` is cancelled the run stops after the batch it is on (see stopped_at_line).
  // `run_id` is the run history entry the caller began for this import (0: none; a dry run keeps
  // none): stored in the checkpoint and named when another import is refused.
  Result<ImportReport> run(const PipelineTuning& tuning = {}, const ProgressCallback& progress = {},
                           const CancellationToken& cancel = {}, std::int64_t run_id = 0);

private:
  struct State;
  explicit CsvImport(std::unique_ptr<State> state);
  std::unique_ptr<State> state_;
};

} // namespace leadsync::importer
