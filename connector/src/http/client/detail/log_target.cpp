#include "client/detail/log_target.hpp"

#include "leadsync/http/url.hpp"

namespace leadsync::http::detail {

std::string path_for_log(std::string_view url) {
  if (auto parsed = parse_url(url); parsed.ok()) {
    return parsed->path;
  }
  // Not an absolute URL (a bug upstream, reported by the transport): still never log the query.
  return std::string(url.substr(0, url.find_first_of("?#")));
}

} // namespace leadsync::http::detail
