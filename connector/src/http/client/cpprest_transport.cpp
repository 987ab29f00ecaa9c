// The cpprestsdk adapter behind Transport: the only file in leadsync that includes cpprestsdk
// headers. cpprestsdk completes with any HTTP status and throws only when no response was had; its
// tasks crash the process when an exception is never observed, so every task ends in a continuation
// that catches everything and hands the outcome to the waiting caller.

#include "leadsync/http/cpprest_transport.hpp"

#include "leadsync/core/log.hpp"
#include "leadsync/core/mutex.hpp"
#include "leadsync/http/url.hpp"

#include <algorithm>
#include <atomic>
#include <cpprest/http_client.h>
#include <cpprest/producerconsumerstream.h>
#include <cstdint>
#include <fmt/format.h>
#include <map>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <optional>
#include <stdexcept>
#include <system_error>
#include <utility>
#include <vector>

namespace leadsync::http {

namespace {

using CpprestClient = web::http::client::http_client;
using ReceivedMessage = std::pair<web::http::http_response, std::vector<unsigned char>>;

// The body of one response, held up to a cap (issue 18). cpprestsdk writes the body into the
// response stream as it reads it from the socket and waits for each write before reading on
// (http_client_asio.cpp, putn_nocopy), so a refused write stops the reading and fails the
// response: an endless body ends at the cap instead of growing memory.
// The analyzer flags the virtual calls in cpprestsdk's own destructor of the base (they reach the
// base's functions, as intended there).
// NOLINTNEXTLINE(clang-analyzer-optin.cplusplus.VirtualCall)
class CappedBody final
    : public concurrency::streams::details::basic_producer_consumer_buffer<std::uint8_t> {
public:
  explicit CappedBody(std::size_t cap) : basic_producer_consumer_buffer(4096), cap_(cap) {}

  std::vector<unsigned char> take() {
    MutexLock lock(mutex_);
    return std::move(data_);
  }
  [[nodiscard]] bool over_cap() const { return over_cap_.load(); }
  [[nodiscard]] std::size_t cap() const { return cap_; }

protected:
  pplx::task<size_t> _putn(const std::uint8_t* ptr, size_t count) override {
    MutexLock lock(mutex_);
    if (count > cap_ - data_.size()) {
      over_cap_ = true;
      return pplx::task_from_exception<size_t>(
          std::make_exception_ptr(std::length_error("response body over its size limit")));
    }
    data_.insert(data_.end(), ptr, ptr + count);
    return pplx::task_from_result(count);
  }
  pplx::task<int_type> _putc(std::uint8_t ch) override {
    return _putn(&ch, 1).then([ch](size_t) { return static_cast<int_type>(ch); });
  }

private:
  std::size_t cap_;
  Mutex mutex_;
  std::vector<unsigned char> data_ GUARDED_BY(mutex_);
  std::atomic<bool> over_cap_{false};
};

// Thrown when the Content-Length alone says the body is over the cap.
struct DeclaredTooLarge : std::runtime_error {
  DeclaredTooLarge() : std::runtime_error("declared body over its size limit") {}
};

std::string size_text(std::size_t bytes) {
  return bytes % (std::size_t{1} << 20) == 0 ? fmt::format("{} MB", bytes >> 20U)
                                             : fmt::format("{} bytes", bytes);
}

Error body_too_large(const Url& url, std::size_t cap) {
  return Error::make(ErrorCategory::protocol,
                     fmt::format("the response from {}{} is larger than the {} limit on response "
                                 "bodies; reading stopped there. A misbehaving server or proxy is "
                                 "the likely cause: check the URL; if such a response is expected, "
                                 "ask for smaller pages (fewer records or columns per request)",
                                 url.host, url.path, size_text(cap)),
                     false);
}

std::string seconds_text(std::chrono::milliseconds duration) {
  return fmt::format("{:g} s", static_cast<double>(duration.count()) / 1000.0);
}

// "host:port" for messages, always with the port so a person can check it.
std::string host_port(const Url& url) {
  if (url.host.find(':') != std::string::npos) {
    return fmt::format("[{}]:{}", url.host, url.port);
  }
  return fmt::format("{}:{}", url.host, url.port);
}

Error make_error(ErrorCategory category, std::string message, bool retryable) {
  return Error::make(category, std::move(message), retryable);
}

// An exchange that got no HTTP response: the cause and the endpoint are what callers decide on
// (http/failure.hpp), the message is for people.
Error transport_failure(ErrorCategory category, std::string message, bool retryable,
                        TransportCause cause, const std::string& endpoint) {
  Error error = Error::make(category, std::move(message), retryable);
  error.transport_cause = cause;
  error.endpoint = endpoint;
  return error;
}

// cpprestsdk reports OpenSSL's packed error code (library and reason) in the generic category,
// where message() says "Unknown error": decode it with OpenSSL.
std::optional<Error> tls_error(int code, const std::string& endpoint) {
  const auto packed = static_cast<unsigned long>(code);
  if (code <= 0 || ERR_GET_LIB(packed) == 0) {
    return std::nullopt;
  }
  const char* reason = ERR_reason_error_string(packed);
  if (reason == nullptr) {
    return std::nullopt;
  }
  std::string message = fmt::format("TLS with {} failed: {}", endpoint, reason);
  if (ERR_GET_LIB(packed) == ERR_LIB_SSL) {
    switch (ERR_GET_REASON(packed)) {
    case SSL_R_CERTIFICATE_VERIFY_FAILED:
      message +=
          ": the server's certificate is not trusted; if a private CA signed it, add that CA "
          "(PEM) with crm.tls.ca_file";
      break;
    case SSL_R_WRONG_VERSION_NUMBER:
      message += ": the server does not speak TLS on this port; check https vs http in the URL";
      break;
    default:
      break;
    }
  }
  return transport_failure(ErrorCategory::unavailable, std::move(message), false,
                           TransportCause::tls, endpoint);
}

bool starts_with(std::string_view text, std::string_view prefix) {
  return text.substr(0, prefix.size()) == prefix;
}

Error transport_error(const std::error_code& code, const std::string& what,
                      const std::string& endpoint, std::chrono::milliseconds timeout) {
  // cpprestsdk's fixed texts are the only trace of a failed name lookup: the resolver's own code
  // arrives renumbered into the generic category.
  if (starts_with(what, "Error resolving") || starts_with(what, "Failed to resolve")) {
    return transport_failure(
        ErrorCategory::unavailable,
        fmt::format("cannot resolve the host name of {}; check the URL", endpoint), false,
        TransportCause::dns, endpoint);
  }
  if (auto error = tls_error(code.value(), endpoint)) {
    return *error;
  }
  if (code == std::errc::timed_out) {
    return transport_failure(
        ErrorCategory::timeout,
        fmt::format("no response from {} within {}", endpoint, seconds_text(timeout)), true,
        TransportCause::timeout, endpoint);
  }
  if (code == std::errc::connection_refused || code == std::errc::host_unreachable ||
      code == std::errc::network_unreachable) {
    return transport_failure(ErrorCategory::unavailable,
                             fmt::format("cannot connect to {}: connection refused or host "
                                         "unreachable; check the URL and that the service is "
                                         "running",
                                         endpoint),
                             true, TransportCause::refused, endpoint);
  }
  // ENOENT is how Boost.Asio's end-of-file arrives after cpprestsdk renumbers it.
  if (code == std::errc::connection_reset || code == std::errc::connection_aborted ||
      code == std::errc::broken_pipe || code == std::errc::not_connected ||
      code == std::errc::no_such_file_or_directory) {
    return transport_failure(ErrorCategory::unavailable,
                             fmt::format("connection to {} was closed or reset before the response "
                                         "was complete ({})",
                                         endpoint, what),
                             true, TransportCause::reset, endpoint);
  }
  if (code == std::errc::operation_canceled) {
    return make_error(ErrorCategory::cancelled,
                      fmt::format("request to {} was cancelled", endpoint), false);
  }
  if (!code) {
    return make_error(ErrorCategory::protocol,
                      fmt::format("{} sent a response that is not valid HTTP ({})", endpoint, what),
                      false);
  }
  if (what.find("SSL") != std::string::npos) {
    return transport_failure(
        ErrorCategory::unavailable,
        fmt::format("TLS with {} failed ({}: {})", endpoint, what, code.message()), false,
        TransportCause::tls, endpoint);
  }
  return transport_failure(
      ErrorCategory::unavailable,
      fmt::format("request to {} failed: {} ({})", endpoint, what, code.message()), true,
      TransportCause::other, endpoint);
}

Response to_response(const ReceivedMessage& received) {
  const auto& [message, body] = received;
  Response response;
  response.status = message.status_code();
  for (const auto& [name, value] : message.headers()) {
    response.headers.add(name, value);
  }
  response.body.assign(body.begin(), body.end());
  return response;
}

// The hand-over between cpprestsdk's threads and the caller waiting in send().
struct Exchange {
  Mutex mutex;
  CondVar changed;
  std::optional<Result<Response>> outcome GUARDED_BY(mutex);
  bool cancelled GUARDED_BY(mutex) = false;

  void finish(Result<Response> result) {
    {
      MutexLock lock(mutex);
      outcome.emplace(std::move(result));
    }
    changed.notify_all();
  }
  void cancel() {
    {
      MutexLock lock(mutex);
      cancelled = true;
    }
    changed.notify_all();
  }
};

// RFC 9110 token characters. cpprestsdk refuses anything else only once the request is under way,
// with an exception that carries no error code.
bool is_method_token(std::string_view method) {
  constexpr std::string_view symbols = "!#$%&'*+-.^_`|~";
  return !method.empty() && std::all_of(method.begin(), method.end(), [&](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
           symbols.find(c) != std::string_view::npos;
  });
}

// Headers cpprestsdk writes itself from the message.
bool managed_by_cpprest(std::string_view name) {
  return iequals(name, "Content-Length") || iequals(name, "Connection") || iequals(name, "Host");
}

bool sends_body(const Request& request) {
  return !request.body.empty() || request.method == "POST" || request.method == "PUT" ||
         request.method == "PATCH";
}

web::http::http_request to_cpprest(const Request& request, const Url& url) {
  web::http::http_request message(request.method);
  // Always a path starting with '/': cpprestsdk rejects a relative URI whose query holds ':'
  // otherwise, and every OData timestamp filter does.
  message.set_request_uri(web::uri(url.target()));
  for (const auto& [name, value] : request.headers) {
    // "Connection: close" is ours to send (see send()); any other Connection value is cpprestsdk's.
    const bool close_connection = iequals(name, "Connection") && iequals(value, "close");
    if (!managed_by_cpprest(name) || close_connection) {
      message.headers().add(name, value);
    }
  }
  if (sends_body(request)) {
    // The request's own Content-Type, copied above, wins over this fallback.
    message.set_body(request.body, "application/octet-stream");
  }
  return message;
}

class CpprestTransport final : public Transport {
public:
  explicit CpprestTransport(TransportOptions options) : options_(std::move(options)) {}

  Result<Response> send(const Request& request, const CallContext& context) override {
    LEADSYNC_TRY(const Url url, parse_url(request.url));
    if (!is_method_token(request.method)) {
      return fail(ErrorCategory::invalid_argument,
                  fmt::format("invalid HTTP method \"{}\"", request.method));
    }
    const std::string endpoint = host_port(url);
    if (context.cancel.cancelled()) {
      return fail(ErrorCategory::cancelled,
                  fmt::format("cancelled before sending {} to {}", request.method, endpoint));
    }
    const auto started = std::chrono::steady_clock::now();
    auto deadline = started + options_.timeout;
    if (request.deadline && *request.deadline < deadline) {
      deadline = *request.deadline;
    }
    if (deadline <= started) {
      return transport_failure(ErrorCategory::timeout,
                               fmt::format("the deadline for {} to {} passed before it was sent",
                                           request.method, endpoint),
                               true, TransportCause::timeout, endpoint);
    }
    const auto timeout = std::chrono::ceil<std::chrono::milliseconds>(deadline - started);
    // cpprestsdk silently sends a request again when a kept-alive connection it reused turns out to
    // be reset, whatever the method: a create could then run twice below our retry policy. A
    // request that is not idempotent therefore goes on a connection of its own (a client whose
    // connections are never reused: Connection: close), so a reset reaches the caller as an error
    // instead.
    const bool own_connection = !context.idempotent;
    LEADSYNC_TRY(const auto client, client_for(url, own_connection));

    auto exchange = std::make_shared<Exchange>();
    pplx::cancellation_token_source abort;
    Request outgoing = request;
    if (own_connection) {
      outgoing.headers.set("Connection", "close");
    }
    if (auto launched = launch(*client, outgoing, url, abort, exchange, endpoint); !launched.ok()) {
      return launched.error();
    }
    // Declared before the lock: the callback takes the exchange's mutex.
    const auto registration = context.cancel.on_cancel([exchange, abort] {
      abort.cancel();
      exchange->cancel();
    });
    UniqueLock lock(exchange->mutex);
    exchange->changed.wait_until(lock, deadline, [&] {
      exchange->mutex.assert_held();
      return exchange->outcome || exchange->cancelled;
    });
    if (exchange->outcome) {
      return std::move(*exchange->outcome);
    }
    if (exchange->cancelled) {
      return fail(ErrorCategory::cancelled,
                  fmt::format("{} to {} was cancelled", request.method, endpoint));
    }
    lock.unlock();
    abort.cancel(); // the continuation still runs, and observes the cancellation
    return transport_failure(
        ErrorCategory::timeout,
        fmt::format("no complete response from {} within {}", endpoint, seconds_text(timeout)),
        true, TransportCause::timeout, endpoint);
  }

private:
  // Starts the exchange; its outcome arrives in `exchange` from a cpprestsdk thread.
  Status launch(CpprestClient& client, const Request& request, const Url& url,
                const pplx::cancellation_token_source& abort,
                const std::shared_ptr<Exchange>& exchange, const std::string& endpoint) const {
    try {
      auto body = std::make_shared<CappedBody>(options_.max_response_bytes);
      auto message = to_cpprest(request, url);
      message.set_response_stream(
          concurrency::streams::streambuf<std::uint8_t>(body).create_ostream());
      client.request(message, abort.get_token())
          .then([body, abort](const web::http::http_response& response) {
            const auto declared = response.headers().content_length();
            if (declared != 0 && declared > body->cap()) {
              abort.cancel(); // not a byte of it is read
              throw DeclaredTooLarge();
            }
            return response.content_ready().then([body](const web::http::http_response& done) {
              return ReceivedMessage{done, body->take()};
            });
          })
          .then([exchange, endpoint, url, body,
                 timeout = options_.timeout](pplx::task<ReceivedMessage> task) {
            exchange->finish(outcome_of(task, endpoint, url, *body, timeout));
          });
    } catch (const web::uri_exception& e) {
      return fail(ErrorCategory::invalid_argument,
                  fmt::format("cannot send {} {}: {}", request.method, url.path, e.what()));
    } catch (const std::exception& e) {
      return fail(ErrorCategory::internal,
                  fmt::format("cannot send {} to {}: {}", request.method, endpoint, e.what()));
    }
    return ok_status();
  }

  static Result<Response> outcome_of(pplx::task<ReceivedMessage>& task, const std::string& endpoint,
                                     const Url& url, const CappedBody& body,
                                     std::chrono::milliseconds timeout) noexcept {
    try {
      try {
        return to_response(task.get());
      } catch (const DeclaredTooLarge&) {
        return body_too_large(url, body.cap());
      } catch (const std::exception&) {
        if (body.over_cap()) { // whatever cpprestsdk made of the refused write
          return body_too_large(url, body.cap());
        }
        throw;
      }
    } catch (...) {
      return classify(endpoint, timeout);
    }
  }

  // The outcome of a failed exchange, from the exception in flight.
  static Result<Response> classify(const std::string& endpoint,
                                   std::chrono::milliseconds timeout) noexcept {
    try {
      try {
        throw;
      } catch (const web::http::http_exception& e) {
        return transport_error(e.error_code(), e.what(), endpoint, timeout);
      } catch (const pplx::task_canceled&) {
        return make_error(ErrorCategory::cancelled,
                          fmt::format("request to {} was cancelled", endpoint), false);
      } catch (const std::exception& e) {
        return transport_failure(ErrorCategory::unavailable,
                                 fmt::format("request to {} failed: {}", endpoint, e.what()), true,
                                 TransportCause::other, endpoint);
      }
    } catch (...) {
      // Out of memory while building the message: the caller still gets an answer.
      return make_error(ErrorCategory::internal, "request failed: out of memory", false);
    }
  }

  Result<std::shared_ptr<CpprestClient>> client_for(const Url& url, bool own_connection) {
    const std::string origin = url.scheme + "://" + url.authority();
    const std::string key = own_connection ? origin + " (connection per request)" : origin;
    MutexLock lock(mutex_);
    if (const auto found = clients_.find(key); found != clients_.end()) {
      return found->second;
    }
    web::http::client::http_client_config config;
    config.set_timeout(options_.timeout);
    if (url.scheme == "https") {
      LEADSYNC_CHECK(configure_tls(config, origin));
    }
    auto client = std::make_shared<CpprestClient>(web::uri(origin), config);
    clients_.emplace(key, client);
    return client;
  }

  Status configure_tls(web::http::client::http_client_config& config,
                       const std::string& origin) const {
    if (options_.insecure_skip_verify) {
      config.set_validate_certificates(false);
      log::get()->warn("TLS certificate verification is OFF for {} (crm.tls.insecure_skip_verify): "
                       "anyone on the network path can read and change this traffic",
                       origin);
    }
    if (options_.ca_file.empty()) {
      return ok_status();
    }
    // Check the bundle once here, where a bad one can be reported; cpprestsdk calls the callback
    // below for every new connection, where an exception would be lost.
    boost::asio::ssl::context probe(boost::asio::ssl::context::tls_client);
    boost::system::error_code error;
    probe.load_verify_file(options_.ca_file, error);
    if (error) {
      return fail(ErrorCategory::config,
                  fmt::format("cannot load the CA bundle {} (crm.tls.ca_file): {}; it must be a "
                              "readable PEM file",
                              options_.ca_file, error.message()));
    }
    config.set_ssl_context_callback(
        [ca_file = options_.ca_file](boost::asio::ssl::context& context) {
          boost::system::error_code load_error;
          context.load_verify_file(ca_file, load_error);
          if (load_error) {
            log::get()->error("cannot load the CA bundle {} (crm.tls.ca_file): {}", ca_file,
                              load_error.message());
          }
        });
    return ok_status();
  }

  TransportOptions options_;
  Mutex mutex_;
  std::map<std::string, std::shared_ptr<CpprestClient>> clients_ GUARDED_BY(mutex_);
};

} // namespace

std::unique_ptr<Transport> make_cpprest_transport(const TransportOptions& options) {
  return std::make_unique<CpprestTransport>(options);
}

} // namespace leadsync::http
