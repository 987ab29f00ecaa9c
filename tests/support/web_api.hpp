#pragma once
// One request to the Dataverse emulator's Web API on loopback, as integration tests make them to
// set up and check what landed in the CRM.

#include "support/raw_http.hpp"

#include <chrono>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>

namespace leadsync::testing {

// METHOD /api/data/v9.2/PATH with a bearer token (and a JSON body when given): the status (0 when
// no answer came) and the JSON body (null when empty, discarded when unparsable).
inline std::pair<int, nlohmann::json> web_api(std::uint16_t port, const std::string& token,
                                              const std::string& method, const std::string& path,
                                              const std::string& body = {}) {
  RawConnection connection(port);
  std::string request = method + " /api/data/v9.2/" + path +
                        " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
                        "Accept: application/json\r\nAuthorization: Bearer " +
                        token + "\r\n";
  if (!body.empty()) {
    request +=
        "Content-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) + "\r\n";
  }
  request += "\r\n" + body;
  if (!connection.connected() || !connection.send(request)) {
    return {0, nullptr};
  }
  const auto response = connection.read_response(std::chrono::seconds(30));
  if (!response) {
    return {0, nullptr};
  }
  const std::string payload = response->substr(response->find("\r\n\r\n") + 4);
  return {RawConnection::status_of(*response),
          payload.empty() ? nlohmann::json(nullptr)
                          : nlohmann::json::parse(payload, nullptr, false)};
}

} // namespace leadsync::testing
