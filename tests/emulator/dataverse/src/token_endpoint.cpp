// The Entra-style token endpoint, /{tenant}/oauth2/v2.0/token (dataverse-notes section 10), and
// the registry of the tokens it issued.

#include "emulator_impl.hpp"

#include <algorithm>
#include <array>
#include <cstdint>
#include <ctime>
#include <fmt/format.h>
#include <leadsync/http/url.hpp>
#include <map>
#include <optional>

namespace dvemu {
namespace detail {

void TokenRegistry::issue(const std::string& token, const std::string& user, WallTime expires,
                          WallTime now) {
  leadsync::MutexLock lock(mutex_);
  std::erase_if(tokens_, [&](const auto& entry) { return entry.second.expires <= now; });
  tokens_[token] = Issued{user, expires};
}

std::pair<TokenState, std::string>
TokenRegistry::check(const std::string& token, const std::string& static_user, WallTime now) const {
  leadsync::MutexLock lock(mutex_);
  if (revoked_.count(token) > 0) {
    return {TokenState::revoked, {}};
  }
  if (!static_token_.empty() && token == static_token_) {
    return {TokenState::valid, static_user};
  }
  const auto it = tokens_.find(token);
  if (it == tokens_.end()) {
    return {TokenState::unknown, {}};
  }
  if (it->second.expires <= now) {
    return {TokenState::expired, {}};
  }
  return {TokenState::valid, it->second.user};
}

void TokenRegistry::revoke(const std::string& token) {
  leadsync::MutexLock lock(mutex_);
  tokens_.erase(token);
  revoked_.insert(token);
}

void TokenRegistry::restore_static_token() {
  leadsync::MutexLock lock(mutex_);
  revoked_.erase(static_token_);
}

namespace {

// "2026-11-22 20:00:00Z", the timestamp form of Entra error bodies.
std::string entra_timestamp(WallTime time) {
  const std::time_t seconds = std::chrono::system_clock::to_time_t(
      std::chrono::time_point_cast<std::chrono::system_clock::duration>(time));
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  std::array<char, 32> text{};
  std::strftime(text.data(), text.size(), "%Y-%m-%d %H:%M:%SZ", &utc);
  return text.data();
}

std::string base64url(std::string_view bytes) {
  static constexpr std::string_view base64_alphabet =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string out;
  std::uint32_t buffer = 0;
  int bits = 0;
  for (const unsigned char byte : bytes) {
    buffer = (buffer << 8U) | byte;
    bits += 8;
    while (bits >= 6) {
      bits -= 6;
      out += base64_alphabet[(buffer >> static_cast<unsigned>(bits)) & 0x3FU];
    }
  }
  if (bits > 0) {
    out += base64_alphabet[(buffer << static_cast<unsigned>(6 - bits)) & 0x3FU];
  }
  return out;
}

// Standard base64 (HTTP Basic credentials); nullopt on characters outside the alphabet.
std::optional<std::string> base64_decode(std::string_view text) {
  std::string out;
  std::uint32_t buffer = 0;
  int bits = 0;
  for (const char c : text) {
    if (c == '=') {
      break;
    }
    int value = -1;
    if (c >= 'A' && c <= 'Z') {
      value = c - 'A';
    } else if (c >= 'a' && c <= 'z') {
      value = c - 'a' + 26;
    } else if (c >= '0' && c <= '9') {
      value = c - '0' + 52;
    } else if (c == '+') {
      value = 62;
    } else if (c == '/') {
      value = 63;
    } else {
      return std::nullopt;
    }
    buffer = (buffer << 6U) | static_cast<std::uint32_t>(value);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((buffer >> static_cast<unsigned>(bits)) & 0xFFU);
    }
  }
  return out;
}

// application/x-www-form-urlencoded: '+' is a space here, unlike in OData URLs.
std::optional<std::map<std::string, std::string>> parse_form(std::string_view body) {
  std::map<std::string, std::string> fields;
  for (const auto& piece : split(body, '&')) {
    if (piece.empty()) {
      continue;
    }
    const auto equals = piece.find('=');
    std::string name = piece.substr(0, equals);
    std::string value = equals == std::string::npos ? std::string() : piece.substr(equals + 1);
    std::replace(name.begin(), name.end(), '+', ' ');
    std::replace(value.begin(), value.end(), '+', ' ');
    auto decoded_name = leadsync::http::percent_decode(name);
    auto decoded_value = leadsync::http::percent_decode(value);
    if (!decoded_name.ok() || !decoded_value.ok()) {
      return std::nullopt;
    }
    fields.emplace(std::move(decoded_name).value(), std::move(decoded_value).value());
  }
  return fields;
}

} // namespace
} // namespace detail

using namespace detail;

Response Emulator::Impl::issue_token(const Request& request, const std::string& tenant) {
  // Entra's error shape (dataverse-notes section 10).
  const auto entra_error = [&](int status, const std::string& error, int code,
                               const std::string& description) {
    const auto now = clock.now();
    const auto trace_id = new_guid();
    const auto correlation_id = new_guid();
    const auto timestamp = entra_timestamp(now);
    Json body{{"error", error},
              {"error_description",
               fmt::format("AADSTS{}: {}\r\nTrace ID: {}\r\nCorrelation ID: {}\r\nTimestamp: {}",
                           code, description, trace_id, correlation_id, timestamp)},
              {"error_codes", {code}},
              {"timestamp", timestamp},
              {"trace_id", trace_id},
              {"correlation_id", correlation_id},
              {"error_uri", fmt::format("https://login.microsoftonline.com/error?code={}", code)}};
    auto response = Response::json(status, body.dump());
    response.headers.set("Cache-Control", "no-store, no-cache");
    response.headers.set("Pragma", "no-cache");
    return response;
  };
  const auto content_type = lower(request.headers.get("Content-Type").value_or(""));
  const auto form = content_type.rfind("application/x-www-form-urlencoded", 0) == 0
                        ? parse_form(request.body)
                        : std::nullopt;
  if (!form) {
    return entra_error(400, "invalid_request", 900144,
                       "The request body must contain the following parameter: 'grant_type'. "
                       "Send it as application/x-www-form-urlencoded.");
  }
  const auto field = [&](const std::string& name) -> std::optional<std::string> {
    const auto it = form->find(name);
    return it == form->end() ? std::nullopt : std::optional<std::string>(it->second);
  };
  std::optional<std::string> client_id = field("client_id");
  std::optional<std::string> client_secret = field("client_secret");
  if (const auto basic = request.headers.get("Authorization");
      basic && lower(basic->substr(0, 6)) == "basic ") {
    const auto decoded = base64_decode(trim(basic->substr(6)));
    const auto colon = decoded ? decoded->find(':') : std::string::npos;
    if (!decoded || colon == std::string::npos) {
      return entra_error(401, "invalid_client", 7000216,
                         "The HTTP Basic credentials are not base64 of 'client_id:client_secret'.");
    }
    // RFC 6749 2.3.1: both parts are form-encoded before base64.
    auto id_part = parse_form("x=" + decoded->substr(0, colon));
    auto secret_part = parse_form("x=" + decoded->substr(colon + 1));
    if (!id_part || !secret_part) {
      return entra_error(401, "invalid_client", 7000216,
                         "The HTTP Basic credentials hold an invalid percent-encoding.");
    }
    client_id = (*id_part)["x"];
    client_secret = (*secret_part)["x"];
  }

  const auto grant_type = field("grant_type");
  if (!grant_type || grant_type->empty()) {
    return entra_error(400, "invalid_request", 900144,
                       "The request body must contain the following parameter: 'grant_type'.");
  }
  if (*grant_type != "client_credentials") {
    return entra_error(400, "unsupported_grant_type", 70003,
                       "The app requested an unsupported grant type '" + *grant_type +
                           "'. The emulator issues tokens for client_credentials only.");
  }
  if (!client_id || client_id->empty()) {
    return entra_error(400, "invalid_request", 900144,
                       "The request body must contain the following parameter: 'client_id'.");
  }
  const auto user = std::find_if(users.begin(), users.end(), [&](const ApplicationUser& known) {
    return known.client_id == *client_id;
  });
  if (user == users.end()) {
    return entra_error(400, "unauthorized_client", 700016,
                       "Application with identifier '" + *client_id +
                           "' was not found in the directory '" + tenant + "'. " +
                           (users.size() == 1 ? "Use the client id the emulator was started with "
                                                "(--client-id)."
                                              : "Use one of the client ids the emulator was "
                                                "started with (--client-id)."));
  }
  if (!client_secret || client_secret->empty()) {
    return entra_error(401, "invalid_client", 7000218,
                       "The request body must contain the following parameter: "
                       "'client_assertion' or 'client_secret'.");
  }
  const std::string accepted_secret = [this] {
    leadsync::MutexLock lock(secret_mutex);
    return options.auth.client_secret;
  }();
  if (!accepted_secret.empty() && *client_secret != accepted_secret) {
    return entra_error(401, "invalid_client", 7000215,
                       "Invalid client secret provided. Ensure the secret being sent in the "
                       "request is the client secret value, not the client secret ID, for a "
                       "secret added to app '" +
                           *client_id + "'.");
  }
  const auto scope = field("scope");
  if (!scope || scope->empty()) {
    return entra_error(400, "invalid_request", 900144,
                       "The request body must contain the following parameter: 'scope'.");
  }
  const std::string expected_scope = options.organization_url + "/.default";
  if (scope->size() < 9 || scope->substr(scope->size() - 9) != "/.default") {
    return entra_error(400, "invalid_scope", 1002012,
                       "The provided value for scope " + *scope +
                           " is not valid. Client credential flows must have a scope value with "
                           "/.default suffixed to the resource identifier (application ID URI): "
                           "use " +
                           expected_scope + ".");
  }
  if (lower(*scope) != lower(expected_scope)) {
    return entra_error(400, "invalid_scope", 70011,
                       "The provided value for the input parameter 'scope' is not valid. The "
                       "scope " +
                           *scope + " does not exist. Use " + expected_scope + ".");
  }

  // An opaque token shaped like Entra's JWTs (unsigned: only the emulator reads it).
  const auto now = clock.now();
  const auto lifetime = options.auth.token_lifetime;
  const auto issued_at = unix_ms(now) / 1000;
  const Json header{{"typ", "JWT"}, {"alg", "RS256"}, {"kid", "dataverse-emulator"}};
  const Json claims{{"aud", options.organization_url},
                    {"iss", "https://sts.windows.net/" + identity.tenant_id + "/"},
                    {"iat", issued_at},
                    {"nbf", issued_at},
                    {"exp", issued_at + lifetime.count()},
                    {"appid", *client_id},
                    {"oid", user->user_id},
                    {"sub", user->user_id},
                    {"tid", identity.tenant_id},
                    {"jti", new_guid()},
                    {"ver", "1.0"}};
  std::array<std::uint8_t, 32> signature{};
  leadsync::SecureRandom::instance().fill(signature);
  const std::string access_token =
      base64url(header.dump()) + "." + base64url(claims.dump()) + "." +
      base64url(
          std::string_view(reinterpret_cast<const char*>(signature.data()), signature.size()));
  tokens.issue(access_token, user->user_id, now + lifetime, now);
  counters.record_token_issued();
  auto response = Response::json(200, Json{{"token_type", "Bearer"},
                                           {"expires_in", lifetime.count()},
                                           {"ext_expires_in", lifetime.count()},
                                           {"access_token", access_token}}
                                          .dump());
  response.headers.set("Cache-Control", "no-store, no-cache");
  response.headers.set("Pragma", "no-cache");
  return response;
}

} // namespace dvemu
