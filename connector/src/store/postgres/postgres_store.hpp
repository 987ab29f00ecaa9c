#pragma once
// The PostgreSQL Store's class. Its methods are defined by area, one file each (named below), all
// through ConnectionPool::transact. Internal to store/.
//
// Conventions shared by every file:
// - Times are BIGINT milliseconds since the epoch from the injected Clock, never the server's
//   now(), so tests control time and hosts agree through the store, not their clocks' skew.
// - Queue claims are one statement: a CTE that selects candidates ... FOR UPDATE SKIP LOCKED with
//   a LIMIT, then an UPDATE ... FROM the CTE ... RETURNING (a LIMIT inside IN (subquery) may lock
//   more rows than asked: PostgreSQL BUG #15715, daemon-scaleout.md A.10).
// - A write that adds work (an outbox entry, a webhook event) also runs
//   pg_notify('leadsync_work', coalesce(current_schema(), '')) in its transaction: delivered at
//   commit, folded within one. NOTIFY reaches the whole database, so the payload names the schema
//   and a waiter ignores wake-ups for other schemas (an empty payload counts for every schema).

#include "leadsync/core/clock.hpp"
#include "leadsync/core/random.hpp"
#include "leadsync/store/store.hpp"
#include "postgres/detail/pool.hpp"

#include <memory>

namespace leadsync::store::postgres {

// The channel of work wake-ups (LISTEN/NOTIFY).
inline constexpr const char* work_channel = "leadsync_work";

// What foreign_write_marker keeps (leads.cpp): a LISTEN connection counting other writers' lead
// writes, opened on the first read of the marker.
class ForeignWrites;
using ForeignWritesHandle = std::shared_ptr<ForeignWrites>;
ForeignWritesHandle make_foreign_writes();

class PostgresStore final : public Store {
public:
  PostgresStore(std::unique_ptr<ConnectionPool> pool, Clock& clock, Random& random)
      : pool_(std::move(pool)), clock_(clock), random_(random),
        foreign_writes_(make_foreign_writes()) {}

  // ---- leads.cpp (leads, lookups, batches, the review queue)
  Result<model::Lead> create_lead(model::Lead lead, const WriteOptions& options) override;
  Result<model::Lead> update_lead(model::Lead lead, const WriteOptions& options) override;
  Result<model::Lead> tombstone_lead(const std::string& id, const WriteOptions& options) override;
  Result<model::Lead> get_lead(const std::string& id) override;
  Result<std::vector<model::Lead>> get_leads(const std::vector<std::string>& ids) override;
  Result<std::vector<model::Lead>> find_by_email(const std::string& email) override;
  Result<std::vector<model::Lead>> find_by_phone(const std::string& e164) override;
  Result<std::vector<model::Lead>> find_by_domain(const std::string& domain) override;
  Result<std::vector<model::Lead>> find_by_crm_id(const std::string& crm_id) override;
  Result<LeadPage> list_leads(const LeadFilter& filter, const PageRequest& page) override;
  Result<std::vector<model::Lead>> find_leads(const LeadLookup& lookup) override;
  Status scan_lookup_keys(const std::function<void(LookupKind, std::string_view)>& visit) override;
  Result<std::int64_t> foreign_write_marker() override;
  Result<std::vector<model::Lead>> write_batch(std::vector<LeadWrite> writes,
                                               const std::optional<CheckpointValue>& checkpoint,
                                               const std::vector<DuplicatePair>& pairs) override;
  Status
  scan_person_names(const std::function<void(std::string_view, std::string_view)>& visit) override;
  Result<std::vector<DuplicatePair>> find_duplicate_pairs(const DuplicateQuery& query) override;
  Result<DuplicatePair> get_duplicate_pair(const std::string& lead_a,
                                           const std::string& lead_b) override;

  // ---- outbox.cpp (outbox, dead letters), runs.cpp (checkpoints, runs)
  Result<std::vector<OutboxEntry>> claim_outbox(const ClaimRequest& request) override;
  Status complete_outbox(const std::vector<std::int64_t>& seqs, const std::string& worker) override;
  Status release_outbox(std::int64_t seq, const std::string& worker, const std::string& error,
                        std::optional<TimePoint> not_before) override;
  Result<DeadLetter> dead_letter_outbox(std::int64_t seq, const std::string& worker,
                                        const Error& error) override;
  Result<std::vector<OutboxEntry>> pending_outbox(std::size_t limit) override;
  Result<std::map<std::string, std::int64_t>> outbox_lease_holders() override;
  Result<std::int64_t> release_leases_of(const std::string& worker_prefix) override;
  Result<std::optional<std::string>> get_checkpoint(const std::string& name) override;
  Status put_checkpoint(const std::string& name, const std::string& value) override;
  Result<bool> put_checkpoint_if(const std::string& name,
                                 const std::optional<std::string>& expected,
                                 const std::string& value) override;
  Result<std::map<std::string, std::string>> list_checkpoints() override;
  Result<std::vector<DeadLetter>> list_dead_letters(std::size_t limit) override;
  Result<DeadLetter> get_dead_letter(std::int64_t id) override;
  Status drop_dead_letter(std::int64_t id) override;
  Result<OutboxEntry> retry_dead_letter(std::int64_t id) override;
  Result<RunRecord> begin_run(const std::string& kind) override;
  Status finish_run(const RunRecord& run) override;
  Result<std::vector<RunRecord>> list_runs(std::size_t limit) override;

  // ---- enrichment.cpp (answer cache, usage ledger, pending lookups, feed index)
  Result<std::optional<CachedAnswer>>
  get_cached_answer(const std::string& provider, const std::string& key, TimePoint now) override;
  Status put_cached_answers(const std::vector<CachedAnswer>& answers) override;
  Result<std::int64_t> prune_cached_answers(TimePoint now) override;
  Result<ProviderUsage> get_usage(const std::string& provider, const std::string& period) override;
  Status add_usage(const std::string& provider, const std::vector<std::string>& periods,
                   const ProviderUsage& delta) override;
  Status put_pending_lookup(const PendingLookup& pending) override;
  Status delete_pending_lookup(const std::string& provider, const std::string& key,
                               const std::string& lead_id) override;
  Result<std::vector<PendingLookup>> list_pending_lookups(std::size_t limit) override;
  Result<std::optional<FeedFileState>> get_feed_file(const std::string& provider,
                                                     const std::string& path) override;
  Result<std::vector<FeedFileState>> list_feed_files(const std::string& provider) override;
  Status replace_feed_file(const FeedFileState& state, const std::vector<FeedRecord>& records,
                           bool append) override;
  Status remove_feed_file(const std::string& provider, const std::string& path) override;
  Result<std::vector<FeedRecord>> find_feed_records(const std::string& provider, const FeedKey& key,
                                                    std::size_t limit) override;

  // ---- events.cpp (behaviour events), webhooks.cpp (webhook events)
  Result<model::BehaviourEvent> add_event(model::BehaviourEvent event) override;
  Result<AddEventsResult> add_events(const std::vector<model::BehaviourEvent>& events) override;
  Result<std::vector<model::BehaviourEvent>> list_events(const std::string& lead_id) override;
  Result<AddWebhookEventResult> add_webhook_event(const WebhookEvent& event) override;
  Result<std::vector<WebhookEvent>> claim_webhook_events(const std::string& worker,
                                                         std::size_t max_entries, TimePoint now,
                                                         std::chrono::milliseconds lease) override;
  Status complete_webhook_events(const std::vector<std::int64_t>& seqs, const std::string& worker,
                                 TimePoint now) override;
  Status retry_webhook_event(std::int64_t seq, const std::string& worker, const std::string& error,
                             TimePoint not_before) override;
  Status fail_webhook_event(std::int64_t seq, const std::string& worker, const std::string& error,
                            TimePoint now) override;
  Result<WebhookQueueStats> webhook_queue_stats() override;
  Result<std::vector<WebhookEvent>> list_webhook_events(std::size_t limit) override;
  Result<std::int64_t> prune_webhook_events(TimePoint before) override;

  // ---- workers.cpp (workers, singleton leases, the work waiter, stats)
  Status register_worker(const WorkerInfo& worker) override;
  Result<Heartbeat> heartbeat_worker(const std::string& worker_id, TimePoint now,
                                     std::chrono::milliseconds lease) override;
  Status unregister_worker(const std::string& worker_id) override;
  Result<std::vector<WorkerInfo>> list_workers(TimePoint alive_since, TimePoint now) override;
  Result<ReapedWorkers> reap_dead_workers(TimePoint dead_before) override;
  Result<bool> try_lease(const std::string& name, const std::string& owner, TimePoint now,
                         std::chrono::milliseconds lease) override;
  Status release_lease(const std::string& name, const std::string& owner) override;
  Result<std::unique_ptr<WorkWaiter>> open_work_waiter() override;
  Result<StoreStats> stats() override;

private:
  void tend_foreign_writes();

  std::unique_ptr<ConnectionPool> pool_;
  Clock& clock_;
  Random& random_;
  ForeignWritesHandle foreign_writes_; // destroyed first: its connection is not the pool's
};

} // namespace leadsync::store::postgres
