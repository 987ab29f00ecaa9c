#pragma once
// The CRM as the sync engine sees it: the few Dataverse operations push and pull need, behind an
// interface so the engine can be tested with a fake. DataverseCrm (sync/dataverse_crm.hpp)
// implements it with the DataverseClient. Only the interface here: the Dataverse types it takes
// are declared, not defined, so code that uses a Crm does not compile the Dataverse client; code
// that fills them in includes leadsync/dataverse/client.hpp.

#include "leadsync/core/result.hpp"

#include <nlohmann/json_fwd.hpp> // declarations only: the bodies are built where they are used
#include <optional>
#include <string>
#include <vector>

namespace leadsync::dataverse {
struct QualifyOptions;
struct PredictiveScore;
struct ChangeBatch;
} // namespace leadsync::dataverse

namespace leadsync::sync {

using Json = nlohmann::json;

// One keyed PATCH upsert (sync/keyed_write.hpp: it holds its JSON body by value).
struct KeyedWrite;

// The result of one keyed write inside a $batch.
struct WriteResult {
  std::optional<Error> error; // empty: written
  std::string crm_id;         // from OData-EntityId when the service returned it
};

// What the CRM holds about a lead's merge: Dataverse sets merged and masterid on the subordinate of
// a Merge and deactivates it.
struct MergeState {
  bool merged = false;
  std::string master_id; // masterid: the leadid of the lead it was merged into; empty when none
  int state_code = 0;    // 0 open, 1 qualified, 2 disqualified (where a merged lead ends)
};

class Crm {
public:
  virtual ~Crm() = default;
  // UpsertMultiple on leads: all or nothing. Targets name their row by "@odata.id" or "leadid".
  virtual Status upsert_multiple(std::vector<Json> targets) = 0;
  // A $batch of keyed upserts with continue-on-error: one result per write, in order. Writes the
  // service did not reach (it stopped early) get a retryable error.
  virtual Result<std::vector<WriteResult>> upsert_batch(const std::vector<KeyedWrite>& writes) = 0;
  // One PATCH upsert.
  virtual Status upsert(const KeyedWrite& write) = 0;
  // DELETE by row URL; a row that is already gone counts as deleted.
  virtual Status remove(const std::string& row_url) = 0;
  // leadid, versionnumber and the key column of the leads whose key column holds one of the values.
  virtual Result<std::vector<Json>> rows_by_key(const std::string& key_column,
                                                const std::vector<std::string>& values) = 0;
  virtual Status qualify(const std::string& crm_id, const dataverse::QualifyOptions& options) = 0;
  virtual Status disqualify(const std::string& crm_id, int status_code) = 0;
  virtual Status reactivate(const std::string& crm_id) = 0;
  // Creates or updates the lead's msdyn_predictivescore row (keyed by the lead's CRM id).
  virtual Status upsert_predictive_score(const std::string& crm_id,
                                         const dataverse::PredictiveScore& score) = 0;
  // Dataverse's Merge action on two leads by CRM id, as a person merging in Dynamics does: the
  // subordinate is deactivated and linked to the target (masterid); the target keeps its values.
  virtual Status merge(const std::string& target_crm_id, const std::string& subordinate_crm_id) = 0;
  // merged, masterid and statecode of the lead with this CRM id; not_found when the row is gone.
  virtual Result<MergeState> merge_state(const std::string& crm_id) = 0;
  // Change tracking on leads: delta_link empty for a full read.
  virtual Result<dataverse::ChangeBatch> track_changes(const std::vector<std::string>& select,
                                                       const std::string& delta_link) = 0;
};

// "leads(leadsync_externalid='<id>')" for a lead the CRM knows by our id, "leads(<leadid>)" when
// its CRM id is known.
Result<std::string> row_url(const std::string& key_column, const std::string& external_id,
                            const std::string& crm_id);

} // namespace leadsync::sync
