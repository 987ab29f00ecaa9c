#pragma once
// What the feeds emulator can be told on its command line (main.cpp --help) and, for the knobs, at
// run time through POST /_emulator/config.

#include <cstddef>
#include <cstdint>
#include <leadsync/core/result.hpp>
#include <nlohmann/json.hpp>
#include <string>

namespace femu {

// Behaviour switches, settable at run time. JSON names are the flag names with '_' or '-'.
struct Knobs {
  std::int64_t latency_ms = 0;   // added to every provider answer
  std::int64_t rate_per_min = 0; // per API family and key, 60 s fixed window; 0 = unlimited
  std::int64_t credits = 0;      // shared by PDL and Clearbit; 0 = unlimited
  double miss_rate = 0;          // share of queries answered "not found", by query hash
  double queued_share = 0;       // share of first Clearbit lookups answered 202 queued
  double queued_ready_s = 5;     // a queued lookup answers after this many seconds
  double fault_rate = 0;         // share of provider calls answered 500 or 503
  double reset_rate = 0;         // share of provider calls whose connection is dropped unanswered
  // 429 storms: of every storm_every provider calls, the first storm_length are answered 429 with
  // Retry-After: 1 (0 = no storms). Counted in calls, so a run sees the same storms every time.
  std::int64_t storm_every = 0;
  std::int64_t storm_length = 0;
  std::uint64_t seed = 1;        // population, miss, queue and fault choices
  std::size_t population = 2000; // generated people (plus the sample-list people)
};

// Applies a JSON object of knobs on top of `knobs`. Fails (invalid_argument, naming the key) on an
// unknown name, a wrong type or an out-of-range value; then nothing is applied.
leadsync::Result<Knobs> apply_knobs(Knobs knobs, const nlohmann::json& changes);
nlohmann::json knobs_to_json(const Knobs& knobs);

struct EmulatorOptions {
  std::string listen = "127.0.0.1:0"; // HOST:PORT; port 0 picks a free port
  std::string port_file;              // written with the bound port once listening
  std::string api_key;                // the accepted key; empty = any non-empty key
  Knobs knobs;
  std::size_t threads = 4;
  bool log_requests = true; // one log line per request (never the query string)
};

} // namespace femu
