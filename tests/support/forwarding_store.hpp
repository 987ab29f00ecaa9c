#pragma once
// A Store that forwards every call to another Store: the base of test doubles that change one or
// two methods (fail a write, hold a batch, record what was asked) and leave the rest to a real
// store. Every method is an override of the role's virtual, so a double overrides what it needs and
// calls ForwardingStore's (or inner()) for the real thing.

#include "leadsync/store/store.hpp"

#include <utility>

namespace leadsync::store::testing {

class ForwardingStore : public Store {
public:
  explicit ForwardingStore(Store& inner) : inner_(inner) {}

  Store& inner() { return inner_; }

  // LeadStore
  Result<model::Lead> create_lead(model::Lead lead, const WriteOptions& options) override {
    return inner_.create_lead(std::move(lead), options);
  }
  Result<model::Lead> update_lead(model::Lead lead, const WriteOptions& options) override {
    return inner_.update_lead(std::move(lead), options);
  }
  Result<model::Lead> tombstone_lead(const std::string& id, const WriteOptions& options) override {
    return inner_.tombstone_lead(id, options);
  }
  Result<model::Lead> get_lead(const std::string& id) override { return inner_.get_lead(id); }
  Result<std::vector<model::Lead>> get_leads(const std::vector<std::string>& ids) override {
    return inner_.get_leads(ids);
  }
  Result<std::vector<model::Lead>> find_by_email(const std::string& email) override {
    return inner_.find_by_email(email);
  }
  Result<std::vector<model::Lead>> find_by_phone(const std::string& e164) override {
    return inner_.find_by_phone(e164);
  }
  Result<std::vector<model::Lead>> find_by_domain(const std::string& domain) override {
    return inner_.find_by_domain(domain);
  }
  Result<std::vector<model::Lead>> find_by_crm_id(const std::string& crm_id) override {
    return inner_.find_by_crm_id(crm_id);
  }
  Result<LeadPage> list_leads(const LeadFilter& filter, const PageRequest& page) override {
    return inner_.list_leads(filter, page);
  }
  Result<std::vector<model::Lead>> find_leads(const LeadLookup& lookup) override {
    return inner_.find_leads(lookup);
  }
  Status scan_lookup_keys(const std::function<void(LookupKind, std::string_view)>& visit) override {
    return inner_.scan_lookup_keys(visit);
  }
  Result<std::int64_t> foreign_write_marker() override { return inner_.foreign_write_marker(); }
  using LeadStore::write_batch;
  Result<std::vector<model::Lead>> write_batch(std::vector<LeadWrite> writes,
                                               const std::optional<CheckpointValue>& checkpoint,
                                               const std::vector<DuplicatePair>& pairs) override {
    return inner_.write_batch(std::move(writes), checkpoint, pairs);
  }
  Status finish_bulk_load() override { return inner_.finish_bulk_load(); }
  Status
  scan_person_names(const std::function<void(std::string_view, std::string_view)>& visit) override {
    return inner_.scan_person_names(visit);
  }
  Result<std::vector<DuplicatePair>> find_duplicate_pairs(const DuplicateQuery& query) override {
    return inner_.find_duplicate_pairs(query);
  }
  Result<DuplicatePair> get_duplicate_pair(const std::string& lead_a,
                                           const std::string& lead_b) override {
    return inner_.get_duplicate_pair(lead_a, lead_b);
  }

  // OutboxStore
  Result<std::vector<OutboxEntry>> claim_outbox(const ClaimRequest& request) override {
    return inner_.claim_outbox(request);
  }
  Status complete_outbox(const std::vector<std::int64_t>& seqs,
                         const std::string& worker) override {
    return inner_.complete_outbox(seqs, worker);
  }
  Status release_outbox(std::int64_t seq, const std::string& worker, const std::string& error,
                        std::optional<TimePoint> not_before) override {
    return inner_.release_outbox(seq, worker, error, std::move(not_before));
  }
  Result<DeadLetter> dead_letter_outbox(std::int64_t seq, const std::string& worker,
                                        const Error& error) override {
    return inner_.dead_letter_outbox(seq, worker, error);
  }
  Result<std::vector<OutboxEntry>> pending_outbox(std::size_t limit) override {
    return inner_.pending_outbox(limit);
  }
  Result<std::map<std::string, std::int64_t>> outbox_lease_holders() override {
    return inner_.outbox_lease_holders();
  }
  Result<std::int64_t> release_leases_of(const std::string& worker_prefix) override {
    return inner_.release_leases_of(worker_prefix);
  }

  // RunStore
  Result<std::optional<std::string>> get_checkpoint(const std::string& name) override {
    return inner_.get_checkpoint(name);
  }
  Status put_checkpoint(const std::string& name, const std::string& value) override {
    return inner_.put_checkpoint(name, value);
  }
  Result<bool> put_checkpoint_if(const std::string& name,
                                 const std::optional<std::string>& expected,
                                 const std::string& value) override {
    return inner_.put_checkpoint_if(name, expected, value);
  }
  Result<std::map<std::string, std::string>> list_checkpoints() override {
    return inner_.list_checkpoints();
  }
  Result<RunRecord> begin_run(const std::string& kind) override { return inner_.begin_run(kind); }
  Status finish_run(const RunRecord& run) override { return inner_.finish_run(run); }
  Result<std::vector<RunRecord>> list_runs(std::size_t limit) override {
    return inner_.list_runs(limit);
  }

  // DeadLetterStore
  Result<std::vector<DeadLetter>> list_dead_letters(std::size_t limit) override {
    return inner_.list_dead_letters(limit);
  }
  Result<DeadLetter> get_dead_letter(std::int64_t id) override {
    return inner_.get_dead_letter(id);
  }
  Status drop_dead_letter(std::int64_t id) override { return inner_.drop_dead_letter(id); }
  Result<OutboxEntry> retry_dead_letter(std::int64_t id) override {
    return inner_.retry_dead_letter(id);
  }

  // EnrichmentStore
  Result<std::optional<CachedAnswer>>
  get_cached_answer(const std::string& provider, const std::string& key, TimePoint now) override {
    return inner_.get_cached_answer(provider, key, now);
  }
  Status put_cached_answers(const std::vector<CachedAnswer>& answers) override {
    return inner_.put_cached_answers(answers);
  }
  Result<std::int64_t> prune_cached_answers(TimePoint now) override {
    return inner_.prune_cached_answers(now);
  }
  Result<ProviderUsage> get_usage(const std::string& provider, const std::string& period) override {
    return inner_.get_usage(provider, period);
  }
  Status add_usage(const std::string& provider, const std::vector<std::string>& periods,
                   const ProviderUsage& delta) override {
    return inner_.add_usage(provider, periods, delta);
  }
  Status put_pending_lookup(const PendingLookup& pending) override {
    return inner_.put_pending_lookup(pending);
  }
  Status delete_pending_lookup(const std::string& provider, const std::string& key,
                               const std::string& lead_id) override {
    return inner_.delete_pending_lookup(provider, key, lead_id);
  }
  Result<std::vector<PendingLookup>> list_pending_lookups(std::size_t limit) override {
    return inner_.list_pending_lookups(limit);
  }
  Result<std::optional<FeedFileState>> get_feed_file(const std::string& provider,
                                                     const std::string& path) override {
    return inner_.get_feed_file(provider, path);
  }
  Result<std::vector<FeedFileState>> list_feed_files(const std::string& provider) override {
    return inner_.list_feed_files(provider);
  }
  Status replace_feed_file(const FeedFileState& state, const std::vector<FeedRecord>& records,
                           bool append) override {
    return inner_.replace_feed_file(state, records, append);
  }
  Status remove_feed_file(const std::string& provider, const std::string& path) override {
    return inner_.remove_feed_file(provider, path);
  }
  Result<std::vector<FeedRecord>> find_feed_records(const std::string& provider, const FeedKey& key,
                                                    std::size_t limit) override {
    return inner_.find_feed_records(provider, key, limit);
  }

  // EventStore
  Result<model::BehaviourEvent> add_event(model::BehaviourEvent event) override {
    return inner_.add_event(std::move(event));
  }
  Result<AddEventsResult> add_events(const std::vector<model::BehaviourEvent>& events) override {
    return inner_.add_events(events);
  }
  Result<std::vector<model::BehaviourEvent>> list_events(const std::string& lead_id) override {
    return inner_.list_events(lead_id);
  }

  // WebhookStore
  Result<AddWebhookEventResult> add_webhook_event(const WebhookEvent& event) override {
    return inner_.add_webhook_event(event);
  }
  Result<std::vector<WebhookEvent>> claim_webhook_events(const std::string& worker,
                                                         std::size_t max_entries, TimePoint now,
                                                         std::chrono::milliseconds lease) override {
    return inner_.claim_webhook_events(worker, max_entries, now, lease);
  }
  Status complete_webhook_events(const std::vector<std::int64_t>& seqs, const std::string& worker,
                                 TimePoint now) override {
    return inner_.complete_webhook_events(seqs, worker, now);
  }
  Status retry_webhook_event(std::int64_t seq, const std::string& worker, const std::string& error,
                             TimePoint not_before) override {
    return inner_.retry_webhook_event(seq, worker, error, not_before);
  }
  Status fail_webhook_event(std::int64_t seq, const std::string& worker, const std::string& error,
                            TimePoint now) override {
    return inner_.fail_webhook_event(seq, worker, error, now);
  }
  Result<WebhookQueueStats> webhook_queue_stats() override { return inner_.webhook_queue_stats(); }
  Result<std::vector<WebhookEvent>> list_webhook_events(std::size_t limit) override {
    return inner_.list_webhook_events(limit);
  }
  Result<std::int64_t> prune_webhook_events(TimePoint before) override {
    return inner_.prune_webhook_events(before);
  }

  // WorkerStore
  Status register_worker(const WorkerInfo& worker) override {
    return inner_.register_worker(worker);
  }
  Result<Heartbeat> heartbeat_worker(const std::string& worker_id, TimePoint now,
                                     std::chrono::milliseconds lease) override {
    return inner_.heartbeat_worker(worker_id, now, lease);
  }
  Status unregister_worker(const std::string& worker_id) override {
    return inner_.unregister_worker(worker_id);
  }
  Result<std::vector<WorkerInfo>> list_workers(TimePoint alive_since, TimePoint now) override {
    return inner_.list_workers(alive_since, now);
  }
  Result<ReapedWorkers> reap_dead_workers(TimePoint dead_before) override {
    return inner_.reap_dead_workers(dead_before);
  }
  Result<bool> try_lease(const std::string& name, const std::string& owner, TimePoint now,
                         std::chrono::milliseconds lease) override {
    return inner_.try_lease(name, owner, now, lease);
  }
  Status release_lease(const std::string& name, const std::string& owner) override {
    return inner_.release_lease(name, owner);
  }
  Result<std::unique_ptr<WorkWaiter>> open_work_waiter() override {
    return inner_.open_work_waiter();
  }

  // StatsStore
  Result<StoreStats> stats() override { return inner_.stats(); }

private:
  Store& inner_;
};

} // namespace leadsync::store::testing
