// The error file: rejected rows as spreadsheet-safe CSV.

#include "leadsync/importer/rejected_rows.hpp"

#include "leadsync/core/error.hpp"

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <system_error>

namespace leadsync::importer {
namespace {

constexpr std::string_view utf8_bom = "\xEF\xBB\xBF";

// "error file" for --errors, "notes file" for --notes.
std::string file_kind(std::string_view option) {
  return option == "--notes" ? "notes file" : "error file";
}

Error cannot_write(const std::string& path, std::string_view option) {
  return Error::make(ErrorCategory::invalid_argument,
                     "cannot write the " + file_kind(option) + " " + path + ": " +
                         system_error_text(errno) + "; choose a writable path with " +
                         std::string(option));
}

// Whitespace a spreadsheet may skip before it reads a formula: ASCII blanks and line breaks, the
// no-break space and the ideographic space. The length of the one `cell` starts with; 0 for none.
std::size_t leading_blank(std::string_view cell) {
  static constexpr std::string_view ascii = " \t\r\n\v\f";
  static constexpr std::array<std::string_view, 2> wide = {"\xC2\xA0", "\xE3\x80\x80"};
  if (!cell.empty() && ascii.find(cell.front()) != std::string_view::npos) {
    return 1;
  }
  for (const auto blank : wide) {
    if (cell.substr(0, blank.size()) == blank) {
      return blank.size();
    }
  }
  return 0;
}

// A formula trigger at the start of `text`: = + - @, or their full-width forms U+FF1D, U+FF0B,
// U+FF0D, U+FF20, which spreadsheets with East Asian input settings also read as formulas.
bool starts_formula(std::string_view text) {
  static constexpr std::string_view ascii = "=+-@";
  static constexpr std::array<std::string_view, 4> wide = {"\xEF\xBC\x9D", "\xEF\xBC\x8B",
                                                           "\xEF\xBC\x8D", "\xEF\xBC\xA0"};
  if (!text.empty() && ascii.find(text.front()) != std::string_view::npos) {
    return true;
  }
  return std::any_of(wide.begin(), wide.end(),
                     [&](std::string_view sign) { return text.substr(0, sign.size()) == sign; });
}

} // namespace

// OWASP, "CSV Injection" (https://owasp.org/www-community/attacks/CSV_Injection): a cell starting
// with = + - @, tab or carriage return is prefixed with a single quote so that it is read as text.
// Issue 18 widens the rule: a cell starting with any line break (LF too), and one whose formula
// sign follows leading whitespace or is written full-width (＝ ＋ － ＠), gets the quote as well.
std::string spreadsheet_safe(std::string_view cell) {
  bool risky = starts_formula(cell);
  if (!risky && !cell.empty() &&
      (cell.front() == '\t' || cell.front() == '\r' || cell.front() == '\n')) {
    risky = true;
  }
  for (std::string_view rest = cell; !risky;) {
    const std::size_t blank = leading_blank(rest);
    if (blank == 0) {
      break;
    }
    rest.remove_prefix(blank);
    risky = starts_formula(rest);
  }
  std::string safe;
  if (risky) {
    safe.reserve(cell.size() + 1);
    safe += '\'';
  }
  safe.append(cell);
  return safe;
}

std::string error_file_line(const std::vector<std::string>& cells, char delimiter) {
  std::string line;
  for (std::size_t i = 0; i < cells.size(); ++i) {
    if (i > 0) {
      line += delimiter;
    }
    const auto cell = spreadsheet_safe(cells[i]);
    const bool quote = cell.find_first_of(std::string("\"\r\n") + delimiter) != std::string::npos;
    if (!quote) {
      line += cell;
      continue;
    }
    line += '"';
    for (const char c : cell) {
      line += c;
      if (c == '"') {
        line += '"';
      }
    }
    line += '"';
  }
  return line + "\r\n";
}

RejectedRowsWriter::RejectedRowsWriter(std::string path, std::ofstream out, char delimiter,
                                       std::uint64_t length, std::string_view option)
    : path_(std::move(path)), option_(option), out_(std::move(out)), delimiter_(delimiter),
      length_(length) {}

Result<RejectedRowsWriter> RejectedRowsWriter::create(const std::string& path,
                                                      const std::vector<std::string>& header,
                                                      char delimiter, std::string_view why,
                                                      std::string_view option) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (!out) {
    return fail(cannot_write(path, option));
  }
  std::vector<std::string> columns{"line", std::string(why)};
  columns.insert(columns.end(), header.begin(), header.end());
  const auto first = std::string(utf8_bom) + error_file_line(columns, delimiter);
  out << first;
  if (!out) {
    return fail(cannot_write(path, option));
  }
  return RejectedRowsWriter(path, std::move(out), delimiter, first.size(), option);
}

Result<RejectedRowsWriter> RejectedRowsWriter::resume(const std::string& path, std::uint64_t length,
                                                      char delimiter, std::string_view option) {
  std::error_code error;
  const auto size = std::filesystem::file_size(path, error);
  if (error || size < length) {
    return fail(ErrorCategory::invalid_argument,
                "the " + file_kind(option) + " " + path +
                    " is missing or shorter than the interrupted import left it (" +
                    std::to_string(length) + " bytes); give another path with " +
                    std::string(option) + " to start a new one");
  }
  std::filesystem::resize_file(path, length, error);
  if (error) {
    return fail(ErrorCategory::invalid_argument,
                "cannot cut the " + file_kind(option) + " " + path + " back to " +
                    std::to_string(length) + " bytes: " + error.message() +
                    "; give another path with " + std::string(option));
  }
  std::ofstream out(path, std::ios::binary | std::ios::app);
  if (!out) {
    return fail(cannot_write(path, option));
  }
  return RejectedRowsWriter(path, std::move(out), delimiter, length, option);
}

Status RejectedRowsWriter::add(std::int64_t line, std::string_view reason,
                               const std::vector<std::string>& fields) {
  std::vector<std::string> cells{std::to_string(line), std::string(reason)};
  cells.insert(cells.end(), fields.begin(), fields.end());
  const auto text = error_file_line(cells, delimiter_);
  out_ << text;
  if (!out_) {
    return fail(cannot_write(path_, option_));
  }
  length_ += text.size();
  return ok_status();
}

Result<std::uint64_t> RejectedRowsWriter::flush() {
  out_.flush();
  if (!out_) {
    return fail(cannot_write(path_, option_));
  }
  return length_;
}

} // namespace leadsync::importer
