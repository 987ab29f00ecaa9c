#include "leadsync/qualify/assess.hpp"
#include "leadsync_test_paths.hpp"

#include <algorithm>
#include <chrono>
#include <gtest/gtest.h>
#include <string>
#include <vector>

namespace leadsync::qualify {
namespace {

using namespace std::chrono_literals;
using model::BehaviourKind;
using model::LifecycleStage;

// 2026-03-10T12:00:00Z
const TimePoint now = std::chrono::sys_days{std::chrono::year{2026} / 3 / 10} + 12h;

// Only fit counts in the total (weight 100), so a fit score is the total.
std::string fit_only(const std::string& more) {
  return "[fit]\ncap = 100\nweight = 100\n"
         "[engagement]\ncap = 100\nweight = 0\nhalf_life_days = 10\nmax_event_age_days = 0\n"
         "[data_quality]\ncap = 100\nweight = 0\n"
         "[bant]\ncap = 100\nweight = 0\n" +
         more;
}

RuleSet rules_of(const std::string& text) {
  auto loaded = load_rules_text(text, "test.toml");
  std::string problems;
  for (const auto& problem : loaded.problems) {
    problems += problem.describe() + "\n";
  }
  EXPECT_TRUE(loaded.ok()) << problems;
  return loaded.rules.value_or(RuleSet{});
}

std::string rule(const std::string& name, const std::string& field, const std::string& condition,
                 int points) {
  return "[[fit.rule]]\nname = \"" + name + "\"\nfield = \"" + field + "\"\n" + condition +
         "\npoints = " + std::to_string(points) + "\n";
}

model::Lead lead() {
  model::Lead lead;
  lead.person.first_name = "Anna";
  lead.person.last_name = "Ivanova";
  lead.person.job_title = "Chief Technology Officer";
  lead.person.emails = {"anna@acme.example"};
  lead.company.name = "Acme";
  lead.company.industry = "Software";
  lead.company.employee_count = 250;
  return lead;
}

model::BehaviourEvent event(BehaviourKind kind, TimePoint at, double weight = 1.0) {
  model::BehaviourEvent e;
  e.kind = kind;
  e.occurred_at = at;
  e.weight = weight;
  return e;
}

double fit_of(const std::string& condition_rule, const model::Lead& lead) {
  return assess(rules_of(fit_only(condition_rule)), lead, {}, now).scores.fit;
}

const Reason* find_reason(const Assessment& a, const std::string& name) {
  const auto found = std::find_if(a.reasons.begin(), a.reasons.end(),
                                  [&](const Reason& r) { return r.rule == name; });
  return found == a.reasons.end() ? nullptr : &*found;
}

TEST(QualifyAssess, EqualsComparesTextsIgnoringCase) {
  EXPECT_EQ(fit_of(rule("r", "company.industry", "equals = \"SOFTWARE\"", 30), lead()), 30);
  EXPECT_EQ(fit_of(rule("r", "company.industry", "equals = \"Banking\"", 30), lead()), 0);
}

TEST(QualifyAssess, OneOfMatchesAnyListedValue) {
  EXPECT_EQ(
      fit_of(rule("r", "company.industry", "one_of = [\"Banking\", \"software\"]", 20), lead()),
      20);
  EXPECT_EQ(fit_of(rule("r", "company.employee_count", "one_of = [100, 250]", 20), lead()), 20);
  EXPECT_EQ(fit_of(rule("r", "company.employee_count", "one_of = [100, 251]", 20), lead()), 0);
}

TEST(QualifyAssess, RangeIncludesBothBounds) {
  auto l = lead();
  const auto r = rule("r", "company.employee_count", "range = { min = 50, max = 250 }", 15);
  EXPECT_EQ(fit_of(r, l), 15);
  l.company.employee_count = 50;
  EXPECT_EQ(fit_of(r, l), 15);
  l.company.employee_count = 251;
  EXPECT_EQ(fit_of(r, l), 0);
  l.company.employee_count.reset(); // an empty field never matches a range
  EXPECT_EQ(fit_of(r, l), 0);
}

TEST(QualifyAssess, ContainsIgnoresCaseIncludingCyrillic) {
  auto l = lead();
  const auto r = rule("r", "person.job_title", "contains = [\"chief\", \"директор\"]", 25);
  EXPECT_EQ(fit_of(r, l), 25);
  l.person.job_title = "Генеральный ДИРЕКТОР";
  EXPECT_EQ(fit_of(r, l), 25);
  l.person.job_title = "Engineer";
  EXPECT_EQ(fit_of(r, l), 0);
}

TEST(QualifyAssess, EndsWithLooksAtTheEndOnly) {
  auto l = lead();
  const auto r = rule("r", "person.email_domain", "ends_with = \".edu\"", 10);
  l.person.emails = {"bob@mit.EDU"};
  EXPECT_EQ(fit_of(r, l), 10);
  l.person.emails = {"bob@education.example"};
  EXPECT_EQ(fit_of(r, l), 0);
}

TEST(QualifyAssess, ExistsTellsSetFromEmptyFields) {
  auto l = lead();
  EXPECT_EQ(fit_of(rule("r", "company.name", "exists = true", 5), l), 5);
  EXPECT_EQ(fit_of(rule("r", "company.name", "exists = false", 5), l), 0);
  l.company.name.clear();
  EXPECT_EQ(fit_of(rule("r", "company.name", "exists = false", 5), l), 5);
}

TEST(QualifyAssess, EmailTypeUsesTheFreeMailListOfTheFile) {
  const std::string text = "[email]\nfree_mail_domains = [\"Gmail.com\"]\n" +
                           rule("corp", "person.email_type", "equals = \"corporate\"", 10) +
                           rule("free", "person.email_type", "equals = \"free\"", -5) +
                           rule("base", "company.name", "exists = true", 20);
  const auto rules = rules_of(fit_only(text));
  auto l = lead();
  EXPECT_EQ(assess(rules, l, {}, now).scores.fit, 30);
  l.person.emails = {"anna@gmail.com"};
  EXPECT_EQ(assess(rules, l, {}, now).scores.fit, 15);
}

TEST(QualifyAssess, NegativeRulesSubtractAndTheGroupNeverGoesBelowZero) {
  const std::string text = rule("base", "company.name", "exists = true", 30) +
                           rule("student", "person.job_title", "contains = \"student\"", -40);
  const auto rules = rules_of(fit_only(text));
  auto l = lead();
  EXPECT_EQ(assess(rules, l, {}, now).scores.fit, 30);
  l.person.job_title = "Student";
  const auto a = assess(rules, l, {}, now);
  EXPECT_EQ(a.scores.fit, 0);
  EXPECT_EQ(a.groups[0].points, -10);
  EXPECT_TRUE(a.groups[0].capped);
  const Reason* student = find_reason(a, "student");
  ASSERT_NE(student, nullptr);
  EXPECT_EQ(student->points, -40);
  EXPECT_EQ(student->value, "Student");
  EXPECT_EQ(student->detail, "person.job_title contains \"student\"");
}

TEST(QualifyAssess, AGroupIsClampedToItsCapAndScaledTo100) {
  std::string text = "[fit]\ncap = 40\nweight = 100\n"
                     "[engagement]\ncap = 100\nweight = 0\n[data_quality]\ncap = 100\nweight = 0\n"
                     "[bant]\ncap = 100\nweight = 0\n" +
                     rule("a", "company.name", "exists = true", 30) +
                     rule("b", "company.industry", "exists = true", 30);
  const auto a = assess(rules_of(text), lead(), {}, now);
  EXPECT_EQ(a.groups[0].points, 60);
  EXPECT_EQ(a.groups[0].cap, 40);
  EXPECT_TRUE(a.groups[0].capped);
  EXPECT_EQ(a.scores.fit, 100);
  EXPECT_EQ(a.scores.total, 100);
}

TEST(QualifyAssess, TheTotalIsTheWeightedSumOfTheGroupScores) {
  const std::string text = "[fit]\ncap = 50\nweight = 40\n"
                           "[engagement]\ncap = 100\nweight = 30\n"
                           "[data_quality]\ncap = 100\nweight = 20\n"
                           "[bant]\ncap = 100\nweight = 10\n" +
                           rule("fit", "company.name", "exists = true", 25) + // fit 50
                           "[[data_quality.rule]]\nname = \"dq\"\nfield = \"person.email_valid\"\n"
                           "equals = true\npoints = 80\n"; // data quality 80
  const auto a = assess(rules_of(text), lead(), {}, now);
  EXPECT_EQ(a.scores.fit, 50);
  EXPECT_EQ(a.scores.data_quality, 80);
  EXPECT_EQ(a.scores.engagement, 0);
  EXPECT_EQ(a.scores.total, 36); // 0.4 * 50 + 0.2 * 80
}

TEST(QualifyAssess, EventPointsHalveEveryHalfLife) {
  const std::string text = "[engagement.kinds.pricing_page_visit]\npoints = 8\n";
  const std::string all = "[fit]\ncap = 100\nweight = 0\n"
                          "[engagement]\ncap = 100\nweight = 100\nhalf_life_days = 10\n"
                          "[data_quality]\ncap = 100\nweight = 0\n[bant]\ncap = 100\nweight = 0\n" +
                          text;
  const auto rules = rules_of(all);
  const std::vector<model::BehaviourEvent> fresh = {event(BehaviourKind::pricing_page_visit, now)};
  EXPECT_EQ(assess(rules, lead(), fresh, now).groups[1].points, 8);
  const std::vector<model::BehaviourEvent> ten = {
      event(BehaviourKind::pricing_page_visit, now - 24h * 10)};
  const auto a = assess(rules, lead(), ten, now);
  EXPECT_EQ(a.groups[1].points, 4);
  ASSERT_EQ(a.events.size(), 1U);
  EXPECT_DOUBLE_EQ(a.events[0].decay, 0.5);
  EXPECT_DOUBLE_EQ(a.events[0].age_days, 10);
  const Reason* reason = find_reason(a, "engagement.pricing_page_visit");
  ASSERT_NE(reason, nullptr);
  EXPECT_EQ(reason->decay, 0.5);
  EXPECT_EQ(reason->value, "1 event");
  EXPECT_EQ(reason->detail, "8 points each, half-life 10 days: 50% left");
  const std::vector<model::BehaviourEvent> twenty = {
      event(BehaviourKind::pricing_page_visit, now - 24h * 20, 2.0)}; // weight 2
  EXPECT_EQ(assess(rules, lead(), twenty, now).groups[1].points, 4);  // 8 * 2 * 0.25
}

TEST(QualifyAssess, AKindHalfLifeOverridesTheGroupsAndFutureEventsDoNotGrow) {
  const std::string all = "[fit]\ncap = 100\nweight = 0\n"
                          "[engagement]\ncap = 100\nweight = 100\nhalf_life_days = 10\n"
                          "[engagement.kinds.trial_usage]\npoints = 8\nhalf_life_days = 5\n"
                          "[data_quality]\ncap = 100\nweight = 0\n[bant]\ncap = 100\nweight = 0\n";
  const auto rules = rules_of(all);
  const std::vector<model::BehaviourEvent> events = {
      event(BehaviourKind::trial_usage, now - 24h * 5),
      event(BehaviourKind::trial_usage, now + 48h)};
  EXPECT_EQ(assess(rules, lead(), events, now).groups[1].points, 12); // 4 + 8
}

TEST(QualifyAssess, EachKindCountsAtMostItsCapPerDayAndRepeatsScoreEachTime) {
  const std::string all = "[fit]\ncap = 100\nweight = 0\n"
                          "[engagement]\ncap = 100\nweight = 100\nhalf_life_days = 0\n"
                          "[engagement.kinds.page_visit]\npoints = 2\nmax_per_day = 2\n"
                          "[engagement.kinds.email_open]\npoints = 1\n"
                          "[data_quality]\ncap = 100\nweight = 0\n[bant]\ncap = 100\nweight = 0\n";
  const auto rules = rules_of(all);
  const TimePoint day = std::chrono::sys_days{std::chrono::year{2026} / 3 / 9};
  const std::vector<model::BehaviourEvent> events = {
      event(BehaviourKind::page_visit, day + 9h),  event(BehaviourKind::page_visit, day + 10h),
      event(BehaviourKind::page_visit, day + 11h), event(BehaviourKind::page_visit, day + 12h),
      event(BehaviourKind::page_visit, day + 25h), // the next UTC day
      event(BehaviourKind::email_open, day + 1h),  event(BehaviourKind::email_open, day + 2h),
      event(BehaviourKind::email_open, day + 3h)}; // no cap: all three
  const auto a = assess(rules, lead(), events, now);
  EXPECT_EQ(a.groups[1].points, 9); // page visits 2 + 2 + 2, e-mail opens 3
  const auto capped =
      std::count_if(a.events.begin(), a.events.end(), [](const EventScore& e) { return e.capped; });
  EXPECT_EQ(capped, 2);
  const Reason* visits = find_reason(a, "engagement.page_visit");
  ASSERT_NE(visits, nullptr);
  EXPECT_EQ(visits->points, 6);
  EXPECT_EQ(visits->events, 3);
  EXPECT_EQ(visits->detail, "2 points each; 2 over the cap of 2 a day");
}

class GradeBand : public ::testing::TestWithParam<std::pair<int, char>> {};

TEST_P(GradeBand, TheTotalGetsDynamicsGradeAtTheBandEdges) {
  const auto [points, grade] = GetParam();
  const auto rules = rules_of(fit_only(rule("r", "company.name", "exists = true", points)));
  const auto a = assess(rules, lead(), {}, now);
  EXPECT_EQ(a.scores.total, points);
  EXPECT_EQ(a.grade, grade);
}

INSTANTIATE_TEST_SUITE_P(QualifyAssess, GradeBand,
                         ::testing::Values(std::pair{100, 'A'}, std::pair{75, 'A'},
                                           std::pair{74, 'B'}, std::pair{50, 'B'},
                                           std::pair{49, 'C'}, std::pair{25, 'C'},
                                           std::pair{24, 'D'}, std::pair{0, 'D'}));

// fit from the job title, engagement from events, BANT from the lead.
const std::string staged =
    "[fit]\ncap = 100\nweight = 50\n"
    "[engagement]\ncap = 100\nweight = 50\nhalf_life_days = 0\n"
    "[engagement.kinds.demo_requested]\npoints = 40\n"
    "[engagement.kinds.trial_usage]\npoints = 1\n"
    "[data_quality]\ncap = 100\nweight = 0\n[bant]\ncap = 100\nweight = 0\n"
    "[stages]\nmql_min_fit = 40\nmql_min_engagement = 30\npql_min_signals = 3\n"
    "pql_window_days = 14\npql_min_fit = 20\nsql_min_bant_known = 3\nsql_min_fit = 50\n"
    "sql_min_engagement = 30\n" +
    rule("senior", "person.job_title", "contains = \"chief\"", 60) +
    rule("some fit", "company.name", "exists = true", 25);

TEST(QualifyAssess, ALeadWithoutEnoughFitOrEngagementIsCold) {
  EXPECT_EQ(assess(rules_of(staged), lead(), {}, now).stage, LifecycleStage::cold);
}

TEST(QualifyAssess, FitAndEngagementOverTheThresholdsMakeAnMql) {
  const std::vector<model::BehaviourEvent> events = {event(BehaviourKind::demo_requested, now)};
  const auto a = assess(rules_of(staged), lead(), events, now);
  EXPECT_EQ(a.scores.fit, 85);
  EXPECT_EQ(a.scores.engagement, 40);
  EXPECT_EQ(a.stage, LifecycleStage::mql);
}

TEST(QualifyAssess, TrialUsageSignalsWithinTheWindowMakeAPql) {
  auto l = lead();
  l.person.job_title = "Engineer"; // fit 25: not an MQL
  std::vector<model::BehaviourEvent> events(3, event(BehaviourKind::trial_usage, now - 24h));
  EXPECT_EQ(assess(rules_of(staged), l, events, now).stage, LifecycleStage::pql);
  events[2].occurred_at = now - 24h * 20; // out of the 14-day window
  EXPECT_EQ(assess(rules_of(staged), l, events, now).stage, LifecycleStage::cold);
}

TEST(QualifyAssess, KnownBantWithTheThresholdsMakesAnSql) {
  auto l = lead();
  l.qualification.bant.budget_status = model::BudgetStatus::can_buy;
  l.qualification.bant.decision_maker = true;
  l.qualification.bant.need = model::Need::must_have;
  const std::vector<model::BehaviourEvent> events = {event(BehaviourKind::demo_requested, now)};
  EXPECT_EQ(assess(rules_of(staged), l, events, now).stage, LifecycleStage::sql);
  l.qualification.bant.need.reset(); // 2 of 4 known: an MQL only
  EXPECT_EQ(assess(rules_of(staged), l, events, now).stage, LifecycleStage::mql);
}

const std::string decisions =
    fit_only("[email]\nfree_mail_domains = [\"gmail.com\"]\n" +
             rule("senior", "person.job_title", "contains = \"chief\"", 80) +
             rule("some fit", "company.name", "exists = true", 10) +
             rule("competitor", "person.email_domain", "one_of = [\"rival.example\"]", -100)) +
    "[decisions]\nhot_grades = [\"A\"]\nwarm_grades = [\"B\"]\ncurrency = \"EUR\"\n"
    "[[decisions.rule]]\nname = \"competitor\"\naction = \"disqualify\"\n"
    "when = [{ rule_fired = \"competitor\" }]\nstatus_reason = \"canceled\"\n"
    "reason = \"competitor domain\"\n"
    "[[decisions.rule]]\nname = \"unreachable\"\naction = \"disqualify\"\n"
    "when = [{ field = \"person.contactable\", equals = false },"
    " { field = \"origin.list_age_bucket\", equals = \"older\" }]\nstatus_reason = 5\n"
    "[[decisions.rule]]\nname = \"top\"\naction = \"qualify\"\n"
    "when = [{ field = \"grade\", equals = \"A\" }]\ncreate_opportunity = false\n";

TEST(QualifyAssess, AGradeALeadIsQualifiedWithItsRecordsCurrencyAndCampaign) {
  auto l = lead();
  l.origin.campaign = "Spring webinar";
  const auto a = assess(rules_of(decisions), l, {}, now);
  EXPECT_EQ(a.scores.total, 90);
  EXPECT_EQ(a.decision.kind, DecisionKind::qualify);
  EXPECT_EQ(a.decision.rule, "top");
  EXPECT_EQ(a.decision.status_reason, 3);
  EXPECT_TRUE(a.decision.create_account);
  EXPECT_TRUE(a.decision.create_contact);
  EXPECT_FALSE(a.decision.create_opportunity);
  EXPECT_EQ(a.decision.currency, "EUR");
  EXPECT_EQ(a.decision.campaign, "Spring webinar");
  EXPECT_EQ(a.decision.quality_code, quality_hot);
  EXPECT_EQ(a.decision.decided_by, "leadsync:rules");
  EXPECT_FALSE(a.overridden_by_crm);
}

TEST(QualifyAssess, ACompetitorDomainIsDisqualifiedAsCanceled) {
  auto l = lead();
  l.person.emails = {"spy@rival.example"};
  const auto a = assess(rules_of(decisions), l, {}, now);
  EXPECT_EQ(a.decision.kind, DecisionKind::disqualify);
  EXPECT_EQ(a.decision.status_reason, status_canceled);
  EXPECT_EQ(a.decision.reason, "competitor domain");
}

TEST(QualifyAssess, NoValidContactOnAListOlderThan90DaysIsCannotContact) {
  auto l = lead();
  l.person.job_title = "Engineer";
  l.person.emails.clear();
  model::ListProvenance list;
  list.vendor = "ListCo";
  list.acquired_on = std::chrono::year{2025} / 11 / 1;
  l.origin.lists = {list};
  const auto a = assess(rules_of(decisions), l, {}, now);
  EXPECT_EQ(a.decision.kind, DecisionKind::disqualify);
  EXPECT_EQ(a.decision.status_reason, status_cannot_contact);
  EXPECT_EQ(a.decision.rule, "unreachable");
  l.origin.lists[0].acquired_on = std::chrono::year{2026} / 2 / 1; // 37 days: left open
  EXPECT_EQ(assess(rules_of(decisions), l, {}, now).decision.kind, DecisionKind::leave_open);
}

TEST(QualifyAssess, ALeadNoRuleDecidesIsLeftOpenWithTheQualityOfItsGrade) {
  const auto rules = rules_of(decisions);
  auto l = lead();
  l.person.job_title = "Engineer"; // total 10: D, cold
  auto a = assess(rules, l, {}, now);
  EXPECT_EQ(a.decision.kind, DecisionKind::leave_open);
  EXPECT_EQ(a.decision.quality_code, quality_cold);
  EXPECT_EQ(a.decision.rule, "");
  auto warm = rules;
  warm.decisions.warm_grades = {'D'};
  EXPECT_EQ(assess(warm, l, {}, now).decision.quality_code, quality_warm);
}

TEST(QualifyAssess, ALeadTheCrmClosedIsNeverOverriddenAndTheRuleThatWouldHaveFiredIsKept) {
  auto l = lead(); // the rules would qualify it
  l.qualification.stage = LifecycleStage::disqualified;
  l.qualification.outcome.kind = model::OutcomeKind::disqualify;
  l.qualification.outcome.status_code = 6;
  l.qualification.outcome.reason = "No Longer Interested";
  l.qualification.outcome.decided_by = "crm:Maria Petrova";
  const auto a = assess(rules_of(decisions), l, {}, now);
  EXPECT_TRUE(a.overridden_by_crm);
  EXPECT_EQ(a.decision.kind, DecisionKind::disqualify);
  EXPECT_EQ(a.decision.status_reason, 6);
  EXPECT_EQ(a.decision.decided_by, "crm:Maria Petrova");
  EXPECT_EQ(a.stage, LifecycleStage::disqualified);
  EXPECT_EQ(a.would_have.kind, DecisionKind::qualify);
  EXPECT_EQ(a.would_have.rule, "top");
  EXPECT_EQ(a.scores.total, 90); // still scored
}

TEST(QualifyAssess, ADecisionAPersonTookIsKeptEvenOnAnOpenLead) {
  auto l = lead();
  l.person.emails = {"spy@rival.example"}; // the rules would disqualify it
  l.qualification.outcome.kind = model::OutcomeKind::reactivate;
  l.qualification.outcome.decided_by = "crm:Sales Manager";
  const auto a = assess(rules_of(decisions), l, {}, now);
  EXPECT_TRUE(a.overridden_by_crm);
  EXPECT_EQ(a.decision.kind, DecisionKind::leave_open);
  EXPECT_EQ(a.would_have.kind, DecisionKind::disqualify);
  EXPECT_EQ(a.would_have.status_reason, status_canceled);
}

TEST(QualifyAssess, OurOwnUnpushedDecisionIsRecomputed) {
  auto l = lead();
  l.qualification.outcome.kind = model::OutcomeKind::disqualify;
  l.qualification.outcome.status_code = 4;
  l.qualification.outcome.decided_by = "leadsync:rules";
  const auto a = assess(rules_of(decisions), l, {}, now);
  EXPECT_FALSE(a.overridden_by_crm);
  EXPECT_EQ(a.decision.kind, DecisionKind::qualify);
}

TEST(QualifyAssess, TheSameInputsGiveTheSameAssessmentWhateverTheEventOrder) {
  const auto rules = rules_of(std::string(staged));
  std::vector<model::BehaviourEvent> events = {event(BehaviourKind::trial_usage, now - 24h),
                                               event(BehaviourKind::demo_requested, now - 48h),
                                               event(BehaviourKind::trial_usage, now - 72h)};
  const auto first = assess(rules, lead(), events, now);
  const auto second = assess(rules, lead(), events, now);
  EXPECT_EQ(first, second);
  std::reverse(events.begin(), events.end());
  const auto reversed = assess(rules, lead(), events, now);
  EXPECT_EQ(reversed.scores, first.scores);
  EXPECT_EQ(reversed.reasons, first.reasons);
  EXPECT_EQ(reversed.decision, first.decision);
  // assess_into into a used Assessment gives the same as a fresh one
  Assessment reused = assess(rules_of(decisions), lead(), {}, now);
  assess_into(rules, lead(), events, now, reused);
  EXPECT_EQ(reused, reversed);
}

TEST(QualifyAssess, ReasonsComeLargestFirstAndTheCrmTextStaysShort) {
  const auto rules = rules_of(decisions);
  const auto a = assess(rules, lead(), {}, now);
  ASSERT_EQ(a.reasons.size(), 2U);
  EXPECT_EQ(a.reasons[0].rule, "senior");
  EXPECT_EQ(a.reasons[0].value, "Chief Technology Officer");
  EXPECT_EQ(a.reasons[1].rule, "some fit");
  EXPECT_EQ(a.reason_text,
            "Score 90 (A, cold): fit 90, engagement 0, data 0, BANT 0. Top: senior +80; some "
            "fit +10");
  auto long_rules = rules;
  for (auto& r : long_rules.rules) {
    r.name = std::string(120, 'x');
  }
  EXPECT_LE(assess(long_rules, lead(), {}, now).reason_text.size(), max_reason_text);
}

TEST(QualifyAssess, TheShippedRulesScoreARealisticLead) {
  const auto loaded = load_rules_file(std::string(LEADSYNC_SOURCE_DIR) + "/mappings/scoring.toml");
  ASSERT_TRUE(loaded.ok());
  auto l = lead();
  l.qualification.bant.decision_maker = true;
  const std::vector<model::BehaviourEvent> events = {
      event(BehaviourKind::demo_requested, now - 24h),
      event(BehaviourKind::pricing_page_visit, now)};
  const auto a = assess(*loaded.rules, l, events, now);
  EXPECT_GT(a.scores.fit, 50);
  EXPECT_GT(a.scores.engagement, 30);
  EXPECT_GE(a.scores.total, 0);
  EXPECT_LE(a.scores.total, 100);
  EXPECT_EQ(model_scores(a).total, a.scores.total);
}

} // namespace
} // namespace leadsync::qualify
