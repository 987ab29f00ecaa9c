// Text cleaning, name casing, folding for comparison and Jaro-Winkler similarity.

#include "clean/detail/text.hpp"

#include "leadsync/importer/normalize.hpp"

#include <algorithm>
#include <unicode/locid.h>
#include <unicode/normalizer2.h>
#include <unicode/uchar.h>
#include <unicode/unistr.h>

namespace leadsync::importer {
namespace {

using detail::append_utf8;
using detail::next_code_point;

bool is_space_like(UChar32 c) {
  if (c < 0x80) {
    return c <= 0x20 || c == 0x7F;
  }
  return u_isUWhiteSpace(c) || u_charType(c) == U_CONTROL_CHAR;
}

// Characters with no width that only make equal-looking text compare unequal.
bool is_invisible(UChar32 c) {
  return c == 0x200B /* zero-width space */ || c == 0x2060 /* word joiner */ ||
         c == 0xFEFF /* BOM */ || c == 0x00AD /* soft hyphen */;
}

bool is_hyphen(UChar32 c) {
  return c == '-' || c == 0x2010 || c == 0x2011;
}
bool is_apostrophe(UChar32 c) {
  return c == '\'' || c == 0x2019 || c == 0x02BC;
}

icu::UnicodeString to_unicode(std::string_view text) {
  return icu::UnicodeString::fromUTF8(
      icu::StringPiece(text.data(), static_cast<std::int32_t>(text.size())));
}

std::vector<UChar32> to_code_points(const icu::UnicodeString& text) {
  std::vector<UChar32> points;
  points.reserve(static_cast<std::size_t>(text.length()));
  for (std::int32_t i = 0; i < text.length();) {
    const UChar32 c = text.char32At(i);
    points.push_back(c);
    i += U16_LENGTH(c);
  }
  return points;
}

std::string to_utf8(const std::vector<UChar32>& points) {
  std::string out;
  out.reserve(points.size());
  for (const auto c : points) {
    append_utf8(out, c);
  }
  return out;
}

// Title-cases one space-free word of an all-lower-cased name in place: its first letter, the letter
// after a hyphen, after a one-letter prefix and an apostrophe (O'Brien, D'Angelo; not Ukrainian
// Дем'ян), and after "Mc" in Latin names.
void title_case_word(std::vector<UChar32>& word) {
  std::size_t segment_start = 0;
  for (std::size_t i = 0; i < word.size(); ++i) {
    const bool starts_segment =
        i == segment_start || (i > 0 && is_apostrophe(word[i - 1]) && i - 1 == segment_start + 1);
    if (starts_segment && u_isalpha(word[i])) {
      word[i] = u_totitle(word[i]);
      const bool mc_prefix = i == segment_start && i + 3 < word.size() && word[i] == 'M' &&
                             word[i + 1] == 'c' && u_isalpha(word[i + 2]);
      if (mc_prefix) {
        word[i + 2] = u_totitle(word[i + 2]);
      }
    }
    if (is_hyphen(word[i]) || word[i] == '.' || word[i] == '(' || word[i] == '/') {
      segment_start = i + 1;
    }
  }
}

} // namespace

std::string clean_text(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  bool pending_space = false;
  for (std::int32_t i = 0; i < static_cast<std::int32_t>(text.size());) {
    const UChar32 c = next_code_point(text, i);
    if (is_space_like(c)) {
      pending_space = !out.empty();
      continue;
    }
    if (is_invisible(c)) {
      continue;
    }
    if (pending_space) {
      out += ' ';
      pending_space = false;
    }
    append_utf8(out, c);
  }
  return out;
}

std::string normalize_name(std::string_view name) {
  auto cleaned = clean_text(name);
  auto text = to_unicode(cleaned);
  bool has_upper = false;
  bool has_lower = false;
  for (std::int32_t i = 0; i < text.length();) {
    const UChar32 c = text.char32At(i);
    has_lower = has_lower || u_isULowercase(c);
    has_upper = has_upper || u_isUUppercase(c) || u_istitle(c);
    i += U16_LENGTH(c);
  }
  if (has_upper == has_lower) {
    return cleaned; // a deliberate mixed-case spelling, or a script without case
  }
  // The whole string at once, so context-dependent mappings (Greek final sigma) apply.
  text.toLower(icu::Locale::getRoot());
  const auto points = to_code_points(text);

  std::vector<std::vector<UChar32>> words(1);
  for (const auto c : points) {
    if (c == ' ') {
      words.emplace_back();
    } else {
      words.back().push_back(c);
    }
  }
  std::vector<UChar32> result;
  result.reserve(points.size());
  for (std::size_t w = 0; w < words.size(); ++w) {
    auto& word = words[w];
    const bool inner_particle =
        w > 0 && w + 1 < words.size() && detail::is_name_particle(to_utf8(word));
    if (!inner_particle) {
      title_case_word(word);
    }
    if (w > 0) {
      result.push_back(' ');
    }
    result.insert(result.end(), word.begin(), word.end());
  }
  return to_utf8(result);
}

std::string fold_for_matching(std::string_view text) {
  const auto cleaned = clean_text(text);
  UErrorCode status = U_ZERO_ERROR;
  const icu::Normalizer2* nfd = icu::Normalizer2::getNFDInstance(status);
  auto unicode = to_unicode(cleaned);
  unicode.foldCase();
  if (U_SUCCESS(status)) {
    unicode = nfd->normalize(unicode, status);
  }
  std::string out;
  out.reserve(cleaned.size());
  bool pending_space = false;
  for (std::int32_t i = 0; i < unicode.length();) {
    UChar32 c = unicode.char32At(i);
    i += U16_LENGTH(c);
    if (u_charType(c) == U_NON_SPACING_MARK || c == 0x0640 /* tatweel */ || is_apostrophe(c) ||
        c == '`' || c == 0x00B4) {
      continue;
    }
    if (c == ' ' || is_hyphen(c) || c == 0x2013 || c == 0x2014 || c == '.' || c == ',') {
      pending_space = !out.empty();
      continue;
    }
    switch (c) {
    case 0x0629: // teh marbuta -> heh
      c = 0x0647;
      break;
    case 0x0649: // alef maksura -> yeh
    case 0x06CC: // Farsi yeh -> yeh
      c = 0x064A;
      break;
    case 0x06A9: // keheh -> kaf
      c = 0x0643;
      break;
    default:
      break;
    }
    if (pending_space) {
      out += ' ';
      pending_space = false;
    }
    append_utf8(out, c);
  }
  return out;
}

double jaro_winkler(std::string_view a, std::string_view b) {
  const auto s = detail::code_points(a);
  const auto t = detail::code_points(b);
  if (s == t) {
    return s.empty() ? 0.0 : 1.0;
  }
  if (s.empty() || t.empty()) {
    return 0.0;
  }
  const std::size_t half = std::max(s.size(), t.size()) / 2;
  const std::size_t window = half > 0 ? half - 1 : 0;
  std::vector<bool> s_matched(s.size());
  std::vector<bool> t_matched(t.size());
  std::size_t matches = 0;
  for (std::size_t i = 0; i < s.size(); ++i) {
    const std::size_t from = i > window ? i - window : 0;
    const std::size_t to = std::min(t.size(), i + window + 1);
    for (std::size_t j = from; j < to; ++j) {
      if (!t_matched[j] && s[i] == t[j]) {
        s_matched[i] = true;
        t_matched[j] = true;
        ++matches;
        break;
      }
    }
  }
  if (matches == 0) {
    return 0.0;
  }
  std::size_t transpositions = 0;
  for (std::size_t i = 0, k = 0; i < s.size(); ++i) {
    if (!s_matched[i]) {
      continue;
    }
    while (!t_matched[k]) {
      ++k;
    }
    if (s[i] != t[k]) {
      ++transpositions;
    }
    ++k;
  }
  const double m = static_cast<double>(matches);
  const double jaro = (m / static_cast<double>(s.size()) + m / static_cast<double>(t.size()) +
                       (m - static_cast<double>(transpositions) / 2.0) / m) /
                      3.0;
  std::size_t prefix = 0;
  while (prefix < 4 && prefix < s.size() && prefix < t.size() && s[prefix] == t[prefix]) {
    ++prefix;
  }
  return jaro + static_cast<double>(prefix) * 0.1 * (1.0 - jaro);
}

} // namespace leadsync::importer
