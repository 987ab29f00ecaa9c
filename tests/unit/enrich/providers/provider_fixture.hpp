#pragma once
// Test support for the HTTP enrichment providers: a fixture that makes provider options with a key
// file and answers their requests through a scripted RecordingTransport, and a sent URL taken
// apart.

#include "leadsync/core/clock.hpp"
#include "leadsync/core/config.hpp"
#include "leadsync/enrich/registry.hpp"
#include "leadsync/http/transport.hpp"
#include "leadsync/http/url.hpp"
#include "support/recording_transport.hpp"

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

  std::shared_ptr<test::RecordingTransport> transport =
      std::make_shared<test::RecordingTransport>();
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
