#pragma once
// multipart/mixed bodies as $batch uses them (dataverse-notes section 5): parts with their headers,
// HTTP requests embedded in parts (request line with absolute or relative URL), and the response
// side.

#include "dvemu/service_error.hpp"

#include <leadsync/http/headers.hpp>
#include <leadsync/http/message.hpp>
#include <optional>
#include <string>
#include <variant>
#include <vector>

namespace dvemu {

struct MimePart {
  leadsync::http::Headers headers; // e.g. Content-Type, Content-ID, Content-Transfer-Encoding
  std::string body;
};

// boundary="batch_x" (quoted or not) from a Content-Type; empty when absent.
std::string multipart_boundary(const std::string& content_type);
// Splits a multipart body (CRLF or LF line ends) into parts; missing closing delimiter or junk is a
// 400.
std::variant<std::vector<MimePart>, ServiceError> parse_multipart(const std::string& body,
                                                                  const std::string& boundary);

struct EmbeddedRequest {
  std::string method;
  std::string target; // as written: "/api/data/v9.2/leads", "leads", "$1", or an absolute URL
  leadsync::http::Headers headers;
  std::string body;
};
std::variant<EmbeddedRequest, ServiceError> parse_embedded_request(const std::string& text);

// "HTTP/1.1 204 No Content\r\nOData-Version: 4.0\r\n...\r\n\r\nbody"
std::string format_embedded_response(const leadsync::http::Response& response);
// Parts joined with --boundary and closed with --boundary--, CRLF line ends.
std::string format_multipart(const std::vector<MimePart>& parts, const std::string& boundary);

} // namespace dvemu
