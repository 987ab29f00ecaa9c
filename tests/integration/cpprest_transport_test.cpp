// The cpprestsdk transport over real loopback sockets, against the Beast server (plain HTTP) and a
// small TLS server with a throw-away self-signed certificate.

#include "leadsync/http/cpprest_transport.hpp"
#include "leadsync/http/server.hpp"
#include "support/log_capture.hpp"
#include "support/tls_test_server.hpp"

#include <algorithm>
#include <arpa/inet.h>
#include <atomic>
#include <filesystem>
#include <fstream>
#include <future>
#include <gtest/gtest.h>
#include <latch>
#include <mutex>
#include <netdb.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <thread>
#include <unistd.h>

namespace leadsync::http {
namespace {

using namespace std::chrono_literals;
using test::LogCapture;

// Upper bound for something that must end; reached only when the code under test is broken.
constexpr auto hang_guard = 10s;

// A Beast server whose handler is the test's; every request it receives is kept.
class RecordingServer {
public:
  explicit RecordingServer(Handler handler) : server_(make_beast_server(ServerOptions{})) {
    auto port =
        server_->start([this, handler = std::move(handler)](Request request, Respond respond) {
          {
            std::lock_guard lock(mutex_);
            received_.push_back(request);
          }
          handler(std::move(request), std::move(respond));
        });
    if (!port.ok()) {
      throw std::runtime_error(port.error().describe());
    }
    port_ = *port;
  }

  std::string url(std::string_view target) const {
    return "http://127.0.0.1:" + std::to_string(port_) + std::string(target);
  }
  std::uint16_t port() const { return port_; }
  std::vector<Request> received() const {
    std::lock_guard lock(mutex_);
    return received_;
  }
  void stop() { server_->stop(); }

private:
  mutable std::mutex mutex_;
  std::vector<Request> received_;
  std::unique_ptr<HttpServer> server_;
  std::uint16_t port_ = 0;
};

// Answers every request with an echo of its body, method and Content-Type.
Handler echo_handler() {
  return sync_handler([](const Request& request) {
    auto response = Response::with_body(200, request.body,
                                        request.headers.get("Content-Type").value_or("text/plain"));
    response.headers.add("X-Echo-Method", request.method);
    return response;
  });
}

// Keeps every Respond unanswered until the test ends, like a server that hangs.
class ParkedResponses {
public:
  Handler handler(std::latch* arrived = nullptr) {
    return [this, arrived](const Request&, Respond respond) {
      {
        std::lock_guard lock(mutex_);
        parked_.push_back(std::move(respond));
      }
      if (arrived != nullptr) {
        arrived->count_down();
      }
    };
  }

private:
  std::mutex mutex_;
  std::vector<Respond> parked_;
};

Request make(std::string method, std::string url) {
  Request request;
  request.method = std::move(method);
  request.url = std::move(url);
  return request;
}

TEST(CpprestTransportTest, GetCarriesHeadersBothWays) {
  RecordingServer server(sync_handler([](const Request&) {
    auto response = Response::json(200, R"({"value":[]})");
    response.headers.add("OData-Version", "4.0");
    response.headers.add("x-ms-dop-hint", "12");
    return response;
  }));
  const auto transport = make_cpprest_transport({});
  auto request = make("GET", server.url("/api/data/v9.2/leads"));
  request.headers.add("Accept", "application/json");
  request.headers.add("Prefer", "odata.maxpagesize=50");
  request.headers.add("x-ms-client-request-id", "rid-1");

  const auto result = transport->send(request, {});

  ASSERT_TRUE(result.ok()) << result.error().describe();
  EXPECT_EQ(result->status, 200);
  EXPECT_EQ(result->body, R"({"value":[]})");
  EXPECT_EQ(result->headers.get("x-ms-dop-hint"), "12");
  EXPECT_EQ(result->headers.get("OData-Version"), "4.0");
  EXPECT_EQ(result->headers.get("Content-Type"), "application/json; charset=utf-8");
  const auto received = server.received();
  ASSERT_EQ(received.size(), 1U);
  EXPECT_EQ(received[0].method, "GET");
  EXPECT_EQ(received[0].url, "/api/data/v9.2/leads");
  EXPECT_EQ(received[0].headers.get("Accept"), "application/json");
  EXPECT_EQ(received[0].headers.get("Prefer"), "odata.maxpagesize=50");
  EXPECT_EQ(received[0].headers.get("x-ms-client-request-id"), "rid-1");
}

// Issue 18: response bodies are capped (TransportOptions::max_response_bytes). A body at the cap
// is whole; one byte more (declared by Content-Length, as the Beast server sends it) is a protocol
// error, not retried, naming the limit and the URL's host and path.
TEST(CpprestTransportTest, ABodyOverTheCapIsAProtocolErrorNamingTheLimitAndTheUrl) {
  constexpr std::size_t cap = std::size_t{1} << 20;
  std::atomic<std::size_t> size{cap};
  RecordingServer server(sync_handler([&size](const Request&) {
    return Response::with_body(200, std::string(size.load(), 'x'), "application/json");
  }));
  TransportOptions options;
  options.max_response_bytes = cap;
  const auto transport = make_cpprest_transport(options);

  const auto at_cap = transport->send(make("GET", server.url("/api/data/v9.2/leads?$top=1")), {});
  ASSERT_TRUE(at_cap.ok()) << at_cap.error().describe();
  EXPECT_EQ(at_cap->body.size(), cap);

  size = cap + 1;
  const auto over = transport->send(make("GET", server.url("/api/data/v9.2/leads?$top=1")), {});
  ASSERT_FALSE(over.ok());
  EXPECT_EQ(over.error().category, ErrorCategory::protocol) << over.error().describe();
  EXPECT_FALSE(over.error().retryable);
  EXPECT_NE(over.error().message.find("larger than the 1 MB limit"), std::string::npos)
      << over.error().message;
  EXPECT_NE(over.error().message.find("127.0.0.1/api/data/v9.2/leads"), std::string::npos)
      << over.error().message;
}

TEST(CpprestTransportTest, TheDefaultCapIs64MegabytesAboveAnyDataversePage) {
  EXPECT_EQ(TransportOptions{}.max_response_bytes, std::size_t{64} << 20);
}

TEST(CpprestTransportTest, PostRoundTripsAUtf8BodyByteForByte) {
  RecordingServer server(echo_handler());
  const auto transport = make_cpprest_transport({});
  const std::string body =
      "{\"lastname\":\"Zoë Ŝtraße\",\"companyname\":\"株式会社 🚀\",\"description\":\"a\\\"b\\n\"}";
  auto request = make("POST", server.url("/api/data/v9.2/leads"));
  request.headers.add("Content-Type", "application/json; charset=utf-8");
  request.body = body;

  const auto result = transport->send(request, {});

  ASSERT_TRUE(result.ok()) << result.error().describe();
  EXPECT_EQ(result->body, body);
  EXPECT_EQ(result->headers.get("X-Echo-Method"), "POST");
  const auto received = server.received();
  ASSERT_EQ(received.size(), 1U);
  EXPECT_EQ(received[0].body, body);
  EXPECT_EQ(received[0].headers.get("Content-Type"), "application/json; charset=utf-8");
  EXPECT_EQ(received[0].headers.get("Content-Length"), std::to_string(body.size()));
}

TEST(CpprestTransportTest, PatchSendsItsBodyAndReadsA204WithoutOne) {
  RecordingServer server(sync_handler([](const Request&) {
    Response response;
    response.status = 204;
    response.headers.add("OData-EntityId", "https://x/api/data/v9.2/leads(1)");
    return response;
  }));
  const auto transport = make_cpprest_transport({});
  auto request = make("PATCH", server.url("/api/data/v9.2/leads(leadsync_externalid='k-1')"));
  request.headers.add("Content-Type", "application/json");
  request.headers.add("If-Match", "*");
  request.body = R"({"subject":"Ümlaut"})";

  const auto result = transport->send(request, {});

  ASSERT_TRUE(result.ok()) << result.error().describe();
  EXPECT_EQ(result->status, 204);
  EXPECT_TRUE(result->body.empty());
  EXPECT_EQ(result->headers.get("OData-EntityId"), "https://x/api/data/v9.2/leads(1)");
  const auto received = server.received();
  ASSERT_EQ(received.size(), 1U);
  EXPECT_EQ(received[0].method, "PATCH");
  EXPECT_EQ(received[0].url, "/api/data/v9.2/leads(leadsync_externalid='k-1')");
  EXPECT_EQ(received[0].body, R"({"subject":"Ümlaut"})");
  EXPECT_EQ(received[0].headers.get("If-Match"), "*");
}

TEST(CpprestTransportTest, QueryWithColonsAndDollarsArrivesIntact) {
  RecordingServer server(sync_handler([](const Request&) { return Response::json(200, "{}"); }));
  const auto transport = make_cpprest_transport({});
  const std::string target = "/api/data/v9.2/leads?$select=fullname,modifiedon&$filter=modifiedon"
                             "%20gt%202024-01-01T00:00:00Z&$orderby=modifiedon%20asc&$top=10";

  const auto result = transport->send(make("GET", server.url(target)), {});

  ASSERT_TRUE(result.ok()) << result.error().describe();
  ASSERT_EQ(server.received().size(), 1U);
  EXPECT_EQ(server.received()[0].url, target);
}

TEST(CpprestTransportTest, ErrorStatusesAreResponsesNotErrors) {
  RecordingServer server(sync_handler([](const Request&) {
    auto response = Response::json(
        429, R"({"error":{"code":"0x80072322","message":"Number of requests exceeded"}})");
    response.headers.add("Retry-After", "7");
    return response;
  }));
  const auto transport = make_cpprest_transport({});

  const auto result = transport->send(make("DELETE", server.url("/api/data/v9.2/leads(1)")), {});

  ASSERT_TRUE(result.ok()) << result.error().describe();
  EXPECT_EQ(result->status, 429);
  EXPECT_EQ(result->headers.get("Retry-After"), "7");
  EXPECT_NE(result->body.find("0x80072322"), std::string::npos);
}

TEST(CpprestTransportTest, ConnectionsAreSharedSafelyAcrossThreads) {
  RecordingServer server(echo_handler());
  const auto transport = make_cpprest_transport({});
  std::vector<std::future<int>> workers;
  for (int thread = 0; thread < 6; ++thread) {
    workers.push_back(std::async(std::launch::async, [&, thread] {
      int matched = 0;
      for (int i = 0; i < 5; ++i) {
        auto request = make("POST", server.url("/echo"));
        request.body = "t" + std::to_string(thread) + "-" + std::to_string(i);
        const auto result = transport->send(request, {});
        matched += result.ok() && result->body == request.body ? 1 : 0;
      }
      return matched;
    }));
  }
  for (auto& worker : workers) {
    EXPECT_EQ(worker.get(), 5);
  }
  EXPECT_EQ(server.received().size(), 30U);
}

// A port that refuses connections: bound (so nobody else takes it) but not listening.
class ClosedPort {
public:
  ClosedPort() : fd_(::socket(AF_INET, SOCK_STREAM, 0)) {
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof address;
    if (fd_ < 0 || ::bind(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
        ::getsockname(fd_, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
      throw std::runtime_error("cannot reserve a loopback port");
    }
    port_ = ntohs(address.sin_port);
  }
  ClosedPort(const ClosedPort&) = delete;
  ClosedPort& operator=(const ClosedPort&) = delete;
  ~ClosedPort() { ::close(fd_); }
  std::uint16_t port() const { return port_; }

private:
  int fd_;
  std::uint16_t port_ = 0;
};

TEST(CpprestTransportTest, ConnectionRefusedIsUnavailableRetryableAndNamesTheEndpoint) {
  const ClosedPort closed;
  const auto transport = make_cpprest_transport({});
  const auto endpoint = "127.0.0.1:" + std::to_string(closed.port());

  const auto result =
      transport->send(make("GET", "http://" + endpoint + "/api/data/v9.2/WhoAmI"), {});

  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().category, ErrorCategory::unavailable);
  EXPECT_TRUE(result.error().retryable);
  EXPECT_NE(result.error().message.find("cannot connect to " + endpoint), std::string::npos)
      << result.error().message;
  EXPECT_EQ(result.error().transport_cause, TransportCause::refused);
  EXPECT_EQ(result.error().endpoint, endpoint);
  EXPECT_EQ(result.error().http_status, 0);
}

// RFC 6761 reserves .invalid: no resolver may answer for it. Some networks answer every name
// (NXDOMAIN rewriting); there the test cannot show anything and says so.
TEST(CpprestTransportTest, AHostNameThatDoesNotResolveIsADnsFailure) {
  addrinfo* found = nullptr;
  if (::getaddrinfo("leadsync-test.nonexistent.invalid", "80", nullptr, &found) == 0) {
    ::freeaddrinfo(found);
    GTEST_SKIP() << "this machine's resolver answers for a .invalid name (NXDOMAIN rewriting)";
  }
  const auto transport = make_cpprest_transport({});

  const auto result = transport->send(
      make("GET", "http://leadsync-test.nonexistent.invalid:80/api/data/v9.2/WhoAmI"), {});

  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().transport_cause, TransportCause::dns) << result.error().describe();
  EXPECT_EQ(result.error().category, ErrorCategory::unavailable);
  EXPECT_EQ(result.error().endpoint, "leadsync-test.nonexistent.invalid:80");
}

TEST(CpprestTransportTest, ConnectionDroppedByTheServerIsUnavailableAndRetryable) {
  RecordingServer server(sync_handler([](const Request&) {
    Response response;
    response.abort_connection = true;
    return response;
  }));
  const auto transport = make_cpprest_transport({});

  const auto result = transport->send(make("GET", server.url("/api/data/v9.2/leads")), {});

  ASSERT_FALSE(result.ok()) << result->status << " " << result->body;
  EXPECT_EQ(result.error().category, ErrorCategory::unavailable) << result.error().describe();
  EXPECT_TRUE(result.error().retryable);
  EXPECT_NE(result.error().message.find("127.0.0.1:" + std::to_string(server.port())),
            std::string::npos)
      << result.error().message;
  EXPECT_EQ(result.error().transport_cause, TransportCause::reset) << result.error().describe();
}

// cpprestsdk re-sends a request on its own when a reused kept-alive connection was reset; for a
// request that is not idempotent (a create) that could run it twice, so such a request must reach
// the server once and come back as an error.
TEST(CpprestTransportTest, ACreateIsSentOnceEvenWhenItsConnectionIsReset) {
  RecordingServer server(sync_handler([](const Request& request) {
    if (request.method == "POST") {
      Response response;
      response.abort_connection = true;
      return response;
    }
    return Response::text(200, "ok");
  }));
  const auto transport = make_cpprest_transport({});
  // Warm the connection pool so a reused connection would be at hand.
  ASSERT_TRUE(transport->send(make("GET", server.url("/api/data/v9.2/WhoAmI")), {}).ok());
  ASSERT_TRUE(transport->send(make("GET", server.url("/api/data/v9.2/WhoAmI")), {}).ok());

  CallContext create;
  create.idempotent = false;
  auto post = make("POST", server.url("/api/data/v9.2/leads"));
  post.body = R"({"lastname":"Once"})";
  post.headers.set("Content-Type", "application/json");
  const auto result = transport->send(post, create);

  ASSERT_FALSE(result.ok()) << result->status;
  EXPECT_EQ(result.error().category, ErrorCategory::unavailable) << result.error().describe();
  const auto received = server.received();
  const auto posts = std::count_if(received.begin(), received.end(),
                                   [](const Request& request) { return request.method == "POST"; });
  EXPECT_EQ(posts, 1) << "the create reached the server more than once";
}

TEST(CpprestTransportTest, ServerThatNeverAnswersTimesOut) {
  ParkedResponses parked;
  RecordingServer server(parked.handler());
  TransportOptions options;
  options.timeout = 300ms;
  const auto transport = make_cpprest_transport(options);
  const auto started = std::chrono::steady_clock::now();

  const auto result = transport->send(make("GET", server.url("/slow")), {});

  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().category, ErrorCategory::timeout) << result.error().describe();
  EXPECT_EQ(result.error().transport_cause, TransportCause::timeout);
  EXPECT_TRUE(result.error().retryable);
  EXPECT_LT(std::chrono::steady_clock::now() - started, hang_guard);
}

TEST(CpprestTransportTest, RequestDeadlineSoonerThanTheTimeoutWins) {
  ParkedResponses parked;
  RecordingServer server(parked.handler());
  const auto transport = make_cpprest_transport({}); // 120 s
  auto request = make("GET", server.url("/slow"));
  request.deadline = std::chrono::steady_clock::now() + 300ms;

  const auto result = transport->send(request, {});

  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().category, ErrorCategory::timeout) << result.error().describe();
  EXPECT_GE(std::chrono::steady_clock::now(), *request.deadline);
  EXPECT_LT(std::chrono::steady_clock::now() - *request.deadline, hang_guard);
}

TEST(CpprestTransportTest, DeadlineAlreadyPassedSendsNothing) {
  RecordingServer server(echo_handler());
  const auto transport = make_cpprest_transport({});
  auto request = make("GET", server.url("/late"));
  request.deadline = std::chrono::steady_clock::now() - 1ms;

  const auto result = transport->send(request, {});

  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().category, ErrorCategory::timeout);
  EXPECT_EQ(result.error().transport_cause, TransportCause::timeout);
  EXPECT_TRUE(server.received().empty());
}

TEST(CpprestTransportTest, CancellingWhileWaitingForTheResponseEndsTheCall) {
  ParkedResponses parked;
  std::latch arrived(1);
  RecordingServer server(parked.handler(&arrived));
  const auto transport = make_cpprest_transport({});
  CancellationSource shutdown;
  CallContext context;
  context.cancel = shutdown.token();

  auto call = std::async(std::launch::async, [&] {
    return transport->send(make("GET", server.url("/slow")), context);
  });
  arrived.wait();
  shutdown.cancel();

  ASSERT_EQ(call.wait_for(hang_guard), std::future_status::ready);
  const auto result = call.get();
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().category, ErrorCategory::cancelled);
  EXPECT_EQ(result.error().transport_cause, TransportCause::none);
}

TEST(CpprestTransportTest, AlreadyCancelledCallSendsNothing) {
  RecordingServer server(echo_handler());
  const auto transport = make_cpprest_transport({});
  CancellationSource shutdown;
  shutdown.cancel();
  CallContext context;
  context.cancel = shutdown.token();

  const auto result = transport->send(make("GET", server.url("/x")), context);

  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().category, ErrorCategory::cancelled);
  EXPECT_TRUE(server.received().empty());
}

TEST(CpprestTransportTest, MalformedUrlOrMethodIsAnInvalidArgument) {
  const auto transport = make_cpprest_transport({});
  const auto bad_url = transport->send(make("GET", "ftp://example.com/file"), {});
  const auto bad_method = transport->send(make("GET /x HTTP/1.1\r\nX:", "http://127.0.0.1:1/"), {});
  ASSERT_FALSE(bad_url.ok());
  EXPECT_EQ(bad_url.error().category, ErrorCategory::invalid_argument);
  ASSERT_FALSE(bad_method.ok());
  EXPECT_EQ(bad_method.error().category, ErrorCategory::invalid_argument);
  EXPECT_NE(bad_method.error().message.find("invalid HTTP method"), std::string::npos);
}

TEST(CpprestTransportTest, TlsToAPlainHttpPortIsDecodedFromOpenSsl) {
  RecordingServer server(echo_handler());
  const auto transport = make_cpprest_transport({});

  const auto result =
      transport->send(make("GET", "https://127.0.0.1:" + std::to_string(server.port()) + "/"), {});

  ASSERT_FALSE(result.ok());
  const auto& message = result.error().message;
  EXPECT_EQ(result.error().category, ErrorCategory::unavailable);
  EXPECT_FALSE(result.error().retryable);
  EXPECT_NE(message.find("wrong version number"), std::string::npos) << message;
  EXPECT_NE(message.find("check https vs http"), std::string::npos) << message;
  EXPECT_EQ(message.find("Unknown error"), std::string::npos) << message;
  EXPECT_EQ(result.error().transport_cause, TransportCause::tls);
}

class CpprestTlsTest : public ::testing::Test {
protected:
  void SetUp() override {
    ca_file_ = std::filesystem::path(::testing::TempDir()) /
               ("leadsync-test-ca-" + std::to_string(::getpid()) + ".pem");
    std::ofstream(ca_file_) << certificate_.certificate_pem;
  }
  void TearDown() override { std::filesystem::remove(ca_file_); }

  std::string url() const { return "https://127.0.0.1:" + std::to_string(server_.port()) + "/"; }

  test::SelfSignedCertificate certificate_ = test::make_self_signed_certificate();
  test::TlsTestServer server_{certificate_};
  std::filesystem::path ca_file_;
};

TEST_F(CpprestTlsTest, UntrustedCertificateSaysHowToTrustIt) {
  const auto transport = make_cpprest_transport({});

  const auto result = transport->send(make("GET", url()), {});

  ASSERT_FALSE(result.ok());
  const auto& message = result.error().message;
  EXPECT_EQ(result.error().category, ErrorCategory::unavailable);
  EXPECT_FALSE(result.error().retryable);
  EXPECT_NE(message.find("certificate verify failed"), std::string::npos) << message;
  EXPECT_NE(message.find("crm.tls.ca_file"), std::string::npos) << message;
  EXPECT_EQ(result.error().transport_cause, TransportCause::tls);
  EXPECT_EQ(result.error().endpoint, "127.0.0.1:" + std::to_string(server_.port()));
}

TEST_F(CpprestTlsTest, CaFileMakesTheCertificateTrusted) {
  TransportOptions options;
  options.ca_file = ca_file_.string();
  const auto transport = make_cpprest_transport(options);

  const auto result = transport->send(make("GET", url()), {});

  ASSERT_TRUE(result.ok()) << result.error().describe();
  EXPECT_EQ(result->status, 200);
  EXPECT_EQ(result->body, test::TlsTestServer::body);
}

TEST_F(CpprestTlsTest, SkippingVerificationWorksAndWarns) {
  const LogCapture log(spdlog::level::warn);
  TransportOptions options;
  options.insecure_skip_verify = true;
  const auto transport = make_cpprest_transport(options);

  const auto result = transport->send(make("GET", url()), {});

  ASSERT_TRUE(result.ok()) << result.error().describe();
  EXPECT_EQ(result->body, test::TlsTestServer::body);
  EXPECT_NE(log.text().find("TLS certificate verification is OFF"), std::string::npos)
      << log.text();
}

TEST_F(CpprestTlsTest, UnreadableCaFileIsAConfigErrorNamingIt) {
  TransportOptions options;
  options.ca_file = "/nonexistent/leadsync-ca.pem";
  const auto transport = make_cpprest_transport(options);

  const auto result = transport->send(make("GET", url()), {});

  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().category, ErrorCategory::config);
  EXPECT_NE(result.error().message.find("/nonexistent/leadsync-ca.pem"), std::string::npos)
      << result.error().message;
}

} // namespace
} // namespace leadsync::http
