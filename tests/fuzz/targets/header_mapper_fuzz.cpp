// Fuzz target header_mapper: the column mapping of a header row (importer/column_mapping.hpp).
// The first line of the input is the header row, split at ',' (as the CSV reader hands it over:
// any bytes, trimmed names); each further line is one --map "Header=field" option. The header is
// mapped against the shipped mappings/import-columns.toml. An input starting with '[' is also
// loaded as an import-columns dictionary itself.

#include "fuzz_support.hpp"
#include "leadsync/importer/column_mapping.hpp"
#include "leadsync_test_paths.hpp"

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace {

const leadsync::importer::ColumnDictionary& shipped_dictionary() {
  static const leadsync::importer::ColumnDictionary dictionary = [] {
    auto loaded = leadsync::importer::ColumnDictionary::load_file(std::string(LEADSYNC_SOURCE_DIR) +
                                                                  "/mappings/import-columns.toml");
    if (!loaded.ok()) {
      std::abort(); // the shipped file must load; nothing to fuzz otherwise
    }
    return std::move(loaded).value();
  }();
  return dictionary;
}

std::vector<std::string> split(std::string_view text, char separator) {
  std::vector<std::string> parts;
  std::size_t start = 0;
  while (true) {
    const auto end = text.find(separator, start);
    parts.emplace_back(text.substr(start, end == std::string_view::npos ? end : end - start));
    if (end == std::string_view::npos) {
      return parts;
    }
    start = end + 1;
  }
}

} // namespace

// NOLINTNEXTLINE(readability-identifier-naming): the name libFuzzer calls
extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace leadsync;
  const auto text = fuzz::as_text(data, size);
  if (!text.empty() && text.front() == '[') {
    if (auto dictionary = importer::ColumnDictionary::load_text(text); dictionary.ok()) {
      (void)dictionary->field_for("email");
    }
  }
  const auto lines = split(text, '\n');
  const std::vector<std::string> header = split(lines.front(), ',');
  std::vector<importer::ColumnOverride> overrides;
  for (std::size_t i = 1; i < lines.size(); ++i) {
    if (auto parsed = importer::parse_column_override(lines[i]); parsed.ok()) {
      overrides.push_back(std::move(parsed).value());
    }
  }
  for (const auto& name : header) {
    (void)importer::normalize_header(name);
  }
  if (auto mapping = importer::map_columns(header, shipped_dictionary(), overrides); mapping.ok()) {
    (void)mapping->describe();
    (void)mapping->find("email");
  }
  return 0;
}
