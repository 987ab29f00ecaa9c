#pragma once
// The emulated Dataverse Web API under /api/data/v9.2/: create, retrieve, retrieve multiple (with
// paging and change tracking), update, upsert, delete, ETags, duplicate detection, CreateMultiple /
// UpdateMultiple / UpsertMultiple, QualifyLead, Merge (leads), SetState through PATCH, WhoAmI and
// $metadata.
// $batch is in batch.hpp. Authentication, service-protection limits, latency and faults are the
// front end's job (emulator.hpp).

#include "dvemu/options.hpp"
#include "dvemu/record_store.hpp"
#include "dvemu/schema.hpp"

#include <cstdint>
#include <leadsync/http/message.hpp>
#include <string>
#include <vector>

namespace dvemu {

// Told about every committed create (the webhook dispatcher listens).
class EventSink {
public:
  virtual ~EventSink() = default;
  virtual void record_created(const EntityDef& entity, const StoredRecord& record,
                              const std::string& user_id) = 0;
};

// A create made inside a caller's transaction (a $batch changeset), announced to the EventSink by
// WebApi::announce() once the caller has committed.
struct PendingEvent {
  const EntityDef* entity;
  std::string id;
};

struct CallContext {
  std::string user_id; // systemuserid of the caller (from the token)
  std::string business_unit_id;
  std::string organization_id;
  // Filled by the Web API for the front end: rows written or returned, for the latency model and
  // the execution-time limit.
  std::int64_t records_processed = 0;
  // Set by $batch for a changeset: execute() with a caller's transaction appends every create here,
  // and the caller passes them to announce() after its commit. Null elsewhere.
  std::vector<PendingEvent>* pending_events = nullptr;
};

class WebApi {
public:
  WebApi(const Schema& schema, RecordStore& store, const EmulatorOptions& options,
         EventSink* events);

  // A request whose target starts with /api/data/v9.2/ ($batch included).
  leadsync::http::Response handle(const leadsync::http::Request& request, CallContext& context);

  // One operation. With txn it runs inside it (a changeset member: the caller commits or rolls
  // back, and creates are announced to the EventSink only after the caller's commit, via
  // pending_events); without, in its own transaction. request.url is origin-form
  // ("/api/data/v9.2/leads(...)").
  leadsync::http::Response execute(const leadsync::http::Request& request, CallContext& context,
                                   RecordStore::Txn* txn);

  // Creates made inside a caller's transaction, to announce after its commit.
  using PendingEvent = dvemu::PendingEvent;
  void announce(const std::vector<PendingEvent>& events, const CallContext& context);

  // options.organization_url + "/api/data/v9.2/", fixed at construction: set organization_url
  // first.
  const std::string& service_root() const {
    return service_root_;
  } // "http://host:port/api/data/v9.2/"
  const Schema& schema() const { return schema_; }
  RecordStore& store() { return store_; }

private:
  const Schema& schema_;
  RecordStore& store_;
  const EmulatorOptions& options_;
  EventSink* events_;
  std::string service_root_;
};

} // namespace dvemu
