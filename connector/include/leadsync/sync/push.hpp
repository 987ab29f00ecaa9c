#pragma once
// Push: drains the outbox into the CRM (design section 1, issue 5 "Push").
//
// Workers claim outbox entries under a lease, in order per lead. A lead is always written in its
// CURRENT stored state, so one write covers every change recorded up to that version; its entries
// with lead_version <= the version written are completed without another write (coalescing).
// A lead is addressed by its CRM id once known (the key column is then written in the body, which
// also gives leads created in the CRM our id), else by the alternate key.
// Modes: bulk (UpsertMultiple, all or nothing: a batch refused for a reason that a retry cannot fix
// is split in halves until the refused lead is alone; it goes to the dead letters with the CRM's
// code and message, the rest go through), batch ($batch of keyed upserts with continue-on-error)
// and single (one upsert per lead). Outcomes decided on a lead and not yet pushed (qualify,
// disqualify, reactivate) are sent after the lead itself is written, and so is the lead's
// msdyn_predictivescore row when PushSettings::write_predictive_score asks for it (a refusal of
// that row is a warning, not a failure of the lead; one a retry may fix retries the lead). A
// failure a retry may fix releases the entry with a backoff; one it cannot fix dead-letters it. A
// lead merged by hand (a tombstone with merged_into) is never upserted nor deleted in the CRM: its
// merge entry becomes Dataverse's Merge action (target = the lead it went into, following further
// merges of that lead), sent after the writes of the same claim; its other entries are covered by
// it. A subordinate the CRM never received needs nothing; a target the CRM does not have yet makes
// the merge wait (released, not a failure) until the target's upsert went out.

#include "leadsync/core/cancel.hpp"
#include "leadsync/core/clock.hpp"
#include "leadsync/core/result.hpp"
#include "leadsync/mapping/convert.hpp"
#include "leadsync/mapping/lead_mapping.hpp"
#include "leadsync/store/store.hpp"
#include "leadsync/sync/crm.hpp"
#include "leadsync/sync/push_settings.hpp"

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace leadsync::sync {

// The msdyn_predictivescore values of a scored lead, or nullopt when it has not been scored (no
// scored_at, or a grade other than A..D):
// - score: the total, rounded, within 0..100;
// - grade: A..D -> 0..3, the documented option values (Grade A .. Grade D);
// - trend: 1 Steady; leadsync keeps no previously pushed total to compare with;
// - reasons: the lead's reason_text; scored_on: scored_at (UTC, whole seconds).
std::optional<dataverse::PredictiveScore> predictive_score(const model::Lead& lead);

struct PushReport {
  std::int64_t claimed = 0;   // outbox entries taken
  std::int64_t upserted = 0;  // leads written
  std::int64_t coalesced = 0; // entries covered by a write of a later version
  std::int64_t removed = 0;   // leads deleted in the CRM
  std::int64_t dead_lettered = 0;
  std::int64_t retried_later = 0; // released for a later attempt
  std::int64_t qualified = 0;
  std::int64_t disqualified = 0;
  std::int64_t reactivated = 0;
  std::int64_t merged = 0;         // leads merged in the CRM (Merge action), or found merged there
  std::int64_t merges_waiting = 0; // merges released until their target lead reaches the CRM
  std::int64_t predictive_scores = 0; // msdyn_predictivescore rows written
  std::vector<std::string> warnings;  // truncations and similar, one line each

  std::map<std::string, std::int64_t> counts() const;
};

class Pusher {
public:
  Pusher(store::Store& store, Crm& crm, const mapping::LeadMapping& mapping,
         mapping::LookupResolver& lookups, Clock& clock, PushSettings settings);

  // Pushes until the outbox holds nothing claimable (or the limit is reached, or cancelled).
  // Fails only when the store fails; CRM failures end in the report.
  Result<PushReport> run(const CancellationToken& cancel = {});

  // The requests a push would send for the next `limit` pending entries, as text (method, URL,
  // body), without sending anything or touching the outbox.
  Result<std::vector<std::string>> dry_run(std::size_t limit);

private:
  struct Impl;
  store::Store& store_;
  Crm& crm_;
  const mapping::LeadMapping& mapping_;
  mapping::LookupResolver& lookups_;
  Clock& clock_;
  PushSettings settings_;
};

} // namespace leadsync::sync
