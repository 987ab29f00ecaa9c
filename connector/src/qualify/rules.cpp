#include "leadsync/qualify/rules.hpp"

#include "leadsync/core/bounded_read.hpp"
#include "leadsync/core/text.hpp"
#include "leadsync/core/toml_problems.hpp"

#include <algorithm>
#include <cmath>
#include <map>
#include <sstream>
#include <toml++/toml.h>
#include <utility>

static_assert(TOML_EXCEPTIONS, "leadsync expects toml++ with exceptions enabled");

namespace leadsync::qualify {

std::string_view group_name(Group group) {
  switch (group) {
  case Group::fit:
    return "fit";
  case Group::engagement:
    return "engagement";
  case Group::data_quality:
    return "data_quality";
  case Group::bant:
    return "bant";
  }
  return "fit";
}

namespace {

constexpr std::array<std::string_view, behaviour_kind_count> kind_names = {
    "page_visit",     "pricing_page_visit", "content_download", "webinar_attended", "demo_attended",
    "demo_requested", "trial_usage",        "email_open",       "email_click",      "call"};

std::vector<FieldInfo> build_fields() {
  using F = FieldId;
  using T = FieldType;
  const std::vector<std::string_view> none;
  std::vector<FieldInfo> all = {
      {F::first_name, "person.first_name", T::text, none},
      {F::last_name, "person.last_name", T::text, none},
      {F::job_title, "person.job_title", T::text, none},
      {F::seniority, "person.seniority", T::text, none},
      {F::language, "person.language", T::text, none},
      {F::email, "person.email", T::text, none},
      {F::email_domain, "person.email_domain", T::text, none},
      {F::email_type, "person.email_type", T::text, {"corporate", "free", "none"}},
      {F::email_valid, "person.email_valid", T::boolean, none},
      {F::phone_valid, "person.phone_valid", T::boolean, none},
      {F::contactable, "person.contactable", T::boolean, none},
      {F::decision_maker, "qualification.bant.decision_maker", T::boolean, none},
      {F::company_name, "company.name", T::text, none},
      {F::company_website, "company.website", T::text, none},
      {F::company_domain, "company.domain", T::text, none},
      {F::industry, "company.industry", T::text, none},
      {F::employee_count, "company.employee_count", T::number, none},
      {F::annual_revenue, "company.annual_revenue", T::number, none},
      {F::country, "company.address.country", T::text, none},
      {F::state_or_province, "company.address.state_or_province", T::text, none},
      {F::city, "company.address.city", T::text, none},
      {F::channel,
       "origin.channel",
       T::text,
       {"advertisement", "trade_show", "seminar", "web", "employee_referral", "external_referral",
        "partner", "public_relations", "word_of_mouth", "social_campaign", "direct_mail",
        "cold_call", "purchased_list", "other"}},
      {F::campaign, "origin.campaign", T::text, none},
      {F::lead_magnet, "origin.lead_magnet", T::text, none},
      {F::list_age_bucket,
       "origin.list_age_bucket",
       T::text,
       {"1-7", "8-30", "31-60", "61-90", "older", "unknown"}},
      {F::list_count, "origin.list_count", T::number, none},
      {F::list_exclusive, "origin.newest_list.exclusive", T::boolean, none},
      {F::times_sold, "origin.times_sold", T::number, none},
      {F::do_not_email, "consent.do_not_email", T::boolean, none},
      {F::do_not_phone, "consent.do_not_phone", T::boolean, none},
      {F::lawful_basis,
       "consent.lawful_basis",
       T::text,
       {"none", "consent", "legitimate_interest", "contract", "other"}},
      {F::lead_kind, "kind", T::text, {"sales", "marketing"}},
      {F::enrichment_confidence, "enrichment.confidence", T::number, none},
      {F::linkedin_url, "social.linkedin_url", T::text, none},
      {F::missing_key_fields, "data_quality.missing_key_fields", T::number, none},
      {F::budget_amount, "qualification.bant.budget_amount", T::number, none},
      {F::budget_status,
       "qualification.bant.budget_status",
       T::text,
       {"no_committed_budget", "may_buy", "can_buy", "will_buy"}},
      {F::need,
       "qualification.bant.need",
       T::text,
       {"must_have", "should_have", "good_to_have", "no_need"}},
      {F::purchase_timeframe,
       "qualification.bant.purchase_timeframe",
       T::text,
       {"immediate", "this_quarter", "next_quarter", "this_year", "unknown"}},
      {F::purchase_process,
       "qualification.bant.purchase_process",
       T::text,
       {"individual", "committee", "unknown"}},
      {F::bant_known, "qualification.bant.known", T::number, none},
      {F::score_fit, "score.fit", T::number, none, true},
      {F::score_engagement, "score.engagement", T::number, none, true},
      {F::score_data_quality, "score.data_quality", T::number, none, true},
      {F::score_bant, "score.bant", T::number, none, true},
      {F::score_total, "score.total", T::number, none, true},
      {F::grade, "grade", T::text, {"a", "b", "c", "d"}, true},
      {F::stage, "stage", T::text, {"cold", "mql", "pql", "sql"}, true},
  };
  return all;
}

} // namespace

std::string_view kind_name(model::BehaviourKind kind) {
  const auto index = static_cast<std::size_t>(kind);
  return index < kind_names.size() ? kind_names[index] : "unknown";
}

const std::vector<FieldInfo>& fields() {
  static const std::vector<FieldInfo> all = build_fields();
  return all;
}

std::string_view op_name(Op op) {
  switch (op) {
  case Op::equals:
    return "equals";
  case Op::one_of:
    return "one_of";
  case Op::range:
    return "range";
  case Op::contains:
    return "contains";
  case Op::ends_with:
    return "ends_with";
  case Op::exists:
    return "exists";
  case Op::rule_fired:
    return "rule_fired";
  }
  return "exists";
}

std::string_view decision_name(DecisionKind kind) {
  switch (kind) {
  case DecisionKind::leave_open:
    return "leave_open";
  case DecisionKind::qualify:
    return "qualify";
  case DecisionKind::disqualify:
    return "disqualify";
  }
  return "leave_open";
}

void fold_case(std::string_view text, std::string& out) {
  out.assign(text.data(), text.size());
  const std::size_t size = out.size();
  for (std::size_t i = 0; i < size; ++i) {
    const auto c = static_cast<unsigned char>(out[i]);
    if (c >= 'A' && c <= 'Z') {
      out[i] = static_cast<char>(c + 32);
    } else if (c == 0xC3 && i + 1 < size) { // Latin-1 capitals U+00C0..U+00DE except U+00D7
      const auto next = static_cast<unsigned char>(out[i + 1]);
      if (next >= 0x80 && next <= 0x9E && next != 0x97) {
        out[i + 1] = static_cast<char>(next + 0x20);
      }
      ++i;
    } else if (c == 0xD0 && i + 1 < size) { // Cyrillic capitals U+0400..U+042F
      const auto next = static_cast<unsigned char>(out[i + 1]);
      if (next >= 0x90 && next <= 0x9F) { // А..П -> а..п
        out[i + 1] = static_cast<char>(next + 0x20);
      } else if (next >= 0xA0 && next <= 0xAF) { // Р..Я -> р..я
        out[i] = static_cast<char>(0xD1);
        out[i + 1] = static_cast<char>(next - 0x20);
      } else if (next >= 0x80 && next <= 0x8F) { // Ѐ..Џ (Ё) -> ѐ..џ
        out[i] = static_cast<char>(0xD1);
        out[i + 1] = static_cast<char>(next + 0x10);
      }
      ++i;
    }
  }
}

namespace {

std::string folded(std::string_view text) {
  std::string out;
  fold_case(text, out);
  return out;
}

std::string_view type_name(const toml::node& node) {
  return config::type_name(node.type());
}

std::string format_number(double value) {
  std::ostringstream out;
  out << value;
  return out.str();
}

std::string quote(std::string_view text) {
  return "\"" + std::string(text) + "\"";
}

std::string list_of(const std::vector<std::string_view>& names) {
  std::string text;
  for (const auto name : names) {
    text += (text.empty() ? "" : ", ") + std::string(name);
  }
  return text;
}

constexpr std::array<std::string_view, 7> op_keys = {"equals",    "one_of", "range",     "contains",
                                                     "ends_with", "exists", "rule_fired"};

const FieldInfo* find_field(std::string_view name) {
  for (const auto& field : fields()) {
    if (field.name == name) {
      return &field;
    }
  }
  return nullptr;
}

std::optional<model::BehaviourKind> find_kind(std::string_view name) {
  for (std::size_t i = 0; i < kind_names.size(); ++i) {
    if (kind_names[i] == name) {
      return static_cast<model::BehaviourKind>(i);
    }
  }
  return std::nullopt;
}

struct PendingFired {
  Condition* condition;
  std::string name;
  std::string key;
  int line;
};

class Loader {
public:
  explicit Loader(std::filesystem::path name) : name_(std::move(name)) {}

  LoadedRules run(std::string_view text) {
    LoadedRules loaded;
    rules_.source = name_;
    toml::table root;
    try {
      root = toml::parse(text, name_.string());
    } catch (const toml::parse_error& error) {
      add("", static_cast<int>(error.source().begin.line),
          "not valid TOML: " + std::string(error.description()));
      loaded.problems = std::move(problems_);
      return loaded;
    }
    read_root(root);
    finish();
    loaded.problems = std::move(problems_);
    if (loaded.problems.empty()) {
      loaded.rules = std::move(rules_);
    }
    return loaded;
  }

private:
  // ---- plumbing
  static int line_of(const toml::node& node) { return static_cast<int>(node.source().begin.line); }
  static int line_of(const toml::key& key, const toml::node& node) {
    const auto line =
        key.source().begin.line != 0 ? key.source().begin.line : node.source().begin.line;
    return static_cast<int>(line);
  }

  void add(std::string key, int line, std::string message) {
    problems_.push_back(config::Problem{std::move(key), line, std::move(message), name_});
  }

  void wrong_type(const std::string& key, int line, std::string_view expected,
                  const toml::node& node) {
    add(key, line, "expected " + std::string(expected) + ", got " + std::string(type_name(node)));
  }

  void unknown_key(const std::string& key, int line, std::string_view name, std::string_view where,
                   const std::vector<std::string_view>& known) {
    const auto best = text::closest_match(name, known, 2);
    add(key, line,
        "unknown key '" + std::string(name) + "' in " + std::string(where) +
            (best.empty() ? "; known keys: " + list_of(known)
                          : " (did you mean '" + std::string(best) + "'?)"));
  }

  const toml::table* as_table(const toml::node& node, const std::string& key, int line,
                              std::string_view heading) {
    const auto* table = node.as_table();
    if (table == nullptr) {
      wrong_type(key, line, "a table (" + std::string(heading) + ")", node);
    }
    return table;
  }

  bool read_number(const toml::node& node, const std::string& key, int line, double& out, double lo,
                   double hi) {
    double value = 0;
    if (const auto* real = node.as_floating_point()) {
      value = real->get();
    } else if (const auto* whole = node.as_integer()) {
      value = static_cast<double>(whole->get());
    } else {
      wrong_type(key, line, "a number", node);
      return false;
    }
    if (!std::isfinite(value) || value < lo || value > hi) {
      add(key, line,
          "must be between " + format_number(lo) + " and " + format_number(hi) + " (got " +
              format_number(value) + ")");
      return false;
    }
    out = value;
    return true;
  }

  bool read_int(const toml::node& node, const std::string& key, int line, int& out, int lo,
                int hi) {
    const auto* whole = node.as_integer();
    if (whole == nullptr) {
      wrong_type(key, line, "an integer", node);
      return false;
    }
    if (whole->get() < lo || whole->get() > hi) {
      add(key, line,
          "must be between " + std::to_string(lo) + " and " + std::to_string(hi) + " (got " +
              std::to_string(whole->get()) + ")");
      return false;
    }
    out = static_cast<int>(whole->get());
    return true;
  }

  bool read_bool(const toml::node& node, const std::string& key, int line, bool& out) {
    const auto* flag = node.as_boolean();
    if (flag == nullptr) {
      wrong_type(key, line, "a boolean (true or false)", node);
      return false;
    }
    out = flag->get();
    return true;
  }

  bool read_string(const toml::node& node, const std::string& key, int line, std::string& out) {
    const auto* text = node.as_string();
    if (text == nullptr) {
      wrong_type(key, line, "a string", node);
      return false;
    }
    out = text->get();
    return true;
  }

  // An array of strings; every element checked.
  bool read_strings(const toml::node& node, const std::string& key, int line,
                    std::vector<std::pair<std::string, int>>& out) {
    const auto* array = node.as_array();
    if (array == nullptr) {
      wrong_type(key, line, "an array of strings", node);
      return false;
    }
    bool good = true;
    for (std::size_t i = 0; i < array->size(); ++i) {
      const auto& element = *array->get(i);
      const int element_line = line_of(element) != 0 ? line_of(element) : line;
      if (const auto* text = element.as_string()) {
        out.emplace_back(text->get(), element_line);
      } else {
        wrong_type(key + "[" + std::to_string(i) + "]", element_line, "a string", element);
        good = false;
      }
    }
    return good;
  }

  // ---- sections
  void read_root(const toml::table& root) {
    static const std::vector<std::string_view> sections = {
        "grades", "email", "fit", "engagement", "data_quality", "bant", "stages", "decisions"};
    for (const auto& [toml_key, node] : root) {
      const std::string key(toml_key.str());
      const int line = line_of(toml_key, node);
      if (key == "grades") {
        read_grades(node, line);
      } else if (key == "email") {
        read_email(node, line);
      } else if (key == "fit") {
        read_group(Group::fit, node, line);
      } else if (key == "engagement") {
        read_group(Group::engagement, node, line);
      } else if (key == "data_quality") {
        read_group(Group::data_quality, node, line);
      } else if (key == "bant") {
        read_group(Group::bant, node, line);
      } else if (key == "stages") {
        read_stages(node, line);
      } else if (key == "decisions") {
        read_decisions(node, line);
      } else {
        const auto best = text::closest_match(key, sections, 2);
        add(key, line,
            "unknown section [" + key + "]" +
                (best.empty() ? "; known sections: " + list_of(sections)
                              : " (did you mean '" + std::string(best) + "'?)"));
      }
    }
    for (std::size_t g = 0; g < group_count; ++g) {
      if (!seen_group_[g]) {
        add(std::string(group_name(static_cast<Group>(g))), 0,
            "missing section [" + std::string(group_name(static_cast<Group>(g))) +
                "]: every group needs its cap and weight");
      }
    }
  }

  void read_grades(const toml::node& node, int line) {
    const auto* table = as_table(node, "grades", line, "[grades]");
    if (table == nullptr) {
      return;
    }
    grades_line_ = line;
    for (const auto& [toml_key, child] : *table) {
      const std::string name(toml_key.str());
      const std::string key = "grades." + name;
      const int child_line = line_of(toml_key, child);
      double* target = name == "a"   ? &rules_.grades.a
                       : name == "b" ? &rules_.grades.b
                       : name == "c" ? &rules_.grades.c
                                     : nullptr;
      if (target == nullptr) {
        unknown_key(key, child_line, name, "[grades]", {"a", "b", "c"});
      } else {
        read_number(child, key, child_line, *target, 1, 100);
      }
    }
  }

  void read_email(const toml::node& node, int line) {
    const auto* table = as_table(node, "email", line, "[email]");
    if (table == nullptr) {
      return;
    }
    for (const auto& [toml_key, child] : *table) {
      const std::string name(toml_key.str());
      const std::string key = "email." + name;
      const int child_line = line_of(toml_key, child);
      if (name != "free_mail_domains") {
        unknown_key(key, child_line, name, "[email]", {"free_mail_domains"});
        continue;
      }
      std::vector<std::pair<std::string, int>> domains;
      read_strings(child, key, child_line, domains);
      for (const auto& [domain, domain_line] : domains) {
        if (domain.empty() || domain.find('.') == std::string::npos ||
            domain.find_first_of("@ /") != std::string::npos) {
          add(key, domain_line,
              "'" + domain + "' is not a domain (write the host only, e.g. \"gmail.com\")");
          continue;
        }
        rules_.free_mail_domains.push_back(folded(domain));
      }
      auto& list = rules_.free_mail_domains;
      std::sort(list.begin(), list.end());
      list.erase(std::unique(list.begin(), list.end()), list.end());
    }
  }

  void read_group(Group group, const toml::node& node, int line) {
    const std::string path(group_name(group));
    const std::string heading = "[" + path + "]";
    const auto* table = as_table(node, path, line, heading);
    if (table == nullptr) {
      return;
    }
    const auto index = static_cast<std::size_t>(group);
    seen_group_[index] = true;
    group_lines_[index] = line;
    auto& settings = rules_.groups[index];
    bool has_cap = false;
    bool has_weight = false;
    std::vector<std::string_view> known = {"cap", "weight", "rule"};
    if (group == Group::engagement) {
      known.insert(known.end(), {"half_life_days", "max_event_age_days", "kinds"});
    }
    if (group == Group::data_quality) {
      known.push_back("key_fields");
    }
    for (const auto& [toml_key, child] : *table) {
      const std::string name(toml_key.str());
      const std::string key = path + "." + name;
      const int child_line = line_of(toml_key, child);
      if (std::find(known.begin(), known.end(), name) == known.end()) {
        unknown_key(key, child_line, name, heading, known);
      } else if (name == "cap") {
        has_cap = read_number(child, key, child_line, settings.cap, 1, 10000);
      } else if (name == "weight") {
        has_weight = read_number(child, key, child_line, settings.weight, 0, 100);
      } else if (name == "rule") {
        read_rules(group, child, key, child_line);
      } else if (name == "half_life_days") {
        read_number(child, key, child_line, rules_.half_life_days, 0, 3650);
      } else if (name == "max_event_age_days") {
        read_number(child, key, child_line, rules_.max_event_age_days, 0, 36500);
      } else if (name == "kinds") {
        read_kinds(child, key, child_line);
      } else if (name == "key_fields") {
        read_key_fields(child, key, child_line);
      }
    }
    if (!has_cap) {
      add(path + ".cap", line, "missing: " + heading + " needs a cap (the most points it gives)");
    }
    if (!has_weight) {
      add(path + ".weight", line,
          "missing: " + heading + " needs a weight (its share of the 0..100 total)");
    }
  }

  void read_kinds(const toml::node& node, const std::string& path, int line) {
    const auto* table = as_table(node, path, line, "[engagement.kinds.<kind>] tables");
    if (table == nullptr) {
      return;
    }
    const std::vector<std::string_view> kinds(kind_names.begin(), kind_names.end());
    for (const auto& [toml_key, child] : *table) {
      const std::string name(toml_key.str());
      const std::string key = path + "." + name;
      const int child_line = line_of(toml_key, child);
      const auto kind = find_kind(name);
      if (!kind) {
        const auto best = text::closest_match(name, kinds, 3);
        add(key, child_line,
            "unknown event kind '" + name + "'" +
                (best.empty() ? "; known kinds: " + list_of(kinds)
                              : " (did you mean '" + std::string(best) + "'?)"));
        continue;
      }
      const auto* kind_table = as_table(child, key, child_line, "[" + key + "]");
      if (kind_table == nullptr) {
        continue;
      }
      auto& settings = rules_.kinds[static_cast<std::size_t>(*kind)];
      settings.configured = true;
      bool has_points = false;
      for (const auto& [field_key, value] : *kind_table) {
        const std::string field(field_key.str());
        const std::string value_key = key + "." + field;
        const int value_line = line_of(field_key, value);
        if (field == "points") {
          has_points = read_number(value, value_key, value_line, settings.points, -1000, 1000);
        } else if (field == "max_per_day") {
          read_int(value, value_key, value_line, settings.max_per_day, 0, 100000);
        } else if (field == "half_life_days") {
          read_number(value, value_key, value_line, settings.half_life_days, 0, 3650);
        } else {
          unknown_key(value_key, value_line, field, "[" + key + "]",
                      {"points", "max_per_day", "half_life_days"});
        }
      }
      if (!has_points) {
        add(key + ".points", child_line, "missing: each event kind needs its points");
      }
    }
  }

  void read_key_fields(const toml::node& node, const std::string& key, int line) {
    std::vector<std::pair<std::string, int>> names;
    read_strings(node, key, line, names);
    for (const auto& [name, name_line] : names) {
      const FieldInfo* field = resolve_field(name, key, name_line, false);
      if (field == nullptr) {
        continue;
      }
      if (field->id == FieldId::missing_key_fields || field->type == FieldType::boolean) {
        add(key, name_line,
            "'" + name +
                "' cannot be a key field (a key field is a text or a number that can be "
                "empty)");
        continue;
      }
      rules_.key_fields.push_back(field->id);
      rules_.used[static_cast<std::size_t>(field->id)] = true;
    }
  }

  const FieldInfo* resolve_field(const std::string& name, const std::string& key, int line,
                                 bool decisions) {
    const FieldInfo* field = find_field(name);
    if (field == nullptr) {
      std::vector<std::string_view> names;
      for (const auto& info : fields()) {
        if (decisions || !info.decisions_only) {
          names.push_back(info.name);
        }
      }
      const auto best = text::closest_match(name, names, 3);
      add(key, line,
          "unknown field '" + name + "'" +
              (best.empty() ? "; known fields: " + list_of(names)
                            : " (did you mean '" + std::string(best) + "'?)"));
      return nullptr;
    }
    if (field->decisions_only && !decisions) {
      add(key, line,
          "'" + name +
              "' can be used only in [[decisions.rule]] conditions (scores are not known "
              "while scoring)");
      return nullptr;
    }
    return field;
  }

  void read_rules(Group group, const toml::node& node, const std::string& path, int line) {
    const auto* array = node.as_array();
    if (array == nullptr) {
      wrong_type(path, line, "an array of tables ([[" + path + "]], with two brackets)", node);
      return;
    }
    for (std::size_t i = 0; i < array->size(); ++i) {
      const auto& element = *array->get(i);
      const std::string key = path + "[" + std::to_string(i) + "]";
      const int element_line = line_of(element) != 0 ? line_of(element) : line;
      const auto* table = as_table(element, key, element_line, "[[" + path + "]]");
      if (table == nullptr) {
        continue;
      }
      read_rule(group, *table, key, element_line);
    }
  }

  void read_rule(Group group, const toml::table& table, const std::string& key, int line) {
    Rule rule;
    rule.group = group;
    rule.line = line;
    bool good = true;
    bool has_points = false;
    const std::vector<std::string_view> known = {"name",   "field",     "equals",    "one_of",
                                                 "range",  "contains",  "ends_with", "exists",
                                                 "points", "rule_fired"};
    for (const auto& [toml_key, child] : table) {
      const std::string name(toml_key.str());
      const int child_line = line_of(toml_key, child);
      if (name == "name") {
        good &= read_string(child, key + ".name", child_line, rule.name);
      } else if (name == "points") {
        has_points = read_number(child, key + ".points", child_line, rule.points, -1000, 1000);
        good &= has_points;
      } else if (std::find(known.begin(), known.end(), name) == known.end()) {
        unknown_key(key + "." + name, child_line, name, "a rule", known);
        good = false;
      }
    }
    if (rule.name.empty()) {
      add(key + ".name", line, "missing: every rule needs a name (it is shown in explanations)");
      good = false;
    } else if (rule_names_.contains(rule.name)) {
      add(key + ".name", line,
          "duplicate rule name '" + rule.name + "' (first at line " +
              std::to_string(rule_names_.at(rule.name).second) + ")");
      good = false;
    }
    if (!has_points && table.get("points") == nullptr) {
      add(key + ".points", line, "missing: every rule needs its points (negative to subtract)");
      good = false;
    }
    auto condition = read_condition(table, key, line, false);
    if (!condition || !good) {
      return;
    }
    rule.condition = std::move(*condition);
    rule_names_.emplace(rule.name, std::make_pair(rules_.rules.size(), line));
    rules_.rules.push_back(std::move(rule));
  }

  // One condition: `field` and exactly one operator (or rule_fired in decisions).
  std::optional<Condition> read_condition(const toml::table& table, const std::string& key,
                                          int line, bool decisions) {
    std::vector<std::pair<std::string_view, const toml::node*>> ops;
    for (const auto op : op_keys) {
      if (const auto* node = table.get(op)) {
        ops.emplace_back(op, node);
      }
    }
    if (ops.empty()) {
      add(key, line,
          std::string("missing condition: give one of equals, one_of, range, contains, ends_with, "
                      "exists") +
              (decisions ? ", rule_fired" : ""));
      return std::nullopt;
    }
    if (ops.size() > 1) {
      add(key, line,
          "one condition per entry, got " + std::string(ops[0].first) + " and " +
              std::string(ops[1].first) + " (write two entries, or two rules)");
      return std::nullopt;
    }
    // Plain variables, not a structured binding: lambdas below capture them (clang 14 cannot
    // capture a binding).
    const auto op_text = ops.front().first;
    const auto node = ops.front().second;
    const std::string op_key = key + "." + std::string(op_text);
    const int op_line = line_of(*node) != 0 ? line_of(*node) : line;
    Condition condition;
    if (op_text == "rule_fired") {
      if (!decisions) {
        add(op_key, op_line, "rule_fired can be used only in [[decisions.rule]] conditions");
        return std::nullopt;
      }
      if (table.get("field") != nullptr) {
        add(key + ".field", line, "rule_fired names a rule; it takes no field");
        return std::nullopt;
      }
      std::string name;
      if (!read_string(*node, op_key, op_line, name)) {
        return std::nullopt;
      }
      condition.op = Op::rule_fired;
      condition.description = "rule '" + name + "' fired";
      pending_fired_.push_back({nullptr, name, op_key, op_line});
      return condition;
    }
    const auto* field_node = table.get("field");
    if (field_node == nullptr) {
      add(key + ".field", line, "missing: the condition needs the field it looks at");
      return std::nullopt;
    }
    std::string field_name;
    if (!read_string(*field_node, key + ".field", line_of(*field_node), field_name)) {
      return std::nullopt;
    }
    const FieldInfo* field =
        resolve_field(field_name, key + ".field", line_of(*field_node), decisions);
    if (field == nullptr) {
      return std::nullopt;
    }
    condition.field = field->id;
    rules_.used[static_cast<std::size_t>(field->id)] = true;
    const std::string type_word = field->type == FieldType::text     ? "a text"
                                  : field->type == FieldType::number ? "a number"
                                                                     : "a boolean";
    auto refuse = [&](std::string_view what) {
      add(op_key, op_line,
          std::string(op_text) + " cannot be used on " + std::string(field->name) + " (" +
              type_word + " field); " + std::string(what));
    };
    const std::string shown = std::string(field->name) + " " + std::string(op_text) + " ";
    if (op_text == "exists") {
      condition.op = Op::exists;
      if (!read_bool(*node, op_key, op_line, condition.flag)) {
        return std::nullopt;
      }
      condition.description = std::string(field->name) + (condition.flag ? " is set" : " is empty");
      return condition;
    }
    if (op_text == "range") {
      condition.op = Op::range;
      if (field->type != FieldType::number) {
        refuse("range takes numbers");
        return std::nullopt;
      }
      return read_range(*node, op_key, op_line, std::move(condition), field->name);
    }
    if (op_text == "contains" || op_text == "ends_with") {
      condition.op = op_text == "contains" ? Op::contains : Op::ends_with;
      if (field->type != FieldType::text) {
        refuse("it takes texts");
        return std::nullopt;
      }
      std::vector<std::pair<std::string, int>> texts;
      if (node->is_string()) {
        texts.emplace_back(node->as_string()->get(), op_line);
      } else if (!read_strings(*node, op_key, op_line, texts)) {
        return std::nullopt;
      }
      if (texts.empty()) {
        add(op_key, op_line, "an empty list never matches: give at least one text");
        return std::nullopt;
      }
      std::string list;
      for (const auto& [text, text_line] : texts) {
        if (text.empty()) {
          add(op_key, text_line, "an empty text matches everything: use exists = true");
          return std::nullopt;
        }
        condition.texts.push_back(folded(text));
        list += (list.empty() ? "" : ", ") + quote(text);
      }
      condition.description = shown + (texts.size() == 1 ? list : "[" + list + "]");
      return condition;
    }
    // equals / one_of
    const bool one_of = op_text == "one_of";
    condition.op = one_of ? Op::one_of : Op::equals;
    std::vector<const toml::node*> values;
    if (one_of) {
      const auto* array = node->as_array();
      if (array == nullptr) {
        wrong_type(op_key, op_line, "an array", *node);
        return std::nullopt;
      }
      if (array->empty()) {
        add(op_key, op_line, "an empty list never matches: give at least one value");
        return std::nullopt;
      }
      for (std::size_t i = 0; i < array->size(); ++i) {
        values.push_back(array->get(i));
      }
    } else {
      values.push_back(node);
    }
    std::string list;
    bool good = true;
    for (const auto* value : values) {
      const int value_line = line_of(*value) != 0 ? line_of(*value) : op_line;
      switch (field->type) {
      case FieldType::boolean:
        if (one_of) {
          refuse("use equals = true or false");
          return std::nullopt;
        }
        if (!read_bool(*value, op_key, value_line, condition.flag)) {
          return std::nullopt;
        }
        list = condition.flag ? "true" : "false";
        break;
      case FieldType::number: {
        double number = 0;
        if (!read_number(*value, op_key, value_line, number, -1e18, 1e18)) {
          good = false;
          continue;
        }
        condition.numbers.push_back(number);
        list += (list.empty() ? "" : ", ") + format_number(number);
        break;
      }
      case FieldType::text: {
        const auto* text = value->as_string();
        if (text == nullptr) {
          wrong_type(op_key, value_line, "a string", *value);
          good = false;
          continue;
        }
        std::string folded_text = folded(text->get());
        if (!field->values.empty() && std::find(field->values.begin(), field->values.end(),
                                                folded_text) == field->values.end()) {
          add(op_key, value_line,
              "'" + text->get() + "' is not a value of " + std::string(field->name) +
                  "; its values: " + list_of(field->values));
          good = false;
          continue;
        }
        condition.texts.push_back(std::move(folded_text));
        list += (list.empty() ? "" : ", ") + quote(text->get());
        break;
      }
      }
    }
    if (!good) {
      return std::nullopt;
    }
    std::sort(condition.texts.begin(), condition.texts.end());
    std::sort(condition.numbers.begin(), condition.numbers.end());
    condition.description = shown + (one_of ? "[" + list + "]" : list);
    return condition;
  }

  std::optional<Condition> read_range(const toml::node& node, const std::string& key, int line,
                                      Condition condition, std::string_view field_name) {
    const auto* table = node.as_table();
    if (table == nullptr) {
      wrong_type(key, line, "an inline table such as { min = 50, max = 500 }", node);
      return std::nullopt;
    }
    bool has_min = false;
    bool has_max = false;
    bool good = true;
    for (const auto& [toml_key, child] : *table) {
      const std::string name(toml_key.str());
      const int child_line = line_of(toml_key, child) != 0 ? line_of(toml_key, child) : line;
      if (name == "min") {
        has_min = read_number(child, key + ".min", child_line, condition.min, -1e18, 1e18);
        good &= has_min;
      } else if (name == "max") {
        has_max = read_number(child, key + ".max", child_line, condition.max, -1e18, 1e18);
        good &= has_max;
      } else {
        unknown_key(key + "." + name, child_line, name, "a range", {"min", "max"});
        good = false;
      }
    }
    if (!good) {
      return std::nullopt;
    }
    if (!has_min && !has_max) {
      add(key, line, "a range needs min, max or both");
      return std::nullopt;
    }
    if (has_min && has_max && condition.min > condition.max) {
      add(key, line,
          "min " + format_number(condition.min) + " is greater than max " +
              format_number(condition.max));
      return std::nullopt;
    }
    std::string shown = std::string(field_name);
    if (has_min && has_max) {
      shown += " in " + format_number(condition.min) + ".." + format_number(condition.max);
    } else if (has_min) {
      shown += " >= " + format_number(condition.min);
    } else {
      shown += " <= " + format_number(condition.max);
    }
    condition.description = std::move(shown);
    return condition;
  }

  void read_stages(const toml::node& node, int line) {
    const auto* table = as_table(node, "stages", line, "[stages]");
    if (table == nullptr) {
      return;
    }
    auto& stages = rules_.stages;
    const std::vector<std::pair<std::string_view, double*>> thresholds = {
        {"mql_min_fit", &stages.mql_min_fit},
        {"mql_min_engagement", &stages.mql_min_engagement},
        {"pql_min_fit", &stages.pql_min_fit},
        {"sql_min_fit", &stages.sql_min_fit},
        {"sql_min_engagement", &stages.sql_min_engagement}};
    std::vector<std::string_view> known = {"pql_signal_kinds", "pql_min_signals", "pql_window_days",
                                           "sql_min_bant_known"};
    for (const auto& [name, target] : thresholds) {
      known.push_back(name);
    }
    for (const auto& [toml_key, child] : *table) {
      const std::string name(toml_key.str());
      const std::string key = "stages." + name;
      const int child_line = line_of(toml_key, child);
      const auto threshold = std::find_if(thresholds.begin(), thresholds.end(),
                                          [&](const auto& entry) { return entry.first == name; });
      if (threshold != thresholds.end()) {
        read_number(child, key, child_line, *threshold->second, 0, 100);
      } else if (name == "pql_min_signals") {
        read_int(child, key, child_line, stages.pql_min_signals, 1, 100000);
      } else if (name == "pql_window_days") {
        read_number(child, key, child_line, stages.pql_window_days, 1, 3650);
      } else if (name == "sql_min_bant_known") {
        read_int(child, key, child_line, stages.sql_min_bant_known, 0, 4);
      } else if (name == "pql_signal_kinds") {
        std::vector<std::pair<std::string, int>> names;
        read_strings(child, key, child_line, names);
        stages.pql_signal_kinds.clear();
        for (const auto& [kind_text, kind_line] : names) {
          if (const auto kind = find_kind(kind_text)) {
            stages.pql_signal_kinds.push_back(*kind);
          } else {
            const std::vector<std::string_view> kinds(kind_names.begin(), kind_names.end());
            add(key, kind_line,
                "unknown event kind '" + kind_text + "'; known kinds: " + list_of(kinds));
          }
        }
      } else {
        unknown_key(key, child_line, name, "[stages]", known);
      }
    }
  }

  std::vector<char> read_grade_list(const toml::node& node, const std::string& key, int line) {
    std::vector<std::pair<std::string, int>> names;
    read_strings(node, key, line, names);
    std::vector<char> grades;
    for (const auto& [name, name_line] : names) {
      if (name.size() == 1 && (name[0] >= 'A' && name[0] <= 'D')) {
        grades.push_back(name[0]);
      } else {
        add(key, name_line, "'" + name + "' is not a grade; grades: A, B, C, D");
      }
    }
    return grades;
  }

  void read_decisions(const toml::node& node, int line) {
    const auto* table = as_table(node, "decisions", line, "[decisions]");
    if (table == nullptr) {
      return;
    }
    auto& decisions = rules_.decisions;
    for (const auto& [toml_key, child] : *table) {
      const std::string name(toml_key.str());
      const std::string key = "decisions." + name;
      const int child_line = line_of(toml_key, child);
      if (name == "hot_grades") {
        decisions.hot_grades = read_grade_list(child, key, child_line);
      } else if (name == "warm_grades") {
        decisions.warm_grades = read_grade_list(child, key, child_line);
        warm_line_ = child_line;
      } else if (name == "currency") {
        if (read_string(child, key, child_line, decisions.currency)) {
          check_currency(decisions.currency, key, child_line);
        }
      } else if (name == "reactivate_when_hot") {
        read_bool(child, key, child_line, decisions.reactivate_when_hot);
      } else if (name == "rule") {
        const auto* array = child.as_array();
        if (array == nullptr) {
          wrong_type(key, child_line, "an array of tables ([[decisions.rule]])", child);
          continue;
        }
        for (std::size_t i = 0; i < array->size(); ++i) {
          const auto& element = *array->get(i);
          const std::string rule_key = key + "[" + std::to_string(i) + "]";
          const int element_line = line_of(element) != 0 ? line_of(element) : child_line;
          if (const auto* rule_table =
                  as_table(element, rule_key, element_line, "[[decisions.rule]]")) {
            read_decision_rule(*rule_table, rule_key, element_line);
          }
        }
      } else {
        unknown_key(key, child_line, name, "[decisions]",
                    {"hot_grades", "warm_grades", "currency", "reactivate_when_hot", "rule"});
      }
    }
    for (const char grade : decisions.hot_grades) {
      if (std::find(decisions.warm_grades.begin(), decisions.warm_grades.end(), grade) !=
          decisions.warm_grades.end()) {
        add("decisions.warm_grades", warm_line_,
            std::string("grade ") + grade + " is both hot and warm");
      }
    }
  }

  void check_currency(const std::string& currency, const std::string& key, int line) {
    const bool good =
        currency.size() == 3 &&
        std::all_of(currency.begin(), currency.end(), [](char c) { return c >= 'A' && c <= 'Z'; });
    if (!good) {
      add(key, line,
          "'" + currency + "' is not an ISO 4217 currency code (three capitals, e.g. \"EUR\")");
    }
  }

  void read_decision_rule(const toml::table& table, const std::string& key, int line) {
    DecisionRule rule;
    rule.line = line;
    bool good = true;
    std::string action;
    const toml::node* status_node = nullptr;
    const toml::node* quality_node = nullptr;
    std::vector<std::pair<std::string, int>> qualify_only;
    for (const auto& [toml_key, child] : table) {
      const std::string name(toml_key.str());
      const std::string child_key = key + "." + name;
      const int child_line = line_of(toml_key, child);
      if (name == "name") {
        good &= read_string(child, child_key, child_line, rule.name);
      } else if (name == "action") {
        good &= read_string(child, child_key, child_line, action);
      } else if (name == "reason") {
        good &= read_string(child, child_key, child_line, rule.reason);
      } else if (name == "status_reason") {
        status_node = &child;
      } else if (name == "quality_code") {
        quality_node = &child;
      } else if (name == "create_account" || name == "create_contact" ||
                 name == "create_opportunity" || name == "use_campaign") {
        bool& target = name == "create_account"   ? rule.create_account
                       : name == "create_contact" ? rule.create_contact
                       : name == "use_campaign"   ? rule.use_campaign
                                                  : rule.create_opportunity;
        good &= read_bool(child, child_key, child_line, target);
        qualify_only.emplace_back(name, child_line);
      } else if (name == "currency") {
        if (read_string(child, child_key, child_line, rule.currency)) {
          check_currency(rule.currency, child_key, child_line);
        }
        qualify_only.emplace_back(name, child_line);
      } else if (name == "when") {
        good &= read_when(child, child_key, child_line, rule.when);
      } else {
        unknown_key(child_key, child_line, name, "[[decisions.rule]]",
                    {"name", "action", "when", "status_reason", "reason", "create_account",
                     "create_contact", "create_opportunity", "currency", "use_campaign",
                     "quality_code"});
        good = false;
      }
    }
    if (rule.name.empty()) {
      add(key + ".name", line, "missing: every decision rule needs a name");
      good = false;
    } else if (decision_names_.contains(rule.name)) {
      add(key + ".name", line,
          "duplicate decision rule name '" + rule.name + "' (first at line " +
              std::to_string(decision_names_.at(rule.name)) + ")");
      good = false;
    }
    if (action == "qualify") {
      rule.action = DecisionKind::qualify;
    } else if (action == "disqualify") {
      rule.action = DecisionKind::disqualify;
    } else if (action == "leave_open") {
      rule.action = DecisionKind::leave_open;
    } else {
      add(key + ".action", line,
          action.empty()
              ? "missing: action = \"qualify\", \"disqualify\" or \"leave_open\""
              : "unknown action '" + action + "'; actions: qualify, disqualify, leave_open");
      good = false;
    }
    if (rule.action != DecisionKind::qualify && !action.empty()) {
      for (const auto& [name, name_line] : qualify_only) {
        add(key + "." + name, name_line, name + " applies only to action = \"qualify\"");
        good = false;
      }
    }
    if (status_node != nullptr) {
      good &= read_status_reason(*status_node, key + ".status_reason", rule);
    } else if (rule.action == DecisionKind::disqualify) {
      add(key + ".status_reason", line,
          "missing: a disqualify rule needs status_reason (4 lost, 5 cannot contact, 6 no longer "
          "interested, 7 canceled)");
      good = false;
    }
    if (quality_node != nullptr) {
      good &= read_quality(*quality_node, key + ".quality_code", rule);
    }
    if (!good) {
      return;
    }
    decision_names_.emplace(rule.name, line);
    rules_.decisions.rules.push_back(std::move(rule));
  }

  bool read_when(const toml::node& node, const std::string& key, int line,
                 std::vector<Condition>& out) {
    const auto* array = node.as_array();
    if (array == nullptr) {
      wrong_type(key, line,
                 "an array of inline tables such as [{ field = \"grade\", equals = \"A\" }]", node);
      return false;
    }
    bool good = true;
    for (std::size_t i = 0; i < array->size(); ++i) {
      const auto& element = *array->get(i);
      const std::string element_key = key + "[" + std::to_string(i) + "]";
      const int element_line = line_of(element) != 0 ? line_of(element) : line;
      const auto* table = element.as_table();
      if (table == nullptr) {
        wrong_type(element_key, element_line, "an inline table { field = ..., <condition> = ... }",
                   element);
        good = false;
        continue;
      }
      for (const auto& [toml_key, child] : *table) {
        const std::string name(toml_key.str());
        if (name != "field" && std::find(op_keys.begin(), op_keys.end(), name) == op_keys.end()) {
          std::vector<std::string_view> known(op_keys.begin(), op_keys.end());
          known.insert(known.begin(), "field");
          unknown_key(element_key + "." + name, element_line, name, "a condition", known);
          good = false;
        }
      }
      auto condition = read_condition(*table, element_key, element_line, true);
      if (!condition) {
        good = false;
        continue;
      }
      out.push_back(std::move(*condition));
    }
    if (good) {
      // rule_fired entries are resolved once every rule is known; point them at their condition.
      std::size_t next = pending_fired_.size();
      for (auto it = out.rbegin(); it != out.rend(); ++it) {
        if (it->op == Op::rule_fired) {
          --next;
          pending_fired_[next].condition = &*it;
        }
      }
    }
    return good;
  }

  bool read_status_reason(const toml::node& node, const std::string& key, DecisionRule& rule) {
    const int line = line_of(node);
    if (rule.action != DecisionKind::disqualify) {
      add(key, line, "status_reason applies only to action = \"disqualify\"");
      return false;
    }
    if (const auto* text = node.as_string()) {
      static const std::vector<std::pair<std::string_view, int>> names = {
          {"lost", status_lost},
          {"cannot_contact", status_cannot_contact},
          {"no_longer_interested", status_no_longer_interested},
          {"canceled", status_canceled},
          {"cancelled", status_canceled}};
      for (const auto& [name, code] : names) {
        if (text->get() == name) {
          rule.status_reason = code;
          return true;
        }
      }
      add(key, line,
          "unknown status reason '" + text->get() +
              "'; use 4 or \"lost\", 5 or \"cannot_contact\", 6 or \"no_longer_interested\", 7 or "
              "\"canceled\"");
      return false;
    }
    return read_int(node, key, line, rule.status_reason, status_lost, status_canceled);
  }

  bool read_quality(const toml::node& node, const std::string& key, DecisionRule& rule) {
    const int line = line_of(node);
    if (rule.action != DecisionKind::leave_open) {
      add(key, line,
          "quality_code applies only to action = \"leave_open\" (the others take it from the "
          "grade)");
      return false;
    }
    if (const auto* text = node.as_string()) {
      const std::string& name = text->get();
      rule.quality_code = name == "hot"    ? quality_hot
                          : name == "warm" ? quality_warm
                          : name == "cold" ? quality_cold
                                           : 0;
      if (rule.quality_code == 0) {
        add(key, line,
            "unknown quality '" + name + "'; use 1 or \"hot\", 2 or \"warm\", 3 or \"cold\"");
        return false;
      }
      return true;
    }
    return read_int(node, key, line, rule.quality_code, quality_hot, quality_cold);
  }

  // ---- checks across sections
  void finish() {
    // A rule dropped for a problem leaves its rule_fired pointers dangling: resolve only when
    // clean.
    const bool clean = problems_.empty();
    const auto& grades = rules_.grades;
    if (!(grades.a > grades.b && grades.b > grades.c)) {
      add("grades", grades_line_,
          "the grade bands must go down: a > b > c (got a = " + format_number(grades.a) +
              ", b = " + format_number(grades.b) + ", c = " + format_number(grades.c) + ")");
    }
    bool all_groups = true;
    double weights = 0;
    for (std::size_t g = 0; g < group_count; ++g) {
      all_groups &= seen_group_[g];
      weights += rules_.groups[g].weight;
    }
    if (all_groups && std::abs(weights - 100) > 1e-6) {
      add("fit.weight", group_lines_[0],
          "the weights of [fit], [engagement], [data_quality] and [bant] must add up to 100 (got " +
              format_number(weights) + ")");
    }
    for (auto& pending : pending_fired_) {
      const auto found = rule_names_.find(pending.name);
      if (found == rule_names_.end()) {
        std::vector<std::string_view> names;
        for (const auto& rule : rules_.rules) {
          names.push_back(rule.name);
        }
        const auto best = text::closest_match(pending.name, names, 3);
        add(pending.key, pending.line,
            "no scoring rule is named '" + pending.name + "'" +
                (best.empty() ? "" : " (did you mean '" + std::string(best) + "'?)"));
      } else if (clean && pending.condition != nullptr) {
        pending.condition->rule = found->second.first;
      }
    }
  }

  std::filesystem::path name_;
  RuleSet rules_;
  std::vector<config::Problem> problems_;
  std::array<bool, group_count> seen_group_{};
  std::array<int, group_count> group_lines_{};
  int grades_line_ = 0;
  int warm_line_ = 0;
  std::map<std::string, std::pair<std::size_t, int>> rule_names_; // name -> (index, line)
  std::map<std::string, int> decision_names_;
  std::vector<PendingFired> pending_fired_;
};

} // namespace

LoadedRules load_rules_text(std::string_view text, const std::filesystem::path& name) {
  return Loader(name).run(text);
}

LoadedRules load_rules_file(const std::filesystem::path& file) {
  // Bounded, regular files only (issue 18): a rule file pointed at /dev/zero fails at once.
  auto text = read_regular_file(file, mapping_file_limit,
                                FileReadPurpose{.what = "the rule file",
                                                .remedy = "check the path of the scoring rules "
                                                          "(config key qualify.rules)"});
  if (!text) {
    LoadedRules loaded;
    loaded.problems.push_back(config::Problem{"", 0, text.error().message, file});
    return loaded;
  }
  return load_rules_text(*text, file);
}

Result<RuleSet> load_rules(const std::filesystem::path& file) {
  auto loaded = load_rules_file(file);
  if (loaded.ok()) {
    return std::move(*loaded.rules);
  }
  std::string message = "the rule file was refused (" + std::to_string(loaded.problems.size()) +
                        (loaded.problems.size() == 1 ? " problem):" : " problems):");
  for (const auto& problem : loaded.problems) {
    message += "\n  " + problem.describe();
  }
  return fail(ErrorCategory::config, std::move(message));
}

} // namespace leadsync::qualify
