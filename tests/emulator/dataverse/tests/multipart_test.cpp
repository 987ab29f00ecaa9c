// multipart/mixed as $batch uses it (dataverse-notes section 5): boundaries, parts, change sets
// nested in a batch, requests embedded in parts, and the response side, checked against the
// examples of
// https://learn.microsoft.com/en-us/power-apps/developer/data-platform/webapi/execute-batch-operations-using-web-api

#include "dvemu/multipart.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace dvemu {
namespace {

using ::testing::HasSubstr;

// Replaces every "\n" by "\r\n": the examples below are written with LF for readability.
std::string crlf(const std::string& text) {
  std::string out;
  for (const char c : text) {
    if (c == '\n') {
      out += '\r';
    }
    out += c;
  }
  return out;
}

// The change-set example of the batch page: a change set of three creates, then a GET outside it.
const std::string docs_batch = R"docs(--batch_22975cad-7f57-410d-be15-6363209367ea
Content-Type: multipart/mixed; boundary="changeset_246e6bfe-89a4-4c77-b293-7a433f082e8a"

--changeset_246e6bfe-89a4-4c77-b293-7a433f082e8a
Content-Type: application/http
Content-Transfer-Encoding: binary
Content-ID: 1

POST /api/data/v9.2/tasks HTTP/1.1
Content-Type: application/json; type=entry

{
  "subject": "Task 1 in batch",
  "regardingobjectid_account_task@odata.bind": "accounts(00000000-0000-0000-0000-000000000001)"
}
--changeset_246e6bfe-89a4-4c77-b293-7a433f082e8a
Content-Type: application/http
Content-Transfer-Encoding: binary
Content-ID: 2

POST /api/data/v9.2/tasks HTTP/1.1
Content-Type: application/json; type=entry

{
  "subject": "Task 2 in batch"
}
--changeset_246e6bfe-89a4-4c77-b293-7a433f082e8a
Content-Type:application/http
Content-Transfer-Encoding:binary
Content-ID:3

PUT $1/lastname HTTP/1.1
Content-Type: application/json

{"value":"BBBBB"}
--changeset_246e6bfe-89a4-4c77-b293-7a433f082e8a--

--batch_22975cad-7f57-410d-be15-6363209367ea
Content-Type: application/http
Content-Transfer-Encoding: binary

GET /api/data/v9.2/accounts(00000000-0000-0000-0000-000000000001)/Account_Tasks?$select=subject HTTP/1.1


--batch_22975cad-7f57-410d-be15-6363209367ea--
)docs";

constexpr const char* batch_boundary = "batch_22975cad-7f57-410d-be15-6363209367ea";

std::vector<MimePart> parts_of(const std::string& body, const std::string& boundary) {
  auto parsed = parse_multipart(body, boundary);
  if (auto* error = std::get_if<ServiceError>(&parsed)) {
    ADD_FAILURE() << "refused: " << error->message;
    return {};
  }
  return std::get<std::vector<MimePart>>(std::move(parsed));
}

ServiceError refusal(const std::string& body, const std::string& boundary) {
  auto parsed = parse_multipart(body, boundary);
  if (auto* error = std::get_if<ServiceError>(&parsed)) {
    return *error;
  }
  ADD_FAILURE() << "accepted but should have been refused";
  return {};
}

EmbeddedRequest request_of(const std::string& text) {
  auto parsed = parse_embedded_request(text);
  if (auto* error = std::get_if<ServiceError>(&parsed)) {
    ADD_FAILURE() << "refused: " << error->message;
    return {};
  }
  return std::get<EmbeddedRequest>(std::move(parsed));
}

TEST(MultipartBoundaryTest, ReadsQuotedAndUnquotedBoundaries) {
  EXPECT_EQ(multipart_boundary("multipart/mixed; boundary=\"batch_1\""), "batch_1");
  EXPECT_EQ(multipart_boundary("multipart/mixed;boundary=batch_AAA123"), "batch_AAA123");
  EXPECT_EQ(multipart_boundary("multipart/mixed; charset=utf-8; BOUNDARY=b2 ; x=y"), "b2");
  EXPECT_EQ(multipart_boundary("multipart/mixed; boundary=\"a;b=c\""), "a;b=c");
  EXPECT_EQ(multipart_boundary("multipart/mixed"), "");
  EXPECT_EQ(multipart_boundary("multipart/mixed; boundary="), "");
}

// The docs example, whether its lines end in CRLF (as Dataverse requires) or a bare LF.
class DocsExampleTest : public ::testing::TestWithParam<bool> {
protected:
  std::string body() const { return GetParam() ? crlf(docs_batch) : docs_batch; }
};

TEST_P(DocsExampleTest, SplitsTheBatchIntoAChangeSetAndARequest) {
  const std::vector<MimePart> parts = parts_of(body(), batch_boundary);
  ASSERT_EQ(parts.size(), 2u);
  const std::string changeset_type = parts[0].headers.get("Content-Type").value_or("");
  EXPECT_EQ(changeset_type,
            "multipart/mixed; boundary=\"changeset_246e6bfe-89a4-4c77-b293-7a433f082e8a\"");
  EXPECT_EQ(parts[1].headers.get("Content-Type"), "application/http");
  EXPECT_EQ(parts[1].headers.get("Content-Transfer-Encoding"), "binary");

  const EmbeddedRequest get = request_of(parts[1].body);
  EXPECT_EQ(get.method, "GET");
  EXPECT_EQ(get.target, "/api/data/v9.2/accounts(00000000-0000-0000-0000-000000000001)/"
                        "Account_Tasks?$select=subject");
  EXPECT_TRUE(get.headers.empty());
  EXPECT_EQ(get.body.find_first_not_of("\r\n"), std::string::npos);
}

TEST_P(DocsExampleTest, SplitsTheNestedChangeSetIntoItsRequests) {
  const std::vector<MimePart> parts = parts_of(body(), batch_boundary);
  ASSERT_EQ(parts.size(), 2u);
  const std::vector<MimePart> members =
      parts_of(parts[0].body, multipart_boundary(*parts[0].headers.get("Content-Type")));
  ASSERT_EQ(members.size(), 3u);
  EXPECT_EQ(members[0].headers.get("Content-ID"), "1");
  EXPECT_EQ(members[2].headers.get("Content-ID"), "3"); // written "Content-ID:3"

  const EmbeddedRequest first = request_of(members[0].body);
  EXPECT_EQ(first.method, "POST");
  EXPECT_EQ(first.target, "/api/data/v9.2/tasks");
  EXPECT_EQ(first.headers.get("Content-Type"), "application/json; type=entry");
  const auto json = nlohmann::json::parse(first.body);
  EXPECT_EQ(json["subject"], "Task 1 in batch");

  const EmbeddedRequest third = request_of(members[2].body);
  EXPECT_EQ(third.method, "PUT");
  EXPECT_EQ(third.target, "$1/lastname");
  EXPECT_EQ(third.body, "{\"value\":\"BBBBB\"}");
}

INSTANTIATE_TEST_SUITE_P(LineEnds, DocsExampleTest, ::testing::Values(true, false),
                         [](const auto& info) { return info.param ? "Crlf" : "BareLf"; });

TEST(MultipartTest, IgnoresPreambleEpilogueAndTransportPadding) {
  const std::string body =
      "This is a preamble.\r\n--b1  \t\r\nContent-Type: text/plain\r\n\r\nhello"
      "\r\n--b1--   \r\nepilogue --b1\r\n";
  const std::vector<MimePart> parts = parts_of(body, "b1");
  ASSERT_EQ(parts.size(), 1u);
  EXPECT_EQ(parts[0].body, "hello");
}

TEST(MultipartTest, KeepsBodiesByteExactExceptTheLineBreakBeforeTheDelimiter) {
  const std::string payload = "line one\r\n\r\n  --b1x is not a delimiter\r\n--b1x\ttab\r\n\r\n";
  const std::string body = "--b1\r\nContent-Type: text/plain\r\n\r\n" + payload + "\r\n--b1--";
  const std::vector<MimePart> parts = parts_of(body, "b1");
  ASSERT_EQ(parts.size(), 1u);
  EXPECT_EQ(parts[0].body, payload);
}

TEST(MultipartTest, ReadsFoldedHeaderLines) {
  const std::vector<MimePart> parts =
      parts_of("--b\r\nX-Long: first\r\n  second\r\n\r\nbody\r\n--b--", "b");
  ASSERT_EQ(parts.size(), 1u);
  EXPECT_EQ(parts[0].headers.get("X-Long"), "first second");
}

TEST(MultipartTest, RefusesABodyWithoutTheClosingDelimiter) {
  const ServiceError error = refusal("--b\r\nContent-Type: text/plain\r\n\r\nbody\r\n", "b");
  EXPECT_EQ(error.status, 400);
  EXPECT_THAT(error.message, HasSubstr("not complete"));
  EXPECT_THAT(error.message, HasSubstr("'--b--'"));
}

TEST(MultipartTest, RefusesABodyWithoutParts) {
  EXPECT_THAT(refusal("no delimiter here", "b").message, HasSubstr("no part"));
  EXPECT_THAT(refusal("--b--\r\n", "b").message, HasSubstr("no part"));
  EXPECT_EQ(refusal("--b\r\n\r\nx\r\n--b--", "").status, 400);
}

TEST(MultipartTest, RefusesAPartWithoutABlankLineAfterItsHeaders) {
  const ServiceError error = refusal("--b\r\nContent-Type: application/http\r\n--b--", "b");
  EXPECT_EQ(error.status, 400);
  EXPECT_THAT(error.message, HasSubstr("Part 1"));
  EXPECT_THAT(error.message, HasSubstr("blank line"));
}

TEST(MultipartTest, RefusesAMalformedHeaderLine) {
  const ServiceError error = refusal(
      "--b\r\nContent-Type: application/http\r\nPOST http://x/leads HTTP/1.1\r\n\r\n{}\r\n--b--",
      "b");
  EXPECT_THAT(error.message, HasSubstr("malformed header line 'POST http://x/leads HTTP/1.1'"));
}

TEST(EmbeddedRequestTest, KeepsAnAbsoluteUrlAsWritten) {
  // dynamics-web-api writes absolute URLs inside $batch parts.
  const EmbeddedRequest request =
      request_of("POST http://127.0.0.1:5555/api/data/v9.2/leads HTTP/1.1\r\n"
                 "Content-Type: application/json\r\nMSCRM.SuppressDuplicateDetection: false\r\n\r\n"
                 "{\"lastname\":\"x\"}\r\n");
  EXPECT_EQ(request.method, "POST");
  EXPECT_EQ(request.target, "http://127.0.0.1:5555/api/data/v9.2/leads");
  EXPECT_EQ(request.headers.get("MSCRM.SuppressDuplicateDetection"), "false");
  EXPECT_EQ(request.body, "{\"lastname\":\"x\"}\r\n");
}

TEST(EmbeddedRequestTest, AcceptsARequestWithoutHeadersOrBody) {
  const EmbeddedRequest request = request_of("DELETE leads(1) HTTP/1.1");
  EXPECT_EQ(request.method, "DELETE");
  EXPECT_EQ(request.target, "leads(1)");
  EXPECT_TRUE(request.body.empty());
}

TEST(EmbeddedRequestTest, RefusesAMalformedRequestLine) {
  for (const char* text : {"", "POST\r\n\r\n", "POST /leads\r\n\r\n", "POST /a b HTTP/1.1\r\n\r\n",
                           "POST /leads SPDY/3\r\n\r\n", "P0ST /leads HTTP/1.1\r\n\r\n"}) {
    SCOPED_TRACE(text);
    auto parsed = parse_embedded_request(text);
    ASSERT_TRUE(std::holds_alternative<ServiceError>(parsed));
    EXPECT_THAT(std::get<ServiceError>(parsed).message, HasSubstr("'METHOD url HTTP/1.1'"));
  }
}

TEST(FormatTest, WritesAnEmbeddedResponseAsTheDocsShowIt) {
  leadsync::http::Response response;
  response.status = 204;
  response.headers.add("OData-Version", "4.0");
  response.headers.add("OData-EntityId", "http://h/api/data/v9.2/tasks(1)");
  EXPECT_EQ(format_embedded_response(response),
            "HTTP/1.1 204 No Content\r\nOData-Version: 4.0\r\nOData-EntityId: "
            "http://h/api/data/v9.2/tasks(1)\r\n\r\n");

  response.status = 400;
  response.headers = leadsync::http::Headers{{"Content-Type", "application/json"}};
  response.body = "{\"error\":{}}";
  EXPECT_EQ(format_embedded_response(response),
            "HTTP/1.1 400 Bad Request\r\nContent-Type: application/json\r\n\r\n{\"error\":{}}");
}

TEST(FormatTest, NestsAChangeSetResponseInABatchResponseLikeTheDocs) {
  MimePart created;
  created.headers.add("Content-Type", "application/http");
  created.headers.add("Content-Transfer-Encoding", "binary");
  created.headers.add("Content-ID", "1");
  created.body = "HTTP/1.1 204 No Content\r\nOData-Version: 4.0\r\n\r\n";
  MimePart changeset;
  changeset.headers.add("Content-Type", "multipart/mixed; boundary=changesetresponse_c");
  changeset.body = format_multipart({created}, "changesetresponse_c");
  const std::string batch = format_multipart({changeset}, "batchresponse_b");
  EXPECT_EQ(batch, "--batchresponse_b\r\n"
                   "Content-Type: multipart/mixed; boundary=changesetresponse_c\r\n"
                   "\r\n"
                   "--changesetresponse_c\r\n"
                   "Content-Type: application/http\r\n"
                   "Content-Transfer-Encoding: binary\r\n"
                   "Content-ID: 1\r\n"
                   "\r\n"
                   "HTTP/1.1 204 No Content\r\nOData-Version: 4.0\r\n\r\n"
                   "\r\n"
                   "--changesetresponse_c--\r\n"
                   "--batchresponse_b--");
}

TEST(FormatTest, FormattedPartsParseBackUnchanged) {
  std::vector<MimePart> parts(3);
  parts[0].headers.add("Content-Type", "application/http");
  parts[0].body = "HTTP/1.1 200 OK\r\n\r\n{\"a\":\"--b\"}";
  parts[1].headers.add("Content-ID", "7");
  parts[1].body = "";
  parts[2].headers.add("X", "y");
  parts[2].body = "\r\ntrailing blank lines\r\n\r\n";
  const std::vector<MimePart> parsed = parts_of(format_multipart(parts, "b"), "b");
  ASSERT_EQ(parsed.size(), parts.size());
  for (std::size_t i = 0; i < parts.size(); ++i) {
    SCOPED_TRACE(i);
    EXPECT_EQ(parsed[i].headers, parts[i].headers);
    EXPECT_EQ(parsed[i].body, parts[i].body);
  }
}

} // namespace
} // namespace dvemu
