#include "leadsync/http/policies.hpp"
#include "leadsync/http/url.hpp"

#include <stdexcept>

namespace leadsync::http {

namespace {

constexpr int status_unauthorized = 401;

Status authorize(Request& request, TokenProvider& provider, bool force_refresh) {
  LEADSYNC_TRY(const AccessToken token, provider.get_token(force_refresh));
  request.headers.set("Authorization", "Bearer " + token.token.reveal());
  return ok_status();
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
  LEADSYNC_CHECK(authorize(request, *provider_, false));
  auto result = next(request, context);
  if (!result.ok() || result->status != status_unauthorized) {
    return result;
  }
  // The token may have been revoked or rotated before its expiry: one fresh token, one more try.
  LEADSYNC_CHECK(authorize(request, *provider_, true));
  return next(request, context);
}

} // namespace leadsync::http
