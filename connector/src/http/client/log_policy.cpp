#include "client/detail/log_target.hpp"
#include "leadsync/core/log.hpp"
#include "leadsync/http/policies.hpp"

#include <chrono>

namespace leadsync::http {

namespace {

constexpr int first_client_error = 400;
constexpr int status_too_many_requests = 429;
constexpr int first_server_error = 500;

spdlog::level::level_enum level_for(int status) {
  if (status < first_client_error) {
    return spdlog::level::debug;
  }
  if (status == status_too_many_requests || status >= first_server_error) {
    return spdlog::level::warn;
  }
  return spdlog::level::info;
}

} // namespace

Result<Response> LogPolicy::send(Request& request, CallContext& context, const NextPolicy& next) {
  const auto started = clock_.steady_now();
  auto result = next(request, context);
  const auto elapsed =
      std::chrono::duration_cast<std::chrono::milliseconds>(clock_.steady_now() - started).count();
  const auto path = detail::path_for_log(request.url);
  if (result.ok()) {
    log::get()->log(level_for(result->status), "{} {} {} {}ms attempt {} rid={}", request.method,
                    path, result->status, elapsed, context.attempt, context.client_request_id);
  } else {
    log::get()->warn("{} {} failed ({}) {}ms attempt {} rid={}", request.method, path,
                     result.error().describe(), elapsed, context.attempt,
                     context.client_request_id);
  }
  return result;
}

} // namespace leadsync::http
