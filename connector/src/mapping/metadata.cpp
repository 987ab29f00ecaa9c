#include "leadsync/mapping/metadata.hpp"

#include "detail/text.hpp"

#include <algorithm>

namespace leadsync::mapping {
namespace {

constexpr std::string_view lead_entity = "lead";

// The AttributeType names a column of each mapping type may have in the CRM; the first is the one
// to create.
std::vector<std::string_view> crm_types(const FieldMapping& field) {
  switch (field.type) {
  case ColumnType::string:
    return {"String"};
  case ColumnType::memo:
    return {"Memo"};
  case ColumnType::integer:
    return {"Integer", "BigInt"};
  case ColumnType::money:
    return {"Money"};
  case ColumnType::decimal:
    return {"Decimal"};
  case ColumnType::double_:
    return {"Double"};
  case ColumnType::boolean:
    return {"Boolean"};
  case ColumnType::date_only:
  case ColumnType::date_time:
    return {"DateTime"};
  case ColumnType::option_set:
    if (field.column == "statecode") {
      return {"State"};
    }
    if (field.column == "statuscode") {
      return {"Status"};
    }
    return {"Picklist"};
  case ColumnType::lookup:
    return {"Lookup", "Customer", "Owner"};
  }
  return {};
}

// "String, max 100 characters", "Decimal, 0..100", "DateTime, behavior Date Only".
std::string column_spec(const FieldMapping& field, const LeadMapping& mapping) {
  std::string spec(crm_types(field).front());
  if (field.max_length) {
    spec += ", max " + std::to_string(*field.max_length) + " characters";
  }
  if (field.min || field.max) {
    auto number = [](double value) {
      std::string text = std::to_string(value);
      text.erase(text.find_last_not_of('0') + 1);
      if (text.back() == '.') {
        text.pop_back();
      }
      return text;
    };
    spec += ", " + (field.min ? number(*field.min) : std::string()) + ".." +
            (field.max ? number(*field.max) : std::string());
  }
  if (field.type == ColumnType::date_only) {
    spec += ", behavior Date Only";
  }
  if (field.type == ColumnType::option_set) {
    spec += " with the options of [option_sets." + field.option_set + "]";
    if (const auto* set = mapping.find_option_set(field.option_set)) {
      spec += " (" + set->accepted_labels() + ")";
    }
  }
  if (field.type == ColumnType::lookup) {
    spec += " to " + field.lookup_entity_set;
  }
  return spec;
}

Problem problem_at(const LeadMapping& mapping, const FieldMapping& field, std::string message) {
  return Problem{field.column, field.line, std::move(message), mapping.source};
}

} // namespace

Result<std::vector<Problem>> compare_with_metadata(const LeadMapping& mapping,
                                                   MetadataSource& crm) {
  std::vector<Problem> problems;
  const std::string entity(lead_entity);
  for (const auto& field : mapping.fields) {
    LEADSYNC_TRY(const auto attribute, crm.attribute(entity, field.column));
    if (!attribute) {
      problems.push_back(problem_at(
          mapping, field,
          "lead column '" + field.column + "' does not exist in the CRM: create it (" +
              column_spec(field, mapping) + ") or remove the entry at " + mapping.where(field)));
      continue;
    }
    const auto accepted = crm_types(field);
    if (std::find(accepted.begin(), accepted.end(), attribute->type) == accepted.end()) {
      problems.push_back(problem_at(
          mapping, field,
          "lead column '" + field.column + "' has the wrong type: the mapping says " +
              field.type_text + " (" + std::string(accepted.front()) + "), the CRM has " +
              attribute->type + "; correct type at " + mapping.where(field) +
              " or map the field to a column of type " + std::string(accepted.front())));
      continue;
    }
    if (field.max_length && attribute->max_length && *field.max_length > *attribute->max_length) {
      problems.push_back(problem_at(
          mapping, field,
          "lead column '" + field.column + "' holds " + std::to_string(*attribute->max_length) +
              " characters in the CRM but the mapping allows " + std::to_string(*field.max_length) +
              ": set max_length = " + std::to_string(*attribute->max_length) + " at " +
              mapping.where(field) + " (longer values would be refused by the CRM)"));
    }
  }

  return problems;
}

} // namespace leadsync::mapping
