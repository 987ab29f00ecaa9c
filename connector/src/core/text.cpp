#include "leadsync/core/text.hpp"

#include <algorithm>
#include <string>

namespace leadsync::text {

std::string ascii_lower(std::string_view text) {
  std::string lowered(text);
  for (char& c : lowered) {
    c = ascii_lower(c);
  }
  return lowered;
}

std::string ascii_upper(std::string_view text) {
  std::string raised(text);
  for (char& c : raised) {
    c = ascii_upper(c);
  }
  return raised;
}

bool iequals(std::string_view a, std::string_view b) noexcept {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return ascii_lower(x) == ascii_lower(y);
         });
}

std::string_view trim_left(std::string_view text, std::string_view blanks) noexcept {
  const auto first = text.find_first_not_of(blanks);
  return first == std::string_view::npos ? std::string_view() : text.substr(first);
}

std::string_view trim_right(std::string_view text, std::string_view blanks) noexcept {
  const auto last = text.find_last_not_of(blanks);
  return last == std::string_view::npos ? std::string_view() : text.substr(0, last + 1);
}

std::string_view trim(std::string_view text, std::string_view blanks) noexcept {
  return trim_right(trim_left(text, blanks), blanks);
}

std::size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> previous(b.size() + 1);
  std::vector<std::size_t> current(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) {
    previous[j] = j;
  }
  for (std::size_t i = 1; i <= a.size(); ++i) {
    current[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t substitution = previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1);
      current[j] = std::min({previous[j] + 1, current[j - 1] + 1, substitution});
    }
    std::swap(previous, current);
  }
  return previous[b.size()];
}

std::string_view closest_match(std::string_view name,
                               const std::vector<std::string_view>& candidates,
                               std::size_t max_distance) {
  std::string_view best;
  std::size_t best_distance = max_distance + 1;
  for (const auto candidate : candidates) {
    const auto distance = edit_distance(name, candidate);
    if (distance < best_distance) {
      best = candidate;
      best_distance = distance;
    }
  }
  return best_distance <= max_distance ? best : std::string_view();
}

} // namespace leadsync::text

namespace leadsync::text {

std::string escape_control_characters(std::string_view value) {
  static constexpr char hex_digits[] = "0123456789abcdef";
  std::string out;
  out.reserve(value.size());
  for (std::size_t i = 0; i < value.size(); ++i) {
    const auto byte = static_cast<unsigned char>(value[i]);
    // C1 controls are U+0080..U+009F, in UTF-8 the two bytes C2 80..C2 9F.
    if (byte == 0xC2 && i + 1 < value.size()) {
      const auto next = static_cast<unsigned char>(value[i + 1]);
      if (next >= 0x80 && next <= 0x9F) {
        out += "\\u00";
        out += hex_digits[next >> 4];
        out += hex_digits[next & 0xF];
        ++i;
        continue;
      }
    }
    if (byte >= 0x20 && byte != 0x7F) {
      out += static_cast<char>(byte);
      continue;
    }
    switch (byte) {
    case '\n':
      out += "\\n";
      break;
    case '\r':
      out += "\\r";
      break;
    case '\t':
      out += "\\t";
      break;
    default:
      out += "\\x";
      out += hex_digits[byte >> 4];
      out += hex_digits[byte & 0xF];
      break;
    }
  }
  return out;
}

std::string quoted_excerpt(std::string_view value, char quote) {
  const std::string mark(1, quote);
  if (value.size() <= quoted_value_limit) {
    return mark + escape_control_characters(value) + mark;
  }
  std::size_t cut = quoted_excerpt_length;
  // Not in the middle of a UTF-8 sequence: back up over continuation bytes.
  while (cut > 0 && (static_cast<unsigned char>(value[cut]) & 0xC0U) == 0x80U) {
    --cut;
  }
  return mark + escape_control_characters(value.substr(0, cut)) + "..." + mark + " (" +
         std::to_string(value.size()) + " bytes)";
}

} // namespace leadsync::text
