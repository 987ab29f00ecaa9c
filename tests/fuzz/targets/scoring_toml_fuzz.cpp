// Fuzz target scoring_toml: the scoring rules loader from text (qualify/rules.hpp
// load_rules_text), as `leadsync qualify` reads an admin's mappings/scoring.toml.

#include "fuzz_support.hpp"
#include "leadsync/qualify/rules.hpp"

#include <cstddef>
#include <cstdint>

// NOLINTNEXTLINE(readability-identifier-naming): the name libFuzzer calls
extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace leadsync;
  const auto loaded = qualify::load_rules_text(fuzz::as_text(data, size), "scoring.toml");
  for (const auto& problem : loaded.problems) {
    (void)problem.describe();
  }
  return 0;
}
