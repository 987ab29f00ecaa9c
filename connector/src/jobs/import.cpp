#include "leadsync/jobs/import.hpp"

#include "leadsync/core/bounded_read.hpp"
#include "leadsync/core/log.hpp"
#include "leadsync/core/text.hpp"
#include "leadsync/importer/csv_reader.hpp"
#include "leadsync/importer/import_checkpoint.hpp"
#include "leadsync/importer/normalize.hpp"
#include "leadsync/model/json.hpp"

#include <filesystem>
#include <fstream>
#include <system_error>
#include <utility>

namespace leadsync::jobs {

namespace {

bool csv_options_given(const ImportRequest& request) {
  return !request.vendor.empty() || !request.list_id.empty() || request.exclusive ||
         request.shared || !request.acquired.empty() || request.encoding != "auto" ||
         request.delimiter != "auto" || !request.maps.empty() || !request.region.empty() ||
         !request.errors_file.empty() || !request.notes_file.empty() || request.resume ||
         request.restart;
}

Status cannot_open(const std::string& file) {
  return fail(ErrorCategory::invalid_argument,
              "cannot open " + file + " for reading; check the path and that you may read it");
}

// The column dictionary the config names; the one built in when the default file is missing (a
// config written by `leadsync init` has no mappings folder beside it).
Result<importer::ColumnDictionary> load_dictionary(const config::Config& config,
                                                   std::string& source) {
  const auto path = config::resolve_path(config, config.mapping.import_columns);
  std::error_code ignored;
  if (std::filesystem::exists(path, ignored)) {
    source = path.string();
    return importer::ColumnDictionary::load_file(path.string());
  }
  if (config.mapping.import_columns != config::MappingOptions{}.import_columns) {
    return fail(ErrorCategory::config,
                "the column dictionary " + path.string() +
                    " (mapping.import_columns) does not exist; fix the path, or remove the key "
                    "to use the built-in one");
  }
  source = "built in (copy mappings/import-columns.toml next to the config to change it)";
  return importer::ColumnDictionary::load_text(importer::builtin_import_columns(),
                                               "built-in import-columns.toml");
}

Result<importer::CsvImportOptions> csv_options(const config::Config& config,
                                               const ImportRequest& given) {
  importer::CsvImportOptions options;
  options.path = given.file;
  options.read.encoding = given.encoding;
  options.read.delimiter = given.delimiter;
  for (const auto& map : given.maps) {
    LEADSYNC_TRY(auto column_override, importer::parse_column_override(map));
    options.overrides.push_back(std::move(column_override));
  }
  options.region = given.region;
  options.default_region = config.import.default_region;
  options.unmapped_columns = config.import.unmapped_columns;
  options.vendor = given.vendor;
  options.list_id = given.list_id;
  if (given.exclusive || given.shared) {
    options.exclusive = given.exclusive;
  }
  if (!given.acquired.empty()) {
    auto date = model::parse_date(given.acquired);
    if (!date.ok()) {
      return fail(ErrorCategory::invalid_argument, "--acquired: " + date.error().message);
    }
    options.acquired_on = date.value();
  }
  options.errors_file = given.errors_file;
  options.notes_file = given.notes_file;
  options.dry_run = given.dry_run;
  using Start = importer::CsvImportOptions::Start;
  options.start = given.resume ? Start::resume : given.restart ? Start::restart : Start::fresh;
  return options;
}

// A resume finishes the run it continues (its id is in the checkpoint) as interrupted, once this
// run took the file's import: the checkpoint stored then names this run. Best effort: a run
// history entry that is gone is no loss.
void close_resumed_run(store::Store& store, const importer::CsvImport& import,
                       const std::string& path, std::int64_t run_id) {
  const auto& resuming = import.resuming();
  if (!resuming || resuming->run_id == 0 || run_id == 0) {
    return;
  }
  const auto stored = store.get_checkpoint(import.checkpoint_name());
  if (!stored.ok() || !stored->has_value()) {
    return;
  }
  const auto taken = importer::import_checkpoint_from_json(**stored);
  if (!taken.ok() || taken->run_id != run_id) {
    return;
  }
  (void)RunRecorder::finish_interrupted(store, resuming->run_id, resuming->counts.run_counts(),
                                        path + ": interrupted before line " +
                                            std::to_string(resuming->resume.line) +
                                            "; resumed by run " + std::to_string(run_id));
}

JobProgress import_progress(const importer::ImportProgress& progress) {
  JobProgress shown;
  shown.done = progress.rows_read;
  shown.done_this_run = progress.rows_this_run;
  shown.bytes_done = progress.bytes_done;
  shown.bytes_total = progress.bytes_total;
  shown.elapsed = progress.elapsed;
  return shown;
}

} // namespace

ImportFormat import_format(const std::string& file) {
  const auto ext = text::ascii_lower(std::filesystem::path(file).extension().string());
  return ext == ".jsonl" || ext == ".ndjson" ? ImportFormat::jsonl : ImportFormat::csv;
}

Status check_import_request(const ImportRequest& request) {
  const auto ext = text::ascii_lower(std::filesystem::path(request.file).extension().string());
  if (ext == ".xlsx" || ext == ".xls" || ext == ".xlsm") {
    return fail(ErrorCategory::invalid_argument,
                request.file +
                    " is an Excel workbook. Open it in Excel and use File > Save As > "
                    "\"CSV UTF-8 (Comma delimited) (*.csv)\", then import the .csv file.");
  }
  if (import_format(request.file) != ImportFormat::jsonl) {
    // At once, before anything reads the whole file (issue 18): `import /dev/zero`, a FIFO, or a
    // gigabyte of zeros is refused from its first megabyte.
    return importer::check_csv_start(request.file, request.encoding);
  }
  if (csv_options_given(request)) {
    return fail(ErrorCategory::invalid_argument,
                request.file +
                    " is JSON Lines (leads in leadsync's own form): the list, encoding, "
                    "delimiter, mapping, region, error-file, notes-file and resume options apply "
                    "to CSV lists only; leave them out");
  }
  std::error_code ignored;
  if (!std::filesystem::exists(request.file, ignored)) {
    return cannot_open(request.file);
  }
  // A FIFO (before opening it: the open would wait for a writer) or a device would be read
  // forever (issue 18).
  LEADSYNC_CHECK(check_regular_file(
      request.file, FileReadPurpose{.what = "the import file",
                                    .remedy = "name a JSON Lines file (.jsonl) of leads"}));
  // The first line must end within the first megabyte, as for CSV files (importer::
  // check_csv_start): a gigabyte of zeros named .jsonl is refused at once.
  std::ifstream input(request.file, std::ios::binary);
  std::string probe(importer::header_probe_bytes + 1, '\0');
  input.read(probe.data(), static_cast<std::streamsize>(probe.size()));
  probe.resize(static_cast<std::size_t>(input.gcount()));
  if (probe.size() > importer::header_probe_bytes && probe.find('\n') == std::string::npos) {
    return fail(ErrorCategory::invalid_argument,
                request.file +
                    " does not look like a JSON Lines file: its first 1 MB hold no line break; "
                    "is this a JSON Lines file? Write one lead object a line");
  }
  return ok_status();
}

struct PreparedImport::State {
  Runtime* runtime = nullptr;
  ImportRequest request;
  ImportFormat format = ImportFormat::csv;
  std::optional<importer::CsvImport> csv;
  std::string dictionary_source;
  bool ran = false;

  Result<ImportOutcome> run_jsonl(const JobContext& context);
  Result<ImportOutcome> run_csv(const JobContext& context, const importer::PipelineTuning& tuning);
};

PreparedImport::PreparedImport(std::unique_ptr<State> state) : state_(std::move(state)) {}
PreparedImport::PreparedImport(PreparedImport&&) noexcept = default;
PreparedImport& PreparedImport::operator=(PreparedImport&&) noexcept = default;
PreparedImport::~PreparedImport() = default;

ImportFormat PreparedImport::format() const {
  return state_->format;
}
const ImportRequest& PreparedImport::request() const {
  return state_->request;
}
const importer::CsvImport* PreparedImport::csv() const {
  return state_->csv ? &*state_->csv : nullptr;
}
const std::string& PreparedImport::dictionary_source() const {
  return state_->dictionary_source;
}

Result<PreparedImport> prepare_import(Runtime& runtime, ImportRequest request) {
  LEADSYNC_CHECK(check_import_request(request));
  auto state = std::make_unique<PreparedImport::State>();
  state->runtime = &runtime;
  state->format = import_format(request.file);
  if (state->format == ImportFormat::csv) {
    const auto& config = runtime.config();
    LEADSYNC_TRY(const auto dictionary, load_dictionary(config, state->dictionary_source));
    LEADSYNC_TRY(auto options, csv_options(config, request));
    LEADSYNC_TRY(auto prepared, importer::CsvImport::prepare(runtime.store(), dictionary,
                                                             std::move(options), runtime.clock()));
    state->csv.emplace(std::move(prepared));
  }
  state->request = std::move(request);
  return PreparedImport(std::move(state));
}

Result<ImportOutcome> PreparedImport::run(const JobContext& context,
                                          const importer::PipelineTuning& tuning) {
  if (state_->ran) {
    return fail(ErrorCategory::internal, "a prepared import runs once; prepare another");
  }
  state_->ran = true;
  return state_->format == ImportFormat::jsonl ? state_->run_jsonl(context)
                                               : state_->run_csv(context, tuning);
}

Result<ImportOutcome> PreparedImport::State::run_jsonl(const JobContext& /*context*/) {
  const auto& file = request.file;
  std::ifstream input(file, std::ios::binary);
  if (!input) {
    return fail(cannot_open(file).error());
  }
  store::Store& store = runtime->store();
  const Clock& clock = runtime->clock();
  LEADSYNC_TRY(auto recorder, request.dry_run ? Result<RunRecorder>(RunRecorder::not_recorded())
                                              : RunRecorder::begin(store, clock, "import"));
  const auto started = clock.steady_now();
  auto result = importer::import_jsonl(store, input, {.dry_run = request.dry_run});
  ImportOutcome outcome;
  outcome.format = ImportFormat::jsonl;
  outcome.file = file;
  outcome.dry_run = request.dry_run;
  outcome.elapsed = clock.steady_now() - started;
  if (!result.ok()) {
    outcome.run = recorder.fail(result.error().describe());
    return fail(result.error());
  }
  const auto& report = result.value();
  LEADSYNC_TRY(outcome.run,
               recorder.finish({.problems = static_cast<std::int64_t>(report.rejected.size()),
                                .cancelled = false,
                                .nothing_worked = false},
                               report.counts(), file));
  log::get()->info("import {}: {} read, {} created, {} updated, {} unchanged, {} rejected", file,
                   report.lines_read, report.created, report.updated, report.unchanged,
                   report.rejected.size());
  outcome.jsonl = std::move(result).value();
  return outcome;
}

Result<ImportOutcome> PreparedImport::State::run_csv(const JobContext& context,
                                                     const importer::PipelineTuning& tuning) {
  const auto& path = request.file;
  store::Store& store = runtime->store();
  LEADSYNC_TRY(auto recorder, request.dry_run
                                  ? Result<RunRecorder>(RunRecorder::not_recorded())
                                  : RunRecorder::begin(store, runtime->clock(), "import"));
  importer::CsvImport::ProgressCallback progress;
  if (context.on_progress) {
    progress = [&context](const importer::ImportProgress& at) {
      context.on_progress(import_progress(at));
    };
  }
  auto result = csv->run(tuning, progress, context.cancel, recorder.id());
  close_resumed_run(store, *csv, path, recorder.id());
  ImportOutcome outcome;
  outcome.format = ImportFormat::csv;
  outcome.file = path;
  outcome.dry_run = request.dry_run;
  if (!result.ok()) {
    outcome.run = recorder.fail(path + ": " + result.error().describe());
    return fail(result.error());
  }
  auto& report = result.value();
  std::string message = path;
  if (report.stopped_at_line) {
    message += ": stopped before line " + std::to_string(*report.stopped_at_line) +
               "; continue with `leadsync import " + path + " --resume`";
  }
  LEADSYNC_TRY(outcome.run, recorder.finish({.problems = report.counts.rejected(),
                                             .cancelled = report.stopped_at_line.has_value(),
                                             .nothing_worked = false},
                                            report.counts.run_counts(), std::move(message)));
  if (!report.stopped_at_line) {
    log::get()->info("import {}: {} rows read, {} new, {} merged, {} unchanged, {} rejected, {} "
                     "empty, {:.1f} s",
                     path, report.counts.rows_read, report.counts.new_leads, report.counts.merged(),
                     report.counts.unchanged, report.counts.rejected(), report.counts.empty_rows,
                     report.elapsed.count());
  }
  outcome.elapsed = report.elapsed;
  outcome.csv = std::move(result).value();
  return outcome;
}

Result<ImportOutcome> run_import(Runtime& runtime, ImportRequest request,
                                 const JobContext& context) {
  LEADSYNC_TRY(auto prepared, prepare_import(runtime, std::move(request)));
  return prepared.run(context);
}

} // namespace leadsync::jobs
