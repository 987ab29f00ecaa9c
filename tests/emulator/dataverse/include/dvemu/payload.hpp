#pragma once
// Turning an incoming JSON body into row attributes (and rows back into OData JSON), with Dataverse's
// validation: unknown properties, types, maximum lengths, ranges, option-set values, read-only columns,
// @odata.bind lookups (the target must exist), and statecode/statuscode pairs.

#include "dvemu/record_store.hpp"
#include "dvemu/service_error.hpp"

#include <optional>
#include <string>
#include <variant>
#include <vector>

namespace dvemu {

enum class WriteKind { create, update };

template <typename T> using Outcome = std::variant<T, ServiceError>; // value or the error to answer with

// Validates body against the entity and converts it to stored attributes. `$n` Content-ID references in
// @odata.bind values are resolved by the caller before this (it passes absolute or relative entity URLs).
Outcome<Json> to_attributes(const EntityDef& entity, const Schema& schema, const Json& body,
                            WriteKind kind, const RecordStore::Txn& txn);

// Parses a key predicate "(<guid>)", "(leadid=<guid>)", "(leadsync_externalid='A''B')",
// "(firstname='Joe',emailaddress1='a@b.c')" into key columns and stored values, checking that the columns
// form the primary key or a defined alternate key (else the documented "The key in the request URI is not
// valid for resource ..." error).
struct KeyPredicate {
  bool primary = false;      // the primary key: id holds the GUID
  std::string id;
  std::vector<std::pair<std::string, Json>> alternate; // column -> value
};
Outcome<KeyPredicate> parse_key_predicate(const EntityDef& entity, const std::string& text);

// A row as the Web API returns it: @odata.etag, every readable column (or only `select`, plus the primary
// key), lookups as _<name>_value, money and numbers as numbers, nulls for empty columns when selected.
Json to_odata(const EntityDef& entity, const StoredRecord& record,
              const std::vector<std::string>& select);

} // namespace dvemu
