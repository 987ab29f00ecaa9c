#pragma once
// What push, pull and sync share: the mapping, the connection to the CRM and the Crm adapter.

#include "context.hpp"
#include "leadsync/dataverse/connect.hpp"
#include "leadsync/mapping/lead_mapping.hpp"
#include "leadsync/mapping/lookup.hpp"
#include "leadsync/sync/crm.hpp"
#include "leadsync/sync/pull.hpp"
#include "leadsync/sync/push.hpp"

#include <memory>
#include <optional>

namespace leadsync::cli {

struct SyncEngine {
  dataverse::Connection connection;
  mapping::LeadMapping mapping;
  mapping::FieldSet crm_owned;
  std::unique_ptr<sync::DataverseCrm> crm;
  std::unique_ptr<mapping::CachingLookupResolver> lookups;
};

// Loads mapping.lead and pull.crm_owned_fields and connects to the CRM (after load_config()).
Result<std::unique_ptr<SyncEngine>> open_sync_engine(const config::Config& config);

struct PushCommandOptions {
  bool dry_run = false;
  std::optional<std::size_t> limit;
};

// Each returns the exit code and prints its summary; the run is recorded in the run history.
int run_push(Context& context, SyncEngine& engine, const PushCommandOptions& options);
int run_pull(Context& context, SyncEngine& engine, bool full);

} // namespace leadsync::cli
