#pragma once
// The error file of an import (`--errors FILE`): every rejected row, in file order, as CSV that a
// spreadsheet opens correctly and safely. The notes file (`--notes FILE`) is written the same way,
// with "notes" for "reason": the rows that were imported but had values dropped or not trusted.
//
// - UTF-8 with a byte order mark, so Excel does not read it in the local code page;
// - the import file's delimiter, so it opens with the same spreadsheet settings as the list did;
// - columns "line", "reason", then the row's original columns (a ragged row keeps its own count,
//   so nothing of it is lost or shifted);
// - a cell that starts with = + - @ TAB or CR gets a leading single quote, so opening the file
//   cannot run a formula planted in a purchased list (CSV injection).

#include "leadsync/core/result.hpp"

#include <cstdint>
#include <fstream>
#include <string>
#include <string_view>
#include <vector>

namespace leadsync::importer {

// The cell as a spreadsheet will show it, never as a formula: "=1+2" -> "'=1+2". A quote goes in
// front of a cell that starts with = + - @ (ASCII or full-width), with a tab or a line break, or
// with whitespace followed by one of those signs (" =1+2" -> "' =1+2").
std::string spreadsheet_safe(std::string_view cell);

// One CSV line (with CRLF) of spreadsheet-safe cells, quoted where needed.
std::string error_file_line(const std::vector<std::string>& cells, char delimiter);

class RejectedRowsWriter {
public:
  // Creates (truncates) the file and writes the BOM and the header row: line, `why` ("reason",
  // or "notes" for the notes file), then the import file's columns.
  static Result<RejectedRowsWriter> create(const std::string& path,
                                           const std::vector<std::string>& header, char delimiter,
                                           std::string_view why = "reason",
                                           std::string_view option = "--errors");
  // Continues a file an interrupted import wrote: cuts it back to `length` (what its last
  // committed checkpoint recorded) and appends from there. Fails when the file is shorter.
  static Result<RejectedRowsWriter> resume(const std::string& path, std::uint64_t length,
                                           char delimiter, std::string_view option = "--errors");

  Status add(std::int64_t line, std::string_view reason, const std::vector<std::string>& fields);
  // Hands what was written to the operating system (so it survives the process being killed) and
  // returns the file's length.
  Result<std::uint64_t> flush();
  const std::string& path() const { return path_; }

private:
  RejectedRowsWriter(std::string path, std::ofstream out, char delimiter, std::uint64_t length,
                     std::string_view option);
  std::string path_;
  std::string option_; // the option that named the file, for messages
  std::ofstream out_;
  char delimiter_ = ',';
  std::uint64_t length_ = 0;
};

} // namespace leadsync::importer
