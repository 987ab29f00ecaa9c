#pragma once
// Each command adds its subcommand to the app; its callback stores the exit code in `exit_code`.

#include "context.hpp"

#include <CLI/CLI.hpp>

namespace leadsync::cli {

void add_init_command(CLI::App& app, Context& context, int& exit_code);
void add_check_command(CLI::App& app, Context& context, int& exit_code);
void add_import_command(CLI::App& app, Context& context, int& exit_code);
void add_leads_command(CLI::App& app, Context& context, int& exit_code);
void add_status_command(CLI::App& app, Context& context, int& exit_code);
void add_push_command(CLI::App& app, Context& context, int& exit_code);
void add_pull_command(CLI::App& app, Context& context, int& exit_code);
void add_sync_command(CLI::App& app, Context& context, int& exit_code);
void add_dlq_command(CLI::App& app, Context& context, int& exit_code);
void add_enrich_command(CLI::App& app, Context& context, int& exit_code);
void add_events_command(CLI::App& app, Context& context, int& exit_code);
void add_qualify_command(CLI::App& app, Context& context, int& exit_code);
void add_report_command(CLI::App& app, Context& context, int& exit_code);
void add_webhook_command(CLI::App& app, Context& context, int& exit_code);
void add_daemon_command(CLI::App& app, Context& context, int& exit_code);
void add_migrate_store_command(CLI::App& app, Context& context, int& exit_code);

} // namespace leadsync::cli
