#include "leadsync/http/policies.hpp"
#include "leadsync/http/url.hpp"

#include <stdexcept>

namespace leadsync::http {

namespace {

constexpr int status_unauthorized = 401;

// Sets Authorization from the provider's answer; the token sent is returned, so that a 401 can
// name it.
Result<Secret> authorize(Request& request, TokenProvider& provider, TokenRequest token_request) {
  token_request.deadline = request.deadline;
  LEADSYNC_TRY(AccessToken token, provider.get_token(token_request));
  request.headers.set("Authorization", "Bearer " + token.token.reveal());
  return std::move(token.token);
}

} // namespace

BearerTokenPolicy::BearerTokenPolicy(std::shared_ptr<TokenProvider> provider)
    : provider_(std::move(provider)) {
  if (!provider_) {
    throw std::invalid_argument("BearerTokenPolicy needs a token provider");
  }
}

Result<Response> BearerTokenPolicy::send(Request& request, CallContext& context,
                                         const NextPolicy& next) {
  LEADSYNC_TRY(const Url url, parse_url(request.url));
  if (url.scheme == "http" && !is_loopback_host(url.host)) {
    return fail(ErrorCategory::config,
                "refusing to send a bearer token over plain http to " + url.host + "; use https");
  }
  TokenRequest first;
  first.cancel = context.cancel;
  LEADSYNC_TRY(Secret sent, authorize(request, *provider_, first));
  auto result = next(request, context);
  if (!result.ok() || result->status != status_unauthorized) {
    return result;
  }
  // The token may have been revoked or rotated before its expiry: one fresh token, one more try.
  // Only the token that was refused is refreshed, so that workers that all got a 401 for the same
  // token cause one token request between them (the first one refreshes, the others get its
  // result).
  TokenRequest refresh;
  refresh.force_refresh_if_still = std::move(sent);
  refresh.cancel = context.cancel;
  LEADSYNC_TRY(const Secret fresh, authorize(request, *provider_, std::move(refresh)));
  (void)fresh;
  return next(request, context);
}

} // namespace leadsync::http
