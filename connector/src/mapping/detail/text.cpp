#include "detail/text.hpp"

#include <algorithm>
#include <cstdint>

namespace leadsync::mapping::detail {
namespace {

// Decodes one code point at `at`, advancing it; nullopt on an invalid or overlong sequence.
std::optional<char32_t> decode(std::string_view text, std::size_t& at) {
  const auto lead = static_cast<unsigned char>(text[at]);
  std::size_t length = 0;
  char32_t point = 0;
  if (lead < 0x80) {
    ++at;
    return lead;
  }
  if ((lead & 0xE0) == 0xC0) {
    length = 2;
    point = lead & 0x1F;
  } else if ((lead & 0xF0) == 0xE0) {
    length = 3;
    point = lead & 0x0F;
  } else if ((lead & 0xF8) == 0xF0) {
    length = 4;
    point = lead & 0x07;
  } else {
    return std::nullopt;
  }
  if (at + length > text.size()) {
    return std::nullopt;
  }
  for (std::size_t i = 1; i < length; ++i) {
    const auto next = static_cast<unsigned char>(text[at + i]);
    if ((next & 0xC0) != 0x80) {
      return std::nullopt;
    }
    point = (point << 6) | (next & 0x3F);
  }
  constexpr char32_t smallest[] = {0, 0, 0x80, 0x800, 0x10000};
  if (point < smallest[length] || point > 0x10FFFF || (point >= 0xD800 && point <= 0xDFFF)) {
    return std::nullopt;
  }
  at += length;
  return point;
}

void encode(char32_t point, std::string& out) {
  if (point < 0x80) {
    out += static_cast<char>(point);
  } else if (point < 0x800) {
    out += static_cast<char>(0xC0 | (point >> 6));
    out += static_cast<char>(0x80 | (point & 0x3F));
  } else if (point < 0x10000) {
    out += static_cast<char>(0xE0 | (point >> 12));
    out += static_cast<char>(0x80 | ((point >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (point & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (point >> 18));
    out += static_cast<char>(0x80 | ((point >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((point >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (point & 0x3F));
  }
}

bool even(char32_t point) {
  return point % 2 == 0;
}

char32_t lower(char32_t c) {
  if (c >= U'A' && c <= U'Z') {
    return c + 0x20;
  }
  if ((c >= 0xC0 && c <= 0xDE && c != 0xD7) || (c >= 0x391 && c <= 0x3A9 && c != 0x3A2) ||
      (c >= 0x410 && c <= 0x42F)) {
    return c + 0x20; // Latin-1 capitals, Greek capitals, Cyrillic А..Я
  }
  if (c >= 0x400 && c <= 0x40F) {
    return c + 0x50; // Cyrillic Ѐ..Џ
  }
  if (c == 0x178) {
    return 0xFF; // Ÿ
  }
  // Latin Extended-A and Cyrillic extensions pair capital and small letters side by side.
  const bool capital_at_even = (c >= 0x100 && c <= 0x137) || (c >= 0x14A && c <= 0x177) ||
                               (c >= 0x460 && c <= 0x481) || (c >= 0x48A && c <= 0x4BF);
  const bool capital_at_odd = (c >= 0x139 && c <= 0x148) || (c >= 0x179 && c <= 0x17E);
  if ((capital_at_even && even(c)) || (capital_at_odd && !even(c))) {
    return c + 1;
  }
  return c;
}

} // namespace

std::optional<std::size_t> code_points(std::string_view text) {
  std::size_t count = 0;
  for (std::size_t at = 0; at < text.size(); ++count) {
    if (!decode(text, at)) {
      return std::nullopt;
    }
  }
  return count;
}

std::string first_code_points(std::string_view text, std::size_t count) {
  std::size_t at = 0;
  for (std::size_t taken = 0; taken < count && at < text.size(); ++taken) {
    if (!decode(text, at)) {
      break;
    }
  }
  return std::string(text.substr(0, at));
}

std::string fold_case(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t at = 0; at < text.size();) {
    const std::size_t start = at;
    if (auto point = decode(text, at)) {
      encode(lower(*point), out);
    } else {
      out += text[start]; // not UTF-8: keep the byte as it is
      at = start + 1;
    }
  }
  return out;
}

} // namespace leadsync::mapping::detail
