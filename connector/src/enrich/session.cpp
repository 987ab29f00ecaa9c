#include "leadsync/enrich/session.hpp"

#include "leadsync/http/cpprest_transport.hpp"
#include "leadsync/mapping/lead_mapping.hpp"
#include "leadsync/mapping/option_set.hpp"

namespace leadsync::enrich {

Result<std::unique_ptr<Enricher>> open_enricher(const config::Config& config, store::Store& store,
                                                const SessionOptions& options) {
  if (config.enrich.providers.empty()) {
    return Error::make(ErrorCategory::config,
                       "no enrichment provider is configured: add [[enrich.provider]] tables to " +
                           (config.source_file.empty() ? std::string("leadsync.toml")
                                                       : config.source_file.string()) +
                           " (`leadsync init` writes examples)");
  }
  LEADSYNC_TRY(mapping::LeadMapping lead_mapping,
               mapping::load_lead_mapping(config::resolve_path(config, config.mapping.lead),
                                          config.crm.custom_prefix));
  EnrichSettings settings;
  auto shared_mapping = std::make_shared<mapping::LeadMapping>(std::move(lead_mapping));
  // A value for an option-set column must be one of its labels or synonyms, or push would refuse
  // the whole lead.
  settings.accepts = [shared_mapping](std::string_view field, std::string_view value) {
    const mapping::FieldMapping* mapped = shared_mapping->find_field(field);
    if (mapped == nullptr || mapped->option_set.empty()) {
      return true;
    }
    const mapping::OptionSet* options = shared_mapping->find_option_set(mapped->option_set);
    return options == nullptr || options->find(value) != nullptr;
  };
  std::shared_ptr<http::Transport> transport = options.transport;
  if (!transport) {
    http::TransportOptions transport_options;
    if (!config.crm.tls.ca_file.empty()) {
      transport_options.ca_file = config::resolve_path(config, config.crm.tls.ca_file).string();
    }
    transport = http::make_cpprest_transport(transport_options);
  }
  const Clock& clock = options.clock != nullptr ? *options.clock : SystemClock::instance();
  Sleeper& sleeper = options.sleeper != nullptr ? *options.sleeper : RealSleeper::instance();
  const ProviderEnvironment environment{
      .transport = transport, .clock = &clock, .store = &store, .base_dir = config.base_dir};
  return make_enricher(config, std::move(settings), builtin_registry(), environment, store, clock,
                       sleeper);
}

} // namespace leadsync::enrich
