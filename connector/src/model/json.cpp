#include "leadsync/model/json.hpp"

#include "detail/text.hpp"
#include "leadsync/core/json_limits.hpp"

#include <algorithm>
#include <array>
#include <cstdint>
#include <fmt/format.h>
#include <iterator>
#include <limits>
#include <nlohmann/json.hpp>
#include <optional>
#include <type_traits>
#include <utility>

namespace leadsync::model {
namespace {

using nlohmann::json;
namespace chrono = std::chrono;

// ---- enum names
// -------------------------------------------------------------------------------------------

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

template <typename Names> std::string join(const Names& names) {
  std::string joined;
  for (const auto& name : names) {
    if (!joined.empty()) {
      joined += ", ";
    }
    joined += name;
  }
  return joined;
}

template <typename E> Result<E> parse_enum(std::string_view text) {
  std::vector<std::string_view> accepted;
  for (const auto& [enumerator, name] : EnumNames<E>::table) {
    if (detail::iequals(name, text)) {
      return enumerator;
    }
    accepted.push_back(name);
  }
  return fail(ErrorCategory::invalid_argument,
              fmt::format("unknown value \"{}\" (expected one of {})", text, join(accepted)));
}

// ---- field lists: one description per record drives both writing and reading
// -------------------------------

template <typename T> struct Fields { static constexpr bool is_record = false; };
template <typename T>
concept Record = Fields<T>::is_record;

template <> struct Fields<Identity> {
  static constexpr bool is_record = true;
  template <typename Self, typename Visit> static void each(Self& self, Visit&& visit) {
    visit("id", self.id);
    visit("crm_id", self.crm_id);
    visit("version", self.version);
    visit("crm_version", self.crm_version);
    visit("created_at", self.created_at);
    visit("updated_at", self.updated_at);
  }
};

template <> struct Fields<Phone> {
  static constexpr bool is_record = true;
  template <typename Self, typename Visit> static void each(Self& self, Visit&& visit) {
    visit("kind", self.kind);
    visit("raw", self.raw);
    visit("e164", self.e164);
    visit("extension", self.extension);
    visit("valid", self.valid);
    visit("line_type", self.line_type);
  }
};

template <> struct Fields<Person> {
  static constexpr bool is_record = true;
  template <typename Self, typename Visit> static void each(Self& self, Visit&& visit) {
    visit("first_name", self.first_name);
    visit("middle_name", self.middle_name);
    visit("last_name", self.last_name);
    visit("job_title", self.job_title);
    visit("seniority", self.seniority);
    visit("emails", self.emails);
    visit("phones", self.phones);
    visit("invalid_emails", self.invalid_emails);
    visit("preferred_contact_method", self.preferred_contact_method);
    visit("language", self.language);
  }
};

template <> struct Fields<Address> {
  static constexpr bool is_record = true;
  template <typename Self, typename Visit> static void each(Self& self, Visit&& visit) {
    visit("line1", self.line1);
    visit("line2", self.line2);
    visit("city", self.city);
    visit("state_or_province", self.state_or_province);
    visit("postal_code", self.postal_code);
    visit("country", self.country);
  }
};

template <> struct Fields<Company> {
  static constexpr bool is_record = true;
  template <typename Self, typename Visit> static void each(Self& self, Visit&& visit) {
    visit("name", self.name);
    visit("website", self.website);
    visit("domain", self.domain);
    visit("industry", self.industry);
    visit("employee_count", self.employee_count);
    visit("annual_revenue", self.annual_revenue);
    visit("address", self.address);
  }
};

template <> struct Fields<ListProvenance> {
  static constexpr bool is_record = true;
  template <typename Self, typename Visit> static void each(Self& self, Visit&& visit) {
    visit("vendor", self.vendor);
    visit("list_id", self.list_id);
    visit("exclusive", self.exclusive);
    visit("times_sold", self.times_sold);
    visit("acquired_on", self.acquired_on);
    visit("imported_at", self.imported_at);
  }
};

template <> struct Fields<Origin> {
  static constexpr bool is_record = true;
  template <typename Self, typename Visit> static void each(Self& self, Visit&& visit) {
    visit("channel", self.channel);
    visit("campaign", self.campaign);
    visit("lead_magnet", self.lead_magnet);
    visit("lists", self.lists);
  }
};

template <> struct Fields<Consent> {
  static constexpr bool is_record = true;
  template <typename Self, typename Visit> static void each(Self& self, Visit&& visit) {
    visit("do_not_email", self.do_not_email);
    visit("do_not_phone", self.do_not_phone);
    visit("do_not_bulk_email", self.do_not_bulk_email);
    visit("do_not_postal_mail", self.do_not_postal_mail);
    visit("lawful_basis", self.lawful_basis);
    visit("given_at", self.given_at);
    visit("aware_of_sales_offer", self.aware_of_sales_offer);
  }
};

template <> struct Fields<Bant> {
  static constexpr bool is_record = true;
  template <typename Self, typename Visit> static void each(Self& self, Visit&& visit) {
    visit("budget_amount", self.budget_amount);
    visit("budget_status", self.budget_status);
    visit("decision_maker", self.decision_maker);
    visit("need", self.need);
    visit("purchase_timeframe", self.purchase_timeframe);
    visit("purchase_process", self.purchase_process);
  }
};

template <> struct Fields<Scores> {
  static constexpr bool is_record = true;
  template <typename Self, typename Visit> static void each(Self& self, Visit&& visit) {
    visit("fit", self.fit);
    visit("engagement", self.engagement);
    visit("data_quality", self.data_quality);
    visit("bant", self.bant);
    visit("total", self.total);
  }
};

template <> struct Fields<Outcome> {
  static constexpr bool is_record = true;
  template <typename Self, typename Visit> static void each(Self& self, Visit&& visit) {
    visit("kind", self.kind);
    visit("create_account", self.create_account);
    visit("create_contact", self.create_contact);
    visit("create_opportunity", self.create_opportunity);
    visit("status_code", self.status_code);
    visit("reason", self.reason);
    visit("decided_by", self.decided_by);
    visit("decided_at", self.decided_at);
    visit("pushed", self.pushed);
    visit("pushed_at", self.pushed_at);
  }
};

template <> struct Fields<Qualification> {
  static constexpr bool is_record = true;
  template <typename Self, typename Visit> static void each(Self& self, Visit&& visit) {
    visit("stage", self.stage);
    visit("bant", self.bant);
    visit("scores", self.scores);
    visit("fired_rules", self.fired_rules);
    visit("outcome", self.outcome);
    visit("grade", self.grade);
    visit("quality_code", self.quality_code);
    visit("reasons", self.reasons);
    visit("reason_text", self.reason_text);
    visit("scored_at", self.scored_at);
  }
};

template <> struct Fields<ScoreReason> {
  static constexpr bool is_record = true;
  template <typename Self, typename Visit> static void each(Self& self, Visit&& visit) {
    visit("rule", self.rule);
    visit("group", self.group);
    visit("points", self.points);
    visit("detail", self.detail);
  }
};

template <> struct Fields<FieldProvenance> {
  static constexpr bool is_record = true;
  template <typename Self, typename Visit> static void each(Self& self, Visit&& visit) {
    visit("field", self.field);
    visit("provider", self.provider);
    visit("raw_confidence", self.raw_confidence);
    visit("confidence", self.confidence);
    visit("fetched_at", self.fetched_at);
  }
};

template <> struct Fields<Stakeholder> {
  static constexpr bool is_record = true;
  template <typename Self, typename Visit> static void each(Self& self, Visit&& visit) {
    visit("name", self.name);
    visit("role", self.role);
    visit("email", self.email);
  }
};

template <> struct Fields<Activity> {
  static constexpr bool is_record = true;
  template <typename Self, typename Visit> static void each(Self& self, Visit&& visit) {
    visit("kind", self.kind);
    visit("subject", self.subject);
    visit("body", self.body);
    visit("occurred_at", self.occurred_at);
    visit("crm_id", self.crm_id);
  }
};

template <> struct Fields<Lead> {
  static constexpr bool is_record = true;
  template <typename Self, typename Visit> static void each(Self& self, Visit&& visit) {
    visit("identity", self.identity);
    visit("person", self.person);
    visit("company", self.company);
    visit("origin", self.origin);
    visit("consent", self.consent);
    visit("kind", self.kind);
    visit("qualification", self.qualification);
    visit("social", self.social);
    visit("enrichment", self.enrichment);
    visit("enriched_at", self.enriched_at);
    visit("stakeholders", self.stakeholders);
    visit("competitors", self.competitors);
    visit("activities", self.activities);
    visit("subject", self.subject);
    visit("description", self.description);
    visit("is_new", self.is_new);
    visit("deleted", self.deleted);
    visit("merges", self.merges);
    visit("merge_count", self.merge_count);
    visit("merged_into", self.merged_into);
  }
};

template <> struct Fields<SocialProfiles> {
  static constexpr bool is_record = true;
  template <typename Self, typename Visit> static void each(Self& self, Visit&& visit) {
    visit("linkedin_url", self.linkedin_url);
    visit("x_handle", self.x_handle);
    visit("github_url", self.github_url);
    visit("facebook_url", self.facebook_url);
    visit("bio", self.bio);
    visit("location", self.location);
    visit("blog", self.blog);
  }
};

template <> struct Fields<MergeRecord> {
  static constexpr bool is_record = true;
  template <typename Self, typename Visit> static void each(Self& self, Visit&& visit) {
    visit("rule", self.rule);
    visit("source", self.source);
    visit("merged_at", self.merged_at);
  }
};

template <> struct Fields<BehaviourEvent> {
  static constexpr bool is_record = true;
  template <typename Self, typename Visit> static void each(Self& self, Visit&& visit) {
    visit("id", self.id);
    visit("lead_id", self.lead_id);
    visit("kind", self.kind);
    visit("occurred_at", self.occurred_at);
    visit("detail", self.detail);
    visit("weight", self.weight);
    visit("event_id", self.event_id);
  }
};

// ---- writing
// ----------------------------------------------------------------------------------------------

template <typename T> bool omitted(const T&) {
  return false;
}
bool omitted(const std::string& text) {
  return text.empty();
}
bool omitted(LineType type) {
  return type == LineType::unknown;
}
template <typename T> bool omitted(const std::vector<T>& values) {
  return values.empty();
}
template <typename T> bool omitted(const std::optional<T>& value) {
  return !value.has_value();
}

json encode(const std::string& text) {
  return text;
}
json encode(bool value) {
  return value;
}
json encode(int value) {
  return value;
}
json encode(std::int64_t value) {
  return value;
}
json encode(double value) {
  return value;
}
json encode(TimePoint time) {
  return format_time(time);
}
json encode(Date date) {
  return format_date(date);
}
template <typename E>
requires std::is_enum_v<E> json encode(E value) {
  return std::string(enum_name(value));
}
template <typename T> json encode(const std::optional<T>& value);
template <typename T> json encode(const std::vector<T>& values);
template <Record T> json encode(const T& record);

template <typename T> json encode(const std::optional<T>& value) {
  return encode(*value);
}

template <typename T> json encode(const std::vector<T>& values) {
  json array = json::array();
  for (const auto& value : values) {
    array.push_back(encode(value));
  }
  return array;
}

template <Record T> json encode(const T& record) {
  json object = json::object();
  Fields<T>::each(record, [&object](const char* key, const auto& member) {
    if (!omitted(member)) {
      object[key] = encode(member);
    }
  });
  return object;
}

// ---- writing text directly
// ---------------------------------------------------------------------------------------------
// The same document as encode(value).dump(), without building the tree first: a bulk import
// writes a million of them, and the tree's allocations cost more than the text. Members come out
// in key order, as nlohmann's std::map-based objects give them.

// Appends `text` as a JSON string. Plain ASCII goes straight in; anything else (escapes, UTF-8,
// which nlohmann validates) through nlohmann's own serializer.
void append_string(std::string& out, std::string_view text) {
  const bool plain = std::all_of(text.begin(), text.end(), [](char c) {
    const auto byte = static_cast<unsigned char>(c);
    return byte >= 0x20 && byte < 0x80 && c != '"' && c != '\\';
  });
  if (plain) {
    out += '"';
    out += text;
    out += '"';
  } else {
    out += json(text).dump();
  }
}

void write(std::string& out, const std::string& text) {
  append_string(out, text);
}
void write(std::string& out, bool value) {
  out += value ? "true" : "false";
}
void write(std::string& out, int value) {
  fmt::format_to(std::back_inserter(out), "{}", value);
}
void write(std::string& out, std::int64_t value) {
  fmt::format_to(std::back_inserter(out), "{}", value);
}
void write(std::string& out, double value) {
  out += json(value).dump(); // nlohmann's shortest round-trip form, "0.0" for zero
}
void write(std::string& out, TimePoint time) {
  append_string(out, format_time(time));
}
void write(std::string& out, Date date) {
  append_string(out, format_date(date));
}
template <typename E>
requires std::is_enum_v<E>
void write(std::string& out, E value) {
  append_string(out, enum_name(value));
}
template <typename T> void write(std::string& out, const std::optional<T>& value);
template <typename T> void write(std::string& out, const std::vector<T>& values);
template <Record T> void write(std::string& out, const T& record);

template <typename T> void write(std::string& out, const std::optional<T>& value) {
  write(out, *value);
}

template <typename T> void write(std::string& out, const std::vector<T>& values) {
  out += '[';
  for (std::size_t i = 0; i < values.size(); ++i) {
    if (i != 0) {
      out += ',';
    }
    write(out, values[i]);
  }
  out += ']';
}

// The positions, in Fields<T>::each order, of T's members sorted by key.
template <Record T> const std::vector<std::size_t>& key_order() {
  static const std::vector<std::size_t> order = [] {
    std::vector<std::string_view> keys;
    T sample{};
    Fields<T>::each(sample, [&keys](const char* key, const auto&) { keys.emplace_back(key); });
    std::vector<std::size_t> positions(keys.size());
    for (std::size_t i = 0; i < positions.size(); ++i) {
      positions[i] = i;
    }
    std::sort(positions.begin(), positions.end(),
              [&keys](std::size_t a, std::size_t b) { return keys[a] < keys[b]; });
    return positions;
  }();
  return order;
}

template <Record T> void write(std::string& out, const T& record) {
  out += '{';
  bool first = true;
  // A record has at most a few dozen members: finding each by position is cheaper than sorting
  // them per call.
  for (const auto wanted : key_order<T>()) {
    std::size_t position = 0;
    Fields<T>::each(record, [&](const char* key, const auto& member) {
      if (position++ != wanted || omitted(member)) {
        return;
      }
      out += first ? "" : ",";
      first = false;
      append_string(out, key);
      out += ':';
      write(out, member);
    });
  }
  out += '}';
}

// ---- writing the stored form
// ---------------------------------------------------------------------------------------------
// The text write() gives, without the members that hold their default value, at any depth (see
// to_stored_json_text). decode() leaves a missing member as it found it, so the baseline a member
// is compared with is the value decode() starts from: the same member of the enclosing record's
// baseline, and T{} for an array element, an optional's value and the top level.

template <typename T> const T& default_value() {
  static const T value{};
  return value;
}

// Written in full in every stored document, default or not: the lead's identity, so that a
// document read outside leadsync always says whose it is.
template <typename T> constexpr bool written_whole = false;
template <> constexpr bool written_whole<Identity> = true;

// Calls `use` with the member at `position` (in Fields<T>::each order) of `record`, whose type is
// Member.
template <typename Member, Record T, typename Use>
void with_member_at(const T& record, std::size_t position, Use&& use) {
  std::size_t index = 0;
  Fields<T>::each(record, [&](const char*, const auto& member) {
    if constexpr (std::is_same_v<std::decay_t<decltype(member)>, Member>) {
      if (index == position) {
        use(member);
      }
    }
    ++index;
  });
}

template <typename T> bool stored_omitted(const T& value, const T& baseline) {
  return value == baseline;
}
// An empty optional cannot be written (decode() reads null as "keep the default"), so it is left
// out as in the full form; no member of the model defaults to an engaged optional.
template <typename T>
bool stored_omitted(const std::optional<T>& value, const std::optional<T>& baseline) {
  return !value.has_value() || value == baseline;
}

template <typename T> void write_stored(std::string& out, const T& value, const T& /*baseline*/) {
  write(out, value);
}
template <typename T>
void write_stored(std::string& out, const std::optional<T>& value,
                  const std::optional<T>& baseline);
template <typename T>
void write_stored(std::string& out, const std::vector<T>& values, const std::vector<T>& baseline);
template <Record T> void write_stored(std::string& out, const T& record, const T& baseline);

template <typename T>
void write_stored(std::string& out, const std::optional<T>& value,
                  const std::optional<T>& /*baseline*/) {
  write_stored(out, *value, default_value<T>());
}

template <typename T>
void write_stored(std::string& out, const std::vector<T>& values,
                  const std::vector<T>& /*baseline*/) {
  out += '[';
  for (std::size_t i = 0; i < values.size(); ++i) {
    if (i != 0) {
      out += ',';
    }
    write_stored(out, values[i], default_value<T>());
  }
  out += ']';
}

template <Record T> void write_stored(std::string& out, const T& record, const T& baseline) {
  out += '{';
  bool first = true;
  for (const auto wanted : key_order<T>()) {
    std::size_t position = 0;
    Fields<T>::each(record, [&](const char* key, const auto& member) {
      if (position++ != wanted) {
        return;
      }
      using Member = std::decay_t<decltype(member)>;
      with_member_at<Member>(baseline, wanted, [&](const Member& member_baseline) {
        if (!written_whole<Member> && stored_omitted(member, member_baseline)) {
          return;
        }
        out += first ? "" : ",";
        first = false;
        append_string(out, key);
        out += ':';
        if constexpr (written_whole<Member>) {
          write(out, member);
        } else {
          write_stored(out, member, member_baseline);
        }
      });
    });
  }
  out += '}';
}

// ---- reading
// ----------------------------------------------------------------------------------------------

// JSON pointer (RFC 6901) of a member or an element.
std::string pointer_child(const std::string& path, std::string_view key) {
  std::string child = path + '/';
  for (char c : key) {
    if (c == '~') {
      child += "~0";
    } else if (c == '/') {
      child += "~1";
    } else {
      child += c;
    }
  }
  return child;
}

std::string pointer_child(const std::string& path, std::size_t index) {
  return path + '/' + std::to_string(index);
}

// Collects the first problem; every decode step stops early once one is recorded.
class Decoder {
public:
  bool failed() const { return problem_.has_value(); }
  void reject(const std::string& path, std::string_view message) {
    if (!problem_) {
      problem_ = fmt::format("{}: {}", path.empty() ? "(root)" : path, message);
    }
  }
  const std::string& problem() const { return *problem_; }

private:
  std::optional<std::string> problem_;
};

std::string type_mismatch(std::string_view expected, const json& value) {
  return fmt::format("expected {}, got {}", expected, value.type_name());
}

void decode(Decoder& decoder, const json& value, const std::string& path, std::string& out) {
  if (!value.is_string()) {
    return decoder.reject(path, type_mismatch("a string", value));
  }
  out = value.get_ref<const std::string&>();
}

void decode(Decoder& decoder, const json& value, const std::string& path, bool& out) {
  if (!value.is_boolean()) {
    return decoder.reject(path, type_mismatch("true or false", value));
  }
  out = value.get<bool>();
}

template <typename Integer>
void decode_integer(Decoder& decoder, const json& value, const std::string& path, Integer& out) {
  if (!value.is_number_integer()) {
    return decoder.reject(path, type_mismatch("an integer", value));
  }
  constexpr auto lowest = std::numeric_limits<Integer>::min();
  constexpr auto highest = std::numeric_limits<Integer>::max();
  const bool in_range =
      value.is_number_unsigned()
          ? value.get<std::uint64_t>() <= static_cast<std::uint64_t>(highest)
          : value.get<std::int64_t>() >= lowest && value.get<std::int64_t>() <= highest;
  if (!in_range) {
    return decoder.reject(
        path, fmt::format("{} is out of range (expected {}..{})", value.dump(), lowest, highest));
  }
  out = value.is_number_unsigned() ? static_cast<Integer>(value.get<std::uint64_t>())
                                   : static_cast<Integer>(value.get<std::int64_t>());
}

void decode(Decoder& decoder, const json& value, const std::string& path, int& out) {
  decode_integer(decoder, value, path, out);
}

void decode(Decoder& decoder, const json& value, const std::string& path, std::int64_t& out) {
  decode_integer(decoder, value, path, out);
}

void decode(Decoder& decoder, const json& value, const std::string& path, double& out) {
  if (!value.is_number()) {
    return decoder.reject(path, type_mismatch("a number", value));
  }
  out = value.get<double>();
}

// Reads a string and converts it with `parse`, reporting the parser's message at `path`.
template <typename T, typename Parse>
void decode_parsed(Decoder& decoder, const json& value, const std::string& path, T& out,
                   Parse&& parse) {
  if (!value.is_string()) {
    return decoder.reject(path, type_mismatch("a string", value));
  }
  auto parsed = parse(value.get_ref<const std::string&>());
  if (!parsed.ok()) {
    return decoder.reject(path, parsed.error().message);
  }
  out = std::move(parsed).value();
}

void decode(Decoder& decoder, const json& value, const std::string& path, TimePoint& out) {
  decode_parsed(decoder, value, path, out, [](std::string_view text) { return parse_time(text); });
}

void decode(Decoder& decoder, const json& value, const std::string& path, Date& out) {
  decode_parsed(decoder, value, path, out, [](std::string_view text) { return parse_date(text); });
}

template <typename E>
requires std::is_enum_v<E>
void decode(Decoder& decoder, const json& value, const std::string& path, E& out) {
  decode_parsed(decoder, value, path, out,
                [](std::string_view text) { return parse_enum<E>(text); });
}

template <typename T>
void decode(Decoder& decoder, const json& value, const std::string& path, std::optional<T>& out) {
  T decoded{};
  decode(decoder, value, path, decoded);
  out = std::move(decoded);
}

template <typename T>
void decode(Decoder& decoder, const json& value, const std::string& path, std::vector<T>& out) {
  if (!value.is_array()) {
    return decoder.reject(path, type_mismatch("an array", value));
  }
  out.clear();
  std::size_t index = 0;
  for (const auto& element : value) {
    T decoded{};
    decode(decoder, element, pointer_child(path, index++), decoded);
    if (decoder.failed()) {
      return;
    }
    out.push_back(std::move(decoded));
  }
}

template <Record T>
void decode(Decoder& decoder, const json& value, const std::string& path, T& out) {
  if (!value.is_object()) {
    return decoder.reject(path, type_mismatch("an object", value));
  }
  std::vector<std::string_view> known;
  Fields<T>::each(out, [&known](const char* key, const auto&) { known.emplace_back(key); });
  for (auto member = value.begin(); member != value.end(); ++member) {
    if (std::find(known.begin(), known.end(), member.key()) == known.end()) {
      return decoder.reject(pointer_child(path, member.key()),
                            fmt::format("unknown field (expected one of {})", join(known)));
    }
  }
  Fields<T>::each(out, [&](const char* key, auto& field) {
    if (decoder.failed()) {
      return;
    }
    const auto member = value.find(key);
    if (member != value.end() && !member->is_null()) {
      decode(decoder, *member, pointer_child(path, key), field);
    }
  });
}

template <typename T> Result<T> decode_document(const json& document, std::string_view what) {
  try {
    Decoder decoder;
    T decoded{};
    decode(decoder, document, "", decoded);
    if (decoder.failed()) {
      return fail(ErrorCategory::validation, decoder.problem());
    }
    return decoded;
  } catch (const std::exception& error) {
    return fail(ErrorCategory::validation,
                fmt::format("could not read the {}: {}", what, error.what()));
  }
}

// Finds where a document that failed to parse goes wrong (json::parse without exceptions does not
// say).
class SyntaxErrorLocator final : public nlohmann::json_sax<json> {
public:
  bool null() override { return true; }
  bool boolean(bool) override { return true; }
  bool number_integer(number_integer_t) override { return true; }
  bool number_unsigned(number_unsigned_t) override { return true; }
  bool number_float(number_float_t, const string_t&) override { return true; }
  bool string(string_t&) override { return true; }
  bool binary(binary_t&) override { return true; }
  bool start_object(std::size_t) override { return true; }
  bool key(string_t&) override { return true; }
  bool end_object() override { return true; }
  bool start_array(std::size_t) override { return true; }
  bool end_array() override { return true; }
  bool parse_error(std::size_t position, const std::string&,
                   const json::exception& error) override {
    std::string_view what = error.what();
    // Drop nlohmann's "[json.exception.parse_error.101] " prefix; the rest says what and where.
    if (const auto prefix_end = what.find("] "); prefix_end != std::string_view::npos) {
      what.remove_prefix(prefix_end + 2);
    }
    message_ = fmt::format("not valid JSON at byte {}: {}", position, what);
    return false;
  }
  const std::string& message() const { return message_; }

private:
  std::string message_ = "not valid JSON";
};

std::string syntax_error_message(std::string_view text) {
  SyntaxErrorLocator locator;
  // The result is known to be false: only the located message matters.
  static_cast<void>(json::sax_parse(text, &locator));
  return locator.message();
}

// ---- time
// -------------------------------------------------------------------------------------------------

constexpr std::string_view time_example = "2026-11-22T20:00:00Z";
constexpr std::string_view date_example = "2026-11-22";

// A forward-only reader over fixed-width digit fields and separators.
class Scanner {
public:
  explicit Scanner(std::string_view text) : text_(text) {}
  bool at_end() const { return position_ == text_.size(); }
  bool accept(char expected) {
    if (at_end() || text_[position_] != expected) {
      return false;
    }
    ++position_;
    return true;
  }
  bool accept_any(std::string_view expected, char& found) {
    if (at_end() || expected.find(text_[position_]) == std::string_view::npos) {
      return false;
    }
    found = text_[position_++];
    return true;
  }
  bool next_is_digit() const { return !at_end() && is_digit(text_[position_]); }
  // Exactly `count` ASCII digits.
  bool digits(std::size_t count, int& out) {
    if (text_.size() - position_ < count) {
      return false;
    }
    int value = 0;
    for (std::size_t i = 0; i < count; ++i) {
      const char c = text_[position_ + i];
      if (!is_digit(c)) {
        return false;
      }
      value = value * 10 + (c - '0');
    }
    position_ += count;
    out = value;
    return true;
  }
  char take() { return text_[position_++]; }

private:
  static bool is_digit(char c) { return c >= '0' && c <= '9'; }
  std::string_view text_;
  std::size_t position_ = 0;
};

// Reads YYYY-MM-DD; returns why it is not a calendar date, or nothing.
std::optional<std::string> scan_date(Scanner& in, Date& out) {
  int year_value = 0;
  int month_value = 0;
  int day_value = 0;
  if (!in.digits(4, year_value) || !in.accept('-') || !in.digits(2, month_value) ||
      !in.accept('-') || !in.digits(2, day_value)) {
    return "expected YYYY-MM-DD";
  }
  if (month_value < 1 || month_value > 12) {
    return fmt::format("month {:02} does not exist", month_value);
  }
  const Date date{chrono::year{year_value}, chrono::month{static_cast<unsigned>(month_value)},
                  chrono::day{static_cast<unsigned>(day_value)}};
  if (!date.ok()) {
    return fmt::format("{:04}-{:02} has no day {:02}", year_value, month_value, day_value);
  }
  out = date;
  return std::nullopt;
}

// Reads "hh:mm:ss[.fraction]" and returns why it is not a time of day, or nothing.
std::optional<std::string> scan_time_of_day(Scanner& in, chrono::seconds& whole,
                                            chrono::nanoseconds& fraction) {
  int hour = 0;
  int minute = 0;
  int second = 0;
  if (!in.digits(2, hour) || !in.accept(':') || !in.digits(2, minute) || !in.accept(':') ||
      !in.digits(2, second)) {
    return "expected the time of day as hh:mm:ss after 'T'";
  }
  if (hour > 23) {
    return fmt::format("hour {:02} is out of range 00..23", hour);
  }
  if (minute > 59) {
    return fmt::format("minute {:02} is out of range 00..59", minute);
  }
  if (second > 59) {
    return fmt::format("second {:02} is out of range 00..59 (leap seconds are not supported)",
                       second);
  }
  whole = chrono::hours{hour} + chrono::minutes{minute} + chrono::seconds{second};
  fraction = chrono::nanoseconds{0};
  if (in.accept('.')) {
    if (!in.next_is_digit()) {
      return "expected digits after the decimal point";
    }
    // Digits past nanoseconds are read and dropped.
    std::int64_t scale = 100'000'000;
    while (in.next_is_digit()) {
      fraction += chrono::nanoseconds{(in.take() - '0') * scale};
      scale /= 10;
    }
  }
  return std::nullopt;
}

// Reads "Z" or "±hh:mm" up to the end; returns why it is not a zone, or nothing.
std::optional<std::string> scan_zone(Scanner& in, chrono::minutes& offset) {
  char sign = 0;
  if (in.accept('Z') || in.accept('z')) {
    offset = chrono::minutes{0};
  } else if (in.accept_any("+-", sign)) {
    int hours = 0;
    int minutes = 0;
    if (!in.digits(2, hours) || !in.accept(':') || !in.digits(2, minutes)) {
      return "expected the offset as +hh:mm or -hh:mm";
    }
    if (hours > 23 || minutes > 59) {
      return fmt::format("offset {}{:02}:{:02} is out of range", sign, hours, minutes);
    }
    offset = chrono::hours{hours} + chrono::minutes{minutes};
    if (sign == '-') {
      offset = -offset;
    }
  } else {
    return "expected the time zone: Z for UTC or an offset like +02:00";
  }
  if (!in.at_end()) {
    return "unexpected text after the time zone";
  }
  return std::nullopt;
}

Result<TimePoint> invalid_time(std::string_view text, std::string_view reason) {
  return fail(ErrorCategory::invalid_argument,
              fmt::format("invalid time \"{}\": {}; expected RFC 3339 like {}", text, reason,
                          time_example));
}

} // namespace

// ---- public API
// -------------------------------------------------------------------------------------------

json to_json(const Lead& lead) {
  return encode(lead);
}

std::string to_json_text(const Lead& lead) {
  std::string text;
  text.reserve(2048);
  write(text, lead);
  return text;
}

std::string to_stored_json_text(const Lead& lead) {
  std::string text;
  text.reserve(1024);
  write_stored(text, lead, default_value<Lead>());
  return text;
}

Result<Lead> lead_from_json(const json& document) {
  return decode_document<Lead>(document, "lead");
}

Result<Lead> lead_from_json_text(std::string_view text) {
  // A lead nests a few levels (lists of e-mails, events, enrichment); a document nested 100,000
  // deep would exhaust the stack of the code that walks it (issue 18).
  if (!json_depth_within(text)) {
    return fail(ErrorCategory::validation,
                fmt::format("the lead is JSON nested deeper than {} levels, more than leadsync "
                            "accepts; write one flat lead object",
                            max_json_depth));
  }
  try {
    const json document = json::parse(text, nullptr, false);
    if (document.is_discarded()) {
      return fail(ErrorCategory::validation, syntax_error_message(text));
    }
    return lead_from_json(document);
  } catch (const std::exception& error) {
    return fail(ErrorCategory::validation,
                fmt::format("could not read the lead: {}", error.what()));
  }
}

json to_json(const BehaviourEvent& event) {
  return encode(event);
}

Result<BehaviourEvent> behaviour_event_from_json(const json& document) {
  return decode_document<BehaviourEvent>(document, "behaviour event");
}

std::string_view to_string(LifecycleStage stage) {
  return enum_name(stage);
}
Result<LifecycleStage> parse_lifecycle_stage(std::string_view text) {
  return parse_enum<LifecycleStage>(text);
}
std::string_view to_string(Channel channel) {
  return enum_name(channel);
}
Result<Channel> parse_channel(std::string_view text) {
  return parse_enum<Channel>(text);
}
std::string_view to_string(ListAgeBucket bucket) {
  return enum_name(bucket);
}
std::string_view to_string(BehaviourKind kind) {
  return enum_name(kind);
}
Result<BehaviourKind> parse_behaviour_kind(std::string_view text) {
  return parse_enum<BehaviourKind>(text);
}

std::string format_time(TimePoint time) {
  // Split into days and time of day with integer arithmetic: converting the day's midnight back
  // into clock ticks would overflow near the ends of the clock's range.
  using Ticks = TimePoint::duration;
  constexpr auto ticks_per_day = chrono::duration_cast<Ticks>(chrono::days{1}).count();
  auto day_count = time.time_since_epoch().count() / ticks_per_day;
  auto ticks_into_day = time.time_since_epoch().count() % ticks_per_day;
  if (ticks_into_day < 0) {
    ticks_into_day += ticks_per_day;
    --day_count;
  }
  const chrono::hh_mm_ss clock{Ticks{ticks_into_day}};
  const Date date{chrono::sys_days{chrono::days{day_count}}};
  std::string text = fmt::format("{}T{:02}:{:02}:{:02}", format_date(date), clock.hours().count(),
                                 clock.minutes().count(), clock.seconds().count());
  const auto nanos = chrono::duration_cast<chrono::nanoseconds>(clock.subseconds()).count();
  if (nanos % 1'000'000 == 0) {
    if (nanos != 0) {
      fmt::format_to(std::back_inserter(text), ".{:03}", nanos / 1'000'000);
    }
  } else if (nanos % 1'000 == 0) {
    fmt::format_to(std::back_inserter(text), ".{:06}", nanos / 1'000);
  } else {
    fmt::format_to(std::back_inserter(text), ".{:09}", nanos);
  }
  text += 'Z';
  return text;
}

Result<TimePoint> parse_time(std::string_view text) {
  Scanner in(text);
  Date date;
  if (auto problem = scan_date(in, date)) {
    return invalid_time(text, *problem);
  }
  if (!in.accept('T') && !in.accept('t')) {
    return invalid_time(text, "expected 'T' between the date and the time of day");
  }
  chrono::seconds time_of_day{};
  chrono::nanoseconds fraction{};
  if (auto problem = scan_time_of_day(in, time_of_day, fraction)) {
    return invalid_time(text, *problem);
  }
  chrono::minutes offset{};
  if (auto problem = scan_zone(in, offset)) {
    return invalid_time(text, *problem);
  }
  // Whole seconds first: they cannot overflow for any four-digit year, unlike the clock's own
  // ticks.
  const chrono::sys_seconds utc = chrono::sys_days{date} + time_of_day - offset;
  const auto earliest = chrono::floor<chrono::seconds>(TimePoint::min());
  const auto latest = chrono::floor<chrono::seconds>(TimePoint::max());
  if (utc <= earliest || utc >= latest) {
    return invalid_time(text,
                        fmt::format("outside the representable range {} .. {}",
                                    format_time(TimePoint::min()), format_time(TimePoint::max())));
  }
  return chrono::time_point_cast<TimePoint::duration>(utc) +
         chrono::duration_cast<TimePoint::duration>(fraction);
}

std::string format_date(Date date) {
  return fmt::format("{:04}-{:02}-{:02}", static_cast<int>(date.year()),
                     static_cast<unsigned>(date.month()), static_cast<unsigned>(date.day()));
}

Result<Date> parse_date(std::string_view text) {
  Scanner in(text);
  Date date;
  auto problem = scan_date(in, date);
  if (!problem && !in.at_end()) {
    problem = "unexpected text after the date";
  }
  if (problem) {
    return fail(ErrorCategory::invalid_argument,
                fmt::format("invalid date \"{}\": {}; expected a calendar date like {}", text,
                            *problem, date_example));
  }
  return date;
}

} // namespace leadsync::model
