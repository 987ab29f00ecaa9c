#include "dvemu/multipart.hpp"

#include <algorithm>
#include <cctype>
#include <string_view>

namespace dvemu {

namespace {

// Dataverse reports malformed $batch bodies as OData errors (the batch reader is part of the OData
// library), with the code it uses for those.
constexpr const char* batch_format_code = "0x80060888";

ServiceError malformed(std::string message) {
  return ServiceError{400, batch_format_code, std::move(message)};
}

std::string trim(std::string_view text) {
  const auto first = text.find_first_not_of(" \t");
  if (first == std::string_view::npos) {
    return {};
  }
  const auto last = text.find_last_not_of(" \t");
  return std::string(text.substr(first, last - first + 1));
}

// One line of text: [start, end) without its line break; next is where the following line starts.
struct Line {
  std::size_t start = 0;
  std::size_t end = 0;
  std::size_t next = 0;
};

Line line_at(std::string_view text, std::size_t start) {
  const auto newline = text.find('\n', start);
  if (newline == std::string_view::npos) {
    return {start, text.size(), text.size()};
  }
  const std::size_t end = newline > start && text[newline - 1] == '\r' ? newline - 1 : newline;
  return {start, end, newline + 1};
}

// Reads "Name: value" lines from text[position] up to the first empty line, which it consumes.
// Lines starting with a space or tab continue the previous field. Returns the error message, if
// any.
std::optional<std::string> read_header_block(std::string_view text, std::size_t& position,
                                             leadsync::http::Headers& headers,
                                             bool require_blank_line, std::string_view what) {
  std::vector<leadsync::http::Headers::Field> fields;
  while (true) {
    if (position >= text.size()) {
      if (require_blank_line) {
        return std::string(what) + " has no blank line after its headers: end the headers with an "
                                   "empty line (CRLF CRLF) before the body.";
      }
      break;
    }
    const Line line = line_at(text, position);
    position = line.next;
    const std::string_view content = text.substr(line.start, line.end - line.start);
    if (content.empty()) {
      break;
    }
    if ((content.front() == ' ' || content.front() == '\t') && !fields.empty()) {
      fields.back().second += " " + trim(content);
      continue;
    }
    const auto colon = content.find(':');
    if (colon == std::string_view::npos || colon == 0 ||
        content.substr(0, colon).find_first_of(" \t") != std::string_view::npos) {
      return std::string(what) + " has a malformed header line '" + std::string(content) +
             "': write headers as 'Name: value' and end them with an empty line.";
    }
    fields.emplace_back(trim(content.substr(0, colon)), trim(content.substr(colon + 1)));
  }
  for (auto& [name, value] : fields) {
    headers.add(std::move(name), std::move(value));
  }
  return std::nullopt;
}

bool is_token(std::string_view text) {
  return !text.empty() && std::all_of(text.begin(), text.end(), [](char c) {
    return std::isalpha(static_cast<unsigned char>(c)) != 0;
  });
}

} // namespace

std::string multipart_boundary(const std::string& content_type) {
  std::size_t position = content_type.find(';');
  while (position != std::string::npos) {
    ++position;
    const auto equals = content_type.find('=', position);
    const auto next_separator = content_type.find(';', position);
    if (equals == std::string::npos ||
        (next_separator != std::string::npos && next_separator < equals)) {
      position = next_separator;
      continue;
    }
    const std::string name =
        trim(std::string_view(content_type).substr(position, equals - position));
    std::size_t value_start = equals + 1;
    while (value_start < content_type.size() && content_type[value_start] == ' ') {
      ++value_start;
    }
    std::string value;
    std::size_t value_end = 0;
    if (value_start < content_type.size() && content_type[value_start] == '"') {
      value_end = value_start + 1;
      while (value_end < content_type.size() && content_type[value_end] != '"') {
        if (content_type[value_end] == '\\' && value_end + 1 < content_type.size()) {
          ++value_end;
        }
        value += content_type[value_end++];
      }
    } else {
      value_end = content_type.find(';', value_start);
      value =
          trim(std::string_view(content_type)
                   .substr(value_start, value_end == std::string::npos ? std::string::npos
                                                                       : value_end - value_start));
    }
    if (leadsync::http::iequals(name, "boundary")) {
      return value;
    }
    position = content_type.find(';', value_end);
  }
  return {};
}

std::variant<std::vector<MimePart>, ServiceError> parse_multipart(const std::string& body,
                                                                  const std::string& boundary) {
  if (boundary.empty()) {
    return malformed("The multipart body has no boundary: send Content-Type multipart/mixed; "
                     "boundary=<id> and separate the parts with --<id> lines.");
  }
  const std::string delimiter = "--" + boundary;
  const std::string_view text(body);

  // A delimiter line: "--boundary" (or "--boundary--" to close) at the start of a line, then
  // optional transport padding (spaces, tabs) and the line break (CRLF or a bare LF).
  struct Delimiter {
    std::size_t line_start = 0;
    std::size_t content_start = 0; // where the next part begins
    bool closing = false;
  };
  std::vector<Delimiter> delimiters;
  std::size_t line_start = 0;
  while (line_start < text.size()) {
    const Line line = line_at(text, line_start);
    const std::string_view content = text.substr(line.start, line.end - line.start);
    if (content.starts_with(delimiter)) {
      std::string_view rest = content.substr(delimiter.size());
      const bool closing = rest.starts_with("--");
      if (closing) {
        rest.remove_prefix(2);
      }
      if (rest.find_first_not_of(" \t") == std::string_view::npos) {
        delimiters.push_back({line.start, line.next, closing});
        if (closing) {
          break;
        }
      }
    }
    line_start = line.next;
  }
  if (delimiters.empty() || delimiters.front().closing) {
    return malformed("The multipart body has no part: each part must start with a line '" +
                     delimiter + "' and the body must end with '" + delimiter + "--'.");
  }
  if (!delimiters.back().closing) {
    return malformed(
        "Unexpected end of MIME multipart stream. MIME multipart message is not complete: "
        "end the body with the line '" +
        delimiter + "--'.");
  }

  std::vector<MimePart> parts;
  for (std::size_t i = 0; i + 1 < delimiters.size(); ++i) {
    const std::size_t start = delimiters[i].content_start;
    std::size_t end = delimiters[i + 1].line_start;
    // The line break before a delimiter belongs to the delimiter.
    if (end > start && text[end - 1] == '\n') {
      --end;
      if (end > start && text[end - 1] == '\r') {
        --end;
      }
    }
    const std::string_view content = text.substr(start, end > start ? end - start : 0);
    MimePart part;
    std::size_t position = 0;
    const std::string what = "Part " + std::to_string(i + 1) + " of the multipart body";
    if (auto error = read_header_block(content, position, part.headers, true, what)) {
      return malformed(std::move(*error));
    }
    part.body = std::string(content.substr(std::min(position, content.size())));
    parts.push_back(std::move(part));
  }
  return parts;
}

std::variant<EmbeddedRequest, ServiceError> parse_embedded_request(const std::string& text) {
  std::size_t position = 0;
  // Blank lines before the request line are tolerated, as HTTP parsers do.
  Line line = line_at(text, position);
  while (line.start == line.end && line.next < text.size()) {
    line = line_at(text, line.next);
  }
  const std::string request_line = text.substr(line.start, line.end - line.start);
  const auto first_space = request_line.find(' ');
  const auto last_space = request_line.rfind(' ');
  EmbeddedRequest request;
  if (first_space != std::string::npos && last_space > first_space) {
    request.method = request_line.substr(0, first_space);
    request.target = trim(request_line.substr(first_space + 1, last_space - first_space - 1));
  }
  const std::string version =
      last_space == std::string::npos ? std::string() : request_line.substr(last_space + 1);
  if (!is_token(request.method) || request.target.empty() ||
      request.target.find(' ') != std::string::npos || !version.starts_with("HTTP/1.")) {
    return malformed("The request line '" + request_line +
                     "' inside the $batch is not valid: write 'METHOD url HTTP/1.1', for example "
                     "'POST /api/data/v9.2/leads HTTP/1.1'.");
  }
  position = line.next;
  if (auto error = read_header_block(text, position, request.headers, false,
                                     "The request '" + request_line + "'")) {
    return malformed(std::move(*error));
  }
  request.body = text.substr(std::min(position, text.size()));
  return request;
}

std::string format_embedded_response(const leadsync::http::Response& response) {
  std::string text = "HTTP/1.1 " + std::to_string(response.status) + " " +
                     std::string(leadsync::http::reason_phrase(response.status)) + "\r\n";
  for (const auto& [name, value] : response.headers) {
    text += name + ": " + value + "\r\n";
  }
  text += "\r\n";
  text += response.body;
  return text;
}

std::string format_multipart(const std::vector<MimePart>& parts, const std::string& boundary) {
  std::string text;
  for (const MimePart& part : parts) {
    text += "--" + boundary + "\r\n";
    for (const auto& [name, value] : part.headers) {
      text += name + ": " + value + "\r\n";
    }
    text += "\r\n";
    text += part.body;
    text += "\r\n";
  }
  text += "--" + boundary + "--";
  return text;
}

} // namespace dvemu
