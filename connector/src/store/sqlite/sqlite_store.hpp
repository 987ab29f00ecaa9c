#pragma once
// The SQLite Store's class (private to store/sqlite/). Its methods are defined by role:
// leads.cpp (leads and the review queue), outbox.cpp, dead_letters.cpp, runs.cpp (runs and
// checkpoints), enrichment.cpp, events.cpp, webhooks.cpp, workers.cpp (workers and singleton
// leases); sqlite_store.cpp opens it. Concurrency and durability: see sqlite_store.cpp.

#include "detail/rules.hpp"
#include "leadsync/core/clock.hpp"
#include "leadsync/core/mutex.hpp"
#include "leadsync/core/random.hpp"
#include "leadsync/store/store.hpp"
#include "sqlite/checkpointer.hpp"
#include "sqlite/detail/database.hpp"

#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

namespace leadsync::store::sqlite {

using detail::ascii_lower;
using detail::canonical_id;
using detail::canonical_ids;
using detail::from_millis;
using detail::parse_cursor;
using detail::parse_duplicate_status;
using detail::parse_feed_key_kind;
using detail::parse_operation;
using detail::parse_webhook_state;
using detail::prefixed;
using detail::sql;
using detail::sql_limit;
using detail::to_millis;

// A folder removed with everything in it when this is destroyed (a temporary store's).
class FolderRemover {
public:
  FolderRemover() = default;
  explicit FolderRemover(std::filesystem::path folder) : folder_(std::move(folder)) {}
  FolderRemover(FolderRemover&& other) noexcept : folder_(std::exchange(other.folder_, {})) {}
  FolderRemover& operator=(FolderRemover&& other) noexcept {
    std::swap(folder_, other.folder_);
    return *this;
  }
  ~FolderRemover() {
    if (!folder_.empty()) {
      std::error_code ignored;
      std::filesystem::remove_all(folder_, ignored);
    }
  }

private:
  std::filesystem::path folder_;
};

class SqliteStore final : public Store {
public:
  SqliteStore(Database database, Clock& clock, Random& random,
              std::unique_ptr<Checkpointer> checkpointer = nullptr, int checkpoint_pages = 0)
      : database_(std::move(database)), clock_(clock), random_(random),
        checkpointer_(std::move(checkpointer)) {
    if (checkpointer_) {
      database_.on_wal_commit([this, checkpoint_pages](int frames) {
        mutex_.assert_held(); // called inside a commit, which holds the lock
        if (frames >= 4 * checkpoint_pages) {
          // The checkpointer is falling behind: let its pass end, then copy the rest here.
          checkpointer_->wait_idle();
          (void)database_.checkpoint_passive();
        } else if (frames >= checkpoint_pages) {
          checkpointer_->request();
        }
      });
    }
  }

  // A temporary store's folder, removed once the database is closed.
  void remove_folder_on_close(FolderRemover folder) { folder_ = std::move(folder); }

  SqliteStore(const SqliteStore&) = delete;
  SqliteStore& operator=(const SqliteStore&) = delete;
  ~SqliteStore() override {
    if (checkpointer_) {
      database_.on_wal_commit({});
      checkpointer_.reset();
    }
  }

  // LeadStore: leads.cpp
  Result<model::Lead> create_lead(model::Lead lead, const WriteOptions& options) override;
  Result<model::Lead> update_lead(model::Lead lead, const WriteOptions& options) override;
  using Store::write_batch;
  Result<std::vector<model::Lead>> write_batch(std::vector<LeadWrite> writes,
                                               const std::optional<CheckpointValue>& checkpoint,
                                               const std::vector<DuplicatePair>& pairs) override;
  Status finish_bulk_load() override;
  Result<model::Lead> tombstone_lead(const std::string& id, const WriteOptions& options) override;
  Result<model::Lead> get_lead(const std::string& id) override;
  Result<std::vector<model::Lead>> get_leads(const std::vector<std::string>& ids) override;
  Result<std::vector<model::Lead>> find_by_email(const std::string& email) override;
  Result<std::vector<model::Lead>> find_by_phone(const std::string& e164) override;
  Result<std::vector<model::Lead>> find_by_domain(const std::string& domain) override;
  Result<std::vector<model::Lead>> find_by_crm_id(const std::string& crm_id) override;
  Result<std::vector<model::Lead>> find_leads(const LeadLookup& lookup) override;
  Status scan_lookup_keys(const std::function<void(LookupKind, std::string_view)>& visit) override;
  Status
  scan_person_names(const std::function<void(std::string_view, std::string_view)>& visit) override;
  using Store::list_duplicate_pairs;
  Result<std::vector<DuplicatePair>> find_duplicate_pairs(const DuplicateQuery& query) override;
  Result<DuplicatePair> get_duplicate_pair(const std::string& lead_a,
                                           const std::string& lead_b) override;
  Result<std::int64_t> foreign_write_marker() override;
  Result<LeadPage> list_leads(const LeadFilter& filter, const PageRequest& page) override;

  // OutboxStore: outbox.cpp
  Result<std::vector<OutboxEntry>> claim_outbox(const ClaimRequest& request) override;
  Result<std::map<std::string, std::int64_t>> outbox_lease_holders() override;
  Result<std::int64_t> release_leases_of(const std::string& worker_prefix) override;
  Status complete_outbox(const std::vector<std::int64_t>& seqs, const std::string& worker) override;
  Status release_outbox(std::int64_t seq, const std::string& worker, const std::string& error,
                        std::optional<TimePoint> not_before) override;
  Result<DeadLetter> dead_letter_outbox(std::int64_t seq, const std::string& worker,
                                        const Error& error) override;
  Result<std::vector<OutboxEntry>> pending_outbox(std::size_t limit) override;

  // RunStore: runs.cpp
  Result<std::optional<std::string>> get_checkpoint(const std::string& name) override;
  Status put_checkpoint(const std::string& name, const std::string& value) override;
  Result<bool> put_checkpoint_if(const std::string& name,
                                 const std::optional<std::string>& expected,
                                 const std::string& value) override;
  Result<std::map<std::string, std::string>> list_checkpoints() override;

  // DeadLetterStore: dead_letters.cpp
  Result<std::vector<DeadLetter>> list_dead_letters(std::size_t limit) override;
  Result<DeadLetter> get_dead_letter(std::int64_t id) override;
  Status drop_dead_letter(std::int64_t id) override;
  Result<OutboxEntry> retry_dead_letter(std::int64_t id) override;

  // RunStore: runs.cpp
  Result<RunRecord> begin_run(const std::string& kind) override;
  Status finish_run(const RunRecord& run) override;
  Result<std::vector<RunRecord>> list_runs(std::size_t limit) override;

  // EnrichmentStore: enrichment.cpp
  Result<std::optional<CachedAnswer>>
  get_cached_answer(const std::string& provider, const std::string& key, TimePoint at) override;
  Status put_cached_answers(const std::vector<CachedAnswer>& answers) override;
  Result<std::int64_t> prune_cached_answers(TimePoint at) override;
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

  // EventStore: events.cpp
  Result<model::BehaviourEvent> add_event(model::BehaviourEvent event) override;
  Result<AddEventsResult> add_events(const std::vector<model::BehaviourEvent>& events) override;
  Result<std::vector<model::BehaviourEvent>> list_events(const std::string& lead_id) override;

  // WebhookStore: webhooks.cpp
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

  // WorkerStore: workers.cpp
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

  // StatsStore: sqlite_store.cpp
  Result<StoreStats> stats() override;

private:
  struct StoredVersion {
    std::int64_t version = 0;
    std::int64_t created_at = 0;
  };

  // What the database keeps: wall time at millisecond precision.
  TimePoint now() const { return detail::stored_time(clock_.now()); }
  // The helpers below but find_live_leads run inside a public method, with mutex_ held.
  Status save_duplicate_pair(const DuplicatePair& pair) REQUIRES(mutex_);
  Status insert_lead(model::Lead& lead, const WriteOptions& options) REQUIRES(mutex_);
  Status apply_update(model::Lead& lead, const WriteOptions& options) REQUIRES(mutex_);
  Status delete_feed_records(const std::string& provider, const std::string& path) REQUIRES(mutex_);
  Status save_checkpoint(const std::string& name, const std::string& value) REQUIRES(mutex_);
  Result<bool> insert_event(model::BehaviourEvent& event, const std::string& document)
      REQUIRES(mutex_);
  Result<std::optional<StoredVersion>> find_version(const std::string& id) REQUIRES(mutex_);
  Result<model::Lead> load_lead(const std::string& id) REQUIRES(mutex_);
  // Takes the lock itself.
  Result<std::vector<model::Lead>> find_live_leads(std::string_view condition,
                                                   const std::string& value) EXCLUDES(mutex_);
  Status save_lead(const model::Lead& lead, std::optional<OutboxOperation> operation,
                   bool new_lead = false, bool bulk = false) REQUIRES(mutex_);
  Status write_lookups(const model::Lead& lead, bool new_lead) REQUIRES(mutex_);
  Status write_backlog(const model::Lead& lead, bool new_lead) REQUIRES(mutex_);
  static std::set<std::string> domain_keys(const model::Lead& lead);
  Status remove_rows(std::string_view table, const std::string& lead_id) REQUIRES(mutex_);
  Status replace_rows(std::string_view table, std::string_view column, const std::string& lead_id,
                      const std::set<std::string>& values, bool new_lead) REQUIRES(mutex_);
  Status enqueue(const std::string& lead_id, OutboxOperation operation, std::int64_t lead_version,
                 TimePoint created_at) REQUIRES(mutex_);
  Result<std::optional<std::string>> lease_owner(std::int64_t seq) REQUIRES(mutex_);
  Result<std::optional<std::string>> webhook_lease_owner(std::int64_t seq) REQUIRES(mutex_);
  Status require_webhook_lease(std::int64_t seq, const std::string& worker) REQUIRES(mutex_);
  Status finish_webhook_event(std::int64_t seq, WebhookEventState state,
                              const std::optional<std::string>& error, TimePoint now)
      REQUIRES(mutex_);
  Status require_lease(std::int64_t seq, const std::string& worker) REQUIRES(mutex_);
  FolderRemover folder_; // first: destroyed last, after the database is closed
  Mutex mutex_;
  Database database_ GUARDED_BY(mutex_);
  Clock& clock_;
  Random& random_;
  std::unique_ptr<Checkpointer> checkpointer_; // file databases only
};

} // namespace leadsync::store::sqlite
