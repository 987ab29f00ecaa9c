#pragma once
// Pull: reads what changed in the CRM through change tracking (issue 5 "Pull").
//
// The first run (or --full) reads every lead and keeps the delta link in the checkpoint
// "pull:leads:delta"; later runs read only the changes since. The checkpoint moves only after every
// row is applied, so a failed pull is simply read again. An expired delta token is logged once and
// answered with a full read.
// Each changed row is matched to our lead by the key column (our id) or else by its leadid and
// merged with mapping::from_dataverse: fields the CRM owns (pull.crm_owned_fields) and pull-only
// columns take the CRM's value, every other field keeps ours (our side masters it; the next push
// writes it back). statecode/statuscode changes become the lead's outcome and stage. These updates
// never enter the outbox. A row created in the CRM by a person (no key value) becomes a new
// internal lead with the CRM's leadid, marked new, and IS queued for push: the push addresses it by
// leadid and writes our id into the key column, so later writes find it by the alternate key too.
// Deleted rows become tombstones.

#include "leadsync/core/cancel.hpp"
#include "leadsync/core/clock.hpp"
#include "leadsync/core/result.hpp"
#include "leadsync/mapping/convert.hpp"
#include "leadsync/mapping/lead_mapping.hpp"
#include "leadsync/store/store.hpp"
#include "leadsync/sync/crm.hpp"

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace leadsync::sync {

inline constexpr const char* leads_delta_checkpoint = "pull:leads:delta";

struct PullSettings {
  bool full = false; // ignore the checkpoint and read every lead
  std::string key_column = "leadsync_externalid";
  mapping::FieldSet crm_owned;
};

struct PullReport {
  std::int64_t read = 0;       // changed rows received
  std::int64_t created = 0;    // leads created in the CRM, new here
  std::int64_t updated = 0;    // our leads that changed
  std::int64_t unchanged = 0;  // rows that changed nothing here (e.g. our own pushes read back)
  std::int64_t tombstoned = 0; // deleted in the CRM
  std::int64_t outcomes = 0;   // qualifications, disqualifications and reactivations seen
  std::int64_t rejected = 0;   // rows that could not be read into a lead (logged)
  bool full_read = false;      // every lead was read (first run, --full, or an expired token)
  bool token_expired = false;

  std::map<std::string, std::int64_t> counts() const;
};

class Puller {
public:
  Puller(store::Store& store, Crm& crm, const mapping::LeadMapping& mapping,
         mapping::LookupResolver& lookups, PullSettings settings);

  // Fails with the CRM's error when the changes could not be read, or the store's.
  //
  // Cancellation: checked before the changes are read and between rows. A cancelled pull fails
  // with ErrorCategory::cancelled (it does not return a partial report) and never moves the
  // checkpoint, so the next pull reads the same changes again; applying a row twice changes
  // nothing. The read itself ends at once only if the Crm's calls carry the same cancellation
  // (DataverseCrm's CallScope).
  Result<PullReport> run(const CancellationToken& cancel = {});

  // Applies rows the caller read itself (the daemon reads the leads a webhook names) exactly as
  // run() applies changed rows; moves no checkpoint. Fails with the store's error.
  Result<PullReport> apply_rows(const std::vector<Json>& rows);

private:
  Status apply_row(const Json& row, PullReport& report);
  Status apply_deletion(const std::string& crm_id, PullReport& report);

  store::Store& store_;
  Crm& crm_;
  const mapping::LeadMapping& mapping_;
  mapping::LookupResolver& lookups_;
  PullSettings settings_;
};

} // namespace leadsync::sync
