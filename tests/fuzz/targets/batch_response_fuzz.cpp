// Fuzz target batch_response: the $batch multipart response parser (odata/batch.hpp). The first
// line of the input is the response's Content-Type (where the boundary comes from), the rest its
// body; the input size picks the status (200 most often, as Dataverse answers a $batch, or a 400 /
// 500 whose body holds the failing part).

#include "fuzz_support.hpp"
#include "leadsync/odata/batch.hpp"

#include <cstddef>
#include <cstdint>
#include <string>

// NOLINTNEXTLINE(readability-identifier-naming): the name libFuzzer calls
extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace leadsync;
  const auto split = fuzz::split_first_line(fuzz::as_text(data, size));
  http::Response response;
  static constexpr int statuses[] = {200, 200, 400, 500};
  response.status = statuses[size % 4];
  response.headers.add("Content-Type", std::string(split.first_line));
  response.body = std::string(split.rest);
  if (auto results = odata::decode_batch_response(response); results.ok()) {
    for (const auto& result : *results) {
      (void)result.headers.get("OData-EntityId");
    }
  }
  return 0;
}
