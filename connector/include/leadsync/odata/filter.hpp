#pragma once
// A small typed $filter builder: literals are escaped as OData requires (strings quote-doubled,
// GUIDs bare, dates ISO), so no caller ever pastes a value into a filter string.
//   using namespace leadsync::odata;
//   auto f = eq("emailaddress1", "o'brien@example.com") && !eq("statecode", 2);
//   f.to_string() == "emailaddress1 eq 'o''brien@example.com' and not (statecode eq 2)"

#include "leadsync/core/result.hpp"

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <variant>

namespace leadsync::odata {

struct Guid {
  std::string value; // checked when the filter is rendered
};
struct DateOnly {
  std::string value; // "YYYY-MM-DD"
};
struct Null {};

// A literal value in a filter.
using Literal = std::variant<Null, bool, std::int64_t, double, std::string, Guid, DateOnly,
                             std::chrono::system_clock::time_point>;

// Renders a literal as OData wants it in a URL (before percent-encoding): 'O''Brien', 12, 1.5,
// true, null, 1b4e28ba-2fa1-4d2b-883f-0016d3cca427, 2026-11-22, 2026-11-22T20:00:00Z.
Result<std::string> format_literal(const Literal& literal);
std::string quote_string(std::string_view text); // 'O''Brien'

class Filter {
public:
  struct Node;
  explicit Filter(std::shared_ptr<const Node> node) : node_(std::move(node)) {}
  // The $filter text; fails (invalid_argument) on a bad column name or a malformed GUID/date.
  Result<std::string> to_string() const;
  const std::shared_ptr<const Node>& node() const { return node_; }

private:
  std::shared_ptr<const Node> node_;
};

Filter eq(std::string column, Literal value);
Filter ne(std::string column, Literal value);
Filter gt(std::string column, Literal value);
Filter ge(std::string column, Literal value);
Filter lt(std::string column, Literal value);
Filter le(std::string column, Literal value);
Filter contains(std::string column, std::string text);
Filter startswith(std::string column, std::string text);
Filter endswith(std::string column, std::string text);
Filter operator&&(Filter left, Filter right);
Filter operator||(Filter left, Filter right);
Filter operator!(Filter operand);

} // namespace leadsync::odata
