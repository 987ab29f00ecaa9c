#pragma once
// Test doubles for the client pipeline: a Transport that records requests and answers from a
// script, a Sleeper that records waits and moves a ManualClock instead of sleeping, and a
// TokenProvider that hands out scripted tokens.

#include "leadsync/core/clock.hpp"
#include "leadsync/http/pipeline.hpp"
#include "leadsync/http/token_provider.hpp"

#include <chrono>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

namespace leadsync::http::fakes {

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
class RecordingTransport final : public Transport {
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
inline NextPolicy next_to(Transport& transport) {
  return [&transport](Request& request, CallContext& context) {
    return transport.send(request, context);
  };
}

// Records each wait and advances the clock by it instead of sleeping. A hook can act during the
// wait (cancel the call, for instance); a cancelled token ends the wait as a real Sleeper would.
// Thread-safe: requests on several threads may wait at once.
class RecordingSleeper final : public Sleeper {
public:
  explicit RecordingSleeper(ManualClock& clock) : clock_(clock) {}

  void during_wait(std::function<void()> hook) {
    std::lock_guard lock(mutex_);
    hook_ = std::move(hook);
  }

  bool sleep_for(std::chrono::nanoseconds duration, const CancellationToken& cancel) override {
    std::function<void()> hook;
    {
      std::lock_guard lock(mutex_);
      waits_.push_back(std::chrono::duration_cast<std::chrono::milliseconds>(duration));
      hook = hook_;
    }
    if (hook) {
      hook();
    }
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
  std::function<void()> hook_;
  std::vector<std::chrono::milliseconds> waits_;
};

// Hands out scripted results and records each request: whether it asked for a refresh, and the
// token it named as refused (force_refresh_if_still).
class ScriptedTokenProvider final : public TokenProvider {
public:
  ScriptedTokenProvider& then_token(std::string token) {
    std::lock_guard lock(mutex_);
    script_.emplace_back(AccessToken{Secret(std::move(token)), Clock::WallTime::max()});
    return *this;
  }
  ScriptedTokenProvider& then_fail(ErrorCategory category, std::string message) {
    std::lock_guard lock(mutex_);
    script_.emplace_back(Error::make(category, std::move(message)));
    return *this;
  }

  using TokenProvider::get_token;
  Result<AccessToken> get_token(const TokenRequest& request) override {
    std::lock_guard lock(mutex_);
    requests_.push_back(request.force_refresh || request.force_refresh_if_still.has_value());
    refused_.push_back(request.force_refresh_if_still ? request.force_refresh_if_still->reveal()
                                                      : std::string());
    cancel_tokens_.push_back(request.cancel);
    if (script_.empty()) {
      return fail(ErrorCategory::internal, "ScriptedTokenProvider: no scripted token");
    }
    auto result = std::move(script_.front());
    script_.pop_front();
    return result;
  }

  // One entry per get_token call: whether it asked for a refresh.
  std::vector<bool> requests() const {
    std::lock_guard lock(mutex_);
    return requests_;
  }
  // One entry per get_token call: the token named as refused, empty when none.
  std::vector<std::string> refused_tokens() const {
    std::lock_guard lock(mutex_);
    return refused_;
  }
  // One entry per get_token call: the cancellation it carried.
  std::vector<CancellationToken> cancel_tokens() const {
    std::lock_guard lock(mutex_);
    return cancel_tokens_;
  }

private:
  mutable std::mutex mutex_;
  std::deque<Result<AccessToken>> script_;
  std::vector<bool> requests_;
  std::vector<std::string> refused_;
  std::vector<CancellationToken> cancel_tokens_;
};

} // namespace leadsync::http::fakes
