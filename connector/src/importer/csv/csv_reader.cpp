#include "leadsync/importer/csv_reader.hpp"

#include "csv/detail/line_source.hpp"
#include "leadsync/core/bounded_read.hpp"
#include "leadsync/core/error.hpp"
#include "leadsync/core/text.hpp"

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fmt/format.h>
#include <utility>

namespace leadsync::importer {
namespace {

constexpr std::array<char, 4> delimiter_candidates{',', ';', '\t', '|'};
constexpr std::size_t sniff_max_records = 100;

std::string delimiter_name(char delimiter) {
  return delimiter == '\t' ? std::string("tab") : "\"" + std::string(1, delimiter) + "\"";
}

bool blank_row(const std::vector<std::string>& fields) {
  return std::all_of(fields.begin(), fields.end(), [](const std::string& field) {
    return text::trim(field, text::space_and_tab).empty();
  });
}

// The fields of one record, built from its decoded lines (a state machine over RFC 4180 plus
// Excel's leniency: text after a closing quote and quotes inside unquoted fields are kept).
class RecordBuilder {
public:
  void reset() {
    fields_.clear();
    field_.clear();
    state_ = State::field_start;
  }

  // Adds one line. Returns true when a quoted field is still open, so the record goes on with the
  // next line; the line break then belongs to the field.
  bool add_line(std::string_view text, std::string_view terminator, char delimiter) {
    std::size_t i = 0;
    while (i < text.size()) {
      switch (state_) {
      case State::field_start:
        if (text[i] == '"') {
          ++i;
          state_ = State::quoted;
        } else {
          state_ = State::unquoted;
        }
        break;
      case State::unquoted:
        i = append_until(text, i, delimiter);
        if (i < text.size()) {
          end_field();
          ++i;
        }
        break;
      case State::quoted:
        i = append_until(text, i, '"');
        if (i < text.size()) {
          ++i;
          state_ = State::quote_in_quoted;
        }
        break;
      case State::quote_in_quoted:
        if (text[i] == '"') {
          field_ += '"';
          ++i;
          state_ = State::quoted;
        } else if (text[i] == delimiter) {
          end_field();
          ++i;
        } else {
          state_ = State::unquoted;
        }
        break;
      }
    }
    if (state_ == State::quoted) {
      field_.append(terminator);
      return true;
    }
    end_field();
    return false;
  }

  // The record's fields; a quoted field still open (a missing closing quote) ends where its text
  // ends.
  std::vector<std::string> take_fields() {
    if (state_ == State::quoted) {
      end_field();
    }
    return std::exchange(fields_, {});
  }

  std::size_t field_capacity() const noexcept { return field_.capacity(); }

private:
  enum class State { field_start, unquoted, quoted, quote_in_quoted };

  std::size_t append_until(std::string_view text, std::size_t from, char stop) {
    const std::size_t found = std::min(text.find(stop, from), text.size());
    field_.append(text.substr(from, found - from));
    return found;
  }

  void end_field() {
    fields_.push_back(std::move(field_));
    field_.clear();
    state_ = State::field_start;
  }

  std::vector<std::string> fields_;
  std::string field_;
  State state_ = State::field_start;
};

Result<std::string> read_sample(const std::string& path) {
  std::unique_ptr<std::FILE, int (*)(std::FILE*)> file(std::fopen(path.c_str(), "rb"),
                                                       &std::fclose);
  if (!file) {
    const bool missing = errno == ENOENT;
    return fail(missing ? ErrorCategory::not_found : ErrorCategory::invalid_argument,
                "cannot open " + path + ": " + system_error_text(errno));
  }
  std::string sample(encoding_sample_bytes, '\0');
  sample.resize(std::fread(sample.data(), 1, sample.size(), file.get()));
  if (std::ferror(file.get()) != 0) {
    return fail(ErrorCategory::invalid_argument,
                "cannot read " + path + ": " + system_error_text(errno));
  }
  return sample;
}

// "00 00 1F 8B" for the first bytes of a refused file.
std::string first_bytes_hex(std::string_view data) {
  constexpr std::size_t shown = 8;
  std::string text;
  for (std::size_t i = 0; i < std::min(shown, data.size()); ++i) {
    text += fmt::format("{}{:02X}", i == 0 ? "" : " ", static_cast<unsigned char>(data[i]));
  }
  return text;
}

// The code units of `data` in an encoding `width` bytes wide (1, or 2 for UTF-16).
std::vector<std::uint32_t> code_units(std::string_view data, std::size_t width, bool big_endian) {
  std::vector<std::uint32_t> units;
  units.reserve(data.size() / width);
  for (std::size_t i = 0; i + width <= data.size(); i += width) {
    if (width == 1) {
      units.push_back(static_cast<unsigned char>(data[i]));
    } else {
      const auto first = static_cast<unsigned char>(data[i]);
      const auto second = static_cast<unsigned char>(data[i + 1]);
      units.push_back(big_endian ? (first << 8U) | second : (second << 8U) | first);
    }
  }
  return units;
}

bool control_unit(std::uint32_t unit) {
  return (unit < 0x20 && unit != '\t') || unit == 0x7f;
}

Status refuse_workbooks(const std::string& path, std::string_view sample) {
  constexpr std::string_view zip_magic = "PK\x03\x04";
  constexpr std::string_view ole_magic = "\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1";
  const std::string extension = text::ascii_lower(std::filesystem::path(path).extension().string());
  const bool workbook_extension =
      extension == ".xlsx" || extension == ".xlsm" || extension == ".xlsb" || extension == ".xls";
  std::string what;
  if (sample.starts_with(zip_magic)) {
    what = "a zip archive (as an Excel .xlsx workbook is), not a CSV file";
  } else if (sample.starts_with(ole_magic)) {
    what = "an Excel 97-2003 workbook (.xls), not a CSV file";
  } else if (workbook_extension) {
    what = "named as an Excel workbook (" + extension +
           "), not a CSV file (if it is text already, rename it to .csv)";
  } else {
    return ok_status();
  }
  return fail(
      ErrorCategory::invalid_argument,
      path + " is " + what +
          ": open it in Excel, choose File > Save As, pick the file type \"CSV UTF-8 (Comma "
          "delimited) (*.csv)\", save, and import the .csv file");
}

// Excel reads and writes a first line "sep=;" that names the delimiter.
std::optional<char> excel_separator_line(std::string_view line) {
  if (line.size() == 5 && line.substr(0, 4) == "sep=") {
    return line[4];
  }
  return std::nullopt;
}

} // namespace

Status check_csv_start(const std::string& path, std::string_view encoding_option) {
  // Before fopen: a FIFO would block the open, a device would be read forever.
  if (auto regular = check_regular_file(
          path, FileReadPurpose{.what = "the import file",
                                .remedy = "name a CSV file (a list exported as CSV)"});
      !regular.ok()) {
    const bool missing = regular.error().message.ends_with("does not exist; name a CSV file "
                                                           "(a list exported as CSV)");
    return fail(missing ? ErrorCategory::not_found : ErrorCategory::invalid_argument,
                regular.error().message);
  }
  std::unique_ptr<std::FILE, int (*)(std::FILE*)> file(std::fopen(path.c_str(), "rb"),
                                                       &std::fclose);
  if (!file) {
    return fail(errno == ENOENT ? ErrorCategory::not_found : ErrorCategory::invalid_argument,
                "cannot open " + path + ": " + system_error_text(errno));
  }
  std::string probe(header_probe_bytes + 1, '\0');
  probe.resize(std::fread(probe.data(), 1, probe.size(), file.get()));
  const bool more = probe.size() > header_probe_bytes;
  probe.resize(std::min(probe.size(), header_probe_bytes));
  if (probe.empty()) {
    return ok_status(); // CsvReader::open says "is empty" with its own advice
  }
  LEADSYNC_CHECK(refuse_workbooks(path, probe)); // a workbook gets the Save As advice

  const auto encoding =
      choose_encoding(encoding_option, std::string_view(probe).substr(0, encoding_sample_bytes));
  if (!encoding.ok()) {
    return ok_status(); // an unknown --encoding is reported by CsvReader::open
  }
  const std::string& name = encoding->name;
  const bool utf16 = name.starts_with("UTF-16");
  const std::size_t width = utf16 ? 2 : 1;
  const auto units =
      code_units(std::string_view(probe).substr(encoding->bom_length), width, name == "UTF-16BE");
  // The first non-empty line, as the header row is.
  auto begin = std::find_if(units.begin(), units.end(),
                            [](std::uint32_t unit) { return unit != '\n' && unit != '\r'; });
  const auto end = std::find_if(begin, units.end(),
                                [](std::uint32_t unit) { return unit == '\n' || unit == '\r'; });
  const std::string advice =
      "; is this a CSV file? Export the list as CSV (UTF-8, comma delimited) with a header row "
      "naming its columns, or name the encoding with --encoding if it is text in another one";
  if (end == units.end() && more) {
    return fail(ErrorCategory::invalid_argument,
                fmt::format("{} does not look like a CSV file: its first {} MB hold no line break, "
                            "so no header row (the first bytes are {}){}",
                            path, header_probe_bytes >> 20U, first_bytes_hex(probe), advice));
  }
  const auto line_units = static_cast<std::size_t>(end - begin);
  const auto controls = static_cast<std::size_t>(std::count_if(begin, end, control_unit));
  const bool has_nul = std::find(begin, end, 0U) != end;
  // A header is text: one NUL or a quarter of control characters says it is not.
  if (line_units > 0 && (has_nul || controls * 4 > line_units)) {
    return fail(ErrorCategory::invalid_argument,
                fmt::format("{} does not look like a CSV file: its first line is {} of {} NUL or "
                            "control {}, not a header row (the first bytes are {}){}",
                            path, controls, line_units, utf16 ? "characters" : "bytes",
                            first_bytes_hex(probe), advice));
  }
  return ok_status();
}

Result<std::optional<char>> parse_delimiter_option(std::string_view option) {
  if (option == "\t") {
    return std::optional<char>('\t');
  }
  const std::string_view value = text::trim(option, " ");
  if (value.empty() || value == "auto") {
    return std::optional<char>();
  }
  if (value == "," || value == "comma") {
    return std::optional<char>(',');
  }
  if (value == ";" || value == "semicolon") {
    return std::optional<char>(';');
  }
  if (value == "tab" || value == "\\t") {
    return std::optional<char>('\t');
  }
  if (value == "|" || value == "pipe") {
    return std::optional<char>('|');
  }
  return fail(ErrorCategory::invalid_argument, "unknown delimiter \"" + std::string(option) +
                                                   "\": use auto, \",\", \";\", tab or \"|\"");
}

struct CsvReader::Impl {
  Impl(detail::LineSource line_source, EncodingChoice chosen_encoding, std::size_t max_bytes)
      : source(std::move(line_source)), encoding(std::move(chosen_encoding)),
        max_record_bytes(max_bytes) {}

  Status rewind() {
    next_line = 1;
    return source.seek(encoding.bom_length);
  }

  // Reads the next record, blank or not, split at `separator`. False at the end of the file.
  Result<bool> read_record(char separator, CsvRecord& record);
  Result<char> sniff_delimiter();
  Status read_header(const std::string& path);

  detail::LineSource source;
  EncodingChoice encoding;
  std::size_t max_record_bytes;
  char delimiter = ',';
  std::string delimiter_reason;
  std::vector<std::string> header;
  std::int64_t header_line = 1;
  ResumePoint data_start;
  std::int64_t next_line = 1; // physical line number of the next line the source gives
  std::int64_t next_index = 0;
  std::int64_t empty_rows = 0;
  detail::PhysicalLine line;
  // The first line of a record whose quoted field goes on, to recover from a missing closing quote.
  std::string first_line_text;
  RecordBuilder builder;
};

Result<bool> CsvReader::Impl::read_record(char separator, CsvRecord& record) {
  LEADSYNC_TRY(const bool got_line, source.next(line));
  if (!got_line) {
    return false;
  }
  record.line = next_line++;
  record.line_count = 1;
  record.offset = line.offset;
  record.error.clear();
  std::string problem = line.problem;
  std::int64_t problem_line = record.line;
  std::size_t record_bytes = line.text.size();
  builder.reset();
  bool quote_open = builder.add_line(line.text, line.terminator, separator);
  const std::uint64_t first_line_end = line.end_offset;
  if (quote_open) {
    first_line_text = line.text;
  }
  while (quote_open) {
    LEADSYNC_TRY(const bool more, source.next(line));
    if (more) {
      record_bytes += line.text.size();
    }
    if (!more || record_bytes > max_record_bytes) {
      // Most likely a stray quote: take the first line as the whole row and go on after it.
      LEADSYNC_CHECK(source.seek(first_line_end));
      next_line = record.line + 1;
      builder.reset();
      builder.add_line(first_line_text, "", separator);
      record.line_count = 1;
      record.end_offset = first_line_end;
      record.fields = builder.take_fields();
      record.error = "line " + std::to_string(record.line) + ": " +
                     (!more ? std::string("a quoted field opened on this line is never closed")
                            : "a quoted field opened on this line is not closed within " +
                                  std::to_string(max_record_bytes) + " bytes") +
                     " (a stray double quote?); the row was read up to the end of the line";
      return true;
    }
    ++next_line;
    ++record.line_count;
    if (problem.empty() && !line.problem.empty()) {
      problem = line.problem;
      problem_line = record.line + record.line_count - 1;
    }
    quote_open = builder.add_line(line.text, line.terminator, separator);
  }
  record.end_offset = line.end_offset;
  record.fields = builder.take_fields();
  if (!problem.empty()) {
    record.error = "line " + std::to_string(problem_line) + ": " + problem;
  }
  return true;
}

// Each candidate splits the first rows (up to sniff_max_records or the detection sample); the
// winner gives the header more than one column and the most rows with the header's column count;
// ties go to the one with more columns, then to the order , ; TAB |. When no candidate gives two
// columns, ',' is used.
Result<char> CsvReader::Impl::sniff_delimiter() {
  char best = ',';
  std::size_t best_consistent = 0;
  std::size_t best_columns = 1;
  CsvRecord record;
  for (const char candidate : delimiter_candidates) {
    LEADSYNC_CHECK(rewind());
    std::size_t header_columns = 0;
    std::size_t consistent = 0;
    std::size_t records = 0;
    while (records < sniff_max_records) {
      LEADSYNC_TRY(const bool got, read_record(candidate, record));
      if (!got || record.offset >= encoding.bom_length + encoding_sample_bytes) {
        break;
      }
      if (blank_row(record.fields)) {
        continue;
      }
      if (records++ == 0) {
        header_columns = record.fields.size();
      } else if (record.fields.size() == header_columns) {
        ++consistent;
      }
    }
    const bool better = consistent > best_consistent ||
                        (consistent == best_consistent && header_columns > best_columns);
    if (header_columns > 1 && better) {
      best = candidate;
      best_consistent = consistent;
      best_columns = header_columns;
    }
  }
  return best;
}

Status CsvReader::Impl::read_header(const std::string& path) {
  CsvRecord record;
  while (true) {
    LEADSYNC_TRY(const bool got, read_record(delimiter, record));
    if (!got) {
      return fail(ErrorCategory::invalid_argument,
                  path + " has no header row: it holds only empty lines");
    }
    if (!record.ok()) {
      return fail(ErrorCategory::invalid_argument,
                  "cannot read the header row of " + path + ": " + record.error);
    }
    if (!blank_row(record.fields)) {
      break;
    }
  }
  constexpr std::string_view byte_order_mark = "\xEF\xBB\xBF";
  if (record.fields.front().starts_with(byte_order_mark)) {
    record.fields.front().erase(0, byte_order_mark.size());
  }
  header.clear();
  for (const auto& name : record.fields) {
    header.emplace_back(text::trim(name, text::space_and_tab));
  }
  header_line = record.line;
  data_start = record.resume_after();
  data_start.index = 0;
  return ok_status();
}

Result<CsvReader> CsvReader::open(const std::string& path, const ReadOptions& options) {
  LEADSYNC_TRY(const auto chosen_delimiter, parse_delimiter_option(options.delimiter));
  LEADSYNC_CHECK(check_csv_start(path, options.encoding));
  LEADSYNC_TRY(const std::string sample, read_sample(path));
  LEADSYNC_CHECK(refuse_workbooks(path, sample));
  if (sample.empty()) {
    return fail(ErrorCategory::invalid_argument,
                path + " is empty: a CSV file needs a header row naming its columns");
  }
  LEADSYNC_TRY(auto encoding, choose_encoding(options.encoding, sample));
  LEADSYNC_TRY(auto source, detail::LineSource::open(path, encoding, options.max_record_bytes));
  auto impl =
      std::make_unique<Impl>(std::move(source), std::move(encoding), options.max_record_bytes);

  LEADSYNC_CHECK(impl->rewind());
  LEADSYNC_TRY(const bool has_line, impl->source.next(impl->line));
  const auto separator_line = has_line ? excel_separator_line(impl->line.text) : std::nullopt;
  if (chosen_delimiter) {
    impl->delimiter = *chosen_delimiter;
    impl->delimiter_reason = "--delimiter";
  } else if (separator_line) {
    impl->delimiter = *separator_line;
    impl->delimiter_reason = "the file's \"sep=\" line";
  } else {
    LEADSYNC_TRY(impl->delimiter, impl->sniff_delimiter());
    impl->delimiter_reason = "sniffed from the first rows";
  }
  LEADSYNC_CHECK(impl->rewind());
  if (separator_line) {
    LEADSYNC_TRY(const bool skipped, impl->source.next(impl->line));
    impl->next_line += skipped ? 1 : 0;
  }
  LEADSYNC_CHECK(impl->read_header(path));
  return CsvReader(std::move(impl));
}

CsvReader::CsvReader(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
CsvReader::CsvReader(CsvReader&&) noexcept = default;
CsvReader& CsvReader::operator=(CsvReader&&) noexcept = default;
CsvReader::~CsvReader() = default;

const std::vector<std::string>& CsvReader::header() const {
  return impl_->header;
}
std::int64_t CsvReader::header_line() const {
  return impl_->header_line;
}
const EncodingChoice& CsvReader::encoding() const {
  return impl_->encoding;
}
char CsvReader::delimiter() const {
  return impl_->delimiter;
}
const std::string& CsvReader::delimiter_reason() const {
  return impl_->delimiter_reason;
}
ResumePoint CsvReader::first_record() const {
  return impl_->data_start;
}
std::int64_t CsvReader::empty_rows_skipped() const {
  return impl_->empty_rows;
}

std::size_t CsvReader::buffer_capacity() const {
  return impl_->source.buffer_capacity() + impl_->line.text.capacity() +
         impl_->first_line_text.capacity() + impl_->builder.field_capacity();
}

Result<std::optional<CsvRecord>> CsvReader::next() {
  Impl& reader = *impl_;
  CsvRecord record;
  while (true) {
    LEADSYNC_TRY(const bool got, reader.read_record(reader.delimiter, record));
    if (!got) {
      return std::optional<CsvRecord>();
    }
    if (!record.ok() || !blank_row(record.fields)) {
      break;
    }
    ++reader.empty_rows;
  }
  record.index = reader.next_index++;
  const std::size_t columns = reader.header.size();
  if (record.ok() && record.fields.size() != columns) {
    const bool more = record.fields.size() > columns;
    record.error = "line " + std::to_string(record.line) + ": " +
                   std::to_string(record.fields.size()) + " fields, but the header has " +
                   std::to_string(columns) + " columns" +
                   (more ? " (a value containing the delimiter " +
                               delimiter_name(reader.delimiter) + " must be in double quotes)"
                         : " (a row cut short?)");
  }
  return std::optional<CsvRecord>(std::move(record));
}

Status CsvReader::seek(const ResumePoint& point) {
  Impl& reader = *impl_;
  const bool aligned =
      (point.offset - reader.encoding.bom_length) % reader.source.unit_width() == 0;
  if (point.offset < reader.data_start.offset || !aligned || point.line < reader.data_start.line ||
      point.index < 0) {
    return fail(ErrorCategory::invalid_argument,
                "cannot resume at byte " + std::to_string(point.offset) + " (line " +
                    std::to_string(point.line) +
                    "): not a row start of this file after its header (the data starts at byte " +
                    std::to_string(reader.data_start.offset) +
                    "); was the file changed since the interrupted import?");
  }
  LEADSYNC_CHECK(reader.source.seek(point.offset));
  reader.next_line = point.line;
  reader.next_index = point.index;
  reader.empty_rows = 0;
  return ok_status();
}

} // namespace leadsync::importer
