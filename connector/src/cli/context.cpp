#include "context.hpp"

#include "exit_codes.hpp"
#include "leadsync/core/clock.hpp"
#include "leadsync/core/log.hpp"
#include "leadsync/core/process.hpp"
#include "leadsync/store/open.hpp"
#include "leadsync/sync/lease_recovery.hpp"

#include <cstdlib>
#include <ostream>
#include <unistd.h>

namespace leadsync::cli {

Context::Context(const GlobalOptions& options, std::ostream& out, std::ostream& err)
    : options_(options), out_(out), err_(err) {}

std::filesystem::path Context::config_path() const {
  if (!options_.config_file.empty()) {
    return options_.config_file;
  }
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

  log::Options log_options;
  log_options.redact_pii = config_->log.redact_pii;
  const auto& level = options_.log_level.empty() ? config_->log.level : options_.log_level;
  const auto& format = options_.log_format.empty() ? config_->log.format : options_.log_format;
  log::parse_level(level, log_options.level);
  log::parse_format(format, log_options.format);
  log::init(log_options);
  return true;
}

namespace {

// Runs a leadsync on this host left "running" when it was killed become "interrupted", so that
// `status` tells the truth. Best effort: the command goes on if the history cannot be read.
void close_abandoned_runs(store::Store& store) {
  const auto closed = sync::interrupt_runs_of_dead_processes(store, host_name(), ::getpid(),
                                                             SystemClock::instance().now());
  if (!closed.ok()) {
    log::get()->warn("cannot check the run history for interrupted runs: {}",
                     closed.error().describe());
  } else if (*closed > 0) {
    log::get()->info("{} run(s) of a leadsync that stopped without finishing marked interrupted",
                     *closed);
  }
}

} // namespace

Result<store::Store*> Context::store() {
  if (!store_) {
    LEADSYNC_TRY(auto opened, store::open_store(config_->store.url, config_->base_dir));
    store_ = std::move(opened);
    close_abandoned_runs(*store_);
  }
  return store_.get();
}

int Context::report(const Error& error) {
  err_ << "error: " << error.describe() << "\n";
  return exit_code_for(error);
}

} // namespace leadsync::cli
