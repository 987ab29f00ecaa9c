#pragma once
// Character-level helpers shared by the filter, query and response code: name and GUID checks, and
// the percent-encoding of rendered OData expressions.

#include <string>
#include <string_view>

namespace leadsync::odata {

// [A-Za-z_][A-Za-z0-9_]*, which covers logical names and the _x_value lookup form.
bool is_identifier(std::string_view text);
// One identifier, or several joined by '/' (a navigation path such as parentaccountid/name).
bool is_column_path(std::string_view text);
// 8-4-4-4-12 hexadecimal digits, no braces.
bool is_guid(std::string_view text);

// Percent-encodes rendered OData text (a $filter, a key predicate value) for a URL. Everything
// inside a string literal, quotes included, is encoded except the unreserved characters; outside
// literals the grammar's own characters ( ) , / : stay readable and spaces become %20.
std::string encode_for_url(std::string_view odata_text);

} // namespace leadsync::odata
