#include "throttling.hpp"

namespace leadsync::jobs::detail {

ThrottleFigures measure_throttling(const dataverse::Connection& connection,
                                   const std::function<void()>& work) {
  if (!connection.retry) { // a connection without a retry policy counts nothing
    work();
    return {};
  }
  const auto before = connection.retry->stats();
  work();
  const auto after = connection.retry->stats();
  return {.throttled = after.throttled - before.throttled, .waited = after.waited - before.waited};
}

} // namespace leadsync::jobs::detail
