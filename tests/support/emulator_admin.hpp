#pragma once
// The emulators' admin API (/_emulator/stats, /_emulator/records, /_emulator/clock, ...) on
// loopback, as integration, fault and benchmark tests set up and count what happened: the Dataverse
// and the feeds emulators answer it alike.

#include "support/raw_http.hpp"

#include <chrono>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

namespace leadsync::testing {

// METHOD PATH (with a JSON body when given; a POST always says its length): the JSON body of a 200
// answer within 60 s, nothing otherwise.
inline std::optional<nlohmann::json> emulator_admin(std::uint16_t port, const std::string& method,
                                                    const std::string& path,
                                                    const std::string& body = {}) {
  RawConnection connection(port);
  std::string request =
      method + " " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n";
  if (!body.empty() || method == "POST") {
    request +=
        "Content-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) + "\r\n";
  }
  request += "\r\n" + body;
  if (!connection.connected() || !connection.send(request)) {
    return std::nullopt;
  }
  const auto response = connection.read_response(std::chrono::seconds(60));
  if (!response || RawConnection::status_of(*response) != 200) {
    return std::nullopt;
  }
  auto parsed =
      nlohmann::json::parse(response->substr(response->find("\r\n\r\n") + 4), nullptr, false);
  if (parsed.is_discarded()) {
    return std::nullopt;
  }
  return parsed;
}

} // namespace leadsync::testing
