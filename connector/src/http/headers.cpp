#include "leadsync/http/headers.hpp"

#include "leadsync/core/text.hpp"

#include <algorithm>
#include <string>

namespace leadsync::http {

namespace {

// RFC 9110 section 5.6.2 tchar.
bool is_token_char(char c) noexcept {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) {
    return true;
  }
  return std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

} // namespace

bool is_forbidden_in_header_value(char c) noexcept {
  const auto byte = static_cast<unsigned char>(c);
  return (byte < 0x20 && c != '\t') || byte == 0x7F;
}

Status check_header_fields(const Headers& headers) {
  for (const auto& [name, value] : headers) {
    if (name.empty() || !std::all_of(name.begin(), name.end(), is_token_char)) {
      // A name is ours or an admin's (an http_json provider's spec), never a secret: it is shown,
      // with any control characters made visible.
      return fail(ErrorCategory::invalid_argument,
                  "the request header name '" + text::escape_control_characters(name) +
                      "' is not a valid HTTP field name (letters, digits and !#$%&'*+-.^_`|~ "
                      "only); the request was not sent: correct the header name where it is "
                      "configured");
    }
    if (std::any_of(value.begin(), value.end(), is_forbidden_in_header_value)) {
      const bool line_break = value.find_first_of("\r\n") != std::string::npos;
      const std::string_view where =
          iequals(name, "Authorization")
              ? "the token (crm.auth token file or environment variable, or the token "
                "endpoint's answer) or the API key it is built from"
              : "the configuration, secret file or environment variable it is built from";
      return fail(ErrorCategory::invalid_argument,
                  "the request header '" + name + "' holds " +
                      (line_break ? "a line break (CR or LF)" : "a control character") +
                      ", which could add header lines of its own; the request was not sent: "
                      "remove it from " +
                      std::string(where));
    }
  }
  return ok_status();
}

Headers::Headers(std::initializer_list<Field> fields) : fields_(fields) {}

std::optional<std::string> Headers::get(std::string_view name) const {
  for (const auto& [field_name, value] : fields_) {
    if (iequals(field_name, name)) {
      return value;
    }
  }
  return std::nullopt;
}

std::vector<std::string> Headers::get_all(std::string_view name) const {
  std::vector<std::string> values;
  for (const auto& [field_name, value] : fields_) {
    if (iequals(field_name, name)) {
      values.push_back(value);
    }
  }
  return values;
}

bool Headers::has(std::string_view name) const {
  return std::any_of(fields_.begin(), fields_.end(),
                     [&](const Field& field) { return iequals(field.first, name); });
}

void Headers::set(std::string name, std::string value) {
  auto first = std::find_if(fields_.begin(), fields_.end(),
                            [&](const Field& field) { return iequals(field.first, name); });
  if (first == fields_.end()) {
    fields_.emplace_back(std::move(name), std::move(value));
    return;
  }
  first->first = std::move(name);
  first->second = std::move(value);
  fields_.erase(
      std::remove_if(std::next(first), fields_.end(),
                     [&](const Field& field) { return iequals(field.first, first->first); }),
      fields_.end());
}

void Headers::add(std::string name, std::string value) {
  fields_.emplace_back(std::move(name), std::move(value));
}

std::size_t Headers::remove(std::string_view name) {
  return std::erase_if(fields_, [&](const Field& field) { return iequals(field.first, name); });
}

} // namespace leadsync::http
