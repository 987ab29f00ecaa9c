#include "commands.hpp"
#include "crm_commands.hpp"
#include "exit_codes.hpp"

namespace leadsync::cli {

void add_sync_command(CLI::App& app, Context& context, int& exit_code) {
  auto* command = app.add_subcommand("sync", "Pull, then push");
  command->callback([&context, &exit_code] {
    if (!context.load_config()) {
      exit_code = exit_usage;
      return;
    }
    const int pulled = run_pull_command(context, false);
    if (pulled != exit_ok && pulled != exit_rejected) {
      exit_code = pulled;
      return;
    }
    const int pushed = run_push_command(context, {});
    exit_code = pushed != exit_ok ? pushed : pulled;
  });
}

} // namespace leadsync::cli
