#pragma once
// OAuth2 client-credentials tokens from an Entra-style endpoint: POST
// {authority}/{tenant}/oauth2/v2.0/token with client_id, client_secret, scope "<org url>/.default",
// grant_type=client_credentials (dataverse-notes section 10). Caches the token and refreshes it
// ahead of expiry.

#include "leadsync/core/clock.hpp"
#include "leadsync/core/secrets.hpp"
#include "leadsync/http/token_provider.hpp"
#include "leadsync/http/transport.hpp"

#include <chrono>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

namespace leadsync::dataverse {

struct ClientCredentialsOptions {
  std::string authority = "https://login.microsoftonline.com";
  std::string tenant;
  std::string client_id;
  Secret client_secret;
  std::string scope;                       // "<org url>/.default"
  std::chrono::seconds refresh_ahead{300}; // refresh when less than this remains
};

class ClientCredentialsProvider final : public http::TokenProvider {
public:
  // transport: a plain transport (the token request does not go through the bearer policy).
  ClientCredentialsProvider(ClientCredentialsOptions options,
                            std::shared_ptr<http::Transport> transport,
                            Clock& clock = SystemClock::instance());
  // Errors: unauthorized with the Entra error and description ("invalid_client: AADSTS7000215 ...")
  // and what to check (client id, secret, tenant); unavailable when the endpoint cannot be reached.
  Result<http::AccessToken> get_token(bool force_refresh) override;

  std::string token_url() const; // {authority}/{tenant}/oauth2/v2.0/token

private:
  Result<http::AccessToken> fetch_token(); // with mutex_ held
  ClientCredentialsOptions options_;
  std::shared_ptr<http::Transport> transport_;
  Clock& clock_;
  std::mutex mutex_;
  std::optional<http::AccessToken> cached_;
  Clock::WallTime refresh_at_{}; // when the cached token is due for renewal
};

} // namespace leadsync::dataverse
