#include "leadsync/http/options_from_config.hpp"

#include <gtest/gtest.h>

namespace leadsync::http {
namespace {

TEST(TransportOptionsFromConfigTest, TheCrmTimeoutBecomesTheRequestTimeout) {
  config::Config config;
  config.crm.timeout_s = 7;
  EXPECT_EQ(transport_options_from(config).timeout, std::chrono::seconds(7));
}

TEST(TransportOptionsFromConfigTest, ARelativeCaFileIsResolvedAgainstTheConfigsFolder) {
  config::Config config;
  config.base_dir = "/etc/leadsync";
  config.crm.tls.ca_file = "ca/corp.pem";
  config.crm.tls.insecure_skip_verify = true;
  const TransportOptions options = transport_options_from(config);
  EXPECT_EQ(options.ca_file, "/etc/leadsync/ca/corp.pem");
  EXPECT_TRUE(options.insecure_skip_verify);
}

TEST(TransportOptionsFromConfigTest, NoCaFileMeansTheSystemCasOnly) {
  const TransportOptions options = transport_options_from(config::Config{});
  EXPECT_TRUE(options.ca_file.empty());
  EXPECT_FALSE(options.insecure_skip_verify);
  EXPECT_EQ(options.max_response_bytes, default_max_response_bytes);
}

TEST(ServerOptionsFromConfigTest, ListenIsSplitIntoAddressAndPort) {
  config::ServerOptions server;
  server.listen = "0.0.0.0:8081";
  const auto options = server_options_from(server);
  ASSERT_TRUE(options.ok()) << options.error().message;
  EXPECT_EQ(options->address, "0.0.0.0");
  EXPECT_EQ(options->port, 8081);
}

TEST(ServerOptionsFromConfigTest, AnIpv6AddressLosesItsBrackets) {
  config::ServerOptions server;
  server.listen = "[::1]:0";
  const auto options = server_options_from(server);
  ASSERT_TRUE(options.ok()) << options.error().message;
  EXPECT_EQ(options->address, "::1");
  EXPECT_EQ(options->port, 0);
}

TEST(ServerOptionsFromConfigTest, AListenWithoutAUsablePortIsAConfigError) {
  config::ServerOptions server;
  server.listen = "127.0.0.1";
  auto options = server_options_from(server);
  ASSERT_FALSE(options.ok());
  EXPECT_EQ(options.error().category, ErrorCategory::config);
  EXPECT_EQ(options.error().message,
            "server.listen must be HOST:PORT, like \"127.0.0.1:8080\" (got \"127.0.0.1\")");
  server.listen = "127.0.0.1:70000";
  options = server_options_from(server);
  ASSERT_FALSE(options.ok());
  EXPECT_EQ(options.error().message,
            "server.listen: the port must be a number from 0 to 65535 (got \"70000\")");
}

} // namespace
} // namespace leadsync::http
