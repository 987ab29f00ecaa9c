#include "dvemu/query.hpp"

#include "leadsync/core/json_limits.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstdint>
#include <leadsync/http/url.hpp>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <variant>

namespace dvemu {

namespace filter_detail {

// Dataverse answers OData syntax and binding errors with this code. Learn's troubleshooting page
// (of 2022) shows "Could not find a property named 'Name' on type
// 'Microsoft.Dynamics.CRM.account'." with code 0x0; responses reported since then carry 0x80060888
// for the same message:
// https://learn.microsoft.com/en-us/troubleshoot/power-platform/power-apps/dataverse/web-api-client-errors
constexpr const char* odata_error_code = "0x80060888";

ServiceError bad_query(std::string message) {
  return ServiceError{400, odata_error_code, std::move(message)};
}

std::string type_name(const EntityDef& entity) {
  return "Microsoft.Dynamics.CRM." + entity.logical_name;
}

ServiceError unknown_property(const EntityDef& entity, std::string_view property) {
  return bad_query("Could not find a property named '" + std::string(property) + "' on type '" +
                   type_name(entity) + "'.");
}

// ---------------------------------------------------------------------------------------------
// Text: Dataverse compares strings case-insensitively (SQL Server collation). Folding covers ASCII,
// Latin-1, Latin Extended-A, Greek and Cyrillic capitals; accents are kept (the default collation
// is also accent-insensitive, which the emulator does not model).

char32_t fold(char32_t c) {
  if (c >= U'A' && c <= U'Z') {
    return c + 32;
  }
  if (c < 0x80) {
    return c;
  }
  if (c >= 0xC0 && c <= 0xDE && c != 0xD7) {
    return c + 32;
  }
  if (c == 0x178) {
    return 0xFF;
  }
  const bool even_upper = (c >= 0x100 && c <= 0x137) || (c >= 0x14A && c <= 0x177);
  const bool odd_upper = (c >= 0x139 && c <= 0x148) || (c >= 0x179 && c <= 0x17E);
  if ((even_upper && c % 2 == 0) || (odd_upper && c % 2 == 1)) {
    return c + 1;
  }
  if ((c >= 0x391 && c <= 0x3A9 && c != 0x3A2) || (c >= 0x410 && c <= 0x42F)) {
    return c + 32;
  }
  if (c >= 0x400 && c <= 0x40F) {
    return c + 80;
  }
  return c;
}

// Decodes UTF-8 (invalid bytes become U+FFFD) and folds case.
std::u32string folded(std::string_view text) {
  std::u32string out;
  out.reserve(text.size());
  std::size_t i = 0;
  while (i < text.size()) {
    const auto lead = static_cast<unsigned char>(text[i]);
    std::size_t length = 1;
    char32_t code = 0xFFFD;
    if (lead < 0x80) {
      code = lead;
    } else if ((lead & 0xE0) == 0xC0) {
      length = 2;
      code = lead & 0x1F;
    } else if ((lead & 0xF0) == 0xE0) {
      length = 3;
      code = lead & 0x0F;
    } else if ((lead & 0xF8) == 0xF0) {
      length = 4;
      code = lead & 0x07;
    }
    bool valid = lead < 0x80 || length > 1;
    if (length > 1) {
      if (i + length > text.size()) {
        valid = false;
      } else {
        for (std::size_t k = 1; k < length && valid; ++k) {
          const auto next = static_cast<unsigned char>(text[i + k]);
          valid = (next & 0xC0) == 0x80;
          code = (code << 6) | (next & 0x3F);
        }
      }
    }
    if (!valid) {
      code = 0xFFFD;
      length = 1;
    }
    out.push_back(fold(code));
    i += length;
  }
  return out;
}

int compare_text(std::string_view a, std::string_view b) {
  const std::u32string fa = folded(a);
  const std::u32string fb = folded(b);
  return fa < fb ? -1 : (fb < fa ? 1 : 0);
}

// SQL LIKE, which Dataverse applies to the argument of contains/startswith/endswith: % is any run,
// _ one character, [a-c] / [^abc] one character from / outside a set.
struct LikeElement {
  enum class Kind { any_run, any_one, set, literal } kind = Kind::literal;
  char32_t character = 0;
  bool negated = false;
  std::vector<std::pair<char32_t, char32_t>> ranges;

  bool matches(char32_t c) const {
    switch (kind) {
    case Kind::any_one:
      return true;
    case Kind::literal:
      return c == character;
    case Kind::set: {
      const bool inside = std::any_of(ranges.begin(), ranges.end(), [c](const auto& range) {
        return c >= range.first && c <= range.second;
      });
      return inside != negated;
    }
    case Kind::any_run:
      break;
    }
    return false;
  }
};

std::vector<LikeElement> compile_like(const std::u32string& pattern) {
  std::vector<LikeElement> elements;
  for (std::size_t i = 0; i < pattern.size(); ++i) {
    const char32_t c = pattern[i];
    LikeElement element;
    if (c == U'%') {
      if (!elements.empty() && elements.back().kind == LikeElement::Kind::any_run) {
        continue;
      }
      element.kind = LikeElement::Kind::any_run;
    } else if (c == U'_') {
      element.kind = LikeElement::Kind::any_one;
    } else if (c == U'[' && pattern.find(U']', i + 1) != std::u32string::npos) {
      const std::size_t close = pattern.find(U']', i + 1);
      std::size_t j = i + 1;
      element.kind = LikeElement::Kind::set;
      if (j < close && pattern[j] == U'^') {
        element.negated = true;
        ++j;
      }
      for (; j < close; ++j) {
        if (j + 2 < close && pattern[j + 1] == U'-') {
          element.ranges.emplace_back(pattern[j], pattern[j + 2]);
          j += 2;
        } else {
          element.ranges.emplace_back(pattern[j], pattern[j]);
        }
      }
      i = close;
    } else {
      element.character = c;
    }
    elements.push_back(std::move(element));
  }
  return elements;
}

bool like(std::string_view text, std::string_view pattern) {
  const std::u32string subject = folded(text);
  const std::vector<LikeElement> elements = compile_like(folded(pattern));
  std::size_t t = 0;
  std::size_t e = 0;
  std::optional<std::size_t> run_element;
  std::size_t run_text = 0;
  while (t < subject.size()) {
    if (e < elements.size() && elements[e].kind == LikeElement::Kind::any_run) {
      run_element = e++;
      run_text = t;
    } else if (e < elements.size() && elements[e].matches(subject[t])) {
      ++e;
      ++t;
    } else if (run_element) {
      e = *run_element + 1;
      t = ++run_text;
    } else {
      return false;
    }
  }
  while (e < elements.size() && elements[e].kind == LikeElement::Kind::any_run) {
    ++e;
  }
  return e == elements.size();
}

// ---------------------------------------------------------------------------------------------
// Dates: DateTime columns hold "2026-11-22T20:00:00Z", DateOnly columns "2026-11-22".

struct Instant {
  std::int64_t seconds = 0;
  std::int64_t nanos = 0;
  // NOLINTNEXTLINE(modernize-use-nullptr): clang-tidy 14 misreads the defaulted comparison
  friend auto operator<=>(const Instant&, const Instant&) = default;
};

std::int64_t days_from_civil(std::int64_t year, int month, int day) {
  year -= month <= 2 ? 1 : 0;
  const std::int64_t era = (year >= 0 ? year : year - 399) / 400;
  const std::int64_t year_of_era = year - era * 400;
  const std::int64_t day_of_year = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1;
  const std::int64_t day_of_era =
      year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
  return era * 146097 + day_of_era - 719468;
}

bool read_digits(std::string_view text, std::size_t position, std::size_t count, int& value) {
  if (position + count > text.size()) {
    return false;
  }
  value = 0;
  for (std::size_t i = position; i < position + count; ++i) {
    if (text[i] < '0' || text[i] > '9') {
      return false;
    }
    value = value * 10 + (text[i] - '0');
  }
  return true;
}

int days_in_month(int year, int month) {
  static constexpr int lengths[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  const bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
  return month == 2 && leap ? 29 : lengths[month - 1];
}

// "YYYY-MM-DD" (midnight UTC) or "YYYY-MM-DDThh:mm[:ss[.fffffff]]" with "Z" or "+hh:mm"/"-hh:mm"
// (required when require_zone).
std::optional<Instant> parse_instant(std::string_view text, bool require_zone = false) {
  int year = 0;
  int month = 0;
  int day = 0;
  if (!read_digits(text, 0, 4, year) || text.size() < 10 || text[4] != '-' || text[7] != '-' ||
      !read_digits(text, 5, 2, month) || !read_digits(text, 8, 2, day) || month < 1 || month > 12 ||
      day < 1 || day > days_in_month(year, month)) {
    return std::nullopt;
  }
  Instant instant{days_from_civil(year, month, day) * 86400, 0};
  if (text.size() == 10) {
    return require_zone ? std::nullopt : std::optional<Instant>(instant);
  }
  int hour = 0;
  int minute = 0;
  int second = 0;
  if ((text[10] != 'T' && text[10] != 't') || !read_digits(text, 11, 2, hour) || text.size() < 16 ||
      text[13] != ':' || !read_digits(text, 14, 2, minute) || hour > 23 || minute > 59) {
    return std::nullopt;
  }
  std::size_t position = 16;
  if (position < text.size() && text[position] == ':') {
    if (!read_digits(text, position + 1, 2, second) || second > 59) {
      return std::nullopt;
    }
    position += 3;
    if (position < text.size() && text[position] == '.') {
      ++position;
      std::int64_t scale = 100'000'000;
      const std::size_t first_digit = position;
      while (position < text.size() && text[position] >= '0' && text[position] <= '9') {
        instant.nanos += (text[position] - '0') * scale;
        scale /= 10;
        ++position;
      }
      if (position == first_digit) {
        return std::nullopt;
      }
    }
  }
  instant.seconds += hour * 3600 + minute * 60 + second;
  if (position == text.size()) {
    return require_zone ? std::nullopt : std::optional<Instant>(instant);
  }
  if ((text[position] == 'Z' || text[position] == 'z') && position + 1 == text.size()) {
    return instant;
  }
  int offset_hours = 0;
  int offset_minutes = 0;
  if ((text[position] == '+' || text[position] == '-') && position + 6 == text.size() &&
      read_digits(text, position + 1, 2, offset_hours) && text[position + 3] == ':' &&
      read_digits(text, position + 4, 2, offset_minutes) && offset_hours <= 14 &&
      offset_minutes <= 59) {
    const std::int64_t offset = offset_hours * 3600 + offset_minutes * 60;
    instant.seconds += text[position] == '+' ? -offset : offset;
    return instant;
  }
  return std::nullopt;
}

// ---------------------------------------------------------------------------------------------
// Columns and values.

enum class Edm {
  null,
  string,
  int32,
  int64,
  decimal,
  double_,
  boolean,
  date_time_offset,
  date,
  guid
};

const char* edm_name(Edm type) {
  switch (type) {
  case Edm::null:
    return "null";
  case Edm::string:
    return "Edm.String";
  case Edm::int32:
    return "Edm.Int32";
  case Edm::int64:
    return "Edm.Int64";
  case Edm::decimal:
    return "Edm.Decimal";
  case Edm::double_:
    return "Edm.Double";
  case Edm::boolean:
    return "Edm.Boolean";
  case Edm::date_time_offset:
    return "Edm.DateTimeOffset";
  case Edm::date:
    return "Edm.Date";
  case Edm::guid:
    return "Edm.Guid";
  }
  return "null";
}

Edm edm_of(ColumnType type) {
  switch (type) {
  case ColumnType::string:
  case ColumnType::memo:
    return Edm::string;
  case ColumnType::integer:
  case ColumnType::picklist:
  case ColumnType::state:
  case ColumnType::status:
    return Edm::int32;
  case ColumnType::big_int:
    return Edm::int64;
  case ColumnType::money:
  case ColumnType::decimal:
    return Edm::decimal;
  case ColumnType::double_:
    return Edm::double_;
  case ColumnType::boolean:
    return Edm::boolean;
  case ColumnType::date_time:
    return Edm::date_time_offset;
  case ColumnType::date_only:
    return Edm::date;
  case ColumnType::lookup:
  case ColumnType::uniqueidentifier:
    return Edm::guid;
  }
  return Edm::string;
}

bool is_numeric(Edm type) {
  return type == Edm::int32 || type == Edm::int64 || type == Edm::decimal || type == Edm::double_;
}

bool is_temporal(Edm type) {
  return type == Edm::date_time_offset || type == Edm::date;
}

bool comparable(Edm a, Edm b) {
  return a == Edm::null || b == Edm::null || a == b || (is_numeric(a) && is_numeric(b)) ||
         (is_temporal(a) && is_temporal(b));
}

struct ColumnRef {
  std::string name; // logical name
  Edm type = Edm::string;
};

// A property as a query names it: a column, or a lookup as _<column>_value; the primary key too.
std::optional<ColumnRef> resolve_property(const EntityDef& entity, std::string_view property) {
  constexpr std::string_view lookup_suffix = "_value";
  if (property.size() > lookup_suffix.size() + 1 && property.front() == '_' &&
      property.ends_with(lookup_suffix)) {
    const std::string column(property.substr(1, property.size() - lookup_suffix.size() - 1));
    const ColumnDef* definition = entity.column(column);
    if (definition != nullptr && definition->type == ColumnType::lookup) {
      return ColumnRef{column, Edm::guid};
    }
    return std::nullopt;
  }
  const std::string name(property);
  if (const ColumnDef* definition = entity.column(name);
      definition != nullptr && definition->type != ColumnType::lookup) {
    return ColumnRef{name, edm_of(definition->type)};
  }
  if (name == entity.primary_id) {
    return ColumnRef{name, Edm::guid};
  }
  return std::nullopt;
}

Edm column_edm(const EntityDef& entity, const std::string& column) {
  if (const ColumnDef* definition = entity.column(column); definition != nullptr) {
    return edm_of(definition->type);
  }
  return column == entity.primary_id ? Edm::guid : Edm::string;
}

// The row's value of a column: the id for the primary key and for lookups, null when absent.
Json column_value(const EntityDef& entity, const StoredRecord& record, const std::string& column) {
  if (column == entity.primary_id) {
    return record.id;
  }
  const auto found = record.attributes.find(column);
  if (found == record.attributes.end() || found->is_null()) {
    return nullptr;
  }
  if (found->is_object()) {
    const auto id = found->find("id");
    return id != found->end() ? *id : Json(nullptr);
  }
  return *found;
}

std::string lower_ascii(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return text;
}

template <typename T> int three_way(const T& a, const T& b) {
  return a < b ? -1 : (b < a ? 1 : 0);
}

// Orders two non-null values of the given type; nullopt when they cannot be compared.
std::optional<int> order(Edm type, const Json& a, const Json& b) {
  switch (type) {
  case Edm::string:
    if (a.is_string() && b.is_string()) {
      return compare_text(a.get_ref<const std::string&>(), b.get_ref<const std::string&>());
    }
    return std::nullopt;
  case Edm::int32:
  case Edm::int64:
  case Edm::decimal:
  case Edm::double_:
    if (a.is_number_integer() && b.is_number_integer()) {
      return three_way(a.get<std::int64_t>(), b.get<std::int64_t>());
    }
    if (a.is_number() && b.is_number()) {
      return three_way(a.get<double>(), b.get<double>());
    }
    return std::nullopt;
  case Edm::boolean:
    if (a.is_boolean() && b.is_boolean()) {
      return three_way(a.get<bool>(), b.get<bool>());
    }
    return std::nullopt;
  case Edm::date_time_offset: {
    if (!a.is_string() || !b.is_string()) {
      return std::nullopt;
    }
    const auto left = parse_instant(a.get_ref<const std::string&>());
    const auto right = parse_instant(b.get_ref<const std::string&>());
    if (!left || !right) {
      return std::nullopt;
    }
    return three_way(*left, *right);
  }
  case Edm::date:
    if (a.is_string() && b.is_string()) {
      return three_way(a.get_ref<const std::string&>().substr(0, 10),
                       b.get_ref<const std::string&>().substr(0, 10));
    }
    return std::nullopt;
  case Edm::guid:
    if (a.is_string() && b.is_string()) {
      return three_way(lower_ascii(a.get<std::string>()), lower_ascii(b.get<std::string>()));
    }
    return std::nullopt;
  case Edm::null:
    break;
  }
  return std::nullopt;
}

// Sort order of two values that may be null: nulls first, as SQL Server sorts ascending.
int compare_sort_values(Edm type, const Json& a, const Json& b) {
  if (a.is_null() || b.is_null()) {
    return three_way(!a.is_null(), !b.is_null());
  }
  return order(type, a, b).value_or(0);
}

// ---------------------------------------------------------------------------------------------
// $filter: tokens, parse tree, binding against the entity.

enum class TokenKind {
  identifier,
  string,
  number,
  guid,
  date_time,
  date,
  alias,
  open,
  close,
  comma,
  slash,
  end
};

struct Token {
  TokenKind kind = TokenKind::end;
  std::string text; // strings unescaped; GUIDs lower-case
  std::size_t position = 0;
  bool integral = true; // numbers
};

bool is_identifier_start(char c) {
  return std::isalpha(static_cast<unsigned char>(c)) != 0 || c == '_';
}

bool is_identifier_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_' || c == '.';
}

bool is_hex(char c) {
  return std::isxdigit(static_cast<unsigned char>(c)) != 0;
}

bool guid_at(std::string_view text, std::size_t position) {
  constexpr std::size_t length = 36;
  if (position + length > text.size()) {
    return false;
  }
  for (std::size_t i = 0; i < length; ++i) {
    const char c = text[position + i];
    const bool hyphen = i == 8 || i == 13 || i == 18 || i == 23;
    if (hyphen ? c != '-' : !is_hex(c)) {
      return false;
    }
  }
  const std::size_t end = position + length;
  return end == text.size() || (!is_identifier_char(text[end]) && text[end] != '-');
}

bool date_at(std::string_view text, std::size_t position) {
  int ignored = 0;
  return position + 10 <= text.size() && read_digits(text, position, 4, ignored) &&
         text[position + 4] == '-' && read_digits(text, position + 5, 2, ignored) &&
         text[position + 7] == '-' && read_digits(text, position + 8, 2, ignored);
}

std::string unrecognized_literal(std::string_view type, std::string_view literal,
                                 std::size_t position, std::string_view text) {
  return "Unrecognized '" + std::string(type) + "' literal '" + std::string(literal) + "' at '" +
         std::to_string(position) + "' in '" + std::string(text) + "'.";
}

std::variant<std::vector<Token>, ServiceError> tokenize(std::string_view text) {
  std::vector<Token> tokens;
  std::size_t i = 0;
  while (i < text.size()) {
    const char c = text[i];
    const std::size_t start = i;
    if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
      ++i;
      continue;
    }
    if (c == '(' || c == ')' || c == ',' || c == '/') {
      const TokenKind kind = c == '('   ? TokenKind::open
                             : c == ')' ? TokenKind::close
                             : c == ',' ? TokenKind::comma
                                        : TokenKind::slash;
      tokens.push_back({kind, std::string(1, c), start});
      ++i;
      continue;
    }
    if (c == '\'') {
      std::string value;
      ++i;
      while (true) {
        if (i >= text.size()) {
          // As Dataverse reports it: the position where the lexer ran out of text.
          return bad_query("There is an unterminated literal at position " +
                           std::to_string(text.size()) + " in '" + std::string(text) + "'.");
        }
        if (text[i] == '\'') {
          if (i + 1 < text.size() && text[i + 1] == '\'') {
            value += '\'';
            i += 2;
            continue;
          }
          ++i;
          break;
        }
        value += text[i++];
      }
      tokens.push_back({TokenKind::string, std::move(value), start});
      continue;
    }
    if (c == '@') {
      ++i;
      while (i < text.size() && is_identifier_char(text[i])) {
        ++i;
      }
      if (i == start + 1) {
        return bad_query("Syntax error: character '@' is not valid at position " +
                         std::to_string(start) + " in '" + std::string(text) + "'.");
      }
      tokens.push_back({TokenKind::alias, std::string(text.substr(start, i - start)), start});
      continue;
    }
    if (guid_at(text, i)) {
      tokens.push_back({TokenKind::guid, lower_ascii(std::string(text.substr(i, 36))), start});
      i += 36;
      continue;
    }
    if (date_at(text, i)) {
      while (i < text.size() &&
             (std::isdigit(static_cast<unsigned char>(text[i])) != 0 ||
              std::string_view("-:.+TZtz").find(text[i]) != std::string_view::npos)) {
        ++i;
      }
      const std::string literal(text.substr(start, i - start));
      const bool date_only = literal.size() == 10;
      if (!parse_instant(literal, !date_only)) {
        return bad_query(unrecognized_literal(date_only ? "Edm.Date" : "Edm.DateTimeOffset",
                                              literal, start, text));
      }
      tokens.push_back({date_only ? TokenKind::date : TokenKind::date_time, literal, start});
      continue;
    }
    if (std::isdigit(static_cast<unsigned char>(c)) != 0 ||
        (c == '-' && i + 1 < text.size() &&
         std::isdigit(static_cast<unsigned char>(text[i + 1])) != 0)) {
      bool integral = true;
      ++i;
      const auto skip_digits = [&] {
        while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i])) != 0) {
          ++i;
        }
      };
      skip_digits();
      if (i + 1 < text.size() && text[i] == '.' &&
          std::isdigit(static_cast<unsigned char>(text[i + 1])) != 0) {
        integral = false;
        ++i;
        skip_digits();
      }
      if (i < text.size() && (text[i] == 'e' || text[i] == 'E')) {
        std::size_t exponent = i + 1;
        if (exponent < text.size() && (text[exponent] == '+' || text[exponent] == '-')) {
          ++exponent;
        }
        if (exponent < text.size() &&
            std::isdigit(static_cast<unsigned char>(text[exponent])) != 0) {
          integral = false;
          i = exponent;
          skip_digits();
        }
      }
      Token token{TokenKind::number, std::string(text.substr(start, i - start)), start};
      token.integral = integral;
      tokens.push_back(std::move(token));
      continue;
    }
    if (is_identifier_start(c)) {
      while (i < text.size() && is_identifier_char(text[i])) {
        ++i;
      }
      std::string name(text.substr(start, i - start));
      const auto next = text.find_first_not_of(" \t", i);
      if (name.find('.') != std::string::npos && next != std::string_view::npos &&
          text[next] == '(') {
        // Microsoft.Dynamics.CRM.In(PropertyName='x',PropertyValues=["a"]) and the other query
        // functions: their named arguments are not OData expressions, so they are refused here.
        return bad_query("The dataverse-emulator does not implement the query function '" + name +
                         "'; use eq/ne/gt/ge/lt/le, and/or/not, contains, startswith or endswith "
                         "instead.");
      }
      tokens.push_back({TokenKind::identifier, std::move(name), start});
      continue;
    }
    return bad_query("Syntax error: character '" + std::string(1, c) +
                     "' is not valid at position " + std::to_string(start) + " in '" +
                     std::string(text) + "'.");
  }
  tokens.push_back({TokenKind::end, "", text.size()});
  return tokens;
}

enum class NodeKind { literal, property, compare, logical_and, logical_or, logical_not, function };
enum class CompareOp { eq, ne, gt, ge, lt, le };
enum class StringFunction { contains, startswith, endswith };

} // namespace filter_detail

struct FilterNode {
  filter_detail::NodeKind kind = filter_detail::NodeKind::literal;
  filter_detail::Edm type = filter_detail::Edm::null; // of the value the node yields
  Json literal;                                       // literal
  filter_detail::ColumnRef column;                    // property
  filter_detail::CompareOp op = filter_detail::CompareOp::eq;
  filter_detail::StringFunction function = filter_detail::StringFunction::contains;
  std::shared_ptr<const FilterNode> left; // operands (logical_not and literal-free nodes use left)
  std::shared_ptr<const FilterNode> right;
};

namespace filter_detail {

using NodePtr = std::shared_ptr<const FilterNode>;

std::optional<CompareOp> comparison_operator(std::string_view word) {
  static const std::map<std::string_view, CompareOp> operators = {
      {"eq", CompareOp::eq}, {"ne", CompareOp::ne}, {"gt", CompareOp::gt},
      {"ge", CompareOp::ge}, {"lt", CompareOp::lt}, {"le", CompareOp::le}};
  const auto found = operators.find(word);
  return found == operators.end() ? std::nullopt : std::optional<CompareOp>(found->second);
}

const char* operator_kind(CompareOp op) {
  switch (op) {
  case CompareOp::eq:
    return "Equal";
  case CompareOp::ne:
    return "NotEqual";
  case CompareOp::gt:
    return "GreaterThan";
  case CompareOp::ge:
    return "GreaterThanOrEqual";
  case CompareOp::lt:
    return "LessThan";
  case CompareOp::le:
    return "LessThanOrEqual";
  }
  return "Equal";
}

ServiceError incompatible_operands(Edm left, Edm right, std::string_view kind) {
  return bad_query("A binary operator with incompatible types was detected. Found operand types '" +
                   std::string(edm_name(left)) + "' and '" + edm_name(right) +
                   "' for operator kind '" + std::string(kind) + "'.");
}

// Recursive descent with OData's precedence: or < and < comparison < not (unary) < primary.
// The first error stops the parse; it is reported through error().
class FilterParser {
public:
  FilterParser(const EntityDef& entity, const std::map<std::string, std::string>& aliases,
               std::string_view text, std::vector<Token> tokens)
      : entity_(entity), aliases_(aliases), text_(text), tokens_(std::move(tokens)) {}

  NodePtr parse() {
    NodePtr root = parse_or();
    if (!root) {
      return nullptr;
    }
    if (peek().kind != TokenKind::end) {
      return fail(syntax_error(peek().position));
    }
    if (root->type != Edm::boolean) {
      return fail(bad_query("The $filter expression must evaluate to a single boolean value."));
    }
    return root;
  }

  const std::optional<ServiceError>& error() const { return error_; }

private:
  static constexpr int max_depth = 100;

  const Token& peek() const { return tokens_[position_]; }
  const Token& take() { return tokens_[position_ < tokens_.size() - 1 ? position_++ : position_]; }
  bool at_keyword(std::string_view word) const {
    return peek().kind == TokenKind::identifier && peek().text == word;
  }

  NodePtr fail(ServiceError error) {
    if (!error_) {
      error_ = std::move(error);
    }
    return nullptr;
  }

  ServiceError syntax_error(std::size_t position) const {
    return bad_query("Syntax error at position " + std::to_string(position) + " in '" + text_ +
                     "'.");
  }

  ServiceError positioned(std::string_view what, std::size_t position) const {
    return bad_query(std::string(what) + " at position " + std::to_string(position) + " in '" +
                     text_ + "'.");
  }

  static NodePtr make(FilterNode node) {
    return std::make_shared<const FilterNode>(std::move(node));
  }

  NodePtr logical(NodeKind kind, NodePtr left, NodePtr right) {
    if (left->type != Edm::boolean || right->type != Edm::boolean) {
      return fail(incompatible_operands(left->type, right->type,
                                        kind == NodeKind::logical_and ? "And" : "Or"));
    }
    FilterNode node;
    node.kind = kind;
    node.type = Edm::boolean;
    node.left = std::move(left);
    node.right = std::move(right);
    return make(std::move(node));
  }

  NodePtr parse_or() {
    NodePtr left = parse_and();
    while (left && at_keyword("or")) {
      take();
      NodePtr right = parse_and();
      if (!right) {
        return nullptr;
      }
      left = logical(NodeKind::logical_or, std::move(left), std::move(right));
    }
    return left;
  }

  NodePtr parse_and() {
    NodePtr left = parse_comparison();
    while (left && at_keyword("and")) {
      take();
      NodePtr right = parse_comparison();
      if (!right) {
        return nullptr;
      }
      left = logical(NodeKind::logical_and, std::move(left), std::move(right));
    }
    return left;
  }

  NodePtr parse_comparison() {
    NodePtr left = parse_unary();
    while (left && peek().kind == TokenKind::identifier) {
      const auto op = comparison_operator(peek().text);
      if (!op) {
        break;
      }
      take();
      NodePtr right = parse_unary();
      if (!right) {
        return nullptr;
      }
      if (!comparable(left->type, right->type)) {
        return fail(incompatible_operands(left->type, right->type, operator_kind(*op)));
      }
      FilterNode node;
      node.kind = NodeKind::compare;
      node.type = Edm::boolean;
      node.op = *op;
      node.left = std::move(left);
      node.right = std::move(right);
      left = make(std::move(node));
    }
    return left;
  }

  NodePtr parse_unary() {
    if (!at_keyword("not")) {
      return parse_primary();
    }
    take();
    if (++depth_ > max_depth) {
      return fail(bad_query("Recursion depth exceeded allowed limit."));
    }
    NodePtr operand = parse_unary();
    --depth_;
    if (!operand) {
      return nullptr;
    }
    if (operand->type != Edm::boolean) {
      return fail(bad_query(
          "A unary operator with an incompatible type was detected. Found operand type '" +
          std::string(edm_name(operand->type)) + "' for operator kind 'Not'."));
    }
    FilterNode node;
    node.kind = NodeKind::logical_not;
    node.type = Edm::boolean;
    node.left = std::move(operand);
    return make(std::move(node));
  }

  static NodePtr literal_node(Edm type, Json value) {
    FilterNode node;
    node.kind = NodeKind::literal;
    node.type = type;
    node.literal = std::move(value);
    return make(std::move(node));
  }

  // A literal token, or nullopt when the token is not one (null/true/false count as literals).
  static std::optional<NodePtr> literal_of(const Token& token) {
    switch (token.kind) {
    case TokenKind::string:
      return literal_node(Edm::string, token.text);
    case TokenKind::guid:
      return literal_node(Edm::guid, token.text);
    case TokenKind::date_time:
      return literal_node(Edm::date_time_offset, token.text);
    case TokenKind::date:
      return literal_node(Edm::date, token.text);
    case TokenKind::number: {
      if (token.integral) {
        std::int64_t value = 0;
        const auto [end, error] =
            std::from_chars(token.text.data(), token.text.data() + token.text.size(), value);
        if (error == std::errc() && end == token.text.data() + token.text.size()) {
          const bool fits_int32 = value >= INT32_MIN && value <= INT32_MAX;
          return literal_node(fits_int32 ? Edm::int32 : Edm::int64, value);
        }
      }
      return literal_node(Edm::decimal, std::stod(token.text));
    }
    case TokenKind::identifier:
      if (token.text == "null") {
        return literal_node(Edm::null, nullptr);
      }
      if (token.text == "true" || token.text == "false") {
        return literal_node(Edm::boolean, token.text == "true");
      }
      return std::nullopt;
    default:
      return std::nullopt;
    }
  }

  NodePtr parse_primary() {
    const Token& token = peek();
    if (token.kind == TokenKind::open) {
      take();
      if (++depth_ > max_depth) {
        return fail(bad_query("Recursion depth exceeded allowed limit."));
      }
      NodePtr inner = parse_or();
      --depth_;
      if (!inner) {
        return nullptr;
      }
      if (peek().kind != TokenKind::close) {
        return fail(positioned("')' or operator expected", peek().position));
      }
      take();
      return inner;
    }
    if (token.kind == TokenKind::alias) {
      take();
      return parse_alias(token);
    }
    if (auto literal = literal_of(token)) {
      take();
      return *literal;
    }
    if (token.kind != TokenKind::identifier) {
      return fail(positioned("Expression expected", token.position));
    }
    const Token name = take();
    if (peek().kind == TokenKind::open) {
      return parse_function(name);
    }
    if (peek().kind == TokenKind::slash) {
      return fail(bad_query(
          "The dataverse-emulator does not filter through navigation properties ('" + name.text +
          "/...' in '" + text_ + "'): filter on this table's columns, or on _" + name.text +
          "_value for a lookup."));
    }
    const auto column = resolve_property(entity_, name.text);
    if (!column) {
      return fail(unknown_property(entity_, name.text));
    }
    FilterNode node;
    node.kind = NodeKind::property;
    node.type = column->type;
    node.column = *column;
    return make(std::move(node));
  }

  // @p1 in the filter takes its value from the query string (@p1='x'); an alias without a value is
  // null, as OData specifies.
  NodePtr parse_alias(const Token& alias) {
    const auto found = aliases_.find(alias.text);
    if (found == aliases_.end()) {
      return literal_node(Edm::null, nullptr);
    }
    auto tokens = tokenize(found->second);
    if (auto* error = std::get_if<ServiceError>(&tokens)) {
      return fail(std::move(*error));
    }
    const auto& alias_tokens = std::get<std::vector<Token>>(tokens);
    std::optional<NodePtr> literal;
    if (alias_tokens.size() == 2) {
      literal = literal_of(alias_tokens.front());
    }
    if (!literal) {
      return fail(bad_query("The parameter alias " + alias.text + " used in '" + text_ +
                            "' must be given a literal value (for example " + alias.text +
                            "='text', 5 or null), not '" + found->second + "'."));
    }
    return *literal;
  }

  NodePtr parse_function(const Token& name) {
    static const std::map<std::string_view, StringFunction> functions = {
        {"contains", StringFunction::contains},
        {"startswith", StringFunction::startswith},
        {"endswith", StringFunction::endswith}};
    take(); // '('
    std::vector<NodePtr> arguments;
    if (peek().kind != TokenKind::close) {
      while (true) {
        NodePtr argument = parse_or();
        if (!argument) {
          return nullptr;
        }
        arguments.push_back(std::move(argument));
        if (peek().kind == TokenKind::comma) {
          take();
          continue;
        }
        if (peek().kind != TokenKind::close) {
          return fail(positioned("')' or ',' expected", peek().position));
        }
        break;
      }
    }
    take(); // ')'
    const auto function = functions.find(name.text);
    if (function == functions.end()) {
      return fail(bad_query("An unknown function with name '" + name.text +
                            "' was found. This may also be a function import or a key lookup on a "
                            "navigation property, which is not allowed."));
    }
    const bool strings =
        arguments.size() == 2 &&
        std::all_of(arguments.begin(), arguments.end(), [](const NodePtr& argument) {
          return argument->type == Edm::string || argument->type == Edm::null;
        });
    if (!strings) {
      return fail(bad_query("No function signature for the function with name '" + name.text +
                            "' matches the specified arguments. The function signatures considered "
                            "are: " +
                            name.text + "(Edm.String Nullable=true, Edm.String Nullable=true)."));
    }
    FilterNode node;
    node.kind = NodeKind::function;
    node.type = Edm::boolean;
    node.function = function->second;
    node.left = std::move(arguments[0]);
    node.right = std::move(arguments[1]);
    return make(std::move(node));
  }

  const EntityDef& entity_;
  const std::map<std::string, std::string>& aliases_;
  std::string text_;
  std::vector<Token> tokens_;
  std::size_t position_ = 0;
  int depth_ = 0;
  std::optional<ServiceError> error_;
};

// ---------------------------------------------------------------------------------------------
// Evaluation with SQL's three-valued logic: a comparison with a null column is unknown, and a row
// matches only when the whole filter is true. "eq null" / "ne null" test for null definitely.

enum class Truth { no, yes, unknown };

Truth truth(bool value) {
  return value ? Truth::yes : Truth::no;
}

Truth evaluate(const FilterNode& node, const EntityDef& entity, const StoredRecord& record);

Json operand_value(const FilterNode& node, const EntityDef& entity, const StoredRecord& record) {
  switch (node.kind) {
  case NodeKind::literal:
    return node.literal;
  case NodeKind::property:
    return column_value(entity, record, node.column.name);
  default: {
    const Truth result = evaluate(node, entity, record);
    return result == Truth::unknown ? Json(nullptr) : Json(result == Truth::yes);
  }
  }
}

// The type two operands are compared as: a column's own type wins over a literal's; a date against
// a DateTimeOffset compares instants (the date as midnight UTC).
Edm comparison_type(const FilterNode& left, const FilterNode& right) {
  if (is_temporal(left.type) && is_temporal(right.type)) {
    return left.type == Edm::date_time_offset || right.type == Edm::date_time_offset
               ? Edm::date_time_offset
               : Edm::date;
  }
  if (left.kind == NodeKind::property) {
    return left.type;
  }
  if (right.kind == NodeKind::property) {
    return right.type;
  }
  return left.type != Edm::null ? left.type : right.type;
}

Truth evaluate_compare(const FilterNode& node, const EntityDef& entity,
                       const StoredRecord& record) {
  const Json left = operand_value(*node.left, entity, record);
  const Json right = operand_value(*node.right, entity, record);
  const bool null_literal =
      (node.left->kind == NodeKind::literal && node.left->literal.is_null()) ||
      (node.right->kind == NodeKind::literal && node.right->literal.is_null());
  if (null_literal && (node.op == CompareOp::eq || node.op == CompareOp::ne)) {
    const bool both_null = left.is_null() && right.is_null();
    return truth(node.op == CompareOp::eq ? both_null : !both_null);
  }
  if (left.is_null() || right.is_null()) {
    return Truth::unknown;
  }
  const auto ordering = order(comparison_type(*node.left, *node.right), left, right);
  if (!ordering) {
    return Truth::unknown;
  }
  switch (node.op) {
  case CompareOp::eq:
    return truth(*ordering == 0);
  case CompareOp::ne:
    return truth(*ordering != 0);
  case CompareOp::gt:
    return truth(*ordering > 0);
  case CompareOp::ge:
    return truth(*ordering >= 0);
  case CompareOp::lt:
    return truth(*ordering < 0);
  case CompareOp::le:
    return truth(*ordering <= 0);
  }
  return Truth::unknown;
}

Truth evaluate_function(const FilterNode& node, const EntityDef& entity,
                        const StoredRecord& record) {
  const Json subject = operand_value(*node.left, entity, record);
  const Json argument = operand_value(*node.right, entity, record);
  if (!subject.is_string() || !argument.is_string()) {
    return Truth::unknown;
  }
  const std::string& text = subject.get_ref<const std::string&>();
  const std::string& pattern = argument.get_ref<const std::string&>();
  switch (node.function) {
  case StringFunction::contains:
    return truth(like(text, "%" + pattern + "%"));
  case StringFunction::startswith:
    return truth(like(text, pattern + "%"));
  case StringFunction::endswith:
    return truth(like(text, "%" + pattern));
  }
  return Truth::unknown;
}

Truth evaluate(const FilterNode& node, const EntityDef& entity, const StoredRecord& record) {
  switch (node.kind) {
  case NodeKind::literal:
  case NodeKind::property: {
    const Json value = operand_value(node, entity, record);
    return value.is_boolean() ? truth(value.get<bool>()) : Truth::unknown;
  }
  case NodeKind::compare:
    return evaluate_compare(node, entity, record);
  case NodeKind::function:
    return evaluate_function(node, entity, record);
  case NodeKind::logical_not: {
    const Truth operand = evaluate(*node.left, entity, record);
    return operand == Truth::unknown ? Truth::unknown : truth(operand == Truth::no);
  }
  case NodeKind::logical_and: {
    const Truth left = evaluate(*node.left, entity, record);
    if (left == Truth::no) {
      return Truth::no;
    }
    const Truth right = evaluate(*node.right, entity, record);
    if (right == Truth::no) {
      return Truth::no;
    }
    return left == Truth::yes && right == Truth::yes ? Truth::yes : Truth::unknown;
  }
  case NodeKind::logical_or: {
    const Truth left = evaluate(*node.left, entity, record);
    if (left == Truth::yes) {
      return Truth::yes;
    }
    const Truth right = evaluate(*node.right, entity, record);
    if (right == Truth::yes) {
      return Truth::yes;
    }
    return left == Truth::no && right == Truth::no ? Truth::no : Truth::unknown;
  }
  }
  return Truth::unknown;
}

// ---------------------------------------------------------------------------------------------
// The other options.

std::string trim(std::string_view text) {
  const auto first = text.find_first_not_of(" \t");
  if (first == std::string_view::npos) {
    return {};
  }
  const auto last = text.find_last_not_of(" \t");
  return std::string(text.substr(first, last - first + 1));
}

// Splits at commas that are outside parentheses and quotes.
std::vector<std::string> split_top_level(std::string_view text, char separator) {
  std::vector<std::string> pieces;
  int depth = 0;
  bool quoted = false;
  std::size_t start = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '\'') {
      quoted = !quoted;
    } else if (!quoted && c == '(') {
      ++depth;
    } else if (!quoted && c == ')') {
      --depth;
    } else if (!quoted && depth == 0 && c == separator) {
      pieces.push_back(trim(text.substr(start, i - start)));
      start = i + 1;
    }
  }
  pieces.push_back(trim(text.substr(start)));
  return pieces;
}

std::variant<std::vector<std::string>, ServiceError> parse_select(const EntityDef& entity,
                                                                  std::string_view value) {
  std::vector<std::string> columns;
  for (const std::string& item : split_top_level(value, ',')) {
    if (item == "*") {
      return std::vector<std::string>{};
    }
    if (item.empty()) {
      continue;
    }
    const auto column = resolve_property(entity, item);
    if (!column) {
      return unknown_property(entity, item);
    }
    if (std::find(columns.begin(), columns.end(), column->name) == columns.end()) {
      columns.push_back(column->name);
    }
  }
  return columns;
}

std::variant<std::vector<OrderBy>, ServiceError>
parse_orderby(const EntityDef& entity, const std::map<std::string, std::string>& aliases,
              std::string_view value) {
  std::vector<OrderBy> orderby;
  std::size_t offset = 0;
  for (const std::string& item : split_top_level(value, ',')) {
    const std::size_t position = value.find(item, offset);
    offset = position == std::string_view::npos ? offset : position + item.size();
    const auto space = item.find_first_of(" \t");
    std::string property = item.substr(0, space);
    const std::string direction = space == std::string::npos ? "" : trim(item.substr(space));
    if (property.empty() || (direction != "" && direction != "asc" && direction != "desc")) {
      return bad_query("Syntax error at position " +
                       std::to_string(position == std::string_view::npos ? 0 : position) + " in '" +
                       std::string(value) + "': write $orderby as 'column asc' or 'column desc', " +
                       "separated by commas.");
    }
    if (property.front() == '@') {
      const auto found = aliases.find(property);
      if (found == aliases.end()) {
        return bad_query("The parameter alias " + property + " in $orderby has no value: add " +
                         property + "=<column> to the query string.");
      }
      property = trim(found->second);
    }
    const auto column = resolve_property(entity, property);
    if (!column) {
      return unknown_property(entity, property);
    }
    orderby.push_back({column->name, direction == "desc"});
  }
  return orderby;
}

std::variant<std::vector<Expand>, ServiceError>
parse_expand(const EntityDef& entity, const Schema& schema, std::string_view value) {
  std::vector<Expand> expands;
  for (const std::string& item : split_top_level(value, ',')) {
    if (item.empty()) {
      continue;
    }
    const auto open = item.find('(');
    Expand expand;
    expand.navigation = trim(item.substr(0, open));
    std::string target_name;
    const ColumnDef* lookup = entity.column_for_navigation(expand.navigation, target_name);
    const EntityDef* target = lookup != nullptr ? schema.by_logical_name(target_name) : nullptr;
    if (target == nullptr) {
      return unknown_property(entity, expand.navigation);
    }
    if (open != std::string::npos) {
      if (item.back() != ')') {
        return bad_query("')' expected at the end of the $expand item '" + item + "'.");
      }
      const std::string options = item.substr(open + 1, item.size() - open - 2);
      for (const std::string& option : split_top_level(options, ';')) {
        if (option.empty()) {
          continue;
        }
        const auto equals = option.find('=');
        const std::string name = trim(option.substr(0, equals));
        if (name != "$select" || equals == std::string::npos) {
          return bad_query("The dataverse-emulator supports only $select inside $expand of the "
                           "single-valued navigation property '" +
                           expand.navigation + "', not '" + name + "'.");
        }
        auto select = parse_select(*target, option.substr(equals + 1));
        if (auto* error = std::get_if<ServiceError>(&select)) {
          return std::move(*error);
        }
        expand.select = std::get<std::vector<std::string>>(std::move(select));
      }
    }
    expands.push_back(std::move(expand));
  }
  return expands;
}

std::variant<int, ServiceError> parse_top(const std::string& value) {
  int top = 0;
  const auto [end, error] = std::from_chars(value.data(), value.data() + value.size(), top);
  if (error != std::errc() || end != value.data() + value.size() || top < 0) {
    return bad_query("Invalid value '" + value +
                     "' for $top query option found. The $top query option requires a "
                     "non-negative integer value.");
  }
  if (top == 0) {
    return bad_query(
        "Invalid value '0' for $top query option found: the dataverse-emulator needs a "
        "positive $top; leave $top out to get every row.");
  }
  return top;
}

// ---------------------------------------------------------------------------------------------
// Paging cookie, in the shape of the example on
// https://learn.microsoft.com/en-us/power-apps/developer/data-platform/webapi/query/page-results
//   <cookie pagenumber="2" pagingcookie="%3ccookie%20page%3d%221%22%3e...%3c%2fcookie%3e"
//   istracking="False" />
// The inner cookie is URL-encoded (lower-case hex), so only unreserved characters and % remain
// inside the attribute. Inner cookie:
//   <cookie page="1"><sort last="JSON value, XML-escaped" />...<id last="{id}" /></cookie>

std::optional<std::string> xml_unescape(std::string_view text) {
  static const std::map<std::string_view, char> entities = {
      {"amp", '&'}, {"lt", '<'}, {"gt", '>'}, {"quot", '"'}, {"apos", '\''}};
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '&') {
      out += text[i];
      continue;
    }
    const auto end = text.find(';', i);
    if (end == std::string_view::npos) {
      return std::nullopt;
    }
    const auto entity = entities.find(text.substr(i + 1, end - i - 1));
    if (entity == entities.end()) {
      return std::nullopt;
    }
    out += entity->second;
    i = end;
  }
  return out;
}

std::string cookie_encode(std::string_view text) {
  static constexpr char hex[] = "0123456789abcdef";
  std::string out;
  for (const char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (std::isalnum(byte) != 0 || c == '-' || c == '.' || c == '_' || c == '~') {
      out += c;
    } else {
      out += '%';
      out += hex[byte >> 4];
      out += hex[byte & 0x0F];
    }
  }
  return out;
}

struct XmlTag {
  std::string name;
  std::map<std::string, std::string> attributes; // values still escaped
  bool closing = false;                          // </name>
  bool self_closing = false;                     // <name ... />
};

// Reads one tag starting at text[position] (after optional spaces); advances position past it.
std::optional<XmlTag> read_tag(std::string_view text, std::size_t& position) {
  const auto skip_spaces = [&] {
    while (position < text.size() && text[position] == ' ') {
      ++position;
    }
  };
  skip_spaces();
  if (position >= text.size() || text[position] != '<') {
    return std::nullopt;
  }
  ++position;
  XmlTag tag;
  if (position < text.size() && text[position] == '/') {
    tag.closing = true;
    ++position;
  }
  while (position < text.size() && std::isalnum(static_cast<unsigned char>(text[position])) != 0) {
    tag.name += text[position++];
  }
  if (tag.name.empty()) {
    return std::nullopt;
  }
  while (true) {
    skip_spaces();
    if (position >= text.size()) {
      return std::nullopt;
    }
    if (text[position] == '>') {
      ++position;
      return tag;
    }
    if (text.substr(position, 2) == "/>" && !tag.closing) {
      position += 2;
      tag.self_closing = true;
      return tag;
    }
    const auto equals = text.find("=\"", position);
    if (equals == std::string_view::npos || tag.closing) {
      return std::nullopt;
    }
    const std::string name(text.substr(position, equals - position));
    const auto close_quote = text.find('"', equals + 2);
    if (name.empty() || name.find_first_of(" <>/") != std::string::npos ||
        close_quote == std::string_view::npos) {
      return std::nullopt;
    }
    tag.attributes[name] = std::string(text.substr(equals + 2, close_quote - equals - 2));
    position = close_quote + 1;
  }
}

std::optional<int> positive_int(const std::string& text) {
  int value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size() || value < 1) {
    return std::nullopt;
  }
  return value;
}

std::optional<PagingCookie> decode_inner_cookie(std::string_view inner, int page) {
  std::size_t position = 0;
  const auto root = read_tag(inner, position);
  if (!root || root->name != "cookie" || root->closing || root->self_closing) {
    return std::nullopt;
  }
  PagingCookie cookie;
  cookie.page = page;
  bool have_id = false;
  while (true) {
    const auto tag = read_tag(inner, position);
    if (!tag) {
      return std::nullopt;
    }
    if (tag->closing) {
      if (tag->name != "cookie" || !have_id || position != inner.size()) {
        return std::nullopt;
      }
      return cookie;
    }
    const auto last = tag->attributes.find("last");
    if (!tag->self_closing || last == tag->attributes.end() || have_id) {
      return std::nullopt;
    }
    const auto value = xml_unescape(last->second);
    if (!value) {
      return std::nullopt;
    }
    if (tag->name == "sort") {
      // The paging cookie comes back from the client: depth-limited like any request JSON.
      auto parsed = leadsync::parse_untrusted_json(*value, "the paging cookie");
      if (!parsed.ok()) {
        return std::nullopt;
      }
      cookie.last_sort_values.push_back(std::move(parsed).value());
    } else if (tag->name == "id" && value->size() >= 2 && value->front() == '{' &&
               value->back() == '}') {
      cookie.last_id = value->substr(1, value->size() - 2);
      have_id = true;
    } else {
      return std::nullopt;
    }
  }
}

} // namespace filter_detail

using namespace filter_detail;

bool Filter::matches(const EntityDef& entity, const StoredRecord& record) const {
  return root && evaluate(*root, entity, record) == Truth::yes;
}

std::variant<QueryOptions, ServiceError>
parse_query_options(const EntityDef& entity, const Schema& schema,
                    const std::vector<std::pair<std::string, std::string>>& parameters) {
  std::map<std::string, std::string> aliases;
  for (const auto& [name, value] : parameters) {
    if (name.starts_with('@')) {
      aliases[name] = value;
    }
  }
  QueryOptions options;
  std::set<std::string> seen;
  for (const auto& [name, value] : parameters) {
    if (!name.starts_with('$')) {
      continue; // parameter aliases and custom query options
    }
    if (!seen.insert(name).second) {
      return bad_query("Query option '" + name +
                       "' was specified more than once, but it must be specified at most once.");
    }
    if (name == "$select") {
      auto select = parse_select(entity, value);
      if (auto* error = std::get_if<ServiceError>(&select)) {
        return std::move(*error);
      }
      options.select = std::get<std::vector<std::string>>(std::move(select));
    } else if (name == "$filter") {
      auto tokens = tokenize(value);
      if (auto* error = std::get_if<ServiceError>(&tokens)) {
        return std::move(*error);
      }
      FilterParser parser(entity, aliases, value, std::get<std::vector<Token>>(std::move(tokens)));
      NodePtr root = parser.parse();
      if (!root) {
        return *parser.error();
      }
      options.filter = Filter{std::move(root)};
    } else if (name == "$orderby") {
      auto orderby = parse_orderby(entity, aliases, value);
      if (auto* error = std::get_if<ServiceError>(&orderby)) {
        return std::move(*error);
      }
      options.orderby = std::get<std::vector<OrderBy>>(std::move(orderby));
    } else if (name == "$top") {
      auto top = parse_top(value);
      if (auto* error = std::get_if<ServiceError>(&top)) {
        return std::move(*error);
      }
      options.top = std::get<int>(top);
    } else if (name == "$count") {
      if (value != "true" && value != "false") {
        return bad_query("'" + value +
                         "' is not a valid count option: use $count=true or $count=false.");
      }
      options.count = value == "true";
    } else if (name == "$expand") {
      auto expand = parse_expand(entity, schema, value);
      if (auto* error = std::get_if<ServiceError>(&expand)) {
        return std::move(*error);
      }
      options.expand = std::get<std::vector<Expand>>(std::move(expand));
    } else if (name == "$skiptoken") {
      options.skiptoken = value;
    } else if (name == "$deltatoken") {
      options.deltatoken = value;
    } else if (name == "$apply") {
      return bad_query(
          "The dataverse-emulator does not implement $apply (aggregation); query the rows "
          "and aggregate them in the client.");
    } else {
      // Dataverse does not support $skip, $search or $format (dataverse-notes section 4); the
      // wording is the one reported for $skip (UNCONFIRMED by a Microsoft page).
      return bad_query("The query parameter " + name + " is not supported");
    }
  }
  return options;
}

std::vector<Json> sort_values(const EntityDef& entity, const std::vector<OrderBy>& orderby,
                              const StoredRecord& record) {
  std::vector<Json> values;
  values.reserve(orderby.size());
  for (const OrderBy& item : orderby) {
    values.push_back(column_value(entity, record, item.column));
  }
  return values;
}

namespace {

// Compares a row's sort values and id with another's in sort_records order.
int compare_position(const EntityDef& entity, const std::vector<OrderBy>& orderby,
                     const std::vector<Json>& values, const std::string& id,
                     const std::vector<Json>& other_values, const std::string& other_id) {
  const std::size_t count = std::min({orderby.size(), values.size(), other_values.size()});
  for (std::size_t i = 0; i < count; ++i) {
    const int ordering =
        compare_sort_values(column_edm(entity, orderby[i].column), values[i], other_values[i]);
    if (ordering != 0) {
      return orderby[i].descending ? -ordering : ordering;
    }
  }
  return three_way(lower_ascii(id), lower_ascii(other_id));
}

} // namespace

void sort_records(const EntityDef& entity, const std::vector<OrderBy>& orderby,
                  std::vector<const StoredRecord*>& rows) {
  std::vector<std::pair<std::vector<Json>, const StoredRecord*>> keyed;
  keyed.reserve(rows.size());
  for (const StoredRecord* row : rows) {
    keyed.emplace_back(sort_values(entity, orderby, *row), row);
  }
  std::stable_sort(keyed.begin(), keyed.end(), [&](const auto& a, const auto& b) {
    return compare_position(entity, orderby, a.first, a.second->id, b.first, b.second->id) < 0;
  });
  for (std::size_t i = 0; i < rows.size(); ++i) {
    rows[i] = keyed[i].second;
  }
}

bool sorts_after(const EntityDef& entity, const std::vector<OrderBy>& orderby,
                 const StoredRecord& record, const PagingCookie& cookie) {
  return compare_position(entity, orderby, sort_values(entity, orderby, record), record.id,
                          cookie.last_sort_values, cookie.last_id) > 0;
}

std::string encode_paging_cookie(const PagingCookie& cookie) {
  std::string inner = "<cookie page=\"" + std::to_string(cookie.page - 1) + "\">";
  for (const Json& value : cookie.last_sort_values) {
    inner += "<sort last=\"" +
             xml_escape(value.dump(-1, ' ', false, Json::error_handler_t::replace)) + "\" />";
  }
  inner += "<id last=\"" + xml_escape("{" + cookie.last_id + "}") + "\" /></cookie>";
  return "<cookie pagenumber=\"" + std::to_string(cookie.page) + "\" pagingcookie=\"" +
         cookie_encode(inner) + "\" istracking=\"False\" />";
}

std::optional<PagingCookie> decode_paging_cookie(const std::string& skiptoken) {
  std::size_t position = 0;
  const auto outer = read_tag(skiptoken, position);
  if (!outer || outer->name != "cookie" || !outer->self_closing || position != skiptoken.size()) {
    return std::nullopt;
  }
  const auto page = outer->attributes.find("pagenumber");
  const auto inner = outer->attributes.find("pagingcookie");
  if (page == outer->attributes.end() || inner == outer->attributes.end()) {
    return std::nullopt;
  }
  const auto page_number = positive_int(page->second);
  auto decoded = leadsync::http::percent_decode(inner->second);
  if (!page_number || !decoded.ok()) {
    return std::nullopt;
  }
  return decode_inner_cookie(decoded.value(), *page_number);
}

} // namespace dvemu
