#include "commands.hpp"
#include "exit_codes.hpp"
#include "leadsync/core/log.hpp"
#include "leadsync/jobs/import.hpp"
#include "leadsync/model/json.hpp"
#include "output.hpp"
#include "stop_signals.hpp"

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <iomanip>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>
#include <string_view>
#include <unistd.h>

namespace leadsync::cli {

namespace {

// The job's request, as the flags give it, and how to show the outcome.
struct ImportOptions {
  jobs::ImportRequest request;
  bool no_progress = false;
  bool json = false;
};

std::string fixed(double value, int decimals) {
  std::ostringstream text;
  text << std::fixed << std::setprecision(decimals) << value;
  return text.str();
}

// "1234567" -> "1,234,567"
std::string grouped(std::int64_t value) {
  auto digits = std::to_string(value);
  const std::ptrdiff_t first_digit = value < 0 ? 1 : 0;
  for (auto at = static_cast<std::ptrdiff_t>(digits.size()) - 3; at > first_digit; at -= 3) {
    digits.insert(static_cast<std::size_t>(at), 1, ',');
  }
  return digits;
}

std::string pad(const std::string& text, std::size_t width) {
  const auto shown = display_width(text);
  return shown >= width ? text : text + std::string(width - shown, ' ');
}

// ---- JSON Lines ---------------------------------------------------------------------------------

void print_jsonl(std::ostream& out, const jobs::ImportOutcome& outcome, bool json) {
  const auto& report = *outcome.jsonl;
  if (json) {
    nlohmann::json document = {{"file", outcome.file},
                               {"dry_run", outcome.dry_run},
                               {"read", report.lines_read},
                               {"created", report.created},
                               {"updated", report.updated},
                               {"unchanged", report.unchanged},
                               {"elapsed_s", outcome.elapsed.count()},
                               {"rejected", nlohmann::json::array()}};
    for (const auto& rejected : report.rejected) {
      document["rejected"].push_back({{"line", rejected.line}, {"reason", rejected.reason}});
    }
    out << document.dump(2) << "\n";
    return;
  }
  out << (outcome.dry_run ? "Dry run (nothing written): " : "Imported ") << shown(outcome.file)
      << "\n"
      << "  lines read   " << report.lines_read << "\n"
      << "  new leads    " << report.created << "\n"
      << "  updated      " << report.updated << "\n"
      << "  unchanged    " << report.unchanged << "\n"
      << "  rejected     " << report.rejected.size() << "\n";
  for (const auto& rejected : report.rejected) {
    out << "    line " << rejected.line << ": " << shown(rejected.reason) << "\n";
  }
  out << "  elapsed      " << fixed(outcome.elapsed.count(), 3) << " s\n";
}

// ---- CSV ----------------------------------------------------------------------------------------

// A word as a shell reads it back: as it is when plain, else in single quotes.
std::string shell_word(const std::string& word) {
  const bool plain = !word.empty() && std::all_of(word.begin(), word.end(), [](char c) {
    const auto byte = static_cast<unsigned char>(c);
    return std::isalnum(byte) != 0 || std::string_view("_-./:@%+=,").find(c) != std::string::npos;
  });
  if (plain) {
    return word;
  }
  std::string quoted = "'";
  for (const char c : word) {
    quoted += c == '\'' ? std::string("'\\''") : std::string(1, c);
  }
  return quoted + "'";
}

// The command that continues an interrupted import of `file`, with the same configuration.
std::string resume_command(const Context& context, const std::string& file) {
  std::string command = "leadsync";
  if (!context.options().config_file.empty()) {
    command += " -c " + shell_word(context.options().config_file);
  }
  return command + " import " + shell_word(file) + " --resume";
}

std::string age_text(model::ListAgeBucket bucket) {
  switch (bucket) {
  case model::ListAgeBucket::days_1_7:
    return "1-7 days old";
  case model::ListAgeBucket::days_8_30:
    return "8-30 days old";
  case model::ListAgeBucket::days_31_60:
    return "31-60 days old";
  case model::ListAgeBucket::days_61_90:
    return "61-90 days old";
  case model::ListAgeBucket::older:
    return "older than 90 days";
  case model::ListAgeBucket::unknown:
    break;
  }
  return "age unknown (no --acquired date)";
}

std::string delimiter_shown(char delimiter) {
  return delimiter == '\t' ? std::string("tab") : "\"" + std::string(1, delimiter) + "\"";
}

std::string_view source_name(importer::MappingSource source) {
  switch (source) {
  case importer::MappingSource::dictionary:
    return "dictionary";
  case importer::MappingSource::command_line:
    return "--map";
  case importer::MappingSource::none:
    break;
  }
  return "unmapped";
}

void print_plan(std::ostream& out, const importer::CsvImport& import,
                const std::string& dictionary_source, const ImportOptions& options) {
  const auto& settings = import.settings();
  out << (options.request.dry_run ? "Dry run of " : "Importing ") << shown(options.request.file)
      << "\n";
  out << "  encoding   " << import.encoding().name << " (" << import.encoding().reason << ")\n";
  out << "  delimiter  " << delimiter_shown(import.delimiter()) << " (" << import.delimiter_reason()
      << ")\n";
  out << "  list       ";
  if (!settings.list.vendor.empty()) {
    out << "vendor \"" << settings.list.vendor << "\", ";
  }
  out << "list \"" << settings.list.list_id << "\", "
      << (settings.list.exclusive ? "exclusive" : "shared");
  if (settings.list.acquired_on) {
    out << ", acquired " << model::format_date(*settings.list.acquired_on);
  }
  out << " (" << age_text(import.list_age()) << ")\n";
  out << "  region     " << settings.default_region
      << " (for phone numbers without a country code)\n";
  out << "  columns    (dictionary: " << dictionary_source << ")\n";
  std::size_t width = 0;
  for (const auto& column : import.mapping().columns) {
    width = std::max(width, display_width(column.header));
  }
  for (const auto& column : import.mapping().columns) {
    out << "    " << pad(column.header, width) << "  -> ";
    if (column.field.empty()) {
      out << "(unmapped: kept in the description)\n";
    } else {
      out << column.field
          << (column.source == importer::MappingSource::command_line ? "  (--map)" : "") << "\n";
    }
  }
  for (const auto& note : import.notes()) {
    out << "  note: " << note << "\n";
  }
}

// A one-line progress bar on stderr, redrawn at most five times a second.
class ProgressBar {
public:
  explicit ProgressBar(std::ostream& err) : err_(err) {}

  void update(const jobs::JobProgress& progress) {
    const auto now = std::chrono::steady_clock::now();
    if (drawn_ && now - last_drawn_ < std::chrono::milliseconds{200}) {
      return;
    }
    if (!drawn_) {
      first_bytes_ = progress.bytes_done;
    }
    last_drawn_ = now;
    drawn_ = true;
    const double total = static_cast<double>(std::max<std::uint64_t>(progress.bytes_total, 1));
    const double done = std::min(1.0, static_cast<double>(progress.bytes_done) / total);
    constexpr int bar_width = 24;
    const int filled = static_cast<int>(done * bar_width);
    const double seconds = progress.elapsed.count();
    const double rows_per_second =
        seconds > 0 ? static_cast<double>(progress.done_this_run) / seconds : 0.0;
    std::string line = "\r  [" + std::string(static_cast<std::size_t>(filled), '#') +
                       std::string(static_cast<std::size_t>(bar_width - filled), '-') + "] " +
                       fixed(done * 100, 0) + "%  " + grouped(progress.done) + " rows  " +
                       grouped(static_cast<std::int64_t>(rows_per_second)) + " rows/s";
    const double bytes_per_second =
        seconds > 0 ? static_cast<double>(progress.bytes_done - first_bytes_) / seconds : 0.0;
    if (bytes_per_second > 0) {
      const double remaining =
          static_cast<double>(progress.bytes_total -
                              std::min(progress.bytes_total, progress.bytes_done)) /
          bytes_per_second;
      line += "  ETA " + fixed(remaining, 0) + " s";
    }
    err_ << line << "\033[K" << std::flush;
  }

  void finish() {
    if (drawn_) {
      err_ << "\r\033[K" << std::flush;
    }
  }

private:
  std::ostream& err_;
  bool drawn_ = false;
  std::uint64_t first_bytes_ = 0;
  std::chrono::steady_clock::time_point last_drawn_{};
};

nlohmann::json report_json(const importer::CsvImport& import, const importer::ImportReport& report,
                           const ImportOptions& options) {
  const auto& counts = report.counts;
  const auto& list = import.settings().list;
  auto columns = nlohmann::json::array();
  for (const auto& column : import.mapping().columns) {
    columns.push_back(
        {{"header", column.header},
         {"field", column.field.empty() ? nlohmann::json() : nlohmann::json(column.field)},
         {"source", source_name(column.source)}});
  }
  auto rows = nlohmann::json::array();
  for (const auto& row : report.rejected_rows) {
    rows.push_back({{"line", row.line}, {"reason", row.reason}});
  }
  auto noted = nlohmann::json::array();
  for (const auto& row : report.noted_rows) {
    noted.push_back({{"line", row.line}, {"notes", row.notes}});
  }
  return {
      {"file", options.request.file},
      {"dry_run", options.request.dry_run},
      {"encoding", import.encoding().name},
      {"delimiter", std::string(1, import.delimiter())},
      {"columns", columns},
      {"list",
       {{"vendor", list.vendor},
        {"list_id", list.list_id},
        {"exclusive", list.exclusive},
        {"acquired_on", list.acquired_on ? nlohmann::json(model::format_date(*list.acquired_on))
                                         : nlohmann::json()},
        {"age", model::to_string(import.list_age())}}},
      {"region", import.settings().default_region},
      {"resumed_at_line",
       report.resumed_at_line ? nlohmann::json(*report.resumed_at_line) : nlohmann::json()},
      {"rows_read", counts.rows_read},
      {"new_leads", counts.new_leads},
      {"merged", counts.merged()},
      {"merged_in_file", counts.merged_in_file},
      {"merged_with_stored", counts.merged_with_stored},
      {"unchanged", counts.unchanged},
      {"empty_rows", counts.empty_rows},
      {"possible_duplicates", counts.possible_duplicates},
      {"suspicious_clusters", counts.suspicious_clusters},
      {"rejected",
       {{"total", counts.rejected()}, {"by_reason", counts.rejected_by_reason}, {"rows", rows}}},
      {"errors_file",
       report.errors_file.empty() ? nlohmann::json() : nlohmann::json(report.errors_file)},
      {"with_notes", counts.with_notes},
      {"noted_rows", noted},
      {"notes_file",
       report.notes_file.empty() ? nlohmann::json() : nlohmann::json(report.notes_file)},
      {"rows_this_run", report.rows_this_run},
      {"elapsed_s", report.elapsed.count()},
      {"rows_per_second", report.rows_per_second()},
      {"run_id", report.run_id},
      {"notes", import.notes()}};
}

void print_summary(std::ostream& out, const importer::ImportReport& report,
                   const ImportOptions& options) {
  const auto& counts = report.counts;
  if (report.stopped_at_line) {
    out << "Stopped importing " << shown(options.request.file) << " before line "
        << *report.stopped_at_line << " (the counts are those of the rows stored so far)\n";
  } else {
    out << (options.request.dry_run ? "Dry run finished (nothing was written): " : "Imported ")
        << shown(options.request.file) << "\n";
  }
  if (report.resumed_at_line) {
    out << "  (resumed at line " << *report.resumed_at_line
        << "; the counts cover the whole file)\n";
  }
  const auto line = [&](const std::string& label, std::int64_t value, const std::string& extra) {
    out << "  " << pad(label, 20) << std::setw(9) << grouped(value) << extra << "\n";
  };
  line("rows read", counts.rows_read, "");
  line("new leads", counts.new_leads, "");
  line("merged duplicates", counts.merged(),
       "  (" + grouped(counts.merged_in_file) + " within the file, " +
           grouped(counts.merged_with_stored) + " into stored leads)");
  line("unchanged", counts.unchanged, "  (duplicates that added nothing)");
  line("possible duplicates", counts.possible_duplicates,
       counts.possible_duplicates > 0 ? "  (not merged; review: leadsync leads duplicates)" : "");
  if (counts.suspicious_clusters > 0) {
    line("suspicious clusters", counts.suspicious_clusters,
         "  (rows not merged: a lead would pass " +
             std::to_string(model::max_identifiers_per_lead) + " e-mails or phones)");
  }
  line("rejected", counts.rejected(), "");
  for (const auto& [category, rows] : counts.rejected_by_reason) {
    out << "    " << pad(std::string(importer::describe_rejection(category)), 52) << std::setw(7)
        << grouped(rows) << "\n";
  }
  line("empty rows skipped", counts.empty_rows, "");
  line("accepted with notes", counts.with_notes,
       counts.with_notes > 0 ? "  (imported, but a value was dropped or is not trusted)" : "");
  out << "  " << pad("elapsed", 20) << std::setw(9) << fixed(report.elapsed.count(), 3) << " s  ("
      << grouped(static_cast<std::int64_t>(report.rows_per_second())) << " rows/s)\n";
  if (!report.rejected_rows.empty()) {
    out << "  rejected rows:\n";
    constexpr std::size_t shown_rows = 20;
    for (std::size_t i = 0; i < report.rejected_rows.size() && i < shown_rows; ++i) {
      const auto& row = report.rejected_rows[i];
      out << "    line " << row.line << ": " << shown(row.reason) << "\n";
    }
    const auto more = counts.rejected() -
                      static_cast<std::int64_t>(std::min(report.rejected_rows.size(), shown_rows));
    if (more > 0) {
      out << "    ... and " << grouped(more) << " more"
          << (report.errors_file.empty() ? ": --errors FILE writes them all to a CSV file"
                                         : " in the error file")
          << "\n";
    }
  }
  if (!report.errors_file.empty()) {
    out << "  error file: " << report.errors_file << "\n";
  }
  if (!report.noted_rows.empty()) {
    out << "  rows with notes:\n";
    constexpr std::size_t shown_rows = 10;
    for (std::size_t i = 0; i < report.noted_rows.size() && i < shown_rows; ++i) {
      const auto& row = report.noted_rows[i];
      out << "    line " << row.line << ": " << row.notes << "\n";
    }
    const auto more = counts.with_notes -
                      static_cast<std::int64_t>(std::min(report.noted_rows.size(), shown_rows));
    if (more > 0) {
      out << "    ... and " << grouped(more) << " more"
          << (report.notes_file.empty() ? ": --notes FILE writes them all to a CSV file"
                                        : " in the notes file")
          << "\n";
    }
  }
  if (!report.notes_file.empty()) {
    out << "  notes file: " << report.notes_file << "\n";
  }
}

int run_csv_import(Context& context, const ImportOptions& options, jobs::PreparedImport& prepared) {
  const auto& import = *prepared.csv();
  if (!options.json) {
    print_plan(context.out(), import, prepared.dictionary_source(), options);
    context.out() << std::flush;
  }
  const bool show_progress = !options.no_progress && ::isatty(STDERR_FILENO) == 1;
  ProgressBar bar(context.err());
  std::optional<StopSignals> signals;
  signals.emplace([&context, show_progress](int signal) {
    context.err() << (show_progress ? "\n" : "") << signal_name(signal)
                  << " received: stopping after the batch being written; send it again to stop "
                     "at once (what is committed is kept)\n"
                  << std::flush;
  });
  jobs::JobContext job{.cancel = signals->token(), .on_progress = {}};
  if (show_progress) {
    job.on_progress = [&bar](const jobs::JobProgress& progress) { bar.update(progress); };
  }
  auto result = prepared.run(job);
  const int stopped_by = signals->signal();
  signals.reset(); // SIGINT and SIGTERM end the process again
  bar.finish();
  if (!result.ok()) {
    context.err() << "error: " << result.error().describe() << "\n";
    // Refusals and unusable options stop a run before it stores anything.
    if (!options.request.dry_run && result.error().category != ErrorCategory::invalid_argument) {
      context.err() << "The rows committed so far are stored; continue with: "
                    << resume_command(context, options.request.file) << "\n";
    }
    return exit_code_for(result.error());
  }
  const auto& report = *result->csv;
  if (report.stopped_at_line) {
    const auto command = resume_command(context, options.request.file);
    log::get()->info("import {}: stopped by {} before line {}", options.request.file,
                     signal_name(stopped_by), *report.stopped_at_line);
    if (options.json) {
      auto document = report_json(import, report, options);
      document["stopped_at_line"] = *report.stopped_at_line;
      document["stopped_by"] = signal_name(stopped_by);
      document["resume_command"] = command;
      context.out() << document.dump(2) << "\n";
    } else {
      print_summary(context.out(), report, options);
      context.out() << "Stopped by " << signal_name(stopped_by) << "; every row before line "
                    << *report.stopped_at_line << " is stored. To finish the import, run:\n  "
                    << command << "\n";
    }
    context.err() << "import stopped by " << signal_name(stopped_by)
                  << "; finish it with: " << command << "\n";
    return exit_stopped_by(stopped_by);
  }
  if (options.json) {
    auto document = report_json(import, report, options);
    document["stopped_at_line"] = nullptr;
    document["stopped_by"] = nullptr;
    document["resume_command"] = nullptr;
    context.out() << document.dump(2) << "\n";
  } else {
    print_summary(context.out(), report, options);
  }
  return report.counts.rejected() > 0 ? exit_rejected : exit_ok;
}

int run_import(Context& context, const ImportOptions& options) {
  const auto& request = options.request;
  if (auto checked = jobs::check_import_request(request); !checked.ok()) {
    context.err() << "error: " << checked.error().message << "\n";
    return exit_usage;
  }
  if (!context.load_config()) {
    return exit_usage;
  }
  auto runtime = context.runtime();
  if (!runtime.ok()) {
    return context.report(runtime.error());
  }
  auto prepared = jobs::prepare_import(**runtime, request);
  if (!prepared.ok()) {
    // Whatever stops an import before it starts is the file or an option: the user fixes it.
    const auto& error = prepared.error();
    context.err() << "error: " << error.describe() << "\n";
    return exit_code_for(error) == exit_internal ? exit_internal : exit_usage;
  }
  if (prepared->format() == jobs::ImportFormat::csv) {
    return run_csv_import(context, options, *prepared);
  }
  auto outcome = prepared->run();
  if (!outcome.ok()) {
    return context.report(outcome.error());
  }
  print_jsonl(context.out(), *outcome, options.json);
  return outcome->run.status == jobs::RunStatus::ok ? exit_ok : exit_rejected;
}

} // namespace

void add_import_command(CLI::App& app, Context& context, int& exit_code) {
  auto options = std::make_shared<ImportOptions>();
  auto* command = app.add_subcommand(
      "import", "Import a purchased lead list (CSV) or leads in leadsync's JSON Lines form");
  command
      ->add_option("FILE", options->request.file,
                   "The list: CSV or tab-separated text (Excel's \"CSV UTF-8\", \"CSV\" and "
                   "\"Unicode Text\" all work), or .jsonl")
      ->required();
  command->add_option("--vendor", options->request.vendor, "Who sold or gave the list");
  command->add_option("--list", options->request.list_id, "The list's id (default: the file name)");
  auto* exclusive =
      command->add_flag("--exclusive", options->request.exclusive, "The list was sold to us only");
  auto* shared = command->add_flag("--shared", options->request.shared,
                                   "The list is resold to others (the default)");
  exclusive->excludes(shared);
  command->add_option("--acquired", options->request.acquired,
                      "When the list was acquired (YYYY-MM-DD): gives its age");
  command
      ->add_option("--encoding", options->request.encoding,
                   "auto, utf-8, utf-16, windows-1251, windows-1256, iso-8859-1, windows-1252 "
                   "(or another iconv name)")
      ->capture_default_str();
  command->add_option("--delimiter", options->request.delimiter, "auto, \",\", \";\", tab or \"|\"")
      ->capture_default_str();
  command->add_option("--map", options->request.maps,
                      "\"Header=field\": map a column to a lead field (repeatable; "
                      "\"Header=\" keeps it unmapped)");
  command->add_option("--region", options->request.region,
                      "Region (ISO 3166, e.g. RU) for phone numbers without a country code "
                      "(default: import.default_region)");
  command->add_option("--errors", options->request.errors_file,
                      "Write the rejected rows to this CSV file (line, reason, original columns)");
  command->add_option("--notes", options->request.notes_file,
                      "Write the rows imported with a value dropped or not trusted (an invalid "
                      "e-mail, a phone that is not valid...) to this CSV file (line, notes, "
                      "original columns)");
  command->add_flag("--dry-run", options->request.dry_run,
                    "Read, clean and match every row and report; write nothing to the store");
  auto* resume = command->add_flag("--resume", options->request.resume,
                                   "Continue an interrupted import of FILE where it stopped");
  auto* restart = command->add_flag("--restart", options->request.restart,
                                    "Start an interrupted import of FILE over from the first row");
  resume->excludes(restart);
  command->add_flag("--no-progress", options->no_progress,
                    "No progress bar (there is none when stderr is not a terminal)");
  command->add_flag("--json", options->json, "Print the summary as one JSON document");
  command->footer(
      "Exit status 1 when any row was rejected (the summary gives each reason; --errors writes "
      "the rows), 2 for a usage, file or configuration problem (or an import of FILE another "
      "process is running), 130 or 143 when SIGINT (Ctrl-C) or SIGTERM stopped it after its "
      "current batch (finish with --resume).");
  command->callback([&context, &exit_code, options] { exit_code = run_import(context, *options); });
}

} // namespace leadsync::cli
