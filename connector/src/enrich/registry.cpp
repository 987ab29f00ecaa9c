#include "leadsync/enrich/registry.hpp"

#include "leadsync/enrich/providers/builtin.hpp"

namespace leadsync::enrich {

Status Registry::register_kind(const std::string& kind, ProviderFactory factory) {
  if (!factories_.emplace(kind, std::move(factory)).second) {
    return Error::make(ErrorCategory::invalid_argument,
                       "enrichment provider kind '" + kind + "' is registered already");
  }
  return {};
}

bool Registry::has_kind(const std::string& kind) const {
  return factories_.contains(kind);
}

Result<std::unique_ptr<Provider>> Registry::make(const config::EnrichProviderOptions& options,
                                                 const ProviderEnvironment& environment) const {
  const auto found = factories_.find(options.kind);
  if (found == factories_.end()) {
    std::string known;
    for (const auto& [kind, factory] : factories_) {
      known += (known.empty() ? "" : ", ") + kind;
    }
    return Error::make(ErrorCategory::config, "enrich.provider '" + options.name +
                                                  "': unknown kind '" + options.kind +
                                                  "'; use one of: " + known);
  }
  return found->second(options, environment);
}

Registry builtin_registry() {
  Registry registry;
  (void)registry.register_kind("pdl", providers::make_pdl);
  (void)registry.register_kind("clearbit", providers::make_clearbit);
  (void)registry.register_kind("http_json", providers::make_http_json);
  (void)registry.register_kind("file_feed", providers::make_file_feed);
  return registry;
}

} // namespace leadsync::enrich
