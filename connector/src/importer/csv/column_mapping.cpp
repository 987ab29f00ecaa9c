#include "leadsync/importer/column_mapping.hpp"

#include "leadsync/core/bounded_read.hpp"
#include "leadsync/core/error.hpp"
#include "leadsync/core/text.hpp"

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <toml++/toml.h>
#include <unicode/normalizer2.h>
#include <unicode/uchar.h>
#include <unicode/unistr.h>

// Debian's libtomlplusplus is built with exceptions, so a syntax error arrives as a
// toml::parse_error.
static_assert(TOML_EXCEPTIONS, "leadsync expects toml++ with exceptions enabled");

namespace leadsync::importer {
namespace {

// The header's names for a message. Blank names before the first named column are left out, as
// this list always has.
std::string listed_columns(const std::vector<std::string>& header) {
  const auto named = std::find_if(header.begin(), header.end(),
                                  [](const std::string& name) { return !name.empty(); });
  return text::join(std::vector<std::string>(named, header.end()), ", ");
}

std::string field_list() {
  return text::join(import_field_names(), ", ");
}

std::string quote_text(std::string_view text) {
  return "\"" + std::string(text) + "\"";
}

bool ignored_in_headers(UChar32 c) {
  const auto type = u_charType(c);
  const bool arabic_mark = (c >= 0x064B && c <= 0x0652) || c == 0x0670;
  const bool tatweel = c == 0x0640;
  return u_isUWhiteSpace(c) || type == U_DASH_PUNCTUATION || type == U_CONNECTOR_PUNCTUATION ||
         c == '.' || c == ':' || c == '*' || arabic_mark || tatweel;
}

UChar32 unify_variant_letters(UChar32 c) {
  switch (c) {
  case 0x0622:     // آ
  case 0x0623:     // أ
  case 0x0625:     // إ
    return 0x0627; // ا
  case 0x0649:     // ى
  case 0x06CC:     // ی
    return 0x064A; // ي
  case 0x0629:     // ة
    return 0x0647; // ه
  case 0x06A9:     // ک
    return 0x0643; // ك
  case 0x0451:     // ё
    return 0x0435; // е
  default:
    return c;
  }
}

// Where a TOML node is, as "file:line".
std::string where(std::string_view source_name, const toml::source_region& region) {
  return std::string(source_name) + ":" + std::to_string(region.begin.line);
}

} // namespace

const std::vector<std::string_view>& import_field_names() {
  static const std::vector<std::string_view> names{
      "first_name",     "middle_name",    "last_name",      "full_name",     "email",     "email2",
      "phone_business", "phone_mobile",   "phone_home",     "company",       "job_title", "website",
      "industry",       "employee_count", "annual_revenue", "address_line1", "city",      "state",
      "postal_code",    "country",        "language",       "notes"};
  return names;
}

bool is_import_field(std::string_view name) {
  const auto& names = import_field_names();
  return std::find(names.begin(), names.end(), name) != names.end();
}

std::string normalize_header(std::string_view header) {
  const auto source = icu::UnicodeString::fromUTF8(
      icu::StringPiece(header.data(), static_cast<int32_t>(header.size())));
  UErrorCode status = U_ZERO_ERROR;
  const icu::Normalizer2* nfkc_casefold = icu::Normalizer2::getNFKCCasefoldInstance(status);
  icu::UnicodeString folded;
  if (U_SUCCESS(status)) {
    folded = nfkc_casefold->normalize(source, status);
  }
  if (U_FAILURE(status)) {
    folded = icu::UnicodeString(source).foldCase();
  }
  icu::UnicodeString kept;
  for (int32_t i = 0; i < folded.length();) {
    const UChar32 c = folded.char32At(i);
    i += U16_LENGTH(c);
    if (!ignored_in_headers(c)) {
      kept.append(unify_variant_letters(c));
    }
  }
  std::string normalized;
  kept.toUTF8String(normalized);
  return normalized;
}

Result<ColumnDictionary> ColumnDictionary::load_file(const std::string& path) {
  // Bounded, regular files only (issue 18): a mapping pointed at /dev/zero fails at once.
  LEADSYNC_TRY(const std::string text,
               read_regular_file(path, mapping_file_limit,
                                 FileReadPurpose{.what = "the column mapping file",
                                                 .remedy = "set [mapping] import_columns in the "
                                                           "configuration to the path of a TOML "
                                                           "column mapping"}));
  return load_text(text, path);
}

Result<ColumnDictionary> ColumnDictionary::load_text(std::string_view toml_text,
                                                     std::string_view source_name) {
  toml::table root;
  try {
    root = toml::parse(toml_text, source_name);
  } catch (const toml::parse_error& error) {
    return fail(ErrorCategory::config, where(source_name, error.source()) + ":" +
                                           std::to_string(error.source().begin.column) + ": " +
                                           std::string(error.description()));
  }
  std::vector<std::string> problems;
  for (const auto& [key, node] : root) {
    if (key.str() != "fields") {
      problems.push_back(where(source_name, key.source()) + ": unknown key " +
                         quote_text(key.str()) + ": the file has one table, [fields]");
    }
  }
  ColumnDictionary dictionary;
  const toml::table* fields = root["fields"].as_table();
  if (fields == nullptr) {
    problems.push_back(std::string(source_name) +
                       ": no [fields] table: list the header texts of each field under [fields], "
                       "e.g. email = [\"E-mail\", \"Email Address\"]");
  } else {
    std::map<std::string, std::int64_t, std::less<>> line_of_header;
    for (const auto& [key, node] : *fields) {
      const std::string field(key.str());
      if (!is_import_field(field)) {
        problems.push_back(where(source_name, key.source()) + ": unknown field " +
                           quote_text(field) + ": the fields are " + field_list());
        continue;
      }
      const toml::array* variants = node.as_array();
      if (variants == nullptr) {
        problems.push_back(where(source_name, node.source()) + ": " + field +
                           " must be a list of header texts, e.g. [\"E-mail\", \"Email Address\"]");
        continue;
      }
      for (const auto& element : *variants) {
        const auto* text = element.as_string();
        const std::string normalized = text != nullptr ? normalize_header(text->get()) : "";
        if (normalized.empty()) {
          problems.push_back(where(source_name, element.source()) + ": " + field +
                             ": each header text must be a string with letters or digits");
          continue;
        }
        const auto line = static_cast<std::int64_t>(element.source().begin.line);
        const auto [existing, inserted] = dictionary.field_by_header_.emplace(normalized, field);
        if (inserted) {
          line_of_header.emplace(normalized, line);
        } else if (existing->second != field) {
          problems.push_back(where(source_name, element.source()) + ": " + quote_text(text->get()) +
                             " is listed under " + field + " and under " + existing->second +
                             " (line " + std::to_string(line_of_header[normalized]) +
                             "): a header can mean only one field");
        }
      }
    }
  }
  if (!problems.empty()) {
    return fail(ErrorCategory::config, std::string(source_name) + " has " +
                                           std::to_string(problems.size()) + " problem(s):\n  " +
                                           text::join(problems, "\n  "));
  }
  return dictionary;
}

std::optional<std::string> ColumnDictionary::field_for(std::string_view header) const {
  const auto found = field_by_header_.find(normalize_header(header));
  if (found == field_by_header_.end()) {
    return std::nullopt;
  }
  return found->second;
}

Result<ColumnOverride> parse_column_override(std::string_view option) {
  const auto equals = option.rfind('=');
  if (equals == std::string_view::npos) {
    return fail(ErrorCategory::invalid_argument,
                "--map " + quote_text(option) +
                    ": expected \"Header=field\", e.g. --map \"Work Phone=phone_business\"");
  }
  ColumnOverride result{
      std::string(text::trim(option.substr(0, equals), text::space_and_tab)),
      text::ascii_lower(text::trim(option.substr(equals + 1), text::space_and_tab))};
  if (result.header.empty()) {
    return fail(ErrorCategory::invalid_argument,
                "--map " + quote_text(option) + ": the header before '=' is empty");
  }
  if (!result.field.empty() && !is_import_field(result.field)) {
    return fail(ErrorCategory::invalid_argument,
                "--map " + quote_text(option) + ": unknown field " + quote_text(result.field) +
                    ": use one of " + field_list() +
                    ", or nothing after '=' to keep the column unmapped");
  }
  return result;
}

const MappedColumn* ColumnMapping::find(std::string_view field) const {
  const auto found = std::find_if(columns.begin(), columns.end(), [&](const MappedColumn& column) {
    return column.field == field;
  });
  return found == columns.end() || field.empty() ? nullptr : &*found;
}

std::string ColumnMapping::describe() const {
  std::string text;
  for (const auto& column : columns) {
    text += quote_text(column.header) + " -> ";
    if (column.field.empty()) {
      text += "(unmapped, kept)";
    } else {
      text += column.field;
    }
    if (column.source == MappingSource::command_line) {
      text += " (--map)";
    }
    text += '\n';
  }
  return text;
}

Result<ColumnMapping> map_columns(const std::vector<std::string>& header,
                                  const ColumnDictionary& dictionary,
                                  const std::vector<ColumnOverride>& overrides) {
  ColumnMapping mapping;
  for (std::size_t i = 0; i < header.size(); ++i) {
    mapping.columns.push_back({i, header[i], "", MappingSource::none});
  }
  const auto column_named = [&](const std::string& name) -> MappedColumn* {
    for (auto& column : mapping.columns) {
      if (column.header == name) {
        return &column;
      }
    }
    const std::string normalized = normalize_header(name);
    for (auto& column : mapping.columns) {
      if (!normalized.empty() && normalize_header(column.header) == normalized) {
        return &column;
      }
    }
    return nullptr;
  };
  std::vector<std::string> problems;
  std::map<std::string, const MappedColumn*, std::less<>> column_of_field;
  for (const auto& override_option : overrides) {
    const std::string option = quote_text(override_option.header + "=" + override_option.field);
    MappedColumn* column = column_named(override_option.header);
    if (column == nullptr) {
      problems.push_back("--map " + option + ": the file has no column " +
                         quote_text(override_option.header) +
                         " (its columns: " + listed_columns(header) + ")");
    } else if (column->source == MappingSource::command_line) {
      problems.push_back("--map " + option + ": the column " + quote_text(column->header) +
                         " is already mapped by another --map");
    } else if (column_of_field.contains(override_option.field)) {
      problems.push_back("--map " + option + ": the field " + override_option.field +
                         " is already given to the column " +
                         quote_text(column_of_field[override_option.field]->header));
    } else {
      column->field = override_option.field;
      column->source = MappingSource::command_line;
      if (!column->field.empty()) {
        column_of_field.emplace(column->field, column);
      }
    }
  }
  if (!problems.empty()) {
    return fail(ErrorCategory::invalid_argument, text::join(problems, "\n"));
  }
  for (auto& column : mapping.columns) {
    if (column.source == MappingSource::command_line) {
      continue;
    }
    auto field = dictionary.field_for(column.header);
    if (!field) {
      continue;
    }
    if (const auto taken = column_of_field.find(*field); taken != column_of_field.end()) {
      mapping.warnings.push_back("the column " + quote_text(column.header) + " also means " +
                                 *field + ", which the column " +
                                 quote_text(taken->second->header) +
                                 " already gives; it is kept unmapped (choose with --map)");
      continue;
    }
    column.field = std::move(*field);
    column.source = MappingSource::dictionary;
    column_of_field.emplace(column.field, &column);
  }
  return mapping;
}

} // namespace leadsync::importer
