#include "leadsync/qualify/report.hpp"

#include "leadsync/model/json.hpp"

#include <algorithm>
#include <chrono>

namespace leadsync::qualify {

namespace {

using model::LifecycleStage;
using model::OutcomeKind;

constexpr std::array<std::string_view, 4> graded_bands = {"A", "B", "C", "D"};
constexpr std::array<model::ListAgeBucket, 6> age_buckets = {
    model::ListAgeBucket::days_1_7,   model::ListAgeBucket::days_8_30,
    model::ListAgeBucket::days_31_60, model::ListAgeBucket::days_61_90,
    model::ListAgeBucket::older,      model::ListAgeBucket::unknown};
constexpr const auto& stages = model::all_lifecycle_stages;

model::Date date_of(model::TimePoint time) {
  return model::Date{std::chrono::floor<std::chrono::days>(time)};
}

std::string grade_group(const model::Lead& lead) {
  const auto& grade = lead.qualification.grade;
  return std::find(graded_bands.begin(), graded_bands.end(), grade) != graded_bands.end()
             ? grade
             : std::string(ungraded_group);
}

std::string vendor_group(const model::Lead& lead) {
  if (lead.origin.lists.empty()) {
    return std::string(no_list_group);
  }
  const auto& vendor = lead.origin.lists.front().vendor;
  return vendor.empty() ? std::string("(unknown vendor)") : vendor;
}

std::string list_group(const model::Lead& lead) {
  if (lead.origin.lists.empty()) {
    return std::string(no_list_group);
  }
  const auto& list = lead.origin.lists.front();
  return (list.vendor.empty() ? std::string("(unknown vendor)") : list.vendor) + "/" +
         (list.list_id.empty() ? std::string("(no id)") : list.list_id);
}

std::string age_group(const model::Lead& lead, model::Date today) {
  const auto& created = lead.identity.created_at;
  return std::string(
      model::to_string(model::list_age_bucket(lead.origin, created ? date_of(*created) : today)));
}

std::string group_of(ReportDimension by, const model::Lead& lead, model::Date today) {
  switch (by) {
  case ReportDimension::source:
    return std::string(model::to_string(lead.origin.channel));
  case ReportDimension::vendor:
    return vendor_group(lead);
  case ReportDimension::list:
    return list_group(lead);
  case ReportDimension::age:
    return age_group(lead, today);
  case ReportDimension::grade:
    return grade_group(lead);
  case ReportDimension::stage:
    return std::string(model::to_string(lead.qualification.stage));
  }
  return {};
}

std::optional<double> median(std::vector<double> values) {
  if (values.empty()) {
    return std::nullopt;
  }
  std::sort(values.begin(), values.end());
  const std::size_t middle = values.size() / 2;
  return values.size() % 2 == 1 ? values[middle] : (values[middle - 1] + values[middle]) / 2;
}

// Sorted rows: `order` first in its order (missing ones included when `all`), the rest by leads
// (most first) then name.
template <typename Tally>
std::vector<ReportRow> rows_of(const std::map<std::string, Tally>& tallies,
                               const std::vector<std::string>& order, bool all) {
  std::vector<ReportRow> rows;
  for (const auto& name : order) {
    const auto found = tallies.find(name);
    if (found != tallies.end()) {
      rows.push_back(found->second.row);
      rows.back().median_days_to_qualify = median(found->second.days);
    } else if (all) {
      rows.push_back(ReportRow{.group = name,
                               .leads = 0,
                               .mql = 0,
                               .sql = 0,
                               .decided_qualify = 0,
                               .decided_disqualify = 0,
                               .qualified = 0,
                               .disqualified = 0,
                               .open = 0,
                               .conversion_rate = 0,
                               .median_days_to_qualify = std::nullopt,
                               .qualified_with_time = 0,
                               .disqualify_reasons = {},
                               .disqualify_other = 0});
    }
  }
  std::vector<ReportRow> rest;
  for (const auto& [name, tally] : tallies) {
    if (std::find(order.begin(), order.end(), name) == order.end()) {
      rest.push_back(tally.row);
      rest.back().median_days_to_qualify = median(tally.days);
    }
  }
  std::stable_sort(rest.begin(), rest.end(), [](const ReportRow& a, const ReportRow& b) {
    return a.leads != b.leads ? a.leads > b.leads : a.group < b.group;
  });
  rows.insert(rows.end(), rest.begin(), rest.end());
  return rows;
}

std::vector<std::string> order_of(ReportDimension by) {
  std::vector<std::string> order;
  switch (by) {
  case ReportDimension::grade:
    for (const auto band : graded_bands) {
      order.emplace_back(band);
    }
    order.emplace_back(ungraded_group);
    break;
  case ReportDimension::age:
    for (const auto bucket : age_buckets) {
      order.emplace_back(model::to_string(bucket));
    }
    break;
  case ReportDimension::stage:
    for (const auto stage : stages) {
      order.emplace_back(model::to_string(stage));
    }
    break;
  default:
    break;
  }
  return order;
}

} // namespace

std::string_view to_string(ReportDimension dimension) {
  switch (dimension) {
  case ReportDimension::source:
    return "source";
  case ReportDimension::vendor:
    return "vendor";
  case ReportDimension::list:
    return "list";
  case ReportDimension::age:
    return "age";
  case ReportDimension::grade:
    return "grade";
  case ReportDimension::stage:
    return "stage";
  }
  return "source";
}

std::optional<ReportDimension> parse_report_dimension(std::string_view text) {
  for (const auto dimension :
       {ReportDimension::source, ReportDimension::vendor, ReportDimension::list,
        ReportDimension::age, ReportDimension::grade, ReportDimension::stage}) {
    if (to_string(dimension) == text) {
      return dimension;
    }
  }
  return std::nullopt;
}

std::string_view disqualify_reason_label(int status_code) {
  switch (status_code) {
  case 4:
    return "lost";
  case 5:
    return "cannot contact";
  case 6:
    return "no longer interested";
  case 7:
    return "canceled";
  default:
    return "other";
  }
}

LeadFacts lead_facts(const model::Lead& lead) {
  const auto& qualification = lead.qualification;
  const auto& outcome = qualification.outcome;
  LeadFacts facts;
  // Closed in the CRM: pull saw it (the stage), or push delivered our decision.
  facts.qualified = qualification.stage == LifecycleStage::qualified ||
                    (outcome.pushed && outcome.kind == OutcomeKind::qualify &&
                     qualification.stage != LifecycleStage::disqualified);
  facts.disqualified =
      !facts.qualified && (qualification.stage == LifecycleStage::disqualified ||
                           (outcome.pushed && outcome.kind == OutcomeKind::disqualify));
  const auto stage = qualification.stage;
  facts.mql =
      facts.qualified || (stage >= LifecycleStage::mql && stage <= LifecycleStage::qualified);
  facts.sql = facts.qualified || stage == LifecycleStage::sql || stage == LifecycleStage::qualified;
  if (facts.disqualified && outcome.kind == OutcomeKind::disqualify) {
    facts.status_code = outcome.status_code;
  }
  if (facts.qualified && outcome.kind == OutcomeKind::qualify && lead.identity.created_at) {
    const auto& when = outcome.decided_at ? outcome.decided_at : outcome.pushed_at;
    if (when && *when >= *lead.identity.created_at) {
      const std::chrono::duration<double, std::ratio<86400>> days =
          *when - *lead.identity.created_at;
      facts.days_to_qualify = days.count();
    }
  }
  return facts;
}

ReportBuilder::ReportBuilder(ReportOptions options) : options_(options) {
  overall_.row.group = "all";
}

void ReportBuilder::count(Tally& tally, const model::Lead& lead, const LeadFacts& facts) {
  auto& row = tally.row;
  ++row.leads;
  row.mql += facts.mql ? 1 : 0;
  row.sql += facts.sql ? 1 : 0;
  row.decided_qualify += lead.qualification.outcome.kind == OutcomeKind::qualify ? 1 : 0;
  row.decided_disqualify += lead.qualification.outcome.kind == OutcomeKind::disqualify ? 1 : 0;
  row.qualified += facts.qualified ? 1 : 0;
  row.disqualified += facts.disqualified ? 1 : 0;
  row.open += facts.qualified || facts.disqualified ? 0 : 1;
  row.conversion_rate = static_cast<double>(row.qualified) / static_cast<double>(row.leads);
  if (facts.days_to_qualify) {
    tally.days.push_back(*facts.days_to_qualify);
    row.qualified_with_time = static_cast<std::int64_t>(tally.days.size());
  }
  if (facts.disqualified) {
    const auto code = std::find(disqualify_status_codes.begin(), disqualify_status_codes.end(),
                                facts.status_code);
    if (code == disqualify_status_codes.end()) {
      ++row.disqualify_other;
    } else {
      ++row.disqualify_reasons[static_cast<std::size_t>(code - disqualify_status_codes.begin())];
    }
  }
}

bool ReportBuilder::add(const model::Lead& lead) {
  if (lead.deleted) {
    return false;
  }
  if (options_.since &&
      (!lead.identity.created_at || *lead.identity.created_at < *options_.since)) {
    return false;
  }
  const LeadFacts facts = lead_facts(lead);
  const auto group = [&](std::map<std::string, Tally>& tallies, std::string name) {
    auto& tally = tallies[name];
    tally.row.group = std::move(name);
    count(tally, lead, facts);
  };
  count(overall_, lead, facts);
  group(groups_, group_of(options_.by, lead, options_.today));
  group(grades_, grade_group(lead));
  group(vendors_, vendor_group(lead));
  group(ages_, age_group(lead, options_.today));
  return true;
}

Report ReportBuilder::finish() const {
  Report report;
  report.by = options_.by;
  report.since = options_.since;
  report.overall = overall_.row;
  report.overall.median_days_to_qualify = median(overall_.days);
  report.groups = rows_of(groups_, order_of(options_.by), false);
  report.grade_bands = rows_of(grades_, order_of(ReportDimension::grade), true);
  if (report.grade_bands.back().leads == 0) {
    report.grade_bands.pop_back(); // "ungraded" only when some lead is
  }
  report.vendors = rows_of(vendors_, {}, false);
  report.list_ages = rows_of(ages_, order_of(ReportDimension::age), true);

  std::vector<double> rates;
  for (std::size_t band = 0; band < graded_bands.size(); ++band) {
    if (report.grade_bands[band].leads > 0) {
      rates.push_back(report.grade_bands[band].conversion_rate);
    }
  }
  if (rates.size() >= 2) {
    report.score_predicts_conversion =
        std::is_sorted(rates.rbegin(), rates.rend()) && rates.front() > rates.back();
  }
  return report;
}

Report build_report(std::span<const model::Lead> leads, const ReportOptions& options) {
  ReportBuilder builder(options);
  for (const auto& lead : leads) {
    builder.add(lead);
  }
  return builder.finish();
}

} // namespace leadsync::qualify
