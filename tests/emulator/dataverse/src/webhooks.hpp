#pragma once
// Webhooks (dataverse-notes section 11;
// https://learn.microsoft.com/en-us/power-apps/developer/data-platform/use-webhooks): creates of
// rows with a registered step are posted to the webhook's URL by a worker thread.

#include "dvemu/record_store.hpp"
#include "dvemu/schema.hpp"
#include "dvemu/web_api.hpp"
#include "emulator_support.hpp"
#include "leadsync/core/mutex.hpp"

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <leadsync/core/clock.hpp>
#include <leadsync/http/url.hpp>
#include <map>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace dvemu::detail {

struct WebhookTarget {
  std::string step_id;
  std::string step_name;
  std::int64_t stage = 40;
  std::int64_t mode = 1;
  std::string endpoint_id;
  std::string url;
  std::int64_t authtype = 0;
  std::string authvalue;
};

struct CreatedRow {
  const EntityDef* entity = nullptr;
  StoredRecord record;
  std::string user_id;
};

class WebhookDispatcher final : public EventSink {
public:
  WebhookDispatcher(const Schema& schema, RecordStore& store, leadsync::Clock& clock,
                    Identity identity, const std::string& organization_url)
      : schema_(schema), store_(store), clock_(clock), identity_(std::move(identity)),
        organization_host_(host_of(organization_url)) {}
  WebhookDispatcher(const WebhookDispatcher&) = delete;
  WebhookDispatcher& operator=(const WebhookDispatcher&) = delete;
  ~WebhookDispatcher() override { stop(); }

  void start();

  void stop();

  // Called by the Web API after a commit, on a request thread: only queues.
  void record_created(const EntityDef& entity, const StoredRecord& record,
                      const std::string& user_id) override;

  void write_stats(Json& stats) const;

  void reset_stats();

private:
  static std::string host_of(const std::string& url);

  struct PostResult {
    int status = 0;
    std::string error; // set when no status was received
  };

  void run();

  bool stopping() const;

  // Enabled steps on Create whose handler is a webhook (serviceendpoint with contract 8), by the
  // logical name of the table their sdkmessagefilter names.
  std::map<std::string, std::vector<WebhookTarget>> registered_targets();

  nlohmann::ordered_json entity_body(const EntityDef& entity, const StoredRecord& record) const;

  // The RemoteExecutionContext of a Create, keys in the order of Microsoft's sample.
  nlohmann::ordered_json execution_context(const WebhookTarget& target, const CreatedRow& row,
                                           const std::string& correlation_id) const;

  // DataContractJsonSerializer escapes every '/' as "\/" (the sample's "\/Date(...)\/" and
  // "http:\/\/schemas..."). '/' occurs only inside JSON strings, so escaping all of them is safe.
  static std::string wcf_json(const nlohmann::ordered_json& body);

  void deliver(const WebhookTarget& target, const CreatedRow& row);

  // Every delivery is visible in the stats (the newest max_kept_deliveries): the row, where it
  // went (without the query, which may hold the key), the final status, attempts, when the first
  // POST started (started_ms: the origin of webhook_bench's latencies), its duration and when it
  // was recorded (at_ms, after the last answer).
  void record_delivery(const WebhookTarget& target, const CreatedRow& row,
                       const std::string& correlation_id, const PostResult& result, int attempts,
                       WallTime started_at, std::chrono::steady_clock::duration took);

  // One POST with a 60 s deadline, on the dispatcher's own io_context so stop() can interrupt it.
  PostResult post(const leadsync::http::Url& url,
                  const std::vector<std::pair<std::string, std::string>>& headers,
                  const std::string& body);

  const Schema& schema_;
  RecordStore& store_;
  leadsync::Clock& clock_;
  const Identity identity_;
  const std::string organization_host_; // x-ms-dynamics-organization: the environment's domain name

  // Also held around io_.restart() and io_.stop() (io_ itself runs unlocked, so it is not
  // GUARDED_BY).
  mutable leadsync::Mutex mutex_;
  leadsync::CondVar wake_;
  std::deque<CreatedRow> queue_ GUARDED_BY(mutex_);
  bool stopping_ GUARDED_BY(mutex_) = false;
  boost::asio::io_context io_;
  std::thread worker_;
  std::atomic<std::int64_t> delivered_{0};
  std::atomic<std::int64_t> failed_{0};
  std::atomic<std::int64_t> attempts_{0};
  static constexpr std::size_t max_kept_deliveries = 2000;
  std::deque<Json> deliveries_ GUARDED_BY(mutex_);
};

} // namespace dvemu::detail
