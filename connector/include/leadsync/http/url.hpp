#pragma once
// URL parsing and percent-encoding for the Web API client and the servers. Only what HTTP(S) needs:
// absolute http/https URLs, request targets, query strings. '+' is a literal plus, never a space:
// OData URLs are not HTML form data.

#include "leadsync/core/result.hpp"

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace leadsync::http {

struct Url {
  std::string scheme;     // "http" or "https", lower case
  std::string host;       // lower case; an IPv6 literal without brackets ("::1")
  std::uint16_t port = 0; // always set: the explicit port, else the scheme's default (80, 443)
  std::string path;       // percent-encoded as given; "/" when the URL has none
  std::string query;      // percent-encoded as given, without the '?'; empty when none

  // "host" or "host:port" when the port is not the scheme's default; IPv6 hosts in brackets.
  std::string authority() const;
  // The origin-form request target: path, plus "?query" when there is one.
  std::string target() const;
  friend bool operator==(const Url&, const Url&) = default;
};

// Parses an absolute http or https URL. Fails (invalid_argument) on other schemes, a missing host,
// user credentials in the URL, a bad port, or spaces/control characters. A "#fragment" is dropped.
Result<Url> parse_url(std::string_view text);
// "scheme://authority/path?query"; the port is left out when it is the scheme's default.
std::string to_string(const Url& url);

// Percent-encodes every byte except the unreserved characters (A-Z a-z 0-9 - . _ ~) and those in
// keep_chars. Hex digits are upper case.
std::string percent_encode(std::string_view text, std::string_view keep_chars = {});
// Decodes %XX sequences; '+' stays '+'. Fails (invalid_argument) on a '%' not followed by two hex
// digits.
Result<std::string> percent_decode(std::string_view text);

using QueryParams = std::vector<std::pair<std::string, std::string>>;
// Splits "a=1&b=%20x" into decoded pairs, in order. A name without '=' gets an empty value; empty
// pieces
// ("a=1&&b=2") are skipped. Fails when a name or value has an invalid % sequence.
Result<QueryParams> parse_query(std::string_view query);

struct Target {
  std::string path;  // still percent-encoded
  std::string query; // without the '?'; empty when none
};
// Splits a request target "/p?q" at the first '?'.
Target split_target(std::string_view target);

// True for "localhost", 127.0.0.0/8, ::1 (also "[::1]") and IPv4-mapped loopback
// (::ffff:127.0.0.1). Names other than "localhost" are not resolved, so they count as not loopback.
bool is_loopback_host(std::string_view host);

} // namespace leadsync::http
