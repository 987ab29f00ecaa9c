#include "leadsync/qualify/run.hpp"

#include "leadsync/model/json.hpp"

#include <fmt/format.h>

namespace leadsync::qualify {
namespace {

constexpr std::size_t page_size = 500;
constexpr std::size_t max_failures_kept = 100;

bool ours(const model::Outcome& outcome) {
  return outcome.decided_by.empty() || outcome.decided_by.rfind("leadsync", 0) == 0;
}

// The outcome the decision asks for; `current` is kept as it is when it already says the same, so
// a decision is dated and sent once.
model::Outcome outcome_for(const Assessment& assessment, const model::Outcome& current,
                           TimePoint now, bool reactivate_when_hot) {
  const Decision& decision = assessment.decision;
  model::Outcome wanted;
  if (assessment.reactivate && reactivate_when_hot) {
    wanted.kind = model::OutcomeKind::reactivate;
  } else if (decision.kind == DecisionKind::qualify) {
    wanted.kind = model::OutcomeKind::qualify;
    wanted.create_account = decision.create_account;
    wanted.create_contact = decision.create_contact;
    wanted.create_opportunity = decision.create_opportunity;
    wanted.status_code = 3; // Qualified
  } else if (decision.kind == DecisionKind::disqualify) {
    wanted.kind = model::OutcomeKind::disqualify;
    wanted.status_code = decision.status_reason;
  } else {
    // Left open: an earlier decision of ours that never reached the CRM is withdrawn; one that
    // did is history and stays.
    return current.kind != model::OutcomeKind::none && ours(current) && !current.pushed
               ? model::Outcome{}
               : current;
  }
  const bool same = current.kind == wanted.kind && current.status_code == wanted.status_code &&
                    current.create_account == wanted.create_account &&
                    current.create_contact == wanted.create_contact &&
                    current.create_opportunity == wanted.create_opportunity;
  if (same) {
    return current;
  }
  wanted.reason = decision.reason;
  wanted.decided_by = decision.decided_by.empty() ? "leadsync:rules" : decision.decided_by;
  wanted.decided_at = now;
  return wanted;
}

std::string reason_detail(const Reason& reason) {
  if (reason.events > 0) {
    return fmt::format("{} event(s), decay x{:.2f}{}", reason.events, reason.decay,
                       reason.detail.empty() ? "" : "; " + reason.detail);
  }
  return reason.value.empty() ? reason.detail : fmt::format("{} ({})", reason.value, reason.detail);
}

} // namespace

bool apply_assessment(const Assessment& assessment, model::Lead& lead, TimePoint now,
                      bool reactivate_when_hot) {
  const model::Qualification before = lead.qualification;
  model::Qualification& q = lead.qualification;
  q.scores = model_scores(assessment);
  q.scores.bant = assessment.scores.bant;
  q.grade = std::string(1, assessment.grade);
  q.quality_code =
      (assessment.overridden_by_crm ? assessment.would_have : assessment.decision).quality_code;
  q.stage = assessment.stage;
  q.reasons.clear();
  q.fired_rules.clear();
  for (const Reason& reason : assessment.reasons) {
    q.reasons.push_back({.rule = reason.rule,
                         .group = std::string(group_name(reason.group)),
                         .points = reason.points,
                         .detail = reason_detail(reason)});
    q.fired_rules.push_back(reason.rule);
  }
  q.reason_text = assessment.reason_text;
  if (assessment.overridden_by_crm) {
    // The CRM's or a person's decision stays; what the rules would have done is kept for review.
    q.fired_rules.push_back(fmt::format(
        "would_have:{}:{}", decision_name(assessment.would_have.kind), assessment.would_have.rule));
  } else {
    if (!assessment.decision.rule.empty()) {
      q.fired_rules.push_back("decision:" + assessment.decision.rule);
    }
    q.outcome = outcome_for(assessment, before.outcome, now, reactivate_when_hot);
  }
  q.scored_at = before.scored_at;
  const bool changed = q != before;
  if (changed) {
    q.scored_at = now;
  }
  return changed;
}

Result<Assessment> explain(const RuleSet& rules, store::Store& store, const std::string& lead_id,
                           TimePoint now) {
  LEADSYNC_TRY(const model::Lead lead, store.get_lead(lead_id));
  LEADSYNC_TRY(const std::vector<model::BehaviourEvent> events, store.list_events(lead_id));
  return assess(rules, lead, events, now);
}

namespace {

// The next page of the listed leads, from position `next` on (advanced past them): live leads
// only, in the order listed; `next` is left empty on the last page.
Result<store::LeadPage> listed_page(store::Store& store, const std::vector<std::string>& ids,
                                    std::size_t& next) {
  store::LeadPage page;
  while (next < ids.size() && page.leads.size() < page_size) {
    auto lead = store.get_lead(ids[next++]);
    if (lead.ok() && !lead->deleted) {
      page.leads.push_back(std::move(lead).value());
    } else if (!lead.ok() && lead.error().category != ErrorCategory::not_found) {
      return lead.error();
    }
  }
  if (next < ids.size()) {
    page.next = ids[next];
  }
  return page;
}

} // namespace

Result<QualifyOutcome> run_qualify(const RuleSet& rules, store::Store& store, const Clock& clock,
                                   const QualifyRequest& request) {
  QualifyOutcome outcome;
  outcome.dry_run = request.dry_run;
  const TimePoint now = clock.now(); // one time for the whole run: the same inputs, the same result
  store::RunRecord record;
  const bool recorded = !request.dry_run && request.record_run;
  if (recorded) {
    LEADSYNC_TRY(record, store.begin_run("qualify"));
    outcome.run_id = record.id;
  }
  const auto fail = [&outcome](const std::string& lead_id, const std::string& message) {
    ++outcome.errors;
    if (outcome.failures.size() < max_failures_kept) {
      outcome.failures.push_back(lead_id + ": " + message);
    }
  };
  Assessment assessment;
  store::PageRequest page{.limit = page_size, .after = {}};
  std::size_t listed = 0; // request.lead_ids: the next one to read
  while (!request.cancel.cancelled()) {
    auto leads = request.lead_ids.empty() ? store.list_leads({}, page)
                                          : listed_page(store, request.lead_ids, listed);
    if (!leads.ok()) {
      fail("-", "could not read leads: " + leads.error().message);
      break;
    }
    std::vector<store::LeadWrite> writes;
    for (model::Lead& lead : leads->leads) {
      auto events = store.list_events(lead.identity.id);
      if (!events.ok()) {
        fail(lead.identity.id, "could not read its events: " + events.error().message);
        continue;
      }
      assess_into(rules, lead, *events, now, assessment);
      ++outcome.leads;
      outcome.kept_crm_decisions += assessment.overridden_by_crm ? 1 : 0;
      ++outcome.grades[std::string(1, assessment.grade)];
      const model::OutcomeKind decided_before = lead.qualification.outcome.kind;
      if (!apply_assessment(assessment, lead, now, request.reactivate_when_hot)) {
        ++outcome.unchanged;
        continue;
      }
      ++outcome.changed;
      ++outcome.stages[std::string(model::to_string(lead.qualification.stage))];
      if (!assessment.overridden_by_crm && lead.qualification.outcome.kind != decided_before) {
        ++outcome.decisions[std::string(decision_name(assessment.decision.kind))];
      }
      writes.push_back({.kind = store::WriteKind::update,
                        .lead = std::move(lead),
                        .options = {.enqueue = true, .operation = store::OutboxOperation::upsert}});
    }
    if (!request.dry_run && !writes.empty() && !store.write_batch(writes, std::nullopt).ok()) {
      // One lead changed underneath (an import, a pull): write the others one by one.
      for (const store::LeadWrite& write : writes) {
        if (auto single = store.update_lead(write.lead, write.options); !single.ok()) {
          fail(write.lead.identity.id,
               single.error().category == ErrorCategory::conflict
                   ? "the lead changed while it was being scored; run qualify again"
                   : single.error().message);
        }
      }
    }
    if (request.on_progress) {
      request.on_progress(outcome.leads);
    }
    if (leads->next.empty()) {
      break;
    }
    page.after = leads->next;
  }
  outcome.interrupted = request.cancel.cancelled();
  outcome.status = outcome.errors > 0 || outcome.interrupted ? "partial" : "ok";
  if (recorded) {
    record.status = outcome.interrupted ? "interrupted" : outcome.status;
    record.finished_at = clock.now();
    record.counts = {{"leads", outcome.leads},
                     {"changed", outcome.changed},
                     {"unchanged", outcome.unchanged},
                     {"kept_crm_decisions", outcome.kept_crm_decisions},
                     {"errors", outcome.errors}};
    for (const auto& [decision, count] : outcome.decisions) {
      record.counts[decision] = count;
    }
    record.message = fmt::format("{} of {} leads changed", outcome.changed, outcome.leads);
    LEADSYNC_CHECK(store.finish_run(record));
  }
  return outcome;
}

} // namespace leadsync::qualify
