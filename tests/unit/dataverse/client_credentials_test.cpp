// The OAuth2 client-credentials provider against a recording transport and a ManualClock: caching,
// refresh ahead of expiry and what happens when it fails, refreshes after a 401 shared by many
// callers, and cancellation of the wait for a refresh.

#include "fakes.hpp"
#include "leadsync/dataverse/client_credentials.hpp"
#include "leadsync/http/policies.hpp"
#include "support/log_capture.hpp"
#include "support/recording_transport.hpp"

#include <algorithm>
#include <atomic>
#include <future>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <latch>
#include <mutex>
#include <thread>
#include <vector>

namespace leadsync::dataverse {
namespace {

using namespace std::chrono_literals;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr const char* test_secret = "s3cr3t+/=&value";
constexpr const char* token_url =
    "https://login.microsoftonline.com/contoso.onmicrosoft.com/oauth2/v2.0/token";

std::string token_body(const std::string& token, int expires_in) {
  return R"({"token_type":"Bearer","expires_in":)" + std::to_string(expires_in) +
         R"(,"ext_expires_in":3599,"access_token":")" + token + R"("})";
}

class ClientCredentialsTest : public ::testing::Test {
protected:
  static ClientCredentialsOptions
  make_options(std::string authority = "https://login.microsoftonline.com/") {
    ClientCredentialsOptions options;
    options.authority = std::move(authority);
    options.tenant = "contoso.onmicrosoft.com";
    options.client_id = "11111111-2222-4333-8444-555555555555";
    options.client_secret = Secret(test_secret);
    options.scope = "https://contoso.crm.dynamics.com/.default";
    return options;
  }
  ClientCredentialsProvider
  make_provider(std::string authority = "https://login.microsoftonline.com/") {
    return ClientCredentialsProvider(make_options(std::move(authority)), transport_, clock_);
  }

  ManualClock clock_;
  std::shared_ptr<test::RecordingTransport> transport_ =
      std::make_shared<test::RecordingTransport>();
};

TEST_F(ClientCredentialsTest, PostsTheFormToTheTenantTokenEndpoint) {
  transport_->then_json(200, token_body("tok-1", 3599));
  auto provider = make_provider();

  const auto token = provider.get_token(false);

  ASSERT_TRUE(token.ok()) << token.error().describe();
  EXPECT_EQ(token->token.reveal(), "tok-1");
  EXPECT_EQ(token->expires_at, clock_.now() + 3599s);
  EXPECT_EQ(fakes::wire(transport_->call(0).request),
            std::string("POST ") + token_url +
                "\n"
                "Accept: application/json\n"
                "Content-Type: application/x-www-form-urlencoded\n"
                "\n"
                "client_id=11111111-2222-4333-8444-555555555555&client_secret=s3cr3t%2B%2F%3D%"
                "26value&scope=https%3A%2F%2Fcontoso.crm.dynamics.com%2F.default&grant_type="
                "client_credentials");
}

TEST_F(ClientCredentialsTest, CachesTheTokenUntilItIsDueForRefresh) {
  transport_->then_json(200, token_body("tok-1", 3599)).then_json(200, token_body("tok-2", 3599));
  auto provider = make_provider();

  ASSERT_TRUE(provider.get_token(false).ok());
  clock_.advance(3599s - 300s - 1s); // just before refresh_ahead (300 s) of expiry
  const auto cached = provider.get_token(false);
  clock_.advance(1s);
  const auto refreshed = provider.get_token(false);

  ASSERT_TRUE(cached.ok());
  ASSERT_TRUE(refreshed.ok());
  EXPECT_EQ(cached->token.reveal(), "tok-1");
  EXPECT_EQ(refreshed->token.reveal(), "tok-2");
  EXPECT_EQ(transport_->call_count(), 2U);
}

TEST_F(ClientCredentialsTest, AShortLivedTokenIsRefreshedAtHalfItsLife) {
  transport_->then_json(200, token_body("short", 200)).then_json(200, token_body("next", 200));
  auto provider = make_provider();

  ASSERT_TRUE(provider.get_token(false).ok());
  clock_.advance(99s);
  EXPECT_EQ(provider.get_token(false)->token.reveal(), "short");
  clock_.advance(1s);
  EXPECT_EQ(provider.get_token(false)->token.reveal(), "next");
}

TEST_F(ClientCredentialsTest, ForceRefreshBypassesTheCache) {
  transport_->then_json(200, token_body("tok-1", 3599)).then_json(200, token_body("tok-2", 3599));
  auto provider = make_provider();

  ASSERT_TRUE(provider.get_token(false).ok());
  const auto forced = provider.get_token(true);

  ASSERT_TRUE(forced.ok());
  EXPECT_EQ(forced->token.reveal(), "tok-2");
  EXPECT_EQ(transport_->call_count(), 2U);
}

TEST_F(ClientCredentialsTest, ConcurrentCallersShareOneTokenRequest) {
  transport_->then_json(200, token_body("shared", 3599));
  auto provider = make_provider();

  std::vector<std::thread> threads;
  std::vector<std::string> tokens(8);
  for (std::size_t i = 0; i < tokens.size(); ++i) {
    threads.emplace_back([&, i] { tokens[i] = provider.get_token(false)->token.reveal(); });
  }
  for (auto& thread : threads) {
    thread.join();
  }

  EXPECT_EQ(transport_->call_count(), 1U);
  for (const auto& token : tokens) {
    EXPECT_EQ(token, "shared");
  }
}

TEST_F(ClientCredentialsTest, AcceptsExpiresInWrittenAsAString) {
  transport_->then_json(200, R"({"token_type":"Bearer","expires_in":"3599","access_token":"t"})");
  auto provider = make_provider();

  const auto token = provider.get_token(false);

  ASSERT_TRUE(token.ok()) << token.error().describe();
  EXPECT_EQ(token->expires_at, clock_.now() + 3599s);
}

TEST_F(ClientCredentialsTest, AWrongSecretIsUnauthorizedWithWhatToCheck) {
  transport_->then_json(
      401, R"({"error":"invalid_client","error_description":"AADSTS7000215: Invalid client )"
           R"(secret provided. Ensure the secret being sent in the request is the client secret )"
           R"(value.","error_codes":[7000215]})");
  auto provider = make_provider();

  const auto token = provider.get_token(false);

  ASSERT_FALSE(token.ok());
  EXPECT_EQ(token.error().category, ErrorCategory::unauthorized);
  EXPECT_EQ(token.error().http_status, 401);
  EXPECT_THAT(token.error().message, HasSubstr("invalid_client: AADSTS7000215: Invalid client "
                                               "secret provided."));
  EXPECT_THAT(token.error().message, HasSubstr("check crm.auth.client_id"));
  EXPECT_THAT(token.error().message, HasSubstr("crm.auth.tenant"));
  EXPECT_THAT(token.error().message, Not(HasSubstr(test_secret)));
}

TEST_F(ClientCredentialsTest, ASecretEchoedByTheServerNeverReachesTheError) {
  transport_->then_json(400, std::string(R"({"error":"invalid_request","error_description":"bad )"
                                         R"(value )") +
                                 test_secret + R"("})");
  auto provider = make_provider();

  const auto token = provider.get_token(false);

  ASSERT_FALSE(token.ok());
  EXPECT_THAT(token.error().message, Not(HasSubstr(test_secret)));
  EXPECT_THAT(token.error().message, HasSubstr("bad value ***"));
}

TEST_F(ClientCredentialsTest, AWrongScopePointsAtTheScopeSetting) {
  transport_->then_json(400, R"({"error":"invalid_scope","error_description":"AADSTS70011: The )"
                             R"(provided value for the input parameter 'scope' is not valid."})");
  auto provider = make_provider();

  const auto token = provider.get_token(false);

  ASSERT_FALSE(token.ok());
  EXPECT_EQ(token.error().category, ErrorCategory::unauthorized);
  EXPECT_THAT(token.error().message, HasSubstr("check crm.auth.scope"));
}

TEST_F(ClientCredentialsTest, AnUnreachableEndpointIsUnavailableNamingTheTokenUrl) {
  transport_->then_fail(ErrorCategory::unavailable,
                        "cannot connect to login.microsoftonline.com:443: connection refused",
                        true);
  auto provider = make_provider();

  const auto token = provider.get_token(false);

  ASSERT_FALSE(token.ok());
  EXPECT_EQ(token.error().category, ErrorCategory::unavailable);
  EXPECT_TRUE(token.error().retryable);
  EXPECT_THAT(token.error().message, HasSubstr(token_url));
  EXPECT_THAT(token.error().message, HasSubstr("connection refused"));
}

TEST_F(ClientCredentialsTest, AServerErrorOfTheEndpointIsUnavailable) {
  transport_->then_respond(503, {}, "");
  auto provider = make_provider();

  const auto token = provider.get_token(false);

  ASSERT_FALSE(token.ok());
  EXPECT_EQ(token.error().category, ErrorCategory::unavailable);
  EXPECT_THAT(token.error().message, HasSubstr("answered HTTP 503"));
}

TEST_F(ClientCredentialsTest, AnAnswerWithoutAnAccessTokenIsAProtocolError) {
  transport_->then_json(200, R"({"token_type":"Bearer","expires_in":3599})");
  auto provider = make_provider();

  const auto token = provider.get_token(false);

  ASSERT_FALSE(token.ok());
  EXPECT_EQ(token.error().category, ErrorCategory::protocol);
  EXPECT_THAT(token.error().message, HasSubstr("access_token"));
}

TEST_F(ClientCredentialsTest, RefusesToSendTheSecretOverPlainHttpToAnotherHost) {
  auto provider = make_provider("http://login.example.com");

  const auto token = provider.get_token(false);

  ASSERT_FALSE(token.ok());
  EXPECT_EQ(token.error().category, ErrorCategory::config);
  EXPECT_EQ(transport_->call_count(), 0U);
}

TEST_F(ClientCredentialsTest, AllowsPlainHttpToLoopbackForTheEmulator) {
  transport_->then_json(200, token_body("local", 3599));
  auto provider = make_provider("http://127.0.0.1:8765");

  const auto token = provider.get_token(false);

  ASSERT_TRUE(token.ok()) << token.error().describe();
  EXPECT_EQ(transport_->call(0).request.url,
            "http://127.0.0.1:8765/contoso.onmicrosoft.com/oauth2/v2.0/token");
}

// A request after a 401 refused `token`.
http::TokenRequest refused(const std::string& token) {
  return {.force_refresh = false,
          .force_refresh_if_still = Secret(token),
          .cancel = {},
          .deadline = std::nullopt};
}

http::TokenRequest cancellable(CancellationToken cancel) {
  return {.force_refresh = false,
          .force_refresh_if_still = std::nullopt,
          .cancel = std::move(cancel),
          .deadline = std::nullopt};
}

// The refresh ahead of expiry (3599 s token, refresh_ahead 300 s) is due at 3299 s.
constexpr auto due_for_refresh = 3599s - 300s;

TEST_F(ClientCredentialsTest, AFailedEarlyRefreshServesTheCachedTokenAndLogsTheFailureOnce) {
  const test::LogCapture log;
  transport_->then_json(200, token_body("tok-1", 3599));
  transport_->then_respond(503, {}, std::string("busy, secret was ") + test_secret);
  auto provider = make_provider();
  ASSERT_TRUE(provider.get_token(false).ok());
  clock_.advance(due_for_refresh);

  const auto first = provider.get_token(false);
  const auto second = provider.get_token(false);

  ASSERT_TRUE(first.ok()) << first.error().describe();
  ASSERT_TRUE(second.ok()) << second.error().describe();
  EXPECT_EQ(first->token.reveal(), "tok-1");
  EXPECT_EQ(second->token.reveal(), "tok-1");
  EXPECT_EQ(transport_->call_count(), 2U) << "the second caller is served without asking again";
  const auto lines = log.lines();
  ASSERT_EQ(std::count_if(lines.begin(), lines.end(),
                          [](const std::string& line) {
                            return line.find("cannot refresh the access token") !=
                                   std::string::npos;
                          }),
            1)
      << log.text();
  EXPECT_THAT(log.text(), HasSubstr("answered HTTP 503"));
  EXPECT_THAT(log.text(), Not(HasSubstr(test_secret)));
}

TEST_F(ClientCredentialsTest, AfterAFailedEarlyRefreshTheRefreshIsTriedAgainLater) {
  transport_->then_json(200, token_body("tok-1", 3599));
  transport_->then_fail(ErrorCategory::unavailable, "connection refused", true);
  transport_->then_json(200, token_body("tok-2", 3599));
  auto provider = make_provider();
  ASSERT_TRUE(provider.get_token(false).ok());
  clock_.advance(due_for_refresh);
  ASSERT_EQ(provider.get_token(false)->token.reveal(), "tok-1");

  clock_.advance(29s);
  EXPECT_EQ(provider.get_token(false)->token.reveal(), "tok-1");
  EXPECT_EQ(transport_->call_count(), 2U);
  clock_.advance(1s); // retry_refresh_after (30 s) passed
  EXPECT_EQ(provider.get_token(false)->token.reveal(), "tok-2");
  EXPECT_EQ(transport_->call_count(), 3U);
}

TEST_F(ClientCredentialsTest, ARefreshThatFailsOnceTheTokenExpiredIsAnError) {
  transport_->then_json(200, token_body("tok-1", 3599));
  transport_->then_fail(ErrorCategory::unavailable, "connection refused", true);
  auto provider = make_provider();
  ASSERT_TRUE(provider.get_token(false).ok());
  clock_.advance(3599s);

  const auto token = provider.get_token(false);

  ASSERT_FALSE(token.ok());
  EXPECT_EQ(token.error().category, ErrorCategory::unavailable);
  EXPECT_THAT(token.error().message, HasSubstr("connection refused"));
}

TEST_F(ClientCredentialsTest, AForcedRefreshThatFailsIsAnErrorEvenWhileTheTokenIsValid) {
  transport_->then_json(200, token_body("tok-1", 3599));
  transport_->then_fail(ErrorCategory::unavailable, "connection refused", true);
  auto provider = make_provider();
  ASSERT_TRUE(provider.get_token(false).ok());

  const auto token = provider.get_token(refused("tok-1"));

  ASSERT_FALSE(token.ok()) << "the refused token must not be served again";
  EXPECT_EQ(token.error().category, ErrorCategory::unavailable);
}

TEST_F(ClientCredentialsTest, ARefusedTokenIsRefreshedOnlyWhileItIsTheCachedOne) {
  transport_->then_json(200, token_body("tok-1", 3599)).then_json(200, token_body("tok-2", 3599));
  auto provider = make_provider();
  ASSERT_TRUE(provider.get_token(false).ok());

  const auto stale = provider.get_token(refused("tok-0"));
  const auto refreshed = provider.get_token(refused("tok-1"));
  const auto late = provider.get_token(refused("tok-1"));

  EXPECT_EQ(stale->token.reveal(), "tok-1") << "a token older than the cache asks for nothing";
  EXPECT_EQ(refreshed->token.reveal(), "tok-2");
  EXPECT_EQ(late->token.reveal(), "tok-2") << "already replaced: no second request";
  EXPECT_EQ(transport_->call_count(), 2U);
}

TEST_F(ClientCredentialsTest, WorkersRefusedTheSameTokenCauseOneTokenRequest) {
  transport_->then_json(200, token_body("tok-1", 3599)).then_json(200, token_body("tok-2", 3599));
  auto provider = make_provider();
  ASSERT_TRUE(provider.get_token(false).ok());

  std::vector<std::thread> workers;
  std::vector<std::string> tokens(8);
  for (std::size_t i = 0; i < tokens.size(); ++i) {
    workers.emplace_back([&, i] {
      const auto token = provider.get_token(refused("tok-1"));
      tokens[i] = token.ok() ? token->token.reveal() : token.error().describe();
    });
  }
  for (auto& worker : workers) {
    worker.join();
  }

  EXPECT_EQ(transport_->call_count(), 2U) << "one initial token, one refresh for all eight";
  for (const auto& token : tokens) {
    EXPECT_EQ(token, "tok-2");
  }
}

// A token endpoint whose answer waits until the test lets it go, so that a second caller finds a
// refresh in progress.
class HeldTokenEndpoint final : public http::Transport {
public:
  Result<http::Response> send(const http::Request& /*request*/,
                              const http::CallContext& /*context*/) override {
    {
      std::lock_guard lock(mutex_);
      ++calls_;
    }
    entered_.count_down();
    release_.wait();
    return test::make_response(200, {{"Content-Type", "application/json"}},
                               token_body("tok-held", 3599));
  }
  void wait_until_entered() { entered_.wait(); }
  void release() { release_.count_down(); }
  int calls() const {
    std::lock_guard lock(mutex_);
    return calls_;
  }

private:
  mutable std::mutex mutex_;
  int calls_ = 0;
  std::latch entered_{1};
  std::latch release_{1};
};

// A ManualClock that tells the test when it is first read after arm(): the provider reads the
// clock with its lock held just before it decides to wait, so a cancellation made after that
// signal (its callback needs the same lock) reaches a caller that is already waiting.
class SignallingClock final : public Clock {
public:
  WallTime now() const override {
    if (armed_.load() && !fired_.exchange(true)) {
      read_.count_down();
    }
    return clock_.now();
  }
  SteadyTime steady_now() const override { return clock_.steady_now(); }
  void arm() { armed_ = true; }
  void wait_until_read() const { read_.wait(); }

private:
  ManualClock clock_;
  std::atomic<bool> armed_{false};
  mutable std::atomic<bool> fired_{false};
  mutable std::latch read_{1};
};

TEST_F(ClientCredentialsTest, WaitingForAnotherCallersRefreshEndsAtOnceWhenCancelled) {
  auto endpoint = std::make_shared<HeldTokenEndpoint>();
  SignallingClock clock;
  ClientCredentialsProvider provider(make_options(), endpoint, clock);
  auto fetching = std::async(std::launch::async, [&] { return provider.get_token(false); });
  endpoint->wait_until_entered();

  CancellationSource shutdown;
  clock.arm();
  auto waiting = std::async(std::launch::async,
                            [&] { return provider.get_token(cancellable(shutdown.token())); });
  clock.wait_until_read();
  shutdown.cancel();

  ASSERT_EQ(waiting.wait_for(10s), std::future_status::ready);
  const auto cancelled = waiting.get();
  ASSERT_FALSE(cancelled.ok());
  EXPECT_EQ(cancelled.error().category, ErrorCategory::cancelled);
  EXPECT_THAT(cancelled.error().message, HasSubstr("waiting for an access token"));
  EXPECT_EQ(endpoint->calls(), 1) << "the cancelled caller asked nothing itself";
  endpoint->release();
  const auto fetched = fetching.get();
  ASSERT_TRUE(fetched.ok()) << fetched.error().describe();
  EXPECT_EQ(fetched->token.reveal(), "tok-held");
}

TEST_F(ClientCredentialsTest, TheTokenRequestCarriesTheCallersCancellationAndDeadline) {
  transport_->then_json(200, token_body("tok-1", 3599));
  auto provider = make_provider();
  CancellationSource shutdown;
  const auto deadline = std::chrono::steady_clock::now() + 5s;

  ASSERT_TRUE(provider
                  .get_token({.force_refresh = false,
                              .force_refresh_if_still = std::nullopt,
                              .cancel = shutdown.token(),
                              .deadline = deadline})
                  .ok());
  shutdown.cancel();

  const auto call = transport_->call(0);
  EXPECT_TRUE(call.context.cancel.cancelled());
  EXPECT_EQ(call.request.deadline, deadline);
}

TEST_F(ClientCredentialsTest, AnAlreadyCancelledRequestAsksNothing) {
  auto provider = make_provider();
  CancellationSource shutdown;
  shutdown.cancel();

  const auto token = provider.get_token(cancellable(shutdown.token()));

  ASSERT_FALSE(token.ok());
  EXPECT_EQ(token.error().category, ErrorCategory::cancelled);
  EXPECT_EQ(transport_->call_count(), 0U);
}

// The bearer policy and this provider together: every worker's request is refused with the token
// they all hold, and the one refresh serves all of them.
TEST_F(ClientCredentialsTest, ManyWorkersRefused401WithTheSameTokenShareOneRefresh) {
  transport_->then_json(200, token_body("tok-1", 3599)).then_json(200, token_body("tok-2", 3599));
  auto provider = std::make_shared<ClientCredentialsProvider>(make_options(), transport_, clock_);
  http::BearerTokenPolicy policy(provider);
  std::atomic<int> crm_calls{0};
  const http::NextPolicy crm = [&](http::Request& request,
                                   http::CallContext&) -> Result<http::Response> {
    ++crm_calls;
    const bool old_token = request.headers.get("Authorization") == "Bearer tok-1";
    return test::make_response(old_token ? 401 : 200);
  };

  std::vector<std::thread> workers;
  std::atomic<int> answered{0};
  for (int i = 0; i < 8; ++i) {
    workers.emplace_back([&] {
      auto request =
          test::make_request("GET", "https://contoso.crm.dynamics.com/api/data/v9.2/leads");
      http::CallContext context;
      const auto result = policy.send(request, context, crm);
      if (result.ok() && result->status == 200) {
        ++answered;
      }
    });
  }
  for (auto& worker : workers) {
    worker.join();
  }

  EXPECT_EQ(answered, 8);
  EXPECT_EQ(transport_->call_count(), 2U) << "one first token and one refresh for all workers";
  EXPECT_LE(crm_calls, 16);
}

} // namespace
} // namespace leadsync::dataverse

namespace leadsync::dataverse {
namespace {

using namespace std::chrono_literals;

std::string rotation_token_body(const std::string& token) {
  return R"({"token_type":"Bearer","expires_in":3599,"access_token":")" + token + R"("})";
}

ClientCredentialsOptions rotation_options() {
  ClientCredentialsOptions options;
  options.tenant = "contoso.onmicrosoft.com";
  options.client_id = "11111111-2222-4333-8444-555555555555";
  options.client_secret = Secret("first-secret");
  options.scope = "https://contoso.crm.dynamics.com/.default";
  return options;
}

TEST(ClientSecretRotationTest, EachTokenRequestUsesTheSecretAsItIsOnDiskNow) {
  ManualClock clock;
  auto transport = std::make_shared<test::RecordingTransport>();
  transport->then_json(200, rotation_token_body("tok-1"))
      .then_json(200, rotation_token_body("tok-2"));
  std::string on_disk = "first-secret";
  auto options = rotation_options();
  options.reload_secret = [&on_disk]() -> Result<Secret> { return Secret(on_disk); };
  ClientCredentialsProvider provider(std::move(options), transport, clock);

  ASSERT_TRUE(provider.get_token(false).ok());
  on_disk = "rotated-secret";
  ASSERT_TRUE(provider.get_token(true).ok());

  ASSERT_EQ(transport->call_count(), 2U);
  EXPECT_NE(transport->call(0).request.body.find("client_secret=first-secret"), std::string::npos);
  EXPECT_NE(transport->call(1).request.body.find("client_secret=rotated-secret"),
            std::string::npos);
}

TEST(ClientSecretRotationTest, AnUnreadableSecretFileKeepsTheLastSecretRead) {
  ManualClock clock;
  auto transport = std::make_shared<test::RecordingTransport>();
  transport->then_json(200, rotation_token_body("tok-1"))
      .then_json(200, rotation_token_body("tok-2"));
  bool readable = true;
  auto options = rotation_options();
  options.reload_secret = [&readable]() -> Result<Secret> {
    if (!readable) {
      return fail(ErrorCategory::config, "crm.auth.client_secret_file: cannot read it");
    }
    return Secret("second-secret");
  };
  ClientCredentialsProvider provider(std::move(options), transport, clock);

  ASSERT_TRUE(provider.get_token(false).ok());
  readable = false;
  ASSERT_TRUE(provider.get_token(true).ok());

  ASSERT_EQ(transport->call_count(), 2U);
  EXPECT_NE(transport->call(1).request.body.find("client_secret=second-secret"), std::string::npos);
}

} // namespace
} // namespace leadsync::dataverse
