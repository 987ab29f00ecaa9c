#pragma once
// The HTTP server interface every leadsync server speaks (the Dataverse emulator, the daemon's
// webhook and metrics endpoints). Handlers are asynchronous: a handler receives the request and a
// Respond callback and may answer later from any thread, so a server can model latency without
// holding a thread.

#include "leadsync/core/result.hpp"
#include "leadsync/http/message.hpp"

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

namespace leadsync::http {

// Sends the response. Call it exactly once, from any thread, at any later time. Calls after the
// first are ignored (and logged); a call after the client went away or after the server stopped is
// harmless. If every copy of a Respond is destroyed without being called, the server answers 500,
// so a forgotten answer cannot hold a connection forever.
using Respond = std::function<void(Response)>;
// Handles one request. It runs on a server thread, concurrently for different connections (so it
// must be thread-safe): answer inline for quick work, or keep the Respond and answer later. A
// connection's next request is read only after its answer is sent. An exception thrown by the
// handler before it answers becomes a 500 and is logged.
using Handler = std::function<void(Request, Respond)>;

// A Handler that computes the response inline.
Handler sync_handler(std::function<Response(const Request&)> handler);

struct ServerOptions {
  std::string address = "127.0.0.1"; // an IP literal ("0.0.0.0", "::1", "[::1]") or "localhost"
  std::uint16_t port = 0;            // 0 picks a free port; start() returns the real one
  std::size_t threads = 2;           // threads running the connections (handlers run on them)
  std::size_t header_limit = std::size_t{64} * 1024; // request line and headers; more gets 431
  std::uint64_t body_limit = 64ull << 20;            // request body; more gets 413
  // The whole request (from its first byte; on a new connection from the accept) must arrive within
  // this, else the connection is closed.
  std::chrono::milliseconds read_timeout{30000};
  // A kept-alive connection with no new request within this is closed.
  std::chrono::milliseconds idle_timeout{60000};
  // A response must be written within this, else the connection is closed.
  std::chrono::milliseconds write_timeout{30000};
  std::size_t max_connections = 1024; // connections beyond this get 503 and are closed
};

class HttpServer {
public:
  virtual ~HttpServer() = default;
  // Binds and starts serving; returns the bound port. Fails (invalid_argument) on bad options or a
  // second start, (unavailable) when the address cannot be bound.
  virtual Result<std::uint16_t> start(Handler handler) = 0;
  // Closes the listener and every connection, then joins the threads. Prompt: it waits for handler
  // calls running on server threads to return, not for outstanding Responds (those become no-ops).
  // Idempotent; the destructor calls it. Calling it from a handler throws std::logic_error.
  virtual void stop() = 0;
  // The bound port; 0 before start().
  virtual std::uint16_t port() const = 0;
};

// HTTP/1.1 server on Boost.Beast: keep-alive, pipelining (answered in order), chunked request
// bodies, Expect: 100-continue. It frames every response itself (Content-Length, except for 204 and
// 304; HEAD gets the length without the body) and adds Date and "Server: leadsync" unless the
// handler set them; a handler's "Connection: close" closes the connection after the response.
std::unique_ptr<HttpServer> make_beast_server(ServerOptions options);

} // namespace leadsync::http
