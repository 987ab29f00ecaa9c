#include "commands.hpp"
#include "exit_codes.hpp"

#include "leadsync/core/log.hpp"
#include "leadsync/importer/jsonl_import.hpp"

#include <chrono>
#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>

namespace leadsync::cli {

namespace {

struct ImportOptions {
  std::string file;
  bool dry_run = false;
  bool json = false;
};

std::string lower_extension(const std::filesystem::path& path) {
  auto ext = path.extension().string();
  for (auto& c : ext) {
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  return ext;
}

int run_import(Context& context, const ImportOptions& options) {
  const auto ext = lower_extension(options.file);
  if (ext == ".xlsx" || ext == ".xls") {
    context.err() << "error: " << options.file
                  << " is an Excel workbook. Open it in Excel and use File > Save As > "
                     "\"CSV UTF-8 (Comma delimited) (*.csv)\", then import the .csv file.\n";
    return exit_usage;
  }
  if (ext != ".jsonl" && ext != ".ndjson") {
    context.err() << "error: " << options.file
                  << ": this build imports leads in leadsync's JSON Lines form (.jsonl, one lead "
                     "per line; see tests/data/sample-leads.jsonl). CSV lists are not supported "
                     "yet.\n";
    return exit_usage;
  }
  if (!context.load_config()) {
    return exit_usage;
  }
  std::ifstream input(options.file, std::ios::binary);
  if (!input) {
    context.err() << "error: cannot open " << options.file << " for reading\n";
    return exit_usage;
  }
  auto store = context.store();
  if (!store.ok()) {
    return context.report(store.error());
  }
  std::optional<store::RunRecord> run;
  if (!options.dry_run) {
    auto begun = store.value()->begin_run("import");
    if (!begun.ok()) {
      return context.report(begun.error());
    }
    run = std::move(begun).value();
  }
  const auto started = std::chrono::steady_clock::now();
  auto result = importer::import_jsonl(*store.value(), input, {.dry_run = options.dry_run});
  const auto elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - started);
  if (!result.ok()) {
    if (run) {
      run->status = "failed";
      run->message = result.error().describe();
      (void)store.value()->finish_run(*run);
    }
    return context.report(result.error());
  }
  const auto& report = result.value();
  if (run) {
    run->status = report.rejected.empty() ? "ok" : "partial";
    run->counts = report.counts();
    run->message = options.file;
    if (auto finished = store.value()->finish_run(*run); !finished.ok()) {
      return context.report(finished.error());
    }
  }
  log::get()->info("import {}: {} read, {} created, {} updated, {} unchanged, {} rejected",
                   options.file, report.lines_read, report.created, report.updated,
                   report.unchanged, report.rejected.size());

  if (options.json) {
    nlohmann::json document = {{"file", options.file},
                                {"dry_run", options.dry_run},
                                {"read", report.lines_read},
                                {"created", report.created},
                                {"updated", report.updated},
                                {"unchanged", report.unchanged},
                                {"elapsed_s", elapsed.count()},
                                {"rejected", nlohmann::json::array()}};
    for (const auto& rejected : report.rejected) {
      document["rejected"].push_back({{"line", rejected.line}, {"reason", rejected.reason}});
    }
    context.out() << document.dump(2) << "\n";
  } else {
    auto& out = context.out();
    out << (options.dry_run ? "Dry run (nothing written): " : "Imported ") << options.file << "\n"
        << "  lines read   " << report.lines_read << "\n"
        << "  new leads    " << report.created << "\n"
        << "  updated      " << report.updated << "\n"
        << "  unchanged    " << report.unchanged << "\n"
        << "  rejected     " << report.rejected.size() << "\n";
    for (const auto& rejected : report.rejected) {
      out << "    line " << rejected.line << ": " << rejected.reason << "\n";
    }
    char seconds[32];
    std::snprintf(seconds, sizeof seconds, "%.3f", elapsed.count());
    out << "  elapsed      " << seconds << " s\n";
  }
  return report.rejected.empty() ? exit_ok : exit_rejected;
}

} // namespace

void add_import_command(CLI::App& app, Context& context, int& exit_code) {
  auto options = std::make_shared<ImportOptions>();
  auto* command = app.add_subcommand(
      "import", "Import leads from FILE (JSON Lines: one lead in leadsync's JSON form per line)");
  command->add_option("FILE", options->file, "The file to import (.jsonl)")->required();
  command->add_flag("--dry-run", options->dry_run, "Check and match every line; write nothing");
  command->add_flag("--json", options->json, "Print the summary as one JSON document");
  command->footer("Exit status 1 when any line was rejected; each rejected line is listed with "
                  "its number and reason.");
  command->callback([&context, &exit_code, options] { exit_code = run_import(context, *options); });
}

} // namespace leadsync::cli
