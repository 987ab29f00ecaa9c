// The CSV import: preparing (file, options, checkpoint) and running the pipeline.

#include "leadsync/importer/csv_import.hpp"

#include "leadsync/core/process.hpp"
#include "leadsync/core/text.hpp"
#include "leadsync/importer/normalize.hpp"
#include "leadsync/importer/ordered_pipeline.hpp"
#include "leadsync/importer/rejected_rows.hpp"
#include "leadsync/model/json.hpp"
#include "leadsync/store/open.hpp"
#include "pipeline/detail/lead_writer.hpp"
#include "pipeline/detail/rows.hpp"

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <filesystem>
#include <span>
#include <sys/resource.h>
#include <system_error>
#include <thread>
#include <unistd.h>

namespace leadsync::importer {
namespace {

namespace fs = std::filesystem;

enum class ErrorsMode { none, create, resume };

std::string delimiter_option(char delimiter) {
  return delimiter == '\t' ? std::string("tab") : std::string(1, delimiter);
}

std::string delimiter_text(char delimiter) {
  return delimiter == '\t' ? std::string("tab") : "\"" + std::string(1, delimiter) + "\"";
}

std::string absolute_path(const std::string& path) {
  std::error_code ignored;
  return fs::absolute(path, ignored).lexically_normal().string();
}

model::TimePoint whole_milliseconds(model::TimePoint time) {
  return std::chrono::floor<std::chrono::milliseconds>(time);
}

std::string describe_overrides(const std::vector<ColumnOverride>& overrides) {
  std::string text;
  for (const auto& column : overrides) {
    text += (text.empty() ? "" : " ") + std::string("--map \"") + column.header + "=" +
            column.field + "\"";
  }
  return text.empty() ? "no --map" : text;
}

// The options given for a resume that differ from the interrupted run's; empty when none do.
// Options left out are taken from the checkpoint.
std::vector<std::string> resume_conflicts(const CsvImportOptions& options,
                                          const ImportSettings& interrupted) {
  std::vector<std::string> conflicts;
  const auto differs = [&](const std::string& option, const std::string& then,
                           const std::string& now) {
    conflicts.push_back(option + " was \"" + then + "\", now \"" + now + "\"");
  };
  if (!options.overrides.empty() && !(options.overrides == interrupted.overrides)) {
    conflicts.push_back("the column mapping was " + describe_overrides(interrupted.overrides) +
                        ", now " + describe_overrides(options.overrides));
  }
  if (!options.region.empty() && text::ascii_upper(options.region) != interrupted.default_region) {
    differs("--region", interrupted.default_region, options.region);
  }
  if (!options.vendor.empty() && options.vendor != interrupted.list.vendor) {
    differs("--vendor", interrupted.list.vendor, options.vendor);
  }
  if (!options.list_id.empty() && options.list_id != interrupted.list.list_id) {
    differs("--list", interrupted.list.list_id, options.list_id);
  }
  if (options.exclusive && *options.exclusive != interrupted.list.exclusive) {
    conflicts.push_back(std::string("the list was ") +
                        (interrupted.list.exclusive ? "--exclusive" : "--shared") + ", now " +
                        (*options.exclusive ? "--exclusive" : "--shared"));
  }
  if (options.acquired_on && options.acquired_on != interrupted.list.acquired_on) {
    differs("--acquired",
            interrupted.list.acquired_on ? model::format_date(*interrupted.list.acquired_on) : "",
            model::format_date(*options.acquired_on));
  }
  return conflicts;
}

// Lowers the calling thread's priority by `nice`, once per thread. Failing is harmless: the import
// is only a little slower.
void be_nicer_once(int nice) {
  thread_local bool done = false;
  if (!done && nice > 0) {
    errno = 0;
    const int current = ::getpriority(PRIO_PROCESS, static_cast<id_t>(::gettid()));
    if (errno == 0) {
      (void)::setpriority(PRIO_PROCESS, static_cast<id_t>(::gettid()), current + nice);
    }
  }
  done = true;
}

// leadsync cannot see the processes of another host: an import there that committed nothing for
// this long counts as gone.
constexpr auto foreign_owner_timeout = std::chrono::hours{1};

// Whether the process that took the file's import still runs it. On this host: a process with
// that pid runs and is the same one (not a later process given the same pid). On another host:
// the import committed within foreign_owner_timeout.
bool owner_alive(const ImportCheckpoint& checkpoint, model::TimePoint now) {
  const auto owner = parse_process_name(checkpoint.owner);
  if (checkpoint.state != ImportCheckpoint::State::running || !owner) {
    return false;
  }
  if (owner->host != host_name()) {
    return now - checkpoint.updated_at < foreign_owner_timeout;
  }
  if (!process_exists(owner->pid)) {
    return false;
  }
  const auto token = process_start_token(owner->pid);
  return token.empty() || checkpoint.owner_start.empty() || token == checkpoint.owner_start;
}

// Why an import of `path` cannot start while `running` (owner_alive) holds it, and what to do.
std::string running_elsewhere(const std::string& path, const ImportCheckpoint& running) {
  const auto owner = parse_process_name(running.owner);
  const auto pid = std::to_string(owner->pid);
  std::string text =
      "an import of " + path + " is already running: process " + pid + " on " + owner->host +
      " (run " + std::to_string(running.run_id) + ", since " +
      model::format_time(running.owner_since) + ", " + std::to_string(running.counts.rows_read) +
      " rows committed so far). Importing a file twice at once stores its leads twice, so this "
      "import is refused. Wait for that one to finish (`leadsync status` shows it), or stop it "
      "(Ctrl-C where it runs, or `kill " +
      pid + "`: it stops after its current batch) and then continue it with `leadsync import " +
      path + " --resume`";
  if (owner->host != host_name()) {
    text += ". leadsync cannot see the processes of " + owner->host +
            ": if that import no longer runs, resume it there, or here from " +
            model::format_time(running.updated_at + foreign_owner_timeout) +
            " (an hour after its last commit)";
  }
  return text;
}

} // namespace

std::string_view describe_rejection(std::string_view category) {
  static const std::pair<std::string_view, std::string_view> phrases[] = {
      {"wrong_field_count", "wrong number of fields"},
      {"invalid_encoding", "bytes not valid in the file's encoding"},
      {"unclosed_quote", "quoted field never closed"},
      {"row_too_long", "row too long"},
      {"unreadable_row", "row could not be read"},
      {"no_name_or_company", "no last name or company"},
      {"no_valid_contact", "no valid e-mail or phone"},
      {"no_name_and_no_contact", "no last name or company, and no valid e-mail or phone"},
      {"breaks_lead_rules", "breaks a lead rule"},
  };
  for (const auto& [key, phrase] : phrases) {
    if (key == category) {
      return phrase;
    }
  }
  return category;
}

double ImportReport::rows_per_second() const {
  return elapsed.count() > 0 ? static_cast<double>(rows_this_run) / elapsed.count() : 0.0;
}

struct CsvImport::State {
  State(store::Store& store_, Clock& clock_, Random& random_, CsvImportOptions options_)
      : store(store_), clock(clock_), random(random_), options(std::move(options_)) {}

  store::Store& store;
  Clock& clock;
  Random& random;
  CsvImportOptions options;
  std::optional<CsvReader> reader;
  ColumnMapping mapping;
  ImportSettings settings;
  UnmappedColumns unmapped_columns = UnmappedColumns::description;
  std::optional<ImportCheckpoint> resuming;
  std::string checkpoint_name;
  std::optional<std::string> stored_checkpoint; // as prepare() read it: run() replaces only that
  std::uint64_t file_size = 0;
  std::vector<std::string> notes;
  ErrorsMode errors_mode = ErrorsMode::none;
  std::string errors_file; // absolute
  ErrorsMode notes_mode = ErrorsMode::none;
  std::string notes_file; // absolute
  bool ran = false;
};

CsvImport::CsvImport(std::unique_ptr<State> state) : state_(std::move(state)) {}
CsvImport::CsvImport(CsvImport&&) noexcept = default;
CsvImport& CsvImport::operator=(CsvImport&&) noexcept = default;
CsvImport::~CsvImport() = default;

const EncodingChoice& CsvImport::encoding() const {
  return state_->reader->encoding();
}
char CsvImport::delimiter() const {
  return state_->reader->delimiter();
}
const std::string& CsvImport::delimiter_reason() const {
  return state_->reader->delimiter_reason();
}
const ColumnMapping& CsvImport::mapping() const {
  return state_->mapping;
}
const ImportSettings& CsvImport::settings() const {
  return state_->settings;
}
const std::optional<ImportCheckpoint>& CsvImport::resuming() const {
  return state_->resuming;
}
const std::string& CsvImport::checkpoint_name() const {
  return state_->checkpoint_name;
}
std::uint64_t CsvImport::file_size() const {
  return state_->file_size;
}
const std::vector<std::string>& CsvImport::notes() const {
  return state_->notes;
}

model::ListAgeBucket CsvImport::list_age() const {
  model::Origin origin;
  origin.lists.push_back(state_->settings.list);
  const auto today = std::chrono::floor<std::chrono::days>(state_->clock.now());
  return model::list_age_bucket(origin, model::Date{today});
}

Result<CsvImport> CsvImport::prepare(store::Store& store, const ColumnDictionary& dictionary,
                                     CsvImportOptions options, Clock& clock, Random& random) {
  auto state = std::make_unique<State>(store, clock, random, std::move(options));
  const auto& given = state->options;
  const auto& path = given.path;
  using Start = CsvImportOptions::Start;
  if (given.dry_run && given.start == Start::resume) {
    return fail(ErrorCategory::invalid_argument,
                "--dry-run cannot be combined with --resume: resume the import without "
                "--dry-run, or check the whole file with --dry-run alone");
  }

  // The file's checkpoint decides how the import may start.
  LEADSYNC_TRY(state->checkpoint_name, import_checkpoint_name(path));
  LEADSYNC_TRY(const auto stored, store.get_checkpoint(state->checkpoint_name));
  std::optional<ImportCheckpoint> previous;
  if (stored) {
    auto parsed = import_checkpoint_from_json(*stored);
    if (parsed.ok()) {
      previous = std::move(parsed).value();
    } else if (given.start != Start::restart) {
      return fail(ErrorCategory::invalid_argument,
                  parsed.error().message + " (" + state->checkpoint_name +
                      "); start the import of " + path + " over with --restart");
    }
  }
  const bool interrupted = previous && previous->state == ImportCheckpoint::State::running;
  state->stored_checkpoint = stored;
  if (previous && owner_alive(*previous, clock.now())) {
    if (!given.dry_run) {
      return fail(ErrorCategory::invalid_argument, running_elsewhere(path, *previous));
    }
    state->notes.push_back("an import of this file is running (process " + previous->owner +
                           "): this dry run does not see the leads it has yet to store");
  }
  switch (given.start) {
  case Start::resume:
    if (!previous) {
      return fail(ErrorCategory::invalid_argument,
                  "there is no interrupted import of " + path +
                      " to resume (a changed file counts as a new one): import it without "
                      "--resume");
    }
    if (!interrupted) {
      return fail(ErrorCategory::invalid_argument,
                  "the import of " + path + " started " + model::format_time(previous->started_at) +
                      " finished; there is nothing to resume. Import it without --resume to "
                      "read it again (its rows then match the leads it stored)");
    }
    state->resuming = previous;
    state->notes.push_back("resuming the interrupted import at line " +
                           std::to_string(previous->resume.line) + " (" +
                           std::to_string(previous->counts.rows_read) + " rows done)");
    break;
  case Start::fresh:
    // An import stopped before its first batch left nothing to continue: it starts over.
    if (interrupted && !given.dry_run && previous->counts.rows_read > 0) {
      return fail(ErrorCategory::invalid_argument,
                  "an import of " + path + " was interrupted after line " +
                      std::to_string(previous->resume.line - 1) + " (" +
                      std::to_string(previous->counts.rows_read) + " rows done, " +
                      std::to_string(previous->counts.new_leads) +
                      " new leads): continue it with --resume, or start over with --restart (the "
                      "leads it stored are then matched as duplicates)");
    }
    if (previous && !interrupted) {
      state->notes.push_back("this file was imported before (started " +
                             model::format_time(previous->started_at) +
                             "): its rows match the leads that import stored");
    }
    break;
  case Start::restart:
    if (interrupted) {
      state->notes.push_back("starting over: the leads the interrupted import stored are matched "
                             "as duplicates");
    }
    break;
  }

  // The reader: a resumed import reads the file exactly as the interrupted run did.
  ReadOptions read = given.read;
  const auto* resumed = state->resuming ? &state->resuming->settings : nullptr;
  if (resumed != nullptr) {
    if (read.encoding.empty() || read.encoding == "auto") {
      read.encoding = resumed->encoding;
    }
    if (read.delimiter.empty() || read.delimiter == "auto") {
      read.delimiter = delimiter_option(resumed->delimiter);
    }
  }
  LEADSYNC_TRY(auto reader, CsvReader::open(path, read));
  state->reader.emplace(std::move(reader));
  if (resumed != nullptr) {
    std::vector<std::string> conflicts = resume_conflicts(given, *resumed);
    if (state->reader->encoding().name != resumed->encoding) {
      conflicts.push_back("the encoding was " + resumed->encoding + ", now " +
                          state->reader->encoding().name);
    }
    if (state->reader->delimiter() != resumed->delimiter) {
      conflicts.push_back("the delimiter was " + delimiter_text(resumed->delimiter) + ", now " +
                          delimiter_text(state->reader->delimiter()));
    }
    if (!conflicts.empty()) {
      return fail(ErrorCategory::invalid_argument,
                  "the interrupted import of " + path +
                      " ran with other options: " + text::join(conflicts, "; ") +
                      ". Resume with the same options (or leave them out: --resume takes them "
                      "from the interrupted run), or start over with --restart");
    }
    state->settings = *resumed;
  } else {
    auto& settings = state->settings;
    settings.encoding = state->reader->encoding().name;
    settings.delimiter = state->reader->delimiter();
    settings.overrides = given.overrides;
    settings.default_region =
        text::ascii_upper(given.region.empty() ? given.default_region : given.region);
    settings.list.vendor = given.vendor;
    settings.list.list_id =
        given.list_id.empty() ? fs::path(path).filename().string() : given.list_id;
    settings.list.exclusive = given.exclusive.value_or(false);
    settings.list.acquired_on = given.acquired_on;
  }
  if (!is_supported_region(state->settings.default_region)) {
    return fail(ErrorCategory::invalid_argument,
                "the region '" + state->settings.default_region +
                    "' for phone numbers without a country code is not one libphonenumber knows: "
                    "give an ISO 3166 code such as US, RU or AE with --region (or in "
                    "import.default_region)");
  }

  LEADSYNC_TRY(state->mapping,
               map_columns(state->reader->header(), dictionary, state->settings.overrides));
  state->notes.insert(state->notes.end(), state->mapping.warnings.begin(),
                      state->mapping.warnings.end());
  if (std::none_of(state->mapping.columns.begin(), state->mapping.columns.end(),
                   [](const MappedColumn& column) { return !column.field.empty(); })) {
    state->notes.push_back("no column header was recognised, so every row will be rejected: map "
                           "the columns with --map \"Header=field\"");
  }
  state->unmapped_columns = given.unmapped_columns;
  if (given.unmapped_columns == UnmappedColumns::custom) {
    // The lead model has no custom fields (yet): keeping the values beats dropping them.
    state->unmapped_columns = UnmappedColumns::description;
    state->notes.push_back("import.unmapped_columns is \"custom\", but leads have no custom "
                           "fields yet: unmapped columns go to the description");
  }

  // The error file: a resumed import continues the interrupted run's.
  state->errors_file = given.errors_file.empty()
                           ? (state->resuming ? state->resuming->errors_file : std::string())
                           : absolute_path(given.errors_file);
  if (!state->errors_file.empty()) {
    std::error_code ignored;
    if (fs::equivalent(state->errors_file, path, ignored)) {
      return fail(ErrorCategory::invalid_argument,
                  "--errors names the file being imported; give another path for the rejected "
                  "rows");
    }
    const auto& interrupted_errors = state->resuming ? state->resuming->errors_file : std::string();
    state->errors_mode =
        state->errors_file == interrupted_errors ? ErrorsMode::resume : ErrorsMode::create;
    if (state->resuming && !interrupted_errors.empty() &&
        state->errors_mode == ErrorsMode::create) {
      state->notes.push_back("the rows rejected before the interruption are in " +
                             interrupted_errors);
    }
  }

  // The notes file, likewise.
  state->notes_file = given.notes_file.empty()
                          ? (state->resuming ? state->resuming->notes_file : std::string())
                          : absolute_path(given.notes_file);
  if (!state->notes_file.empty()) {
    std::error_code ignored;
    if (fs::equivalent(state->notes_file, path, ignored) ||
        state->notes_file == state->errors_file) {
      return fail(ErrorCategory::invalid_argument,
                  "--notes names the file being imported or the error file; give another path "
                  "for the rows with notes");
    }
    const auto& interrupted_notes = state->resuming ? state->resuming->notes_file : std::string();
    state->notes_mode =
        state->notes_file == interrupted_notes ? ErrorsMode::resume : ErrorsMode::create;
    if (state->resuming && !interrupted_notes.empty() && state->notes_mode == ErrorsMode::create) {
      state->notes.push_back("the rows with notes before the interruption are in " +
                             interrupted_notes);
    }
  }

  std::error_code size_error;
  state->file_size = fs::file_size(path, size_error);
  return CsvImport(std::move(state));
}

namespace {

// One run of the pipeline: the writer's side of it, on the calling thread.
class ImportRun {
public:
  ImportRun(store::Store& store, store::Store& target, Random& random, const CsvImport& import,
            const CsvImportOptions& options, ImportCheckpoint checkpoint,
            std::optional<RejectedRowsWriter> errors, std::optional<RejectedRowsWriter> notes,
            model::TimePoint started_at)
      : store_(store), target_(target), random_(random), import_(import), options_(options),
        checkpoint_(std::move(checkpoint)), base_(checkpoint_.counts), errors_(std::move(errors)),
        notes_(std::move(notes)), started_at_(started_at) {
    report_.counts = base_;
  }

  // Runs the pipeline to the end of the file, a cancellation or an error; the writer's last
  // commit is done (or failed) when it returns. A run that ends or stops without an error then
  // has the store index what the bulk writes left (Store::finish_bulk_load).
  Status run(CsvReader& reader, RowContext context, const PipelineTuning& tuning,
             const CsvImport::ProgressCallback& progress, const Clock& clock,
             const CancellationToken& cancel) {
    const auto steady_start = clock.steady_now();
    auto status = run_pipeline(reader, std::move(context), tuning, progress, clock, cancel);
    if (!writer_) {
      return status;
    }
    const auto finished = writer_->finish();
    if (!status.ok()) { // the first error (a failed commit's, when commit() reported one)
      return status;
    }
    LEADSYNC_CHECK(finished);
    if (!options_.dry_run) { // a dry run's scratch store is thrown away
      LEADSYNC_CHECK(target_.finish_bulk_load());
    }
    // The time the summary gives includes the last commit and indexing the bulk load's keys.
    report_.elapsed = clock.steady_now() - steady_start;
    return ok_status();
  }

  ImportReport take_report() { return std::move(report_); }
  // Where a cancelled run stopped: the first line it did not import.
  std::optional<std::int64_t> stopped_at_line() const { return stopped_at_line_; }
  // The checkpoint the last commit stored; nullopt before the first (and in a dry run). Final once
  // run() returned.
  std::optional<std::string> committed_checkpoint() const {
    if (!writer_ || !writer_->committed_checkpoint()) {
      return std::nullopt;
    }
    return writer_->committed_checkpoint()->value;
  }

private:
  Status run_pipeline(CsvReader& reader, RowContext context, const PipelineTuning& tuning,
                      const CsvImport::ProgressCallback& progress, const Clock& clock,
                      const CancellationToken& cancel) {
    const std::size_t threads = tuning.normalizer_threads != 0
                                    ? tuning.normalizer_threads
                                    : std::max<std::size_t>(1, std::thread::hardware_concurrency());
    const std::size_t chunk_rows = std::max<std::size_t>(1, tuning.chunk_rows);
    const std::size_t batch_rows = std::max<std::size_t>(1, tuning.batch_rows);
    const std::size_t in_flight =
        tuning.chunks_in_flight != 0 ? tuning.chunks_in_flight : 4 * threads;
    const detail::RowNormalizer normalizer(import_.mapping(), std::move(context));
    const auto steady_start = clock.steady_now();

    OrderedPipeline<detail::RecordChunk, detail::RowChunk> pipeline(
        threads, in_flight,
        [&reader, chunk_rows, done = false]() mutable -> std::optional<detail::RecordChunk> {
          if (done) {
            return std::nullopt;
          }
          detail::RecordChunk chunk;
          chunk.records.reserve(chunk_rows);
          chunk.empty_before.reserve(chunk_rows);
          while (chunk.records.size() < chunk_rows) {
            auto record = reader.next();
            if (!record.ok()) {
              chunk.error = record.error();
              done = true;
              break;
            }
            if (!record.value()) {
              chunk.last = true;
              chunk.empty_at_end = reader.empty_rows_skipped();
              done = true;
              break;
            }
            chunk.records.push_back(std::move(*record.value()));
            chunk.empty_before.push_back(reader.empty_rows_skipped());
          }
          return chunk;
        },
        [&normalizer, nice = tuning.normalizer_nice](detail::RecordChunk&& chunk) {
          be_nicer_once(nice);
          return normalizer.normalize(std::move(chunk));
        });

    clock_ = &clock;
    const auto report_progress = [&] {
      report_.elapsed = clock.steady_now() - steady_start;
      if (progress) {
        progress({report_.counts.rows_read, report_.rows_this_run, checkpoint_.resume.offset,
                  import_.file_size(), report_.elapsed});
      }
    };
    // The rows of the next batch are read before the batch staged is handed, so that the writer
    // reads what they need from the store while no commit holds it (LeadWriter::prepare).
    std::vector<detail::RowChunk> next;
    std::size_t next_rows = 0;
    bool staged = false; // a batch is accounted for and not handed yet
    while (auto chunk = pipeline.next()) {
      if (!writer_ && !tuning.clean_only) {
        writer_.emplace(detail::LeadWriter::Stores{store_, target_}, clock, random_, options_.merge,
                        expected_leads(*chunk), started_at_,
                        fs::path(options_.path).filename().string(), tuning.commit_in_background);
      }
      next_rows += chunk->rows.size();
      const bool end = chunk->last || chunk->error;
      next.push_back(std::move(*chunk));
      if (!end && next_rows < batch_rows) {
        continue;
      }
      if (staged) {
        LEADSYNC_CHECK(commit(std::nullopt, next));
        report_progress();
        if (cancel.cancelled()) { // the rows of `next` are not imported
          stopped_at_line_ = checkpoint_.resume.line;
          return ok_status();
        }
      } else if (writer_) {
        LEADSYNC_CHECK(writer_->prepare(next));
      }
      for (auto& rows : next) {
        LEADSYNC_CHECK(account(rows.rows));
      }
      const auto tail = std::move(next.back());
      next.clear();
      next_rows = 0;
      staged = true;
      if (tail.error) {
        return fail(*tail.error);
      }
      if (tail.last) {
        LEADSYNC_CHECK(commit(tail.empty_at_end, {}));
        report_progress();
        return ok_status();
      }
    }
    return ok_status();
  }

  // Leads the rest of the file may hold, by the bytes per row of its first chunk.
  std::size_t expected_leads(const detail::RowChunk& chunk) const {
    if (chunk.rows.empty()) {
      return 0;
    }
    const auto first = checkpoint_.resume.offset;
    const auto end = chunk.rows.back().resume_after.offset;
    const auto per_row = std::max<std::uint64_t>(1, (end - first) / chunk.rows.size());
    return static_cast<std::size_t>((import_.file_size() - std::min(first, import_.file_size())) /
                                    per_row) +
           chunk.rows.size();
  }

  // Accounts for the rows of a chunk, in order, and stages the writes they need (the writer was
  // prepared for them).
  Status account(std::vector<detail::RowOutcome>& rows) {
    auto& counts = report_.counts;
    for (auto& row : rows) {
      ++records_;
      empty_rows_ = row.empty_before;
      checkpoint_.resume = row.resume_after;
      if (!row.accepted) {
        ++counts.rejected_by_reason[row.category];
        if (report_.rejected_rows.size() < ImportReport::max_listed_rejections) {
          report_.rejected_rows.push_back({row.line, row.reason});
        }
        if (errors_) {
          LEADSYNC_CHECK(errors_->add(row.line, row.reason, row.fields));
        }
        continue;
      }
      if (!row.notes.empty()) { // accepted, with values dropped or not trusted
        ++counts.with_notes;
        if (report_.noted_rows.size() < ImportReport::max_listed_rejections) {
          report_.noted_rows.push_back({row.line, row.notes});
        }
        if (notes_) {
          LEADSYNC_CHECK(notes_->add(row.line, row.notes, row.fields));
        }
      }
      if (!writer_) { // clean_only: an accepted row counts as a new lead
        ++counts.new_leads;
        continue;
      }
      LEADSYNC_TRY(const auto decision, writer_->add(std::move(row)));
      counts.possible_duplicates += static_cast<std::int64_t>(decision.possible_duplicates);
      counts.suspicious_clusters += decision.over_identifier_cap ? 1 : 0;
      switch (decision.fate) {
      case detail::RowFate::new_lead:
        ++counts.new_leads;
        break;
      case detail::RowFate::merged_in_file:
        ++counts.merged_in_file;
        break;
      case detail::RowFate::merged_with_stored:
        ++counts.merged_with_stored;
        break;
      case detail::RowFate::unchanged:
        ++counts.unchanged;
        break;
      }
    }
    return ok_status();
  }

  // Hands the staged writes, with the checkpoint of the rows accounted for so far, to the writer's
  // committer (the error and notes files are flushed first, so they are never behind a committed
  // checkpoint). Fails when an earlier batch failed to commit.
  // `empty_at_end`: the file ended, with that many blank rows skipped in all. `next`: the rows of
  // the next batch, which the writer prepares for before it hands this one.
  Status commit(std::optional<std::int64_t> empty_at_end, std::span<const detail::RowChunk> next) {
    auto& counts = report_.counts;
    if (empty_at_end) {
      empty_rows_ = *empty_at_end;
      checkpoint_.state = ImportCheckpoint::State::finished;
    }
    counts.empty_rows = base_.empty_rows + empty_rows_;
    counts.rows_read = base_.rows_read + records_ + empty_rows_;
    report_.rows_this_run = records_ + empty_rows_;
    checkpoint_.counts = counts;
    if (errors_) {
      LEADSYNC_TRY(checkpoint_.errors_bytes, errors_->flush());
    }
    if (notes_) {
      LEADSYNC_TRY(checkpoint_.notes_bytes, notes_->flush());
    }
    checkpoint_.updated_at = whole_milliseconds(clock_->now());
    std::optional<store::CheckpointValue> value;
    if (!options_.dry_run) {
      value = store::CheckpointValue{import_.checkpoint_name(), to_json_text(checkpoint_)};
    }
    if (!writer_) { // clean_only: nothing to write
      return ok_status();
    }
    return writer_->commit(value, next);
  }

  store::Store& store_;
  store::Store& target_;
  Random& random_;
  const CsvImport& import_;
  const CsvImportOptions& options_;
  ImportCheckpoint checkpoint_;
  const ImportCounts base_; // what the interrupted run had done
  std::optional<RejectedRowsWriter> errors_;
  std::optional<RejectedRowsWriter> notes_;
  model::TimePoint started_at_;
  const Clock* clock_ = nullptr;
  std::optional<std::int64_t> stopped_at_line_;
  std::optional<detail::LeadWriter> writer_;
  std::int64_t records_ = 0;    // records this run read
  std::int64_t empty_rows_ = 0; // blank rows this run skipped
  ImportReport report_;
};

} // namespace

namespace {

// Takes the file's import for this run (see csv_import.hpp): stores `text` if the checkpoint stored
// is still `read`. Fails, naming the process, when another import took the file in the meantime.
Status take_import(store::Store& store, const std::string& name,
                   const std::optional<std::string>& read, const std::string& text,
                   const std::string& path, model::TimePoint now) {
  LEADSYNC_TRY(const bool taken, store.put_checkpoint_if(name, read, text));
  if (taken) {
    return ok_status();
  }
  LEADSYNC_TRY(const auto stored, store.get_checkpoint(name));
  if (stored) {
    const auto other = import_checkpoint_from_json(*stored);
    if (other.ok() && owner_alive(other.value(), now)) {
      return fail(ErrorCategory::invalid_argument, running_elsewhere(path, other.value()));
    }
  }
  return fail(ErrorCategory::invalid_argument,
              "another import of " + path +
                  " started or stopped while this one was getting ready, so this one did not "
                  "start; run the command again");
}

// Gives the file's import up after a run that stopped before the end of the file (an error, a
// cancellation): the checkpoint it last stored stays, without its owner, so the import counts as
// interrupted at once, for this process too. Best effort: should it fail, the import is free
// once this process has ended.
void give_up_import(store::Store& store, const std::string& name, const std::string& stored) {
  auto checkpoint = import_checkpoint_from_json(stored);
  if (!checkpoint.ok()) {
    return;
  }
  checkpoint->owner.clear();
  checkpoint->owner_start.clear();
  (void)store.put_checkpoint_if(name, stored, to_json_text(checkpoint.value()));
}

// The error or notes file of a run: created, or continued where the interrupted run's checkpoint
// says it was committed.
Result<std::optional<RejectedRowsWriter>> open_row_file(ErrorsMode mode, const std::string& path,
                                                        std::uint64_t committed_bytes,
                                                        const std::vector<std::string>& header,
                                                        char delimiter, std::string_view why,
                                                        std::string_view option) {
  if (mode == ErrorsMode::none) {
    return std::optional<RejectedRowsWriter>();
  }
  auto opened = mode == ErrorsMode::resume
                    ? RejectedRowsWriter::resume(path, committed_bytes, delimiter, option)
                    : RejectedRowsWriter::create(path, header, delimiter, why, option);
  LEADSYNC_TRY(auto writer, std::move(opened));
  return std::optional<RejectedRowsWriter>(std::move(writer));
}

} // namespace

Result<ImportReport> CsvImport::run(const PipelineTuning& tuning, const ProgressCallback& progress,
                                    const CancellationToken& cancel, std::int64_t run_id) {
  State& state = *state_;
  if (state.ran) {
    return fail(ErrorCategory::internal, "a CsvImport runs once; prepare another");
  }
  if (tuning.clean_only && !state.options.dry_run) {
    return fail(ErrorCategory::invalid_argument,
                "PipelineTuning::clean_only is for measuring only (it cleans the rows and stores "
                "none of them): run it with a dry run, or import without clean_only");
  }
  state.ran = true;
  const auto now = whole_milliseconds(state.clock.now());
  const auto& path = state.options.path;

  ImportCheckpoint checkpoint;
  if (state.resuming) {
    checkpoint = *state.resuming;
    LEADSYNC_CHECK(state.reader->seek(checkpoint.resume));
  } else {
    checkpoint.file = path;
    checkpoint.file_size = state.file_size;
    checkpoint.settings = state.settings;
    checkpoint.resume = state.reader->first_record();
    checkpoint.started_at = now;
  }
  checkpoint.state = ImportCheckpoint::State::running;

  std::unique_ptr<store::Store> scratch; // a dry run's writes go there
  if (state.options.dry_run && !tuning.clean_only) {
    const auto& make_scratch = state.options.scratch_store
                                   ? state.options.scratch_store
                                   : store::scratch_store_factory(state.clock, state.random);
    LEADSYNC_TRY(scratch, make_scratch());
  }

  // Take the file's import before anything is written, its error and notes files included.
  std::string taken; // the checkpoint this run stored last before its first batch
  if (!state.options.dry_run) {
    checkpoint.run_id = run_id;
    checkpoint.owner = this_process_name();
    checkpoint.owner_start = process_start_token(::getpid());
    checkpoint.owner_since = now;
    checkpoint.updated_at = now;
    taken = to_json_text(checkpoint);
    LEADSYNC_CHECK(
        take_import(state.store, state.checkpoint_name, state.stored_checkpoint, taken, path, now));
  }

  std::optional<RejectedRowsWriter> errors;
  std::optional<RejectedRowsWriter> notes;
  auto files = [&]() -> Status {
    if (tuning.clean_only) { // measuring only: no error or notes file
      return ok_status();
    }
    const auto& header = state.reader->header();
    const char delimiter = state.settings.delimiter;
    LEADSYNC_TRY(errors,
                 open_row_file(state.errors_mode, state.errors_file, checkpoint.errors_bytes,
                               header, delimiter, "reason", "--errors"));
    LEADSYNC_TRY(notes, open_row_file(state.notes_mode, state.notes_file, checkpoint.notes_bytes,
                                      header, delimiter, "notes", "--notes"));
    if (errors) {
      LEADSYNC_TRY(checkpoint.errors_bytes, errors->flush());
    }
    if (notes) {
      LEADSYNC_TRY(checkpoint.notes_bytes, notes->flush());
    }
    checkpoint.errors_file = state.errors_file;
    checkpoint.notes_file = state.notes_file;
    if (state.options.dry_run || (!errors && !notes)) {
      return ok_status();
    }
    // A run killed before its first batch resumes with these files as they are now.
    auto with_files = to_json_text(checkpoint);
    LEADSYNC_CHECK(take_import(state.store, state.checkpoint_name, taken, with_files, path, now));
    taken = std::move(with_files);
    return ok_status();
  }();
  if (!files.ok()) {
    if (!state.options.dry_run) {
      give_up_import(state.store, state.checkpoint_name, taken);
    }
    return fail(files.error());
  }

  RowContext context;
  context.default_region = state.settings.default_region;
  context.unmapped_columns = state.unmapped_columns;
  context.list = state.settings.list;
  context.list.imported_at = now;
  const auto resumed_at_line =
      state.resuming ? std::optional(state.resuming->resume.line) : std::nullopt;

  // Leads this import creates are found through its FileIndex; only those stored before it are
  // matched by company domain in the store.
  ImportRun import_run(state.store, scratch ? *scratch : state.store, state.random, *this,
                       state.options, std::move(checkpoint), std::move(errors), std::move(notes),
                       now);
  const auto status =
      import_run.run(*state.reader, std::move(context), tuning, progress, state.clock, cancel);
  auto report = import_run.take_report();
  report.resumed_at_line = resumed_at_line;
  report.run_id = state.options.dry_run ? 0 : run_id;
  report.errors_file = tuning.clean_only ? std::string() : state.errors_file;
  report.notes_file = tuning.clean_only ? std::string() : state.notes_file;
  report.stopped_at_line = status.ok() ? import_run.stopped_at_line() : std::nullopt;
  if (!state.options.dry_run && (!status.ok() || report.stopped_at_line)) {
    give_up_import(state.store, state.checkpoint_name,
                   import_run.committed_checkpoint().value_or(taken));
  }
  if (!status.ok()) {
    return fail(status.error());
  }
  return report;
}

} // namespace leadsync::importer
