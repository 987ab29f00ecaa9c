// connect(): what the configuration turns into, and the configuration mistakes it refuses before
// any request is sent.

#include "fakes.hpp"
#include "leadsync/dataverse/connect.hpp"

#include <cstdlib>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace leadsync::dataverse {
namespace {

using ::testing::HasSubstr;

class ConnectTest : public ::testing::Test {
protected:
  ConnectTest() {
    ::setenv("LEADSYNC_CONNECT_TEST_TOKEN", "static-token-value", 1);
    config_.crm.url = "http://127.0.0.1:8765";
    config_.crm.auth.mode = "static_token";
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
  config_.crm.auth.mode = "client_credentials";
  config_.crm.auth.tenant = "contoso.onmicrosoft.com";
  config_.crm.auth.client_id = "app";

  const auto connection = connect(config_);

  ASSERT_FALSE(connection.ok());
  EXPECT_EQ(connection.error().category, ErrorCategory::config);
  EXPECT_THAT(connection.error().message, HasSubstr("crm.auth.client_secret"));
}

TEST_F(ConnectTest, ClientCredentialsWithASecretConnect) {
  config_.crm.auth.mode = "client_credentials";
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
  config_.crm.auth.mode = "none";

  EXPECT_TRUE(connect(config_).ok());
}

TEST_F(ConnectTest, AnUnknownAuthModeIsAConfigError) {
  config_.crm.auth.mode = "kerberos";

  const auto connection = connect(config_);

  ASSERT_FALSE(connection.ok());
  EXPECT_EQ(connection.error().category, ErrorCategory::config);
  EXPECT_THAT(connection.error().message, HasSubstr("kerberos"));
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

} // namespace
} // namespace leadsync::dataverse
