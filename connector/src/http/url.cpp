#include "leadsync/http/url.hpp"

#include "leadsync/core/text.hpp"
#include "leadsync/http/headers.hpp"

#include <algorithm>
#include <arpa/inet.h>
#include <array>
#include <cctype>
#include <charconv>
#include <fmt/format.h>
#include <netinet/in.h>

namespace leadsync::http {

namespace {

constexpr std::uint16_t http_port = 80;
constexpr std::uint16_t https_port = 443;

std::uint16_t default_port(std::string_view scheme) {
  return scheme == "https" ? https_port : http_port;
}

bool is_unreserved(unsigned char c) {
  return std::isalnum(c) != 0 || c == '-' || c == '.' || c == '_' || c == '~';
}

Failure bad_url(std::string_view text, std::string_view why) {
  return fail(ErrorCategory::invalid_argument, fmt::format("invalid URL '{}': {}", text, why));
}

bool valid_reg_name(std::string_view host) {
  return std::all_of(host.begin(), host.end(), [](unsigned char c) { return is_unreserved(c); });
}

bool valid_ipv6_literal(std::string_view host) {
  return !host.empty() && std::all_of(host.begin(), host.end(), [](unsigned char c) {
    return std::isxdigit(c) != 0 || c == ':' || c == '.';
  });
}

} // namespace

std::string Url::authority() const {
  std::string result = host.find(':') == std::string::npos ? host : "[" + host + "]";
  if (port != default_port(scheme)) {
    result += ":" + std::to_string(port);
  }
  return result;
}

std::string Url::target() const {
  return query.empty() ? path : path + "?" + query;
}

Result<Url> parse_url(std::string_view text) {
  for (unsigned char c : text) {
    if (c <= 0x20 || c >= 0x7f) {
      return bad_url(text,
                     "it contains a space, control or non-ASCII character; percent-encode it");
    }
  }
  const auto scheme_end = text.find("://");
  if (scheme_end == std::string_view::npos) {
    return bad_url(text, "it is not absolute; write it as http://host/path or https://host/path");
  }
  Url url;
  url.scheme = text::ascii_lower(text.substr(0, scheme_end));
  if (url.scheme != "http" && url.scheme != "https") {
    return bad_url(text, "only http and https are supported");
  }
  std::string_view rest = text.substr(scheme_end + 3);
  if (const auto fragment = rest.find('#'); fragment != std::string_view::npos) {
    rest = rest.substr(0, fragment);
  }
  const auto authority_end = rest.find_first_of("/?");
  std::string_view authority = rest.substr(0, authority_end);
  rest = authority_end == std::string_view::npos ? std::string_view{} : rest.substr(authority_end);

  if (authority.find('@') != std::string_view::npos) {
    return bad_url(text,
                   "user credentials in a URL are not supported; configure authentication instead");
  }
  std::string_view host;
  std::string_view port_text;
  if (authority.starts_with('[')) {
    const auto close = authority.find(']');
    if (close == std::string_view::npos) {
      return bad_url(text, "the IPv6 address has no closing ']'");
    }
    host = authority.substr(1, close - 1);
    const std::string_view after = authority.substr(close + 1);
    if (!after.empty() && !after.starts_with(':')) {
      return bad_url(text, "unexpected characters after the IPv6 address");
    }
    port_text = after.empty() ? after : after.substr(1);
    if (!valid_ipv6_literal(host)) {
      return bad_url(text, "the IPv6 address is malformed");
    }
  } else {
    const auto colon = authority.find(':');
    host = authority.substr(0, colon);
    port_text = colon == std::string_view::npos ? std::string_view{} : authority.substr(colon + 1);
    if (host.empty()) {
      return bad_url(text, "the host is missing");
    }
    if (!valid_reg_name(host)) {
      return bad_url(text, "the host contains characters a host name cannot have");
    }
  }
  url.host = text::ascii_lower(host);

  url.port = default_port(url.scheme);
  if (!port_text.empty()) {
    unsigned value = 0;
    const auto [end, error] =
        std::from_chars(port_text.data(), port_text.data() + port_text.size(), value);
    if (error != std::errc{} || end != port_text.data() + port_text.size() || value == 0 ||
        value > 65535) {
      return bad_url(text, "the port must be a number from 1 to 65535");
    }
    url.port = static_cast<std::uint16_t>(value);
  }

  const auto query_start = rest.find('?');
  url.path = std::string(rest.substr(0, query_start));
  if (url.path.empty()) {
    url.path = "/";
  }
  if (query_start != std::string_view::npos) {
    url.query = std::string(rest.substr(query_start + 1));
  }
  return url;
}

std::string to_string(const Url& url) {
  return url.scheme + "://" + url.authority() + url.target();
}

std::string percent_encode(std::string_view text, std::string_view keep_chars) {
  static constexpr std::array<char, 16> hex_digits{'0', '1', '2', '3', '4', '5', '6', '7',
                                                   '8', '9', 'A', 'B', 'C', 'D', 'E', 'F'};
  std::string result;
  result.reserve(text.size());
  for (char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (is_unreserved(byte) || keep_chars.find(c) != std::string_view::npos) {
      result += c;
    } else {
      result += '%';
      result += hex_digits.at(byte >> 4U);
      result += hex_digits.at(byte & 0x0FU);
    }
  }
  return result;
}

Result<std::string> percent_decode(std::string_view text) {
  std::string result;
  result.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '%') {
      result += text[i];
      continue;
    }
    const int high = i + 1 < text.size() ? text::hex_value(text[i + 1]) : -1;
    const int low = i + 2 < text.size() ? text::hex_value(text[i + 2]) : -1;
    if (high < 0 || low < 0) {
      return fail(
          ErrorCategory::invalid_argument,
          fmt::format("invalid percent-encoding at position {} of '{}': '%' must be followed by "
                      "two hex digits (write a literal '%' as %25)",
                      i, text));
    }
    result += static_cast<char>(high * 16 + low);
    i += 2;
  }
  return result;
}

Result<QueryParams> parse_query(std::string_view query) {
  QueryParams params;
  while (!query.empty()) {
    const auto amp = query.find('&');
    const std::string_view piece = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view{} : query.substr(amp + 1);
    if (piece.empty()) {
      continue;
    }
    const auto equals = piece.find('=');
    LEADSYNC_TRY(std::string name, percent_decode(piece.substr(0, equals)));
    std::string value;
    if (equals != std::string_view::npos) {
      LEADSYNC_TRY(value, percent_decode(piece.substr(equals + 1)));
    }
    params.emplace_back(std::move(name), std::move(value));
  }
  return params;
}

Target split_target(std::string_view target) {
  const auto question = target.find('?');
  if (question == std::string_view::npos) {
    return Target{std::string(target), {}};
  }
  return Target{std::string(target.substr(0, question)), std::string(target.substr(question + 1))};
}

bool is_loopback_host(std::string_view host) {
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  if (iequals(host, "localhost") || iequals(host, "localhost.")) {
    return true;
  }
  const std::string text(host);
  in_addr v4{};
  if (inet_pton(AF_INET, text.c_str(), &v4) == 1) {
    return (ntohl(v4.s_addr) >> 24U) == 127U;
  }
  in6_addr v6{};
  if (inet_pton(AF_INET6, text.c_str(), &v6) == 1) {
    if (IN6_IS_ADDR_LOOPBACK(&v6)) {
      return true;
    }
    return IN6_IS_ADDR_V4MAPPED(&v6) && v6.s6_addr[12] == 127;
  }
  return false;
}

} // namespace leadsync::http
