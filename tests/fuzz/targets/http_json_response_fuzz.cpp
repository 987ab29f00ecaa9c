// Fuzz target http_json_response: the http_json provider's response parsing
// (enrich/providers/http_json/) with the shipped spec mappings/social-github.toml (its two social
// requests, the follow-up request of the search, field pointers, strip_at). Every request is
// answered with the response made from the input (fuzz_support.hpp provider_input).

#include "leadsync/enrich/providers/builtin.hpp"
#include "leadsync_test_paths.hpp"
#include "provider_harness.hpp"

#include <cstddef>
#include <cstdint>
#include <string>

// NOLINTNEXTLINE(readability-identifier-naming): the name libFuzzer calls
extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace leadsync;
  static fuzz::ProviderHarness harness;
  static const auto provider = [] {
    auto options = harness.options("http_json");
    options.spec = std::string(LEADSYNC_SOURCE_DIR) + "/mappings/social-github.toml";
    return fuzz::ProviderHarness::made(
        enrich::providers::make_http_json(options, harness.environment()));
  }();
  auto input = fuzz::provider_input(fuzz::as_text(data, size));
  harness.transport->response = std::move(input.response);
  // The spec serves the social group only; with a github login the first request is asked, without
  // one the e-mail search and its follow-up.
  enrich::Query query = fuzz::ProviderHarness::full_query();
  if (input.variant % 2 == 1) {
    query.github_login.clear();
  }
  if (auto answer = provider->lookup(query, enrich::FieldGroup::social, http::CallContext{});
      answer.ok()) {
    (void)answer->fields.size();
  }
  (void)provider->rate_state();
  return 0;
}
