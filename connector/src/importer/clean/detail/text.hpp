#pragma once
// Small helpers shared by the cleaning sources: UTF-8 decoding, ASCII case, stable 64-bit hashing.

#include "leadsync/core/text.hpp"

#include <cstdint>
#include <string>
#include <string_view>
#include <unicode/umachine.h>
#include <unicode/utf8.h>
#include <vector>

namespace leadsync::importer::detail {

inline constexpr UChar32 replacement_character = 0xFFFD;

// Decodes the code point at `index` and advances it; ill-formed sequences yield U+FFFD.
inline UChar32 next_code_point(std::string_view text, std::int32_t& index) {
  const auto* bytes = reinterpret_cast<const std::uint8_t*>(text.data());
  const auto length = static_cast<std::int32_t>(text.size());
  UChar32 c = bytes[index];
  if (c < 0x80) {
    ++index;
    return c;
  }
  U8_NEXT(bytes, index, length, c);
  return c < 0 ? replacement_character : c;
}

inline void append_utf8(std::string& out, UChar32 c) {
  std::uint8_t buffer[U8_MAX_LENGTH];
  std::int32_t length = 0;
  U8_APPEND_UNSAFE(buffer, length, c);
  out.append(reinterpret_cast<const char*>(buffer), static_cast<std::size_t>(length));
}

inline std::vector<UChar32> code_points(std::string_view text) {
  std::vector<UChar32> points;
  points.reserve(text.size());
  for (std::int32_t i = 0; i < static_cast<std::int32_t>(text.size());) {
    points.push_back(next_code_point(text, i));
  }
  return points;
}

inline bool is_ascii(std::string_view text) {
  for (const char c : text) {
    if (static_cast<unsigned char>(c) >= 0x80) {
      return false;
    }
  }
  return true;
}

// ASCII case and classes from core/text (one home, issue 19), under the names the cleaning
// sources use.
using text::ascii_lower;
using text::ascii_upper;
using text::iequals;
using text::is_ascii_alpha;
using text::is_ascii_digit;

inline bool istarts_with(std::string_view text, std::string_view prefix) {
  return text.size() >= prefix.size() && iequals(text.substr(0, prefix.size()), prefix);
}

// Words that join a family name after the given name ("Jean de la Fontaine", "Ludwig van
// Beethoven"), compared case-insensitively.
inline bool is_name_particle(std::string_view word) {
  static constexpr std::string_view particles[] = {"da",  "das", "de",  "del", "della", "den",
                                                   "der", "di",  "do",  "dos", "du",    "la",
                                                   "le",  "ten", "ter", "van", "von"};
  for (const auto particle : particles) {
    if (iequals(word, particle)) {
      return true;
    }
  }
  return false;
}

// FNV-1a followed by the SplitMix64 finalizer: stable across runs and platforms, well spread for
// open-addressing tables. Never 0, which the index uses to mean "no key".
inline std::uint64_t stable_hash(std::string_view text) {
  std::uint64_t hash = 0xcbf29ce484222325ULL;
  for (const char c : text) {
    hash ^= static_cast<std::uint8_t>(c);
    hash *= 0x100000001b3ULL;
  }
  hash ^= hash >> 30;
  hash *= 0xbf58476d1ce4e5b9ULL;
  hash ^= hash >> 27;
  hash *= 0x94d049bb133111ebULL;
  hash ^= hash >> 31;
  return hash == 0 ? 1 : hash;
}

} // namespace leadsync::importer::detail
