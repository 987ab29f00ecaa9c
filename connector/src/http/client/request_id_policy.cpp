#include "leadsync/core/uuid.hpp"
#include "leadsync/http/policies.hpp"

namespace leadsync::http {

namespace {
constexpr std::string_view request_id_header = "x-ms-client-request-id";
}

Result<Response> RequestIdPolicy::send(Request& request, CallContext& context,
                                       const NextPolicy& next) {
  if (auto existing = request.headers.get(request_id_header); existing && !existing->empty()) {
    context.client_request_id = *existing;
  } else {
    context.client_request_id = Uuid::generate_v4(random_).to_string();
    request.headers.set(std::string(request_id_header), context.client_request_id);
  }
  return next(request, context);
}

} // namespace leadsync::http
