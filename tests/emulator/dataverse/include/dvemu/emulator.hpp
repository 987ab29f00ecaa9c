#pragma once
// The whole emulator as one object: HTTP server, Entra-style token endpoint, authentication, service-
// protection limits, latency model, seeded faults, webhooks, admin endpoints under /_emulator/, request log.
// Used by main.cpp and, in-process, by tests that want it without a child process.

#include "dvemu/options.hpp"

#include <leadsync/core/result.hpp>

#include <nlohmann/json.hpp>

#include <cstdint>
#include <memory>
#include <string>

namespace dvemu {

class Emulator {
public:
  explicit Emulator(EmulatorOptions options);
  ~Emulator();
  // Binds, writes the port file when asked, starts serving. Returns the port.
  leadsync::Result<std::uint16_t> start();
  void stop();
  std::string base_url() const;      // "http://127.0.0.1:<port>"
  nlohmann::json stats() const;      // what GET /_emulator/stats returns

private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

} // namespace dvemu
