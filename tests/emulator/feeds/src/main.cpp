// feeds-emulator: People Data Labs v5, Clearbit v2 and a GitHub-shaped social API on loopback, for
// connector tests, the demo and benchmarks. Flags, knobs and admin endpoints: ../README.md.
// Exit status: 0 after a clean stop (SIGTERM or SIGINT), 1 when it cannot start, 2 on bad flags.

#include "femu/emulator.hpp"

#include <CLI/CLI.hpp>
#include <csignal>
#include <cstdlib>
#include <exception>
#include <iostream>
#include <leadsync/core/log.hpp>
#include <pthread.h>
#include <string>

namespace {

constexpr int exit_cannot_start = 1;
constexpr int exit_usage = 2;

} // namespace

int main(int argc, char** argv) {
  femu::EmulatorOptions options;
  femu::Knobs& knobs = options.knobs;
  CLI::App app{"Enrichment-feeds emulator: People Data Labs v5 (/v5/), Clearbit v2 (/v2/), a "
               "GitHub-shaped social API (/users/, /search/users) and /_emulator/ admin endpoints "
               "on loopback",
               "feeds-emulator"};
  app.add_option("--listen", options.listen, "HOST:PORT to listen on; port 0 picks a free port")
      ->capture_default_str();
  app.add_option("--port-file", options.port_file,
                 "Write the bound port and a newline to this file once listening");
  std::string api_key_env;
  app.add_option("--api-key-env", api_key_env,
                 "Environment variable holding the one accepted API key (unset: any non-empty key "
                 "is accepted, and the social API needs none)");
  app.add_option("--latency-ms", knobs.latency_ms, "Added to every provider answer, in ms")
      ->check(CLI::Range(std::int64_t{0}, std::int64_t{600'000}))
      ->capture_default_str();
  app.add_option("--rate-per-min", knobs.rate_per_min,
                 "Requests per 60 s window per API family and key (a PDL bulk call counts one per "
                 "item); 0 = unlimited")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  app.add_option("--credits", knobs.credits, "Credits shared by PDL and Clearbit; 0 = unlimited")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  app.add_option("--miss-rate", knobs.miss_rate,
                 "Share of queries answered not found (deterministic by query hash)")
      ->check(CLI::Range(0.0, 1.0))
      ->capture_default_str();
  app.add_option("--queued-share", knobs.queued_share,
                 "Share of first Clearbit lookups answered 202 queued")
      ->check(CLI::Range(0.0, 1.0))
      ->capture_default_str();
  app.add_option("--queued-ready-s", knobs.queued_ready_s,
                 "Seconds until a queued Clearbit lookup answers")
      ->check(CLI::Range(0.0, 3600.0))
      ->capture_default_str();
  app.add_option("--fault-rate", knobs.fault_rate, "Share of provider calls answered 500 or 503")
      ->check(CLI::Range(0.0, 1.0))
      ->capture_default_str();
  app.add_option("--reset-rate", knobs.reset_rate,
                 "Share of provider calls whose connection is dropped without an answer")
      ->check(CLI::Range(0.0, 1.0))
      ->capture_default_str();
  app.add_option(
         "--storm-every", knobs.storm_every,
         "429 storms: of every N provider calls, the first --storm-length get 429; 0 = none")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  app.add_option("--storm-length", knobs.storm_length,
                 "Provider calls answered 429 at the start of every --storm-every calls")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  app.add_option("--seed", knobs.seed, "Seed of the population and of every share above")
      ->capture_default_str();
  app.add_option("--population", knobs.population,
                 "Generated people (the sample-list people are always added)")
      ->check(CLI::Range(std::size_t{0}, std::size_t{1'000'000}))
      ->capture_default_str();
  app.add_option("--threads", options.threads, "Server threads")
      ->check(CLI::Range(std::size_t{1}, std::size_t{64}))
      ->capture_default_str();
  bool quiet = false;
  app.add_flag("--quiet", quiet, "Do not log one line per request");
  app.footer("Exit status: 0 after SIGTERM/SIGINT, 1 when it cannot start, 2 on bad flags.");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& error) {
    return app.exit(error) == 0 ? 0 : exit_usage;
  }
  // The same cross-field checks as POST /_emulator/config (rates adding up, storm shape).
  if (auto checked = femu::apply_knobs(knobs, nlohmann::json::object()); !checked.ok()) {
    std::cerr << "feeds-emulator: " << checked.error().message << "\n";
    return exit_usage;
  }
  if (!api_key_env.empty()) {
    const char* key = std::getenv(api_key_env.c_str());
    options.api_key = key == nullptr ? std::string() : std::string(key);
    if (options.api_key.empty()) {
      std::cerr << "feeds-emulator: environment variable " << api_key_env
                << " (from --api-key-env) is not set or empty; export the API key in it\n";
      return exit_usage;
    }
  }
  options.log_requests = !quiet;
  leadsync::log::init({});
  if (!options.api_key.empty()) {
    leadsync::log::Redactor::instance().add_secret(options.api_key);
  }

  // Block the stop signals before any thread starts, so every thread inherits the mask and the main
  // thread alone receives them in sigwait().
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  try {
    femu::Emulator emulator(options);
    auto started = emulator.start();
    if (!started.ok()) {
      std::cerr << "feeds-emulator: cannot start: " << started.error().message << "\n";
      return started.error().category == leadsync::ErrorCategory::invalid_argument
                 ? exit_usage
                 : exit_cannot_start;
    }
    std::cout << "feeds-emulator listening on " << emulator.base_url() << std::endl;
    int received = 0;
    sigwait(&stop_signals, &received);
    emulator.stop();
  } catch (const std::exception& error) {
    std::cerr << "feeds-emulator: internal error: " << error.what() << "\n";
    return exit_cannot_start;
  }
  return 0;
}
