// Clearbit Enrichment v2 (kind "clearbit").
//
// Requests (url = the API root; we add /v2/...), HTTP Basic auth with the key as user name and an
// empty password:
//   person group:  GET /v2/combined/find?email=<email>  (fills person and company fields from the
//                  "person" and "company" halves)
//   company group: GET /v2/companies/find?domain=<domain>
//   social group:  GET /v2/people/find?email=<email>
//
// Confidence (Clearbit reports no score, so a fixed, documented mapping):
//   a person record with "fuzzy": false (matched on the exact e-mail) -> raw 1, confidence 0.9;
//   a person record with "fuzzy": true (a looser match)               -> raw 0, confidence 0.6;
//   a company record (matched on its domain), or a combined answer with only the company half
//                                                                    -> raw 1, confidence 0.9.
//
// Statuses: 200 matched, 202 pending (queued; retry_after from Retry-After when sent), 404
// no_match, 400/422 invalid_input, 401 unauthorized, 402 forbidden/out_of_credits, 403 forbidden,
// 429 throttled, 5xx unavailable. Clearbit bills 200 and 404 answers: credits 1 for both, and
// capabilities().bills_misses is true. The X-RateLimit-* headers feed rate_state().

#include "leadsync/enrich/providers/builtin.hpp"
#include "providers/detail/answers.hpp"
#include "providers/detail/http_support.hpp"

#include <nlohmann/json.hpp>

namespace leadsync::enrich::providers {
namespace {

using support::Sender;

constexpr double exact_confidence = 0.9;
constexpr double fuzzy_confidence = 0.6;

std::optional<std::string> text(const nlohmann::json& record, const char* pointer) {
  return support::text_at(record, pointer);
}

// Fields in order; a later put of the same field replaces the earlier value (the company half of a
// combined answer is more authoritative for company.* than the person's employment).
class FieldList {
public:
  void put(const std::string& field, std::optional<std::string> value) {
    if (!value) {
      return;
    }
    for (FoundField& existing : fields_) {
      if (existing.field == field) {
        existing.value = std::move(*value);
        return;
      }
    }
    fields_.push_back(FoundField{.field = field, .value = std::move(*value)});
  }
  std::vector<FoundField> take() { return std::move(fields_); }

private:
  std::vector<FoundField> fields_;
};

std::optional<std::string> linkedin_url(std::optional<std::string> handle) {
  if (!handle) {
    return std::nullopt;
  }
  if (handle->find("linkedin.com") != std::string::npos) {
    return handle;
  }
  if (handle->find('/') != std::string::npos) {
    return "linkedin.com/" + *handle; // "in/anna" -> "linkedin.com/in/anna"
  }
  return "linkedin.com/in/" + *handle;
}

std::optional<std::string> prefixed(const std::string& prefix, std::optional<std::string> handle) {
  if (!handle) {
    return std::nullopt;
  }
  return prefix + *handle;
}

std::optional<std::string> without_at(std::optional<std::string> handle) {
  if (handle && !handle->empty() && handle->front() == '@') {
    handle->erase(0, 1);
  }
  return handle;
}

void person_fields(const nlohmann::json& person, FieldList& fields) {
  fields.put("person.job_title", text(person, "/employment/title"));
  fields.put("person.seniority", text(person, "/employment/seniority"));
  fields.put("company.name", text(person, "/employment/name"));
  fields.put("company.website", text(person, "/employment/domain"));
  fields.put("social.linkedin_url", linkedin_url(text(person, "/linkedin/handle")));
  fields.put("social.x_handle", without_at(text(person, "/twitter/handle")));
  fields.put("social.github_url", prefixed("github.com/", text(person, "/github/handle")));
  fields.put("social.facebook_url", prefixed("facebook.com/", text(person, "/facebook/handle")));
  fields.put("social.bio", text(person, "/bio"));
  fields.put("social.blog", text(person, "/site"));
  fields.put("social.location", text(person, "/location"));
}

void company_fields(const nlohmann::json& company, FieldList& fields) {
  fields.put("company.name", text(company, "/name"));
  fields.put("company.website", text(company, "/domain"));
  fields.put("company.industry", text(company, "/category/industry"));
  const auto found = company.find("metrics");
  if (found != company.end() && found->is_object()) {
    const nlohmann::json& metrics = *found;
    const auto employees = metrics.find("employees");
    if (employees != metrics.end() && employees->is_number_integer()) {
      fields.put("company.employee_count", support::number_text(*employees));
    }
    const auto revenue = metrics.find("annualRevenue");
    if (revenue != metrics.end() && revenue->is_number()) {
      fields.put("company.annual_revenue", support::number_text(*revenue));
    } else if (const auto range = text(metrics, "/estimatedAnnualRevenue")) {
      if (const auto lower = support::revenue_lower_bound(*range)) {
        fields.put("company.annual_revenue", std::to_string(*lower));
      }
    }
  }
  fields.put("company.address.city", text(company, "/geo/city"));
  fields.put("company.address.country", text(company, "/geo/countryCode"));
}

class ClearbitProvider final : public Provider {
public:
  ClearbitProvider(std::string name, std::string root, Secret key, Sender sender,
                   std::vector<FieldGroup> groups, const Clock* clock)
      : name_(std::move(name)), root_(std::move(root)),
        authorization_("Basic " + support::base64(key.reveal() + ":")), sender_(std::move(sender)),
        groups_(std::move(groups)), clock_(clock) {}

  const std::string& name() const override { return name_; }
  std::string_view kind() const override { return "clearbit"; }
  Capabilities capabilities() const override {
    return Capabilities{.groups = groups_, .max_batch = 1, .bills_misses = true};
  }
  RateState rate_state() const override { return rate_.get(); }

  std::string lookup_key(const Query& query, FieldGroup group) const override {
    if (!support::serves(groups_, group)) {
      return {};
    }
    if (group == FieldGroup::company) {
      return query.domain.empty() ? std::string{} : "company|domain:" + query.domain;
    }
    if (!query.personal_allowed || query.email.empty()) {
      return {};
    }
    return std::string(to_string(group)) + "|email:" + query.email;
  }

  Result<Answer> lookup(const Query& query, FieldGroup group,
                        const http::CallContext& context) override {
    if (lookup_key(query, group).empty()) {
      return Error::make(ErrorCategory::invalid_argument,
                         "enrich.provider '" + name_ + "': the query has nothing a " +
                             std::string(to_string(group)) + " lookup can use" +
                             (group == FieldGroup::company
                                  ? " (needs a domain)"
                                  : " (needs an e-mail and consent, and the group configured)"));
    }
    http::Request request;
    request.method = "GET";
    switch (group) {
    case FieldGroup::person:
      request.url = root_ + "/v2/combined/find?" + support::encode_query({{"email", query.email}});
      break;
    case FieldGroup::company:
      request.url =
          root_ + "/v2/companies/find?" + support::encode_query({{"domain", query.domain}});
      break;
    case FieldGroup::social:
      request.url = root_ + "/v2/people/find?" + support::encode_query({{"email", query.email}});
      break;
    }
    request.headers.set("Authorization", authorization_);
    request.headers.set("Accept", "application/json");
    LEADSYNC_TRY(const http::Response response, sender_.send(std::move(request), context));
    const RateState rate = support::read_rate_state(response.headers, support::RateHeaderNames{},
                                                    support::wall_now(clock_));
    rate_.set(rate);
    switch (response.status) {
    case 200:
      return matched(response, group);
    case 202:
      return support::empty_answer(Outcome::pending, 0, rate.retry_after, {});
    case 404:
      return support::empty_answer(Outcome::no_match, 1, std::nullopt, {});
    case 400:
    case 422: {
      std::string note = support::vendor_message(response.body);
      return support::empty_answer(Outcome::invalid_input, 0, std::nullopt,
                                   note.empty() ? "HTTP " + std::to_string(response.status) +
                                                      ": Clearbit refused the query"
                                                : note);
    }
    default:
      return support::status_error(name_, response.status, response.body);
    }
  }

private:
  Result<Answer> matched(const http::Response& response, FieldGroup group) const {
    const auto body = support::parse_json(response.body);
    if (!body.ok()) {
      return support::protocol_error(name_, 200, body.error().message);
    }
    if (!body->is_object()) {
      return support::protocol_error(name_, 200, "the answer is not a JSON object");
    }
    const nlohmann::json* person = nullptr;
    const nlohmann::json* company = nullptr;
    if (group == FieldGroup::person) {
      const auto person_half = body->find("person");
      const auto company_half = body->find("company");
      if (person_half == body->end() && company_half == body->end()) {
        return support::protocol_error(
            name_, 200, "the combined answer has neither \"person\" nor \"company\"");
      }
      if (person_half != body->end() && person_half->is_object()) {
        person = &*person_half;
      }
      if (company_half != body->end() && company_half->is_object()) {
        company = &*company_half;
      }
      if (person == nullptr && company == nullptr) {
        return support::empty_answer(Outcome::no_match, 1, std::nullopt, {});
      }
    } else if (group == FieldGroup::company) {
      company = body.operator->();
    } else {
      person = body.operator->();
    }
    FieldList fields;
    double raw = 1;
    if (person != nullptr) {
      person_fields(*person, fields);
      const auto fuzzy = person->find("fuzzy");
      if (fuzzy != person->end() && fuzzy->is_boolean() && fuzzy->get<bool>()) {
        raw = 0;
      }
    }
    if (company != nullptr) {
      company_fields(*company, fields);
    }
    Answer result = support::empty_answer(Outcome::matched, 1, std::nullopt, {});
    result.fields = fields.take();
    result.raw_confidence = raw;
    result.confidence = raw == 1 ? exact_confidence : fuzzy_confidence;
    return result;
  }

  std::string name_;
  std::string root_;
  std::string authorization_;
  Sender sender_;
  std::vector<FieldGroup> groups_;
  const Clock* clock_;
  support::RateBox rate_;
};

} // namespace

Result<std::unique_ptr<Provider>> make_clearbit(const config::EnrichProviderOptions& options,
                                                const ProviderEnvironment& environment) {
  LEADSYNC_TRY(support::Basics basics,
               support::checked_basics(
                   options, {FieldGroup::person, FieldGroup::company, FieldGroup::social}));
  if (options.batch_size > 1) {
    return support::config_error(options.name, "batch_size: Clearbit has no bulk endpoint; "
                                               "remove batch_size or set it to 1");
  }
  LEADSYNC_TRY(Sender sender, support::make_sender(options, environment));
  LEADSYNC_TRY(Secret key, support::read_api_key(options));
  return std::unique_ptr<Provider>(std::make_unique<ClearbitProvider>(
      options.name, std::move(basics.root), std::move(key), std::move(sender),
      std::move(basics.groups), environment.clock));
}

} // namespace leadsync::enrich::providers
