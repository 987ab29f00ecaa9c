#include "webhooks.hpp"

#include <algorithm>
#include <array>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fmt/format.h>
#include <leadsync/core/log.hpp>
#include <optional>
#include <set>

namespace dvemu::detail {

namespace {

namespace net = boost::asio;
namespace bhttp = boost::beast::http;

// Dataverse posts to a webhook with a 60 s timeout, once more on 502/503/504 (notes section 11).
constexpr std::chrono::seconds webhook_timeout{60};
// Larger webhook bodies lose their InputParameters and images (notes section 11).
constexpr std::size_t webhook_size_limit = std::size_t{256} * 1024;
constexpr const char* xrm_contracts = "http://schemas.microsoft.com/xrm/2011/Contracts";

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

} // namespace

void WebhookDispatcher::start() {
  worker_ = std::thread([this] { run(); });
}

void WebhookDispatcher::stop() {
  {
    leadsync::MutexLock lock(mutex_);
    stopping_ = true;
    io_.stop();
  }
  wake_.notify_one();
  if (worker_.joinable()) {
    worker_.join();
  }
}

void WebhookDispatcher::record_created(const EntityDef& entity, const StoredRecord& record,
                                       const std::string& user_id) {
  {
    leadsync::MutexLock lock(mutex_);
    if (stopping_) {
      return;
    }
    queue_.push_back(CreatedRow{&entity, record, user_id});
  }
  wake_.notify_one();
}

void WebhookDispatcher::write_stats(Json& stats) const {
  Json deliveries = Json::array();
  {
    leadsync::MutexLock lock(mutex_);
    for (const auto& delivery : deliveries_) {
      deliveries.push_back(delivery);
    }
  }
  stats["webhooks"] = {{"delivered", delivered_.load()},
                       {"failed", failed_.load()},
                       {"attempts", attempts_.load()},
                       {"deliveries", std::move(deliveries)}};
}

void WebhookDispatcher::reset_stats() {
  delivered_ = 0;
  failed_ = 0;
  attempts_ = 0;
  leadsync::MutexLock lock(mutex_);
  deliveries_.clear();
}

std::string WebhookDispatcher::host_of(const std::string& url) {
  auto parsed = leadsync::http::parse_url(url);
  return parsed.ok() ? parsed.value().host : url;
}

void WebhookDispatcher::run() {
  for (;;) {
    std::deque<CreatedRow> batch;
    {
      leadsync::UniqueLock lock(mutex_);
      wake_.wait(lock, [this] {
        mutex_.assert_held();
        return stopping_ || !queue_.empty();
      });
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

bool WebhookDispatcher::stopping() const {
  leadsync::MutexLock lock(mutex_);
  return stopping_;
}

std::map<std::string, std::vector<WebhookTarget>> WebhookDispatcher::registered_targets() {
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

nlohmann::ordered_json WebhookDispatcher::entity_body(const EntityDef& entity,
                                                      const StoredRecord& record) const {
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

nlohmann::ordered_json
WebhookDispatcher::execution_context(const WebhookTarget& target, const CreatedRow& row,
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

std::string WebhookDispatcher::wcf_json(const nlohmann::ordered_json& body) {
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

void WebhookDispatcher::deliver(const WebhookTarget& target, const CreatedRow& row) {
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

void WebhookDispatcher::record_delivery(const WebhookTarget& target, const CreatedRow& row,
                                        const std::string& correlation_id, const PostResult& result,
                                        int attempts, WallTime started_at,
                                        std::chrono::steady_clock::duration took) {
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
  leadsync::MutexLock lock(mutex_);
  deliveries_.push_back(std::move(delivery));
  while (deliveries_.size() > max_kept_deliveries) {
    deliveries_.pop_front();
  }
}

WebhookDispatcher::PostResult
WebhookDispatcher::post(const leadsync::http::Url& url,
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
    leadsync::MutexLock lock(mutex_);
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

} // namespace dvemu::detail
