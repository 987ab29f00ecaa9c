#include "leadsync/enrich/enricher.hpp"

#include "leadsync/core/json_limits.hpp"
#include "leadsync/core/log.hpp"
#include "leadsync/enrich/consent.hpp"
#include "leadsync/enrich/fields.hpp"
#include "leadsync/enrich/rate_limiter.hpp"

#include <algorithm>
#include <deque>
#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <set>

namespace leadsync::enrich {

UsagePeriods usage_periods(std::chrono::system_clock::time_point now) {
  const std::chrono::year_month_day date{std::chrono::floor<std::chrono::days>(now)};
  const std::string month = fmt::format("{:04d}-{:02d}", static_cast<int>(date.year()),
                                        static_cast<unsigned>(date.month()));
  return {.day = fmt::format("{}-{:02d}", month, static_cast<unsigned>(date.day())),
          .month = month};
}

std::optional<MergePolicy> parse_merge_policy(std::string_view text) {
  if (text == "fill_empty") {
    return MergePolicy::fill_empty;
  }
  if (text == "overwrite_if_more_confident") {
    return MergePolicy::overwrite_if_more_confident;
  }
  if (text == "never") {
    return MergePolicy::never;
  }
  return std::nullopt;
}

namespace {

using std::chrono::system_clock;
constexpr std::size_t max_failures_kept = 100;
constexpr int max_attempts_per_chunk = 3;

// ---- the answer cache's encoding ---------------------------------------------------------------
std::string encode_answer(const Answer& answer) {
  nlohmann::json fields = nlohmann::json::array();
  for (const FoundField& field : answer.fields) {
    fields.push_back({field.field, field.value});
  }
  return nlohmann::json{{"outcome", to_string(answer.outcome)},
                        {"raw_confidence", answer.raw_confidence},
                        {"confidence", answer.confidence},
                        {"note", answer.note},
                        {"fields", fields}}
      .dump();
}

std::optional<Answer> decode_answer(const std::string& text) {
  // Our own cache rows, but read back from the store: depth-limited like any stored JSON.
  auto parsed = parse_untrusted_json(text, "the cached answer");
  if (!parsed.ok()) {
    return std::nullopt;
  }
  const nlohmann::json json = std::move(parsed).value();
  if (!json.is_object()) {
    return std::nullopt;
  }
  Answer answer;
  const std::string outcome = json.value("outcome", "");
  if (outcome == "matched") {
    answer.outcome = Outcome::matched;
  } else if (outcome == "no_match") {
    answer.outcome = Outcome::no_match;
  } else if (outcome == "invalid_input") {
    answer.outcome = Outcome::invalid_input;
  } else {
    return std::nullopt; // pending answers are never cached
  }
  answer.raw_confidence = json.value("raw_confidence", 0.0);
  answer.confidence = json.value("confidence", 0.0);
  answer.note = json.value("note", "");
  for (const auto& field : json.value("fields", nlohmann::json::array())) {
    if (field.is_array() && field.size() == 2 && field[0].is_string() && field[1].is_string()) {
      answer.fields.push_back(
          {.field = field[0].get<std::string>(), .value = field[1].get<std::string>()});
    }
  }
  return answer;
}

std::string github_login(const std::string& url) {
  const auto at = url.find("github.com/");
  if (at == std::string::npos) {
    return {};
  }
  std::string login = url.substr(at + 11);
  login = login.substr(0, login.find_first_of("/?#"));
  return login;
}

// ---- one lead in a batch ----------------------------------------------------------------------
struct LeadWork {
  model::Lead lead;
  Query query;
  ConsentDecision consent;
  bool changed = false;
  bool failed = false; // a lookup or the write failed: enriched_at is not set, a later run retries
  bool deferred = false; // a provider it needed was out of quota or rate-limited
  std::string failure;
};

Query query_for(const model::Lead& lead, const ConsentDecision& consent) {
  Query query;
  query.lead_id = lead.identity.id;
  query.company_name = lead.company.name;
  query.domain = lead.company.domain;
  query.personal_allowed = consent.personal_allowed;
  if (!consent.personal_allowed) {
    return query;
  }
  query.email = model::primary_email(lead);
  for (const model::Phone& phone : lead.person.phones) {
    if (phone.valid && !phone.e164.empty() &&
        (query.phone.empty() || phone.kind == model::PhoneKind::mobile)) {
      query.phone = phone.e164;
    }
  }
  query.first_name = lead.person.first_name;
  query.last_name = lead.person.last_name;
  query.linkedin_url = lead.social.linkedin_url;
  query.x_handle = lead.social.x_handle;
  query.github_login = github_login(lead.social.github_url);
  return query;
}

} // namespace

// ---- the run's state ----------------------------------------------------------------------------
struct ProviderRun {
  ConfiguredProvider* configured = nullptr;
  std::unique_ptr<RateLimiter> limiter;
  std::string stop_reason; // set once the provider must not be asked again in this run
  std::int64_t run_credits = 0;
};

struct Enricher::State {
  EnrichSettings settings;
  std::vector<ConfiguredProvider> providers; // in asking order
  std::vector<std::string> wanted;           // enrichable paths
  std::map<std::string, MergePolicy> merge;
  store::Store& store;
  const Clock& clock;
  Sleeper& sleeper;

  State(EnrichSettings settings_in, std::vector<ConfiguredProvider> providers_in,
        store::Store& store_in, const Clock& clock_in, Sleeper& sleeper_in)
      : settings(std::move(settings_in)), providers(std::move(providers_in)), store(store_in),
        clock(clock_in), sleeper(sleeper_in) {}

  // Per run.
  const EnrichRequest* request = nullptr;
  EnrichOutcome outcome;
  std::vector<ProviderRun> runs;
  std::set<std::tuple<std::string, std::string, std::string>> pending_keys; // provider,key,lead

  MergePolicy policy(const std::string& field) const {
    const auto found = merge.find(field);
    return found == merge.end() ? MergePolicy::fill_empty : found->second;
  }

  // The confidence the lead holds a field at: its provenance, 1 for a value a person or a list
  // gave (no provenance), -1 when empty.
  static double held_confidence(const model::Lead& lead, std::string_view field) {
    if (field_empty(lead, field)) {
      return -1;
    }
    for (const model::FieldProvenance& provenance : lead.enrichment) {
      if (provenance.field == field) {
        return provenance.confidence;
      }
    }
    return 1;
  }

  // Whether the waterfall still wants something of `group` for this lead.
  bool wants(const LeadWork& work, FieldGroup group) const {
    for (const std::string& path : wanted) {
      const EnrichableField* field = find_enrichable_field(path);
      if (field->group != group || (field->personal && !work.consent.personal_allowed) ||
          policy(path) == MergePolicy::never) {
        continue;
      }
      if (held_confidence(work.lead, path) < settings.options.min_confidence) {
        return true;
      }
    }
    return false;
  }

  void fail(LeadWork& work, const std::string& message) {
    if (!work.failed) {
      work.failed = true;
      work.failure = message;
    }
  }

  void warn_once(ProviderRun& run, const std::string& status, const std::string& message) {
    if (!run.stop_reason.empty()) {
      return;
    }
    run.stop_reason = status;
    outcome.providers[run.configured->options.name].status = status;
    outcome.warnings.push_back(message);
    log::get()->warn("{}", message);
  }

  // Puts the answer's fields into the lead under each field's merge policy.
  void apply(LeadWork& work, const std::string& provider, const Answer& answer,
             system_clock::time_point fetched_at) {
    ProviderTally& tally = outcome.providers[provider];
    for (const FoundField& found : answer.fields) {
      const EnrichableField* field = find_enrichable_field(found.field);
      if (field == nullptr || found.value.empty() ||
          (field->personal && !work.consent.personal_allowed)) {
        continue;
      }
      const std::string path(field->path);
      const MergePolicy merge_policy = policy(path);
      const double held = held_confidence(work.lead, path);
      bool has_provenance = false;
      for (const auto& provenance : work.lead.enrichment) {
        has_provenance = has_provenance || provenance.field == path;
      }
      const bool empty = held < 0;
      const bool overwrite = merge_policy == MergePolicy::overwrite_if_more_confident &&
                             has_provenance && answer.confidence > held &&
                             field_text(work.lead, path) != found.value;
      if (merge_policy == MergePolicy::never || !(empty || overwrite)) {
        continue;
      }
      if (settings.accepts && !settings.accepts(path, found.value)) {
        ++tally.fields_refused;
        continue;
      }
      if (!set_field(work.lead, path, found.value).ok()) {
        ++tally.fields_refused;
        continue;
      }
      std::erase_if(work.lead.enrichment, [&](const auto& p) { return p.field == path; });
      work.lead.enrichment.push_back({.field = path,
                                      .provider = provider,
                                      .raw_confidence = answer.raw_confidence,
                                      .confidence = answer.confidence,
                                      .fetched_at = fetched_at});
      work.changed = true;
      ++tally.fields_filled;
      ++outcome.fields_filled;
    }
  }

  // How many lookups the provider may still send now: quotas and budgets (0 = none).
  Result<std::int64_t> allowance(ProviderRun& run, std::int64_t wanted_lookups) {
    const config::EnrichProviderOptions& options = run.configured->options;
    const auto [day, month] = usage_periods(clock.now());
    LEADSYNC_TRY(const store::ProviderUsage today, store.get_usage(options.name, day));
    std::optional<store::ProviderUsage> this_month;
    if (options.monthly_quota > 0) {
      LEADSYNC_TRY(this_month, store.get_usage(options.name, month));
    }
    // Each limit: its setting (0: none), what is used of it, and what the warning says. A lookup
    // costs at most one credit, so budgets are checked against that worst case.
    struct Limit {
      std::int64_t setting;
      std::int64_t used;
      const char* status;
      const char* what;
      const char* until;
      const char* key;
    };
    const Limit limits[] = {
        {options.daily_quota, today.requests, "quota", "the daily quota of {} requests is used up",
         "skipped until tomorrow (UTC)", "daily_quota"},
        {options.monthly_quota, this_month ? this_month->requests : 0, "quota",
         "the monthly quota of {} requests is used up", "skipped until next month (UTC)",
         "monthly_quota"},
        {options.credit_budget_per_day, today.credits, "budget",
         "today's credit budget of {} is spent", "skipped until tomorrow (UTC)",
         "credit_budget_per_day"},
        {options.credit_budget_per_run, run.run_credits, "budget",
         "this run's credit budget of {} is spent", "the rest waits for the next run",
         "credit_budget_per_run"},
    };
    std::int64_t allowed = wanted_lookups;
    for (const Limit& limit : limits) {
      if (limit.setting <= 0) {
        continue;
      }
      allowed = std::min(allowed, limit.setting - limit.used);
      if (allowed <= 0) {
        warn_once(run, limit.status,
                  fmt::format("{}: {}; {} (enrich.provider {})", options.name,
                              fmt::format(fmt::runtime(limit.what), limit.setting), limit.until,
                              limit.key));
        return 0;
      }
    }
    return allowed;
  }

  Status book_usage(const std::string& provider, std::int64_t requests, std::int64_t credits) {
    const auto [day, month] = usage_periods(clock.now());
    return store.add_usage(provider, {day, month},
                           store::ProviderUsage{.requests = requests, .credits = credits});
  }

  // Asks `run`'s provider the questions in `asks` (the lead asking, lookup key); `sharing` names
  // the other leads of the batch with the same question, which get the same answer: one question
  // is paid once, however many colleagues share a company domain.
  void ask(ProviderRun& run, FieldGroup group, std::vector<LeadWork>& batch,
           std::vector<std::pair<std::size_t, std::string>> asks,
           const std::map<std::string, std::vector<std::size_t>>& sharing = {}) {
    const auto leads_of = [&sharing](std::size_t index, const std::string& key) {
      std::vector<std::size_t> leads{index};
      if (const auto found = sharing.find(key); found != sharing.end()) {
        leads.insert(leads.end(), found->second.begin(), found->second.end());
      }
      return leads;
    };
    ConfiguredProvider& configured = *run.configured;
    const std::string& name = configured.options.name;
    ProviderTally& tally = outcome.providers[name];
    const std::size_t max_batch =
        std::max<std::size_t>(1, configured.provider->capabilities().max_batch);
    std::deque<std::pair<std::size_t, std::string>> queue(asks.begin(), asks.end());
    int attempts = 0;
    while (!queue.empty()) {
      if (!run.stop_reason.empty() || request->cancel.cancelled()) {
        for (const auto& [index, key] : queue) {
          for (const std::size_t lead : leads_of(index, key)) {
            batch[lead].deferred = true;
            ++tally.skipped;
          }
        }
        return;
      }
      auto allowed = allowance(run, static_cast<std::int64_t>(std::min(queue.size(), max_batch)));
      if (!allowed) {
        for (const auto& [index, key] : queue) {
          for (const std::size_t lead : leads_of(index, key)) {
            fail(batch[lead], "usage ledger: " + allowed.error().message);
          }
        }
        ++outcome.errors;
        return;
      }
      if (*allowed <= 0) {
        continue; // warn_once set stop_reason; the loop defers the rest
      }
      const auto count = static_cast<std::size_t>(*allowed);
      std::vector<std::pair<std::size_t, std::string>> chunk(
          queue.begin(), queue.begin() + static_cast<std::ptrdiff_t>(count));
      const auto deadline = clock.steady_now() + settings.max_rate_wait;
      if (const Status waited = run.limiter->acquire(count, request->cancel, deadline);
          !waited.ok()) {
        if (waited.error().category == ErrorCategory::throttled) {
          warn_once(run, "rate_limited",
                    name + ": rate-limited for longer than " +
                        std::to_string(settings.max_rate_wait.count()) +
                        " s; the remaining leads wait for the next run");
        }
        continue;
      }
      // Book the worst case first (each lookup one request, one credit), so a crash during the
      // call can only over-count; the real credits are booked after the answer.
      const auto reserved = static_cast<std::int64_t>(count);
      if (const Status booked = book_usage(name, reserved, reserved); !booked.ok()) {
        for (const auto& [index, key] : chunk) {
          for (const std::size_t lead : leads_of(index, key)) {
            fail(batch[lead], "usage ledger: " + booked.error().message);
          }
        }
        ++outcome.errors;
        queue.erase(queue.begin(), queue.begin() + static_cast<std::ptrdiff_t>(count));
        continue;
      }
      std::vector<Query> queries;
      queries.reserve(chunk.size());
      for (const auto& [index, key] : chunk) {
        queries.push_back(batch[index].query);
      }
      http::CallContext context;
      context.cancel = request->cancel;
      context.idempotent = true;
      std::vector<Result<Answer>> results =
          count == 1
              ? std::vector<Result<Answer>>{configured.provider->lookup(queries[0], group, context)}
              : configured.provider->lookup_many(queries, group, context);
      ++tally.calls;
      const system_clock::time_point fetched_at = clock.now();
      std::int64_t credits = 0;
      bool throttled = false;
      std::vector<store::CachedAnswer> to_cache;
      std::vector<std::pair<std::size_t, std::string>> retry;
      for (std::size_t i = 0; i < chunk.size(); ++i) {
        const auto& [index, key] = chunk[i];
        const std::vector<std::size_t> leads = leads_of(index, key);
        if (i >= results.size()) {
          retry.push_back(chunk[i]);
          continue;
        }
        const Result<Answer>& result = results[i];
        if (!result.ok()) {
          const Error& error = result.error();
          if (out_of_credits(error)) {
            warn_once(run, "out_of_credits",
                      name + ": out of credits (HTTP " + std::to_string(error.http_status) +
                          "); skipped for the rest of this run. Buy credits or raise the plan, "
                          "then run enrich again");
            retry.push_back(chunk[i]);
          } else if (error.category == ErrorCategory::throttled ||
                     (error.retryable && attempts + 1 < max_attempts_per_chunk)) {
            throttled = throttled || error.category == ErrorCategory::throttled;
            retry.push_back(chunk[i]);
          } else if (error.category == ErrorCategory::cancelled) {
            for (const std::size_t lead : leads) {
              batch[lead].deferred = true;
            }
          } else {
            for (const std::size_t lead : leads) {
              ++tally.errors;
              ++outcome.errors;
              fail(batch[lead], name + ": " + error.describe());
            }
            if (error.category == ErrorCategory::unauthorized ||
                error.category == ErrorCategory::forbidden) {
              warn_once(run, "failed",
                        name + ": the provider refused the API key (" + error.describe() +
                            "); check enrich.provider api_key_env / api_key_file");
            }
          }
          continue;
        }
        const Answer& answer = *result;
        ++tally.lookups;
        ++outcome.lookups;
        credits += answer.credits;
        switch (answer.outcome) {
        case Outcome::pending: {
          ++tally.pending;
          ++outcome.pending;
          const auto wait =
              answer.retry_after.value_or(std::chrono::seconds{settings.options.pending_retry_s});
          for (const std::size_t lead : leads) {
            const Status kept = store.put_pending_lookup({.provider = name,
                                                          .key = key,
                                                          .lead_id = batch[lead].lead.identity.id,
                                                          .group = std::string(to_string(group)),
                                                          .not_before = fetched_at + wait,
                                                          .attempts = 1,
                                                          .created_at = {}});
            if (!kept.ok()) {
              fail(batch[lead], "could not keep the queued lookup: " + kept.error().message);
            }
          }
          continue;
        }
        case Outcome::matched:
          ++tally.matched;
          ++outcome.matched;
          break;
        case Outcome::no_match:
          ++tally.no_match;
          break;
        case Outcome::invalid_input:
          ++tally.invalid;
          break;
        }
        if (configured.options.cache_ttl_days > 0) {
          to_cache.push_back({.provider = name,
                              .key = key,
                              .answer = encode_answer(answer),
                              .matched = answer.outcome == Outcome::matched,
                              .fetched_at = fetched_at,
                              .expires_at = fetched_at + std::chrono::hours{24} *
                                                             configured.options.cache_ttl_days});
        }
        if (answer.outcome == Outcome::matched &&
            answer.confidence + 1e-9 >= configured.options.min_confidence) {
          for (const std::size_t lead : leads) {
            apply(batch[lead], name, answer, fetched_at);
          }
        }
      }
      run.run_credits += credits;
      tally.credits_spent += credits;
      outcome.credits_spent += credits;
      if (const Status corrected = book_usage(name, 0, credits - reserved); !corrected.ok()) {
        log::get()->warn("{}: could not correct the usage ledger: {}", name,
                         corrected.error().message);
      }
      if (!to_cache.empty()) {
        if (const Status cached = store.put_cached_answers(to_cache); !cached.ok()) {
          log::get()->warn("{}: could not cache answers: {}", name, cached.error().message);
        }
      }
      run.limiter->observe(configured.provider->rate_state(), throttled);
      queue.erase(queue.begin(), queue.begin() + static_cast<std::ptrdiff_t>(count));
      if (!retry.empty()) {
        ++attempts;
        if (attempts >= max_attempts_per_chunk && !throttled) {
          for (const auto& [index, key] : retry) {
            for (const std::size_t lead : leads_of(index, key)) {
              ++tally.errors;
              ++outcome.errors;
              fail(batch[lead], name + ": the provider kept failing; run enrich again later");
            }
          }
        } else {
          queue.insert(queue.begin(), retry.begin(), retry.end());
        }
      } else {
        attempts = 0;
      }
    }
  }

  // One (group, provider) step of the waterfall over a batch.
  void step(ProviderRun& run, FieldGroup group, std::vector<LeadWork>& batch) {
    ConfiguredProvider& configured = *run.configured;
    const std::string& name = configured.options.name;
    ProviderTally& tally = outcome.providers[name];
    std::vector<std::pair<std::size_t, std::string>> asks;
    std::map<std::string, std::vector<std::size_t>> sharing; // same question, other leads
    const system_clock::time_point now = clock.now();
    for (std::size_t index = 0; index < batch.size(); ++index) {
      LeadWork& work = batch[index];
      if (work.failed || !wants(work, group) ||
          (group != FieldGroup::company && !work.consent.personal_allowed)) {
        continue;
      }
      const std::string key = configured.provider->lookup_key(work.query, group);
      if (key.empty() || pending_keys.contains({name, key, work.lead.identity.id})) {
        continue;
      }
      if (configured.options.cache_ttl_days > 0) {
        auto cached = store.get_cached_answer(name, key, now);
        if (!cached.ok()) {
          fail(work, "answer cache: " + cached.error().message);
          ++outcome.errors;
          continue;
        }
        if (cached->has_value()) {
          if (const std::optional<Answer> answer = decode_answer((*cached)->answer)) {
            ++tally.cache_hits;
            ++outcome.cache_hits;
            if (answer->outcome == Outcome::matched &&
                answer->confidence + 1e-9 >= configured.options.min_confidence) {
              if (!request->dry_run) {
                apply(work, name, *answer, (*cached)->fetched_at);
              }
            }
            continue;
          }
        }
      }
      if (std::any_of(asks.begin(), asks.end(),
                      [&key](const auto& ask) { return ask.second == key; })) {
        sharing[key].push_back(index);
        continue;
      }
      asks.emplace_back(index, key);
    }
    if (asks.empty()) {
      return;
    }
    if (request->dry_run) {
      tally.lookups += static_cast<std::int64_t>(asks.size());
      outcome.lookups += static_cast<std::int64_t>(asks.size());
      return;
    }
    if (!run.stop_reason.empty()) {
      for (const auto& [index, key] : asks) {
        batch[index].deferred = true;
        ++tally.skipped;
      }
      for (const auto& [key, leads] : sharing) {
        for (const std::size_t index : leads) {
          batch[index].deferred = true;
          ++tally.skipped;
        }
      }
      return;
    }
    ask(run, group, batch, std::move(asks), sharing);
  }

  // Writes the batch in one transaction (one by one when that fails, so one bad lead does not hold
  // back the others).
  void write(std::vector<LeadWork>& batch) {
    const system_clock::time_point now = clock.now();
    std::vector<store::LeadWrite> writes;
    std::vector<std::size_t> written;
    for (std::size_t index = 0; index < batch.size(); ++index) {
      LeadWork& work = batch[index];
      const bool complete = !work.failed && !work.deferred;
      if (complete) {
        work.lead.enriched_at = now;
      }
      if (!work.changed && !complete) {
        continue;
      }
      writes.push_back(
          {.kind = store::WriteKind::update,
           .lead = work.lead,
           .options = {.enqueue = work.changed, .operation = store::OutboxOperation::upsert}});
      written.push_back(index);
    }
    if (writes.empty()) {
      return;
    }
    if (store.write_batch(writes, std::nullopt).ok()) {
      return;
    }
    for (std::size_t i = 0; i < writes.size(); ++i) {
      LeadWork& work = batch[written[i]];
      auto single = store.update_lead(writes[i].lead, writes[i].options);
      if (!single.ok()) {
        ++outcome.errors;
        work.changed = false;
        fail(work, single.error().category == ErrorCategory::conflict
                       ? "the lead changed while it was being enriched; run enrich again (its "
                         "answers are cached, nothing is paid twice)"
                       : "could not save the lead: " + single.error().message);
      }
    }
  }

  void finish_batch(std::vector<LeadWork>& batch) {
    write(batch);
    for (const LeadWork& work : batch) {
      ++outcome.leads;
      outcome.enriched += work.changed ? 1 : 0;
      outcome.deferred += work.deferred && !work.failed ? 1 : 0;
      if (!work.consent.personal_allowed) {
        ++outcome.skipped_consent;
        ++outcome.consent_reasons[work.consent.reason];
      }
      if (work.failed && outcome.failures.size() < max_failures_kept) {
        outcome.failures.push_back({.lead_id = work.lead.identity.id, .message = work.failure});
      }
    }
  }

  void process(std::vector<model::Lead> leads) {
    std::vector<LeadWork> batch;
    batch.reserve(leads.size());
    for (model::Lead& lead : leads) {
      LeadWork work;
      work.consent = personal_lookup_consent(lead, settings.options);
      work.query = query_for(lead, work.consent);
      work.lead = std::move(lead);
      batch.push_back(std::move(work));
    }
    for (const FieldGroup group : {FieldGroup::person, FieldGroup::social, FieldGroup::company}) {
      for (ProviderRun& run : runs) {
        const auto& groups = run.configured->provider->capabilities().groups;
        const auto& configured_groups = run.configured->options.groups;
        if (std::find(groups.begin(), groups.end(), group) == groups.end() ||
            (!configured_groups.empty() &&
             std::find(configured_groups.begin(), configured_groups.end(),
                       std::string(to_string(group))) == configured_groups.end())) {
          continue;
        }
        step(run, group, batch);
      }
    }
    if (!request->dry_run) {
      finish_batch(batch);
    } else {
      for (const LeadWork& work : batch) {
        ++outcome.leads;
        if (!work.consent.personal_allowed) {
          ++outcome.skipped_consent;
          ++outcome.consent_reasons[work.consent.reason];
        }
      }
    }
  }

  ProviderRun* run_of(const std::string& provider) {
    for (ProviderRun& run : runs) {
      if (run.configured->options.name == provider) {
        return &run;
      }
    }
    return nullptr;
  }

  // Asks again the queued lookups whose time has come.
  void resolve_pending() {
    auto pending = store.list_pending_lookups(1000);
    if (!pending.ok()) {
      outcome.warnings.push_back("could not read the queued lookups: " + pending.error().message);
      return;
    }
    const system_clock::time_point now = clock.now();
    std::vector<store::PendingLookup> due;
    for (const store::PendingLookup& lookup : *pending) {
      pending_keys.insert({lookup.provider, lookup.key, lookup.lead_id});
      if (lookup.not_before <= now && run_of(lookup.provider) != nullptr) {
        due.push_back(lookup);
      }
    }
    for (const store::PendingLookup& lookup : due) {
      if (request->cancel.cancelled()) {
        return;
      }
      ProviderRun& run = *run_of(lookup.provider);
      const std::optional<FieldGroup> group = parse_field_group(lookup.group);
      auto lead = store.get_lead(lookup.lead_id);
      if (!group || !lead.ok() || lead->deleted) {
        (void)store.delete_pending_lookup(lookup.provider, lookup.key, lookup.lead_id);
        continue;
      }
      std::vector<LeadWork> batch(1);
      batch[0].consent = personal_lookup_consent(*lead, settings.options);
      batch[0].query = query_for(*lead, batch[0].consent);
      batch[0].lead = std::move(*lead);
      if (run.configured->provider->lookup_key(batch[0].query, *group) != lookup.key) {
        // The lead changed (or its consent did): the queued question is no longer the one to ask.
        (void)store.delete_pending_lookup(lookup.provider, lookup.key, lookup.lead_id);
        continue;
      }
      const std::int64_t pending_before = outcome.pending;
      pending_keys.erase({lookup.provider, lookup.key, lookup.lead_id});
      ask(run, *group, batch, {{0, lookup.key}});
      if (outcome.pending > pending_before) {
        // Still queued: ask() stored it again with a new time; count the attempt.
        store::PendingLookup again = lookup;
        again.attempts = lookup.attempts + 1;
        again.not_before = clock.now() + std::chrono::seconds{settings.options.pending_retry_s};
        (void)store.put_pending_lookup(again);
        pending_keys.insert({lookup.provider, lookup.key, lookup.lead_id});
        continue;
      }
      if (!batch[0].failed && !batch[0].deferred) {
        (void)store.delete_pending_lookup(lookup.provider, lookup.key, lookup.lead_id);
        ++outcome.resolved_pending;
      }
      if (batch[0].changed) {
        write(batch);
        outcome.enriched += batch[0].changed ? 1 : 0;
      }
    }
  }
};

Enricher::Enricher(std::unique_ptr<State> state) : state_(std::move(state)) {}
Enricher::~Enricher() = default;

Result<std::unique_ptr<Enricher>> Enricher::create(EnrichSettings settings,
                                                   std::vector<ConfiguredProvider> providers,
                                                   store::Store& store, const Clock& clock,
                                                   Sleeper& sleeper) {
  std::vector<std::string> wanted = settings.options.wanted_fields;
  if (wanted.empty()) {
    for (const EnrichableField& field : enrichable_fields()) {
      wanted.emplace_back(field.path);
    }
  }
  std::string known;
  for (const EnrichableField& field : enrichable_fields()) {
    known += (known.empty() ? "" : ", ") + std::string(field.path);
  }
  for (const std::string& path : wanted) {
    if (find_enrichable_field(path) == nullptr) {
      return Error::make(ErrorCategory::config,
                         fmt::format("enrich.wanted_fields: '{}' is not a field enrichment can "
                                     "fill; use one of: {}",
                                     path, known));
    }
  }
  std::map<std::string, MergePolicy> merge;
  for (const auto& [path, text] : settings.options.merge) {
    if (find_enrichable_field(path) == nullptr) {
      return Error::make(ErrorCategory::config,
                         fmt::format("enrich.merge: '{}' is not a field enrichment can fill; use "
                                     "one of: {}",
                                     path, known));
    }
    const std::optional<MergePolicy> policy = parse_merge_policy(text);
    if (!policy) {
      return Error::make(ErrorCategory::config,
                         fmt::format("enrich.merge.\"{}\": '{}' is not a merge policy; use "
                                     "fill_empty, overwrite_if_more_confident or never",
                                     path, text));
    }
    merge.emplace(path, *policy);
  }
  std::set<std::string> names;
  for (const ConfiguredProvider& provider : providers) {
    if (!names.insert(provider.options.name).second) {
      return Error::make(ErrorCategory::config, "enrich.provider: the name '" +
                                                    provider.options.name +
                                                    "' is used twice; give each its own");
    }
  }
  if (settings.options.pay_on_match_first) {
    // Free feeds first, then providers that charge only on a match, then those charging every
    // request; the configured order holds within each.
    const auto rank = [](const ConfiguredProvider& provider) {
      if (provider.options.kind == "file_feed") {
        return 0;
      }
      return provider.options.charges == "request" ? 2 : 1;
    };
    std::stable_sort(providers.begin(), providers.end(),
                     [&](const auto& a, const auto& b) { return rank(a) < rank(b); });
  }
  auto state =
      std::make_unique<State>(std::move(settings), std::move(providers), store, clock, sleeper);
  state->wanted = std::move(wanted);
  state->merge = std::move(merge);
  return std::unique_ptr<Enricher>(new Enricher(std::move(state)));
}

Result<EnrichOutcome> Enricher::run(const EnrichRequest& request) {
  State& state = *state_;
  state.request = &request;
  state.outcome = EnrichOutcome{};
  state.outcome.dry_run = request.dry_run;
  state.runs.clear();
  state.pending_keys.clear();
  for (ConfiguredProvider& configured : state.providers) {
    if (!request.provider.empty() && configured.options.name != request.provider) {
      continue;
    }
    state.runs.push_back({.configured = &configured,
                          .limiter = std::make_unique<RateLimiter>(
                              configured.options.rate_limit_per_min, state.clock, state.sleeper),
                          .stop_reason = {},
                          .run_credits = 0});
    state.outcome.providers[configured.options.name] = ProviderTally{};
  }
  if (!request.provider.empty() && state.runs.empty()) {
    std::string names;
    for (const ConfiguredProvider& configured : state.providers) {
      names += (names.empty() ? "" : ", ") + configured.options.name;
    }
    return Error::make(ErrorCategory::invalid_argument,
                       "no enrichment provider is named '" + request.provider +
                           "'; configured: " + (names.empty() ? "none" : names));
  }
  std::optional<model::Lead> single;
  if (request.selection == Selection::one) {
    LEADSYNC_TRY(model::Lead lead, state.store.get_lead(request.lead_id));
    if (lead.deleted) {
      return Error::make(ErrorCategory::not_found,
                         "lead " + request.lead_id + " is deleted; nothing to enrich");
    }
    single = std::move(lead);
  }

  store::RunRecord record;
  const bool recorded = !request.dry_run && request.record_run;
  if (recorded) {
    LEADSYNC_TRY(record, state.store.begin_run("enrich"));
    state.outcome.run_id = record.id;
  }
  http::CallContext prepare_context;
  prepare_context.cancel = request.cancel;
  for (ProviderRun& run : state.runs) {
    auto notices = run.configured->provider->prepare(prepare_context);
    if (!notices.ok()) {
      state.warn_once(run, "failed",
                      run.configured->options.name + ": " + notices.error().describe());
      continue;
    }
    for (std::string& notice : *notices) {
      state.outcome.notices.push_back(run.configured->options.name + ": " + std::move(notice));
    }
  }
  if (!request.dry_run) {
    state.resolve_pending();
  } else {
    auto pending = state.store.list_pending_lookups(1000);
    if (pending.ok()) {
      for (const auto& lookup : *pending) {
        state.pending_keys.insert({lookup.provider, lookup.key, lookup.lead_id});
      }
    }
  }

  EnrichProgress progress;
  if (request.selection == Selection::all) {
    if (auto stats = state.store.stats(); stats.ok()) {
      progress.leads_total = stats->leads;
    }
  }
  if (request.limit > 0 && (progress.leads_total == 0 || request.limit < progress.leads_total)) {
    progress.leads_total = request.selection == Selection::all ? request.limit : 0;
  }
  const auto report = [&] {
    if (request.on_progress) {
      progress.leads_done = state.outcome.leads;
      progress.lookups = state.outcome.lookups;
      progress.matched = state.outcome.matched;
      request.on_progress(progress);
    }
  };

  if (single) {
    if (request.selection == Selection::one) {
      progress.leads_total = 1;
    }
    state.process({std::move(*single)});
    report();
  } else if (request.selection == Selection::listed) {
    progress.leads_total = static_cast<std::int64_t>(request.lead_ids.size());
    std::vector<model::Lead> batch;
    for (std::size_t next = 0; next < request.lead_ids.size() && !request.cancel.cancelled();) {
      batch.clear();
      while (next < request.lead_ids.size() && batch.size() < state.settings.batch_size) {
        auto lead = state.store.get_lead(request.lead_ids[next++]);
        if (lead.ok() && !lead->deleted) {
          batch.push_back(std::move(lead).value());
        } else if (!lead.ok() && lead.error().category != ErrorCategory::not_found) {
          ++state.outcome.errors;
          state.outcome.warnings.push_back("could not read lead " + request.lead_ids[next - 1] +
                                           ": " + lead.error().message);
        }
      }
      state.process(std::move(batch));
      report();
    }
  } else {
    store::LeadFilter filter;
    if (request.selection == Selection::new_leads) {
      filter.enriched = false;
    }
    store::PageRequest page{.limit = state.settings.batch_size, .after = {}};
    while (!request.cancel.cancelled()) {
      if (request.limit > 0) {
        const std::int64_t left = request.limit - state.outcome.leads;
        if (left <= 0) {
          break;
        }
        page.limit = std::min<std::size_t>(page.limit, static_cast<std::size_t>(left));
      }
      auto leads = state.store.list_leads(filter, page);
      if (!leads.ok()) {
        ++state.outcome.errors;
        state.outcome.warnings.push_back("could not read leads: " + leads.error().message);
        break;
      }
      const std::string next = leads->next;
      state.process(std::move(leads->leads));
      report();
      if (next.empty()) {
        break;
      }
      page.after = next;
    }
  }
  state.outcome.interrupted = request.cancel.cancelled();
  EnrichOutcome& outcome = state.outcome;
  const bool errors = outcome.errors > 0;
  outcome.status = outcome.interrupted || errors ? "partial" : "ok";
  if (errors && outcome.enriched == 0 && outcome.matched == 0 && outcome.cache_hits == 0) {
    outcome.status = "failed";
  }
  if (recorded) {
    record.status = outcome.interrupted ? "interrupted" : outcome.status;
    record.finished_at = state.clock.now();
    record.counts = {{"leads", outcome.leads},
                     {"enriched", outcome.enriched},
                     {"lookups", outcome.lookups},
                     {"matched", outcome.matched},
                     {"fields_filled", outcome.fields_filled},
                     {"cache_hits", outcome.cache_hits},
                     {"credits_spent", outcome.credits_spent},
                     {"skipped_consent", outcome.skipped_consent},
                     {"pending", outcome.pending},
                     {"deferred", outcome.deferred},
                     {"errors", outcome.errors}};
    record.message = std::to_string(outcome.enriched) + " of " + std::to_string(outcome.leads) +
                     " leads enriched, " + std::to_string(outcome.credits_spent) + " credits spent";
    if (const Status finished = state.store.finish_run(record); !finished.ok()) {
      state.outcome.warnings.push_back("could not record the run: " + finished.error().message);
    }
  }
  return std::move(state.outcome);
}

Result<std::unique_ptr<Enricher>> make_enricher(const config::Config& config,
                                                EnrichSettings settings, const Registry& registry,
                                                const ProviderEnvironment& environment,
                                                store::Store& store, const Clock& clock,
                                                Sleeper& sleeper) {
  std::vector<ConfiguredProvider> providers;
  for (const config::EnrichProviderOptions& options : config.enrich.providers) {
    LEADSYNC_TRY(std::unique_ptr<Provider> provider, registry.make(options, environment));
    providers.push_back({.options = options, .provider = std::move(provider)});
  }
  settings.options = config.enrich;
  return Enricher::create(std::move(settings), std::move(providers), store, clock, sleeper);
}

} // namespace leadsync::enrich
