#include "output.hpp"

#include "leadsync/core/text.hpp"
#include "leadsync/model/json.hpp"

#include <algorithm>
#include <ostream>

namespace leadsync::cli {

std::size_t display_width(const std::string& utf8) {
  // Count code points: continuation bytes (10xxxxxx) do not start a character.
  return static_cast<std::size_t>(std::count_if(utf8.begin(), utf8.end(), [](char c) {
    return (static_cast<unsigned char>(c) & 0xC0U) != 0x80U;
  }));
}

std::string truncate_display(const std::string& utf8, std::size_t width) {
  if (display_width(utf8) <= width || width == 0) {
    return utf8;
  }
  std::string cut;
  std::size_t count = 0;
  for (char c : utf8) {
    const bool starts_char = (static_cast<unsigned char>(c) & 0xC0U) != 0x80U;
    if (starts_char && ++count > width - 1) {
      break;
    }
    cut.push_back(c);
  }
  return cut + "…";
}

std::string shown(std::string_view value) {
  return text::escape_control_characters(value);
}

void Table::add_row(std::vector<std::string> cells) {
  for (auto& cell : cells) {
    cell = shown(cell);
  }
  rows_.push_back(std::move(cells));
}

void Table::print(std::ostream& out) const {
  std::vector<std::size_t> widths(headers_.size());
  for (std::size_t i = 0; i < headers_.size(); ++i) {
    widths[i] = display_width(headers_[i]);
  }
  for (const auto& row : rows_) {
    for (std::size_t i = 0; i < row.size() && i < widths.size(); ++i) {
      widths[i] = std::max(widths[i], display_width(row[i]));
    }
  }
  const auto print_row = [&](const std::vector<std::string>& cells) {
    std::string line;
    for (std::size_t i = 0; i < widths.size(); ++i) {
      const std::string cell = i < cells.size() ? cells[i] : "";
      line += cell;
      if (i + 1 < widths.size()) {
        line.append(widths[i] - display_width(cell) + 2, ' ');
      }
    }
    out << line << "\n";
  };
  print_row(headers_);
  for (const auto& row : rows_) {
    print_row(row);
  }
}

std::string format_time_local(std::chrono::system_clock::time_point time) {
  auto text = model::format_time(std::chrono::floor<std::chrono::seconds>(time));
  std::replace(text.begin(), text.end(), 'T', ' ');
  return text;
}

} // namespace leadsync::cli
