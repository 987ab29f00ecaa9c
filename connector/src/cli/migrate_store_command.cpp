// `leadsync migrate-store --from sqlite://... --to postgresql://... [--json]` (issue 16): moves a
// single-node install's state from its SQLite store into an empty PostgreSQL database, verified
// table by table (store/migrate.hpp does the work), and says what to change next.

#include "commands.hpp"
#include "exit_codes.hpp"
#include "leadsync/store/migrate.hpp"
#include "output.hpp"

#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>
#include <ostream>
#include <string>
#include <unistd.h>
#include <vector>

namespace leadsync::cli {

namespace {

struct MigrateStoreOptions {
  std::string from;
  std::string to;
  bool json = false;
};

// What the admin does after a migration, in order.
std::vector<std::string> next_steps(const store::StoreMigrationReport& report,
                                    const std::filesystem::path& config) {
  return {
      "In " + config.string() + " set [store] url = \"" + report.target +
          "\" on every host that runs leadsync; the password goes in ~/.pgpass (or the file "
          "PGPASSFILE names) of the user running leadsync, never in the URL.",
      "Give each daemon its own Dataverse application user: [crm.auth] client_id and its secret "
      "per host, so each has its own share of the service protection limits.",
      "Start the daemons and check `leadsync status`; keep " + report.source +
          " as a backup, and do not run a daemon on it again (its changes would not reach "
          "PostgreSQL).",
  };
}

void print_report(std::ostream& out, const store::StoreMigrationReport& report,
                  const std::filesystem::path& config) {
  out << "Copied " << report.source << " into " << report.target << ":\n";
  Table table({"  TABLE", "ROWS", "CHECKSUM"});
  for (const auto& migrated : report.tables) {
    // migrate_store fails unless the checksums are equal; compared again rather than assumed.
    const bool equal = migrated.rows_in_target == migrated.rows_copied &&
                       migrated.target_checksum == migrated.source_checksum;
    table.add_row({"  " + migrated.table, std::to_string(migrated.rows_copied),
                   equal ? "checksum ok" : "DIFFERENT"});
  }
  table.print(out);
  out << "  total: " << report.total_rows << " rows in " << report.tables.size()
      << " tables, each verified by row count and SHA-256 before COMMIT\n\nNext:\n";
  int step = 0;
  for (const auto& text : next_steps(report, config)) {
    out << "  " << ++step << ". " << text << "\n";
  }
}

nlohmann::json report_json(const store::StoreMigrationReport& report,
                           const std::filesystem::path& config) {
  nlohmann::json tables = nlohmann::json::array();
  for (const auto& migrated : report.tables) {
    tables.push_back({{"table", migrated.table},
                      {"rows", migrated.rows_copied},
                      {"rows_in_target", migrated.rows_in_target},
                      {"source_checksum", migrated.source_checksum},
                      {"target_checksum", migrated.target_checksum},
                      {"checksum_ok", migrated.rows_in_target == migrated.rows_copied &&
                                          migrated.target_checksum == migrated.source_checksum},
                      {"next_id", migrated.next_id ? nlohmann::json(*migrated.next_id)
                                                   : nlohmann::json(nullptr)}});
  }
  return {{"source", report.source},
          {"target", report.target},
          {"tables", std::move(tables)},
          {"total_rows", report.total_rows},
          {"next_steps", next_steps(report, config)}};
}

// A source or target someone else is using, or a target holding data, is the admin's to resolve
// (stop the daemon, pick an empty database): a usage error, not an internal one.
int exit_code_of(const Error& error) {
  if (error.category == ErrorCategory::conflict ||
      error.category == ErrorCategory::already_exists) {
    return exit_usage;
  }
  return exit_code_for(error);
}

int run_migrate_store(Context& context, const MigrateStoreOptions& options) {
  // Relative sqlite:// paths are relative to the config file's folder, as in store.url. The
  // config itself is not needed (nor checked): the URLs are given.
  const std::filesystem::path config = std::filesystem::absolute(context.config_path());
  const bool show_progress = !options.json && ::isatty(STDERR_FILENO) == 1;
  auto report =
      store::migrate_store(options.from, options.to, config.parent_path(), SystemClock::instance(),
                           [&](std::string_view table, std::int64_t rows) {
                             if (show_progress) {
                               context.err() << "\rcopying " << table << ": " << rows << " rows"
                                             << std::flush;
                             }
                           });
  if (show_progress) {
    context.err() << "\n";
  }
  if (!report.ok()) {
    context.err() << "error: " << report.error().describe() << "\n";
    return exit_code_of(report.error());
  }
  if (options.json) {
    context.out() << report_json(*report, config).dump(2) << "\n";
  } else {
    print_report(context.out(), *report, config);
  }
  return exit_ok;
}

} // namespace

void add_migrate_store_command(CLI::App& app, Context& context, int& exit_code) {
  auto options = std::make_shared<MigrateStoreOptions>();
  auto* command = app.add_subcommand(
      "migrate-store", "Copy a SQLite store into an empty PostgreSQL database, verified table by "
                       "table, to run several daemons on it");
  command
      ->add_option("--from", options->from,
                   "The SQLite store: sqlite:///abs/path/state.db, or sqlite://state.db relative "
                   "to the config file's folder (stop the daemon first)")
      ->required();
  command
      ->add_option("--to", options->to,
                   "The empty PostgreSQL database: postgresql://USER@HOST[:PORT]/DB (password in "
                   "~/.pgpass or PGPASSFILE)")
      ->required();
  command->add_flag("--json", options->json, "Print one JSON document");
  command->callback(
      [&context, &exit_code, options] { exit_code = run_migrate_store(context, *options); });
}

} // namespace leadsync::cli
