#include "leadsync/odata/filter.hpp"

#include "leadsync/core/text.hpp"
#include "odata_text.hpp"

#include <array>
#include <cctype>
#include <charconv>
#include <cmath>
#include <fmt/format.h>
#include <utility>

namespace leadsync::odata {

namespace {

struct Comparison {
  std::string column;
  std::string_view op; // eq, ne, gt, ge, lt, le
  Literal value;
};

struct StringFunction {
  std::string_view name; // contains, startswith, endswith
  std::string column;
  std::string text;
};

struct Logical {
  bool conjunction; // and; otherwise or
  Filter left;
  Filter right;
};

struct Negation {
  Filter operand;
};

} // namespace

struct Filter::Node {
  std::variant<Comparison, StringFunction, Logical, Negation> expression;
};

namespace {

template <typename Expression> Filter make_filter(Expression expression) {
  return Filter(std::make_shared<const Filter::Node>(Filter::Node{std::move(expression)}));
}

// How tightly a rendered expression binds: an operand that binds less tightly than its operator
// needs parentheses.
enum class Precedence { disjunction, conjunction, primary };

struct Rendered {
  std::string text;
  Precedence precedence;
};

// 1.0e21 rather than 1e+21: OData parsers (@odata/parser among them) reject 1e21 and 1E21 but
// accept 1.0e21, and a '+' would read as a space to a form decoder.
Result<std::string> format_double(double value) {
  if (!std::isfinite(value)) {
    return fail(ErrorCategory::invalid_argument,
                "NaN and infinity cannot be written as an OData literal: pass a finite number");
  }
  // The shortest round-trip form of a double never needs more than 24 characters.
  std::array<char, 32> buffer{};
  const auto written = std::to_chars(buffer.data(), buffer.data() + buffer.size(), value);
  const std::string shortest(buffer.data(), written.ptr);
  std::string mantissa = shortest;
  std::string exponent;
  if (const auto e = shortest.find('e'); e != std::string::npos) {
    mantissa = shortest.substr(0, e);
    std::string_view digits = std::string_view(shortest).substr(e + 1);
    const bool negative = digits.starts_with('-');
    if (digits.starts_with('-') || digits.starts_with('+')) {
      digits.remove_prefix(1);
    }
    while (digits.size() > 1 && digits.front() == '0') {
      digits.remove_prefix(1);
    }
    exponent = std::string("e") + (negative ? "-" : "") + std::string(digits);
  }
  if (mantissa.find('.') == std::string::npos) {
    mantissa += ".0";
  }
  return mantissa + exponent;
}

Result<std::string> format_guid(const Guid& guid) {
  if (!is_guid(guid.value)) {
    return fail(ErrorCategory::invalid_argument,
                fmt::format("'{}' is not a GUID: write it as 8-4-4-4-12 hexadecimal digits, for "
                            "example 1b4e28ba-2fa1-4d2b-883f-0016d3cca427",
                            guid.value));
  }
  return text::ascii_lower(guid.value);
}

Result<std::string> format_date(const DateOnly& date) {
  const std::string_view text = date.value;
  bool shaped = text.size() == 10;
  for (std::size_t i = 0; shaped && i < text.size(); ++i) {
    const bool separator = i == 4 || i == 7;
    shaped = separator ? text[i] == '-' : std::isdigit(static_cast<unsigned char>(text[i])) != 0;
  }
  if (shaped) {
    const auto number = [&](std::size_t from, std::size_t count) {
      int value = 0;
      std::from_chars(text.data() + from, text.data() + from + count, value);
      return value;
    };
    const std::chrono::year_month_day day{std::chrono::year{number(0, 4)},
                                          std::chrono::month{static_cast<unsigned>(number(5, 2))},
                                          std::chrono::day{static_cast<unsigned>(number(8, 2))}};
    if (day.ok() && number(0, 4) > 0) {
      return std::string(text);
    }
  }
  return fail(ErrorCategory::invalid_argument,
              fmt::format("'{}' is not a date: write a real calendar date as YYYY-MM-DD", text));
}

// system_clock's nanosecond range (1677-2262) keeps every year within the four digits OData needs.
std::string format_time(std::chrono::system_clock::time_point time) {
  using namespace std::chrono;
  const auto day_start = floor<days>(time);
  const year_month_day date{day_start};
  const hh_mm_ss<system_clock::duration> clock{time - day_start};
  std::string text =
      fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}", static_cast<int>(date.year()),
                  static_cast<unsigned>(date.month()), static_cast<unsigned>(date.day()),
                  clock.hours().count(), clock.minutes().count(), clock.seconds().count());
  const auto nanoseconds = duration_cast<std::chrono::nanoseconds>(clock.subseconds()).count();
  if (nanoseconds != 0) {
    std::string fraction = fmt::format("{:09}", nanoseconds);
    fraction.erase(fraction.find_last_not_of('0') + 1);
    text += "." + fraction;
  }
  return text + "Z";
}

Result<std::string> checked_column(const std::string& column) {
  if (!is_column_path(column)) {
    return fail(ErrorCategory::invalid_argument,
                fmt::format("'{}' is not a column name: use a logical name (letters, digits and "
                            "'_', not starting with a digit) or a navigation path such as "
                            "parentaccountid/name",
                            column));
  }
  return column;
}

Result<Rendered> render(const Filter& filter);

Result<Rendered> render_node(const Comparison& comparison) {
  LEADSYNC_TRY(std::string column, checked_column(comparison.column));
  LEADSYNC_TRY(std::string value, format_literal(comparison.value));
  return Rendered{fmt::format("{} {} {}", column, comparison.op, value), Precedence::primary};
}

Result<Rendered> render_node(const StringFunction& function) {
  LEADSYNC_TRY(std::string column, checked_column(function.column));
  return Rendered{fmt::format("{}({},{})", function.name, column, quote_string(function.text)),
                  Precedence::primary};
}

Result<Rendered> render_node(const Logical& logical) {
  const Precedence own = logical.conjunction ? Precedence::conjunction : Precedence::disjunction;
  const auto operand = [own](const Filter& filter) -> Result<std::string> {
    LEADSYNC_TRY(Rendered rendered, render(filter));
    return rendered.precedence < own ? "(" + rendered.text + ")" : rendered.text;
  };
  LEADSYNC_TRY(std::string left, operand(logical.left));
  LEADSYNC_TRY(std::string right, operand(logical.right));
  return Rendered{fmt::format("{} {} {}", left, logical.conjunction ? "and" : "or", right), own};
}

Result<Rendered> render_node(const Negation& negation) {
  LEADSYNC_TRY(Rendered operand, render(negation.operand));
  // A function call is already a single term; anything else is grouped so that "not" applies to
  // the whole comparison rather than to its left side.
  const bool is_call = std::holds_alternative<StringFunction>(negation.operand.node()->expression);
  return Rendered{is_call ? "not " + operand.text : "not (" + operand.text + ")",
                  Precedence::primary};
}

Result<Rendered> render(const Filter& filter) {
  return std::visit([](const auto& expression) { return render_node(expression); },
                    filter.node()->expression);
}

} // namespace

std::string quote_string(std::string_view text) {
  std::string quoted = "'";
  for (char c : text) {
    quoted += c;
    if (c == '\'') {
      quoted += '\'';
    }
  }
  return quoted + "'";
}

Result<std::string> format_literal(const Literal& literal) {
  struct Formatter {
    Result<std::string> operator()(Null) const { return std::string("null"); }
    Result<std::string> operator()(bool value) const {
      return std::string(value ? "true" : "false");
    }
    Result<std::string> operator()(std::int64_t value) const { return std::to_string(value); }
    Result<std::string> operator()(double value) const { return format_double(value); }
    Result<std::string> operator()(const std::string& value) const { return quote_string(value); }
    Result<std::string> operator()(const Guid& value) const { return format_guid(value); }
    Result<std::string> operator()(const DateOnly& value) const { return format_date(value); }
    Result<std::string> operator()(std::chrono::system_clock::time_point value) const {
      return format_time(value);
    }
  };
  return std::visit(Formatter{}, literal);
}

Result<std::string> Filter::to_string() const {
  LEADSYNC_TRY(Rendered rendered, render(*this));
  return std::move(rendered.text);
}

Filter eq(std::string column, Literal value) {
  return make_filter(Comparison{std::move(column), "eq", std::move(value)});
}
Filter ne(std::string column, Literal value) {
  return make_filter(Comparison{std::move(column), "ne", std::move(value)});
}
Filter gt(std::string column, Literal value) {
  return make_filter(Comparison{std::move(column), "gt", std::move(value)});
}
Filter ge(std::string column, Literal value) {
  return make_filter(Comparison{std::move(column), "ge", std::move(value)});
}
Filter lt(std::string column, Literal value) {
  return make_filter(Comparison{std::move(column), "lt", std::move(value)});
}
Filter le(std::string column, Literal value) {
  return make_filter(Comparison{std::move(column), "le", std::move(value)});
}
Filter contains(std::string column, std::string text) {
  return make_filter(StringFunction{"contains", std::move(column), std::move(text)});
}
Filter startswith(std::string column, std::string text) {
  return make_filter(StringFunction{"startswith", std::move(column), std::move(text)});
}
Filter endswith(std::string column, std::string text) {
  return make_filter(StringFunction{"endswith", std::move(column), std::move(text)});
}
Filter operator&&(Filter left, Filter right) {
  return make_filter(Logical{true, std::move(left), std::move(right)});
}
Filter operator||(Filter left, Filter right) {
  return make_filter(Logical{false, std::move(left), std::move(right)});
}
Filter operator!(Filter operand) {
  return make_filter(Negation{std::move(operand)});
}

} // namespace leadsync::odata
