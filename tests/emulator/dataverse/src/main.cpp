// dataverse-emulator: the Dataverse Web API emulator as a process, for connector tests, the demo
// and benchmarks. Flags, admin endpoints and behaviour switches are documented in ../README.md.
// Exit status: 0 after a clean stop (SIGTERM or SIGINT), 1 when it cannot start, 2 on bad flags.

#include "dvemu/emulator.hpp"

#include <CLI/CLI.hpp>
#include <cmath>
#include <csignal>
#include <cstdlib>
#include <exception>
#include <iostream>
#include <leadsync/core/log.hpp>
#include <pthread.h>
#include <string>
#include <vector>

namespace {

constexpr int exit_cannot_start = 1;
constexpr int exit_usage = 2;

int usage_error(const std::string& message) {
  std::cerr << "dataverse-emulator: " << message << "\n";
  return exit_usage;
}

// The value of an environment variable that must hold a secret; empty when unset.
std::string secret_from_env(const std::string& variable) {
  const char* value = std::getenv(variable.c_str());
  return value == nullptr ? std::string() : std::string(value);
}

} // namespace

int main(int argc, char** argv) {
  dvemu::EmulatorOptions options;
  CLI::App app{"Dataverse Web API emulator: serves /api/data/v9.2/, an Entra-style token endpoint "
               "and /_emulator/ admin endpoints on loopback",
               "dataverse-emulator"};
  app.add_option("--listen", options.listen, "HOST:PORT to listen on; port 0 picks a free port")
      ->capture_default_str();
  app.add_option("--port-file", options.port_file,
                 "Write the bound port and a newline to this file once listening");
  app.add_option("--state", options.state_file,
                 "SQLite file that keeps the rows across restarts (default: in memory only)");
  app.add_option("--profile", options.profile,
                 "dataverse: documented service-protection limits; fast: no limits, no latency")
      ->check(CLI::IsMember({"dataverse", "fast"}))
      ->capture_default_str();
  app.add_option("--organization-url", options.organization_url,
                 "Base URL used in links and token scopes (default: http://HOST:PORT)");

  double window_s = 0;
  auto* window_option = app.add_option(
      "--window-s", window_s,
      "Sliding window of the limits in seconds; requests and execution time scale with it "
      "(default 300)");
  window_option->check(CLI::PositiveNumber);
  std::int64_t max_requests = 0;
  auto* max_requests_option =
      app.add_option("--max-requests", max_requests, "Requests per window (overrides the scaling)")
          ->check(CLI::PositiveNumber);
  std::int64_t max_execution_ms = 0;
  auto* max_execution_option =
      app.add_option("--max-execution-ms", max_execution_ms,
                     "Combined execution time per window in ms (overrides the scaling)")
          ->check(CLI::PositiveNumber);
  std::int64_t max_concurrency = 0;
  auto* max_concurrency_option = app.add_option("--max-concurrency", max_concurrency,
                                                "Requests in flight per user (default 52)")
                                     ->check(CLI::PositiveNumber);
  int dop_hint = 0;
  auto* dop_hint_option = app.add_option("--dop-hint", dop_hint, "x-ms-dop-hint value (default 4)")
                              ->check(CLI::PositiveNumber);
  std::int64_t latency_ms = 0;
  auto* latency_option = app.add_option("--latency-ms", latency_ms,
                                        "Base latency per request in ms, counted as execution time")
                             ->check(CLI::NonNegativeNumber);
  std::int64_t per_record_ms = 0;
  auto* per_record_option = app.add_option("--per-record-ms", per_record_ms,
                                           "Latency per record written or returned, in ms")
                                ->check(CLI::NonNegativeNumber);

  std::string fault_spec;
  app.add_option(
      "--faults", fault_spec,
      "Seeded fault plan, e.g. 500=0.05,503=0.05,reset=0.02,slow=0.01:2000,revoke=0.001");
  app.add_option("--seed", options.faults.seed, "Seed of the fault plan")->capture_default_str();

  std::vector<std::string> client_ids;
  app.add_option("--client-id", client_ids,
                 "Client id the token endpoint accepts (default " + options.auth.client_id +
                     "); repeat it for several application users, each with its own systemuser "
                     "and service-protection limits; the first is the static token's user")
      ->allow_extra_args(false);
  std::string client_secret_env;
  app.add_option("--client-secret-env", client_secret_env,
                 "Environment variable holding the client secret, shared by every client id "
                 "(unset: any secret is accepted)");
  std::string static_token_env;
  auto* static_env_option =
      app.add_option("--static-token-env", static_token_env,
                     "Environment variable holding a bearer token that is always valid");
  auto* static_option = app.add_option("--static-token", options.auth.static_token,
                                       "A bearer token that is always valid (tests, demo)");
  static_option->excludes(static_env_option);
  std::int64_t token_lifetime_s = options.auth.token_lifetime.count();
  app.add_option("--token-lifetime-s", token_lifetime_s, "expires_in of issued tokens")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();

  app.add_option("--change-token-days", options.compat.change_token_days,
                 "Age in days after which a change-tracking token is refused")
      ->check(CLI::Range(1, 3650))
      ->capture_default_str();
  app.add_option("--duplicate-status", options.compat.duplicate_status,
                 "HTTP status of a duplicate-detection refusal: 412 or 500")
      ->check(CLI::IsMember({412, 500}))
      ->capture_default_str();
  app.add_flag("--continue-past-failed-changeset",
               options.compat.continue_on_error_past_failed_changeset,
               "With Prefer: odata.continue-on-error, go on after a failed changeset");
  app.add_option("--qualify-closed-status", options.compat.qualify_closed_status,
                 "HTTP status of QualifyLead on a closed lead")
      ->check(CLI::Range(400, 599))
      ->capture_default_str();
  app.add_option("--extra-column", options.extra_columns,
                 "Extra column, entity:column:Type[:arg] (repeatable)")
      ->allow_extra_args(false);
  app.add_option("--alternate-key", options.extra_alternate_keys,
                 "Extra alternate key, entity:keyname:col1+col2 (repeatable)")
      ->allow_extra_args(false);
  app.add_option("--threads", options.threads, "Server threads")
      ->check(CLI::Range(1, 64))
      ->capture_default_str();
  bool quiet = false;
  app.add_flag("--quiet", quiet, "Do not log one line per request");
  app.footer("Exit status: 0 after SIGTERM/SIGINT, 1 when it cannot start, 2 on bad flags.");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& error) {
    return app.exit(error) == 0 ? 0 : exit_usage;
  }

  if (options.profile == "fast") {
    for (const auto* option : {window_option, max_requests_option, max_execution_option,
                               max_concurrency_option, latency_option, per_record_option}) {
      if (option->count() > 0) {
        return usage_error(option->get_name() +
                           " has no effect with --profile fast (no limits, no latency); drop it "
                           "or use --profile dataverse");
      }
    }
  }
  if (window_option->count() > 0) {
    options.limits =
        dvemu::scaled_limits(std::chrono::milliseconds{std::llround(window_s * 1000.0)});
  }
  if (max_requests_option->count() > 0) {
    options.limits.max_requests = max_requests;
  }
  if (max_execution_option->count() > 0) {
    options.limits.max_execution_ms = max_execution_ms;
  }
  if (max_concurrency_option->count() > 0) {
    options.limits.max_concurrency = max_concurrency;
  }
  if (dop_hint_option->count() > 0) {
    options.limits.dop_hint = dop_hint;
  }
  options.latency.base = std::chrono::milliseconds{latency_ms};
  options.latency.per_record = std::chrono::milliseconds{per_record_ms};
  options.auth.token_lifetime = std::chrono::seconds{token_lifetime_s};
  if (!client_ids.empty()) {
    options.auth.client_id = client_ids.front();
    options.auth.additional_client_ids.assign(client_ids.begin() + 1, client_ids.end());
  }
  if (!fault_spec.empty()) {
    auto faults = dvemu::parse_fault_spec(fault_spec, options.faults);
    if (!faults.ok()) {
      return usage_error(faults.error().message);
    }
    options.faults = faults.value();
  }
  if (!client_secret_env.empty()) {
    options.auth.client_secret = secret_from_env(client_secret_env);
    if (options.auth.client_secret.empty()) {
      return usage_error("environment variable " + client_secret_env +
                         " (from --client-secret-env) is not set or empty; export the client "
                         "secret in it");
    }
  }
  if (!static_token_env.empty()) {
    options.auth.static_token = secret_from_env(static_token_env);
    if (options.auth.static_token.empty()) {
      return usage_error("environment variable " + static_token_env +
                         " (from --static-token-env) is not set or empty; export the token in it");
    }
  }
  options.log_requests = !quiet;

  leadsync::log::init({});
  for (const auto& secret : {options.auth.client_secret, options.auth.static_token}) {
    if (!secret.empty()) {
      leadsync::log::Redactor::instance().add_secret(secret);
    }
  }

  // Block the stop signals before any thread starts, so every thread inherits the mask and the main
  // thread alone receives them in sigwait().
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  try {
    dvemu::Emulator emulator(options);
    auto started = emulator.start();
    if (!started.ok()) {
      std::cerr << "dataverse-emulator: cannot start: " << started.error().message << "\n";
      return started.error().category == leadsync::ErrorCategory::invalid_argument ||
                     started.error().category == leadsync::ErrorCategory::config
                 ? exit_usage
                 : exit_cannot_start;
    }
    std::cout << "dataverse-emulator listening on " << emulator.base_url() << " (profile "
              << options.profile << ")" << std::endl;
    int received = 0;
    sigwait(&stop_signals, &received);
    emulator.stop();
  } catch (const std::exception& error) {
    std::cerr << "dataverse-emulator: internal error: " << error.what() << "\n";
    return exit_cannot_start;
  }
  return 0;
}
