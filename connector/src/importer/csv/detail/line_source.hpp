#pragma once
// The physical lines of a file, decoded to UTF-8, read through one fixed-size buffer. Line breaks
// are found in the source encoding (LF, CRLF or CR alone; 16-bit code units for UTF-16), so a
// line's bytes are known before decoding and bytes invalid in the encoding stay within the line
// they are in.

#include "csv/detail/text_decoder.hpp"
#include "leadsync/core/result.hpp"
#include "leadsync/importer/encoding.hpp"

#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace leadsync::importer::detail {

struct PhysicalLine {
  std::string text;             // UTF-8, without the line break
  std::string_view terminator;  // "\n", "\r\n", "\r", or "" for a last line without a break
  std::uint64_t offset = 0;     // byte offset of the line in the file
  std::uint64_t end_offset = 0; // byte offset just past its line break
  std::string problem;          // why the line's bytes are unusable; empty when they are fine
                                // (invalid bytes: "the bytes 0xE9 at file offset 1234 (0x4D2) ...")
};

class LineSource {
public:
  // Lines longer than `max_line_bytes` are cut there and reported as a problem.
  static Result<LineSource> open(const std::string& path, const EncodingChoice& encoding,
                                 std::size_t max_line_bytes);

  // Reads the next line into `line`; false at the end of the file. Fails on I/O errors.
  Result<bool> next(PhysicalLine& line);
  // Continues reading at a byte offset of the file (a line start).
  Status seek(std::uint64_t offset);

  std::size_t unit_width() const noexcept { return decoder_.unit_width(); }
  std::size_t buffer_capacity() const noexcept { return buffer_.capacity() + raw_.capacity(); }

private:
  struct FileCloser {
    void operator()(std::FILE* file) const noexcept { std::fclose(file); }
  };

  LineSource(std::unique_ptr<std::FILE, FileCloser> file, std::string path, TextDecoder decoder,
             const EncodingChoice& encoding, std::size_t max_line_bytes);
  // Moves the unread bytes to the front of the buffer and reads more after them.
  Status refill();
  // Whether at least one whole code unit is buffered, reading more if needed.
  Result<bool> unit_available();
  char32_t unit_at(std::size_t position) const;
  void take(std::size_t begin, std::size_t end);
  void describe_problems(PhysicalLine& line);

  std::unique_ptr<std::FILE, FileCloser> file_;
  std::string path_;
  TextDecoder decoder_;
  std::string encoding_name_;
  bool refuse_utf8_lines_; // see EncodingChoice::refuse_utf8_lines
  bool big_endian_;
  std::size_t max_line_bytes_;
  std::vector<char> buffer_;
  std::size_t begin_ = 0;           // first unread byte in buffer_
  std::size_t end_ = 0;             // end of the bytes read into buffer_
  std::uint64_t buffer_offset_ = 0; // file offset of buffer_[0]
  bool at_eof_ = false;
  std::string raw_; // the current line's bytes, in the source encoding
  bool truncated_ = false;
};

} // namespace leadsync::importer::detail
