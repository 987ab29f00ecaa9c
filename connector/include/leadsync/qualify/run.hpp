#pragma once
// The qualify run: scores every live lead against the rules (assess.hpp), with its behaviour
// events, and stores what changed: scores, grade, rating, stage, the reasons and, when the rules
// decide, the outcome push sends to the CRM (QualifyLead, or state and status reason). A change is
// written with its outbox entry; a lead whose assessment changes nothing is not written at all, so
// running it twice at the same time and with the same events and rules is a no-op.
//
// Never override: a lead the CRM closed, or one a person decided, keeps that decision; the rule
// that would have fired is recorded in fired_rules as "would_have:<kind>:<rule>". A decision of
// ours that reached the CRM already is not sent again.

#include "leadsync/core/cancel.hpp"
#include "leadsync/core/clock.hpp"
#include "leadsync/core/result.hpp"
#include "leadsync/qualify/assess.hpp"
#include "leadsync/qualify/rules.hpp"
#include "leadsync/store/store.hpp"

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

namespace leadsync::qualify {

struct QualifyRequest {
  bool dry_run = false; // assess and count; write nothing
  // qualify.reactivate_when_hot: a lead the rules flag for reactivation (scoring.toml [decisions]
  // reactivate_when_hot) gets a reactivate outcome; false: it stays closed.
  bool reactivate_when_hot = false;
  CancellationToken cancel;
  std::function<void(std::int64_t leads_done)> on_progress;
  // Only these leads (the daemon scores the leads a webhook brought in); empty: every live lead.
  // An id that is unknown or deleted is skipped.
  std::vector<std::string> lead_ids;
  // false: no run history entry (the daemon's webhook job records one run for all its steps).
  bool record_run = true;
};

struct QualifyOutcome {
  bool dry_run = false;
  std::int64_t leads = 0;              // assessed
  std::int64_t changed = 0;            // written (dry run: would be)
  std::int64_t unchanged = 0;          // nothing to write
  std::int64_t kept_crm_decisions = 0; // closed in the CRM or decided by a person: not overridden
  std::map<std::string, std::int64_t> stages;    // new stage -> leads
  std::map<std::string, std::int64_t> grades;    // "A".."D" -> leads
  std::map<std::string, std::int64_t> decisions; // "qualify", "disqualify", "leave_open" (new ones)
  std::int64_t errors = 0;
  std::vector<std::string> failures; // at most 100, "<lead id>: <message>"
  bool interrupted = false;
  std::int64_t run_id = 0;
  std::string status = "ok";
};

// Puts the assessment into the lead as the model keeps it. Returns true when the lead changed in
// anything but its scored_at time; `now` becomes scored_at (and decided_at of a new decision) only
// then.
bool apply_assessment(const Assessment& assessment, model::Lead& lead, TimePoint now,
                      bool reactivate_when_hot = false);

// The assessment of one lead now, with its stored events: what `qualify --explain` shows.
Result<Assessment> explain(const RuleSet& rules, store::Store& store, const std::string& lead_id,
                           TimePoint now);

// Scores every live lead, writes the changes in batches (each one transaction, with outbox
// entries) and records the run ("qualify") in the run history.
Result<QualifyOutcome> run_qualify(const RuleSet& rules, store::Store& store, const Clock& clock,
                                   const QualifyRequest& request);

} // namespace leadsync::qualify
