#include "providers/http_json/http_json_spec.hpp"

#include "leadsync/core/bounded_read.hpp"
#include "leadsync/core/text.hpp"
#include "leadsync/enrich/fields.hpp"

#include <algorithm>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <toml++/toml.h>

static_assert(TOML_EXCEPTIONS, "leadsync expects toml++ with exceptions enabled");

namespace leadsync::enrich::providers::http_json {
namespace {

// The enrichable field paths (fields.hpp), in its order.
const std::vector<std::string_view>& our_fields() {
  static const std::vector<std::string_view> fields = [] {
    std::vector<std::string_view> paths;
    for (const EnrichableField& field : enrichable_fields()) {
      paths.push_back(field.path);
    }
    return paths;
  }();
  return fields;
}

int line_of(const toml::node& node) {
  return static_cast<int>(node.source().begin.line);
}

struct Problem {
  int line = 0;
  std::string text;
};

class Loader {
public:
  explicit Loader(std::vector<Problem>& problems) : problems_(problems) {}

  Spec read(const toml::table& root) {
    Spec spec;
    check_keys(root, "",
               {"version", "send_fields", "auth", "headers", "status", "rate_limit", "billing",
                "person", "company", "social"},
               1);
    const toml::node* version = root.get("version");
    if (version == nullptr) {
      problem(1, "version is missing; add version = 1 at the top");
    } else if (!version->is_integer() || version->as_integer()->get() != 1) {
      problem(line_of(*version), "version must be 1 (the only spec format there is)");
    }
    read_send_fields(root.get("send_fields"), spec);
    if (const toml::node* auth = root.get("auth")) {
      read_auth(*auth, spec);
    }
    if (const toml::node* headers = root.get("headers")) {
      read_headers(*headers, spec);
    }
    if (const toml::node* status = root.get("status")) {
      read_status(*status, spec);
    }
    if (const toml::node* rate = root.get("rate_limit")) {
      read_rate(*rate, spec);
    }
    if (const toml::node* billing = root.get("billing")) {
      read_billing(*billing, spec);
    }
    for (const FieldGroup group : {FieldGroup::person, FieldGroup::company, FieldGroup::social}) {
      if (const toml::node* node = root.get(to_string(group))) {
        read_group(std::string(to_string(group)), *node, spec, spec.groups[group]);
      }
    }
    if (spec.groups.empty()) {
      problem(1, "no group is described; add [[social.request]] and [[social.field]] tables "
                 "(or person/company)");
    }
    return spec;
  }

private:
  void problem(int line, std::string text) { problems_.push_back(Problem{line, std::move(text)}); }

  void check_keys(const toml::table& table, const std::string& where,
                  const std::vector<std::string_view>& allowed, int fallback_line) {
    for (const auto& [key, node] : table) {
      const std::string name(key.str());
      if (std::find(allowed.begin(), allowed.end(), name) != allowed.end()) {
        continue;
      }
      const int line =
          key.source().begin.line != 0 ? static_cast<int>(key.source().begin.line) : fallback_line;
      const auto suggestion = text::closest_match(name, allowed, 3);
      problem(line,
              (where.empty() ? "" : where + ": ") + "unknown key \"" + name + "\"" +
                  (suggestion.empty() ? "; use one of: " + text::join(allowed, ", ")
                                      : "; did you mean \"" + std::string(suggestion) + "\"?"));
    }
  }

  std::optional<std::string> string_of(const toml::node& node, const std::string& key) {
    if (const auto* value = node.as_string()) {
      return value->get();
    }
    problem(line_of(node), key + " must be a string");
    return std::nullopt;
  }

  std::optional<bool> bool_of(const toml::node& node, const std::string& key) {
    if (const auto* value = node.as_boolean()) {
      return value->get();
    }
    problem(line_of(node), key + " must be true or false");
    return std::nullopt;
  }

  std::optional<double> number_of(const toml::node& node, const std::string& key) {
    if (const auto* value = node.as_floating_point()) {
      return value->get();
    }
    if (const auto* value = node.as_integer()) {
      return static_cast<double>(value->get());
    }
    problem(line_of(node), key + " must be a number");
    return std::nullopt;
  }

  const toml::table* table_of(const toml::node& node, const std::string& key) {
    if (const auto* table = node.as_table()) {
      return table;
    }
    problem(line_of(node), key + " must be a table");
    return nullptr;
  }

  void read_send_fields(const toml::node* node, Spec& spec) {
    if (node == nullptr) {
      problem(1, "send_fields is missing; list the query fields this API may receive, e.g. "
                 "send_fields = [\"email\"] (fields: " +
                     text::join(query_field_names(), ", ") + ")");
      return;
    }
    const auto* array = node->as_array();
    if (array == nullptr) {
      problem(line_of(*node), "send_fields must be an array of query field names");
      return;
    }
    for (const toml::node& item : *array) {
      const auto* value = item.as_string();
      const auto& names = query_field_names();
      if (value == nullptr || std::find(names.begin(), names.end(), value->get()) == names.end()) {
        problem(line_of(item),
                "send_fields: " + (value ? "\"" + value->get() + "\"" : std::string("a value")) +
                    " is not a query field; use " + text::join(names, ", "));
        continue;
      }
      spec.send_fields.insert(value->get());
    }
  }

  // Reads a template and reports placeholders that are not allowed.
  std::optional<Template> read_template(const toml::node& node, const std::string& key,
                                        const std::vector<std::string>& allowed,
                                        const std::string& allowed_hint) {
    const auto text = string_of(node, key);
    if (!text) {
      return std::nullopt;
    }
    Template result = split_template(*text);
    bool ok = true;
    for (const std::string& name : result.placeholders) {
      if (std::find(allowed.begin(), allowed.end(), name) == allowed.end()) {
        problem(line_of(node), key + ": placeholder {" + name + "} " + allowed_hint);
        ok = false;
      }
    }
    if (!ok) {
      return std::nullopt;
    }
    return result;
  }

  std::vector<std::string> sendable(const Spec& spec) const {
    return {spec.send_fields.begin(), spec.send_fields.end()};
  }

  std::string sendable_hint(const Spec& spec) const {
    std::vector<std::string_view> names(spec.send_fields.begin(), spec.send_fields.end());
    return "is not in send_fields (" +
           (names.empty() ? std::string("empty") : text::join(names, ", ")) +
           "); add it there if this API may receive it";
  }

  void read_auth(const toml::node& node, Spec& spec) {
    const toml::table* table = table_of(node, "auth");
    if (table == nullptr) {
      return;
    }
    check_keys(*table, "auth", {"header", "required"}, line_of(node));
    if (const toml::node* required = table->get("required")) {
      spec.auth_required = bool_of(*required, "auth.required").value_or(true);
    }
    const toml::node* header = table->get("header");
    if (header == nullptr) {
      problem(line_of(node), "auth.header is missing, e.g. header = \"Authorization: Bearer "
                             "{api_key}\"");
      return;
    }
    const auto value = read_template(*header, "auth.header", {"api_key"},
                                     "is not allowed here; only {api_key} is");
    if (!value) {
      return;
    }
    const auto colon = value->text.find(':');
    if (colon == std::string::npos || colon == 0) {
      problem(line_of(*header), "auth.header must look like \"Name: value\", e.g. "
                                "\"Authorization: Bearer {api_key}\"");
      return;
    }
    spec.auth_header_name = value->text.substr(0, colon);
    std::string rest = value->text.substr(colon + 1);
    rest.erase(0, rest.find_first_not_of(' '));
    spec.auth_header_value = split_template(rest);
  }

  void read_headers(const toml::node& node, Spec& spec) {
    const toml::table* table = table_of(node, "headers");
    if (table == nullptr) {
      return;
    }
    for (const auto& [key, value] : *table) {
      if (const auto text = string_of(value, "headers." + std::string(key.str()))) {
        spec.headers.set(std::string(key.str()), *text);
      }
    }
  }

  void read_status(const toml::node& node, Spec& spec) {
    const toml::table* table = table_of(node, "status");
    if (table == nullptr) {
      return;
    }
    check_keys(*table, "status",
               {"no_match", "pending", "invalid_input", "throttled", "throttled_when_exhausted"},
               line_of(node));
    std::map<int, std::string> seen;
    auto read = [&](const char* key, std::set<int>& target) {
      const toml::node* list = table->get(key);
      if (list == nullptr) {
        return;
      }
      target.clear();
      const auto* array = list->as_array();
      if (array == nullptr) {
        problem(line_of(*list), std::string("status.") + key +
                                    " must be an array of HTTP "
                                    "statuses, e.g. [404]");
        return;
      }
      for (const toml::node& item : *array) {
        const auto* code = item.as_integer();
        if (code == nullptr || code->get() < 100 || code->get() > 599) {
          problem(line_of(item), std::string("status.") + key +
                                     ": HTTP statuses are integers "
                                     "100..599");
          continue;
        }
        const int status = static_cast<int>(code->get());
        if (status >= 200 && status <= 299 && std::string_view(key) != "pending") {
          problem(line_of(item), std::string("status.") + key + ": " + std::to_string(status) +
                                     " is a success status; only pending may list a 2xx");
          continue;
        }
        const auto [where, fresh] = seen.emplace(status, key);
        if (!fresh) {
          problem(line_of(item), std::string("status.") + key + ": " + std::to_string(status) +
                                     " is listed in status." + where->second +
                                     " already; a status has one meaning");
          continue;
        }
        target.insert(status);
      }
    };
    read("no_match", spec.no_match);
    read("pending", spec.pending);
    read("invalid_input", spec.invalid_input);
    read("throttled", spec.throttled);
    read("throttled_when_exhausted", spec.throttled_when_exhausted);
  }

  void read_rate(const toml::node& node, Spec& spec) {
    const toml::table* table = table_of(node, "rate_limit");
    if (table == nullptr) {
      return;
    }
    check_keys(*table, "rate_limit", {"limit", "remaining", "reset", "reset_unit", "retry_after"},
               line_of(node));
    auto read = [&](const char* key, std::string& target) {
      if (const toml::node* value = table->get(key)) {
        target = string_of(*value, std::string("rate_limit.") + key).value_or("");
      }
    };
    read("limit", spec.rate.limit);
    read("remaining", spec.rate.remaining);
    read("reset", spec.rate.reset);
    read("retry_after", spec.rate.retry_after);
    if (const toml::node* unit = table->get("reset_unit")) {
      const auto text = string_of(*unit, "rate_limit.reset_unit");
      if (text == "epoch_seconds") {
        spec.rate.reset_unit = support::ResetUnit::epoch_seconds;
      } else if (text == "delta_seconds") {
        spec.rate.reset_unit = support::ResetUnit::delta_seconds;
      } else if (text == "iso8601") {
        spec.rate.reset_unit = support::ResetUnit::iso8601;
      } else if (text == "auto") {
        spec.rate.reset_unit = support::ResetUnit::automatic;
      } else if (text) {
        problem(line_of(*unit), "rate_limit.reset_unit \"" + *text +
                                    "\" is unknown; use epoch_seconds, delta_seconds, iso8601 or "
                                    "auto");
      }
    }
  }

  void read_billing(const toml::node& node, Spec& spec) {
    const toml::table* table = table_of(node, "billing");
    if (table == nullptr) {
      return;
    }
    check_keys(*table, "billing", {"credits_per_match", "credits_per_no_match"}, line_of(node));
    auto read = [&](const char* key, std::int64_t& target) {
      if (const toml::node* value = table->get(key)) {
        const auto* number = value->as_integer();
        if (number == nullptr || number->get() < 0) {
          problem(line_of(*value),
                  std::string("billing.") + key + " must be a whole number of credits, 0 or more");
          return;
        }
        target = number->get();
      }
    };
    read("credits_per_match", spec.credits_per_match);
    read("credits_per_no_match", spec.credits_per_no_match);
  }

  std::optional<std::string> method_of(const toml::node& node, const std::string& key) {
    const auto text = string_of(node, key);
    if (text && (*text == "GET" || *text == "POST")) {
      return text;
    }
    if (text) {
      problem(line_of(node), key + " \"" + *text + "\" is not supported; use GET or POST");
    }
    return std::nullopt;
  }

  bool check_pointer(const toml::node& node, const std::string& key, const std::string& pointer) {
    try {
      (void)nlohmann::json::json_pointer(pointer);
    } catch (const nlohmann::json::exception&) {
      problem(line_of(node),
              key + " \"" + pointer + "\" is not a JSON pointer; write it like \"/items/0/login\"");
      return false;
    }
    return true;
  }

  std::vector<std::pair<std::string, Template>> read_query(const toml::node& node,
                                                           const std::string& key,
                                                           const std::vector<std::string>& allowed,
                                                           const std::string& hint) {
    std::vector<std::pair<std::string, Template>> query;
    const toml::table* table = table_of(node, key);
    if (table == nullptr) {
      return query;
    }
    for (const auto& [name, value] : *table) {
      if (auto text = read_template(value, key + "." + std::string(name.str()), allowed, hint)) {
        query.emplace_back(std::string(name.str()), std::move(*text));
      }
    }
    return query;
  }

  void read_group(const std::string& group, const toml::node& node, const Spec& spec,
                  GroupSpec& target) {
    const toml::table* table = table_of(node, group);
    if (table == nullptr) {
      return;
    }
    check_keys(*table, group, {"request", "field"}, line_of(node));
    const toml::node* requests = table->get("request");
    const auto* request_array = requests ? requests->as_array() : nullptr;
    if (request_array == nullptr || request_array->empty()) {
      problem(requests ? line_of(*requests) : line_of(node),
              group + ": add at least one [[" + group + ".request]] table");
    } else {
      std::size_t index = 0;
      for (const toml::node& item : *request_array) {
        ++index;
        if (auto request =
                read_request(group + ".request[" + std::to_string(index) + "]", item, spec)) {
          target.requests.push_back(std::move(*request));
        }
      }
    }
    const toml::node* fields = table->get("field");
    const auto* field_array = fields ? fields->as_array() : nullptr;
    if (field_array == nullptr || field_array->empty()) {
      problem(fields ? line_of(*fields) : line_of(node),
              group + ": add at least one [[" + group + ".field]] table (pointer and field)");
      return;
    }
    std::size_t index = 0;
    for (const toml::node& item : *field_array) {
      ++index;
      if (auto rule = read_field(group + ".field[" + std::to_string(index) + "]", item)) {
        target.fields.push_back(std::move(*rule));
      }
    }
  }

  std::optional<RequestTemplate> read_request(const std::string& where, const toml::node& node,
                                              const Spec& spec) {
    const toml::table* table = table_of(node, where);
    if (table == nullptr) {
      return std::nullopt;
    }
    const std::size_t before = problems_.size();
    check_keys(*table, where,
               {"method", "path", "query", "body", "confidence", "confidence_pointer",
                "confidence_scale", "follow"},
               line_of(node));
    RequestTemplate request;
    const auto allowed = sendable(spec);
    const auto hint = sendable_hint(spec);
    if (const toml::node* method = table->get("method")) {
      request.method = method_of(*method, where + ".method").value_or("GET");
    }
    if (const toml::node* path = table->get("path")) {
      if (auto text = read_template(*path, where + ".path", allowed, hint)) {
        if (text->text.empty() || text->text.front() != '/') {
          problem(line_of(*path), where + ".path must start with '/' (it is appended to url)");
        }
        request.path = std::move(*text);
      }
    } else {
      problem(line_of(node), where + ": path is missing, e.g. path = \"/users/{github_login}\"");
    }
    if (const toml::node* query = table->get("query")) {
      request.query = read_query(*query, where + ".query", allowed, hint);
    }
    if (const toml::node* body = table->get("body")) {
      if (request.method != "POST") {
        problem(line_of(*body), where + ".body is only sent with method = \"POST\"");
      }
      request.body = read_template(*body, where + ".body", allowed, hint);
    }
    const toml::node* fixed = table->get("confidence");
    const toml::node* pointer = table->get("confidence_pointer");
    if ((fixed == nullptr) == (pointer == nullptr)) {
      problem(line_of(node), where + ": set either confidence (a fixed 0..1) or "
                                     "confidence_pointer (a JSON pointer to the API's score)");
    }
    if (fixed != nullptr) {
      const auto value = number_of(*fixed, where + ".confidence");
      if (value && (*value < 0 || *value > 1)) {
        problem(line_of(*fixed), where + ".confidence must be between 0 and 1");
      }
      request.fixed_confidence = value;
    }
    if (pointer != nullptr) {
      if (const auto text = string_of(*pointer, where + ".confidence_pointer")) {
        if (check_pointer(*pointer, where + ".confidence_pointer", *text)) {
          request.confidence_pointer = *text;
        }
      }
    }
    if (const toml::node* scale = table->get("confidence_scale")) {
      const auto value = number_of(*scale, where + ".confidence_scale");
      if (value && *value <= 0) {
        problem(line_of(*scale), where + ".confidence_scale must be greater than 0");
      }
      request.confidence_scale = value.value_or(1);
      if (pointer == nullptr) {
        problem(line_of(*scale), where + ".confidence_scale needs confidence_pointer");
      }
    }
    if (const toml::node* follow = table->get("follow")) {
      request.follow = read_follow(where + ".follow", *follow, spec);
    }
    auto add_fields = [&request](const Template& text) {
      for (const std::string& name : text.placeholders) {
        if (std::find(request.fields.begin(), request.fields.end(), name) == request.fields.end()) {
          request.fields.push_back(name);
        }
      }
    };
    add_fields(request.path);
    for (const auto& [name, value] : request.query) {
      add_fields(value);
    }
    if (request.body) {
      add_fields(*request.body);
    }
    if (request.fields.empty() && problems_.size() == before) {
      problem(line_of(node), where + " uses no query field; a lookup must send something about "
                                     "the lead, e.g. path = \"/users/{github_login}\"");
    }
    if (problems_.size() != before) {
      return std::nullopt;
    }
    return request;
  }

  std::optional<Follow> read_follow(const std::string& where, const toml::node& node,
                                    const Spec& spec) {
    const toml::table* table = table_of(node, where);
    if (table == nullptr) {
      return std::nullopt;
    }
    check_keys(*table, where, {"pointer", "as", "method", "path", "query"}, line_of(node));
    Follow follow;
    if (const toml::node* pointer = table->get("pointer")) {
      if (const auto text = string_of(*pointer, where + ".pointer")) {
        if (check_pointer(*pointer, where + ".pointer", *text)) {
          follow.pointer = *text;
        }
      }
    } else {
      problem(line_of(node), where + ": pointer is missing (where the first response holds the "
                                     "value, e.g. \"/items/0/login\")");
    }
    if (const toml::node* as = table->get("as")) {
      follow.as = string_of(*as, where + ".as").value_or("");
      const auto& names = query_field_names();
      if (follow.as.empty() || follow.as.find_first_not_of(
                                   "abcdefghijklmnopqrstuvwxyz0123456789_") != std::string::npos) {
        problem(line_of(*as), where + ".as must be a name of lower-case letters, digits and _");
      } else if (std::find(names.begin(), names.end(), follow.as) != names.end()) {
        problem(line_of(*as), where + ".as \"" + follow.as +
                                  "\" is a query field name; pick another, e.g. \"login\"");
      }
    } else {
      problem(line_of(node), where + ": as is missing (the placeholder name for the value)");
    }
    if (const toml::node* method = table->get("method")) {
      follow.method = method_of(*method, where + ".method").value_or("GET");
    }
    auto allowed = sendable(spec);
    allowed.push_back(follow.as);
    const std::string hint = "is neither the follow value {" + follow.as + "} nor in send_fields";
    if (const toml::node* path = table->get("path")) {
      if (auto text = read_template(*path, where + ".path", allowed, hint)) {
        if (text->text.empty() || text->text.front() != '/') {
          problem(line_of(*path), where + ".path must start with '/' (it is appended to url)");
        }
        follow.path = std::move(*text);
      }
    } else {
      problem(line_of(node), where + ": path is missing, e.g. path = \"/users/{login}\"");
    }
    if (const toml::node* query = table->get("query")) {
      follow.query = read_query(*query, where + ".query", allowed, hint);
    }
    return follow;
  }

  std::optional<FieldRule> read_field(const std::string& where, const toml::node& node) {
    const toml::table* table = table_of(node, where);
    if (table == nullptr) {
      return std::nullopt;
    }
    const std::size_t before = problems_.size();
    check_keys(*table, where, {"pointer", "field", "prefix", "strip_scheme", "strip_at"},
               line_of(node));
    FieldRule rule;
    if (const toml::node* pointer = table->get("pointer")) {
      if (const auto text = string_of(*pointer, where + ".pointer")) {
        if (check_pointer(*pointer, where + ".pointer", *text)) {
          rule.pointer = *text;
        }
      }
    } else {
      problem(line_of(node), where + ": pointer is missing, e.g. pointer = \"/html_url\"");
    }
    if (const toml::node* field = table->get("field")) {
      if (const auto text = string_of(*field, where + ".field")) {
        const auto& fields = our_fields();
        if (std::find(fields.begin(), fields.end(), *text) == fields.end()) {
          const auto suggestion = text::closest_match(*text, fields, 4);
          problem(line_of(*field),
                  where + ".field \"" + *text + "\" is not an enrichable field" +
                      (suggestion.empty() ? "; use one of: " + text::join(fields, ", ")
                                          : "; did you mean \"" + std::string(suggestion) + "\"?"));
        }
        rule.field = *text;
      }
    } else {
      problem(line_of(node), where + ": field is missing, e.g. field = \"social.github_url\"");
    }
    if (const toml::node* prefix = table->get("prefix")) {
      rule.prefix = string_of(*prefix, where + ".prefix").value_or("");
    }
    if (const toml::node* strip = table->get("strip_scheme")) {
      rule.strip_scheme = bool_of(*strip, where + ".strip_scheme").value_or(false);
    }
    if (const toml::node* strip = table->get("strip_at")) {
      rule.strip_at = bool_of(*strip, where + ".strip_at").value_or(false);
    }
    if (problems_.size() != before) {
      return std::nullopt;
    }
    return rule;
  }

  std::vector<Problem>& problems_;
};

} // namespace

Template split_template(const std::string& text) {
  Template result;
  result.text = text;
  std::string literal;
  std::size_t at = 0;
  while (at < text.size()) {
    if (text[at] == '{') {
      const auto close = text.find('}', at + 1);
      const std::string name =
          close == std::string::npos ? std::string{} : text.substr(at + 1, close - at - 1);
      if (!name.empty() &&
          name.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789_") == std::string::npos) {
        if (!literal.empty()) {
          result.pieces.push_back(Template::Piece{.placeholder = false, .text = literal});
          literal.clear();
        }
        result.pieces.push_back(Template::Piece{.placeholder = true, .text = name});
        if (std::find(result.placeholders.begin(), result.placeholders.end(), name) ==
            result.placeholders.end()) {
          result.placeholders.push_back(name);
        }
        at = close + 1;
        continue;
      }
    }
    literal += text[at];
    ++at;
  }
  if (!literal.empty()) {
    result.pieces.push_back(Template::Piece{.placeholder = false, .text = literal});
  }
  return result;
}

const std::vector<std::string_view>& query_field_names() {
  static const std::vector<std::string_view> names = {
      "email",  "phone",        "first_name", "last_name",   "company_name",
      "domain", "linkedin_url", "x_handle",   "github_login"};
  return names;
}

bool is_personal_field(std::string_view name) {
  return name != "company_name" && name != "domain";
}

std::string query_field(const Query& query, std::string_view name) {
  if (name == "email") {
    return query.email;
  }
  if (name == "phone") {
    return query.phone;
  }
  if (name == "first_name") {
    return query.first_name;
  }
  if (name == "last_name") {
    return query.last_name;
  }
  if (name == "company_name") {
    return query.company_name;
  }
  if (name == "domain") {
    return query.domain;
  }
  if (name == "linkedin_url") {
    return query.linkedin_url;
  }
  if (name == "x_handle") {
    return query.x_handle;
  }
  if (name == "github_login") {
    return query.github_login;
  }
  return {};
}

Result<Spec> parse_spec(const std::string& text, const std::string& label,
                        const std::string& provider) {
  std::vector<Problem> problems;
  Spec spec;
  try {
    const toml::table root = toml::parse(text, label);
    spec = Loader(problems).read(root);
  } catch (const toml::parse_error& error) {
    problems.push_back(Problem{static_cast<int>(error.source().begin.line),
                               "syntax error: " + std::string(error.description())});
  }
  if (problems.empty()) {
    return spec;
  }
  std::stable_sort(problems.begin(), problems.end(),
                   [](const Problem& a, const Problem& b) { return a.line < b.line; });
  std::string message = "spec " + label + " has " + std::to_string(problems.size()) +
                        (problems.size() == 1 ? " problem" : " problems") +
                        "; fix the file (mappings/social-github.toml documents every key):";
  for (const Problem& item : problems) {
    message += "\n  " + label + ":" + std::to_string(item.line) + ": " + item.text;
  }
  return support::config_error(provider, message);
}

Result<Spec> load_spec(const std::filesystem::path& path, const std::string& label,
                       const std::string& provider) {
  std::error_code ignored;
  if (!std::filesystem::exists(path, ignored)) {
    return support::config_error(provider, "spec file " + path.string() +
                                               " cannot be read: it does not exist; check the "
                                               "spec key (relative paths resolve against the "
                                               "config's folder)");
  }
  // Bounded, regular files only (issue 18): a spec pointed at /dev/zero fails at once.
  auto content = read_regular_file(path, mapping_file_limit,
                                   FileReadPurpose{.what = "spec file",
                                                   .remedy = "check the spec key (relative paths "
                                                             "resolve against the config's "
                                                             "folder)"});
  if (!content) {
    return support::config_error(provider, content.error().message);
  }
  return parse_spec(*content, label, provider);
}

} // namespace leadsync::enrich::providers::http_json
