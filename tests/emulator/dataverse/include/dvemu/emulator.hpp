#pragma once
// The whole emulator as one object: HTTP server, Entra-style token endpoint, authentication,
// service-protection limits, latency model, seeded faults, webhooks, admin endpoints under
// /_emulator/, request log. Used by main.cpp and, in process, by tests that want no child process.

#include "dvemu/options.hpp"

#include <chrono>
#include <cstdint>
#include <leadsync/core/result.hpp>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

namespace dvemu {

class Emulator {
public:
  explicit Emulator(EmulatorOptions options);
  ~Emulator();
  Emulator(const Emulator&) = delete;
  Emulator& operator=(const Emulator&) = delete;
  // Binds, writes the port file when asked, starts serving. Returns the port.
  leadsync::Result<std::uint16_t> start();
  void stop();
  std::string base_url() const; // "http://127.0.0.1:<port>"
  nlohmann::json stats() const; // what GET /_emulator/stats returns

private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// The systemuserid of a further application user (AuthOptions::additional_client_ids): a name-based
// UUID, version 5 of RFC 9562 (SHA-1 of the emulator's tenant id and the client id), so a client
// id gets the same user in every run and state file. The first client id keeps the fixed seeded
// user ...1a03.
std::string application_user_id(std::string_view client_id);

// The documented service-protection limits (dataverse-notes section 8: 6,000 requests and 1,200,000
// ms of execution time per 300 s) scaled to a shorter window so throttling shows within seconds.
// The concurrency limit is not scaled: it is not measured over a window.
LimitOptions scaled_limits(std::chrono::milliseconds window);

// Parses a fault plan such as "500=0.05,503=0.05,reset=0.02,slow=0.01:2000,revoke=0.001" on top of
// `base` (its seed and slow delay are kept unless the spec sets them). Rates are probabilities per
// data request; together they may not exceed 1.
leadsync::Result<FaultOptions> parse_fault_spec(std::string_view spec, FaultOptions base = {});

// The theoretical bulk-write ceiling that limits and latency allow, for bulk requests of
// `batch_size` records, each costing c = base + batch_size * per_record ms of execution time
// (W = the window in seconds):
//   by requests:       batch_size * max_requests / W
//   by execution time: (max_execution_ms / c) * batch_size / W
//   by concurrency:    max_concurrency * batch_size * 1000 / c
// The ceiling is the smallest; a term with a zero cost or with limits off is unbounded.
struct BulkCeiling {
  int batch_size = 0;
  std::optional<double> by_requests; // records per second; empty = unbounded
  std::optional<double> by_execution_time;
  std::optional<double> by_concurrency;
  std::optional<double> records_per_second; // the minimum; empty when nothing bounds it
  std::string binding_limit; // "requests" | "execution_time" | "concurrency" | "none"
};
BulkCeiling bulk_ceiling(const LimitOptions& limits, const LatencyOptions& latency, int batch_size);

} // namespace dvemu
