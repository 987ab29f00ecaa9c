#pragma once
// Human output helpers: aligned tables that count characters, not bytes (Cyrillic and Arabic names
// line up).

#include <chrono>
#include <iosfwd>
#include <string>
#include <vector>

namespace leadsync::cli {

class Table {
public:
  explicit Table(std::vector<std::string> headers) : headers_(std::move(headers)) {}
  void add_row(std::vector<std::string> cells) { rows_.push_back(std::move(cells)); }
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
