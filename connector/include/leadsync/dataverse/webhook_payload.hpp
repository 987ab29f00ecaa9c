#pragma once
// Parsing of what Dataverse POSTs to a webhook: the JSON serialization of RemoteExecutionContext
// (shared/dataverse-notes.md section 11; daemon-scaleout.md section C;
// https://learn.microsoft.com/en-us/power-apps/developer/data-platform/use-webhooks).
//
// The body is parsed generically, not as a strict schema: InputParameters, images and attribute
// collections are arrays of {"key","value"} pairs, turned into maps here; any of ParentContext,
// InputParameters and the images may be absent (always when x-ms-dynamics-msg-size-exceeded is
// sent, and for some operations even below the size limit), so the receiver must then read the row
// through the Web API by PrimaryEntityId.

#include "leadsync/core/result.hpp"

#include <cstddef>
#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace leadsync::dataverse {

// The request headers Dataverse sends with the POST, as far as the receiver uses them.
struct WebhookHeaders {
  std::string organization;   // x-ms-dynamics-organization
  std::string entity_name;    // x-ms-dynamics-entity-name
  std::string request_name;   // x-ms-dynamics-request-name
  std::string correlation_id; // x-ms-correlation-request-id
  bool size_exceeded = false; // x-ms-dynamics-msg-size-exceeded present
};

struct WebhookNotification {
  std::string message_name;                      // MessageName, e.g. "Create"
  std::string primary_entity_name;               // PrimaryEntityName, e.g. "lead"
  std::string primary_entity_id;                 // PrimaryEntityId, lower-case GUID
  std::string operation_id;                      // OperationId (GUID, lower-case) or ""
  std::string request_id;                        // RequestId (GUID, lower-case) or ""
  std::string correlation_id;                    // CorrelationId or the header's
  std::string organization_name;                 // OrganizationName
  int stage = 0;                                 // Stage: 10, 20, 40
  int mode = 0;                                  // Mode: 0 synchronous, 1 asynchronous
  int depth = 0;                                 // Depth
  std::optional<long long> operation_created_ms; // OperationCreatedOn, Unix ms (UTC)
  // The Target entity's attributes from InputParameters, each value re-serialized as compact JSON
  // as it came (strings quoted, OptionSetValue/EntityReference/Money objects as objects). Empty
  // when InputParameters or Target is absent.
  std::map<std::string, std::string> target_attributes;
  bool target_present = false; // InputParameters held a Target entity
  bool size_exceeded = false;  // from the header: parts of the body were removed

  // The key one delivery of one operation is known by, so that a redelivered POST (Dataverse
  // retries 502/503/504 once) is processed once: "<message>:<entity>:<id>:<operation>", all
  // lower-case, where <operation> is the OperationId, else the RequestId, else "t" and
  // OperationCreatedOn in ms, else "" (then every delivery of that message for that row is one).
  std::string dedupe_key() const;
};

struct WebhookParseLimits {
  std::size_t max_body_bytes = std::size_t{1} << 20; // larger: invalid_argument ("too large")
  int max_depth = 64;                                // JSON nesting deeper than this is refused
};

// Parses the body. Fails (invalid_argument) with a short message (never quoting the body) when it
// is not JSON, nests deeper than the limit, is not an object, or lacks MessageName,
// PrimaryEntityName or a GUID PrimaryEntityId; also when OperationId or RequestId is set but no
// GUID, or OperationCreatedOn is no "/Date(ms[+-hhmm])/". The error's http_status is what to
// answer: 413 for a body over max_body_bytes, 400 otherwise. Nesting is counted in a first pass
// that stops at max_depth + 1 levels, so no body can exhaust the stack, however deep.
Result<WebhookNotification> parse_webhook_notification(std::string_view body,
                                                       const WebhookHeaders& headers,
                                                       const WebhookParseLimits& limits = {});

} // namespace leadsync::dataverse
