#pragma once
// What every command shares: global options, the loaded configuration, the job runtime (the store
// and what the jobs need), output helpers.

#include "leadsync/core/config.hpp"
#include "leadsync/core/result.hpp"
#include "leadsync/jobs/runtime.hpp"
#include "leadsync/store/store.hpp"

#include <filesystem>
#include <iosfwd>
#include <memory>
#include <optional>
#include <string>

namespace leadsync::cli {

struct GlobalOptions {
  std::string config_file; // -c/--config; default $LEADSYNC_CONFIG, else ./leadsync.toml
  std::string log_level;   // --log-level overrides log.level
  std::string log_format;  // --log-format overrides log.format
};

class Context {
public:
  // options is filled by the command-line parser after construction, so it is held by reference.
  Context(const GlobalOptions& options, std::ostream& out, std::ostream& err);

  std::filesystem::path config_path() const;
  // Loads and validates the config once; on problems prints every one to stderr and returns false.
  bool load_config();
  const config::Config& config() const { return *config_; }
  // The job runtime over the store the config names, made once (after load_config()): it opens
  // the store and runs start-up recovery (abandoned runs, dead leases).
  Result<jobs::Runtime*> runtime();
  // The runtime's store (after load_config()).
  Result<store::Store*> store();

  std::ostream& out() { return out_; }
  std::ostream& err() { return err_; }
  // Prints "error: <message>" to stderr and returns the exit code for the error.
  int report(const Error& error);
  const GlobalOptions& options() const { return options_; }

private:
  const GlobalOptions& options_;
  std::ostream& out_;
  std::ostream& err_;
  std::optional<config::Config> config_;
  std::unique_ptr<jobs::Runtime> runtime_;
};

} // namespace leadsync::cli
