#include "commands.hpp"
#include "crm_commands.hpp"
#include "exit_codes.hpp"
#include "leadsync/jobs/pull.hpp"

#include <fmt/format.h>

namespace leadsync::cli {

int run_pull_command(Context& context, bool full) {
  auto runtime = context.runtime();
  if (!runtime.ok()) {
    return context.report(runtime.error());
  }
  auto outcome = jobs::run_pull(**runtime, {.full = full});
  if (!outcome.ok()) {
    return context.report(outcome.error());
  }
  const auto& report = outcome->report;
  context.out() << fmt::format(
      "pull ({}): {} changed row(s) read, {} new lead(s) from the CRM, {} updated, {} unchanged, "
      "{} deleted, {} outcome(s) recorded\n",
      report.full_read ? "all leads" : "changes since the last pull", report.read, report.created,
      report.updated, report.unchanged, report.tombstoned, report.outcomes);
  if (report.rejected > 0) {
    context.out() << fmt::format("  {} row(s) could not be read; the log says why\n",
                                 report.rejected);
    return exit_rejected;
  }
  return exit_ok;
}

void add_pull_command(CLI::App& app, Context& context, int& exit_code) {
  auto full = std::make_shared<bool>(false);
  auto* command =
      app.add_subcommand("pull", "Read what changed in the CRM (change tracking) into the store");
  command->add_flag("--full", *full,
                    "Read every lead again instead of the changes since last time");
  command->callback([&context, &exit_code, full] {
    if (!context.load_config()) {
      exit_code = exit_usage;
      return;
    }
    exit_code = run_pull_command(context, *full);
  });
}

} // namespace leadsync::cli
