#pragma once
// The internal lead fields a mapping entry can name: how to read each from a lead (push) and write
// it into one (pull). Values travel in the field's natural kind; the column type decides the JSON
// form.

#include "leadsync/core/result.hpp"
#include "leadsync/mapping/lead_mapping.hpp"
#include "leadsync/model/lead.hpp"

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace leadsync::mapping::detail {

enum class ValueKind {
  text,      // std::string
  integer,   // std::int64_t
  number,    // double
  boolean,   // bool
  date,      // model::Date
  date_time, // model::TimePoint
  enum_name, // std::string: the model's snake_case name, e.g. "trade_show"
};

using Value = std::variant<std::string, std::int64_t, double, bool, model::Date, model::TimePoint>;
using MaybeValue = std::optional<Value>; // nullopt: the field is empty

enum class Role {
  plain,
  key,          // identity.id: the alternate key value
  derived,      // computed from other fields: push only
  crm_state,    // statecode: pull only, handled with the status
  crm_status,   // statuscode: pull only
  lead_quality, // derived from the total score through the entry's score_bands
};

struct ReadContext {
  model::Date today;
  const FieldMapping& entry;
};

struct FieldDef {
  std::string_view path;
  ValueKind kind = ValueKind::text;
  Role role = Role::plain;
  std::vector<std::string_view> enum_names; // enum_name: every name the model has
  std::function<MaybeValue(const model::Lead&, const ReadContext&)> get;
  std::function<Status(model::Lead&, const MaybeValue&)> set; // empty for push-only roles
};

const std::vector<FieldDef>& field_defs();
const FieldDef* find_field_def(std::string_view path);

std::string_view to_string(ValueKind kind); // "text", "whole number", ...

// The names statecode's options must carry (internal) for the pull side to read states.
inline constexpr std::string_view state_open = "open";
inline constexpr std::string_view state_qualified = "qualified";
inline constexpr std::string_view state_disqualified = "disqualified";

} // namespace leadsync::mapping::detail
