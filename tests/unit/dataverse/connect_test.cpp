// connect(): what the configuration turns into, and the configuration mistakes it refuses before
// any request is sent.

#include "fakes.hpp"
#include "leadsync/dataverse/connect.hpp"
#include "leadsync/odata/query.hpp"

#include <cstdlib>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <memory>
#include <mutex>
#include <vector>

namespace leadsync::dataverse {
namespace {

using ::testing::HasSubstr;

class ConnectTest : public ::testing::Test {
protected:
  ConnectTest() {
    ::setenv("LEADSYNC_CONNECT_TEST_TOKEN", "static-token-value", 1);
    config_.crm.url = "http://127.0.0.1:8765";
    config_.crm.auth.mode = config::AuthMode::static_token;
    config_.crm.auth.token.env = "LEADSYNC_CONNECT_TEST_TOKEN";
  }
  ~ConnectTest() override { ::unsetenv("LEADSYNC_CONNECT_TEST_TOKEN"); }

  config::Config config_;
};

TEST_F(ConnectTest, BuildsAClientForTheConfiguredOrganization) {
  const auto connection = connect(config_);

  ASSERT_TRUE(connection.ok()) << connection.error().describe();
  EXPECT_EQ(connection->client->service_root(), "http://127.0.0.1:8765/api/data/v9.2/");
  ASSERT_NE(connection->retry, nullptr);
  EXPECT_EQ(connection->limiter->limit(), 4) << "until WhoAmI gives a dop hint";
  EXPECT_EQ(connection->limiter->ceiling(), 52);
}

TEST_F(ConnectTest, AnExplicitMaxParallelIsBothStartAndCeiling) {
  config_.push.max_parallel = 8;

  const auto connection = connect(config_);

  ASSERT_TRUE(connection.ok()) << connection.error().describe();
  EXPECT_EQ(connection->limiter->limit(), 8);
  connection->limiter->set_hint(16);
  EXPECT_EQ(connection->limiter->limit(), 8) << "a dop hint never exceeds push.max_parallel";
}

TEST_F(ConnectTest, AMissingTokenVariableIsAConfigErrorNamingTheKey) {
  ::unsetenv("LEADSYNC_CONNECT_TEST_TOKEN");

  const auto connection = connect(config_);

  ASSERT_FALSE(connection.ok());
  EXPECT_EQ(connection.error().category, ErrorCategory::config);
  EXPECT_THAT(connection.error().message, HasSubstr("crm.auth.token_env"));
}

TEST_F(ConnectTest, ClientCredentialsNeedTheSecret) {
  config_.crm.auth.mode = config::AuthMode::client_credentials;
  config_.crm.auth.tenant = "contoso.onmicrosoft.com";
  config_.crm.auth.client_id = "app";

  const auto connection = connect(config_);

  ASSERT_FALSE(connection.ok());
  EXPECT_EQ(connection.error().category, ErrorCategory::config);
  EXPECT_THAT(connection.error().message, HasSubstr("crm.auth.client_secret"));
}

TEST_F(ConnectTest, ClientCredentialsWithASecretConnect) {
  config_.crm.auth.mode = config::AuthMode::client_credentials;
  config_.crm.auth.tenant = "contoso.onmicrosoft.com";
  config_.crm.auth.client_id = "app";
  config_.crm.auth.client_secret.env = "LEADSYNC_CONNECT_TEST_TOKEN";

  const auto connection = connect(config_);

  EXPECT_TRUE(connection.ok()) << connection.error().describe();
}

TEST_F(ConnectTest, RefusesABearerTokenOverPlainHttpToAnotherHost) {
  config_.crm.url = "http://crm.example.com";

  const auto connection = connect(config_);

  ASSERT_FALSE(connection.ok());
  EXPECT_EQ(connection.error().category, ErrorCategory::config);
  EXPECT_THAT(connection.error().message, HasSubstr("plain http to crm.example.com"));
}

TEST_F(ConnectTest, AuthModeNoneNeedsNoSecret) {
  ::unsetenv("LEADSYNC_CONNECT_TEST_TOKEN");
  config_.crm.auth.mode = config::AuthMode::none;

  EXPECT_TRUE(connect(config_).ok());
}

TEST_F(ConnectTest, TheTransportCanBeWrapped) {
  int wrapped = 0;
  ConnectOptions options;
  options.wrap_transport = [&wrapped](std::shared_ptr<http::Transport> inner) {
    ++wrapped;
    return std::shared_ptr<http::Transport>(
        std::make_shared<fakes::UrlLoggingTransport>(std::move(inner)));
  };

  ASSERT_TRUE(connect(config_, options).ok());

  EXPECT_EQ(wrapped, 1);
}

class CountingObserver final : public http::RequestObserver {
public:
  void observe(const http::RequestObservation& observation) override {
    std::lock_guard lock(mutex_);
    seen_.push_back(observation);
  }
  std::vector<http::RequestObservation> seen() const {
    std::lock_guard lock(mutex_);
    return seen_;
  }

private:
  mutable std::mutex mutex_;
  std::vector<http::RequestObservation> seen_;
};

// The cpprestsdk transport replaced by a scripted one: nothing leaves the process.
ConnectOptions scripted(const std::shared_ptr<fakes::RecordingTransport>& transport) {
  ConnectOptions options;
  options.wrap_transport = [transport](const std::shared_ptr<http::Transport>& /*real*/) {
    return std::shared_ptr<http::Transport>(transport);
  };
  return options;
}

constexpr const char* who_am_i_body = R"({"BusinessUnitId":"b","UserId":"u","OrganizationId":"o"})";

TEST_F(ConnectTest, AnObserverHearsOfEveryCallOnceAfterItsRetries) {
  auto transport = std::make_shared<fakes::RecordingTransport>();
  // Retry-After: 0 retries at once: no real wait with the real sleeper.
  transport->then_respond(429, {{"Retry-After", "0"}}).then_json(200, who_am_i_body);
  transport->then_json(404, R"({"error":{"code":"0x80040217","message":"lead Does Not Exist"}})");
  auto observer = std::make_shared<CountingObserver>();
  auto options = scripted(transport);
  options.observer = observer;
  const auto connection = connect(config_, options);
  ASSERT_TRUE(connection.ok()) << connection.error().describe();

  ASSERT_TRUE(connection->client->who_am_i().ok());
  EXPECT_FALSE(
      connection->client
          ->retrieve("leads", odata::key_by_id("6f1f2b3c-1d2e-4f50-8a6b-7c8d9e0f1a2b").value())
          .ok());

  const auto seen = observer->seen();
  ASSERT_EQ(seen.size(), 2U) << "one observation per call, not per attempt";
  EXPECT_EQ(seen[0].method, "GET");
  EXPECT_EQ(seen[0].route, "WhoAmI");
  EXPECT_EQ(seen[0].status, 200);
  EXPECT_EQ(seen[0].attempts, 2);
  EXPECT_TRUE(seen[0].throttled);
  EXPECT_EQ(seen[1].route, "leads");
  EXPECT_EQ(seen[1].status, 404);
  EXPECT_EQ(seen[1].attempts, 1);
  EXPECT_FALSE(seen[1].throttled);
}

TEST_F(ConnectTest, EachScopeReadsItsOwnThrottlingFiguresAndTheConnectionAllOfThem) {
  auto transport = std::make_shared<fakes::RecordingTransport>();
  transport->then_respond(429, {{"Retry-After", "0"}}).then_json(200, who_am_i_body);
  transport->then_json(200, who_am_i_body);
  const auto connection = connect(config_, scripted(transport));
  ASSERT_TRUE(connection.ok()) << connection.error().describe();
  http::CallScope push;
  push.stats = std::make_shared<http::CallStats>();
  http::CallScope pull;
  pull.stats = std::make_shared<http::CallStats>();

  ASSERT_TRUE(connection->client->who_am_i(push).ok());
  ASSERT_TRUE(connection->client->who_am_i(pull).ok());

  EXPECT_EQ(push.stats->snapshot().throttled, 1);
  EXPECT_EQ(push.stats->snapshot().retries, 1);
  EXPECT_EQ(pull.stats->snapshot().throttled, 0);
  EXPECT_EQ(connection->retry->stats().throttled, 1);
}

} // namespace
} // namespace leadsync::dataverse
