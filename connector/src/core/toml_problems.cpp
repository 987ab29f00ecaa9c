#include "leadsync/core/toml_problems.hpp"

#include "leadsync/core/text.hpp"

#include <algorithm>
#include <system_error>

// Debian's libtomlplusplus is built with exceptions (its symbols live in toml::v3::ex), so a syntax
// error arrives as a toml::parse_error that parse_toml() catches.
static_assert(TOML_EXCEPTIONS, "leadsync expects toml++ with exceptions enabled");

namespace leadsync::config {

Result<std::string> read_toml_file(const std::filesystem::path& file, std::size_t max_bytes,
                                   const std::string& missing, const FileReadPurpose& purpose) {
  std::error_code ignored;
  if (!std::filesystem::exists(file, ignored)) {
    return fail(ErrorCategory::config, missing);
  }
  // Bounded and on a regular file only: a path naming /dev/zero fails at once, not fills memory.
  return read_regular_file(file, max_bytes, purpose);
}

void parse_toml(const std::string& text, const std::filesystem::path& name,
                std::vector<Problem>& problems,
                const std::function<void(const toml::table&)>& read) {
  try {
    const toml::table root = toml::parse(text, name.string());
    read(root);
  } catch (const toml::parse_error& error) {
    problems.push_back(Problem{"", static_cast<int>(error.source().begin.line),
                               "syntax error: " + std::string(error.description()), name});
  }
  std::stable_sort(problems.begin(), problems.end(),
                   [](const Problem& a, const Problem& b) { return a.line < b.line; });
}

int line_of(const toml::key& key, const toml::node& node) {
  const auto line =
      key.source().begin.line != 0 ? key.source().begin.line : node.source().begin.line;
  return static_cast<int>(line);
}

std::string_view type_name(toml::node_type type) {
  switch (type) {
  case toml::node_type::table:
    return "a table";
  case toml::node_type::array:
    return "an array";
  case toml::node_type::string:
    return "a string";
  case toml::node_type::integer:
    return "an integer";
  case toml::node_type::floating_point:
    return "a floating-point number";
  case toml::node_type::boolean:
    return "a boolean";
  case toml::node_type::date:
    return "a date";
  case toml::node_type::time:
    return "a time";
  case toml::node_type::date_time:
    return "a date-time";
  case toml::node_type::none:
    break;
  }
  return "nothing";
}

std::string did_you_mean(std::string_view name, const std::vector<std::string_view>& candidates,
                         std::size_t max_distance) {
  const auto best = text::closest_match(name, candidates, max_distance);
  return best.empty() ? std::string() : " (did you mean '" + std::string(best) + "'?)";
}

} // namespace leadsync::config
