#pragma once
// mappings/lead.toml loaded: which internal lead field goes to which Dataverse lead column, with
// the column's type, limits and policies, and the option-set tables. The loader checks the whole
// file and reports every problem with its line; an unusable mapping never reaches the sync engine.
//
// File layout (the shipped file explains every key in comments):
//   [fields."person.first_name"]        one table per mapped internal field (see field_paths())
//   column = "firstname"                Dataverse logical column name; "{prefix}x" = custom column
//   type = "string"                     string | memo | integer | money | decimal | double |
//   boolean |
//                                       date_only | date_time | optionset:<set> |
//                                       lookup:<entity set>:<name column>
//   max_length = 50                     required for string and memo; in Unicode characters
//   on_too_long = "truncate"            truncate (with a warning) | reject (the lead is refused)
//   min = 0, max = 100                  optional range for numbers
//   direction = "both"                  both | push (we write, never read) | pull (we read, never
//   write) navigation = "campaignid"           lookups: the navigation property for @odata.bind
//   (default column) score_bands = { hot = 70, ... }     qualification.lead_quality only: lowest
//   total score per option [option_sets.leadsourcecode] options = [ { value = 1, label =
//   "Advertisement", internal = "advertisement",
//                 synonyms = ["Ads"] }, ... ]

#include "leadsync/core/config.hpp"
#include "leadsync/core/result.hpp"
#include "leadsync/mapping/option_set.hpp"

#include <filesystem>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace leadsync::mapping {

using Problem = config::Problem;

enum class ColumnType {
  string,
  memo,
  integer,
  money,
  decimal,
  double_,
  boolean,
  date_only,
  date_time,
  option_set,
  lookup
};

enum class TooLong { truncate, reject };
enum class Direction { both, push, pull };

struct FieldMapping {
  std::string field;  // internal field path, e.g. "person.emails[0]"
  std::string column; // Dataverse logical name, prefix already substituted
  ColumnType type = ColumnType::string;
  std::string type_text;          // as written in the file, for messages
  std::string option_set;         // option_set: the table's name
  std::string lookup_entity_set;  // lookup: e.g. "campaigns"
  std::string lookup_name_column; // lookup: e.g. "name"
  std::string navigation;         // lookup: navigation property used in "<nav>@odata.bind"
  std::optional<int> max_length;  // string, memo
  std::optional<double> min;      // numbers
  std::optional<double> max;      // numbers
  TooLong on_too_long = TooLong::truncate;
  Direction direction = Direction::both;
  std::map<std::string, double> score_bands; // internal option name -> lowest total score
  int line = 0;                              // of the entry's table header

  bool pushed() const noexcept { return direction != Direction::pull; }
  bool pulled() const noexcept { return direction != Direction::push; }
  // The property a row read from Dataverse carries: "_campaignid_value" for a lookup, else the
  // column.
  std::string read_property() const;
};

struct LeadMapping {
  std::filesystem::path source;     // the file it came from
  std::string prefix;               // custom column prefix, e.g. "leadsync_"
  std::vector<FieldMapping> fields; // in file order
  std::map<std::string, OptionSet, std::less<>> option_sets;

  const FieldMapping* find_field(std::string_view path) const;
  const FieldMapping* find_column(std::string_view column) const;
  const OptionSet* find_option_set(std::string_view name) const;
  // The identity.id entry: its column is the alternate key column (never in a body; in the URL).
  const FieldMapping& key() const;
  // "mappings/lead.toml:42" for messages.
  std::string where(const FieldMapping& field) const;
};

struct MappingReport {
  LeadMapping mapping;           // usable only when problems is empty
  std::vector<Problem> problems; // every problem, in line order
};

// Reads and checks the file. Fails (config) only when the file cannot be read; everything else
// (syntax, unknown keys and fields with did-you-mean, bad types, missing or duplicate columns,
// option-set references, missing max_length, bad ranges, an enum value no option takes...) is in
// the report.
Result<MappingReport> check_lead_mapping(const std::filesystem::path& file,
                                         const std::string& prefix);
MappingReport check_lead_mapping_text(const std::string& text, const std::filesystem::path& name,
                                      const std::string& prefix);

// check_lead_mapping that fails (config) unless the file is clean; the message lists every problem,
// one per line, as "file:line: key: message".
Result<LeadMapping> load_lead_mapping(const std::filesystem::path& file, const std::string& prefix);
Result<LeadMapping> load_lead_mapping_text(const std::string& text,
                                           const std::filesystem::path& name,
                                           const std::string& prefix);

// Every internal field path a mapping entry may name, in model order.
const std::vector<std::string_view>& field_paths();

// A set of internal field paths, e.g. the fields the CRM masters (config pull.crm_owned_fields).
using FieldSet = std::set<std::string, std::less<>>;
// Checks each path against field_paths(); fails (config) listing every unknown one with a
// did-you-mean.
Result<FieldSet> parse_field_set(const std::vector<std::string>& paths);

} // namespace leadsync::mapping
