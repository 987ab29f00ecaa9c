#pragma once
// A TokenProvider double: hands out scripted tokens and records what each caller asked for.

#include "leadsync/core/clock.hpp"
#include "leadsync/http/token_provider.hpp"

#include <deque>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

namespace leadsync::test {

using http::AccessToken;
using http::TokenProvider;
using http::TokenRequest;

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

} // namespace leadsync::test
