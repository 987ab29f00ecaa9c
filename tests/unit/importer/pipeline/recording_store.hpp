#pragma once
// A Store that forwards to another and records the batches written through it; it can be told to
// fail a batch, to stand in for a process killed between two commits.

#include "leadsync/store/store.hpp"
#include "support/forwarding_store.hpp"

#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace leadsync::importer::testing {

class RecordingStore final : public store::testing::ForwardingStore {
public:
  explicit RecordingStore(store::Store& inner) : ForwardingStore(inner) {}

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

  using ForwardingStore::write_batch;
  Result<std::vector<model::Lead>>
  write_batch(std::vector<store::LeadWrite> writes,
              const std::optional<store::CheckpointValue>& checkpoint,
              const std::vector<store::DuplicatePair>& pairs) override {
    if (fail_batch && batches.size() == *fail_batch) {
      fail_batch.reset();
      return fail(ErrorCategory::storage, "disk full (injected)");
    }
    batches.push_back({writes.size(), checkpoint});
    auto written = inner().write_batch(std::move(writes), checkpoint, pairs);
    if (written.ok() && after_batch) {
      after_batch(batches.size() - 1);
    }
    return written;
  }
  Result<std::vector<model::Lead>> find_leads(const store::LeadLookup& lookup) override {
    ++find_leads_calls;
    keys_asked += lookup.emails.size() + lookup.phones.size() + lookup.domains.size();
    return inner().find_leads(lookup);
  }
  Result<std::int64_t> foreign_write_marker() override {
    LEADSYNC_TRY(const auto marker, inner().foreign_write_marker());
    return marker + foreign_writes;
  }
};

} // namespace leadsync::importer::testing
