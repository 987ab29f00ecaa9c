#pragma once
// A scripted enrichment provider for the waterfall's tests: answers by e-mail (or domain for the
// company group) from a table, records every call, and can be told to fail.

#include "leadsync/core/cancel.hpp"
#include "leadsync/core/clock.hpp"
#include "leadsync/enrich/provider.hpp"
#include "support/sleepers.hpp"

#include <deque>
#include <map>
#include <mutex>
#include <string>
#include <vector>

namespace leadsync::enrich::testing {

class FakeProvider final : public Provider {
public:
  FakeProvider(std::string name, std::vector<FieldGroup> groups, std::size_t max_batch = 1)
      : name_(std::move(name)), groups_(std::move(groups)), max_batch_(max_batch) {}

  // The answer for a person/social lookup of this e-mail, or a company lookup of this domain.
  void answer(const std::string& key, Answer answer) { answers_[key] = std::move(answer); }
  // The next calls fail with these errors, one per call, before answers are given again.
  void fail_next(Error error) { failures_.push_back(std::move(error)); }
  void set_rate_state(RateState state) { rate_state_ = state; }

  const std::string& name() const override { return name_; }
  std::string_view kind() const override { return "fake"; }
  Capabilities capabilities() const override {
    return {.groups = groups_, .max_batch = max_batch_, .bills_misses = false};
  }
  std::string lookup_key(const Query& query, FieldGroup group) const override {
    if (group == FieldGroup::company) {
      return query.domain.empty() ? "" : "company|" + query.domain;
    }
    return query.email.empty() ? "" : std::string(to_string(group)) + "|" + query.email;
  }
  Result<Answer> lookup(const Query& query, FieldGroup group,
                        const http::CallContext& context) override {
    return lookup_many({query}, group, context).front();
  }
  std::vector<Result<Answer>> lookup_many(const std::vector<Query>& queries, FieldGroup group,
                                          const http::CallContext& /*context*/) override {
    std::lock_guard lock(mutex_);
    calls.push_back(queries.size());
    std::vector<Result<Answer>> results;
    if (!failures_.empty()) {
      const Error error = failures_.front();
      failures_.pop_front();
      for (std::size_t i = 0; i < queries.size(); ++i) {
        results.emplace_back(Failure{error});
      }
      return results;
    }
    for (const Query& query : queries) {
      asked.push_back(group == FieldGroup::company ? query.domain : query.email);
      const auto found = answers_.find(group == FieldGroup::company ? query.domain : query.email);
      if (found == answers_.end()) {
        results.emplace_back(Answer{.outcome = Outcome::no_match,
                                    .fields = {},
                                    .raw_confidence = 0,
                                    .confidence = 0,
                                    .credits = 0,
                                    .retry_after = std::nullopt,
                                    .note = {}});
      } else {
        results.emplace_back(found->second);
      }
    }
    return results;
  }
  RateState rate_state() const override { return rate_state_; }

  std::vector<std::size_t> calls; // lookups per call
  std::vector<std::string> asked; // e-mails / domains asked, in order

private:
  std::string name_;
  std::vector<FieldGroup> groups_;
  std::size_t max_batch_;
  std::map<std::string, Answer> answers_;
  std::deque<Error> failures_;
  RateState rate_state_;
  std::mutex mutex_;
};

inline Answer matched(std::vector<FoundField> fields, double confidence = 0.9,
                      std::int64_t credits = 1) {
  return {.outcome = Outcome::matched,
          .fields = std::move(fields),
          .raw_confidence = confidence * 10,
          .confidence = confidence,
          .credits = credits,
          .retry_after = std::nullopt,
          .note = {}};
}

using test::ClockSleeper;

} // namespace leadsync::enrich::testing
