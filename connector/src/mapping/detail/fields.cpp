#include "detail/fields.hpp"

#include "leadsync/core/text.hpp"
#include "leadsync/model/json.hpp"

#include <algorithm>
#include <array>
#include <utility>

namespace leadsync::mapping::detail {
namespace {

using model::Lead;

// ---- enum names
// ----------------------------------------------------------------------------------------- The
// same snake_case names as the model's JSON (model/json.hpp), which exposes only some of them.

template <typename E> struct EnumNames;

template <> struct EnumNames<model::ContactMethod> {
  static constexpr std::array<std::pair<model::ContactMethod, std::string_view>, 5> table{{
      {model::ContactMethod::any, "any"},
      {model::ContactMethod::email, "email"},
      {model::ContactMethod::phone, "phone"},
      {model::ContactMethod::fax, "fax"},
      {model::ContactMethod::mail, "mail"},
  }};
};

template <> struct EnumNames<model::BudgetStatus> {
  static constexpr std::array<std::pair<model::BudgetStatus, std::string_view>, 4> table{{
      {model::BudgetStatus::no_committed_budget, "no_committed_budget"},
      {model::BudgetStatus::may_buy, "may_buy"},
      {model::BudgetStatus::can_buy, "can_buy"},
      {model::BudgetStatus::will_buy, "will_buy"},
  }};
};

template <> struct EnumNames<model::Need> {
  static constexpr std::array<std::pair<model::Need, std::string_view>, 4> table{{
      {model::Need::must_have, "must_have"},
      {model::Need::should_have, "should_have"},
      {model::Need::good_to_have, "good_to_have"},
      {model::Need::no_need, "no_need"},
  }};
};

template <> struct EnumNames<model::PurchaseTimeframe> {
  static constexpr std::array<std::pair<model::PurchaseTimeframe, std::string_view>, 5> table{{
      {model::PurchaseTimeframe::immediate, "immediate"},
      {model::PurchaseTimeframe::this_quarter, "this_quarter"},
      {model::PurchaseTimeframe::next_quarter, "next_quarter"},
      {model::PurchaseTimeframe::this_year, "this_year"},
      {model::PurchaseTimeframe::unknown, "unknown"},
  }};
};

template <> struct EnumNames<model::PurchaseProcess> {
  static constexpr std::array<std::pair<model::PurchaseProcess, std::string_view>, 3> table{{
      {model::PurchaseProcess::individual, "individual"},
      {model::PurchaseProcess::committee, "committee"},
      {model::PurchaseProcess::unknown, "unknown"},
  }};
};

// Channel and LifecycleStage names come from the model itself; the tables list every value once.
template <> struct EnumNames<model::Channel> {
  static constexpr std::array<model::Channel, 14> values{
      model::Channel::advertisement,     model::Channel::trade_show,
      model::Channel::seminar,           model::Channel::web,
      model::Channel::employee_referral, model::Channel::external_referral,
      model::Channel::partner,           model::Channel::public_relations,
      model::Channel::word_of_mouth,     model::Channel::social_campaign,
      model::Channel::direct_mail,       model::Channel::cold_call,
      model::Channel::purchased_list,    model::Channel::other};
};

template <> struct EnumNames<model::LifecycleStage> {
  static constexpr std::array<model::LifecycleStage, 8> values = model::all_lifecycle_stages;
};

template <typename E> constexpr bool named_by_model = requires {
  EnumNames<E>::values;
};

template <typename E> std::string_view enum_name(E value) {
  if constexpr (named_by_model<E>) {
    return model::to_string(value);
  } else {
    for (const auto& [candidate, name] : EnumNames<E>::table) {
      if (candidate == value) {
        return name;
      }
    }
    return {};
  }
}

template <typename E> std::vector<std::string_view> enum_names() {
  std::vector<std::string_view> names;
  if constexpr (named_by_model<E>) {
    for (const auto value : EnumNames<E>::values) {
      names.push_back(model::to_string(value));
    }
  } else {
    for (const auto& entry : EnumNames<E>::table) {
      names.push_back(entry.second);
    }
  }
  return names;
}

template <typename E> Result<E> parse_enum(std::string_view path, std::string_view text) {
  if constexpr (named_by_model<E>) {
    for (const auto value : EnumNames<E>::values) {
      if (model::to_string(value) == text) {
        return value;
      }
    }
  } else {
    for (const auto& [value, name] : EnumNames<E>::table) {
      if (name == text) {
        return value;
      }
    }
  }
  return fail(ErrorCategory::validation, std::string(path) + ": '" + std::string(text) +
                                             "' is not one of " +
                                             text::join(enum_names<E>(), ", "));
}

// ---- field builders
// ------------------------------------------------------------------------------------- `access` is
// a generic lambda returning a reference to the member, for a const and a mutable lead.

template <typename Access> FieldDef text_field(std::string_view path, Access access) {
  FieldDef def{path, ValueKind::text, Role::plain, {}, {}, {}};
  def.get = [access](const Lead& lead, const ReadContext&) -> MaybeValue {
    const std::string& text = access(lead);
    return text.empty() ? MaybeValue() : MaybeValue(Value(text));
  };
  def.set = [access](Lead& lead, const MaybeValue& value) -> Status {
    access(lead) = value ? std::get<std::string>(*value) : std::string();
    return ok_status();
  };
  return def;
}

// A plain value (bool, double) that is never empty: an empty CRM value resets it to its default.
template <typename T, typename Access>
FieldDef value_field(std::string_view path, ValueKind kind, Access access) {
  FieldDef def{path, kind, Role::plain, {}, {}, {}};
  def.get = [access](const Lead& lead, const ReadContext&) -> MaybeValue {
    return Value(static_cast<T>(access(lead)));
  };
  def.set = [access](Lead& lead, const MaybeValue& value) -> Status {
    access(lead) = value ? std::get<T>(*value) : T{};
    return ok_status();
  };
  return def;
}

template <typename T, typename Access>
FieldDef optional_field(std::string_view path, ValueKind kind, Access access) {
  FieldDef def{path, kind, Role::plain, {}, {}, {}};
  def.get = [access](const Lead& lead, const ReadContext&) -> MaybeValue {
    const auto& field = access(lead);
    return field ? MaybeValue(Value(static_cast<T>(*field))) : MaybeValue();
  };
  def.set = [access](Lead& lead, const MaybeValue& value) -> Status {
    auto& field = access(lead);
    if (value) {
      field = std::get<T>(*value);
    } else {
      field.reset();
    }
    return ok_status();
  };
  return def;
}

template <typename E, typename Access> FieldDef enum_field(std::string_view path, Access access) {
  FieldDef def{path, ValueKind::enum_name, Role::plain, enum_names<E>(), {}, {}};
  def.get = [access](const Lead& lead, const ReadContext&) -> MaybeValue {
    return Value(std::string(enum_name<E>(access(lead))));
  };
  def.set = [path, access](Lead& lead, const MaybeValue& value) -> Status {
    if (!value) {
      access(lead) = E{};
      return ok_status();
    }
    LEADSYNC_TRY(const E parsed, parse_enum<E>(path, std::get<std::string>(*value)));
    access(lead) = parsed;
    return ok_status();
  };
  return def;
}

template <typename E, typename Access>
FieldDef optional_enum_field(std::string_view path, Access access) {
  FieldDef def{path, ValueKind::enum_name, Role::plain, enum_names<E>(), {}, {}};
  def.get = [access](const Lead& lead, const ReadContext&) -> MaybeValue {
    const auto& field = access(lead);
    return field ? MaybeValue(Value(std::string(enum_name<E>(*field)))) : MaybeValue();
  };
  def.set = [path, access](Lead& lead, const MaybeValue& value) -> Status {
    if (!value) {
      access(lead).reset();
      return ok_status();
    }
    LEADSYNC_TRY(const E parsed, parse_enum<E>(path, std::get<std::string>(*value)));
    access(lead) = parsed;
    return ok_status();
  };
  return def;
}

FieldDef email_field(std::string_view path, std::size_t index) {
  FieldDef def{path, ValueKind::text, Role::plain, {}, {}, {}};
  def.get = [index](const Lead& lead, const ReadContext&) -> MaybeValue {
    const auto& emails = lead.person.emails;
    if (index >= emails.size() || emails[index].empty()) {
      return std::nullopt;
    }
    return Value(emails[index]);
  };
  // Leaves an empty slot when the CRM has e-mail 2 but not e-mail 1; from_dataverse closes the
  // gaps.
  def.set = [index](Lead& lead, const MaybeValue& value) -> Status {
    auto& emails = lead.person.emails;
    if (index >= emails.size()) {
      if (!value) {
        return ok_status();
      }
      emails.resize(index + 1);
    }
    emails[index] = value ? std::get<std::string>(*value) : std::string();
    return ok_status();
  };
  return def;
}

constexpr std::string_view extension_mark = " ext. ";

// "+4930123456 ext. 12": the E.164 form when we have it, else the text as received.
FieldDef phone_field(std::string_view path, model::PhoneKind kind) {
  FieldDef def{path, ValueKind::text, Role::plain, {}, {}, {}};
  def.get = [kind](const Lead& lead, const ReadContext&) -> MaybeValue {
    for (const auto& phone : lead.person.phones) {
      if (phone.kind != kind) {
        continue;
      }
      std::string text = phone.e164.empty() ? phone.raw : phone.e164;
      if (text.empty()) {
        return std::nullopt;
      }
      if (!phone.extension.empty()) {
        text += std::string(extension_mark) + phone.extension;
      }
      return Value(std::move(text));
    }
    return std::nullopt;
  };
  def.set = [kind](Lead& lead, const MaybeValue& value) -> Status {
    auto& phones = lead.person.phones;
    auto slot = std::find_if(phones.begin(), phones.end(),
                             [kind](const model::Phone& phone) { return phone.kind == kind; });
    if (!value) {
      if (slot != phones.end()) {
        phones.erase(slot);
      }
      return ok_status();
    }
    const auto& text = std::get<std::string>(*value);
    model::Phone phone;
    phone.kind = kind;
    const auto mark = text.rfind(extension_mark);
    phone.raw = text.substr(0, mark);
    if (mark != std::string::npos) {
      phone.extension = text.substr(mark + extension_mark.size());
    }
    const bool looks_e164 = phone.raw.size() >= 8 && phone.raw.size() <= 16 &&
                            phone.raw[0] == '+' &&
                            std::all_of(phone.raw.begin() + 1, phone.raw.end(),
                                        [](char c) { return c >= '0' && c <= '9'; });
    if (looks_e164) {
      phone.e164 = phone.raw;
    }
    if (slot != phones.end()) {
      *slot = std::move(phone);
    } else {
      phones.push_back(std::move(phone));
    }
    return ok_status();
  };
  return def;
}

// A value computed from other fields: written to the CRM, never read back.
FieldDef derived_field(std::string_view path, ValueKind kind,
                       std::function<MaybeValue(const Lead&, const ReadContext&)> get) {
  return FieldDef{path, kind, Role::derived, {}, std::move(get), {}};
}

const model::ListProvenance* newest_list(const Lead& lead) {
  return lead.origin.lists.empty() ? nullptr : &lead.origin.lists.back();
}

MaybeValue text_or_empty(const std::string& text) {
  return text.empty() ? MaybeValue() : MaybeValue(Value(text));
}

bool scored(const Lead& lead) {
  const auto& scores = lead.qualification.scores;
  return !lead.qualification.fired_rules.empty() || scores != model::Scores{};
}

// The option (by internal name) of the highest band whose lowest score the total reaches.
MaybeValue lead_quality(const Lead& lead, const ReadContext& context) {
  // The qualification rules decide the rating from the grade (mappings/scoring.toml); the score
  // bands below are for leads scored before that, or by a list that came with scores.
  switch (lead.qualification.quality_code) {
  case 1:
    return Value(std::string("hot"));
  case 2:
    return Value(std::string("warm"));
  case 3:
    return Value(std::string("cold"));
  default:
    break;
  }
  if (!scored(lead)) {
    return std::nullopt;
  }
  const double total = lead.qualification.scores.total;
  const std::string* best = nullptr;
  double best_floor = 0;
  for (const auto& [name, floor] : context.entry.score_bands) {
    if (total >= floor && (best == nullptr || floor > best_floor)) {
      best = &name;
      best_floor = floor;
    }
  }
  return best ? MaybeValue(Value(*best)) : MaybeValue();
}

std::vector<FieldDef> build_field_defs() {
  using model::PhoneKind;
  std::vector<FieldDef> defs;
  auto key = text_field(
      "identity.id", [](auto& lead) -> auto& { return lead.identity.id; });
  key.role = Role::key;
  defs.push_back(std::move(key));

  defs.push_back(text_field(
      "person.first_name", [](auto& lead) -> auto& { return lead.person.first_name; }));
  defs.push_back(text_field(
      "person.middle_name", [](auto& lead) -> auto& { return lead.person.middle_name; }));
  defs.push_back(text_field(
      "person.last_name", [](auto& lead) -> auto& { return lead.person.last_name; }));
  defs.push_back(text_field(
      "person.job_title", [](auto& lead) -> auto& { return lead.person.job_title; }));
  defs.push_back(text_field(
      "person.seniority", [](auto& lead) -> auto& { return lead.person.seniority; }));
  defs.push_back(email_field("person.emails[0]", 0));
  defs.push_back(email_field("person.emails[1]", 1));
  defs.push_back(email_field("person.emails[2]", 2));
  // What the e-mail and phone columns leave out (a lead keeps every address and number it ever
  // received): e-mails past the third and phones past the first of each kind, "; "-separated.
  defs.push_back(derived_field(
      "person.other_contacts", ValueKind::text, [](const Lead& lead, const ReadContext&) {
        std::string text;
        const auto add = [&text](const std::string& value) {
          text += (text.empty() ? "" : "; ") + value;
        };
        for (std::size_t i = 3; i < lead.person.emails.size(); ++i) {
          add(lead.person.emails[i]);
        }
        std::vector<PhoneKind> kinds_sent;
        for (const auto& phone : lead.person.phones) {
          if (std::find(kinds_sent.begin(), kinds_sent.end(), phone.kind) == kinds_sent.end()) {
            kinds_sent.push_back(phone.kind);
            continue;
          }
          add(phone.e164.empty() ? phone.raw : phone.e164);
        }
        return text_or_empty(text);
      }));
  defs.push_back(phone_field("person.phones.business", PhoneKind::business));
  defs.push_back(phone_field("person.phones.mobile", PhoneKind::mobile));
  defs.push_back(phone_field("person.phones.home", PhoneKind::home));
  defs.push_back(phone_field("person.phones.other", PhoneKind::other));
  defs.push_back(optional_enum_field<model::ContactMethod>(
      "person.preferred_contact_method",
      [](auto& lead) -> auto& { return lead.person.preferred_contact_method; }));
  defs.push_back(text_field(
      "person.language", [](auto& lead) -> auto& { return lead.person.language; }));

  defs.push_back(text_field(
      "company.name", [](auto& lead) -> auto& { return lead.company.name; }));
  defs.push_back(text_field(
      "company.website", [](auto& lead) -> auto& { return lead.company.website; }));
  defs.push_back(text_field(
      "company.industry", [](auto& lead) -> auto& { return lead.company.industry; }));
  defs.push_back(optional_field<std::int64_t>(
      "company.employee_count", ValueKind::integer,
      [](auto& lead) -> auto& { return lead.company.employee_count; }));
  defs.push_back(optional_field<double>(
      "company.annual_revenue", ValueKind::number,
      [](auto& lead) -> auto& { return lead.company.annual_revenue; }));
  defs.push_back(text_field(
      "company.address.line1", [](auto& lead) -> auto& { return lead.company.address.line1; }));
  defs.push_back(text_field(
      "company.address.line2", [](auto& lead) -> auto& { return lead.company.address.line2; }));
  defs.push_back(text_field(
      "company.address.city", [](auto& lead) -> auto& { return lead.company.address.city; }));
  defs.push_back(text_field(
      "company.address.state_or_province",
      [](auto& lead) -> auto& { return lead.company.address.state_or_province; }));
  defs.push_back(text_field(
      "company.address.postal_code",
      [](auto& lead) -> auto& { return lead.company.address.postal_code; }));
  defs.push_back(text_field(
      "company.address.country", [](auto& lead) -> auto& { return lead.company.address.country; }));

  defs.push_back(enum_field<model::Channel>(
      "origin.channel", [](auto& lead) -> auto& { return lead.origin.channel; }));
  defs.push_back(text_field(
      "origin.campaign", [](auto& lead) -> auto& { return lead.origin.campaign; }));
  defs.push_back(text_field(
      "origin.lead_magnet", [](auto& lead) -> auto& { return lead.origin.lead_magnet; }));
  defs.push_back(derived_field("origin.newest_list.vendor", ValueKind::text,
                               [](const Lead& lead, const ReadContext&) {
                                 const auto* list = newest_list(lead);
                                 return list ? text_or_empty(list->vendor) : MaybeValue();
                               }));
  defs.push_back(derived_field("origin.newest_list.list_id", ValueKind::text,
                               [](const Lead& lead, const ReadContext&) {
                                 const auto* list = newest_list(lead);
                                 return list ? text_or_empty(list->list_id) : MaybeValue();
                               }));
  defs.push_back(derived_field("origin.newest_list.exclusive", ValueKind::boolean,
                               [](const Lead& lead, const ReadContext&) {
                                 const auto* list = newest_list(lead);
                                 return list ? MaybeValue(Value(list->exclusive)) : MaybeValue();
                               }));
  defs.push_back(derived_field(
      "origin.newest_list.acquired_on", ValueKind::date, [](const Lead& lead, const ReadContext&) {
        const auto* list = newest_list(lead);
        return list && list->acquired_on ? MaybeValue(Value(*list->acquired_on)) : MaybeValue();
      }));
  defs.push_back(derived_field(
      "origin.list_count", ValueKind::integer, [](const Lead& lead, const ReadContext&) {
        return MaybeValue(Value(std::int64_t{model::list_count(lead.origin)}));
      }));
  defs.push_back(derived_field(
      "origin.list_age_bucket", ValueKind::text, [](const Lead& lead, const ReadContext& context) {
        const auto bucket = model::list_age_bucket(lead.origin, context.today);
        return bucket == model::ListAgeBucket::unknown
                   ? MaybeValue()
                   : MaybeValue(Value(std::string(model::to_string(bucket))));
      }));

  defs.push_back(value_field<bool>(
      "consent.do_not_email", ValueKind::boolean,
      [](auto& lead) -> auto& { return lead.consent.do_not_email; }));
  defs.push_back(value_field<bool>(
      "consent.do_not_phone", ValueKind::boolean,
      [](auto& lead) -> auto& { return lead.consent.do_not_phone; }));
  defs.push_back(value_field<bool>(
      "consent.do_not_bulk_email", ValueKind::boolean,
      [](auto& lead) -> auto& { return lead.consent.do_not_bulk_email; }));
  defs.push_back(value_field<bool>(
      "consent.do_not_postal_mail", ValueKind::boolean,
      [](auto& lead) -> auto& { return lead.consent.do_not_postal_mail; }));

  defs.push_back(enum_field<model::LifecycleStage>(
      "qualification.stage", [](auto& lead) -> auto& { return lead.qualification.stage; }));
  defs.push_back(optional_field<double>(
      "qualification.bant.budget_amount", ValueKind::number,
      [](auto& lead) -> auto& { return lead.qualification.bant.budget_amount; }));
  defs.push_back(optional_enum_field<model::BudgetStatus>(
      "qualification.bant.budget_status",
      [](auto& lead) -> auto& { return lead.qualification.bant.budget_status; }));
  defs.push_back(optional_field<bool>(
      "qualification.bant.decision_maker", ValueKind::boolean,
      [](auto& lead) -> auto& { return lead.qualification.bant.decision_maker; }));
  defs.push_back(optional_enum_field<model::Need>(
      "qualification.bant.need", [](auto& lead) -> auto& { return lead.qualification.bant.need; }));
  defs.push_back(optional_enum_field<model::PurchaseTimeframe>(
      "qualification.bant.purchase_timeframe",
      [](auto& lead) -> auto& { return lead.qualification.bant.purchase_timeframe; }));
  defs.push_back(optional_enum_field<model::PurchaseProcess>(
      "qualification.bant.purchase_process",
      [](auto& lead) -> auto& { return lead.qualification.bant.purchase_process; }));
  defs.push_back(value_field<double>(
      "qualification.scores.fit", ValueKind::number,
      [](auto& lead) -> auto& { return lead.qualification.scores.fit; }));
  defs.push_back(value_field<double>(
      "qualification.scores.engagement", ValueKind::number,
      [](auto& lead) -> auto& { return lead.qualification.scores.engagement; }));
  defs.push_back(value_field<double>(
      "qualification.scores.data_quality", ValueKind::number,
      [](auto& lead) -> auto& { return lead.qualification.scores.data_quality; }));
  defs.push_back(value_field<double>(
      "qualification.scores.total", ValueKind::number,
      [](auto& lead) -> auto& { return lead.qualification.scores.total; }));
  defs.push_back(text_field(
      "qualification.grade", [](auto& lead) -> auto& { return lead.qualification.grade; }));
  defs.push_back(text_field(
      "qualification.reason_text",
      [](auto& lead) -> auto& { return lead.qualification.reason_text; }));
  defs.push_back(FieldDef{"qualification.lead_quality",
                          ValueKind::enum_name,
                          Role::lead_quality,
                          {},
                          lead_quality,
                          {}});
  defs.push_back(FieldDef{"qualification.crm_state",
                          ValueKind::enum_name,
                          Role::crm_state,
                          {state_open, state_qualified, state_disqualified},
                          {},
                          {}});
  defs.push_back(
      FieldDef{"qualification.crm_status", ValueKind::integer, Role::crm_status, {}, {}, {}});

  defs.push_back(text_field(
      "subject", [](auto& lead) -> auto& { return lead.subject; }));
  defs.push_back(text_field(
      "description", [](auto& lead) -> auto& { return lead.description; }));

  defs.push_back(text_field(
      "social.linkedin_url", [](auto& lead) -> auto& { return lead.social.linkedin_url; }));
  defs.push_back(text_field(
      "social.x_handle", [](auto& lead) -> auto& { return lead.social.x_handle; }));
  defs.push_back(text_field(
      "social.github_url", [](auto& lead) -> auto& { return lead.social.github_url; }));
  defs.push_back(text_field(
      "social.facebook_url", [](auto& lead) -> auto& { return lead.social.facebook_url; }));
  defs.push_back(text_field(
      "social.bio", [](auto& lead) -> auto& { return lead.social.bio; }));
  defs.push_back(text_field(
      "social.location", [](auto& lead) -> auto& { return lead.social.location; }));
  defs.push_back(text_field(
      "social.blog", [](auto& lead) -> auto& { return lead.social.blog; }));
  defs.push_back(derived_field(
      "enrichment.sources", ValueKind::text, [](const Lead& lead, const ReadContext&) {
        std::vector<std::string> providers;
        for (const auto& field : lead.enrichment) {
          if (!field.provider.empty() &&
              std::find(providers.begin(), providers.end(), field.provider) == providers.end()) {
            providers.push_back(field.provider);
          }
        }
        return text_or_empty(text::join(providers, ", "));
      }));
  defs.push_back(derived_field(
      "enrichment.last_fetched_at", ValueKind::date_time, [](const Lead& lead, const ReadContext&) {
        MaybeValue latest;
        for (const auto& field : lead.enrichment) {
          if (field.fetched_at &&
              (!latest || *field.fetched_at > std::get<model::TimePoint>(*latest))) {
            latest = Value(*field.fetched_at);
          }
        }
        return latest;
      }));
  return defs;
}

} // namespace

const std::vector<FieldDef>& field_defs() {
  static const std::vector<FieldDef> defs = build_field_defs();
  return defs;
}

const FieldDef* find_field_def(std::string_view path) {
  for (const auto& def : field_defs()) {
    if (def.path == path) {
      return &def;
    }
  }
  return nullptr;
}

std::string_view to_string(ValueKind kind) {
  switch (kind) {
  case ValueKind::text:
    return "text";
  case ValueKind::integer:
    return "whole number";
  case ValueKind::number:
    return "number";
  case ValueKind::boolean:
    return "yes/no value";
  case ValueKind::date:
    return "date";
  case ValueKind::date_time:
    return "date and time";
  case ValueKind::enum_name:
    return "choice";
  }
  return "value";
}

} // namespace leadsync::mapping::detail
