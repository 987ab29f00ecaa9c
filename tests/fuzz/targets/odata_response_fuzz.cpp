// Fuzz target odata_response: the OData JSON and error-body parsers (odata/response.hpp). The
// input is a Web API response body; byte 0 picks the status. Each parser reads it: entity,
// collection page (rows, $deletedEntity, links, count), the error mapping, and an OData-EntityId
// header made from the first line.

#include "fuzz_support.hpp"
#include "leadsync/odata/response.hpp"

#include <cstddef>
#include <cstdint>
#include <string>

// NOLINTNEXTLINE(readability-identifier-naming): the name libFuzzer calls
extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace leadsync;
  auto text = fuzz::as_text(data, size);
  http::Response response;
  if (!text.empty()) {
    static constexpr int statuses[] = {200, 200, 200, 201, 204, 400, 401, 403,
                                       404, 412, 429, 500, 503, 409, 413, 502};
    response.status = statuses[static_cast<std::uint8_t>(text.front()) % 16];
    text.remove_prefix(1);
  }
  response.headers.add("Content-Type", "application/json; odata.metadata=minimal");
  response.headers.add("OData-EntityId", std::string(fuzz::split_first_line(text).first_line));
  response.body = std::string(text);

  if (auto entity = odata::parse_entity(response); entity.ok()) {
    (void)odata::etag_version(*entity);
  }
  if (auto page = odata::parse_collection(response); page.ok()) {
    for (const auto& row : page->rows) {
      (void)odata::etag_version(row);
    }
  }
  (void)odata::entity_id_from_header(response);
  if (response.status >= 400) {
    (void)odata::error_from_response(response).describe();
  }
  return 0;
}
