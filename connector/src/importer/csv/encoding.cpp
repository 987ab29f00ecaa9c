#include "leadsync/importer/encoding.hpp"

#include "csv/detail/text_decoder.hpp"
#include "leadsync/core/text.hpp"

#include <algorithm>
#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <unicode/uchar.h>
#include <unicode/uscript.h>
#include <unicode/utf8.h>

namespace leadsync::importer {
namespace {

constexpr std::string_view utf8_bom = "\xEF\xBB\xBF";
constexpr std::string_view utf16le_bom = "\xFF\xFE";
constexpr std::string_view utf16be_bom = "\xFE\xFF";
constexpr UChar32 arabic_tatweel = 0x0640;

// The code point each byte stands for in a single-byte code page; -1 where the byte is undefined.
using CodePageTable = std::array<UChar32, 256>;

CodePageTable build_table(const std::string& code_page) {
  CodePageTable table{};
  auto decoder = detail::TextDecoder::open(code_page);
  std::string decoded;
  for (std::size_t byte = 0; byte < table.size(); ++byte) {
    const char input = static_cast<char>(byte);
    table[byte] = -1;
    if (decoder.ok() && !decoder->decode(std::string_view(&input, 1), decoded) &&
        !decoded.empty()) {
      std::int32_t offset = 0;
      U8_NEXT(decoded.data(), offset, static_cast<std::int32_t>(decoded.size()), table[byte]);
    }
  }
  return table;
}

enum class Script { cyrillic, arabic, latin };

struct Candidate {
  std::string name;
  Script script;
  const CodePageTable* table;
};

UScriptCode script_of(UChar32 c) {
  UErrorCode status = U_ZERO_ERROR;
  const UScriptCode script = uscript_getScript(c, &status);
  return U_SUCCESS(status) ? script : USCRIPT_INVALID_CODE;
}

bool is_mark(UChar32 c) {
  const auto type = u_charType(c);
  return type == U_NON_SPACING_MARK || type == U_COMBINING_SPACING_MARK;
}

bool is_word_character(UChar32 c) {
  return u_isalpha(c) || is_mark(c) || c == arabic_tatweel;
}

// One word of the sample as decoded by a code page.
struct Word {
  std::vector<UChar32> characters;
  std::vector<bool> from_ascii_byte;
};

bool cyrillic_word(const Word& word) {
  std::size_t upper = 0;
  for (std::size_t i = 0; i < word.characters.size(); ++i) {
    const UChar32 c = word.characters[i];
    if (word.from_ascii_byte[i] || !u_isalpha(c) || script_of(c) != USCRIPT_CYRILLIC) {
      return false;
    }
    upper += u_isupper(c) ? 1 : 0;
  }
  const bool capitalized = upper == 1 && u_isupper(word.characters.front());
  return upper == 0 || upper == word.characters.size() || capitalized;
}

bool arabic_word(const Word& word) {
  for (std::size_t i = 0; i < word.characters.size(); ++i) {
    const UChar32 c = word.characters[i];
    const UScriptCode script = script_of(c);
    const bool arabic = script == USCRIPT_ARABIC || (is_mark(c) && script == USCRIPT_INHERITED) ||
                        c == arabic_tatweel;
    if (word.from_ascii_byte[i] || !arabic) {
      return false;
    }
  }
  return true;
}

bool latin_word(const Word& word) {
  std::size_t run = 0;
  for (std::size_t i = 0; i < word.characters.size(); ++i) {
    if (word.from_ascii_byte[i]) {
      run = 0;
      continue;
    }
    if (script_of(word.characters[i]) != USCRIPT_LATIN || ++run > 2) {
      return false;
    }
  }
  return true;
}

bool plausible(const Word& word, Script script) {
  switch (script) {
  case Script::cyrillic:
    return cyrillic_word(word);
  case Script::arabic:
    return arabic_word(word);
  case Script::latin:
    return latin_word(word);
  }
  return false;
}

// The number of non-ASCII letters in the words of `sample` that are plausible in the candidate.
std::size_t score(std::string_view sample, const Candidate& candidate) {
  std::size_t total = 0;
  Word word;
  const auto finish_word = [&] {
    const auto non_ascii = static_cast<std::size_t>(
        std::count(word.from_ascii_byte.begin(), word.from_ascii_byte.end(), false));
    if (non_ascii > 0 && plausible(word, candidate.script)) {
      total += non_ascii;
    }
    word.characters.clear();
    word.from_ascii_byte.clear();
  };
  for (const char byte : sample) {
    const auto index = static_cast<unsigned char>(byte);
    const UChar32 c = (*candidate.table)[index];
    if (c >= 0 && is_word_character(c)) {
      word.characters.push_back(c);
      word.from_ascii_byte.push_back(index < 0x80);
    } else {
      finish_word();
    }
  }
  finish_word();
  return total;
}

// How much of a text is UTF-8: its well-formed multi-byte sequences and its invalid sequences (a
// lead byte whose sequence runs past the end of the text is a cut, not an error).
struct Utf8Census {
  std::size_t multibyte = 0;
  std::size_t invalid = 0;
};

Utf8Census utf8_census(std::string_view text) {
  const auto* bytes = reinterpret_cast<const std::uint8_t*>(text.data());
  const auto length = static_cast<std::int32_t>(text.size());
  Utf8Census census;
  std::int32_t offset = 0;
  while (offset < length) {
    const std::int32_t start = offset;
    UChar32 c = 0;
    U8_NEXT(bytes, offset, length, c);
    if (c < 0) {
      const std::int32_t needed = U8_COUNT_TRAIL_BYTES(bytes[start]) + 1;
      const bool cut = needed > 1 && start + needed > length && offset == length;
      census.invalid += cut ? 0 : 1;
    } else if (offset - start > 1) {
      ++census.multibyte;
    }
  }
  return census;
}

// Step 3 of detect_encoding(): UTF-8 unless the invalid sequences are more than one and more than
// twice the well-formed multi-byte ones.
bool read_as_utf8(const Utf8Census& census) {
  return census.invalid <= 1 || census.multibyte * 2 >= census.invalid;
}

std::string plural(std::size_t count, std::string_view noun) {
  return std::to_string(count) + " " + std::string(noun) + (count == 1 ? "" : "s");
}

std::optional<EncodingChoice> utf16_without_bom(std::string_view sample) {
  std::size_t zeros_even = 0;
  std::size_t zeros_odd = 0;
  for (std::size_t i = 0; i < sample.size(); ++i) {
    if (sample[i] == '\0') {
      ++(i % 2 == 0 ? zeros_even : zeros_odd);
    }
  }
  const std::size_t zeros = zeros_even + zeros_odd;
  const std::size_t units = sample.size() / 2;
  if (zeros < 4 || zeros * 8 < units) {
    return std::nullopt;
  }
  if (zeros_odd * 10 >= zeros * 9) {
    return EncodingChoice{"UTF-16LE", 0, "UTF-16LE without a byte order mark (zero high bytes)"};
  }
  if (zeros_even * 10 >= zeros * 9) {
    return EncodingChoice{"UTF-16BE", 0, "UTF-16BE without a byte order mark (zero high bytes)"};
  }
  return std::nullopt;
}

EncodingChoice guess_code_page(std::string_view sample) {
  static const CodePageTable windows_1251 = build_table("WINDOWS-1251");
  static const CodePageTable windows_1256 = build_table("WINDOWS-1256");
  static const CodePageTable iso_8859_1 = build_table("ISO-8859-1");
  static const CodePageTable windows_1252 = build_table("WINDOWS-1252");
  const bool has_c1_bytes = std::any_of(sample.begin(), sample.end(), [](char byte) {
    const auto value = static_cast<unsigned char>(byte);
    return value >= 0x80 && value <= 0x9F;
  });
  const std::array<Candidate, 3> candidates{{
      {"WINDOWS-1251", Script::cyrillic, &windows_1251},
      {"WINDOWS-1256", Script::arabic, &windows_1256},
      has_c1_bytes ? Candidate{"WINDOWS-1252", Script::latin, &windows_1252}
                   : Candidate{"ISO-8859-1", Script::latin, &iso_8859_1},
  }};
  const Candidate* best = &candidates.back(); // nothing plausible anywhere: Latin reads every byte
  std::size_t best_score = 0;
  for (const auto& candidate : candidates) {
    const std::size_t candidate_score = score(sample, candidate);
    if (candidate_score > best_score) {
      best = &candidate;
      best_score = candidate_score;
    }
  }
  static constexpr std::array<std::string_view, 3> script_names{"Cyrillic", "Arabic", "Latin"};
  return {best->name, 0,
          "not UTF-8; its words read as " +
              std::string(script_names[static_cast<int>(best->script)]) + " in " + best->name};
}

std::string options_list() {
  std::string list;
  for (const auto option : supported_encoding_options()) {
    list += (list.empty() ? "" : ", ") + std::string(option);
  }
  return list;
}

std::size_t bom_if(std::string_view sample, std::string_view bom) {
  return sample.starts_with(bom) ? bom.size() : 0;
}

} // namespace

const std::vector<std::string_view>& supported_encoding_options() {
  static const std::vector<std::string_view> options{"auto",         "utf-8",     "utf-16",
                                                     "utf-16le",     "utf-16be",  "windows-1251",
                                                     "windows-1256", "iso-8859-1"};
  return options;
}

EncodingChoice detect_encoding(std::string_view sample) {
  if (sample.starts_with(utf8_bom)) {
    return {"UTF-8", utf8_bom.size(), "byte order mark (UTF-8)"};
  }
  if (sample.starts_with(utf16le_bom)) {
    return {"UTF-16LE", utf16le_bom.size(), "byte order mark (UTF-16LE)"};
  }
  if (sample.starts_with(utf16be_bom)) {
    return {"UTF-16BE", utf16be_bom.size(), "byte order mark (UTF-16BE)"};
  }
  if (auto utf16 = utf16_without_bom(sample)) {
    return *utf16;
  }
  const Utf8Census census = utf8_census(sample);
  if (census.invalid == 0) {
    const bool ascii = std::all_of(sample.begin(), sample.end(),
                                   [](char c) { return static_cast<unsigned char>(c) < 0x80; });
    return {"UTF-8", 0, ascii ? "ASCII only, read as UTF-8" : "valid UTF-8"};
  }
  if (read_as_utf8(census)) {
    return {"UTF-8", 0,
            "UTF-8 apart from " + plural(census.invalid, "invalid byte sequence") + " among " +
                plural(census.multibyte, "multi-byte character") +
                " at the start; rows with invalid bytes are rejected"};
  }
  auto code_page = guess_code_page(sample);
  code_page.refuse_utf8_lines = true;
  return code_page;
}

Result<EncodingChoice> choose_encoding(std::string_view option, std::string_view sample) {
  option = text::trim(option, text::space_and_tab);
  const std::string name = text::ascii_lower(option);
  const std::string reason = "--encoding " + std::string(option);
  if (name.empty() || name == "auto") {
    return detect_encoding(sample);
  }
  if (name == "utf-8" || name == "utf8") {
    return EncodingChoice{"UTF-8", bom_if(sample, utf8_bom), reason};
  }
  if (name == "utf-16" || name == "utf16") {
    if (sample.starts_with(utf16be_bom)) {
      return EncodingChoice{"UTF-16BE", utf16be_bom.size(), reason + " (big endian by its BOM)"};
    }
    return EncodingChoice{"UTF-16LE", bom_if(sample, utf16le_bom), reason};
  }
  if (name == "utf-16le") {
    return EncodingChoice{"UTF-16LE", bom_if(sample, utf16le_bom), reason};
  }
  if (name == "utf-16be") {
    return EncodingChoice{"UTF-16BE", bom_if(sample, utf16be_bom), reason};
  }
  if (name == "windows-1251" || name == "cp1251") {
    return EncodingChoice{"WINDOWS-1251", 0, reason};
  }
  if (name == "windows-1256" || name == "cp1256") {
    return EncodingChoice{"WINDOWS-1256", 0, reason};
  }
  if (name == "iso-8859-1" || name == "latin1" || name == "latin-1") {
    return EncodingChoice{"ISO-8859-1", 0, reason};
  }
  const std::string iconv_name(option);
  auto decoder = detail::TextDecoder::open(iconv_name);
  if (!decoder.ok()) {
    return fail(ErrorCategory::invalid_argument, "unknown encoding \"" + std::string(option) +
                                                     "\": use one of " + options_list() +
                                                     ", or another name that `iconv -l` lists");
  }
  if (!decoder->ascii_compatible()) {
    return fail(ErrorCategory::invalid_argument,
                "the encoding \"" + std::string(option) +
                    "\" does not write quotes, delimiters and line breaks as ASCII, so a CSV file "
                    "cannot be read in it: use one of " +
                    options_list());
  }
  return EncodingChoice{iconv_name, 0, reason};
}

} // namespace leadsync::importer
