// Integration tests of the Beast HttpServer over real loopback sockets. The client is a raw POSIX
// socket so that every byte sent is exactly the one written here, malformed ones included.

#include "leadsync/core/random.hpp"
#include "leadsync/http/server.hpp"

#include <algorithm>
#include <arpa/inet.h>
#include <atomic>
#include <charconv>
#include <condition_variable>
#include <future>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <mutex>
#include <netinet/in.h>
#include <poll.h>
#include <regex>
#include <span>
#include <sys/socket.h>
#include <thread>
#include <unistd.h>

namespace leadsync::http {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

struct RawResponse {
  int status = 0;
  Headers headers;
  std::string body;
};

// The upper bound for "promptly" in the timeout tests: far above the 300 ms read timeout they set,
// because they run in parallel and under sanitizers on shared cores, yet half the shortest default
// timeout (30 s), so a server that fell back to a default would still fail them.
constexpr auto slack_limit = 15000ms;

// A blocking loopback client with deadlines on every read.
class RawClient {
public:
  explicit RawClient(std::uint16_t port) : fd_(::socket(AF_INET, SOCK_STREAM, 0)) {
    if (fd_ < 0) {
      throw std::runtime_error("socket() failed");
    }
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(port);
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd_, reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0) {
      ::close(fd_);
      throw std::runtime_error("connect() to the test server failed");
    }
  }
  RawClient(const RawClient&) = delete;
  RawClient& operator=(const RawClient&) = delete;
  ~RawClient() { close(); }

  void close() {
    if (fd_ >= 0) {
      ::close(fd_);
      fd_ = -1;
    }
  }

  std::uint16_t local_port() const {
    sockaddr_in address{};
    socklen_t length = sizeof address;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&address), &length);
    return ntohs(address.sin_port);
  }

  // False when the server closed the connection before taking every byte.
  bool send(std::string_view bytes) {
    while (!bytes.empty()) {
      const auto sent = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
      if (sent <= 0) {
        return false;
      }
      bytes.remove_prefix(static_cast<std::size_t>(sent));
    }
    return true;
  }

  // One response; nullopt when the connection closed or the deadline passed before it was complete.
  std::optional<RawResponse> read_response(bool head_request = false,
                                           std::chrono::milliseconds timeout = 5000ms) {
    const auto deadline = Clock::now() + timeout;
    std::size_t head_end = 0;
    while ((head_end = pending_.find("\r\n\r\n")) == std::string::npos) {
      if (read_more(deadline) != ReadResult::data) {
        return std::nullopt;
      }
    }
    RawResponse response;
    const std::string head = pending_.substr(0, head_end);
    pending_.erase(0, head_end + 4);
    std::size_t line_end = head.find("\r\n");
    const std::string status_line = head.substr(0, line_end);
    if (status_line.size() < 12 || !status_line.starts_with("HTTP/1.")) {
      throw std::runtime_error("not an HTTP status line: " + status_line);
    }
    std::from_chars(status_line.data() + 9, status_line.data() + 12, response.status);
    while (line_end != std::string::npos) {
      const auto start = line_end + 2;
      line_end = head.find("\r\n", start);
      const std::string line = head.substr(start, line_end - start);
      const auto colon = line.find(':');
      const auto value_start = line.find_first_not_of(' ', colon + 1);
      response.headers.add(line.substr(0, colon),
                           value_start == std::string::npos ? "" : line.substr(value_start));
    }
    const bool bodiless =
        head_request || response.status < 200 || response.status == 204 || response.status == 304;
    if (bodiless) {
      return response;
    }
    const auto length_text = response.headers.get("Content-Length");
    if (!length_text) {
      throw std::runtime_error("response without Content-Length");
    }
    const std::size_t length = std::stoul(*length_text);
    while (pending_.size() < length) {
      if (read_more(deadline) != ReadResult::data) {
        return std::nullopt;
      }
    }
    response.body = pending_.substr(0, length);
    pending_.erase(0, length);
    return response;
  }

  // True when the server closes the connection within the timeout (any bytes before that are
  // discarded).
  bool wait_closed(std::chrono::milliseconds timeout = slack_limit) {
    const auto deadline = Clock::now() + timeout;
    for (;;) {
      switch (read_more(deadline)) {
      case ReadResult::closed:
        return true;
      case ReadResult::timeout:
        return false;
      case ReadResult::data:
        pending_.clear();
        break;
      }
    }
  }

private:
  enum class ReadResult { data, closed, timeout };

  ReadResult read_more(Clock::time_point deadline) {
    const auto remaining =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    if (remaining <= 0ms) {
      return ReadResult::timeout;
    }
    pollfd poll_fd{fd_, POLLIN, 0};
    if (::poll(&poll_fd, 1, static_cast<int>(remaining.count())) == 0) {
      return ReadResult::timeout;
    }
    char chunk[16384];
    const auto received = ::recv(fd_, chunk, sizeof chunk, 0);
    if (received <= 0) {
      return ReadResult::closed; // EOF or reset
    }
    pending_.append(chunk, static_cast<std::size_t>(received));
    return ReadResult::data;
  }

  int fd_;
  std::string pending_;
};

std::string get_request(std::string_view target, std::string_view extra_headers = "") {
  return "GET " + std::string(target) + " HTTP/1.1\r\nHost: 127.0.0.1\r\n" +
         std::string(extra_headers) + "\r\n";
}

std::string post_request(std::string_view target, std::string_view body) {
  return "POST " + std::string(target) +
         " HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: text/plain\r\n" +
         "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + std::string(body);
}

// Answers "<method> <target>\n<body>" and reports the peer in X-Remote.
Handler echo_handler() {
  return sync_handler([](const Request& request) {
    auto response = Response::text(200, request.method + " " + request.url + "\n" + request.body);
    response.headers.set("X-Remote", request.remote_address);
    return response;
  });
}

// Runs delayed Responds on threads the test joins before it ends.
class DelayedResponder {
public:
  ~DelayedResponder() {
    std::lock_guard lock(mutex_);
    for (auto& thread : threads_) {
      thread.join();
    }
  }
  void respond_later(Respond respond, Response response, std::chrono::milliseconds delay) {
    std::lock_guard lock(mutex_);
    threads_.emplace_back(
        [respond = std::move(respond), response = std::move(response), delay]() mutable {
          std::this_thread::sleep_for(delay);
          respond(std::move(response));
        });
  }

private:
  std::mutex mutex_;
  std::vector<std::thread> threads_;
};

class HttpServerTest : public ::testing::Test {
protected:
  std::uint16_t start(Handler handler, ServerOptions options = {}) {
    server_ = make_beast_server(std::move(options));
    return server_->start(std::move(handler)).value();
  }

  // A fresh connection gets a normal answer: the server is still serving.
  void expect_server_still_serves(std::uint16_t port) {
    RawClient client(port);
    ASSERT_TRUE(client.send(get_request("/still-alive")));
    const auto response = client.read_response();
    ASSERT_TRUE(response.has_value()) << "the server stopped answering";
    EXPECT_EQ(response->status, 200);
  }

  std::unique_ptr<HttpServer> server_;
};

TEST_F(HttpServerTest, AnswersAGetWithBodyAndStandardHeaders) {
  const auto port = start(echo_handler());
  RawClient client(port);
  ASSERT_TRUE(client.send(get_request("/api/data/v9.2/leads?$top=1&$filter=name%20eq%20'x'")));
  const auto response = client.read_response();
  ASSERT_TRUE(response.has_value());
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(response->body, "GET /api/data/v9.2/leads?$top=1&$filter=name%20eq%20'x'\n");
  EXPECT_EQ(response->headers.get("Content-Length"), std::to_string(response->body.size()));
  EXPECT_EQ(response->headers.get("Server"), "leadsync");
  EXPECT_EQ(response->headers.get("Content-Type"), "text/plain; charset=utf-8");
  const std::regex imf_fixdate(
      R"((Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d\d (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4} \d\d:\d\d:\d\d GMT)");
  EXPECT_TRUE(std::regex_match(response->headers.get("Date").value_or(""), imf_fixdate))
      << response->headers.get("Date").value_or("<none>");
}

TEST_F(HttpServerTest, StartReturnsTheBoundPortAndReportsItAfterwards) {
  server_ = make_beast_server({});
  EXPECT_EQ(server_->port(), 0);
  const auto port = server_->start(echo_handler());
  ASSERT_TRUE(port.ok()) << port.error().describe();
  EXPECT_NE(*port, 0);
  EXPECT_EQ(server_->port(), *port);
}

TEST_F(HttpServerTest, FillsTheRemoteAddressWithThePeersAddressAndPort) {
  const auto port = start(echo_handler());
  RawClient client(port);
  ASSERT_TRUE(client.send(get_request("/")));
  const auto response = client.read_response();
  ASSERT_TRUE(response.has_value());
  EXPECT_EQ(response->headers.get("X-Remote"), "127.0.0.1:" + std::to_string(client.local_port()));
}

TEST_F(HttpServerTest, PassesAPostBodyAndHeadersToTheHandler) {
  const auto port = start(sync_handler([](const Request& request) {
    return Response::text(201, request.headers.get("content-type").value_or("none") + "|" +
                                   request.body);
  }));
  RawClient client(port);
  ASSERT_TRUE(client.send(post_request("/leads", "{\"lastname\":\"Smith\"}")));
  const auto response = client.read_response();
  ASSERT_TRUE(response.has_value());
  EXPECT_EQ(response->status, 201);
  EXPECT_EQ(response->body, "text/plain|{\"lastname\":\"Smith\"}");
}

TEST_F(HttpServerTest, DecodesAChunkedRequestBody) {
  const auto port = start(echo_handler());
  RawClient client(port);
  ASSERT_TRUE(client.send("POST /c HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                          "5\r\nhello\r\n6;ext=1\r\n world\r\n0\r\n\r\n"));
  const auto response = client.read_response();
  ASSERT_TRUE(response.has_value());
  EXPECT_EQ(response->body, "POST /c\nhello world");
}

TEST_F(HttpServerTest, AnswersExpectContinueBeforeReadingTheBody) {
  const auto port = start(echo_handler());
  RawClient client(port);
  ASSERT_TRUE(client.send(
      "POST /big HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 4\r\n\r\n"));
  const auto interim = client.read_response();
  ASSERT_TRUE(interim.has_value());
  EXPECT_EQ(interim->status, 100);
  ASSERT_TRUE(client.send("data"));
  const auto response = client.read_response();
  ASSERT_TRUE(response.has_value());
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(response->body, "POST /big\ndata");
}

TEST_F(HttpServerTest, KeepsAConnectionAliveForThreeRequests) {
  std::atomic<int> served{0};
  const auto port = start(sync_handler([&](const Request& request) {
    ++served;
    return Response::text(200, request.url + " from " + request.remote_address);
  }));
  RawClient client(port);
  const std::string peer = "127.0.0.1:" + std::to_string(client.local_port());
  for (int i = 1; i <= 3; ++i) {
    ASSERT_TRUE(client.send(get_request("/r" + std::to_string(i)))) << "request " << i;
    const auto response = client.read_response();
    ASSERT_TRUE(response.has_value()) << "request " << i;
    EXPECT_EQ(response->body, "/r" + std::to_string(i) + " from " + peer);
    EXPECT_FALSE(response->headers.has("Connection")) << "request " << i;
  }
  EXPECT_EQ(served.load(), 3);
}

TEST_F(HttpServerTest, AnswersPipelinedRequestsInOrderEvenWhenALaterOneIsFaster) {
  DelayedResponder responder;
  const auto port = start([&](const Request& request, Respond respond) {
    const auto delay = request.url == "/1" ? 200ms : 0ms;
    responder.respond_later(std::move(respond), Response::text(200, request.url), delay);
  });
  RawClient client(port);
  ASSERT_TRUE(client.send(get_request("/1") + get_request("/2") + get_request("/3")));
  for (const std::string expected : {"/1", "/2", "/3"}) {
    const auto response = client.read_response();
    ASSERT_TRUE(response.has_value()) << expected;
    EXPECT_EQ(response->body, expected);
  }
}

TEST_F(HttpServerTest, ClosesAfterAnsweringConnectionClose) {
  const auto port = start(echo_handler());
  RawClient client(port);
  ASSERT_TRUE(client.send(get_request("/bye", "Connection: close\r\n")));
  const auto response = client.read_response();
  ASSERT_TRUE(response.has_value());
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(response->headers.get("Connection"), "close");
  EXPECT_TRUE(client.wait_closed());
}

TEST_F(HttpServerTest, ClosesAfterAnsweringHttp10) {
  const auto port = start(echo_handler());
  RawClient client(port);
  ASSERT_TRUE(client.send("GET /old HTTP/1.0\r\n\r\n"));
  const auto response = client.read_response();
  ASSERT_TRUE(response.has_value());
  EXPECT_EQ(response->body, "GET /old\n");
  EXPECT_TRUE(client.wait_closed());
}

TEST_F(HttpServerTest, ClosesWhenTheHandlerAsksForConnectionClose) {
  const auto port = start(sync_handler([](const Request&) {
    auto response = Response::text(200, "last");
    response.headers.set("Connection", "close");
    return response;
  }));
  RawClient client(port);
  ASSERT_TRUE(client.send(get_request("/")));
  const auto response = client.read_response();
  ASSERT_TRUE(response.has_value());
  EXPECT_EQ(response->headers.get("Connection"), "close");
  EXPECT_TRUE(client.wait_closed());
}

TEST_F(HttpServerTest, DropsTheConnectionWithoutAnAnswerWhenTheHandlerAborts) {
  const auto port = start(sync_handler([](const Request& request) {
    if (request.url == "/drop") {
      Response response;
      response.abort_connection = true;
      return response;
    }
    return Response::text(200, "ok");
  }));
  RawClient client(port);
  ASSERT_TRUE(client.send(get_request("/drop")));
  EXPECT_FALSE(client.read_response().has_value()) << "an aborted request must get no response";
  EXPECT_TRUE(client.wait_closed());
  expect_server_still_serves(port);
}

TEST_F(HttpServerTest, AnswersHeadWithTheContentLengthButNoBody) {
  const auto port =
      start(sync_handler([](const Request&) { return Response::text(200, "hello"); }));
  RawClient client(port);
  ASSERT_TRUE(client.send("HEAD /x HTTP/1.1\r\nHost: x\r\n\r\n"));
  const auto head = client.read_response(true);
  ASSERT_TRUE(head.has_value());
  EXPECT_EQ(head->headers.get("Content-Length"), "5");
  // Had the body been sent, it would be read here as the next status line.
  ASSERT_TRUE(client.send(get_request("/x")));
  const auto get = client.read_response();
  ASSERT_TRUE(get.has_value());
  EXPECT_EQ(get->body, "hello");
}

TEST_F(HttpServerTest, SendsNoContentLengthOrBodyWith204) {
  const auto port = start(sync_handler([](const Request& request) {
    return request.url == "/none" ? Response::text(204, "ignored") : Response::text(200, "next");
  }));
  RawClient client(port);
  ASSERT_TRUE(client.send(get_request("/none")));
  const auto none = client.read_response();
  ASSERT_TRUE(none.has_value());
  EXPECT_EQ(none->status, 204);
  EXPECT_FALSE(none->headers.has("Content-Length"));
  ASSERT_TRUE(client.send(get_request("/next")));
  const auto next = client.read_response();
  ASSERT_TRUE(next.has_value());
  EXPECT_EQ(next->body, "next");
}

TEST_F(HttpServerTest, FramesTheBodyItselfWhateverContentLengthTheHandlerSet) {
  const auto port = start(sync_handler([](const Request&) {
    auto response = Response::text(200, "abc");
    response.headers.set("Content-Length", "999");
    response.headers.set("Server", "emulator");
    return response;
  }));
  RawClient client(port);
  ASSERT_TRUE(client.send(get_request("/a") + get_request("/b")));
  for (int i = 0; i < 2; ++i) {
    const auto response = client.read_response();
    ASSERT_TRUE(response.has_value()) << i;
    EXPECT_EQ(response->headers.get("Content-Length"), "3");
    EXPECT_EQ(response->headers.get("Server"), "emulator");
    EXPECT_EQ(response->body, "abc");
  }
}

TEST_F(HttpServerTest, ServesFiftyConcurrentConnectionsOfTwentyRequestsEach) {
  const auto port = start(echo_handler(), ServerOptions{.threads = 2});
  constexpr int connections = 50;
  constexpr int requests = 20;
  std::atomic<int> answered{0};
  std::vector<std::thread> clients;
  for (int c = 0; c < connections; ++c) {
    clients.emplace_back([&, c] {
      RawClient client(port);
      for (int r = 0; r < requests; ++r) {
        const std::string body = "c" + std::to_string(c) + "r" + std::to_string(r);
        if (!client.send(post_request("/load", body))) {
          return;
        }
        const auto response = client.read_response();
        if (!response || response->status != 200 || response->body != "POST /load\n" + body) {
          return;
        }
        ++answered;
      }
    });
  }
  for (auto& client : clients) {
    client.join();
  }
  EXPECT_EQ(answered.load(), connections * requests);
}

TEST_F(HttpServerTest, AcceptsARespondCalledLaterFromAnotherThread) {
  DelayedResponder responder;
  const auto port = start([&](const Request& request, Respond respond) {
    responder.respond_later(std::move(respond), Response::text(202, "later " + request.url), 100ms);
  });
  RawClient client(port);
  const auto sent = Clock::now();
  ASSERT_TRUE(client.send(get_request("/slow")));
  const auto response = client.read_response();
  ASSERT_TRUE(response.has_value());
  EXPECT_GE(Clock::now() - sent, 100ms);
  EXPECT_EQ(response->status, 202);
  EXPECT_EQ(response->body, "later /slow");
}

TEST_F(HttpServerTest, APendingRespondDoesNotHoldTheOnlyServerThread) {
  // The slow request is answered only after the fast one has been: an order, not a race against a
  // delay, so a loaded machine cannot make it fail and a held thread cannot make it pass.
  std::promise<Respond> slow_pending;
  const auto port = start(
      [&](const Request& request, Respond respond) {
        if (request.url == "/slow") {
          slow_pending.set_value(std::move(respond));
        } else {
          respond(Response::text(200, request.url));
        }
      },
      ServerOptions{.threads = 1});
  RawClient slow(port);
  ASSERT_TRUE(slow.send(get_request("/slow")));
  auto slow_respond = slow_pending.get_future();
  ASSERT_EQ(slow_respond.wait_for(10s), std::future_status::ready);
  RawClient fast(port);
  ASSERT_TRUE(fast.send(get_request("/fast")));
  const auto fast_response = fast.read_response(false, 10000ms);
  ASSERT_TRUE(fast_response.has_value()) << "the fast request waited for the slow one";
  EXPECT_EQ(fast_response->body, "/fast");
  slow_respond.get()(Response::text(200, "/slow"));
  const auto slow_response = slow.read_response();
  ASSERT_TRUE(slow_response.has_value());
  EXPECT_EQ(slow_response->body, "/slow");
}

TEST_F(HttpServerTest, ARespondAfterTheClientLeftIsHarmless) {
  std::promise<Respond> pending;
  const auto port = start([&](const Request& request, Respond respond) {
    if (request.url == "/abandoned") {
      pending.set_value(std::move(respond));
    } else {
      respond(Response::text(200, "ok"));
    }
  });
  auto respond_future = pending.get_future();
  {
    RawClient client(port);
    ASSERT_TRUE(client.send(get_request("/abandoned")));
    ASSERT_EQ(respond_future.wait_for(5s), std::future_status::ready);
  }
  respond_future.get()(Response::text(200, std::string(std::size_t{256} * 1024, 'x')));
  expect_server_still_serves(port);
}

TEST_F(HttpServerTest, ARespondAfterStopOrDestructionIsHarmless) {
  std::mutex mutex;
  std::condition_variable arrived;
  std::vector<Respond> pending;
  const auto port = start([&](const Request&, Respond respond) {
    std::lock_guard lock(mutex);
    pending.push_back(std::move(respond));
    arrived.notify_all();
  });
  RawClient first(port);
  RawClient second(port);
  ASSERT_TRUE(first.send(get_request("/1")));
  ASSERT_TRUE(second.send(get_request("/2")));
  std::unique_lock lock(mutex);
  ASSERT_TRUE(arrived.wait_for(lock, 5s, [&] { return pending.size() == 2; }));
  server_->stop();
  pending[0](Response::text(200, "after stop"));
  server_.reset();
  pending[1](Response::text(200, "after destruction"));
  EXPECT_TRUE(first.wait_closed());
  EXPECT_TRUE(second.wait_closed());
}

TEST_F(HttpServerTest, AnswersAThrowingHandlerWith500AndKeepsServing) {
  const auto port = start(sync_handler([](const Request& request) -> Response {
    if (request.url == "/throw") {
      throw std::runtime_error("handler bug");
    }
    return Response::text(200, "fine");
  }));
  RawClient client(port);
  ASSERT_TRUE(client.send(get_request("/throw")));
  const auto failed = client.read_response();
  ASSERT_TRUE(failed.has_value());
  EXPECT_EQ(failed->status, 500);
  ASSERT_TRUE(client.send(get_request("/ok")));
  const auto next = client.read_response();
  ASSERT_TRUE(next.has_value());
  EXPECT_EQ(next->body, "fine");
  expect_server_still_serves(port);
}

TEST_F(HttpServerTest, AnswersAThrowOfANonStandardExceptionWith500) {
  const auto port = start([](const Request&, const Respond&) { throw 42; });
  RawClient client(port);
  ASSERT_TRUE(client.send(get_request("/")));
  const auto response = client.read_response();
  ASSERT_TRUE(response.has_value());
  EXPECT_EQ(response->status, 500);
}

TEST_F(HttpServerTest, KeepsTheAnswerGivenBeforeAHandlerThrew) {
  const auto port = start([](const Request&, const Respond& respond) {
    respond(Response::text(200, "answered"));
    throw std::runtime_error("after answering");
  });
  RawClient client(port);
  ASSERT_TRUE(client.send(get_request("/")));
  const auto response = client.read_response();
  ASSERT_TRUE(response.has_value());
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(response->body, "answered");
}

TEST_F(HttpServerTest, AnswersADroppedRespondWith500) {
  const auto port = start([](const Request&, const Respond&) {});
  RawClient client(port);
  ASSERT_TRUE(client.send(get_request("/forgotten")));
  const auto response = client.read_response();
  ASSERT_TRUE(response.has_value());
  EXPECT_EQ(response->status, 500);
}

TEST_F(HttpServerTest, IgnoresASecondRespondForTheSameRequest) {
  const auto port = start([](const Request& request, const Respond& respond) {
    respond(Response::text(200, "first " + request.url));
    respond(Response::text(200, "second " + request.url));
  });
  RawClient client(port);
  ASSERT_TRUE(client.send(get_request("/a")));
  const auto a = client.read_response();
  ASSERT_TRUE(a.has_value());
  EXPECT_EQ(a->body, "first /a");
  ASSERT_TRUE(client.send(get_request("/b")));
  const auto b = client.read_response();
  ASSERT_TRUE(b.has_value());
  EXPECT_EQ(b->body, "first /b");
}

TEST_F(HttpServerTest, AnswersAResponseHeaderWithALineBreakWith500) {
  const auto port = start(sync_handler([](const Request&) {
    auto response = Response::text(200, "split");
    response.headers.set("X-Injected", "a\r\nSet-Cookie: evil=1");
    return response;
  }));
  RawClient client(port);
  ASSERT_TRUE(client.send(get_request("/")));
  const auto response = client.read_response();
  ASSERT_TRUE(response.has_value());
  EXPECT_EQ(response->status, 500);
  EXPECT_FALSE(response->headers.has("Set-Cookie"));
}

TEST_F(HttpServerTest, AnswersAnUnsendableStatusWith500) {
  const auto port = start(sync_handler([](const Request&) { return Response::text(99, "odd"); }));
  RawClient client(port);
  ASSERT_TRUE(client.send(get_request("/")));
  const auto response = client.read_response();
  ASSERT_TRUE(response.has_value());
  EXPECT_EQ(response->status, 500);
}

TEST_F(HttpServerTest, RefusesStopFromAHandlerInsteadOfDeadlocking) {
  const auto port = start(sync_handler([this](const Request&) {
    server_->stop();
    return Response::text(200, "stopped");
  }));
  RawClient client(port);
  ASSERT_TRUE(client.send(get_request("/")));
  const auto response = client.read_response();
  ASSERT_TRUE(response.has_value());
  EXPECT_EQ(response->status, 500);
}

// Malformed input: each case ends within ~2 s in one of its accepted outcomes (an error status, or
// closed without an answer), the connection is closed, and a new connection is still served.
constexpr int closed_without_answer = 0; // closed without an answer

struct MalformedCase {
  std::string name;
  std::string bytes;
  std::vector<int> accepted; // the outcomes that pass
};

// NOLINTNEXTLINE(readability-identifier-naming): the name GoogleTest looks for
void PrintTo(const MalformedCase& malformed, std::ostream* out) {
  *out << malformed.name;
}

ServerOptions strict_options() {
  ServerOptions options;
  options.read_timeout = 300ms;
  options.body_limit = 1024;
  return options;
}

std::string seeded_garbage(std::size_t size) {
  SeededRandom random(20240601);
  std::string bytes(size, '\0');
  random.fill(std::span(reinterpret_cast<std::uint8_t*>(bytes.data()), bytes.size()));
  return bytes;
}

std::string without_line_breaks(std::string bytes) {
  std::replace(bytes.begin(), bytes.end(), '\n', 'n');
  std::replace(bytes.begin(), bytes.end(), '\r', 'r');
  return bytes;
}

std::vector<MalformedCase> malformed_cases() {
  const std::string huge_header =
      "GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(std::size_t{100} * 1024, 'a') +
      "\r\n\r\n";
  return {
      {"NegativeContentLength",
       "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: -5\r\n\r\nabc",
       {400}},
      {"NonNumericContentLength",
       "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\nabc",
       {400}},
      {"ShortBodyThenSilence",
       "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nabc",
       {closed_without_answer}},
      {"HeaderOf100KiB", huge_header, {431}},
      {"BodyOverTheLimit",
       "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 4096\r\n\r\n" + std::string(4096, 'b'),
       {413}},
      {"ChunkedBodyOverTheLimit",
       "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n800\r\n" +
           std::string(2048, 'b') + "\r\n0\r\n\r\n",
       {413}},
      {"RandomGarbage", seeded_garbage(512) + "\r\n\r\n", {400, closed_without_answer}},
      {"RandomGarbageWithoutLineEnd",
       without_line_breaks(seeded_garbage(512)),
       {400, closed_without_answer}},
      {"IncompleteRequestLineThenSilence", "GET /inde", {closed_without_answer}},
      {"BadChunkSize",
       "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n",
       {400}},
      {"ContentLengthAndChunked",
       "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n"
       "5\r\nhello\r\n0\r\n\r\n",
       {400}},
      {"ChunkedThenContentLength",
       "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n"
       "5\r\nhello\r\n0\r\n\r\n",
       {400}},
      {"UnsupportedTransferEncoding",
       "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\nxxxx",
       {400}},
      {"ConflictingContentLengths",
       "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd",
       {400}},
      {"HeaderLineWithoutColon", "GET / HTTP/1.1\r\nHost x\r\n\r\n", {400}},
      {"SpaceInTarget", "GET /a b HTTP/1.1\r\nHost: x\r\n\r\n", {400}},
      {"UnsupportedHttpVersion", "GET / HTTP/2.0\r\nHost: x\r\n\r\n", {400}},
  };
}

class HttpServerMalformedTest : public HttpServerTest,
                                public ::testing::WithParamInterface<MalformedCase> {};

TEST_P(HttpServerMalformedTest, IsRejectedOrClosedAndTheServerKeepsServing) {
  const auto port = start(echo_handler(), strict_options());
  {
    RawClient client(port);
    const auto started = Clock::now();
    client.send(GetParam().bytes); // the server may close before taking every byte
    const auto response = client.read_response(false, slack_limit);
    const int outcome = response ? response->status : closed_without_answer;
    EXPECT_THAT(GetParam().accepted, ::testing::Contains(outcome))
        << (response ? response->body : std::string("closed without an answer"));
    if (response) {
      EXPECT_EQ(response->headers.get("Connection"), "close");
    }
    EXPECT_TRUE(client.wait_closed(slack_limit));
    EXPECT_LT(Clock::now() - started, slack_limit);
  }
  expect_server_still_serves(port);
}

INSTANTIATE_TEST_SUITE_P(Inputs, HttpServerMalformedTest, ::testing::ValuesIn(malformed_cases()),
                         [](const ::testing::TestParamInfo<MalformedCase>& info) {
                           return info.param.name;
                         });

TEST_F(HttpServerTest, ClosesAnIncompleteRequestOnlyAfterTheReadTimeout) {
  const auto port = start(echo_handler(), strict_options());
  RawClient client(port);
  const auto started = Clock::now();
  ASSERT_TRUE(client.send("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nabc"));
  EXPECT_TRUE(client.wait_closed(slack_limit));
  EXPECT_GE(Clock::now() - started, 290ms);
}

TEST_F(HttpServerTest, ClosesAConnectionThatSendsNothingAfterTheReadTimeout) {
  const auto port = start(echo_handler(), strict_options());
  RawClient client(port);
  const auto started = Clock::now();
  EXPECT_TRUE(client.wait_closed(slack_limit));
  EXPECT_GE(Clock::now() - started, 290ms);
}

TEST_F(HttpServerTest, ClosesAnIdleKeptAliveConnectionAfterTheIdleTimeout) {
  ServerOptions options;
  options.idle_timeout = 300ms;
  const auto port = start(echo_handler(), options);
  RawClient client(port);
  ASSERT_TRUE(client.send(get_request("/")));
  ASSERT_TRUE(client.read_response().has_value());
  const auto answered = Clock::now();
  EXPECT_TRUE(client.wait_closed(slack_limit));
  EXPECT_GE(Clock::now() - answered, 290ms);
}

TEST_F(HttpServerTest, GivesASlowSenderTheReadTimeoutFromItsFirstByteAfterIdling) {
  ServerOptions options;
  options.idle_timeout = 2000ms;
  options.read_timeout = 300ms;
  const auto port = start(echo_handler(), options);
  RawClient client(port);
  ASSERT_TRUE(client.send(get_request("/first")));
  ASSERT_TRUE(client.read_response().has_value());
  std::this_thread::sleep_for(
      500ms); // idle, longer than the read timeout but within the idle timeout
  ASSERT_TRUE(client.send("GET /second HTTP/1.1\r\n"));
  const auto started = Clock::now();
  EXPECT_TRUE(client.wait_closed(slack_limit));
  EXPECT_GE(Clock::now() - started, 250ms);
}

TEST_F(HttpServerTest, StopsPromptlyWithIdleBusyAndFreshConnections) {
  std::promise<Respond> pending;
  const auto port = start([&](const Request& request, Respond respond) {
    if (request.url == "/pending") {
      pending.set_value(std::move(respond));
    } else {
      respond(Response::text(200, "ok"));
    }
  });
  std::vector<std::unique_ptr<RawClient>> clients;
  for (int i = 0; i < 3; ++i) {
    auto& client = clients.emplace_back(std::make_unique<RawClient>(port));
    ASSERT_TRUE(client->send(get_request("/idle")));
    ASSERT_TRUE(client->read_response().has_value());
  }
  clients.emplace_back(std::make_unique<RawClient>(port));
  auto& busy = clients.emplace_back(std::make_unique<RawClient>(port));
  ASSERT_TRUE(busy->send(get_request("/pending")));
  auto respond_future = pending.get_future();
  ASSERT_EQ(respond_future.wait_for(5s), std::future_status::ready);

  // Promptly: without waiting for the pending answer or the idle connections' 60 s timeout.
  const auto started = Clock::now();
  server_->stop();
  EXPECT_LT(Clock::now() - started, slack_limit);
  for (auto& client : clients) {
    EXPECT_TRUE(client->wait_closed(slack_limit));
  }
  server_->stop(); // idempotent
  EXPECT_THROW(RawClient{port}, std::runtime_error);
}

TEST_F(HttpServerTest, RejectsConnectionsOverTheLimitAndAcceptsAgainWhenOneCloses) {
  ServerOptions options;
  options.max_connections = 2;
  const auto port = start(echo_handler(), options);
  auto first = std::make_unique<RawClient>(port);
  RawClient second(port);
  for (RawClient* client : {first.get(), &second}) {
    ASSERT_TRUE(client->send(get_request("/held")));
    ASSERT_TRUE(client->read_response().has_value());
  }
  {
    RawClient third(port);
    third.send(get_request("/over"));
    const auto response = third.read_response(false, 2000ms);
    if (response.has_value()) {
      EXPECT_EQ(response->status, 503);
    }
    EXPECT_TRUE(third.wait_closed());
  }
  first.reset();
  bool served = false;
  for (const auto deadline = Clock::now() + slack_limit; !served && Clock::now() < deadline;) {
    RawClient retry(port);
    retry.send(get_request("/again"));
    const auto response = retry.read_response(false, 1000ms);
    served = response.has_value() && response->status == 200;
  }
  EXPECT_TRUE(served) << "a slot was not freed after a client left";
}

TEST(HttpServerStart, FailsWhenThePortIsTaken) {
  auto first = make_beast_server({});
  const auto port = first->start(echo_handler());
  ASSERT_TRUE(port.ok()) << port.error().describe();
  auto second = make_beast_server(ServerOptions{.port = *port});
  const auto result = second->start(echo_handler());
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().category, ErrorCategory::unavailable);
  EXPECT_NE(result.error().message.find("cannot listen on 127.0.0.1:" + std::to_string(*port)),
            std::string::npos)
      << result.error().message;
  EXPECT_NE(result.error().message.find("choose another"), std::string::npos)
      << result.error().message;
}

TEST(HttpServerStart, FailsOnAnAddressThatIsNotAnIp) {
  auto server = make_beast_server(ServerOptions{.address = "leads.example"});
  const auto result = server->start(echo_handler());
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().category, ErrorCategory::invalid_argument);
  EXPECT_NE(result.error().message.find("'leads.example' is not an IP address"), std::string::npos)
      << result.error().message;
}

TEST(HttpServerStart, AcceptsLocalhostAsTheLoopbackAddress) {
  auto server = make_beast_server(ServerOptions{.address = "localhost"});
  const auto port = server->start(echo_handler());
  ASSERT_TRUE(port.ok()) << port.error().describe();
  RawClient client(*port);
  ASSERT_TRUE(client.send(get_request("/")));
  const auto response = client.read_response();
  ASSERT_TRUE(response.has_value());
  EXPECT_EQ(response->status, 200);
}

TEST(HttpServerStart, FailsWithoutAHandler) {
  auto server = make_beast_server({});
  const auto result = server->start(Handler{});
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().category, ErrorCategory::invalid_argument);
}

TEST(HttpServerStart, FailsOnZeroThreadsOrConnectionsOrANonPositiveTimeout) {
  for (const auto& options :
       {ServerOptions{.threads = 0}, ServerOptions{.max_connections = 0},
        ServerOptions{.read_timeout = 0ms}, ServerOptions{.idle_timeout = -1ms}}) {
    auto server = make_beast_server(options);
    const auto result = server->start(echo_handler());
    ASSERT_FALSE(result.ok());
    EXPECT_EQ(result.error().category, ErrorCategory::invalid_argument) << result.error().message;
  }
}

TEST(HttpServerStart, FailsWhenStartedTwiceOrAfterStop) {
  auto server = make_beast_server({});
  ASSERT_TRUE(server->start(echo_handler()).ok());
  const auto again = server->start(echo_handler());
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().category, ErrorCategory::invalid_argument);

  auto stopped = make_beast_server({});
  stopped->stop();
  const auto after_stop = stopped->start(echo_handler());
  ASSERT_FALSE(after_stop.ok());
  EXPECT_EQ(after_stop.error().category, ErrorCategory::invalid_argument);
}

} // namespace
} // namespace leadsync::http
