#include "leadsync/http/request_observer.hpp"

#include <stdexcept>
#include <utility>

namespace leadsync::http {

namespace {

constexpr int status_too_many_requests = 429;
constexpr std::string_view web_api_prefix = "/api/data/v";
constexpr std::string_view action_prefix = "Microsoft.Dynamics.CRM.";

// The path of an absolute URL (or of a request target), without query and fragment.
std::string_view path_of(std::string_view url) {
  if (const auto scheme = url.find("://"); scheme != std::string_view::npos) {
    const auto slash = url.find('/', scheme + 3);
    url = slash == std::string_view::npos ? std::string_view{} : url.substr(slash);
  }
  return url.substr(0, url.find_first_of("?#"));
}

// The path without its parenthesized parts: key predicates ("(leadsync_externalid='a(b)')",
// "(<guid>)") and function parameters. Quoted text inside them may hold parentheses; a quote in
// OData text is written twice, which toggles twice and so changes nothing.
std::string without_parentheses(std::string_view path) {
  std::string kept;
  kept.reserve(path.size());
  int depth = 0;
  bool quoted = false;
  for (const char c : path) {
    if (depth > 0) {
      if (c == '\'') {
        quoted = !quoted;
      } else if (!quoted && c == '(') {
        ++depth;
      } else if (!quoted && c == ')') {
        --depth;
      }
      continue;
    }
    if (c == '(') {
      depth = 1;
      quoted = false;
      continue;
    }
    kept.push_back(c);
  }
  return kept;
}

} // namespace

std::string route_label(std::string_view url) {
  std::string_view path = path_of(url);
  if (const auto api = path.find(web_api_prefix); api != std::string_view::npos) {
    const auto version_end = path.find('/', api + web_api_prefix.size());
    path =
        version_end == std::string_view::npos ? std::string_view{} : path.substr(version_end + 1);
  }
  const std::string bare = without_parentheses(path);
  std::string label;
  std::string_view rest = bare;
  while (!rest.empty()) {
    const auto slash = rest.find('/');
    std::string_view segment = rest.substr(0, slash);
    rest = slash == std::string_view::npos ? std::string_view{} : rest.substr(slash + 1);
    if (segment.starts_with(action_prefix)) {
      segment.remove_prefix(action_prefix.size());
    }
    if (segment.empty()) {
      continue;
    }
    if (!label.empty()) {
      label += '/';
    }
    label += segment;
  }
  return label.empty() ? std::string("/") : label;
}

ObserverPolicy::ObserverPolicy(std::shared_ptr<RequestObserver> observer, Clock& clock)
    : observer_(std::move(observer)), clock_(clock) {
  if (!observer_) {
    throw std::invalid_argument("ObserverPolicy needs an observer");
  }
}

Result<Response> ObserverPolicy::send(Request& request, CallContext& context,
                                      const NextPolicy& next) {
  const auto started = clock_.steady_now();
  auto result = next(request, context);
  RequestObservation observation;
  observation.method = request.method;
  observation.route = context.route.empty() ? route_label(request.url) : context.route;
  if (result.ok()) {
    observation.status = result->status;
  } else {
    // The retry policy fails a call whose Retry-After is too long with the 429 it got: a response
    // was had, so its status counts; a transport failure has none.
    observation.status = result.error().http_status;
    observation.failure = result.error().category;
    observation.error = result.error();
  }
  observation.attempts = context.attempt;
  observation.duration = clock_.steady_now() - started;
  observation.throttled = context.throttled > 0 || observation.status == status_too_many_requests;
  observer_->observe(observation);
  return result;
}

} // namespace leadsync::http
