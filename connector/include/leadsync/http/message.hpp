#pragma once
// The request and response values shared by both sides of HTTP: the client Transport sends a
// Request and receives a Response; the HttpServer hands a Request to its Handler and sends back the
// Response.

#include "leadsync/http/headers.hpp"

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace leadsync::http {

struct Request {
  std::string method = "GET";
  // Client side: an absolute URL ("https://org.crm.dynamics.com/api/data/v9.2/leads?$top=1").
  // Server side: the request target as received, normally origin-form
  // ("/api/data/v9.2/leads?$top=1").
  std::string url;
  Headers headers;
  std::string body;
  // Client side: when the whole exchange must be over. Unused by the server.
  std::optional<std::chrono::steady_clock::time_point> deadline;
  // Server side: the peer as "address:port" ("127.0.0.1:54321", "[::1]:54321"). Empty on the client
  // side.
  std::string remote_address;
};

struct Response {
  int status = 200;
  Headers headers;
  std::string body;
  // Server side: drop the connection (TCP reset) instead of answering; fault injection uses it.
  bool abort_connection = false;

  // A response with a body and its Content-Type.
  static Response with_body(int status, std::string body, std::string content_type);
  // "application/json; charset=utf-8"
  static Response json(int status, std::string body);
  // "text/plain; charset=utf-8"
  static Response text(int status, std::string body);
};

// The standard reason phrase ("Not Found", "Too Many Requests"); for unknown codes a generic one by
// class
// ("Client Error" for 4xx, "Server Error" for 5xx, ...).
std::string_view reason_phrase(int status) noexcept;

// An IMF-fixdate as the Date header needs (RFC 9110 5.6.7): "Sun, 06 Nov 1994 08:49:37 GMT".
std::string http_date(std::chrono::system_clock::time_point time);

} // namespace leadsync::http
