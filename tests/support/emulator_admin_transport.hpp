#pragma once
// The emulators' admin API (/_emulator/...) through an http::Transport, for tests that run an
// emulator in process next to the code under test and reach it over the real cpprestsdk transport.

#include "leadsync/http/transport.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <string>

namespace leadsync::test {

// METHOD <base_url>/_emulator/<path>, with `body` as JSON unless it is null: the answer's JSON;
// fails the test and gives null unless the emulator answered 200.
inline nlohmann::json emulator_admin(http::Transport& transport, const std::string& base_url,
                                     const std::string& method, const std::string& path,
                                     const nlohmann::json& body = nullptr) {
  http::Request request;
  request.method = method;
  request.url = base_url + "/_emulator/" + path;
  if (!body.is_null()) {
    request.headers.set("Content-Type", "application/json");
    request.body = body.dump();
  }
  auto response = transport.send(request, {});
  if (!response.ok() || response->status != 200) {
    ADD_FAILURE() << "admin " << method << " " << path << " failed";
    return nullptr;
  }
  return nlohmann::json::parse(response->body);
}

} // namespace leadsync::test
