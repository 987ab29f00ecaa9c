#include "leadsync/mapping/convert.hpp"

#include "detail/codec.hpp"
#include "detail/fields.hpp"
#include "detail/text.hpp"
#include "leadsync/core/text.hpp"
#include "leadsync/model/json.hpp"

#include <algorithm>
#include <cctype>

namespace leadsync::mapping {
namespace {

using detail::FieldDef;
using detail::MaybeValue;
using detail::Role;
using Json = nlohmann::json;

// Characters Dataverse cannot take in an alternate key value used in a URL.
constexpr std::string_view key_forbidden = "/<>*%&:\\?+";

const FieldDef& def_of(const FieldMapping& entry) {
  // A loaded mapping names known fields only (the loader refuses others).
  return *detail::find_field_def(entry.field);
}

std::vector<std::string> key_problems(const FieldMapping& key, const std::string& id) {
  std::vector<std::string> problems;
  if (id.empty()) {
    problems.push_back("identity.id -> " + key.column +
                       ": the lead has no id; save it in the store before pushing");
    return problems;
  }
  const auto length = detail::code_points(id).value_or(id.size());
  if (key.max_length && length > static_cast<std::size_t>(*key.max_length)) {
    problems.push_back("identity.id -> " + key.column + ": " + std::to_string(length) +
                       " characters, the key column holds " + std::to_string(*key.max_length));
  }
  if (const auto bad = id.find_first_of(key_forbidden); bad != std::string::npos) {
    problems.push_back("identity.id -> " + key.column + ": contains '" + id[bad] +
                       "', which Dataverse cannot take in an alternate key");
  }
  return problems;
}

} // namespace

Result<MappedRow> to_dataverse(const model::Lead& lead, const LeadMapping& mapping,
                               LookupResolver& lookups, const PushRules& rules) {
  MappedRow row;
  const FieldMapping& key = mapping.key();
  row.key_column = key.column;
  row.key_value = lead.identity.id;
  std::vector<std::string> rejections = key_problems(key, lead.identity.id);
  for (const auto& entry : mapping.fields) {
    const FieldDef& def = def_of(entry);
    if (!entry.pushed() || def.role == Role::key || rules.crm_owned.contains(entry.field)) {
      continue;
    }
    const MaybeValue value = def.get(lead, detail::ReadContext{rules.today, entry});
    auto encoded = detail::encode_field(def, entry, value, mapping, lookups);
    if (!encoded) {
      if (encoded.error().category != ErrorCategory::validation) {
        return encoded.error();
      }
      rejections.push_back(encoded.error().message);
      continue;
    }
    if (!*encoded) {
      continue;
    }
    auto& column = **encoded;
    if (!column.warning.empty()) {
      row.warnings.push_back(std::move(column.warning));
    }
    row.body[column.property] = std::move(column.value);
  }
  if (!rejections.empty()) {
    return fail(ErrorCategory::validation,
                "lead " +
                    (lead.identity.id.empty() ? std::string("without id") : lead.identity.id) +
                    " cannot be written to the CRM:\n  " + text::join(rejections, "\n  "));
  }
  return row;
}

namespace {

// Whether our value and the CRM's would be written identically, so taking the CRM's changes
// nothing.
Result<bool> same_in_crm(const FieldDef& def, const FieldMapping& entry, const MaybeValue& ours,
                         const MaybeValue& theirs, const LeadMapping& mapping,
                         LookupResolver& lookups) {
  auto encode = [&](const MaybeValue& value) {
    return detail::encode_field(def, entry, value, mapping, lookups);
  };
  auto our_form = encode(ours);
  auto their_form = encode(theirs);
  for (const auto* form : {&our_form, &their_form}) {
    if (!*form && form->error().category != ErrorCategory::validation) {
      return form->error();
    }
  }
  if (!our_form || !their_form) {
    return false;
  }
  const auto& a = *our_form;
  const auto& b = *their_form;
  return a.has_value() == b.has_value() && (!a || a->value == b->value);
}

// "123" from versionnumber, or from an ETag W/"123".
std::string row_version(const Json& row) {
  if (const auto version = row.find("versionnumber"); version != row.end()) {
    if (version->is_number_integer()) {
      return std::to_string(version->get<std::int64_t>());
    }
    if (version->is_string()) {
      return version->get<std::string>();
    }
  }
  if (const auto etag = row.find("@odata.etag"); etag != row.end() && etag->is_string()) {
    std::string text = etag->get<std::string>();
    std::erase_if(text, [](char c) { return !std::isdigit(static_cast<unsigned char>(c)); });
    return text;
  }
  return {};
}

struct CrmState {
  std::string state; // internal name of the statecode option: open, qualified, disqualified
  int status = 0;
  std::string status_label;
};

Result<std::optional<CrmState>> read_state(const Json& row, const LeadMapping& mapping,
                                           LookupResolver& lookups) {
  const FieldMapping* state_entry = mapping.find_field("qualification.crm_state");
  if (state_entry == nullptr || !row.contains(state_entry->column) ||
      row.at(state_entry->column).is_null()) {
    return std::optional<CrmState>();
  }
  CrmState state;
  LEADSYNC_TRY(const auto state_value,
               detail::decode_field(def_of(*state_entry), *state_entry, row, mapping, lookups));
  state.state = std::get<std::string>(*state_value);
  const FieldMapping* status_entry = mapping.find_field("qualification.crm_status");
  if (status_entry != nullptr && row.contains(status_entry->column)) {
    LEADSYNC_TRY(const auto status_value,
                 detail::decode_field(def_of(*status_entry), *status_entry, row, mapping, lookups));
    if (status_value) {
      state.status = static_cast<int>(std::get<std::int64_t>(*status_value));
      const OptionSet* statuses = mapping.find_option_set(status_entry->option_set);
      state.status_label = statuses->find_value(state.status)->label;
    }
  }
  return std::optional(std::move(state));
}

std::string modified_by(const Json& row) {
  for (const auto& property :
       {std::string("_modifiedby_value") + std::string(detail::formatted_value),
        std::string("_modifiedby_value")}) {
    if (const auto found = row.find(property); found != row.end() && found->is_string()) {
      return "crm:" + found->get<std::string>();
    }
  }
  return "crm";
}

Result<std::optional<model::TimePoint>> modified_on(const Json& row) {
  const auto found = row.find("modifiedon");
  if (found == row.end() || found->is_null()) {
    return std::optional<model::TimePoint>();
  }
  auto time = found->is_string() ? model::parse_time(found->get<std::string>())
                                 : Result<model::TimePoint>(Error());
  if (!time) {
    return fail(ErrorCategory::protocol,
                "the CRM sent " + found->dump() + " for modifiedon, expected an RFC 3339 time");
  }
  return std::optional(*time);
}

// Records what the CRM's statecode/statuscode say happened to the lead.
Status apply_state(model::Lead& lead, const CrmState& crm, const Json& row) {
  using model::LifecycleStage;
  using model::OutcomeKind;
  auto& qualification = lead.qualification;
  const bool closed = qualification.stage == LifecycleStage::qualified ||
                      qualification.stage == LifecycleStage::disqualified;
  OutcomeKind seen = OutcomeKind::none;
  if (crm.state == detail::state_qualified) {
    seen = OutcomeKind::qualify;
    qualification.stage = LifecycleStage::qualified;
  } else if (crm.state == detail::state_disqualified) {
    seen = OutcomeKind::disqualify;
    qualification.stage = LifecycleStage::disqualified;
  } else if (closed) {
    seen = OutcomeKind::reactivate;
    qualification.stage = LifecycleStage::new_lead;
    lead.is_new = true; // open again: enrichment and scoring look at it afresh
  }
  if (seen == OutcomeKind::none) {
    return ok_status();
  }
  LEADSYNC_TRY(const auto when, modified_on(row));
  auto& outcome = qualification.outcome;
  const bool ours = outcome.kind == seen && (outcome.status_code <= 0 || crm.status == 0 ||
                                             outcome.status_code == crm.status);
  if (ours) {
    outcome.pushed = true;
    if (!outcome.pushed_at) {
      outcome.pushed_at = when;
    }
    if (outcome.status_code <= 0) {
      outcome.status_code = crm.status;
    }
    return ok_status();
  }
  model::Outcome decided;
  decided.kind = seen;
  decided.status_code = crm.status;
  decided.reason = crm.status_label;
  decided.decided_by = modified_by(row);
  decided.decided_at = when;
  decided.pushed = true;
  decided.pushed_at = when;
  outcome = std::move(decided);
  return ok_status();
}

} // namespace

Result<model::Lead> from_dataverse(const Json& row, const LeadMapping& mapping,
                                   LookupResolver& lookups, const model::Lead* existing,
                                   const FieldSet& crm_owned) {
  if (!row.is_object()) {
    return fail(ErrorCategory::protocol, "a lead row must be a JSON object, got " + row.dump());
  }
  model::Lead lead = existing != nullptr ? *existing : model::Lead{};
  for (const auto& entry : mapping.fields) {
    const FieldDef& def = def_of(entry);
    if (!entry.pulled() || !def.set || def.role == Role::key ||
        !row.contains(entry.read_property())) {
      continue; // push-only, read below (key, state), or not selected
    }
    const bool ours_mastered =
        entry.direction == Direction::both && !crm_owned.contains(entry.field);
    if (existing != nullptr && ours_mastered) {
      continue;
    }
    LEADSYNC_TRY(const MaybeValue theirs, detail::decode_field(def, entry, row, mapping, lookups));
    if (existing != nullptr) {
      // Today only is needed by derived fields, which are never pulled.
      const MaybeValue ours = def.get(*existing, detail::ReadContext{model::Date{}, entry});
      LEADSYNC_TRY(const bool same, same_in_crm(def, entry, ours, theirs, mapping, lookups));
      if (same) {
        continue;
      }
    }
    LEADSYNC_CHECK(def.set(lead, theirs));
  }
  std::erase(lead.person.emails, std::string());

  if (const auto id = row.find("leadid"); id != row.end() && id->is_string()) {
    lead.identity.crm_id = id->get<std::string>();
  }
  if (auto version = row_version(row); !version.empty()) {
    lead.identity.crm_version = std::move(version);
  }
  const FieldMapping& key = mapping.key();
  if (const auto value = row.find(key.column); value != row.end() && value->is_string()) {
    const auto id = value->get<std::string>();
    if (!lead.identity.id.empty() && lead.identity.id != id) {
      return fail(ErrorCategory::invalid_argument,
                  "the CRM row with " + key.column + " '" + id + "' was merged onto lead " +
                      lead.identity.id + ": look leads up by the key column before merging");
    }
    lead.identity.id = id;
  }
  LEADSYNC_TRY(const auto state, read_state(row, mapping, lookups));
  if (state) {
    LEADSYNC_CHECK(apply_state(lead, *state, row));
  }
  return lead;
}

std::vector<std::string> select_columns(const LeadMapping& mapping) {
  std::vector<std::string> columns{"leadid", "versionnumber"};
  auto add = [&columns](std::string column) {
    if (std::find(columns.begin(), columns.end(), column) == columns.end()) {
      columns.push_back(std::move(column));
    }
  };
  for (const auto& entry : mapping.fields) {
    if (entry.pulled()) {
      add(entry.read_property());
    }
  }
  if (mapping.find_field("qualification.crm_state") != nullptr) {
    add("modifiedon");
    add("_modifiedby_value");
  }
  return columns;
}

} // namespace leadsync::mapping
