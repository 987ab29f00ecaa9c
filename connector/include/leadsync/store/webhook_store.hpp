#pragma once
// The webhook queue: notifications the daemon received, stored before they are answered and
// processed by workers under leases. One role of the Store (store/store.hpp).

#include "leadsync/core/result.hpp"
#include "leadsync/store/store_types.hpp"

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace leadsync::store {

// A notification received by the daemon (a Dataverse webhook POST), stored durably before it is
// answered and processed later by a worker that holds it under a lease (like outbox entries).
enum class WebhookEventState { pending, done, failed };
std::string_view to_string(WebhookEventState state); // "pending", "done", "failed"

struct WebhookEvent {
  std::int64_t seq = 0;       // set by the store, increasing in arrival order
  std::string dedupe_key;     // one delivery of one operation; a second add with it is a duplicate
  std::string source;         // "dataverse"
  std::string message;        // "Create"
  std::string entity;         // "lead"
  std::string crm_id;         // PrimaryEntityId, lower-case GUID
  std::string correlation_id; // x-ms-correlation-request-id, for support
  std::string payload;        // the body as received ("" when not kept)
  TimePoint received_at{};
  WebhookEventState state = WebhookEventState::pending;
  int attempts = 0;
  std::string last_error;
  std::optional<TimePoint> not_before; // retry not earlier than this
  std::string lease_owner;
  std::optional<TimePoint> lease_until;
  std::optional<TimePoint> finished_at;
};

struct AddWebhookEventResult {
  bool added = false;   // false: the dedupe_key was known (pending, done or failed), nothing stored
  std::int64_t seq = 0; // the stored event's seq (the earlier one's for a duplicate)
};

struct WebhookQueueStats {
  std::int64_t pending = 0;                // waiting or leased
  std::int64_t done = 0;                   // processed and kept for de-duplication until pruned
  std::int64_t failed = 0;                 // gave up after the last attempt
  std::optional<TimePoint> oldest_pending; // received_at of the oldest pending event
};

class WebhookStore {
public:
  virtual ~WebhookStore() = default;

  // Webhook events. add_webhook_event stores a new event (state pending) or, when its dedupe_key
  // is known, stores nothing and says so. claim_webhook_events leases up to `max_entries` pending
  // events whose not_before has passed and whose lease is free or expired, oldest first, to
  // `worker` until now + lease. complete_webhook_events marks events done (the worker must hold
  // them); retry_webhook_event frees one for another attempt at not_before (attempts + 1);
  // fail_webhook_event gives it up (state failed, kept with its error). prune_webhook_events
  // deletes done and failed events finished before `before` and returns how many.
  virtual Result<AddWebhookEventResult> add_webhook_event(const WebhookEvent& event) = 0;
  virtual Result<std::vector<WebhookEvent>>
  claim_webhook_events(const std::string& worker, std::size_t max_entries, TimePoint now,
                       std::chrono::milliseconds lease) = 0;
  virtual Status complete_webhook_events(const std::vector<std::int64_t>& seqs,
                                         const std::string& worker, TimePoint now) = 0;
  virtual Status retry_webhook_event(std::int64_t seq, const std::string& worker,
                                     const std::string& error, TimePoint not_before) = 0;
  virtual Status fail_webhook_event(std::int64_t seq, const std::string& worker,
                                    const std::string& error, TimePoint now) = 0;
  virtual Result<WebhookQueueStats> webhook_queue_stats() = 0;
  virtual Result<std::vector<WebhookEvent>>
  list_webhook_events(std::size_t limit) = 0; // newest first
  virtual Result<std::int64_t> prune_webhook_events(TimePoint before) = 0;
};

} // namespace leadsync::store
