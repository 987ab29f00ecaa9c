#pragma once
// An Enricher assembled from the config, the way the CLI and (later) the daemon use it: the HTTP
// transport (the cpprestsdk adapter, with crm.tls's CA file), the providers of
// [[enrich.provider]] made through the built-in registry, and the lead mapping, so that a value
// the CRM cannot carry (an industry its option set does not know) is not written.

#include "leadsync/core/cancel.hpp"
#include "leadsync/core/clock.hpp"
#include "leadsync/core/config.hpp"
#include "leadsync/enrich/enricher.hpp"
#include "leadsync/http/transport.hpp"
#include "leadsync/store/store.hpp"

#include <memory>

namespace leadsync::enrich {

struct SessionOptions {
  std::shared_ptr<http::Transport> transport; // null: the cpprestsdk adapter
  const Clock* clock = nullptr;               // null: the system clock
  Sleeper* sleeper = nullptr;                 // null: real sleeping
};

// Fails (config) when no provider is configured, a provider cannot be made (missing key, bad spec)
// or the mapping cannot be loaded; the message says what to fix.
Result<std::unique_ptr<Enricher>> open_enricher(const config::Config& config, store::Store& store,
                                                const SessionOptions& options = {});

} // namespace leadsync::enrich
