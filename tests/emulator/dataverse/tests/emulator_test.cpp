// The emulator front end over real HTTP on loopback: the Entra-style token endpoint,
// authentication, service-protection limits, several application users, latency, the seeded fault
// plan, webhooks, the admin endpoints, persistence, and the dataverse-emulator executable itself.

#include "dvemu/emulator.hpp"
#include "leadsync_test_paths.hpp"

#include <algorithm>
#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <cctype>
#include <chrono>
#include <condition_variable>
#include <csignal>
#include <cstdio>
#include <fcntl.h>
#include <filesystem>
#include <fstream>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <leadsync/http/server.hpp>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <spawn.h>
#include <sstream>
#include <string>
#include <sys/socket.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>
#include <vector>

#ifndef DATAVERSE_EMULATOR_EXE
#define DATAVERSE_EMULATOR_EXE LEADSYNC_BINARY_DIR "/tests/emulator/dataverse/dataverse-emulator"
#endif

extern char** environ;

namespace dvemu {
namespace {

namespace fs = std::filesystem;
namespace net = boost::asio;
namespace bhttp = boost::beast::http;
using Json = nlohmann::json;
using std::chrono::milliseconds;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

constexpr const char* test_static_token = "static-test-token";
constexpr const char* test_client_id = "test-client";
constexpr const char* test_client_secret = "test-secret";

using HeaderList = std::vector<std::pair<std::string, std::string>>;

struct Reply {
  int status = 0;
  std::map<std::string, std::string> headers; // names in lower case
  std::string body;
  bool closed_without_answer = false;

  std::string header(const std::string& name) const {
    const auto it = headers.find(name);
    return it == headers.end() ? std::string() : it->second;
  }
  Json json() const { return Json::parse(body); }
};

// One request on its own connection; a connection closed before any answer is reported, not thrown.
Reply send(std::uint16_t port, const std::string& method, const std::string& target,
           const HeaderList& headers = {}, const std::string& body = "") {
  net::io_context io;
  net::ip::tcp::socket socket(io);
  socket.connect({net::ip::make_address("127.0.0.1"), port});
  const timeval receive_timeout{20, 0};
  ::setsockopt(socket.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &receive_timeout,
               sizeof(receive_timeout));
  bhttp::request<bhttp::string_body> request{bhttp::string_to_verb(method), target, 11};
  request.set(bhttp::field::host, "127.0.0.1:" + std::to_string(port));
  request.set(bhttp::field::connection, "close");
  for (const auto& [name, value] : headers) {
    request.set(name, value);
  }
  request.body() = body;
  request.prepare_payload();
  bhttp::write(socket, request);
  boost::beast::flat_buffer buffer;
  bhttp::response<bhttp::string_body> response;
  boost::system::error_code ec;
  bhttp::read(socket, buffer, response, ec);
  Reply reply;
  if (ec) {
    reply.closed_without_answer = true;
    return reply;
  }
  reply.status = static_cast<int>(response.result_int());
  for (const auto& field : response) {
    std::string name(field.name_string());
    std::transform(name.begin(), name.end(), name.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    reply.headers[name] = std::string(field.value());
  }
  reply.body = response.body();
  return reply;
}

std::string form_encode(const std::string& text) {
  std::string out;
  for (const unsigned char c : text) {
    if (std::isalnum(c) != 0 || c == '-' || c == '.' || c == '_' || c == '~') {
      out += static_cast<char>(c);
    } else {
      char hex[4];
      std::snprintf(hex, sizeof(hex), "%%%02X", c);
      out += hex;
    }
  }
  return out;
}

std::string read_text(const fs::path& path) {
  std::ifstream in(path);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

fs::path scratch_dir() {
  const auto* test = ::testing::UnitTest::GetInstance()->current_test_info();
  auto dir = fs::temp_directory_path() /
             ("dvemu-front-" + std::to_string(::getpid()) + "-" + test->name());
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

EmulatorOptions base_options() {
  EmulatorOptions options;
  options.listen = "127.0.0.1:0";
  options.log_requests = false;
  options.auth.static_token = test_static_token;
  options.auth.client_id = test_client_id;
  options.auth.client_secret = test_client_secret;
  return options;
}

class EmulatorTest : public ::testing::Test {
protected:
  void TearDown() override {
    if (emulator_) {
      emulator_->stop();
    }
  }

  void start(EmulatorOptions options = base_options()) {
    emulator_ = std::make_unique<Emulator>(std::move(options));
    auto port = emulator_->start();
    ASSERT_TRUE(port.ok()) << port.error().message;
    port_ = port.value();
  }

  Reply request(const std::string& method, const std::string& target,
                const HeaderList& headers = {}, const std::string& body = "") {
    return send(port_, method, target, headers, body);
  }

  Reply data(const std::string& method, const std::string& path, const std::string& body = "",
             const std::string& token = test_static_token) {
    HeaderList headers{{"Authorization", "Bearer " + token}, {"Accept", "application/json"}};
    if (!body.empty()) {
      headers.emplace_back("Content-Type", "application/json; charset=utf-8");
    }
    return request(method, "/api/data/v9.2/" + path, headers, body);
  }

  Reply admin(const std::string& method, const std::string& action, const Json& body = nullptr) {
    return request(method, "/_emulator/" + action,
                   body.is_null() ? HeaderList{} : HeaderList{{"Content-Type", "application/json"}},
                   body.is_null() ? "" : body.dump());
  }

  Reply token_request(const std::string& form) {
    return request("POST", "/contoso.onmicrosoft.com/oauth2/v2.0/token",
                   {{"Content-Type", "application/x-www-form-urlencoded"}}, form);
  }

  std::string scope() const { return emulator_->base_url() + "/.default"; }

  std::string good_form() const {
    return "grant_type=client_credentials&client_id=" + std::string(test_client_id) +
           "&client_secret=" + test_client_secret + "&scope=" + form_encode(scope());
  }

  std::string issue_token() {
    const auto reply = token_request(good_form());
    EXPECT_EQ(reply.status, 200) << reply.body;
    return reply.json().at("access_token").get<std::string>();
  }

  // Creates a lead through the Web API and returns its id from OData-EntityId.
  std::string create_lead(const std::string& firstname) {
    const auto reply =
        data("POST", "leads", Json{{"firstname", firstname}, {"lastname", "Tester"}}.dump());
    EXPECT_EQ(reply.status, 204) << reply.body;
    const auto entity_id = reply.header("odata-entityid");
    const auto open = entity_id.rfind('(');
    return open == std::string::npos ? std::string()
                                     : entity_id.substr(open + 1, entity_id.size() - open - 2);
  }

  Json stats(const std::string& query = "") {
    const auto reply = admin("GET", "stats" + query);
    EXPECT_EQ(reply.status, 200) << reply.body;
    return reply.json();
  }

  std::unique_ptr<Emulator> emulator_;
  std::uint16_t port_ = 0;
};

// --- token endpoint

TEST_F(EmulatorTest, TokenEndpointIssuesABearerTokenThatTheWebApiAccepts) {
  start();
  const auto reply = token_request(good_form());
  ASSERT_EQ(reply.status, 200) << reply.body;
  const auto body = reply.json();
  EXPECT_EQ(body.at("token_type"), "Bearer");
  EXPECT_EQ(body.at("expires_in"), 3599);
  EXPECT_EQ(body.at("ext_expires_in"), 3599);
  EXPECT_EQ(reply.header("cache-control"), "no-store, no-cache");
  const auto token = body.at("access_token").get<std::string>();
  EXPECT_EQ(std::count(token.begin(), token.end(), '.'), 2) << "shaped like a JWT";

  EXPECT_EQ(data("GET", "WhoAmI", "", token).status, 200);
}

TEST_F(EmulatorTest, TokenEndpointAcceptsClientCredentialsInHttpBasic) {
  start();
  // base64("test-client:test-secret")
  const auto reply = request("POST", "/tenant/oauth2/v2.0/token",
                             {{"Content-Type", "application/x-www-form-urlencoded"},
                              {"Authorization", "Basic dGVzdC1jbGllbnQ6dGVzdC1zZWNyZXQ="}},
                             "grant_type=client_credentials&scope=" + form_encode(scope()));
  ASSERT_EQ(reply.status, 200) << reply.body;
  EXPECT_EQ(data("GET", "WhoAmI", "", reply.json().at("access_token")).status, 200);
}

TEST_F(EmulatorTest, TokenEndpointRefusesAWrongSecretWithEntrasInvalidClient) {
  start();
  const auto reply = token_request("grant_type=client_credentials&client_id=test-client"
                                   "&client_secret=wrong&scope=" +
                                   form_encode(scope()));
  EXPECT_EQ(reply.status, 401);
  const auto body = reply.json();
  EXPECT_EQ(body.at("error"), "invalid_client");
  EXPECT_THAT(body.at("error_description").get<std::string>(),
              StartsWith("AADSTS7000215: Invalid client secret provided."));
  EXPECT_EQ(body.at("error_codes"), Json::array({7000215}));
  for (const char* field : {"timestamp", "trace_id", "correlation_id"}) {
    EXPECT_TRUE(body.contains(field)) << field;
  }
}

TEST_F(EmulatorTest, TokenEndpointRefusesAnUnknownClientId) {
  start();
  const auto reply = token_request("grant_type=client_credentials&client_id=someone-else"
                                   "&client_secret=test-secret&scope=" +
                                   form_encode(scope()));
  EXPECT_EQ(reply.status, 400);
  EXPECT_EQ(reply.json().at("error"), "unauthorized_client");
  EXPECT_EQ(reply.json().at("error_codes"), Json::array({700016}));
}

TEST_F(EmulatorTest, TokenEndpointAcceptsAnySecretWhenNoneIsConfigured) {
  auto options = base_options();
  options.auth.client_secret.clear();
  start(options);
  const auto reply = token_request("grant_type=client_credentials&client_id=test-client"
                                   "&client_secret=anything&scope=" +
                                   form_encode(scope()));
  EXPECT_EQ(reply.status, 200) << reply.body;
}

TEST_F(EmulatorTest, TokenEndpointRefusesAScopeForAnotherResourceOrWithoutDefault) {
  start();
  const auto base = std::string("grant_type=client_credentials&client_id=test-client"
                                "&client_secret=test-secret&scope=");
  const auto other = token_request(base + form_encode("https://contoso.crm.dynamics.com/.default"));
  EXPECT_EQ(other.status, 400);
  EXPECT_EQ(other.json().at("error"), "invalid_scope");
  EXPECT_THAT(other.json().at("error_description").get<std::string>(), StartsWith("AADSTS70011"));

  const auto user_scope =
      token_request(base + form_encode(emulator_->base_url() + "/user_impersonation"));
  EXPECT_EQ(user_scope.status, 400);
  EXPECT_EQ(user_scope.json().at("error"), "invalid_scope");
}

TEST_F(EmulatorTest, TokenEndpointRefusesOtherGrantTypes) {
  start();
  const auto reply = token_request("grant_type=password&client_id=test-client"
                                   "&client_secret=test-secret&scope=" +
                                   form_encode(scope()));
  EXPECT_EQ(reply.status, 400);
  EXPECT_EQ(reply.json().at("error"), "unsupported_grant_type");
  EXPECT_EQ(reply.json().at("error_codes"), Json::array({70003}));
}

TEST_F(EmulatorTest, TokenEndpointAnswersOnlyPost) {
  start();
  const auto reply = request("GET", "/tenant/oauth2/v2.0/token");
  EXPECT_EQ(reply.status, 405);
  EXPECT_EQ(reply.header("allow"), "POST");
}

// --- authentication

TEST_F(EmulatorTest, DataRequestWithoutTokenGets401WithBearerChallenge) {
  start();
  const auto reply = request("GET", "/api/data/v9.2/WhoAmI");
  EXPECT_EQ(reply.status, 401);
  EXPECT_THAT(reply.header("www-authenticate"),
              StartsWith("Bearer authorization_uri=" + emulator_->base_url() + "/"));
  EXPECT_THAT(reply.header("www-authenticate"),
              HasSubstr("resource_id=" + emulator_->base_url() + "/"));
  EXPECT_TRUE(reply.body.empty());
}

TEST_F(EmulatorTest, UnknownTokenGets401InvalidToken) {
  start();
  const auto reply = data("GET", "WhoAmI", "", "not-a-token-we-issued");
  EXPECT_EQ(reply.status, 401);
  EXPECT_THAT(reply.header("www-authenticate"), HasSubstr("error=\"invalid_token\""));
}

TEST_F(EmulatorTest, IssuedTokenExpiresWhenTheEmulatorClockPassesItsLifetime) {
  auto options = base_options();
  options.auth.token_lifetime = std::chrono::seconds{60};
  start(options);
  const auto token = issue_token();
  ASSERT_EQ(data("GET", "WhoAmI", "", token).status, 200);

  ASSERT_EQ(admin("POST", "clock", Json{{"advance_s", 61}}).status, 200);
  const auto reply = data("GET", "WhoAmI", "", token);
  EXPECT_EQ(reply.status, 401);
  EXPECT_THAT(reply.header("www-authenticate"), HasSubstr("expired"));
  EXPECT_EQ(data("GET", "WhoAmI").status, 200) << "the static token does not expire";
}

TEST_F(EmulatorTest, ClockOnlyMovesForward) {
  start();
  EXPECT_EQ(admin("POST", "clock", Json{{"advance_s", -5}}).status, 400);
  EXPECT_EQ(admin("POST", "clock", Json{{"forward", 5}}).status, 400);
}

TEST_F(EmulatorTest, StaticTokenMapsToTheSeededApplicationUser) {
  start();
  const auto reply = data("GET", "WhoAmI");
  ASSERT_EQ(reply.status, 200) << reply.body;
  const auto users = admin("GET", "records/systemusers").json();
  ASSERT_EQ(users.size(), 1U);
  EXPECT_EQ(reply.json().at("UserId"), users[0].at("id"));
  const auto units = admin("GET", "records/businessunits").json();
  ASSERT_EQ(units.size(), 1U);
  EXPECT_EQ(reply.json().at("BusinessUnitId"), units[0].at("id"));
}

TEST_F(EmulatorTest, WhoAmICarriesTheDopHintAndRateLimitHeaders) {
  auto options = base_options();
  options.limits.dop_hint = 7;
  start(options);
  const auto reply = data("GET", "WhoAmI");
  ASSERT_EQ(reply.status, 200);
  EXPECT_EQ(reply.header("x-ms-dop-hint"), "7");
  EXPECT_EQ(reply.header("x-ms-ratelimit-burst-remaining-xrm-requests"), "5999");
  EXPECT_EQ(reply.header("x-ms-ratelimit-time-remaining-xrm-requests"), "1,200.00");
}

// --- service-protection limits

TEST_F(EmulatorTest, RequestOverTheRequestLimitGets429WithRetryAfter) {
  auto options = base_options();
  options.limits.window = milliseconds{5000};
  options.limits.max_requests = 5;
  start(options);
  for (int i = 0; i < 5; ++i) {
    ASSERT_EQ(data("GET", "WhoAmI").status, 200) << "request " << i + 1;
  }
  const auto reply = data("GET", "WhoAmI");
  ASSERT_EQ(reply.status, 429);
  const int retry_after = std::stoi(reply.header("retry-after"));
  EXPECT_GE(retry_after, 1);
  EXPECT_LE(retry_after, 5);
  EXPECT_EQ(reply.json().at("error").at("code"), "0x80072322");
  EXPECT_EQ(reply.json().at("error").at("message"),
            "Number of requests exceeded the limit of 5 over time window of 5 seconds.");
  EXPECT_EQ(reply.header("x-ms-ratelimit-burst-remaining-xrm-requests"), "0");
  EXPECT_EQ(stats().at("throttled"), 1);
}

TEST_F(EmulatorTest, ExecutionTimeOverTheLimitGets429) {
  auto options = base_options();
  options.limits.window = milliseconds{10000};
  options.limits.max_execution_ms = 100;
  options.latency.base = milliseconds{60};
  start(options);
  EXPECT_EQ(data("GET", "WhoAmI").status, 200);
  EXPECT_EQ(data("GET", "WhoAmI").status, 200); // 120 ms used: over the limit from now on
  const auto reply = data("GET", "WhoAmI");
  ASSERT_EQ(reply.status, 429);
  EXPECT_EQ(reply.json().at("error").at("code"), "0x80072321");
  EXPECT_THAT(reply.json().at("error").at("message").get<std::string>(),
              StartsWith("Combined execution time of incoming requests exceeded limit of 100 "
                         "milliseconds over time window of 10 seconds."));
  EXPECT_GE(std::stoi(reply.header("retry-after")), 1);
}

TEST_F(EmulatorTest, SecondParallelRequestOverTheConcurrencyLimitGets429) {
  auto options = base_options();
  options.limits.max_concurrency = 1;
  options.latency.base = milliseconds{1000};
  start(options);
  Reply first;
  std::thread slow([&] { first = data("GET", "WhoAmI"); });
  // Wait until the first request holds its slot.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds{5};
  while (stats().at("in_flight") != 1 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(milliseconds{5});
  }
  const auto second = data("GET", "WhoAmI");
  slow.join();
  EXPECT_EQ(first.status, 200);
  ASSERT_EQ(second.status, 429);
  EXPECT_EQ(second.json().at("error").at("code"), "0x80072326");
  EXPECT_EQ(second.json().at("error").at("message"),
            "Number of concurrent requests exceeded the limit of 1.");
  EXPECT_EQ(stats().at("max_concurrency_seen"), 1);
}

TEST_F(EmulatorTest, FastProfileHasNoLimitsAndNoLatency) {
  auto options = base_options();
  options.profile = "fast";
  options.limits.max_requests = 1;
  // A latency far longer than three requests take even on a loaded machine under a sanitizer: the
  // bound is one latency, so a single delayed request fails the test.
  options.latency.base = milliseconds{20000};
  start(options);
  const auto started = std::chrono::steady_clock::now();
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(data("GET", "WhoAmI").status, 200);
  }
  EXPECT_LT(std::chrono::steady_clock::now() - started, options.latency.base);
  EXPECT_TRUE(stats().at("ceiling_records_per_second").is_null());
}

TEST(ScaledLimits, ScaleRequestsAndExecutionTimeWithTheWindowButNotConcurrency) {
  const auto limits = scaled_limits(milliseconds{3000});
  EXPECT_EQ(limits.window, milliseconds{3000});
  EXPECT_EQ(limits.max_requests, 60);        // 6000 * 3 / 300
  EXPECT_EQ(limits.max_execution_ms, 12000); // 1,200,000 * 3 / 300
  EXPECT_EQ(limits.max_concurrency, 52);
}

// --- application users: several client ids, each with its own systemuser and limits

constexpr const char* second_client_id = "second-client";
// RFC 9562 version-5 UUID of "second-client" in the emulator's tenant namespace
// 7c1a3f2e-5b8d-4e61-9a0c-2d4f6b8e1a00, computed independently with Python's uuid.uuid5.
constexpr const char* second_user_id = "194f48fd-ced9-54d8-aef4-a35f5bf6177a";
constexpr const char* seeded_user_id = "7c1a3f2e-5b8d-4e61-9a0c-2d4f6b8e1a03";

EmulatorOptions two_user_options() {
  auto options = base_options();
  options.auth.additional_client_ids = {second_client_id};
  return options;
}

// The claims of a JWT-shaped token (the middle part, base64url without padding).
Json token_claims(const std::string& token) {
  const auto first = token.find('.');
  const auto second = token.find('.', first + 1);
  const auto part = token.substr(first + 1, second - first - 1);
  constexpr std::string_view alphabet =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string decoded;
  std::uint32_t bits = 0;
  int count = 0;
  for (const char c : part) {
    bits = (bits << 6U) | static_cast<std::uint32_t>(alphabet.find(c));
    count += 6;
    if (count >= 8) {
      count -= 8;
      decoded += static_cast<char>((bits >> static_cast<unsigned>(count)) & 0xFFU);
    }
  }
  return Json::parse(decoded);
}

class ApplicationUsersTest : public EmulatorTest {
protected:
  std::string token_for(const std::string& client_id) {
    const auto reply =
        token_request("grant_type=client_credentials&client_id=" + form_encode(client_id) +
                      "&client_secret=" + test_client_secret + "&scope=" + form_encode(scope()));
    EXPECT_EQ(reply.status, 200) << client_id << ": " << reply.body;
    return reply.status == 200 ? reply.json().at("access_token").get<std::string>() : "";
  }

  // The stats entry of one application user.
  Json user_stats(const std::string& client_id) {
    const auto body = stats();
    for (const auto& user : body.at("users")) {
      if (user.at("client_id") == client_id) {
        return user;
      }
    }
    ADD_FAILURE() << "no stats for " << client_id;
    return Json::object();
  }
};

TEST(ApplicationUserId, IsTheVersion5UuidOfTheClientIdInTheTenantNamespace) {
  EXPECT_EQ(application_user_id(second_client_id), second_user_id);
  EXPECT_EQ(application_user_id("client-b"), "81a038ea-d32d-57b2-886f-9ecb95b4e7b3");
  EXPECT_NE(application_user_id("client-a"), application_user_id("client-b"));
}

TEST_F(ApplicationUsersTest, EachClientIdGetsATokenCarryingItsClientIdAndUser) {
  start(two_user_options());
  const auto first = token_claims(token_for(test_client_id));
  EXPECT_EQ(first.at("appid"), test_client_id);
  EXPECT_EQ(first.at("oid"), seeded_user_id);
  const auto second = token_claims(token_for(second_client_id));
  EXPECT_EQ(second.at("appid"), second_client_id);
  EXPECT_EQ(second.at("oid"), second_user_id);
  EXPECT_EQ(second.at("sub"), second_user_id);
  EXPECT_EQ(stats().at("tokens_issued"), 2);
}

TEST_F(ApplicationUsersTest, TheSecretIsSharedByEveryClientId) {
  start(two_user_options());
  const auto wrong = token_request("grant_type=client_credentials&client_id=second-client"
                                   "&client_secret=wrong&scope=" +
                                   form_encode(scope()));
  EXPECT_EQ(wrong.status, 401);
  EXPECT_EQ(wrong.json().at("error_codes"), Json::array({7000215}));
}

TEST_F(ApplicationUsersTest, WhoAmIAnswersEachApplicationUsersOwnSystemUser) {
  start(two_user_options());
  const auto first = data("GET", "WhoAmI", "", token_for(test_client_id));
  const auto second = data("GET", "WhoAmI", "", token_for(second_client_id));
  ASSERT_EQ(first.status, 200) << first.body;
  ASSERT_EQ(second.status, 200) << second.body;
  EXPECT_EQ(first.json().at("UserId"), seeded_user_id);
  EXPECT_EQ(second.json().at("UserId"), second_user_id);
  EXPECT_EQ(second.json().at("BusinessUnitId"), first.json().at("BusinessUnitId"));
  EXPECT_EQ(data("GET", "WhoAmI").json().at("UserId"), seeded_user_id)
      << "the static token acts as the first client id's user";

  // Every application user has its systemuser row, readable through the Web API.
  EXPECT_EQ(stats().at("rows").at("systemusers"), 2);
  const auto row = data("GET", std::string("systemusers(") + second_user_id + ")");
  ASSERT_EQ(row.status, 200) << row.body;
  EXPECT_EQ(row.json().at("fullname"), "# leadsync-emulator second-client");
}

TEST_F(ApplicationUsersTest, AGuidClientIdIsTheSystemUsersApplicationId) {
  auto options = two_user_options();
  const std::string guid = "1b4e28ba-2fa1-4d2b-883f-0016d3cca427";
  options.auth.additional_client_ids = {guid};
  start(options);
  const auto found =
      data("GET", "systemusers?$select=systemuserid&$filter=applicationid%20eq%20" + guid);
  ASSERT_EQ(found.status, 200) << found.body;
  ASSERT_EQ(found.json().at("value").size(), 1U);
  EXPECT_EQ(found.json().at("value")[0].at("systemuserid"), application_user_id(guid));
}

TEST_F(ApplicationUsersTest, ExhaustingOneUsersRequestLimitThrottlesOnlyThatUser) {
  auto options = two_user_options();
  options.limits.window = milliseconds{60000};
  options.limits.max_requests = 3;
  start(options);
  const auto first = token_for(test_client_id);
  const auto second = token_for(second_client_id);
  for (int i = 0; i < 3; ++i) {
    ASSERT_EQ(data("GET", "WhoAmI", "", first).status, 200) << "request " << i + 1;
  }
  const auto refused = data("GET", "WhoAmI", "", first);
  ASSERT_EQ(refused.status, 429);
  EXPECT_EQ(refused.json().at("error").at("code"), "0x80072322");
  EXPECT_GE(std::stoi(refused.header("retry-after")), 1);
  EXPECT_EQ(refused.header("x-ms-ratelimit-burst-remaining-xrm-requests"), "0");
  EXPECT_EQ(data("GET", "WhoAmI").status, 429) << "the static token is the first user";

  const auto other = data("GET", "WhoAmI", "", second);
  EXPECT_EQ(other.status, 200) << other.body;
  EXPECT_EQ(other.header("x-ms-ratelimit-burst-remaining-xrm-requests"), "2");

  const auto first_stats = user_stats(test_client_id);
  EXPECT_EQ(first_stats.at("requests"), 5);
  EXPECT_EQ(first_stats.at("throttled"), 2);
  EXPECT_EQ(first_stats.at("remaining_requests"), 0);
  const auto second_stats = user_stats(second_client_id);
  EXPECT_EQ(second_stats.at("requests"), 1);
  EXPECT_EQ(second_stats.at("throttled"), 0);
  EXPECT_EQ(second_stats.at("remaining_requests"), 2);
  EXPECT_EQ(stats().at("throttled"), 2);
}

TEST_F(ApplicationUsersTest, ExecutionTimeIsCountedPerUser) {
  auto options = two_user_options();
  options.limits.window = milliseconds{60000};
  options.limits.max_execution_ms = 100;
  options.latency.base = milliseconds{60};
  start(options);
  const auto second = token_for(second_client_id);
  EXPECT_EQ(data("GET", "WhoAmI").status, 200);
  EXPECT_EQ(data("GET", "WhoAmI").status, 200); // 120 ms used by the first user
  EXPECT_EQ(data("GET", "WhoAmI").json().at("error").at("code"), "0x80072321");
  const auto other = data("GET", "WhoAmI", "", second);
  EXPECT_EQ(other.status, 200) << other.body;
  EXPECT_EQ(other.header("x-ms-ratelimit-time-remaining-xrm-requests"), "0.04");
  EXPECT_EQ(user_stats(test_client_id).at("remaining_execution_ms"), 0);
  EXPECT_EQ(user_stats(second_client_id).at("remaining_execution_ms"), 40);
}

TEST_F(ApplicationUsersTest, ConcurrencyLimitIsPerUser) {
  auto options = two_user_options();
  options.limits.max_concurrency = 1;
  options.latency.base = milliseconds{1000};
  start(options);
  const auto second = token_for(second_client_id);
  Reply slow_first;
  std::thread slow([&] { slow_first = data("GET", "WhoAmI"); });
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds{5};
  while (stats().at("in_flight") != 1 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(milliseconds{5});
  }
  // value(), not at(): nothing may throw while the thread runs.
  EXPECT_EQ(user_stats(test_client_id).value("in_flight", -1), 1);
  EXPECT_EQ(user_stats(second_client_id).value("in_flight", -1), 0);
  const auto refused = data("GET", "WhoAmI");
  const auto other = data("GET", "WhoAmI", "", second); // admitted while the first user is busy
  slow.join();
  EXPECT_EQ(slow_first.status, 200);
  ASSERT_EQ(refused.status, 429);
  EXPECT_EQ(refused.json().at("error").at("code"), "0x80072326");
  EXPECT_EQ(refused.header("retry-after"), "1");
  EXPECT_EQ(other.status, 200) << other.body;
  EXPECT_EQ(stats().at("max_concurrency_seen"), 2);
}

TEST_F(ApplicationUsersTest, StatsListEveryUserAndTheCombinedCeiling) {
  auto options = two_user_options();
  options.latency.base = milliseconds{100};
  options.latency.per_record = milliseconds{2};
  start(options);
  ASSERT_EQ(data("GET", "WhoAmI", "", token_for(second_client_id)).status, 200);
  const auto body = stats();
  EXPECT_EQ(body.at("application_users"), 2);
  ASSERT_EQ(body.at("users").size(), 2U);
  const auto& first = body.at("users")[0];
  EXPECT_EQ(first.at("client_id"), test_client_id);
  EXPECT_EQ(first.at("user_id"), seeded_user_id);
  EXPECT_EQ(first.at("requests"), 0);
  EXPECT_EQ(first.at("remaining_requests"), 6000);
  EXPECT_EQ(first.at("remaining_execution_ms"), 1'200'000);
  const auto& second = body.at("users")[1];
  EXPECT_EQ(second.at("client_id"), second_client_id);
  EXPECT_EQ(second.at("user_id"), second_user_id);
  EXPECT_EQ(second.at("requests"), 1);
  EXPECT_EQ(second.at("throttled"), 0);
  EXPECT_EQ(second.at("in_flight"), 0);
  EXPECT_EQ(second.at("remaining_requests"), 5999);
  // 100 ms base + 2 ms for the one record WhoAmI returns.
  EXPECT_EQ(second.at("remaining_execution_ms"), 1'200'000 - 102);
  // Per user 1904.76 records/s (bound by execution time); two users may write twice that.
  EXPECT_NEAR(body.at("ceiling_records_per_second").get<double>(), 1904.76, 0.01);
  EXPECT_NEAR(body.at("combined_ceiling_records_per_second").get<double>(), 2 * 1904.76, 0.02);
  EXPECT_NEAR(stats("?batch=10").at("combined_ceiling_records_per_second").get<double>(), 400.0,
              1e-9);
}

TEST_F(ApplicationUsersTest, ResetZeroesEveryUsersCounts) {
  auto options = two_user_options();
  options.limits.max_requests = 1;
  start(options);
  const auto second = token_for(second_client_id);
  EXPECT_EQ(data("GET", "WhoAmI", "", second).status, 200);
  EXPECT_EQ(data("GET", "WhoAmI", "", second).status, 429);
  ASSERT_EQ(admin("POST", "reset").status, 200);
  const auto after = user_stats(second_client_id);
  EXPECT_EQ(after.at("requests"), 0);
  EXPECT_EQ(after.at("throttled"), 0);
  EXPECT_EQ(after.at("remaining_requests"), 1);
  EXPECT_EQ(stats().at("rows").at("systemusers"), 2);
  EXPECT_EQ(data("GET", "WhoAmI", "", second).status, 200) << "issued tokens survive a reset";
}

TEST_F(ApplicationUsersTest, UnknownClientIdIsRefusedWithEntrasUnauthorizedClient) {
  start(two_user_options());
  const auto reply = token_request("grant_type=client_credentials&client_id=someone-else"
                                   "&client_secret=test-secret&scope=" +
                                   form_encode(scope()));
  EXPECT_EQ(reply.status, 400);
  EXPECT_EQ(reply.json().at("error"), "unauthorized_client");
  EXPECT_EQ(reply.json().at("error_codes"), Json::array({700016}));
  EXPECT_THAT(reply.json().at("error_description").get<std::string>(),
              HasSubstr("Use one of the client ids the emulator was started with (--client-id)"));
}

TEST_F(ApplicationUsersTest, SingleClientIdIsTheSeededUserWithTheSameCombinedCeiling) {
  start();
  const auto claims = token_claims(token_for(test_client_id));
  EXPECT_EQ(claims.at("oid"), seeded_user_id);
  const auto body = stats();
  EXPECT_EQ(body.at("application_users"), 1);
  ASSERT_EQ(body.at("users").size(), 1U);
  EXPECT_EQ(body.at("users")[0].at("user_id"), seeded_user_id);
  EXPECT_EQ(body.at("rows").at("systemusers"), 1);
  EXPECT_DOUBLE_EQ(body.at("combined_ceiling_records_per_second").get<double>(),
                   body.at("ceiling_records_per_second").get<double>());
}

TEST_F(ApplicationUsersTest, FastProfileServesSeveralUsersWithoutLimits) {
  auto options = two_user_options();
  options.profile = "fast";
  options.limits.max_requests = 1;
  start(options);
  const auto second = token_for(second_client_id);
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(data("GET", "WhoAmI").status, 200);
    const auto other = data("GET", "WhoAmI", "", second);
    EXPECT_EQ(other.status, 200);
    EXPECT_EQ(other.json().at("UserId"), second_user_id);
    EXPECT_EQ(other.header("x-ms-ratelimit-burst-remaining-xrm-requests"), "");
  }
  const auto body = stats();
  EXPECT_EQ(body.at("application_users"), 2);
  EXPECT_TRUE(body.at("combined_ceiling_records_per_second").is_null());
  const auto& user = body.at("users")[1];
  EXPECT_EQ(user.at("requests"), 3);
  EXPECT_TRUE(user.at("remaining_requests").is_null());
  EXPECT_TRUE(user.at("remaining_execution_ms").is_null());
}

TEST_F(ApplicationUsersTest, StartRefusesARepeatedOrEmptyClientId) {
  for (const auto& extra : std::vector<std::vector<std::string>>{
           {test_client_id}, {second_client_id, second_client_id}, {""}}) {
    auto options = base_options();
    options.auth.additional_client_ids = extra;
    Emulator emulator(options);
    const auto started = emulator.start();
    ASSERT_FALSE(started.ok());
    EXPECT_EQ(started.error().category, leadsync::ErrorCategory::invalid_argument);
    EXPECT_THAT(started.error().message, HasSubstr("client id"));
  }
}

// --- latency

TEST_F(EmulatorTest, AnswerIsDelayedByTheBaseLatency) {
  auto options = base_options();
  options.latency.base = milliseconds{200};
  start(options);
  const auto started = std::chrono::steady_clock::now();
  EXPECT_EQ(data("GET", "WhoAmI").status, 200);
  EXPECT_GE(std::chrono::steady_clock::now() - started, milliseconds{200});
}

TEST_F(EmulatorTest, BulkRequestIsDelayedPerRecord) {
  auto options = base_options();
  options.latency.per_record = milliseconds{50};
  start(options);
  Json targets = Json::array();
  for (int i = 0; i < 6; ++i) {
    targets.push_back({{"@odata.type", "Microsoft.Dynamics.CRM.lead"},
                       {"lastname", "Bulk " + std::to_string(i)}});
  }
  const auto started = std::chrono::steady_clock::now();
  const auto reply = data("POST", "leads/Microsoft.Dynamics.CRM.CreateMultiple",
                          Json{{"Targets", targets}}.dump());
  const auto elapsed = std::chrono::steady_clock::now() - started;
  ASSERT_EQ(reply.status, 200) << reply.body;
  EXPECT_GE(elapsed, milliseconds{300}); // 6 records x 50 ms
}

// --- fault plan

TEST_F(EmulatorTest, FaultPlanOfOnly503AnswersServiceUnavailableAndWritesNothing) {
  auto options = base_options();
  options.faults.rate_503 = 1;
  start(options);
  const auto reply = data("POST", "leads", Json{{"lastname", "Never"}}.dump());
  EXPECT_EQ(reply.status, 503);
  EXPECT_TRUE(admin("GET", "records/leads").json().empty());
  EXPECT_EQ(stats().at("faults_injected").at("503"), 1);
}

TEST_F(EmulatorTest, FaultPlanOfOnly500AnswersTheUnexpectedErrorCode) {
  auto options = base_options();
  options.faults.rate_500 = 1;
  start(options);
  const auto reply = data("GET", "WhoAmI");
  EXPECT_EQ(reply.status, 500);
  EXPECT_EQ(reply.json().at("error").at("code"), "0x80040216");
}

TEST_F(EmulatorTest, ResetFaultClosesTheConnectionWithoutAnAnswer) {
  auto options = base_options();
  options.faults.rate_reset = 1;
  start(options);
  const auto reply = data("GET", "WhoAmI");
  if (!reply.closed_without_answer && reply.status == 200 && reply.body.empty()) {
    GTEST_SKIP() << "the HTTP server does not implement Response::abort_connection yet";
  }
  EXPECT_TRUE(reply.closed_without_answer) << "got HTTP " << reply.status;
  EXPECT_EQ(stats().at("requests_by_status").at("reset"), 1);
}

TEST_F(EmulatorTest, RevokeFaultAnswersThenTheNextRequestGets401) {
  start();
  const auto token = issue_token();
  ASSERT_EQ(admin("POST", "faults", Json{{"rate_revoke", 1.0}}).status, 200);
  EXPECT_EQ(data("GET", "WhoAmI", "", token).status, 200);
  ASSERT_EQ(admin("POST", "faults", Json::object()).status, 200);
  const auto reply = data("GET", "WhoAmI", "", token);
  EXPECT_EQ(reply.status, 401);
  EXPECT_THAT(reply.header("www-authenticate"), HasSubstr("revoked"));
}

TEST_F(EmulatorTest, SameSeedGivesTheSameFaultSequence) {
  const auto run = [this](std::uint64_t seed) {
    auto options = base_options();
    options.faults.rate_500 = 0.5;
    options.faults.seed = seed;
    start(options);
    std::string statuses;
    for (int i = 0; i < 24; ++i) {
      statuses += data("GET", "WhoAmI").status == 500 ? 'F' : '.';
    }
    emulator_->stop();
    return statuses;
  };
  const auto first = run(42);
  EXPECT_EQ(run(42), first);
  EXPECT_NE(first.find('F'), std::string::npos);
  EXPECT_NE(first.find('.'), std::string::npos);
}

TEST_F(EmulatorTest, FaultsEndpointRefusesRatesOutsideZeroToOne) {
  start();
  EXPECT_EQ(admin("POST", "faults", Json{{"rate_500", 1.5}}).status, 400);
  EXPECT_EQ(admin("POST", "faults", Json{{"rate_500", 0.6}, {"rate_503", 0.6}}).status, 400);
  EXPECT_EQ(admin("POST", "faults", Json{{"rate_typo", 0.1}}).status, 400);
  const auto spec = admin("POST", "faults", Json{{"spec", "503=0.25,slow=0.1:50"}});
  ASSERT_EQ(spec.status, 200) << spec.body;
  EXPECT_EQ(spec.json().at("rate_503"), 0.25);
  EXPECT_EQ(spec.json().at("slow_delay_ms"), 50);
}

TEST(FaultSpec, ParsesEveryKindAndTheSlowDelay) {
  auto parsed = parse_fault_spec("500=0.05, 503=0.05,reset=0.02,slow=0.01:2500,revoke=0.001");
  ASSERT_TRUE(parsed.ok()) << parsed.error().message;
  EXPECT_DOUBLE_EQ(parsed->rate_500, 0.05);
  EXPECT_DOUBLE_EQ(parsed->rate_503, 0.05);
  EXPECT_DOUBLE_EQ(parsed->rate_reset, 0.02);
  EXPECT_DOUBLE_EQ(parsed->rate_slow, 0.01);
  EXPECT_EQ(parsed->slow_delay, milliseconds{2500});
  EXPECT_DOUBLE_EQ(parsed->rate_revoke, 0.001);
}

TEST(FaultSpec, RefusesUnknownFaultsBadRatesAndATotalAboveOne) {
  for (const char* spec :
       {"timeout=0.1", "500", "500=abc", "500=-0.1", "500=0.7,503=0.7", "slow=0.1:soon"}) {
    const auto parsed = parse_fault_spec(spec);
    ASSERT_FALSE(parsed.ok()) << spec;
    EXPECT_THAT(parsed.error().message, HasSubstr("500=0.05")) << "says how to write it";
  }
}

// --- admin endpoints

TEST_F(EmulatorTest, StatsReportCountsRowsAndTheBulkCeiling) {
  auto options = base_options();
  options.latency.base = milliseconds{0};
  start(options);
  create_lead("Ada");
  EXPECT_EQ(request("GET", "/api/data/v9.2/WhoAmI").status, 401);
  const auto body = stats();
  EXPECT_EQ(body.at("rows").at("leads"), 1);
  EXPECT_EQ(body.at("requests_by_status").at("204"), 1);
  EXPECT_EQ(body.at("requests_by_status").at("401"), 1);
  EXPECT_EQ(body.at("requests_total"), 2);
  EXPECT_EQ(body.at("throttled"), 0);
  for (const char* field : {"max_concurrency_seen", "in_flight", "limits", "latency", "webhooks",
                            "faults_injected", "tokens_issued", "ceiling"}) {
    EXPECT_TRUE(body.contains(field)) << field;
  }
  // No latency: only the request limit bounds bulk writes, 1000 x 6000 / 300 s.
  EXPECT_DOUBLE_EQ(body.at("ceiling_records_per_second").get<double>(), 20000.0);
  EXPECT_EQ(body.at("ceiling").at("binding_limit"), "requests");
}

TEST(BulkCeiling, TakesTheSmallestOfTheThreeLimits) {
  LimitOptions limits; // documented: 6000 requests, 1,200,000 ms, 52 concurrent per 300 s
  LatencyOptions latency{milliseconds{100}, milliseconds{2}};
  // Batch 1000 costs 2100 ms: execution time allows 1,200,000 / 2100 x 1000 / 300 = 1904.76 rec/s.
  const auto large = bulk_ceiling(limits, latency, 1000);
  ASSERT_TRUE(large.records_per_second);
  EXPECT_NEAR(*large.records_per_second, 1904.76, 0.01);
  EXPECT_EQ(large.binding_limit, "execution_time");
  EXPECT_NEAR(*large.by_requests, 20000.0, 1e-9);
  EXPECT_NEAR(*large.by_concurrency, 24761.9, 0.1);
  // Batch 10 costs 120 ms: the request limit (10 x 6000 / 300 = 200 rec/s) binds first.
  const auto small = bulk_ceiling(limits, latency, 10);
  EXPECT_NEAR(*small.records_per_second, 200.0, 1e-9);
  EXPECT_EQ(small.binding_limit, "requests");
  // Concurrency binds when the window is generous and each request slow.
  LimitOptions roomy;
  roomy.max_requests = 1'000'000;
  roomy.max_execution_ms = 1'000'000'000;
  roomy.max_concurrency = 2;
  const auto slow = bulk_ceiling(roomy, LatencyOptions{milliseconds{1000}, milliseconds{0}}, 100);
  EXPECT_NEAR(*slow.records_per_second, 200.0, 1e-9); // 2 x 100 records per second
  EXPECT_EQ(slow.binding_limit, "concurrency");
  // Nothing bounds it with the limits off.
  LimitOptions off;
  off.enabled = false;
  const auto unbounded = bulk_ceiling(off, latency, 1000);
  EXPECT_FALSE(unbounded.records_per_second);
  EXPECT_EQ(unbounded.binding_limit, "none");
}

TEST_F(EmulatorTest, StatsCeilingFollowsTheBatchQueryParameter) {
  auto options = base_options();
  options.latency.base = milliseconds{100};
  options.latency.per_record = milliseconds{2};
  start(options);
  EXPECT_NEAR(stats().at("ceiling_records_per_second").get<double>(), 1904.76, 0.01);
  const auto small = stats("?batch=10");
  EXPECT_NEAR(small.at("ceiling_records_per_second").get<double>(), 200.0, 1e-9);
  EXPECT_EQ(small.at("ceiling").at("batch_size"), 10);
  EXPECT_EQ(admin("GET", "stats?batch=0").status, 400);
  EXPECT_EQ(admin("GET", "stats?batch=ten").status, 400);
}

TEST_F(EmulatorTest, ResetDropsRowsAndStatsButKeepsTheDefaultRows) {
  start();
  create_lead("Ada");
  ASSERT_EQ(admin("POST", "reset").status, 200);
  const auto body = stats();
  EXPECT_EQ(body.at("rows").at("leads"), 0);
  EXPECT_EQ(body.at("rows").at("systemusers"), 1);
  EXPECT_EQ(body.at("rows").at("sdkmessagefilters"), 3);
  EXPECT_EQ(body.at("requests_total"), 0);
  EXPECT_EQ(data("GET", "WhoAmI").status, 200);
}

TEST_F(EmulatorTest, RecordsEndpointListsRowsAsStored) {
  start();
  const auto id = create_lead("Grace");
  const auto reply = admin("GET", "records/leads");
  ASSERT_EQ(reply.status, 200);
  const auto rows = reply.json();
  ASSERT_EQ(rows.size(), 1U);
  const auto& row = rows[0];
  EXPECT_EQ(row.at("id"), id);
  EXPECT_GT(row.at("version").get<std::int64_t>(), 0);
  EXPECT_EQ(row.at("attributes").at("firstname"), "Grace");
  EXPECT_EQ(admin("GET", "records/nosuchtables").status, 404);
  EXPECT_EQ(admin("POST", "records/leads").status, 405);
}

TEST_F(EmulatorTest, LimitsEndpointChangesLimitsAtRunTime) {
  start();
  const auto changed = admin("POST", "limits", Json{{"max_requests", 1}, {"window_s", 60}});
  ASSERT_EQ(changed.status, 200) << changed.body;
  EXPECT_EQ(changed.json().at("window_ms"), 60000);
  EXPECT_EQ(data("GET", "WhoAmI").status, 200);
  EXPECT_EQ(data("GET", "WhoAmI").status, 429);
  EXPECT_EQ(admin("POST", "limits", Json{{"max_requests", 0}}).status, 400);
}

TEST_F(EmulatorTest, UnknownPathsGet404) {
  start();
  EXPECT_EQ(request("GET", "/_emulator/nothing").status, 404);
  const auto other = request("GET", "/somewhere/else");
  EXPECT_EQ(other.status, 404);
  EXPECT_THAT(other.json().at("error").at("message").get<std::string>(),
              HasSubstr("/api/data/v9.2/"));
}

// --- start-up and persistence

TEST_F(EmulatorTest, PortFileHoldsTheBoundPort) {
  const auto dir = scratch_dir();
  auto options = base_options();
  options.port_file = (dir / "port").string();
  start(options);
  EXPECT_EQ(read_text(dir / "port"), std::to_string(port_) + "\n");
  EXPECT_EQ(emulator_->base_url(), "http://127.0.0.1:" + std::to_string(port_));
  fs::remove_all(dir);
}

TEST_F(EmulatorTest, StartFailsWithAMessageOnABadListenAddress) {
  auto options = base_options();
  options.listen = "127.0.0.1";
  Emulator emulator(options);
  const auto started = emulator.start();
  ASSERT_FALSE(started.ok());
  EXPECT_THAT(started.error().message, HasSubstr("HOST:PORT"));
}

TEST_F(EmulatorTest, StateFileKeepsRowsAcrossRestarts) {
  const auto dir = scratch_dir();
  auto options = base_options();
  options.state_file = (dir / "state.db").string();
  start(options);
  const auto id = create_lead("Persistent");
  emulator_->stop();

  start(options);
  const auto rows = admin("GET", "records/leads").json();
  ASSERT_EQ(rows.size(), 1U);
  EXPECT_EQ(rows[0].at("id"), id);
  EXPECT_EQ(data("GET", "leads(" + id + ")?$select=firstname").json().at("firstname"),
            "Persistent");
  EXPECT_EQ(stats().at("rows").at("systemusers"), 1) << "default rows are not seeded twice";
  emulator_->stop();
  fs::remove_all(dir);
}

// --- webhooks

// A loopback HTTP server that records what it receives and answers with the statuses it is given.
class WebhookReceiver {
public:
  explicit WebhookReceiver(std::vector<int> statuses) : statuses_(std::move(statuses)) {
    server_ = leadsync::http::make_beast_server({});
    auto port = server_->start(leadsync::http::sync_handler([this](const auto& request) {
      std::lock_guard lock(mutex_);
      received_.push_back(request);
      const int status =
          received_.size() <= statuses_.size() ? statuses_[received_.size() - 1] : 200;
      arrived_.notify_all();
      return leadsync::http::Response::text(status, "");
    }));
    port_ = port.value();
  }

  std::string url(const std::string& path) const {
    return "http://127.0.0.1:" + std::to_string(port_) + path;
  }

  // Waits up to 10 s for `count` requests.
  std::vector<leadsync::http::Request> wait_for(std::size_t count) {
    std::unique_lock lock(mutex_);
    arrived_.wait_for(lock, std::chrono::seconds{10}, [&] { return received_.size() >= count; });
    return received_;
  }

private:
  std::unique_ptr<leadsync::http::HttpServer> server_;
  std::uint16_t port_ = 0;
  std::vector<int> statuses_;
  std::mutex mutex_;
  std::condition_variable arrived_;
  std::vector<leadsync::http::Request> received_;
};

class WebhookTest : public EmulatorTest {
protected:
  // Registers a webhook the way a client does through the Web API (dataverse-notes section 11): a
  // serviceendpoint with contract 8, and a step on Create of lead found through sdkmessages and
  // sdkmessagefilters.
  void register_webhook(const std::string& url, int authtype, const std::string& authvalue) {
    const auto endpoint = data("POST", "serviceendpoints",
                               Json{{"name", "leadsync"},
                                    {"url", url},
                                    {"contract", 8},
                                    {"authtype", authtype},
                                    {"authvalue", authvalue},
                                    {"messageformat", 2}}
                                   .dump());
    ASSERT_EQ(endpoint.status, 204) << endpoint.body;
    const auto endpoint_url = endpoint.header("odata-entityid");
    const auto endpoint_id = endpoint_url.substr(endpoint_url.rfind('(') + 1, 36);

    const auto messages = data("GET", "sdkmessages?$filter=name%20eq%20'Create'&$select=name");
    ASSERT_EQ(messages.status, 200) << messages.body;
    ASSERT_EQ(messages.json().at("value").size(), 1U);
    const auto message_id = messages.json().at("value")[0].at("sdkmessageid").get<std::string>();

    const auto filters = data("GET", "sdkmessagefilters?$filter=primaryobjecttypecode%20eq%20'lead'"
                                     "%20and%20_sdkmessageid_value%20eq%20" +
                                         message_id);
    ASSERT_EQ(filters.status, 200) << filters.body;
    ASSERT_EQ(filters.json().at("value").size(), 1U);
    const auto filter_id =
        filters.json().at("value")[0].at("sdkmessagefilterid").get<std::string>();

    const auto step = data(
        "POST", "sdkmessageprocessingsteps",
        Json{{"name", "leadsync: Create of lead"},
             {"eventhandler_serviceendpoint@odata.bind", "/serviceendpoints(" + endpoint_id + ")"},
             {"sdkmessageid@odata.bind", "/sdkmessages(" + message_id + ")"},
             {"sdkmessagefilterid@odata.bind", "/sdkmessagefilters(" + filter_id + ")"},
             {"stage", 40},
             {"mode", 1},
             {"rank", 1},
             {"supporteddeployment", 0}}
            .dump());
    ASSERT_EQ(step.status, 204) << step.body;
  }

  // Waits until the dispatcher has finished with `count` deliveries (delivered or failed).
  Json wait_for_webhook_outcomes(std::int64_t count) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds{10};
    Json webhooks;
    do {
      webhooks = stats().at("webhooks");
      if (webhooks.at("delivered").get<std::int64_t>() +
              webhooks.at("failed").get<std::int64_t>() >=
          count) {
        break;
      }
      std::this_thread::sleep_for(milliseconds{10});
    } while (std::chrono::steady_clock::now() < deadline);
    return webhooks;
  }
};

TEST_F(WebhookTest, CreateOfLeadPostsTheRemoteExecutionContextWithHeaderAuth) {
  WebhookReceiver receiver({200});
  start();
  register_webhook(receiver.url("/hooks/lead"), 5,
                   "<settings><setting name=\"x-api-key\" value=\"k&amp;1\" /></settings>");
  const auto lead_id = create_lead("Webhook");

  const auto received = receiver.wait_for(1);
  ASSERT_EQ(received.size(), 1U);
  const auto& post = received[0];
  EXPECT_EQ(post.method, "POST");
  EXPECT_EQ(post.url, "/hooks/lead");
  EXPECT_EQ(post.headers.get("x-api-key"), "k&1");
  EXPECT_EQ(post.headers.get("x-ms-dynamics-entity-name"), "lead");
  EXPECT_EQ(post.headers.get("x-ms-dynamics-request-name"), "Create");
  EXPECT_EQ(post.headers.get("x-ms-dynamics-organization"), "127.0.0.1");
  ASSERT_TRUE(post.headers.get("x-ms-correlation-request-id"));
  EXPECT_THAT(post.headers.get("Content-Type").value_or(""), StartsWith("application/json"));

  // Serialized as DataContractJsonSerializer does: every '/' escaped.
  EXPECT_THAT(post.body,
              HasSubstr(R"("Entity:http:\/\/schemas.microsoft.com\/xrm\/2011\/Contracts")"));
  EXPECT_THAT(post.body, HasSubstr(R"("OperationCreatedOn":"\/Date()"));
  const auto body = Json::parse(post.body);
  EXPECT_EQ(body.at("MessageName"), "Create");
  EXPECT_EQ(body.at("PrimaryEntityName"), "lead");
  EXPECT_EQ(body.at("PrimaryEntityId"), lead_id);
  EXPECT_EQ(body.at("Stage"), 40);
  EXPECT_EQ(body.at("Mode"), 1);
  EXPECT_EQ(body.at("Depth"), 1);
  EXPECT_EQ(body.at("SecondaryEntityName"), "none");
  EXPECT_EQ(body.at("CorrelationId"), *post.headers.get("x-ms-correlation-request-id"));
  const auto whoami = data("GET", "WhoAmI").json();
  EXPECT_EQ(body.at("UserId"), whoami.at("UserId"));
  EXPECT_EQ(body.at("OrganizationId"), whoami.at("OrganizationId"));
  EXPECT_EQ(body.at("BusinessUnitId"), whoami.at("BusinessUnitId"));
  EXPECT_EQ(body.at("OwningExtension").at("LogicalName"), "sdkmessageprocessingstep");

  const auto& parameter = body.at("InputParameters").at(0);
  EXPECT_EQ(parameter.at("key"), "Target");
  const auto& target = parameter.at("value");
  EXPECT_EQ(target.at("__type"), "Entity:http://schemas.microsoft.com/xrm/2011/Contracts");
  EXPECT_EQ(target.at("LogicalName"), "lead");
  EXPECT_EQ(target.at("Id"), lead_id);
  std::map<std::string, Json> attributes;
  for (const auto& attribute : target.at("Attributes")) {
    attributes[attribute.at("key")] = attribute.at("value");
  }
  EXPECT_EQ(attributes["firstname"], "Webhook");
  EXPECT_EQ(attributes["leadid"], lead_id);
  EXPECT_THAT(attributes["createdon"].get<std::string>(), StartsWith("/Date("));
  EXPECT_EQ(attributes["statecode"].at("__type"),
            "OptionSetValue:http://schemas.microsoft.com/xrm/2011/Contracts");
  EXPECT_EQ(wait_for_webhook_outcomes(1).at("delivered"), 1);
}

TEST_F(WebhookTest, WebhookKeyIsSentAsTheCodeQueryParameter) {
  WebhookReceiver receiver({200});
  start();
  register_webhook(receiver.url("/api/hook?x=1"), 4, "secret key");
  create_lead("Keyed");
  EXPECT_EQ(wait_for_webhook_outcomes(1).at("delivered"), 1);
  const auto received = receiver.wait_for(1);
  ASSERT_EQ(received.size(), 1U);
  EXPECT_EQ(received[0].url, "/api/hook?x=1&code=secret%20key");
}

TEST_F(WebhookTest, QueryStringAuthSendsEverySettingAsAQueryParameter) {
  WebhookReceiver receiver({200});
  start();
  register_webhook(receiver.url("/hook"), 6,
                   "<settings><setting name=\"a\" value=\"1\" /><setting name=\"b\" value=\"2\" "
                   "/></settings>");
  create_lead("Queried");
  EXPECT_EQ(wait_for_webhook_outcomes(1).at("delivered"), 1);
  const auto received = receiver.wait_for(1);
  ASSERT_EQ(received.size(), 1U);
  EXPECT_EQ(received[0].url, "/hook?a=1&b=2");
}

TEST_F(WebhookTest, ReceiverAnswering503GetsExactlyOneRetry) {
  WebhookReceiver receiver({503, 200});
  start();
  register_webhook(receiver.url("/hook"), 5,
                   "<settings><setting name=\"k\" value=\"v\" /></settings>");
  create_lead("Retried");
  const auto received = receiver.wait_for(2);
  ASSERT_EQ(received.size(), 2U);
  EXPECT_EQ(received[0].body, received[1].body) << "the retry sends the same context";
  const auto webhooks = wait_for_webhook_outcomes(1);
  EXPECT_EQ(webhooks.at("delivered"), 1);
  EXPECT_EQ(webhooks.at("attempts"), 2);
}

TEST_F(WebhookTest, ReceiverAnswering500IsAFailureWithoutRetry) {
  WebhookReceiver receiver({500, 200});
  start();
  register_webhook(receiver.url("/hook"), 5,
                   "<settings><setting name=\"k\" value=\"v\" /></settings>");
  create_lead("Failed");
  const auto webhooks = wait_for_webhook_outcomes(1);
  EXPECT_EQ(webhooks.at("failed"), 1);
  EXPECT_EQ(webhooks.at("attempts"), 1);
  EXPECT_EQ(receiver.wait_for(1).size(), 1U);
}

TEST_F(WebhookTest, CreateWithoutARegisteredStepPostsNothing) {
  WebhookReceiver receiver({200});
  start();
  create_lead("Unwatched");
  register_webhook(receiver.url("/hook"), 5,
                   "<settings><setting name=\"k\" value=\"v\" /></settings>");
  create_lead("Watched");
  // Creates are handled in order: once the second is delivered, the first was already passed over.
  EXPECT_EQ(wait_for_webhook_outcomes(1).at("delivered"), 1);
  const auto received = receiver.wait_for(1);
  ASSERT_EQ(received.size(), 1U);
  EXPECT_THAT(received[0].body, HasSubstr("Watched"));
  EXPECT_THAT(received[0].body, Not(HasSubstr("Unwatched")));
  EXPECT_EQ(stats().at("webhooks").at("attempts"), 1);
}

// --- the executable

struct Process {
  pid_t pid = -1;
};

// Runs dataverse-emulator with `args`, stdout and stderr to files in `dir`.
Process spawn_emulator(const std::vector<std::string>& args, const fs::path& dir) {
  std::vector<std::string> argv_storage{DATAVERSE_EMULATOR_EXE};
  argv_storage.insert(argv_storage.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& arg : argv_storage) {
    argv.push_back(arg.data());
  }
  argv.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  const auto out = (dir / "stdout.txt").string();
  const auto err = (dir / "stderr.txt").string();
  posix_spawn_file_actions_addopen(&actions, 1, out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_addopen(&actions, 2, err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  Process process;
  if (posix_spawn(&process.pid, argv[0], &actions, nullptr, argv.data(), environ) != 0) {
    process.pid = -1;
  }
  posix_spawn_file_actions_destroy(&actions);
  return process;
}

// The exit code, or -1 when it did not exit normally within 10 s (then it is killed).
int wait_exit(const Process& process) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds{10};
  int status = 0;
  while (std::chrono::steady_clock::now() < deadline) {
    if (::waitpid(process.pid, &status, WNOHANG) == process.pid) {
      return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    }
    std::this_thread::sleep_for(milliseconds{10});
  }
  ::kill(process.pid, SIGKILL);
  ::waitpid(process.pid, &status, 0);
  return -1;
}

class ExecutableTest : public ::testing::Test {
protected:
  void SetUp() override {
    ASSERT_TRUE(fs::exists(DATAVERSE_EMULATOR_EXE))
        << DATAVERSE_EMULATOR_EXE << " is missing: build the dataverse-emulator target";
    dir_ = scratch_dir();
  }
  void TearDown() override { fs::remove_all(dir_); }
  fs::path dir_;
};

TEST_F(ExecutableTest, HelpListsTheFlagsAndExitsZero) {
  const auto process = spawn_emulator({"--help"}, dir_);
  ASSERT_GT(process.pid, 0);
  EXPECT_EQ(wait_exit(process), 0);
  const auto out = read_text(dir_ / "stdout.txt");
  for (const char* flag : {"--listen", "--port-file", "--profile", "--window-s", "--faults",
                           "--client-secret-env", "--change-token-days"}) {
    EXPECT_THAT(out, HasSubstr(flag));
  }
}

TEST_F(ExecutableTest, BadFlagsExitTwoWithAMessage) {
  const auto unknown = spawn_emulator({"--no-such-flag"}, dir_);
  EXPECT_EQ(wait_exit(unknown), 2);
  const auto faults = spawn_emulator({"--faults", "500=3"}, dir_);
  EXPECT_EQ(wait_exit(faults), 2);
  EXPECT_THAT(read_text(dir_ / "stderr.txt"), HasSubstr("500=0.05"));
  const auto secret = spawn_emulator({"--client-secret-env", "DVEMU_TEST_UNSET_VARIABLE"}, dir_);
  EXPECT_EQ(wait_exit(secret), 2);
  EXPECT_THAT(read_text(dir_ / "stderr.txt"), HasSubstr("DVEMU_TEST_UNSET_VARIABLE"));
}

TEST_F(ExecutableTest, ServesUntilSigtermThenExitsZero) {
  const auto port_file = dir_ / "port";
  const auto process =
      spawn_emulator({"--listen", "127.0.0.1:0", "--port-file", port_file.string(), "--profile",
                      "fast", "--static-token", "exe-token", "--quiet"},
                     dir_);
  ASSERT_GT(process.pid, 0);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds{10};
  while (!fs::exists(port_file) && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(milliseconds{10});
  }
  ASSERT_TRUE(fs::exists(port_file)) << read_text(dir_ / "stderr.txt");
  const auto port = static_cast<std::uint16_t>(std::stoi(read_text(port_file)));

  EXPECT_EQ(
      send(port, "GET", "/api/data/v9.2/WhoAmI", {{"Authorization", "Bearer exe-token"}}).status,
      200);
  EXPECT_EQ(send(port, "GET", "/_emulator/stats").status, 200);
  ::kill(process.pid, SIGTERM);
  EXPECT_EQ(wait_exit(process), 0);
  EXPECT_THAT(read_text(dir_ / "stdout.txt"),
              HasSubstr("dataverse-emulator listening on http://127.0.0.1:" + std::to_string(port) +
                        " (profile fast)"));
}

TEST_F(ExecutableTest, RepeatedClientIdServesSeveralApplicationUsersInTheFastProfile) {
  const auto port_file = dir_ / "port";
  const auto process = spawn_emulator({"--port-file", port_file.string(), "--profile", "fast",
                                       "--client-id", "exe-a", "--client-id", "exe-b", "--quiet"},
                                      dir_);
  ASSERT_GT(process.pid, 0);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds{10};
  while (!fs::exists(port_file) && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(milliseconds{10});
  }
  ASSERT_TRUE(fs::exists(port_file)) << read_text(dir_ / "stderr.txt");
  const auto port = static_cast<std::uint16_t>(std::stoi(read_text(port_file)));
  const auto scope = form_encode("http://127.0.0.1:" + std::to_string(port) + "/.default");

  std::vector<std::string> user_ids;
  for (const std::string client_id : {"exe-a", "exe-b"}) {
    const auto token = send(port, "POST", "/tenant/oauth2/v2.0/token",
                            {{"Content-Type", "application/x-www-form-urlencoded"}},
                            "grant_type=client_credentials&client_id=" + client_id +
                                "&client_secret=any&scope=" + scope);
    ASSERT_EQ(token.status, 200) << token.body;
    const auto who =
        send(port, "GET", "/api/data/v9.2/WhoAmI",
             {{"Authorization", "Bearer " + token.json().at("access_token").get<std::string>()}});
    ASSERT_EQ(who.status, 200) << who.body;
    user_ids.push_back(who.json().at("UserId").get<std::string>());
  }
  EXPECT_EQ(user_ids[0], "7c1a3f2e-5b8d-4e61-9a0c-2d4f6b8e1a03");
  EXPECT_EQ(user_ids[1], application_user_id("exe-b"));
  const auto stats = send(port, "GET", "/_emulator/stats").json();
  EXPECT_EQ(stats.at("application_users"), 2);
  EXPECT_TRUE(stats.at("combined_ceiling_records_per_second").is_null());
  ::kill(process.pid, SIGTERM);
  EXPECT_EQ(wait_exit(process), 0);
}

TEST_F(ExecutableTest, SameClientIdTwiceExitsTwoWithAMessage) {
  const auto process = spawn_emulator({"--client-id", "twice", "--client-id", "twice"}, dir_);
  ASSERT_GT(process.pid, 0);
  EXPECT_EQ(wait_exit(process), 2);
  EXPECT_THAT(read_text(dir_ / "stderr.txt"), HasSubstr("client id 'twice' is given twice"));
}

} // namespace
} // namespace dvemu
