#pragma once
// Query options for a collection or a single row, rendered as a percent-encoded query string.

#include "leadsync/odata/filter.hpp"

#include <optional>
#include <string>
#include <vector>

namespace leadsync::odata {

struct OrderBy {
  std::string column;
  bool descending = false;
};

struct ExpandItem {
  std::string navigation;          // single-valued navigation property, e.g. parentaccountid
  std::vector<std::string> select; // nested $select
};

struct Query {
  std::vector<std::string> select;
  std::optional<Filter> filter;
  std::vector<OrderBy> orderby;
  std::optional<int> top;
  bool count = false;
  std::vector<ExpandItem> expand;

  // "$select=a,b&$filter=...&$orderby=a desc&$top=5&$count=true&$expand=x($select=y)", each value
  // percent-encoded (including ' , $ & + / : ; = ? @ in literals), without the leading '?'. Empty
  // when no option is set.
  Result<std::string> to_query_string() const;
};

// Key predicates for a row URL. By id: "(1b4e28ba-...)" (the GUID is checked). By alternate key:
// "(leadsync_externalid='A''B')" or "(firstname='Joe',emailaddress1='a@b.c')"; a string value
// holding a character Dataverse cannot take in a key (/ < > * % & : \ ? +) is refused with an error
// naming the key and the character, before any request is sent. Values are percent-encoded for the
// URL.
Result<std::string> key_by_id(std::string_view guid);
Result<std::string> key_by_alternate(const std::vector<std::pair<std::string, Literal>>& columns);

} // namespace leadsync::odata
