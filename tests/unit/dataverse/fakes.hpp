#pragma once
// Test doubles shared by the Dataverse client tests: a Transport that records every request and
// answers from a script, a wrapper that only records (for the real transport in integration
// tests), a Sleeper that moves a ManualClock instead of sleeping, and the URL log the conformance
// test reads (every URL the client produced, one per line, appended to $LEADSYNC_URL_LOG).

#include "leadsync/core/clock.hpp"
#include "leadsync/http/transport.hpp"

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

inline http::Response make_response(int status, http::Headers headers = {}, std::string body = {}) {
  http::Response response;
  response.status = status;
  response.headers = std::move(headers);
  response.body = std::move(body);
  return response;
}

inline http::Response json_response(int status, std::string body, http::Headers headers = {}) {
  headers.set("Content-Type", "application/json; odata.metadata=minimal");
  headers.set("OData-Version", "4.0");
  return make_response(status, std::move(headers), std::move(body));
}

// Records every request with its context and answers with the scripted results, in order. An
// unscripted call fails with an internal error naming the call, so a test never hangs.
class RecordingTransport final : public http::Transport {
public:
  struct Call {
    http::Request request;
    http::CallContext context;
  };

  RecordingTransport& then_respond(http::Response response) {
    std::lock_guard lock(mutex_);
    script_.emplace_back(std::move(response));
    return *this;
  }
  RecordingTransport& then_respond(int status, http::Headers headers = {}, std::string body = {}) {
    return then_respond(make_response(status, std::move(headers), std::move(body)));
  }
  RecordingTransport& then_json(int status, std::string body, http::Headers headers = {}) {
    return then_respond(json_response(status, std::move(body), std::move(headers)));
  }
  RecordingTransport& then_fail(ErrorCategory category, std::string message, bool retryable) {
    std::lock_guard lock(mutex_);
    script_.emplace_back(Error::make(category, std::move(message), retryable));
    return *this;
  }

  Result<http::Response> send(const http::Request& request,
                              const http::CallContext& context) override {
    log_url(request.url);
    std::lock_guard lock(mutex_);
    calls_.push_back(Call{request, context});
    if (script_.empty()) {
      return fail(ErrorCategory::internal, "RecordingTransport: no scripted answer for call " +
                                               std::to_string(calls_.size()) + " (" +
                                               request.method + " " + request.url + ")");
    }
    auto answer = std::move(script_.front());
    script_.pop_front();
    return answer;
  }

  std::vector<Call> calls() const {
    std::lock_guard lock(mutex_);
    return calls_;
  }
  std::size_t call_count() const {
    std::lock_guard lock(mutex_);
    return calls_.size();
  }
  Call call(std::size_t index) const {
    std::lock_guard lock(mutex_);
    return calls_.at(index);
  }

private:
  mutable std::mutex mutex_;
  std::deque<Result<http::Response>> script_;
  std::vector<Call> calls_;
};

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

// Records each wait and advances the clock by it instead of sleeping.
class RecordingSleeper final : public Sleeper {
public:
  explicit RecordingSleeper(ManualClock& clock) : clock_(clock) {}

  bool sleep_for(std::chrono::nanoseconds duration, const CancellationToken& cancel) override {
    std::lock_guard lock(mutex_);
    waits_.push_back(std::chrono::duration_cast<std::chrono::milliseconds>(duration));
    if (cancel.cancelled()) {
      return false;
    }
    clock_.advance(duration);
    return true;
  }

  std::vector<std::chrono::milliseconds> waits() const {
    std::lock_guard lock(mutex_);
    return waits_;
  }

private:
  ManualClock& clock_;
  mutable std::mutex mutex_;
  std::vector<std::chrono::milliseconds> waits_;
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
