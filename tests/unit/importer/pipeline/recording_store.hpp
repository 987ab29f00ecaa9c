#pragma once
// A Store that forwards to another and records the batches written through it; it can be told to
// fail a batch, to stand in for a process killed between two commits.

#include "leadsync/store/store.hpp"

#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace leadsync::importer::testing {

class RecordingStore final : public store::Store {
public:
  explicit RecordingStore(store::Store& inner) : inner_(inner) {}

  struct Batch {
    std::size_t writes = 0;
    std::optional<store::CheckpointValue> checkpoint;
  };
  std::vector<Batch> batches;
  std::optional<std::size_t> fail_batch; // 0-based index of the write_batch call that fails
  // Called after each batch is written, with its 0-based index: another process writing meanwhile.
  std::function<void(std::size_t)> after_batch;
  // Added to the inner store's foreign_write_marker: a test's way of saying "another process
  // wrote".
  std::int64_t foreign_writes = 0;
  // find_leads calls and the keys they asked about.
  std::size_t find_leads_calls = 0;
  std::size_t keys_asked = 0;

  using store::Store::write_batch;
  Result<std::vector<model::Lead>>
  write_batch(std::vector<store::LeadWrite> writes,
              const std::optional<store::CheckpointValue>& checkpoint,
              const std::vector<store::DuplicatePair>& pairs) override {
    if (fail_batch && batches.size() == *fail_batch) {
      fail_batch.reset();
      return fail(ErrorCategory::storage, "disk full (injected)");
    }
    batches.push_back({writes.size(), checkpoint});
    auto written = inner_.write_batch(std::move(writes), checkpoint, pairs);
    if (written.ok() && after_batch) {
      after_batch(batches.size() - 1);
    }
    return written;
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
  Result<store::LeadPage> list_leads(const store::LeadFilter& filter,
                                     const store::PageRequest& page) override {
    return inner_.list_leads(filter, page);
  }
  Result<std::vector<model::Lead>> find_leads(const store::LeadLookup& lookup) override {
    ++find_leads_calls;
    keys_asked += lookup.emails.size() + lookup.phones.size() + lookup.domains.size();
    return inner_.find_leads(lookup);
  }
  Status
  scan_lookup_keys(const std::function<void(store::LookupKind, std::string_view)>& visit) override {
    return inner_.scan_lookup_keys(visit);
  }
  Result<std::int64_t> foreign_write_marker() override {
    LEADSYNC_TRY(const auto marker, inner_.foreign_write_marker());
    return marker + foreign_writes;
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
};

} // namespace leadsync::importer::testing
