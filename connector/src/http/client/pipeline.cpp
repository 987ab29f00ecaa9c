#include "leadsync/http/pipeline.hpp"

#include <stdexcept>
#include <utility>

namespace leadsync::http {

Pipeline::Pipeline(std::vector<std::shared_ptr<Policy>> policies,
                   std::shared_ptr<Transport> transport)
    : policies_(std::move(policies)), transport_(std::move(transport)) {
  if (!transport_) {
    throw std::invalid_argument("Pipeline needs a transport");
  }
  for (const auto& policy : policies_) {
    if (!policy) {
      throw std::invalid_argument("Pipeline policies must not be null");
    }
  }
}

Result<Response> Pipeline::send(Request request, CallContext context) const {
  return send_from(0, request, context);
}

Result<Response> Pipeline::send_from(std::size_t index, Request& request,
                                     CallContext& context) const {
  if (index == policies_.size()) {
    // Every policy has set its headers by now: the last check before the wire (issue 18).
    LEADSYNC_CHECK(check_header_fields(request.headers));
    return transport_->send(request, context);
  }
  const NextPolicy next = [this, index](Request& next_request, CallContext& next_context) {
    return send_from(index + 1, next_request, next_context);
  };
  return policies_[index]->send(request, context, next);
}

} // namespace leadsync::http
