#pragma once
// Test doubles for the HTTP enrichment providers: a Transport that records requests and answers
// from a script, and a fixture that makes provider options with a key file.

#include "leadsync/core/clock.hpp"
#include "leadsync/core/config.hpp"
#include "leadsync/enrich/registry.hpp"
#include "leadsync/http/transport.hpp"
#include "leadsync/http/url.hpp"

#include <deque>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <unistd.h>
#include <vector>

namespace leadsync::enrich::testing {

// Records every request and answers with the scripted results in order; an unscripted call fails
// loudly with an internal error.
class FakeTransport final : public http::Transport {
public:
  FakeTransport& respond(int status, std::string body = {}, http::Headers headers = {}) {
    http::Response response;
    response.status = status;
    response.headers = std::move(headers);
    response.body = std::move(body);
    std::lock_guard lock(mutex_);
    script_.emplace_back(std::move(response));
    return *this;
  }
  FakeTransport& fail_with(ErrorCategory category, std::string message, bool retryable) {
    std::lock_guard lock(mutex_);
    script_.emplace_back(Error::make(category, std::move(message), retryable));
    return *this;
  }

  Result<http::Response> send(const http::Request& request,
                              const http::CallContext& context) override {
    (void)context;
    std::lock_guard lock(mutex_);
    requests_.push_back(request);
    if (script_.empty()) {
      return Error::make(ErrorCategory::internal, "FakeTransport: no scripted answer for " +
                                                      request.method + " " + request.url);
    }
    auto answer = std::move(script_.front());
    script_.pop_front();
    return answer;
  }

  std::vector<http::Request> requests() const {
    std::lock_guard lock(mutex_);
    return requests_;
  }
  http::Request request(std::size_t index) const {
    std::lock_guard lock(mutex_);
    return requests_.at(index);
  }
  std::size_t count() const {
    std::lock_guard lock(mutex_);
    return requests_.size();
  }

private:
  mutable std::mutex mutex_;
  std::deque<Result<http::Response>> script_;
  std::vector<http::Request> requests_;
};

// The path and decoded query parameters of a request URL.
struct SentUrl {
  std::string path;
  std::map<std::string, std::string> params;
  std::string query; // still encoded
};
inline SentUrl parse_sent(const std::string& url) {
  const auto parsed = http::parse_url(url);
  SentUrl sent;
  if (!parsed.ok()) {
    return sent;
  }
  sent.path = parsed->path;
  sent.query = parsed->query;
  const auto params = http::parse_query(parsed->query);
  if (params.ok()) {
    for (const auto& [name, value] : *params) {
      sent.params[name] = value;
    }
  }
  return sent;
}

// A temporary folder with a key file; options pointing at it.
class ProviderFixture {
public:
  ProviderFixture() {
    dir_ = std::filesystem::temp_directory_path() /
           ("leadsync-enrich-providers-" + std::to_string(::getpid()) + "-" +
            std::to_string(counter()++));
    std::filesystem::create_directories(dir_);
    write("api.key", "test-key-0123456789\n");
    std::filesystem::permissions(dir_ / "api.key", std::filesystem::perms::owner_read |
                                                       std::filesystem::perms::owner_write);
  }
  ~ProviderFixture() {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
  ProviderFixture(const ProviderFixture&) = delete;
  ProviderFixture& operator=(const ProviderFixture&) = delete;

  void write(const std::string& name, const std::string& text) const {
    std::ofstream out(dir_ / name, std::ios::binary);
    out << text;
  }

  config::EnrichProviderOptions options(const std::string& name, const std::string& kind) const {
    config::EnrichProviderOptions options;
    options.name = name;
    options.kind = kind;
    options.url = "http://127.0.0.1:8766";
    options.api_key.file = (dir_ / "api.key").string();
    return options;
  }

  ProviderEnvironment environment() const {
    return ProviderEnvironment{
        .transport = transport, .clock = &clock, .store = nullptr, .base_dir = dir_};
  }

  std::shared_ptr<FakeTransport> transport = std::make_shared<FakeTransport>();
  ManualClock clock{Clock::WallTime{std::chrono::seconds{1'790'000'000}}};
  const std::filesystem::path& dir() const { return dir_; }

private:
  static int& counter() {
    static int value = 0;
    return value;
  }
  std::filesystem::path dir_;
};

inline constexpr const char* test_key = "test-key-0123456789";

} // namespace leadsync::enrich::testing
