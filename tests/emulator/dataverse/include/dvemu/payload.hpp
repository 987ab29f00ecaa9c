#pragma once
// Turning an incoming JSON body into row attributes (and rows back into OData JSON), with
// Dataverse's validation: unknown properties, types, maximum lengths, ranges, option-set values,
// read-only columns,
// @odata.bind lookups (the target must exist), and statecode/statuscode pairs.

#include "dvemu/record_store.hpp"
#include "dvemu/service_error.hpp"

#include <optional>
#include <string>
#include <variant>
#include <vector>

namespace dvemu {

enum class WriteKind { create, update };

template <typename T>
using Outcome = std::variant<T, ServiceError>; // value or the error to answer with

// Validates body against the entity and converts it to stored attributes. `$n` Content-ID
// references in
// @odata.bind values are resolved by the caller before this (it passes absolute or relative entity
// URLs). Columns that are not valid for the write (read-only, or create-only on update) are refused
// with 400; a statecode alone brings its default statuscode; a create starts in the open state and
// is refused (412) when its id or an alternate-key value is already taken. The primary key in an
// update body is passed through (lower-case) for the caller to compare with the URL.
Outcome<Json> to_attributes(const EntityDef& entity, const Schema& schema, const Json& body,
                            WriteKind kind, const RecordStore::Txn& txn);
// The same for an update of the row `record_id`: a statuscode sent without statecode is checked
// against the row's current statecode, error messages name the row as Dataverse's do, and an
// alternate-key value another row has is refused (412).
Outcome<Json> to_attributes(const EntityDef& entity, const Schema& schema, const Json& body,
                            WriteKind kind, const RecordStore::Txn& txn,
                            const std::string& record_id);

// Parses a key predicate "(<guid>)", "(leadid=<guid>)", "(leadsync_externalid='A''B')",
// "(firstname='Joe',emailaddress1='a@b.c')" into key columns and stored values, checking that the
// columns form the primary key or a defined alternate key (else the documented "The key in the
// request URI is not valid for resource ..." error).
struct KeyPredicate {
  bool primary = false; // the primary key: id holds the GUID
  std::string id;
  std::vector<std::pair<std::string, Json>> alternate; // column -> value
};
// Key values containing / < > * % & : \ ? + are refused in URLs, where Dataverse cannot take them
// (https://learn.microsoft.com/en-us/power-apps/developer/data-platform/define-alternate-keys-entity);
// KeySource::body (an "@odata.id" inside UpsertMultiple targets) accepts them.
enum class KeySource { url, body };
Outcome<KeyPredicate> parse_key_predicate(const EntityDef& entity, const std::string& text);
Outcome<KeyPredicate> parse_key_predicate(const EntityDef& entity, const std::string& text,
                                          KeySource source);

// Errors the Web API shares with this file: 404 "<table> With Id = <guid> Does Not Exist"
// (ObjectDoesNotExist), 404 for a missing alternate-key row, 412 for a duplicate alternate-key
// value.
ServiceError record_not_found(const EntityDef& entity, const std::string& id);
ServiceError key_not_found(const EntityDef& entity);
ServiceError duplicate_key_error(const EntityDef& entity, const AlternateKeyDef& key);

// A row as the Web API returns it: @odata.etag, every readable column (or only `select`, plus the
// primary key), lookups as _<name>_value, money and numbers as numbers, nulls for empty columns
// when selected.
Json to_odata(const EntityDef& entity, const StoredRecord& record,
              const std::vector<std::string>& select);

// The annotation a property's formatted value goes in: "<property>@OData.Community.Display.V1.
// FormattedValue".
inline constexpr const char* formatted_value_suffix = "@OData.Community.Display.V1.FormattedValue";

// Adds the FormattedValue annotation [COMPOSE][SELECT] next to every non-null choice, statecode and
// statuscode property of `row` (a to_odata() row): the option's label. Money gets "$20,000.00"
// (the emulator's one currency is the US Dollar), dates "4/7/2023 2:59 PM" (UTC; Dataverse uses
// the user's time zone and format) and date-only columns "4/7/2023".
void add_formatted_values(const EntityDef& entity, Json& row);

} // namespace dvemu
