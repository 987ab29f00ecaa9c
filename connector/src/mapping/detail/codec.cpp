#include "detail/codec.hpp"

#include "detail/text.hpp"
#include "leadsync/model/json.hpp"

#include <charconv>
#include <cmath>
#include <limits>

namespace leadsync::mapping::detail {
namespace {

using Json = nlohmann::json;

// Dataverse DateTime columns hold 1753-01-01 to 9999-12-31.
constexpr int earliest_year = 1753;
constexpr int latest_year = 9999;

// The shortest exact text in plain notation: 1000000 rather than 1e+06.
std::string format_number(double number) {
  char buffer[512];
  const auto result =
      std::to_chars(buffer, buffer + sizeof buffer, number, std::chars_format::fixed);
  return std::string(buffer, result.ptr);
}

std::string subject(const FieldMapping& entry) {
  return entry.field + " -> " + entry.column;
}

Failure rejected(const FieldMapping& entry, const std::string& reason) {
  return fail(ErrorCategory::validation, subject(entry) + ": " + reason);
}

Failure malformed(const FieldMapping& entry, const Json& value, std::string_view expected) {
  return fail(ErrorCategory::protocol, "the CRM sent " + value.dump() + " for column " +
                                           entry.column + " (" + entry.field + "), expected " +
                                           std::string(expected));
}

bool in_date_range(const model::Date& date) {
  return date.ok() && date.year() >= std::chrono::year{earliest_year} &&
         date.year() <= std::chrono::year{latest_year};
}

Result<Encoded> encode_text(const FieldMapping& entry, const std::string& text) {
  const auto length = code_points(text);
  if (!length) {
    return rejected(entry, "the text is not valid UTF-8; fix the lead's data at its source");
  }
  Encoded encoded{entry.column, text, {}};
  const auto limit = static_cast<std::size_t>(entry.max_length.value_or(0));
  if (entry.max_length && *length > limit) {
    if (entry.on_too_long == TooLong::reject) {
      return rejected(entry, std::to_string(*length) + " characters, the column holds " +
                                 std::to_string(limit) +
                                 " (on_too_long = \"reject\"): shorten the value or set "
                                 "on_too_long = \"truncate\" for this field");
    }
    encoded.value = first_code_points(text, limit);
    encoded.warning = subject(entry) + ": cut from " + std::to_string(*length) + " to " +
                      std::to_string(limit) + " characters to fit the column";
  }
  return encoded;
}

Result<Encoded> encode_number(const FieldMapping& entry, const Value& value) {
  const bool whole = std::holds_alternative<std::int64_t>(value);
  const double number =
      whole ? static_cast<double>(std::get<std::int64_t>(value)) : std::get<double>(value);
  if (!std::isfinite(number)) {
    return rejected(entry, "the value is not a finite number");
  }
  std::optional<double> min = entry.min;
  std::optional<double> max = entry.max;
  if (entry.type == ColumnType::integer) {
    if (!whole) {
      return rejected(entry, format_number(number) + " is not a whole number");
    }
    min = std::max(min.value_or(std::numeric_limits<std::int32_t>::min()),
                   double{std::numeric_limits<std::int32_t>::min()});
    max = std::min(max.value_or(std::numeric_limits<std::int32_t>::max()),
                   double{std::numeric_limits<std::int32_t>::max()});
  }
  if ((min && number < *min) || (max && number > *max)) {
    return rejected(entry, format_number(number) + " is outside the column's range " +
                               (min ? format_number(*min) : std::string("-inf")) + ".." +
                               (max ? format_number(*max) : std::string("+inf")));
  }
  return Encoded{entry.column, whole ? Json(std::get<std::int64_t>(value)) : Json(number), {}};
}

Result<Encoded> encode_option(const FieldDef& def, const FieldMapping& entry, const Value& value,
                              const OptionSet& set) {
  if (const auto* number = std::get_if<std::int64_t>(&value)) {
    if (set.find_value(static_cast<int>(*number)) == nullptr) {
      return rejected(entry, std::to_string(*number) + " is not a value of option set " +
                                 set.name() + "; accepted: " + set.accepted_labels());
    }
    return Encoded{entry.column, Json(*number), {}};
  }
  const auto& text = std::get<std::string>(value);
  if (def.kind == ValueKind::enum_name) {
    if (const Option* option = set.find_internal(text)) {
      return Encoded{entry.column, Json(option->value), {}};
    }
    return rejected(entry, "'" + text + "' has no option in option set " + set.name() +
                               ": add it to the internal list of one of " + set.accepted_labels());
  }
  auto option_number = option_value(set, text);
  if (!option_number) {
    return rejected(entry, option_number.error().message);
  }
  return Encoded{entry.column, Json(*option_number), {}};
}

Result<std::optional<Encoded>> encode_lookup(const FieldMapping& entry, const std::string& name,
                                             LookupResolver& lookups) {
  LEADSYNC_TRY(const auto id,
               lookups.resolve(entry.lookup_entity_set, entry.lookup_name_column, name));
  if (!id) {
    return rejected(entry, "no " + entry.lookup_entity_set + " row has " +
                               entry.lookup_name_column + " '" + name +
                               "': create it in Dynamics 365 or correct the lead's " + entry.field);
  }
  return std::optional(Encoded{
      entry.navigation + "@odata.bind", "/" + entry.lookup_entity_set + "(" + *id + ")", {}});
}

} // namespace

Result<std::optional<Encoded>> encode_field(const FieldDef& def, const FieldMapping& entry,
                                            const MaybeValue& value, const LeadMapping& mapping,
                                            LookupResolver& lookups) {
  if (!value) {
    if (entry.type == ColumnType::lookup || def.role == Role::lead_quality) {
      return std::optional<Encoded>();
    }
    return std::optional(Encoded{entry.column, Json(nullptr), {}});
  }
  const Value& present = *value;
  switch (entry.type) {
  case ColumnType::string:
  case ColumnType::memo: {
    LEADSYNC_TRY(auto encoded, encode_text(entry, std::get<std::string>(present)));
    return std::optional(std::move(encoded));
  }
  case ColumnType::integer:
  case ColumnType::money:
  case ColumnType::decimal:
  case ColumnType::double_: {
    LEADSYNC_TRY(auto encoded, encode_number(entry, present));
    return std::optional(std::move(encoded));
  }
  case ColumnType::boolean:
    return std::optional(Encoded{entry.column, Json(std::get<bool>(present)), {}});
  case ColumnType::date_only: {
    const auto& date = std::get<model::Date>(present);
    if (!in_date_range(date)) {
      return rejected(entry, "the date is not a real date between 1753-01-01 and 9999-12-31");
    }
    return std::optional(Encoded{entry.column, Json(model::format_date(date)), {}});
  }
  case ColumnType::date_time: {
    const auto& time = std::get<model::TimePoint>(present);
    if (!in_date_range(model::Date{std::chrono::floor<std::chrono::days>(time)})) {
      return rejected(entry, "the time is outside 1753-01-01..9999-12-31");
    }
    return std::optional(Encoded{entry.column, Json(model::format_time(time)), {}});
  }
  case ColumnType::option_set: {
    LEADSYNC_TRY(auto encoded,
                 encode_option(def, entry, present, *mapping.find_option_set(entry.option_set)));
    return std::optional(std::move(encoded));
  }
  case ColumnType::lookup:
    return encode_lookup(entry, std::get<std::string>(present), lookups);
  }
  return fail(ErrorCategory::internal, "unhandled column type for " + entry.column);
}

namespace {

Result<MaybeValue> decode_number(const FieldDef& def, const FieldMapping& entry, const Json& raw) {
  if (!raw.is_number()) {
    return malformed(entry, raw, "a number");
  }
  if (def.kind == ValueKind::number) {
    return MaybeValue(Value(raw.get<double>()));
  }
  if (raw.is_number_integer()) {
    return MaybeValue(Value(raw.get<std::int64_t>()));
  }
  const double number = raw.get<double>();
  if (std::trunc(number) != number || std::abs(number) > 9.0e15) {
    return malformed(entry, raw, "a whole number for " + entry.field);
  }
  return MaybeValue(Value(static_cast<std::int64_t>(number)));
}

Result<MaybeValue> decode_option(const FieldDef& def, const FieldMapping& entry, const Json& raw,
                                 const OptionSet& set) {
  if (!raw.is_number_integer()) {
    return malformed(entry, raw, "an option value (whole number)");
  }
  const auto number = raw.get<std::int64_t>();
  const Option* option =
      number >= std::numeric_limits<int>::min() && number <= std::numeric_limits<int>::max()
          ? set.find_value(static_cast<int>(number))
          : nullptr;
  if (option == nullptr) {
    return fail(ErrorCategory::validation,
                "the CRM has value " + std::to_string(number) + " in column " + entry.column +
                    ", which option set " + set.name() +
                    " in the mapping file does not list (it lists " + set.accepted_labels() +
                    "): add the CRM's option to [option_sets." + set.name() + "]");
  }
  switch (def.kind) {
  case ValueKind::integer:
    return MaybeValue(Value(number));
  case ValueKind::enum_name:
    if (option->internal.empty()) {
      return fail(ErrorCategory::validation,
                  "option " + std::to_string(option->value) + " " + option->label +
                      " of option set " + set.name() + " (in column " + entry.column +
                      ") has no internal name, so " + entry.field +
                      " cannot take it: add internal = \"<name>\" to the option");
    }
    return MaybeValue(Value(option->internal.front()));
  default:
    return MaybeValue(Value(option->label));
  }
}

Result<MaybeValue> decode_lookup(const FieldMapping& entry, const Json& raw, const Json& row,
                                 LookupResolver& lookups) {
  if (!raw.is_string()) {
    return malformed(entry, raw, "a row id (GUID)");
  }
  const auto annotation = row.find(entry.read_property() + std::string(formatted_value));
  if (annotation != row.end() && annotation->is_string()) {
    return MaybeValue(Value(annotation->get<std::string>()));
  }
  const auto id = raw.get<std::string>();
  LEADSYNC_TRY(const auto name,
               lookups.name_of(entry.lookup_entity_set, entry.lookup_name_column, id));
  if (!name) {
    return fail(ErrorCategory::not_found, "column " + entry.column + " points at " +
                                              entry.lookup_entity_set + "(" + id +
                                              "), which does not exist in the CRM");
  }
  return MaybeValue(Value(*name));
}

} // namespace

Result<MaybeValue> decode_field(const FieldDef& def, const FieldMapping& entry, const Json& row,
                                const LeadMapping& mapping, LookupResolver& lookups) {
  const Json& raw = row.at(entry.read_property());
  if (raw.is_null()) {
    return MaybeValue();
  }
  switch (entry.type) {
  case ColumnType::string:
  case ColumnType::memo:
    if (!raw.is_string()) {
      return malformed(entry, raw, "a string");
    }
    return MaybeValue(Value(raw.get<std::string>()));
  case ColumnType::integer:
  case ColumnType::money:
  case ColumnType::decimal:
  case ColumnType::double_:
    return decode_number(def, entry, raw);
  case ColumnType::boolean:
    if (!raw.is_boolean()) {
      return malformed(entry, raw, "true or false");
    }
    return MaybeValue(Value(raw.get<bool>()));
  case ColumnType::date_only: {
    // Date-only columns read as "YYYY-MM-DD"; some clients see "YYYY-MM-DDT00:00:00Z".
    auto date = raw.is_string() ? model::parse_date(raw.get<std::string>().substr(0, 10))
                                : Result<model::Date>(Error());
    if (!date) {
      return malformed(entry, raw, "a date \"YYYY-MM-DD\"");
    }
    return MaybeValue(Value(*date));
  }
  case ColumnType::date_time: {
    auto time = raw.is_string() ? model::parse_time(raw.get<std::string>())
                                : Result<model::TimePoint>(Error());
    if (!time) {
      return malformed(entry, raw, "a date and time (RFC 3339)");
    }
    return MaybeValue(Value(*time));
  }
  case ColumnType::option_set:
    return decode_option(def, entry, raw, *mapping.find_option_set(entry.option_set));
  case ColumnType::lookup:
    return decode_lookup(entry, raw, row, lookups);
  }
  return fail(ErrorCategory::internal, "unhandled column type for " + entry.column);
}

} // namespace leadsync::mapping::detail
