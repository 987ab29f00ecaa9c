#pragma once
// $batch (multipart/mixed) encoder and decoder: top-level requests and atomic changesets,
// Content-ID and $n references, continue-on-error, one result per inner request with its status and
// error.

#include "leadsync/core/random.hpp"
#include "leadsync/core/result.hpp"
#include "leadsync/http/message.hpp"

#include <optional>
#include <string>
#include <vector>

namespace leadsync::odata {

struct BatchOperation {
  std::string method;            // GET, POST, PATCH, PUT, DELETE
  std::string url;               // relative to the service root ("leads(...)") or "$1"-based
  http::Headers headers;         // e.g. If-Match, Prefer, MSCRM.SuppressDuplicateDetection
  std::string body;              // JSON; empty for GET/DELETE
  std::optional<int> content_id; // set for changeset members that others refer to as $n
};

struct BatchPart {
  std::vector<BatchOperation> operations; // one operation, or several forming a changeset
  bool changeset = false;                 // atomic; GET is not allowed inside
};

struct BatchRequest {
  std::vector<BatchPart> parts;
  bool continue_on_error = false; // Prefer: odata.continue-on-error
};

struct EncodedBatch {
  std::string content_type; // multipart/mixed; boundary=batch_<uuid>
  std::string body;
  std::string prefer; // "odata.continue-on-error" when the request asks for it, else empty
};

// Encodes with CRLF line ends; inner request lines use the service-root-relative path
// ("/api/data/v9.2/leads"). Fails when more than 1,000 operations or a GET is inside a changeset.
Result<EncodedBatch> encode_batch(const BatchRequest& request, const std::string& service_path,
                                  Random& random);

struct OperationResult {
  int status = 0;
  http::Headers headers;
  std::string body;
  std::optional<int> content_id;
  // Set when status is not 2xx (parsed from the inner body); its service_request_id is the part's
  // x-ms-service-request-id, else the whole $batch response's.
  std::optional<Error> error;
};

// Decodes a $batch response (200 multipart, or a non-2xx whose body is a multipart holding the
// failing part) into one result per operation that ran, in order; changeset responses are
// flattened.
Result<std::vector<OperationResult>> decode_batch_response(const http::Response& response);

} // namespace leadsync::odata
