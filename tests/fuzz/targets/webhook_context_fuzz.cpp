// Fuzz target webhook_context: the webhook RemoteExecutionContext parser
// (dataverse/webhook_payload.hpp). The input is the POST body Dataverse sends; its size picks
// whether x-ms-dynamics-msg-size-exceeded was sent. The limits are the defaults the daemon uses.

#include "fuzz_support.hpp"
#include "leadsync/dataverse/webhook_payload.hpp"

#include <cstddef>
#include <cstdint>

// NOLINTNEXTLINE(readability-identifier-naming): the name libFuzzer calls
extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace leadsync;
  dataverse::WebhookHeaders headers;
  headers.organization = "org";
  headers.entity_name = "lead";
  headers.request_name = "Create";
  headers.correlation_id = "7a0c2e4e-1111-4b5e-9a3d-0123456789ab";
  headers.size_exceeded = size % 2 == 1;
  if (auto notification = dataverse::parse_webhook_notification(fuzz::as_text(data, size), headers);
      notification.ok()) {
    (void)notification->dedupe_key();
  }
  return 0;
}
