// Fault suite, inputs (issue 18): an HTTP response that never ends. Before the cap an endless
// body grew the process to 3.2 GB. Its own executable, so the peak RSS measured is this case's.

#include "leadsync/http/cpprest_transport.hpp"

#include <arpa/inet.h>
#include <atomic>
#include <chrono>
#include <fstream>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <string>
#include <sys/socket.h>
#include <thread>
#include <unistd.h>

namespace leadsync::http {
namespace {

// A loopback server (port 0) that answers every connection with a chunked 200 whose chunks never
// stop, as fast as the client reads, until the client goes away or the test ends.
class EndlessServer {
public:
  EndlessServer() : listener_(::socket(AF_INET, SOCK_STREAM, 0)) {
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    address.sin_port = 0;
    const int yes = 1;
    ::setsockopt(listener_, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
    if (::bind(listener_, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
        ::listen(listener_, 8) != 0) {
      throw std::runtime_error("cannot listen on loopback");
    }
    socklen_t length = sizeof address;
    ::getsockname(listener_, reinterpret_cast<sockaddr*>(&address), &length);
    port_ = ntohs(address.sin_port);
    thread_ = std::thread([this] { serve(); });
  }
  EndlessServer(const EndlessServer&) = delete;
  EndlessServer& operator=(const EndlessServer&) = delete;
  ~EndlessServer() {
    stop_ = true;
    ::shutdown(listener_, SHUT_RDWR);
    ::close(listener_);
    thread_.join();
  }

  [[nodiscard]] std::uint16_t port() const { return port_; }
  [[nodiscard]] std::uint64_t bytes_sent() const { return sent_.load(); }

private:
  void serve() {
    const int connection = ::accept(listener_, nullptr, nullptr);
    if (connection < 0) {
      return;
    }
    // The request head: read until its blank line.
    std::string head;
    char buffer[4096];
    while (head.find("\r\n\r\n") == std::string::npos) {
      const auto got = ::recv(connection, buffer, sizeof buffer, 0);
      if (got <= 0) {
        ::close(connection);
        return;
      }
      head.append(buffer, static_cast<std::size_t>(got));
    }
    const std::string start = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                              "Transfer-Encoding: chunked\r\n\r\n";
    const std::string payload(std::size_t{64} * 1024, ' ');
    const std::string chunk = "10000\r\n" + payload + "\r\n"; // 0x10000 = 64 KiB
    bool open = ::send(connection, start.data(), start.size(), MSG_NOSIGNAL) > 0;
    while (open && !stop_) {
      std::size_t done = 0;
      while (done < chunk.size()) {
        const auto wrote =
            ::send(connection, chunk.data() + done, chunk.size() - done, MSG_NOSIGNAL);
        if (wrote <= 0) {
          open = false;
          break;
        }
        done += static_cast<std::size_t>(wrote);
        sent_ += static_cast<std::uint64_t>(wrote);
      }
    }
    ::close(connection);
  }

  int listener_;
  std::uint16_t port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<std::uint64_t> sent_{0};
  std::thread thread_;
};

long peak_rss_kib() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmHWM:", 0) == 0) {
      return std::stol(line.substr(6));
    }
  }
  return -1;
}

// Promise: an endless response body is refused at the cap (the default 64 MB) with a protocol
// error that is not retried and names the limit and the URL's host and path; the call returns,
// reading stops there, and the process's peak memory stays within the cap plus its start-up size
// (measured: the server sent about as much as the cap, not gigabytes).
TEST(EndlessResponseTest, AnEndlessBodyIsRefusedAtTheCapAndMemoryStaysBounded) {
  EndlessServer server;
  TransportOptions options;
  options.timeout = std::chrono::seconds(60);
  const auto transport = make_cpprest_transport(options);
  Request request;
  request.method = "GET";
  request.url = "http://127.0.0.1:" + std::to_string(server.port()) + "/api/data/v9.2/leads";
  const auto started = std::chrono::steady_clock::now();
  const auto response = transport->send(request, CallContext{});
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  const long peak = peak_rss_kib();
  std::cout << "[figures] endless response: refused after " << seconds << " s, "
            << server.bytes_sent() / (std::uint64_t{1} << 20) << " MiB sent, peak RSS " << peak
            << " KiB\n";
  RecordProperty("refused_ms", static_cast<int>(seconds * 1000));
  RecordProperty("peak_rss_kib", static_cast<int>(peak));

  ASSERT_FALSE(response.ok());
  EXPECT_EQ(response.error().category, ErrorCategory::protocol) << response.error().describe();
  EXPECT_FALSE(response.error().retryable);
  EXPECT_NE(response.error().message.find("64 MB limit"), std::string::npos)
      << response.error().message;
  EXPECT_NE(response.error().message.find("127.0.0.1/api/data/v9.2/leads"), std::string::npos)
      << response.error().message;
  // The cap, the copy handed over in a refused response's place (none) and about 60 MB of start-up
  // and slack: far below the gigabytes an unbounded read reaches in the same seconds.
  EXPECT_LT(peak, 200L * 1024) << "peak RSS in KiB";
  // Reading stopped at the cap: what the socket buffers hold beyond it is small.
  EXPECT_LT(server.bytes_sent(), std::uint64_t{96} << 20);
  EXPECT_LT(seconds, 30.0);
}

} // namespace
} // namespace leadsync::http
