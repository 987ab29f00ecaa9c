#include "context.hpp"

#include "exit_codes.hpp"
#include "leadsync/core/log.hpp"

#include <cstdlib>
#include <ostream>

namespace leadsync::cli {

Context::Context(const GlobalOptions& options, std::ostream& out, std::ostream& err)
    : options_(options), out_(out), err_(err) {}

std::filesystem::path Context::config_path() const {
  if (!options_.config_file.empty()) {
    return options_.config_file;
  }
  // NOLINTNEXTLINE(concurrency-mt-unsafe): read on the main thread before any job starts one
  if (const char* from_env = std::getenv("LEADSYNC_CONFIG"); from_env != nullptr && *from_env) {
    return from_env;
  }
  return "leadsync.toml";
}

bool Context::load_config() {
  if (config_) {
    return true;
  }
  const auto path = config_path();
  auto loaded = config::load_config(path);
  if (!loaded.ok()) {
    err_ << "error: " << loaded.error().message << "\n";
    return false;
  }
  const auto problems = config::validate(loaded.value());
  if (!problems.empty()) {
    err_ << "error: " << path.string() << " has " << problems.size()
         << (problems.size() == 1 ? " problem" : " problems") << ":\n";
    for (const auto& problem : problems) {
      err_ << "  " << problem.describe() << "\n";
    }
    return false;
  }
  config_ = std::move(loaded).value().config;

  // --log-level and --log-format override the file; main() checked their words already.
  config::LogOptions log_settings = config_->log;
  if (!options_.log_level.empty()) {
    log_settings.level = config::parse_log_level(options_.log_level).value();
  }
  if (!options_.log_format.empty()) {
    log_settings.format = config::parse_log_format(options_.log_format).value();
  }
  log::init(log::options_from(log_settings));
  return true;
}

Result<jobs::Runtime*> Context::runtime() {
  if (!runtime_) {
    LEADSYNC_TRY(runtime_, jobs::Runtime::open(*config_));
  }
  return runtime_.get();
}

Result<store::Store*> Context::store() {
  LEADSYNC_TRY(jobs::Runtime * runtime, this->runtime());
  return &runtime->store();
}

int Context::report(const Error& error) {
  err_ << "error: " << error.describe() << "\n";
  return exit_code_for(error);
}

} // namespace leadsync::cli
