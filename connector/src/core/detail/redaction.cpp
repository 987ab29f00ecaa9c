#include "detail/redaction.hpp"

#include "leadsync/core/log.hpp"
#include "leadsync/core/text.hpp"

#include <algorithm>
#include <array>
#include <optional>

namespace leadsync::log {
namespace detail {
namespace {

bool is_word_char(char c) {
  return text::is_ascii_digit(c) || text::is_ascii_alpha(c) || c == '_';
}
bool is_blank(char c) {
  return c == ' ' || c == '\t';
}

// True when the lower-case `word` stands at `pos` as a whole word, compared case-insensitively.
bool word_at(std::string_view text, std::size_t pos, std::string_view word) {
  if (pos + word.size() > text.size() || (pos > 0 && is_word_char(text[pos - 1]))) {
    return false;
  }
  for (std::size_t k = 0; k < word.size(); ++k) {
    if (text::ascii_lower(text[pos + k]) != word[k]) {
      return false;
    }
  }
  const std::size_t end = pos + word.size();
  return end == text.size() || !is_word_char(text[end]);
}

std::size_t skip_blanks(std::string_view text, std::size_t pos) {
  while (pos < text.size() && is_blank(text[pos])) {
    ++pos;
  }
  return pos;
}

std::size_t skip_until_any(std::string_view text, std::size_t pos, std::string_view stops) {
  while (pos < text.size() && stops.find(text[pos]) == std::string_view::npos) {
    ++pos;
  }
  return pos;
}

// Index of the quote closing the string opened at `open` (backslash escapes honoured); text.size()
// when the string is not terminated.
std::size_t closing_quote(std::string_view text, std::size_t open) {
  const char quote = text[open];
  for (std::size_t pos = open + 1; pos < text.size(); ++pos) {
    if (text[pos] == '\\') {
      ++pos;
    } else if (text[pos] == quote) {
      return pos;
    }
  }
  return text.size();
}

struct Span {
  std::size_t begin;
  std::size_t end;
};

bool is_bearer_token_char(char c) {
  return text::is_ascii_digit(c) || text::is_ascii_alpha(c) ||
         std::string_view("-._~+/=").find(c) != std::string_view::npos;
}

// "Bearer <token>": the token.
std::optional<Span> bearer_token_at(std::string_view text, std::size_t pos) {
  const std::size_t after_word = pos + 6;
  if (after_word >= text.size() || !is_blank(text[after_word])) {
    return std::nullopt;
  }
  const std::size_t begin = skip_blanks(text, after_word);
  std::size_t end = begin;
  while (end < text.size() && is_bearer_token_char(text[end])) {
    ++end;
  }
  return end > begin ? std::optional<Span>(Span{begin, end}) : std::nullopt;
}

enum class KeyKind { header, credential };

// The value assigned to the key found at [key_pos, key_pos + key_length):
//   header form      Authorization: <value to end of line>
//   query/form       password=<value up to & or whitespace or quote>
//   JSON or dict     "password": "<value>"   (the key is quoted; the value may be unquoted)
std::optional<Span> assigned_value(std::string_view text, std::size_t key_pos,
                                   std::size_t key_length, KeyKind kind) {
  const char before = key_pos > 0 ? text[key_pos - 1] : '\0';
  const bool quoted_key = before == '"' || before == '\'';
  std::size_t pos = key_pos + key_length;
  if (quoted_key) {
    if (pos >= text.size() || text[pos] != before) {
      return std::nullopt;
    }
    ++pos;
  }
  pos = skip_blanks(text, pos);
  if (pos >= text.size()) {
    return std::nullopt;
  }
  const char op = text[pos];
  const bool accepted = quoted_key                ? op == ':'
                        : kind == KeyKind::header ? (op == ':' || op == '=')
                                                  : op == '=';
  if (!accepted) {
    return std::nullopt;
  }
  const std::size_t begin = skip_blanks(text, pos + 1);
  if (begin >= text.size()) {
    return std::nullopt;
  }
  if (text[begin] == '"' || text[begin] == '\'') {
    const std::size_t close = closing_quote(text, begin);
    return close > begin + 1 ? std::optional<Span>(Span{begin + 1, close}) : std::nullopt;
  }
  std::size_t end = 0;
  if (quoted_key) {
    end = skip_until_any(text, begin, ",}] \t\r\n");
  } else if (kind == KeyKind::header) {
    end = skip_until_any(text, begin, "\r\n");
  } else {
    end = skip_until_any(text, begin, "&\"' \t\r\n");
  }
  return end > begin ? std::optional<Span>(Span{begin, end}) : std::nullopt;
}

constexpr std::array<std::string_view, 4> credential_keys = {"client_secret", "password",
                                                             "access_token", "refresh_token"};

std::optional<Span> credential_value_at(std::string_view text, std::size_t pos) {
  if (word_at(text, pos, "bearer")) {
    return bearer_token_at(text, pos);
  }
  constexpr std::string_view authorization = "authorization";
  if (word_at(text, pos, authorization)) {
    return assigned_value(text, pos, authorization.size(), KeyKind::header);
  }
  for (const auto key : credential_keys) {
    if (word_at(text, pos, key)) {
      return assigned_value(text, pos, key.size(), KeyKind::credential);
    }
  }
  return std::nullopt;
}

bool is_email_local_char(char c) {
  return is_word_char(c) || c == '.' || c == '%' || c == '+' || c == '-';
}
bool is_domain_char(char c) {
  return text::is_ascii_digit(c) || text::is_ascii_alpha(c) || c == '.' || c == '-';
}

// A host name with at least one dot, ending in an alphabetic top-level label of two or more
// letters.
bool is_plausible_domain(std::string_view domain) {
  const auto last_dot = domain.rfind('.');
  if (domain.empty() || !is_word_char(domain.front()) || last_dot == std::string_view::npos) {
    return false;
  }
  const auto top_level = domain.substr(last_dot + 1);
  if (top_level.size() < 2) {
    return false;
  }
  for (const char c : top_level) {
    if (!text::is_ascii_alpha(c)) {
      return false;
    }
  }
  return true;
}

bool is_phone_separator(char c) {
  return c == ' ' || c == '-' || c == '.' || c == '(' || c == ')';
}

// Whether the text just before `begin` belongs to a word: a letter, digit or _, or one '-' / '.'
// directly after one (the inner groups of UUIDs, ids, versions, host names), or ':' after a digit
// (times, IP:port).
bool touches_word_before(std::string_view text, std::size_t begin) {
  if (begin == 0) {
    return false;
  }
  const char before = text[begin - 1];
  if (is_word_char(before)) {
    return true;
  }
  if (begin < 2) {
    return false;
  }
  const char further = text[begin - 2];
  if (before == '-' || before == '.') {
    return is_word_char(further);
  }
  return before == ':' && text::is_ascii_digit(further);
}

// The same test on the text just after `end`.
bool touches_word_after(std::string_view text, std::size_t end) {
  if (end >= text.size()) {
    return false;
  }
  const char after = text[end];
  if (is_word_char(after)) {
    return true;
  }
  if (end + 1 >= text.size()) {
    return false;
  }
  const char further = text[end + 1];
  if (after == '-' || after == '.') {
    return is_word_char(further);
  }
  return after == ':' && text::is_ascii_digit(further);
}

std::size_t digit_run(std::string_view text, std::size_t& pos) {
  const std::size_t begin = pos;
  while (pos < text.size() && text::is_ascii_digit(text[pos])) {
    ++pos;
  }
  return pos - begin;
}

// 2026-11-22, 2026.1.5, 22-11-2026, 11.22.2026 (possibly followed by more, like a time).
bool starts_like_date(std::string_view candidate) {
  std::array<std::size_t, 3> groups{};
  std::size_t pos = 0;
  for (std::size_t i = 0; i < groups.size(); ++i) {
    if (i > 0) {
      if (pos >= candidate.size() || (candidate[pos] != '-' && candidate[pos] != '.')) {
        return false;
      }
      ++pos;
    }
    groups[i] = digit_run(candidate, pos);
  }
  const auto short_group = [](std::size_t length) { return length == 1 || length == 2; };
  return (groups[0] == 4 && short_group(groups[1]) && short_group(groups[2])) ||
         (short_group(groups[0]) && short_group(groups[1]) && groups[2] == 4);
}

// The North American dotted form 212.555.1234.
bool is_dotted_nanp(std::string_view candidate) {
  std::size_t pos = 0;
  return digit_run(candidate, pos) == 3 && pos < candidate.size() && candidate[pos++] == '.' &&
         digit_run(candidate, pos) == 3 && pos < candidate.size() && candidate[pos++] == '.' &&
         digit_run(candidate, pos) == 4 && pos == candidate.size();
}

// The phone rule. A candidate is a maximal run of digits and the separators space - . ( ), starting
// with '+' or a digit and trimmed to end on a digit. It is a phone number when:
//   - it has 7 to 15 digits (E.164 allows at most 15), and
//   - it does not touch a word on either side (see touches_word_before/after), which keeps UUIDs,
//     ids, hex, versions like v1.2.3, times and IP:port intact, and
//   - it does not start like a date (4-2-2 or 2-2-4 with - or .), which keeps ISO dates and
//     timestamps intact, and
//   - it starts with '+', or it is a bare run of 10 to 15 digits (shorter bare runs are ordinary
//     counts such as "imported 1000000 rows"), or it contains a separator other than '.', or it is
//     the dotted form 212.555.1234 (other dot-only numbers are versions, IPv4 addresses, decimals).
bool is_phone_number(std::string_view candidate) {
  std::size_t digits = 0;
  bool has_dot = false;
  bool has_other_separator = false;
  for (const char c : candidate) {
    if (text::is_ascii_digit(c)) {
      ++digits;
    } else if (c == '.') {
      has_dot = true;
    } else if (c != '+') {
      has_other_separator = true;
    }
  }
  if (digits < 7 || digits > 15 || starts_like_date(candidate)) {
    return false;
  }
  if (candidate.front() == '+' || has_other_separator) {
    return true;
  }
  return has_dot ? is_dotted_nanp(candidate) : digits >= 10;
}

} // namespace

std::string mask_secrets(std::string_view text, const std::vector<std::string>& secrets) {
  std::string result(text);
  for (const auto& secret : secrets) {
    for (auto pos = result.find(secret); pos != std::string::npos;
         pos = result.find(secret, pos + redacted_marker.size())) {
      result.replace(pos, secret.size(), redacted_marker);
    }
  }
  return result;
}

std::string mask_credentials(std::string_view text) {
  std::string out;
  std::size_t copied = 0;
  for (std::size_t pos = 0; pos < text.size(); ++pos) {
    if (!text::is_ascii_alpha(text[pos]) || (pos > 0 && is_word_char(text[pos - 1]))) {
      continue;
    }
    const auto value = credential_value_at(text, pos);
    if (!value) {
      continue;
    }
    out.append(text.substr(copied, value->begin - copied));
    out.append(redacted_marker);
    copied = value->end;
    pos = value->end - 1;
  }
  out.append(text.substr(copied));
  return out;
}

std::string mask_emails(std::string_view text) {
  std::string out;
  std::size_t copied = 0;
  for (auto at = text.find('@'); at != std::string_view::npos; at = text.find('@', at + 1)) {
    std::size_t begin = at;
    while (begin > copied && is_email_local_char(text[begin - 1])) {
      --begin;
    }
    while (begin < at && text[begin] == '.') {
      ++begin;
    }
    std::size_t end = at + 1;
    while (end < text.size() && is_domain_char(text[end])) {
      ++end;
    }
    while (end > at + 1 && (text[end - 1] == '.' || text[end - 1] == '-')) {
      --end;
    }
    if (begin == at || !is_plausible_domain(text.substr(at + 1, end - at - 1))) {
      continue;
    }
    out.append(text.substr(copied, begin - copied));
    out.append(mask_email(text.substr(begin, end - begin)));
    copied = end;
    at = end - 1;
  }
  out.append(text.substr(copied));
  return out;
}

std::string mask_phones(std::string_view text) {
  std::string out;
  std::size_t copied = 0;
  std::size_t pos = 0;
  while (pos < text.size()) {
    const bool starts =
        text::is_ascii_digit(text[pos]) ||
        (text[pos] == '+' && pos + 1 < text.size() && text::is_ascii_digit(text[pos + 1]));
    if (!starts) {
      ++pos;
      continue;
    }
    std::size_t run_end = pos + 1;
    while (run_end < text.size() &&
           (text::is_ascii_digit(text[run_end]) || is_phone_separator(text[run_end]))) {
      ++run_end;
    }
    std::size_t end = run_end;
    while (!text::is_ascii_digit(text[end - 1])) {
      --end;
    }
    const auto candidate = text.substr(pos, end - pos);
    if (!touches_word_before(text, pos) && !touches_word_after(text, end) &&
        is_phone_number(candidate)) {
      out.append(text.substr(copied, pos - copied));
      out.append(mask_phone(candidate));
      copied = end;
    }
    pos = run_end;
  }
  out.append(text.substr(copied));
  return out;
}

} // namespace detail

namespace {

// Bytes in the UTF-8 sequence introduced by `lead` (1 for ASCII and for stray continuation bytes).
std::size_t utf8_sequence_length(unsigned char lead) {
  if (lead >= 0xF0U) {
    return 4;
  }
  if (lead >= 0xE0U) {
    return 3;
  }
  return lead >= 0xC0U ? 2 : 1;
}

} // namespace

std::string mask_email(std::string_view email) {
  const auto at = email.rfind('@');
  if (at == std::string_view::npos || at == 0) {
    return "***";
  }
  const auto first = std::min(utf8_sequence_length(static_cast<unsigned char>(email.front())), at);
  std::string masked(email.substr(0, first));
  masked += "***";
  masked += email.substr(at);
  return masked;
}

std::string mask_phone(std::string_view phone) {
  std::string digits;
  bool international = false;
  for (const char c : phone) {
    if (c >= '0' && c <= '9') {
      digits.push_back(c);
    } else if (c == '+' && digits.empty()) {
      international = true;
    }
  }
  std::string masked = international ? "+" : "";
  constexpr std::size_t kept_front = 2;
  constexpr std::size_t kept_back = 3;
  if (digits.size() <= kept_front + kept_back) {
    masked.append(digits.size(), '*');
    return masked;
  }
  masked += digits.substr(0, kept_front);
  masked.append(digits.size() - kept_front - kept_back, '*');
  masked += digits.substr(digits.size() - kept_back);
  return masked;
}

} // namespace leadsync::log
