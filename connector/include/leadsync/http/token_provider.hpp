#pragma once
// Where bearer tokens come from. The OAuth2 client-credentials provider (Entra) is in
// dataverse/client_credentials.hpp; a static token serves the emulator and tests.

#include "leadsync/core/cancel.hpp"
#include "leadsync/core/clock.hpp"
#include "leadsync/core/result.hpp"
#include "leadsync/core/secrets.hpp"

#include <chrono>
#include <optional>
#include <string>

namespace leadsync::http {

struct AccessToken {
  Secret token;
  Clock::WallTime expires_at{};
};

// What a caller asks of a TokenProvider: a default TokenRequest asks for a valid token, from cache
// when it has one. After a 401: request.force_refresh_if_still = refused_token; request.cancel =
// context.cancel (g++ 12 warns about designated initializers that leave fields out).
struct TokenRequest {
  // Refresh whatever the cache holds. Kept for get_token(true); after a 401 prefer
  // force_refresh_if_still, which lets N callers that failed with the same token cause one refresh.
  bool force_refresh = false;
  // After a 401: the token that was refused. The provider refreshes only while its cached token is
  // still this one; when another caller has refreshed already, the newer token is returned as is.
  std::optional<Secret> force_refresh_if_still;
  // Ends the token request, and the wait for a refresh another caller is making, at once.
  CancellationToken cancel;
  // When the token request must be over (the call's deadline).
  std::optional<std::chrono::steady_clock::time_point> deadline;
};

class TokenProvider {
public:
  virtual ~TokenProvider() = default;
  // A valid token: from cache unless it is due for refresh or the request forces a refresh.
  // Thread-safe. Fails (cancelled) when request.cancel is cancelled before a token is had.
  virtual Result<AccessToken> get_token(const TokenRequest& request) = 0;
  // Shorthand for get_token({.force_refresh = force_refresh}). Implementations bring it into
  // scope with `using TokenProvider::get_token;`.
  Result<AccessToken> get_token(bool force_refresh) {
    TokenRequest request;
    request.force_refresh = force_refresh;
    return get_token(request);
  }
};

class StaticTokenProvider final : public TokenProvider {
public:
  explicit StaticTokenProvider(Secret token) : token_(std::move(token)) {}
  using TokenProvider::get_token;
  Result<AccessToken> get_token(const TokenRequest& /*request*/) override {
    return AccessToken{token_, Clock::WallTime::max()};
  }

private:
  Secret token_;
};

} // namespace leadsync::http
