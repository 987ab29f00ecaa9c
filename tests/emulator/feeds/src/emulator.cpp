#include "femu/emulator.hpp"

#include "femu/matching.hpp"
#include "femu/meter.hpp"
#include "femu/records.hpp"
#include "femu/shapes.hpp"
#include "femu/text.hpp"

#include <atomic>
#include <cmath>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <leadsync/core/json_limits.hpp>
#include <leadsync/core/log.hpp>
#include <leadsync/core/mutex.hpp>
#include <leadsync/http/server.hpp>
#include <leadsync/http/url.hpp>
#include <map>
#include <set>
#include <thread>
#include <unistd.h>

namespace femu {
namespace {

using leadsync::ErrorCategory;
using leadsync::fail;
using leadsync::http::Request;
using leadsync::http::Respond;
using leadsync::http::Response;
using nlohmann::json;
using std::chrono::steady_clock;

// Limits the headers advertise when --rate-per-min is 0 (unlimited): PDL's paying default (notes
// 1.8), Clearbit's 600/min (notes 2.3), GitHub's authenticated core limit and search limit (4.1).
constexpr std::int64_t kPdlNominalLimit = 1000;
constexpr std::int64_t kClearbitNominalLimit = 600;
constexpr std::int64_t kGithubCoreNominalLimit = 5000;
constexpr std::int64_t kGithubSearchNominalLimit = 30;
constexpr std::size_t kBulkMaxRequests = 100; // notes 1.9: 1..100 per bulk call

Response json_response(int status, const json& body) {
  return Response::json(status, body.dump());
}

std::string iso_utc(std::chrono::system_clock::time_point time) {
  const std::time_t seconds = std::chrono::system_clock::to_time_t(time);
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  char buffer[32];
  std::strftime(buffer, sizeof buffer, "%Y-%m-%dT%H:%M:%SZ", &utc);
  return buffer;
}

std::int64_t seconds_up(std::chrono::milliseconds duration) {
  return std::max<std::int64_t>(1, (duration.count() + 999) / 1000);
}

std::string first_param(const QueryParams& params, const std::string& name) {
  for (const auto& [key, value] : params) {
    if (key == name) {
      return value;
    }
  }
  return {};
}

bool starts_with(std::string_view text, std::string_view prefix) {
  return text.substr(0, prefix.size()) == prefix;
}

// ---- PDL envelopes (notes 1.7) ----

Response pdl_error(int status, const std::string& type, const std::string& message) {
  return json_response(status,
                       {{"status", status}, {"error", {{"type", type}, {"message", message}}}});
}

json pdl_item_error(int status, const std::string& type, const std::string& message) {
  return {{"status", status}, {"error", {{"type", type}, {"message", message}}}};
}

constexpr const char* kPdlNotFound = "No records were found matching your request";

// ---- Clearbit envelopes (notes 2.2) ----

Response clearbit_error(int status, const std::string& type, const std::string& message) {
  return json_response(status, {{"error", {{"type", type}, {"message", message}}}});
}

// ---- GitHub envelopes (notes 4.1) ----

Response github_error(int status, const std::string& message, const std::string& docs) {
  return json_response(
      status,
      {{"message", message}, {"documentation_url", docs}, {"status", std::to_string(status)}});
}

// Answers that wait for --latency-ms without holding a server thread.
class DelayedResponses {
public:
  void start() {
    thread_ = std::thread([this] { run(); });
  }
  void stop() {
    {
      leadsync::MutexLock lock(mutex_);
      stopping_ = true;
    }
    wake_.notify_all();
    if (thread_.joinable()) {
      thread_.join();
    }
    leadsync::MutexLock lock(mutex_);
    pending_.clear();
  }
  void schedule(steady_clock::time_point due, Respond respond, Response response) {
    {
      leadsync::MutexLock lock(mutex_);
      pending_.emplace(due, Pending{std::move(respond), std::move(response)});
    }
    wake_.notify_all();
  }

private:
  struct Pending {
    Respond respond;
    Response response;
  };
  void run() {
    leadsync::UniqueLock lock(mutex_);
    while (!stopping_) {
      if (pending_.empty()) {
        wake_.wait(lock);
        continue;
      }
      const auto due = pending_.begin()->first;
      if (steady_clock::now() < due) {
        wake_.wait_until(lock, due);
        continue;
      }
      auto pending = std::move(pending_.begin()->second);
      pending_.erase(pending_.begin());
      lock.unlock();
      pending.respond(std::move(pending.response));
      lock.lock();
    }
  }
  leadsync::Mutex mutex_;
  leadsync::CondVar wake_;
  std::multimap<steady_clock::time_point, Pending> pending_ GUARDED_BY(mutex_);
  std::thread thread_;
  bool stopping_ GUARDED_BY(mutex_) = false;
};

leadsync::Status write_port_file(const std::string& path, std::uint16_t port) {
  const std::string temporary = path + ".tmp." + std::to_string(::getpid());
  {
    std::ofstream out(temporary, std::ios::trunc);
    out << port << '\n';
    out.close();
    if (!out) {
      return fail(ErrorCategory::invalid_argument,
                  "cannot write the port file '" + temporary +
                      "'; check that its directory exists and is writable");
    }
  }
  std::error_code error;
  std::filesystem::rename(temporary, path, error); // atomic: readers never see a partial file
  if (error) {
    return fail(ErrorCategory::invalid_argument,
                "cannot move the port file into place at '" + path + "': " + error.message());
  }
  return leadsync::ok_status();
}

struct Listen {
  std::string host;
  std::uint16_t port = 0;
};

leadsync::Result<Listen> parse_listen(const std::string& listen) {
  const auto colon = listen.rfind(':');
  if (colon == std::string::npos || colon == 0) {
    return fail(ErrorCategory::invalid_argument,
                "--listen must be HOST:PORT (e.g. 127.0.0.1:0), got '" + listen + "'");
  }
  Listen parsed;
  parsed.host = listen.substr(0, colon);
  try {
    std::size_t used = 0;
    const int port = std::stoi(listen.substr(colon + 1), &used);
    if (used != listen.size() - colon - 1 || port < 0 || port > 65535) {
      throw std::out_of_range("port");
    }
    parsed.port = static_cast<std::uint16_t>(port);
  } catch (const std::exception&) {
    return fail(ErrorCategory::invalid_argument,
                "--listen port must be a number from 0 to 65535, got '" + listen + "'");
  }
  return parsed;
}

// What one provider call produced, before latency.
struct Answer {
  Response response;
  std::string endpoint; // stats name; empty for admin calls
};

} // namespace

struct Emulator::Impl {
  EmulatorOptions options;
  std::unique_ptr<leadsync::http::HttpServer> server;
  DelayedResponses delays;
  std::uint16_t port = 0;
  bool running = false;

  // Guards everything below, and options.knobs (changed by the admin endpoint).
  mutable leadsync::Mutex state_mutex;
  Directory population GUARDED_BY(state_mutex);
  Directory planted GUARDED_BY(state_mutex);
  RateLimiter limiter GUARDED_BY(state_mutex);
  CreditBank credits GUARDED_BY(state_mutex);
  CallStats calls GUARDED_BY(state_mutex);
  UniqueQueryLedger clearbit_billed GUARDED_BY(state_mutex);
  // Keys looked up at least once.
  std::set<std::string> clearbit_seen GUARDED_BY(state_mutex);
  // Queued key -> ready time.
  std::map<std::string, steady_clock::time_point> clearbit_ready GUARDED_BY(state_mutex);
  std::uint64_t fault_counter GUARDED_BY(state_mutex) = 0;
  // Provider calls seen, for the 429 storms and resets.
  std::uint64_t provider_calls GUARDED_BY(state_mutex) = 0;

  explicit Impl(EmulatorOptions emulator_options) : options(std::move(emulator_options)) {
    credits.set_total(options.knobs.credits);
  }

  std::vector<const Directory*> directories() const { return {&planted, &population}; }

  bool key_accepted(const std::string& key) const REQUIRES(state_mutex) {
    return !key.empty() && (options.api_key.empty() || key == options.api_key);
  }

  bool query_misses(const std::string& canonical) const {
    return unit_fraction(stable_hash(canonical, options.knobs.seed ^ 0x4d15)) <
           options.knobs.miss_rate;
  }

  // A 429 storm or a dropped connection for this provider call, decided before the call does
  // anything (nothing billed, no rate window used). Storms are counted in calls; resets drawn from
  // the seed. Nothing when neither applies.
  std::optional<Answer> storm_or_reset(const std::string& path) REQUIRES(state_mutex) {
    const auto call = provider_calls++;
    const Knobs& knobs = options.knobs;
    const bool pdl_call = starts_with(path, "/v5/");
    const bool clearbit_call = starts_with(path, "/v2/");
    Answer answer;
    answer.endpoint = endpoint_of(path);
    if (knobs.storm_every > 0 &&
        static_cast<std::int64_t>(call % static_cast<std::uint64_t>(knobs.storm_every)) <
            knobs.storm_length) {
      // Each vendor's 429 shape (notes 1.7, 2.2; GitHub's secondary rate limit, notes 4.1).
      answer.response =
          pdl_call        ? pdl_error(429, "rate_limit_error",
                                      "An error occurred due to requests hitting the API too quick")
          : clearbit_call ? clearbit_error(429, "rate_limit", "Rate limit exceeded, retry later")
                          : github_error(429, "You have exceeded a secondary rate limit.",
                                         "https://docs.github.com/rest/overview/rate-limits-for-"
                                         "the-rest-api");
      answer.response.headers.set("Retry-After", "1");
      return answer;
    }
    if (knobs.reset_rate > 0 &&
        unit_fraction(stable_hash(std::to_string(call), knobs.seed ^ 0x5e7)) < knobs.reset_rate) {
      answer.response.abort_connection = true;
      answer.response.status = 0;
      return answer;
    }
    return std::nullopt;
  }

  // The stats name of a provider path (as pdl(), clearbit() and github() name them).
  static std::string endpoint_of(const std::string& path) {
    static const std::map<std::string, std::string> names = {
        {"/v5/person/enrich", "pdl.person.enrich"},
        {"/v5/company/enrich", "pdl.company.enrich"},
        {"/v5/person/bulk", "pdl.person.bulk"},
        {"/v5/company/enrich/bulk", "pdl.company.bulk"},
        {"/v2/combined/find", "clearbit.combined.find"},
        {"/v2/people/find", "clearbit.people.find"},
        {"/v2/companies/find", "clearbit.companies.find"},
        {"/search/users", "github.search.users"}};
    if (const auto found = names.find(path); found != names.end()) {
      return found->second;
    }
    return starts_with(path, "/users/") ? "github.users" : "unknown";
  }

  // The next call's fault, if the seeded plan has one: 500 or 503.
  std::optional<int> next_fault() REQUIRES(state_mutex) {
    const auto hash = stable_hash(std::to_string(++fault_counter), options.knobs.seed ^ 0xfa17);
    if (unit_fraction(hash) >= options.knobs.fault_rate) {
      return std::nullopt;
    }
    return (hash & 1u) != 0 ? 500 : 503;
  }

  // ---- People Data Labs ----

  void set_pdl_headers(Response& response, const RateLimiter::Decision& rate,
                       std::int64_t credits_spent, const char* credits_type) const
      REQUIRES(state_mutex) {
    // Valid JSON, never None/null: the JS SDK JSON.parses these two (notes 1.8).
    response.headers.set("x-ratelimit-limit", "{\"minute\": " + std::to_string(rate.limit) + "}");
    response.headers.set("x-ratelimit-remaining",
                         "{\"minute\": " + std::to_string(rate.remaining) + "}");
    response.headers.set("x-ratelimit-reset",
                         iso_utc(std::chrono::system_clock::now() + rate.reset_in));
    response.headers.set("x-call-credits-spent", std::to_string(credits_spent));
    response.headers.set("x-call-credits-type", credits_type);
    if (const auto remaining = credits.remaining()) {
      response.headers.set("x-totallimit-remaining", std::to_string(*remaining));
    }
  }

  // A PDL item's answer: 404 when the query is to miss or the best match is below min_likelihood,
  // 402 when the credits are used up; otherwise one credit is spent and the body is
  // `body_of(match)` with the status and, when asked for, what matched.
  template <typename Query, typename Match, typename Body>
  json pdl_item_result(const Query& query, Match match_of, Body body_of,
                       std::int64_t& credits_spent) REQUIRES(state_mutex) {
    if (query_misses(query.canonical())) {
      return pdl_item_error(404, "not_found", kPdlNotFound);
    }
    const auto match = match_of(directories(), query);
    if (!match || match->likelihood < query.min_likelihood) {
      return pdl_item_error(404, "not_found", kPdlNotFound);
    }
    if (!credits.spend()) {
      return pdl_item_error(402, "payment_required",
                            "You have reached your account maximum (all matches have been used)");
    }
    ++credits_spent;
    json body = body_of(*match);
    if (query.include_if_matched) {
      body["matched"] = match->matched;
    }
    return body;
  }

  json pdl_person_result(const PersonQuery& query, std::int64_t& credits_spent)
      REQUIRES(state_mutex) {
    return pdl_item_result(
        query, match_person,
        [&](const PersonMatch& match) {
          return json{{"status", 200},
                      {"likelihood", match.likelihood},
                      {"data", pdl_person(*match.person, query.titlecase)}};
        },
        credits_spent);
  }

  json pdl_company_result(const CompanyQuery& query, std::int64_t& credits_spent)
      REQUIRES(state_mutex) {
    return pdl_item_result(
        query, match_company,
        [&](const CompanyMatch& match) {
          json body = pdl_company(*match.company, query.titlecase); // flat (notes 1.6)
          body["status"] = 200;
          body["likelihood"] = match.likelihood;
          return body;
        },
        credits_spent);
  }

  json pdl_result(bool person, const QueryParams& params, std::int64_t& credits_spent)
      REQUIRES(state_mutex) {
    if (person) {
      auto query = parse_person_query(params);
      return query.ok() ? pdl_person_result(query.value(), credits_spent)
                        : pdl_item_error(400, "invalid_request_error", query.error().message);
    }
    auto query = parse_company_query(params);
    return query.ok() ? pdl_company_result(query.value(), credits_spent)
                      : pdl_item_error(400, "invalid_request_error", query.error().message);
  }

  Answer pdl(const Request& request, const std::string& path, const QueryParams& query)
      REQUIRES(state_mutex) {
    const bool person_enrich = path == "/v5/person/enrich";
    const bool company_enrich = path == "/v5/company/enrich";
    const bool person_bulk = path == "/v5/person/bulk";
    const bool company_bulk = path == "/v5/company/enrich/bulk";
    const bool bulk = person_bulk || company_bulk;
    const bool person = person_enrich || person_bulk;
    Answer answer;
    answer.endpoint = person_enrich    ? "pdl.person.enrich"
                      : company_enrich ? "pdl.company.enrich"
                      : person_bulk    ? "pdl.person.bulk"
                      : company_bulk   ? "pdl.company.bulk"
                                       : "pdl.unknown";
    const char* credits_type = person ? "enrich" : "enrich_company";
    if (answer.endpoint == "pdl.unknown") {
      answer.response = pdl_error(404, "not_found", "Unknown API route " + path);
      return answer;
    }
    const bool read = request.method == "GET" || request.method == "HEAD";
    if ((bulk && request.method != "POST") || (!bulk && !read && request.method != "POST")) {
      answer.response = pdl_error(405, "invalid_request_error",
                                  "Request method is not allowed on the requested resource");
      answer.response.headers.set("Allow", bulk ? "POST" : "GET, POST");
      return answer;
    }
    // Authentication (notes 1.2): X-Api-Key header or api_key query parameter.
    std::string key = request.headers.get("X-Api-Key").value_or("");
    if (key.empty()) {
      key = first_param(query, "api_key");
    }
    if (!key_accepted(key)) {
      answer.response = pdl_error(401, "authentication_error",
                                  key.empty() ? "No API key was given" : "Invalid API key");
      return answer;
    }

    // The parameters: the query string, then a JSON body (POST).
    json body = json::object();
    if (request.method == "POST" && !request.body.empty()) {
      // Depth-limited (issue 18): a body nested 100,000 deep must not overflow the stack.
      auto parsed = leadsync::parse_untrusted_json(request.body, "the request body");
      if (!parsed.ok()) {
        answer.response = pdl_error(400, "invalid_request_error", parsed.error().message);
        return answer;
      }
      body = std::move(parsed).value();
      if (!body.is_object()) {
        answer.response = pdl_error(400, "invalid_request_error", "The body must be a JSON object");
        return answer;
      }
    }
    std::int64_t cost = 1;
    if (bulk) {
      const auto requests = body.find("requests");
      if (requests == body.end() || !requests->is_array() || requests->empty() ||
          requests->size() > kBulkMaxRequests) {
        answer.response =
            pdl_error(400, "invalid_request_error", "requests must be an array of 1 to 100 items");
        return answer;
      }
      cost = static_cast<std::int64_t>(requests->size());
    }

    // Rate limit per key over PDL as a whole; a bulk call takes one request per item (README).
    const auto rate = limiter.take("pdl:" + key, cost, options.knobs.rate_per_min, kPdlNominalLimit,
                                   steady_clock::now());
    if (!rate.allowed) {
      answer.response = pdl_error(429, "rate_limit_error",
                                  "An error occurred due to requests hitting the API too quick");
      answer.response.headers.set("Retry-After", std::to_string(seconds_up(rate.reset_in)));
      set_pdl_headers(answer.response, rate, 0, credits_type);
      return answer;
    }
    if (!credits.available()) {
      answer.response =
          pdl_error(402, "payment_required",
                    "You have reached your account maximum (all matches have been used)");
      set_pdl_headers(answer.response, rate, 0, credits_type);
      return answer;
    }
    if (const auto fault = next_fault()) {
      answer.response =
          pdl_error(*fault, "api_error", "The server encountered an unexpected condition");
      set_pdl_headers(answer.response, rate, 0, credits_type);
      return answer;
    }

    std::int64_t credits_spent = 0;
    if (bulk) {
      // Top-level control parameters apply to every item; an item's params override them.
      json shared = body;
      shared.erase("requests");
      const QueryParams shared_params = params_from_json(shared);
      json results = json::array();
      for (const auto& item : body["requests"]) {
        json result;
        if (!item.is_object() || !item.contains("params") || !item["params"].is_object()) {
          result =
              pdl_item_error(400, "invalid_request_error", "Each request needs a params object");
        } else {
          QueryParams params = shared_params;
          const auto own = params_from_json(item["params"]);
          params.insert(params.end(), own.begin(), own.end());
          result = pdl_result(person, params, credits_spent);
        }
        if (item.is_object() && item.contains("metadata")) {
          result["metadata"] = item["metadata"];
        }
        results.push_back(std::move(result));
      }
      answer.response = json_response(200, results);
    } else {
      QueryParams params = query;
      const auto from_body = params_from_json(body);
      params.insert(params.end(), from_body.begin(), from_body.end());
      const json result = pdl_result(person, params, credits_spent);
      answer.response = json_response(result["status"].get<int>(), result);
    }
    set_pdl_headers(answer.response, rate, credits_spent, credits_type);
    return answer;
  }

  // ---- Clearbit ----

  // Basic with the key as the user name (the Node SDK) or Bearer (the Ruby SDK), notes 2.1/2.3.
  static std::string clearbit_key(const Request& request) {
    const std::string authorization = request.headers.get("Authorization").value_or("");
    if (starts_with(authorization, "Bearer ")) {
      return authorization.substr(7);
    }
    if (starts_with(authorization, "Basic ")) {
      const auto decoded = base64_decode(authorization.substr(6));
      return decoded ? decoded->substr(0, decoded->find(':')) : std::string();
    }
    return {};
  }

  static void set_clearbit_headers(Response& response, const RateLimiter::Decision& rate) {
    response.headers.set("X-RateLimit-Limit", std::to_string(rate.limit));
    response.headers.set("X-RateLimit-Remaining", std::to_string(rate.remaining));
    response.headers.set("X-RateLimit-Reset", std::to_string(seconds_up(rate.reset_in)));
  }

  const Company* company_of(const Person& person) const REQUIRES(state_mutex) {
    for (const Directory* directory : directories()) {
      if (!person.job_company_website.empty()) {
        if (const Company* company = directory->company_by_domain(person.job_company_website)) {
          return company;
        }
      }
      if (const Company* company = directory->company_by_name(person.job_company_name)) {
        return company;
      }
    }
    return nullptr;
  }

  const Person* person_by_email(const std::string& email) const REQUIRES(state_mutex) {
    for (const Directory* directory : directories()) {
      if (const Person* person = directory->person_by_email(email)) {
        return person;
      }
    }
    return nullptr;
  }

  const Company* company_by_domain(const std::string& domain) const REQUIRES(state_mutex) {
    for (const Directory* directory : directories()) {
      if (const Company* company = directory->company_by_domain(domain)) {
        return company;
      }
    }
    return nullptr;
  }

  Answer clearbit(const Request& request, const std::string& path, const QueryParams& query)
      REQUIRES(state_mutex) {
    Answer answer;
    const bool combined = path == "/v2/combined/find";
    const bool people = path == "/v2/people/find";
    const bool companies = path == "/v2/companies/find";
    answer.endpoint = combined    ? "clearbit.combined.find"
                      : people    ? "clearbit.people.find"
                      : companies ? "clearbit.companies.find"
                                  : "clearbit.unknown";
    if (!combined && !people && !companies) {
      answer.response = clearbit_error(404, "unknown_route", "Unknown route " + path);
      return answer;
    }
    if (request.method != "GET" && request.method != "HEAD") {
      answer.response = clearbit_error(405, "method_not_allowed", "Use GET");
      return answer;
    }
    const std::string key = clearbit_key(request);
    if (key.empty()) {
      answer.response = clearbit_error(401, "auth_required", "An API key is required");
      return answer;
    }
    if (!key_accepted(key)) {
      answer.response = clearbit_error(401, "invalid_api_key", "Invalid API key provided");
      return answer;
    }
    const auto rate = limiter.take("clearbit:" + key, 1, options.knobs.rate_per_min,
                                   kClearbitNominalLimit, steady_clock::now());
    if (!rate.allowed) {
      answer.response = clearbit_error(429, "rate_limit",
                                       "Rate limit exceeded: " + std::to_string(rate.limit) +
                                           " requests per minute");
      set_clearbit_headers(answer.response, rate);
      return answer;
    }
    answer.response = clearbit_lookup(combined, people, query);
    set_clearbit_headers(answer.response, rate);
    return answer;
  }

  // Everything after authentication and the rate limit. Billing (notes 2.3): 200 and 404 cost one
  // credit the first time a query is answered; 202, errors and repeats are free.
  Response clearbit_lookup(bool combined, bool people, const QueryParams& query)
      REQUIRES(state_mutex) {
    std::string lookup_key;
    std::string email;
    std::string domain;
    if (combined || people) {
      email = utf8_lower(first_param(query, "email"));
      if (!looks_like_email(email)) {
        return clearbit_error(422, "invalid_email",
                              email.empty() ? "An email parameter is required" : "Invalid email.");
      }
      lookup_key = (combined ? "combined:" : "person:") + email;
    } else {
      domain = normalize_domain(first_param(query, "domain"));
      if (domain.empty()) {
        return clearbit_error(422, "invalid_domain", "A valid domain parameter is required");
      }
      lookup_key = "company:" + domain;
    }
    const bool already_billed = clearbit_billed.billed(lookup_key);
    if (!already_billed && !credits.available()) {
      // Message seen from the live API (notes 2.2, [69]); the type name is UNCONFIRMED.
      return clearbit_error(402, "over_quota",
                            "Your account is over its free quota. Please add a credit card to "
                            "https://clearbit.com/billing");
    }
    if (const auto fault = next_fault()) {
      return clearbit_error(*fault, "api_error", "Internal error, please retry");
    }
    // Queued lookups (notes 2.2): a share of first lookups answers 202 until queued_ready_s passed.
    const auto now = steady_clock::now();
    if (const auto queued = clearbit_ready.find(lookup_key); queued != clearbit_ready.end()) {
      if (now < queued->second) {
        return clearbit_error(
            202, "queued", "This lookup has been queued; retry in a few seconds or use a webhook");
      }
      clearbit_ready.erase(queued);
    } else if (clearbit_seen.insert(lookup_key).second &&
               unit_fraction(stable_hash(lookup_key, options.knobs.seed ^ 0x202)) <
                   options.knobs.queued_share) {
      clearbit_ready[lookup_key] =
          now + std::chrono::milliseconds(std::llround(options.knobs.queued_ready_s * 1000.0));
      return clearbit_error(202, "queued",
                            "This lookup has been queued; retry in a few seconds or use a webhook");
    }

    Response response;
    const bool miss = query_misses(lookup_key);
    if (combined || people) {
      const Person* person = miss ? nullptr : person_by_email(email);
      const Company* company = person != nullptr ? company_of(*person) : nullptr;
      if (combined && company == nullptr && !miss) {
        company = company_by_domain(normalize_domain(email)); // the e-mail's company, if known
      }
      if (person == nullptr && (people || company == nullptr)) {
        response = clearbit_error(404, "unknown_record", "Person not found");
      } else if (people) {
        response = json_response(200, clearbit_person(*person, email));
      } else {
        response = json_response(
            200, {{"person", person == nullptr ? json(nullptr) : clearbit_person(*person, email)},
                  {"company", company == nullptr ? json(nullptr) : clearbit_company(*company)}});
      }
    } else {
      const Company* company = miss ? nullptr : company_by_domain(domain);
      response = company == nullptr ? clearbit_error(404, "unknown_record", "Company not found")
                                    : json_response(200, clearbit_company(*company));
    }
    if (!already_billed) {
      clearbit_billed.mark(lookup_key);
      credits.spend();
      response.headers.set("X-Emulator-Billed", "1"); // read (and removed) by the stats
    }
    return response;
  }

  // ---- GitHub-shaped social API ----

  static std::string github_token(const Request& request) {
    const std::string authorization = request.headers.get("Authorization").value_or("");
    for (const std::string_view scheme : {"Bearer ", "token "}) {
      if (starts_with(authorization, scheme)) {
        return authorization.substr(scheme.size());
      }
    }
    return {};
  }

  Answer github(const Request& request, const std::string& path, const QueryParams& query)
      REQUIRES(state_mutex) {
    Answer answer;
    const bool search = path == "/search/users";
    const bool user =
        starts_with(path, "/users/") && path.find('/', 7) == std::string::npos && path.size() > 7;
    answer.endpoint = search ? "github.search.users" : user ? "github.users" : "github.unknown";
    if (!search && !user) {
      answer.response = github_error(404, "Not Found", "https://docs.github.com/rest");
      return answer;
    }
    if (request.method != "GET" && request.method != "HEAD") {
      answer.response = github_error(404, "Not Found", "https://docs.github.com/rest");
      return answer;
    }
    const std::string token = github_token(request);
    if (!options.api_key.empty() && token.empty()) {
      answer.response =
          github_error(401, "Requires authentication", "https://docs.github.com/rest");
      return answer;
    }
    if (!token.empty() && !options.api_key.empty() && token != options.api_key) {
      answer.response = github_error(401, "Bad credentials", "https://docs.github.com/rest");
      return answer;
    }
    // Unauthenticated callers are counted per address, as GitHub does (notes 4.1).
    const std::string caller =
        token.empty() ? "ip:" + request.remote_address.substr(0, request.remote_address.rfind(':'))
                      : "token:" + token;
    const char* resource = search ? "search" : "core";
    const auto rate = limiter.take(
        std::string("github-") + resource + ":" + caller, 1, options.knobs.rate_per_min,
        search ? kGithubSearchNominalLimit : kGithubCoreNominalLimit, steady_clock::now());
    const auto set_headers = [&](Response& response) {
      const auto reset =
          std::chrono::system_clock::now() + rate.reset_in + std::chrono::milliseconds(999);
      response.headers.set("x-ratelimit-limit", std::to_string(rate.limit));
      response.headers.set("x-ratelimit-remaining", std::to_string(rate.remaining));
      response.headers.set("x-ratelimit-used", std::to_string(rate.used));
      response.headers.set(
          "x-ratelimit-reset",
          std::to_string(
              std::chrono::duration_cast<std::chrono::seconds>(reset.time_since_epoch()).count()));
      response.headers.set("x-ratelimit-resource", resource);
    };
    if (!rate.allowed) {
      answer.response =
          github_error(403,
                       "API rate limit exceeded for " + caller.substr(caller.find(':') + 1) +
                           ". (Wait for x-ratelimit-reset before retrying.)",
                       "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api");
      set_headers(answer.response);
      return answer;
    }
    if (const auto fault = next_fault()) {
      answer.response = github_error(*fault, "Server Error", "https://docs.github.com/rest");
    } else if (search) {
      answer.response = github_search(first_param(query, "q"));
    } else {
      const std::string login = path.substr(7);
      const Person* person = nullptr;
      if (!query_misses("github:" + utf8_lower(login))) {
        for (const Directory* directory : directories()) {
          if ((person = directory->person_by_github_login(login)) != nullptr) {
            break;
          }
        }
      }
      answer.response = person == nullptr
                            ? github_error(404, "Not Found",
                                           "https://docs.github.com/rest/users/users#get-a-user")
                            : json_response(200, github_user(*person));
    }
    set_headers(answer.response);
    return answer;
  }

  // q: a term plus qualifiers, e.g. "jane@acme.com in:email". Only public e-mails match an e-mail
  // search, and a bare domain never does (notes 4.1).
  Response github_search(const std::string& q) REQUIRES(state_mutex) {
    std::string term;
    std::set<std::string> in;
    std::size_t start = 0;
    while (start < q.size()) {
      const auto end = std::min(q.find(' ', start), q.size());
      const std::string word = q.substr(start, end - start);
      if (starts_with(word, "in:")) {
        for (std::size_t from = 3; from <= word.size();) {
          const auto comma = std::min(word.find(',', from), word.size());
          in.insert(word.substr(from, comma - from));
          from = comma + 1;
        }
      } else if (!word.empty() && word.find(':') == std::string::npos) {
        term += (term.empty() ? "" : " ") + word;
      }
      start = end + 1;
    }
    if (term.empty()) {
      return json_response(
          422,
          {{"message", "Validation Failed"},
           {"errors", json::array({{{"resource", "Search"}, {"field", "q"}, {"code", "missing"}}})},
           {"documentation_url", "https://docs.github.com/rest/search/search#search-users"},
           {"status", "422"}});
    }
    const bool any_field = in.empty();
    const std::string lowered = utf8_lower(term);
    json items = json::array();
    std::set<std::string> logins;
    const bool missed = query_misses("github-search:" + lowered);
    for (const Directory* directory : directories()) {
      for (const auto& person : directory->people()) {
        const std::string login = github_login(person);
        if (missed || login.empty() || logins.count(utf8_lower(login)) > 0) {
          continue;
        }
        const bool email_hit = (any_field || in.count("email") > 0) && person.github_email_public &&
                               !person.emails.empty() && person.emails.front() == lowered;
        const bool login_hit = (any_field || in.count("login") > 0) &&
                               utf8_lower(login).find(lowered) != std::string::npos;
        const bool name_hit =
            (any_field || in.count("name") > 0) &&
            normalize_name(person.full_name).find(normalize_name(term)) != std::string::npos;
        if (email_hit || login_hit || name_hit) {
          logins.insert(utf8_lower(login));
          items.push_back(github_search_item(person));
        }
      }
    }
    const auto total = items.size();
    if (items.size() > 30) { // one page of the default per_page
      items.erase(items.begin() + 30, items.end());
    }
    return json_response(200,
                         {{"total_count", total}, {"incomplete_results", false}, {"items", items}});
  }

  // ---- admin ----

  Response admin(const Request& request, const std::string& path) {
    const bool post = request.method == "POST";
    if (path == "/_emulator/stats" && !post) {
      return json_response(200, stats());
    }
    if (path == "/_emulator/reset" && post) {
      reset();
      return json_response(200, {{"reset", true}});
    }
    if (path == "/_emulator/config") {
      if (post) {
        const auto changes = leadsync::parse_untrusted_json(request.body, "the request body");
        if (!changes.ok()) {
          return json_response(400, {{"error", changes.error().message}});
        }
        if (auto applied = configure(changes.value()); !applied.ok()) {
          return json_response(400, {{"error", applied.error().message}});
        }
      }
      leadsync::MutexLock lock(state_mutex);
      return json_response(200, knobs_to_json(options.knobs));
    }
    if (path == "/_emulator/records" && post) {
      const auto records = leadsync::parse_untrusted_json(request.body, "the request body");
      if (!records.ok()) {
        return json_response(400, {{"error", records.error().message}});
      }
      auto planted_count = plant(records.value());
      if (!planted_count.ok()) {
        return json_response(400, {{"error", planted_count.error().message}});
      }
      return json_response(200, {{"planted", planted_count.value()}});
    }
    return json_response(404,
                         {{"error", "unknown admin endpoint " + request.method + " " + path +
                                        "; see README: GET stats, POST reset, GET/POST config, "
                                        "POST records"}});
  }

  leadsync::Result<json> plant(const json& records) {
    if (!records.is_object()) {
      return fail(ErrorCategory::invalid_argument,
                  "the body must be a JSON object {\"people\":[...],\"companies\":[...]}");
    }
    std::vector<Person> people;
    std::vector<Company> companies;
    for (const char* list : {"people", "companies"}) {
      const auto it = records.find(list);
      if (it == records.end()) {
        continue;
      }
      if (!it->is_array()) {
        return fail(ErrorCategory::invalid_argument, std::string(list) + " must be an array");
      }
      for (std::size_t i = 0; i < it->size(); ++i) {
        const std::string where = std::string(list) + "[" + std::to_string(i) + "]: ";
        if (std::string(list) == "people") {
          auto person = person_from_pdl_json((*it)[i]);
          if (!person.ok()) {
            return fail(ErrorCategory::invalid_argument, where + person.error().message);
          }
          people.push_back(std::move(person.value()));
        } else {
          auto company = company_from_pdl_json((*it)[i]);
          if (!company.ok()) {
            return fail(ErrorCategory::invalid_argument, where + company.error().message);
          }
          companies.push_back(std::move(company.value()));
        }
      }
    }
    leadsync::MutexLock lock(state_mutex);
    const json counts = {{"people", people.size()}, {"companies", companies.size()}};
    for (auto& person : people) {
      planted.add(std::move(person));
    }
    for (auto& company : companies) {
      planted.add(std::move(company));
    }
    return counts;
  }

  leadsync::Status configure(const json& changes) {
    leadsync::MutexLock lock(state_mutex);
    LEADSYNC_TRY(const Knobs knobs, apply_knobs(options.knobs, changes));
    const bool regenerate =
        knobs.seed != options.knobs.seed || knobs.population != options.knobs.population;
    options.knobs = knobs;
    if (changes.contains("credits")) {
      credits.set_total(knobs.credits); // a new budget, nothing spent yet
    }
    if (regenerate) {
      population.clear();
      generate_population(population, knobs.seed, knobs.population);
    }
    return leadsync::ok_status();
  }

  void reset() {
    leadsync::MutexLock lock(state_mutex);
    planted.clear();
    limiter.clear();
    calls.clear();
    credits.restore();
    clearbit_billed.clear();
    clearbit_seen.clear();
    clearbit_ready.clear();
    fault_counter = 0;
    provider_calls = 0;
  }

  json stats() const {
    leadsync::MutexLock lock(state_mutex);
    json body = calls.to_json();
    body["totals"]["credits_spent"] = credits.spent();
    const auto remaining = credits.remaining();
    body["totals"]["credits_remaining"] = remaining ? json(*remaining) : json(nullptr);
    body["population"] = {{"people", population.people_count()},
                          {"companies", population.company_count()}};
    body["planted"] = {{"people", planted.people_count()}, {"companies", planted.company_count()}};
    body["clearbit_pending"] = clearbit_ready.size();
    return body;
  }

  // ---- dispatch ----

  void serve(const Request& request, Respond respond) {
    const auto started = steady_clock::now();
    const auto target = leadsync::http::split_target(request.url);
    const std::string& path = target.path;
    if (starts_with(path, "/_emulator/")) {
      auto response = admin(request, path);
      log(request, path, response.status, started);
      respond(std::move(response));
      return;
    }
    Answer answer;
    const auto query = parse_form_query(target.query);
    std::int64_t latency_ms = 0;
    {
      leadsync::MutexLock lock(state_mutex);
      latency_ms = options.knobs.latency_ms;
      const QueryParams params = query.value_or(QueryParams{});
      if (!query) {
        answer.endpoint = "bad_query";
        answer.response = json_response(400, {{"error", "the query string has a broken %-escape"}});
      } else if (auto storm = storm_or_reset(path)) {
        answer = std::move(*storm);
      } else if (starts_with(path, "/v5/")) {
        answer = pdl(request, path, params);
      } else if (starts_with(path, "/v2/")) {
        answer = clearbit(request, path, params);
      } else {
        answer = github(request, path, params);
      }
      std::int64_t billed = 0;
      if (answer.response.abort_connection || answer.response.status == 429) {
        billed = 0; // a storm or a reset: nothing was looked up
      } else if (answer.endpoint.rfind("pdl.", 0) == 0) {
        billed = std::stoll(answer.response.headers.get("x-call-credits-spent").value_or("0"));
      } else if (answer.response.headers.remove("X-Emulator-Billed") > 0) {
        billed = 1;
      }
      std::int64_t items = 1;
      if (answer.response.abort_connection) {
        items = 0;
      } else if (answer.endpoint == "pdl.person.bulk" || answer.endpoint == "pdl.company.bulk") {
        const auto body = json::parse(answer.response.body, nullptr, false);
        items = body.is_array() ? static_cast<std::int64_t>(body.size()) : 0;
      }
      calls.record(answer.endpoint, answer.response.status, items, billed);
    }
    log(request, path, answer.response.status, started);
    if (latency_ms > 0) {
      delays.schedule(started + std::chrono::milliseconds(latency_ms), std::move(respond),
                      std::move(answer.response));
    } else {
      respond(std::move(answer.response));
    }
  }

  void log(const Request& request, const std::string& path, int status,
           steady_clock::time_point started) const {
    if (!options.log_requests) {
      return;
    }
    // The path only: query strings carry e-mail addresses.
    const auto elapsed =
        std::chrono::duration_cast<std::chrono::milliseconds>(steady_clock::now() - started);
    leadsync::log::get()->info("{} {} {} {}ms", request.method, path, status, elapsed.count());
  }
};

Emulator::Emulator(EmulatorOptions options) : impl_(std::make_unique<Impl>(std::move(options))) {}

Emulator::~Emulator() {
  stop();
}

leadsync::Result<std::uint16_t> Emulator::start() {
  Impl& impl = *impl_;
  if (impl.running) {
    return fail(ErrorCategory::invalid_argument, "the emulator is already running");
  }
  LEADSYNC_TRY(const auto listen, parse_listen(impl.options.listen));
  {
    leadsync::MutexLock lock(impl.state_mutex);
    impl.population.clear();
    generate_population(impl.population, impl.options.knobs.seed, impl.options.knobs.population);
  }
  leadsync::http::ServerOptions server_options;
  server_options.address = listen.host;
  server_options.port = listen.port;
  server_options.threads = std::max<std::size_t>(1, impl.options.threads);
  impl.server = leadsync::http::make_beast_server(server_options);
  impl.delays.start();
  auto port = impl.server->start(
      [&impl](Request request, Respond respond) { impl.serve(request, std::move(respond)); });
  if (!port.ok()) {
    impl.delays.stop();
    return port.error();
  }
  impl.port = port.value();
  impl.running = true;
  if (!impl.options.port_file.empty()) {
    if (auto written = write_port_file(impl.options.port_file, impl.port); !written.ok()) {
      stop();
      return written.error();
    }
  }
  return impl.port;
}

void Emulator::stop() {
  if (!impl_ || !impl_->running) {
    return;
  }
  impl_->server->stop();
  impl_->delays.stop();
  impl_->running = false;
}

std::string Emulator::base_url() const {
  return "http://127.0.0.1:" + std::to_string(impl_->port);
}

leadsync::Result<nlohmann::json> Emulator::plant(const nlohmann::json& records) {
  return impl_->plant(records);
}

leadsync::Status Emulator::configure(const nlohmann::json& knobs) {
  return impl_->configure(knobs);
}

void Emulator::reset() {
  impl_->reset();
}

nlohmann::json Emulator::stats() const {
  return impl_->stats();
}

} // namespace femu
