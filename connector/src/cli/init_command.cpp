#include "commands.hpp"
#include "exit_codes.hpp"

#include <fstream>
#include <optional>

namespace leadsync::cli {

namespace {

struct InitOptions {
  std::string dir = ".";
  bool force = false;
};

// The shipped mappings: next to an installed binary (<prefix>/share/leadsync/mappings), else the
// source tree this binary was built from.
std::optional<std::filesystem::path> shipped_mappings() {
  namespace fs = std::filesystem;
  std::error_code ec;
  const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    const fs::path installed = exe.parent_path().parent_path() / "share" / "leadsync" / "mappings";
    if (fs::is_directory(installed, ec)) {
      return installed;
    }
  }
  const fs::path built_from = LEADSYNC_MAPPINGS_DIR;
  if (fs::is_directory(built_from, ec)) {
    return built_from;
  }
  return std::nullopt;
}

// Copies the shipped mapping files into DIR/mappings (mapping.lead and the others point there).
bool write_mappings(Context& context, const std::filesystem::path& dir, bool force) {
  namespace fs = std::filesystem;
  const auto source = shipped_mappings();
  if (!source) {
    context.err() << "error: the shipped mappings folder was not found (looked in "
                  << LEADSYNC_MAPPINGS_DIR
                  << " and <prefix>/share/leadsync/mappings); reinstall leadsync\n";
    return false;
  }
  std::error_code ec;
  const fs::path target = dir / "mappings";
  fs::create_directories(target, ec);
  for (const auto& file : fs::directory_iterator(*source, ec)) {
    if (file.path().extension() != ".toml") {
      continue;
    }
    const fs::path copy = target / file.path().filename();
    if (fs::exists(copy) && !force) {
      context.out() << "Kept " << copy.string() << "\n";
      continue;
    }
    fs::copy_file(file.path(), copy, fs::copy_options::overwrite_existing, ec);
    if (ec) {
      context.err() << "error: cannot write " << copy.string() << ": " << ec.message() << "\n";
      return false;
    }
    context.out() << "Wrote " << copy.string() << "\n";
  }
  if (ec) {
    context.err() << "error: cannot read " << source->string() << ": " << ec.message() << "\n";
    return false;
  }
  return true;
}

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
  context.out() << "Wrote " << file.string() << "\n";
  if (!write_mappings(context, file.parent_path(), options.force)) {
    return exit_usage;
  }
  // The folder the "feeds" file_feed provider reads: drop aggregator files (JSON Lines, CSV) here.
  const fs::path feeds = file.parent_path() / "feeds";
  fs::create_directories(feeds, ec);
  if (ec) {
    context.err() << "error: cannot create folder " << feeds.string() << ": " << ec.message()
                  << "\n";
    return exit_usage;
  }
  context.out()
      << "It points at a local Dataverse emulator (http://127.0.0.1:8765) and keeps state in "
         "a SQLite file next to it.\n"
      << "Enrichment asks a local feeds emulator (http://127.0.0.1:8766, key in "
         "$LEADSYNC_PDL_API_KEY) and the feed files dropped into "
      << feeds.string() << ".\n"
      << "Next:\n"
      << "  leadsync -c " << file.string() << " check\n"
      << "  leadsync -c " << file.string() << " import leads.jsonl\n";
  return exit_ok;
}

} // namespace

void add_init_command(CLI::App& app, Context& context, int& exit_code) {
  auto options = std::make_shared<InitOptions>();
  auto* command = app.add_subcommand(
      "init", "Write a commented leadsync.toml (local emulator, SQLite state file) and the "
              "mappings into DIR");
  command->add_option("DIR", options->dir, "Folder for leadsync.toml (created if missing)")
      ->capture_default_str();
  command->add_flag("--force", options->force, "Overwrite an existing leadsync.toml");
  command->callback([&context, &exit_code, options] { exit_code = run_init(context, *options); });
}

} // namespace leadsync::cli
