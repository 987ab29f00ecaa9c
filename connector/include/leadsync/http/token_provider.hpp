#pragma once
// Where bearer tokens come from. The OAuth2 client-credentials provider (Entra) is in
// dataverse/client_credentials.hpp; a static token serves the emulator and tests.

#include "leadsync/core/clock.hpp"
#include "leadsync/core/result.hpp"
#include "leadsync/core/secrets.hpp"

#include <string>

namespace leadsync::http {

struct AccessToken {
  Secret token;
  Clock::WallTime expires_at{};
};

class TokenProvider {
public:
  virtual ~TokenProvider() = default;
  // A valid token, from cache unless force_refresh (after a 401) or it expires soon. Thread-safe.
  virtual Result<AccessToken> get_token(bool force_refresh) = 0;
};

class StaticTokenProvider final : public TokenProvider {
public:
  explicit StaticTokenProvider(Secret token) : token_(std::move(token)) {}
  Result<AccessToken> get_token(bool /*force_refresh*/) override {
    return AccessToken{token_, Clock::WallTime::max()};
  }

private:
  Secret token_;
};

} // namespace leadsync::http
