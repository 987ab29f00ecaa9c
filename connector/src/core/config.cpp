#include "leadsync/core/config.hpp"

#include "detail/config_checks.hpp"
#include "detail/default_config.hpp"
#include "leadsync/core/bounded_read.hpp"
#include "leadsync/core/text.hpp"
#include "leadsync/core/toml_problems.hpp"

#include <algorithm>
#include <cctype>
#include <functional>
#include <limits>
#include <system_error>
#include <utility>
#include <variant>

namespace leadsync::config {
namespace {

// A field that takes "auto" (stored as 0) or an integer.
struct AutoOrInteger {
  int* value;
};

// A field that takes one of a few words (an enum of config.hpp), parsed as it is read.
struct Word {
  // Stores the value the word names; else returns the problem (the parse_* function's message).
  std::function<std::optional<std::string>(std::string_view)> assign;
};

template <class Enum> Word word(Enum* field, Result<Enum> (*parse)(std::string_view)) {
  return {[field, parse](std::string_view text) -> std::optional<std::string> {
    auto parsed = parse(text);
    if (!parsed.ok()) {
      return parsed.error().message;
    }
    *field = parsed.value();
    return std::nullopt;
  }};
}

using Target = std::variant<std::string*, int*, bool*, std::vector<std::string>*, AutoOrInteger,
                            double*, std::int64_t*, Word>;

struct Field {
  std::string_view name;
  Target target;
};

struct Section {
  std::string path; // dotted, e.g. "crm.auth"; "enrich.provider[0]" for one [[enrich.provider]]
  std::vector<Field> fields;
  std::vector<std::string_view> subsections;
};

// The file's schema, bound to the fields of `config` it fills. Keys map 1:1 to struct members.
// [enrich.merge] (a free-form field -> policy table) and [[enrich.provider]] (an array of tables,
// each bound by bind_provider()) are read by Reader itself.
std::vector<Section> bind_schema(Config& config) {
  auto& crm = config.crm;
  auto& auth = crm.auth;
  auto& enrich = config.enrich;
  return {
      {"crm",
       {{"url", &crm.url},
        {"api_version", &crm.api_version},
        {"alternate_key", &crm.alternate_key},
        {"custom_prefix", &crm.custom_prefix},
        {"timeout_s", &crm.timeout_s}},
       {"auth", "tls"}},
      {"crm.auth",
       {{"mode", word(&auth.mode, parse_auth_mode)},
        {"tenant", &auth.tenant},
        {"client_id", &auth.client_id},
        {"client_secret_file", &auth.client_secret.file},
        {"client_secret_env", &auth.client_secret.env},
        {"token_file", &auth.token.file},
        {"token_env", &auth.token.env},
        {"authority", &auth.authority},
        {"scope", &auth.scope}},
       {}},
      {"crm.tls",
       {{"ca_file", &crm.tls.ca_file}, {"insecure_skip_verify", &crm.tls.insecure_skip_verify}},
       {}},
      {"store", {{"url", &config.store.url}}, {}},
      {"push",
       {{"mode", word(&config.push.mode, parse_push_mode)},
        {"batch_size", &config.push.batch_size},
        {"max_parallel", AutoOrInteger{&config.push.max_parallel}}},
       {}},
      {"pull", {{"crm_owned_fields", &config.pull.crm_owned_fields}}, {}},
      {"import",
       {{"default_region", &config.import.default_region},
        {"unmapped_columns", word(&config.import.unmapped_columns, parse_unmapped_columns)}},
       {}},
      {"mapping",
       {{"lead", &config.mapping.lead}, {"import_columns", &config.mapping.import_columns}},
       {}},
      {"qualify",
       {{"rules", &config.qualify.rules},
        {"write_predictive_score", &config.qualify.write_predictive_score},
        {"reactivate_when_hot", &config.qualify.reactivate_when_hot}},
       {}},
      {"enrich",
       {{"wanted_fields", &enrich.wanted_fields},
        {"min_confidence", &enrich.min_confidence},
        {"pay_on_match_first", &enrich.pay_on_match_first},
        {"consent_blocking_flags", &enrich.consent_blocking_flags},
        {"require_lawful_basis", &enrich.require_lawful_basis},
        {"blocked_regions", &enrich.blocked_regions},
        {"pending_retry_s", &enrich.pending_retry_s}},
       {"merge", "provider"}},
      {"schedule",
       {{"timezone", &config.schedule.timezone},
        {"pull", &config.schedule.pull},
        {"push", &config.schedule.push},
        {"enrich", &config.schedule.enrich},
        {"qualify", &config.schedule.qualify},
        {"import_watch", &config.schedule.import_watch},
        {"import_watch_settle_s", &config.schedule.import_watch_settle_s}},
       {}},
      {"server",
       {{"listen", &config.server.listen},
        {"webhook_auth", word(&config.server.webhook_auth, parse_webhook_auth)},
        {"webhook_header", &config.server.webhook_header},
        {"webhook_key_env", &config.server.webhook_key_env},
        {"webhook_key_file", &config.server.webhook_key_file},
        {"body_limit_kb", &config.server.body_limit_kb},
        {"shutdown_grace_s", &config.server.shutdown_grace_s},
        {"webhook_lease_s", &config.server.webhook_lease_s},
        {"webhook_max_attempts", &config.server.webhook_max_attempts}},
       {}},
      {"log",
       {{"level", word(&config.log.level, parse_log_level)},
        {"format", word(&config.log.format, parse_log_format)},
        {"redact_pii", &config.log.redact_pii}},
       {}},
  };
}

constexpr std::string_view provider_heading = "[[enrich.provider]]";

// The keys of one [[enrich.provider]] table, bound to `provider`.
Section bind_provider(std::string path, EnrichProviderOptions& provider) {
  return {std::move(path),
          {{"name", &provider.name},
           {"kind", &provider.kind},
           {"url", &provider.url},
           {"api_key_file", &provider.api_key.file},
           {"api_key_env", &provider.api_key.env},
           {"rate_limit_per_min", &provider.rate_limit_per_min},
           {"daily_quota", &provider.daily_quota},
           {"monthly_quota", &provider.monthly_quota},
           {"charges", &provider.charges},
           {"credit_budget_per_run", &provider.credit_budget_per_run},
           {"credit_budget_per_day", &provider.credit_budget_per_day},
           {"cache_ttl_days", &provider.cache_ttl_days},
           {"min_confidence", &provider.min_confidence},
           {"groups", &provider.groups},
           {"timeout_s", &provider.timeout_s},
           {"batch_size", &provider.batch_size},
           {"folder", &provider.folder},
           {"spec", &provider.spec}},
          {}};
}

bool is_provider_section(const Section& section) {
  return section.path.starts_with("enrich.provider[");
}

// "[crm.auth]", or "[[enrich.provider]]" for one provider table.
std::string heading_of(const Section& section) {
  return is_provider_section(section) ? std::string(provider_heading) : "[" + section.path + "]";
}

std::string to_lower(std::string_view text) {
  return text::ascii_lower(text);
}

// " (did you mean 'x'?)" for the closest candidate within edit distance 2, else "; known keys:
// ...".
std::string suggestion(std::string_view name, const std::vector<std::string_view>& candidates,
                       std::string_view what) {
  constexpr std::size_t max_distance = 2;
  // No key is longer: the edit distance of a megabyte name to every candidate takes seconds.
  constexpr std::size_t longest_key = 64;
  if (name.size() <= longest_key) {
    if (auto hint = did_you_mean(to_lower(name), candidates, max_distance); !hint.empty()) {
      return hint;
    }
  }
  std::string known = "; known " + std::string(what) + ": ";
  for (std::size_t i = 0; i < candidates.size(); ++i) {
    known += (i == 0 ? "" : ", ") + std::string(candidates[i]);
  }
  return known;
}

// A key from the file in a message: as written when short, else an excerpt (issue 18).
std::string quote_key(std::string_view key) {
  return key.size() <= detail::quoted_value_limit ? "'" + std::string(key) + "'"
                                                  : detail::quoted_excerpt(key);
}

bool is_literal_secret_key(std::string_view key) {
  static constexpr std::string_view secret_keys[] = {
      "client_secret", "token", "access_token", "password", "secret", "api_key", "webhook_key"};
  const std::string lower = to_lower(key);
  return std::find(std::begin(secret_keys), std::end(secret_keys), lower) != std::end(secret_keys);
}

// In a provider table a bare `key` is the API key too.
bool is_literal_secret_key(const Section& section, std::string_view key) {
  return is_literal_secret_key(key) || (is_provider_section(section) && to_lower(key) == "key");
}

constexpr std::string_view pgpass_advice =
    "Put the PostgreSQL password in ~/.pgpass of the user leadsync runs as (a line "
    "HOST:PORT:DB:USER:PASSWORD, chmod 600) or in a file named by the PGPASSFILE environment "
    "variable.";

std::string move_to_file_or_env(std::string_view ref, std::string_view file, std::string_view env) {
  const std::string file_key = std::string(ref) + "_file";
  const std::string env_key = std::string(ref) + "_env";
  return "a secret may not be written in the config file. Put it in a file only leadsync can read "
         "(printf '%s' 'VALUE' > " +
         std::string(file) + " && chmod 600 " + std::string(file) + ") and set " + file_key +
         " = \"" + std::string(file) + "\", or export " + std::string(env) + " and set " + env_key +
         " = \"" + std::string(env) + "\".";
}

// The example file and variable a provider's API key is moved to: /etc/leadsync/pdl_api_key and
// LEADSYNC_PDL_API_KEY for the provider named "pdl".
std::string provider_key_message(std::string_view section, std::string_view provider_name) {
  const bool usable =
      !provider_name.empty() && std::all_of(provider_name.begin(), provider_name.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
      });
  std::string file_stem(usable ? provider_name : "provider");
  std::replace(file_stem.begin(), file_stem.end(), '-', '_');
  const std::string env = text::ascii_upper("LEADSYNC_" + file_stem + "_API_KEY");
  return move_to_file_or_env(std::string(section) + ".api_key",
                             "/etc/leadsync/" + file_stem + "_api_key", env);
}

// How to move a secret written at `section`.`key` to where leadsync reads it. Never includes the
// value. `provider_name` is the name of the [[enrich.provider]] table `section` is, if any.
std::string literal_secret_message(std::string_view section, std::string_view key,
                                   std::string_view provider_name = "") {
  const std::string lower = to_lower(key);
  if (section.starts_with("enrich.provider[")) {
    return provider_key_message(section, provider_name);
  }
  if (section == "enrich") {
    return "a secret may not be written in the config file. A provider's API key goes in a file "
           "only leadsync can read (chmod 600) or in an environment variable, named by "
           "api_key_file "
           "or api_key_env in that provider's [[enrich.provider]] table.";
  }
  if (section == "crm.auth" &&
      (lower == "client_secret" || lower == "secret" || lower == "password")) {
    return move_to_file_or_env("crm.auth.client_secret", "/etc/leadsync/client_secret",
                               "LEADSYNC_CLIENT_SECRET");
  }
  if (section == "crm.auth") {
    return move_to_file_or_env("crm.auth.token", "/etc/leadsync/crm_token", "LEADSYNC_CRM_TOKEN");
  }
  if (section == "server") {
    return move_to_file_or_env("server.webhook_key", "/etc/leadsync/webhook_key",
                               "LEADSYNC_WEBHOOK_KEY");
  }
  if (section == "store") {
    return "a secret may not be written in the config file. " + std::string(pgpass_advice);
  }
  return "a secret may not be written in the config file. Remove it: leadsync reads secrets only "
         "from files or environment variables (crm.auth.client_secret_file / "
         "crm.auth.client_secret_env, crm.auth.token_file / crm.auth.token_env, "
         "server.webhook_key_file / server.webhook_key_env, api_key_file / api_key_env in "
         "[[enrich.provider]]; ~/.pgpass for "
         "PostgreSQL).";
}

// postgresql://user:PASSWORD@host/db, or ?password=... which libpq also accepts.
bool store_url_has_password(std::string_view url) {
  if (to_lower(url.substr(0, 8)) != "postgres") {
    return false;
  }
  const auto scheme_end = url.find("://");
  if (scheme_end == std::string_view::npos) {
    return false;
  }
  const auto rest = url.substr(scheme_end + 3);
  const auto authority = rest.substr(0, rest.find_first_of("/?#"));
  const auto at = authority.rfind('@');
  if (at != std::string_view::npos && authority.substr(0, at).find(':') != std::string_view::npos) {
    return true;
  }
  const auto query = rest.find('?');
  if (query == std::string_view::npos) {
    return false;
  }
  const std::string parameters = "&" + to_lower(rest.substr(query + 1));
  return parameters.find("&password=") != std::string::npos;
}

class Reader {
public:
  explicit Reader(LoadedConfig& loaded) : loaded_(loaded), schema_(bind_schema(loaded.config)) {}

  void read_root(const toml::table& root) {
    std::vector<std::string_view> top_level;
    for (const auto& section : schema_) {
      if (section.path.find('.') == std::string_view::npos) {
        top_level.push_back(section.path);
      }
    }
    for (const auto& [toml_key, node] : root) {
      const std::string key(toml_key.str());
      const int line = line_of(toml_key, node);
      loaded_.key_lines[key] = line;
      const Section* section = key.find('.') == std::string::npos ? find_section(key) : nullptr;
      if (section != nullptr) {
        read_table(*section, node, line);
      } else if (!node.is_table() && is_literal_secret_key(key)) {
        add(key, line, literal_secret_message("", key));
      } else if (node.is_table()) {
        add(key, line,
            "unknown section " +
                (key.size() <= detail::quoted_value_limit ? "[" + key + "]" : quote_key(key)) +
                suggestion(key, top_level, "sections"));
      } else {
        add(key, line,
            "unknown key " + quote_key(key) + " outside any section; " + sections_holding(key));
      }
    }
    // Region codes are compared upper-case; "de" means "DE". validate() checks their form.
    for (auto& region : loaded_.config.enrich.blocked_regions) {
      region = text::ascii_upper(region);
    }
  }

private:
  // Where a key written outside any section probably belongs.
  std::string sections_holding(std::string_view name) const {
    std::string holders;
    for (const auto& section : schema_) {
      const bool holds = std::any_of(section.fields.begin(), section.fields.end(),
                                     [&](const Field& field) { return field.name == name; });
      if (holds) {
        holders += (holders.empty() ? "[" : " or [") + std::string(section.path) + "]";
      }
    }
    return holders.empty() ? "keys belong in a section such as [crm]"
                           : "did you mean to put it under " + holders + "?";
  }

  const Section* find_section(std::string_view path) const {
    const auto found = std::find_if(schema_.begin(), schema_.end(),
                                    [&](const Section& section) { return section.path == path; });
    return found == schema_.end() ? nullptr : &*found;
  }

  void add(std::string key, int line, std::string message) {
    if (key.size() > detail::quoted_value_limit) { // a key of megabytes is shown by its start
      key = key.substr(0, detail::quoted_excerpt_length) + "...";
    }
    loaded_.problems.push_back(
        Problem{std::move(key), line, std::move(message), loaded_.config.source_file});
  }

  void read_table(const Section& section, const toml::node& node, int line) {
    const toml::table* table = node.as_table();
    if (table == nullptr) {
      add(section.path, line,
          "expected a table (" + heading_of(section) + "), got " +
              std::string(type_name(node.type())));
      return;
    }
    const std::string provider_name = table->get_as<std::string>("name") != nullptr
                                          ? table->get_as<std::string>("name")->get()
                                          : std::string();
    for (const auto& [toml_key, child] : *table) {
      const std::string name(toml_key.str());
      const std::string key = section.path + "." + name;
      const int child_line = line_of(toml_key, child);
      loaded_.key_lines[key] = child_line;
      const auto field = std::find_if(section.fields.begin(), section.fields.end(),
                                      [&](const Field& f) { return f.name == name; });
      if (field != section.fields.end()) {
        assign(key, child_line, child, field->target);
      } else if (key == "enrich.merge") {
        read_merge("", child, child_line);
      } else if (key == "enrich.provider") {
        read_providers(child, child_line);
      } else if (std::find(section.subsections.begin(), section.subsections.end(), name) !=
                 section.subsections.end()) {
        read_table(*find_section(key), child, child_line);
      } else if (!child.is_table() && is_literal_secret_key(section, name)) {
        add(key, child_line, literal_secret_message(section.path, name, provider_name));
      } else {
        add(key, child_line, unknown_key_message(section, name, child.is_table()));
      }
    }
  }

  // [enrich.merge]: field path -> policy. A dotted key (person.email = "never") makes nested
  // tables in TOML; they are flattened back into the path, so it means the same as the quoted
  // "person.email" = "never". The policies themselves are checked by validate().
  // `prefix` is the field path of a nested table with its dot ("person."), "" at the top.
  void read_merge(const std::string& prefix, const toml::node& node, int line) {
    const toml::table* table = node.as_table();
    if (table == nullptr) {
      add("enrich.merge", line,
          "expected a table ([enrich.merge]) of field = policy, got " +
              std::string(type_name(node.type())));
      return;
    }
    for (const auto& [toml_key, child] : *table) {
      const std::string field = prefix + std::string(toml_key.str());
      const std::string child_key = "enrich.merge." + field;
      const int child_line = line_of(toml_key, child);
      loaded_.key_lines[child_key] = child_line;
      if (child.is_table()) {
        read_merge(field + ".", child, child_line);
      } else if (is_literal_secret_key(field)) {
        add(child_key, child_line, literal_secret_message("enrich", field));
      } else if (const auto* policy = child.as_string()) {
        loaded_.config.enrich.merge[field] = policy->get();
      } else {
        wrong_type(child_key, child_line,
                   "a string (\"fill_empty\", \"overwrite_if_more_confident\" or \"never\")",
                   child);
      }
    }
  }

  // [[enrich.provider]]: one EnrichProviderOptions per table, in file order, keyed
  // "enrich.provider[<0-based index>]".
  void read_providers(const toml::node& node, int line) {
    const toml::array* array = node.as_array();
    if (array == nullptr) {
      add("enrich.provider", line,
          "expected an array of tables ([[enrich.provider]], with two brackets), got " +
              std::string(type_name(node.type())));
      return;
    }
    auto& providers = loaded_.config.enrich.providers;
    providers.clear();
    for (std::size_t i = 0; i < array->size(); ++i) {
      const toml::node& element = *array->get(i);
      const std::string path = "enrich.provider[" + std::to_string(i) + "]";
      const auto element_line = static_cast<int>(element.source().begin.line);
      const int table_line = element_line != 0 ? element_line : line;
      loaded_.key_lines[path] = table_line;
      if (!element.is_table()) {
        add(path, table_line,
            "expected a table ([[enrich.provider]]), got " +
                std::string(type_name(element.type())));
        continue;
      }
      EnrichProviderOptions& provider = providers.emplace_back();
      read_table(bind_provider(path, provider), element, table_line);
      // What a kind charges for when the table does not say: PDL bills a match, Clearbit every
      // request. Other kinds keep the struct's default.
      if (!element.as_table()->contains("charges") && provider.kind == "clearbit") {
        provider.charges = "request";
      }
    }
  }

  // Candidates of the same kind come first, so a misspelt table is matched to a table on a tie.
  static std::string unknown_key_message(const Section& section, std::string_view name,
                                         bool is_table) {
    std::vector<std::string_view> known;
    for (const auto& field : section.fields) {
      known.push_back(field.name);
    }
    known.insert(is_table ? known.begin() : known.end(), section.subsections.begin(),
                 section.subsections.end());
    return "unknown key " + quote_key(name) + " in " + heading_of(section) +
           suggestion(name, known, "keys");
  }

  void wrong_type(const std::string& key, int line, std::string_view expected,
                  const toml::node& node) {
    add(key, line,
        "expected " + std::string(expected) + ", got " + std::string(type_name(node.type())));
  }

  void assign(const std::string& key, int line, const toml::node& node, const Target& target) {
    if (const auto* text = std::get_if<std::string*>(&target)) {
      if (const auto* value = node.as_string()) {
        **text = value->get();
        if (key == "store.url" && store_url_has_password(**text)) {
          add(key, line,
              "a password may not be written in the config file. Remove it from the URL "
              "(postgresql://USER@HOST/DB). " +
                  std::string(pgpass_advice));
        }
      } else {
        wrong_type(key, line, "a string", node);
      }
    } else if (const auto* number = std::get_if<int*>(&target)) {
      assign_integer(key, line, node, **number);
    } else if (const auto* flag = std::get_if<bool*>(&target)) {
      if (const auto* value = node.as_boolean()) {
        **flag = value->get();
      } else {
        wrong_type(key, line, "a boolean (true or false)", node);
      }
    } else if (const auto* list = std::get_if<std::vector<std::string>*>(&target)) {
      assign_string_list(key, line, node, **list);
    } else if (const auto* real = std::get_if<double*>(&target)) {
      if (const auto* value = node.as_floating_point()) {
        **real = value->get();
      } else if (const auto* whole = node.as_integer()) {
        **real = static_cast<double>(whole->get());
      } else {
        wrong_type(key, line, "a number", node);
      }
    } else if (const auto* big = std::get_if<std::int64_t*>(&target)) {
      if (const auto* value = node.as_integer()) {
        **big = value->get();
      } else {
        wrong_type(key, line, "an integer", node);
      }
    } else if (const auto* choice = std::get_if<Word>(&target)) {
      if (const auto* value = node.as_string()) {
        if (auto problem = choice->assign(value->get())) {
          add(key, line, std::move(*problem));
        }
      } else {
        wrong_type(key, line, "a string", node);
      }
    } else {
      assign_auto_or_integer(key, line, node, *std::get<AutoOrInteger>(target).value);
    }
  }

  void assign_integer(const std::string& key, int line, const toml::node& node, int& out) {
    const auto* value = node.as_integer();
    if (value == nullptr) {
      wrong_type(key, line, "an integer", node);
      return;
    }
    if (value->get() < std::numeric_limits<int>::min() ||
        value->get() > std::numeric_limits<int>::max()) {
      add(key, line, "is far out of range (got " + std::to_string(value->get()) + ")");
      return;
    }
    out = static_cast<int>(value->get());
  }

  void assign_auto_or_integer(const std::string& key, int line, const toml::node& node, int& out) {
    if (const auto* text = node.as_string()) {
      if (text->get() == "auto") {
        out = 0;
      } else {
        add(key, line,
            "must be \"auto\" or an integer (got " + detail::quoted_excerpt(text->get()) + ")");
      }
    } else if (node.is_integer()) {
      assign_integer(key, line, node, out);
    } else {
      wrong_type(key, line, "\"auto\" or an integer", node);
    }
  }

  void assign_string_list(const std::string& key, int line, const toml::node& node,
                          std::vector<std::string>& out) {
    const auto* array = node.as_array();
    if (array == nullptr) {
      wrong_type(key, line, "an array of strings", node);
      return;
    }
    out.clear();
    for (std::size_t i = 0; i < array->size(); ++i) {
      const toml::node& element = *array->get(i);
      const auto element_line = static_cast<int>(element.source().begin.line);
      if (const auto* value = element.as_string()) {
        // "key[i]" is the line of the i-th value kept, for validate()'s checks of single values.
        loaded_.key_lines[key + "[" + std::to_string(out.size()) + "]"] =
            element_line != 0 ? element_line : line;
        out.push_back(value->get());
      } else {
        add(key, element_line != 0 ? element_line : line,
            "element " + std::to_string(i + 1) + ": expected a string, got " +
                std::string(type_name(element.type())));
      }
    }
  }

  LoadedConfig& loaded_;
  std::vector<Section> schema_;
};

} // namespace

std::string Problem::describe() const {
  std::string text = file.string();
  if (line > 0) {
    text += text.empty() ? "line " + std::to_string(line) : ":" + std::to_string(line);
  }
  if (!text.empty()) {
    text += ": ";
  }
  if (!key.empty()) {
    text += key + ": ";
  }
  return text + message;
}

LoadedConfig load_config_text(const std::string& text, const std::filesystem::path& name) {
  LoadedConfig loaded;
  loaded.config.source_file = name;
  loaded.config.base_dir = name.parent_path();
  parse_toml(text, name, loaded.problems,
             [&loaded](const toml::table& root) { Reader(loaded).read_root(root); });
  return loaded;
}

Result<LoadedConfig> load_config(const std::filesystem::path& file) {
  LEADSYNC_TRY(std::string content,
               read_toml_file(file, config_file_limit,
                              "config file " + file.string() +
                                  " does not exist; create one with `leadsync init` or name "
                                  "another with --config FILE",
                              FileReadPurpose{.what = "config file",
                                              .remedy = "name a readable file of leadsync "
                                                        "settings with --config FILE, or "
                                                        "create one with `leadsync init`"}));
  LoadedConfig loaded = load_config_text(content, file);
  std::error_code ec;
  loaded.config.base_dir = std::filesystem::absolute(file, ec).parent_path();
  return loaded;
}

std::vector<Problem> validate(const LoadedConfig& loaded) {
  std::vector<Problem> problems = loaded.problems;
  // A syntax error (the only problem recorded without a key) leaves nothing of the file to check:
  // semantic problems of the defaults would only mislead.
  const bool syntax_error = std::any_of(problems.begin(), problems.end(),
                                        [](const Problem& problem) { return problem.key.empty(); });
  if (!syntax_error) {
    detail::check_semantics(loaded, problems);
  }
  // Top to bottom through the file; problems of keys that are missing (line 0) last.
  std::stable_sort(problems.begin(), problems.end(), [](const Problem& a, const Problem& b) {
    return std::pair(a.line == 0, a.line) < std::pair(b.line == 0, b.line);
  });
  return problems;
}

std::string default_config_text() {
  return std::string(detail::default_config_template);
}

std::filesystem::path resolve_path(const Config& config, const std::string& path) {
  std::filesystem::path given(path); // not const: returned, so moved
  if (given.empty() || given.is_absolute()) {
    return given;
  }
  return config.base_dir / given;
}

} // namespace leadsync::config
