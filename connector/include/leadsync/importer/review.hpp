#pragma once
// The review queue of possible duplicates (dedupe.hpp): what a person does with a pair the import
// would not merge. `leadsync leads duplicates | merge | not-duplicate` call these.

#include "leadsync/core/result.hpp"
#include "leadsync/model/lead.hpp"
#include "leadsync/store/store.hpp"

#include <string>

namespace leadsync::importer {

struct HandMerge {
  model::Lead target;      // as written: it kept its values and gained what it lacked
  model::Lead subordinate; // as written: a tombstone with merged_into = target's id
  // Both are in the CRM: the push asks Dataverse to merge them (its Merge action), so the CRM's
  // subordinate is deactivated and linked to the target, as when a person merges in Dynamics.
  bool merged_in_crm = false;
};

// Merges lead `subordinate_id` into lead `target_id` (whole ids), as Dynamics merges: the target
// keeps every value it has and gains the subordinate's missing values, every e-mail, phone and list
// it has; the subordinate becomes a tombstone pointing at the target. One transaction: both leads,
// their outbox entries (an upsert for the target, a merge for the subordinate) and the pair marked
// merged in the review queue. Fails (invalid_argument) for the same lead twice, a lead already
// deleted or merged, and a merge that would pass the identifier cap; not_found for a missing lead.
Result<HandMerge> merge_by_hand(store::LeadStore& store, const std::string& target_id,
                                const std::string& subordinate_id, model::TimePoint now);

// Records that two leads are two people: the pair is never suggested again. Fails (not_found) when
// either lead is missing.
Result<store::DuplicatePair> mark_not_duplicate(store::LeadStore& store, const std::string& lead_a,
                                                const std::string& lead_b);

} // namespace leadsync::importer
