#pragma once
// Loopback TCP ports for tests that cannot use port 0 directly: a port free right now (for a
// process that must listen again where it did after a restart), and a port held closed (nothing can
// listen there while the holder lives, so a connection to it is refused at once).

#include <arpa/inet.h>
#include <cstdint>
#include <netinet/in.h>
#include <string>
#include <sys/socket.h>
#include <unistd.h>

namespace leadsync::test {

// A TCP port free right now on loopback; 0 when none could be had. Another process may take it
// before the caller listens: use it only where port 0 cannot serve.
inline std::uint16_t free_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = 0;
  socklen_t length = sizeof address;
  const bool bound = fd >= 0 &&
                     ::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0 &&
                     ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) == 0;
  if (fd >= 0) {
    ::close(fd);
  }
  return bound ? ntohs(address.sin_port) : 0;
}

// A loopback port bound but never listened on, for as long as this object lives: a connection to
// it is refused, and no other socket can listen there meanwhile. port() is 0 when none was had.
class ClosedPort {
public:
  ClosedPort() {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    address.sin_port = 0;
    socklen_t length = sizeof address;
    if (fd_ >= 0 && ::bind(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0 &&
        ::getsockname(fd_, reinterpret_cast<sockaddr*>(&address), &length) == 0) {
      port_ = ntohs(address.sin_port);
    }
  }
  ~ClosedPort() {
    if (fd_ >= 0) {
      ::close(fd_);
    }
  }
  ClosedPort(const ClosedPort&) = delete;
  ClosedPort& operator=(const ClosedPort&) = delete;

  std::uint16_t port() const { return port_; }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }

private:
  int fd_ = -1;
  std::uint16_t port_ = 0;
};

} // namespace leadsync::test
