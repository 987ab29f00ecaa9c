#include "odata_text.hpp"

#include "leadsync/core/text.hpp"
#include "leadsync/http/url.hpp"

#include <algorithm>
#include <cctype>

namespace leadsync::odata {

namespace {

// Grammar characters kept as they are outside string literals; the @odata/parser grammar needs
// '/' in navigation paths and ':' in timestamps unencoded.
constexpr std::string_view syntax_characters = "(),/:";

} // namespace

bool is_identifier(std::string_view text) {
  if (text.empty() || !(text::is_ascii_alpha(text.front()) || text.front() == '_')) {
    return false;
  }
  return std::all_of(text.begin(), text.end(), [](char c) {
    return text::is_ascii_alpha(c) || text::is_ascii_digit(c) || c == '_';
  });
}

bool is_column_path(std::string_view text) {
  while (true) {
    const auto slash = text.find('/');
    if (!is_identifier(text.substr(0, slash))) {
      return false;
    }
    if (slash == std::string_view::npos) {
      return true;
    }
    text.remove_prefix(slash + 1);
  }
}

bool is_guid(std::string_view text) {
  static constexpr std::string_view shape = "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx";
  if (text.size() != shape.size()) {
    return false;
  }
  for (std::size_t i = 0; i < shape.size(); ++i) {
    const bool matches = shape[i] == '-' ? text[i] == '-' : text::hex_value(text[i]) >= 0;
    if (!matches) {
      return false;
    }
  }
  return true;
}

std::string encode_for_url(std::string_view odata_text) {
  std::string encoded;
  std::size_t position = 0;
  while (position < odata_text.size()) {
    const auto quote = odata_text.find('\'', position);
    encoded +=
        http::percent_encode(odata_text.substr(position, quote - position), syntax_characters);
    if (quote == std::string_view::npos) {
      break;
    }
    // The literal ends at the first quote that is not doubled.
    std::size_t end = quote + 1;
    while (end < odata_text.size()) {
      if (odata_text[end] == '\'') {
        if (end + 1 < odata_text.size() && odata_text[end + 1] == '\'') {
          end += 2;
          continue;
        }
        break;
      }
      ++end;
    }
    const std::size_t literal_end = std::min(end + 1, odata_text.size());
    encoded += http::percent_encode(odata_text.substr(quote, literal_end - quote));
    position = literal_end;
  }
  return encoded;
}

} // namespace leadsync::odata
