#pragma once
// The Runtime: what every job runs against, assembled once from the config, the store and a clock.
// The CLI makes one per command; the daemon holds one for weeks, runs jobs of different kinds on
// different threads with it at once, and on SIGHUP makes a new one from the new config and swaps
// it in (hold it in a std::shared_ptr: jobs in flight keep the old one until they end).
//
// Making one is cheap: it reads no mapping and connects to nothing. What a job needs is made on
// first need and then kept, each behind its own lock (every accessor is thread-safe):
//   crm()      the CRM connection (dataverse::connect: pipeline, token provider, limiter), the lead
//              mapping, pull.crm_owned_fields, the Crm adapter and the caching lookup resolver;
//   rules()    the qualification rules (qualify.rules);
//   enricher() the enrichment waterfall over [[enrich.provider]] (used by one run at a time).
// A failure to make one is returned and not kept: the next call tries again (the CRM may be back,
// the file fixed).
//
// Start-up recovery (open() and create(), unless RuntimeOptions::recover is false), best effort:
//   - runs left "running" by a leadsync process of this host that no longer lives are finished as
//     interrupted, so the history tells the truth (sync::interrupt_runs_of_dead_processes);
//   - outbox entries leased by a push of this host that no longer lives are freed at once instead
//     of after their lease expires (sync::recover_leases_of_dead_pushes). The next push reports
//     them as taken back (take_unreported_leases()), as if it had freed them itself;
//   - webhook events leased by a daemon of this host that no longer lives are given back at once
//     (sync::recover_webhook_events_of_dead_processes).
// A store that cannot be read for it is logged as a warning; the runtime works all the same.

#include "leadsync/core/clock.hpp"
#include "leadsync/core/config.hpp"
#include "leadsync/core/mutex.hpp"
#include "leadsync/core/result.hpp"
#include "leadsync/dataverse/connect.hpp"
#include "leadsync/enrich/enricher.hpp"
#include "leadsync/enrich/session.hpp"
#include "leadsync/mapping/lead_mapping.hpp"
#include "leadsync/mapping/lookup.hpp"
#include "leadsync/qualify/rules.hpp"
#include "leadsync/store/store.hpp"
#include "leadsync/sync/dataverse_crm.hpp"
#include "leadsync/sync/lease_recovery.hpp"

#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace leadsync::jobs {

// What the runtime needs to talk to the CRM, made on first need (what cli::SyncEngine was).
struct CrmLink {
  dataverse::Connection connection; // client, retry policy (throttling figures), limiter
  mapping::LeadMapping mapping;     // mapping.lead
  mapping::FieldSet crm_owned;      // pull.crm_owned_fields
  std::unique_ptr<sync::DataverseCrm> crm;
  std::unique_ptr<mapping::CachingLookupResolver> lookups; // over `crm`
};

struct RuntimeOptions {
  Clock* clock = nullptr; // null: the system clock
  // How crm() connects; null: dataverse::connect(config). Tests connect through a fake transport.
  std::function<Result<dataverse::Connection>(const config::Config&)> connect;
  enrich::SessionOptions enrich; // the enrichment providers' transport, clock and sleeper
  bool recover = true;           // run start-up recovery (a reload over the same store needs none)
  // Who this process is for start-up recovery; empty / 0 / null: host_name(), getpid(),
  // sync::process_alive. Tests name dead processes of their own.
  std::string host;
  long pid = 0;
  sync::ProcessAlive alive;
};

// What start-up recovery did.
struct Recovery {
  int runs_interrupted = 0;          // runs of processes that are gone, finished as interrupted
  sync::LeaseRecovery leases;        // outbox leases of pushes that are gone, freed
  std::int64_t webhook_events = 0;   // webhook events leased by daemons that are gone, given back
  std::vector<std::string> warnings; // what could not be checked, and why
};

class Runtime {
public:
  // Opens the store config.store.url names (relative to config.base_dir) and recovers.
  static Result<std::unique_ptr<Runtime>> open(config::Config config, RuntimeOptions options = {});
  // Over a store the caller holds already (a reload keeps the running daemon's store; tests use
  // an in-memory one), then recovers.
  static Result<std::unique_ptr<Runtime>>
  create(config::Config config, std::shared_ptr<store::Store> store, RuntimeOptions options = {});
  ~Runtime();
  Runtime(const Runtime&) = delete;
  Runtime& operator=(const Runtime&) = delete;

  const config::Config& config() const { return config_; }
  store::Store& store() const { return *store_; }
  const std::shared_ptr<store::Store>& shared_store() const { return store_; }
  Clock& clock() const { return *clock_; }
  const Recovery& recovery() const { return recovery_; }
  // This process as start-up recovery and the push job name it (host_name(), getpid()).
  const std::string& host() const { return host_; }
  long pid() const { return pid_; }
  const sync::ProcessAlive& alive() const { return alive_; }

  // The CRM link, connecting on the first call. Errors: those of loading mapping.lead, parsing
  // pull.crm_owned_fields (config) and connecting (config: a missing secret...).
  Result<CrmLink*> crm();
  // The qualification rules of qualify.rules, loaded on the first call.
  Result<std::shared_ptr<const qualify::RuleSet>> rules();

  // The enricher, made on the first call (enrich::open_enricher), used by one caller at a time:
  // the handle holds it until destroyed, so a second run_enrich waits for the first.
  class EnricherHandle {
  public:
    enrich::Enricher& operator*() const { return *enricher_; }
    enrich::Enricher* operator->() const { return enricher_; }

  private:
    friend class Runtime;
    EnricherHandle(std::unique_lock<Mutex> lock, enrich::Enricher* enricher)
        : lock_(std::move(lock)), enricher_(enricher) {}
    // Moves with the handle, so the analysis cannot follow it: the enricher is reached through
    // the handle only, and Runtime::enricher() asserts the lock before touching it.
    std::unique_lock<Mutex> lock_;
    enrich::Enricher* enricher_;
  };
  Result<EnricherHandle> enricher();

  // The leases start-up recovery freed that no push has reported yet; each is handed out once.
  sync::LeaseRecovery take_unreported_leases() EXCLUDES(leases_mutex_);

private:
  Runtime(config::Config config, std::shared_ptr<store::Store> store, RuntimeOptions options);
  void recover();

  config::Config config_;
  std::shared_ptr<store::Store> store_;
  Clock* clock_;
  RuntimeOptions options_;
  std::string host_;
  long pid_;
  sync::ProcessAlive alive_;
  Recovery recovery_;

  Mutex crm_mutex_;
  std::unique_ptr<CrmLink> crm_ GUARDED_BY(crm_mutex_);
  Mutex rules_mutex_;
  std::shared_ptr<const qualify::RuleSet> rules_ GUARDED_BY(rules_mutex_);
  Mutex enricher_mutex_; // held by an EnricherHandle for a whole run
  std::unique_ptr<enrich::Enricher> enricher_ GUARDED_BY(enricher_mutex_);
  Mutex leases_mutex_;
  sync::LeaseRecovery unreported_leases_ GUARDED_BY(leases_mutex_);
};

} // namespace leadsync::jobs
