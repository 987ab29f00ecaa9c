#include "sync_engine.hpp"

namespace leadsync::cli {

Result<std::unique_ptr<SyncEngine>> open_sync_engine(const config::Config& config) {
  auto engine = std::make_unique<SyncEngine>();
  LEADSYNC_TRY(engine->mapping,
               mapping::load_lead_mapping(config::resolve_path(config, config.mapping.lead),
                                          config.crm.custom_prefix));
  LEADSYNC_TRY(engine->crm_owned, mapping::parse_field_set(config.pull.crm_owned_fields));
  LEADSYNC_TRY(engine->connection, dataverse::connect(config));
  engine->crm = std::make_unique<sync::DataverseCrm>(engine->connection.client);
  engine->lookups = std::make_unique<mapping::CachingLookupResolver>(*engine->crm);
  return engine;
}

} // namespace leadsync::cli
