// HttpServer on Boost.Beast. One io_context run by `threads` threads; each connection is a Session
// on its own strand that reads one request at a time (so pipelined requests are answered in order),
// hands it to the handler, writes the answer and reads the next.
//
// Lifetime rules, because a Respond may be called from any thread at any time, even after stop():
// - a Respond holds only a weak_ptr to its Session and a shared_ptr to ServerState (no io objects);
// - it posts into the io_context only under ServerState::mutex and only while !stopped; stop() sets
//   `stopped` under that mutex before stopping and joining the threads: no post races the shutdown.

#include "leadsync/core/log.hpp"
#include "leadsync/core/mutex.hpp"
#include "leadsync/http/headers.hpp"
#include "leadsync/http/server.hpp"
#include "leadsync/http/url.hpp"

#include <algorithm>
#include <array>
#include <atomic>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <cctype>
#include <fmt/format.h>
#include <limits>
#include <optional>
#include <stdexcept>
#include <thread>
#include <unordered_map>
#include <vector>

namespace leadsync::http {

namespace {

namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;
using boost::system::error_code;

// After an error response the client may still be sending (a body over the limit, a huge header);
// closing with unread input makes the kernel send RST, which can destroy the response before the
// client reads it. So the server stops sending, then reads and discards for a short while before
// closing.
constexpr std::chrono::milliseconds linger_time{1000};
constexpr std::size_t linger_bytes = 1U << 20U;
constexpr std::size_t read_chunk = 4096;
constexpr std::chrono::milliseconds accept_retry_delay{50};
constexpr std::string_view continue_interim_response = "HTTP/1.1 100 Continue\r\n\r\n";
constexpr std::string_view server_name = "leadsync";

class Session;

// Everything sessions and Respond callbacks share with the server; it outlives all of them.
struct ServerState {
  explicit ServerState(ServerOptions server_options) : options(std::move(server_options)) {}

  const ServerOptions options;
  Handler handler; // set by start(), cleared by stop() after the threads are joined

  Mutex mutex;                            // held while a Respond posts into the io_context
  bool stopped GUARDED_BY(mutex) = false; // no post into the io_context once set

  // The open connections. The registry owns them while they are open, also while no operation is
  // pending (a handler holding its Respond); a session leaves it when it closes, stop() empties it.
  Mutex sessions_mutex;
  std::unordered_map<std::uint64_t, std::shared_ptr<Session>> sessions GUARDED_BY(sessions_mutex);
  std::uint64_t next_session_id GUARDED_BY(sessions_mutex) = 0;
};

// Beast 1.74 speaks boost::string_view.
beast::string_view to_beast(std::string_view text) {
  return {text.data(), text.size()};
}

std::string endpoint_text(const tcp::endpoint& endpoint) {
  const auto address = endpoint.address();
  return address.is_v6() ? fmt::format("[{}]:{}", address.to_string(), endpoint.port())
                         : fmt::format("{}:{}", address.to_string(), endpoint.port());
}

bool is_token_char(unsigned char c) {
  return std::isalnum(c) != 0 ||
         std::string_view("!#$%&'*+-.^_`|~").find(static_cast<char>(c)) != std::string_view::npos;
}

bool valid_field_name(std::string_view name) {
  return !name.empty() &&
         std::all_of(name.begin(), name.end(), [](unsigned char c) { return is_token_char(c); });
}

bool valid_field_value(std::string_view value) {
  return std::none_of(value.begin(), value.end(),
                      [](char c) { return c == '\r' || c == '\n' || c == '\0'; });
}

bool has_close_token(std::string_view connection) {
  for (const auto token : bhttp::token_list{to_beast(connection)}) {
    if (iequals(std::string_view(token.data(), token.size()), "close")) {
      return true;
    }
  }
  return false;
}

bool is_parse_error(const error_code& ec) {
  return ec.category() == bhttp::make_error_code(bhttp::error::bad_method).category() &&
         ec != bhttp::error::end_of_stream && ec != bhttp::error::partial_message;
}

std::string request_label(const std::string& method, const std::string& target) {
  // The path only: queries may carry personal data (OData $filter on e-mail addresses).
  return method + " " + split_target(target).path;
}

// The answer to one request: whichever comes first of the handler's Respond, a throw, or the last
// copy of the Respond being destroyed unanswered.
class ResponseSlot {
public:
  ResponseSlot(std::weak_ptr<Session> session, std::shared_ptr<ServerState> state,
               std::string label)
      : session_(std::move(session)), state_(std::move(state)), label_(std::move(label)) {}
  ResponseSlot(const ResponseSlot&) = delete;
  ResponseSlot& operator=(const ResponseSlot&) = delete;

  ~ResponseSlot() {
    if (!answered_.exchange(true) && !server_stopped()) {
      log::get()->error("HTTP handler for {} dropped its Respond without calling it; answering 500",
                        label_);
      post(Response::text(500, "internal error: the request was not answered\n"));
    }
  }

  void answer(Response response) {
    if (answered_.exchange(true)) {
      log::get()->error(
          "HTTP handler for {} called Respond more than once; later calls are ignored", label_);
      return;
    }
    post(std::move(response));
  }

  // Takes the right to answer; false when the handler already answered.
  bool claim() { return !answered_.exchange(true); }

private:
  void post(Response response);
  bool server_stopped() const {
    MutexLock lock(state_->mutex);
    return state_->stopped;
  }

  std::weak_ptr<Session> session_;
  std::shared_ptr<ServerState> state_;
  std::string label_;
  std::atomic<bool> answered_{false};
};

class Session : public std::enable_shared_from_this<Session> {
public:
  Session(tcp::socket socket, std::shared_ptr<ServerState> state, std::uint64_t id,
          std::string remote_address)
      : stream_(std::move(socket)), state_(std::move(state)), id_(id),
        remote_address_(std::move(remote_address)) {}

  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  void start() {
    net::dispatch(stream_.get_executor(),
                  [self = shared_from_this()] { self->read_request(true); });
  }

  // Runs on the strand: the handler's answer to the request being served.
  void deliver(Response response) {
    if (!awaiting_response_ || !stream_.socket().is_open()) {
      return;
    }
    awaiting_response_ = false;
    if (response.abort_connection) {
      // Linger 0 makes close() send a TCP reset instead of a FIN: the peer sees a dropped
      // connection.
      error_code ignored;
      stream_.socket().set_option(net::socket_base::linger(true, 0), ignored);
      close();
      return;
    }
    write_response(std::move(response), keep_alive_, false);
  }

  // Only for stop(), once no io thread runs.
  void close_now() {
    error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_both, ignored);
    close();
  }

  auto executor() { return stream_.get_executor(); }

private:
  void read_request(bool fresh_connection) {
    const auto& options = state_->options;
    parser_.emplace();
    parser_->header_limit(static_cast<std::uint32_t>(
        std::min<std::size_t>(options.header_limit, std::numeric_limits<std::uint32_t>::max())));
    parser_->body_limit(options.body_limit);
    if (fresh_connection || buffer_.size() > 0) {
      begin_read();
      return;
    }
    // Keep-alive: wait for the first byte of the next request under the idle timeout.
    stream_.expires_after(options.idle_timeout);
    stream_.async_read_some(buffer_.prepare(read_chunk),
                            [self = shared_from_this()](error_code ec, std::size_t bytes) {
                              if (ec) {
                                self->close();
                                return;
                              }
                              self->buffer_.commit(bytes);
                              self->begin_read();
                            });
  }

  void begin_read() {
    stream_.expires_after(state_->options.read_timeout);
    bhttp::async_read_header(
        stream_, buffer_, *parser_,
        [self = shared_from_this()](error_code ec, std::size_t) { self->on_header(ec); });
  }

  void on_header(error_code ec) {
    if (ec) {
      on_read_error(ec);
      return;
    }
    const auto& header = parser_->get();
    if (header.count(bhttp::field::transfer_encoding) > 0 && !parser_->chunked()) {
      send_error(400, "unsupported Transfer-Encoding: only chunked is accepted");
      return;
    }
    if (parser_->is_done()) {
      on_request();
      return;
    }
    const auto expect = header[bhttp::field::expect];
    if (header.version() == 11 &&
        iequals(std::string_view(expect.data(), expect.size()), "100-continue")) {
      net::async_write(
          stream_, net::buffer(continue_interim_response.data(), continue_interim_response.size()),
          [self = shared_from_this()](error_code write_ec, std::size_t) {
            if (write_ec) {
              self->close();
              return;
            }
            self->read_body();
          });
      return;
    }
    read_body();
  }

  void read_body() {
    bhttp::async_read(stream_, buffer_, *parser_,
                      [self = shared_from_this()](error_code ec, std::size_t) {
                        if (ec) {
                          self->on_read_error(ec);
                          return;
                        }
                        self->on_request();
                      });
  }

  void on_read_error(const error_code& ec) {
    if (ec == bhttp::error::header_limit) {
      send_error(431, fmt::format("request header fields too large: the limit is {} bytes",
                                  state_->options.header_limit));
    } else if (ec == bhttp::error::body_limit) {
      send_error(413, fmt::format("request body too large: the limit is {} bytes",
                                  state_->options.body_limit));
    } else if (is_parse_error(ec)) {
      send_error(400, "malformed request: " + ec.message());
    } else {
      close(); // end of stream, reset, timeout: nobody to answer
    }
  }

  void on_request() {
    stream_.expires_never(); // the handler may take its time; no read is pending meanwhile
    auto message = parser_->release();
    parser_.reset();
    version_ = message.version();
    keep_alive_ = version_ == 11 && message.keep_alive();
    head_ = message.method() == bhttp::verb::head;

    Request request;
    request.method = std::string(message.method_string());
    request.url = std::string(message.target());
    for (const auto& field : message) {
      request.headers.add(std::string(field.name_string()), std::string(field.value()));
    }
    request.body = std::move(message.body());
    request.remote_address = remote_address_;
    const std::string label = request_label(request.method, request.url);

    awaiting_response_ = true;
    auto slot = std::make_shared<ResponseSlot>(weak_from_this(), state_, label);
    try {
      state_->handler(std::move(request),
                      [slot](Response response) { slot->answer(std::move(response)); });
    } catch (const std::exception& error) {
      answer_after_throw(*slot, label, error.what());
    } catch (...) {
      answer_after_throw(*slot, label, "an exception not derived from std::exception");
    }
  }

  void answer_after_throw(ResponseSlot& slot, const std::string& label, std::string_view what);

  void write_response(Response response, bool keep_alive, bool linger) {
    if (response.status < 200 || response.status > 599) {
      log::get()->error(
          "HTTP handler answered status {}, which a server cannot send; answering 500",
          response.status);
      response = Response::text(500, "internal error: invalid response status\n");
    }
    auto message = std::make_shared<bhttp::response<bhttp::string_body>>();
    message->version(version_);
    message->result(static_cast<unsigned>(response.status));
    message->reason(to_beast(reason_phrase(response.status)));
    for (const auto& [name, value] : response.headers) {
      if (!valid_field_name(name) || !valid_field_value(value)) {
        log::get()->error("HTTP handler set an invalid header field '{}'; answering 500", name);
        write_response(Response::text(500, "internal error: invalid response header\n"), false,
                       false);
        return;
      }
      if (iequals(name, "Content-Length") || iequals(name, "Transfer-Encoding")) {
        continue; // the server frames the body itself
      }
      if (iequals(name, "Connection")) {
        keep_alive = keep_alive && !has_close_token(value);
        continue;
      }
      message->insert(name, value);
    }
    if (message->count(bhttp::field::server) == 0) {
      message->set(bhttp::field::server, to_beast(server_name));
    }
    if (message->count(bhttp::field::date) == 0) {
      message->set(bhttp::field::date, http_date(std::chrono::system_clock::now()));
    }
    const bool bodiless_status = response.status == 204 || response.status == 304;
    if (!bodiless_status) {
      message->content_length(response.body.size());
      if (!head_) {
        message->body() = std::move(response.body);
      }
    }
    message->keep_alive(keep_alive);

    stream_.expires_after(state_->options.write_timeout);
    bhttp::async_write(stream_, *message,
                       [self = shared_from_this(), message, keep_alive, linger](
                           error_code ec, std::size_t) { self->on_write(ec, keep_alive, linger); });
  }

  void on_write(const error_code& ec, bool keep_alive, bool linger) {
    if (ec) {
      close();
    } else if (linger) {
      linger_close();
    } else if (keep_alive) {
      read_request(false);
    } else {
      error_code ignored;
      stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
      close();
    }
  }

  // Answers a request the server itself rejects, then closes the connection.
  void send_error(int status, const std::string& message) {
    parser_.reset();
    version_ = 11;
    head_ = false;
    write_response(Response::text(status, message + "\n"), false, true);
  }

  void linger_close() {
    error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
    stream_.expires_after(linger_time);
    discard_input(0);
  }

  void discard_input(std::size_t discarded) {
    stream_.async_read_some(net::buffer(scratch_), [self = shared_from_this(),
                                                    discarded](error_code ec, std::size_t bytes) {
      if (ec || discarded + bytes > linger_bytes) {
        self->close();
        return;
      }
      self->discard_input(discarded + bytes);
    });
  }

  void close() {
    stream_.close();
    std::shared_ptr<Session> registered; // released after the lock, in case it is the last owner
    MutexLock lock(state_->sessions_mutex);
    if (const auto entry = state_->sessions.find(id_); entry != state_->sessions.end()) {
      registered = std::move(entry->second);
      state_->sessions.erase(entry);
    }
  }

  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  std::optional<bhttp::request_parser<bhttp::string_body>> parser_;
  std::array<char, read_chunk> scratch_{};
  std::shared_ptr<ServerState> state_;
  std::uint64_t id_;
  std::string remote_address_;
  unsigned version_ = 11;
  bool keep_alive_ = false;
  bool head_ = false;
  bool awaiting_response_ = false;
};

void ResponseSlot::post(Response response) {
  MutexLock lock(state_->mutex);
  if (state_->stopped) {
    return;
  }
  if (auto session = session_.lock()) {
    net::post(session->executor(), [session, response = std::move(response)]() mutable {
      session->deliver(std::move(response));
    });
  }
}

void Session::answer_after_throw(ResponseSlot& slot, const std::string& label,
                                 std::string_view what) {
  log::get()->error("HTTP handler for {} threw: {}", label, what);
  if (slot.claim()) {
    deliver(Response::text(500, "internal error\n"));
  }
}

class BeastServer final : public HttpServer {
public:
  explicit BeastServer(ServerOptions options)
      : state_(std::make_shared<ServerState>(std::move(options))),
        io_(static_cast<int>(std::max<std::size_t>(state_->options.threads, 1))), acceptor_(io_),
        retry_timer_(io_) {}

  BeastServer(const BeastServer&) = delete;
  BeastServer& operator=(const BeastServer&) = delete;

  ~BeastServer() override { stop(); }

  Result<std::uint16_t> start(Handler handler) override {
    MutexLock lock(lifecycle_mutex_);
    if (started_ || stopped_) {
      return fail(
          ErrorCategory::invalid_argument,
          "the HTTP server was already started or stopped; create a new server to serve again");
    }
    if (!handler) {
      return fail(ErrorCategory::invalid_argument, "the HTTP server needs a handler to start");
    }
    LEADSYNC_CHECK(validate_options());
    LEADSYNC_TRY(const tcp::endpoint endpoint, listen_endpoint());

    error_code ec;
    acceptor_.open(endpoint.protocol(), ec);
    if (!ec) {
      acceptor_.set_option(net::socket_base::reuse_address(true), ec);
    }
    if (!ec) {
      acceptor_.bind(endpoint, ec);
    }
    if (!ec) {
      acceptor_.listen(net::socket_base::max_listen_connections, ec);
    }
    if (ec) {
      error_code ignored;
      acceptor_.close(ignored);
      return fail(
          ErrorCategory::unavailable,
          fmt::format("cannot listen on {}: {}; choose another address or port, or stop the "
                      "process using it",
                      endpoint_text(endpoint), ec.message()));
    }
    port_ = acceptor_.local_endpoint(ec).port();
    state_->handler = std::move(handler);
    started_ = true;

    accept_next();
    work_.emplace(io_.get_executor());
    for (std::size_t i = 0; i < state_->options.threads; ++i) {
      threads_.emplace_back([this] { run_io(); });
    }
    return port_.load();
  }

  void stop() override {
    MutexLock lock(lifecycle_mutex_);
    if (stopped_) {
      return;
    }
    const auto self = std::this_thread::get_id();
    if (std::any_of(threads_.begin(), threads_.end(),
                    [&](const std::thread& t) { return t.get_id() == self; })) {
      throw std::logic_error(
          "HttpServer::stop() called from a server thread (a handler); call it from "
          "another thread");
    }
    stopped_ = true;
    {
      MutexLock state_lock(state_->mutex);
      state_->stopped = true;
    }
    work_.reset();
    io_.stop();
    for (auto& thread : threads_) {
      thread.join();
    }
    // No io thread runs from here on: the io objects can be closed directly.
    error_code ignored;
    acceptor_.close(ignored);
    retry_timer_.cancel();
    for (const auto& session : take_sessions()) {
      session->close_now();
    }
    state_->handler = nullptr;
  }

  std::uint16_t port() const override { return port_.load(); }

private:
  Status validate_options() const {
    const auto& options = state_->options;
    if (options.threads == 0) {
      return fail(ErrorCategory::invalid_argument, "HTTP server threads must be at least 1");
    }
    if (options.max_connections == 0) {
      return fail(ErrorCategory::invalid_argument,
                  "HTTP server max_connections must be at least 1");
    }
    if (options.header_limit == 0) {
      return fail(ErrorCategory::invalid_argument,
                  "HTTP server header_limit must be at least 1 byte");
    }
    using std::chrono::milliseconds;
    if (options.read_timeout <= milliseconds::zero() ||
        options.idle_timeout <= milliseconds::zero() ||
        options.write_timeout <= milliseconds::zero()) {
      return fail(ErrorCategory::invalid_argument, "HTTP server timeouts must be positive");
    }
    return ok_status();
  }

  Result<tcp::endpoint> listen_endpoint() const {
    std::string address = state_->options.address;
    if (address.size() >= 2 && address.front() == '[' && address.back() == ']') {
      address = address.substr(1, address.size() - 2);
    }
    if (iequals(address, "localhost")) {
      address = "127.0.0.1";
    }
    error_code ec;
    const auto ip = net::ip::make_address(address, ec);
    if (ec) {
      return fail(
          ErrorCategory::invalid_argument,
          fmt::format("HTTP server address '{}' is not an IP address; use e.g. 127.0.0.1, 0.0.0.0 "
                      "or ::1",
                      state_->options.address));
    }
    return tcp::endpoint(ip, state_->options.port);
  }

  void run_io() {
    for (;;) {
      try {
        io_.run();
        return;
      } catch (const std::exception& error) {
        log::get()->error("HTTP server thread caught an exception and continues: {}", error.what());
      }
    }
  }

  void accept_next() {
    acceptor_.async_accept(net::make_strand(io_), [this](error_code ec, tcp::socket socket) {
      on_accept(ec, std::move(socket));
    });
  }

  void on_accept(const error_code& ec, tcp::socket socket) {
    if (ec == net::error::operation_aborted || !acceptor_.is_open()) {
      return;
    }
    if (ec) {
      // Typically out of file descriptors: wait a little instead of spinning.
      log::get()->error("HTTP server could not accept a connection: {}; retrying", ec.message());
      retry_timer_.expires_after(accept_retry_delay);
      retry_timer_.async_wait([this](error_code wait_ec) {
        if (!wait_ec) {
          accept_next();
        }
      });
      return;
    }
    error_code endpoint_ec;
    const auto remote = socket.remote_endpoint(endpoint_ec);
    error_code ignored;
    socket.set_option(tcp::no_delay(true), ignored);

    std::shared_ptr<Session> session;
    {
      UniqueLock lock(state_->sessions_mutex);
      if (state_->sessions.size() >= state_->options.max_connections) {
        lock.unlock();
        reject(socket);
        accept_next();
        return;
      }
      const auto id = state_->next_session_id++;
      session =
          std::make_shared<Session>(std::move(socket), state_, id,
                                    endpoint_ec ? std::string("unknown") : endpoint_text(remote));
      state_->sessions.emplace(id, session);
    }
    session->start();
    accept_next();
  }

  // Over max_connections: a best-effort 503 without blocking, then close.
  static void reject(tcp::socket& socket) {
    static constexpr std::string_view busy =
        "HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\n"
        "Retry-After: 1\r\nConnection: close\r\n\r\n";
    error_code ignored;
    socket.non_blocking(true, ignored);
    socket.write_some(net::buffer(busy.data(), busy.size()), ignored);
    socket.shutdown(tcp::socket::shutdown_both, ignored);
    socket.close(ignored);
  }

  std::vector<std::shared_ptr<Session>> take_sessions() {
    std::vector<std::shared_ptr<Session>> sessions;
    MutexLock lock(state_->sessions_mutex);
    for (auto& [id, session] : state_->sessions) {
      sessions.push_back(std::move(session));
    }
    state_->sessions.clear();
    return sessions;
  }

  std::shared_ptr<ServerState> state_;
  net::io_context io_;
  tcp::acceptor acceptor_;
  net::steady_timer retry_timer_;
  std::optional<net::executor_work_guard<net::io_context::executor_type>> work_;
  Mutex lifecycle_mutex_;
  std::vector<std::thread> threads_ GUARDED_BY(lifecycle_mutex_);
  std::atomic<std::uint16_t> port_{0};
  bool started_ GUARDED_BY(lifecycle_mutex_) = false;
  bool stopped_ GUARDED_BY(lifecycle_mutex_) = false;
};

} // namespace

Handler sync_handler(std::function<Response(const Request&)> handler) {
  return [handler = std::move(handler)](const Request& request, const Respond& respond) {
    respond(handler(request));
  };
}

std::unique_ptr<HttpServer> make_beast_server(ServerOptions options) {
  return std::make_unique<BeastServer>(std::move(options));
}

} // namespace leadsync::http
