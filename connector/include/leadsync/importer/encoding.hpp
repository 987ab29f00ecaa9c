#pragma once
// Character encodings of imported CSV files: detection from the first bytes of a file and the names
// that `--encoding` accepts. The conversion to UTF-8 (glibc iconv) happens inside CsvReader, one
// physical line at a time, so that bytes invalid in the encoding make exactly the row they belong
// to an error.

#include "leadsync/core/result.hpp"

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace leadsync::importer {

// How much of the start of a file detection looks at.
inline constexpr std::size_t encoding_sample_bytes = std::size_t{64} * 1024;

struct EncodingChoice {
  std::string name;           // iconv name: "UTF-8", "UTF-16LE", "UTF-16BE", "WINDOWS-1251", ...
  std::size_t bom_length = 0; // bytes of byte order mark at the start of the file, skipped
  std::string reason;         // how it was chosen, for the import summary
  // Set when detection guessed a single-byte code page from the sample: a line that is well-formed
  // UTF-8 with multi-byte characters (which the code page would turn into mojibake) is then a row
  // error, as bytes invalid in the encoding are.
  bool refuse_utf8_lines = false;
};

// Detects the encoding from the first bytes of a file (pass up to encoding_sample_bytes):
//  1. a byte order mark: EF BB BF -> UTF-8, FF FE -> UTF-16LE, FE FF -> UTF-16BE (Excel's
//     "Unicode text");
//  2. no BOM, but zero bytes (at least 4, and one per 8 byte pairs), 90% of them in odd (even)
//     positions -> UTF-16LE (UTF-16BE) without a BOM, as ASCII characters have a zero high byte;
//  3. UTF-8 when the sample is UTF-8 apart from a few bad sequences: with W well-formed multi-byte
//     sequences and I invalid ones (a sequence cut by the end of the sample is not one), when
//     I = 0 (pure ASCII included), I = 1, or W >= I / 2. Text in a code page forms well-formed
//     sequences only by chance, when a byte 0xC2-0xF4 is followed by bytes 0x80-0xBF, which the
//     code pages use for punctuation and a few letters (1251's upper case "С" then "ё", 1256's "ا"
//     then Persian "گ"): in Russian, Ukrainian (even ALL CAPS), Arabic and Persian text W stays
//     under 15% of I, and Western text forms none, as an accented letter sits alone between ASCII
//     bytes ("café" is 63 61 66 E9). A single bad sequence in ASCII text is no evidence either
//     way (one "é" in Windows-1252 looks like one broken byte in UTF-8), and the two mistakes are
//     not alike: read as UTF-8, a Windows-1252 row is a row error that suggests --encoding; read
//     as Windows-1252, every UTF-8 row is stored as mojibake without a word. Each row holding
//     invalid bytes is then a row error naming its line and the file offset of the first bad byte;
//  4. otherwise one of the single-byte code pages Windows-1251 (Cyrillic), Windows-1256 (Arabic)
//     and ISO-8859-1 (Western accents). The sample is decoded with each; a word (a run of letters
//     and marks) that contains non-ASCII letters is plausible in a code page when
//       - Windows-1251: all its letters are Cyrillic and it is all lower case, all upper case or
//         Capitalized (Arabic text read as 1251 gives upper case letters in mid-word);
//       - Windows-1256: all its letters and marks are Arabic script (Russian text read as 1256
//         mixes Arabic and accented Latin letters);
//       - ISO-8859-1: its non-ASCII letters are Latin and never more than two in a row (Cyrillic
//         and Arabic text read as Latin-1 gives long runs of accented letters).
//     Each code page scores the non-ASCII letters of the words plausible in it; the highest score
//     wins, ties in the order 1251, 1256, Latin. The Latin choice is WINDOWS-1252 instead of
//     ISO-8859-1 when the sample has bytes 0x80-0x9F: Excel on Western Windows writes 1252, where
//     those bytes are printable (euro sign, typographic quotes) instead of ISO-8859-1's invisible
//     control characters. The choice sets refuse_utf8_lines, so that UTF-8 text after the sample
//     is a row error rather than mojibake.
// A file that is pure ASCII at the start and has other bytes later is read as UTF-8; rows with
// bytes that are not UTF-8 then become row errors that suggest --encoding.
EncodingChoice detect_encoding(std::string_view sample);

// The documented values of --encoding, for help texts and messages.
const std::vector<std::string_view>& supported_encoding_options();

// Resolves an --encoding value against the first bytes of the file. "auto" (or "") detects.
// "utf-16" means little or big endian by the file's BOM, little endian without one (what Windows
// writes). Names other than the documented ones go to iconv as given and must be ASCII-compatible
// (the CSV punctuation has to be ASCII). A BOM that matches the chosen encoding is skipped. Fails
// for names iconv does not know, with a message listing the supported names.
Result<EncodingChoice> choose_encoding(std::string_view option, std::string_view sample);

} // namespace leadsync::importer
