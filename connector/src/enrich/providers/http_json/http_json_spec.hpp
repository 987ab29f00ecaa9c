#pragma once
// The http_json provider's spec: what mappings/social-github.toml documents, loaded and checked.

#include "leadsync/core/result.hpp"
#include "leadsync/enrich/provider.hpp"
#include "leadsync/http/headers.hpp"
#include "providers/detail/http_support.hpp"

#include <filesystem>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

namespace leadsync::enrich::providers::http_json {

// A text with {name} placeholders (name: lower-case letters, digits, '_'). Other braces are literal
// text, so a JSON body template like '{"email": "{email}"}' works.
struct Template {
  struct Piece {
    bool placeholder = false;
    std::string text; // the literal text, or the placeholder's name
  };
  std::string text;
  std::vector<Piece> pieces;
  std::vector<std::string> placeholders; // in order of appearance, without duplicates
};
// Splits a template text into literal text and placeholders.
Template split_template(const std::string& text);

struct FieldRule {
  std::string pointer;
  std::string field;
  std::string prefix;
  bool strip_scheme = false;
  bool strip_at = false;
};

struct Follow {
  std::string pointer;
  std::string as; // the placeholder name the value is given
  std::string method = "GET";
  Template path;
  std::vector<std::pair<std::string, Template>> query;
};

struct RequestTemplate {
  std::string method = "GET";
  Template path;
  std::vector<std::pair<std::string, Template>> query;
  std::optional<Template> body;
  std::optional<double> fixed_confidence;
  std::string confidence_pointer;
  double confidence_scale = 1;
  std::optional<Follow> follow;
  // Every query field this template needs (path, query, body; not the follow's own value).
  std::vector<std::string> fields;
};

struct GroupSpec {
  std::vector<RequestTemplate> requests;
  std::vector<FieldRule> fields;
};

struct Spec {
  std::set<std::string> send_fields;
  std::string auth_header_name; // empty: no auth header
  Template auth_header_value;
  bool auth_required = true;
  http::Headers headers;
  std::set<int> no_match{404};
  std::set<int> pending;
  std::set<int> invalid_input;
  std::set<int> throttled{429};
  std::set<int> throttled_when_exhausted;
  support::RateHeaderNames rate{.limit = {},
                                .remaining = {},
                                .reset = {},
                                .retry_after = "retry-after",
                                .reset_unit = support::ResetUnit::automatic};
  std::int64_t credits_per_match = 1;
  std::int64_t credits_per_no_match = 0;
  std::map<FieldGroup, GroupSpec> groups;
};

// The query fields a template may name.
const std::vector<std::string_view>& query_field_names();
bool is_personal_field(std::string_view name);
// The value of a query field by name ("email" -> query.email).
std::string query_field(const Query& query, std::string_view name);

// Reads and checks a spec. `label` names the file in problems ("mappings/social-github.toml:12:
// ..."). On failure the error (category config) lists every problem with its line.
Result<Spec> parse_spec(const std::string& text, const std::string& label,
                        const std::string& provider);
Result<Spec> load_spec(const std::filesystem::path& path, const std::string& label,
                       const std::string& provider);

} // namespace leadsync::enrich::providers::http_json
