#include "leadsync/http/policies.hpp"

namespace leadsync::http {

UserAgentPolicy::UserAgentPolicy(const std::string& suffix)
    : value_(suffix.empty() ? "leadsync/" LEADSYNC_VERSION
                            : "leadsync/" LEADSYNC_VERSION " (" + suffix + ")") {}

Result<Response> UserAgentPolicy::send(Request& request, CallContext& context,
                                       const NextPolicy& next) {
  request.headers.set("User-Agent", value_);
  return next(request, context);
}

} // namespace leadsync::http
