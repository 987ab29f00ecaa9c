#include "leadsync/dataverse/connect.hpp"

#include "leadsync/core/secrets.hpp"
#include "leadsync/dataverse/client_credentials.hpp"
#include "leadsync/http/cpprest_transport.hpp"
#include "leadsync/http/options_from_config.hpp"
#include "leadsync/http/url.hpp"

#include <fmt/format.h>

namespace leadsync::dataverse {

namespace {

constexpr int default_parallelism = 4; // until WhoAmI's x-ms-dop-hint says otherwise
constexpr int documented_concurrency_limit = 52;

std::string without_trailing_slashes(std::string text) {
  while (!text.empty() && text.back() == '/') {
    text.pop_back();
  }
  return text;
}

Result<std::shared_ptr<http::TokenProvider>>
token_provider(const config::Config& config, std::shared_ptr<http::Transport> transport) {
  const auto& auth = config.crm.auth;
  switch (auth.mode) {
  case config::AuthMode::static_token: {
    LEADSYNC_TRY(Secret token, read_secret(auth.token, "crm.auth.token"));
    return std::shared_ptr<http::TokenProvider>(
        std::make_shared<http::StaticTokenProvider>(std::move(token)));
  }
  case config::AuthMode::client_credentials: {
    ClientCredentialsOptions options;
    options.authority = auth.authority;
    options.tenant = auth.tenant;
    options.client_id = auth.client_id;
    LEADSYNC_TRY(options.client_secret, read_secret(auth.client_secret, "crm.auth.client_secret"));
    // A secret rotated in its file is read again at the next token request (issue 18).
    options.reload_secret = [source = auth.client_secret] {
      return read_secret(source, "crm.auth.client_secret");
    };
    options.scope =
        auth.scope.empty() ? without_trailing_slashes(config.crm.url) + "/.default" : auth.scope;
    return std::shared_ptr<http::TokenProvider>(
        std::make_shared<ClientCredentialsProvider>(std::move(options), std::move(transport)));
  }
  case config::AuthMode::none:
    break;
  }
  return std::shared_ptr<http::TokenProvider>();
}

} // namespace

Result<Connection> connect(const config::Config& config) {
  return connect(config, ConnectOptions{});
}

Result<Connection> connect(const config::Config& config, const ConnectOptions& options) {
  const auto& crm = config.crm;
  if (options.max_page_size < 1 || options.max_page_size > 5000) {
    return fail(ErrorCategory::invalid_argument,
                fmt::format("a page holds 1 to 5000 rows (asked for {})", options.max_page_size));
  }
  const auto url = http::parse_url(crm.url);
  if (!url.ok()) {
    return fail(ErrorCategory::config,
                fmt::format("crm.url \"{}\" is not usable: {}", crm.url, url.error().message));
  }

  std::shared_ptr<http::Transport> transport =
      http::make_cpprest_transport(http::transport_options_from(config));
  if (options.wrap_transport) {
    transport = options.wrap_transport(std::move(transport));
  }

  LEADSYNC_TRY(auto provider, token_provider(config, transport));
  if (provider && url->scheme == "http" && !http::is_loopback_host(url->host)) {
    return fail(ErrorCategory::config,
                fmt::format("refusing to send a bearer token over plain http to {}: use an https "
                            "crm.url",
                            url->host));
  }

  const int ceiling =
      config.push.max_parallel > 0 ? config.push.max_parallel : documented_concurrency_limit;
  auto limiter = std::make_shared<http::ConcurrencyLimiter>(
      config.push.max_parallel > 0 ? config.push.max_parallel : default_parallelism, ceiling);
  auto retry = std::make_shared<http::RetryPolicy>(
      options.retry, SystemClock::instance(), RealSleeper::instance(), SecureRandom::instance());

  // The fixed order of design section 2: request id, user agent, retry, bearer token, throttle,
  // log, transport. The observer goes in front of the retry policy, so that a call with all its
  // retries is one observation.
  std::vector<std::shared_ptr<http::Policy>> policies;
  policies.push_back(std::make_shared<http::RequestIdPolicy>());
  policies.push_back(std::make_shared<http::UserAgentPolicy>());
  if (options.observer) {
    policies.push_back(std::make_shared<http::ObserverPolicy>(options.observer));
  }
  policies.push_back(retry);
  if (provider) {
    policies.push_back(std::make_shared<http::BearerTokenPolicy>(std::move(provider)));
  }
  policies.push_back(std::make_shared<http::ThrottlePolicy>(limiter));
  policies.push_back(std::make_shared<http::LogPolicy>());
  auto pipeline = std::make_shared<http::Pipeline>(std::move(policies), std::move(transport));

  ClientOptions client_options;
  client_options.url = crm.url;
  client_options.api_version = crm.api_version;
  client_options.max_page_size = options.max_page_size;
  Connection connection;
  connection.client =
      std::make_shared<DataverseClient>(std::move(client_options), std::move(pipeline), limiter);
  connection.retry = std::move(retry);
  connection.limiter = std::move(limiter);
  return connection;
}

} // namespace leadsync::dataverse
