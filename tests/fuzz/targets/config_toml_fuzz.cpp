// Fuzz target config_toml: the config loader from text (core/config.hpp load_config_text) and its
// semantic checks (validate), as `leadsync check` runs them on an admin's leadsync.toml.

#include "fuzz_support.hpp"
#include "leadsync/core/config.hpp"

#include <cstddef>
#include <cstdint>
#include <string>

// NOLINTNEXTLINE(readability-identifier-naming): the name libFuzzer calls
extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace leadsync;
  const config::LoadedConfig loaded =
      config::load_config_text(std::string(fuzz::as_text(data, size)), "leadsync.toml");
  for (const auto& problem : config::validate(loaded)) {
    (void)problem.describe();
  }
  return 0;
}
