#pragma once
// The qualification rule file (mappings/scoring.toml, design section 8), loaded with toml++ and
// compiled into a RuleSet that assess() (qualify/assess.hpp) runs without any string lookup: field
// names are resolved to FieldIds, texts are case-folded and one_of lists sorted at load time.
//
// The file is refused WHOLE when anything in it is wrong: load_rules_text() collects every problem
// (TOML syntax, unknown sections and keys, wrong types, unknown fields, event kinds, operators and
// enum values, bad ranges, thresholds out of range, duplicate rule names, weights that do not add
// up to 100), each with its key path and line, as the config loader does (config::Problem), and
// then returns no RuleSet at all.
//
// File format, in short (mappings/scoring.toml explains every key):
//   [grades]        a, b, c: the lowest total of grades A, B and C (Dynamics' bands 75 / 50 / 25).
//   [email]         free_mail_domains: hosts that make person.email_type "free".
//   [fit] [engagement] [data_quality] [bant]
//                   cap (the group's points are clamped to 0..cap), weight (its share of the total;
//                   the four weights add up to 100), and [[<group>.rule]] tables:
//                     name, field, exactly one condition, points (negative for a negative rule).
//                   Conditions: equals, one_of, range = { min, max }, contains, ends_with (texts,
//                   case-insensitive), exists = true|false.
//   [engagement]    also half_life_days, max_event_age_days and [engagement.kinds.<kind>] tables
//   with
//                   points, max_per_day and an optional half_life_days of their own.
//   [data_quality]  also key_fields: the fields counted by data_quality.missing_key_fields.
//   [stages]        MQL / PQL / SQL thresholds.
//   [decisions]     hot_grades, warm_grades, currency, and [[decisions.rule]] tables (first match
//                   wins): name, action (qualify | disqualify | leave_open), when = [conditions],
//                   status_reason, reason, create_account/contact/opportunity, currency,
//                   use_campaign, quality_code.
//
// How the scores combine:
//   group score_g = clamp(sum of the group's points, 0, cap_g) / cap_g * 100      (0..100 each)
//   total         = round(sum_g weight_g * score_g / 100)                        (0..100)
// Group scores are rounded to whole numbers too (the CRM columns are integers); the total is
// computed from the unrounded group scores. Grades are read from the whole-number total.

#include "leadsync/core/config.hpp"
#include "leadsync/core/result.hpp"
#include "leadsync/model/lead.hpp"

#include <array>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace leadsync::qualify {

using TimePoint = model::TimePoint;

enum class Group : std::uint8_t { fit, engagement, data_quality, bant };
inline constexpr std::size_t group_count = 4;
std::string_view group_name(Group group); // "fit", "engagement", "data_quality", "bant"

inline constexpr std::size_t behaviour_kind_count = 10; // model::BehaviourKind has 10 values
std::string_view kind_name(model::BehaviourKind kind);  // "page_visit", ... (the model's names)

// Everything a condition can look at. Lead fields use the paths of mappings/lead.toml; the
// derived ones are computed from the lead (and `now`) once per assess() when a rule needs them.
// score.*, grade and stage exist only in [[decisions.rule]] conditions.
enum class FieldId : std::uint8_t {
  // person
  first_name,
  last_name,
  job_title,
  seniority,
  language,
  email,        // the primary e-mail address
  email_domain, // derived: its host, lower-case ("" when no e-mail)
  email_type,   // derived: "corporate" | "free" (host in [email] free_mail_domains) | "none"
  email_valid,  // derived: the lead has at least one valid e-mail address
  phone_valid,  // derived: at least one phone libphonenumber called valid
  contactable,  // derived: valid e-mail not blocked by do_not_email, or valid phone not blocked by
                // do_not_phone
  decision_maker, // qualification.bant.decision_maker (fit's "decision-maker flag" too)
  // company
  company_name,
  company_website,
  company_domain,
  industry,
  employee_count,
  annual_revenue,
  country,
  state_or_province,
  city,
  // origin
  channel, // origin.channel's model name ("purchased_list", "web", ...)
  campaign,
  lead_magnet,
  list_age_bucket, // derived: "1-7" | "8-30" | "31-60" | "61-90" | "older" | "unknown" (from `now`)
  list_count,      // derived: distinct lists (vendor + list id) the lead came on
  list_exclusive,  // derived: the newest list is exclusive (missing when the lead came on none)
  times_sold,      // derived: the largest times_sold a list reports (missing when none says)
  // consent
  do_not_email,
  do_not_phone,
  lawful_basis,
  // kind, enrichment, social
  lead_kind,             // "sales" | "marketing"
  enrichment_confidence, // derived: the mean normalized confidence of enrichment provenance, 0..1
  linkedin_url,
  missing_key_fields, // derived: how many of [data_quality] key_fields are empty
  // BANT
  budget_amount,
  budget_status,
  need,
  purchase_timeframe,
  purchase_process,
  bant_known, // derived: how many of budget, authority, need and timing are known (0..4)
  // decisions only
  score_fit,
  score_engagement,
  score_data_quality,
  score_bant,
  score_total,
  grade, // "A" | "B" | "C" | "D"
  stage, // "cold" | "mql" | "pql" | "sql"
  count_ // not a field
};
inline constexpr std::size_t field_count = static_cast<std::size_t>(FieldId::count_);

enum class FieldType : std::uint8_t { text, number, boolean };

struct FieldInfo {
  FieldId id;
  std::string_view name; // as written in the rule file, e.g. "person.job_title"
  FieldType type;
  // For a text field with a closed set of values (enums), the values; empty when free text.
  std::vector<std::string_view> values;
  bool decisions_only = false; // score.*, grade, stage
};
const std::vector<FieldInfo>& fields(); // every field, in FieldId order

enum class Op : std::uint8_t { equals, one_of, range, contains, ends_with, exists, rule_fired };
std::string_view op_name(Op op);

struct Condition {
  FieldId field = FieldId::job_title;
  Op op = Op::exists;
  // equals / one_of / contains / ends_with on texts: case-folded (ASCII, Latin-1 and Cyrillic
  // letters); one_of lists are sorted for a binary search.
  std::vector<std::string> texts;
  std::vector<double> numbers;                           // equals / one_of on numbers, sorted
  double min = -std::numeric_limits<double>::infinity(); // range: inclusive bounds
  double max = std::numeric_limits<double>::infinity();
  bool flag = true;        // equals on a boolean; exists = true|false
  std::size_t rule = 0;    // rule_fired: index into RuleSet::rules
  std::string description; // "person.job_title contains [\"chief\", \"vp\"]" for explanations
};

// A scoring rule: when its condition holds, its points go to its group.
struct Rule {
  std::string name;
  Group group = Group::fit;
  Condition condition;
  double points = 0;
  int line = 0;
};

struct GroupSettings {
  double cap = 100;   // the group's points are clamped to 0..cap
  double weight = 25; // its share of the total; the four add up to 100
};

// [engagement.kinds.<kind>]: points per event (times the event's weight), decayed.
struct EventKindSettings {
  bool configured = false; // a kind not in the file scores nothing
  double points = 0;
  int max_per_day = 0;        // events of this kind scored per UTC day; 0: no limit
  double half_life_days = -1; // < 0: the [engagement] half-life
};

struct StageSettings {
  // MQL: fit and engagement at or over these (group scores, 0..100).
  double mql_min_fit = 40;
  double mql_min_engagement = 30;
  // PQL: at least pql_min_signals events of pql_signal_kinds within pql_window_days before `now`,
  // and fit at or over pql_min_fit.
  std::vector<model::BehaviourKind> pql_signal_kinds = {model::BehaviourKind::trial_usage};
  int pql_min_signals = 3;
  double pql_window_days = 30;
  double pql_min_fit = 20;
  // SQL: BANT known enough (bant_known, 0..4) and the fit and engagement thresholds met.
  int sql_min_bant_known = 3;
  double sql_min_fit = 50;
  double sql_min_engagement = 30;
};

enum class DecisionKind : std::uint8_t { leave_open, qualify, disqualify };
std::string_view decision_name(DecisionKind kind); // "leave_open", "qualify", "disqualify"

// Dynamics' lead status reasons of a disqualified lead (statecode 2).
inline constexpr int status_lost = 4;
inline constexpr int status_cannot_contact = 5;
inline constexpr int status_no_longer_interested = 6;
inline constexpr int status_canceled = 7;
// leadqualitycode
inline constexpr int quality_hot = 1;
inline constexpr int quality_warm = 2;
inline constexpr int quality_cold = 3;

struct DecisionRule {
  std::string name;
  DecisionKind action = DecisionKind::leave_open;
  std::vector<Condition> when; // all must hold; empty: always
  int status_reason = 0;       // disqualify: 4..7
  bool create_account = true;  // qualify: the records QualifyLead creates
  bool create_contact = true;
  bool create_opportunity = true;
  std::string currency;     // qualify: ISO 4217; empty: [decisions] currency
  bool use_campaign = true; // qualify: pass the lead's origin.campaign as the source campaign
  int quality_code = 0;     // leave_open: 1..3; 0: from the grade
  std::string reason;       // words for the CRM; empty: the rule's name
  int line = 0;
};

struct DecisionSettings {
  std::vector<char> hot_grades = {'A'};  // leadqualitycode 1
  std::vector<char> warm_grades = {'B'}; // 2; every other grade is cold (3)
  std::string currency = "USD";
  // A lead leadsync disqualified that the rules would now qualify or leave open hot is flagged
  // Assessment::reactivate (push decides whether to send it).
  bool reactivate_when_hot = false;
  std::vector<DecisionRule> rules;
};

struct Grades {
  double a = 75; // lowest total of an A
  double b = 50;
  double c = 25; // below this: D
};

struct RuleSet {
  std::array<GroupSettings, group_count> groups{};
  std::vector<Rule> rules; // scoring rules of every group, in file order
  // engagement
  double half_life_days = 30;      // 0: no decay
  double max_event_age_days = 365; // older events are ignored; 0: no limit
  std::array<EventKindSettings, behaviour_kind_count> kinds{};
  // data quality
  std::vector<FieldId> key_fields;
  // e-mail
  std::vector<std::string> free_mail_domains; // lower-case, sorted
  Grades grades;
  StageSettings stages;
  DecisionSettings decisions;
  std::filesystem::path source; // the file it came from
  // Which derived values some rule needs (assess() skips the others).
  std::array<bool, field_count> used{};
};

struct LoadedRules {
  std::optional<RuleSet> rules; // set only when `problems` is empty
  std::vector<config::Problem> problems;
  bool ok() const { return problems.empty() && rules.has_value(); }
};

// Parses and checks the text of a rule file; `name` is used in problems.
LoadedRules load_rules_text(std::string_view text, const std::filesystem::path& name);
// Reads the file; a file that cannot be read is one problem (line 0).
LoadedRules load_rules_file(const std::filesystem::path& file);
// The same as a Result: an Error (category config) whose message lists every problem, one a line.
Result<RuleSet> load_rules(const std::filesystem::path& file);

// Case folding used for text conditions: ASCII, Latin-1 (U+00C0..U+00DE) and Cyrillic
// (U+0400..U+042F) capitals become small letters; the byte length never changes.
void fold_case(std::string_view text, std::string& out);

} // namespace leadsync::qualify
