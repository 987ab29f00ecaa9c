#pragma once
// The qualification report (`leadsync report`): joins the decisions (Qualification: stage, grade,
// outcome) with what happened in the CRM (what pull and push recorded) and counts, per group and
// overall, how leads convert. Pure: no I/O, no clock; leads are fed one at a time (ReportBuilder),
// so memory grows with the number of groups and qualified leads, not with the store.
//
// Definitions (one lead counts once per group; tombstones are left out):
//   leads         live leads created at or after `since` (a lead without a creation time is left
//                 out when `since` is given).
//   qualified     qualified in the CRM: stage `qualified` (pull saw statecode 1), or a qualify
//                 outcome that push delivered (Outcome::pushed).
//   disqualified  disqualified in the CRM: stage `disqualified` (pull saw statecode 2), or a
//                 disqualify outcome that push delivered. The stage takes precedence over the
//                 outcome when both are set.
//   open          neither of the two.
//   mql           reached MQL or beyond: stage mql, pql, service_qualified, sql or qualified, or
//                 qualified in the CRM. A disqualified lead's stage before closing is not kept, so
//                 it does not count here.
//   sql           reached SQL or beyond: stage sql or qualified, or qualified in the CRM.
//   decided_qualify / decided_disqualify
//                 the decision on record (leadsync's rules or a person in the CRM), delivered or
//                 not: compare with qualified / disqualified to see what is still waiting.
//   conversion    qualified / leads (0 when there are no leads).
//   median days to qualify
//                 over qualified leads whose qualify outcome has a time (decided_at, else
//                 pushed_at) not before the lead's creation: days from identity.created_at to it;
//                 the mean of the middle two for an even count; none without such leads.
//   disqualification reasons
//                 the disqualified leads by Dynamics status reason: 4 lost, 5 cannot contact,
//                 6 no longer interested, 7 canceled; any other code counts as "other".
//   won / lost    not visible: the model keeps no opportunity state, so the report says so.
//
// Groups (--by): source = Origin.channel; vendor = the vendor of the lead's first list (the one
// that brought it); list = "vendor/list_id" of that list; age = the list age bucket at the lead's
// creation (model::list_age_bucket with the creation date, `today` when unknown); grade = A..D
// (an unscored lead is "ungraded"); stage = the lifecycle stage. A lead without a list is
// "(no list)" for vendor and list.

#include "leadsync/model/lead.hpp"

#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace leadsync::qualify {

enum class ReportDimension { source, vendor, list, age, grade, stage };
std::string_view to_string(ReportDimension dimension);
std::optional<ReportDimension> parse_report_dimension(std::string_view text);

// The Dynamics status reasons of a disqualified lead the report counts, in this order.
inline constexpr std::array<int, 4> disqualify_status_codes = {4, 5, 6, 7};
// "lost", "cannot contact", "no longer interested", "canceled"; "other" for anything else.
std::string_view disqualify_reason_label(int status_code);

inline constexpr std::string_view no_list_group = "(no list)";
inline constexpr std::string_view ungraded_group = "ungraded";
inline constexpr std::string_view won_lost_not_visible = "not visible";

struct ReportRow {
  std::string group;
  std::int64_t leads = 0;
  std::int64_t mql = 0;
  std::int64_t sql = 0;
  std::int64_t decided_qualify = 0;
  std::int64_t decided_disqualify = 0;
  std::int64_t qualified = 0;
  std::int64_t disqualified = 0;
  std::int64_t open = 0;
  double conversion_rate = 0; // qualified / leads, 0..1
  std::optional<double> median_days_to_qualify;
  std::int64_t qualified_with_time = 0; // how many qualified leads the median is over
  // Disqualified leads per status reason, in disqualify_status_codes order.
  std::array<std::int64_t, 4> disqualify_reasons{};
  std::int64_t disqualify_other = 0; // another or no status code

  friend bool operator==(const ReportRow&, const ReportRow&) = default;
};

struct Report {
  ReportDimension by = ReportDimension::source;
  std::optional<model::TimePoint> since;
  ReportRow overall;                  // group "all"
  std::vector<ReportRow> groups;      // by `by`: see group order below
  std::vector<ReportRow> grade_bands; // A, B, C, D (always), then "ungraded" when any
  std::vector<ReportRow> vendors;     // by list vendor (the HTML chart)
  std::vector<ReportRow> list_ages;   // by list age bucket, youngest first, all six buckets
  // Whether conversion falls with the grade: true when at least two of A..D have leads and their
  // conversion never rises from A to D and A's (the best-graded band with leads) is above D's
  // (the worst); false when it does not; none with fewer than two graded bands with leads.
  std::optional<bool> score_predicts_conversion;
  std::string won_lost = std::string(won_lost_not_visible);

  friend bool operator==(const Report&, const Report&) = default;
};
// Group order: grade A..D then ungraded; age youngest first then unknown; stage in lifecycle
// order; source, vendor and list by leads (most first), then name.

struct ReportOptions {
  ReportDimension by = ReportDimension::source;
  std::optional<model::TimePoint> since; // only leads created at or after this
  model::Date today{};                   // list age of a lead with no creation time
};

// What the report makes of one lead (exposed for tests and explanations).
struct LeadFacts {
  bool qualified = false;
  bool disqualified = false;
  bool mql = false;
  bool sql = false;
  int status_code = 0; // of a disqualified lead
  std::optional<double> days_to_qualify;
};
LeadFacts lead_facts(const model::Lead& lead);

class ReportBuilder {
public:
  explicit ReportBuilder(ReportOptions options);
  // Counts the lead unless it is a tombstone or created before `since`. Returns whether it counted.
  bool add(const model::Lead& lead);
  Report finish() const;

private:
  struct Tally {
    ReportRow row;
    std::vector<double> days;
  };
  static void count(Tally& tally, const model::Lead& lead, const LeadFacts& facts);

  ReportOptions options_;
  Tally overall_;
  std::map<std::string, Tally> groups_;
  std::map<std::string, Tally> grades_;
  std::map<std::string, Tally> vendors_;
  std::map<std::string, Tally> ages_;
};

Report build_report(std::span<const model::Lead> leads, const ReportOptions& options);

} // namespace leadsync::qualify
