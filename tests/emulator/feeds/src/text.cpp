#include "femu/text.hpp"

#include "leadsync/http/url.hpp"

#include <algorithm>
#include <array>
#include <cctype>

namespace femu {
namespace {

// Decodes the code point at `pos` and advances it; invalid bytes come back as themselves.
char32_t next_code_point(std::string_view text, std::size_t& pos) {
  const auto lead = static_cast<unsigned char>(text[pos]);
  int extra = 0;
  char32_t code = lead;
  if (lead >= 0xF0 && lead < 0xF8) {
    extra = 3;
    code = lead & 0x07u;
  } else if (lead >= 0xE0) {
    extra = 2;
    code = lead & 0x0Fu;
  } else if (lead >= 0xC0) {
    extra = 1;
    code = lead & 0x1Fu;
  }
  const bool stray_continuation = lead >= 0x80 && lead < 0xC0;
  if (lead >= 0xF8 || stray_continuation || pos + static_cast<std::size_t>(extra) >= text.size()) {
    ++pos;
    return lead;
  }
  for (int i = 1; i <= extra; ++i) {
    const auto byte = static_cast<unsigned char>(text[pos + static_cast<std::size_t>(i)]);
    if ((byte & 0xC0u) != 0x80u) {
      ++pos;
      return lead;
    }
    code = (code << 6) | (byte & 0x3Fu);
  }
  pos += static_cast<std::size_t>(extra) + 1;
  return code;
}

void append_utf8(std::string& out, char32_t code) {
  if (code < 0x80) {
    out += static_cast<char>(code);
  } else if (code < 0x800) {
    out += static_cast<char>(0xC0 | (code >> 6));
    out += static_cast<char>(0x80 | (code & 0x3F));
  } else if (code < 0x10000) {
    out += static_cast<char>(0xE0 | (code >> 12));
    out += static_cast<char>(0x80 | ((code >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (code & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (code >> 18));
    out += static_cast<char>(0x80 | ((code >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((code >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (code & 0x3F));
  }
}

char32_t lower(char32_t code) {
  if ((code >= U'A' && code <= U'Z') || (code >= 0xC0 && code <= 0xDE && code != 0xD7)) {
    return code + 0x20;
  }
  if (code >= 0x410 && code <= 0x42F) { // А-Я
    return code + 0x20;
  }
  if (code >= 0x400 && code <= 0x40F) { // Ѐ-Џ (Ё among them)
    return code + 0x50;
  }
  return code;
}

char32_t upper(char32_t code) {
  if ((code >= U'a' && code <= U'z') || (code >= 0xE0 && code <= 0xFE && code != 0xF7)) {
    return code - 0x20;
  }
  if (code >= 0x430 && code <= 0x44F) {
    return code - 0x20;
  }
  if (code >= 0x450 && code <= 0x45F) {
    return code - 0x50;
  }
  return code;
}

bool is_letter_or_digit(char32_t code) {
  if (code < 0x80) {
    return std::isalnum(static_cast<int>(code)) != 0;
  }
  // Everything non-ASCII counts as a letter except the Latin-1 and general punctuation blocks
  // («», ‘’, “”, –, —) and no-break spaces.
  return !(code <= 0xBF || code == 0xD7 || code == 0xF7 || (code >= 0x2000 && code <= 0x206F));
}

template <typename Map> std::string map_code_points(std::string_view text, Map map) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t pos = 0; pos < text.size();) {
    append_utf8(out, map(next_code_point(text, pos)));
  }
  return out;
}

std::string_view trim_ascii(std::string_view text) {
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front())) != 0) {
    text.remove_prefix(1);
  }
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back())) != 0) {
    text.remove_suffix(1);
  }
  return text;
}

std::string strip_scheme_and_www(std::string_view url) {
  url = trim_ascii(url);
  if (const auto scheme = url.find("://"); scheme != std::string_view::npos) {
    url.remove_prefix(scheme + 3);
  }
  std::string lowered = utf8_lower(url);
  if (lowered.rfind("www.", 0) == 0) {
    lowered.erase(0, 4);
  }
  return lowered;
}

} // namespace

std::string utf8_lower(std::string_view text) {
  return map_code_points(text, lower);
}

std::string utf8_upper(std::string_view text) {
  return map_code_points(text, upper);
}

std::string utf8_titlecase(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  bool word_start = true;
  for (std::size_t pos = 0; pos < text.size();) {
    const char32_t code = next_code_point(text, pos);
    const bool letter = is_letter_or_digit(code) || code == U'\'';
    append_utf8(out, letter ? (word_start ? upper(code) : lower(code)) : code);
    word_start = !letter;
  }
  return out;
}

std::string normalize_name(std::string_view name) {
  std::string out;
  bool pending_space = false;
  for (std::size_t pos = 0; pos < name.size();) {
    const char32_t code = lower(next_code_point(name, pos));
    if (!is_letter_or_digit(code)) {
      pending_space = !out.empty();
      continue;
    }
    if (pending_space) {
      out += ' ';
      pending_space = false;
    }
    append_utf8(out, code == 0x451 ? char32_t{0x435} : code); // ё and е are spelled alike
  }
  return out;
}

std::string normalize_company_name(std::string_view name) {
  // Legal forms that vendors add or drop at will (Latin, Russian, Arabic "company").
  static const std::array<std::string_view, 22> legal_forms = {
      "inc",  "incorporated", "corp", "corporation", "co",   "llc", "ltd", "limited",
      "gmbh", "ag",           "sa",   "sas",         "sarl", "plc", "bv",  "oy",
      "ооо",  "оао",          "зао",  "пао",         "ип",   "شركة"};
  const std::string normal = normalize_name(name);
  std::string out;
  std::size_t start = 0;
  while (start <= normal.size()) {
    const std::size_t end = std::min(normal.find(' ', start), normal.size());
    const std::string_view word = std::string_view(normal).substr(start, end - start);
    bool legal = false;
    for (const auto form : legal_forms) {
      legal = legal || word == form;
    }
    if (!word.empty() && !legal) {
      if (!out.empty()) {
        out += ' ';
      }
      out += word;
    }
    start = end + 1;
  }
  return out;
}

std::string normalize_domain(std::string_view website) {
  std::string host = strip_scheme_and_www(website);
  if (const auto end = host.find_first_of("/?#:"); end != std::string::npos) {
    host.erase(end);
  }
  if (const auto at = host.rfind('@'); at != std::string::npos) {
    host.erase(0, at + 1); // an e-mail address: its domain
  }
  while (!host.empty() && host.back() == '.') {
    host.pop_back();
  }
  return host.find('.') == std::string::npos ? std::string() : host;
}

std::string phone_digits(std::string_view phone) {
  std::string digits;
  for (const char c : phone) {
    if (c >= '0' && c <= '9') {
      digits += c;
    }
  }
  return digits;
}

std::string normalize_profile_url(std::string_view url) {
  std::string out = strip_scheme_and_www(url);
  if (const auto query = out.find_first_of("?#"); query != std::string::npos) {
    out.erase(query);
  }
  while (!out.empty() && out.back() == '/') {
    out.pop_back();
  }
  return out;
}

std::string profile_handle(std::string_view url) {
  const std::string normal = normalize_profile_url(url);
  const auto slash = normal.rfind('/');
  return slash == std::string::npos ? std::string() : normal.substr(slash + 1);
}

bool looks_like_email(std::string_view text) {
  const auto at = text.find('@');
  if (at == 0 || at == std::string_view::npos || text.find('@', at + 1) != std::string_view::npos) {
    return false;
  }
  const std::string_view domain = text.substr(at + 1);
  const auto dot = domain.find('.');
  if (dot == 0 || dot == std::string_view::npos || domain.back() == '.') {
    return false;
  }
  for (const char c : text) {
    if (std::isspace(static_cast<unsigned char>(c)) != 0 || c == ',' || c == '<' || c == '>') {
      return false;
    }
  }
  return true;
}

std::optional<QueryParams> parse_form_query(std::string_view query) {
  // '+' is a space in a form query; with it replaced, leadsync's query parser does the rest (it
  // decodes %XX, skips empty pieces and fails on a broken escape).
  std::string spaced(query);
  std::replace(spaced.begin(), spaced.end(), '+', ' ');
  auto params = leadsync::http::parse_query(spaced);
  if (!params.ok()) {
    return std::nullopt;
  }
  return std::move(params).value();
}

std::optional<std::string> base64_decode(std::string_view text) {
  static constexpr std::string_view alphabet =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  std::uint32_t buffer = 0;
  int bits = 0;
  for (const char c : text) {
    if (c == '=') {
      break;
    }
    const auto index = alphabet.find(c);
    if (index == std::string_view::npos) {
      return std::nullopt;
    }
    buffer = (buffer << 6) | static_cast<std::uint32_t>(index);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((buffer >> bits) & 0xFFu);
    }
  }
  return out;
}

std::uint64_t stable_hash(std::string_view text, std::uint64_t seed) {
  std::uint64_t hash = 0xcbf29ce484222325ull ^ seed;
  for (const char c : text) {
    hash ^= static_cast<unsigned char>(c);
    hash *= 0x100000001b3ull;
  }
  hash ^= hash >> 30;
  hash *= 0xbf58476d1ce4e5b9ull;
  hash ^= hash >> 27;
  hash *= 0x94d049bb133111ebull;
  hash ^= hash >> 31;
  return hash;
}

double unit_fraction(std::uint64_t hash) {
  return static_cast<double>(hash >> 11) * (1.0 / 9007199254740992.0); // 53 bits / 2^53
}

} // namespace femu
