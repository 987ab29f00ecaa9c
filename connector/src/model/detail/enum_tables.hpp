#pragma once
// The names of the model's enums, one table each: the JSON codec writes and reads them and
// enum_names.cpp gives the public ones (to_string, parse_lifecycle_stage, ...).

#include "leadsync/core/result.hpp"
#include "leadsync/core/text.hpp"
#include "leadsync/model/lead.hpp"

#include <array>
#include <fmt/format.h>
#include <string_view>
#include <utility>
#include <vector>

namespace leadsync::model::detail {

template <typename E> struct EnumNames;

template <> struct EnumNames<PhoneKind> {
  static constexpr std::array<std::pair<PhoneKind, std::string_view>, 4> table{{
      {PhoneKind::business, "business"},
      {PhoneKind::mobile, "mobile"},
      {PhoneKind::home, "home"},
      {PhoneKind::other, "other"},
  }};
};

template <> struct EnumNames<LineType> {
  static constexpr std::array<std::pair<LineType, std::string_view>, 7> table{{
      {LineType::unknown, "unknown"},
      {LineType::mobile, "mobile"},
      {LineType::fixed_line, "fixed_line"},
      {LineType::fixed_line_or_mobile, "fixed_line_or_mobile"},
      {LineType::toll_free, "toll_free"},
      {LineType::voip, "voip"},
      {LineType::other, "other"},
  }};
};

template <> struct EnumNames<ContactMethod> {
  static constexpr std::array<std::pair<ContactMethod, std::string_view>, 5> table{{
      {ContactMethod::any, "any"},
      {ContactMethod::email, "email"},
      {ContactMethod::phone, "phone"},
      {ContactMethod::fax, "fax"},
      {ContactMethod::mail, "mail"},
  }};
};

template <> struct EnumNames<Channel> {
  static constexpr std::array<std::pair<Channel, std::string_view>, 14> table{{
      {Channel::advertisement, "advertisement"},
      {Channel::trade_show, "trade_show"},
      {Channel::seminar, "seminar"},
      {Channel::web, "web"},
      {Channel::employee_referral, "employee_referral"},
      {Channel::external_referral, "external_referral"},
      {Channel::partner, "partner"},
      {Channel::public_relations, "public_relations"},
      {Channel::word_of_mouth, "word_of_mouth"},
      {Channel::social_campaign, "social_campaign"},
      {Channel::direct_mail, "direct_mail"},
      {Channel::cold_call, "cold_call"},
      {Channel::purchased_list, "purchased_list"},
      {Channel::other, "other"},
  }};
};

template <> struct EnumNames<ListAgeBucket> {
  static constexpr std::array<std::pair<ListAgeBucket, std::string_view>, 6> table{{
      {ListAgeBucket::days_1_7, "1-7"},
      {ListAgeBucket::days_8_30, "8-30"},
      {ListAgeBucket::days_31_60, "31-60"},
      {ListAgeBucket::days_61_90, "61-90"},
      {ListAgeBucket::older, "older"},
      {ListAgeBucket::unknown, "unknown"},
  }};
};

template <> struct EnumNames<LawfulBasis> {
  static constexpr std::array<std::pair<LawfulBasis, std::string_view>, 5> table{{
      {LawfulBasis::none, "none"},
      {LawfulBasis::consent, "consent"},
      {LawfulBasis::legitimate_interest, "legitimate_interest"},
      {LawfulBasis::contract, "contract"},
      {LawfulBasis::other, "other"},
  }};
};

template <> struct EnumNames<LeadKind> {
  static constexpr std::array<std::pair<LeadKind, std::string_view>, 2> table{{
      {LeadKind::sales, "sales"},
      {LeadKind::marketing, "marketing"},
  }};
};

template <> struct EnumNames<LifecycleStage> {
  static constexpr std::array<std::pair<LifecycleStage, std::string_view>, 8> table{{
      {LifecycleStage::new_lead, "new"},
      {LifecycleStage::cold, "cold"},
      {LifecycleStage::mql, "mql"},
      {LifecycleStage::pql, "pql"},
      {LifecycleStage::service_qualified, "service_qualified"},
      {LifecycleStage::sql, "sql"},
      {LifecycleStage::qualified, "qualified"},
      {LifecycleStage::disqualified, "disqualified"},
  }};
};

template <> struct EnumNames<BudgetStatus> {
  static constexpr std::array<std::pair<BudgetStatus, std::string_view>, 4> table{{
      {BudgetStatus::no_committed_budget, "no_committed_budget"},
      {BudgetStatus::may_buy, "may_buy"},
      {BudgetStatus::can_buy, "can_buy"},
      {BudgetStatus::will_buy, "will_buy"},
  }};
};

template <> struct EnumNames<Need> {
  static constexpr std::array<std::pair<Need, std::string_view>, 4> table{{
      {Need::must_have, "must_have"},
      {Need::should_have, "should_have"},
      {Need::good_to_have, "good_to_have"},
      {Need::no_need, "no_need"},
  }};
};

template <> struct EnumNames<PurchaseTimeframe> {
  static constexpr std::array<std::pair<PurchaseTimeframe, std::string_view>, 5> table{{
      {PurchaseTimeframe::immediate, "immediate"},
      {PurchaseTimeframe::this_quarter, "this_quarter"},
      {PurchaseTimeframe::next_quarter, "next_quarter"},
      {PurchaseTimeframe::this_year, "this_year"},
      {PurchaseTimeframe::unknown, "unknown"},
  }};
};

template <> struct EnumNames<PurchaseProcess> {
  static constexpr std::array<std::pair<PurchaseProcess, std::string_view>, 3> table{{
      {PurchaseProcess::individual, "individual"},
      {PurchaseProcess::committee, "committee"},
      {PurchaseProcess::unknown, "unknown"},
  }};
};

template <> struct EnumNames<OutcomeKind> {
  static constexpr std::array<std::pair<OutcomeKind, std::string_view>, 4> table{{
      {OutcomeKind::none, "none"},
      {OutcomeKind::qualify, "qualify"},
      {OutcomeKind::disqualify, "disqualify"},
      {OutcomeKind::reactivate, "reactivate"},
  }};
};

template <> struct EnumNames<BehaviourKind> {
  static constexpr std::array<std::pair<BehaviourKind, std::string_view>, 10> table{{
      {BehaviourKind::page_visit, "page_visit"},
      {BehaviourKind::pricing_page_visit, "pricing_page_visit"},
      {BehaviourKind::content_download, "content_download"},
      {BehaviourKind::webinar_attended, "webinar_attended"},
      {BehaviourKind::demo_attended, "demo_attended"},
      {BehaviourKind::demo_requested, "demo_requested"},
      {BehaviourKind::trial_usage, "trial_usage"},
      {BehaviourKind::email_open, "email_open"},
      {BehaviourKind::email_click, "email_click"},
      {BehaviourKind::call, "call"},
  }};
};

template <> struct EnumNames<ActivityKind> {
  static constexpr std::array<std::pair<ActivityKind, std::string_view>, 5> table{{
      {ActivityKind::note, "note"},
      {ActivityKind::call, "call"},
      {ActivityKind::meeting, "meeting"},
      {ActivityKind::email, "email"},
      {ActivityKind::task, "task"},
  }};
};

template <typename E> std::string_view enum_name(E value) {
  for (const auto& [enumerator, name] : EnumNames<E>::table) {
    if (enumerator == value) {
      return name;
    }
  }
  return {}; // only reachable for a value cast from an integer outside the enumeration
}

template <typename E> Result<E> parse_enum(std::string_view text) {
  std::vector<std::string_view> accepted;
  for (const auto& [enumerator, name] : EnumNames<E>::table) {
    if (leadsync::text::iequals(name, text)) {
      return enumerator;
    }
    accepted.push_back(name);
  }
  return fail(
      ErrorCategory::invalid_argument,
      fmt::format("unknown value \"{}\" (expected one of {})", text, text::join(accepted, ", ")));
}

} // namespace leadsync::model::detail
