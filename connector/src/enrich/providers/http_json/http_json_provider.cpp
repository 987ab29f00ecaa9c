// A REST API described by a TOML spec (kind "http_json"). The spec format is documented key by key
// in mappings/social-github.toml; http_json_spec.cpp reads and checks it.
//
// A lookup tries the group's request templates in order. A template is skipped when one of its
// placeholders is empty for the query (or personal and consent forbids it). A "no match" status
// (or a follow pointer that finds nothing) moves on to the next template; a match, pending,
// invalid input or an error ends the lookup. Confidence is the template's fixed value, or the
// value at confidence_pointer divided by confidence_scale (clamped to 0..1); raw_confidence is the
// fixed value or the API's own score.

#include "leadsync/enrich/providers/builtin.hpp"
#include "providers/detail/answers.hpp"
#include "providers/detail/http_support.hpp"
#include "providers/http_json/http_json_spec.hpp"

#include <algorithm>
#include <nlohmann/json.hpp>

namespace leadsync::enrich::providers {
namespace {

using http_json::Follow;
using http_json::RequestTemplate;
using http_json::Spec;
using http_json::Template;
using support::Sender;

using Values = std::vector<std::pair<std::string, std::string>>;

std::string value_of(const Values& values, const std::string& name) {
  for (const auto& [key, value] : values) {
    if (key == name) {
      return value;
    }
  }
  return {};
}

// Replaces each {name} by encode(value).
template <typename Encode>
std::string fill(const Template& text, const Values& values, Encode encode) {
  std::string out;
  for (const Template::Piece& piece : text.pieces) {
    out += piece.placeholder ? encode(value_of(values, piece.text)) : piece.text;
  }
  return out;
}

std::string raw(const std::string& value) {
  return value;
}
std::string path_encoded(const std::string& value) {
  return http::percent_encode(value);
}
std::string json_escaped(const std::string& value) {
  const std::string quoted = nlohmann::json(value).dump();
  return quoted.substr(1, quoted.size() - 2);
}

class HttpJsonProvider final : public Provider {
public:
  HttpJsonProvider(std::string name, std::string root, std::optional<Secret> key, Spec spec,
                   Sender sender, std::vector<FieldGroup> groups, const Clock* clock)
      : name_(std::move(name)), root_(std::move(root)), key_(std::move(key)),
        spec_(std::move(spec)), sender_(std::move(sender)), groups_(std::move(groups)),
        clock_(clock) {}

  const std::string& name() const override { return name_; }
  std::string_view kind() const override { return "http_json"; }
  Capabilities capabilities() const override {
    return Capabilities{
        .groups = groups_, .max_batch = 1, .bills_misses = spec_.credits_per_no_match > 0};
  }
  RateState rate_state() const override { return rate_.get(); }

  std::string lookup_key(const Query& query, FieldGroup group) const override {
    if (!support::serves(groups_, group)) {
      return {};
    }
    std::vector<std::string> parts;
    for (const RequestTemplate& request : spec_.groups.at(group).requests) {
      const auto values = usable(request, query);
      if (!values) {
        continue;
      }
      for (const auto& [name, value] : *values) {
        std::string part = name + ":" + value;
        if (std::find(parts.begin(), parts.end(), part) == parts.end()) {
          parts.push_back(std::move(part));
        }
      }
    }
    if (parts.empty()) {
      return {};
    }
    std::string key = std::string(to_string(group)) + "|";
    for (std::size_t i = 0; i < parts.size(); ++i) {
      key += (i == 0 ? "" : ",") + parts[i];
    }
    return key;
  }

  Result<Answer> lookup(const Query& query, FieldGroup group,
                        const http::CallContext& context) override {
    if (!support::serves(groups_, group)) {
      return Error::make(ErrorCategory::invalid_argument,
                         "enrich.provider '" + name_ + "' is not configured for the " +
                             std::string(to_string(group)) + " group");
    }
    const http_json::GroupSpec& described = spec_.groups.at(group);
    bool asked = false;
    for (const RequestTemplate& request : described.requests) {
      auto values = usable(request, query);
      if (!values) {
        continue;
      }
      asked = true;
      LEADSYNC_TRY(auto step, ask(request.method, request.path, request.query, request.body,
                                  *values, context));
      if (step.answer) {
        return std::move(*step.answer);
      }
      if (!step.document) {
        continue; // no match: the next template
      }
      const nlohmann::json* final_document = &*step.document;
      std::optional<Step> followed;
      if (request.follow) {
        const Follow& follow = *request.follow;
        const auto value = support::text_at(*step.document, follow.pointer);
        if (!value) {
          continue; // the search found nobody
        }
        values->emplace_back(follow.as, *value);
        LEADSYNC_TRY(auto next,
                     ask(follow.method, follow.path, follow.query, std::nullopt, *values, context));
        if (next.answer) {
          return std::move(*next.answer);
        }
        if (!next.document) {
          continue;
        }
        followed = std::move(next);
        final_document = &*followed->document;
      }
      return matched(request, described, *final_document);
    }
    if (!asked) {
      return Error::make(ErrorCategory::invalid_argument,
                         "enrich.provider '" + name_ + "': the query has nothing a " +
                             std::string(to_string(group)) +
                             " request of this spec can use (or consent forbids sending it)");
    }
    return support::empty_answer(Outcome::no_match, spec_.credits_per_no_match, std::nullopt, {});
  }

private:
  // The result of one exchange: an answer that ends the lookup, a document (2xx), or neither
  // (no match).
  struct Step {
    std::optional<Answer> answer;
    std::optional<nlohmann::json> document;
  };

  // The values of the template's fields, or nullopt when one is empty, not allowed, or personal
  // without consent.
  std::optional<Values> usable(const RequestTemplate& request, const Query& query) const {
    Values values;
    for (const std::string& name : request.fields) {
      if (!spec_.send_fields.contains(name) ||
          (http_json::is_personal_field(name) && !query.personal_allowed)) {
        return std::nullopt;
      }
      std::string value = http_json::query_field(query, name);
      if (value.empty()) {
        return std::nullopt;
      }
      values.emplace_back(name, std::move(value));
    }
    return values;
  }

  Result<Step> ask(const std::string& method, const Template& path,
                   const std::vector<std::pair<std::string, Template>>& query,
                   const std::optional<Template>& body, const Values& values,
                   const http::CallContext& context) {
    http::Request request;
    request.method = method;
    request.url = root_ + fill(path, values, path_encoded);
    http::QueryParams params;
    for (const auto& [name, value] : query) {
      params.emplace_back(name, fill(value, values, raw));
    }
    if (!params.empty()) {
      request.url += "?" + support::encode_query(params);
    }
    request.headers = spec_.headers;
    if (!spec_.auth_header_name.empty() && key_) {
      request.headers.set(spec_.auth_header_name,
                          fill(spec_.auth_header_value, {{"api_key", key_->reveal()}}, raw));
    }
    if (body) {
      request.body = fill(*body, values, json_escaped);
      if (!request.headers.has("Content-Type")) {
        request.headers.set("Content-Type", "application/json");
      }
    }
    if (!request.headers.has("Accept")) {
      request.headers.set("Accept", "application/json");
    }
    LEADSYNC_TRY(const http::Response response, sender_.send(std::move(request), context));
    const RateState rate =
        support::read_rate_state(response.headers, spec_.rate, support::wall_now(clock_));
    rate_.set(rate);
    const int status = response.status;
    if (spec_.no_match.contains(status)) {
      return Step{};
    }
    if (spec_.pending.contains(status)) {
      return Step{.answer = support::empty_answer(Outcome::pending, 0, rate.retry_after, {}),
                  .document = {}};
    }
    if (spec_.invalid_input.contains(status)) {
      std::string note = support::vendor_message(response.body);
      return Step{.answer =
                      support::empty_answer(Outcome::invalid_input, 0, std::nullopt,
                                            note.empty() ? "HTTP " + std::to_string(status) +
                                                               ": the provider refused the query"
                                                         : note),
                  .document = {}};
    }
    if (spec_.throttled.contains(status) ||
        (spec_.throttled_when_exhausted.contains(status) &&
         ((rate.remaining && *rate.remaining == 0) || rate.retry_after))) {
      Error error = support::status_error(name_, 429, response.body);
      error.http_status = status;
      return error;
    }
    if (status >= 200 && status <= 299) {
      auto document = support::parse_json(response.body);
      if (!document.ok()) {
        return support::protocol_error(name_, status, document.error().message);
      }
      return Step{.answer = std::nullopt, .document = std::move(document).value()};
    }
    return support::status_error(name_, status, response.body);
  }

  Result<Answer> matched(const RequestTemplate& request, const http_json::GroupSpec& described,
                         const nlohmann::json& document) const {
    Answer result =
        support::empty_answer(Outcome::matched, spec_.credits_per_match, std::nullopt, {});
    if (request.fixed_confidence) {
      result.raw_confidence = *request.fixed_confidence;
      result.confidence = *request.fixed_confidence;
    } else {
      const auto score = support::text_at(document, request.confidence_pointer);
      double value = 0;
      try {
        value = score ? std::stod(*score) : 0;
      } catch (const std::exception&) {
        return support::protocol_error(
            name_, 200, "the score at " + request.confidence_pointer + " is not a number");
      }
      result.raw_confidence = value;
      result.confidence = std::clamp(value / request.confidence_scale, 0.0, 1.0);
    }
    for (const http_json::FieldRule& rule : described.fields) {
      auto value = support::text_at(document, rule.pointer);
      if (!value) {
        continue;
      }
      if (rule.strip_scheme) {
        for (const std::string_view scheme : {"https://", "http://"}) {
          if (value->starts_with(scheme)) {
            value->erase(0, scheme.size());
          }
        }
      }
      if (rule.strip_at && value->starts_with('@')) {
        value->erase(0, 1);
      }
      if (value->empty()) {
        continue;
      }
      result.fields.push_back(FoundField{.field = rule.field, .value = rule.prefix + *value});
    }
    return result;
  }

  std::string name_;
  std::string root_;
  std::optional<Secret> key_;
  Spec spec_;
  Sender sender_;
  std::vector<FieldGroup> groups_;
  const Clock* clock_;
  support::RateBox rate_;
};

} // namespace

Result<std::unique_ptr<Provider>> make_http_json(const config::EnrichProviderOptions& options,
                                                 const ProviderEnvironment& environment) {
  LEADSYNC_TRY(std::string root, support::checked_root(options));
  LEADSYNC_CHECK(support::check_timeout(options));
  if (options.spec.empty()) {
    return support::config_error(options.name,
                                 "spec is not set; set spec to the TOML file describing the API, "
                                 "e.g. spec = \"mappings/social-github.toml\"");
  }
  if (options.batch_size > 1) {
    return support::config_error(options.name, "batch_size: http_json sends one query per "
                                               "request; remove batch_size or set it to 1");
  }
  std::filesystem::path path(options.spec);
  if (path.is_relative()) {
    path = environment.base_dir / path;
  }
  LEADSYNC_TRY(Spec spec, http_json::load_spec(path, options.spec, options.name));
  std::vector<FieldGroup> described;
  for (const auto& [group, rules] : spec.groups) {
    described.push_back(group);
  }
  LEADSYNC_TRY(auto groups, support::checked_groups(options, described));
  LEADSYNC_TRY(Sender sender, support::make_sender(options, environment));
  std::optional<Secret> key;
  const bool needs_key = !spec.auth_header_name.empty() &&
                         std::find(spec.auth_header_value.placeholders.begin(),
                                   spec.auth_header_value.placeholders.end(),
                                   "api_key") != spec.auth_header_value.placeholders.end();
  if (needs_key && (spec.auth_required || !options.api_key.empty())) {
    LEADSYNC_TRY(Secret secret, support::read_api_key(options));
    key = std::move(secret);
  } else if (!spec.auth_header_name.empty() && !needs_key) {
    key = Secret(); // a fixed header without the key: always sent
  }
  return std::unique_ptr<Provider>(std::make_unique<HttpJsonProvider>(
      options.name, std::move(root), std::move(key), std::move(spec), std::move(sender),
      std::move(groups), environment.clock));
}

} // namespace leadsync::enrich::providers
