#pragma once
// Loopback HTTP for the feeds emulator's integration tests: an in-process emulator per test and a
// one-shot request helper on the raw socket client (tests/support/raw_http.hpp).

#include "femu/emulator.hpp"
#include "support/raw_http.hpp"

#include <gtest/gtest.h>
#include <leadsync/http/headers.hpp>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

namespace femu::testing {

// A 64-character key, as the PDL JS SDK insists on (enrichment-notes 1.2).
inline const std::string kApiKey(64, 'k');

struct Reply {
  int status = 0;
  leadsync::http::Headers headers;
  std::string body;
  nlohmann::json json() const { return nlohmann::json::parse(body, nullptr, false); }
};

inline Reply call(std::uint16_t port, const std::string& method, const std::string& target,
                  const std::vector<std::pair<std::string, std::string>>& headers = {},
                  const std::string& body = "") {
  leadsync::testing::RawConnection connection(port);
  std::string request =
      method + " " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n";
  for (const auto& [name, value] : headers) {
    request += name + ": " + value + "\r\n";
  }
  if (!body.empty()) {
    request += "Content-Type: application/json\r\n";
  }
  request += "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
  Reply reply;
  if (!connection.send(request)) {
    return reply;
  }
  const auto raw = connection.read_response(std::chrono::seconds(10));
  if (!raw) {
    return reply;
  }
  reply.status = leadsync::testing::RawConnection::status_of(*raw);
  const auto header_end = raw->find("\r\n\r\n");
  std::size_t line_start = raw->find("\r\n") + 2;
  while (line_start < header_end) {
    const auto line_end = raw->find("\r\n", line_start);
    const std::string line = raw->substr(line_start, line_end - line_start);
    const auto colon = line.find(':');
    reply.headers.add(line.substr(0, colon), line.substr(colon + 2));
    line_start = line_end + 2;
  }
  reply.body = raw->substr(header_end + 4);
  return reply;
}

// Starts an emulator (small population, quiet) on a free loopback port for each test.
class EmulatorTest : public ::testing::Test {
protected:
  void start(Knobs knobs = small_population(), std::string api_key = "") {
    EmulatorOptions options;
    options.api_key = std::move(api_key);
    options.knobs = knobs;
    options.threads = 2;
    options.log_requests = false;
    emulator_ = std::make_unique<Emulator>(options);
    auto port = emulator_->start();
    ASSERT_TRUE(port.ok()) << port.error().message;
    port_ = port.value();
  }
  static Knobs small_population() {
    Knobs knobs;
    knobs.population = 200;
    return knobs;
  }
  Reply get(const std::string& target,
            const std::vector<std::pair<std::string, std::string>>& headers = {}) {
    return call(port_, "GET", target, headers);
  }
  Reply post(const std::string& target, const nlohmann::json& body,
             const std::vector<std::pair<std::string, std::string>>& headers = {}) {
    return call(port_, "POST", target, headers, body.dump());
  }
  Reply configure(const nlohmann::json& knobs) { return post("/_emulator/config", knobs); }
  nlohmann::json stats() { return get("/_emulator/stats").json(); }

  std::unique_ptr<Emulator> emulator_;
  std::uint16_t port_ = 0;
};

} // namespace femu::testing
