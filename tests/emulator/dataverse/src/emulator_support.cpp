#include "emulator_support.hpp"

#include <algorithm>
#include <cctype>
#include <fmt/format.h>
#include <leadsync/core/uuid.hpp>

namespace dvemu::detail {

std::string new_guid() {
  return leadsync::Uuid::generate_v4().to_string();
}

std::string lower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

std::string trim(std::string_view text) {
  const auto first = text.find_first_not_of(" \t");
  if (first == std::string_view::npos) {
    return {};
  }
  const auto last = text.find_last_not_of(" \t");
  return std::string(text.substr(first, last - first + 1));
}

std::vector<std::string> split(std::string_view text, char separator) {
  std::vector<std::string> parts;
  std::size_t start = 0;
  for (;;) {
    const auto end = text.find(separator, start);
    parts.emplace_back(text.substr(start, end == std::string_view::npos ? end : end - start));
    if (end == std::string_view::npos) {
      return parts;
    }
    start = end + 1;
  }
}

std::string group_thousands(std::int64_t value) {
  std::string digits = std::to_string(value < 0 ? -value : value);
  std::string out;
  for (std::size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) {
      out += ',';
    }
    out += digits[i];
  }
  return value < 0 ? "-" + out : out;
}

std::string window_seconds_text(milliseconds window) {
  if (window.count() % 1000 == 0) {
    return std::to_string(window.count() / 1000);
  }
  return fmt::format("{:g}", static_cast<double>(window.count()) / 1000.0);
}

std::int64_t unix_ms(WallTime time) {
  return std::chrono::duration_cast<milliseconds>(time.time_since_epoch()).count();
}

Response admin_json(int status, const Json& body) {
  return Response::json(status, body.dump(2));
}

Response admin_error(int status, const std::string& message) {
  return admin_json(status, Json{{"error", message}});
}

Response service_error_response(const ServiceError& error) {
  auto response = Response::with_body(error.status, error.body(), data_content_type);
  response.headers.set("OData-Version", "4.0");
  return response;
}

} // namespace dvemu::detail
