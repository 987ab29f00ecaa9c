// `leadsync events import FILE [--json]`: behaviour events for engagement scoring. The work is the
// events job (jobs/events.hpp); this prints its report.

#include "commands.hpp"
#include "exit_codes.hpp"
#include "leadsync/jobs/events.hpp"

#include <memory>
#include <nlohmann/json.hpp>

namespace leadsync::cli {

namespace {

struct EventsImportArguments {
  std::string file;
  bool json = false;
};

void print_summary(Context& context, const std::string& file,
                   const importer::EventsImportReport& report) {
  auto& out = context.out();
  out << "Imported events from " << file << " (" << report.format << ")\n"
      << "  read           " << report.read << "\n"
      << "  added          " << report.added << "\n"
      << "  duplicates     " << report.duplicates << "\n"
      << "  unknown leads  " << report.unknown_leads << "\n"
      << "  rejected       " << report.rejected << "\n";
  if (!report.added_by_kind.empty()) {
    out << "  added by kind\n";
    for (const auto& [kind, count] : report.added_by_kind) {
      out << "    " << kind << std::string(kind.size() < 20 ? 20 - kind.size() : 1, ' ') << count
          << "\n";
    }
  }
  if (!report.problems.empty()) {
    out << "Problems:\n";
    for (const auto& problem : report.problems) {
      out << "  line " << problem.line << ": " << problem.message << "\n";
    }
    const auto omitted = report.problem_count - static_cast<std::int64_t>(report.problems.size());
    if (omitted > 0) {
      out << "  ... and " << omitted << " more\n";
    }
  }
}

nlohmann::json summary_json(const std::string& file, const importer::EventsImportReport& report) {
  nlohmann::json problems = nlohmann::json::array();
  for (const auto& problem : report.problems) {
    problems.push_back({{"line", problem.line}, {"message", problem.message}});
  }
  return {{"file", file},
          {"format", report.format},
          {"read", report.read},
          {"added", report.added},
          {"duplicates", report.duplicates},
          {"unknown_leads", report.unknown_leads},
          {"rejected", report.rejected},
          {"by_kind", report.added_by_kind},
          {"problem_count", report.problem_count},
          {"problems", std::move(problems)}};
}

int run_events_import(Context& context, const EventsImportArguments& arguments) {
  const jobs::EventsRequest request{.file = arguments.file};
  if (auto checked = jobs::check_events_request(request); !checked.ok()) {
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
  auto outcome = jobs::run_events_import(**runtime, request);
  if (!outcome.ok()) {
    return context.report(outcome.error());
  }
  const auto& report = outcome->report;
  if (arguments.json) {
    context.out() << summary_json(arguments.file, report).dump(2) << "\n";
  } else {
    print_summary(context, arguments.file, report);
  }
  return outcome->run.status == jobs::RunStatus::ok ? exit_ok : exit_rejected;
}

} // namespace

void add_events_command(CLI::App& app, Context& context, int& exit_code) {
  auto* events = app.add_subcommand("events", "Behaviour events that engagement scoring reads");
  events->require_subcommand(1);

  auto arguments = std::make_shared<EventsImportArguments>();
  auto* import = events->add_subcommand(
      "import", "Add events from a JSON Lines or CSV file: lead_id or email, kind, occurred_at, "
                "detail, and optionally weight and event_id (an event_id seen before is skipped). "
                "Leads are never created: unknown ones are reported with their line");
  import->add_option("FILE", arguments->file, "JSON Lines (.jsonl) or CSV (.csv) file of events")
      ->required();
  import->add_flag("--json", arguments->json, "Print the summary as one JSON document");
  import->callback(
      [&context, &exit_code, arguments] { exit_code = run_events_import(context, *arguments);
});
} // namespace leadsync::cli

} // namespace leadsync::cli
