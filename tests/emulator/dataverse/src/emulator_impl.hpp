#pragma once
// The emulator's state (Emulator::Impl), shared by the files that serve its parts: emulator.cpp
// (routing, authentication, the data pipeline), token_endpoint.cpp and admin.cpp.

#include "dvemu/emulator.hpp"
#include "dvemu/record_store.hpp"
#include "dvemu/schema.hpp"
#include "dvemu/web_api.hpp"
#include "emulator_support.hpp"
#include "faults.hpp"
#include "leadsync/core/mutex.hpp"
#include "limiter.hpp"
#include "timing.hpp"
#include "tokens.hpp"

#include <atomic>
#include <chrono>
#include <cstdint>
#include <leadsync/http/server.hpp>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace dvemu {
namespace detail {

class WebhookDispatcher; // webhooks.hpp

// Counters for GET /_emulator/stats
class Counters {
public:
  void record(const std::string& outcome) {
    leadsync::MutexLock lock(mutex_);
    ++total_;
    ++by_status_[outcome];
  }
  void record_throttled() {
    leadsync::MutexLock lock(mutex_);
    ++throttled_;
  }
  void record_fault(Fault fault) {
    leadsync::MutexLock lock(mutex_);
    ++faults_[std::string(fault_name(fault))];
  }
  void record_token_issued() {
    leadsync::MutexLock lock(mutex_);
    ++tokens_issued_;
  }
  void reset() {
    leadsync::MutexLock lock(mutex_);
    total_ = 0;
    throttled_ = 0;
    tokens_issued_ = 0;
    by_status_.clear();
    faults_.clear();
  }
  void write(Json& stats) const {
    leadsync::MutexLock lock(mutex_);
    stats["requests_total"] = total_;
    stats["requests_by_status"] = by_status_;
    stats["throttled"] = throttled_;
    stats["faults_injected"] = faults_;
    stats["tokens_issued"] = tokens_issued_;
  }

private:
  mutable leadsync::Mutex mutex_;
  std::int64_t total_ GUARDED_BY(mutex_) = 0;
  std::int64_t throttled_ GUARDED_BY(mutex_) = 0;
  std::int64_t tokens_issued_ GUARDED_BY(mutex_) = 0;
  std::map<std::string, std::int64_t> by_status_ GUARDED_BY(mutex_);
  std::map<std::string, std::int64_t> faults_ GUARDED_BY(mutex_);
};

} // namespace detail

struct Emulator::Impl {
  // Defined in emulator.cpp, where WebhookDispatcher is complete.
  explicit Impl(EmulatorOptions emulator_options);

  // One request on its way through the pipeline; finish() answers it.
  struct Exchange {
    std::string method;
    std::string path;
    std::string user = "-";
    std::chrono::steady_clock::time_point received = std::chrono::steady_clock::now();
    leadsync::http::Respond respond;
    bool counted = true;     // admin requests are left out of the stats
    bool holds_slot = false; // admitted by the limiter: release on answer
    std::int64_t execution_ms = 0;
  };

  leadsync::Result<std::uint16_t> start();
  void stop();

  void serve(const leadsync::http::Request& request, leadsync::http::Respond respond);
  void finish(Exchange& exchange, leadsync::http::Response response);
  void serve_admin(const leadsync::http::Request& request, Exchange& exchange);
  leadsync::http::Response issue_token(const leadsync::http::Request& request,
                                       const std::string& tenant);
  void serve_data(const leadsync::http::Request& request,
                  const std::shared_ptr<Exchange>& exchange);
  leadsync::http::Response unauthorized(const std::string& problem) const;
  void add_rate_headers(leadsync::http::Response& response, const std::string& user);
  leadsync::Status seed_rows();
  Json stats_json(int batch_size) const;
  Json users_json(const LimitOptions& limits) const;

  EmulatorOptions options;
  detail::Identity identity;
  // One per client id; the first is identity.user_id, the user of the static token.
  std::vector<detail::ApplicationUser> users;
  detail::OffsetClock clock;
  std::optional<Schema> schema;
  std::unique_ptr<RecordStore> store;
  std::unique_ptr<detail::WebhookDispatcher> webhooks;
  std::unique_ptr<WebApi> api;
  std::unique_ptr<leadsync::http::HttpServer> server;
  std::atomic<bool> ready{false};
  detail::DelayQueue delays;
  detail::Limiter limiter;
  detail::FaultPlan faults;
  detail::TokenRegistry tokens;
  // Guards options.auth.client_secret, which POST /_emulator/client-secret replaces (a secret
  // rotated in Entra while clients run).
  mutable leadsync::Mutex secret_mutex;
  detail::Counters counters;
  std::string host;
  std::uint16_t port = 0;
  std::chrono::steady_clock::time_point started = std::chrono::steady_clock::now();
  leadsync::Mutex lifecycle_mutex;
  bool running GUARDED_BY(lifecycle_mutex) = false;
};

} // namespace dvemu
