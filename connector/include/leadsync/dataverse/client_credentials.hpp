#pragma once
// OAuth2 client-credentials tokens from an Entra-style endpoint: POST
// {authority}/{tenant}/oauth2/v2.0/token with client_id, client_secret, scope "<org url>/.default",
// grant_type=client_credentials (dataverse-notes section 10). Caches the token and refreshes it
// ahead of expiry.
//
// One token request at a time: callers that need a refresh while another caller is making one wait
// for its result (interruptibly: a cancelled TokenRequest::cancel ends the wait at once) instead
// of all asking the endpoint. When a refresh ahead of expiry fails, the cached token, still valid,
// is served and the failure logged once (never with the secret); the refresh is tried again
// retry_refresh_after later. After a 401, TokenRequest::force_refresh_if_still refreshes only while
// the refused token is the cached one, so N workers refused the same token cause one request.

#include "leadsync/core/clock.hpp"
#include "leadsync/core/mutex.hpp"
#include "leadsync/core/secrets.hpp"
#include "leadsync/http/token_provider.hpp"
#include "leadsync/http/transport.hpp"

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
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
  // After a failed refresh ahead of expiry: keep serving the cached token this long before asking
  // again (never past its expiry).
  std::chrono::seconds retry_refresh_after{30};
  // Reads the client secret again before each token request, so that a secret rotated on disk is
  // used without a restart (crm.auth.client_secret_file). Unset: client_secret is used as given.
  // When it fails (the file is being replaced, unreadable for a moment), the last secret that was
  // read is used and the failure logged once.
  std::function<Result<Secret>()> reload_secret;
};

class ClientCredentialsProvider final : public http::TokenProvider {
public:
  // transport: a plain transport (the token request does not go through the bearer policy).
  ClientCredentialsProvider(ClientCredentialsOptions options,
                            std::shared_ptr<http::Transport> transport,
                            Clock& clock = SystemClock::instance());
  // Errors: unauthorized with the Entra error and description ("invalid_client: AADSTS7000215 ...")
  // and what to check (client id, secret, tenant); unavailable when the endpoint cannot be reached;
  // cancelled when request.cancel is cancelled first.
  using http::TokenProvider::get_token;
  Result<http::AccessToken> get_token(const http::TokenRequest& request) override;

  std::string token_url() const; // {authority}/{tenant}/oauth2/v2.0/token

private:
  struct Fetched {
    http::AccessToken token;
    Clock::WallTime refresh_at; // when it is due for renewal
  };
  // One request to the endpoint; called without mutex_ held, so that waiters can be cancelled.
  Result<Fetched> fetch_token(const http::TokenRequest& request) const EXCLUDES(mutex_);
  // Serves the cached token after a failed refresh ahead of expiry, logging the failure once.
  http::AccessToken keep_cached_after(const Error& failure) REQUIRES(mutex_);
  // The secret for the next token request: reloaded through options_.reload_secret when set.
  std::string current_secret() const EXCLUDES(secret_mutex_);

  ClientCredentialsOptions options_;
  std::shared_ptr<http::Transport> transport_;
  Clock& clock_;
  Mutex mutex_;
  CondVar refresh_done_;
  bool refreshing_ GUARDED_BY(mutex_) = false; // a caller is asking the endpoint now
  // Refreshes that ended (cancelled ones are not counted).
  std::uint64_t finished_refreshes_ GUARDED_BY(mutex_) = 0;
  // Of the last refresh that ended; empty after a success.
  std::optional<Error> last_failure_ GUARDED_BY(mutex_);
  bool failure_logged_ GUARDED_BY(mutex_) = false; // since the last success
  std::optional<http::AccessToken> cached_ GUARDED_BY(mutex_);
  // When the cached token is due for renewal.
  Clock::WallTime refresh_at_ GUARDED_BY(mutex_){};
  mutable Mutex secret_mutex_;
  mutable Secret secret_ GUARDED_BY(secret_mutex_); // the last secret read
  mutable bool reload_failure_logged_ GUARDED_BY(secret_mutex_) = false;
};

} // namespace leadsync::dataverse
