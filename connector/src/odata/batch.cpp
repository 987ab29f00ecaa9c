#include "leadsync/odata/batch.hpp"

#include "leadsync/core/text.hpp"
#include "leadsync/core/uuid.hpp"
#include "leadsync/odata/response.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <fmt/format.h>
#include <set>
#include <string_view>

namespace leadsync::odata {

namespace {

constexpr std::size_t max_operations = 1000;
constexpr std::string_view crlf = "\r\n";
constexpr std::array<std::string_view, 5> methods = {"GET", "POST", "PATCH", "PUT", "DELETE"};

// ---- encoding ----

std::string describe(const BatchOperation& operation, std::size_t number) {
  return fmt::format("operation {} ({} {})", number, operation.method, operation.url);
}

bool has_line_break(std::string_view text) {
  return text.find_first_of("\r\n") != text.npos;
}

// "$1" or "$1/lastname": a URL that starts from the row created by the operation with Content-ID 1.
// Other URLs starting with '$' ($metadata) are ordinary service-root-relative URLs.
bool is_content_id_reference(std::string_view url) {
  return url.size() > 1 && url[0] == '$' && url[1] >= '0' && url[1] <= '9';
}

Result<int> referenced_content_id(std::string_view url) {
  const std::string_view digits = url.substr(1, url.find('/') - 1);
  int id = 0;
  const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), id);
  if (ec != std::errc{} || end != digits.data() + digits.size()) {
    return fail(
        ErrorCategory::invalid_argument,
        fmt::format("the URL '{}' is not a Content-ID reference such as $1 or $1/lastname", url));
  }
  return id;
}

Status check_operation(const BatchOperation& operation, std::size_t number, bool in_changeset,
                       const std::set<int>& declared_in_changeset) {
  if (std::find(methods.begin(), methods.end(), operation.method) == methods.end()) {
    return fail(ErrorCategory::invalid_argument,
                fmt::format("{} has an unsupported method: use GET, POST, PATCH, PUT or DELETE",
                            describe(operation, number)));
  }
  if (in_changeset && operation.method == "GET") {
    return fail(ErrorCategory::invalid_argument,
                fmt::format("{} is a GET inside a changeset, which Dataverse does not allow: send "
                            "it as its own part outside the changeset",
                            describe(operation, number)));
  }
  const bool url_ok = !operation.url.empty() &&
                      std::none_of(operation.url.begin(), operation.url.end(),
                                   [](unsigned char c) { return c <= 0x20 || c == 0x7f; });
  if (!url_ok) {
    return fail(ErrorCategory::invalid_argument,
                fmt::format("{} has an empty URL or one with spaces or control characters: "
                            "percent-encode the URL",
                            describe(operation, number)));
  }
  for (const auto& [name, value] : operation.headers) {
    if (name.empty() || has_line_break(name) || has_line_break(value)) {
      return fail(ErrorCategory::invalid_argument,
                  fmt::format("{} has a header with an empty name or a line break in its name or "
                              "value",
                              describe(operation, number)));
    }
  }
  if (operation.content_id && *operation.content_id < 1) {
    return fail(ErrorCategory::invalid_argument,
                fmt::format("{} has Content-ID {}: use a positive number",
                            describe(operation, number), *operation.content_id));
  }
  if (!is_content_id_reference(operation.url)) {
    return ok_status();
  }
  LEADSYNC_TRY(const int reference, referenced_content_id(operation.url));
  if (!declared_in_changeset.contains(reference)) {
    return fail(ErrorCategory::invalid_argument,
                fmt::format("{} refers to ${}, but no earlier operation in its changeset has "
                            "Content-ID {}: declare it before referring to it",
                            describe(operation, number), reference, reference));
  }
  return ok_status();
}

Status check_batch(const BatchRequest& request) {
  if (request.parts.empty()) {
    return fail(ErrorCategory::invalid_argument, "the $batch has no operations: add at least one");
  }
  std::size_t total = 0;
  for (const BatchPart& part : request.parts) {
    total += part.operations.size();
  }
  if (total > max_operations) {
    return fail(ErrorCategory::invalid_argument,
                fmt::format("the $batch holds {} operations, more than the {} Dataverse accepts: "
                            "split it into several batches",
                            total, max_operations));
  }
  std::size_t number = 0;
  std::set<int> content_ids;
  for (std::size_t p = 0; p < request.parts.size(); ++p) {
    const BatchPart& part = request.parts[p];
    if (part.operations.empty() || (!part.changeset && part.operations.size() > 1)) {
      return fail(ErrorCategory::invalid_argument,
                  fmt::format("part {} of the $batch holds {} operations: a changeset needs at "
                              "least one, any other part exactly one",
                              p + 1, part.operations.size()));
    }
    std::set<int> declared_in_changeset;
    for (const BatchOperation& operation : part.operations) {
      LEADSYNC_CHECK(check_operation(operation, ++number, part.changeset, declared_in_changeset));
      if (operation.content_id) {
        if (!content_ids.insert(*operation.content_id).second) {
          return fail(ErrorCategory::invalid_argument,
                      fmt::format("{} repeats Content-ID {}: give every operation its own",
                                  describe(operation, number), *operation.content_id));
        }
        declared_in_changeset.insert(*operation.content_id);
      }
    }
  }
  return ok_status();
}

std::string request_target(const std::string& url, const std::string& service_path) {
  if (is_content_id_reference(url)) {
    return url;
  }
  const bool path_has_slash = service_path.ends_with('/');
  const bool url_has_slash = url.starts_with('/');
  if (path_has_slash && url_has_slash) {
    return service_path + url.substr(1);
  }
  return service_path + (path_has_slash || url_has_slash ? "" : "/") + url;
}

// One application/http part without its delimiter; the line break that follows belongs to the next
// delimiter.
std::string encode_operation(const BatchOperation& operation, const std::string& service_path) {
  std::string text = "Content-Type: application/http\r\nContent-Transfer-Encoding: binary\r\n";
  if (operation.content_id) {
    text += fmt::format("Content-ID: {}\r\n", *operation.content_id);
  }
  text += crlf;
  text += fmt::format("{} {} HTTP/1.1\r\n", operation.method,
                      request_target(operation.url, service_path));
  if (!operation.body.empty() && !operation.headers.has("Content-Type")) {
    text += "Content-Type: application/json; type=entry\r\n";
  }
  for (const auto& [name, value] : operation.headers) {
    text += fmt::format("{}: {}\r\n", name, value);
  }
  text += crlf;
  text += operation.body;
  return text;
}

// ---- decoding ----

struct MimePart {
  http::Headers headers;
  std::string_view body;
};

Failure protocol_error(const http::Response& response, std::string what) {
  Error error = Error::make(ErrorCategory::protocol, std::move(what));
  error.http_status = response.status;
  error.service_request_id = service_request_id(response.headers);
  return Failure{std::move(error)};
}

// Reads the line at position (CRLF or a bare LF ends it) and moves position past its line break.
std::string_view next_line(std::string_view text, std::size_t& position) {
  const auto newline = text.find('\n', position);
  const std::size_t end = newline == std::string_view::npos ? text.size() : newline;
  std::string_view line = text.substr(position, end - position);
  if (line.ends_with('\r')) {
    line.remove_suffix(1);
  }
  position = newline == std::string_view::npos ? text.size() : newline + 1;
  return line;
}

// Reads "Name: value" lines up to and including the first empty line.
Result<http::Headers> read_headers(const http::Response& response, std::string_view text,
                                   std::size_t& position) {
  http::Headers headers;
  while (position < text.size()) {
    const std::string_view line = next_line(text, position);
    if (line.empty()) {
      break;
    }
    const auto colon = line.find(':');
    if (colon == std::string_view::npos || colon == 0) {
      return protocol_error(response, fmt::format("the $batch response has a malformed header line "
                                                  "'{}'",
                                                  line));
    }
    headers.add(std::string(text::trim(line.substr(0, colon), text::space_and_tab)),
                std::string(text::trim(line.substr(colon + 1), text::space_and_tab)));
  }
  return headers;
}

// The boundary of a multipart/mixed Content-Type, or empty when the type is something else.
std::string multipart_boundary(std::string_view content_type) {
  std::size_t position = 0;
  const std::string_view media_type =
      text::trim(content_type.substr(0, content_type.find(';')), text::space_and_tab);
  if (!http::iequals(media_type, "multipart/mixed")) {
    return {};
  }
  while ((position = content_type.find(';', position)) != std::string_view::npos) {
    ++position;
    const std::string_view parameter =
        text::trim(content_type.substr(position, content_type.find(';', position) - position),
                   text::space_and_tab);
    const auto equals = parameter.find('=');
    if (equals != std::string_view::npos &&
        http::iequals(text::trim(parameter.substr(0, equals), text::space_and_tab), "boundary")) {
      std::string_view value = text::trim(parameter.substr(equals + 1), text::space_and_tab);
      if (value.size() >= 2 && value.front() == '"' && value.back() == '"') {
        value = value.substr(1, value.size() - 2);
      }
      return std::string(value);
    }
  }
  return {};
}

Result<std::vector<MimePart>> split_multipart(const http::Response& response, std::string_view body,
                                              std::string_view boundary) {
  const std::string delimiter = "--" + std::string(boundary);
  struct Delimiter {
    std::size_t line_start;
    std::size_t content_start;
  };
  std::vector<Delimiter> delimiters;
  bool closed = false;
  std::size_t position = 0;
  while (position < body.size() && !closed) {
    const std::size_t line_start = position;
    std::string_view line = next_line(body, position);
    if (!line.starts_with(delimiter)) {
      continue;
    }
    line.remove_prefix(delimiter.size());
    closed = line.starts_with("--");
    if (closed) {
      line.remove_prefix(2);
    }
    if (text::trim(line, text::space_and_tab).empty()) {
      delimiters.push_back({line_start, position});
    } else {
      closed = false;
    }
  }
  if (!closed) {
    return protocol_error(response, fmt::format("the $batch response ends without its closing "
                                                "'{}--' line: it is truncated or malformed",
                                                delimiter));
  }
  std::vector<MimePart> parts;
  for (std::size_t i = 0; i + 1 < delimiters.size(); ++i) {
    const std::size_t start = delimiters[i].content_start;
    std::size_t end = delimiters[i + 1].line_start;
    // The line break before a delimiter belongs to the delimiter.
    if (end > start && body[end - 1] == '\n') {
      --end;
    }
    if (end > start && body[end - 1] == '\r') {
      --end;
    }
    const std::string_view content = body.substr(start, end - start);
    std::size_t offset = 0;
    LEADSYNC_TRY(http::Headers headers, read_headers(response, content, offset));
    parts.push_back({std::move(headers), content.substr(offset)});
  }
  return parts;
}

Result<std::optional<int>> content_id_of(const http::Response& response, const MimePart& part) {
  const auto header = part.headers.get("Content-ID");
  if (!header) {
    return std::optional<int>{};
  }
  int id = 0;
  const auto [end, ec] = std::from_chars(header->data(), header->data() + header->size(), id);
  if (ec != std::errc{} || end != header->data() + header->size()) {
    return protocol_error(response, fmt::format("the $batch response has a part with Content-ID "
                                                "'{}', which is not a number",
                                                *header));
  }
  return std::optional<int>{id};
}

// "HTTP/1.1 204 No Content" -> 204.
std::optional<int> parse_status_line(std::string_view line) {
  const auto space = line.find(' ');
  if (!line.starts_with("HTTP/") || space == std::string_view::npos) {
    return std::nullopt;
  }
  const std::string_view code = line.substr(space + 1, 3);
  const bool code_ends = line.size() == space + 4 || line[space + 4] == ' ';
  int status = 0;
  const auto [end, ec] = std::from_chars(code.data(), code.data() + code.size(), status);
  if (code.size() != 3 || !code_ends || ec != std::errc{} || end != code.data() + code.size() ||
      status < 100) {
    return std::nullopt;
  }
  return status;
}

// An application/http part: "HTTP/1.1 <status> <reason>", headers, blank line, body.
Result<OperationResult> decode_operation(const http::Response& response, const MimePart& part) {
  OperationResult result;
  LEADSYNC_TRY(result.content_id, content_id_of(response, part));
  std::size_t position = 0;
  const std::string_view status_line = next_line(part.body, position);
  const std::optional<int> status = parse_status_line(status_line);
  if (!status) {
    return protocol_error(response, fmt::format("a part of the $batch response does not start with "
                                                "an HTTP status line such as 'HTTP/1.1 204 No "
                                                "Content': '{}'",
                                                status_line));
  }
  result.status = *status;
  LEADSYNC_TRY(result.headers, read_headers(response, part.body, position));
  std::string_view body = part.body.substr(position);
  body = body.substr(0, body.find_last_not_of("\r\n") + 1);
  result.body = std::string(body);
  if (result.status < 200 || result.status >= 300) {
    http::Response inner;
    inner.status = result.status;
    inner.headers = result.headers;
    inner.body = result.body;
    result.error = error_from_response(inner);
    // A part without an id of its own was served under the whole $batch request's id.
    if (result.error->service_request_id.empty()) {
      result.error->service_request_id = service_request_id(response.headers);
    }
  }
  return result;
}

} // namespace

Result<EncodedBatch> encode_batch(const BatchRequest& request, const std::string& service_path,
                                  Random& random) {
  LEADSYNC_CHECK(check_batch(request));
  const std::string boundary = "batch_" + Uuid::generate_v4(random).to_string();
  EncodedBatch encoded;
  encoded.content_type = "multipart/mixed; boundary=" + boundary;
  if (request.continue_on_error) {
    encoded.prefer = "odata.continue-on-error";
  }
  std::string& body = encoded.body;
  for (const BatchPart& part : request.parts) {
    body += fmt::format("--{}\r\n", boundary);
    if (!part.changeset) {
      body += encode_operation(part.operations.front(), service_path);
      body += crlf;
      continue;
    }
    const std::string changeset = "changeset_" + Uuid::generate_v4(random).to_string();
    body += fmt::format("Content-Type: multipart/mixed; boundary={}\r\n\r\n", changeset);
    for (const BatchOperation& operation : part.operations) {
      body += fmt::format("--{}\r\n", changeset);
      body += encode_operation(operation, service_path);
      body += crlf;
    }
    body += fmt::format("--{}--\r\n", changeset);
  }
  body += fmt::format("--{}--\r\n", boundary);
  return encoded;
}

Result<std::vector<OperationResult>> decode_batch_response(const http::Response& response) {
  const std::string content_type = response.headers.get("Content-Type").value_or("");
  const std::string boundary = multipart_boundary(content_type);
  if (boundary.empty()) {
    if (response.status < 200 || response.status >= 300) {
      return error_from_response(response);
    }
    return protocol_error(response, fmt::format("the $batch response is not multipart/mixed with a "
                                                "boundary (Content-Type '{}')",
                                                content_type));
  }
  LEADSYNC_TRY(std::vector<MimePart> parts, split_multipart(response, response.body, boundary));
  std::vector<OperationResult> results;
  for (const MimePart& part : parts) {
    const std::string changeset_boundary =
        multipart_boundary(part.headers.get("Content-Type").value_or(""));
    if (changeset_boundary.empty()) {
      LEADSYNC_TRY(OperationResult result, decode_operation(response, part));
      results.push_back(std::move(result));
      continue;
    }
    LEADSYNC_TRY(std::vector<MimePart> changeset,
                 split_multipart(response, part.body, changeset_boundary));
    for (const MimePart& member : changeset) {
      LEADSYNC_TRY(OperationResult result, decode_operation(response, member));
      results.push_back(std::move(result));
    }
  }
  return results;
}

} // namespace leadsync::odata
