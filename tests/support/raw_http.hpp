#pragma once
// A deliberately small HTTP/1.1 client on POSIX sockets for tests and benchmarks that must send
// exact bytes (malformed requests) or measure a server without a client library in the way.
// Loopback only.

#include <arpa/inet.h>
#include <chrono>
#include <cstdint>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <optional>
#include <poll.h>
#include <string>
#include <sys/socket.h>
#include <unistd.h>

namespace leadsync::testing {

class RawConnection {
public:
  explicit RawConnection(std::uint16_t port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(port);
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
      ::close(fd_);
      fd_ = -1;
    }
    int one = 1;
    if (fd_ >= 0) {
      ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    }
  }
  RawConnection(const RawConnection&) = delete;
  RawConnection& operator=(const RawConnection&) = delete;
  ~RawConnection() {
    if (fd_ >= 0) {
      ::close(fd_);
    }
  }

  bool connected() const { return fd_ >= 0; }

  bool send(const std::string& bytes) {
    std::size_t sent = 0;
    while (sent < bytes.size()) {
      const auto n = ::send(fd_, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
      if (n <= 0) {
        return false;
      }
      sent += static_cast<std::size_t>(n);
    }
    return true;
  }

  // Reads one response (headers + Content-Length body). nullopt when the peer closed or the wait
  // ran out.
  std::optional<std::string> read_response(std::chrono::milliseconds wait) {
    const auto deadline = std::chrono::steady_clock::now() + wait;
    while (true) {
      const auto header_end = buffer_.find("\r\n\r\n");
      if (header_end != std::string::npos) {
        const std::size_t body_length = content_length(buffer_.substr(0, header_end));
        const std::size_t total = header_end + 4 + body_length;
        if (buffer_.size() >= total) {
          std::string response = buffer_.substr(0, total);
          buffer_.erase(0, total);
          return response;
        }
      }
      if (!fill(deadline)) {
        return std::nullopt;
      }
    }
  }

  // True when the server closed the connection (EOF or reset) before the wait ran out.
  bool closed_by_peer(std::chrono::milliseconds wait) {
    const auto deadline = std::chrono::steady_clock::now() + wait;
    while (true) {
      char chunk[4096];
      const auto remaining = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      if (remaining.count() <= 0) {
        return false;
      }
      pollfd descriptor{fd_, POLLIN, 0};
      if (::poll(&descriptor, 1, static_cast<int>(remaining.count())) <= 0) {
        return false;
      }
      const auto n = ::recv(fd_, chunk, sizeof chunk, 0);
      if (n <= 0) {
        return true;
      }
      buffer_.append(chunk, static_cast<std::size_t>(n));
    }
  }

  static int status_of(const std::string& response) {
    // "HTTP/1.1 200 OK"
    if (response.size() < 12 || response.compare(0, 5, "HTTP/") != 0) {
      return 0;
    }
    return std::stoi(response.substr(9, 3));
  }

private:
  static std::size_t content_length(const std::string& headers) {
    std::string lower;
    lower.reserve(headers.size());
    for (char c : headers) {
      lower.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
    }
    const auto at = lower.find("\r\ncontent-length:");
    if (at == std::string::npos) {
      return 0;
    }
    return static_cast<std::size_t>(std::stoull(lower.substr(at + 17)));
  }

  bool fill(std::chrono::steady_clock::time_point deadline) {
    const auto remaining = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (remaining.count() <= 0) {
      return false;
    }
    pollfd descriptor{fd_, POLLIN, 0};
    if (::poll(&descriptor, 1, static_cast<int>(remaining.count())) <= 0) {
      return false;
    }
    char chunk[16384];
    const auto n = ::recv(fd_, chunk, sizeof chunk, 0);
    if (n <= 0) {
      return false;
    }
    buffer_.append(chunk, static_cast<std::size_t>(n));
    return true;
  }

  int fd_ = -1;
  std::string buffer_;
};

} // namespace leadsync::testing
