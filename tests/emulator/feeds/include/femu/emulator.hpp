#pragma once
// The enrichment-feeds emulator as one object: People Data Labs v5, Clearbit v2 and a GitHub-shaped
// social API on one loopback HTTP server, with rate limits, credits, queued lookups, faults and the
// /_emulator/ admin endpoints (../README.md). Used by main.cpp and, in process, by tests.

#include "femu/options.hpp"

#include <cstdint>
#include <leadsync/core/result.hpp>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

namespace femu {

class Emulator {
public:
  explicit Emulator(EmulatorOptions options);
  ~Emulator();
  Emulator(const Emulator&) = delete;
  Emulator& operator=(const Emulator&) = delete;

  // Generates the population, binds, writes the port file when asked, starts serving. Returns the
  // port.
  leadsync::Result<std::uint16_t> start();
  void stop();
  std::string base_url() const; // "http://127.0.0.1:<port>"

  // What POST /_emulator/records, /_emulator/config, /_emulator/reset and GET /_emulator/stats do.
  // plant() returns how many people and companies were added: {"people":n,"companies":m}.
  leadsync::Result<nlohmann::json> plant(const nlohmann::json& records);
  leadsync::Status configure(const nlohmann::json& knobs);
  void reset();
  nlohmann::json stats() const;

private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

} // namespace femu
