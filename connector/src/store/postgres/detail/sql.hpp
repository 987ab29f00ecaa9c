#pragma once
// Small conversions every file of the PostgreSQL store uses. Internal to store/.
//
// libpqxx 6.4 has no parameter traits for std::optional: a nullable parameter is passed as a
// C string that is nullptr for NULL (`nullable(x).c_str()`, valid for the full expression), and
// a nullable column is checked with `row[i].is_null()` before `as<T>()` (Debian's libpqxx 6.4 is
// built without std::optional support, so `get<T>()` does not compile).

#include "detail/rules.hpp"
#include "leadsync/store/store.hpp"

#include <chrono>
#include <cstdint>
#include <optional>
#include <pqxx/pqxx>
#include <string>
#include <string_view>
#include <vector>

namespace leadsync::store::postgres {

// The stores' shared conversions (store/detail/rules.hpp), used by every file here.
using store::detail::from_millis;
using store::detail::sql;
using store::detail::sql_limit;
using store::detail::to_millis;

// A text column's value without a copy (valid while the result lives).
inline std::string_view view_of(const pqxx::field& field) {
  return {field.c_str(), field.size()};
}

// A nullable integer column. (field::get<T>() needs PQXX_HAVE_OPTIONAL, which the Debian 12
// libpqxx 6.4 headers do not define.)
inline std::optional<std::int64_t> optional_integer(const pqxx::field& field) {
  if (field.is_null()) {
    return std::nullopt;
  }
  return field.as<std::int64_t>();
}

// A nullable BIGINT time column.
inline std::optional<TimePoint> optional_time(const pqxx::field& field) {
  return from_millis(optional_integer(field));
}

// A text[] literal with every element quoted ({"a","b"}): how a list travels as one parameter
// (libpqxx 6.4 has no array parameters).
template <typename Values> std::string text_array(const Values& values) {
  std::string text = "{";
  for (const auto& value : values) {
    if (text.size() > 1) {
      text += ',';
    }
    text += '"';
    for (const char c : value) {
      if (c == '"' || c == '\\') {
        text += '\\';
      }
      text += c;
    }
    text += '"';
  }
  text += '}';
  return text;
}

// A bigint[] literal: how a list of numbers travels as one parameter.
inline std::string bigint_array(const std::vector<std::int64_t>& numbers) {
  std::string text = "{";
  for (auto number : numbers) {
    text += (text.size() > 1 ? "," : "") + std::to_string(number);
  }
  return text + "}";
}

// An exception's message without the line feeds libpq ends it with.
inline std::string trimmed(std::string text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) {
    text.pop_back();
  }
  return text;
}

// A parameter that may be NULL.
class Nullable {
public:
  Nullable() = default;
  explicit Nullable(std::string text) : text_(std::move(text)) {}
  const char* c_str() const { return text_ ? text_->c_str() : nullptr; }

private:
  std::optional<std::string> text_;
};

inline Nullable nullable(const std::optional<std::int64_t>& value) {
  return value ? Nullable(std::to_string(*value)) : Nullable();
}

inline Nullable nullable(const std::optional<TimePoint>& time) {
  return time ? Nullable(std::to_string(to_millis(*time))) : Nullable();
}

inline Nullable nullable(const std::optional<std::string>& text) {
  return text ? Nullable(*text) : Nullable();
}

} // namespace leadsync::store::postgres
