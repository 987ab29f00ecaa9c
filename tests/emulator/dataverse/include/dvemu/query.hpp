#pragma once
// OData query options for GET on a collection: $select, $filter (eq ne gt ge lt le, and or not,
// parentheses, contains startswith endswith, null, quote-doubled strings, GUIDs, dates, numbers,
// booleans), $orderby, $top, $count, $expand (single-valued lookups), $skiptoken (paging cookie),
// $deltatoken; and the unsupported ones ($skip, $search, $format) refused as Dataverse refuses
// them.

#include "dvemu/record_store.hpp"
#include "dvemu/service_error.hpp"

#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <variant>
#include <vector>

namespace dvemu {

struct FilterNode; // parsed $filter expression (defined in query.cpp)

struct Filter {
  std::shared_ptr<const FilterNode> root;
  // True when the row satisfies the expression. Column types come from the entity: string
  // comparisons are case-insensitive, lookups compare by GUID (written _x_value in filters), dates
  // by instant.
  bool matches(const EntityDef& entity, const StoredRecord& record) const;
};

struct OrderBy {
  std::string column;
  bool descending = false;
};

struct Expand {
  std::string navigation;          // single-valued navigation property, e.g. parentaccountid
  std::vector<std::string> select; // $expand=parentaccountid($select=name)
};

// Column names below are logical names: a lookup written _parentaccountid_value in the query
// appears as parentaccountid.
struct QueryOptions {
  std::vector<std::string> select; // empty = every column
  std::optional<Filter> filter;
  std::vector<OrderBy> orderby;
  std::optional<int> top;
  bool count = false;
  std::vector<Expand> expand;
  std::optional<std::string> skiptoken;  // raw (decoded once from the URL)
  std::optional<std::string> deltatoken; // raw
};

// Query parameters as decoded (name, value) pairs, in URL order. Unknown columns in
// $select/$filter/ $orderby, bad syntax (e.g. "There is an unterminated literal at position 21 in
// 'lastname eq 'O'Bryan''.") and unsupported options give the ServiceError Dataverse gives.
std::variant<QueryOptions, ServiceError>
parse_query_options(const EntityDef& entity, const Schema& schema,
                    const std::vector<std::pair<std::string, std::string>>& parameters);

// Sorts rows by orderby (nulls first when ascending, as SQL Server does), then by primary key so
// paging is stable. Lookups sort by the referenced id (Dataverse sorts them by the referenced row's
// name).
void sort_records(const EntityDef& entity, const std::vector<OrderBy>& orderby,
                  std::vector<const StoredRecord*>& rows);

// The paging cookie carried in $skiptoken: which page, and the sort key and id of the last row
// returned. Encoded in Dataverse's shape (<cookie pagenumber="2" pagingcookie="..."
// istracking="False" />).
struct PagingCookie {
  int page = 1;
  std::vector<Json> last_sort_values;
  std::string last_id;
};
std::string encode_paging_cookie(const PagingCookie& cookie);
std::optional<PagingCookie> decode_paging_cookie(const std::string& skiptoken);

// The values a paging cookie remembers of a row: one per orderby column (lookups as their id).
std::vector<Json> sort_values(const EntityDef& entity, const std::vector<OrderBy>& orderby,
                              const StoredRecord& record);
// True when the row comes after the cookie's last row in sort_records order: where the next page
// starts.
bool sorts_after(const EntityDef& entity, const std::vector<OrderBy>& orderby,
                 const StoredRecord& record, const PagingCookie& cookie);

} // namespace dvemu
