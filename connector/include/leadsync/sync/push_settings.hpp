#pragma once
// How a push runs (PushSettings), and the one mapping from leadsync.toml to it that the CLI and
// the daemon share (through jobs::run_push).

#include "leadsync/core/config.hpp"
#include "leadsync/mapping/lead_mapping.hpp"

#include <chrono>
#include <cstddef>
#include <optional>
#include <string>

namespace leadsync::sync {

// push.mode, parsed by config::parse_push_mode.
using PushMode = config::PushMode;

// Worker threads for a push whose CRM client lets `request_slots` requests be in flight (at least
// one): two per slot. The client's limiter keeps the requests within the slots; the second worker
// of a slot claims and maps its batch while the first one's request is out, so a slot that frees
// is used at once instead of waiting for the store and the mapping.
int push_workers(int request_slots);

struct PushSettings {
  PushMode mode = PushMode::bulk;
  std::size_t batch_size = 200;       // leads per request (bulk, batch) and per claim
  int workers = 1;                    // threads, each claiming its own entries (push_workers())
  std::optional<std::size_t> limit;   // claim at most this many outbox entries in all
  std::string worker_id = "leadsync"; // unique per process; ":<n>" is added per thread
  std::chrono::seconds lease{120};
  std::string key_column = "leadsync_externalid";
  mapping::FieldSet crm_owned;            // never written
  std::chrono::seconds retry_backoff{30}; // not_before = now + backoff * 2^attempts (max 1 h)
  // qualify.write_predictive_score: after a scored lead's upsert, also upsert its
  // msdyn_predictivescore row (see predictive_score()).
  bool write_predictive_score = false;
};

// The settings leadsync.toml decides: push.mode, push.batch_size, crm.alternate_key (the key
// column) and qualify.write_predictive_score. What a run decides is left at its default for the
// caller: limit, worker_id, workers, crm_owned (pull.crm_owned_fields, checked against the
// mapping when the CRM link is made).
PushSettings push_settings_from(const config::Config& config);

} // namespace leadsync::sync
