// DataverseClient: change tracking, the delta link reads (section 7).
// Section numbers refer to /work/shared/dataverse-notes.md.

#include "detail/client_support.hpp"
#include "leadsync/core/text.hpp"
#include "leadsync/dataverse/client.hpp"

#include <fmt/format.h>
#include <iterator>
#include <string>
#include <utility>
#include <vector>

namespace leadsync::dataverse {

using namespace detail;

namespace {

// ExpiredVersionStamp (section 7): the delta token is older than the org keeps changes.
constexpr std::string_view expired_version_stamp_code = "0x80044352";
constexpr std::string_view expired_version_stamp_message =
    "Version stamp associated with the client has expired";

} // namespace

Result<ChangeBatch> DataverseClient::track_changes(const std::string& entity_set,
                                                   const std::vector<std::string>& select,
                                                   const std::string& delta_link,
                                                   const Scope& scope) {
  const std::string prefer =
      fmt::format("odata.track-changes,odata.maxpagesize={}", options_.max_page_size);
  std::string url;
  if (delta_link.empty()) {
    // Section 7: $filter, $orderby, $expand and $top are not allowed with change tracking.
    LEADSYNC_CHECK(check_name(entity_set, "entity set name"));
    odata::Query query;
    query.select = select;
    LEADSYNC_TRY(const std::string query_string, query.to_query_string());
    url = service_root() + entity_set + (query_string.empty() ? "" : "?" + query_string);
  } else {
    LEADSYNC_CHECK(check_service_link(delta_link, "@odata.deltaLink"));
    url = delta_link;
  }
  ChangeBatch changes;
  for (bool first_page = true;; first_page = false) {
    if (!first_page && scope.cancel.cancelled()) {
      return cancelled_between_pages(entity_set, changes.changed.size() + changes.deleted.size());
    }
    LEADSYNC_TRY(odata::CollectionPage page, read_page(url, prefer, scope));
    std::move(page.rows.begin(), page.rows.end(), std::back_inserter(changes.changed));
    std::move(page.deleted.begin(), page.deleted.end(), std::back_inserter(changes.deleted));
    if (page.next_link.empty()) {
      changes.delta_link = std::move(page.delta_link);
      break;
    }
    if (page.next_link == url) {
      return protocol_error("the service returned the same @odata.nextLink twice while tracking "
                            "changes; stopping instead of reading the same page forever",
                            0);
    }
    LEADSYNC_CHECK(check_service_link(page.next_link, "@odata.nextLink"));
    url = std::move(page.next_link);
  }
  if (changes.delta_link.empty()) {
    return protocol_error(
        fmt::format("the change-tracking read of {} ended without an @odata.deltaLink; is change "
                    "tracking enabled for the table (\"Track changes\" in its properties)?",
                    entity_set.empty() ? "the delta link" : entity_set),
        0);
  }
  return changes;
}

bool DataverseClient::is_expired_delta_token(const Error& error) {
  return text::iequals(error.service_code, expired_version_stamp_code) ||
         error.message.find(expired_version_stamp_message) != std::string::npos;
}

} // namespace leadsync::dataverse
