#pragma once
// Reading JSON Lines files (leads, events) one line at a time with a limit (issue 18): the file is
// streamed, but a line must fit in memory. A file of zeros or a multi-gigabyte line is refused at
// the limit instead of growing a string until the machine runs out of memory.

#include "leadsync/core/result.hpp"
#include "leadsync/core/text.hpp"

#include <cstddef>
#include <cstdint>
#include <istream>
#include <string>
#include <string_view>

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

// A JSON Lines file a record at a time, as the lead and the event imports read it: lines of at most
// max_jsonl_line_bytes, the first line's UTF-8 byte order mark dropped, blank lines skipped.
class JsonLinesReader {
public:
  // `record` names one line's content in the message for a line over the limit ("lead"), `advice`
  // follows it ("Write one lead object a line ...").
  JsonLinesReader(std::istream& input, std::string_view record, std::string_view advice)
      : input_(input), record_(record), advice_(advice) {}

  // The next non-blank line into `line`: false at the end; invalid_argument naming the line when
  // one is longer than the limit (the import stops there: the rest of the file is not JSON Lines).
  Result<bool> next(std::string& line) {
    bool too_long = false;
    while (read_line_bounded(input_, line, max_jsonl_line_bytes, too_long)) {
      ++line_number_;
      if (too_long) {
        return fail(ErrorCategory::invalid_argument,
                    "line " + std::to_string(line_number_) +
                        " is longer than 1 MB, the limit for one " + record_ +
                        "; is this a JSON Lines file? " + advice_);
      }
      if (line_number_ == 1 && line.starts_with("\xEF\xBB\xBF")) {
        line.erase(0, 3); // UTF-8 byte order mark
      }
      if (!text::trim(line, text::space_tab_cr_lf).empty()) {
        return true;
      }
    }
    return false;
  }

  // The 1-based number of the line `next` returned last.
  std::int64_t line_number() const { return line_number_; }

private:
  std::istream& input_;
  std::string record_;
  std::string advice_;
  std::int64_t line_number_ = 0;
};

} // namespace leadsync::importer::detail
