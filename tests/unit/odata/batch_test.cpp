#include "leadsync/core/uuid.hpp"
#include "leadsync/odata/batch.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace leadsync::odata {
namespace {

constexpr const char* service_path = "/api/data/v9.2/";

// Fixtures are written with plain line breaks for readability; the wire uses CRLF.
std::string crlf(std::string_view text) {
  std::string converted;
  for (const char c : text) {
    if (c == '\n') {
      converted += '\r';
    }
    converted += c;
  }
  return converted;
}

BatchOperation operation(std::string method, std::string url, std::string body = {},
                         std::optional<int> content_id = std::nullopt) {
  BatchOperation op;
  op.method = std::move(method);
  op.url = std::move(url);
  op.body = std::move(body);
  op.content_id = content_id;
  return op;
}

BatchRequest single(BatchOperation op) {
  return BatchRequest{{BatchPart{{std::move(op)}, false}}};
}

void expect_refused(const BatchRequest& request, const std::string& mentioned) {
  SeededRandom random(1);
  const auto encoded = encode_batch(request, service_path, random);
  ASSERT_FALSE(encoded.ok());
  EXPECT_EQ(encoded.error().category, ErrorCategory::invalid_argument);
  EXPECT_NE(encoded.error().message.find(mentioned), std::string::npos) << encoded.error().message;
}

// ---- encoding ----

TEST(EncodeBatch, WritesAChangesetWithReferencesAndAGetOutsideIt) {
  BatchOperation create = operation("POST", "leads", R"({"lastname":"O'Bryan"})", 1);
  BatchOperation update = operation("PATCH", "$1", R"({"subject":"follow up"})", 2);
  update.headers.add("If-Match", "*");
  BatchOperation read = operation("GET", "leads?$select=fullname");
  read.headers.add("Accept", "application/json");
  BatchRequest request;
  request.parts = {BatchPart{{create, update}, true}, BatchPart{{read}, false}};

  SeededRandom random(7);
  const auto encoded = encode_batch(request, service_path, random);
  ASSERT_TRUE(encoded.ok()) << encoded.error().describe();

  SeededRandom same_seed(7);
  const std::string batch = "batch_" + Uuid::generate_v4(same_seed).to_string();
  const std::string changeset = "changeset_" + Uuid::generate_v4(same_seed).to_string();
  EXPECT_EQ(encoded->content_type, "multipart/mixed; boundary=" + batch);
  EXPECT_EQ(encoded->prefer, "");
  EXPECT_EQ(encoded->body, crlf("--" + batch + R"(
Content-Type: multipart/mixed; boundary=)" +
                                changeset + R"(

--)" + changeset + R"(
Content-Type: application/http
Content-Transfer-Encoding: binary
Content-ID: 1

POST /api/data/v9.2/leads HTTP/1.1
Content-Type: application/json; type=entry

{"lastname":"O'Bryan"}
--)" + changeset + R"(
Content-Type: application/http
Content-Transfer-Encoding: binary
Content-ID: 2

PATCH $1 HTTP/1.1
Content-Type: application/json; type=entry
If-Match: *

{"subject":"follow up"}
--)" + changeset + R"(--
--)" + batch + R"(
Content-Type: application/http
Content-Transfer-Encoding: binary

GET /api/data/v9.2/leads?$select=fullname HTTP/1.1
Accept: application/json


--)" + batch + R"(--
)"));
}

TEST(EncodeBatch, UsesCrlfLineEndsOnly) {
  BatchRequest request;
  request.parts = {BatchPart{{operation("POST", "leads", R"({"a":1})", 1),
                              operation("DELETE", "leads(1b4e28ba-2fa1-4d2b-883f-0016d3cca427)")},
                             true},
                   BatchPart{{operation("GET", "leads")}, false}};
  SeededRandom random(3);
  const std::string body = encode_batch(request, service_path, random).value().body;
  for (std::size_t i = 0; i < body.size(); ++i) {
    if (body[i] == '\n') {
      ASSERT_GT(i, 0U);
      EXPECT_EQ(body[i - 1], '\r') << "bare LF at " << i;
    }
  }
  EXPECT_TRUE(body.ends_with("--\r\n"));
}

TEST(EncodeBatch, DrawsNewBoundariesFromTheRandomSource) {
  SeededRandom first(1);
  SeededRandom second(2);
  const BatchRequest request = single(operation("GET", "leads"));
  EXPECT_NE(encode_batch(request, service_path, first).value().content_type,
            encode_batch(request, service_path, second).value().content_type);
}

TEST(EncodeBatch, AsksForContinueOnErrorWhenRequested) {
  BatchRequest request = single(operation("GET", "leads"));
  request.continue_on_error = true;
  SeededRandom random(1);
  EXPECT_EQ(encode_batch(request, service_path, random).value().prefer, "odata.continue-on-error");
}

TEST(EncodeBatch, KeepsACallerContentTypeAndJoinsPathsWithOneSlash) {
  BatchOperation op = operation("POST", "/leads", "{}");
  op.headers.add("Content-Type", "application/json");
  SeededRandom random(1);
  const std::string body = encode_batch(single(op), "/api/data/v9.2", random).value().body;
  EXPECT_NE(body.find("POST /api/data/v9.2/leads HTTP/1.1\r\nContent-Type: application/json\r\n\r\n"
                      "{}\r\n"),
            std::string::npos)
      << body;
  EXPECT_EQ(body.find("type=entry"), std::string::npos);
}

TEST(EncodeBatch, AcceptsExactlyAThousandOperations) {
  BatchRequest request;
  for (int i = 0; i < 1000; ++i) {
    request.parts.push_back(BatchPart{{operation("GET", "leads")}, false});
  }
  SeededRandom random(1);
  EXPECT_TRUE(encode_batch(request, service_path, random).ok());
}

TEST(EncodeBatch, RefusesMoreThanAThousandOperationsCountingChangesetMembers) {
  BatchRequest request;
  for (int i = 0; i < 999; ++i) {
    request.parts.push_back(BatchPart{{operation("GET", "leads")}, false});
  }
  request.parts.push_back(
      BatchPart{{operation("POST", "leads", "{}"), operation("POST", "leads", "{}")}, true});
  expect_refused(request, "holds 1001 operations, more than the 1000 Dataverse accepts");
}

TEST(EncodeBatch, RefusesAGetInsideAChangeset) {
  BatchRequest request;
  request.parts = {BatchPart{{operation("POST", "leads", "{}"), operation("GET", "leads")}, true}};
  expect_refused(request, "operation 2 (GET leads) is a GET inside a changeset");
}

TEST(EncodeBatch, RefusesAnEmptyBatchAndEmptyOrOverfullParts) {
  expect_refused(BatchRequest{}, "has no operations");
  expect_refused(BatchRequest{{BatchPart{{}, true}}}, "part 1 of the $batch holds 0 operations");
  expect_refused(BatchRequest{{BatchPart{{operation("GET", "a"), operation("GET", "b")}, false}}},
                 "part 1 of the $batch holds 2 operations");
}

TEST(EncodeBatch, RefusesAnUnknownMethod) {
  expect_refused(single(operation("post", "leads", "{}")), "unsupported method");
  expect_refused(single(operation("MERGE", "leads", "{}")), "unsupported method");
}

TEST(EncodeBatch, RefusesAUrlThatWouldBreakTheRequestLine) {
  expect_refused(single(operation("GET", "leads?$filter=a eq 1")), "spaces or control characters");
  expect_refused(single(operation("GET", "leads\r\nX-Injected: 1")),
                 "spaces or control characters");
  expect_refused(single(operation("GET", "")), "empty URL");
}

TEST(EncodeBatch, RefusesAHeaderWithALineBreak) {
  BatchOperation op = operation("PATCH", "leads(1)", "{}");
  op.headers.add("If-Match", "*\r\nX-Injected: 1");
  expect_refused(single(op), "line break");
}

TEST(EncodeBatch, RefusesBadContentIds) {
  expect_refused(BatchRequest{{BatchPart{{operation("POST", "leads", "{}", 0)}, true}}},
                 "Content-ID 0: use a positive number");
  expect_refused(
      BatchRequest{{BatchPart{
          {operation("POST", "leads", "{}", 1), operation("POST", "leads", "{}", 1)}, true}}},
      "repeats Content-ID 1");
}

TEST(EncodeBatch, RefusesAReferenceToAContentIdNotDeclaredEarlierInItsChangeset) {
  expect_refused(
      BatchRequest{{BatchPart{
          {operation("PATCH", "$1", "{}", 2), operation("POST", "leads", "{}", 1)}, true}}},
      "refers to $1, but no earlier operation in its changeset has Content-ID 1");
  expect_refused(BatchRequest{{BatchPart{{operation("POST", "leads", "{}", 1)}, true},
                               BatchPart{{operation("PUT", "$1/lastname", "{}")}, true}}},
                 "refers to $1");
  expect_refused(
      BatchRequest{{BatchPart{
          {operation("POST", "leads", "{}", 1), operation("PATCH", "$1x", "{}")}, true}}},
      "'$1x' is not a Content-ID reference");
}

TEST(EncodeBatch, TreatsOtherDollarUrlsAsServiceRootRelative) {
  SeededRandom random(1);
  const std::string body =
      encode_batch(single(operation("GET", "$metadata")), service_path, random).value().body;
  EXPECT_NE(body.find("\r\nGET /api/data/v9.2/$metadata HTTP/1.1\r\n"), std::string::npos);
}

TEST(EncodeBatch, AcceptsAReferenceWithAPropertyPath) {
  BatchRequest request{{BatchPart{{operation("POST", "contacts", "{}", 1),
                                   operation("PUT", "$1/lastname", R"({"value":"B"})", 2)},
                                  true}}};
  SeededRandom random(1);
  const auto encoded = encode_batch(request, service_path, random);
  ASSERT_TRUE(encoded.ok()) << encoded.error().describe();
  EXPECT_NE(encoded->body.find("\r\nPUT $1/lastname HTTP/1.1\r\n"), std::string::npos);
}

// ---- decoding ----

http::Response batch_response(int status, std::string_view boundary, std::string body) {
  http::Response response;
  response.status = status;
  response.headers.add("OData-Version", "4.0");
  response.headers.add("Content-Type", "multipart/mixed; boundary=" + std::string(boundary));
  response.body = std::move(body);
  return response;
}

constexpr std::string_view successful_changeset =
    R"multipart(--batchresponse_f27ef42d-51b0-4685-bac9-f468f844de2f
Content-Type: multipart/mixed; boundary=changesetresponse_64cc3fff-023a-45b0-b29d-df21583ffa15

--changesetresponse_64cc3fff-023a-45b0-b29d-df21583ffa15
Content-Type: application/http
Content-Transfer-Encoding: binary
Content-ID: 1

HTTP/1.1 204 No Content
OData-Version: 4.0
Location: https://org/api/data/v9.2/tasks(e73ffc82-e292-ed11-aad1-000d3a9933c9)
OData-EntityId: https://org/api/data/v9.2/tasks(e73ffc82-e292-ed11-aad1-000d3a9933c9)


--changesetresponse_64cc3fff-023a-45b0-b29d-df21583ffa15
Content-Type: application/http
Content-Transfer-Encoding: binary
Content-ID: 2

HTTP/1.1 204 No Content
OData-Version: 4.0
Location: https://org/api/data/v9.2/tasks(e83ffc82-e292-ed11-aad1-000d3a9933c9)
OData-EntityId: https://org/api/data/v9.2/tasks(e83ffc82-e292-ed11-aad1-000d3a9933c9)


--changesetresponse_64cc3fff-023a-45b0-b29d-df21583ffa15--
--batchresponse_f27ef42d-51b0-4685-bac9-f468f844de2f
Content-Type: application/http
Content-Transfer-Encoding: binary

HTTP/1.1 200 OK
Content-Type: application/json; odata.metadata=minimal; odata.streaming=true
OData-Version: 4.0

{
  "@odata.context": "https://org/api/data/v9.2/$metadata#tasks(subject)",
  "value": [{"@odata.etag": "W/\"77181173\"", "subject": "Task 1 in batch"}]
}
--batchresponse_f27ef42d-51b0-4685-bac9-f468f844de2f--
)multipart";

void expect_successful_changeset(const Result<std::vector<OperationResult>>& results) {
  ASSERT_TRUE(results.ok()) << results.error().describe();
  ASSERT_EQ(results->size(), 3U);
  const OperationResult& first = (*results)[0];
  EXPECT_EQ(first.status, 204);
  EXPECT_EQ(first.content_id, 1);
  EXPECT_EQ(first.headers.get("OData-EntityId"),
            "https://org/api/data/v9.2/tasks(e73ffc82-e292-ed11-aad1-000d3a9933c9)");
  EXPECT_EQ(first.body, "");
  EXPECT_FALSE(first.error.has_value());
  EXPECT_EQ((*results)[1].content_id, 2);
  EXPECT_EQ((*results)[1].headers.get("Location"),
            "https://org/api/data/v9.2/tasks(e83ffc82-e292-ed11-aad1-000d3a9933c9)");
  const OperationResult& read = (*results)[2];
  EXPECT_EQ(read.status, 200);
  EXPECT_FALSE(read.content_id.has_value());
  EXPECT_EQ(read.headers.get("Content-Type"),
            "application/json; odata.metadata=minimal; odata.streaming=true");
  const auto rows = nlohmann::json::parse(read.body, nullptr, false);
  ASSERT_FALSE(rows.is_discarded()) << read.body;
  EXPECT_EQ(rows["value"][0]["subject"], "Task 1 in batch");
  EXPECT_FALSE(read.error.has_value());
}

TEST(DecodeBatchResponse, FlattensASuccessfulChangesetAndKeepsContentIds) {
  expect_successful_changeset(decode_batch_response(batch_response(
      200, "batchresponse_f27ef42d-51b0-4685-bac9-f468f844de2f", crlf(successful_changeset))));
}

TEST(DecodeBatchResponse, ToleratesBareLineFeeds) {
  expect_successful_changeset(decode_batch_response(
      batch_response(200, "batchresponse_f27ef42d-51b0-4685-bac9-f468f844de2f",
                     std::string(successful_changeset))));
}

TEST(DecodeBatchResponse, AcceptsAQuotedBoundaryParameter) {
  http::Response response = batch_response(200, "x", crlf(successful_changeset));
  response.headers.set(
      "Content-Type",
      R"(Multipart/Mixed;charset=utf-8; BOUNDARY="batchresponse_f27ef42d-51b0-4685-bac9-f468f844de2f")");
  expect_successful_changeset(decode_batch_response(response));
}

constexpr std::string_view validation_error =
    R"({"error":{"code":"0x80044331","message":"A validation error occurred.  The length of the 'subject' attribute of the 'task' entity exceeded the maximum allowed length of '200'."}})";

TEST(DecodeBatchResponse, ReturnsOnlyTheFailingPartOfAFailedChangeset) {
  const std::string body = crlf(R"(--batchresponse_1
Content-Type: multipart/mixed; boundary=changesetresponse_2

--changesetresponse_2
Content-Type: application/http
Content-Transfer-Encoding: binary
Content-ID: 2

HTTP/1.1 400 Bad Request
REQ_ID: 5ecd1cb3-1730-4ffc-909c-d44c22270026
Content-Type: application/json; odata.metadata=minimal
OData-Version: 4.0

)" + std::string(validation_error) +
                                R"(
--changesetresponse_2--
--batchresponse_1--
)");
  const auto results = decode_batch_response(batch_response(200, "batchresponse_1", body));
  ASSERT_TRUE(results.ok()) << results.error().describe();
  ASSERT_EQ(results->size(), 1U);
  const OperationResult& failed = (*results)[0];
  EXPECT_EQ(failed.status, 400);
  EXPECT_EQ(failed.content_id, 2);
  EXPECT_EQ(failed.body, validation_error);
  ASSERT_TRUE(failed.error.has_value());
  EXPECT_EQ(failed.error->category, ErrorCategory::validation);
  EXPECT_EQ(failed.error->http_status, 400);
  EXPECT_EQ(failed.error->service_code, "0x80044331");
  EXPECT_EQ(failed.error->message, "A validation error occurred.  The length of the 'subject' "
                                   "attribute of the 'task' entity exceeded the maximum allowed "
                                   "length of '200'.");
}

TEST(DecodeBatchResponse, ReportsEachStatusWithContinueOnError) {
  const std::string body = crlf(R"(--batchresponse_f44bd09d
Content-Type: application/http
Content-Transfer-Encoding: binary

HTTP/1.1 400 Bad Request
REQ_ID: de4c5227-4a28-4ebd-8ced-3392ece1697b
Content-Type: application/json; odata.metadata=minimal
OData-Version: 4.0

)" + std::string(validation_error) +
                                R"(
--batchresponse_f44bd09d
Content-Type: application/http
Content-Transfer-Encoding: binary

HTTP/1.1 204 No Content
OData-Version: 4.0
OData-EntityId: https://org/api/data/v9.2/tasks(aed2ae8b-3c94-ed11-aad1-000d3a9933c9)


--batchresponse_f44bd09d
Content-Type: application/http
Content-Transfer-Encoding: binary

HTTP/1.1 429 Too Many Requests
Retry-After: 7
Content-Type: application/json; odata.metadata=minimal

{"error":{"code":"0x80072322","message":"Number of requests exceeded the limit of 6000 over time window of 300 seconds."}}
--batchresponse_f44bd09d--
)");
  const auto results = decode_batch_response(batch_response(200, "batchresponse_f44bd09d", body));
  ASSERT_TRUE(results.ok()) << results.error().describe();
  ASSERT_EQ(results->size(), 3U);
  EXPECT_EQ((*results)[0].status, 400);
  ASSERT_TRUE((*results)[0].error.has_value());
  EXPECT_EQ((*results)[0].error->service_code, "0x80044331");
  EXPECT_EQ((*results)[1].status, 204);
  EXPECT_FALSE((*results)[1].error.has_value());
  EXPECT_EQ((*results)[2].status, 429);
  EXPECT_EQ((*results)[2].headers.get("Retry-After"), "7");
  ASSERT_TRUE((*results)[2].error.has_value());
  EXPECT_EQ((*results)[2].error->category, ErrorCategory::throttled);
  EXPECT_TRUE((*results)[2].error->retryable);
}

TEST(DecodeBatchResponse, DecodesTheFailingPartOfAStopOnErrorResponse) {
  const std::string body = crlf(R"(--batchresponse_156da4b8-cd2c-4862-a911-4aaab97c001a
Content-Type: application/http
Content-Transfer-Encoding: binary

HTTP/1.1 400 Bad Request
REQ_ID: 5ecd1cb3-1730-4ffc-909c-d44c22270026
Content-Type: application/json; odata.metadata=minimal
OData-Version: 4.0

)" + std::string(validation_error) +
                                R"(
--batchresponse_156da4b8-cd2c-4862-a911-4aaab97c001a--
)");
  const auto results = decode_batch_response(
      batch_response(400, "batchresponse_156da4b8-cd2c-4862-a911-4aaab97c001a", body));
  ASSERT_TRUE(results.ok()) << results.error().describe();
  ASSERT_EQ(results->size(), 1U);
  EXPECT_EQ((*results)[0].status, 400);
  EXPECT_EQ((*results)[0].headers.get("REQ_ID"), "5ecd1cb3-1730-4ffc-909c-d44c22270026");
  ASSERT_TRUE((*results)[0].error.has_value());
  EXPECT_EQ((*results)[0].error->category, ErrorCategory::validation);
}

// A part's own x-ms-service-request-id wins; a part without one gets the $batch response's.
TEST(DecodeBatchResponse, AFailedPartCarriesTheServiceRequestId) {
  const std::string boundary = "batchresponse_7a1c";
  const std::string body = crlf(R"(--batchresponse_7a1c
Content-Type: application/http
Content-Transfer-Encoding: binary

HTTP/1.1 400 Bad Request
x-ms-service-request-id: part-id-1
Content-Type: application/json; odata.metadata=minimal

)" + std::string(validation_error) +
                                R"(
--batchresponse_7a1c
Content-Type: application/http
Content-Transfer-Encoding: binary

HTTP/1.1 400 Bad Request
Content-Type: application/json; odata.metadata=minimal

)" + std::string(validation_error) +
                                R"(
--batchresponse_7a1c--
)");
  auto response = batch_response(200, boundary, body);
  response.headers.add("x-ms-service-request-id", "batch-id");

  const auto results = decode_batch_response(response);

  ASSERT_TRUE(results.ok()) << results.error().describe();
  ASSERT_EQ(results->size(), 2U);
  ASSERT_TRUE((*results)[0].error.has_value());
  EXPECT_EQ((*results)[0].error->service_request_id, "part-id-1");
  ASSERT_TRUE((*results)[1].error.has_value());
  EXPECT_EQ((*results)[1].error->service_request_id, "batch-id");
}

TEST(DecodeBatchResponse, ReturnsTheErrorOfAnOuterJsonFailure) {
  const auto results = decode_batch_response(http::Response::json(
      401,
      R"({"error":{"code":"0x80072560","message":"The user is not a member of the organization."}})"));
  ASSERT_FALSE(results.ok());
  EXPECT_EQ(results.error().category, ErrorCategory::unauthorized);
  EXPECT_EQ(results.error().http_status, 401);
  EXPECT_EQ(results.error().message, "The user is not a member of the organization.");
}

TEST(DecodeBatchResponse, RefusesASuccessThatIsNotMultipart) {
  const auto results = decode_batch_response(http::Response::json(200, R"({"value":[]})"));
  ASSERT_FALSE(results.ok());
  EXPECT_EQ(results.error().category, ErrorCategory::protocol);
  EXPECT_NE(results.error().message.find("not multipart/mixed"), std::string::npos);
}

TEST(DecodeBatchResponse, RefusesATruncatedBody) {
  std::string body = crlf(successful_changeset);
  body.resize(body.size() / 2);
  const auto results = decode_batch_response(
      batch_response(200, "batchresponse_f27ef42d-51b0-4685-bac9-f468f844de2f", body));
  ASSERT_FALSE(results.ok());
  EXPECT_EQ(results.error().category, ErrorCategory::protocol);
  EXPECT_NE(results.error().message.find("without its closing"), std::string::npos)
      << results.error().message;
}

TEST(DecodeBatchResponse, RefusesAPartWithoutAStatusLine) {
  const std::string body = crlf(R"(--b
Content-Type: application/http

GET /api/data/v9.2/leads HTTP/1.1

--b--
)");
  const auto results = decode_batch_response(batch_response(200, "b", body));
  ASSERT_FALSE(results.ok());
  EXPECT_EQ(results.error().category, ErrorCategory::protocol);
  EXPECT_NE(results.error().message.find("'GET /api/data/v9.2/leads HTTP/1.1'"), std::string::npos)
      << results.error().message;
}

TEST(DecodeBatchResponse, RefusesMalformedPartHeadersAndContentIds) {
  const auto bad_header = decode_batch_response(batch_response(200, "b", crlf(R"(--b
Content-Type application/http

HTTP/1.1 204 No Content

--b--
)")));
  ASSERT_FALSE(bad_header.ok());
  EXPECT_NE(bad_header.error().message.find("malformed header line"), std::string::npos);

  const auto bad_id = decode_batch_response(batch_response(200, "b", crlf(R"(--b
Content-Type: application/http
Content-ID: one

HTTP/1.1 204 No Content

--b--
)")));
  ASSERT_FALSE(bad_id.ok());
  EXPECT_NE(bad_id.error().message.find("Content-ID 'one'"), std::string::npos);
}

TEST(DecodeBatchResponse, IgnoresLinesThatOnlyStartWithTheBoundary) {
  const std::string body = crlf(R"(preamble
--b
Content-Type: application/http

HTTP/1.1 200 OK

--bogus line
--b--
epilogue
)");
  const auto results = decode_batch_response(batch_response(200, "b", body));
  ASSERT_TRUE(results.ok()) << results.error().describe();
  ASSERT_EQ(results->size(), 1U);
  EXPECT_EQ((*results)[0].body, "--bogus line");
}

} // namespace
} // namespace leadsync::odata
