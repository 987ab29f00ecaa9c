#include "leadsync/mapping/lead_mapping.hpp"

#include "detail/fields.hpp"
#include "detail/text.hpp"
#include "leadsync/core/bounded_read.hpp"
#include "leadsync/core/text.hpp"
#include "leadsync/core/toml_problems.hpp"

#include <algorithm>
#include <fmt/format.h>
#include <limits>
#include <stdexcept>
#include <tuple>
#include <utility>

namespace leadsync::mapping {
namespace {

using detail::FieldDef;
using detail::Role;
using detail::ValueKind;

constexpr std::string_view prefix_placeholder = "{prefix}";

// Function-local: a namespace-scope vector could throw during static initialization.
const std::vector<std::string_view>& entry_keys() {
  static const std::vector<std::string_view> keys = {"column",      "type",       "max_length",
                                                     "on_too_long", "min",        "max",
                                                     "direction",   "navigation", "score_bands"};
  return keys;
}
const std::vector<std::string_view>& option_keys() {
  static const std::vector<std::string_view> keys = {"value", "label", "internal", "synonyms"};
  return keys;
}

// The mapping's words for a value's type: config::type_name()'s, but "a number" for a float and
// "a date or time" for the date and time types.
std::string_view node_type_name(const toml::node& node) {
  switch (node.type()) {
  case toml::node_type::floating_point:
    return "a number";
  case toml::node_type::date:
  case toml::node_type::time:
  case toml::node_type::date_time:
  case toml::node_type::none:
    return "a date or time";
  default:
    return config::type_name(node.type());
  }
}

int line_of(const toml::node& node) {
  return static_cast<int>(node.source().begin.line);
}

using config::line_of; // of a key

struct SimpleType {
  std::string_view name;
  ColumnType type;
};
constexpr SimpleType simple_types[] = {
    {"string", ColumnType::string},       {"memo", ColumnType::memo},
    {"integer", ColumnType::integer},     {"money", ColumnType::money},
    {"decimal", ColumnType::decimal},     {"double", ColumnType::double_},
    {"boolean", ColumnType::boolean},     {"date_only", ColumnType::date_only},
    {"date_time", ColumnType::date_time},
};

bool is_numeric(ColumnType type) {
  return type == ColumnType::integer || type == ColumnType::money || type == ColumnType::decimal ||
         type == ColumnType::double_;
}

bool is_text(ColumnType type) {
  return type == ColumnType::string || type == ColumnType::memo;
}

// Column types that can hold a field of each kind, and how to say so.
bool compatible(ValueKind kind, ColumnType type) {
  switch (kind) {
  case ValueKind::text:
    return is_text(type) || type == ColumnType::option_set || type == ColumnType::lookup;
  case ValueKind::integer:
    return is_numeric(type) || type == ColumnType::option_set;
  case ValueKind::number:
    return is_numeric(type) && type != ColumnType::integer;
  case ValueKind::boolean:
    return type == ColumnType::boolean;
  case ValueKind::date:
    return type == ColumnType::date_only;
  case ValueKind::date_time:
    return type == ColumnType::date_time;
  case ValueKind::enum_name:
    return is_text(type) || type == ColumnType::option_set;
  }
  return false;
}

std::string_view compatible_types(ValueKind kind) {
  switch (kind) {
  case ValueKind::text:
    return "string, memo, optionset:<set> or lookup:<entity set>:<name column>";
  case ValueKind::integer:
    return "integer, decimal, double or money";
  case ValueKind::number:
    return "decimal, double or money";
  case ValueKind::boolean:
    return "boolean";
  case ValueKind::date:
    return "date_only";
  case ValueKind::date_time:
    return "date_time";
  case ValueKind::enum_name:
    return "optionset:<set>, string or memo";
  }
  return "";
}

bool valid_column_name(std::string_view name) {
  if (name.empty() || name.front() < 'a' || name.front() > 'z') {
    return false;
  }
  return std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
  });
}

// A publisher prefix: 2 to 8 lower-case letters or digits starting with a letter, then '_'.
bool valid_prefix(std::string_view prefix) {
  if (prefix.size() < 3 || prefix.size() > 9 || prefix.back() != '_') {
    return false;
  }
  const auto body = prefix.substr(0, prefix.size() - 1);
  return valid_column_name(body) && body.find('_') == std::string_view::npos;
}

// A user's value in a message: at most an excerpt, control characters escaped (issue 18).
std::string quote_value(std::string_view value) {
  return text::quoted_excerpt(value, '\'');
}

// A suggestion only for names of a plausible length: the edit distance of a 50 MB name to every
// candidate would take minutes.
std::string suggest(std::string_view name, const std::vector<std::string_view>& candidates) {
  constexpr std::size_t longest_name = 64;
  // A longer name may be further off: a quarter of its length, at least 2 edits.
  return name.size() > longest_name
             ? std::string()
             : config::did_you_mean(name, candidates, std::max<std::size_t>(2, name.size() / 4));
}

std::string quoted_field_key(std::string_view path) {
  const std::string text = quote_value(path); // 'path' or 'excerpt...' (N bytes)
  const auto close = text.rfind('\'');
  return "fields.\"" + text.substr(1, close - 1) + "\"" + text.substr(close + 1);
}

class Loader {
public:
  explicit Loader(MappingReport& report) : report_(report) {}

  void read(const toml::table& root) {
    const toml::node* sets = nullptr;
    const toml::node* fields = nullptr;
    for (const auto& [key, node] : root) {
      const std::string name(key.str());
      if (name == "option_sets") {
        sets = &node;
      } else if (name == "fields") {
        fields = &node;
      } else {
        add(name, line_of(key, node),
            "unknown top-level key " + quote_value(name) +
                suggest(name, {"fields", "option_sets"}) +
                "; the file has [fields.\"<internal field>\"] and [option_sets.<name>] tables");
      }
    }
    if (sets != nullptr) {
      read_option_sets(*sets);
    }
    if (fields == nullptr) {
      add("fields", 0, "no [fields.\"<internal field>\"] tables: the mapping maps nothing");
      return;
    }
    read_fields(*fields);
    if (mapping().find_field("identity.id") == nullptr) {
      add("fields", 0,
          "no entry for identity.id: it names the alternate key column (\"{prefix}externalid\") "
          "that addresses every pushed lead; add [fields.\"identity.id\"]");
    }
  }

private:
  LeadMapping& mapping() { return report_.mapping; }

  void add(std::string key, int line, std::string message) {
    report_.problems.push_back(
        Problem{std::move(key), line, std::move(message), report_.mapping.source});
  }

  void wrong_type(const std::string& key, const toml::node& node, std::string_view expected) {
    add(key, line_of(node),
        "expected " + std::string(expected) + ", got " + std::string(node_type_name(node)));
  }

  // ---- option sets
  // ----------------------------------------------------------------------------------

  void read_option_sets(const toml::node& node) {
    const auto* sets = node.as_table();
    if (sets == nullptr) {
      wrong_type("option_sets", node, "a table of option sets ([option_sets.<name>])");
      return;
    }
    for (const auto& [key, set_node] : *sets) {
      const std::string name(key.str());
      const std::string set_key = "option_sets." + name;
      const auto* set = set_node.as_table();
      if (set == nullptr) {
        wrong_type(set_key, set_node, "a table ([" + set_key + "])");
        continue;
      }
      std::vector<Option> options;
      bool has_options = false;
      for (const auto& [child_key, child] : *set) {
        const std::string child_name(child_key.str());
        if (child_name == "options") {
          has_options = true;
          options = read_options(set_key + ".options", child);
        } else {
          add(fmt::format("{}.{}", set_key, child_name), line_of(child_key, child),
              fmt::format("unknown key {}{}; an option set has only options = [ {{ value = ..., "
                          "label = ... }}, ... ]",
                          quote_value(child_name), suggest(child_name, {"options"})));
        }
      }
      if (!has_options || options.empty()) {
        add(set_key, line_of(key, set_node), "the option set lists no options");
      }
      check_option_texts(set_key, options);
      mapping().option_sets.emplace(name, OptionSet(name, std::move(options)));
    }
  }

  std::vector<Option> read_options(const std::string& key, const toml::node& node) {
    std::vector<Option> options;
    const auto* array = node.as_array();
    if (array == nullptr) {
      wrong_type(key, node, "an array of { value = <integer>, label = \"...\" } tables");
      return options;
    }
    for (const auto& element : *array) {
      const auto* table = element.as_table();
      if (table == nullptr) {
        wrong_type(key, element, "a table { value = <integer>, label = \"...\" }");
        continue;
      }
      if (auto option = read_option(key, *table)) {
        const auto same_value =
            std::find_if(options.begin(), options.end(),
                         [&](const Option& other) { return other.value == option->value; });
        if (same_value != options.end()) {
          add(key, option->line,
              "value " + std::to_string(option->value) + " is listed twice (also at line " +
                  std::to_string(same_value->line) + ")");
          continue;
        }
        options.push_back(std::move(*option));
      }
    }
    return options;
  }

  std::optional<Option> read_option(const std::string& key, const toml::table& table) {
    Option option;
    option.line = line_of(table);
    bool has_value = false;
    bool usable = true;
    for (const auto& [child_key, child] : table) {
      const std::string name(child_key.str());
      if (name == "value") {
        const auto* value = child.as_integer();
        if (value == nullptr || value->get() < std::numeric_limits<int>::min() ||
            value->get() > std::numeric_limits<int>::max()) {
          wrong_type(key + ".value", child, "a whole number (the option's value in Dataverse)");
          usable = false;
        } else {
          option.value = static_cast<int>(value->get());
          has_value = true;
        }
      } else if (name == "label") {
        const auto* label = child.as_string();
        if (label == nullptr || label->get().empty()) {
          wrong_type(key + ".label", child, "a non-empty string (the label Dynamics shows)");
          usable = false;
        } else {
          option.label = label->get();
        }
      } else if (name == "internal") {
        option.internal = read_texts(key + ".internal", child);
      } else if (name == "synonyms") {
        option.synonyms = read_texts(key + ".synonyms", child);
      } else {
        add(fmt::format("{}.{}", key, name), line_of(child_key, child),
            fmt::format("unknown key {} in an option{}; an option has value, label, internal and "
                        "synonyms",
                        quote_value(name), suggest(name, option_keys())));
      }
    }
    if (!has_value && usable) {
      add(key, option.line, "an option needs value = <integer>");
      usable = false;
    }
    if (option.label.empty() && usable) {
      add(key, option.line, "option " + std::to_string(option.value) + " needs a label");
      usable = false;
    }
    return usable ? std::optional(std::move(option)) : std::nullopt;
  }

  // A string or an array of strings.
  std::vector<std::string> read_texts(const std::string& key, const toml::node& node) {
    std::vector<std::string> texts;
    if (const auto* text = node.as_string()) {
      texts.push_back(text->get());
      return texts;
    }
    const auto* array = node.as_array();
    if (array == nullptr) {
      wrong_type(key, node, "a string or an array of strings");
      return texts;
    }
    for (const auto& element : *array) {
      const auto* text = element.as_string();
      if (text == nullptr || text->get().empty()) {
        wrong_type(key, element, "a non-empty string");
      } else {
        texts.push_back(text->get());
      }
    }
    return texts;
  }

  // A text (label, synonym or internal name) may name one option only, or matching would be
  // ambiguous.
  void check_option_texts(const std::string& key, const std::vector<Option>& options) {
    std::map<std::string, const Option*> owner;
    for (const auto& option : options) {
      std::vector<const std::string*> texts{&option.label};
      for (const auto& text : option.synonyms) {
        texts.push_back(&text);
      }
      for (const auto& text : option.internal) {
        texts.push_back(&text);
      }
      for (const auto* text : texts) {
        const auto [it, inserted] = owner.emplace(normalize_label(*text), &option);
        if (!inserted && it->second != &option) {
          add(key, option.line,
              quote_value(*text) + " names both " + std::to_string(it->second->value) + " " +
                  it->second->label + " (line " + std::to_string(it->second->line) + ") and " +
                  std::to_string(option.value) + " " + option.label +
                  "; a label, synonym or internal name may belong to one option only");
        }
      }
    }
  }

  // ---- fields
  // ---------------------------------------------------------------------------------------

  void read_fields(const toml::node& node) {
    const auto* fields = node.as_table();
    if (fields == nullptr) {
      wrong_type("fields", node, "tables [fields.\"<internal field>\"]");
      return;
    }
    // In file order, so a duplicate column is reported at its second use.
    std::vector<std::tuple<int, std::string, const toml::node*>> entries;
    for (const auto& [key, entry_node] : *fields) {
      entries.emplace_back(line_of(key, entry_node), std::string(key.str()), &entry_node);
    }
    std::sort(entries.begin(), entries.end());
    for (const auto& [line, path, entry_node_ptr] : entries) {
      const toml::node& entry_node = *entry_node_ptr;
      const std::string entry_key = quoted_field_key(path);
      const auto* entry = entry_node.as_table();
      if (entry == nullptr) {
        wrong_type(entry_key, entry_node, "a table ([" + entry_key + "])");
        continue;
      }
      const FieldDef* def = detail::find_field_def(path);
      if (def == nullptr) {
        add(entry_key, line,
            "unknown internal field " + quote_value(path) + suggest(path, field_paths()) +
                "; the fields are listed at the top of the shipped mappings/lead.toml");
      }
      auto field = read_entry(entry_key, path, line, *entry);
      if (def != nullptr && field) {
        check_entry(entry_key, *def, *field);
        mapping().fields.push_back(std::move(*field));
      }
    }
  }

  std::optional<FieldMapping> read_entry(const std::string& key, const std::string& path, int line,
                                         const toml::table& entry) {
    FieldMapping field;
    field.field = path;
    field.line = line;
    bool usable = true;
    bool has_column = false;
    bool has_type = false;
    bool has_on_too_long = false;
    const toml::node* max_length = nullptr;
    const toml::node* min = nullptr;
    const toml::node* max = nullptr;
    const toml::node* navigation = nullptr;
    const toml::node* score_bands = nullptr;
    for (const auto& [child_key, child] : entry) {
      const std::string name(child_key.str());
      const std::string child_path = fmt::format("{}.{}", key, name);
      if (name == "column") {
        has_column = true;
        usable = read_column(child_path, child, field) && usable;
      } else if (name == "type") {
        has_type = true;
        usable = read_type(child_path, child, field) && usable;
      } else if (name == "max_length") {
        max_length = &child;
      } else if (name == "on_too_long") {
        has_on_too_long = true;
        read_choice(child_path, child,
                    {{"truncate", TooLong::truncate}, {"reject", TooLong::reject}},
                    field.on_too_long);
      } else if (name == "min") {
        min = &child;
      } else if (name == "max") {
        max = &child;
      } else if (name == "direction") {
        read_choice(
            child_path, child,
            {{"both", Direction::both}, {"push", Direction::push}, {"pull", Direction::pull}},
            field.direction);
      } else if (name == "navigation") {
        navigation = &child;
      } else if (name == "score_bands") {
        score_bands = &child;
      } else {
        add(child_path, line_of(child_key, child),
            "unknown key " + quote_value(name) + suggest(name, entry_keys()) +
                "; an entry has column, type, max_length, on_too_long, min, max, direction, "
                "navigation (lookups) and score_bands (qualification.lead_quality)");
      }
    }
    if (!has_column) {
      add(key, line, "missing column = \"<Dataverse column>\"");
      usable = false;
    }
    if (!has_type) {
      add(key, line,
          "missing type = \"...\" (string, memo, integer, money, decimal, double, boolean, "
          "date_only, date_time, optionset:<set> or lookup:<entity set>:<name column>)");
      usable = false;
    }
    if (!usable) {
      return std::nullopt;
    }
    read_max_length(key, max_length, has_on_too_long, field);
    read_range(key, min, max, field);
    read_navigation(key, navigation, field);
    read_score_bands(key, score_bands, field);
    return field;
  }

  bool read_column(const std::string& key, const toml::node& node, FieldMapping& field) {
    const auto* text = node.as_string();
    if (text == nullptr) {
      wrong_type(key, node, "a string (the Dataverse column's logical name)");
      return false;
    }
    std::string column = text->get();
    if (const auto at = column.find(prefix_placeholder); at != std::string::npos) {
      column.replace(at, prefix_placeholder.size(), mapping().prefix);
    }
    if (!valid_column_name(column)) {
      add(key, line_of(node),
          quote_value(text->get()) +
              " is not a Dataverse logical name: use lower-case letters, digits and '_' "
              "(custom columns as \"{prefix}name\")");
      return false;
    }
    const auto previous = columns_.find(column);
    if (previous != columns_.end()) {
      add(key, line_of(node),
          "column " + quote_value(column) + " is already mapped from " + previous->second.first +
              " (line " + std::to_string(previous->second.second) +
              "); each column may be written from one field only");
      return false;
    }
    columns_.emplace(column, std::pair(field.field, line_of(node)));
    field.column = std::move(column);
    return true;
  }

  bool read_type(const std::string& key, const toml::node& node, FieldMapping& field) {
    const auto* text = node.as_string();
    if (text == nullptr) {
      wrong_type(key, node, "a string such as \"string\" or \"optionset:leadsourcecode\"");
      return false;
    }
    const std::string& type = text->get();
    field.type_text = type;
    for (const auto& simple : simple_types) {
      if (type == simple.name) {
        field.type = simple.type;
        return true;
      }
    }
    if (type.starts_with("optionset:")) {
      field.type = ColumnType::option_set;
      field.option_set = type.substr(std::string_view("optionset:").size());
      if (mapping().find_option_set(field.option_set) == nullptr) {
        std::vector<std::string> defined;
        for (const auto& [name, set] : mapping().option_sets) {
          defined.push_back(name);
        }
        add(key, line_of(node),
            "unknown option set " + quote_value(field.option_set) + " (defined: " +
                (defined.empty() ? std::string("none") : text::join(defined, ", ")) +
                "); add [option_sets." + field.option_set + "] or correct the name");
        return false;
      }
      return true;
    }
    if (type.starts_with("lookup:")) {
      const auto rest = type.substr(std::string_view("lookup:").size());
      const auto colon = rest.find(':');
      if (colon == std::string::npos || colon == 0 || colon + 1 == rest.size() ||
          rest.find(':', colon + 1) != std::string::npos) {
        add(key, line_of(node),
            "a lookup type is written lookup:<entity set>:<name column>, e.g. "
            "\"lookup:campaigns:name\" (got " +
                quote_value(type) + ")");
        return false;
      }
      field.type = ColumnType::lookup;
      field.lookup_entity_set = rest.substr(0, colon);
      field.lookup_name_column = rest.substr(colon + 1);
      return true;
    }
    std::vector<std::string_view> names;
    for (const auto& simple : simple_types) {
      names.push_back(simple.name);
    }
    add(key, line_of(node),
        "unknown type " + quote_value(type) + suggest(type, names) +
            "; use string, memo, integer, money, decimal, double, boolean, date_only, date_time, "
            "optionset:<set> or lookup:<entity set>:<name column>");
    return false;
  }

  template <typename E>
  void read_choice(const std::string& key, const toml::node& node,
                   std::initializer_list<std::pair<std::string_view, E>> choices, E& out) {
    std::string names;
    for (const auto& [name, value] : choices) {
      names += (names.empty() ? "\"" : ", \"") + std::string(name) + "\"";
    }
    const auto* text = node.as_string();
    if (text == nullptr) {
      wrong_type(key, node, "one of " + names);
      return;
    }
    for (const auto& [name, value] : choices) {
      if (text->get() == name) {
        out = value;
        return;
      }
    }
    add(key, line_of(node), quote_value(text->get()) + " is not one of " + names);
  }

  void read_max_length(const std::string& key, const toml::node* node, bool has_on_too_long,
                       FieldMapping& field) {
    if (!is_text(field.type)) {
      if (node != nullptr) {
        add(key + ".max_length", line_of(*node),
            "max_length applies to string and memo columns only (this one is " + field.type_text +
                ")");
      }
      if (has_on_too_long) {
        add(key + ".on_too_long", field.line,
            "on_too_long applies to string and memo columns only (this one is " + field.type_text +
                ")");
      }
      return;
    }
    if (node == nullptr) {
      add(key, field.line,
          "missing max_length: the column's maximum length in characters, as the CRM defines it "
          "(firstname 50, subject 300, description 2000, ...)");
      return;
    }
    const auto* value = node->as_integer();
    if (value == nullptr || value->get() < 1 || value->get() > 1'048'576) {
      add(key + ".max_length", line_of(*node),
          "must be a whole number of characters between 1 and 1048576");
      return;
    }
    field.max_length = static_cast<int>(value->get());
  }

  std::optional<double> read_number(const std::string& key, const toml::node& node) {
    if (const auto* integer = node.as_integer()) {
      return static_cast<double>(integer->get());
    }
    if (const auto* floating = node.as_floating_point()) {
      return floating->get();
    }
    wrong_type(key, node, "a number");
    return std::nullopt;
  }

  void read_range(const std::string& key, const toml::node* min, const toml::node* max,
                  FieldMapping& field) {
    if (!is_numeric(field.type)) {
      for (const auto* node : {min, max}) {
        if (node != nullptr) {
          add(key + (node == min ? ".min" : ".max"), line_of(*node),
              "min and max apply to integer, money, decimal and double columns only (this one is " +
                  field.type_text + ")");
        }
      }
      return;
    }
    if (min != nullptr) {
      field.min = read_number(key + ".min", *min);
    }
    if (max != nullptr) {
      field.max = read_number(key + ".max", *max);
    }
    if (field.min && field.max && *field.min > *field.max) {
      add(key, field.line, "min is greater than max");
    }
  }

  void read_navigation(const std::string& key, const toml::node* node, FieldMapping& field) {
    if (field.type != ColumnType::lookup) {
      if (node != nullptr) {
        add(key + ".navigation", line_of(*node), "navigation applies to lookup columns only");
      }
      return;
    }
    field.navigation = field.column;
    if (node == nullptr) {
      return;
    }
    const auto* text = node->as_string();
    if (text == nullptr || !valid_column_name(text->get())) {
      wrong_type(key + ".navigation", *node,
                 "the navigation property's name (lower-case, e.g. \"campaignid\")");
      return;
    }
    field.navigation = text->get();
  }

  void read_score_bands(const std::string& key, const toml::node* node, FieldMapping& field) {
    if (node == nullptr) {
      return;
    }
    const auto* table = node->as_table();
    if (table == nullptr) {
      wrong_type(key + ".score_bands", *node, "a table { <option> = <lowest total score>, ... }");
      return;
    }
    for (const auto& [band_key, band] : *table) {
      if (auto floor = read_number(key + ".score_bands." + std::string(band_key.str()), band)) {
        field.score_bands.emplace(std::string(band_key.str()), *floor);
      }
    }
  }

  // ---- the entry as a whole against its internal field
  // ----------------------------------------------

  void check_entry(const std::string& key, const FieldDef& def, const FieldMapping& field) {
    if (!compatible(def.kind, field.type)) {
      add(key + ".type", field.line,
          field.field + " is a " + std::string(detail::to_string(def.kind)) + "; a " +
              field.type_text + " column cannot hold it: use " +
              std::string(compatible_types(def.kind)));
      return;
    }
    check_direction(key, def, field);
    if (def.role == Role::key && field.type != ColumnType::string) {
      add(key + ".type", field.line,
          "the alternate key column must be a string column (\"string\", max_length 100)");
    }
    if (field.type == ColumnType::option_set) {
      check_option_coverage(key, def, field);
    }
    if (def.role == Role::lead_quality) {
      check_score_bands(key, field);
    } else if (!field.score_bands.empty()) {
      add(key + ".score_bands", field.line,
          "score_bands applies to qualification.lead_quality only");
    }
  }

  void check_direction(const std::string& key, const FieldDef& def, const FieldMapping& field) {
    const std::string where = key + ".direction";
    switch (def.role) {
    case Role::key:
      if (field.direction != Direction::both) {
        add(where, field.line,
            "identity.id is the alternate key: it addresses every push and identifies every "
            "pulled row, so its direction must be \"both\"");
      }
      break;
    case Role::derived:
    case Role::lead_quality:
      if (field.direction != Direction::push) {
        add(where, field.line,
            field.field + " is computed by leadsync and cannot be read back: use direction = "
                          "\"push\"");
      }
      break;
    case Role::crm_state:
    case Role::crm_status:
      if (field.direction != Direction::pull) {
        add(where, field.line,
            field.field + " is read from the CRM; leadsync changes it through QualifyLead and "
                          "SetState, never in a row: use direction = \"pull\"");
      }
      break;
    case Role::plain:
      break;
    }
  }

  // Every value our field can take must have an option, or a push would fail on it.
  void check_option_coverage(const std::string& key, const FieldDef& def,
                             const FieldMapping& field) {
    const OptionSet* set = mapping().find_option_set(field.option_set);
    if (def.kind != ValueKind::enum_name || def.enum_names.empty()) {
      return;
    }
    std::vector<std::string> missing;
    for (const auto name : def.enum_names) {
      if (set->find_internal(name) == nullptr) {
        missing.emplace_back(name);
      }
    }
    if (!missing.empty()) {
      add(key + ".type", field.line,
          "option set " + field.option_set + " gives no value for " + field.field + " " +
              text::join(missing, ", ") +
              ": add each name to the internal list of the option it should become");
    }
  }

  void check_score_bands(const std::string& key, const FieldMapping& field) {
    if (field.score_bands.empty()) {
      add(key, field.line,
          "missing score_bands = { <option> = <lowest total score>, ... }: which total score "
          "makes a lead Hot, Warm or Cold");
      return;
    }
    if (field.type != ColumnType::option_set) {
      return;
    }
    const OptionSet* set = mapping().find_option_set(field.option_set);
    for (const auto& [name, floor] : field.score_bands) {
      if (set->find_internal(name) == nullptr) {
        add(fmt::format("{}.score_bands.{}", key, name), field.line,
            fmt::format("{} is not an internal name in option set {}; the bands name options by "
                        "their internal names",
                        quote_value(name), quote_value(field.option_set)));
      }
    }
  }

  MappingReport& report_;
  std::map<std::string, std::pair<std::string, int>> columns_; // column -> (field, line)
};

std::string describe_all(const std::vector<Problem>& problems) {
  std::string text = std::to_string(problems.size()) + " problem" +
                     (problems.size() == 1 ? "" : "s") + " in the lead mapping:";
  for (const auto& problem : problems) {
    text += "\n  " + problem.describe();
  }
  return text;
}

// Bounded, regular files only (issue 18): a mapping pointed at /dev/zero fails at once.
Result<std::string> read_file(const std::filesystem::path& file) {
  return config::read_toml_file(
      file, mapping_file_limit,
      "cannot read the lead mapping " + file.string() +
          ": check the path (config key mapping.lead) or run `leadsync init` to write the default "
          "mappings/lead.toml",
      FileReadPurpose{.what = "the lead mapping",
                      .remedy = "check the path (config key mapping.lead) or run `leadsync init` "
                                "to write the default mappings/lead.toml"});
}

} // namespace

std::string FieldMapping::read_property() const {
  return type == ColumnType::lookup ? "_" + column + "_value" : column;
}

const FieldMapping* LeadMapping::find_field(std::string_view path) const {
  const auto found = std::find_if(fields.begin(), fields.end(),
                                  [&](const FieldMapping& field) { return field.field == path; });
  return found == fields.end() ? nullptr : &*found;
}

const FieldMapping* LeadMapping::find_column(std::string_view column) const {
  const auto found = std::find_if(fields.begin(), fields.end(), [&](const FieldMapping& field) {
    return field.column == column;
  });
  return found == fields.end() ? nullptr : &*found;
}

const OptionSet* LeadMapping::find_option_set(std::string_view name) const {
  const auto found = option_sets.find(name);
  return found == option_sets.end() ? nullptr : &found->second;
}

const FieldMapping& LeadMapping::key() const {
  const FieldMapping* key = find_field("identity.id");
  if (key == nullptr) {
    throw std::logic_error("LeadMapping without identity.id: use a mapping that loaded cleanly");
  }
  return *key;
}

std::string LeadMapping::where(const FieldMapping& field) const {
  return source.string() + ":" + std::to_string(field.line);
}

MappingReport check_lead_mapping_text(const std::string& text, const std::filesystem::path& name,
                                      const std::string& prefix) {
  MappingReport report;
  report.mapping.source = name;
  report.mapping.prefix = prefix;
  if (!valid_prefix(prefix)) {
    report.problems.push_back(
        Problem{"crm.custom_prefix", 0,
                quote_value(prefix) +
                    " is not a publisher prefix: 2 to 8 lower-case letters or digits, starting "
                    "with a letter, then '_' (e.g. \"leadsync_\"); set crm.custom_prefix",
                name});
  }
  config::parse_toml(text, name, report.problems,
                     [&report](const toml::table& root) { Loader(report).read(root); });
  return report;
}

Result<MappingReport> check_lead_mapping(const std::filesystem::path& file,
                                         const std::string& prefix) {
  LEADSYNC_TRY(const std::string text, read_file(file));
  return check_lead_mapping_text(text, file, prefix);
}

Result<LeadMapping> load_lead_mapping_text(const std::string& text,
                                           const std::filesystem::path& name,
                                           const std::string& prefix) {
  MappingReport report = check_lead_mapping_text(text, name, prefix);
  if (!report.problems.empty()) {
    return fail(ErrorCategory::config, describe_all(report.problems));
  }
  return std::move(report.mapping);
}

Result<LeadMapping> load_lead_mapping(const std::filesystem::path& file,
                                      const std::string& prefix) {
  LEADSYNC_TRY(const std::string text, read_file(file));
  return load_lead_mapping_text(text, file, prefix);
}

const std::vector<std::string_view>& field_paths() {
  static const std::vector<std::string_view> paths = [] {
    std::vector<std::string_view> all;
    for (const auto& def : detail::field_defs()) {
      all.push_back(def.path);
    }
    return all;
  }();
  return paths;
}

Result<FieldSet> parse_field_set(const std::vector<std::string>& paths) {
  FieldSet set;
  std::vector<std::string> unknown;
  for (const auto& path : paths) {
    if (detail::find_field_def(path) == nullptr) {
      unknown.push_back(quote_value(path) + suggest(path, field_paths()));
    } else {
      set.insert(path);
    }
  }
  if (!unknown.empty()) {
    return fail(ErrorCategory::config,
                "unknown internal field" + std::string(unknown.size() == 1 ? " " : "s ") +
                    text::join(unknown, ", ") +
                    " in pull.crm_owned_fields; the fields are listed at the top of "
                    "mappings/lead.toml");
  }
  return set;
}

} // namespace leadsync::mapping
