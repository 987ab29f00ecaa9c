#include "leadsync/qualify/assess.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <limits>

namespace leadsync::qualify {
namespace {

using model::BehaviourKind;
using model::LifecycleStage;

constexpr double seconds_per_day = 86400.0;

enum class ValueKind : std::uint8_t { missing, text, number, boolean };

struct Value {
  ValueKind kind = ValueKind::missing;
  std::string_view text; // as the lead has it
  double number = 0;
  bool flag = false;
  bool canonical = false; // text is already lower-case (enum names): no folding needed
};

Value text_value(std::string_view text) {
  return Value{ValueKind::text, text, 0, false, false};
}
Value canonical_value(std::string_view text) {
  return Value{ValueKind::text, text, 0, false, true};
}
Value number_value(double number) {
  return Value{ValueKind::number, {}, number, false, false};
}
template <typename T> Value optional_number(const std::optional<T>& number) {
  return number ? number_value(static_cast<double>(*number)) : Value{};
}
Value bool_value(bool flag) {
  return Value{ValueKind::boolean, {}, 0, flag, false};
}
Value optional_bool(const std::optional<bool>& flag) {
  return flag ? bool_value(*flag) : Value{};
}

constexpr std::array<std::string_view, 14> channel_names = {
    "advertisement",     "trade_show", "seminar",          "web",           "employee_referral",
    "external_referral", "partner",    "public_relations", "word_of_mouth", "social_campaign",
    "direct_mail",       "cold_call",  "purchased_list",   "other"};
constexpr std::array<std::string_view, 6> bucket_names = {"1-7",   "8-30",  "31-60",
                                                          "61-90", "older", "unknown"};
constexpr std::array<std::string_view, 5> basis_names = {"none", "consent", "legitimate_interest",
                                                         "contract", "other"};
constexpr std::array<std::string_view, 4> budget_names = {"no_committed_budget", "may_buy",
                                                          "can_buy", "will_buy"};
constexpr std::array<std::string_view, 4> need_names = {"must_have", "should_have", "good_to_have",
                                                        "no_need"};
constexpr std::array<std::string_view, 5> timeframe_names = {
    "immediate", "this_quarter", "next_quarter", "this_year", "unknown"};
constexpr std::array<std::string_view, 3> process_names = {"individual", "committee", "unknown"};
constexpr std::array<std::string_view, 8> stage_names = {
    "new", "cold", "mql", "pql", "service_qualified", "sql", "qualified", "disqualified"};
constexpr std::array<std::string_view, 4> grade_names = {"a", "b", "c", "d"};

template <std::size_t N, typename E>
Value enum_value(const std::array<std::string_view, N>& names, E value) {
  const auto index = static_cast<std::size_t>(value);
  return index < N ? canonical_value(names[index]) : Value{};
}
template <std::size_t N, typename E>
Value optional_enum(const std::array<std::string_view, N>& names, const std::optional<E>& value) {
  return value ? enum_value(names, *value) : Value{};
}

bool equals_ascii_ci(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) {
    return false;
  }
  for (std::size_t i = 0; i < a.size(); ++i) {
    auto x = static_cast<unsigned char>(a[i]);
    auto y = static_cast<unsigned char>(b[i]);
    x = (x >= 'A' && x <= 'Z') ? static_cast<unsigned char>(x + 32) : x;
    y = (y >= 'A' && y <= 'Z') ? static_cast<unsigned char>(y + 32) : y;
    if (x != y) {
      return false;
    }
  }
  return true;
}

// Per-thread buffers reused from one lead to the next.
struct Scratch {
  std::array<std::string, field_count> folded;
  std::vector<char> fired;
  struct Slot {
    std::size_t index;
    BehaviourKind kind;
    std::int64_t day;
    TimePoint at;
    std::int64_t id;
  };
  std::vector<Slot> slots;
};

Scratch& scratch() {
  thread_local Scratch instance;
  return instance;
}

class Context {
public:
  Context(const RuleSet& rules, const model::Lead& lead, TimePoint now, const Assessment& out,
          Scratch& scratch)
      : rules_(rules), lead_(lead), now_(now), out_(out), scratch_(scratch) {}

  Value get(FieldId id) {
    const auto& person = lead_.person;
    const auto& company = lead_.company;
    const auto& origin = lead_.origin;
    const auto& bant = lead_.qualification.bant;
    switch (id) {
    case FieldId::first_name:
      return text_value(person.first_name);
    case FieldId::last_name:
      return text_value(person.last_name);
    case FieldId::job_title:
      return text_value(person.job_title);
    case FieldId::seniority:
      return text_value(person.seniority);
    case FieldId::language:
      return text_value(person.language);
    case FieldId::email:
      return person.emails.empty() ? Value{} : text_value(person.emails.front());
    case FieldId::email_domain:
      return person.emails.empty() ? Value{} : text_value(email_domain());
    case FieldId::email_type:
      return canonical_value(email_type());
    case FieldId::email_valid:
      return bool_value(!person.emails.empty());
    case FieldId::phone_valid:
      return bool_value(phone_valid());
    case FieldId::contactable:
      return bool_value((!person.emails.empty() && !lead_.consent.do_not_email) ||
                        (phone_valid() && !lead_.consent.do_not_phone));
    case FieldId::decision_maker:
      return optional_bool(bant.decision_maker);
    case FieldId::company_name:
      return text_value(company.name);
    case FieldId::company_website:
      return text_value(company.website);
    case FieldId::company_domain:
      return text_value(company.domain);
    case FieldId::industry:
      return text_value(company.industry);
    case FieldId::employee_count:
      return optional_number(company.employee_count);
    case FieldId::annual_revenue:
      return optional_number(company.annual_revenue);
    case FieldId::country:
      return text_value(company.address.country);
    case FieldId::state_or_province:
      return text_value(company.address.state_or_province);
    case FieldId::city:
      return text_value(company.address.city);
    case FieldId::channel:
      return enum_value(channel_names, origin.channel);
    case FieldId::campaign:
      return text_value(origin.campaign);
    case FieldId::lead_magnet:
      return text_value(origin.lead_magnet);
    case FieldId::list_age_bucket: {
      if (!bucket_) { // several rules look at it: computed once per lead
        const auto today = std::chrono::year_month_day{std::chrono::floor<std::chrono::days>(now_)};
        bucket_ = model::list_age_bucket(origin, today);
      }
      return enum_value(bucket_names, *bucket_);
    }
    case FieldId::list_count:
      return number_value(list_count());
    case FieldId::list_exclusive:
      return origin.lists.empty() ? Value{} : bool_value(origin.lists.back().exclusive);
    case FieldId::times_sold: {
      std::optional<int> most;
      for (const auto& list : origin.lists) {
        if (list.times_sold && (!most || *list.times_sold > *most)) {
          most = list.times_sold;
        }
      }
      return optional_number(most);
    }
    case FieldId::do_not_email:
      return bool_value(lead_.consent.do_not_email);
    case FieldId::do_not_phone:
      return bool_value(lead_.consent.do_not_phone);
    case FieldId::lawful_basis:
      return enum_value(basis_names, lead_.consent.lawful_basis);
    case FieldId::lead_kind:
      return canonical_value(lead_.kind == model::LeadKind::sales ? "sales" : "marketing");
    case FieldId::enrichment_confidence: {
      if (lead_.enrichment.empty()) {
        return Value{};
      }
      double sum = 0;
      for (const auto& provenance : lead_.enrichment) {
        sum += provenance.confidence;
      }
      return number_value(sum / static_cast<double>(lead_.enrichment.size()));
    }
    case FieldId::linkedin_url:
      return text_value(lead_.social.linkedin_url);
    case FieldId::missing_key_fields: {
      int missing = 0;
      for (const auto field : rules_.key_fields) {
        const Value value = get(field);
        missing += (value.kind == ValueKind::missing ||
                    (value.kind == ValueKind::text && value.text.empty()))
                       ? 1
                       : 0;
      }
      return number_value(missing);
    }
    case FieldId::budget_amount:
      return optional_number(bant.budget_amount);
    case FieldId::budget_status:
      return optional_enum(budget_names, bant.budget_status);
    case FieldId::need:
      return optional_enum(need_names, bant.need);
    case FieldId::purchase_timeframe:
      return optional_enum(timeframe_names, bant.purchase_timeframe);
    case FieldId::purchase_process:
      return optional_enum(process_names, bant.purchase_process);
    case FieldId::bant_known:
      return number_value(bant_known());
    case FieldId::score_fit:
      return number_value(out_.scores.fit);
    case FieldId::score_engagement:
      return number_value(out_.scores.engagement);
    case FieldId::score_data_quality:
      return number_value(out_.scores.data_quality);
    case FieldId::score_bant:
      return number_value(out_.scores.bant);
    case FieldId::score_total:
      return number_value(out_.scores.total);
    case FieldId::grade:
      return canonical_value(grade_names[static_cast<std::size_t>(out_.grade - 'A') & 3U]);
    case FieldId::stage:
      return enum_value(stage_names, out_.computed_stage);
    case FieldId::count_:
      break;
    }
    return Value{};
  }

  int bant_known() const {
    const auto& bant = lead_.qualification.bant;
    int known = 0;
    known += (bant.budget_status || bant.budget_amount) ? 1 : 0;
    known += (bant.decision_maker ||
              (bant.purchase_process && *bant.purchase_process != model::PurchaseProcess::unknown))
                 ? 1
                 : 0;
    known += bant.need ? 1 : 0;
    known +=
        (bant.purchase_timeframe && *bant.purchase_timeframe != model::PurchaseTimeframe::unknown)
            ? 1
            : 0;
    return known;
  }

  // The text of a value, case-folded (computed once per field and lead).
  std::string_view folded(FieldId id, const Value& value) {
    if (value.canonical) {
      return value.text;
    }
    const auto index = static_cast<std::size_t>(id);
    if (!folded_ready_[index]) {
      fold_case(value.text, scratch_.folded[index]);
      folded_ready_[index] = true;
    }
    return scratch_.folded[index];
  }

  bool holds(const Condition& condition) {
    if (condition.op == Op::rule_fired) {
      return condition.rule < scratch_.fired.size() && scratch_.fired[condition.rule] != 0;
    }
    last_ = get(condition.field);
    const Value& value = last_;
    const bool present =
        value.kind != ValueKind::missing && !(value.kind == ValueKind::text && value.text.empty());
    if (condition.op == Op::exists) {
      return present == condition.flag;
    }
    if (!present) {
      return false;
    }
    switch (value.kind) {
    case ValueKind::boolean:
      return condition.op == Op::equals && value.flag == condition.flag;
    case ValueKind::number:
      switch (condition.op) {
      case Op::equals:
        return !condition.numbers.empty() && value.number == condition.numbers.front();
      case Op::one_of:
        return std::binary_search(condition.numbers.begin(), condition.numbers.end(), value.number);
      case Op::range:
        return value.number >= condition.min && value.number <= condition.max;
      default:
        return false;
      }
    case ValueKind::text: {
      const std::string_view text = folded(condition.field, value);
      switch (condition.op) {
      case Op::equals:
        return !condition.texts.empty() && text == condition.texts.front();
      case Op::one_of:
        return std::binary_search(condition.texts.begin(), condition.texts.end(), text,
                                  [](std::string_view a, std::string_view b) { return a < b; });
      case Op::contains:
        return std::any_of(
            condition.texts.begin(), condition.texts.end(),
            [&](const std::string& part) { return text.find(part) != std::string_view::npos; });
      case Op::ends_with:
        return std::any_of(condition.texts.begin(), condition.texts.end(),
                           [&](const std::string& part) { return text.ends_with(part); });
      default:
        return false;
      }
    }
    case ValueKind::missing:
      break;
    }
    return false;
  }

  // The value the last holds() looked at, as text for explanations.
  void describe_last(std::string& out) const {
    switch (last_.kind) {
    case ValueKind::missing:
      out.assign("(empty)");
      return;
    case ValueKind::text:
      if (last_.text.empty()) {
        out.assign("(empty)");
      } else {
        out.assign(last_.text.data(), last_.text.size());
      }
      return;
    case ValueKind::boolean:
      out.assign(last_.flag ? "true" : "false");
      return;
    case ValueKind::number: {
      std::array<char, 32> buffer{};
      const auto [end, error] =
          std::to_chars(buffer.data(), buffer.data() + buffer.size(), last_.number);
      out.assign(buffer.data(),
                 error == std::errc() ? static_cast<std::size_t>(end - buffer.data()) : 0);
      return;
    }
    }
  }

private:
  std::string_view email_domain() const {
    const std::string& email = lead_.person.emails.front();
    const auto at = email.rfind('@');
    return at == std::string::npos ? std::string_view() : std::string_view(email).substr(at + 1);
  }

  std::string_view email_type() {
    if (lead_.person.emails.empty()) {
      return "none";
    }
    const Value domain = text_value(email_domain());
    const std::string_view host = folded(FieldId::email_domain, domain);
    const bool free =
        std::binary_search(rules_.free_mail_domains.begin(), rules_.free_mail_domains.end(), host,
                           [](std::string_view a, std::string_view b) { return a < b; });
    return free ? "free" : "corporate";
  }

  bool phone_valid() const {
    return std::any_of(lead_.person.phones.begin(), lead_.person.phones.end(),
                       [](const model::Phone& phone) { return phone.valid; });
  }

  // Distinct (vendor, list id) pairs, vendor compared ignoring ASCII case; no allocation.
  int list_count() const {
    const auto& lists = lead_.origin.lists;
    int count = 0;
    for (std::size_t i = 0; i < lists.size(); ++i) {
      bool seen = false;
      for (std::size_t j = 0; j < i && !seen; ++j) {
        seen = lists[j].list_id == lists[i].list_id &&
               equals_ascii_ci(lists[j].vendor, lists[i].vendor);
      }
      count += seen ? 0 : 1;
    }
    return count;
  }

  const RuleSet& rules_;
  const model::Lead& lead_;
  TimePoint now_;
  const Assessment& out_;
  Scratch& scratch_;
  std::array<bool, field_count> folded_ready_{};
  std::optional<model::ListAgeBucket> bucket_;
  Value last_;
};

double round_to(double value, double step) {
  return std::round(value / step) * step;
}

std::int64_t utc_day(TimePoint at) {
  return std::chrono::floor<std::chrono::days>(at).time_since_epoch().count();
}

// The next Reason slot of `out`, reusing the strings of an earlier lead.
Reason& next_reason(Assessment& out, std::size_t& used) {
  if (used == out.reasons.size()) {
    out.reasons.emplace_back();
  }
  Reason& reason = out.reasons[used++];
  reason.decay = 1;
  reason.events = 0;
  return reason;
}

void append_number(std::string& out, double value) {
  std::array<char, 32> buffer{};
  const auto [end, error] = std::to_chars(buffer.data(), buffer.data() + buffer.size(), value);
  if (error == std::errc()) {
    out.append(buffer.data(), static_cast<std::size_t>(end - buffer.data()));
  }
}

void score_events(const RuleSet& rules, std::span<const model::BehaviourEvent> events,
                  TimePoint now, Assessment& out, std::size_t& used, Scratch& scratch,
                  double& engagement) {
  auto& slots = scratch.slots;
  slots.clear();
  out.events.clear();
  for (std::size_t i = 0; i < events.size(); ++i) {
    const auto& event = events[i];
    const auto kind_index = static_cast<std::size_t>(event.kind);
    if (kind_index >= behaviour_kind_count || !rules.kinds[kind_index].configured) {
      continue;
    }
    const double age = std::max(
        0.0, std::chrono::duration<double>(now - event.occurred_at).count() / seconds_per_day);
    if (rules.max_event_age_days > 0 && age > rules.max_event_age_days) {
      continue;
    }
    slots.push_back({i, event.kind, utc_day(event.occurred_at), event.occurred_at, event.id});
  }
  // Per kind and UTC day, the earliest events count up to max_per_day.
  std::sort(slots.begin(), slots.end(), [](const Scratch::Slot& a, const Scratch::Slot& b) {
    if (a.kind != b.kind) {
      return a.kind < b.kind;
    }
    if (a.at != b.at) {
      return a.at < b.at;
    }
    if (a.id != b.id) {
      return a.id < b.id;
    }
    return a.index < b.index;
  });
  std::size_t start = 0;
  while (start < slots.size()) {
    const BehaviourKind kind = slots[start].kind;
    const auto& settings = rules.kinds[static_cast<std::size_t>(kind)];
    const double half_life =
        settings.half_life_days >= 0 ? settings.half_life_days : rules.half_life_days;
    double points = 0;
    double undecayed = 0;
    int scored = 0;
    int capped = 0;
    std::int64_t day = std::numeric_limits<std::int64_t>::min();
    int today = 0;
    std::size_t end = start;
    for (; end < slots.size() && slots[end].kind == kind; ++end) {
      const auto& slot = slots[end];
      const auto& event = events[slot.index];
      if (slot.day != day) {
        day = slot.day;
        today = 0;
      }
      ++today;
      EventScore& score = out.events.emplace_back();
      score.index = slot.index;
      score.kind = kind;
      score.age_days = std::max(
          0.0, std::chrono::duration<double>(now - event.occurred_at).count() / seconds_per_day);
      score.base = settings.points * event.weight;
      score.decay = half_life > 0 ? std::exp2(-score.age_days / half_life) : 1.0;
      score.capped = settings.max_per_day > 0 && today > settings.max_per_day;
      score.points = score.capped ? 0.0 : score.base * score.decay;
      if (score.capped) {
        ++capped;
      } else {
        ++scored;
        points += score.points;
        undecayed += score.base;
      }
    }
    engagement += points;
    Reason& reason = next_reason(out, used);
    reason.rule.assign("engagement.");
    reason.rule.append(kind_name(kind));
    reason.group = Group::engagement;
    reason.points = round_to(points, 0.01);
    reason.events = scored;
    reason.decay = undecayed != 0 ? round_to(points / undecayed, 0.0001) : 1.0;
    reason.value.clear();
    append_number(reason.value, scored);
    reason.value.append(scored == 1 ? " event" : " events");
    reason.detail.clear();
    append_number(reason.detail, settings.points);
    reason.detail.append(" points each");
    if (half_life > 0) {
      reason.detail.append(", half-life ");
      append_number(reason.detail, half_life);
      reason.detail.append(" days: ");
      append_number(reason.detail, round_to(reason.decay * 100, 0.1));
      reason.detail.append("% left");
    }
    if (capped > 0) {
      reason.detail.append("; ");
      append_number(reason.detail, capped);
      reason.detail.append(" over the cap of ");
      append_number(reason.detail, settings.max_per_day);
      reason.detail.append(" a day");
    }
    start = end;
  }
  std::sort(out.events.begin(), out.events.end(), [](const EventScore& a, const EventScore& b) {
    if (a.age_days != b.age_days) {
      return a.age_days > b.age_days;
    }
    return a.index < b.index;
  });
}

char grade_of(const RuleSet& rules, double total) {
  if (total >= rules.grades.a) {
    return 'A';
  }
  if (total >= rules.grades.b) {
    return 'B';
  }
  if (total >= rules.grades.c) {
    return 'C';
  }
  return 'D';
}

int quality_of(const RuleSet& rules, char grade) {
  const auto& hot = rules.decisions.hot_grades;
  const auto& warm = rules.decisions.warm_grades;
  if (std::find(hot.begin(), hot.end(), grade) != hot.end()) {
    return quality_hot;
  }
  if (std::find(warm.begin(), warm.end(), grade) != warm.end()) {
    return quality_warm;
  }
  return quality_cold;
}

int pql_signals(const RuleSet& rules, std::span<const model::BehaviourEvent> events,
                TimePoint now) {
  const auto& kinds = rules.stages.pql_signal_kinds;
  int count = 0;
  for (const auto& event : events) {
    if (std::find(kinds.begin(), kinds.end(), event.kind) == kinds.end()) {
      continue;
    }
    const double age =
        std::chrono::duration<double>(now - event.occurred_at).count() / seconds_per_day;
    count += age <= rules.stages.pql_window_days ? 1 : 0;
  }
  return count;
}

void decide(const RuleSet& rules, const model::Lead& lead, Context& context, char grade,
            Decision& decision) {
  const DecisionRule* fired = nullptr;
  for (const auto& rule : rules.decisions.rules) {
    const bool all =
        std::all_of(rule.when.begin(), rule.when.end(),
                    [&](const Condition& condition) { return context.holds(condition); });
    if (all) {
      fired = &rule;
      break;
    }
  }
  const int quality = quality_of(rules, grade);
  decision.decided_by.assign("leadsync:rules");
  decision.quality_code = quality;
  decision.currency.clear();
  decision.campaign.clear();
  decision.create_account = false;
  decision.create_contact = false;
  decision.create_opportunity = false;
  decision.status_reason = 0;
  if (fired == nullptr) {
    decision.kind = DecisionKind::leave_open;
    decision.rule.clear();
    decision.reason.assign("left open: no decision rule matched; grade ");
    decision.reason.push_back(grade);
    decision.reason.append(", ");
    decision.reason.append(quality_name(quality));
    return;
  }
  decision.kind = fired->action;
  decision.rule.assign(fired->name);
  decision.reason.assign(fired->reason.empty() ? fired->name : fired->reason);
  switch (fired->action) {
  case DecisionKind::qualify:
    decision.status_reason = 3;
    decision.create_account = fired->create_account;
    decision.create_contact = fired->create_contact;
    decision.create_opportunity = fired->create_opportunity;
    decision.currency.assign(fired->currency.empty() ? rules.decisions.currency : fired->currency);
    if (fired->use_campaign) {
      decision.campaign.assign(lead.origin.campaign);
    }
    break;
  case DecisionKind::disqualify:
    decision.status_reason = fired->status_reason;
    break;
  case DecisionKind::leave_open:
    if (fired->quality_code != 0) {
      decision.quality_code = fired->quality_code;
    }
    break;
  }
}

// The decision already taken in the CRM or by a person, as a Decision.
void kept_decision(const model::Lead& lead, int quality, Decision& decision) {
  const auto& qualification = lead.qualification;
  const auto& outcome = qualification.outcome;
  decision.rule.clear();
  decision.currency.clear();
  decision.campaign.clear();
  decision.quality_code = quality;
  decision.create_account = false;
  decision.create_contact = false;
  decision.create_opportunity = false;
  decision.status_reason = outcome.status_code;
  decision.reason.assign(outcome.reason);
  decision.decided_by.assign(outcome.decided_by.empty() ? "crm" : outcome.decided_by);
  model::OutcomeKind kind = outcome.kind;
  if (qualification.stage == LifecycleStage::qualified) {
    kind = model::OutcomeKind::qualify;
  } else if (qualification.stage == LifecycleStage::disqualified) {
    kind = model::OutcomeKind::disqualify;
  }
  switch (kind) {
  case model::OutcomeKind::qualify:
    decision.kind = DecisionKind::qualify;
    if (outcome.kind == model::OutcomeKind::qualify) {
      decision.create_account = outcome.create_account;
      decision.create_contact = outcome.create_contact;
      decision.create_opportunity = outcome.create_opportunity;
    }
    if (decision.status_reason <= 0) {
      decision.status_reason = 3;
    }
    break;
  case model::OutcomeKind::disqualify:
    decision.kind = DecisionKind::disqualify;
    break;
  case model::OutcomeKind::reactivate:
  case model::OutcomeKind::none:
    decision.kind = DecisionKind::leave_open;
    break;
  }
  if (decision.reason.empty()) {
    decision.reason.assign("kept: decided in the CRM");
  }
}

void build_reason_text(const Assessment& out, std::string& text) {
  std::array<char, 160> buffer{};
  const int written = std::snprintf(
      buffer.data(), buffer.size(),
      "Score %.0f (%c, %s): fit %.0f, engagement %.0f, data %.0f, BANT %.0f.", out.scores.total,
      out.grade, std::string(stage_names[static_cast<std::size_t>(out.stage)]).c_str(),
      out.scores.fit, out.scores.engagement, out.scores.data_quality, out.scores.bant);
  text.assign(buffer.data(), written > 0 ? std::min<std::size_t>(static_cast<std::size_t>(written),
                                                                 buffer.size() - 1)
                                         : 0);
  int shown = 0;
  for (const auto& reason : out.reasons) {
    if (shown == 3 || reason.points == 0) {
      break;
    }
    text.append(shown == 0 ? " Top: " : "; ");
    text.append(reason.rule);
    text.append(reason.points > 0 ? " +" : " ");
    append_number(text, reason.points);
    ++shown;
  }
  if (text.size() > max_reason_text) {
    std::size_t cut = max_reason_text - 3;
    while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0U) == 0x80U) {
      --cut; // never split a UTF-8 sequence
    }
    text.resize(cut);
    text.append("...");
  }
}

} // namespace

std::string_view quality_name(int quality_code) {
  switch (quality_code) {
  case quality_hot:
    return "hot";
  case quality_warm:
    return "warm";
  case quality_cold:
    return "cold";
  default:
    return "none";
  }
}

model::Scores model_scores(const Assessment& assessment) {
  return model::Scores{.fit = assessment.scores.fit,
                       .engagement = assessment.scores.engagement,
                       .data_quality = assessment.scores.data_quality,
                       .total = assessment.scores.total};
}

void assess_into(const RuleSet& rules, const model::Lead& lead,
                 std::span<const model::BehaviourEvent> events, TimePoint now, Assessment& out) {
  Scratch& buffers = scratch();
  buffers.fired.assign(rules.rules.size(), 0);
  out.scores = ScoreSet{};
  out.computed_stage = LifecycleStage::cold;
  out.grade = 'D';
  Context context(rules, lead, now, out, buffers);
  std::size_t used = 0;
  std::array<double, group_count> points{};

  for (std::size_t i = 0; i < rules.rules.size(); ++i) {
    const Rule& rule = rules.rules[i];
    if (!context.holds(rule.condition)) {
      continue;
    }
    buffers.fired[i] = 1;
    points[static_cast<std::size_t>(rule.group)] += rule.points;
    Reason& reason = next_reason(out, used);
    reason.rule.assign(rule.name);
    reason.group = rule.group;
    reason.points = rule.points;
    context.describe_last(reason.value);
    reason.detail.assign(rule.condition.description);
  }
  double engagement = 0;
  score_events(rules, events, now, out, used, buffers, engagement);
  points[static_cast<std::size_t>(Group::engagement)] += engagement;
  out.reasons.resize(used);

  // Largest |points| first; ties keep file order (insertion sort: stable, no allocation).
  for (std::size_t i = 1; i < out.reasons.size(); ++i) {
    for (std::size_t j = i;
         j > 0 && std::abs(out.reasons[j - 1].points) < std::abs(out.reasons[j].points); --j) {
      std::swap(out.reasons[j - 1], out.reasons[j]);
    }
  }

  double total = 0;
  std::array<double, group_count> rounded{};
  for (std::size_t g = 0; g < group_count; ++g) {
    GroupResult& group = out.groups[g];
    const auto& settings = rules.groups[g];
    group.points = round_to(points[g], 0.01);
    group.cap = settings.cap;
    group.weight = settings.weight;
    group.capped = points[g] > settings.cap || points[g] < 0;
    const double score = std::clamp(points[g], 0.0, settings.cap) / settings.cap * 100.0;
    group.score = std::round(score);
    rounded[g] = group.score;
    total += settings.weight * score / 100.0;
  }
  out.scores.fit = rounded[static_cast<std::size_t>(Group::fit)];
  out.scores.engagement = rounded[static_cast<std::size_t>(Group::engagement)];
  out.scores.data_quality = rounded[static_cast<std::size_t>(Group::data_quality)];
  out.scores.bant = rounded[static_cast<std::size_t>(Group::bant)];
  out.scores.total = std::clamp(std::round(total), 0.0, 100.0);
  out.grade = grade_of(rules, out.scores.total);

  // Stage.
  const auto& stages = rules.stages;
  const double fit = out.scores.fit;
  const double engaged = out.scores.engagement;
  if (context.bant_known() >= stages.sql_min_bant_known && fit >= stages.sql_min_fit &&
      engaged >= stages.sql_min_engagement) {
    out.computed_stage = LifecycleStage::sql;
  } else if (pql_signals(rules, events, now) >= stages.pql_min_signals &&
             fit >= stages.pql_min_fit) {
    out.computed_stage = LifecycleStage::pql;
  } else if (fit >= stages.mql_min_fit && engaged >= stages.mql_min_engagement) {
    out.computed_stage = LifecycleStage::mql;
  } else {
    out.computed_stage = LifecycleStage::cold;
  }

  // Decision, unless the CRM or a person already decided.
  const auto& qualification = lead.qualification;
  const bool closed = qualification.stage == LifecycleStage::qualified ||
                      qualification.stage == LifecycleStage::disqualified;
  const auto& outcome = qualification.outcome;
  const bool by_person = outcome.kind != model::OutcomeKind::none && !outcome.decided_by.empty() &&
                         !outcome.decided_by.starts_with("leadsync");
  out.overridden_by_crm = closed || by_person;
  out.reactivate = false;
  if (!out.overridden_by_crm) {
    out.stage = out.computed_stage;
    decide(rules, lead, context, out.grade, out.decision);
    out.would_have = Decision{};
  } else {
    out.stage = closed ? qualification.stage : out.computed_stage;
    decide(rules, lead, context, out.grade, out.would_have);
    kept_decision(lead, quality_of(rules, out.grade), out.decision);
    const bool ours = outcome.decided_by.starts_with("leadsync");
    const bool hot = out.would_have.kind == DecisionKind::qualify ||
                     (out.would_have.kind == DecisionKind::leave_open &&
                      out.would_have.quality_code == quality_hot);
    out.reactivate = rules.decisions.reactivate_when_hot &&
                     qualification.stage == LifecycleStage::disqualified && ours && hot;
  }
  build_reason_text(out, out.reason_text);
}

Assessment assess(const RuleSet& rules, const model::Lead& lead,
                  std::span<const model::BehaviourEvent> events, TimePoint now) {
  Assessment out;
  assess_into(rules, lead, events, now, out);
  return out;
}

} // namespace leadsync::qualify
