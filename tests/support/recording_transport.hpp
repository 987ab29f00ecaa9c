#pragma once
// A Transport double for tests of anything that sends HTTP requests (the client pipeline, the
// Dataverse client, the enrichment providers): it records every request and answers from a script.

#include "leadsync/http/pipeline.hpp"

#include <chrono>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

namespace leadsync::test {

using http::CallContext;
using http::Headers;
using http::Request;
using http::Response;

inline Response make_response(int status, Headers headers = {}, std::string body = {}) {
  Response response;
  response.status = status;
  response.headers = std::move(headers);
  response.body = std::move(body);
  return response;
}

inline Request make_request(std::string method, std::string url) {
  Request request;
  request.method = std::move(method);
  request.url = std::move(url);
  return request;
}

// Records every request with its context and answers with the scripted results, in order. Runs out
// loudly: an unscripted call fails with an internal error naming the call.
class RecordingTransport final : public http::Transport {
public:
  struct Call {
    Request request;
    CallContext context;
  };

  RecordingTransport& then_respond(Response response) {
    std::lock_guard lock(mutex_);
    script_.emplace_back(std::move(response));
    return *this;
  }
  RecordingTransport& then_respond(int status, Headers headers = {}, std::string body = {}) {
    return then_respond(make_response(status, std::move(headers), std::move(body)));
  }
  // The body first, for answers that are mostly a body (the enrichment providers' tests).
  RecordingTransport& then_body(int status, std::string body, Headers headers = {}) {
    return then_respond(make_response(status, std::move(headers), std::move(body)));
  }
  // A JSON body, as the Web API sends it (Content-Type and OData-Version).
  RecordingTransport& then_json(int status, std::string body, Headers headers = {}) {
    headers.set("Content-Type", "application/json; odata.metadata=minimal");
    headers.set("OData-Version", "4.0");
    return then_respond(make_response(status, std::move(headers), std::move(body)));
  }
  RecordingTransport& then_fail(ErrorCategory category, std::string message, bool retryable) {
    std::lock_guard lock(mutex_);
    script_.emplace_back(Error::make(category, std::move(message), retryable));
    return *this;
  }
  // Runs before each answer, on the calling thread (e.g. to move a clock or check a limiter).
  void on_send(std::function<void(const Request&, const CallContext&)> hook) {
    std::lock_guard lock(mutex_);
    hook_ = std::move(hook);
  }

  Result<Response> send(const Request& request, const CallContext& context) override {
    std::function<void(const Request&, const CallContext&)> hook;
    Result<Response> answer = fail(ErrorCategory::internal, "unscripted");
    {
      std::lock_guard lock(mutex_);
      calls_.push_back(Call{request, context});
      hook = hook_;
      if (script_.empty()) {
        answer = fail(ErrorCategory::internal, "RecordingTransport: no scripted answer for call " +
                                                   std::to_string(calls_.size()) + " (" +
                                                   request.method + " " + request.url + ")");
      } else {
        answer = std::move(script_.front());
        script_.pop_front();
      }
    }
    if (hook) {
      hook(request, context);
    }
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
  std::deque<Result<Response>> script_;
  std::vector<Call> calls_;
  std::function<void(const Request&, const CallContext&)> hook_;
};

// The next step a policy under test calls: straight into the transport.
inline http::NextPolicy next_to(http::Transport& transport) {
  return [&transport](Request& request, CallContext& context) {
    return transport.send(request, context);
  };
}

} // namespace leadsync::test
