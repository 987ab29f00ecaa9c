#include "commands.hpp"
#include "exit_codes.hpp"

#include <fstream>

namespace leadsync::cli {

namespace {

struct InitOptions {
  std::string dir = ".";
  bool force = false;
};

int run_init(Context& context, const InitOptions& options) {
  namespace fs = std::filesystem;
  std::error_code ec;
  fs::create_directories(options.dir, ec);
  if (ec) {
    context.err() << "error: cannot create folder " << options.dir << ": " << ec.message() << "\n";
    return exit_usage;
  }
  const auto file = fs::absolute(fs::path(options.dir) / "leadsync.toml");
  if (fs::exists(file) && !options.force) {
    context.err() << "error: " << file.string()
                  << " already exists; keep it, or pass --force to overwrite it\n";
    return exit_usage;
  }
  std::ofstream out(file, std::ios::trunc);
  out << config::default_config_text();
  out.close();
  if (!out) {
    context.err() << "error: cannot write " << file.string() << "\n";
    return exit_usage;
  }
  context.out() << "Wrote " << file.string() << "\n"
                << "It points at a local Dataverse emulator (http://127.0.0.1:8765) and keeps state in "
                   "a SQLite file next to it.\n"
                << "Next:\n"
                << "  leadsync -c " << file.string() << " check\n"
                << "  leadsync -c " << file.string() << " import leads.jsonl\n";
  return exit_ok;
}

} // namespace

void add_init_command(CLI::App& app, Context& context, int& exit_code) {
  auto options = std::make_shared<InitOptions>();
  auto* command = app.add_subcommand(
      "init", "Write a commented leadsync.toml (local emulator, SQLite state file) into DIR");
  command->add_option("DIR", options->dir, "Folder for leadsync.toml (created if missing)")
      ->capture_default_str();
  command->add_flag("--force", options->force, "Overwrite an existing leadsync.toml");
  command->callback([&context, &exit_code, options] { exit_code = run_init(context, *options); });
}

} // namespace leadsync::cli
