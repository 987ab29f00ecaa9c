#pragma once
// Reading JSON Lines files (leads, events) one line at a time with a limit (issue 18): the file is
// streamed, but a line must fit in memory. A file of zeros or a multi-gigabyte line is refused at
// the limit instead of growing a string until the machine runs out of memory.

#include <cstddef>
#include <istream>
#include <string>

namespace leadsync::importer::detail {

// The most of one JSON Lines record held in memory. Far above any lead or event (a few KB).
inline constexpr std::size_t max_jsonl_line_bytes = std::size_t{1} << 20;

// std::getline with a limit: false at the end of the input. When the line passes `limit`,
// `too_long` is set and the rest of it is left unread.
inline bool read_line_bounded(std::istream& input, std::string& line, std::size_t limit,
                              bool& too_long) {
  line.clear();
  too_long = false;
  std::streambuf* buffer = input.rdbuf();
  bool any = false;
  for (;;) {
    const int c = buffer->sbumpc();
    if (c == std::char_traits<char>::eof()) {
      input.setstate(std::ios::eofbit);
      return any;
    }
    any = true;
    if (c == '\n') {
      return true;
    }
    if (line.size() >= limit) {
      too_long = true;
      return true;
    }
    line.push_back(static_cast<char>(c));
  }
}

} // namespace leadsync::importer::detail
