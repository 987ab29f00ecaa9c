#include "leadsync/dataverse/client_credentials.hpp"

#include "leadsync/core/json_limits.hpp"
#include "leadsync/core/log.hpp"
#include "leadsync/http/url.hpp"
#include "leadsync/odata/response.hpp"

#include <algorithm>
#include <charconv>
#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <optional>
#include <stdexcept>

namespace leadsync::dataverse {

namespace {

using nlohmann::json;

constexpr std::string_view what_to_check =
    "check crm.auth.client_id, the client secret (crm.auth.client_secret_file or "
    "crm.auth.client_secret_env) and crm.auth.tenant";

std::string trim_trailing_slashes(std::string text) {
  while (!text.empty() && text.back() == '/') {
    text.pop_back();
  }
  return text;
}

// A server could echo what it was sent; the secret must never reach an error message.
std::string without_secret(std::string text, const std::string& secret) {
  if (secret.empty()) {
    return text;
  }
  for (auto at = text.find(secret); at != std::string::npos; at = text.find(secret, at)) {
    text.replace(at, secret.size(), "***");
  }
  return text;
}

Failure token_protocol_error(const std::string& token_url, std::string_view problem) {
  return fail(ErrorCategory::protocol,
              fmt::format("the token endpoint {} answered with {}", token_url, problem));
}

// expires_in is a number in the v2.0 endpoint's answer; older endpoints send it as a string.
std::optional<std::int64_t> expires_in_seconds(const json& body) {
  const auto member = body.find("expires_in");
  if (member == body.end()) {
    return std::nullopt;
  }
  if (member->is_number_integer()) {
    return member->get<std::int64_t>();
  }
  if (member->is_string()) {
    const auto& text = member->get_ref<const std::string&>();
    std::int64_t value = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec == std::errc{} && end == text.data() + text.size()) {
      return value;
    }
  }
  return std::nullopt;
}

} // namespace

ClientCredentialsProvider::ClientCredentialsProvider(ClientCredentialsOptions options,
                                                     std::shared_ptr<http::Transport> transport,
                                                     Clock& clock)
    : options_(std::move(options)), transport_(std::move(transport)), clock_(clock) {
  if (!transport_) {
    throw std::invalid_argument("ClientCredentialsProvider needs a transport");
  }
  options_.authority = trim_trailing_slashes(options_.authority);
  log::Redactor::instance().add_secret(options_.client_secret.reveal());
  secret_ = options_.client_secret;
}

std::string ClientCredentialsProvider::current_secret() const {
  MutexLock lock(secret_mutex_);
  if (options_.reload_secret) {
    auto reloaded = options_.reload_secret();
    if (reloaded.ok()) {
      if (reloaded->reveal() != secret_.reveal()) {
        log::Redactor::instance().add_secret(reloaded->reveal());
        log::get()->info("the client secret changed on disk; the next access token is asked for "
                         "with the new one");
        secret_ = std::move(*reloaded);
      }
      reload_failure_logged_ = false;
    } else if (!reload_failure_logged_) {
      reload_failure_logged_ = true;
      log::get()->warn("cannot read the client secret again ({}); the last one read is used",
                       reloaded.error().message);
    }
  }
  return secret_.reveal();
}

std::string ClientCredentialsProvider::token_url() const {
  return options_.authority + "/" + options_.tenant + "/oauth2/v2.0/token";
}

Result<http::AccessToken> ClientCredentialsProvider::get_token(const http::TokenRequest& request) {
  bool cancelled = false; // guarded by mutex_
  // Registered before the lock is taken, so that it unregisters after the lock is released: the
  // callback takes the same mutex (and runs at once, on this thread, if already cancelled).
  const auto registration = request.cancel.on_cancel([this, &cancelled] {
    {
      MutexLock lock(mutex_);
      cancelled = true;
    }
    refresh_done_.notify_all();
  });
  const auto cancelled_error = [this] {
    return fail(ErrorCategory::cancelled,
                fmt::format("cancelled while waiting for an access token from {}", token_url()));
  };

  UniqueLock lock(mutex_);
  // Set when a refresh made by another caller succeeded while this one waited: that token is
  // newer than whatever this caller wanted replaced.
  bool refreshed_meanwhile = false;
  while (true) {
    if (cancelled) {
      return cancelled_error();
    }
    const auto now = clock_.now();
    const bool usable = cached_ && now < cached_->expires_at;
    const bool refused_is_cached =
        request.force_refresh_if_still && cached_ &&
        cached_->token.reveal() == request.force_refresh_if_still->reveal();
    const bool forced = !refreshed_meanwhile && (request.force_refresh || refused_is_cached);
    if (!forced && usable && now < refresh_at_) {
      return *cached_;
    }

    if (refreshing_) {
      const auto seen = finished_refreshes_;
      refresh_done_.wait(lock, [&] {
        mutex_.assert_held();
        return cancelled || !refreshing_;
      });
      if (cancelled) {
        return cancelled_error();
      }
      if (finished_refreshes_ == seen) {
        continue; // that caller was cancelled before it had an answer: ask ourselves
      }
      if (!last_failure_) {
        refreshed_meanwhile = true;
        continue;
      }
      // The refresh waited for failed: share its outcome rather than ask again at once.
      const bool still_usable = cached_ && clock_.now() < cached_->expires_at;
      const bool still_refused =
          request.force_refresh_if_still && cached_ &&
          cached_->token.reveal() == request.force_refresh_if_still->reveal();
      if (!request.force_refresh && !still_refused && still_usable) {
        return *cached_;
      }
      return *last_failure_;
    }

    refreshing_ = true;
    lock.unlock();
    auto fetched = fetch_token(request);
    lock.lock();
    refreshing_ = false;
    const bool fetch_cancelled =
        !fetched.ok() && fetched.error().category == ErrorCategory::cancelled;
    if (!fetch_cancelled) {
      ++finished_refreshes_;
      last_failure_ = fetched.ok() ? std::nullopt : std::optional<Error>(fetched.error());
    }
    if (fetched.ok()) {
      cached_ = fetched->token;
      refresh_at_ = fetched->refresh_at;
      failure_logged_ = false;
    }
    refresh_done_.notify_all();
    if (fetched.ok()) {
      return fetched->token;
    }
    // A refresh ahead of expiry that failed: the cached token is still good for a while.
    if (!fetch_cancelled && !forced && cached_ && clock_.now() < cached_->expires_at) {
      return keep_cached_after(fetched.error());
    }
    return fetched.error();
  }
}

http::AccessToken ClientCredentialsProvider::keep_cached_after(const Error& failure) {
  const auto now = clock_.now();
  refresh_at_ = std::min(now + options_.retry_refresh_after, cached_->expires_at);
  const auto left = std::chrono::duration_cast<std::chrono::seconds>(cached_->expires_at - now);
  // The error text never holds the secret (fetch_token takes it out), and the redactor knows it.
  if (!failure_logged_) {
    failure_logged_ = true;
    log::get()->warn("cannot refresh the access token ahead of its expiry ({}); using the cached "
                     "token, valid for {} s more, and trying again in {} s",
                     failure.describe(), left.count(), options_.retry_refresh_after.count());
  } else {
    log::get()->debug("the access token refresh failed again ({}); the cached token is valid for "
                      "{} s more",
                      failure.describe(), left.count());
  }
  return *cached_;
}

Result<ClientCredentialsProvider::Fetched>
ClientCredentialsProvider::fetch_token(const http::TokenRequest& token_request) const {
  const std::string url = token_url();
  const auto parsed = http::parse_url(url);
  if (!parsed.ok()) {
    return fail(ErrorCategory::config,
                fmt::format("the token URL {} built from crm.auth.authority and crm.auth.tenant is "
                            "not valid: {}",
                            url, parsed.error().message));
  }
  if (parsed->scheme == "http" && !http::is_loopback_host(parsed->host)) {
    return fail(ErrorCategory::config,
                fmt::format("refusing to send the client secret over plain http to {}; use an "
                            "https crm.auth.authority",
                            parsed->host));
  }

  // Section 10 of the notes: form-encoded client_id, client_secret, scope, grant_type.
  http::Request request;
  request.method = "POST";
  request.url = url;
  request.headers.set("Accept", "application/json");
  request.headers.set("Content-Type", "application/x-www-form-urlencoded");
  const std::string secret = current_secret();
  request.body = "client_id=" + http::percent_encode(options_.client_id) +
                 "&client_secret=" + http::percent_encode(secret) +
                 "&scope=" + http::percent_encode(options_.scope) +
                 "&grant_type=client_credentials";
  request.deadline = token_request.deadline;
  http::CallContext context;
  context.cancel = token_request.cancel;
  context.idempotent = true;
  const auto requested_at = clock_.now();
  auto result = transport_->send(request, context);
  if (!result.ok()) {
    Error error = result.error();
    error.message = without_secret(
        fmt::format("cannot get an access token from {}: {}", url, error.message), secret);
    if (error.category != ErrorCategory::cancelled && error.category != ErrorCategory::timeout) {
      error.category = ErrorCategory::unavailable;
    }
    return error;
  }
  const http::Response& response = *result;
  if (response.status < 200 || response.status >= 300) {
    Error error = odata::error_from_response(response);
    if (error.service_code == "invalid_scope") {
      error.message =
          fmt::format("{}; check crm.auth.scope (by default <crm.url>/.default)", error.message);
    } else if (error.category == ErrorCategory::unauthorized) {
      error.message = fmt::format("{}; {}", error.message, what_to_check);
    } else {
      error.message = fmt::format("the token endpoint {} answered HTTP {}: {}", url,
                                  response.status, error.message);
    }
    error.message = without_secret(std::move(error.message), secret);
    return error;
  }

  if (!json_depth_within(response.body)) {
    return token_protocol_error(url, fmt::format("JSON nested deeper than {} levels, more than "
                                                 "leadsync accepts; check crm.auth.authority",
                                                 max_json_depth));
  }
  const json body = json::parse(response.body, nullptr, false);
  if (body.is_discarded() || !body.is_object()) {
    return token_protocol_error(url, "a body that is not a JSON object");
  }
  const auto access_token = body.find("access_token");
  if (access_token == body.end() || !access_token->is_string() ||
      access_token->get_ref<const std::string&>().empty()) {
    return token_protocol_error(url, "no \"access_token\"");
  }
  // The token becomes an Authorization header value: a line break in it would add a header of
  // the endpoint's choosing to every CRM request (issue 18). The value itself is never quoted.
  if (std::ranges::any_of(access_token->get_ref<const std::string&>(), [](char c) {
        const auto byte = static_cast<unsigned char>(c);
        return byte < 0x20 || byte == 0x7F;
      })) {
    return token_protocol_error(
        url, "an \"access_token\" that holds a line break or another control character; it "
             "cannot be sent in an Authorization header, so check crm.auth.authority points at "
             "Microsoft Entra ID");
  }
  if (const auto type = body.find("token_type");
      type != body.end() &&
      !(type->is_string() && http::iequals(type->get<std::string>(), "Bearer"))) {
    return token_protocol_error(url, "a token_type other than Bearer");
  }
  const auto lifetime_s = expires_in_seconds(body);
  if (!lifetime_s || *lifetime_s <= 0) {
    return token_protocol_error(url, "no positive \"expires_in\"");
  }

  const std::chrono::seconds lifetime{*lifetime_s};
  // Refresh refresh_ahead before expiry; a token too short-lived for that is refreshed at half
  // its life, so it is still used for a while.
  const auto ahead = lifetime < 2 * options_.refresh_ahead ? lifetime / 2 : options_.refresh_ahead;
  http::AccessToken token{Secret(access_token->get<std::string>()), requested_at + lifetime};
  const auto refresh_at = token.expires_at - ahead;
  return Fetched{std::move(token), refresh_at};
}

} // namespace leadsync::dataverse
