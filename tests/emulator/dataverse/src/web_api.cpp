// The emulated Web API: routing under /api/data/v9.2/ and the semantics of each operation, as
// /work/shared/dataverse-notes.md sections 2-7, 9 and 12 describe them. Where the notes leave a
// status or code open, the choice is written next to the code with the page it rests on.

#include "dvemu/web_api.hpp"

#include "dvemu/batch.hpp"
#include "dvemu/payload.hpp"
#include "dvemu/query.hpp"
#include "dvemu/service_error.hpp"
#include "leadsync/core/json_limits.hpp"

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <exception>
#include <leadsync/core/uuid.hpp>
#include <leadsync/http/headers.hpp>
#include <leadsync/http/url.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

namespace dvemu {
namespace {

namespace http = leadsync::http;
using http::Request;
using http::Response;

constexpr std::string_view api_path = "/api/data/v9.2/";
constexpr std::string_view action_prefix = "Microsoft.Dynamics.CRM.";
constexpr const char* json_content_type = "application/json; odata.metadata=minimal";
// The most rows one page (and @odata.count) carries [PAGE][COUNT].
constexpr std::size_t max_page_size = 5000;

// Codes not in service_error.hpp.
namespace more_codes {
// "Resource not found for the segment 'Account'." (404), from
// https://learn.microsoft.com/en-us/troubleshoot/power-platform/power-apps/dataverse/web-api-client-errors
inline constexpr const char* resource_not_found = "0x8006088a";
// ConcurrencyVersionMismatch: stale If-Match. The conditional-operations page shows code ""
// (https://learn.microsoft.com/en-us/power-apps/developer/data-platform/webapi/perform-conditional-operations-using-web-api);
// today's service fills the hex code, which clients key on, so the emulator sends it.
inline constexpr const char* version_mismatch = "0x80060882";
// DuplicateRecord: "A record with matching key values already exists." (If-None-Match: *, key
// clashes).
inline constexpr const char* duplicate_key = "0x80040237";
// Payload errors: "Error identified in Payload provided by the user for Entity :'<set>' ..." (400),
// from the web-api-client-errors page above.
inline constexpr const char* payload_error = "0x80048d19";
// InvalidArgument: used for the requests the notes give no code for (each use says so).
inline constexpr const char* invalid_argument = "0x80040203";
} // namespace more_codes

ServiceError make_error(int status, std::string code, std::string message) {
  return ServiceError{status, std::move(code), std::move(message)};
}

Response odata_response(int status) {
  Response response;
  response.status = status;
  response.headers.set("OData-Version", "4.0");
  return response;
}

Response json_response(int status, const Json& body) {
  Response response = odata_response(status);
  response.headers.set("Content-Type", json_content_type);
  response.body = body.dump(-1, ' ', false, Json::error_handler_t::replace);
  return response;
}

Response error_response(const ServiceError& error) {
  Response response = odata_response(error.status);
  response.headers.set("Content-Type", json_content_type);
  response.body = error.body();
  return response;
}

std::string lower_ascii(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

std::string_view trim(std::string_view text) {
  const auto first = text.find_first_not_of(" \t");
  if (first == std::string_view::npos) {
    return {};
  }
  const auto last = text.find_last_not_of(" \t");
  return text.substr(first, last - first + 1);
}

bool starts_with(std::string_view text, std::string_view prefix) {
  return text.substr(0, prefix.size()) == prefix;
}

std::string join(const std::vector<std::string>& items, std::string_view separator) {
  std::string out;
  for (const auto& item : items) {
    if (!out.empty()) {
      out += separator;
    }
    out += item;
  }
  return out;
}

// Splits at commas that are not inside double quotes (Prefer values such as
// odata.include-annotations="a,b" carry commas).
std::vector<std::string> split_outside_quotes(std::string_view text) {
  std::vector<std::string> parts;
  std::string current;
  bool quoted = false;
  for (char c : text) {
    if (c == '"') {
      quoted = !quoted;
    }
    if (c == ',' && !quoted) {
      parts.emplace_back(trim(current));
      current.clear();
    } else {
      current += c;
    }
  }
  parts.emplace_back(trim(current));
  return parts;
}

struct Preferences {
  bool return_representation = false;
  std::optional<std::size_t> max_page_size;
  bool track_changes = false;
  bool include_annotations = false;
  bool formatted_values = false;   // OData.Community.Display.V1.FormattedValue requested (or "*")
  std::string annotations;         // the odata.include-annotations value, echoed when applied
  bool total_record_count = false; // Microsoft.Dynamics.CRM.totalrecordcount requested (or "*")
};

std::variant<Preferences, ServiceError> parse_prefer(const http::Headers& headers) {
  Preferences prefs;
  for (const auto& header : headers.get_all("Prefer")) {
    for (const auto& preference : split_outside_quotes(header)) {
      const auto equals = preference.find('=');
      const std::string name = lower_ascii(trim(std::string_view(preference).substr(0, equals)));
      std::string value;
      if (equals != std::string::npos) {
        value = std::string(trim(std::string_view(preference).substr(equals + 1)));
      }
      if (name == "return" && value == "representation") {
        prefs.return_representation = true;
      } else if (name == "odata.maxpagesize") {
        std::size_t size = 0;
        const auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), size);
        if (ec != std::errc() || end != value.data() + value.size() || size == 0) {
          return make_error(
              400, more_codes::invalid_argument,
              "The Prefer value 'odata.maxpagesize=" + value +
                  "' is not valid: give a whole number of rows per page from 1 to 5000.");
        }
        prefs.max_page_size = std::min(size, max_page_size);
      } else if (name == "odata.track-changes") {
        prefs.track_changes = true;
      } else if (name == "odata.include-annotations") {
        prefs.include_annotations = true;
        prefs.annotations = value;
        prefs.formatted_values =
            value.find('*') != std::string::npos ||
            value.find("OData.Community.Display.V1.FormattedValue") != std::string::npos;
        prefs.total_record_count =
            value.find('*') != std::string::npos ||
            value.find("Microsoft.Dynamics.CRM.totalrecordcount") != std::string::npos;
      }
    }
  }
  return prefs;
}

// The Preference-Applied entry for the annotations this service added, or "" when none.
std::string annotations_applied(const Preferences& prefs) {
  if (!prefs.formatted_values && !prefs.total_record_count) {
    return {};
  }
  return "odata.include-annotations=" + prefs.annotations;
}

// Sets Preference-Applied to the applied preferences (nothing when none).
void set_preference_applied(Response& response, const std::vector<std::string>& applied) {
  std::vector<std::string> present;
  for (const auto& item : applied) {
    if (!item.empty()) {
      present.push_back(item);
    }
  }
  if (!present.empty()) {
    response.headers.set("Preference-Applied", join(present, ","));
  }
}

// "W/\"12\"": the weak ETag Dataverse gives every row [COND].
std::string etag_of(const StoredRecord& record) {
  return "W/\"" + std::to_string(record.version) + "\"";
}

// True when an If-Match / If-None-Match value ("*", or a list of ETags) names this row's version.
bool etag_matches(const std::string& header_value, const StoredRecord& record) {
  const std::string current = etag_of(record);
  for (const auto& tag : split_outside_quotes(header_value)) {
    if (tag == "*" || tag == current) {
      return true;
    }
  }
  return false;
}

// The change-tracking token, shaped as Dataverse's "919042!08/22/2017 08:10:44": the org version,
// then the UTC time it was issued [CT].
struct DeltaToken {
  std::int64_t version = 0;
  leadsync::Clock::WallTime issued;
};

std::string format_delta_token(std::int64_t version, leadsync::Clock::WallTime issued) {
  using namespace std::chrono;
  const auto day = floor<days>(issued);
  const year_month_day date{day};
  const hh_mm_ss time{floor<seconds>(issued - day)};
  char text[64];
  std::snprintf(text, sizeof text, "%lld!%02u/%02u/%04d %02d:%02d:%02d",
                static_cast<long long>(version), static_cast<unsigned>(date.month()),
                static_cast<unsigned>(date.day()), static_cast<int>(date.year()),
                static_cast<int>(time.hours().count()), static_cast<int>(time.minutes().count()),
                static_cast<int>(time.seconds().count()));
  return text;
}

std::optional<DeltaToken> parse_delta_token(const std::string& text) {
  using namespace std::chrono;
  const auto bang = text.find('!');
  if (bang == std::string::npos) {
    return std::nullopt;
  }
  DeltaToken token;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + bang, token.version);
  if (ec != std::errc() || end != text.data() + bang || token.version < 0) {
    return std::nullopt;
  }
  int month = 0, day = 0, year = 0, hour = 0, minute = 0, second = 0, consumed = 0;
  const std::string stamp = text.substr(bang + 1);
  if (std::sscanf(stamp.c_str(), "%2d/%2d/%4d %2d:%2d:%2d%n", &month, &day, &year, &hour, &minute,
                  &second, &consumed) != 6 ||
      static_cast<std::size_t>(consumed) != stamp.size()) {
    return std::nullopt;
  }
  const year_month_day date{std::chrono::year{year},
                            std::chrono::month{static_cast<unsigned>(month)},
                            std::chrono::day{static_cast<unsigned>(day)}};
  if (!date.ok() || hour > 23 || minute > 59 || second > 59) {
    return std::nullopt;
  }
  token.issued = sys_days{date} + hours{hour} + minutes{minute} + seconds{second};
  return token;
}

// The text after the entity-set name in @odata.context: "(a,_b_value,nav(c))" for $select and
// $expand.
std::string context_selection(const EntityDef& entity, const QueryOptions& options) {
  std::vector<std::string> items;
  for (const auto& name : options.select) {
    const ColumnDef* column = entity.column(name);
    items.push_back(column != nullptr && column->type == ColumnType::lookup ? "_" + name + "_value"
                                                                            : name);
  }
  for (const auto& expand : options.expand) {
    items.push_back(expand.navigation + "(" + join(expand.select, ",") + ")");
  }
  return items.empty() ? std::string() : "(" + join(items, ",") + ")";
}

std::optional<int> int_attribute(const Json& attributes, const std::string& name) {
  const auto it = attributes.find(name);
  if (it == attributes.end() || !it->is_number_integer()) {
    return std::nullopt;
  }
  return it->get<int>();
}

std::string string_attribute(const Json& attributes, const std::string& name) {
  const auto it = attributes.find(name);
  return it != attributes.end() && it->is_string() ? it->get<std::string>() : std::string();
}

Json lookup_value(const std::string& id, const std::string& entity) {
  return Json{{"id", id}, {"entity", entity}};
}

ServiceError resource_not_found(const std::string& segment) {
  return make_error(404, more_codes::resource_not_found,
                    "Resource not found for the segment '" + segment + "'.");
}

ServiceError payload_error(const EntityDef& entity, const std::string& problem) {
  return make_error(400, more_codes::payload_error,
                    "Error identified in Payload provided by the user for Entity :'" +
                        entity.entity_set + "' ----> " + problem);
}

// Every service the operations need, shared by WebApi::execute and WebApi::announce.
struct Services {
  const Schema& schema;
  RecordStore& store;
  const EmulatorOptions& options;
  EventSink* events;
  const std::string& service_root;
};

// Copies the created rows after a commit and tells the sink once the store lock is released, so a
// sink that reads the store (the webhook dispatcher) cannot deadlock.
void notify_created(const Services& services, const std::vector<PendingEvent>& events,
                    const std::string& user_id) {
  if (services.events == nullptr || events.empty()) {
    return;
  }
  std::vector<std::pair<const EntityDef*, StoredRecord>> rows;
  {
    auto txn = services.store.begin();
    for (const auto& event : events) {
      if (const StoredRecord* row = txn.find(*event.entity, event.id)) {
        rows.emplace_back(event.entity, *row);
      }
    }
  }
  for (const auto& [entity, row] : rows) {
    services.events->record_created(*entity, row, user_id);
  }
}

// The caller's transaction (a changeset member) or one of our own.
class TxnScope {
public:
  TxnScope(RecordStore& store, RecordStore::Txn* outer) : outer_(outer) {
    if (outer_ == nullptr) {
      own_.emplace(store.begin());
    }
  }
  RecordStore::Txn& get() { return outer_ != nullptr ? *outer_ : *own_; }
  bool owned() const { return outer_ == nullptr; }
  // Commits and releases our own transaction; a caller's is the caller's to commit.
  void commit() {
    if (own_) {
      own_->commit();
      own_.reset();
    }
  }

private:
  RecordStore::Txn* outer_;
  std::optional<RecordStore::Txn> own_;
};

// A path segment split into its name and key predicate: "leads(leadsync_externalid='x')".
struct Segment {
  std::string name;
  std::optional<std::string> key; // "(...)" with the parentheses, percent-decoded
};

Segment split_segment(const std::string& text) {
  const auto open = text.find('(');
  if (open == std::string::npos || text.back() != ')') {
    return Segment{text, std::nullopt};
  }
  return Segment{text.substr(0, open), text.substr(open)};
}

// ---- Table definitions: GET EntityDefinitions(LogicalName='x')[/Attributes[(LogicalName='y')] |
// /Keys] ----
// Routes by name as
// https://learn.microsoft.com/en-us/power-apps/developer/data-platform/webapi/retrieve-metadata-name-metadataid
// gives them; EntityKeyMetadata.EntityKeyIndexStatus is Pending | InProgress | Active | Failed
// (https://learn.microsoft.com/en-us/dotnet/api/microsoft.xrm.sdk.entitykeyindexstatus). Only
// $select is served; the definitions are read-only here. Properties of a derived attribute type,
// such as MaxLength of StringAttributeMetadata, can be selected only after a cast segment
// (Attributes/Microsoft.Dynamics.CRM.StringAttributeMetadata, which also keeps only the columns of
// that type), as
// https://learn.microsoft.com/power-apps/developer/data-platform/webapi/query-metadata-web-api
// shows; without $select every property of the derived type is returned.

// A stable MetadataId per definition, so the same name always gives the same id.
std::string metadata_id(std::string_view kind, std::string_view name) {
  const auto fnv1a = [](std::string_view text, std::uint64_t hash) {
    for (const unsigned char c : text) {
      hash = (hash ^ c) * 0x100000001b3ULL;
    }
    return hash;
  };
  const std::string text = std::string(kind) + ":" + std::string(name);
  const std::uint64_t high = fnv1a(text, 0xcbf29ce484222325ULL);
  const std::uint64_t low = fnv1a(text, high);
  char buffer[37];
  std::snprintf(buffer, sizeof buffer, "%08x-%04x-%04x-%04x-%012llx",
                static_cast<unsigned>(high >> 32), static_cast<unsigned>((high >> 16) & 0xffff),
                static_cast<unsigned>(high & 0xffff), static_cast<unsigned>(low >> 48),
                static_cast<unsigned long long>(low & 0xffffffffffffULL));
  return buffer;
}

// "(LogicalName='lead')" -> "lead".
std::optional<std::string> logical_name_key(const std::optional<std::string>& key) {
  constexpr std::string_view prefix = "(LogicalName='";
  if (!key || !starts_with(*key, prefix) || key->size() < prefix.size() + 2 ||
      key->substr(key->size() - 2) != "')") {
    return std::nullopt;
  }
  std::string name = key->substr(prefix.size(), key->size() - prefix.size() - 2);
  if (name.empty() || name.find('\'') != std::string::npos) {
    return std::nullopt;
  }
  return name;
}

std::string attribute_type_name(ColumnType type) {
  switch (type) {
  case ColumnType::string:
    return "String";
  case ColumnType::memo:
    return "Memo";
  case ColumnType::integer:
    return "Integer";
  case ColumnType::big_int:
    return "BigInt";
  case ColumnType::money:
    return "Money";
  case ColumnType::decimal:
    return "Decimal";
  case ColumnType::double_:
    return "Double";
  case ColumnType::boolean:
    return "Boolean";
  case ColumnType::date_time:
  case ColumnType::date_only: // a DateTime column with the DateOnly behavior
    return "DateTime";
  case ColumnType::picklist:
    return "Picklist";
  case ColumnType::state:
    return "State";
  case ColumnType::status:
    return "Status";
  case ColumnType::lookup:
    return "Lookup";
  case ColumnType::uniqueidentifier:
    return "Uniqueidentifier";
  }
  return "Virtual";
}

constexpr std::string_view metadata_namespace = "Microsoft.Dynamics.CRM.";

// The derived AttributeMetadata type of a column: "StringAttributeMetadata".
std::string attribute_metadata_type(ColumnType type) {
  if (type == ColumnType::uniqueidentifier) {
    return "UniqueIdentifierAttributeMetadata";
  }
  return attribute_type_name(type) + "AttributeMetadata";
}

bool has_max_length(ColumnType type) {
  return type == ColumnType::string || type == ColumnType::memo;
}

// The derived type a cast segment names ("Microsoft.Dynamics.CRM.MemoAttributeMetadata" ->
// "MemoAttributeMetadata"), when it is the type of some column type.
std::optional<std::string> cast_attribute_type(std::string_view segment) {
  if (!starts_with(segment, metadata_namespace)) {
    return std::nullopt;
  }
  const std::string_view name = segment.substr(metadata_namespace.size());
  for (const ColumnType type :
       {ColumnType::string, ColumnType::memo, ColumnType::integer, ColumnType::big_int,
        ColumnType::money, ColumnType::decimal, ColumnType::double_, ColumnType::boolean,
        ColumnType::date_time, ColumnType::picklist, ColumnType::state, ColumnType::status,
        ColumnType::lookup, ColumnType::uniqueidentifier}) {
    if (attribute_metadata_type(type) == name) {
      return std::string(name);
    }
  }
  return std::nullopt;
}

std::string required_level_name(RequiredLevel level) {
  switch (level) {
  case RequiredLevel::none:
    return "None";
  case RequiredLevel::recommended:
    return "Recommended";
  case RequiredLevel::application_required:
    return "ApplicationRequired";
  case RequiredLevel::system_required:
    return "SystemRequired";
  }
  return "None";
}

// AlternateKeyDef::status is written with a space ("In Progress"); the enum member has none.
std::string key_index_status_name(const std::string& status) {
  return status == "In Progress" ? "InProgress" : status;
}

Json entity_definition(const EntityDef& entity) {
  return {{"MetadataId", metadata_id("entity", entity.logical_name)},
          {"LogicalName", entity.logical_name},
          {"EntitySetName", entity.entity_set},
          {"PrimaryIdAttribute", entity.primary_id},
          {"PrimaryNameAttribute", entity.primary_name},
          {"ChangeTrackingEnabled", entity.change_tracking}};
}

Json attribute_definition(const EntityDef& entity, const ColumnDef& column) {
  Json attribute = {
      {"@odata.type", "#" + std::string(metadata_namespace) + attribute_metadata_type(column.type)},
      {"MetadataId", metadata_id("attribute", entity.logical_name + "." + column.name)},
      {"LogicalName", column.name},
      {"EntityLogicalName", entity.logical_name},
      {"AttributeType", attribute_type_name(column.type)},
      {"RequiredLevel", {{"Value", required_level_name(column.required)}}}};
  if (has_max_length(column.type)) {
    attribute["MaxLength"] = column.max_length;
  }
  return attribute;
}

Json key_definition(const EntityDef& entity, const AlternateKeyDef& key) {
  return {{"MetadataId", metadata_id("key", entity.logical_name + "." + key.name)},
          {"SchemaName", key.name},
          {"LogicalName", lower_ascii(key.name)},
          {"EntityLogicalName", entity.logical_name},
          {"KeyAttributes", key.columns},
          {"EntityKeyIndexStatus", key_index_status_name(key.status)}};
}

struct DefinitionKind {
  std::string type_name;               // for "Could not find a property named ..."
  std::vector<std::string> properties; // what $select may name
};

const DefinitionKind& entity_kind() {
  static const DefinitionKind kind{"Microsoft.Dynamics.CRM.EntityMetadata",
                                   {"MetadataId", "LogicalName", "EntitySetName",
                                    "PrimaryIdAttribute", "PrimaryNameAttribute",
                                    "ChangeTrackingEnabled"}};
  return kind;
}

const DefinitionKind& attribute_kind() {
  static const DefinitionKind kind{
      "Microsoft.Dynamics.CRM.AttributeMetadata",
      {"MetadataId", "LogicalName", "EntityLogicalName", "AttributeType", "RequiredLevel"}};
  return kind;
}

// AttributeMetadata's properties plus those of the derived type ("StringAttributeMetadata").
DefinitionKind derived_attribute_kind(const std::string& derived_type) {
  DefinitionKind kind = attribute_kind();
  kind.type_name = std::string(metadata_namespace) + derived_type;
  if (derived_type == attribute_metadata_type(ColumnType::string) ||
      derived_type == attribute_metadata_type(ColumnType::memo)) {
    kind.properties.push_back("MaxLength");
  }
  return kind;
}

const DefinitionKind& key_kind() {
  static const DefinitionKind kind{"Microsoft.Dynamics.CRM.EntityKeyMetadata",
                                   {"MetadataId", "SchemaName", "LogicalName", "EntityLogicalName",
                                    "KeyAttributes", "EntityKeyIndexStatus"}};
  return kind;
}

// The $select list (empty = every property); other query options are refused.
std::variant<std::vector<std::string>, ServiceError>
definition_select(const http::QueryParams& params, const DefinitionKind& kind) {
  std::vector<std::string> select;
  for (const auto& [name, value] : params) {
    if (name != "$select") {
      return make_error(400, more_codes::invalid_argument,
                        "The query option '" + name +
                            "' is not served for table definitions by the emulator; use $select "
                            "only.");
    }
    for (const auto& property : split_outside_quotes(value)) {
      if (std::find(kind.properties.begin(), kind.properties.end(), property) ==
          kind.properties.end()) {
        return make_error(400, "0x80060888",
                          "Could not find a property named '" + property + "' on type '" +
                              kind.type_name + "'.");
      }
      select.push_back(property);
    }
  }
  return select;
}

// Keeps the selected properties, annotations and the MetadataId key, as OData does.
Json selected(Json definition, const std::vector<std::string>& select) {
  if (select.empty()) {
    return definition;
  }
  Json out = Json::object();
  for (auto& [name, value] : definition.items()) {
    if (name == "MetadataId" || starts_with(name, "@odata.") ||
        std::find(select.begin(), select.end(), name) != select.end()) {
      out[name] = value;
    }
  }
  return out;
}

std::string select_suffix(const std::vector<std::string>& select) {
  return select.empty() ? std::string() : "(" + join(select, ",") + ")";
}

Response entity_definitions(const Services& services, const std::vector<std::string>& segments,
                            const http::QueryParams& params) {
  const Segment head = split_segment(segments.front());
  const std::string context = services.service_root + "$metadata#EntityDefinitions";
  const auto with_selection = [&](const DefinitionKind& kind, auto&& respond) -> Response {
    auto select = definition_select(params, kind);
    if (auto* error = std::get_if<ServiceError>(&select)) {
      return error_response(*error);
    }
    return respond(std::get<std::vector<std::string>>(select));
  };
  if (!head.key) {
    if (segments.size() != 1) {
      return error_response(resource_not_found(segments[1]));
    }
    return with_selection(entity_kind(), [&](const std::vector<std::string>& select) {
      Json value = Json::array();
      for (const auto& entity : services.schema.entities()) {
        value.push_back(selected(entity_definition(entity), select));
      }
      return json_response(
          200, {{"@odata.context", context + select_suffix(select)}, {"value", std::move(value)}});
    });
  }
  const auto logical_name = logical_name_key(head.key);
  if (!logical_name) {
    return error_response(make_error(
        400, more_codes::invalid_argument,
        "The key in the request URI is not valid for resource "
        "'Microsoft.Dynamics.CRM.EntityMetadata'. Ensure that the names and number of key "
        "properties match the declared or alternate key properties for the resource "
        "'Microsoft.Dynamics.CRM.EntityMetadata'."));
  }
  const EntityDef* entity = services.schema.by_logical_name(*logical_name);
  if (entity == nullptr) {
    // The SDK's wording and code for an unknown table, as users report it (e.g.
    // https://github.com/MscrmTools/MscrmTools.PortalCodeEditor/issues/15); the 404 is ours.
    return error_response(make_error(404, "0x80041102",
                                     "The entity with a name = '" + *logical_name +
                                         "' with namemapping = 'Logical' was not found in the "
                                         "MetadataCache."));
  }
  const std::string entity_context = context + "(LogicalName='" + entity->logical_name + "')";
  if (segments.size() == 1) {
    return with_selection(entity_kind(), [&](const std::vector<std::string>& select) {
      Json body = selected(entity_definition(*entity), select);
      body["@odata.context"] = context + select_suffix(select) + "/$entity";
      return json_response(200, body);
    });
  }
  const Segment member = split_segment(segments[1]);
  if (segments.size() == 2 && member.name == "Keys" && !member.key) {
    return with_selection(key_kind(), [&](const std::vector<std::string>& select) {
      Json value = Json::array();
      for (const auto& key : entity->alternate_keys) {
        value.push_back(selected(key_definition(*entity, key), select));
      }
      return json_response(200,
                           {{"@odata.context", entity_context + "/Keys" + select_suffix(select)},
                            {"value", std::move(value)}});
    });
  }
  if (member.name != "Attributes" || segments.size() > 3) {
    return error_response(resource_not_found(segments.size() == 2 ? member.name : segments[2]));
  }
  // Attributes[(LogicalName='y')][/Microsoft.Dynamics.CRM.<Type>AttributeMetadata]
  std::optional<std::string> cast;
  if (segments.size() == 3) {
    cast = cast_attribute_type(segments[2]);
    if (!cast) {
      return error_response(resource_not_found(segments[2]));
    }
  }
  const DefinitionKind kind = cast ? derived_attribute_kind(*cast) : attribute_kind();
  const std::string attributes_context =
      entity_context + "/Attributes" + (cast ? "/" + kind.type_name : std::string());
  const auto of_cast_type = [&](const ColumnDef& column) {
    return !cast || attribute_metadata_type(column.type) == *cast;
  };
  if (!member.key) {
    return with_selection(kind, [&](const std::vector<std::string>& select) {
      Json value = Json::array();
      for (const auto& [name, column] : entity->columns) {
        if (of_cast_type(column)) {
          value.push_back(selected(attribute_definition(*entity, column), select));
        }
      }
      return json_response(200, {{"@odata.context", attributes_context + select_suffix(select)},
                                 {"value", std::move(value)}});
    });
  }
  const auto column_name = logical_name_key(member.key);
  const ColumnDef* column = column_name ? entity->column(*column_name) : nullptr;
  if (column == nullptr) {
    // UNCONFIRMED for this route: the wording and code (QueryBuilderNoAttribute) of Dataverse's
    // answer to a query naming a missing column, as clients report it; the 404 is ours.
    return error_response(make_error(
        404, "0x80041103",
        "'" + entity->logical_name + "' entity doesn't contain attribute with Name = '" +
            column_name.value_or(member.key.value_or("")) + "' and NameMapping = 'Logical'."));
  }
  if (!of_cast_type(*column)) {
    // OData answers a cast to a type the entity is not of with 404; UNCONFIRMED: Dataverse's
    // wording, so the emulator's resource-not-found message names the cast segment.
    return error_response(resource_not_found(segments[2]));
  }
  return with_selection(kind, [&](const std::vector<std::string>& select) {
    Json body = selected(attribute_definition(*entity, *column), select);
    body["@odata.context"] = attributes_context + select_suffix(select) + "/$entity";
    return json_response(200, body);
  });
}

struct UpsertOutcome {
  const StoredRecord* record = nullptr;
  bool created = false;
};

// One request against the store.
class Operation {
public:
  Operation(const Services& services, const Request& request, CallContext& context,
            RecordStore::Txn* txn)
      : services_(services), schema_(services.schema), request_(request), context_(context),
        outer_txn_(txn) {}

  Response run();

private:
  // Routing and request pieces.
  Response route(const std::vector<std::string>& segments);
  Response no_resource_for_method() const;
  Response method_not_allowed(std::string allow) const;
  std::variant<Json, ServiceError> json_body(const EntityDef* entity) const;
  bool duplicate_detection_requested() const;
  std::string entity_url(const EntityDef& entity, const std::string& id) const {
    return services_.service_root + entity.entity_set + "(" + id + ")";
  }

  // Service-level resources.
  Response service_document() const;
  Response metadata() const;
  Response who_am_i() const;

  // Entity operations.
  Response create(const EntityDef& entity);
  Response retrieve(const EntityDef& entity, const std::string& key);
  Response upsert(const EntityDef& entity, const std::string& key);
  Response remove(const EntityDef& entity, const std::string& key);
  Response property(const EntityDef& entity, const std::string& key, const ColumnDef& column);
  Response retrieve_multiple(const EntityDef& entity);
  Response retrieve_changes(const EntityDef& entity, const QueryOptions& options,
                            const Preferences& prefs);
  Response count(const EntityDef& entity);
  Response bulk(const EntityDef& entity, const std::string& message);
  Response qualify_lead(const EntityDef& lead, const std::string& key);
  Response merge();

  // Shared steps, all inside the transaction.
  Outcome<const StoredRecord*> find_by_predicate(const EntityDef& entity, const KeyPredicate& key,
                                                 RecordStore::Txn& txn) const;
  Outcome<const StoredRecord*> create_row(const EntityDef& entity, Json attributes,
                                          bool detect_duplicates, RecordStore::Txn& txn);
  // Validates an update body for the row and applies it.
  Outcome<const StoredRecord*> update_row(const EntityDef& entity, const StoredRecord& existing,
                                          const Json& body, bool detect_duplicates,
                                          RecordStore::Txn& txn);
  // PATCH semantics shared by PATCH <set>(<key>) and UpsertMultiple: body is the request JSON.
  Outcome<UpsertOutcome> upsert_row(const EntityDef& entity, const KeyPredicate& key, Json body,
                                    bool detect_duplicates, RecordStore::Txn& txn);
  std::optional<ServiceError> lead_state_refusal(const EntityDef& entity,
                                                 const StoredRecord& existing,
                                                 const Json& changes) const;
  std::optional<ServiceError> check_duplicates(const EntityDef& entity, const Json& row,
                                               const std::string& self_id,
                                               RecordStore::Txn& txn) const;
  // formatted: add the FormattedValue annotations (Prefer: odata.include-annotations).
  Json row_json(const EntityDef& entity, const StoredRecord& record, const QueryOptions& options,
                RecordStore::Txn& txn, bool formatted = false) const;
  Outcome<KeyPredicate> key_from_odata_id(const EntityDef& entity,
                                          const std::string& reference) const;
  std::string next_link(const PagingCookie& cookie) const;
  std::string delta_link(const EntityDef& entity, RecordStore::Txn& txn) const;
  // After a successful write: commit our own transaction and announce the creates, or hand them to
  // the caller who owns the transaction.
  void finish_write(TxnScope& txn);

  const Services& services_;
  const Schema& schema_;
  const Request& request_;
  CallContext& context_;
  RecordStore::Txn* outer_txn_;
  std::string resource_path_; // the path after /api/data/v9.2/, still percent-encoded
  std::string raw_query_;     // without the '?'
  http::QueryParams params_;
  std::vector<PendingEvent> created_;
};

Response Operation::run() {
  std::string target = request_.url;
  if (starts_with(target, "http://") || starts_with(target, "https://")) {
    auto url = http::parse_url(target);
    if (!url.ok()) {
      return error_response(make_error(400, more_codes::invalid_argument,
                                       "The request URL '" + target + "' is not a valid URL."));
    }
    target = url->target();
  }
  const http::Target split = http::split_target(target);
  if (!starts_with(split.path, api_path) && split.path + "/" != api_path) {
    return error_response(resource_not_found(split.path));
  }
  resource_path_ = split.path.size() > api_path.size() ? split.path.substr(api_path.size()) : "";
  raw_query_ = split.query;
  auto params = http::parse_query(raw_query_);
  if (!params.ok()) {
    return error_response(make_error(400, more_codes::invalid_argument,
                                     "The query string is not valid: " + params.error().message));
  }
  params_ = std::move(params).value();

  std::vector<std::string> segments;
  std::size_t start = 0;
  while (start <= resource_path_.size()) {
    const auto slash = resource_path_.find('/', start);
    const auto piece = resource_path_.substr(start, slash == std::string::npos ? std::string::npos
                                                                               : slash - start);
    auto decoded = http::percent_decode(piece);
    if (!decoded.ok()) {
      return error_response(
          make_error(400, more_codes::invalid_argument,
                     "The URL path segment '" + piece +
                         "' has a bad percent-encoding: " + decoded.error().message));
    }
    segments.push_back(std::move(decoded).value());
    if (slash == std::string::npos) {
      break;
    }
    start = slash + 1;
  }
  if (!segments.empty() && segments.back().empty() && segments.size() > 1) {
    segments.pop_back(); // a trailing slash
  }
  return route(segments);
}

Response Operation::route(const std::vector<std::string>& segments) {
  const std::string& method = request_.method;
  const std::string& first = segments.front();
  if (segments.size() == 1 && first.empty()) {
    return method == "GET" ? service_document() : method_not_allowed("GET");
  }
  if (segments.size() == 1 && first == "$metadata") {
    return method == "GET" ? metadata() : method_not_allowed("GET");
  }
  if (segments.size() == 1 && (first == "WhoAmI" || first == "WhoAmI()")) {
    // A function is only reached with GET; other methods find no resource [web-api-client-errors].
    return method == "GET" ? who_am_i() : no_resource_for_method();
  }
  if (segments.size() == 1 && first == "Merge") {
    // An unbound action, reached by its name with POST only [MERGE].
    return method == "POST" ? merge() : no_resource_for_method();
  }
  if (split_segment(first).name == "EntityDefinitions") {
    return method == "GET" ? entity_definitions(services_, segments, params_)
                           : method_not_allowed("GET");
  }
  if (first == "$batch") {
    return error_response(
        make_error(400, more_codes::invalid_argument,
                   "A $batch request cannot be nested inside another $batch request."));
  }
  const Segment head = split_segment(first);
  const EntityDef* entity = schema_.by_entity_set(head.name);
  if (entity == nullptr) {
    return error_response(resource_not_found(head.name));
  }
  if (segments.size() == 1) {
    if (!head.key) {
      if (method == "GET") {
        return retrieve_multiple(*entity);
      }
      if (method == "POST") {
        return create(*entity);
      }
      // PATCH and DELETE on a collection are the documented 405 [COMPOSE].
      return method_not_allowed("GET, POST");
    }
    if (method == "GET") {
      return retrieve(*entity, *head.key);
    }
    if (method == "PATCH") {
      return upsert(*entity, *head.key);
    }
    if (method == "DELETE") {
      return remove(*entity, *head.key);
    }
    return method_not_allowed("GET, PATCH, DELETE");
  }
  if (segments.size() == 2) {
    const std::string& second = segments[1];
    if (!head.key && second == "$count") {
      return method == "GET" ? count(*entity) : method_not_allowed("GET");
    }
    if (!head.key && starts_with(second, action_prefix)) {
      const std::string message = second.substr(action_prefix.size());
      if (message == "CreateMultiple" || message == "UpdateMultiple" ||
          message == "UpsertMultiple") {
        return method == "POST" ? bulk(*entity, message) : no_resource_for_method();
      }
    }
    if (head.key && second == std::string(action_prefix) + "QualifyLead" &&
        entity->logical_name == "lead") {
      return method == "POST" ? qualify_lead(*entity, *head.key) : no_resource_for_method();
    }
    if (head.key) {
      if (const ColumnDef* column = entity->column(second)) {
        return property(*entity, *head.key, *column);
      }
    }
    return error_response(resource_not_found(second));
  }
  return error_response(resource_not_found(segments[2]));
}

Response Operation::no_resource_for_method() const {
  // Wording and empty code from the web-api-client-errors page (POST WhoAmI).
  return error_response(make_error(404, "",
                                   "No HTTP resource was found that matches the request URI '" +
                                       services_.service_root + resource_path_ + "'."));
}

Response Operation::method_not_allowed(std::string allow) const {
  // ASP.NET Web API's wording, which the Dataverse OData endpoint is built on; RFC 9110 wants
  // Allow.
  Response response = error_response(make_error(
      405, "", "The requested resource does not support http method '" + request_.method + "'."));
  response.headers.set("Allow", std::move(allow));
  return response;
}

std::variant<Json, ServiceError> Operation::json_body(const EntityDef* entity) const {
  const std::string set = entity != nullptr ? entity->entity_set : std::string("request");
  const auto content_type = request_.headers.get("Content-Type");
  const std::string media_type =
      content_type
          ? lower_ascii(trim(std::string_view(*content_type).substr(0, content_type->find(';'))))
          : std::string();
  if (media_type != "application/json") {
    return make_error(400, more_codes::payload_error,
                      "Error identified in Payload provided by the user for Entity :'" + set +
                          "' ----> the request body must be JSON: send it with Content-Type: "
                          "application/json (got '" +
                          content_type.value_or("no Content-Type") + "').");
  }
  // Depth-limited: a body nested 100,000 deep overflowed the stack of the code that walks it
  // (issue 18). Real Dataverse refuses such a body too; its wording is not documented.
  if (!leadsync::json_depth_within(request_.body)) {
    return make_error(400, more_codes::payload_error,
                      "Error identified in Payload provided by the user for Entity :'" + set +
                          "' ----> the request body is JSON nested deeper than " +
                          std::to_string(leadsync::max_json_depth) +
                          " levels; send one object whose properties are column names.");
  }
  auto parsed = leadsync::parse_untrusted_json(request_.body, "the request body");
  Json body = parsed.ok() ? std::move(parsed).value() : Json(Json::value_t::discarded);
  if (body.is_discarded() || !body.is_object()) {
    return make_error(400, more_codes::payload_error,
                      "Error identified in Payload provided by the user for Entity :'" + set +
                          "' ----> the request body is not a JSON object; send one object whose "
                          "properties are column names.");
  }
  return body;
}

bool Operation::duplicate_detection_requested() const {
  const auto value = request_.headers.get("MSCRM.SuppressDuplicateDetection");
  return value && http::iequals(trim(*value), "false");
}

Response Operation::service_document() const {
  Json sets = Json::array();
  for (const auto& entity : schema_.entities()) {
    sets.push_back(
        {{"name", entity.entity_set}, {"kind", "EntitySet"}, {"url", entity.entity_set}});
  }
  return json_response(200,
                       {{"@odata.context", services_.service_root + "$metadata"}, {"value", sets}});
}

Response Operation::metadata() const {
  Response response = odata_response(200);
  response.headers.set("Content-Type", "application/xml");
  response.body = schema_.csdl(services_.service_root);
  return response;
}

Response Operation::who_am_i() const {
  Response response =
      json_response(200, {{"@odata.context", services_.service_root +
                                                 "$metadata#Microsoft.Dynamics.CRM.WhoAmIResponse"},
                          {"BusinessUnitId", context_.business_unit_id},
                          {"UserId", context_.user_id},
                          {"OrganizationId", context_.organization_id}});
  response.headers.set("x-ms-dop-hint", std::to_string(services_.options.limits.dop_hint));
  context_.records_processed += 1;
  return response;
}

Outcome<const StoredRecord*> Operation::find_by_predicate(const EntityDef& entity,
                                                          const KeyPredicate& key,
                                                          RecordStore::Txn& txn) const {
  if (key.primary) {
    if (const StoredRecord* record = txn.find(entity, key.id)) {
      return record;
    }
    return record_not_found(entity, key.id);
  }
  if (const StoredRecord* record = txn.find_by_key(entity, key.alternate)) {
    return record;
  }
  return key_not_found(entity);
}

Json Operation::row_json(const EntityDef& entity, const StoredRecord& record,
                         const QueryOptions& options, RecordStore::Txn& txn, bool formatted) const {
  Json row = to_odata(entity, record, options.select);
  if (formatted) {
    add_formatted_values(entity, row);
  }
  for (const auto& expand : options.expand) {
    std::string target_name;
    const ColumnDef* column = entity.column_for_navigation(expand.navigation, target_name);
    const EntityDef* target = schema_.by_logical_name(target_name);
    Json expanded = nullptr;
    if (column != nullptr && target != nullptr) {
      const auto value = record.attributes.find(column->name);
      if (value != record.attributes.end() && value->is_object() &&
          value->value("entity", "") == target_name) {
        if (const StoredRecord* related = txn.find(*target, value->value("id", ""))) {
          expanded = to_odata(*target, *related, expand.select);
          if (formatted) {
            add_formatted_values(*target, expanded);
          }
        }
      }
    }
    row[expand.navigation] = std::move(expanded);
  }
  return row;
}

std::optional<ServiceError> Operation::check_duplicates(const EntityDef& entity, const Json& row,
                                                        const std::string& self_id,
                                                        RecordStore::Txn& txn) const {
  if (!entity.duplicate_detection || entity.duplicate_column.empty()) {
    return std::nullopt;
  }
  const std::string value = fold_case(string_attribute(row, entity.duplicate_column));
  if (value.empty()) {
    return std::nullopt;
  }
  for (const StoredRecord* other : txn.scan(entity)) {
    if (other->id != self_id &&
        fold_case(string_attribute(other->attributes, entity.duplicate_column)) == value) {
      // Message and code from [DUPAPI]; the status is the CONFLICT switch (412 per [COMPOSE]).
      return make_error(services_.options.compat.duplicate_status, codes::duplicate_record,
                        "A record was not created or updated because a duplicate of the current "
                        "record already exists.");
    }
  }
  return std::nullopt;
}

// The lead's life cycle on update [LEAD][QLTS]: a closed (qualified or disqualified) lead is
// read-only until it is reactivated, and qualifying goes through QualifyLead. statecode/statuscode
// pairs are checked by to_attributes.
std::optional<ServiceError> Operation::lead_state_refusal(const EntityDef& entity,
                                                          const StoredRecord& existing,
                                                          const Json& changes) const {
  if (entity.logical_name != "lead") {
    return std::nullopt;
  }
  const int current_state = int_attribute(existing.attributes, "statecode").value_or(0);
  const std::optional<int> new_state = int_attribute(changes, "statecode");
  if (current_state != 0) {
    bool only_state = true;
    for (const auto& item : changes.items()) {
      only_state = only_state && (item.key() == "statecode" || item.key() == "statuscode");
    }
    if (!only_state) {
      // The notes give no wording for this refusal: InvalidArgument, with what to do.
      return make_error(400, more_codes::invalid_argument,
                        "This lead is closed (statecode " + std::to_string(current_state) +
                            "), so it is read-only. Reactivate it first with a PATCH of "
                            "{\"statecode\":0,\"statuscode\":1}, then edit it.");
    }
    if (new_state != 0) {
      // [QLTS] wording for qualifying or disqualifying a closed lead; status is the UNCONFIRMED
      // switch, code InvalidArgument (none documented).
      return make_error(services_.options.compat.qualify_closed_status,
                        more_codes::invalid_argument,
                        "The lead is closed and you cannot convert or qualify a lead that is "
                        "already closed.");
    }
  } else if (new_state == 1) {
    // SetState to Qualified would skip what QualifyLead does (the records,
    // qualifyingopportunityid), so the emulator refuses it and the connector must use the action
    // [QLACT].
    return make_error(400, more_codes::invalid_argument,
                      "A lead is qualified with the QualifyLead action (POST leads(<id>)/"
                      "Microsoft.Dynamics.CRM.QualifyLead), not by setting statecode to 1.");
  }
  return std::nullopt;
}

Outcome<const StoredRecord*> Operation::create_row(const EntityDef& entity, Json attributes,
                                                   bool detect_duplicates, RecordStore::Txn& txn) {
  const auto id = attributes.find(entity.primary_id);
  const std::string self_id =
      id != attributes.end() && id->is_string() ? id->get<std::string>() : "";
  // to_attributes checked the body's keys; an upsert adds the URL's key values after it.
  if (const AlternateKeyDef* key = txn.key_conflict(entity, self_id, attributes)) {
    return duplicate_key_error(entity, *key);
  }
  if (detect_duplicates) {
    if (auto error = check_duplicates(entity, attributes, self_id, txn)) {
      return *error;
    }
  }
  const StoredRecord& record = txn.insert(entity, std::move(attributes));
  created_.push_back(PendingEvent{&entity, record.id});
  return &record;
}

Outcome<const StoredRecord*> Operation::update_row(const EntityDef& entity,
                                                   const StoredRecord& existing, const Json& body,
                                                   bool detect_duplicates, RecordStore::Txn& txn) {
  auto parsed = to_attributes(entity, schema_, body, WriteKind::update, txn, existing.id);
  if (auto* error = std::get_if<ServiceError>(&parsed)) {
    return *error;
  }
  Json& changes = std::get<Json>(parsed);
  if (const auto id = changes.find(entity.primary_id); id != changes.end()) {
    if (*id != existing.id) {
      return payload_error(entity, "the body's " + entity.primary_id + " " + id->dump() +
                                       " names another row than the one being updated (" +
                                       existing.id + "); leave it out of the body.");
    }
    changes.erase(id);
  }
  if (auto error = lead_state_refusal(entity, existing, changes)) {
    return *error;
  }
  if (detect_duplicates) {
    Json merged = existing.attributes;
    merged.update(changes);
    if (auto error = check_duplicates(entity, merged, existing.id, txn)) {
      return *error;
    }
  }
  const std::string id = existing.id;
  return &txn.update(entity, id, changes);
}

Outcome<UpsertOutcome> Operation::upsert_row(const EntityDef& entity, const KeyPredicate& key,
                                             Json body, bool detect_duplicates,
                                             RecordStore::Txn& txn) {
  const StoredRecord* existing =
      key.primary ? txn.find(entity, key.id) : txn.find_by_key(entity, key.alternate);
  if (existing != nullptr) {
    // [UPSERT]: key values in the body are dropped when the row exists.
    for (const auto& [column, value] : key.alternate) {
      body.erase(column);
    }
    auto updated = update_row(entity, *existing, body, detect_duplicates, txn);
    if (auto* error = std::get_if<ServiceError>(&updated)) {
      return *error;
    }
    return UpsertOutcome{std::get<const StoredRecord*>(updated), false};
  }
  auto attributes = to_attributes(entity, schema_, body, WriteKind::create, txn);
  if (auto* error = std::get_if<ServiceError>(&attributes)) {
    return *error;
  }
  Json& row = std::get<Json>(attributes);
  // [UPSERT]: a missing row is created with the key values from the URL.
  if (key.primary) {
    if (const auto id = row.find(entity.primary_id); id != row.end() && *id != key.id) {
      return payload_error(entity, "the body's " + entity.primary_id + " " + id->dump() +
                                       " differs from the key in the URL (" + key.id +
                                       "); leave it out of the body.");
    }
    row[entity.primary_id] = key.id;
  }
  for (const auto& [column, value] : key.alternate) {
    row[column] = value;
  }
  auto created = create_row(entity, std::move(row), detect_duplicates, txn);
  if (auto* error = std::get_if<ServiceError>(&created)) {
    return *error;
  }
  return UpsertOutcome{std::get<const StoredRecord*>(created), true};
}

void Operation::finish_write(TxnScope& txn) {
  if (txn.owned()) {
    txn.commit();
    notify_created(services_, created_, context_.user_id);
  } else if (context_.pending_events != nullptr) {
    context_.pending_events->insert(context_.pending_events->end(), created_.begin(),
                                    created_.end());
  }
  created_.clear();
}

Response Operation::create(const EntityDef& entity) {
  auto body = json_body(&entity);
  if (auto* error = std::get_if<ServiceError>(&body)) {
    return error_response(*error);
  }
  auto prefs = parse_prefer(request_.headers);
  if (auto* error = std::get_if<ServiceError>(&prefs)) {
    return error_response(*error);
  }
  auto options = parse_query_options(entity, schema_, params_);
  if (auto* error = std::get_if<ServiceError>(&options)) {
    return error_response(*error);
  }
  const bool representation = std::get<Preferences>(prefs).return_representation;
  const bool formatted = std::get<Preferences>(prefs).formatted_values;
  TxnScope txn(services_.store, outer_txn_);
  auto attributes =
      to_attributes(entity, schema_, std::get<Json>(body), WriteKind::create, txn.get());
  if (auto* error = std::get_if<ServiceError>(&attributes)) {
    return error_response(*error);
  }
  auto created = create_row(entity, std::move(std::get<Json>(attributes)),
                            duplicate_detection_requested(), txn.get());
  if (auto* error = std::get_if<ServiceError>(&created)) {
    return error_response(*error);
  }
  const StoredRecord& record = *std::get<const StoredRecord*>(created);
  const std::string id = record.id;
  Json representation_body;
  if (representation) {
    const auto& query = std::get<QueryOptions>(options);
    representation_body = to_odata(entity, record, query.select);
    if (formatted) {
      add_formatted_values(entity, representation_body);
    }
    representation_body["@odata.context"] = services_.service_root + "$metadata#" +
                                            entity.entity_set + context_selection(entity, query) +
                                            "/$entity";
  }
  finish_write(txn);
  context_.records_processed += 1;
  if (representation) {
    // [CREATE]: 201 with the row and no OData-EntityId.
    Response response = json_response(201, representation_body);
    set_preference_applied(
        response, {"return=representation", annotations_applied(std::get<Preferences>(prefs))});
    return response;
  }
  Response response = odata_response(204);
  response.headers.set("OData-EntityId", entity_url(entity, id));
  return response;
}

Response Operation::retrieve(const EntityDef& entity, const std::string& key_text) {
  auto key = parse_key_predicate(entity, key_text);
  if (auto* error = std::get_if<ServiceError>(&key)) {
    return error_response(*error);
  }
  auto options = parse_query_options(entity, schema_, params_);
  if (auto* error = std::get_if<ServiceError>(&options)) {
    return error_response(*error);
  }
  auto prefs = parse_prefer(request_.headers);
  if (auto* error = std::get_if<ServiceError>(&prefs)) {
    return error_response(*error);
  }
  const auto& query = std::get<QueryOptions>(options);
  TxnScope txn(services_.store, outer_txn_);
  auto found = find_by_predicate(entity, std::get<KeyPredicate>(key), txn.get());
  if (auto* error = std::get_if<ServiceError>(&found)) {
    return error_response(*error);
  }
  const StoredRecord& record = *std::get<const StoredRecord*>(found);
  // [COND]: 304 when the version is unchanged, never with $expand or annotations.
  const auto if_none_match = request_.headers.get("If-None-Match");
  if (if_none_match && *if_none_match != "null" && query.expand.empty() &&
      !std::get<Preferences>(prefs).include_annotations && etag_matches(*if_none_match, record)) {
    return odata_response(304);
  }
  const Preferences& preferences = std::get<Preferences>(prefs);
  Json body = row_json(entity, record, query, txn.get(), preferences.formatted_values);
  body["@odata.context"] = services_.service_root + "$metadata#" + entity.entity_set +
                           context_selection(entity, query) + "/$entity";
  context_.records_processed += 1;
  Response response = json_response(200, body);
  set_preference_applied(response, {annotations_applied(preferences)});
  return response;
}

Response Operation::upsert(const EntityDef& entity, const std::string& key_text) {
  auto key = parse_key_predicate(entity, key_text);
  if (auto* error = std::get_if<ServiceError>(&key)) {
    return error_response(*error);
  }
  auto body = json_body(&entity);
  if (auto* error = std::get_if<ServiceError>(&body)) {
    return error_response(*error);
  }
  auto prefs = parse_prefer(request_.headers);
  if (auto* error = std::get_if<ServiceError>(&prefs)) {
    return error_response(*error);
  }
  auto options = parse_query_options(entity, schema_, params_);
  if (auto* error = std::get_if<ServiceError>(&options)) {
    return error_response(*error);
  }
  const KeyPredicate& predicate = std::get<KeyPredicate>(key);
  const auto if_match = request_.headers.get("If-Match");
  const auto if_none_match = request_.headers.get("If-None-Match");

  TxnScope txn(services_.store, outer_txn_);
  const StoredRecord* existing = predicate.primary
                                     ? txn.get().find(entity, predicate.id)
                                     : txn.get().find_by_key(entity, predicate.alternate);
  // [COND]: If-Match makes it a pure update (404 when missing, 412 when stale); If-None-Match: *
  // makes it a pure create (412 when present).
  if (if_match) {
    if (existing == nullptr) {
      return error_response(predicate.primary ? record_not_found(entity, predicate.id)
                                              : key_not_found(entity));
    }
    if (!etag_matches(*if_match, *existing)) {
      return error_response(make_error(412, more_codes::version_mismatch,
                                       "The version of the existing record doesn't match the "
                                       "RowVersion property provided."));
    }
  }
  if (if_none_match && trim(*if_none_match) == "*" && existing != nullptr) {
    return error_response(make_error(412, more_codes::duplicate_key,
                                     "A record with matching key values already exists."));
  }
  auto outcome = upsert_row(entity, predicate, std::move(std::get<Json>(body)),
                            duplicate_detection_requested(), txn.get());
  if (auto* error = std::get_if<ServiceError>(&outcome)) {
    return error_response(*error);
  }
  const UpsertOutcome result = std::get<UpsertOutcome>(outcome);
  const std::string id = result.record->id;
  const bool representation = std::get<Preferences>(prefs).return_representation;
  Json representation_body;
  if (representation) {
    const auto& query = std::get<QueryOptions>(options);
    representation_body = to_odata(entity, *result.record, query.select);
    if (std::get<Preferences>(prefs).formatted_values) {
      add_formatted_values(entity, representation_body);
    }
    representation_body["@odata.context"] = services_.service_root + "$metadata#" +
                                            entity.entity_set + context_selection(entity, query) +
                                            "/$entity";
  }
  finish_write(txn);
  context_.records_processed += 1;
  if (representation) {
    // [UPSERT]: 201 when it created, 200 when it updated.
    Response response = json_response(result.created ? 201 : 200, representation_body);
    set_preference_applied(
        response, {"return=representation", annotations_applied(std::get<Preferences>(prefs))});
    return response;
  }
  // [UPSERT]: 204 with OData-EntityId either way.
  Response response = odata_response(204);
  response.headers.set("OData-EntityId", entity_url(entity, id));
  return response;
}

Response Operation::remove(const EntityDef& entity, const std::string& key_text) {
  auto key = parse_key_predicate(entity, key_text);
  if (auto* error = std::get_if<ServiceError>(&key)) {
    return error_response(*error);
  }
  TxnScope txn(services_.store, outer_txn_);
  auto found = find_by_predicate(entity, std::get<KeyPredicate>(key), txn.get());
  if (auto* error = std::get_if<ServiceError>(&found)) {
    return error_response(*error);
  }
  const StoredRecord& record = *std::get<const StoredRecord*>(found);
  const auto if_match = request_.headers.get("If-Match");
  if (if_match && !etag_matches(*if_match, record)) {
    return error_response(make_error(
        412, more_codes::version_mismatch,
        "The version of the existing record doesn't match the RowVersion property provided."));
  }
  const std::string id = record.id;
  txn.get().erase(entity, id);
  finish_write(txn);
  context_.records_processed += 1;
  return odata_response(204);
}

// GET, PUT {"value":...} and DELETE of one column: <set>(<key>)/<column> [UPDATE].
Response Operation::property(const EntityDef& entity, const std::string& key_text,
                             const ColumnDef& column) {
  const std::string& method = request_.method;
  if (method != "GET" && method != "PUT" && method != "DELETE") {
    return method_not_allowed("GET, PUT, DELETE");
  }
  auto key = parse_key_predicate(entity, key_text);
  if (auto* error = std::get_if<ServiceError>(&key)) {
    return error_response(*error);
  }
  Json new_value = nullptr;
  if (method == "PUT") {
    auto body = json_body(&entity);
    if (auto* error = std::get_if<ServiceError>(&body)) {
      return error_response(*error);
    }
    const Json& document = std::get<Json>(body);
    if (!document.contains("value")) {
      return error_response(
          payload_error(entity, "a PUT of one column needs the body {\"value\": <new value>}."));
    }
    new_value = document["value"];
  }
  TxnScope txn(services_.store, outer_txn_);
  auto found = find_by_predicate(entity, std::get<KeyPredicate>(key), txn.get());
  if (auto* error = std::get_if<ServiceError>(&found)) {
    return error_response(*error);
  }
  const StoredRecord& record = *std::get<const StoredRecord*>(found);
  if (method == "GET") {
    const Json row = to_odata(entity, record, {column.name});
    const std::string property_name =
        column.type == ColumnType::lookup ? "_" + column.name + "_value" : column.name;
    const auto value = row.find(property_name);
    context_.records_processed += 1;
    if (value == row.end() || value->is_null()) {
      return odata_response(204); // OData: a null property has no content
    }
    return json_response(
        200, {{"@odata.context", services_.service_root + "$metadata#" + entity.entity_set + "(" +
                                     record.id + ")/" + column.name},
              {"value", *value}});
  }
  const auto if_match = request_.headers.get("If-Match");
  if (if_match && !etag_matches(*if_match, record)) {
    return error_response(make_error(
        412, more_codes::version_mismatch,
        "The version of the existing record doesn't match the RowVersion property provided."));
  }
  auto updated = update_row(entity, record, Json{{column.name, new_value}},
                            duplicate_detection_requested(), txn.get());
  if (auto* error = std::get_if<ServiceError>(&updated)) {
    return error_response(*error);
  }
  finish_write(txn);
  context_.records_processed += 1;
  return odata_response(204);
}

std::string Operation::next_link(const PagingCookie& cookie) const {
  // [PAGE]: the same URL plus $skiptoken, absolute.
  std::string query;
  std::size_t start = 0;
  while (start <= raw_query_.size()) {
    const auto amp = raw_query_.find('&', start);
    const std::string piece =
        raw_query_.substr(start, amp == std::string::npos ? std::string::npos : amp - start);
    const std::string raw_name = piece.substr(0, piece.find('='));
    const auto name = http::percent_decode(raw_name);
    if (!piece.empty() && !(name.ok() && *name == "$skiptoken")) {
      query += piece + "&";
    }
    if (amp == std::string::npos) {
      break;
    }
    start = amp + 1;
  }
  query += "$skiptoken=" + http::percent_encode(encode_paging_cookie(cookie));
  return services_.service_root + resource_path_ + "?" + query;
}

std::string Operation::delta_link(const EntityDef& entity, RecordStore::Txn& txn) const {
  // [CT]: "<root><set>?$select=...&$deltatoken=919042%2108%2f22%2f2017%2008%3a10%3a44".
  std::string link = services_.service_root + entity.entity_set + "?";
  for (const auto& [name, value] : params_) {
    if (name == "$select") {
      link += "$select=" + http::percent_encode(value, ",") + "&";
    }
  }
  const std::string token =
      format_delta_token(txn.current_version(), services_.store.clock().now());
  return link + "$deltatoken=" + http::percent_encode(token);
}

// [CT]: $filter, $orderby, $expand and $top are refused with change tracking.
std::optional<ServiceError> refuse_with_change_tracking(const QueryOptions& options) {
  std::string option;
  if (options.filter) {
    option = "$filter";
  } else if (!options.orderby.empty()) {
    option = "$orderby";
  } else if (!options.expand.empty()) {
    option = "$expand";
  } else if (options.top) {
    option = "$top";
  }
  if (option.empty()) {
    return std::nullopt;
  }
  // Wording from the change-tracking page; status and code are not documented (400,
  // InvalidArgument).
  return make_error(400, more_codes::invalid_argument,
                    "The \"" + option +
                        "\" query parameter isn't supported when Change Tracking is "
                        "enabled.");
}

Response Operation::retrieve_multiple(const EntityDef& entity) {
  auto parsed = parse_query_options(entity, schema_, params_);
  if (auto* error = std::get_if<ServiceError>(&parsed)) {
    return error_response(*error);
  }
  auto parsed_prefs = parse_prefer(request_.headers);
  if (auto* error = std::get_if<ServiceError>(&parsed_prefs)) {
    return error_response(*error);
  }
  const QueryOptions& options = std::get<QueryOptions>(parsed);
  const Preferences& prefs = std::get<Preferences>(parsed_prefs);
  if (options.deltatoken) {
    return retrieve_changes(entity, options, prefs);
  }
  if (prefs.track_changes) {
    if (auto error = refuse_with_change_tracking(options)) {
      return error_response(*error);
    }
  }
  std::optional<PagingCookie> cookie;
  if (options.skiptoken) {
    cookie = decode_paging_cookie(*options.skiptoken);
    if (!cookie) {
      return error_response(make_error(
          400, more_codes::invalid_argument,
          "The $skiptoken is not a paging cookie this service issued: follow @odata.nextLink "
          "exactly as returned."));
    }
  }
  // [PAGE]: at most 5,000 rows a page; with odata.maxpagesize, $top is ignored.
  const std::size_t page_size = prefs.max_page_size.value_or(max_page_size);

  TxnScope txn(services_.store, outer_txn_);
  std::vector<const StoredRecord*> rows;
  for (const StoredRecord* row : txn.get().scan(entity)) {
    if (!options.filter || options.filter->matches(entity, *row)) {
      rows.push_back(row);
    }
  }
  sort_records(entity, options.orderby, rows);
  const std::size_t matching = rows.size();
  if (options.top && !prefs.max_page_size) {
    rows.resize(std::min(rows.size(), static_cast<std::size_t>(std::max(*options.top, 0))));
  }
  std::size_t first = 0;
  const int page_number = cookie ? cookie->page : 1;
  if (cookie) {
    const auto next = std::find_if(rows.begin(), rows.end(), [&](const StoredRecord* row) {
      return sorts_after(entity, options.orderby, *row, *cookie);
    });
    first = static_cast<std::size_t>(next - rows.begin());
  }
  const std::size_t end = std::min(rows.size(), first + page_size);

  Json value = Json::array();
  for (std::size_t i = first; i < end; ++i) {
    value.push_back(row_json(entity, *rows[i], options, txn.get(), prefs.formatted_values));
  }
  Json body = {{"@odata.context", services_.service_root + "$metadata#" + entity.entity_set +
                                      context_selection(entity, options)},
               {"value", std::move(value)}};
  if (options.count) {
    body["@odata.count"] = std::min(matching, max_page_size); // [COUNT]: capped at 5,000
  }
  if (prefs.total_record_count) {
    body["@Microsoft.Dynamics.CRM.totalrecordcount"] =
        options.count ? static_cast<long long>(std::min(matching, max_page_size)) : -1LL;
    body["@Microsoft.Dynamics.CRM.totalrecordcountlimitexceeded"] = matching > max_page_size;
  }
  if (end < rows.size()) {
    PagingCookie next;
    next.page = page_number + 1;
    next.last_id = rows[end - 1]->id;
    next.last_sort_values = sort_values(entity, options.orderby, *rows[end - 1]);
    body["@odata.nextLink"] = next_link(next);
  } else if (prefs.track_changes) {
    body["@odata.deltaLink"] = delta_link(entity, txn.get());
  }
  context_.records_processed += static_cast<std::int64_t>(end - first);

  Response response = json_response(200, body);
  std::vector<std::string> applied;
  if (prefs.max_page_size) {
    applied.push_back("odata.maxpagesize=" + std::to_string(*prefs.max_page_size));
  }
  if (prefs.track_changes) {
    applied.push_back("odata.track-changes");
  }
  applied.push_back(annotations_applied(prefs));
  set_preference_applied(response, applied);
  return response;
}

Response Operation::retrieve_changes(const EntityDef& entity, const QueryOptions& options,
                                     const Preferences& prefs) {
  if (auto error = refuse_with_change_tracking(options)) {
    return error_response(*error);
  }
  const auto token = parse_delta_token(*options.deltatoken);
  if (!token) {
    return error_response(make_error(
        400, more_codes::invalid_argument,
        "The $deltatoken '" + *options.deltatoken +
            "' is not one this service issued: use the @odata.deltaLink exactly as returned, or "
            "start a full sync with Prefer: odata.track-changes."));
  }
  const auto age = services_.store.clock().now() - token->issued;
  if (age > std::chrono::days(services_.options.compat.change_token_days)) {
    // Message and code from [CACHE]/[I3845]; the Web API status is UNCONFIRMED, 400 like other
    // invalid-argument refusals.
    return error_response(make_error(400, codes::expired_version_stamp,
                                     "Version stamp associated with the client has expired. Please "
                                     "perform a full sync."));
  }
  TxnScope txn(services_.store, outer_txn_);
  const Changes changes = txn.get().changes_since(entity, token->version);
  Json value = Json::array();
  for (const StoredRecord* row : changes.changed) {
    value.push_back(row_json(entity, *row, options, txn.get(), prefs.formatted_values));
  }
  for (const auto& deleted : changes.deleted) {
    value.push_back({{"@odata.context", services_.service_root + "$metadata#" + entity.entity_set +
                                            "/$deletedEntity"},
                     {"id", deleted.id},
                     {"reason", "deleted"}});
  }
  context_.records_processed += static_cast<std::int64_t>(value.size());
  Json body = {{"@odata.context", services_.service_root + "$metadata#" + entity.entity_set +
                                      context_selection(entity, options) + "/$delta"},
               {"value", std::move(value)},
               {"@odata.deltaLink", delta_link(entity, txn.get())}};
  Response response = json_response(200, body);
  set_preference_applied(
      response, {prefs.track_changes ? "odata.track-changes" : "", annotations_applied(prefs)});
  return response;
}

Response Operation::count(const EntityDef& entity) {
  auto parsed = parse_query_options(entity, schema_, params_);
  if (auto* error = std::get_if<ServiceError>(&parsed)) {
    return error_response(*error);
  }
  const QueryOptions& options = std::get<QueryOptions>(parsed);
  TxnScope txn(services_.store, outer_txn_);
  std::size_t total = 0;
  if (options.deltatoken) {
    // [CT]: GET <set>/$count?$deltatoken=... counts the changes.
    const auto token = parse_delta_token(*options.deltatoken);
    if (!token) {
      return error_response(make_error(400, more_codes::invalid_argument,
                                       "The $deltatoken '" + *options.deltatoken +
                                           "' is not one this service issued."));
    }
    const Changes changes = txn.get().changes_since(entity, token->version);
    total = changes.changed.size() + changes.deleted.size();
  } else {
    for (const StoredRecord* row : txn.get().scan(entity)) {
      if (!options.filter || options.filter->matches(entity, *row)) {
        ++total;
      }
    }
  }
  context_.records_processed += 1;
  Response response = odata_response(200);
  response.headers.set("Content-Type", "text/plain; charset=utf-8");
  response.body = std::to_string(std::min(total, max_page_size)); // [COUNT]: capped at 5,000
  return response;
}

Outcome<KeyPredicate> Operation::key_from_odata_id(const EntityDef& entity,
                                                   const std::string& reference) const {
  std::string path = reference;
  if (starts_with(path, services_.service_root)) {
    path = path.substr(services_.service_root.size());
  } else if (starts_with(path, "http://") || starts_with(path, "https://")) {
    auto url = http::parse_url(path);
    path = url.ok() ? url->path : std::string();
  }
  if (starts_with(path, api_path)) {
    path = path.substr(api_path.size());
  } else if (starts_with(path, "/")) {
    path = path.substr(1);
  }
  auto decoded = http::percent_decode(path);
  const Segment segment = split_segment(decoded.ok() ? *decoded : path);
  if (!decoded.ok() || segment.name != entity.entity_set || !segment.key) {
    return payload_error(entity, "\"@odata.id\": \"" + reference + "\" does not name a " +
                                     entity.logical_name + " row; write it as " +
                                     entity.entity_set + "(<id>) or " + entity.entity_set +
                                     "(<key>='<value>').");
  }
  return parse_key_predicate(entity, *segment.key, KeySource::body);
}

// [BULK][UPMREF]: CreateMultiple / UpdateMultiple / UpsertMultiple, all or nothing on standard
// tables. Duplicate detection is not applied to them (it is a per-request header of Create and
// Update).
Response Operation::bulk(const EntityDef& entity, const std::string& message) {
  auto parsed = json_body(&entity);
  if (auto* error = std::get_if<ServiceError>(&parsed)) {
    return error_response(*error);
  }
  const Json& body = std::get<Json>(parsed);
  const auto targets = body.find("Targets");
  if (targets == body.end() || !targets->is_array()) {
    return error_response(payload_error(
        entity, message + " needs the body {\"Targets\": [ ... ]} with one object per row."));
  }
  const std::string expected_type = std::string(action_prefix) + entity.logical_name;
  TxnScope txn(services_.store, outer_txn_);
  Json ids = Json::array();
  for (std::size_t index = 0; index < targets->size(); ++index) {
    const Json& target = (*targets)[index];
    const std::string position = "Targets[" + std::to_string(index) + "]";
    if (!target.is_object()) {
      return error_response(payload_error(entity, position + " is not a JSON object."));
    }
    const auto type = target.find("@odata.type");
    if (type == target.end() || !type->is_string()) {
      return error_response(
          payload_error(entity, position + " has no \"@odata.type\"; every item of " + message +
                                    " needs \"@odata.type\": \"" + expected_type + "\"."));
    }
    std::string type_name = type->get<std::string>();
    if (starts_with(type_name, "#")) {
      type_name.erase(0, 1);
    }
    if (type_name != expected_type) {
      return error_response(payload_error(
          entity, position + " has \"@odata.type\": \"" + type->get<std::string>() + "\" but " +
                      entity.entity_set + " takes \"" + expected_type + "\"."));
    }
    Json item = target;
    item.erase("@odata.type");
    const auto odata_id = item.find("@odata.id");
    std::optional<std::string> reference;
    if (odata_id != item.end()) {
      reference = odata_id->is_string() ? odata_id->get<std::string>() : odata_id->dump();
      item.erase("@odata.id");
    }
    std::optional<std::string> primary_id;
    if (const auto id = item.find(entity.primary_id); id != item.end()) {
      auto uuid = id->is_string() ? leadsync::Uuid::parse(id->get<std::string>())
                                  : leadsync::Uuid::parse("");
      if (!uuid.ok()) {
        return error_response(payload_error(entity, position + "." + entity.primary_id +
                                                        " is not a GUID: " + id->dump() + "."));
      }
      primary_id = uuid->to_string();
    }

    if (message == "CreateMultiple") {
      auto attributes = to_attributes(entity, schema_, item, WriteKind::create, txn.get());
      if (auto* error = std::get_if<ServiceError>(&attributes)) {
        return error_response(*error);
      }
      auto created = create_row(entity, std::move(std::get<Json>(attributes)), false, txn.get());
      if (auto* error = std::get_if<ServiceError>(&created)) {
        return error_response(*error);
      }
      ids.push_back(std::get<const StoredRecord*>(created)->id);
    } else if (message == "UpdateMultiple") {
      if (!primary_id) {
        return error_response(payload_error(entity, position + " has no \"" + entity.primary_id +
                                                        "\"; UpdateMultiple items name their row "
                                                        "by its primary key."));
      }
      const StoredRecord* existing = txn.get().find(entity, *primary_id);
      if (existing == nullptr) {
        return error_response(record_not_found(entity, *primary_id));
      }
      item[entity.primary_id] = *primary_id;
      auto updated = update_row(entity, *existing, item, false, txn.get());
      if (auto* error = std::get_if<ServiceError>(&updated)) {
        return error_response(*error);
      }
    } else {
      KeyPredicate key;
      if (primary_id) {
        key.primary = true;
        key.id = *primary_id;
      } else if (reference) {
        auto from_reference = key_from_odata_id(entity, *reference);
        if (auto* error = std::get_if<ServiceError>(&from_reference)) {
          return error_response(*error);
        }
        key = std::get<KeyPredicate>(from_reference);
      } else {
        return error_response(payload_error(
            entity, position + " names no row: give \"" + entity.primary_id +
                        "\" or \"@odata.id\": \"" + entity.entity_set + "(<key>='<value>')\"."));
      }
      auto outcome = upsert_row(entity, key, std::move(item), false, txn.get());
      if (auto* error = std::get_if<ServiceError>(&outcome)) {
        return error_response(*error);
      }
    }
  }
  finish_write(txn);
  context_.records_processed += static_cast<std::int64_t>(targets->size());
  if (message == "CreateMultiple") {
    return json_response(
        200, {{"@odata.context",
               services_.service_root + "$metadata#Microsoft.Dynamics.CRM.CreateMultipleResponse"},
              {"Ids", std::move(ids)}});
  }
  return odata_response(204);
}

// An entity-typed action parameter:
// {"@odata.type":"Microsoft.Dynamics.CRM.contact","contactid":"..."}.
struct EntityReference {
  const EntityDef* entity = nullptr;
  std::string id;
};

std::variant<std::optional<EntityReference>, ServiceError>
entity_parameter(const Schema& schema, const Json& body, const std::string& name,
                 const std::vector<std::string>& allowed,
                 const std::string& action = "QualifyLead") {
  const auto it = body.find(name);
  if (it == body.end() || it->is_null()) {
    return std::optional<EntityReference>();
  }
  const std::string expected =
      "an object {\"@odata.type\":\"Microsoft.Dynamics.CRM.<table>\",\"<table>id\":\"<guid>\"} "
      "with "
      "<table> " +
      join(allowed, " or ");
  if (!it->is_object() || !it->contains("@odata.type") || !(*it)["@odata.type"].is_string()) {
    return make_error(400, more_codes::invalid_argument,
                      action + " parameter '" + name + "' must be " + expected + ".");
  }
  std::string type = (*it)["@odata.type"].get<std::string>();
  if (starts_with(type, "#")) {
    type.erase(0, 1);
  }
  const std::string logical =
      starts_with(type, action_prefix) ? type.substr(action_prefix.size()) : std::string();
  const EntityDef* entity = schema.by_logical_name(logical);
  if (entity == nullptr || std::find(allowed.begin(), allowed.end(), logical) == allowed.end()) {
    return make_error(400, more_codes::invalid_argument,
                      action + " parameter '" + name + "' has @odata.type '" + type +
                          "'; it must be " + expected + ".");
  }
  const auto id = it->find(entity->primary_id);
  auto uuid = id != it->end() && id->is_string() ? leadsync::Uuid::parse(id->get<std::string>())
                                                 : leadsync::Uuid::parse("");
  if (!uuid.ok()) {
    return make_error(400, more_codes::invalid_argument,
                      action + " parameter '" + name + "' needs \"" + entity->primary_id +
                          "\" with the GUID of the " + logical + ".");
  }
  return std::optional<EntityReference>(EntityReference{entity, uuid->to_string()});
}

void set_if_column(const EntityDef& entity, Json& attributes, const std::string& column,
                   Json value) {
  if (entity.column(column) != nullptr && !value.is_null() &&
      !(value.is_string() && value.get<std::string>().empty())) {
    attributes[column] = std::move(value);
  }
}

// [QLACT][QLSTATUS]: creates the account, contact and opportunity the flags ask for, linked to the
// lead by originatingleadid, and closes the lead as qualified; one transaction.
Response Operation::qualify_lead(const EntityDef& lead_entity, const std::string& key_text) {
  auto key = parse_key_predicate(lead_entity, key_text);
  if (auto* error = std::get_if<ServiceError>(&key)) {
    return error_response(*error);
  }
  auto parsed = json_body(&lead_entity);
  if (auto* error = std::get_if<ServiceError>(&parsed)) {
    return error_response(*error);
  }
  const Json& body = std::get<Json>(parsed);
  bool flags[3] = {false, false, false};
  const char* flag_names[3] = {"CreateAccount", "CreateContact", "CreateOpportunity"};
  for (int i = 0; i < 3; ++i) {
    const auto it = body.find(flag_names[i]);
    if (it == body.end() || !it->is_boolean()) {
      return error_response(make_error(400, more_codes::invalid_argument,
                                       std::string("QualifyLead needs the parameter '") +
                                           flag_names[i] +
                                           "' as true or false (Edm.Boolean, not nullable)."));
    }
    flags[i] = it->get<bool>();
  }
  const auto [create_account, create_contact, create_opportunity] = flags;
  const auto status_param = body.find("Status");
  if (status_param == body.end() || !status_param->is_number_integer()) {
    return error_response(
        make_error(400, more_codes::invalid_argument,
                   "QualifyLead needs the parameter 'Status' (Edm.Int32): the "
                   "lead's qualified statuscode, 3, or -1 to let the system pick."));
  }
  std::optional<EntityReference> references[3];
  const std::pair<const char*, std::vector<std::string>> reference_params[3] = {
      {"OpportunityCurrencyId", {"transactioncurrency"}},
      {"OpportunityCustomerId", {"account", "contact"}},
      {"SourceCampaignId", {"campaign"}}};
  for (int i = 0; i < 3; ++i) {
    auto reference =
        entity_parameter(schema_, body, reference_params[i].first, reference_params[i].second);
    if (auto* error = std::get_if<ServiceError>(&reference)) {
      return error_response(*error);
    }
    references[i] = std::get<std::optional<EntityReference>>(reference);
  }
  const auto& [currency, customer, campaign] = references;

  TxnScope txn(services_.store, outer_txn_);
  auto found = find_by_predicate(lead_entity, std::get<KeyPredicate>(key), txn.get());
  if (auto* error = std::get_if<ServiceError>(&found)) {
    return error_response(*error);
  }
  const std::string lead_id = std::get<const StoredRecord*>(found)->id;
  const Json lead = std::get<const StoredRecord*>(found)->attributes;
  if (int_attribute(lead, "statecode").value_or(0) != 0) {
    // [QLTS] wording; status is the UNCONFIRMED switch, code InvalidArgument (none documented).
    return error_response(make_error(services_.options.compat.qualify_closed_status,
                                     more_codes::invalid_argument,
                                     "The lead is closed and you cannot convert or qualify a lead "
                                     "that is already closed."));
  }
  int status = status_param->get<int>();
  if (status == -1) {
    status = 3; // [QLSTATUS]: -1 lets the system pick; Qualified is the only status of state 1
  }
  const ColumnDef* status_column = lead_entity.column("statuscode");
  const OptionValue* status_option =
      status_column != nullptr ? status_column->option(status) : nullptr;
  if (status_option == nullptr || status_option->state != 1) {
    return error_response(make_error(400, codes::invalid_state_status,
                                     std::to_string(status) +
                                         " is not a valid status code for state code "
                                         "LeadState.Qualified on lead with Id " +
                                         lead_id + "."));
  }
  Json lead_changes = {{"statecode", 1}, {"statuscode", status}};
  for (const auto& reference : references) {
    if (reference && txn.get().find(*reference->entity, reference->id) == nullptr) {
      return error_response(record_not_found(*reference->entity, reference->id));
    }
  }
  const std::string company = string_attribute(lead, "companyname");
  if (create_account && company.empty()) {
    // [LEAD]: companyname becomes the account name. Dataverse's exact refusal is not documented.
    return error_response(make_error(
        400, more_codes::invalid_argument,
        "The lead has no companyname, which becomes the new account's name: set companyname on the "
        "lead, or qualify with CreateAccount false."));
  }
  const EntityDef* account_entity = schema_.by_logical_name("account");
  const EntityDef* contact_entity = schema_.by_logical_name("contact");
  const EntityDef* opportunity_entity = schema_.by_logical_name("opportunity");
  const Json origin = lookup_value(lead_id, "lead");
  Json created = Json::array();
  std::optional<std::string> account_id;
  std::optional<std::string> contact_id;

  if (create_account && account_entity != nullptr) {
    Json account = Json::object();
    set_if_column(*account_entity, account, "name", company);
    set_if_column(*account_entity, account, "originatingleadid", origin);
    account_id = txn.get().insert(*account_entity, std::move(account)).id;
    created_.push_back(PendingEvent{account_entity, *account_id});
    created.push_back(
        {{"@odata.type", "#Microsoft.Dynamics.CRM.account"}, {"accountid", *account_id}});
    lead_changes["parentaccountid"] = lookup_value(*account_id, "account");
  }
  if (create_contact && contact_entity != nullptr) {
    Json contact = Json::object();
    for (const char* column :
         {"firstname", "lastname", "emailaddress1", "telephone1", "jobtitle"}) {
      set_if_column(*contact_entity, contact, column, lead.value(column, Json()));
    }
    if (account_id) {
      set_if_column(*contact_entity, contact, "parentcustomerid",
                    lookup_value(*account_id, "account"));
    }
    set_if_column(*contact_entity, contact, "originatingleadid", origin);
    contact_id = txn.get().insert(*contact_entity, std::move(contact)).id;
    created_.push_back(PendingEvent{contact_entity, *contact_id});
    created.push_back(
        {{"@odata.type", "#Microsoft.Dynamics.CRM.contact"}, {"contactid", *contact_id}});
    lead_changes["parentcontactid"] = lookup_value(*contact_id, "contact");
  }
  if (create_opportunity && opportunity_entity != nullptr) {
    Json opportunity = Json::object();
    const std::string subject = string_attribute(lead, "subject");
    // UNCONFIRMED mapping [LEAD]: subject -> opportunity name.
    set_if_column(*opportunity_entity, opportunity, "name",
                  !subject.empty() ? subject
                                   : "Opportunity for " + string_attribute(lead, "fullname"));
    if (account_id) {
      set_if_column(*opportunity_entity, opportunity, "customerid",
                    lookup_value(*account_id, "account"));
      set_if_column(*opportunity_entity, opportunity, "parentaccountid",
                    lookup_value(*account_id, "account"));
    } else if (contact_id) {
      set_if_column(*opportunity_entity, opportunity, "customerid",
                    lookup_value(*contact_id, "contact"));
    } else if (customer) {
      set_if_column(*opportunity_entity, opportunity, "customerid",
                    lookup_value(customer->id, customer->entity->logical_name));
    }
    if (contact_id) {
      set_if_column(*opportunity_entity, opportunity, "parentcontactid",
                    lookup_value(*contact_id, "contact"));
    }
    if (currency) {
      set_if_column(*opportunity_entity, opportunity, "transactioncurrencyid",
                    lookup_value(currency->id, "transactioncurrency"));
    }
    if (campaign) {
      set_if_column(*opportunity_entity, opportunity, "campaignid",
                    lookup_value(campaign->id, "campaign"));
    }
    set_if_column(*opportunity_entity, opportunity, "originatingleadid", origin);
    const std::string opportunity_id =
        txn.get().insert(*opportunity_entity, std::move(opportunity)).id;
    created_.push_back(PendingEvent{opportunity_entity, opportunity_id});
    created.push_back({{"@odata.type", "#Microsoft.Dynamics.CRM.opportunity"},
                       {"opportunityid", opportunity_id}});
    lead_changes["qualifyingopportunityid"] = lookup_value(opportunity_id, "opportunity");
  }
  txn.get().update(lead_entity, lead_id, lead_changes);
  finish_write(txn);
  context_.records_processed += static_cast<std::int64_t>(created.size()) + 1;
  return json_response(
      200, {{"@odata.context",
             services_.service_root + "$metadata#Collection(Microsoft.Dynamics.CRM.crmbaseentity)"},
            {"value", std::move(created)}});
}

// The table a Merge parameter names by its "@odata.type" ("Microsoft.Dynamics.CRM.lead" -> "lead"),
// or "" when it names none.
std::string parameter_table(const Json& body, const std::string& name) {
  const auto it = body.find(name);
  if (it == body.end() || !it->is_object()) {
    return {};
  }
  std::string type = it->value("@odata.type", "");
  if (starts_with(type, "#")) {
    type.erase(0, 1);
  }
  return starts_with(type, action_prefix) ? type.substr(action_prefix.size()) : std::string();
}

// The unbound Merge action, for leads. Sources:
// [MERGE]
// https://learn.microsoft.com/en-us/power-apps/developer/data-platform/webapi/merge-entity-using-web-api
//   (MicrosoftDocs/powerapps-docs webapi/merge-entity-using-web-api.md): POST
//   [Org]/api/data/v9.x/Merge with Target, Subordinate (crmbaseentity, with @odata.type),
//   UpdateContent (optional) and PerformParentingChecks (Boolean, required); only account, contact,
//   lead (Dynamics 365 Sales) and incident can be merged; the Subordinate is deactivated; 204 No
//   Content, no return value.
// [MERGEREF]
// https://learn.microsoft.com/en-us/power-apps/developer/data-platform/webapi/reference/merge
//   (UpdateContent: "Additional entity attributes to be set during the merge operation";
//   PerformParentingChecks: "check if the parent information is different for the two records").
// [LEADREF] the lead entity reference (MicrosoftDocs/dynamics-365-customer-engagement
//   ce/developer/entities/lead.md): masterid "Unique identifier of the master lead for merge" and
//   merged "Tells whether the lead has been merged with another lead", both read-only;
//   account_originating_lead and contact_originating_lead cascade on Merge (reparented).
// What the pages leave open, the emulator decides and says so below (UNCONFIRMED): the subordinate
// lead ends Disqualified/Canceled (statecode 2, statuscode 7), the only inactive state a lead has
// besides Qualified; the subordinate's column values are not copied (what should move goes in
// UpdateContent, as the merge dialog builds it); the error codes and wording of the refusals.
Response Operation::merge() {
  auto parsed = json_body(nullptr);
  if (auto* error = std::get_if<ServiceError>(&parsed)) {
    return error_response(*error);
  }
  const Json& body = std::get<Json>(parsed);
  const auto checks = body.find("PerformParentingChecks");
  if (checks == body.end() || !checks->is_boolean()) {
    return error_response(
        make_error(400, more_codes::invalid_argument,
                   "Merge needs the parameter 'PerformParentingChecks' as true or false "
                   "(Edm.Boolean, not nullable)."));
  }
  for (const char* name : {"Target", "Subordinate"}) {
    const std::string table = parameter_table(body, name);
    if (table == "account" || table == "contact" || table == "incident") {
      // Dataverse merges these too [MERGE]; the emulator serves the lead merge only.
      return error_response(make_error(
          501, more_codes::invalid_argument,
          std::string("Merge of ") + table +
              " records is not modelled by this emulator, which merges leads only; test that "
              "merge against a Dataverse environment."));
    }
    if (!table.empty() && table != "lead") {
      return error_response(make_error(
          400, more_codes::invalid_argument,
          std::string("Merge parameter '") + name + "' is a " + table +
              " record, which cannot be merged: only account, contact, lead and incident "
              "records can be merged."));
    }
  }
  std::optional<EntityReference> references[2];
  const char* reference_names[2] = {"Target", "Subordinate"};
  for (int i = 0; i < 2; ++i) {
    auto reference = entity_parameter(schema_, body, reference_names[i], {"lead"}, "Merge");
    if (auto* error = std::get_if<ServiceError>(&reference)) {
      return error_response(*error);
    }
    references[i] = std::get<std::optional<EntityReference>>(reference);
    if (!references[i]) {
      return error_response(make_error(
          400, more_codes::invalid_argument,
          std::string("Merge needs the parameter '") + reference_names[i] +
              "': {\"@odata.type\":\"Microsoft.Dynamics.CRM.lead\",\"leadid\":\"<guid>\"}."));
    }
  }
  const EntityDef& lead_entity = *references[0]->entity;
  const std::string target_id = references[0]->id;
  const std::string subordinate_id = references[1]->id;
  if (target_id == subordinate_id) {
    return error_response(
        make_error(400, more_codes::invalid_argument,
                   "The Target and the Subordinate of a merge are the same lead (" + target_id +
                       "); name two different records."));
  }
  Json update_content = Json::object();
  if (const auto content = body.find("UpdateContent");
      content != body.end() && !content->is_null()) {
    if (!content->is_object()) {
      return error_response(make_error(
          400, more_codes::invalid_argument,
          "Merge parameter 'UpdateContent' must be an object of the target's columns with "
          "\"@odata.type\":\"Microsoft.Dynamics.CRM.lead\"."));
    }
    update_content = *content;
    const std::string table = parameter_table(body, "UpdateContent");
    if (table != "lead") {
      // [MERGE]: the parameter types are not fixed, so @odata.type is required.
      return error_response(make_error(
          400, more_codes::invalid_argument,
          "Merge parameter 'UpdateContent' needs \"@odata.type\":\"Microsoft.Dynamics.CRM.lead\", "
          "the type of the Target."));
    }
    update_content.erase("@odata.type");
  }

  TxnScope txn(services_.store, outer_txn_);
  const StoredRecord* target = txn.get().find(lead_entity, target_id);
  if (target == nullptr) {
    return error_response(record_not_found(lead_entity, target_id));
  }
  const StoredRecord* subordinate = txn.get().find(lead_entity, subordinate_id);
  if (subordinate == nullptr) {
    return error_response(record_not_found(lead_entity, subordinate_id));
  }
  const auto master_of = [](const Json& attributes) {
    const auto master = attributes.find("masterid");
    return master != attributes.end() && master->is_object() ? master->value("id", "")
                                                             : std::string();
  };
  if (subordinate->attributes.value("merged", false)) {
    // UNCONFIRMED wording and code: Dataverse's refusal of a second merge is not documented.
    return error_response(make_error(
        400, more_codes::invalid_argument,
        "The subordinate lead " + subordinate_id + " was already merged into lead " +
            master_of(subordinate->attributes) + " and is inactive; it cannot be merged again."));
  }
  if (target->attributes.value("merged", false)) {
    return error_response(make_error(400, more_codes::invalid_argument,
                                     "The target lead " + target_id + " was merged into lead " +
                                         master_of(target->attributes) +
                                         " and is inactive; merge into that lead instead."));
  }
  for (const auto& [role, record] :
       {std::pair<const char*, const StoredRecord*>{"subordinate", subordinate},
        {"target", target}}) {
    if (const int state = int_attribute(record->attributes, "statecode").value_or(0); state != 0) {
      // UNCONFIRMED: a closed lead is read-only [LEAD], so the emulator merges open leads only.
      return error_response(
          make_error(400, more_codes::invalid_argument,
                     std::string("The ") + role + " lead " + record->id + " is closed (statecode " +
                         std::to_string(state) +
                         "); only open leads can be merged. Reactivate it first with a PATCH of "
                         "{\"statecode\":0,\"statuscode\":1}, then merge."));
    }
  }
  if (checks->get<bool>()) {
    // [MERGEREF]: the parent information must not differ; for a lead, its parent account and
    // parent contact. UNCONFIRMED wording and code.
    for (const char* parent : {"parentaccountid", "parentcontactid"}) {
      const Json& mine = target->attributes.value(parent, Json());
      const Json& theirs = subordinate->attributes.value(parent, Json());
      if (!mine.is_null() && !theirs.is_null() && mine != theirs) {
        return error_response(make_error(
            400, more_codes::invalid_argument,
            std::string("The Target and the Subordinate have different ") + parent +
                " values, and PerformParentingChecks is true: align the parent first, or merge "
                "with PerformParentingChecks false to keep the target's."));
      }
    }
  }
  const std::string target_key = target->id;
  if (!update_content.empty()) {
    auto updated = update_row(lead_entity, *target, update_content, false, txn.get());
    if (auto* error = std::get_if<ServiceError>(&updated)) {
      return error_response(*error);
    }
  }
  // [LEADREF]: records pointing at the subordinate through a relationship that cascades on Merge
  // move to the target.
  for (const char* table : {"account", "contact"}) {
    const EntityDef* related = schema_.by_logical_name(table);
    if (related == nullptr || related->column("originatingleadid") == nullptr) {
      continue;
    }
    std::vector<std::string> moved;
    for (const StoredRecord* row : txn.get().scan(*related)) {
      const auto origin = row->attributes.find("originatingleadid");
      if (origin != row->attributes.end() && origin->is_object() &&
          origin->value("id", "") == subordinate_id) {
        moved.push_back(row->id);
      }
    }
    for (const auto& id : moved) {
      txn.get().update(*related, id, {{"originatingleadid", lookup_value(target_key, "lead")}});
    }
  }
  txn.get().update(lead_entity, subordinate_id,
                   {{"statecode", 2},
                    {"statuscode", 7},
                    {"merged", true},
                    {"masterid", lookup_value(target_key, "lead")}});
  finish_write(txn);
  context_.records_processed += 2;
  return odata_response(204);
}

} // namespace

WebApi::WebApi(const Schema& schema, RecordStore& store, const EmulatorOptions& options,
               EventSink* events)
    : schema_(schema), store_(store), options_(options), events_(events),
      service_root_(options.organization_url + std::string(api_path)) {}

Response WebApi::handle(const Request& request, CallContext& context) {
  const http::Target target = http::split_target(request.url);
  if (target.path == std::string(api_path) + "$batch") {
    if (request.method != "POST") {
      Response response = error_response(make_error(
          405, "",
          "The requested resource does not support http method '" + request.method + "'."));
      response.headers.set("Allow", "POST");
      return response;
    }
    return handle_batch(*this, request, context, options_);
  }
  return execute(request, context, nullptr);
}

Response WebApi::execute(const Request& request, CallContext& context, RecordStore::Txn* txn) {
  const Services services{schema_, store_, options_, events_, service_root_};
  try {
    return Operation(services, request, context, txn).run();
  } catch (const std::exception& e) {
    // A bug in the emulator: answer as Dataverse answers an unexpected failure (UnExpected), with
    // the cause.
    return error_response(
        make_error(500, "0x80040216", std::string("Unexpected error: ") + e.what()));
  }
}

void WebApi::announce(const std::vector<PendingEvent>& events, const CallContext& context) {
  const Services services{schema_, store_, options_, events_, service_root_};
  notify_created(services, events, context.user_id);
}

} // namespace dvemu
