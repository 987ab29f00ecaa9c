#include "dvemu/batch.hpp"

#include "dvemu/multipart.hpp"
#include "leadsync/core/json_limits.hpp"

#include <algorithm>
#include <cctype>
#include <leadsync/core/uuid.hpp>
#include <leadsync/http/url.hpp>
#include <map>
#include <optional>
#include <set>
#include <string_view>
#include <variant>

// $batch as
// https://learn.microsoft.com/en-us/power-apps/developer/data-platform/webapi/execute-batch-operations-using-web-api
// describes it (dataverse-notes section 5, [BATCH]).

namespace dvemu {

namespace {

namespace http = leadsync::http;
using http::Request;
using http::Response;

// "Batch requests can contain up to 1000 individual requests" [BATCH]; changeset members count one
// by one.
constexpr std::size_t max_requests = 1000;
// Errors of the batch structure come from the OData batch reader; Dataverse answers OData errors
// with this code.
constexpr const char* batch_error_code = "0x80060888";

ServiceError batch_error(std::string message) {
  return ServiceError{400, batch_error_code, std::move(message)};
}

Response error_response(const ServiceError& error) {
  Response response;
  response.status = error.status;
  response.headers.set("OData-Version", "4.0");
  response.headers.set("Content-Type", "application/json; odata.metadata=minimal");
  response.body = error.body();
  return response;
}

std::string lower_ascii(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return text;
}

std::string media_type(const std::optional<std::string>& content_type) {
  if (!content_type) {
    return {};
  }
  std::string media = content_type->substr(0, content_type->find(';'));
  media.erase(0, media.find_first_not_of(" \t"));
  media.erase(media.find_last_not_of(" \t") + 1);
  return lower_ascii(std::move(media));
}

bool all_digits(std::string_view text) {
  return !text.empty() && std::all_of(text.begin(), text.end(), [](char c) {
    return std::isdigit(static_cast<unsigned char>(c)) != 0;
  });
}

// "$1/lastname" -> {"1", "/lastname"}; nullopt when the text does not start with '$'.
std::optional<std::pair<std::string, std::string>> split_reference(std::string_view text) {
  if (text.empty() || text.front() != '$') {
    return std::nullopt;
  }
  const auto end = text.find_first_of("/?", 1);
  const std::size_t length = end == std::string_view::npos ? text.size() : end;
  return std::pair<std::string, std::string>(std::string(text.substr(1, length - 1)),
                                             std::string(text.substr(length)));
}

ServiceError undeclared_reference(const std::string& content_id) {
  return batch_error("Content-ID Reference: '$" + content_id +
                     "' does not exist in the batch context.");
}

// Calls visit(value) for every string in the body that may hold a $n reference: the values of
// "<nav>@odata.bind" (single or collection) and of "@odata.id", at any depth (deep insert).
template <typename Visit> void for_each_reference_slot(Json& node, Visit&& visit) {
  if (node.is_array()) {
    for (Json& element : node) {
      for_each_reference_slot(element, visit);
    }
    return;
  }
  if (!node.is_object()) {
    return;
  }
  for (auto it = node.begin(); it != node.end(); ++it) {
    const std::string& key = it.key();
    const bool slot = key == "@odata.id" || key.ends_with("@odata.bind");
    if (slot && it->is_string()) {
      visit(it->get_ref<std::string&>());
    } else if (slot && it->is_array()) {
      for (Json& element : *it) {
        if (element.is_string()) {
          visit(element.get_ref<std::string&>());
        }
      }
    } else {
      for_each_reference_slot(*it, visit);
    }
  }
}

// A JSON body that may carry $n references; nullopt when it has none (or is not JSON).
std::optional<Json> body_with_references(const std::string& body) {
  if (body.find("\"$") == std::string::npos) {
    return std::nullopt;
  }
  // Depth-limited (issue 18); a part too deep is then refused by the operation it is sent to.
  auto parsed = leadsync::parse_untrusted_json(body, "the part body");
  if (!parsed.ok()) {
    return std::nullopt;
  }
  return std::move(parsed).value();
}

struct Member {
  EmbeddedRequest request;
  std::string content_id; // empty when the part has none
};

struct Item {
  bool changeset = false;
  std::vector<Member> members; // one for a request outside a changeset
};

class BatchPlanner {
public:
  std::variant<std::vector<Item>, ServiceError> plan(const std::string& body,
                                                     const std::string& boundary) {
    auto parts = parse_multipart(body, boundary);
    if (auto* error = std::get_if<ServiceError>(&parts)) {
      return std::move(*error);
    }
    std::vector<Item> items;
    std::size_t request_count = 0;
    std::size_t number = 0;
    for (MimePart& part : std::get<std::vector<MimePart>>(parts)) {
      ++number;
      const std::string media = media_type(part.headers.get("Content-Type"));
      Item item;
      if (media == "application/http") {
        auto member = read_member(part, {});
        if (auto* error = std::get_if<ServiceError>(&member)) {
          return std::move(*error);
        }
        item.members.push_back(std::get<Member>(std::move(member)));
      } else if (media == "multipart/mixed") {
        item.changeset = true;
        if (auto error = read_changeset(part, item.members)) {
          return std::move(*error);
        }
      } else {
        return batch_error("Part " + std::to_string(number) + " of the $batch has Content-Type '" +
                           part.headers.get("Content-Type").value_or("") +
                           "': each part must be application/http (one request) or multipart/mixed "
                           "(a change set).");
      }
      request_count += item.members.size();
      items.push_back(std::move(item));
    }
    if (request_count > max_requests) {
      // Wording reported by users (https://github.com/MicrosoftDocs/powerapps-docs/issues/1890).
      return batch_error(
          "The current batch message contains too many parts. Only batch messages with "
          "a maximum number of '1000' query operations, including changeset "
          "operations, are allowed. Split the work into batches of at most 1000 "
          "requests.");
    }
    return items;
  }

private:
  static std::variant<Member, ServiceError> read_member(const MimePart& part,
                                                        const std::set<std::string>& declared) {
    auto request = parse_embedded_request(part.body);
    if (auto* error = std::get_if<ServiceError>(&request)) {
      return std::move(*error);
    }
    Member member{std::get<EmbeddedRequest>(std::move(request)), {}};
    member.content_id = part.headers.get("Content-ID")
                            .value_or(member.request.headers.get("Content-ID").value_or(""));
    if (auto error = check_references(member.request, declared)) {
      return std::move(*error);
    }
    return member;
  }

  // Every $n a request uses must be the Content-ID of an earlier request of its change set.
  static std::optional<ServiceError> check_references(const EmbeddedRequest& request,
                                                      const std::set<std::string>& declared) {
    std::optional<ServiceError> error;
    const auto check = [&](std::string_view text) {
      const auto reference = split_reference(text);
      if (reference && !error && !declared.contains(reference->first) &&
          all_digits(reference->first)) {
        error = undeclared_reference(reference->first);
      }
    };
    check(request.target);
    if (auto body = body_with_references(request.body)) {
      for_each_reference_slot(*body, [&](std::string& value) { check(value); });
    }
    return error;
  }

  static std::optional<ServiceError> read_changeset(const MimePart& part,
                                                    std::vector<Member>& members) {
    const std::string boundary = multipart_boundary(part.headers.get("Content-Type").value_or(""));
    if (boundary.empty()) {
      return batch_error("A change set part needs a boundary: Content-Type: multipart/mixed; "
                         "boundary=changeset_<id>.");
    }
    auto parts = parse_multipart(part.body, boundary);
    if (auto* error = std::get_if<ServiceError>(&parts)) {
      return std::move(*error);
    }
    const auto& member_parts = std::get<std::vector<MimePart>>(parts);
    if (member_parts.size() > max_requests) {
      // Wording reported by users (https://github.com/AleksandrRogov/DynamicsWebApi/pull/71).
      return batch_error("The current change set contains too many operations. A maximum number of "
                         "'1000' operations are allowed in a change set. Split the change set.");
    }
    std::set<std::string> declared;
    for (const MimePart& member_part : member_parts) {
      if (media_type(member_part.headers.get("Content-Type")) != "application/http") {
        return batch_error("A change set may hold only application/http requests: change sets and "
                           "batches cannot be nested.");
      }
      auto member = read_member(member_part, declared);
      if (auto* error = std::get_if<ServiceError>(&member)) {
        return std::move(*error);
      }
      Member& read = std::get<Member>(member);
      const std::string& method = read.request.method;
      if (method != "POST" && method != "PUT" && method != "PATCH" && method != "DELETE") {
        return batch_error("An invalid HTTP method '" + method +
                           "' was detected for a request in a change set. Requests in change sets "
                           "only support the HTTP methods 'POST', 'PUT', 'DELETE', and 'PATCH'.");
      }
      if (!read.content_id.empty() && !declared.insert(read.content_id).second) {
        return batch_error("The content ID '" + read.content_id +
                           "' was found more than once in the same change set. Content IDs have to "
                           "be unique across all operations of a change set.");
      }
      members.push_back(std::move(read));
    }
    return std::nullopt;
  }
};

// Restores CallContext::pending_events when a change set ends, however it ends.
class PendingEventsScope {
public:
  PendingEventsScope(CallContext& context, std::vector<PendingEvent>* events)
      : context_(context), saved_(context.pending_events) {
    context_.pending_events = events;
  }
  ~PendingEventsScope() { context_.pending_events = saved_; }
  PendingEventsScope(const PendingEventsScope&) = delete;
  PendingEventsScope& operator=(const PendingEventsScope&) = delete;

private:
  CallContext& context_;
  std::vector<PendingEvent>* saved_;
};

struct Outcome {
  MimePart part;
  bool failed = false;
  int status = 200;
};

class BatchRunner {
public:
  BatchRunner(WebApi& api, const Request& outer, CallContext& context)
      : api_(api), outer_(outer), context_(context) {
    const std::string path = http::split_target(outer.url).path;
    constexpr std::string_view batch_segment = "$batch";
    base_path_ = path.ends_with(batch_segment) ? path.substr(0, path.size() - batch_segment.size())
                                               : "/api/data/v9.2/";
  }

  Outcome run_request(const Member& member) {
    Response response = execute(member, {}, nullptr);
    const bool failed = response.status >= 400;
    const int status = response.status;
    return {response_part(member, std::move(response)), failed, status};
  }

  // All members in one transaction: on the first failure it is rolled back and the change set
  // answers with that member's response alone [BATCH][I2843].
  Outcome run_changeset(const Item& item) {
    std::vector<PendingEvent> created;
    std::vector<MimePart> responses;
    {
      PendingEventsScope events_scope(context_, &created);
      std::optional<RecordStore::Txn> txn(api_.store().begin());
      std::map<std::string, std::string> uris; // Content-ID -> the URI its request produced
      for (const Member& member : item.members) {
        Response response = execute(member, uris, &*txn);
        if (response.status >= 400) {
          txn.reset();
          const int status = response.status;
          return {changeset_part({response_part(member, std::move(response))}), true, status};
        }
        if (!member.content_id.empty()) {
          if (auto uri = entity_uri(member, response)) {
            uris[member.content_id] = *uri;
          }
        }
        responses.push_back(response_part(member, std::move(response)));
      }
      txn->commit();
    }
    api_.announce(created, context_);
    return {changeset_part(responses), false, 200};
  }

private:
  Response execute(const Member& member, const std::map<std::string, std::string>& uris,
                   RecordStore::Txn* txn) {
    auto request = inner_request(member.request, uris);
    if (auto* error = std::get_if<ServiceError>(&request)) {
      return error_response(*error);
    }
    return api_.execute(std::get<Request>(request), context_, txn);
  }

  std::variant<Request, ServiceError>
  inner_request(const EmbeddedRequest& embedded, const std::map<std::string, std::string>& uris) {
    std::string target = embedded.target;
    if (const auto reference = split_reference(target)) {
      const auto uri = uris.find(reference->first);
      if (uri != uris.end()) {
        target = uri->second + reference->second;
      } else if (all_digits(reference->first)) {
        return undeclared_reference(reference->first);
      }
    }
    auto url = origin_form(target);
    if (auto* error = std::get_if<ServiceError>(&url)) {
      return std::move(*error);
    }
    Request request;
    request.method = embedded.method;
    request.url = std::get<std::string>(std::move(url));
    request.headers = embedded.headers;
    request.body = embedded.body;
    request.remote_address = outer_.remote_address;
    if (auto body = body_with_references(embedded.body)) {
      for_each_reference_slot(*body, [&](std::string& value) {
        const auto reference = split_reference(value);
        const auto uri = reference ? uris.find(reference->first) : uris.end();
        if (uri != uris.end()) {
          value = uri->second + reference->second;
        }
      });
      request.body = body->dump(-1, ' ', false, Json::error_handler_t::replace);
    }
    return request;
  }

  // Inner request lines carry absolute URLs (dynamics-web-api writes them), origin-form paths or
  // paths relative to the service root; the Web API takes origin-form.
  std::variant<std::string, ServiceError> origin_form(const std::string& target) const {
    if (target.starts_with("http://") || target.starts_with("https://")) {
      auto url = http::parse_url(target);
      if (!url.ok()) {
        return batch_error("The URL '" + target +
                           "' of a request in the $batch is not valid: " + url.error().describe());
      }
      return url.value().target();
    }
    if (target.starts_with('/')) {
      return target;
    }
    return base_path_ + target;
  }

  // The URI a $n reference stands for: the created or upserted row's OData-EntityId, or for a
  // create with return=representation (201, no OData-EntityId [CREATE]) the row's URL built from
  // the body.
  std::optional<std::string> entity_uri(const Member& member, const Response& response) const {
    if (auto id = response.headers.get("OData-EntityId")) {
      return id;
    }
    if (auto location = response.headers.get("Location")) {
      return location;
    }
    auto url = origin_form(member.request.target);
    const std::string* path = std::get_if<std::string>(&url);
    if (path == nullptr || !path->starts_with(base_path_)) {
      return std::nullopt;
    }
    const std::string entity_set = path->substr(
        base_path_.size(), path->find_first_of("(/?", base_path_.size()) - base_path_.size());
    const EntityDef* entity = api_.schema().by_entity_set(entity_set);
    auto parsed = leadsync::parse_untrusted_json(response.body, "the part response");
    const Json body = parsed.ok() ? std::move(parsed).value() : Json();
    if (entity == nullptr || !body.is_object() || !body.contains(entity->primary_id) ||
        !body[entity->primary_id].is_string()) {
      return std::nullopt;
    }
    return api_.service_root() + entity_set + "(" + body[entity->primary_id].get<std::string>() +
           ")";
  }

  // As Dataverse writes them inside a batch [BATCH]: Location next to OData-EntityId, and a REQ_ID
  // on errors.
  static Response decorated(Response response) {
    http::Headers headers;
    if (response.status >= 400 && !response.headers.has("REQ_ID")) {
      headers.add("REQ_ID", leadsync::Uuid::generate_v4().to_string());
    }
    const bool add_location = !response.headers.has("Location");
    for (const auto& [name, value] : response.headers) {
      if (add_location && http::iequals(name, "OData-EntityId")) {
        headers.add("Location", value);
      }
      headers.add(name, value);
    }
    response.headers = std::move(headers);
    return response;
  }

  static MimePart response_part(const Member& member, Response response) {
    MimePart part;
    part.headers.add("Content-Type", "application/http");
    part.headers.add("Content-Transfer-Encoding", "binary");
    if (!member.content_id.empty()) {
      part.headers.add("Content-ID", member.content_id);
    }
    part.body = format_embedded_response(decorated(std::move(response)));
    return part;
  }

  static MimePart changeset_part(const std::vector<MimePart>& responses) {
    const std::string boundary = "changesetresponse_" + leadsync::Uuid::generate_v4().to_string();
    MimePart part;
    part.headers.add("Content-Type", "multipart/mixed; boundary=" + boundary);
    part.body = format_multipart(responses, boundary);
    return part;
  }

  WebApi& api_;
  const Request& outer_;
  CallContext& context_;
  std::string base_path_;
};

// Prefer: odata.continue-on-error (or continue-on-error[=true], OData 4.01).
bool wants_continue_on_error(const http::Headers& headers) {
  for (const std::string& header : headers.get_all("Prefer")) {
    std::size_t start = 0;
    while (start <= header.size()) {
      const auto comma = header.find(',', start);
      std::string preference =
          header.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
      preference.erase(0, preference.find_first_not_of(" \t"));
      preference.erase(preference.find_last_not_of(" \t") + 1);
      preference = lower_ascii(std::move(preference));
      if (preference == "odata.continue-on-error" || preference == "continue-on-error" ||
          preference == "odata.continue-on-error=true" || preference == "continue-on-error=true") {
        return true;
      }
      if (comma == std::string::npos) {
        break;
      }
      start = comma + 1;
    }
  }
  return false;
}

} // namespace

Response handle_batch(WebApi& api, const Request& request, CallContext& context,
                      const EmulatorOptions& options) {
  const auto content_type = request.headers.get("Content-Type");
  const std::string boundary = multipart_boundary(content_type.value_or(""));
  if (media_type(content_type) != "multipart/mixed" || boundary.empty()) {
    return error_response(batch_error(
        "A $batch request needs Content-Type multipart/mixed with a boundary, for example "
        "'multipart/mixed; boundary=\"batch_<id>\"'; got '" +
        content_type.value_or("") + "'."));
  }
  if (options.compat.batch_requires_crlf && request.body.find('\n') != std::string::npos &&
      request.body.find("\r\n") == std::string::npos) {
    return error_response(ServiceError{400, "0x80048d19", "Stream was not readable."});
  }
  auto planned = BatchPlanner().plan(request.body, boundary);
  if (auto* error = std::get_if<ServiceError>(&planned)) {
    return error_response(*error);
  }

  // Without continue-on-error the first failure ends the batch, and the batch answers with that
  // failure's status [BATCH]; the parts before it stay in the body, as users report
  // (https://github.com/MicrosoftDocs/powerapps-docs/issues/1241). With it, every part runs and the
  // batch answers 200, except that a failed change set still ends the batch unless
  // compat.continue_on_error_past_failed_changeset (UNCONFIRMED, [I2735]).
  const bool continue_on_error = wants_continue_on_error(request.headers);
  BatchRunner runner(api, request, context);
  std::vector<MimePart> parts;
  std::optional<int> stopped_with;
  for (const Item& item : std::get<std::vector<Item>>(planned)) {
    Outcome outcome =
        item.changeset ? runner.run_changeset(item) : runner.run_request(item.members[0]);
    parts.push_back(std::move(outcome.part));
    if (!outcome.failed) {
      continue;
    }
    const bool stop = !continue_on_error ||
                      (item.changeset && !options.compat.continue_on_error_past_failed_changeset);
    if (stop) {
      stopped_with = outcome.status;
      break;
    }
  }

  const std::string boundary_out = "batchresponse_" + leadsync::Uuid::generate_v4().to_string();
  Response response;
  response.status = stopped_with.value_or(200);
  response.headers.set("OData-Version", "4.0");
  if (continue_on_error && !stopped_with) {
    response.headers.set("Preference-Applied", "odata.continue-on-error");
  }
  response.headers.set("Content-Type", "multipart/mixed; boundary=" + boundary_out);
  response.body = format_multipart(parts, boundary_out) + "\r\n";
  return response;
}

} // namespace dvemu
