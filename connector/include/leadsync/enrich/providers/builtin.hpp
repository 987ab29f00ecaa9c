#pragma once
// The factories of the built-in provider kinds (registry.hpp registers them). Each validates its
// own kind-specific options and reads its API key; errors are config errors naming the provider.

#include "leadsync/enrich/registry.hpp"

namespace leadsync::enrich::providers {

// People Data Labs v5 (pdl/): person enrich, company enrich, person bulk.
Result<std::unique_ptr<Provider>> make_pdl(const config::EnrichProviderOptions& options,
                                           const ProviderEnvironment& environment);
// Clearbit Enrichment v2 (clearbit/): combined, people and companies find.
Result<std::unique_ptr<Provider>> make_clearbit(const config::EnrichProviderOptions& options,
                                                const ProviderEnvironment& environment);
// A REST API described by a TOML spec file (http_json/), e.g. mappings/social-github.toml.
Result<std::unique_ptr<Provider>> make_http_json(const config::EnrichProviderOptions& options,
                                                 const ProviderEnvironment& environment);
// Aggregator feed files dropped into a folder (file_feed/), indexed into the store.
Result<std::unique_ptr<Provider>> make_file_feed(const config::EnrichProviderOptions& options,
                                                 const ProviderEnvironment& environment);

} // namespace leadsync::enrich::providers
