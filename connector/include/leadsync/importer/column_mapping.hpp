#pragma once
// Which CSV column holds which lead field. mappings/import-columns.toml lists, for each internal
// import field, the header texts that mean it (English, Russian, Arabic, ...); `--map
// "Header=field"` overrides. Headers are compared by their normalized form (normalize_header), so
// "E-mail", "email", "E mail" and "EMAIL:" are the same header. Columns that map to no field are
// kept as unmapped: the pipeline puts them in the lead's description or a custom field, never drops
// them.
//
// The TOML file has one table:
//   [fields]
//   email = ["E-mail", "Email Address", "Эл. почта", "البريد الإلكتروني"]
//   ...

#include "leadsync/core/result.hpp"

#include <cstddef>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace leadsync::importer {

// The internal field names a column can map to (the importer maps them onto the lead model):
// first_name, middle_name, last_name, full_name, email, email2, phone_business, phone_mobile,
// phone_home, company, job_title, website, industry, employee_count, annual_revenue, address_line1,
// city, state, postal_code, country, language, notes.
const std::vector<std::string_view>& import_field_names();
bool is_import_field(std::string_view name);

// The comparison form of a header: Unicode NFKC with case folding (ICU, so "ИМЯ" = "имя"), without
// whitespace, dashes, '_', '.', ':' and '*' (required-field marks). Letters people write either way
// are made equal, as Arabic search does: tatweel and vowel marks removed, أ إ آ read as ا (hamza is
// often left out), ى and Persian ی as ي, ة as ه, Persian ک as ك; and Russian ё as е.
std::string normalize_header(std::string_view header);

// The header variants of mappings/import-columns.toml, by normalized form.
class ColumnDictionary {
public:
  // Fails with every problem of the file, each with its line: TOML syntax, a missing [fields]
  // table, unknown keys or field names (the message lists the valid ones), values that are not
  // lists of non-empty strings, and a header listed under two different fields.
  static Result<ColumnDictionary> load_file(const std::string& path);
  // `source_name` names the text in messages.
  static Result<ColumnDictionary> load_text(std::string_view toml_text,
                                            std::string_view source_name = "import-columns.toml");

  // The field a header means, if the dictionary lists it.
  std::optional<std::string> field_for(std::string_view header) const;
  std::size_t size() const noexcept { return field_by_header_.size(); }

private:
  std::map<std::string, std::string, std::less<>> field_by_header_; // normalized header -> field
};

// One `--map "Header=field"`. An empty field ("Header=") keeps that column unmapped.
struct ColumnOverride {
  std::string header;
  std::string field;
};

// Parses "Header=field" (split at the last '='; both sides trimmed). Fails on a missing '=', an
// empty header, or a field that is not an import field (the message lists them).
Result<ColumnOverride> parse_column_override(std::string_view option);

enum class MappingSource {
  dictionary,   // the header is listed in import-columns.toml
  command_line, // --map
  none,         // unmapped: the column is kept as an extra
};

struct MappedColumn {
  std::size_t index = 0; // 0-based position in the header row
  std::string header;    // as written in the file
  std::string field;     // import field; empty when unmapped
  MappingSource source = MappingSource::none;
};

struct ColumnMapping {
  std::vector<MappedColumn> columns; // one per header column, in file order
  std::vector<std::string> warnings; // e.g. a second column that means a field already taken

  // The column mapped to `field`, if any.
  const MappedColumn* find(std::string_view field) const;
  // The mapping as lines "Header -> field (source)" for the import summary.
  std::string describe() const;
};

// Maps each header column: --map overrides first, then the dictionary. When two columns mean the
// same field, the first one gets it and the later one stays unmapped with a warning. Fails, listing
// every problem, when an override names a header the file does not have (compared normalized; the
// message lists the file's columns) or two overrides give the same field to different columns.
Result<ColumnMapping> map_columns(const std::vector<std::string>& header,
                                  const ColumnDictionary& dictionary,
                                  const std::vector<ColumnOverride>& overrides = {});

} // namespace leadsync::importer
