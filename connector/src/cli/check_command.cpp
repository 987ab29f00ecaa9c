#include "commands.hpp"
#include "exit_codes.hpp"

namespace leadsync::cli {

namespace {

int run_check(Context& context) {
  if (!context.load_config()) {
    return exit_usage;
  }
  const auto& config = context.config();
  auto& out = context.out();
  out << "config   " << context.config_path().string() << ": OK\n";
  out << "crm      " << config.crm.url << " (Web API v" << config.crm.api_version << ", auth "
      << config.crm.auth.mode << ", alternate key " << config.crm.alternate_key << ")\n";
  auto store = context.store();
  if (!store.ok()) {
    return context.report(store.error());
  }
  auto stats = store.value()->stats();
  if (!stats.ok()) {
    return context.report(stats.error());
  }
  out << "store    " << config.store.url << ": OK (" << stats->leads << " leads, " << stats->outbox_pending << " changes waiting)\n";
  out << "network  not checked: the Dataverse client (WhoAmI) is not part of this build yet\n";
  return exit_ok;
}

} // namespace

void add_check_command(CLI::App& app, Context& context, int& exit_code) {
  auto* command = app.add_subcommand(
      "check", "Validate the configuration and open the store; exit 2 naming every problem");
  command->callback([&context, &exit_code] { exit_code = run_check(context); });
}

} // namespace leadsync::cli
