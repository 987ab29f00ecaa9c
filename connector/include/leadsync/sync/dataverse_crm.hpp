#pragma once
// DataverseCrm: the sync engine's Crm (sync/crm.hpp) over the DataverseClient; it also serves the
// mapping's lookups (campaign names).

#include "leadsync/core/result.hpp"
#include "leadsync/dataverse/client.hpp"
#include "leadsync/http/call_scope.hpp"
#include "leadsync/mapping/lookup.hpp"
#include "leadsync/sync/crm.hpp"

#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace leadsync::sync {

// The Crm and the lookups over a DataverseClient (leads table). Every call it makes carries the
// scope of the job that uses it (its cancellation, deadline and CallStats), so the Crm interface
// needs no per-call parameter: a job makes its own DataverseCrm (cheap: it shares the client), or
// sets the scope before the job starts.
class DataverseCrm final : public Crm, public mapping::LookupResolver {
public:
  explicit DataverseCrm(std::shared_ptr<dataverse::DataverseClient> client,
                        http::CallScope scope = {});

  // Not thread-safe against calls in flight: set it between jobs, not during one.
  void set_scope(http::CallScope scope) { scope_ = std::move(scope); }
  const http::CallScope& scope() const { return scope_; }

  Status upsert_multiple(std::vector<Json> targets) override;
  Result<std::vector<WriteResult>> upsert_batch(const std::vector<KeyedWrite>& writes) override;
  Status upsert(const KeyedWrite& write) override;
  Status remove(const std::string& row_url) override;
  Result<std::vector<Json>> rows_by_key(const std::string& key_column,
                                        const std::vector<std::string>& values) override;
  Status qualify(const std::string& crm_id, const dataverse::QualifyOptions& options) override;
  Status disqualify(const std::string& crm_id, int status_code) override;
  Status reactivate(const std::string& crm_id) override;
  Status upsert_predictive_score(const std::string& crm_id,
                                 const dataverse::PredictiveScore& score) override;
  Status merge(const std::string& target_crm_id, const std::string& subordinate_crm_id) override;
  Result<MergeState> merge_state(const std::string& crm_id) override;
  Result<dataverse::ChangeBatch> track_changes(const std::vector<std::string>& select,
                                               const std::string& delta_link) override;

  Result<std::optional<std::string>> resolve(const std::string& entity_set,
                                             const std::string& name_column,
                                             const std::string& name) override;
  Result<std::optional<std::string>> name_of(const std::string& entity_set,
                                             const std::string& name_column,
                                             const std::string& id) override;

private:
  std::shared_ptr<dataverse::DataverseClient> client_;
  http::CallScope scope_;
};

} // namespace leadsync::sync
