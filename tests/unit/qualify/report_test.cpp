#include "leadsync/qualify/report.hpp"

#include <chrono>
#include <gtest/gtest.h>
#include <string>
#include <vector>

namespace leadsync::qualify {
namespace {

using namespace std::chrono_literals;
using model::Channel;
using model::LifecycleStage;
using model::OutcomeKind;
using model::TimePoint;

// 2026-03-01T09:00:00Z: every lead is created then unless a test says otherwise.
const TimePoint created = std::chrono::sys_days{std::chrono::year{2026} / 3 / 1} + 9h;
const model::Date today = std::chrono::year{2026} / 4 / 1;

struct LeadSpec {
  Channel channel = Channel::web;
  LifecycleStage stage = LifecycleStage::new_lead;
  OutcomeKind decided = OutcomeKind::none;
  int status_code = 0;
  bool pushed = false;
  std::string grade{};
  std::optional<TimePoint> decided_at{};
  std::optional<TimePoint> created_at = created;
};

model::Lead lead(const LeadSpec& spec) {
  model::Lead lead;
  lead.origin.channel = spec.channel;
  lead.identity.created_at = spec.created_at;
  lead.qualification.stage = spec.stage;
  lead.qualification.grade = spec.grade;
  lead.qualification.outcome.kind = spec.decided;
  lead.qualification.outcome.status_code = spec.status_code;
  lead.qualification.outcome.pushed = spec.pushed;
  lead.qualification.outcome.decided_at = spec.decided_at;
  lead.qualification.outcome.decided_by = "leadsync:rules";
  return lead;
}

model::Lead with_list(model::Lead lead, const std::string& vendor, const std::string& list_id,
                      std::optional<model::Date> acquired_on) {
  model::ListProvenance list;
  list.vendor = vendor;
  list.list_id = list_id;
  list.acquired_on = acquired_on;
  lead.origin.lists.push_back(list);
  return lead;
}

ReportOptions by(ReportDimension dimension) {
  return {.by = dimension, .since = std::nullopt, .today = today};
}

// The seven live leads (and one tombstone) most tests use.
//   1 web       qualified in the CRM (stage), decided after 2 days    A
//   2 web       sql, qualify pushed, decided after 4 days             A
//   3 web       mql, open                                             B
//   4 trade     disqualified in the CRM (stage), 4 lost               C
//   5 trade     cold, disqualify pushed, 5 cannot contact             D
//   6 list      qualified in the CRM, decided after 10 days           B
//   7 list      cold, disqualify decided but not pushed (open)        D
//   8 web       qualified, deleted: not counted                       A
std::vector<model::Lead> sample() {
  std::vector<model::Lead> leads = {
      lead({.channel = Channel::web,
            .stage = LifecycleStage::qualified,
            .decided = OutcomeKind::qualify,
            .status_code = 3,
            .pushed = true,
            .grade = "A",
            .decided_at = created + 48h,
            .created_at = created}),
      lead({.channel = Channel::web,
            .stage = LifecycleStage::sql,
            .decided = OutcomeKind::qualify,
            .status_code = 3,
            .pushed = true,
            .grade = "A",
            .decided_at = created + 96h,
            .created_at = created}),
      lead({.channel = Channel::web,
            .stage = LifecycleStage::mql,
            .decided = OutcomeKind::none,
            .status_code = 0,
            .pushed = false,
            .grade = "B",
            .decided_at = std::nullopt,
            .created_at = created}),
      lead({.channel = Channel::trade_show,
            .stage = LifecycleStage::disqualified,
            .decided = OutcomeKind::disqualify,
            .status_code = 4,
            .pushed = true,
            .grade = "C",
            .decided_at = created + 24h,
            .created_at = created}),
      lead({.channel = Channel::trade_show,
            .stage = LifecycleStage::cold,
            .decided = OutcomeKind::disqualify,
            .status_code = 5,
            .pushed = true,
            .grade = "D",
            .decided_at = created + 24h,
            .created_at = created}),
      lead({.channel = Channel::purchased_list,
            .stage = LifecycleStage::qualified,
            .decided = OutcomeKind::qualify,
            .status_code = 3,
            .pushed = true,
            .grade = "B",
            .decided_at = created + 240h,
            .created_at = created}),
      lead({.channel = Channel::purchased_list,
            .stage = LifecycleStage::cold,
            .decided = OutcomeKind::disqualify,
            .status_code = 6,
            .pushed = false,
            .grade = "D",
            .decided_at = created + 24h,
            .created_at = created}),
      lead({.channel = Channel::web,
            .stage = LifecycleStage::qualified,
            .decided = OutcomeKind::qualify,
            .status_code = 3,
            .pushed = true,
            .grade = "A",
            .decided_at = created + 24h,
            .created_at = created}),
  };
  leads.back().deleted = true;
  return leads;
}

TEST(ReportLeadFacts, QualifiedByStageOrByPushedOutcome) {
  const auto by_stage = lead_facts(lead({.stage = LifecycleStage::qualified}));
  EXPECT_TRUE(by_stage.qualified);
  EXPECT_TRUE(by_stage.mql);
  EXPECT_TRUE(by_stage.sql);
  EXPECT_FALSE(by_stage.disqualified);

  const auto pushed = lead({.stage = LifecycleStage::mql,
                            .decided = OutcomeKind::qualify,
                            .status_code = 3,
                            .pushed = true});
  EXPECT_TRUE(lead_facts(pushed).qualified);
  EXPECT_TRUE(lead_facts(pushed).sql); // qualified in the CRM is beyond SQL

  const auto waiting = lead({.stage = LifecycleStage::sql,
                             .decided = OutcomeKind::qualify,
                             .status_code = 3,
                             .pushed = false});
  EXPECT_FALSE(lead_facts(waiting).qualified);
  EXPECT_TRUE(lead_facts(waiting).sql);
}

TEST(ReportLeadFacts, StagesCountForMqlAndSql) {
  EXPECT_FALSE(lead_facts(lead({.stage = LifecycleStage::new_lead})).mql);
  EXPECT_FALSE(lead_facts(lead({.stage = LifecycleStage::cold})).mql);
  EXPECT_TRUE(lead_facts(lead({.stage = LifecycleStage::mql})).mql);
  EXPECT_FALSE(lead_facts(lead({.stage = LifecycleStage::mql})).sql);
  EXPECT_TRUE(lead_facts(lead({.stage = LifecycleStage::pql})).mql);
  EXPECT_FALSE(lead_facts(lead({.stage = LifecycleStage::pql})).sql);
  EXPECT_TRUE(lead_facts(lead({.stage = LifecycleStage::service_qualified})).mql);
  EXPECT_TRUE(lead_facts(lead({.stage = LifecycleStage::sql})).sql);
  // A disqualified lead's earlier stage is not kept.
  const auto closed = lead_facts(lead({.stage = LifecycleStage::disqualified,
                                       .decided = OutcomeKind::disqualify,
                                       .status_code = 7}));
  EXPECT_TRUE(closed.disqualified);
  EXPECT_FALSE(closed.mql);
  EXPECT_EQ(closed.status_code, 7);
}

TEST(ReportLeadFacts, DaysToQualifyFromCreationToDecision) {
  auto decided = lead({.stage = LifecycleStage::qualified,
                       .decided = OutcomeKind::qualify,
                       .status_code = 3,
                       .pushed = true,
                       .decided_at = created + 36h});
  ASSERT_TRUE(lead_facts(decided).days_to_qualify);
  EXPECT_DOUBLE_EQ(*lead_facts(decided).days_to_qualify, 1.5);

  // No decided_at: the time push delivered it.
  decided.qualification.outcome.decided_at.reset();
  decided.qualification.outcome.pushed_at = created + 72h;
  EXPECT_DOUBLE_EQ(*lead_facts(decided).days_to_qualify, 3.0);

  // Decided before the lead reached the store (an imported history): not measurable.
  decided.qualification.outcome.pushed_at = created - 24h;
  EXPECT_FALSE(lead_facts(decided).days_to_qualify);

  // Without a creation time: not measurable.
  decided.qualification.outcome.pushed_at = created + 24h;
  decided.identity.created_at.reset();
  EXPECT_FALSE(lead_facts(decided).days_to_qualify);
}

TEST(Report, OverallCountsRatesMedianAndReasons) {
  const auto leads = sample();
  const Report report = build_report(leads, by(ReportDimension::source));
  const auto& all = report.overall;
  EXPECT_EQ(all.group, "all");
  EXPECT_EQ(all.leads, 7); // the tombstone is left out
  EXPECT_EQ(all.mql, 4);   // 1, 2, 3, 6
  EXPECT_EQ(all.sql, 3);   // 1, 2, 6
  EXPECT_EQ(all.decided_qualify, 3);
  EXPECT_EQ(all.decided_disqualify, 3);
  EXPECT_EQ(all.qualified, 3);
  EXPECT_EQ(all.disqualified, 2);
  EXPECT_EQ(all.open, 2);
  EXPECT_DOUBLE_EQ(all.conversion_rate, 3.0 / 7.0);
  ASSERT_TRUE(all.median_days_to_qualify);
  EXPECT_DOUBLE_EQ(*all.median_days_to_qualify, 4.0); // 2, 4, 10
  EXPECT_EQ(all.qualified_with_time, 3);
  EXPECT_EQ(all.disqualify_reasons, (std::array<std::int64_t, 4>{1, 1, 0, 0}));
  EXPECT_EQ(all.disqualify_other, 0);
  EXPECT_EQ(report.won_lost, "not visible");
}

TEST(Report, GroupsBySourceMostLeadsFirst) {
  const auto leads = sample();
  const Report report = build_report(leads, by(ReportDimension::source));
  ASSERT_EQ(report.groups.size(), 3u);
  EXPECT_EQ(report.groups[0].group, "web");
  EXPECT_EQ(report.groups[0].leads, 3);
  EXPECT_EQ(report.groups[0].qualified, 2);
  EXPECT_DOUBLE_EQ(report.groups[0].conversion_rate, 2.0 / 3.0);
  EXPECT_DOUBLE_EQ(*report.groups[0].median_days_to_qualify, 3.0); // (2 + 4) / 2
  // Two leads each: by name.
  EXPECT_EQ(report.groups[1].group, "purchased_list");
  EXPECT_EQ(report.groups[1].qualified, 1);
  EXPECT_EQ(report.groups[1].open, 1);
  EXPECT_DOUBLE_EQ(*report.groups[1].median_days_to_qualify, 10.0);
  EXPECT_EQ(report.groups[2].group, "trade_show");
  EXPECT_EQ(report.groups[2].disqualified, 2);
  EXPECT_DOUBLE_EQ(report.groups[2].conversion_rate, 0.0);
  EXPECT_FALSE(report.groups[2].median_days_to_qualify);
  EXPECT_EQ(report.groups[2].disqualify_reasons, (std::array<std::int64_t, 4>{1, 1, 0, 0}));
}

TEST(Report, GradeBandsShowWhetherTheScorePredictsConversion) {
  const auto leads = sample();
  const Report report = build_report(leads, by(ReportDimension::source));
  ASSERT_EQ(report.grade_bands.size(), 4u); // no ungraded lead
  const std::vector<std::string> names = {"A", "B", "C", "D"};
  const std::vector<std::int64_t> counts = {2, 2, 1, 2};
  const std::vector<double> rates = {1.0, 0.5, 0.0, 0.0};
  for (std::size_t i = 0; i < names.size(); ++i) {
    EXPECT_EQ(report.grade_bands[i].group, names[i]);
    EXPECT_EQ(report.grade_bands[i].leads, counts[i]) << names[i];
    EXPECT_DOUBLE_EQ(report.grade_bands[i].conversion_rate, rates[i]) << names[i];
  }
  EXPECT_EQ(report.score_predicts_conversion, std::optional<bool>(true));
}

TEST(Report, ScoreThatDoesNotPredict) {
  std::vector<model::Lead> leads = {
      lead({.stage = LifecycleStage::cold, .grade = "A"}),
      lead({.stage = LifecycleStage::qualified, .grade = "D"}),
      lead({.stage = LifecycleStage::new_lead, .grade = ""}),
  };
  const Report report = build_report(leads, by(ReportDimension::grade));
  EXPECT_EQ(report.score_predicts_conversion, std::optional<bool>(false));
  ASSERT_EQ(report.grade_bands.size(), 5u);
  EXPECT_EQ(report.grade_bands[1].group, "B");
  EXPECT_EQ(report.grade_bands[1].leads, 0);
  EXPECT_EQ(report.grade_bands[4].group, "ungraded");
  EXPECT_EQ(report.grade_bands[4].leads, 1);
  // --by grade: only the bands with leads, in grade order.
  ASSERT_EQ(report.groups.size(), 3u);
  EXPECT_EQ(report.groups[0].group, "A");
  EXPECT_EQ(report.groups[1].group, "D");
  EXPECT_EQ(report.groups[2].group, "ungraded");

  // One graded band with leads: cannot tell.
  leads.pop_back();
  leads.pop_back();
  EXPECT_FALSE(build_report(leads, by(ReportDimension::grade)).score_predicts_conversion);
}

TEST(Report, SinceFiltersOnCreation) {
  std::vector<model::Lead> leads = {
      lead({.stage = LifecycleStage::qualified, .created_at = created - 24h}),
      lead({.stage = LifecycleStage::cold, .created_at = created}),
      lead({.stage = LifecycleStage::qualified, .created_at = created + 24h}),
      lead({.stage = LifecycleStage::qualified, .created_at = std::nullopt}),
  };
  ReportOptions options = by(ReportDimension::source);
  EXPECT_EQ(build_report(leads, options).overall.leads, 4);
  options.since = created;
  const Report report = build_report(leads, options);
  EXPECT_EQ(report.overall.leads, 2);
  EXPECT_EQ(report.overall.qualified, 1);
  EXPECT_DOUBLE_EQ(report.overall.conversion_rate, 0.5);
  EXPECT_EQ(report.since, std::optional<TimePoint>(created));
}

TEST(Report, MedianOfAnEvenCountAndOtherReasons) {
  std::vector<model::Lead> leads;
  for (const auto hours : {24h, 72h, 120h, 480h}) {
    leads.push_back(lead({.stage = LifecycleStage::qualified,
                          .decided = OutcomeKind::qualify,
                          .status_code = 3,
                          .pushed = true,
                          .decided_at = created + hours}));
  }
  for (const int code : {4, 5, 6, 6, 7, 7, 7, 2}) {
    leads.push_back(lead({.stage = LifecycleStage::disqualified,
                          .decided = OutcomeKind::disqualify,
                          .status_code = code,
                          .pushed = true}));
  }
  // Disqualified in the CRM by a closing we never saw the reason of.
  leads.push_back(lead({.stage = LifecycleStage::disqualified}));
  const Report report = build_report(leads, by(ReportDimension::stage));
  EXPECT_DOUBLE_EQ(*report.overall.median_days_to_qualify, 4.0); // (3 + 5) / 2
  EXPECT_EQ(report.overall.disqualify_reasons, (std::array<std::int64_t, 4>{1, 1, 2, 3}));
  EXPECT_EQ(report.overall.disqualify_other, 2);
  ASSERT_EQ(report.groups.size(), 2u); // lifecycle order
  EXPECT_EQ(report.groups[0].group, "qualified");
  EXPECT_EQ(report.groups[1].group, "disqualified");
  EXPECT_EQ(report.groups[1].leads, 9);
}

TEST(Report, VendorListAndListAge) {
  using std::chrono::year;
  std::vector<model::Lead> leads = {
      // 4 days old at creation (2026-03-01)
      with_list(lead({.stage = LifecycleStage::qualified}), "Acme Data", "q1", year{2026} / 2 / 25),
      // 40 days old
      with_list(lead({.stage = LifecycleStage::cold}), "Acme Data", "q0", year{2026} / 1 / 20),
      // 200 days old; a later list does not change the vendor (the first list brought the lead),
      // but the newest acquisition sets the age: 10 days
      with_list(with_list(lead({.stage = LifecycleStage::qualified}), "ListCo", "old",
                          year{2025} / 8 / 13),
                "Acme Data", "q1", year{2026} / 2 / 19),
      lead({.stage = LifecycleStage::cold}),
  };
  const Report vendors = build_report(leads, by(ReportDimension::vendor));
  ASSERT_EQ(vendors.groups.size(), 3u);
  EXPECT_EQ(vendors.groups[0].group, "Acme Data");
  EXPECT_EQ(vendors.groups[0].leads, 2);
  EXPECT_DOUBLE_EQ(vendors.groups[0].conversion_rate, 0.5);
  EXPECT_EQ(vendors.groups[1].group, "(no list)");
  EXPECT_EQ(vendors.groups[2].group, "ListCo");
  EXPECT_DOUBLE_EQ(vendors.groups[2].conversion_rate, 1.0);
  EXPECT_EQ(vendors.vendors, vendors.groups);

  const Report lists = build_report(leads, by(ReportDimension::list));
  ASSERT_EQ(lists.groups.size(), 4u);
  EXPECT_EQ(lists.groups[0].group, "(no list)");
  EXPECT_EQ(lists.groups[1].group, "Acme Data/q0");
  EXPECT_EQ(lists.groups[2].group, "Acme Data/q1");
  EXPECT_EQ(lists.groups[3].group, "ListCo/old");

  const Report ages = build_report(leads, by(ReportDimension::age));
  ASSERT_EQ(ages.groups.size(), 4u); // only buckets with leads, youngest first
  EXPECT_EQ(ages.groups[0].group, "1-7");
  EXPECT_EQ(ages.groups[1].group, "8-30");
  EXPECT_EQ(ages.groups[2].group, "31-60");
  EXPECT_EQ(ages.groups[3].group, "unknown");
  EXPECT_DOUBLE_EQ(ages.groups[0].conversion_rate, 1.0);
  EXPECT_DOUBLE_EQ(ages.groups[2].conversion_rate, 0.0);
  // The chart rows: all six buckets.
  ASSERT_EQ(ages.list_ages.size(), 6u);
  EXPECT_EQ(ages.list_ages[3].group, "61-90");
  EXPECT_EQ(ages.list_ages[3].leads, 0);
  EXPECT_EQ(ages.list_ages[4].group, "older");
}

TEST(Report, ListAgeWithoutCreationTimeUsesToday) {
  auto no_time = with_list(lead({.created_at = std::nullopt}), "V", "l",
                           model::Date{std::chrono::sys_days{today} - std::chrono::days{3}});
  const std::vector<model::Lead> leads = {no_time};
  EXPECT_EQ(build_report(leads, by(ReportDimension::age)).groups.at(0).group, "1-7");
}

TEST(Report, NoLeads) {
  const Report report = build_report({}, by(ReportDimension::vendor));
  EXPECT_EQ(report.overall.leads, 0);
  EXPECT_DOUBLE_EQ(report.overall.conversion_rate, 0.0);
  EXPECT_FALSE(report.overall.median_days_to_qualify);
  EXPECT_TRUE(report.groups.empty());
  EXPECT_EQ(report.grade_bands.size(), 4u);
  EXPECT_EQ(report.list_ages.size(), 6u);
  EXPECT_FALSE(report.score_predicts_conversion);
}

TEST(Report, DimensionsAndReasonLabels) {
  for (const auto* name : {"source", "vendor", "list", "age", "grade", "stage"}) {
    const auto dimension = parse_report_dimension(name);
    ASSERT_TRUE(dimension) << name;
    EXPECT_EQ(to_string(*dimension), name);
  }
  EXPECT_FALSE(parse_report_dimension("channel"));
  EXPECT_EQ(disqualify_reason_label(4), "lost");
  EXPECT_EQ(disqualify_reason_label(5), "cannot contact");
  EXPECT_EQ(disqualify_reason_label(6), "no longer interested");
  EXPECT_EQ(disqualify_reason_label(7), "canceled");
  EXPECT_EQ(disqualify_reason_label(2), "other");
}

} // namespace
} // namespace leadsync::qualify
