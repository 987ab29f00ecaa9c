#include "leadsync/odata/query.hpp"

#include "leadsync/core/text.hpp"
#include "odata_text.hpp"

#include <fmt/format.h>

namespace leadsync::odata {

namespace {

// The characters that break GET, PATCH and upsert by an alternate key whose value holds them.
constexpr std::string_view key_forbidden_characters = "/<>*%&:\\?+";

Status check_name(std::string_view name, std::string_view option) {
  if (is_identifier(name)) {
    return ok_status();
  }
  return fail(ErrorCategory::invalid_argument,
              fmt::format("'{}' in {} is not a column or navigation property name: use the logical "
                          "name (letters, digits and '_', not starting with a digit)",
                          name, option));
}

Result<std::string> name_list(const std::vector<std::string>& names, std::string_view option) {
  std::string list;
  for (const std::string& name : names) {
    LEADSYNC_CHECK(check_name(name, option));
    list += (list.empty() ? "" : ",") + name;
  }
  return list;
}

Result<std::string> orderby_value(const std::vector<OrderBy>& orderby) {
  std::string value;
  for (const OrderBy& order : orderby) {
    LEADSYNC_CHECK(check_name(order.column, "$orderby"));
    value += (value.empty() ? "" : ",") + order.column + (order.descending ? "%20desc" : "");
  }
  return value;
}

Result<std::string> expand_value(const std::vector<ExpandItem>& expand) {
  std::string value;
  for (const ExpandItem& item : expand) {
    LEADSYNC_CHECK(check_name(item.navigation, "$expand"));
    value += (value.empty() ? "" : ",") + item.navigation;
    if (!item.select.empty()) {
      LEADSYNC_TRY(std::string nested, name_list(item.select, "$expand/$select"));
      value += "($select=" + nested + ")";
    }
  }
  return value;
}

} // namespace

Result<std::string> Query::to_query_string() const {
  std::string query;
  const auto add = [&query](std::string_view option, std::string_view value) {
    query += fmt::format("{}{}={}", query.empty() ? "" : "&", option, value);
  };
  if (!select.empty()) {
    LEADSYNC_TRY(std::string value, name_list(select, "$select"));
    add("$select", value);
  }
  if (filter) {
    LEADSYNC_TRY(std::string text, filter->to_string());
    add("$filter", encode_for_url(text));
  }
  if (!orderby.empty()) {
    LEADSYNC_TRY(std::string value, orderby_value(orderby));
    add("$orderby", value);
  }
  if (top) {
    if (*top < 0) {
      return fail(ErrorCategory::invalid_argument,
                  fmt::format("$top must not be negative (got {}): ask for 0 or more rows", *top));
    }
    add("$top", std::to_string(*top));
  }
  if (count) {
    add("$count", "true");
  }
  if (!expand.empty()) {
    LEADSYNC_TRY(std::string value, expand_value(expand));
    add("$expand", value);
  }
  return query;
}

Result<std::string> key_by_id(std::string_view guid) {
  if (!is_guid(guid)) {
    return fail(ErrorCategory::invalid_argument,
                fmt::format("'{}' is not a row id: a Dataverse id is a GUID written as 8-4-4-4-12 "
                            "hexadecimal digits",
                            guid));
  }
  return "(" + text::ascii_lower(guid) + ")";
}

Result<std::string> key_by_alternate(const std::vector<std::pair<std::string, Literal>>& columns) {
  if (columns.empty()) {
    return fail(ErrorCategory::invalid_argument,
                "an alternate key needs at least one column and its value");
  }
  std::string predicate;
  for (const auto& [column, value] : columns) {
    if (!is_identifier(column)) {
      return fail(ErrorCategory::invalid_argument,
                  fmt::format("'{}' is not an alternate key column name: use the column's logical "
                              "name",
                              column));
    }
    if (std::holds_alternative<Null>(value)) {
      return fail(ErrorCategory::invalid_argument,
                  fmt::format("alternate key column '{}' has no value: a row cannot be addressed "
                              "by a null key",
                              column));
    }
    if (const auto* text = std::get_if<std::string>(&value)) {
      if (const auto bad = text->find_first_of(key_forbidden_characters);
          bad != std::string::npos) {
        return fail(ErrorCategory::invalid_argument,
                    fmt::format("the value of alternate key column '{}' contains '{}', and "
                                "Dataverse cannot address a row by a key holding / < > * % & : \\ "
                                "? + in a URL: use the record id or upsert by another key",
                                column, (*text)[bad]));
      }
    }
    LEADSYNC_TRY(std::string literal, format_literal(value));
    predicate += (predicate.empty() ? "" : ",") + column + "=" + encode_for_url(literal);
  }
  return "(" + predicate + ")";
}

} // namespace leadsync::odata
