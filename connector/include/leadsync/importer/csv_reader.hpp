#pragma once
// Streaming CSV reader for purchased lead lists: RFC 4180 plus what Excel and list vendors produce.
//
// - Encoding: detected or chosen (see encoding.hpp) and converted to UTF-8 one physical line at a
// time.
// - Dialect: delimiter `,` `;` TAB or `|`, sniffed or chosen; fields in double quotes may hold
// delimiters,
//   doubled quotes ("") and line breaks, which are kept as they are in the file (LF, CRLF or CR);
//   lines end in LF, CRLF or CR alone; text after a closing quote is kept (`"5" inch` reads as `5
//   inch`) and a quote inside an unquoted field is kept literally (`5" screen`), as Excel does.
// - The first non-empty row is the header (names trimmed); rows whose fields are all blank are
// skipped and
//   counted; a final line break does not make an empty row.
// - Memory is bounded: the reader keeps one 64 KiB file buffer and one record; no record may exceed
//   ReadOptions::max_record_bytes.
//
// Row problems do not stop reading: next() returns the record with `error` set, and the next call
// goes on with the following row. They are: bytes invalid in the encoding (the fields then hold
// U+FFFD where the bytes were, so the row can be shown in an error report, never stored; the error
// names the line and the file offset of the first bad byte, "line 7: the bytes 0xE9 at file offset
// 1234 (0x4D2) are not valid UTF-8: ..."), UTF-8 text in a file whose code page detection guessed
// (see EncodingChoice::refuse_utf8_lines; reported the same way), a field
// count different from the header's, a quoted field that is never closed (the row is read up to the
// end of its first line and reading goes on with the next line), and a record longer than
// max_record_bytes. Only I/O errors fail next().
//
// Resuming: every record carries its index, physical line and byte offset in the original file.
// After the rows up to record R are committed, store R.resume_after(); a later run opens the same
// file with the same options (best: the encoding name and delimiter the first run reported, not
// "auto") and calls seek() with it; next() then returns record R.index + 1 with the same line
// numbers as the first run.

#include "leadsync/core/result.hpp"
#include "leadsync/importer/encoding.hpp"

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace leadsync::importer {

struct ReadOptions {
  std::string encoding = "auto";  // --encoding: auto or a name, see choose_encoding()
  std::string delimiter = "auto"; // --delimiter: auto, ",", ";", "tab" (or a TAB), "|"
  std::size_t max_record_bytes = std::size_t{1} << 20; // longer records are row errors
};

// How much of the start of a file check_csv_start() reads (issue 18).
inline constexpr std::size_t header_probe_bytes = std::size_t{1} << 20;

// Refuses, at once and before anything scans the whole file, what cannot be a CSV list: a path
// that is not a regular file (a device such as /dev/zero, a FIFO, a folder), and a file whose first
// header_probe_bytes hold no plausible header row: no line break in them (in a larger file), or a
// first line that is mostly NUL or control characters. UTF-16 files (with or without a byte order
// mark, as `encoding_option` or detection chooses) are judged by their 16-bit units, so their
// zero bytes do not count. Errors (invalid_argument; not_found for a missing file) say what was
// found ("the first bytes are 00 00 00 ...") and what to do.
Status check_csv_start(const std::string& path, std::string_view encoding_option = "auto");

// Where to continue reading: a record start this reader produced for this file.
struct ResumePoint {
  std::uint64_t offset = 0; // byte offset in the original file
  std::int64_t index = 0;   // index the record starting there gets
  std::int64_t line = 1;    // its physical line number
};

struct CsvRecord {
  std::vector<std::string> fields; // UTF-8, in header order when there is no error
  std::int64_t index = 0; // 0-based among the data rows returned (header and empty rows excluded)
  std::int64_t line = 0;  // 1-based physical line where the record starts (the header is line 1)
  std::int64_t line_count = 1;  // physical lines it spans (more than 1 with line breaks in quotes)
  std::uint64_t offset = 0;     // byte offset of its first byte in the original file
  std::uint64_t end_offset = 0; // byte offset just past its last line break
  std::string error;            // why the row cannot be used ("line 7: ..."); empty when it can

  bool ok() const noexcept { return error.empty(); }
  // The point from which reading yields the records after this one.
  ResumePoint resume_after() const { return {end_offset, index + 1, line + line_count}; }
};

// Parses a --delimiter value: "auto" gives no value; ",", ";", "|", "tab" or a TAB character give
// the delimiter. Anything else fails with the list of valid values.
Result<std::optional<char>> parse_delimiter_option(std::string_view option);

class CsvReader {
public:
  // Opens the file, chooses its encoding and delimiter, and reads the header row. Fails when the
  // file cannot be opened, is an Excel workbook (.xlsx/.xls: the message says how to save it as CSV
  // UTF-8), is empty, has a header row with invalid bytes, or an option is invalid.
  static Result<CsvReader> open(const std::string& path, const ReadOptions& options = {});

  CsvReader(CsvReader&&) noexcept;
  CsvReader& operator=(CsvReader&&) noexcept;
  ~CsvReader();

  const std::vector<std::string>& header() const;
  std::int64_t header_line() const;
  const EncodingChoice& encoding() const;
  char delimiter() const;
  // How the delimiter was chosen, for the import summary ("--delimiter", "sniffed from the first
  // rows").
  const std::string& delimiter_reason() const;

  // The next data record, or no value at the end of the file. Fails only on I/O errors.
  Result<std::optional<CsvRecord>> next();

  // Continues from a point returned by CsvRecord::resume_after() or first_record().
  Status seek(const ResumePoint& point);
  // The point of the first data row (just after the header).
  ResumePoint first_record() const;

  // Rows skipped because all their fields were blank, since open() or the last seek().
  std::int64_t empty_rows_skipped() const;
  // Bytes the reader holds in its buffers now (file buffer, current line, record under
  // construction); bounded by a small multiple of max_record_bytes whatever the size of the file.
  std::size_t buffer_capacity() const;

private:
  struct Impl;
  explicit CsvReader(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

} // namespace leadsync::importer
