#include "dvemu/payload.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <leadsync/core/uuid.hpp>
#include <leadsync/http/url.hpp>
#include <limits>
#include <set>

// Sources of the error codes and messages below:
//  [CLIENT]
//  https://learn.microsoft.com/en-us/troubleshoot/power-platform/power-apps/dataverse/web-api-client-errors
//           (invalid property: 400 "0x0"; undeclared navigation property: 400 "0x80048d19";
//           unknown entity set: "0x8006088a")
//  [CODES]
//  https://learn.microsoft.com/en-us/power-apps/developer/data-platform/reference/web-service-error-codes
//           (ObjectDoesNotExist 0x80040217, PicklistValueOutOfRange 0x8004431A, DuplicateRecord
//           0x80040237, DuplicateRecordEntityKey 0x80060892)
//  [PAYTERM]
//  https://learn.microsoft.com/en-us/dynamics365/project-operations/get-started/developer-notes/customizing-payment-terms
//           (the wording of an option value outside the valid range)
//  dataverse-notes §1-§3 and §9 for the rest (0x80044331 length, 0x80048408 state/status pairs).

namespace dvemu {
namespace {

constexpr const char* odata_error = "0x0";          // OData-level errors [CLIENT]
constexpr const char* payload_error = "0x80048d19"; // undeclared navigation property [CLIENT]
constexpr const char* entity_reference_error = "0x80060888"; // a lookup written as a value
constexpr const char* resource_not_found = "0x8006088a";     // [CLIENT]
constexpr const char* picklist_out_of_range = "0x8004431A";  // [CODES]
constexpr const char* object_does_not_exist = "0x80040217";  // [CODES]
constexpr const char* key_record_missing = "0x80060891";     // no row with the alternate-key values
constexpr const char* duplicate_record = "0x80040237";       // [CODES]
constexpr const char* duplicate_entity_key = "0x80060892";   // [CODES]

// Characters Dataverse cannot take in an alternate-key value in a URL [ALTDEF].
constexpr std::string_view url_key_forbidden = "/<>*%&:\\?+";

ServiceError make_error(int status, std::string code, std::string message) {
  return ServiceError{status, std::move(code), std::move(message)};
}

std::string qualified(const EntityDef& entity) {
  return "Microsoft.Dynamics.CRM." + entity.logical_name;
}

std::string format_number(double value) {
  if (value == std::floor(value) && std::fabs(value) < 1e15) {
    return std::to_string(static_cast<long long>(value));
  }
  char buffer[64];
  auto result = std::to_chars(buffer, buffer + sizeof buffer, value);
  return std::string(buffer, result.ptr);
}

// The value as it appeared in the JSON text, for error messages.
std::string literal(const Json& value) {
  return value.is_string() ? value.get<std::string>() : value.dump();
}

ServiceError conversion_error(const std::string& text, const std::string& edm_type) {
  return make_error(400, odata_error,
                    "Cannot convert the literal '" + text + "' to the expected type '" + edm_type +
                        "'.");
}

ServiceError invalid_property(const EntityDef& entity, const std::string& name) {
  return make_error(400, odata_error,
                    "An error occurred while validating input parameters: "
                    "Microsoft.Crm.CrmException: Invalid property '" +
                        name + "' was found in entity '" + qualified(entity) +
                        "'. ---> Microsoft.OData.ODataException: Does not support untyped value "
                        "in non-open type.");
}

ServiceError undeclared_property(const EntityDef& entity, const std::string& name) {
  return make_error(400, payload_error,
                    "Error identified in Payload provided by the user for Entity :'" +
                        entity.entity_set +
                        "'  ---->  InnerException : Microsoft.OData.ODataException: An undeclared "
                        "property '" +
                        name +
                        "' which only has property annotations in the payload but no property "
                        "value was found in the payload. In OData, only declared navigation "
                        "properties and declared named streams can be represented as properties "
                        "without values.");
}

ServiceError entity_reference_written(const std::string& name) {
  return make_error(400, entity_reference_error,
                    "CRM do not support direct update of Entity Reference properties, Use "
                    "Navigation properties instead. (Write the lookup '" +
                        name +
                        "' as \"<navigation property>@odata.bind\": \"/<entityset>(<id>)\".)");
}

ServiceError invalid_key(const EntityDef& entity) {
  const std::string resource = qualified(entity);
  return make_error(400, odata_error,
                    "The key in the request URI is not valid for resource '" + resource +
                        "'. Ensure that the names and number of key properties match the declared "
                        "or alternate key properties for the resource '" +
                        resource + "'.");
}

ServiceError read_only_column(const EntityDef& entity, const ColumnDef& column, WriteKind kind) {
  const bool create_only = column.valid_for_create && !column.valid_for_update;
  return make_error(400, codes::validation,
                    "A validation error occurred. The '" + column.name + "' attribute of the '" +
                        entity.logical_name + "' entity is not valid for " +
                        (kind == WriteKind::create ? "create" : "update") +
                        (create_only ? ": it can only be set when the record is created."
                                     : ": it is read-only, Dataverse sets it.") +
                        " Leave it out of the request body.");
}

ServiceError outside_range(const EntityDef& entity, const ColumnDef& column, const Json& value) {
  return make_error(
      400, codes::validation,
      "A validation error occurred. The value " + literal(value) + " of '" + column.name +
          "' on record of type '" + entity.logical_name +
          "' is outside the valid range. Accepted Range: " + format_number(column.min.value_or(0)) +
          " to " + format_number(column.max.value_or(0)));
}

ServiceError option_outside_range(const EntityDef& entity, const ColumnDef& column,
                                  const Json& value) {
  std::string accepted;
  for (const auto& option : column.options) {
    accepted += (accepted.empty() ? "" : ",") + std::to_string(option.value);
  }
  return make_error(400, picklist_out_of_range,
                    "A validation error occurred. The value " + literal(value) + " of '" +
                        column.name + "' on record of type '" + entity.logical_name +
                        "' is outside the valid range. Accepted Values: " + accepted);
}

// "LeadState.Disqualified": how Dataverse names a state in its messages.
std::string state_name(const EntityDef& entity, int state) {
  std::string name = entity.logical_name;
  if (!name.empty()) {
    name[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(name[0])));
  }
  name += "State.";
  const ColumnDef* column = entity.column("statecode");
  const OptionValue* option = column != nullptr ? column->option(state) : nullptr;
  if (option == nullptr) {
    return name + std::to_string(state);
  }
  for (char c : option->label) {
    if (c != ' ') {
      name += c;
    }
  }
  return name;
}

ServiceError invalid_status_for_state(const EntityDef& entity, int status, int state,
                                      const std::string& record_id) {
  return make_error(400, codes::invalid_state_status,
                    std::to_string(status) + " is not a valid status code for state code " +
                        state_name(entity, state) + " on " + entity.logical_name +
                        (record_id.empty() ? "" : " with Id " + record_id) + ".");
}

std::size_t code_points(const std::string& text) {
  return static_cast<std::size_t>(std::count_if(text.begin(), text.end(), [](char c) {
    return (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  }));
}

std::string lower(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return text;
}

bool is_guid(const std::string& text) {
  return text.size() == 36 && leadsync::Uuid::is_valid(text);
}

bool read_int(std::string_view text, int& out) {
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return ec == std::errc{} && ptr == text.data() + text.size();
}

// "YYYY-MM-DD" as a calendar date.
std::optional<std::chrono::year_month_day> parse_date(std::string_view text) {
  int year = 0;
  int month = 0;
  int day = 0;
  if (text.size() != 10 || text[4] != '-' || text[7] != '-' || !read_int(text.substr(0, 4), year) ||
      !read_int(text.substr(5, 2), month) || !read_int(text.substr(8, 2), day)) {
    return std::nullopt;
  }
  std::chrono::year_month_day date{std::chrono::year{year},
                                   std::chrono::month{static_cast<unsigned>(month)},
                                   std::chrono::day{static_cast<unsigned>(day)}};
  return date.ok() ? std::optional(date) : std::nullopt;
}

// An Edm.DateTimeOffset ("2026-11-22T20:00:00Z", "...T21:00:00.123+01:00") as a UTC instant.
std::optional<std::chrono::system_clock::time_point> parse_date_time(std::string_view text) {
  if (text.size() < 17 || text[10] != 'T') {
    return std::nullopt;
  }
  auto date = parse_date(text.substr(0, 10));
  int hour = 0;
  int minute = 0;
  int second = 0;
  if (!date || text[13] != ':' || !read_int(text.substr(11, 2), hour) ||
      !read_int(text.substr(14, 2), minute) || hour > 23 || minute > 59) {
    return std::nullopt;
  }
  std::size_t at = 16;
  if (at < text.size() && text[at] == ':') {
    if (at + 3 > text.size() || !read_int(text.substr(at + 1, 2), second) || second > 59) {
      return std::nullopt;
    }
    at += 3;
    if (at < text.size() && text[at] == '.') {
      ++at;
      const std::size_t digits_start = at;
      while (at < text.size() && std::isdigit(static_cast<unsigned char>(text[at]))) {
        ++at;
      }
      if (at == digits_start) {
        return std::nullopt;
      }
    }
  }
  int offset_minutes = 0;
  const std::string_view zone = text.substr(at);
  if (zone == "Z") {
    offset_minutes = 0;
  } else if (zone.size() == 6 && (zone[0] == '+' || zone[0] == '-') && zone[3] == ':') {
    int offset_hours = 0;
    int offset_rest = 0;
    if (!read_int(zone.substr(1, 2), offset_hours) || !read_int(zone.substr(4, 2), offset_rest) ||
        offset_hours > 14 || offset_rest > 59) {
      return std::nullopt;
    }
    offset_minutes = (zone[0] == '-' ? -1 : 1) * (offset_hours * 60 + offset_rest);
  } else {
    return std::nullopt;
  }
  return std::chrono::sys_days{*date} + std::chrono::hours{hour} + std::chrono::minutes{minute} +
         std::chrono::seconds{second} - std::chrono::minutes{offset_minutes};
}

// Dataverse DateTime columns hold 1753-01-01 to 9999-12-31 (SQL Server datetime).
bool date_in_range(const std::chrono::year_month_day& date) {
  return date.year() >= std::chrono::year{1753} && date.year() <= std::chrono::year{9999};
}

Outcome<Json> convert_date_time(const EntityDef& entity, const ColumnDef& column,
                                const Json& value) {
  const std::string text = value.is_string() ? value.get<std::string>() : "";
  auto instant = value.is_string() ? parse_date_time(text) : std::nullopt;
  if (!instant) {
    return conversion_error(literal(value), "Edm.DateTimeOffset");
  }
  if (!date_in_range(
          std::chrono::year_month_day{std::chrono::floor<std::chrono::days>(*instant)})) {
    return make_error(400, codes::validation,
                      "A validation error occurred. The value " + text + " of '" + column.name +
                          "' on record of type '" + entity.logical_name +
                          "' is outside the valid range. Accepted Range: 1753-01-01T00:00:00Z "
                          "to 9999-12-31T23:59:59Z");
  }
  return Json(
      to_rfc3339(std::chrono::time_point_cast<std::chrono::system_clock::duration>(*instant)));
}

// One column value from the body, validated and in stored form.
Outcome<Json> convert(const EntityDef& entity, const ColumnDef& column, const Json& value) {
  if (value.is_null()) {
    return Json(nullptr);
  }
  switch (column.type) {
  case ColumnType::string:
  case ColumnType::memo:
    if (!value.is_string()) {
      return conversion_error(literal(value), "Edm.String");
    }
    // Dataverse counts characters; a character outside the BMP counts once here.
    if (column.max_length > 0 &&
        code_points(value.get<std::string>()) > static_cast<std::size_t>(column.max_length)) {
      return make_error(400, codes::validation,
                        "A validation error occurred. The length of the '" + column.name +
                            "' attribute of the '" + entity.logical_name +
                            "' entity exceeded the maximum allowed length of '" +
                            std::to_string(column.max_length) + "'.");
    }
    return value;
  case ColumnType::integer:
  case ColumnType::big_int: {
    const bool int32 = column.type == ColumnType::integer;
    const char* edm = int32 ? "Edm.Int32" : "Edm.Int64";
    if (!value.is_number_integer()) {
      return conversion_error(literal(value), edm);
    }
    if (value.is_number_unsigned() &&
        value.get<std::uint64_t>() >
            static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
      return conversion_error(literal(value), edm);
    }
    const auto number = value.get<std::int64_t>();
    if (int32 && (number < std::numeric_limits<std::int32_t>::min() ||
                  number > std::numeric_limits<std::int32_t>::max())) {
      return conversion_error(literal(value), edm);
    }
    if ((column.min && static_cast<double>(number) < *column.min) ||
        (column.max && static_cast<double>(number) > *column.max)) {
      return outside_range(entity, column, value);
    }
    return Json(number);
  }
  case ColumnType::money:
  case ColumnType::decimal:
  case ColumnType::double_: {
    if (!value.is_number()) {
      return conversion_error(literal(value),
                              column.type == ColumnType::double_ ? "Edm.Double" : "Edm.Decimal");
    }
    const double number = value.get<double>();
    if ((column.min && number < *column.min) || (column.max && number > *column.max)) {
      return outside_range(entity, column, value);
    }
    return value;
  }
  case ColumnType::boolean:
    if (!value.is_boolean()) {
      return conversion_error(literal(value), "Edm.Boolean");
    }
    return value;
  case ColumnType::date_time:
    return convert_date_time(entity, column, value);
  case ColumnType::date_only:
    if (!value.is_string() || !parse_date(value.get<std::string>())) {
      return conversion_error(literal(value), "Edm.Date");
    }
    return value;
  case ColumnType::picklist:
  case ColumnType::state:
  case ColumnType::status:
    if (!value.is_number_integer()) {
      return conversion_error(literal(value), "Edm.Int32");
    }
    if (column.type != ColumnType::status &&
        (value.get<std::int64_t>() > std::numeric_limits<int>::max() ||
         value.get<std::int64_t>() < std::numeric_limits<int>::min() ||
         column.option(value.get<int>()) == nullptr)) {
      return option_outside_range(entity, column, value);
    }
    return value;
  case ColumnType::uniqueidentifier:
    if (!value.is_string() || !is_guid(value.get<std::string>())) {
      return conversion_error(literal(value), "Edm.Guid");
    }
    return Json(lower(value.get<std::string>()));
  case ColumnType::lookup:
    return entity_reference_written(column.name);
  }
  return value;
}

// A key literal from a URL predicate, converted for the key column.
Outcome<Json> key_literal(const EntityDef& entity, const ColumnDef& column, const std::string& raw,
                          KeySource source) {
  const bool quoted = raw.size() >= 2 && raw.front() == '\'' && raw.back() == '\'';
  switch (column.type) {
  case ColumnType::string:
  case ColumnType::memo: {
    if (!quoted) {
      return conversion_error(raw, "Edm.String");
    }
    std::string value;
    for (std::size_t i = 1; i + 1 < raw.size(); ++i) {
      value += raw[i];
      if (raw[i] == '\'') {
        ++i; // the second quote of a doubled pair
      }
    }
    if (source == KeySource::url) {
      const auto bad = value.find_first_of(url_key_forbidden);
      if (bad != std::string::npos) {
        return make_error(
            400, odata_error,
            "The key value '" + value + "' for '" + column.name + "' contains '" + value[bad] +
                "', a character Dataverse cannot take in an alternate key in a URL "
                "(/ < > * % & : \\ ? +). Address this " +
                entity.logical_name + " by its id, or use key values without these characters.");
      }
    }
    return Json(value);
  }
  case ColumnType::integer:
  case ColumnType::picklist:
  case ColumnType::state:
  case ColumnType::status: {
    int number = 0;
    if (!read_int(raw, number)) {
      return conversion_error(raw, "Edm.Int32");
    }
    return Json(number);
  }
  case ColumnType::money:
  case ColumnType::decimal:
  case ColumnType::double_: {
    double number = 0;
    auto [ptr, ec] = std::from_chars(raw.data(), raw.data() + raw.size(), number);
    if (ec != std::errc{} || ptr != raw.data() + raw.size()) {
      return conversion_error(raw, "Edm.Decimal");
    }
    return Json(number);
  }
  case ColumnType::date_time:
    return convert_date_time(entity, column, Json(raw));
  case ColumnType::lookup:
    if (!is_guid(raw)) {
      return conversion_error(raw, "Edm.Guid");
    }
    return Json{{"id", lower(raw)}, {"entity", column.targets.front()}};
  default:
    return invalid_key(entity);
  }
}

// Splits "a='x,y',b=2" at the commas outside quotes; nullopt when a quote is left open.
std::optional<std::vector<std::string>> split_key_parts(const std::string& body) {
  std::vector<std::string> parts;
  std::string part;
  bool in_quote = false;
  for (std::size_t i = 0; i < body.size(); ++i) {
    const char c = body[i];
    if (c == '\'') {
      if (in_quote && i + 1 < body.size() && body[i + 1] == '\'') {
        part += "''";
        ++i;
        continue;
      }
      in_quote = !in_quote;
    } else if (c == ',' && !in_quote) {
      parts.push_back(part);
      part.clear();
      continue;
    }
    part += c;
  }
  if (in_quote) {
    return std::nullopt;
  }
  parts.push_back(part);
  return parts;
}

std::string trim(const std::string& text) {
  const auto first = text.find_first_not_of(" \t");
  if (first == std::string::npos) {
    return "";
  }
  return text.substr(first, text.find_last_not_of(" \t") - first + 1);
}

// "/accounts(<guid>)", "accounts(<guid>)", ".../api/data/v9.2/accounts(<guid>)" or an alternate-key
// form.
Outcome<Json> resolve_bind(const EntityDef& entity, const Schema& schema,
                           const std::string& navigation, const std::string& target,
                           const Json& value, const RecordStore::Txn& txn) {
  if (value.is_null()) {
    return Json(nullptr);
  }
  if (!value.is_string()) {
    return make_error(400, odata_error,
                      "The value of '" + navigation +
                          "@odata.bind' must be one record URL such as '/" +
                          schema.by_logical_name(target)->entity_set + "(<guid>)'.");
  }
  std::string url = value.get<std::string>();
  const auto api = url.find("/api/data/");
  if (api != std::string::npos) {
    const auto after_version = url.find('/', api + 10);
    url = after_version == std::string::npos ? "" : url.substr(after_version + 1);
  } else if (!url.empty() && url.front() == '/') {
    url.erase(0, 1);
  }
  const auto open = url.find('(');
  if (open == std::string::npos || url.empty() || url.back() != ')') {
    return make_error(400, odata_error,
                      "'" + value.get<std::string>() + "' in '" + navigation +
                          "@odata.bind' is not a record URL: write it as '/" +
                          schema.by_logical_name(target)->entity_set + "(<guid>)'.");
  }
  const std::string entity_set = url.substr(0, open);
  const EntityDef* target_entity = schema.by_logical_name(target);
  if (entity_set != target_entity->entity_set) {
    if (schema.by_entity_set(entity_set) == nullptr) {
      return make_error(400, resource_not_found,
                        "Resource not found for the segment '" + entity_set + "'.");
    }
    return make_error(400, odata_error,
                      "The navigation property '" + navigation + "' of " + entity.logical_name +
                          " refers to " + target_entity->entity_set + ", not to " + entity_set +
                          ".");
  }
  auto predicate = leadsync::http::percent_decode(url.substr(open));
  if (!predicate.ok()) {
    return invalid_key(*target_entity);
  }
  auto key = parse_key_predicate(*target_entity, predicate.value(), KeySource::url);
  if (auto* error = std::get_if<ServiceError>(&key)) {
    return *error;
  }
  const auto& parsed = std::get<KeyPredicate>(key);
  const StoredRecord* row = parsed.primary ? txn.find(*target_entity, parsed.id)
                                           : txn.find_by_key(*target_entity, parsed.alternate);
  if (row == nullptr) {
    return parsed.primary ? record_not_found(*target_entity, parsed.id)
                          : key_not_found(*target_entity);
  }
  return Json{{"id", row->id}, {"entity", target}};
}

bool declared_property(const EntityDef& entity, const std::string& name) {
  std::string target;
  if (entity.column_for_navigation(name, target) != nullptr) {
    return true;
  }
  if (const ColumnDef* column = entity.column(name)) {
    return column->type != ColumnType::lookup;
  }
  if (name.size() > 8 && name.front() == '_' && name.ends_with("_value")) {
    const ColumnDef* column = entity.column(name.substr(1, name.size() - 7));
    return column != nullptr && column->type == ColumnType::lookup;
  }
  return false;
}

bool writable(const ColumnDef& column, WriteKind kind) {
  return kind == WriteKind::create ? column.valid_for_create : column.valid_for_update;
}

// statecode/statuscode pairs (dataverse-notes §2): statuscode must belong to the statecode given,
// or to the row's current one; a statecode alone brings its default statuscode. A create starts
// open.
std::optional<ServiceError> check_state_status(const EntityDef& entity, Json& attributes,
                                               WriteKind kind, const RecordStore::Txn& txn,
                                               const std::string& record_id) {
  const ColumnDef* status_column = entity.column("statuscode");
  const ColumnDef* state_column = entity.column("statecode");
  if (status_column == nullptr || state_column == nullptr) {
    return std::nullopt;
  }
  const auto state_it = attributes.find("statecode");
  const auto status_it = attributes.find("statuscode");
  const bool has_state = state_it != attributes.end() && !state_it->is_null();
  const bool has_status = status_it != attributes.end() && !status_it->is_null();
  if ((state_it != attributes.end() && state_it->is_null()) ||
      (status_it != attributes.end() && status_it->is_null())) {
    return make_error(400, codes::validation,
                      "A validation error occurred. statecode and statuscode of " +
                          entity.logical_name + " cannot be null: send a valid pair instead.");
  }
  const int open_state = state_column->options.front().value;
  if (kind == WriteKind::create && has_state && state_it->get<int>() != open_state) {
    return make_error(400, codes::invalid_state_status,
                      "A " + entity.logical_name + " cannot be created in state " +
                          state_name(entity, state_it->get<int>()) + ": create it in state " +
                          state_name(entity, open_state) +
                          ", then change its state with a PATCH of statecode and statuscode.");
  }
  std::optional<int> state;
  if (has_state) {
    state = state_it->get<int>();
  } else if (kind == WriteKind::create) {
    state = open_state;
  } else if (const StoredRecord* row = record_id.empty() ? nullptr : txn.find(entity, record_id)) {
    if (auto current = row->attributes.find("statecode"); current != row->attributes.end()) {
      state = current->get<int>();
    }
  }
  if (has_status) {
    const int status = status_it->get<int>();
    const OptionValue* option = status_column->option(status);
    if (option == nullptr || (state && option->state != *state)) {
      return invalid_status_for_state(entity, status, state.value_or(open_state), record_id);
    }
  } else if (has_state) {
    if (auto status = entity.default_status(*state)) {
      attributes["statuscode"] = *status;
    }
  }
  return std::nullopt;
}

bool type_matches(const EntityDef& entity, const Json& value) {
  if (!value.is_string()) {
    return false;
  }
  std::string type = value.get<std::string>();
  if (!type.empty() && type.front() == '#') {
    type.erase(0, 1);
  }
  return type == qualified(entity) || type == "mscrm." + entity.logical_name;
}

Outcome<Json> convert_body(const EntityDef& entity, const Schema& schema, const Json& body,
                           WriteKind kind, const RecordStore::Txn& txn,
                           const std::string& record_id) {
  if (!body.is_object()) {
    return make_error(400, odata_error,
                      "The request body must be a JSON object holding the columns of the " +
                          entity.logical_name + " to write.");
  }
  Json attributes = Json::object();
  for (const auto& [key, value] : body.items()) {
    const auto at = key.find('@');
    if (at == std::string::npos) {
      const ColumnDef* column = entity.column(key);
      std::string target;
      const bool navigation = (column == nullptr || column->type == ColumnType::lookup) &&
                              entity.column_for_navigation(key, target) != nullptr;
      if (navigation && value.is_object()) {
        return make_error(501, odata_error,
                          "Deep insert through '" + key +
                              "' is not supported by the emulator: create the related record "
                              "first, then bind it with '" +
                              key + "@odata.bind'.");
      }
      if (column == nullptr) {
        if (navigation || declared_property(entity, key)) { // a navigation property or _x_value
          return entity_reference_written(key);
        }
        return invalid_property(entity, key);
      }
      if (column->type == ColumnType::lookup) {
        return entity_reference_written(key);
      }
      if (key == entity.primary_id && kind == WriteKind::update) {
        auto id = convert(entity, *column, value);
        if (auto* error = std::get_if<ServiceError>(&id)) {
          return *error;
        }
        attributes[key] = std::get<Json>(id);
        continue;
      }
      if (!writable(*column, kind)) {
        return read_only_column(entity, *column, kind);
      }
      auto converted = convert(entity, *column, value);
      if (auto* error = std::get_if<ServiceError>(&converted)) {
        return *error;
      }
      attributes[key] = std::get<Json>(converted);
      continue;
    }

    const std::string property = key.substr(0, at);
    const std::string annotation = key.substr(at + 1);
    if (property.empty()) {
      if (annotation == "odata.type" && !type_matches(entity, value)) {
        return make_error(400, odata_error,
                          "A resource with type '" + literal(value) +
                              "' was found, but it is not assignable to the expected type '" +
                              qualified(entity) +
                              "'. The type specified in the resource must be equal to either the "
                              "expected type or a derived type.");
      }
      continue; // other instance annotations (@odata.etag, @odata.id, ...) are not data
    }
    if (annotation == "odata.bind") {
      std::string target;
      const ColumnDef* column = entity.column_for_navigation(property, target);
      if (column == nullptr) {
        return undeclared_property(entity, property);
      }
      if (!writable(*column, kind)) {
        return read_only_column(entity, *column, kind);
      }
      auto reference = resolve_bind(entity, schema, property, target, value, txn);
      if (auto* error = std::get_if<ServiceError>(&reference)) {
        return *error;
      }
      attributes[column->name] = std::get<Json>(reference);
      continue;
    }
    if (!declared_property(entity, property)) {
      return undeclared_property(entity, property);
    }
  }

  if (auto error = check_state_status(entity, attributes, kind, txn, record_id)) {
    return *error;
  }
  if (kind == WriteKind::create) {
    const auto given_id = attributes.find(entity.primary_id);
    const std::string id = given_id != attributes.end() ? given_id->get<std::string>() : "";
    if (!id.empty() && txn.find(entity, id) != nullptr) {
      return make_error(412, duplicate_record,
                        "Cannot insert duplicate key: a " + entity.logical_name + " with id " + id +
                            " already exists. Update it with PATCH instead.");
    }
    if (const AlternateKeyDef* key = txn.key_conflict(entity, id, attributes)) {
      return duplicate_key_error(entity, *key);
    }
  } else if (!record_id.empty()) {
    if (const AlternateKeyDef* key = txn.key_conflict(entity, record_id, attributes)) {
      return duplicate_key_error(entity, *key);
    }
  }
  return attributes;
}

} // namespace

Outcome<Json> to_attributes(const EntityDef& entity, const Schema& schema, const Json& body,
                            WriteKind kind, const RecordStore::Txn& txn) {
  return convert_body(entity, schema, body, kind, txn, "");
}

Outcome<Json> to_attributes(const EntityDef& entity, const Schema& schema, const Json& body,
                            WriteKind kind, const RecordStore::Txn& txn,
                            const std::string& record_id) {
  return convert_body(entity, schema, body, kind, txn, lower(record_id));
}

Outcome<KeyPredicate> parse_key_predicate(const EntityDef& entity, const std::string& text) {
  return parse_key_predicate(entity, text, KeySource::url);
}

Outcome<KeyPredicate> parse_key_predicate(const EntityDef& entity, const std::string& text,
                                          KeySource source) {
  std::string body = trim(text);
  if (body.size() >= 2 && body.front() == '(' && body.back() == ')') {
    body = body.substr(1, body.size() - 2);
  }
  auto parts = split_key_parts(body);
  if (!parts || trim(body).empty()) {
    return invalid_key(entity);
  }
  KeyPredicate key;
  if (parts->size() == 1 && (*parts)[0].find('=') == std::string::npos) {
    const std::string id = trim((*parts)[0]);
    if (!is_guid(id)) {
      return invalid_key(entity);
    }
    key.primary = true;
    key.id = lower(id);
    return key;
  }
  std::vector<std::string> names;
  for (const auto& part : *parts) {
    const auto quote = part.find('\'');
    const auto equals = part.find('=');
    if (equals == std::string::npos || (quote != std::string::npos && quote < equals)) {
      return invalid_key(entity);
    }
    std::string name = trim(part.substr(0, equals));
    const std::string raw = trim(part.substr(equals + 1));
    const bool lookup_form = name.size() > 8 && name.front() == '_' && name.ends_with("_value");
    if (lookup_form) {
      name = name.substr(1, name.size() - 7);
    }
    if (name == entity.primary_id && parts->size() == 1) {
      if (!is_guid(raw)) {
        return invalid_key(entity);
      }
      key.primary = true;
      key.id = lower(raw);
      return key;
    }
    const ColumnDef* column = entity.column(name);
    if (column == nullptr || (column->type == ColumnType::lookup) != lookup_form ||
        std::find(names.begin(), names.end(), name) != names.end()) {
      return invalid_key(entity);
    }
    auto value = key_literal(entity, *column, raw, source);
    if (auto* error = std::get_if<ServiceError>(&value)) {
      return *error;
    }
    names.push_back(name);
    key.alternate.emplace_back(name, std::get<Json>(value));
  }
  std::sort(names.begin(), names.end());
  const bool defined = std::any_of(entity.alternate_keys.begin(), entity.alternate_keys.end(),
                                   [&](const AlternateKeyDef& k) {
                                     auto columns = k.columns;
                                     std::sort(columns.begin(), columns.end());
                                     return k.status == "Active" && columns == names;
                                   });
  if (!defined) {
    return invalid_key(entity);
  }
  return key;
}

ServiceError record_not_found(const EntityDef& entity, const std::string& id) {
  return make_error(404, object_does_not_exist,
                    entity.logical_name + " With Id = " + lower(id) + " Does Not Exist");
}

ServiceError key_not_found(const EntityDef& entity) {
  return make_error(404, key_record_missing,
                    "A record with the specified key values does not exist in " +
                        entity.logical_name + " entity");
}

ServiceError duplicate_key_error([[maybe_unused]] const EntityDef& entity,
                                 const AlternateKeyDef& key) {
  std::string columns;
  for (const auto& column : key.columns) {
    columns += (columns.empty() ? "" : ", ") + column;
  }
  return make_error(412, duplicate_entity_key,
                    "Entity Key " + key.name + " violated. A record with the same value for " +
                        columns +
                        " already exists. A duplicate record cannot be created. Select one or more "
                        "unique values and try again.");
}

Json to_odata(const EntityDef& entity, const StoredRecord& record,
              const std::vector<std::string>& select) {
  const std::set<std::string> wanted(select.begin(), select.end());
  Json out = Json::object();
  out["@odata.etag"] = "W/\"" + std::to_string(record.version) + "\"";
  for (const auto& [name, column] : entity.columns) {
    if (!column.valid_for_read) {
      continue;
    }
    const bool lookup_column = column.type == ColumnType::lookup;
    const std::string property = lookup_column ? "_" + name + "_value" : name;
    if (!wanted.empty() && wanted.count(name) == 0 && wanted.count(property) == 0) {
      continue;
    }
    auto value = record.attributes.find(name);
    if (value == record.attributes.end()) {
      out[property] = nullptr;
    } else if (lookup_column) {
      auto id = value->find("id");
      out[property] = id != value->end() ? *id : Json(nullptr);
    } else {
      out[property] = *value;
    }
  }
  out[entity.primary_id] = record.id;
  return out;
}

namespace {

std::string with_thousands(std::string digits) {
  for (int at = static_cast<int>(digits.size()) - 3; at > 0; at -= 3) {
    digits.insert(static_cast<std::size_t>(at), ",");
  }
  return digits;
}

std::string formatted_money(double amount) {
  const bool negative = amount < 0;
  const auto cents = static_cast<long long>(std::llround(std::fabs(amount) * 100.0));
  std::string text = "$" + with_thousands(std::to_string(cents / 100)) + ".";
  const long long fraction = cents % 100;
  text += (fraction < 10 ? "0" : "") + std::to_string(fraction);
  return negative ? "-" + text : text;
}

// "2023-04-07T14:59:00Z" -> "4/7/2023 2:59 PM"; "2023-04-07" -> "4/7/2023"; "" when not a date.
std::string formatted_date(const std::string& iso, bool with_time) {
  int year = 0;
  int month = 0;
  int day = 0;
  int hour = 0;
  int minute = 0;
  if (std::sscanf(iso.c_str(), "%4d-%2d-%2d", &year, &month, &day) != 3) {
    return {};
  }
  std::string text = std::to_string(month) + "/" + std::to_string(day) + "/" + std::to_string(year);
  if (!with_time) {
    return text;
  }
  if (iso.size() < 16 || std::sscanf(iso.c_str() + 11, "%2d:%2d", &hour, &minute) != 2) {
    return text;
  }
  const int twelve = hour % 12 == 0 ? 12 : hour % 12;
  text += " " + std::to_string(twelve) + ":" + (minute < 10 ? "0" : "") + std::to_string(minute) +
          (hour < 12 ? " AM" : " PM");
  return text;
}

} // namespace

void add_formatted_values(const EntityDef& entity, Json& row) {
  Json annotations = Json::object();
  for (const auto& [property, value] : row.items()) {
    if (value.is_null()) {
      continue;
    }
    const ColumnDef* column = entity.column(property);
    if (column == nullptr) {
      continue;
    }
    std::string formatted;
    switch (column->type) {
    case ColumnType::picklist:
    case ColumnType::state:
    case ColumnType::status:
      if (value.is_number_integer()) {
        if (const OptionValue* option = column->option(value.get<int>())) {
          formatted = option->label;
        }
      }
      break;
    case ColumnType::money:
      if (value.is_number()) {
        formatted = formatted_money(value.get<double>());
      }
      break;
    case ColumnType::date_time:
    case ColumnType::date_only:
      if (value.is_string()) {
        formatted = formatted_date(value.get<std::string>(), column->type == ColumnType::date_time);
      }
      break;
    default:
      break;
    }
    if (!formatted.empty()) {
      annotations[property + formatted_value_suffix] = std::move(formatted);
    }
  }
  for (auto& [name, text] : annotations.items()) {
    row[name] = std::move(text);
  }
}

} // namespace dvemu
