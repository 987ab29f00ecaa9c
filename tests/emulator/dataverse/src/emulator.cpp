// The emulator's front end: every request passes, in order, through the request log, the admin
// endpoints (/_emulator/*), the Entra-style token endpoint, authentication, the service-protection
// limits, the seeded fault plan and the Web API, whose answer is then held back by the latency
// model before it is sent. Creates of rows with a registered webhook step are posted to the
// webhook's URL by a worker thread. Behaviour follows shared/dataverse-notes.md; the README next to
// this file documents it.

#include "dvemu/emulator.hpp"

#include "dvemu/record_store.hpp"
#include "dvemu/schema.hpp"
#include "dvemu/service_error.hpp"
#include "dvemu/web_api.hpp"
#include "leadsync/core/json_limits.hpp"

#include <algorithm>
#include <array>
#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <cctype>
#include <cmath>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <deque>
#include <filesystem>
#include <fmt/format.h>
#include <fstream>
#include <functional>
#include <leadsync/core/clock.hpp>
#include <leadsync/core/log.hpp>
#include <leadsync/core/random.hpp>
#include <leadsync/core/uuid.hpp>
#include <leadsync/http/server.hpp>
#include <leadsync/http/url.hpp>
#include <map>
#include <mutex>
#include <openssl/evp.h>
#include <queue>
#include <set>
#include <stdexcept>
#include <thread>
#include <unistd.h>
#include <vector>

namespace dvemu {

namespace {

using leadsync::ErrorCategory;
using leadsync::fail;
using leadsync::http::iequals;
using leadsync::http::Request;
using leadsync::http::Respond;
using leadsync::http::Response;
using SteadyTime = leadsync::Clock::SteadyTime;
using WallTime = leadsync::Clock::WallTime;
using std::chrono::milliseconds;

// The one organization the emulator serves, with its business unit, application user and tenant.
// Fixed ids, so a state file written by one run matches the next.
struct Identity {
  std::string tenant_id = "7c1a3f2e-5b8d-4e61-9a0c-2d4f6b8e1a00";
  std::string organization_id = "7c1a3f2e-5b8d-4e61-9a0c-2d4f6b8e1a01";
  std::string business_unit_id = "7c1a3f2e-5b8d-4e61-9a0c-2d4f6b8e1a02";
  std::string user_id = "7c1a3f2e-5b8d-4e61-9a0c-2d4f6b8e1a03";
  std::string organization_name = "leadsync-emulator";
};
// An application user: the client id that signs in and the systemuser its tokens act as.
struct ApplicationUser {
  std::string client_id;
  std::string user_id;
};

constexpr const char* create_message_id = "7c1a3f2e-5b8d-4e61-9a0c-2d4f6b8e1b01";
constexpr const char* us_dollar_id = "7c1a3f2e-5b8d-4e61-9a0c-2d4f6b8e1d01";
// sdkmessagefilter rows for Create of these tables, so webhook steps can be registered on them.
constexpr std::array<std::pair<const char*, const char*>, 3> create_filters{{
    {"lead", "7c1a3f2e-5b8d-4e61-9a0c-2d4f6b8e1c01"},
    {"contact", "7c1a3f2e-5b8d-4e61-9a0c-2d4f6b8e1c02"},
    {"account", "7c1a3f2e-5b8d-4e61-9a0c-2d4f6b8e1c03"},
}};

constexpr const char* data_prefix = "/api/data/v9.2";
constexpr const char* admin_prefix = "/_emulator/";
constexpr const char* data_content_type = "application/json; odata.metadata=minimal";
constexpr int default_ceiling_batch = 1000;
// Further client ids go into their systemuser rows (fullname holds 200 characters); an Entra
// client id has 36.
constexpr std::size_t max_client_id_length = 100;
// Dataverse posts to a webhook with a 60 s timeout, once more on 502/503/504 (notes section 11).
constexpr std::chrono::seconds webhook_timeout{60};
// Larger webhook bodies lose their InputParameters and images (notes section 11).
constexpr std::size_t webhook_size_limit = std::size_t{256} * 1024;
constexpr const char* xrm_contracts = "http://schemas.microsoft.com/xrm/2011/Contracts";

std::string new_guid() {
  return leadsync::Uuid::generate_v4().to_string();
}

std::string lower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

std::string trim(std::string_view text) {
  const auto first = text.find_first_not_of(" \t");
  if (first == std::string_view::npos) {
    return {};
  }
  const auto last = text.find_last_not_of(" \t");
  return std::string(text.substr(first, last - first + 1));
}

bool starts_with_path(std::string_view path, std::string_view prefix) {
  return path.size() >= prefix.size() && path.substr(0, prefix.size()) == prefix &&
         (path.size() == prefix.size() || path[prefix.size()] == '/');
}

std::vector<std::string> split(std::string_view text, char separator) {
  std::vector<std::string> parts;
  std::size_t start = 0;
  for (;;) {
    const auto end = text.find(separator, start);
    parts.emplace_back(text.substr(start, end == std::string_view::npos ? end : end - start));
    if (end == std::string_view::npos) {
      return parts;
    }
    start = end + 1;
  }
}

// 1200000 -> "1,200,000"
std::string group_thousands(std::int64_t value) {
  std::string digits = std::to_string(value < 0 ? -value : value);
  std::string out;
  for (std::size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) {
      out += ',';
    }
    out += digits[i];
  }
  return value < 0 ? "-" + out : out;
}

// Seconds as the limit messages print them: "300", or "2.5" for a window that is not whole seconds.
std::string window_seconds_text(milliseconds window) {
  if (window.count() % 1000 == 0) {
    return std::to_string(window.count() / 1000);
  }
  return fmt::format("{:g}", static_cast<double>(window.count()) / 1000.0);
}

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

std::int64_t unix_ms(WallTime time) {
  return std::chrono::duration_cast<milliseconds>(time.time_since_epoch()).count();
}

// "2026-11-22T20:00:00Z", "2026-11-22T20:00:00.123Z" or "2026-11-22" -> ms since the epoch.
std::optional<std::int64_t> parse_iso_ms(const std::string& text) {
  int year = 0;
  unsigned month = 0;
  unsigned day = 0;
  int hour = 0;
  int minute = 0;
  int second = 0;
  int consumed = 0;
  if (std::sscanf(text.c_str(), "%4d-%2u-%2u%n", &year, &month, &day, &consumed) != 3 ||
      consumed != 10) {
    return std::nullopt;
  }
  double fraction = 0;
  if (text.size() > 10) {
    int time_consumed = 0;
    if (std::sscanf(text.c_str() + 10, "T%2d:%2d:%2d%n", &hour, &minute, &second, &time_consumed) !=
        3) {
      return std::nullopt;
    }
    const auto rest = text.substr(10 + static_cast<std::size_t>(time_consumed));
    if (!rest.empty() && rest.front() == '.') {
      fraction = std::strtod(("0" + rest.substr(0, rest.find('Z'))).c_str(), nullptr);
    }
  }
  const std::chrono::year_month_day date{std::chrono::year{year}, std::chrono::month{month},
                                         std::chrono::day{day}};
  if (!date.ok()) {
    return std::nullopt;
  }
  const auto days = std::chrono::sys_days{date}.time_since_epoch();
  return std::chrono::duration_cast<milliseconds>(days).count() +
         ((hour * 60 + minute) * 60 + second) * 1000LL +
         static_cast<std::int64_t>(std::llround(fraction * 1000));
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

std::string xml_unescape(std::string text) {
  static const std::array<std::pair<std::string_view, char>, 5> entities{
      {{"&lt;", '<'}, {"&gt;", '>'}, {"&quot;", '"'}, {"&apos;", '\''}, {"&amp;", '&'}}};
  std::string out;
  for (std::size_t i = 0; i < text.size();) {
    bool replaced = false;
    if (text[i] == '&') {
      for (const auto& [entity, character] : entities) {
        if (text.compare(i, entity.size(), entity) == 0) {
          out += character;
          i += entity.size();
          replaced = true;
          break;
        }
      }
    }
    if (!replaced) {
      out += text[i++];
    }
  }
  return out;
}

// The value of attribute `name` inside one XML start tag, e.g. name="k" or name='k'.
std::optional<std::string> xml_attribute(std::string_view tag, std::string_view name) {
  std::size_t position = 0;
  while ((position = tag.find(name, position)) != std::string_view::npos) {
    const bool word_start =
        position > 0 && std::isspace(static_cast<unsigned char>(tag[position - 1])) != 0;
    auto cursor = position + name.size();
    while (cursor < tag.size() && std::isspace(static_cast<unsigned char>(tag[cursor])) != 0) {
      ++cursor;
    }
    if (word_start && cursor < tag.size() && tag[cursor] == '=') {
      ++cursor;
      while (cursor < tag.size() && std::isspace(static_cast<unsigned char>(tag[cursor])) != 0) {
        ++cursor;
      }
      if (cursor < tag.size() && (tag[cursor] == '"' || tag[cursor] == '\'')) {
        const char quote = tag[cursor];
        const auto end = tag.find(quote, cursor + 1);
        if (end != std::string_view::npos) {
          return xml_unescape(std::string(tag.substr(cursor + 1, end - cursor - 1)));
        }
      }
      return std::nullopt;
    }
    position += name.size();
  }
  return std::nullopt;
}

// serviceendpoint.authvalue for HttpHeader and HttpQueryString webhooks, as Dataverse stores it:
// <settings><setting name="k" value="v" /></settings>. nullopt when it is not in that form.
std::optional<std::vector<std::pair<std::string, std::string>>>
parse_auth_settings(std::string_view xml) {
  std::vector<std::pair<std::string, std::string>> pairs;
  std::size_t position = 0;
  while ((position = xml.find("<setting", position)) != std::string_view::npos) {
    const auto after = position + std::string_view("<setting").size();
    if (after < xml.size() && xml[after] == 's') { // <settings>
      position = after;
      continue;
    }
    const auto end = xml.find('>', after);
    if (end == std::string_view::npos) {
      return std::nullopt;
    }
    const auto tag = xml.substr(after, end - after);
    auto name = xml_attribute(tag, "name");
    auto value = xml_attribute(tag, "value");
    if (!name || !value) {
      return std::nullopt;
    }
    pairs.emplace_back(std::move(*name), std::move(*value));
    position = end;
  }
  if (pairs.empty()) {
    return std::nullopt;
  }
  return pairs;
}

// The stored value of a lookup column: {"id":"<guid>","entity":"<logical name>"}.
std::optional<std::string> lookup_id(const Json& attributes, const std::string& column) {
  const auto it = attributes.find(column);
  if (it == attributes.end() || !it->is_object() || !it->contains("id") ||
      !(*it)["id"].is_string()) {
    return std::nullopt;
  }
  return lower((*it)["id"].get<std::string>());
}

std::optional<std::string> lookup_entity(const Json& attributes, const std::string& column) {
  const auto it = attributes.find(column);
  if (it == attributes.end() || !it->is_object() || !it->contains("entity") ||
      !(*it)["entity"].is_string()) {
    return std::nullopt;
  }
  return (*it)["entity"].get<std::string>();
}

std::int64_t int_attribute(const Json& attributes, const std::string& column,
                           std::int64_t fallback) {
  const auto it = attributes.find(column);
  return it != attributes.end() && it->is_number_integer() ? it->get<std::int64_t>() : fallback;
}

std::string string_attribute(const Json& attributes, const std::string& column) {
  const auto it = attributes.find(column);
  return it != attributes.end() && it->is_string() ? it->get<std::string>() : std::string();
}

Response admin_json(int status, const Json& body) {
  return Response::json(status, body.dump(2));
}

Response admin_error(int status, const std::string& message) {
  return admin_json(status, Json{{"error", message}});
}

Response service_error_response(const ServiceError& error) {
  auto response = Response::with_body(error.status, error.body(), data_content_type);
  response.headers.set("OData-Version", "4.0");
  return response;
}

// --- Time

// The emulator's clock: system time plus an offset that POST /_emulator/clock moves forward, so
// tests can expire tokens and change-tracking tokens without waiting.
class OffsetClock final : public leadsync::Clock {
public:
  WallTime now() const override { return std::chrono::system_clock::now() + offset(); }
  SteadyTime steady_now() const override { return std::chrono::steady_clock::now() + offset(); }
  void advance(milliseconds by) { offset_ms_ += by.count(); }
  milliseconds offset() const { return milliseconds{offset_ms_.load()}; }

private:
  std::atomic<std::int64_t> offset_ms_{0};
};

// Runs tasks at given (real) times on one thread, so a delayed answer holds no server thread.
class DelayQueue {
public:
  DelayQueue() = default;
  DelayQueue(const DelayQueue&) = delete;
  DelayQueue& operator=(const DelayQueue&) = delete;
  ~DelayQueue() { stop(); }

  void start() {
    worker_ = std::thread([this] { run(); });
  }

  void run_at(std::chrono::steady_clock::time_point due, std::function<void()> task) {
    {
      std::lock_guard lock(mutex_);
      tasks_.push(Task{due, next_sequence_++, std::move(task)});
    }
    wake_.notify_one();
  }

  // Pending tasks are dropped: after the server stopped nobody can receive their answers.
  void stop() {
    {
      std::lock_guard lock(mutex_);
      stopping_ = true;
    }
    wake_.notify_one();
    if (worker_.joinable()) {
      worker_.join();
    }
    std::lock_guard lock(mutex_);
    tasks_ = {};
  }

private:
  struct Task {
    std::chrono::steady_clock::time_point due;
    std::uint64_t sequence = 0;
    std::function<void()> run;
  };
  struct Later {
    bool operator()(const Task& a, const Task& b) const {
      return a.due != b.due ? a.due > b.due : a.sequence > b.sequence;
    }
  };

  void run() {
    std::unique_lock lock(mutex_);
    while (!stopping_) {
      if (tasks_.empty()) {
        wake_.wait(lock);
        continue;
      }
      const auto due = tasks_.top().due;
      if (std::chrono::steady_clock::now() < due) {
        wake_.wait_until(lock, due);
        continue;
      }
      auto task = std::move(const_cast<Task&>(tasks_.top()).run);
      tasks_.pop();
      lock.unlock();
      task();
      lock.lock();
    }
  }

  std::mutex mutex_;
  std::condition_variable wake_;
  std::priority_queue<Task, std::vector<Task>, Later> tasks_;
  std::uint64_t next_sequence_ = 0;
  bool stopping_ = false;
  std::thread worker_;
};

// --- Service-protection limits (dataverse-notes section 8), per user over a sliding window.

struct Throttle {
  ServiceError error;
  std::int64_t retry_after_s = 1;
};

struct Remaining {
  std::int64_t requests = 0;
  std::int64_t execution_ms = 0;
};

// One user's figures for GET /_emulator/stats.
struct UserFigures {
  std::int64_t requests = 0;  // data requests that reached the limiter (throttled ones included)
  std::int64_t throttled = 0; // of those, refused with 429
  std::int64_t in_flight = 0;
  Remaining remaining;
};

class Limiter {
public:
  explicit Limiter(LimitOptions limits) : limits_(limits) {}

  LimitOptions limits() const {
    std::lock_guard lock(mutex_);
    return limits_;
  }

  void configure(const LimitOptions& limits) {
    std::lock_guard lock(mutex_);
    limits_ = limits;
  }

  // Takes a concurrency slot and counts the request, or says why it is refused. `user` is the
  // caller's systemuserid: every application user has its own windows, slots and 429s.
  std::optional<Throttle> admit(const std::string& user, SteadyTime now) {
    std::lock_guard lock(mutex_);
    auto& window = users_[user];
    ++window.seen;
    auto refusal = check(window, now);
    if (refusal) {
      ++window.throttled;
      return refusal;
    }
    if (limits_.enabled) {
      window.requests.push_back(now);
    }
    ++window.in_flight;
    ++in_flight_total_;
    max_in_flight_seen_ = std::max(max_in_flight_seen_, in_flight_total_);
    return std::nullopt;
  }

  // Releases the slot taken by admit() and adds the request's execution time to the window.
  void finish(const std::string& user, SteadyTime now, std::int64_t execution_ms) {
    std::lock_guard lock(mutex_);
    auto& window = users_[user];
    window.in_flight = std::max<std::int64_t>(0, window.in_flight - 1);
    in_flight_total_ = std::max<std::int64_t>(0, in_flight_total_ - 1);
    if (limits_.enabled && execution_ms > 0) {
      window.executions.emplace_back(now, execution_ms);
      window.execution_sum += execution_ms;
    }
  }

  Remaining remaining(const std::string& user, SteadyTime now) {
    std::lock_guard lock(mutex_);
    auto& window = users_[user];
    prune(window, now);
    return remaining_in(window, now);
  }

  UserFigures figures(const std::string& user, SteadyTime now) const {
    std::lock_guard lock(mutex_);
    const auto found = users_.find(user);
    const UserWindow unused;
    const auto& window = found == users_.end() ? unused : found->second;
    return UserFigures{.requests = window.seen,
                       .throttled = window.throttled,
                       .in_flight = window.in_flight,
                       .remaining = remaining_in(window, now)};
  }

  std::int64_t max_in_flight_seen() const {
    std::lock_guard lock(mutex_);
    return max_in_flight_seen_;
  }

  std::int64_t in_flight() const {
    std::lock_guard lock(mutex_);
    return in_flight_total_;
  }

  // Forgets the windows and the per-user counts (requests in flight keep their slots).
  void reset() {
    std::lock_guard lock(mutex_);
    for (auto& [user, window] : users_) {
      window.requests.clear();
      window.executions.clear();
      window.execution_sum = 0;
      window.seen = 0;
      window.throttled = 0;
    }
    max_in_flight_seen_ = in_flight_total_;
  }

private:
  struct UserWindow {
    std::deque<SteadyTime> requests;
    std::deque<std::pair<SteadyTime, std::int64_t>> executions;
    std::int64_t execution_sum = 0;
    std::int64_t in_flight = 0;
    std::int64_t seen = 0;
    std::int64_t throttled = 0;
  };

  // Why the user's next request is refused, if it is: concurrency first (it errors immediately),
  // then the two limits measured over the window.
  std::optional<Throttle> check(UserWindow& window, SteadyTime now) const {
    if (!limits_.enabled) {
      return std::nullopt;
    }
    prune(window, now);
    if (window.in_flight >= limits_.max_concurrency) {
      return Throttle{
          ServiceError{429, codes::concurrency_limit,
                       fmt::format("Number of concurrent requests exceeded the limit of {}.",
                                   limits_.max_concurrency)},
          1};
    }
    if (static_cast<std::int64_t>(window.requests.size()) >= limits_.max_requests) {
      // The request at this index is the one whose leaving brings the count under the limit.
      const auto leaving = window.requests.size() - static_cast<std::size_t>(limits_.max_requests);
      return Throttle{
          ServiceError{
              429, codes::requests_limit,
              fmt::format("Number of requests exceeded the limit of {} over time window of {} "
                          "seconds.",
                          limits_.max_requests, window_seconds_text(limits_.window))},
          seconds_until(window.requests[leaving] + limits_.window, now)};
    }
    if (window.execution_sum >= limits_.max_execution_ms) {
      std::int64_t sum = window.execution_sum;
      SteadyTime frees = now;
      for (const auto& [time, ms] : window.executions) {
        sum -= ms;
        if (sum < limits_.max_execution_ms) {
          frees = time + limits_.window;
          break;
        }
      }
      return Throttle{
          ServiceError{
              429, codes::execution_time_limit,
              fmt::format("Combined execution time of incoming requests exceeded limit of {} "
                          "milliseconds over time window of {} seconds. Decrease number of "
                          "concurrent requests or reduce the duration of requests and try "
                          "again later.",
                          group_thousands(limits_.max_execution_ms),
                          window_seconds_text(limits_.window))},
          seconds_until(frees, now)};
    }
    return std::nullopt;
  }

  // What is left of the window at `now`, counting only what the window still holds (the window
  // need not be pruned).
  Remaining remaining_in(const UserWindow& window, SteadyTime now) const {
    const auto horizon = now - limits_.window;
    const auto requests = std::count_if(window.requests.begin(), window.requests.end(),
                                        [&](SteadyTime time) { return time > horizon; });
    std::int64_t execution_ms = 0;
    for (const auto& [time, ms] : window.executions) {
      execution_ms += time > horizon ? ms : 0;
    }
    return Remaining{std::max<std::int64_t>(0, limits_.max_requests - requests),
                     std::max<std::int64_t>(0, limits_.max_execution_ms - execution_ms)};
  }

  void prune(UserWindow& window, SteadyTime now) const {
    const auto horizon = now - limits_.window;
    while (!window.requests.empty() && window.requests.front() <= horizon) {
      window.requests.pop_front();
    }
    while (!window.executions.empty() && window.executions.front().first <= horizon) {
      window.execution_sum -= window.executions.front().second;
      window.executions.pop_front();
    }
  }

  static std::int64_t seconds_until(SteadyTime when, SteadyTime now) {
    const auto wait = std::chrono::duration_cast<milliseconds>(when - now).count();
    return std::max<std::int64_t>(1, (wait + 999) / 1000);
  }

  mutable std::mutex mutex_;
  LimitOptions limits_;
  std::map<std::string, UserWindow> users_;
  std::int64_t in_flight_total_ = 0;
  std::int64_t max_in_flight_seen_ = 0;
};

// --- Seeded fault plan

enum class Fault { none, error_500, error_503, reset, slow, revoke };

std::string_view fault_name(Fault fault) {
  switch (fault) {
  case Fault::error_500:
    return "500";
  case Fault::error_503:
    return "503";
  case Fault::reset:
    return "reset";
  case Fault::slow:
    return "slow";
  case Fault::revoke:
    return "revoke";
  case Fault::none:
    break;
  }
  return "none";
}

class FaultPlan {
public:
  explicit FaultPlan(const FaultOptions& options) : options_(options) {}

  FaultOptions options() const {
    std::lock_guard lock(mutex_);
    return options_;
  }

  // Replaces the plan and restarts its random sequence from the plan's seed.
  void configure(const FaultOptions& options) {
    std::lock_guard lock(mutex_);
    options_ = options;
    random_ = std::make_unique<leadsync::SeededRandom>(options.seed);
  }

  // One draw per data request: the fault to inject, if any.
  Fault draw() {
    std::lock_guard lock(mutex_);
    const std::array<std::pair<double, Fault>, 5> rates{{{options_.rate_500, Fault::error_500},
                                                         {options_.rate_503, Fault::error_503},
                                                         {options_.rate_reset, Fault::reset},
                                                         {options_.rate_slow, Fault::slow},
                                                         {options_.rate_revoke, Fault::revoke}}};
    double total = 0;
    for (const auto& [rate, fault] : rates) {
      total += rate;
    }
    if (total <= 0) {
      return Fault::none;
    }
    const double roll = random_->next_unit();
    double cumulative = 0;
    for (const auto& [rate, fault] : rates) {
      cumulative += rate;
      if (roll < cumulative) {
        return fault;
      }
    }
    return Fault::none;
  }

private:
  mutable std::mutex mutex_;
  FaultOptions options_;
  std::unique_ptr<leadsync::SeededRandom> random_ =
      std::make_unique<leadsync::SeededRandom>(options_.seed);
};

// --- Access tokens

enum class TokenState { valid, unknown, expired, revoked };

class TokenRegistry {
public:
  explicit TokenRegistry(std::string static_token) : static_token_(std::move(static_token)) {}

  void issue(const std::string& token, const std::string& user, WallTime expires, WallTime now) {
    std::lock_guard lock(mutex_);
    std::erase_if(tokens_, [&](const auto& entry) { return entry.second.expires <= now; });
    tokens_[token] = Issued{user, expires};
  }

  std::pair<TokenState, std::string> check(const std::string& token, const std::string& static_user,
                                           WallTime now) const {
    std::lock_guard lock(mutex_);
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

  void revoke(const std::string& token) {
    std::lock_guard lock(mutex_);
    tokens_.erase(token);
    revoked_.insert(token);
  }

  // Un-revokes the static token (issued tokens that were revoked stay revoked).
  void restore_static_token() {
    std::lock_guard lock(mutex_);
    revoked_.erase(static_token_);
  }

private:
  struct Issued {
    std::string user;
    WallTime expires;
  };
  mutable std::mutex mutex_;
  std::string static_token_;
  std::map<std::string, Issued> tokens_;
  std::set<std::string> revoked_;
};

// --- Counters for GET /_emulator/stats

class Counters {
public:
  void record(const std::string& outcome) {
    std::lock_guard lock(mutex_);
    ++total_;
    ++by_status_[outcome];
  }
  void record_throttled() {
    std::lock_guard lock(mutex_);
    ++throttled_;
  }
  void record_fault(Fault fault) {
    std::lock_guard lock(mutex_);
    ++faults_[std::string(fault_name(fault))];
  }
  void record_token_issued() {
    std::lock_guard lock(mutex_);
    ++tokens_issued_;
  }
  void reset() {
    std::lock_guard lock(mutex_);
    total_ = 0;
    throttled_ = 0;
    tokens_issued_ = 0;
    by_status_.clear();
    faults_.clear();
  }
  void write(Json& stats) const {
    std::lock_guard lock(mutex_);
    stats["requests_total"] = total_;
    stats["requests_by_status"] = by_status_;
    stats["throttled"] = throttled_;
    stats["faults_injected"] = faults_;
    stats["tokens_issued"] = tokens_issued_;
  }

private:
  mutable std::mutex mutex_;
  std::int64_t total_ = 0;
  std::int64_t throttled_ = 0;
  std::int64_t tokens_issued_ = 0;
  std::map<std::string, std::int64_t> by_status_;
  std::map<std::string, std::int64_t> faults_;
};

// --- Webhooks (dataverse-notes section 11;
// https://learn.microsoft.com/en-us/power-apps/developer/data-platform/use-webhooks)

namespace net = boost::asio;
namespace bhttp = boost::beast::http;

// Attribute values the way the SDK's DataContract JSON writes them.
Json sdk_value(const ColumnDef* column, const Json& value) {
  if (column == nullptr || value.is_null()) {
    return value;
  }
  switch (column->type) {
  case ColumnType::lookup:
    if (value.is_object()) {
      return Json{{"__type", std::string("EntityReference:") + xrm_contracts},
                  {"Id", value.value("id", "")},
                  {"KeyAttributes", Json::array()},
                  {"LogicalName", value.value("entity", "")},
                  {"Name", nullptr},
                  {"RowVersion", nullptr}};
    }
    return value;
  case ColumnType::picklist:
  case ColumnType::state:
  case ColumnType::status:
    return Json{{"__type", std::string("OptionSetValue:") + xrm_contracts}, {"Value", value}};
  case ColumnType::money:
    return Json{{"__type", std::string("Money:") + xrm_contracts}, {"Value", value}};
  case ColumnType::date_time:
  case ColumnType::date_only:
    if (value.is_string()) {
      if (const auto ms = parse_iso_ms(value.get<std::string>())) {
        return fmt::format("/Date({})/", *ms);
      }
    }
    return value;
  default:
    return value;
  }
}

struct WebhookTarget {
  std::string step_id;
  std::string step_name;
  std::int64_t stage = 40;
  std::int64_t mode = 1;
  std::string endpoint_id;
  std::string url;
  std::int64_t authtype = 0;
  std::string authvalue;
};

struct CreatedRow {
  const EntityDef* entity = nullptr;
  StoredRecord record;
  std::string user_id;
};

class WebhookDispatcher final : public EventSink {
public:
  WebhookDispatcher(const Schema& schema, RecordStore& store, leadsync::Clock& clock,
                    Identity identity, const std::string& organization_url)
      : schema_(schema), store_(store), clock_(clock), identity_(std::move(identity)),
        organization_host_(host_of(organization_url)) {}
  WebhookDispatcher(const WebhookDispatcher&) = delete;
  WebhookDispatcher& operator=(const WebhookDispatcher&) = delete;
  ~WebhookDispatcher() override { stop(); }

  void start() {
    worker_ = std::thread([this] { run(); });
  }

  void stop() {
    {
      std::lock_guard lock(mutex_);
      stopping_ = true;
      io_.stop();
    }
    wake_.notify_one();
    if (worker_.joinable()) {
      worker_.join();
    }
  }

  // Called by the Web API after a commit, on a request thread: only queues.
  void record_created(const EntityDef& entity, const StoredRecord& record,
                      const std::string& user_id) override {
    {
      std::lock_guard lock(mutex_);
      if (stopping_) {
        return;
      }
      queue_.push_back(CreatedRow{&entity, record, user_id});
    }
    wake_.notify_one();
  }

  void write_stats(Json& stats) const {
    Json deliveries = Json::array();
    {
      std::lock_guard lock(mutex_);
      for (const auto& delivery : deliveries_) {
        deliveries.push_back(delivery);
      }
    }
    stats["webhooks"] = {{"delivered", delivered_.load()},
                         {"failed", failed_.load()},
                         {"attempts", attempts_.load()},
                         {"deliveries", std::move(deliveries)}};
  }

  void reset_stats() {
    delivered_ = 0;
    failed_ = 0;
    attempts_ = 0;
    std::lock_guard lock(mutex_);
    deliveries_.clear();
  }

private:
  static std::string host_of(const std::string& url) {
    auto parsed = leadsync::http::parse_url(url);
    return parsed.ok() ? parsed.value().host : url;
  }

  struct PostResult {
    int status = 0;
    std::string error; // set when no status was received
  };

  void run() {
    for (;;) {
      std::deque<CreatedRow> batch;
      {
        std::unique_lock lock(mutex_);
        wake_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
        if (stopping_) {
          return;
        }
        batch.swap(queue_);
      }
      // One look-up of the registrations for the whole batch: a bulk create announces many rows.
      const auto targets = registered_targets();
      for (const auto& row : batch) {
        const auto it = targets.find(row.entity->logical_name);
        if (it == targets.end()) {
          continue;
        }
        for (const auto& target : it->second) {
          if (stopping()) {
            return;
          }
          deliver(target, row);
        }
      }
    }
  }

  bool stopping() const {
    std::lock_guard lock(mutex_);
    return stopping_;
  }

  // Enabled steps on Create whose handler is a webhook (serviceendpoint with contract 8), by the
  // logical name of the table their sdkmessagefilter names.
  std::map<std::string, std::vector<WebhookTarget>> registered_targets() {
    std::map<std::string, std::vector<WebhookTarget>> targets;
    const auto* messages = schema_.by_logical_name("sdkmessage");
    const auto* filters = schema_.by_logical_name("sdkmessagefilter");
    const auto* steps = schema_.by_logical_name("sdkmessageprocessingstep");
    const auto* endpoints = schema_.by_logical_name("serviceendpoint");
    if (messages == nullptr || filters == nullptr || steps == nullptr || endpoints == nullptr) {
      return targets;
    }
    auto txn = store_.begin();
    std::set<std::string> create_messages;
    for (const auto* message : txn.scan(*messages)) {
      if (iequals(string_attribute(message->attributes, "name"), "Create")) {
        create_messages.insert(lower(message->id));
      }
    }
    for (const auto* step : txn.scan(*steps)) {
      const auto& attributes = step->attributes;
      const auto message = lookup_id(attributes, "sdkmessageid");
      const auto filter_id = lookup_id(attributes, "sdkmessagefilterid");
      const auto handler = lookup_id(attributes, "eventhandler");
      if (int_attribute(attributes, "statecode", 0) != 0 || !message ||
          create_messages.count(*message) == 0 || !filter_id || !handler ||
          lookup_entity(attributes, "eventhandler").value_or("serviceendpoint") !=
              "serviceendpoint") {
        continue;
      }
      const auto* filter = txn.find(*filters, *filter_id);
      const auto* endpoint = txn.find(*endpoints, *handler);
      if (filter == nullptr || endpoint == nullptr ||
          int_attribute(endpoint->attributes, "contract", 0) != 8) {
        continue;
      }
      WebhookTarget target;
      target.step_id = step->id;
      target.step_name = string_attribute(attributes, "name");
      target.stage = int_attribute(attributes, "stage", 40);
      target.mode = int_attribute(attributes, "mode", 1);
      target.endpoint_id = endpoint->id;
      target.url = string_attribute(endpoint->attributes, "url");
      target.authtype = int_attribute(endpoint->attributes, "authtype", 0);
      target.authvalue = string_attribute(endpoint->attributes, "authvalue");
      targets[lower(string_attribute(filter->attributes, "primaryobjecttypecode"))].push_back(
          std::move(target));
    }
    return targets;
  }

  nlohmann::ordered_json entity_body(const EntityDef& entity, const StoredRecord& record) const {
    auto attributes = nlohmann::ordered_json::array();
    bool has_primary_id = false;
    for (const auto& [name, value] : record.attributes.items()) {
      if (value.is_null()) {
        continue;
      }
      has_primary_id = has_primary_id || name == entity.primary_id;
      attributes.push_back({{"key", name}, {"value", sdk_value(entity.column(name), value)}});
    }
    if (!has_primary_id) {
      attributes.push_back({{"key", entity.primary_id}, {"value", record.id}});
    }
    nlohmann::ordered_json body;
    body["__type"] = std::string("Entity:") + xrm_contracts;
    body["Attributes"] = std::move(attributes);
    body["EntityState"] = nullptr;
    body["FormattedValues"] = nlohmann::ordered_json::array();
    body["Id"] = record.id;
    body["KeyAttributes"] = nlohmann::ordered_json::array();
    body["LogicalName"] = entity.logical_name;
    body["RelatedEntities"] = nlohmann::ordered_json::array();
    body["RowVersion"] = nullptr;
    return body;
  }

  // The RemoteExecutionContext of a Create, keys in the order of Microsoft's sample.
  nlohmann::ordered_json execution_context(const WebhookTarget& target, const CreatedRow& row,
                                           const std::string& correlation_id) const {
    const auto& entity = *row.entity;
    const auto user = row.user_id.empty() ? identity_.user_id : row.user_id;
    nlohmann::ordered_json context;
    context["BusinessUnitId"] = identity_.business_unit_id;
    context["CorrelationId"] = correlation_id;
    context["Depth"] = 1;
    context["InitiatingUserId"] = user;
    nlohmann::ordered_json target_parameter;
    target_parameter["key"] = "Target";
    target_parameter["value"] = entity_body(entity, row.record);
    context["InputParameters"] = nlohmann::ordered_json::array({std::move(target_parameter)});
    context["IsExecutingOffline"] = false;
    context["IsInTransaction"] = false;
    context["IsOfflinePlayback"] = false;
    context["IsolationMode"] = 1;
    context["MessageName"] = "Create";
    context["Mode"] = target.mode;
    context["OperationCreatedOn"] = fmt::format("/Date({})/", unix_ms(clock_.now()));
    context["OperationId"] = new_guid();
    context["OrganizationId"] = identity_.organization_id;
    context["OrganizationName"] = identity_.organization_name;
    nlohmann::ordered_json id_parameter;
    id_parameter["key"] = "id";
    id_parameter["value"] = row.record.id;
    context["OutputParameters"] = nlohmann::ordered_json::array({std::move(id_parameter)});
    nlohmann::ordered_json owning;
    owning["Id"] = target.step_id;
    owning["KeyAttributes"] = nlohmann::ordered_json::array();
    owning["LogicalName"] = "sdkmessageprocessingstep";
    owning["Name"] = target.step_name.empty() ? nlohmann::ordered_json(nullptr)
                                              : nlohmann::ordered_json(target.step_name);
    owning["RowVersion"] = nullptr;
    context["OwningExtension"] = std::move(owning);
    context["ParentContext"] = nullptr;
    auto post_images = nlohmann::ordered_json::array();
    if (target.mode == 1) { // asynchronous steps carry the primary name, as in the sample
      nlohmann::ordered_json image;
      auto image_attributes = nlohmann::ordered_json::array();
      if (!entity.primary_name.empty()) {
        const auto name = row.record.attributes.find(entity.primary_name);
        image_attributes.push_back(
            {{"key", entity.primary_name},
             {"value", name != row.record.attributes.end() ? *name : Json(nullptr)}});
      }
      image_attributes.push_back({{"key", entity.primary_id}, {"value", row.record.id}});
      image["Attributes"] = std::move(image_attributes);
      image["EntityState"] = nullptr;
      image["FormattedValues"] = nlohmann::ordered_json::array();
      image["Id"] = row.record.id;
      image["KeyAttributes"] = nlohmann::ordered_json::array();
      image["LogicalName"] = entity.logical_name;
      image["RelatedEntities"] = nlohmann::ordered_json::array();
      image["RowVersion"] = nullptr;
      post_images.push_back({{"key", "AsynchronousStepPrimaryName"}, {"value", std::move(image)}});
    }
    context["PostEntityImages"] = std::move(post_images);
    context["PreEntityImages"] = nlohmann::ordered_json::array();
    context["PrimaryEntityId"] = row.record.id;
    context["PrimaryEntityName"] = entity.logical_name;
    context["RequestId"] = nullptr;
    context["SecondaryEntityName"] = "none";
    context["SharedVariables"] = nlohmann::ordered_json::array();
    context["Stage"] = target.stage;
    context["UserId"] = user;
    return context;
  }

  // DataContractJsonSerializer escapes every '/' as "\/" (the sample's "\/Date(...)\/" and
  // "http:\/\/schemas..."). '/' occurs only inside JSON strings, so escaping all of them is safe.
  static std::string wcf_json(const nlohmann::ordered_json& body) {
    const auto text = body.dump();
    std::string out;
    out.reserve(text.size() + 64);
    for (const char c : text) {
      if (c == '/') {
        out += '\\';
      }
      out += c;
    }
    return out;
  }

  void deliver(const WebhookTarget& target, const CreatedRow& row) {
    const auto failed = [&](const std::string& why) {
      ++failed_;
      leadsync::log::get()->warn("webhook {} for {} {} failed: {}", target.url,
                                 row.entity->logical_name, row.record.id, why);
    };
    auto parsed = leadsync::http::parse_url(target.url);
    if (!parsed.ok()) {
      failed("the serviceendpoint url is not an absolute http URL: " + parsed.error().message);
      return;
    }
    auto url = std::move(parsed).value();
    if (url.scheme != "http" || !leadsync::http::is_loopback_host(url.host)) {
      failed("the emulator posts webhooks only to http URLs on loopback (127.0.0.1, localhost, "
             "::1); register the receiver on loopback");
      return;
    }

    std::vector<std::pair<std::string, std::string>> headers;
    std::vector<std::pair<std::string, std::string>> query;
    switch (target.authtype) {
    case 4: // WebhookKey
      query.emplace_back("code", target.authvalue);
      break;
    case 5:   // HttpHeader
    case 6: { // HttpQueryString
      auto settings = parse_auth_settings(target.authvalue);
      if (!settings) {
        failed("serviceendpoint.authvalue must hold <settings><setting name=\"k\" value=\"v\" "
               "/></settings> for authtype " +
               std::to_string(target.authtype));
        return;
      }
      (target.authtype == 5 ? headers : query) = std::move(*settings);
      break;
    }
    default:
      failed("serviceendpoint.authtype " + std::to_string(target.authtype) +
             " is not a webhook authentication type (4 WebhookKey, 5 HttpHeader, 6 "
             "HttpQueryString)");
      return;
    }
    for (const auto& [name, value] : query) {
      url.query += (url.query.empty() ? "" : "&") + leadsync::http::percent_encode(name) + "=" +
                   leadsync::http::percent_encode(value);
    }

    const auto correlation_id = new_guid();
    auto context = execution_context(target, row, correlation_id);
    std::string body = wcf_json(context);
    if (body.size() > webhook_size_limit) {
      for (const char* key :
           {"ParentContext", "InputParameters", "PreEntityImages", "PostEntityImages"}) {
        context.erase(key);
      }
      body = wcf_json(context);
      headers.emplace_back("x-ms-dynamics-msg-size-exceeded", "true");
    }
    headers.emplace_back("Content-Type", "application/json");
    headers.emplace_back("x-ms-dynamics-organization", organization_host_);
    headers.emplace_back("x-ms-dynamics-entity-name", row.entity->logical_name);
    headers.emplace_back("x-ms-dynamics-request-name", "Create");
    headers.emplace_back("x-ms-correlation-request-id", correlation_id);

    const auto started = std::chrono::steady_clock::now();
    const auto started_at = clock_.now();
    auto result = post(url, headers, body);
    int attempts = 1;
    if (result.status == 502 || result.status == 503 || result.status == 504) {
      result = post(url, headers, body); // exactly one more attempt
      attempts = 2;
    }
    record_delivery(target, row, correlation_id, result, attempts, started_at,
                    std::chrono::steady_clock::now() - started);
    if (result.status >= 200 && result.status < 300) {
      ++delivered_;
    } else if (result.status != 0) {
      failed("the receiver answered HTTP " + std::to_string(result.status));
    } else {
      failed(result.error);
    }
  }

  // Every delivery is visible in the stats (the newest max_kept_deliveries): the row, where it
  // went (without the query, which may hold the key), the final status, attempts, when the first
  // POST started (started_ms: the origin of webhook_bench's latencies), its duration and when it
  // was recorded (at_ms, after the last answer).
  void record_delivery(const WebhookTarget& target, const CreatedRow& row,
                       const std::string& correlation_id, const PostResult& result, int attempts,
                       WallTime started_at, std::chrono::steady_clock::duration took) {
    auto parsed = leadsync::http::parse_url(target.url);
    Json delivery = {{"entity", row.entity->logical_name},
                     {"id", row.record.id},
                     {"url", parsed.ok() ? parsed.value().scheme + "://" +
                                               parsed.value().authority() + parsed.value().path
                                         : std::string()},
                     {"correlation_id", correlation_id},
                     {"status", result.status},
                     {"error", result.error},
                     {"attempts", attempts},
                     {"started_ms", unix_ms(started_at)},
                     {"ms", std::chrono::duration_cast<std::chrono::milliseconds>(took).count()},
                     {"at_ms", unix_ms(clock_.now())}};
    std::lock_guard lock(mutex_);
    deliveries_.push_back(std::move(delivery));
    while (deliveries_.size() > max_kept_deliveries) {
      deliveries_.pop_front();
    }
  }

  // One POST with a 60 s deadline, on the dispatcher's own io_context so stop() can interrupt it.
  PostResult post(const leadsync::http::Url& url,
                  const std::vector<std::pair<std::string, std::string>>& headers,
                  const std::string& body) {
    ++attempts_;
    boost::system::error_code ec;
    const auto address =
        net::ip::make_address(iequals(url.host, "localhost") ? "127.0.0.1" : url.host, ec);
    if (ec) {
      return {0, "cannot use host '" + url.host + "': " + ec.message()};
    }
    boost::beast::tcp_stream stream(io_);
    bhttp::request<bhttp::string_body> request{bhttp::verb::post, url.target(), 11};
    request.set(bhttp::field::host, url.authority());
    request.set(bhttp::field::user_agent, "dataverse-emulator");
    for (const auto& [name, value] : headers) {
      request.insert(name, value);
    }
    request.body() = body;
    request.prepare_payload();
    boost::beast::flat_buffer buffer;
    bhttp::response<bhttp::string_body> response;
    PostResult result;
    stream.expires_after(webhook_timeout);
    stream.async_connect(
        net::ip::tcp::endpoint(address, url.port), [&](boost::system::error_code connect_ec) {
          if (connect_ec) {
            result.error = "cannot connect: " + connect_ec.message();
            return;
          }
          bhttp::async_write(stream, request, [&](boost::system::error_code write_ec, std::size_t) {
            if (write_ec) {
              result.error = "cannot send: " + write_ec.message();
              return;
            }
            bhttp::async_read(stream, buffer, response,
                              [&](boost::system::error_code read_ec, std::size_t) {
                                if (read_ec) {
                                  result.error = "no answer: " + read_ec.message();
                                  return;
                                }
                                result.status = static_cast<int>(response.result_int());
                              });
          });
        });
    {
      std::lock_guard lock(mutex_);
      if (stopping_) {
        return {0, "the emulator is stopping"};
      }
      io_.restart();
    }
    io_.run();
    if (result.status == 0 && result.error.empty()) {
      result.error = "the emulator is stopping";
    }
    boost::system::error_code ignored;
    stream.socket().shutdown(net::ip::tcp::socket::shutdown_both, ignored);
    return result;
  }

  const Schema& schema_;
  RecordStore& store_;
  leadsync::Clock& clock_;
  const Identity identity_;
  const std::string organization_host_; // x-ms-dynamics-organization: the environment's domain name

  mutable std::mutex mutex_; // guards queue_, stopping_ and io_.restart()/stop()
  std::condition_variable wake_;
  std::deque<CreatedRow> queue_;
  bool stopping_ = false;
  net::io_context io_;
  std::thread worker_;
  std::atomic<std::int64_t> delivered_{0};
  std::atomic<std::int64_t> failed_{0};
  std::atomic<std::int64_t> attempts_{0};
  static constexpr std::size_t max_kept_deliveries = 2000;
  std::deque<Json> deliveries_; // guarded by mutex_
};

// --- Options

struct ListenAddress {
  std::string host;
  std::uint16_t port = 0;
};

leadsync::Result<ListenAddress> parse_listen(const std::string& listen) {
  const auto colon = listen.rfind(':');
  const auto bad = [&] {
    return fail(ErrorCategory::invalid_argument,
                "listen address '" + listen +
                    "' is not HOST:PORT; use e.g. 127.0.0.1:0 (port 0 picks a free port)");
  };
  if (colon == std::string::npos || colon == 0 || colon + 1 == listen.size()) {
    return bad();
  }
  const auto port_text = listen.substr(colon + 1);
  if (port_text.size() > 5 ||
      !std::all_of(port_text.begin(), port_text.end(),
                   [](unsigned char c) { return std::isdigit(c) != 0; }) ||
      std::stoul(port_text) > 65535) {
    return bad();
  }
  return ListenAddress{listen.substr(0, colon), static_cast<std::uint16_t>(std::stoul(port_text))};
}

leadsync::Status validate(const EmulatorOptions& options) {
  const auto invalid = [](const std::string& message) {
    return fail(ErrorCategory::invalid_argument, message);
  };
  if (options.profile != "dataverse" && options.profile != "fast") {
    return invalid("unknown profile '" + options.profile + "'; use dataverse or fast");
  }
  const auto& limits = options.limits;
  if (limits.enabled && (limits.window <= milliseconds::zero() || limits.max_requests < 1 ||
                         limits.max_execution_ms < 1 || limits.max_concurrency < 1)) {
    return invalid("service-protection limits must be positive (window, requests, execution time, "
                   "concurrency); to turn them off use the fast profile");
  }
  if (limits.dop_hint < 1) {
    return invalid("the dop hint must be at least 1");
  }
  if (options.latency.base < milliseconds::zero() ||
      options.latency.per_record < milliseconds::zero()) {
    return invalid("latency must not be negative");
  }
  const auto& faults = options.faults;
  const double total =
      faults.rate_500 + faults.rate_503 + faults.rate_reset + faults.rate_slow + faults.rate_revoke;
  for (const double rate : {faults.rate_500, faults.rate_503, faults.rate_reset, faults.rate_slow,
                            faults.rate_revoke}) {
    if (!(rate >= 0 && rate <= 1)) {
      return invalid("fault rates must be between 0 and 1");
    }
  }
  if (total > 1 + 1e-9) {
    return invalid("fault rates add up to more than 1; lower them");
  }
  if (faults.slow_delay < milliseconds::zero()) {
    return invalid("the slow-fault delay must not be negative");
  }
  if (options.compat.duplicate_status != 412 && options.compat.duplicate_status != 500) {
    return invalid("duplicate status must be 412 or 500");
  }
  if (options.compat.change_token_days < 1) {
    return invalid("change-token lifetime must be at least 1 day");
  }
  std::set<std::string> client_ids{options.auth.client_id};
  for (const auto& client_id : options.auth.additional_client_ids) {
    if (client_id.empty() || client_id.size() > max_client_id_length) {
      return invalid(
          fmt::format("a client id must have 1 to {} characters; an Entra client id is a "
                      "GUID such as 1b4e28ba-2fa1-4d2b-883f-0016d3cca427",
                      max_client_id_length));
    }
    if (!client_ids.insert(client_id).second) {
      return invalid("client id '" + client_id +
                     "' is given twice; give each application user its own client id");
    }
  }
  if (options.auth.token_lifetime < std::chrono::seconds{1}) {
    return invalid("token lifetime must be at least 1 second");
  }
  if (options.threads < 1) {
    return invalid("the server needs at least 1 thread");
  }
  return leadsync::ok_status();
}

leadsync::Status write_port_file(const std::string& path, std::uint16_t port) {
  const std::string temporary = path + ".tmp." + std::to_string(::getpid());
  {
    std::ofstream out(temporary, std::ios::trunc);
    out << port << '\n';
    out.close();
    if (!out) {
      return fail(ErrorCategory::invalid_argument,
                  "cannot write the port file '" + temporary +
                      "'; check that its directory exists and is writable");
    }
  }
  std::error_code ec;
  std::filesystem::rename(temporary, path, ec);
  if (ec) {
    std::filesystem::remove(temporary, ec);
    return fail(ErrorCategory::invalid_argument,
                "cannot move the port file into place at '" + path + "': " + ec.message());
  }
  return leadsync::ok_status();
}

Json limits_json(const LimitOptions& limits) {
  return {{"enabled", limits.enabled},
          {"window_ms", limits.window.count()},
          {"max_requests", limits.max_requests},
          {"max_execution_ms", limits.max_execution_ms},
          {"max_concurrency", limits.max_concurrency},
          {"dop_hint", limits.dop_hint}};
}

Json faults_json(const FaultOptions& faults) {
  return {{"rate_500", faults.rate_500},
          {"rate_503", faults.rate_503},
          {"rate_reset", faults.rate_reset},
          {"rate_slow", faults.rate_slow},
          {"slow_delay_ms", faults.slow_delay.count()},
          {"rate_revoke", faults.rate_revoke},
          {"seed", faults.seed}};
}

Json optional_number(const std::optional<double>& value) {
  return value ? Json(*value) : Json(nullptr);
}

} // namespace

std::string application_user_id(std::string_view client_id) {
  // RFC 9562 section 5.5: SHA-1 of the namespace's 16 bytes and the name; the hash's first 16 bytes
  // with the version (5) and variant bits set. The namespace is the emulator's tenant id.
  const auto tenant = leadsync::Uuid::parse(Identity{}.tenant_id);
  if (!tenant.ok()) {
    throw std::logic_error("the emulator's tenant id is not a UUID");
  }
  std::string input(tenant.value().bytes().begin(), tenant.value().bytes().end());
  input.append(client_id);
  std::array<unsigned char, EVP_MAX_MD_SIZE> hash{};
  unsigned int length = 0;
  if (EVP_Digest(input.data(), input.size(), hash.data(), &length, EVP_sha1(), nullptr) != 1 ||
      length < 16) {
    throw std::runtime_error("OpenSSL could not compute SHA-1 for an application user id");
  }
  hash[6] = static_cast<unsigned char>((hash[6] & 0x0fU) | 0x50U);
  hash[8] = static_cast<unsigned char>((hash[8] & 0x3fU) | 0x80U);
  std::string text;
  for (std::size_t i = 0; i < 16; ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) {
      text += '-';
    }
    text += fmt::format("{:02x}", hash[i]);
  }
  return text;
}

LimitOptions scaled_limits(milliseconds window) {
  const LimitOptions documented;
  LimitOptions limits = documented;
  limits.window = window;
  const double scale =
      static_cast<double>(window.count()) / static_cast<double>(documented.window.count());
  limits.max_requests =
      std::max<std::int64_t>(1, std::llround(static_cast<double>(documented.max_requests) * scale));
  limits.max_execution_ms = std::max<std::int64_t>(
      1, std::llround(static_cast<double>(documented.max_execution_ms) * scale));
  return limits;
}

leadsync::Result<FaultOptions> parse_fault_spec(std::string_view spec, FaultOptions base) {
  FaultOptions faults = base;
  faults.rate_500 = faults.rate_503 = faults.rate_reset = faults.rate_slow = faults.rate_revoke = 0;
  const auto bad = [&](const std::string& why) {
    return fail(ErrorCategory::invalid_argument,
                "bad fault spec '" + std::string(spec) + "': " + why +
                    "; write e.g. 500=0.05,503=0.05,reset=0.02,slow=0.01:2000,revoke=0.001");
  };
  const auto parse_number = [](const std::string& text, double& out) {
    if (text.empty()) {
      return false;
    }
    char* end = nullptr;
    out = std::strtod(text.c_str(), &end);
    return end == text.c_str() + text.size();
  };
  for (const auto& item : split(spec, ',')) {
    const auto entry = trim(item);
    if (entry.empty()) {
      continue;
    }
    const auto equals = entry.find('=');
    if (equals == std::string::npos) {
      return bad("'" + entry + "' has no '='");
    }
    const auto name = lower(trim(entry.substr(0, equals)));
    auto value = trim(entry.substr(equals + 1));
    if (name == "slow") {
      const auto colon = value.find(':');
      if (colon != std::string::npos) {
        double delay = 0;
        if (!parse_number(value.substr(colon + 1), delay) || delay < 0) {
          return bad("the slow delay after ':' must be milliseconds");
        }
        faults.slow_delay = milliseconds{std::llround(delay)};
        value = value.substr(0, colon);
      }
    }
    double rate = 0;
    if (!parse_number(value, rate) || rate < 0 || rate > 1) {
      return bad("the rate of '" + name + "' must be a number between 0 and 1");
    }
    if (name == "500") {
      faults.rate_500 = rate;
    } else if (name == "503") {
      faults.rate_503 = rate;
    } else if (name == "reset") {
      faults.rate_reset = rate;
    } else if (name == "slow") {
      faults.rate_slow = rate;
    } else if (name == "revoke") {
      faults.rate_revoke = rate;
    } else {
      return bad("unknown fault '" + name + "' (known: 500, 503, reset, slow, revoke)");
    }
  }
  if (faults.rate_500 + faults.rate_503 + faults.rate_reset + faults.rate_slow +
          faults.rate_revoke >
      1 + 1e-9) {
    return bad("the rates add up to more than 1");
  }
  return faults;
}

BulkCeiling bulk_ceiling(const LimitOptions& limits, const LatencyOptions& latency,
                         int batch_size) {
  BulkCeiling ceiling;
  ceiling.batch_size = batch_size;
  const double batch = batch_size;
  const double cost_ms = static_cast<double>(latency.base.count()) +
                         batch * static_cast<double>(latency.per_record.count());
  if (limits.enabled) {
    const double window_s = static_cast<double>(limits.window.count()) / 1000.0;
    ceiling.by_requests = batch * static_cast<double>(limits.max_requests) / window_s;
    if (cost_ms > 0) {
      ceiling.by_execution_time =
          static_cast<double>(limits.max_execution_ms) / cost_ms * batch / window_s;
      ceiling.by_concurrency =
          static_cast<double>(limits.max_concurrency) * batch * 1000.0 / cost_ms;
    }
  }
  ceiling.binding_limit = "none";
  const std::array<std::pair<const std::optional<double>*, const char*>, 3> terms{
      {{&ceiling.by_requests, "requests"},
       {&ceiling.by_execution_time, "execution_time"},
       {&ceiling.by_concurrency, "concurrency"}}};
  for (const auto& [term, name] : terms) {
    if (*term && (!ceiling.records_per_second || **term < *ceiling.records_per_second)) {
      ceiling.records_per_second = **term;
      ceiling.binding_limit = name;
    }
  }
  return ceiling;
}

struct Emulator::Impl {
  explicit Impl(EmulatorOptions emulator_options)
      : options(std::move(emulator_options)), limiter(options.limits), faults(options.faults),
        tokens(options.auth.static_token) {
    users.push_back(
        ApplicationUser{.client_id = options.auth.client_id, .user_id = identity.user_id});
    for (const auto& client_id : options.auth.additional_client_ids) {
      users.push_back(
          ApplicationUser{.client_id = client_id, .user_id = application_user_id(client_id)});
    }
  }

  // One request on its way through the pipeline; finish() answers it.
  struct Exchange {
    std::string method;
    std::string path;
    std::string user = "-";
    std::chrono::steady_clock::time_point received = std::chrono::steady_clock::now();
    Respond respond;
    bool counted = true;     // admin requests are left out of the stats
    bool holds_slot = false; // admitted by the limiter: release on answer
    std::int64_t execution_ms = 0;
  };

  leadsync::Result<std::uint16_t> start();
  void stop();

  void serve(const Request& request, Respond respond);
  void finish(Exchange& exchange, Response response);
  void serve_admin(const Request& request, Exchange& exchange);
  Response issue_token(const Request& request, const std::string& tenant);
  void serve_data(const Request& request, const std::shared_ptr<Exchange>& exchange);
  Response unauthorized(const std::string& problem) const;
  void add_rate_headers(Response& response, const std::string& user);
  leadsync::Status seed_rows();
  Json stats_json(int batch_size) const;
  Json users_json(const LimitOptions& limits) const;

  EmulatorOptions options;
  Identity identity;
  // One per client id; the first is identity.user_id, the user of the static token.
  std::vector<ApplicationUser> users;
  OffsetClock clock;
  std::optional<Schema> schema;
  std::unique_ptr<RecordStore> store;
  std::unique_ptr<WebhookDispatcher> webhooks;
  std::unique_ptr<WebApi> api;
  std::unique_ptr<leadsync::http::HttpServer> server;
  std::atomic<bool> ready{false};
  DelayQueue delays;
  Limiter limiter;
  FaultPlan faults;
  TokenRegistry tokens;
  // Guards options.auth.client_secret, which POST /_emulator/client-secret replaces (a secret
  // rotated in Entra while clients run).
  mutable std::mutex secret_mutex;
  Counters counters;
  std::string host;
  std::uint16_t port = 0;
  std::chrono::steady_clock::time_point started = std::chrono::steady_clock::now();
  std::mutex lifecycle_mutex;
  bool running = false;
};

leadsync::Result<std::uint16_t> Emulator::Impl::start() {
  std::lock_guard lock(lifecycle_mutex);
  if (running || server) {
    return fail(ErrorCategory::invalid_argument,
                "the emulator was already started; create a new one to start again");
  }
  if (options.profile == "fast") {
    options.limits.enabled = false;
    options.latency = LatencyOptions{};
  }
  LEADSYNC_CHECK(validate(options));
  LEADSYNC_TRY(const auto listen, parse_listen(options.listen));
  limiter.configure(options.limits);
  faults.configure(options.faults);

  LEADSYNC_CHECK(Schema::validate(options));
  schema.emplace(Schema::dataverse(options));
  store = std::make_unique<RecordStore>(*schema, clock, leadsync::SecureRandom::instance());
  if (!options.state_file.empty()) {
    LEADSYNC_CHECK(store->attach_state_file(options.state_file));
  }
  LEADSYNC_CHECK(seed_rows());

  leadsync::http::ServerOptions server_options;
  server_options.address = listen.host;
  server_options.port = listen.port;
  server_options.threads = options.threads;
  server_options.read_timeout = options.read_timeout;
  server_options.idle_timeout = options.idle_timeout;
  server = leadsync::http::make_beast_server(server_options);
  // Requests can only arrive once the port is known; until `ready` they get a 503.
  LEADSYNC_TRY(port, server->start([this](const Request& request, Respond respond) {
    serve(request, std::move(respond));
  }));

  host = listen.host;
  if (host == "0.0.0.0" || host == "::" || host == "[::]") {
    host = "127.0.0.1";
  } else if (host.find(':') != std::string::npos && host.front() != '[') {
    host = "[" + host + "]";
  }
  if (options.organization_url.empty()) {
    options.organization_url = "http://" + host + ":" + std::to_string(port);
  }
  webhooks = std::make_unique<WebhookDispatcher>(*schema, *store, clock, identity,
                                                 options.organization_url);
  api = std::make_unique<WebApi>(*schema, *store, options, webhooks.get());
  delays.start();
  webhooks->start();
  started = std::chrono::steady_clock::now();
  running = true;
  ready.store(true, std::memory_order_release);

  if (!options.port_file.empty()) {
    if (auto written = write_port_file(options.port_file, port); !written.ok()) {
      running = false;
      ready = false;
      server->stop();
      delays.stop();
      webhooks->stop();
      return written.error();
    }
  }
  return port;
}

void Emulator::Impl::stop() {
  std::lock_guard lock(lifecycle_mutex);
  if (!running) {
    return;
  }
  running = false;
  ready = false;
  server->stop(); // no handler runs after this
  delays.stop();  // delayed answers are dropped: their connections are gone
  webhooks->stop();
}

void Emulator::Impl::serve(const Request& request, Respond respond) {
  auto exchange = std::make_shared<Exchange>();
  exchange->method = request.method;
  exchange->path = leadsync::http::split_target(request.url).path;
  exchange->respond = std::move(respond);
  if (!ready.load(std::memory_order_acquire)) {
    finish(*exchange, Response::text(503, "the emulator is starting or stopping; retry shortly\n"));
    return;
  }
  const auto& path = exchange->path;
  if (path.rfind(admin_prefix, 0) == 0) {
    exchange->counted = false;
    serve_admin(request, *exchange);
    return;
  }
  if (starts_with_path(path, data_prefix)) {
    serve_data(request, exchange);
    return;
  }
  // /{tenant}/oauth2/v2.0/token
  const auto segments = split(path, '/');
  if (segments.size() == 5 && segments[0].empty() && !segments[1].empty() &&
      segments[2] == "oauth2" && segments[3] == "v2.0" && segments[4] == "token") {
    if (request.method != "POST") {
      auto response =
          Response::json(405, Json{{"error", "invalid_request"},
                                   {"error_description", "The token endpoint accepts only POST."}}
                                  .dump());
      response.headers.set("Allow", "POST");
      finish(*exchange, std::move(response));
      return;
    }
    finish(*exchange, issue_token(request, segments[1]));
    return;
  }
  finish(*exchange,
         service_error_response(ServiceError{
             404, "",
             "No resource at '" + path +
                 "'. The emulator serves the Web API under /api/data/v9.2/, tokens at "
                 "/{tenant}/oauth2/v2.0/token and its admin endpoints under /_emulator/."}));
}

void Emulator::Impl::finish(Exchange& exchange, Response response) {
  if (exchange.holds_slot) {
    limiter.finish(exchange.user, clock.steady_now(), exchange.execution_ms);
    exchange.holds_slot = false;
    if (!response.abort_connection) {
      add_rate_headers(response, exchange.user);
    }
  }
  const std::string outcome =
      response.abort_connection ? std::string("reset") : std::to_string(response.status);
  if (exchange.counted) {
    counters.record(outcome);
  }
  if (options.log_requests) {
    const auto elapsed = std::chrono::duration_cast<milliseconds>(std::chrono::steady_clock::now() -
                                                                  exchange.received)
                             .count();
    leadsync::log::get()->info("{} {} {} {}ms user={}", exchange.method, exchange.path, outcome,
                               elapsed, exchange.user);
  }
  exchange.respond(std::move(response));
}

void Emulator::Impl::add_rate_headers(Response& response, const std::string& user) {
  const auto limits = limiter.limits();
  response.headers.set("x-ms-dop-hint", std::to_string(limits.dop_hint));
  if (!limits.enabled) {
    return;
  }
  const auto remaining = limiter.remaining(user, clock.steady_now());
  response.headers.set("x-ms-ratelimit-burst-remaining-xrm-requests",
                       std::to_string(remaining.requests));
  // Seconds with a group separator and two decimals, as Dataverse sends it ("1,199.46").
  response.headers.set("x-ms-ratelimit-time-remaining-xrm-requests",
                       fmt::format("{}.{:02}", group_thousands(remaining.execution_ms / 1000),
                                   (remaining.execution_ms % 1000) / 10));
}

Response Emulator::Impl::unauthorized(const std::string& problem) const {
  // Dataverse answers 401 with an empty body and a Bearer challenge naming the authority
  // (RFC 6750); the emulator adds error="invalid_token" with a description when a token was sent.
  Response response;
  response.status = 401;
  std::string challenge = "Bearer authorization_uri=" + options.organization_url + "/" +
                          identity.tenant_id +
                          "/oauth2/authorize, resource_id=" + options.organization_url + "/";
  if (!problem.empty()) {
    challenge += ", error=\"invalid_token\", error_description=\"" + problem + "\"";
  }
  response.headers.set("WWW-Authenticate", challenge);
  return response;
}

void Emulator::Impl::serve_data(const Request& request, const std::shared_ptr<Exchange>& exchange) {
  // (4) authentication
  std::string token;
  std::string user = identity.user_id;
  if (options.auth.required) {
    const auto authorization = request.headers.get("Authorization");
    if (!authorization) {
      finish(*exchange, unauthorized(""));
      return;
    }
    const auto space = authorization->find(' ');
    if (space == std::string::npos || !iequals(authorization->substr(0, space), "Bearer") ||
        trim(authorization->substr(space + 1)).empty()) {
      finish(*exchange, unauthorized("The Authorization header must be 'Bearer <access token>'."));
      return;
    }
    token = trim(authorization->substr(space + 1));
    const auto [state, token_user] = tokens.check(token, identity.user_id, clock.now());
    switch (state) {
    case TokenState::valid:
      user = token_user;
      break;
    case TokenState::expired:
      finish(*exchange, unauthorized("The access token has expired. Request a new one from the "
                                     "token endpoint."));
      return;
    case TokenState::revoked:
      finish(*exchange, unauthorized("The access token has been revoked. Request a new one from "
                                     "the token endpoint."));
      return;
    case TokenState::unknown:
      finish(*exchange, unauthorized("The access token is not valid. Request one from "
                                     "/{tenant}/oauth2/v2.0/token."));
      return;
    }
  }
  exchange->user = user;

  // (5) service-protection limits
  if (auto throttle = limiter.admit(user, clock.steady_now())) {
    counters.record_throttled();
    auto response = service_error_response(throttle->error);
    response.headers.set("Retry-After", std::to_string(throttle->retry_after_s));
    add_rate_headers(response, user);
    finish(*exchange, std::move(response));
    return;
  }
  exchange->holds_slot = true;

  // (6) seeded faults, drawn before anything is executed
  const Fault fault = faults.draw();
  if (fault != Fault::none) {
    counters.record_fault(fault);
  }
  switch (fault) {
  case Fault::error_500:
    finish(*exchange, service_error_response(
                          ServiceError{500, "0x80040216", "An unexpected error occurred."}));
    return;
  case Fault::error_503:
    finish(*exchange, service_error_response(ServiceError{
                          503, "", "The service is temporarily unavailable. Retry the request."}));
    return;
  case Fault::reset: {
    Response response;
    response.abort_connection = true;
    finish(*exchange, std::move(response));
    return;
  }
  case Fault::revoke:
    if (!token.empty()) {
      tokens.revoke(token);
    }
    break;
  case Fault::slow:
  case Fault::none:
    break;
  }

  // (7) execute now, answer after the modelled execution time
  CallContext context;
  context.user_id = user;
  context.business_unit_id = identity.business_unit_id;
  context.organization_id = identity.organization_id;
  Response response;
  try {
    response = api->handle(request, context);
  } catch (const std::exception& error) {
    leadsync::log::get()->error("Web API failed on {} {}: {}", exchange->method, exchange->path,
                                error.what());
    response =
        service_error_response(ServiceError{500, "0x80040216", "An unexpected error occurred."});
  }
  if (!response.headers.has("REQ_ID")) {
    const auto request_id = new_guid();
    response.headers.set("REQ_ID", request_id);
    response.headers.set("x-ms-service-request-id", request_id);
  }
  const auto& latency = options.latency;
  exchange->execution_ms =
      latency.base.count() + context.records_processed * latency.per_record.count();
  const auto delay = milliseconds{exchange->execution_ms} +
                     (fault == Fault::slow ? faults.options().slow_delay : milliseconds::zero());
  if (delay <= milliseconds::zero()) {
    finish(*exchange, std::move(response));
    return;
  }
  delays.run_at(exchange->received + delay,
                [this, exchange, response = std::move(response)]() mutable {
                  finish(*exchange, std::move(response));
                });
}

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
    std::lock_guard lock(secret_mutex);
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

void Emulator::Impl::serve_admin(const Request& request, Exchange& exchange) {
  const auto target = leadsync::http::split_target(request.url);
  const std::string action = target.path.substr(std::string_view(admin_prefix).size());
  const auto& method = request.method;
  const auto wrong_method = [&](const char* allowed) {
    auto response = admin_error(405, "use " + std::string(allowed) + " on " + target.path);
    response.headers.set("Allow", allowed);
    finish(exchange, std::move(response));
  };
  const auto parse_body = [&]() -> std::optional<Json> {
    if (request.body.empty()) {
      return Json::object();
    }
    auto body = leadsync::parse_untrusted_json(request.body, "the body");
    if (!body.ok()) {
      finish(exchange, admin_error(400, body.error().message + "; send a JSON object"));
      return std::nullopt;
    }
    if (!body->is_object()) {
      finish(exchange, admin_error(400, "the body must be a JSON object"));
      return std::nullopt;
    }
    return std::move(body).value();
  };

  if (action == "stats") {
    if (method != "GET") {
      wrong_method("GET");
      return;
    }
    int batch = default_ceiling_batch;
    auto query = leadsync::http::parse_query(target.query);
    if (query.ok()) {
      for (const auto& [name, value] : query.value()) {
        if (name != "batch") {
          continue;
        }
        char* end = nullptr;
        const long parsed = std::strtol(value.c_str(), &end, 10);
        if (value.empty() || end != value.c_str() + value.size() || parsed < 1 ||
            parsed > 1'000'000) {
          finish(exchange, admin_error(400, "batch must be a whole number from 1 to 1000000"));
          return;
        }
        batch = static_cast<int>(parsed);
      }
    }
    finish(exchange, admin_json(200, stats_json(batch)));
    return;
  }
  if (action == "reset") {
    if (method != "POST") {
      wrong_method("POST");
      return;
    }
    store->reset();
    if (auto seeded = seed_rows(); !seeded.ok()) {
      finish(exchange, admin_error(500, seeded.error().message));
      return;
    }
    counters.reset();
    limiter.reset();
    webhooks->reset_stats();
    tokens.restore_static_token();
    finish(exchange, admin_json(200, Json{{"reset", true}}));
    return;
  }
  if (action.rfind("records/", 0) == 0) {
    if (method != "GET") {
      wrong_method("GET");
      return;
    }
    const auto entity_set = action.substr(std::string_view("records/").size());
    const auto* entity = schema->by_entity_set(entity_set);
    if (entity == nullptr) {
      finish(exchange, admin_error(404, "no table with entity set '" + entity_set + "'"));
      return;
    }
    auto rows = Json::array();
    {
      auto txn = store->begin();
      for (const auto* record : txn.scan(*entity)) {
        rows.push_back(
            {{"id", record->id}, {"version", record->version}, {"attributes", record->attributes}});
      }
    }
    finish(exchange, admin_json(200, rows));
    return;
  }
  if (action == "faults") {
    if (method == "GET") {
      finish(exchange, admin_json(200, faults_json(faults.options())));
      return;
    }
    if (method != "POST") {
      wrong_method("GET, POST");
      return;
    }
    const auto body = parse_body();
    if (!body) {
      return;
    }
    FaultOptions plan;
    plan.seed = options.faults.seed;
    plan.slow_delay = options.faults.slow_delay;
    try {
      for (const auto& [name, value] : body->items()) {
        if (name == "spec") {
          auto parsed = parse_fault_spec(value.get<std::string>(), plan);
          if (!parsed.ok()) {
            finish(exchange, admin_error(400, parsed.error().message));
            return;
          }
          plan = parsed.value();
        } else if (name == "rate_500") {
          plan.rate_500 = value.get<double>();
        } else if (name == "rate_503") {
          plan.rate_503 = value.get<double>();
        } else if (name == "rate_reset") {
          plan.rate_reset = value.get<double>();
        } else if (name == "rate_slow") {
          plan.rate_slow = value.get<double>();
        } else if (name == "rate_revoke") {
          plan.rate_revoke = value.get<double>();
        } else if (name == "slow_delay_ms") {
          plan.slow_delay = milliseconds{value.get<std::int64_t>()};
        } else if (name == "seed") {
          plan.seed = value.get<std::uint64_t>();
        } else {
          finish(exchange,
                 admin_error(400, "unknown field '" + name +
                                      "'; known: rate_500, rate_503, rate_reset, rate_slow, "
                                      "slow_delay_ms, rate_revoke, seed, spec"));
          return;
        }
      }
    } catch (const Json::exception&) {
      finish(exchange, admin_error(400, "rates must be numbers, seed and slow_delay_ms whole "
                                        "numbers, spec a string"));
      return;
    }
    EmulatorOptions check;
    check.faults = plan;
    if (auto valid = validate(check); !valid.ok()) {
      finish(exchange, admin_error(400, valid.error().message));
      return;
    }
    faults.configure(plan);
    finish(exchange, admin_json(200, faults_json(plan)));
    return;
  }
  if (action == "clock") {
    if (method == "GET") {
      finish(exchange, admin_json(200, Json{{"offset_ms", clock.offset().count()},
                                            {"now_ms", unix_ms(clock.now())}}));
      return;
    }
    if (method != "POST") {
      wrong_method("GET, POST");
      return;
    }
    const auto body = parse_body();
    if (!body) {
      return;
    }
    const auto advance = body->find("advance_s");
    if (advance == body->end() || !advance->is_number() || advance->get<double>() < 0) {
      finish(exchange, admin_error(400, "send {\"advance_s\": N} with N >= 0 seconds; the clock "
                                        "only moves forward"));
      return;
    }
    clock.advance(milliseconds{std::llround(advance->get<double>() * 1000)});
    finish(exchange, admin_json(200, Json{{"offset_ms", clock.offset().count()},
                                          {"now_ms", unix_ms(clock.now())}}));
    return;
  }
  if (action == "client-secret") {
    // Rotates the client secret, as an admin does in Entra: tokens already issued stay valid, the
    // next token request must send the new secret.
    if (method != "POST") {
      wrong_method("POST");
      return;
    }
    const auto body = parse_body();
    if (!body) {
      return;
    }
    const auto secret = body->find("client_secret");
    if (secret == body->end() || !secret->is_string() || secret->get<std::string>().empty()) {
      finish(exchange, admin_error(400, "send {\"client_secret\": \"<the new secret>\"}"));
      return;
    }
    leadsync::log::Redactor::instance().add_secret(secret->get<std::string>());
    {
      std::lock_guard lock(secret_mutex);
      options.auth.client_secret = secret->get<std::string>();
    }
    finish(exchange, admin_json(200, Json{{"rotated", true}}));
    return;
  }
  if (action == "limits") {
    if (method == "GET") {
      finish(exchange, admin_json(200, limits_json(limiter.limits())));
      return;
    }
    if (method != "POST") {
      wrong_method("GET, POST");
      return;
    }
    const auto body = parse_body();
    if (!body) {
      return;
    }
    auto limits = limiter.limits();
    try {
      for (const auto& [name, value] : body->items()) {
        if (name == "enabled") {
          limits.enabled = value.get<bool>();
        } else if (name == "window_ms") {
          limits.window = milliseconds{value.get<std::int64_t>()};
        } else if (name == "window_s") {
          limits.window = milliseconds{std::llround(value.get<double>() * 1000)};
        } else if (name == "max_requests") {
          limits.max_requests = value.get<std::int64_t>();
        } else if (name == "max_execution_ms") {
          limits.max_execution_ms = value.get<std::int64_t>();
        } else if (name == "max_concurrency") {
          limits.max_concurrency = value.get<std::int64_t>();
        } else if (name == "dop_hint") {
          limits.dop_hint = value.get<int>();
        } else {
          finish(exchange, admin_error(400, "unknown field '" + name +
                                                "'; known: enabled, window_ms, window_s, "
                                                "max_requests, max_execution_ms, "
                                                "max_concurrency, dop_hint"));
          return;
        }
      }
    } catch (const Json::exception&) {
      finish(exchange, admin_error(400, "enabled must be a boolean and the limits numbers"));
      return;
    }
    EmulatorOptions check;
    check.limits = limits;
    if (auto valid = validate(check); !valid.ok()) {
      finish(exchange, admin_error(400, valid.error().message));
      return;
    }
    limiter.configure(limits);
    finish(exchange, admin_json(200, limits_json(limits)));
    return;
  }
  finish(exchange, admin_error(404, "unknown admin endpoint '" + target.path +
                                        "'; see tests/emulator/dataverse/README.md"));
}

// The rows every org has: the organization, its root business unit, the application user the tokens
// map to, US dollar, and the Create message with its filters for webhook registration. Only columns
// the schema defines are written; tables it does not serve are skipped.
leadsync::Status Emulator::Impl::seed_rows() {
  const auto reference = [](const std::string& id, const char* entity) {
    return Json{{"id", id}, {"entity", entity}};
  };
  std::vector<std::pair<std::string, Json>> rows{
      {"organization",
       {{"organizationid", identity.organization_id},
        {"name", identity.organization_name},
        {"expirechangetrackingindays", options.compat.change_token_days}}},
      {"businessunit",
       {{"businessunitid", identity.business_unit_id},
        {"name", identity.organization_name},
        {"organizationid", reference(identity.organization_id, "organization")}}},
      {"transactioncurrency",
       {{"transactioncurrencyid", us_dollar_id},
        {"currencyname", "US Dollar"},
        {"isocurrencycode", "USD"},
        {"currencysymbol", "$"},
        {"currencyprecision", 2},
        {"exchangerate", 1}}},
      {"sdkmessage", {{"sdkmessageid", create_message_id}, {"name", "Create"}}},
  };
  // One non-interactive (accessmode 4) systemuser per application user; applicationid holds the
  // client id when it is a GUID, as on Dataverse, so a client can find its own user.
  for (const auto& user : users) {
    const bool first = user.user_id == identity.user_id;
    const std::string name =
        first ? std::string("leadsync-emulator") : "leadsync-emulator " + user.client_id;
    Json row{{"systemuserid", user.user_id},
             {"firstname", "#"},
             {"lastname", name},
             {"fullname", "# " + name},
             {"domainname", first ? std::string("leadsync-emulator@emulator.invalid")
                                  : user.client_id + "@emulator.invalid"},
             {"accessmode", 4},
             {"isdisabled", false},
             {"businessunitid", reference(identity.business_unit_id, "businessunit")}};
    if (const auto application = leadsync::Uuid::parse(user.client_id); application.ok()) {
      row["applicationid"] = application.value().to_string();
    }
    rows.emplace_back("systemuser", std::move(row));
  }
  for (const auto& [table, filter_id] : create_filters) {
    rows.emplace_back("sdkmessagefilter",
                      Json{{"sdkmessagefilterid", filter_id},
                           {"sdkmessageid", reference(create_message_id, "sdkmessage")},
                           {"primaryobjecttypecode", table},
                           {"secondaryobjecttypecode", "none"},
                           {"iscustomprocessingstepallowed", true},
                           {"isvisible", true}});
  }
  auto txn = store->begin();
  for (auto& [logical_name, attributes] : rows) {
    const auto* entity = schema->by_logical_name(logical_name);
    if (entity == nullptr) {
      continue;
    }
    const auto id = attributes[entity->primary_id].get<std::string>();
    if (txn.find(*entity, id) != nullptr) {
      continue;
    }
    Json known = Json::object();
    for (const auto& [column, value] : attributes.items()) {
      if (entity->column(column) != nullptr) {
        known[column] = value;
      }
    }
    known[entity->primary_id] = id;
    txn.insert(*entity, std::move(known));
  }
  try {
    txn.commit();
  } catch (const std::runtime_error& error) {
    return fail(ErrorCategory::storage,
                std::string("cannot write the default rows: ") + error.what());
  }
  return leadsync::ok_status();
}

Json Emulator::Impl::stats_json(int batch_size) const {
  Json stats;
  stats["uptime_s"] =
      std::chrono::duration_cast<std::chrono::seconds>(std::chrono::steady_clock::now() - started)
          .count();
  counters.write(stats);
  stats["in_flight"] = limiter.in_flight();
  stats["max_concurrency_seen"] = limiter.max_in_flight_seen();
  stats["rows"] = store ? store->row_counts() : std::map<std::string, std::int64_t>{};
  if (webhooks) {
    webhooks->write_stats(stats);
  }
  const auto limits = limiter.limits();
  stats["limits"] = limits_json(limits);
  stats["latency"] = {{"base_ms", options.latency.base.count()},
                      {"per_record_ms", options.latency.per_record.count()}};
  const auto ceiling = bulk_ceiling(limits, options.latency, batch_size);
  // Dataverse applies the limits per user, so N application users may write N times as fast.
  const auto user_count = static_cast<double>(users.size());
  stats["application_users"] = users.size();
  stats["users"] = users_json(limits);
  stats["ceiling_records_per_second"] = optional_number(ceiling.records_per_second);
  stats["combined_ceiling_records_per_second"] =
      ceiling.records_per_second ? Json(*ceiling.records_per_second * user_count) : Json(nullptr);
  stats["ceiling"] = {{"batch_size", ceiling.batch_size},
                      {"binding_limit", ceiling.binding_limit},
                      {"by_requests", optional_number(ceiling.by_requests)},
                      {"by_execution_time", optional_number(ceiling.by_execution_time)},
                      {"by_concurrency", optional_number(ceiling.by_concurrency)}};
  return stats;
}

Json Emulator::Impl::users_json(const LimitOptions& limits) const {
  auto list = Json::array();
  const auto now = clock.steady_now();
  for (const auto& user : users) {
    const auto figures = limiter.figures(user.user_id, now);
    list.push_back(
        {{"client_id", user.client_id},
         {"user_id", user.user_id},
         {"requests", figures.requests},
         {"throttled", figures.throttled},
         {"in_flight", figures.in_flight},
         // Nothing is left to count down with the limits off (profile fast).
         {"remaining_requests", limits.enabled ? Json(figures.remaining.requests) : Json(nullptr)},
         {"remaining_execution_ms",
          limits.enabled ? Json(figures.remaining.execution_ms) : Json(nullptr)}});
  }
  return list;
}

Emulator::Emulator(EmulatorOptions options) : impl_(std::make_unique<Impl>(std::move(options))) {}

Emulator::~Emulator() {
  stop();
}

leadsync::Result<std::uint16_t> Emulator::start() {
  return impl_->start();
}

void Emulator::stop() {
  impl_->stop();
}

std::string Emulator::base_url() const {
  return "http://" + impl_->host + ":" + std::to_string(impl_->port);
}

nlohmann::json Emulator::stats() const {
  return impl_->stats_json(default_ceiling_batch);
}

} // namespace dvemu
