#pragma once
// A DataverseClient over the real pipeline (request id, user agent, retry, bearer token, throttle,
// log) ending in a RecordingTransport, with a ManualClock and a Sleeper that never sleeps.

#include "fakes.hpp"
#include "leadsync/dataverse/client.hpp"
#include "leadsync/http/policies.hpp"

#include <atomic>
#include <gtest/gtest.h>
#include <memory>
#include <mutex>
#include <string>

namespace leadsync::dataverse {

inline const std::string kOrg = "https://contoso.crm.dynamics.com";
inline const std::string kRoot = kOrg + "/api/data/v9.2/";
inline const std::string kUserAgent = "leadsync/" LEADSYNC_VERSION;
inline const std::string kLeadId = "6f1f2b3c-1d2e-4f50-8a6b-7c8d9e0f1a2b";

// "token-1" until a refresh is forced (or the refused token is the current one), then "token-2",
// and so on.
class RotatingTokenProvider final : public http::TokenProvider {
public:
  using http::TokenProvider::get_token;
  Result<http::AccessToken> get_token(const http::TokenRequest& request) override {
    std::lock_guard lock(mutex_);
    const std::string current = "token-" + std::to_string(generation_.load());
    if (request.force_refresh ||
        (request.force_refresh_if_still && request.force_refresh_if_still->reveal() == current)) {
      ++generation_;
    }
    return http::AccessToken{Secret("token-" + std::to_string(generation_.load())),
                             Clock::WallTime::max()};
  }
  int refreshes() const { return generation_.load() - 1; }

private:
  std::mutex mutex_;
  std::atomic<int> generation_{1};
};

class ClientFixture : public ::testing::Test {
protected:
  explicit ClientFixture(http::RetryOptions retry_options = {}) {
    retry_ = std::make_shared<http::RetryPolicy>(retry_options, clock_, sleeper_, random_);
    std::vector<std::shared_ptr<http::Policy>> policies{
        std::make_shared<http::RequestIdPolicy>(random_),
        std::make_shared<http::UserAgentPolicy>(),
        retry_,
        std::make_shared<http::BearerTokenPolicy>(tokens_),
        std::make_shared<http::ThrottlePolicy>(limiter_),
        std::make_shared<http::LogPolicy>(clock_)};
    ClientOptions options;
    options.url = kOrg;
    client_ = std::make_unique<DataverseClient>(
        options,
        std::make_shared<http::Pipeline>(std::move(policies),
                                         std::make_shared<fakes::UrlLoggingTransport>(transport_)),
        limiter_, random_);
  }

  fakes::RecordingTransport::Call call(std::size_t index) const { return transport_->call(index); }
  std::string wire(std::size_t index) const { return fakes::wire(call(index).request); }

  // The headers every request carries, and those the pipeline adds after the client's own.
  static std::string odata_headers() {
    return "Accept: application/json\nOData-MaxVersion: 4.0\nOData-Version: 4.0\n";
  }
  static std::string pipeline_headers(const std::string& token = "token-1") {
    return "User-Agent: " + kUserAgent + "\nAuthorization: Bearer " + token + "\n";
  }

  ManualClock clock_;
  fakes::RecordingSleeper sleeper_{clock_};
  SeededRandom random_{42};
  std::shared_ptr<fakes::RecordingTransport> transport_ =
      std::make_shared<fakes::RecordingTransport>();
  std::shared_ptr<RotatingTokenProvider> tokens_ = std::make_shared<RotatingTokenProvider>();
  std::shared_ptr<http::ConcurrencyLimiter> limiter_ =
      std::make_shared<http::ConcurrencyLimiter>(4);
  std::shared_ptr<http::RetryPolicy> retry_;
  std::unique_ptr<DataverseClient> client_;
};

} // namespace leadsync::dataverse
