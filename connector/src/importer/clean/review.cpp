// The review queue's actions: a hand merge and "two people" (review.hpp).

#include "leadsync/importer/review.hpp"

#include "leadsync/importer/dedupe.hpp"

namespace leadsync::importer {
namespace {

Result<model::Lead> live_lead(store::LeadStore& store, const std::string& id) {
  LEADSYNC_TRY(auto lead, store.get_lead(id));
  if (lead.deleted) {
    return fail(ErrorCategory::invalid_argument,
                "lead " + id + " is deleted" +
                    (lead.merged_into.empty() ? std::string()
                                              : " (it was merged into " + lead.merged_into + ")") +
                    "; pick a live lead (`leadsync leads list`)");
  }
  return lead;
}

// A pair a person decided without the import suggesting it.
store::DuplicatePair decided_by_hand(const std::string& lead_a, const std::string& lead_b,
                                     std::string evidence, std::string source,
                                     store::DuplicateStatus status) {
  store::DuplicatePair pair;
  pair.lead_a = lead_a;
  pair.lead_b = lead_b;
  pair.rule = "manual";
  pair.evidence = std::move(evidence);
  pair.source = std::move(source);
  pair.status = status;
  return pair;
}

} // namespace

Result<HandMerge> merge_by_hand(store::LeadStore& store, const std::string& target_id,
                                const std::string& subordinate_id, model::TimePoint now) {
  if (target_id == subordinate_id) {
    return fail(ErrorCategory::invalid_argument,
                "lead " + target_id + " cannot be merged into itself; name two different leads");
  }
  LEADSYNC_TRY(const auto target, live_lead(store, target_id));
  LEADSYNC_TRY(auto subordinate, live_lead(store, subordinate_id));

  auto merged = merge_leads(target, subordinate, {.stored_values_win = true});
  if (exceeds_identifier_cap(merged.lead)) {
    return fail(ErrorCategory::invalid_argument,
                "merging would give lead " + target_id + " " +
                    std::to_string(merged.lead.person.emails.size()) + " e-mails and " +
                    std::to_string(merged.lead.person.phones.size()) + " phones, more than the " +
                    std::to_string(model::max_identifiers_per_lead) +
                    " a lead keeps; these look like several people: mark them with `leadsync "
                    "leads not-duplicate`");
  }
  record_merge(merged.lead, "manual", "lead " + subordinate_id, now);
  merged.lead.is_new = true; // enrichment and scoring look at it again
  subordinate.deleted = true;
  subordinate.merged_into = target_id;

  auto pair = decided_by_hand(target_id, subordinate_id, "merged by hand", "leads merge",
                              store::DuplicateStatus::merged);
  pair.resolved_at = now;

  std::vector<store::LeadWrite> writes;
  writes.push_back({store::WriteKind::update, std::move(merged.lead), {}});
  writes.push_back({store::WriteKind::update,
                    std::move(subordinate),
                    {.enqueue = true, .operation = store::OutboxOperation::merge}});
  LEADSYNC_TRY(auto written, store.write_batch(std::move(writes), std::nullopt, {pair}));
  HandMerge result;
  result.target = std::move(written[0]);
  result.subordinate = std::move(written[1]);
  result.merged_in_crm =
      !result.target.identity.crm_id.empty() && !result.subordinate.identity.crm_id.empty();
  return result;
}

Result<store::DuplicatePair> mark_not_duplicate(store::LeadStore& store, const std::string& lead_a,
                                                const std::string& lead_b) {
  if (lead_a == lead_b) {
    return fail(ErrorCategory::invalid_argument,
                "name two different leads: lead " + lead_a + " is one person by definition");
  }
  LEADSYNC_TRY(const auto first, store.get_lead(lead_a));
  LEADSYNC_TRY(const auto second, store.get_lead(lead_b));
  (void)first;
  (void)second;
  store::DuplicatePair pair;
  auto known = store.get_duplicate_pair(lead_a, lead_b);
  if (known.ok()) {
    pair = std::move(known).value();
  } else if (known.error().category != ErrorCategory::not_found) {
    return fail(known.error());
  } else {
    pair = decided_by_hand(lead_a, lead_b, "declared two people by hand", "leads not-duplicate",
                           store::DuplicateStatus::not_duplicate);
  }
  pair.status = store::DuplicateStatus::not_duplicate;
  pair.resolved_at.reset();
  LEADSYNC_TRY(const auto written, store.write_batch({}, std::nullopt, {pair}));
  (void)written;
  return store.get_duplicate_pair(lead_a, lead_b);
}

} // namespace leadsync::importer
