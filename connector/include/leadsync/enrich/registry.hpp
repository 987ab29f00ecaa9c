#pragma once
// Providers are made by kind from their [[enrich.provider]] table. The built-in kinds ("pdl",
// "clearbit", "http_json", "file_feed") are registered by builtin_registry(); another kind is one
// register_kind() call away.

#include "leadsync/core/clock.hpp"
#include "leadsync/core/config.hpp"
#include "leadsync/core/result.hpp"
#include "leadsync/enrich/provider.hpp"
#include "leadsync/http/transport.hpp"

#include <functional>
#include <map>
#include <memory>
#include <string>

namespace leadsync::store {
class Store;
}

namespace leadsync::enrich {

// What a provider may use besides its own options.
struct ProviderEnvironment {
  std::shared_ptr<http::Transport> transport; // HTTP providers send through it
  const Clock* clock = nullptr;               // fetch times, rate-limit resets
  store::Store* store = nullptr;              // file_feed keeps its index here
  std::filesystem::path base_dir;             // relative paths (spec, folder) resolve against it
};

using ProviderFactory = std::function<Result<std::unique_ptr<Provider>>(
    const config::EnrichProviderOptions& options, const ProviderEnvironment& environment)>;

class Registry {
public:
  // Fails (invalid_argument) when the kind is registered already.
  Status register_kind(const std::string& kind, ProviderFactory factory);
  bool has_kind(const std::string& kind) const;
  // Fails (config) for an unknown kind, naming the known ones; otherwise what the factory says
  // (config errors name the provider and the key, e.g. a missing api key variable).
  Result<std::unique_ptr<Provider>> make(const config::EnrichProviderOptions& options,
                                         const ProviderEnvironment& environment) const;

private:
  std::map<std::string, ProviderFactory> factories_;
};

// A registry with the built-in kinds.
Registry builtin_registry();

} // namespace leadsync::enrich
