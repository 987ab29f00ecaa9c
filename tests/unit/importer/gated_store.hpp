#pragma once
// A Store for the import committer tests: forwards to another store, and lets a test hold a batch's
// write_batch until it releases it (the batch stays in flight meanwhile), fail a batch, play
// another process writing, and see the write options, lookups, lead reads and finish_bulk_load
// calls the import made. write_batch runs on the import's
// committer thread; the rest on the calling thread: the counters are guarded by one mutex.

#include "leadsync/store/store.hpp"

#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <functional>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace leadsync::importer::testing {

class GatedStore final : public store::Store {
public:
  explicit GatedStore(store::Store& inner) : inner_(inner) {}

  struct Batch {
    std::size_t writes = 0;
    std::size_t bulk_writes = 0; // writes with WriteOptions::bulk_load set
    std::optional<store::CheckpointValue> checkpoint;
  };

  // write_batch call `index` (0-based) waits, before it writes, until release(index).
  void hold(std::size_t index) {
    const std::lock_guard lock(mutex_);
    held_.insert(index);
  }
  void release(std::size_t index) {
    {
      const std::lock_guard lock(mutex_);
      held_.erase(index);
    }
    changed_.notify_all();
  }
  void release_all() {
    {
      const std::lock_guard lock(mutex_);
      held_.clear();
    }
    changed_.notify_all();
  }
  // Whether write_batch call `index` is (still) to be held.
  bool held(std::size_t index) {
    const std::lock_guard lock(mutex_);
    return held_.contains(index);
  }
  // Waits until write_batch call `index` has started and is held.
  void wait_until_waiting(std::size_t index) {
    std::unique_lock lock(mutex_);
    changed_.wait(lock, [&] { return waiting_ == index; });
  }
  // write_batch call `index` (0-based) fails without writing.
  void fail(std::size_t index) {
    const std::lock_guard lock(mutex_);
    fail_ = index;
  }
  std::vector<Batch> batches() {
    const std::lock_guard lock(mutex_);
    return batches_;
  }
  std::size_t write_batch_calls() {
    const std::lock_guard lock(mutex_);
    return calls_;
  }
  // For each finish_bulk_load call, the write_batch calls that had started before it.
  std::vector<std::size_t> finish_bulk_load_after() {
    const std::lock_guard lock(mutex_);
    return finish_after_;
  }
  // LeadLookup::skip_unfinished_bulk_loads of each find_leads call.
  std::vector<bool> find_leads_skips() {
    const std::lock_guard lock(mutex_);
    return skips_;
  }
  // Called (on the committer thread) after each write_batch call that wrote, with its index.
  void after_batch(std::function<void(std::size_t)> callback) {
    after_batch_ = std::move(callback);
  }
  // Added to the inner store's foreign_write_marker: another process wrote.
  void add_foreign_write() { foreign_writes_.fetch_add(1); }
  // get_lead and get_leads calls so far.
  std::size_t lead_reads() {
    const std::lock_guard lock(mutex_);
    return lead_reads_;
  }
  std::size_t foreign_write_marker_calls() {
    const std::lock_guard lock(mutex_);
    return marker_calls_;
  }

  using store::Store::write_batch;
  Result<std::vector<model::Lead>>
  write_batch(std::vector<store::LeadWrite> writes,
              const std::optional<store::CheckpointValue>& checkpoint,
              const std::vector<store::DuplicatePair>& pairs) override {
    std::size_t index = 0;
    {
      std::unique_lock lock(mutex_);
      index = calls_++;
      if (held_.contains(index)) {
        waiting_ = index;
        changed_.notify_all();
        changed_.wait(lock, [&] { return !held_.contains(index); });
        waiting_.reset();
      }
      if (fail_ == index) {
        return leadsync::fail(ErrorCategory::storage, "disk full (injected)");
      }
      Batch batch{.writes = writes.size(), .bulk_writes = 0, .checkpoint = checkpoint};
      for (const auto& write : writes) {
        batch.bulk_writes += write.options.bulk_load ? 1 : 0;
      }
      batches_.push_back(std::move(batch));
    }
    auto written = inner_.write_batch(std::move(writes), checkpoint, pairs);
    if (written.ok() && after_batch_) {
      after_batch_(index);
    }
    return written;
  }

  Status finish_bulk_load() override {
    {
      const std::lock_guard lock(mutex_);
      finish_after_.push_back(calls_);
    }
    return inner_.finish_bulk_load();
  }

  Result<std::vector<model::Lead>> find_leads(const store::LeadLookup& lookup) override {
    {
      const std::lock_guard lock(mutex_);
      skips_.push_back(lookup.skip_unfinished_bulk_loads);
    }
    return inner_.find_leads(lookup);
  }

  Result<std::int64_t> foreign_write_marker() override {
    {
      const std::lock_guard lock(mutex_);
      ++marker_calls_;
    }
    LEADSYNC_TRY(const auto marker, inner_.foreign_write_marker());
    return marker + foreign_writes_.load();
  }

  Result<model::Lead> create_lead(model::Lead lead, const store::WriteOptions& options) override {
    return inner_.create_lead(std::move(lead), options);
  }
  Result<model::Lead> update_lead(model::Lead lead, const store::WriteOptions& options) override {
    return inner_.update_lead(std::move(lead), options);
  }
  Result<model::Lead> tombstone_lead(const std::string& id,
                                     const store::WriteOptions& options) override {
    return inner_.tombstone_lead(id, options);
  }
  Result<model::Lead> get_lead(const std::string& id) override {
    {
      const std::lock_guard lock(mutex_);
      ++lead_reads_;
    }
    return inner_.get_lead(id);
  }
  Result<std::vector<model::Lead>> get_leads(const std::vector<std::string>& ids) override {
    {
      const std::lock_guard lock(mutex_);
      ++lead_reads_;
    }
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
  Result<store::LeadPage> list_leads(const store::LeadFilter& filter,
                                     const store::PageRequest& page) override {
    return inner_.list_leads(filter, page);
  }
  Status
  scan_lookup_keys(const std::function<void(store::LookupKind, std::string_view)>& visit) override {
    return inner_.scan_lookup_keys(visit);
  }
  Result<std::vector<store::OutboxEntry>>
  claim_outbox(const store::ClaimRequest& request) override {
    return inner_.claim_outbox(request);
  }
  Status complete_outbox(const std::vector<std::int64_t>& seqs,
                         const std::string& worker) override {
    return inner_.complete_outbox(seqs, worker);
  }
  Status release_outbox(std::int64_t seq, const std::string& worker, const std::string& error,
                        std::optional<store::TimePoint> not_before) override {
    return inner_.release_outbox(seq, worker, error, not_before);
  }
  Result<store::DeadLetter> dead_letter_outbox(std::int64_t seq, const std::string& worker,
                                               const Error& error) override {
    return inner_.dead_letter_outbox(seq, worker, error);
  }
  Result<std::vector<store::OutboxEntry>> pending_outbox(std::size_t limit) override {
    return inner_.pending_outbox(limit);
  }
  Result<std::map<std::string, std::int64_t>> outbox_lease_holders() override {
    return inner_.outbox_lease_holders();
  }
  Result<std::int64_t> release_leases_of(const std::string& worker_prefix) override {
    return inner_.release_leases_of(worker_prefix);
  }
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
  Result<std::vector<store::DeadLetter>> list_dead_letters(std::size_t limit) override {
    return inner_.list_dead_letters(limit);
  }
  Result<store::DeadLetter> get_dead_letter(std::int64_t id) override {
    return inner_.get_dead_letter(id);
  }
  Status drop_dead_letter(std::int64_t id) override { return inner_.drop_dead_letter(id); }
  Result<store::OutboxEntry> retry_dead_letter(std::int64_t id) override {
    return inner_.retry_dead_letter(id);
  }
  Result<store::RunRecord> begin_run(const std::string& kind) override {
    return inner_.begin_run(kind);
  }
  Status finish_run(const store::RunRecord& run) override { return inner_.finish_run(run); }
  Result<std::vector<store::RunRecord>> list_runs(std::size_t limit) override {
    return inner_.list_runs(limit);
  }
  Result<model::BehaviourEvent> add_event(model::BehaviourEvent event) override {
    return inner_.add_event(std::move(event));
  }
  Result<store::AddEventsResult>
  add_events(const std::vector<model::BehaviourEvent>& events) override {
    return inner_.add_events(events);
  }
  Result<std::vector<model::BehaviourEvent>> list_events(const std::string& lead_id) override {
    return inner_.list_events(lead_id);
  }
  Result<store::AddWebhookEventResult>
  add_webhook_event(const store::WebhookEvent& event) override {
    return inner_.add_webhook_event(event);
  }
  Result<std::vector<store::WebhookEvent>>
  claim_webhook_events(const std::string& worker, std::size_t max_entries, store::TimePoint now,
                       std::chrono::milliseconds lease) override {
    return inner_.claim_webhook_events(worker, max_entries, now, lease);
  }
  Status complete_webhook_events(const std::vector<std::int64_t>& seqs, const std::string& worker,
                                 store::TimePoint now) override {
    return inner_.complete_webhook_events(seqs, worker, now);
  }
  Status retry_webhook_event(std::int64_t seq, const std::string& worker, const std::string& error,
                             store::TimePoint not_before) override {
    return inner_.retry_webhook_event(seq, worker, error, not_before);
  }
  Status fail_webhook_event(std::int64_t seq, const std::string& worker, const std::string& error,
                            store::TimePoint now) override {
    return inner_.fail_webhook_event(seq, worker, error, now);
  }
  Result<store::WebhookQueueStats> webhook_queue_stats() override {
    return inner_.webhook_queue_stats();
  }
  Result<std::vector<store::WebhookEvent>> list_webhook_events(std::size_t limit) override {
    return inner_.list_webhook_events(limit);
  }
  Result<std::int64_t> prune_webhook_events(store::TimePoint before) override {
    return inner_.prune_webhook_events(before);
  }
  Status register_worker(const store::WorkerInfo& worker) override {
    return inner_.register_worker(worker);
  }
  Result<store::Heartbeat> heartbeat_worker(const std::string& worker_id, store::TimePoint now,
                                            std::chrono::milliseconds lease) override {
    return inner_.heartbeat_worker(worker_id, now, lease);
  }
  Status unregister_worker(const std::string& worker_id) override {
    return inner_.unregister_worker(worker_id);
  }
  Result<std::vector<store::WorkerInfo>> list_workers(store::TimePoint alive_since,
                                                      store::TimePoint now) override {
    return inner_.list_workers(alive_since, now);
  }
  Result<store::ReapedWorkers> reap_dead_workers(store::TimePoint dead_before) override {
    return inner_.reap_dead_workers(dead_before);
  }
  Result<bool> try_lease(const std::string& name, const std::string& owner, store::TimePoint now,
                         std::chrono::milliseconds lease) override {
    return inner_.try_lease(name, owner, now, lease);
  }
  Status release_lease(const std::string& name, const std::string& owner) override {
    return inner_.release_lease(name, owner);
  }
  Result<std::unique_ptr<store::WorkWaiter>> open_work_waiter() override {
    return inner_.open_work_waiter();
  }
  Result<store::StoreStats> stats() override { return inner_.stats(); }
  Status
  scan_person_names(const std::function<void(std::string_view, std::string_view)>& visit) override {
    return inner_.scan_person_names(visit);
  }
  using store::Store::list_duplicate_pairs;
  Result<std::vector<store::DuplicatePair>>
  find_duplicate_pairs(const store::DuplicateQuery& query) override {
    return inner_.find_duplicate_pairs(query);
  }
  Result<store::DuplicatePair> get_duplicate_pair(const std::string& lead_a,
                                                  const std::string& lead_b) override {
    return inner_.get_duplicate_pair(lead_a, lead_b);
  }
  Result<std::optional<store::CachedAnswer>> get_cached_answer(const std::string& provider,
                                                               const std::string& key,
                                                               store::TimePoint now) override {
    return inner_.get_cached_answer(provider, key, now);
  }
  Status put_cached_answers(const std::vector<store::CachedAnswer>& answers) override {
    return inner_.put_cached_answers(answers);
  }
  Result<std::int64_t> prune_cached_answers(store::TimePoint now) override {
    return inner_.prune_cached_answers(now);
  }
  Result<store::ProviderUsage> get_usage(const std::string& provider,
                                         const std::string& period) override {
    return inner_.get_usage(provider, period);
  }
  Status add_usage(const std::string& provider, const std::vector<std::string>& periods,
                   const store::ProviderUsage& delta) override {
    return inner_.add_usage(provider, periods, delta);
  }
  Status put_pending_lookup(const store::PendingLookup& pending) override {
    return inner_.put_pending_lookup(pending);
  }
  Status delete_pending_lookup(const std::string& provider, const std::string& key,
                               const std::string& lead_id) override {
    return inner_.delete_pending_lookup(provider, key, lead_id);
  }
  Result<std::vector<store::PendingLookup>> list_pending_lookups(std::size_t limit) override {
    return inner_.list_pending_lookups(limit);
  }
  Result<std::optional<store::FeedFileState>> get_feed_file(const std::string& provider,
                                                            const std::string& path) override {
    return inner_.get_feed_file(provider, path);
  }
  Result<std::vector<store::FeedFileState>> list_feed_files(const std::string& provider) override {
    return inner_.list_feed_files(provider);
  }
  Status replace_feed_file(const store::FeedFileState& state,
                           const std::vector<store::FeedRecord>& records, bool append) override {
    return inner_.replace_feed_file(state, records, append);
  }
  Status remove_feed_file(const std::string& provider, const std::string& path) override {
    return inner_.remove_feed_file(provider, path);
  }
  Result<std::vector<store::FeedRecord>> find_feed_records(const std::string& provider,
                                                           const store::FeedKey& key,
                                                           std::size_t limit) override {
    return inner_.find_feed_records(provider, key, limit);
  }

private:
  store::Store& inner_;
  std::mutex mutex_;
  std::condition_variable changed_;
  std::set<std::size_t> held_;
  std::optional<std::size_t> waiting_;
  std::optional<std::size_t> fail_;
  std::vector<Batch> batches_;
  std::size_t calls_ = 0;
  std::vector<std::size_t> finish_after_;
  std::vector<bool> skips_;
  std::function<void(std::size_t)> after_batch_;
  std::atomic<std::int64_t> foreign_writes_{0};
  std::size_t marker_calls_ = 0;
  std::size_t lead_reads_ = 0;
};

} // namespace leadsync::importer::testing
