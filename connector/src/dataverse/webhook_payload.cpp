#include "leadsync/dataverse/webhook_payload.hpp"

#include "leadsync/core/json_limits.hpp"
#include "leadsync/core/text.hpp"

#include <charconv>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace leadsync::dataverse {
namespace {

using Json = nlohmann::json;

// Errors carry the HTTP status the receiver answers with; messages never quote the body.
Failure bad_body(std::string message) {
  auto error = Error::make(ErrorCategory::invalid_argument, std::move(message));
  error.http_status = 400;
  return fail(std::move(error));
}

// "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx" (any case) lower-cased; nullopt when not of that form.
std::optional<std::string> normalized_guid(std::string_view text) {
  constexpr std::size_t guid_length = 36;
  if (text.size() != guid_length) {
    return std::nullopt;
  }
  std::string out;
  out.reserve(guid_length);
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    const bool dash_position = i == 8 || i == 13 || i == 18 || i == 23;
    if (dash_position ? c != '-' : text::hex_value(c) < 0) {
      return std::nullopt;
    }
    out += text::ascii_lower(c);
  }
  return out;
}

// The string member `key`, or "" when absent or null. Fails when present with another type.
Result<std::string> optional_string(const Json& object, const char* key) {
  const auto it = object.find(key);
  if (it == object.end() || it->is_null()) {
    return std::string();
  }
  if (!it->is_string()) {
    return bad_body(fmt::format("{} must be a string", key));
  }
  return it->get<std::string>();
}

Result<std::string> required_string(const Json& object, const char* key) {
  LEADSYNC_TRY(auto value, optional_string(object, key));
  if (value.empty()) {
    return bad_body(fmt::format("{} is missing; this is not a Dataverse webhook notification "
                                "(RemoteExecutionContext)",
                                key));
  }
  return value;
}

// An optional GUID member, lower-cased; "" when absent or null.
Result<std::string> optional_guid(const Json& object, const char* key) {
  LEADSYNC_TRY(const auto text, optional_string(object, key));
  if (text.empty()) {
    return std::string();
  }
  auto guid = normalized_guid(text);
  if (!guid) {
    return bad_body(fmt::format("{} is not a GUID", key));
  }
  return *std::move(guid);
}

int optional_int(const Json& object, const char* key) {
  const auto it = object.find(key);
  if (it == object.end() || !it->is_number_integer()) {
    return 0;
  }
  const auto value = it->get<long long>();
  return value < 0 || value > 1'000'000 ? 0 : static_cast<int>(value);
}

// A key/value collection as the DataContractJsonSerializer writes it: an array of
// {"key": k, "value": v} objects. A plain JSON object is taken as well, so a differently
// serialized body still parses. Calls `visit(key, value)` for every pair; ignores anything else.
template <typename Visit> void for_each_pair(const Json& collection, Visit&& visit) {
  if (collection.is_object()) {
    for (const auto& [key, value] : collection.items()) {
      visit(key, value);
    }
    return;
  }
  if (!collection.is_array()) {
    return;
  }
  for (const auto& pair : collection) {
    if (!pair.is_object()) {
      continue;
    }
    const auto key = pair.find("key");
    const auto value = pair.find("value");
    if (key == pair.end() || !key->is_string() || value == pair.end()) {
      continue;
    }
    visit(key->get<std::string>(), *value);
  }
}

// An Entity (not an EntityReference): it has Attributes, or its __type says so.
bool is_entity(const Json& value) {
  if (!value.is_object()) {
    return false;
  }
  if (value.contains("Attributes")) {
    return true;
  }
  const auto type = value.find("__type");
  return type != value.end() && type->is_string() &&
         type->get<std::string>().starts_with("Entity:");
}

// WCF's JSON date form (DataContractJsonSerializer, "DateTime Wire Format" in
// https://learn.microsoft.com/en-us/dotnet/framework/wcf/feature-details/stand-alone-json-serialization):
// "/Date(ms)/" or "/Date(ms+hhmm)/" or "/Date(ms-hhmm)/". The number is milliseconds since the
// Unix epoch in UTC; the offset only says the value was a local time there, so it does not move the
// instant. The JSON escape "\/" is already gone once the string is parsed.
std::optional<long long> parse_wcf_date(std::string_view text) {
  constexpr std::string_view prefix = "/Date(";
  constexpr std::string_view suffix = ")/";
  if (!text.starts_with(prefix) || !text.ends_with(suffix) ||
      text.size() <= prefix.size() + suffix.size()) {
    return std::nullopt;
  }
  auto inner = text.substr(prefix.size(), text.size() - prefix.size() - suffix.size());
  // An offset is a sign and exactly four digits at the end, after at least one digit.
  constexpr std::size_t offset_length = 5;
  if (inner.size() > offset_length) {
    const auto sign_at = inner.size() - offset_length;
    const char sign = inner[sign_at];
    if (sign == '+' || sign == '-') {
      const auto offset = inner.substr(sign_at + 1);
      for (const char c : offset) {
        if (c < '0' || c > '9') {
          return std::nullopt;
        }
      }
      const int hours = (offset[0] - '0') * 10 + (offset[1] - '0');
      const int minutes = (offset[2] - '0') * 10 + (offset[3] - '0');
      if (hours > 14 || minutes > 59) {
        return std::nullopt;
      }
      inner = inner.substr(0, sign_at);
    }
  }
  long long ms = 0;
  const auto* end = inner.data() + inner.size();
  const auto [ptr, ec] = std::from_chars(inner.data(), end, ms);
  if (ec != std::errc() || ptr != end || inner.starts_with('+')) {
    return std::nullopt;
  }
  return ms;
}

} // namespace

std::string WebhookNotification::dedupe_key() const {
  // Without operation and request id, the operation's time tells two operations apart; a Create
  // has one row id per operation anyway.
  std::string operation = !operation_id.empty()  ? operation_id
                          : !request_id.empty()  ? request_id
                          : operation_created_ms ? fmt::format("t{}", *operation_created_ms)
                                                 : std::string();
  return text::ascii_lower(
      fmt::format("{}:{}:{}:{}", message_name, primary_entity_name, primary_entity_id, operation));
}

Result<WebhookNotification> parse_webhook_notification(std::string_view body,
                                                       const WebhookHeaders& headers,
                                                       const WebhookParseLimits& limits) {
  if (body.size() > limits.max_body_bytes) {
    auto error = Error::make(ErrorCategory::invalid_argument,
                             fmt::format("the body is too large ({} bytes; the limit is {} bytes)",
                                         body.size(), limits.max_body_bytes));
    error.http_status = 413;
    return fail(std::move(error));
  }
  // Depth-limited parse (core/json_limits): nesting is counted before and while the document is
  // built, so no body can exhaust the stack, however deep. The parser's own message quotes the
  // last token read, and these messages never quote the body: it is not passed on.
  if (!json_depth_within(body, limits.max_depth)) {
    return bad_body(fmt::format("the JSON body nests deeper than {} levels; refused; send a "
                                "RemoteExecutionContext as Dataverse writes it",
                                limits.max_depth));
  }
  auto parsed = parse_untrusted_json(body, "the webhook body", limits.max_depth);
  if (!parsed.ok()) {
    return bad_body("the body is not valid JSON; send a RemoteExecutionContext JSON object");
  }
  const Json root = std::move(parsed).value();
  if (!root.is_object()) {
    return bad_body("the body is not a JSON object (a RemoteExecutionContext)");
  }

  WebhookNotification out;
  LEADSYNC_TRY(out.message_name, required_string(root, "MessageName"));
  LEADSYNC_TRY(out.primary_entity_name, required_string(root, "PrimaryEntityName"));
  LEADSYNC_TRY(const auto entity_id, required_string(root, "PrimaryEntityId"));
  auto guid = normalized_guid(entity_id);
  if (!guid) {
    return bad_body("PrimaryEntityId is not a GUID");
  }
  out.primary_entity_id = *std::move(guid);
  LEADSYNC_TRY(out.operation_id, optional_guid(root, "OperationId"));
  LEADSYNC_TRY(out.request_id, optional_guid(root, "RequestId"));
  LEADSYNC_TRY(out.correlation_id, optional_string(root, "CorrelationId"));
  if (out.correlation_id.empty()) {
    out.correlation_id = headers.correlation_id;
  }
  LEADSYNC_TRY(out.organization_name, optional_string(root, "OrganizationName"));
  out.stage = optional_int(root, "Stage");
  out.mode = optional_int(root, "Mode");
  out.depth = optional_int(root, "Depth");
  LEADSYNC_TRY(const auto created_on, optional_string(root, "OperationCreatedOn"));
  if (!created_on.empty()) {
    out.operation_created_ms = parse_wcf_date(created_on);
    if (!out.operation_created_ms) {
      return bad_body("OperationCreatedOn is not a date of the form /Date(milliseconds)/");
    }
  }
  out.size_exceeded = headers.size_exceeded;

  if (const auto inputs = root.find("InputParameters"); inputs != root.end()) {
    for_each_pair(*inputs, [&](const std::string& key, const Json& value) {
      if (key != "Target" || !is_entity(value) || out.target_present) {
        return;
      }
      out.target_present = true;
      if (const auto attributes = value.find("Attributes"); attributes != value.end()) {
        for_each_pair(*attributes, [&](const std::string& name, const Json& attribute) {
          out.target_attributes[name] =
              attribute.dump(-1, ' ', false, Json::error_handler_t::replace);
        });
      }
    });
  }
  return out;
}

} // namespace leadsync::dataverse
