// Fuzz target pdl_response: the pdl provider's response parsing (enrich/providers/pdl/). The
// provider is made through its real factory; every request it sends is answered with the response
// made from the input (fuzz_support.hpp provider_input: status byte, variant byte, body).

#include "leadsync/enrich/providers/builtin.hpp"
#include "provider_harness.hpp"

#include <cstddef>
#include <cstdint>

// NOLINTNEXTLINE(readability-identifier-naming): the name libFuzzer calls
extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace leadsync;
  static fuzz::ProviderHarness harness;
  static const auto provider = fuzz::ProviderHarness::made(
      enrich::providers::make_pdl(harness.options("pdl"), harness.environment()));
  auto input = fuzz::provider_input(fuzz::as_text(data, size));
  harness.transport->response = std::move(input.response);
  fuzz::ProviderHarness::ask(*provider, input.variant);
  return 0;
}
