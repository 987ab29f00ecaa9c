// Fuzz target mapping_toml: the lead mapping loader from text (mapping/lead_mapping.hpp
// check_lead_mapping_text), as `leadsync check` reads an admin's mappings/lead.toml.

#include "fuzz_support.hpp"
#include "leadsync/mapping/lead_mapping.hpp"

#include <cstddef>
#include <cstdint>
#include <string>

// NOLINTNEXTLINE(readability-identifier-naming): the name libFuzzer calls
extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace leadsync;
  (void)mapping::check_lead_mapping_text(std::string(fuzz::as_text(data, size)), "lead.toml",
                                         "leadsync_");
  return 0;
}
