// Country and language names (English, Russian, Arabic) to ISO codes, from ICU's locale data.

#include "clean/detail/text.hpp"
#include "leadsync/importer/normalize.hpp"

#include <algorithm>
#include <unicode/locid.h>
#include <unicode/unistr.h>
#include <unordered_map>
#include <vector>

namespace leadsync::importer {
namespace {

using NameIndex = std::unordered_map<std::string, std::string>; // folded name -> code

const icu::Locale& display_locale(std::size_t index) {
  static const icu::Locale locales[] = {icu::Locale("en"), icu::Locale("ru"), icu::Locale("ar")};
  return locales[index];
}
constexpr std::size_t display_locale_count = 3;

void add_name(NameIndex& index, const icu::UnicodeString& name, const std::string& code) {
  std::string utf8;
  name.toUTF8String(utf8);
  index.emplace(fold_for_matching(utf8), code); // the first spelling of a name wins
}

const NameIndex& countries() {
  static const NameIndex index = [] {
    NameIndex built;
    for (const char* const* code = icu::Locale::getISOCountries(); *code != nullptr; ++code) {
      const std::string region(*code);
      const icu::Locale locale("", *code);
      built.emplace(detail::ascii_lower(region), region);
      built.emplace(detail::ascii_lower(locale.getISO3Country()), region);
      for (std::size_t i = 0; i < display_locale_count; ++i) {
        icu::UnicodeString name;
        add_name(built, locale.getDisplayCountry(display_locale(i), name), region);
      }
    }
    // Short forms lists use that ICU does not spell.
    const std::pair<const char*, const char*> aliases[] = {{"USA", "US"},
                                                           {"United States of America", "US"},
                                                           {"UK", "GB"},
                                                           {"England", "GB"},
                                                           {"Great Britain", "GB"},
                                                           {"UAE", "AE"},
                                                           {"Emirates", "AE"},
                                                           {"Russian Federation", "RU"},
                                                           {"РФ", "RU"},
                                                           {"США", "US"},
                                                           {"ОАЭ", "AE"},
                                                           {"Англия", "GB"},
                                                           {"الإمارات", "AE"},
                                                           {"السعودية", "SA"},
                                                           {"أمريكا", "US"},
                                                           {"روسيا الاتحادية", "RU"}};
    for (const auto& [name, region] : aliases) {
      built.emplace(fold_for_matching(name), region);
    }
    return built;
  }();
  return index;
}

const NameIndex& languages() {
  static const NameIndex index = [] {
    NameIndex built;
    for (const char* const* code = icu::Locale::getISOLanguages(); *code != nullptr; ++code) {
      const std::string language(*code);
      const icu::Locale locale(*code);
      built.emplace(detail::ascii_lower(locale.getISO3Language()), language);
      for (std::size_t i = 0; i < display_locale_count; ++i) {
        icu::UnicodeString name;
        add_name(built, locale.getDisplayLanguage(display_locale(i), name), language);
      }
    }
    return built;
  }();
  return index;
}

bool is_known_language(std::string_view code) {
  for (const char* const* known = icu::Locale::getISOLanguages(); *known != nullptr; ++known) {
    if (code == *known) {
      return true;
    }
  }
  return false;
}

bool all_of_kind(std::string_view text, bool (*predicate)(char)) {
  return !text.empty() && std::all_of(text.begin(), text.end(), predicate);
}

// "ar_sa" -> "ar-SA", "zh-hant-tw" -> "zh-Hant-TW"; nullopt unless it is language[-script][-region]
// with a language ICU knows.
std::optional<std::string> canonical_tag(std::string_view text) {
  std::vector<std::string> parts;
  std::size_t start = 0;
  while (start <= text.size()) {
    auto end = text.find_first_of("-_", start);
    if (end == std::string_view::npos) {
      end = text.size();
    }
    parts.push_back(detail::ascii_lower(text.substr(start, end - start)));
    start = end + 1;
  }
  if (parts.size() > 3 || parts[0].size() != 2 || !all_of_kind(parts[0], detail::is_ascii_alpha) ||
      !is_known_language(parts[0])) {
    return std::nullopt;
  }
  std::string tag = parts[0];
  for (std::size_t i = 1; i < parts.size(); ++i) {
    auto& part = parts[i];
    if (part.size() == 4 && all_of_kind(part, detail::is_ascii_alpha)) {
      part[0] = detail::ascii_upper(part[0]); // script: Title case
    } else if (part.size() == 2 && all_of_kind(part, detail::is_ascii_alpha)) {
      part = detail::ascii_upper(part); // region
    } else if (!(part.size() == 3 && all_of_kind(part, detail::is_ascii_digit))) {
      return std::nullopt;
    }
    tag += '-' + part;
  }
  return tag;
}

} // namespace

std::optional<std::string> region_for_country(std::string_view country) {
  const auto folded = fold_for_matching(country);
  const auto found = countries().find(folded);
  if (found == countries().end()) {
    return std::nullopt;
  }
  return found->second;
}

std::optional<std::string> language_tag(std::string_view language) {
  const auto cleaned = clean_text(language);
  if (cleaned.empty()) {
    return std::nullopt;
  }
  if (auto tag = canonical_tag(cleaned)) {
    return tag;
  }
  const auto found = languages().find(fold_for_matching(cleaned));
  if (found == languages().end()) {
    return std::nullopt;
  }
  return found->second;
}

} // namespace leadsync::importer
