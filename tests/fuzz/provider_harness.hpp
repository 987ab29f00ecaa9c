#pragma once
// The enrichment-provider fuzz targets share this: one provider made once through its real factory
// (builtin.hpp), whose transport answers every request with the response made from the fuzz input
// (fuzz_support.hpp provider_input), and a query for each group.

#include "fuzz_support.hpp"
#include "leadsync/core/clock.hpp"
#include "leadsync/core/config.hpp"
#include "leadsync/enrich/provider.hpp"
#include "leadsync/enrich/registry.hpp"

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <sys/stat.h>
#include <utility>
#include <vector>

namespace leadsync::fuzz {

class ProviderHarness {
public:
  ProviderHarness() {
    write_file(scratch_dir() / "api.key", "fuzz-key-0123456789\n");
    ::chmod((scratch_dir() / "api.key").c_str(), 0600);
  }

  config::EnrichProviderOptions options(const std::string& kind) const {
    config::EnrichProviderOptions options;
    options.name = kind;
    options.kind = kind;
    options.url = "http://127.0.0.1:8766";
    options.api_key.file = (scratch_dir() / "api.key").string();
    options.timeout_s = 5;
    return options;
  }

  enrich::ProviderEnvironment environment() const {
    return enrich::ProviderEnvironment{
        .transport = transport, .clock = &clock, .store = nullptr, .base_dir = scratch_dir()};
  }

  // The provider a factory makes, or abort: a target without its provider fuzzes nothing.
  static std::unique_ptr<enrich::Provider>
  made(Result<std::unique_ptr<enrich::Provider>> provider) {
    if (!provider.ok()) {
      std::abort();
    }
    return std::move(provider).value();
  }

  static enrich::Query full_query() {
    enrich::Query query;
    query.lead_id = "lead-1";
    query.email = "anna@acme.example";
    query.phone = "+4915112345678";
    query.first_name = "anna";
    query.last_name = "ivanova";
    query.company_name = "acme";
    query.domain = "acme.example";
    query.linkedin_url = "linkedin.com/in/anna-ivanova";
    query.x_handle = "anna_iv";
    query.github_login = "annai";
    return query;
  }

  // Asks `provider` once, for the group `variant` picks; every 4th variant asks lookup_many with
  // three queries (PDL's bulk endpoint). The answers are read so that nothing is optimized away.
  static void ask(enrich::Provider& provider, std::uint8_t variant) {
    static constexpr enrich::FieldGroup groups[] = {
        enrich::FieldGroup::person, enrich::FieldGroup::company, enrich::FieldGroup::social};
    const enrich::FieldGroup group = groups[variant % 3];
    const http::CallContext context;
    if (variant % 4 == 3) {
      const std::vector<enrich::Query> queries(3, full_query());
      for (const auto& answer : provider.lookup_many(queries, group, context)) {
        if (answer.ok()) {
          (void)answer->fields.size();
        }
      }
    } else if (auto answer = provider.lookup(full_query(), group, context); answer.ok()) {
      (void)answer->fields.size();
    }
    (void)provider.rate_state();
  }

  std::shared_ptr<ScriptTransport> transport = std::make_shared<ScriptTransport>();
  ManualClock clock;
};

} // namespace leadsync::fuzz
