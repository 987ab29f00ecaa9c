#pragma once
// A Store for the import committer tests: forwards to another store, and lets a test hold a batch's
// write_batch until it releases it (the batch stays in flight meanwhile), fail a batch, play
// another process writing, and see the write options, lookups, lead reads and finish_bulk_load
// calls the import made. write_batch runs on the import's
// committer thread; the rest on the calling thread: the counters are guarded by one mutex.

#include "leadsync/store/store.hpp"
#include "support/forwarding_store.hpp"

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

class GatedStore final : public store::testing::ForwardingStore {
public:
  explicit GatedStore(store::Store& inner) : ForwardingStore(inner) {}

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

  using ForwardingStore::write_batch;
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
    auto written = inner().write_batch(std::move(writes), checkpoint, pairs);
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
    return inner().finish_bulk_load();
  }

  Result<std::vector<model::Lead>> find_leads(const store::LeadLookup& lookup) override {
    {
      const std::lock_guard lock(mutex_);
      skips_.push_back(lookup.skip_unfinished_bulk_loads);
    }
    return inner().find_leads(lookup);
  }

  Result<std::int64_t> foreign_write_marker() override {
    {
      const std::lock_guard lock(mutex_);
      ++marker_calls_;
    }
    LEADSYNC_TRY(const auto marker, inner().foreign_write_marker());
    return marker + foreign_writes_.load();
  }
  Result<model::Lead> get_lead(const std::string& id) override {
    {
      const std::lock_guard lock(mutex_);
      ++lead_reads_;
    }
    return inner().get_lead(id);
  }
  Result<std::vector<model::Lead>> get_leads(const std::vector<std::string>& ids) override {
    {
      const std::lock_guard lock(mutex_);
      ++lead_reads_;
    }
    return inner().get_leads(ids);
  }

private:
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
