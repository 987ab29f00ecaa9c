#pragma once
// Logs every Web API URL the Dataverse client produced, one per line, appended to the file named by
// $LEADSYNC_URL_LOG, for the conformance test that parses them (tests/conformance/dwa,
// run-client-urls.sh runs the client's unit and integration tests with it set).

#include "leadsync/http/transport.hpp"

#include <cstdlib>
#include <fstream>
#include <memory>
#include <mutex>
#include <string>
#include <utility>

namespace leadsync::test {

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

} // namespace leadsync::test
