#pragma once
// The digits of a phone number written the plain way lists write most numbers, for a cheaper parse.
//
// libphonenumber's Parse runs several ICU regular expressions over its input: where the number
// starts, whether it is viable, whether it carries an extension ("ext. 12", "#12", ",,12"). On
// "+7 (916) 123-45-67" that costs about 14 µs; on "+79161234567" about 8. Every step of Parse that
// looks at the text treats the separators below as punctuation and then works on the digits alone,
// so for a text made only of digits and those separators, with at most a leading '+', Parse gives
// the same PhoneNumber (or the same error) for the compact form. tests/unit/importer/clean/
// phone_text_test.cpp checks that against Parse itself over thousands of generated numbers.

#include "clean/detail/text.hpp"

#include <optional>
#include <string>
#include <string_view>

namespace leadsync::importer::detail {

// libphonenumber refuses input longer than this (kMaxInputStringLength) before looking at it.
inline constexpr std::size_t phone_parse_max_input = 250;
// Below three digits the viability test depends on the separators ("12" passes, "1-2" does not).
inline constexpr std::size_t plain_phone_min_digits = 3;

// The value of an ASCII, Arabic-Indic (U+0660..U+0669) or Eastern Arabic-Indic (U+06F0..U+06F9)
// digit; -1 for anything else.
inline int plain_digit_value(UChar32 c) {
  if (c >= '0' && c <= '9') {
    return static_cast<int>(c - '0');
  }
  if (c >= 0x0660 && c <= 0x0669) {
    return static_cast<int>(c - 0x0660);
  }
  if (c >= 0x06F0 && c <= 0x06F9) {
    return static_cast<int>(c - 0x06F0);
  }
  return -1;
}

inline bool is_plain_phone_separator(UChar32 c) {
  return c == ' ' || c == '-' || c == '.' || c == '(' || c == ')';
}

// "+" (when the text starts with one) and the ASCII digits of `text`, when the text holds nothing
// but digits and the separators space, '-', '.', '(' and ')'; nothing otherwise (letters, '/', '#',
// ',', ';', a '+' elsewhere, fewer than three digits, or too long for Parse), and then the text
// goes to Parse as it is.
inline std::optional<std::string> plain_phone_digits(std::string_view text) {
  if (text.size() > phone_parse_max_input) {
    return std::nullopt;
  }
  std::string digits;
  digits.reserve(text.size());
  std::int32_t index = 0;
  if (text.starts_with('+')) {
    digits.push_back('+');
    index = 1;
  }
  std::size_t count = 0;
  while (index < static_cast<std::int32_t>(text.size())) {
    const UChar32 c = next_code_point(text, index);
    if (const int value = plain_digit_value(c); value >= 0) {
      digits.push_back(static_cast<char>('0' + value));
      ++count;
    } else if (!is_plain_phone_separator(c)) {
      return std::nullopt;
    }
  }
  if (count < plain_phone_min_digits) {
    return std::nullopt;
  }
  return digits;
}

} // namespace leadsync::importer::detail
