#include "leadsync/http/headers.hpp"

#include <algorithm>

namespace leadsync::http {

namespace {

char ascii_lower(char c) noexcept {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

} // namespace

bool iequals(std::string_view a, std::string_view b) noexcept {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return ascii_lower(x) == ascii_lower(y);
         });
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
