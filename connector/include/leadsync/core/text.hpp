#pragma once
// Small text helpers with one home: ASCII case and whitespace handling for protocol tokens,
// header names, keys and config values (never for people's names: those go through ICU in the
// importer's cleaners), joining, hex digits, and the loaders' "did you mean 'api_version'?".

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace leadsync::text {

// The blanks `trim` removes by default: space, tab, CR, LF, form feed, vertical tab.
inline constexpr std::string_view ascii_whitespace = " \t\r\n\f\v";
// The blanks within one line (HTTP's optional whitespace, a CSV cell's padding): space and tab.
inline constexpr std::string_view space_and_tab = " \t";
// Space, tab and the line ends (CR, LF): the blanks around a value read from a line or a cell.
inline constexpr std::string_view space_tab_cr_lf = " \t\r\n";

constexpr bool is_ascii_space(char c) noexcept {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

constexpr bool is_ascii_digit(char c) noexcept {
  return c >= '0' && c <= '9';
}

constexpr bool is_ascii_alpha(char c) noexcept {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

constexpr char ascii_lower(char c) noexcept {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

constexpr char ascii_upper(char c) noexcept {
  return (c >= 'a' && c <= 'z') ? static_cast<char>(c - 'a' + 'A') : c;
}

// A copy with A-Z lowered; every other byte (UTF-8 included) unchanged.
std::string ascii_lower(std::string_view text);

// A copy with a-z raised; every other byte (UTF-8 included) unchanged.
std::string ascii_upper(std::string_view text);

// Equal ignoring ASCII case ("Content-Type" and "content-type").
bool iequals(std::string_view a, std::string_view b) noexcept;

// `text` without leading and trailing `blanks` (a view into `text`).
std::string_view trim(std::string_view text, std::string_view blanks = ascii_whitespace) noexcept;
std::string_view trim_left(std::string_view text,
                           std::string_view blanks = ascii_whitespace) noexcept;
std::string_view trim_right(std::string_view text,
                            std::string_view blanks = ascii_whitespace) noexcept;

// The parts with `separator` between them; any range of things a string can be appended from
// (std::string, std::string_view, const char*).
template <typename Range> std::string join(const Range& parts, std::string_view separator) {
  std::string joined;
  bool first = true;
  for (const auto& part : parts) {
    if (!first) {
      joined += separator;
    }
    joined += part;
    first = false;
  }
  return joined;
}

// The value of one hexadecimal digit (0-9, a-f, A-F), or -1 for any other byte.
constexpr int hex_value(char c) noexcept {
  if (c >= '0' && c <= '9') {
    return c - '0';
  }
  if (c >= 'a' && c <= 'f') {
    return c - 'a' + 10;
  }
  if (c >= 'A' && c <= 'F') {
    return c - 'A' + 10;
  }
  return -1;
}

// Levenshtein distance in bytes (the names compared are ASCII keys and field paths).
std::size_t edit_distance(std::string_view a, std::string_view b);

// The candidate closest to `name` within `max_distance` edits; empty when none is that close.
std::string_view closest_match(std::string_view name,
                               const std::vector<std::string_view>& candidates,
                               std::size_t max_distance);

// Text from outside (lead fields, provider answers) made safe for a terminal or a text log line:
// C0 controls, DEL and the C1 controls (U+0080 to U+009F) are written as visible escapes (\n, \t,
// \x1b, \u009b) so a value cannot move the cursor, recolour the screen or start a forged log line.
// Other UTF-8 passes through unchanged; a backslash is left as it is.
std::string escape_control_characters(std::string_view value);

// A user's value quoted in a message: whole when short, else its first 40 characters (never
// cutting a UTF-8 sequence) and its size ("\"aaaa...\" (52428800 bytes)"), so a 50 MB value does
// not come back as a 50 MB message (issue 18). Control characters are escaped.
inline constexpr std::size_t quoted_value_limit = 60;
inline constexpr std::size_t quoted_excerpt_length = 40;
std::string quoted_excerpt(std::string_view value, char quote = '"');

} // namespace leadsync::text
