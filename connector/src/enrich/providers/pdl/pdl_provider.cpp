// People Data Labs v5 (kind "pdl").
//
// Requests (url = the API root, e.g. "https://api.peopledatalabs.com"; we add /v5/...):
//   person and social groups: GET /v5/person/enrich with one identifier, in this order of
//     preference: email, phone, profile (the LinkedIn URL), or first_name + last_name + company
//     (the domain when known, else the company name). The lookup key names the identifier sent.
//   company group: GET /v5/company/enrich?website=<domain> or ?name=<company name>.
//   lookup_many for person/social: POST /v5/person/bulk with up to batch_size (default and max 100)
//     requests, each with metadata {"position": i} to correlate the answers.
//   Every call sends min_likelihood = ceil(min_confidence * 10) clamped to 1..10, and the key in
//   the X-Api-Key header (never in the URL, so it cannot end up in a proxy log).
//
// Confidence: PDL's likelihood is an integer 1..10; raw_confidence = likelihood and
// confidence = likelihood / 10 (likelihood 8 -> 0.8). A match without a likelihood gets the
// min_likelihood we asked for (PDL only returns matches at or above it).
//
// Statuses: 200 matched (credits from x-call-credits-spent, 1 when absent), 404 no_match (free),
// 400 invalid_input with PDL's message, 401 unauthorized, 402 forbidden/out_of_credits,
// 403 forbidden, 429 throttled, 5xx unavailable; an unreadable body is a protocol error.

#include "leadsync/enrich/providers/builtin.hpp"
#include "leadsync/enrich/providers/pdl_record.hpp"
#include "providers/detail/answers.hpp"
#include "providers/detail/http_support.hpp"

#include <algorithm>
#include <cmath>
#include <nlohmann/json.hpp>

namespace leadsync::enrich::providers {
namespace {

using support::Sender;

constexpr int max_bulk = 100;

struct Identifier {
  std::string key; // the lookup key, empty when nothing usable
  http::QueryParams params;
};

Identifier person_identifier(const Query& query) {
  if (!query.personal_allowed) {
    return {};
  }
  if (!query.email.empty()) {
    return {"person|email:" + query.email, {{"email", query.email}}};
  }
  if (!query.phone.empty()) {
    return {"person|phone:" + query.phone, {{"phone", query.phone}}};
  }
  if (!query.linkedin_url.empty()) {
    return {"person|profile:" + query.linkedin_url, {{"profile", query.linkedin_url}}};
  }
  const std::string& company = !query.domain.empty() ? query.domain : query.company_name;
  if (!query.first_name.empty() && !query.last_name.empty() && !company.empty()) {
    return {
        "person|name:" + query.first_name + " " + query.last_name + "@" + company,
        {{"first_name", query.first_name}, {"last_name", query.last_name}, {"company", company}}};
  }
  return {};
}

Identifier company_identifier(const Query& query) {
  if (!query.domain.empty()) {
    return {"company|website:" + query.domain, {{"website", query.domain}}};
  }
  if (!query.company_name.empty()) {
    return {"company|name:" + query.company_name, {{"name", query.company_name}}};
  }
  return {};
}

class PdlProvider final : public Provider {
public:
  PdlProvider(std::string name, std::string root, Secret key, Sender sender,
              std::vector<FieldGroup> groups, int min_likelihood, int batch_size,
              const Clock* clock)
      : name_(std::move(name)), root_(std::move(root)), key_(std::move(key)),
        sender_(std::move(sender)), groups_(std::move(groups)), min_likelihood_(min_likelihood),
        batch_size_(batch_size), clock_(clock) {}

  const std::string& name() const override { return name_; }
  std::string_view kind() const override { return "pdl"; }
  Capabilities capabilities() const override {
    const bool bulk = support::serves(groups_, FieldGroup::person) ||
                      support::serves(groups_, FieldGroup::social);
    return Capabilities{.groups = groups_,
                        .max_batch = bulk ? static_cast<std::size_t>(batch_size_) : 1,
                        .bills_misses = false};
  }
  RateState rate_state() const override { return rate_.get(); }

  std::string lookup_key(const Query& query, FieldGroup group) const override {
    if (!support::serves(groups_, group)) {
      return {};
    }
    return identifier(query, group).key;
  }

  Result<Answer> lookup(const Query& query, FieldGroup group,
                        const http::CallContext& context) override {
    if (!support::serves(groups_, group)) {
      return not_served(group);
    }
    Identifier id = identifier(query, group);
    if (id.key.empty()) {
      return nothing_to_ask(group);
    }
    const bool company = group == FieldGroup::company;
    id.params.emplace_back("min_likelihood", std::to_string(min_likelihood_));
    http::Request request;
    request.method = "GET";
    request.url = root_ + (company ? "/v5/company/enrich?" : "/v5/person/enrich?") +
                  support::encode_query(id.params);
    request.headers.set("X-Api-Key", key_.reveal());
    request.headers.set("Accept", "application/json");
    LEADSYNC_TRY(const http::Response response, sender_.send(std::move(request), context));
    note_rate(response.headers);
    if (response.status == 200) {
      const auto body = support::parse_json(response.body);
      if (!body.ok()) {
        return support::protocol_error(name_, 200, body.error().message);
      }
      if (!body->is_object()) {
        return support::protocol_error(name_, 200, "the enrich answer is not a JSON object");
      }
      const nlohmann::json* record = body.operator->();
      if (!company) {
        const auto data = body->find("data");
        if (data == body->end() || !data->is_object()) {
          return support::protocol_error(name_, 200,
                                         "the person enrich answer has no \"data\" object");
        }
        record = &*data;
      }
      return matched(*body, company ? pdl_company_fields(*record) : pdl_person_fields(*record),
                     credits_spent(response.headers));
    }
    return answer_for_status(response.status, response.body);
  }

  std::vector<Result<Answer>> lookup_many(const std::vector<Query>& queries, FieldGroup group,
                                          const http::CallContext& context) override {
    if (group == FieldGroup::company || !support::serves(groups_, group)) {
      return Provider::lookup_many(queries, group, context);
    }
    std::vector<Result<Answer>> results(queries.size(), Result<Answer>(Answer{}));
    std::vector<std::size_t> chunk;
    auto flush = [&] {
      if (!chunk.empty()) {
        bulk(queries, chunk, results, context);
        chunk.clear();
      }
    };
    for (std::size_t i = 0; i < queries.size(); ++i) {
      if (identifier(queries[i], group).key.empty()) {
        results[i] = nothing_to_ask(group);
        continue;
      }
      chunk.push_back(i);
      if (chunk.size() == static_cast<std::size_t>(batch_size_)) {
        flush();
      }
    }
    flush();
    return results;
  }

private:
  Identifier identifier(const Query& query, FieldGroup group) const {
    return group == FieldGroup::company ? company_identifier(query) : person_identifier(query);
  }

  Error not_served(FieldGroup group) const {
    return Error::make(ErrorCategory::invalid_argument,
                       "enrich.provider '" + name_ + "' is not configured for the " +
                           std::string(to_string(group)) + " group");
  }
  Error nothing_to_ask(FieldGroup group) const {
    return Error::make(ErrorCategory::invalid_argument,
                       "enrich.provider '" + name_ + "': the query has nothing a " +
                           std::string(to_string(group)) + " lookup can use" +
                           (group == FieldGroup::company
                                ? " (needs a domain or company name)"
                                : " (needs an e-mail, phone, LinkedIn "
                                  "URL or name and company, and consent)"));
  }

  void note_rate(const http::Headers& headers) {
    rate_.set(
        support::read_rate_state(headers, support::RateHeaderNames{}, support::wall_now(clock_)));
  }

  static std::int64_t credits_spent(const http::Headers& headers) {
    if (const auto value = headers.get("x-call-credits-spent")) {
      if (const auto credits = support::parse_limit_value(*value)) {
        return *credits;
      }
    }
    return 1;
  }

  // An item (or a whole answer) with status 200: likelihood and fields.
  Answer matched(const nlohmann::json& item, std::vector<FoundField> fields,
                 std::int64_t credits) const {
    double likelihood = min_likelihood_;
    const auto found = item.find("likelihood");
    if (found != item.end() && found->is_number()) {
      likelihood = std::clamp(found->get<double>(), 0.0, 10.0);
    }
    return support::matched_answer(std::move(fields), likelihood, likelihood / 10.0, credits);
  }

  // Everything but a 200: 404 no match, 400 invalid input, the rest errors.
  Result<Answer> answer_for_status(int status, std::string_view body) const {
    if (status == 404) {
      return support::empty_answer(Outcome::no_match);
    }
    if (status == 400) {
      std::string note = support::vendor_message(body);
      return support::empty_answer(Outcome::invalid_input, 0, std::nullopt,
                                   note.empty() ? "HTTP 400: missing or invalid parameters" : note);
    }
    return support::status_error(name_, status, body);
  }

  void bulk(const std::vector<Query>& queries, const std::vector<std::size_t>& chunk,
            std::vector<Result<Answer>>& results, const http::CallContext& context) {
    nlohmann::json requests = nlohmann::json::array();
    for (std::size_t position = 0; position < chunk.size(); ++position) {
      nlohmann::json params = nlohmann::json::object();
      for (const auto& [key, value] : person_identifier(queries[chunk[position]]).params) {
        params[key] = value;
      }
      requests.push_back({{"params", params}, {"metadata", {{"position", position}}}});
    }
    const nlohmann::json body = {{"requests", requests}, {"min_likelihood", min_likelihood_}};
    http::Request request;
    request.method = "POST";
    request.url = root_ + "/v5/person/bulk";
    request.headers.set("X-Api-Key", key_.reveal());
    request.headers.set("Accept", "application/json");
    request.headers.set("Content-Type", "application/json");
    request.body = body.dump();
    auto fill_all = [&](const Result<Answer>& result) {
      for (const std::size_t index : chunk) {
        results[index] = result;
      }
    };
    const auto response = sender_.send(std::move(request), context);
    if (!response.ok()) {
      fill_all(response.error());
      return;
    }
    note_rate(response->headers);
    if (response->status != 200) {
      if (response->status == 404) {
        fill_all(support::protocol_error(name_, 404,
                                         "the bulk endpoint /v5/person/bulk was "
                                         "not found; check url"));
      } else {
        fill_all(answer_for_status(response->status, response->body));
      }
      return;
    }
    const auto items = support::parse_json(response->body);
    if (!items.ok()) {
      fill_all(support::protocol_error(name_, 200, "the bulk " + items.error().message));
      return;
    }
    if (!items->is_array()) {
      fill_all(support::protocol_error(name_, 200, "the bulk answer is not a JSON array"));
      return;
    }
    std::vector<bool> answered(chunk.size(), false);
    for (std::size_t order = 0; order < items->size(); ++order) {
      const nlohmann::json& item = (*items)[order];
      std::size_t position = order;
      if (item.is_object()) {
        const auto metadata = item.find("metadata");
        if (metadata != item.end() && metadata->is_object()) {
          const auto found = metadata->find("position");
          if (found != metadata->end() && found->is_number_unsigned()) {
            position = found->get<std::size_t>();
          }
        }
      }
      if (position >= chunk.size() || answered[position]) {
        continue;
      }
      answered[position] = true;
      results[chunk[position]] = bulk_item(item);
    }
    for (std::size_t position = 0; position < chunk.size(); ++position) {
      if (!answered[position]) {
        results[chunk[position]] = support::protocol_error(
            name_, 200, "the bulk answer has no item for request " + std::to_string(position));
      }
    }
  }

  Result<Answer> bulk_item(const nlohmann::json& item) const {
    if (!item.is_object()) {
      return support::protocol_error(name_, 200, "a bulk answer item is not a JSON object");
    }
    const auto status = item.find("status");
    if (status == item.end() || !status->is_number_integer()) {
      return support::protocol_error(name_, 200, "a bulk answer item has no status");
    }
    const int code = status->get<int>();
    if (code == 200) {
      const auto data = item.find("data");
      if (data == item.end() || !data->is_object()) {
        return support::protocol_error(name_, 200, "a bulk answer item has no \"data\" object");
      }
      return matched(item, pdl_person_fields(*data), 1);
    }
    return answer_for_status(code, item.dump());
  }

  std::string name_;
  std::string root_;
  Secret key_;
  Sender sender_;
  std::vector<FieldGroup> groups_;
  int min_likelihood_;
  int batch_size_;
  const Clock* clock_;
  support::RateBox rate_;
};

} // namespace

Result<std::unique_ptr<Provider>> make_pdl(const config::EnrichProviderOptions& options,
                                           const ProviderEnvironment& environment) {
  LEADSYNC_TRY(support::Basics basics,
               support::checked_basics(
                   options, {FieldGroup::person, FieldGroup::company, FieldGroup::social}));
  if (options.batch_size < 0 || options.batch_size > max_bulk) {
    return support::config_error(options.name, "batch_size must be 1..100 for PDL's bulk "
                                               "endpoint (0: the default, 100); got " +
                                                   std::to_string(options.batch_size));
  }
  if (!(options.min_confidence >= 0 && options.min_confidence <= 1)) {
    return support::config_error(options.name, "min_confidence must be between 0 and 1");
  }
  LEADSYNC_TRY(Sender sender, support::make_sender(options, environment));
  LEADSYNC_TRY(Secret key, support::read_api_key(options));
  const int min_likelihood =
      std::clamp(static_cast<int>(std::ceil(options.min_confidence * 10 - 1e-9)), 1, 10);
  const int batch_size = options.batch_size == 0 ? max_bulk : options.batch_size;
  return std::unique_ptr<Provider>(std::make_unique<PdlProvider>(
      options.name, std::move(basics.root), std::move(key), std::move(sender),
      std::move(basics.groups), min_likelihood, batch_size, environment.clock));
}

} // namespace leadsync::enrich::providers
