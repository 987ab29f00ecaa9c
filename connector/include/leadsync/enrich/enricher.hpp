#pragma once
// The enrichment run: a waterfall over the configured providers for a set of leads.
//
// For each batch of leads, groups are asked in the order person, social, company; within a group
// the providers in configured order (free feeds first, then pay-on-match, then pay-per-request,
// unless pay_on_match_first is off). A provider is asked only for the leads that still miss a
// wanted field of the group at the wanted confidence, so the waterfall stops as soon as the fields
// are filled. Before a call it checks the answer cache (misses included), the provider's daily and
// monthly quotas and credit budgets (kept in the store, so a restart does not reset them) and its
// rate limit; a provider out of credits or quota is skipped, with one warning per run. Answers go
// into the lead under the merge policy of each field, each value with its provenance; the lead is
// written with an outbox entry, so push sends the new fields. A queued answer (202) is kept in the
// store and asked again at a later run, never counted as a miss. Consent decides what may be
// looked up about a person; company lookups stay allowed.
//
// Crash safety: usage is booked before a call (credits at their worst case, corrected after), the
// answer is cached before the lead is written, and each batch of leads is written in one
// transaction. A run killed at any point and started again loses no lead and pays again for no
// answer it received (only a call in flight at the kill, billed by the provider but never answered,
// is asked again); a lead is marked enriched (Lead::enriched_at) only when every lookup it needed
// was answered. Within a batch, leads asking the same question (colleagues sharing a company
// domain) share one lookup.

#include "leadsync/core/cancel.hpp"
#include "leadsync/core/clock.hpp"
#include "leadsync/core/config.hpp"
#include "leadsync/core/result.hpp"
#include "leadsync/enrich/provider.hpp"
#include "leadsync/enrich/registry.hpp"
#include "leadsync/store/store.hpp"

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace leadsync::enrich {

enum class MergePolicy { fill_empty, overwrite_if_more_confident, never };
std::optional<MergePolicy> parse_merge_policy(std::string_view text);

// A provider with the part of its config the waterfall applies (quotas, budgets, charges, cache).
struct ConfiguredProvider {
  config::EnrichProviderOptions options;
  std::unique_ptr<Provider> provider;
};

struct EnrichSettings {
  config::EnrichOptions options; // options.providers is not used here (see ConfiguredProvider)
  // Whether the CRM mapping can carry a value (an industry its option set knows). A refused value
  // is not written. Unset: every value is accepted.
  std::function<bool(std::string_view field, std::string_view value)> accepts;
  std::size_t batch_size = 100; // leads read and written per transaction
  // The longest a run waits for one provider's rate limit before leaving the rest for a later run.
  std::chrono::seconds max_rate_wait{600};
};

// listed: the leads of EnrichRequest::lead_ids (the daemon's webhook job).
enum class Selection { new_leads, all, one, listed };

struct EnrichProgress {
  std::int64_t leads_done = 0;
  std::int64_t leads_total = 0; // 0 when not known in advance
  std::int64_t lookups = 0;
  std::int64_t matched = 0;
};

struct EnrichRequest {
  Selection selection = Selection::new_leads;
  std::string lead_id;               // Selection::one
  std::vector<std::string> lead_ids; // Selection::listed; unknown and deleted ones are skipped
  bool record_run = true;            // false: no run history entry (the caller records one)
  std::string provider;              // only this provider; empty: all of them
  bool dry_run = false;              // count what would be asked; call nothing, write nothing
  std::int64_t limit = 0;            // at most this many leads; 0: no limit
  CancellationToken cancel;
  std::function<void(const EnrichProgress&)> on_progress;
};

struct ProviderTally {
  std::int64_t lookups = 0; // questions sent (each item of a bulk call counts one)
  std::int64_t calls = 0;   // HTTP calls
  std::int64_t matched = 0;
  std::int64_t no_match = 0;
  std::int64_t pending = 0;
  std::int64_t invalid = 0;
  std::int64_t errors = 0;
  std::int64_t cache_hits = 0;
  std::int64_t credits_spent = 0;
  std::int64_t fields_filled = 0;
  std::int64_t fields_refused = 0; // found, but the CRM mapping cannot carry them
  std::int64_t skipped = 0;        // not asked: out of credits, quota or budget, or rate-limited
  std::string status = "ok";       // "ok", "out_of_credits", "quota", "budget", "rate_limited",
                                   // "failed"
};

struct LeadFailure {
  std::string lead_id;
  std::string message;
};

struct EnrichOutcome {
  bool dry_run = false;
  std::int64_t leads = 0;    // looked at
  std::int64_t enriched = 0; // got at least one field
  std::int64_t lookups = 0;  // dry run: the lookups that would be sent
  std::int64_t matched = 0;
  std::int64_t fields_filled = 0;
  std::int64_t cache_hits = 0;
  std::int64_t credits_spent = 0;
  std::int64_t skipped_consent = 0;                    // leads not looked up for personal data
  std::map<std::string, std::int64_t> consent_reasons; // reason -> leads
  std::int64_t pending = 0;          // lookups queued at a provider, asked again later
  std::int64_t resolved_pending = 0; // queued lookups answered in this run
  std::int64_t deferred = 0;         // leads left for a later run (quota, budget, rate limit)
  std::int64_t errors = 0;           // failed lookups and lead writes
  std::vector<LeadFailure> failures; // at most 100; `errors` counts all
  std::map<std::string, ProviderTally> providers;
  std::vector<std::string> warnings; // one per provider and cause
  std::vector<std::string> notices;  // from providers' prepare() (feed files)
  bool interrupted = false;
  std::int64_t run_id = 0;   // the run history entry; 0 for a dry run
  std::string status = "ok"; // "ok" | "partial" | "failed" (run history rule)
};

class Enricher {
public:
  // Fails (config) when a wanted field or a merge key is not an enrichable field, a merge policy is
  // unknown, or two providers share a name.
  static Result<std::unique_ptr<Enricher>> create(EnrichSettings settings,
                                                  std::vector<ConfiguredProvider> providers,
                                                  store::Store& store, const Clock& clock,
                                                  Sleeper& sleeper);
  ~Enricher();
  Enricher(const Enricher&) = delete;
  Enricher& operator=(const Enricher&) = delete;

  // Fails only when the request itself is wrong (unknown --provider or lead); everything else is in
  // the outcome.
  Result<EnrichOutcome> run(const EnrichRequest& request);

  struct State;

private:
  explicit Enricher(std::unique_ptr<State> state);
  std::unique_ptr<State> state_;
};

// The periods usage is counted in: the UTC day ("2026-12-06") and month ("2026-12") of `now`.
struct UsagePeriods {
  std::string day;
  std::string month;
};
UsagePeriods usage_periods(std::chrono::system_clock::time_point now);

// Builds the providers from config.enrich.providers through the registry and the Enricher over
// them.
Result<std::unique_ptr<Enricher>> make_enricher(const config::Config& config,
                                                EnrichSettings settings, const Registry& registry,
                                                const ProviderEnvironment& environment,
                                                store::Store& store, const Clock& clock,
                                                Sleeper& sleeper);

} // namespace leadsync::enrich
