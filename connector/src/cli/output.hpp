#pragma once
// Human output helpers: aligned tables that count characters, not bytes (Cyrillic and Arabic names
// line up), and the escaping of data from outside before it reaches a terminal.

#include <chrono>
#include <iosfwd>
#include <string>
#include <string_view>
#include <vector>

namespace leadsync::cli {

// Data from outside (lead fields, CRM and provider messages, file names and reasons) as human
// output may show it: control characters become visible escapes (text::escape_control_characters)
// so a value cannot move the cursor, recolour the terminal or print a line of its own (issue 18).
// `--json` output needs none of this: the JSON encoder escapes.
std::string shown(std::string_view value);

class Table {
public:
  explicit Table(std::vector<std::string> headers) : headers_(std::move(headers)) {}
  // Every cell goes through shown(): tables print data from outside.
  void add_row(std::vector<std::string> cells);
  bool empty() const { return rows_.empty(); }
  void print(std::ostream& out) const;

private:
  std::vector<std::string> headers_;
  std::vector<std::vector<std::string>> rows_;
};

std::size_t display_width(const std::string& utf8);
std::string truncate_display(const std::string& utf8, std::size_t width); // ends with "…" when cut
std::string format_time_local(std::chrono::system_clock::time_point time); // "2026-11-22 20:00:00Z"

} // namespace leadsync::cli
