#include "leadsync/jobs/runtime.hpp"

#include "leadsync/core/log.hpp"
#include "leadsync/core/process.hpp"
#include "leadsync/store/open.hpp"

#include <algorithm>
#include <unistd.h>
#include <utility>

namespace leadsync::jobs {

Runtime::Runtime(config::Config config, std::shared_ptr<store::Store> store, RuntimeOptions options)
    : config_(std::move(config)), store_(std::move(store)),
      clock_(options.clock != nullptr ? options.clock : &SystemClock::instance()),
      options_(std::move(options)), host_(options_.host.empty() ? host_name() : options_.host),
      pid_(options_.pid != 0 ? options_.pid : static_cast<long>(::getpid())),
      alive_(options_.alive ? options_.alive : sync::ProcessAlive(sync::process_alive)) {}

Runtime::~Runtime() = default;

Result<std::unique_ptr<Runtime>> Runtime::open(config::Config config, RuntimeOptions options) {
  Clock& clock = options.clock != nullptr ? *options.clock : SystemClock::instance();
  LEADSYNC_TRY(std::unique_ptr<store::Store> opened,
               store::open_store(config.store.url, config.base_dir, clock));
  return create(std::move(config), std::shared_ptr<store::Store>(std::move(opened)),
                std::move(options));
}

Result<std::unique_ptr<Runtime>> Runtime::create(config::Config config,
                                                 std::shared_ptr<store::Store> store,
                                                 RuntimeOptions options) {
  if (!store) {
    return fail(ErrorCategory::internal, "a job runtime needs a store");
  }
  const bool recover = options.recover;
  std::unique_ptr<Runtime> runtime(
      new Runtime(std::move(config), std::move(store), std::move(options)));
  if (recover) {
    runtime->recover();
  }
  return runtime;
}

void Runtime::recover() {
  auto closed = sync::interrupt_runs_of_dead_processes(*store_, host_, pid_, clock_->now(), alive_);
  if (!closed.ok()) {
    recovery_.warnings.push_back("cannot check the run history for interrupted runs: " +
                                 closed.error().describe());
    log::get()->warn("{}", recovery_.warnings.back());
  } else if (*closed > 0) {
    recovery_.runs_interrupted = *closed;
    log::get()->info("{} run(s) of a leadsync that stopped without finishing marked interrupted",
                     *closed);
  }
  auto freed = sync::recover_leases_of_dead_pushes(*store_, host_, pid_, alive_);
  if (!freed.ok()) {
    recovery_.warnings.push_back("cannot check the outbox for changes held by a push that "
                                 "stopped: " +
                                 freed.error().describe());
    log::get()->warn("{}", recovery_.warnings.back());
  } else {
    recovery_.leases = *freed;
    const MutexLock lock(leases_mutex_);
    unreported_leases_ = std::move(freed).value();
  }
  auto events =
      sync::recover_webhook_events_of_dead_processes(*store_, host_, pid_, clock_->now(), alive_);
  if (!events.ok()) {
    recovery_.warnings.push_back("cannot check the webhook events held by a daemon that stopped: " +
                                 events.error().describe());
    log::get()->warn("{}", recovery_.warnings.back());
  } else if (*events > 0) {
    recovery_.webhook_events = *events;
    log::get()->info("{} webhook event(s) held by a daemon that stopped given back", *events);
  }
}

sync::LeaseRecovery Runtime::take_unreported_leases() {
  const MutexLock lock(leases_mutex_);
  return std::exchange(unreported_leases_, {});
}

Result<CrmLink*> Runtime::crm() {
  const MutexLock lock(crm_mutex_);
  if (crm_) {
    return crm_.get();
  }
  auto link = std::make_unique<CrmLink>();
  LEADSYNC_TRY(link->mapping,
               mapping::load_lead_mapping(config::resolve_path(config_, config_.mapping.lead),
                                          config_.crm.custom_prefix));
  LEADSYNC_TRY(link->crm_owned, mapping::parse_field_set(config_.pull.crm_owned_fields));
  LEADSYNC_TRY(link->connection,
               options_.connect ? options_.connect(config_) : dataverse::connect(config_));
  link->crm = std::make_unique<sync::DataverseCrm>(link->connection.client);
  link->lookups = std::make_unique<mapping::CachingLookupResolver>(*link->crm);
  crm_ = std::move(link);
  return crm_.get();
}

Result<std::shared_ptr<const qualify::RuleSet>> Runtime::rules() {
  const MutexLock lock(rules_mutex_);
  if (!rules_) {
    LEADSYNC_TRY(auto loaded,
                 qualify::load_rules(config::resolve_path(config_, config_.qualify.rules)));
    rules_ = std::make_shared<const qualify::RuleSet>(std::move(loaded));
  }
  return rules_;
}

Result<Runtime::EnricherHandle> Runtime::enricher() {
  std::unique_lock lock(enricher_mutex_);
  enricher_mutex_.assert_held(); // std::unique_lock is not annotated
  if (!enricher_) {
    enrich::SessionOptions session = options_.enrich;
    if (session.clock == nullptr) {
      session.clock = clock_;
    }
    LEADSYNC_TRY(enricher_, enrich::open_enricher(config_, *store_, session));
  }
  return EnricherHandle(std::move(lock), enricher_.get());
}

} // namespace leadsync::jobs
