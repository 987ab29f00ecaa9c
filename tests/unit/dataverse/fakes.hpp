#pragma once
// Test doubles shared by the Dataverse client tests: the http tests' scripted RecordingTransport
// and RecordingSleeper, a wrapper that logs every URL the client produced (one per line, appended
// to $LEADSYNC_URL_LOG) for the conformance test that parses them, and the wire form of a request.

#include "leadsync/core/clock.hpp"
#include "leadsync/http/transport.hpp"
#include "unit/http/client/fakes.hpp"

#include <chrono>
#include <cstdlib>
#include <deque>
#include <fstream>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

namespace leadsync::dataverse::fakes {

// Appends a Web API URL to the file named by LEADSYNC_URL_LOG, when set. Each test runs in its own
// process under ctest, so lines are appended, never truncated. Token endpoint URLs are not OData
// and are left out.
inline void log_url(const std::string& url) {
  static std::mutex mutex;
  const char* path = std::getenv("LEADSYNC_URL_LOG");
  if (path == nullptr || *path == '\0' || url.find("/api/data/v") == std::string::npos) {
    return;
  }
  std::lock_guard lock(mutex);
  std::ofstream(path, std::ios::app) << url << '\n';
}

using http::fakes::make_response;
using http::fakes::RecordingSleeper;
using http::fakes::RecordingTransport;

// Passes every request on to a real transport and logs its URL.
class UrlLoggingTransport final : public http::Transport {
public:
  explicit UrlLoggingTransport(std::shared_ptr<http::Transport> inner) : inner_(std::move(inner)) {}

  Result<http::Response> send(const http::Request& request,
                              const http::CallContext& context) override {
    log_url(request.url);
    return inner_->send(request, context);
  }

private:
  std::shared_ptr<http::Transport> inner_;
};

// The request as it would go on the wire, without the x-ms-client-request-id (random per call):
// "METHOD URL", one "Name: value" line per header in order, then a blank line and the body.
inline std::string wire(const http::Request& request) {
  std::string text = request.method + " " + request.url + "\n";
  for (const auto& [name, value] : request.headers) {
    if (name != "x-ms-client-request-id") {
      text += name + ": " + value + "\n";
    }
  }
  if (!request.body.empty()) {
    text += "\n" + request.body;
  }
  return text;
}

} // namespace leadsync::dataverse::fakes
