// Splitting a "full name" column into given, middle and family names (heuristics in normalize.hpp).

#include "clean/detail/text.hpp"
#include "leadsync/importer/normalize.hpp"

#include <unicode/uchar.h>
#include <unicode/uscript.h>
#include <vector>

namespace leadsync::importer {
namespace {

std::vector<std::string> split_words(std::string_view text) {
  std::vector<std::string> words;
  std::size_t start = 0;
  while (start < text.size()) {
    auto end = text.find(' ', start);
    if (end == std::string_view::npos) {
      end = text.size();
    }
    if (end > start) {
      words.emplace_back(text.substr(start, end - start));
    }
    start = end + 1;
  }
  return words;
}

std::string join(const std::vector<std::string>& words, std::size_t from, std::size_t to) {
  std::string joined;
  for (std::size_t i = from; i < to; ++i) {
    if (!joined.empty()) {
      joined += ' ';
    }
    joined += words[i];
  }
  return joined;
}

UScriptCode first_letter_script(std::string_view text) {
  for (std::int32_t i = 0; i < static_cast<std::int32_t>(text.size());) {
    const UChar32 c = detail::next_code_point(text, i);
    if (u_isalpha(c)) {
      UErrorCode status = U_ZERO_ERROR;
      return uscript_getScript(c, &status);
    }
  }
  return USCRIPT_COMMON;
}

bool ends_with_any(std::string_view word, std::initializer_list<std::string_view> endings) {
  const auto lowered = fold_for_matching(word);
  for (const auto ending : endings) {
    if (lowered.size() > ending.size() &&
        lowered.compare(lowered.size() - ending.size(), ending.size(), ending) == 0) {
      return true;
    }
  }
  return false;
}

// Folded forms: "й" folds to "и", so "ский" is matched as "скии".
bool is_patronymic(std::string_view word) {
  return ends_with_any(word,
                       {"ович", "евич", "ьич", "овна", "евна", "ична", "оглы", "кызы", "улы"});
}

// 2 for endings that are almost only family names, 1 for endings shared with given names (Ирина,
// Марина).
int surname_likeness(std::string_view word) {
  if (ends_with_any(word, {"ов", "ова", "ев", "ева", "скии", "ская", "цкии", "цкая", "енко"})) {
    return 2;
  }
  if (ends_with_any(word, {"ин", "ина", "ын", "ына", "ых", "их", "ук", "юк"})) {
    return 1;
  }
  return 0;
}

// Turkic patronymics are written as two words ("Рашид оглы"); they are joined into one.
std::vector<std::string> join_turkic_patronymic(std::vector<std::string> words) {
  const auto last = fold_for_matching(words.back());
  if (words.size() > 2 && (last == "оглы" || last == "кызы" || last == "улы")) {
    words[words.size() - 2] += " " + words.back();
    words.pop_back();
  }
  return words;
}

PersonName cyrillic_name(const std::vector<std::string>& input) {
  const auto words = join_turkic_patronymic(input);
  if (words.size() == 3 && is_patronymic(words[2])) {
    return {words[1], words[2], words[0]}; // Фамилия Имя Отчество
  }
  if (words.size() == 3 && is_patronymic(words[1])) {
    return {words[0], words[1], words[2]}; // Имя Отчество Фамилия
  }
  if (words.size() == 2 && surname_likeness(words[0]) > surname_likeness(words[1])) {
    return {words[1], "", words[0]}; // Фамилия Имя
  }
  return {words.front(), join(words, 1, words.size() - 1), words.back()};
}

PersonName arabic_name(const std::vector<std::string>& words) {
  // "عبد" (servant of) belongs with the next word: عبد الله is one given name.
  const std::size_t given_words = words[0] == "عبد" && words.size() > 2 ? 2 : 1;
  return {join(words, 0, given_words), "", join(words, given_words, words.size())};
}

PersonName western_name(const std::vector<std::string>& words) {
  std::size_t last_start = words.size() - 1;
  while (last_start > 1 && detail::is_name_particle(words[last_start - 1])) {
    --last_start;
  }
  return {words.front(), join(words, 1, last_start), join(words, last_start, words.size())};
}

} // namespace

PersonName split_full_name(std::string_view full_name) {
  // Cased as a whole, so that particles inside the name stay lower-case ("Ludwig van Beethoven").
  const auto cleaned = normalize_name(full_name);
  if (const auto comma = cleaned.find(','); comma != std::string::npos) {
    const auto given = split_words(cleaned.substr(comma + 1));
    PersonName name;
    name.last = clean_text(cleaned.substr(0, comma));
    if (!given.empty()) {
      name.first = given.front();
      name.middle = join(given, 1, given.size());
    }
    return name;
  }
  const auto words = split_words(cleaned);
  if (words.empty()) {
    return {};
  }
  if (words.size() == 1) {
    return {"", "", words.front()};
  }
  switch (first_letter_script(cleaned)) {
  case USCRIPT_CYRILLIC:
    return cyrillic_name(words);
  case USCRIPT_ARABIC:
    return arabic_name(words);
  default:
    return western_name(words);
  }
}

} // namespace leadsync::importer
