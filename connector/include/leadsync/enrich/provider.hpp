#pragma once
// An enrichment provider: one source a lead can be looked up in (a paid person/company API, a
// social-profile API, an aggregator's feed files). Providers are registered by kind
// (registry.hpp); the waterfall (waterfall.hpp) asks them in order, paces them, caches their
// answers and merges what they find into the lead with its provenance.
//
// A provider only asks and translates: it builds the request from a Query, sends it, and turns
// the response into an Answer in our field names with a normalized confidence. It keeps no
// quotas, budgets, cache or rate limits of its own; the waterfall does, from the config and from
// the RateState the provider reports.

#include "leadsync/core/result.hpp"
#include "leadsync/http/transport.hpp"

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace leadsync::enrich {

// What a lookup is for. One answer may fill fields of several groups (a person record names the
// employer); the group says what the waterfall was asking for, and which endpoint a provider uses.
enum class FieldGroup { person, company, social };
std::string_view to_string(FieldGroup group);
std::optional<FieldGroup> parse_field_group(std::string_view text);

// What a provider may be asked with, taken from the lead and already normalized. When consent
// forbids looking the person up (consent.hpp), the personal identifiers are empty and only the
// company ones are set.
struct Query {
  std::string lead_id; // for correlation only (bulk metadata); never sent as an identifier
  std::string email;   // primary e-mail, lower-case
  std::string phone;   // E.164
  std::string first_name;
  std::string last_name;
  std::string company_name;
  std::string domain;       // the company's registrable domain ("example.com")
  std::string linkedin_url; // "linkedin.com/in/anna-ivanova" (no scheme)
  std::string x_handle;     // without '@'
  std::string github_login;
  bool personal_allowed = true; // false: company lookups only
};

// One value found, in our field names (fields.hpp lists them) and text form: integers and numbers
// as decimal text ("250", "12500000.0"), URLs as the provider gave them.
struct FoundField {
  std::string field; // e.g. "person.job_title", "company.employee_count", "social.linkedin_url"
  std::string value;
  friend bool operator==(const FoundField&, const FoundField&) = default;
};

enum class Outcome {
  matched,       // a record was found (fields may still be empty)
  no_match,      // the provider knows nobody matching (PDL 404, Clearbit 404)
  pending,       // queued at the provider (Clearbit 202): ask again later, never a miss
  invalid_input, // the provider refused the query itself (Clearbit 422, PDL 400): don't retry it
};
std::string_view to_string(Outcome outcome);

struct Answer {
  Outcome outcome = Outcome::no_match;
  std::vector<FoundField> fields;
  double raw_confidence = 0; // in the provider's own scale (PDL likelihood 1..10, ...)
  double confidence = 0;     // normalized 0..1; each provider documents its mapping
  std::int64_t credits = 0;  // credits the provider billed for this answer (0 for a free miss)
  std::optional<std::chrono::seconds> retry_after; // pending: when to ask again, if it said
  std::string note; // for invalid_input: the provider's reason; otherwise empty
  friend bool operator==(const Answer&, const Answer&) = default;
};

// The rate-limit state a provider reported in its last response headers (x-ratelimit-*,
// Retry-After). Unset members were not reported.
struct RateState {
  std::optional<std::int64_t> limit;                          // requests per window
  std::optional<std::int64_t> remaining;                      // requests left in the window
  std::optional<std::chrono::system_clock::time_point> reset; // when the window resets
  std::optional<std::chrono::seconds> retry_after;
};

struct Capabilities {
  std::vector<FieldGroup> groups; // what it can be asked for
  std::size_t max_batch = 1;      // > 1: lookup_many sends up to this many queries in one call
  bool bills_misses = false;      // the provider charges for a 404 too (Clearbit)
};

// Failures are Result errors with the provider's HTTP status:
//   401/403 unauthorized/forbidden (not retryable: the key is wrong),
//   402 or a used-up quota: category forbidden, service_code "out_of_credits" (see out_of_credits),
//   429 throttled (retryable; rate_state() has what the provider said),
//   5xx and transport failures unavailable/timeout (retryable),
//   a body it cannot read: protocol.
// A "no match", "queued" or "invalid input" is an Answer, not an error.
inline constexpr std::string_view out_of_credits_code = "out_of_credits";
inline bool out_of_credits(const Error& error) {
  return error.service_code == out_of_credits_code;
}

class Provider {
public:
  virtual ~Provider() = default;
  virtual const std::string& name() const = 0; // from the config
  virtual std::string_view kind() const = 0;   // "pdl", "clearbit", "http_json", "file_feed"
  virtual Capabilities capabilities() const = 0;
  // The identity of this question for the cache and the pending list: equal keys mean the same
  // question to this provider ("person|email:anna@example.com"). Empty when the query holds nothing
  // this provider can look up for the group (the waterfall then skips it for this lead).
  virtual std::string lookup_key(const Query& query, FieldGroup group) const = 0;
  // Asks one question. Thread-safe.
  virtual Result<Answer> lookup(const Query& query, FieldGroup group,
                                const http::CallContext& context) = 0;
  // Asks several (at most capabilities().max_batch) in one call where the provider has a bulk
  // endpoint; one result per query, in order. When the whole call fails, every result carries that
  // error. The default asks one by one.
  virtual std::vector<Result<Answer>> lookup_many(const std::vector<Query>& queries,
                                                  FieldGroup group,
                                                  const http::CallContext& context);
  // Called once at the start of every run, before any lookup: a file feed re-indexes new or changed
  // files here. Returns notices for the run's summary and log (e.g. "feeds/a.jsonl:17: not a JSON
  // object; record skipped"); an error only when the provider cannot work at all this run.
  virtual Result<std::vector<std::string>> prepare(const http::CallContext& context) {
    (void)context;
    return std::vector<std::string>{};
  }
  // What the provider's last response said about its rate limit; empty when it says nothing.
  virtual RateState rate_state() const { return {}; }
};

} // namespace leadsync::enrich
