// Fuzz target http_request: the HTTP/1.1 request parsing of our Beast server
// (connector/src/http/beast_server.cpp, make_beast_server), which the daemon's webhook, events and
// metrics endpoints and both emulators (tests/emulator/dataverse, tests/emulator/feeds) use; the
// emulators have no parser of their own. The real server runs in this process on a loopback port
// (started once); each input is one connection: its bytes are written, the write side is shut (the
// peer closed), and the answer is read until the server closes. Requests are parsed, limited
// (64 KiB of headers; the body limit lowered to 1 MiB to keep runs fast), pipelined and answered
// by the server's own code; a request to the webhook path goes on to the webhook payload parser,
// as the daemon's handler does. A crash or sanitizer report on a server thread ends the run like
// one on the fuzzer's thread.

#include "fuzz_support.hpp"
#include "leadsync/dataverse/webhook_payload.hpp"
#include "leadsync/http/message.hpp"
#include "leadsync/http/server.hpp"

#include <arpa/inet.h>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <netinet/in.h>
#include <string>
#include <string_view>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

namespace {

leadsync::http::Response handle(const leadsync::http::Request& request) {
  std::string_view target = request.url;
  target = target.substr(0, target.find('?'));
  leadsync::http::Response response;
  response.status = 404;
  if (request.method == "POST" && target == "/webhooks/dataverse") {
    leadsync::dataverse::WebhookHeaders headers;
    headers.organization = request.headers.get("x-ms-dynamics-organization").value_or("");
    headers.size_exceeded = request.headers.has("x-ms-dynamics-msg-size-exceeded");
    const auto parsed = leadsync::dataverse::parse_webhook_notification(request.body, headers);
    response.status = parsed.ok() ? 200 : 400;
  }
  return response;
}

std::uint16_t server_port() {
  static const std::uint16_t port = [] {
    leadsync::http::ServerOptions options;
    options.body_limit = std::uint64_t{1} << 20;
    options.read_timeout = std::chrono::milliseconds{2000};
    // Never stopped: the process ends with the fuzzing run.
    static std::unique_ptr<leadsync::http::HttpServer> server =
        leadsync::http::make_beast_server(options);
    auto started = server->start(leadsync::http::sync_handler(handle));
    if (!started.ok()) {
      std::abort(); // no loopback: nothing to fuzz
    }
    return *started;
  }();
  return port;
}

// One connection: send everything, close the sending side, read until the server closes.
void exchange(std::string_view bytes) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    return;
  }
  timeval timeout{.tv_sec = 5, .tv_usec = 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof timeout);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(server_port());
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  // NOLINTNEXTLINE(*-reinterpret-cast): the sockets API
  if (::connect(fd, reinterpret_cast<const sockaddr*>(&address), sizeof address) == 0) {
    std::size_t sent = 0;
    while (sent < bytes.size()) {
      const ssize_t wrote = ::send(fd, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
      if (wrote <= 0) {
        break; // the server answered early and closed (431, 413)
      }
      sent += static_cast<std::size_t>(wrote);
    }
    ::shutdown(fd, SHUT_WR);
    char answer[4096];
    while (::recv(fd, answer, sizeof answer, 0) > 0) {
    }
  }
  ::close(fd);
}

} // namespace

// NOLINTNEXTLINE(readability-identifier-naming): the name libFuzzer calls
extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  exchange(leadsync::fuzz::as_text(data, size));
  return 0;
}
