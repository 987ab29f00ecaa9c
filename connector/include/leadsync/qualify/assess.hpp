#pragma once
// The qualification engine: scores a lead against a RuleSet (qualify/rules.hpp), puts it in a
// lifecycle stage, decides, and says why. Pure: no I/O, no clock (the time is `now`), no global
// state. The same lead, events, rules and `now` always give the same Assessment (operator==), and
// the order the events come in does not matter.
//
// Scoring
//   - Each [[<group>.rule]] whose condition holds adds its points (negative rules subtract).
//   - Engagement also adds every behaviour event of a configured kind: kind points x event weight x
//     0.5^(age / half_life), age = now - occurred_at in days (an event in the future counts as now;
//     one older than max_event_age_days is ignored). The same action scores every time it
//     happens, up to max_per_day events of that kind per UTC day: the earliest of the day count,
//     the rest are listed as capped with 0 points.
//   - Each group's points are clamped to 0..cap and scaled to 0..100; the total is the
//     weight-weighted sum (rules.hpp). Grade: A at or over grades.a, B at or over b, C at or over
//     c, else D.
// Stage (the first that holds): SQL, PQL, MQL, else cold (thresholds in [stages]).
// Decision: the first [[decisions.rule]] whose conditions all hold; none: leave open. Every
//   decision carries the lead quality code from the grade (hot / warm / cold).
// Never override the CRM or a person: when the lead is closed in the CRM (its stage is qualified
//   or disqualified, as pull records statecode 1 / 2) or its outcome was decided by someone other
//   than leadsync (Outcome::decided_by set and not starting with "leadsync"), the decision returned
//   is that existing one, `overridden_by_crm` is true and `would_have` holds what the rules would
//   have decided. Scores, grade and stage are still computed (a closed lead keeps its CRM stage).

#include "leadsync/model/lead.hpp"
#include "leadsync/qualify/rules.hpp"

#include <array>
#include <cstddef>
#include <span>
#include <string>
#include <vector>

namespace leadsync::qualify {

struct GroupResult {
  double points = 0;   // the sum of the points that fired (after decay), before the cap
  double cap = 0;      // from the rule file
  double weight = 0;   // from the rule file
  bool capped = false; // points were clamped (over the cap, or below 0)
  double score = 0;    // clamp(points, 0, cap) / cap * 100, rounded

  friend bool operator==(const GroupResult&, const GroupResult&) = default;
};

struct ScoreSet {
  double fit = 0;
  double engagement = 0;
  double data_quality = 0;
  double bant = 0;
  double total = 0; // 0..100, whole number

  friend bool operator==(const ScoreSet&, const ScoreSet&) = default;
};

// One contribution: a scoring rule that fired, or one event kind's events together.
struct Reason {
  std::string rule; // the rule's name; "engagement.<kind>" for events
  Group group = Group::fit;
  double points = 0;  // after decay, rounded to 0.01
  std::string value;  // what it looked at: the field's value, or "3 events" for events
  std::string detail; // the condition; for events the decay and how many the daily cap left out
  double decay = 1;   // events: decayed points / undecayed points (1 = no decay); rules: 1
  int events = 0;     // events: how many scored; rules: 0

  friend bool operator==(const Reason&, const Reason&) = default;
};

// One behaviour event as it was scored.
struct EventScore {
  std::size_t index = 0; // into the events given to assess()
  model::BehaviourKind kind = model::BehaviourKind::page_visit;
  double age_days = 0;
  double base = 0;  // kind points x event weight
  double decay = 1; // 0.5^(age / half-life)
  double points = 0;
  bool capped = false; // over the kind's max_per_day: 0 points

  friend bool operator==(const EventScore&, const EventScore&) = default;
};

struct Decision {
  DecisionKind kind = DecisionKind::leave_open;
  std::string rule;      // the [[decisions.rule]] that fired; empty: none (left open by default)
  int status_reason = 0; // disqualify: 4 lost, 5 cannot contact, 6 no longer interested, 7 canceled
  bool create_account = false; // qualify: what QualifyLead creates
  bool create_contact = false;
  bool create_opportunity = false;
  std::string currency;   // qualify: ISO 4217
  std::string campaign;   // qualify: the lead's origin.campaign when the rule uses it
  int quality_code = 0;   // leadqualitycode: 1 hot, 2 warm, 3 cold
  std::string reason;     // words for the CRM
  std::string decided_by; // "leadsync:rules", or the CRM user / "crm" of a decision kept

  friend bool operator==(const Decision&, const Decision&) = default;
};

struct Assessment {
  ScoreSet scores;
  std::array<GroupResult, group_count> groups{}; // by Group
  char grade = 'D';
  model::LifecycleStage stage = model::LifecycleStage::cold;
  model::LifecycleStage computed_stage = model::LifecycleStage::cold; // before the CRM's stage
  Decision decision;
  bool overridden_by_crm = false; // the decision is the CRM's or a person's, kept
  Decision would_have;            // overridden_by_crm: what the rules would have decided
  bool reactivate = false;        // see DecisionSettings::reactivate_when_hot
  // Every contribution, largest |points| first (ties in file order).
  std::vector<Reason> reasons;
  std::vector<EventScore> events; // every event looked at, in time order
  std::string reason_text;        // <= 200 characters for the CRM: total, grade, stage, top 3

  friend bool operator==(const Assessment&, const Assessment&) = default;
};

inline constexpr std::size_t max_reason_text = 200;

Assessment assess(const RuleSet& rules, const model::Lead& lead,
                  std::span<const model::BehaviourEvent> events, TimePoint now);
// The same into `out`, reusing its vectors and strings: no allocation once they have grown (what
// a loop over many leads uses).
void assess_into(const RuleSet& rules, const model::Lead& lead,
                 std::span<const model::BehaviourEvent> events, TimePoint now, Assessment& out);

// The scores as the lead model keeps them.
model::Scores model_scores(const Assessment& assessment);
// "hot" | "warm" | "cold" for 1 | 2 | 3.
std::string_view quality_name(int quality_code);

} // namespace leadsync::qualify
