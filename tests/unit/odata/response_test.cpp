#include "leadsync/odata/response.hpp"

#include <gtest/gtest.h>

namespace leadsync::odata {
namespace {

http::Response json_response(int status, std::string body) {
  return http::Response::json(status, std::move(body));
}

void expect_protocol_error(const Error& error, const std::string& mentioned) {
  EXPECT_EQ(error.category, ErrorCategory::protocol) << error.describe();
  EXPECT_NE(error.message.find(mentioned), std::string::npos) << error.message;
}

// ---- entities ----

TEST(ParseEntity, ReturnsTheObjectWithItsAnnotations) {
  const auto entity = parse_entity(json_response(
      201, R"({"@odata.context":"https://org/api/data/v9.2/$metadata#leads/$entity",)"
           R"("@odata.etag":"W/\"536530\"","leadid":"1b4e28ba-2fa1-4d2b-883f-0016d3cca427",)"
           R"("lastname":"O'Bryan"})"));
  ASSERT_TRUE(entity.ok()) << entity.error().describe();
  EXPECT_EQ((*entity)["lastname"], "O'Bryan");
  EXPECT_EQ((*entity)["@odata.etag"], "W/\"536530\"");
}

TEST(ParseEntity, MapsAnErrorStatusToTheServiceError) {
  const auto entity = parse_entity(json_response(
      404,
      R"({"error":{"code":"0x80040217","message":"lead With Id = 1b4e28ba Does Not Exist"}})"));
  ASSERT_FALSE(entity.ok());
  EXPECT_EQ(entity.error().category, ErrorCategory::not_found);
  EXPECT_EQ(entity.error().message, "lead With Id = 1b4e28ba Does Not Exist");
}

TEST(ParseEntity, RefusesMalformedJson) {
  const auto entity = parse_entity(json_response(200, R"({"leadid": )"));
  ASSERT_FALSE(entity.ok());
  expect_protocol_error(entity.error(), "not valid JSON");
  EXPECT_EQ(entity.error().http_status, 200);
}

TEST(ParseEntity, RefusesAnEmptyBody) {
  const auto entity = parse_entity(json_response(200, ""));
  ASSERT_FALSE(entity.ok());
  expect_protocol_error(entity.error(), "not valid JSON");
}

TEST(ParseEntity, RefusesJsonThatIsNotAnObject) {
  const auto entity = parse_entity(json_response(200, R"([{"leadid":"x"}])"));
  ASSERT_FALSE(entity.ok());
  expect_protocol_error(entity.error(), "is a JSON array, not an object");
}

// ---- collections ----

TEST(ParseCollection, ReadsRowsNextLinkAndCount) {
  const auto page = parse_collection(json_response(
      200,
      R"j({"@odata.context":"https://org/api/data/v9.2/$metadata#leads(fullname)",)j"
      R"("@odata.count":7,"value":[{"@odata.etag":"W/\"1\"","fullname":"A"},)"
      R"({"@odata.etag":"W/\"2\"","fullname":"B"}],)"
      R"("@odata.nextLink":"https://org/api/data/v9.2/leads?$select=fullname&$skiptoken=%3Ccookie%20pagenumber=%222%22%20/%3E"})"));
  ASSERT_TRUE(page.ok()) << page.error().describe();
  ASSERT_EQ(page->rows.size(), 2U);
  EXPECT_EQ(page->rows[0]["fullname"], "A");
  EXPECT_EQ(page->rows[1]["@odata.etag"], "W/\"2\"");
  EXPECT_TRUE(page->deleted.empty());
  EXPECT_EQ(page->next_link, "https://org/api/data/v9.2/leads?$select=fullname&$skiptoken="
                             "%3Ccookie%20pagenumber=%222%22%20/%3E");
  EXPECT_EQ(page->delta_link, "");
  EXPECT_EQ(page->count, 7);
}

TEST(ParseCollection, LeavesNextLinkAndCountEmptyOnTheLastPage) {
  const auto page = parse_collection(json_response(200, R"({"value":[]})"));
  ASSERT_TRUE(page.ok()) << page.error().describe();
  EXPECT_TRUE(page->rows.empty());
  EXPECT_EQ(page->next_link, "");
  EXPECT_FALSE(page->count.has_value());
}

TEST(ParseCollection, SeparatesDeletedRowsOfADeltaResponse) {
  const auto page = parse_collection(json_response(
      200,
      R"({"@odata.context":"https://org/api/data/v9.2/$metadata#leads(fullname)/$delta",)"
      R"("@odata.deltaLink":"https://org/api/data/v9.2/leads?$select=fullname&$deltatoken=919042%2108%2f22%2f2017%2008%3a10%3a44",)"
      R"("value":[{"@odata.etag":"W/\"9\"","fullname":"Changed","leadid":"11111111-1111-1111-1111-111111111111"},)"
      R"({"@odata.context":"https://org/api/data/v9.2/$metadata#leads/$deletedEntity",)"
      R"("id":"22222222-2222-2222-2222-222222222222","reason":"deleted"},)"
      R"({"id":"33333333-3333-3333-3333-333333333333","reason":"deleted"}]})"));
  ASSERT_TRUE(page.ok()) << page.error().describe();
  ASSERT_EQ(page->rows.size(), 1U);
  EXPECT_EQ(page->rows[0]["fullname"], "Changed");
  ASSERT_EQ(page->deleted.size(), 2U);
  EXPECT_EQ(page->deleted[0].id, "22222222-2222-2222-2222-222222222222");
  EXPECT_EQ(page->deleted[0].reason, "deleted");
  EXPECT_EQ(page->deleted[1].id, "33333333-3333-3333-3333-333333333333");
  EXPECT_EQ(page->delta_link, "https://org/api/data/v9.2/leads?$select=fullname&$deltatoken="
                              "919042%2108%2f22%2f2017%2008%3a10%3a44");
  EXPECT_EQ(page->next_link, "");
}

TEST(ParseCollection, DefaultsTheReasonOfADeletedEntityWithoutOne) {
  const auto page = parse_collection(
      json_response(200, R"({"value":[{"@odata.context":"#leads/$deletedEntity","id":"4"}]})"));
  ASSERT_TRUE(page.ok()) << page.error().describe();
  ASSERT_EQ(page->deleted.size(), 1U);
  EXPECT_EQ(page->deleted[0].reason, "deleted");
}

TEST(ParseCollection, KeepsARowThatMerelyHasAReasonColumn) {
  const auto page =
      parse_collection(json_response(200, R"({"value":[{"reason":"deleted","subject":"x"}]})"));
  ASSERT_TRUE(page.ok()) << page.error().describe();
  EXPECT_EQ(page->rows.size(), 1U);
  EXPECT_TRUE(page->deleted.empty());
}

TEST(ParseCollection, RefusesWrongShapes) {
  struct Case {
    const char* body;
    const char* mentioned;
  };
  for (const Case& bad : {
           Case{R"({"value":)", "not valid JSON"},
           Case{R"("value")", "is a JSON string, not an object"},
           Case{R"({"rows":[]})", "no \"value\" array"},
           Case{R"({"value":{"a":1}})", "no \"value\" array"},
           Case{R"({"value":[1]})", "a row in the collection \"value\" is a JSON number"},
           Case{R"({"value":[],"@odata.nextLink":5})", "\"@odata.nextLink\" in the collection"},
           Case{R"({"value":[],"@odata.deltaLink":[]})", "\"@odata.deltaLink\" in the collection"},
           Case{R"({"value":[],"@odata.count":"7"})", "\"@odata.count\""},
           Case{R"({"value":[],"@odata.count":1.5})", "\"@odata.count\""},
           Case{R"({"value":[{"@odata.context":"#leads/$deletedEntity","id":5}]})",
                "$deletedEntity row"},
       }) {
    SCOPED_TRACE(bad.body);
    const auto page = parse_collection(json_response(200, bad.body));
    ASSERT_FALSE(page.ok());
    expect_protocol_error(page.error(), bad.mentioned);
  }
}

TEST(ParseCollection, MapsAnErrorStatusToTheServiceError) {
  const auto page = parse_collection(json_response(
      400,
      R"({"error":{"code":"0x80060888","message":"The \"$filter\" query parameter isn't supported when Change Tracking is enabled."}})"));
  ASSERT_FALSE(page.ok());
  EXPECT_EQ(page.error().category, ErrorCategory::validation);
  EXPECT_EQ(page.error().service_code, "0x80060888");
}

// ---- OData-EntityId and ETags ----

http::Response with_entity_id(std::string value) {
  http::Response response;
  response.status = 204;
  response.headers.add("OData-EntityId", std::move(value));
  return response;
}

TEST(EntityIdFromHeader, ReturnsTheGuidInTheLastParentheses) {
  EXPECT_EQ(
      entity_id_from_header(
          with_entity_id("https://org.crm.dynamics.com/api/data/v9.2/leads(1b4e28ba-2fa1-4d2b-"
                         "883f-0016d3cca427)"))
          .value(),
      "1b4e28ba-2fa1-4d2b-883f-0016d3cca427");
  EXPECT_EQ(entity_id_from_header(
                with_entity_id("https://org/api/data/v9.2/accounts(00000000-0000-0000-0000-"
                               "000000000001)/Account_Tasks(D31BA648-C592-ED11-AAD1-000D3A993550)"))
                .value(),
            "d31ba648-c592-ed11-aad1-000d3a993550");
}

TEST(EntityIdFromHeader, AcceptsTheNamedPrimaryKeyForm) {
  EXPECT_EQ(entity_id_from_header(with_entity_id("https://org/api/data/v9.2/leads(leadid=1b4e28ba-"
                                                 "2fa1-4d2b-883f-0016d3cca427)"))
                .value(),
            "1b4e28ba-2fa1-4d2b-883f-0016d3cca427");
}

TEST(EntityIdFromHeader, RefusesAnAlternateKeyForm) {
  const auto id = entity_id_from_header(
      with_entity_id("https://org/api/data/v9.2/leads(leadsync_externalid='abc')"));
  ASSERT_FALSE(id.ok());
  expect_protocol_error(id.error(), "does not end in a row id");
}

TEST(EntityIdFromHeader, RefusesAHeaderWithoutAKey) {
  for (const char* bad : {"https://org/api/data/v9.2/leads", "https://org/api/data/v9.2/leads()",
                          "https://org/api/data/v9.2/leads(1b4e28ba-2fa1-4d2b-883f-0016d3cca427",
                          "leads(1b4e28ba-2fa1-4d2b-883f-0016d3cca427)/x"}) {
    SCOPED_TRACE(bad);
    const auto id = entity_id_from_header(with_entity_id(bad));
    ASSERT_FALSE(id.ok());
    expect_protocol_error(id.error(), "does not end in a row id");
  }
}

TEST(EntityIdFromHeader, RefusesAMissingHeader) {
  http::Response response;
  response.status = 204;
  const auto id = entity_id_from_header(response);
  ASSERT_FALSE(id.ok());
  expect_protocol_error(id.error(), "no OData-EntityId header");
}

TEST(EtagVersion, StripsTheWeakPrefixAndQuotes) {
  EXPECT_EQ(etag_version(nlohmann::json{{"@odata.etag", "W/\"12345\""}}), "12345");
  EXPECT_EQ(etag_version(nlohmann::json{{"@odata.etag", "\"678\""}}), "678");
}

TEST(EtagVersion, IsEmptyWhenAbsentOrNotAString) {
  EXPECT_EQ(etag_version(nlohmann::json{{"leadid", "x"}}), "");
  EXPECT_EQ(etag_version(nlohmann::json{{"@odata.etag", 5}}), "");
  EXPECT_EQ(etag_version(nlohmann::json::array()), "");
}

// ---- errors ----

Error mapped(int status, std::string body) {
  return error_from_response(http::Response::json(status, std::move(body)));
}

std::string error_body(const std::string& code, const std::string& message) {
  return nlohmann::json{{"error", {{"code", code}, {"message", message}}}}.dump();
}

TEST(ErrorFromResponse, TakesCodeAndMessageFromTheErrorBody) {
  const Error error = mapped(400, error_body("0x80044331", "A validation error occurred."));
  EXPECT_EQ(error.category, ErrorCategory::validation);
  EXPECT_EQ(error.http_status, 400);
  EXPECT_EQ(error.service_code, "0x80044331");
  EXPECT_EQ(error.message, "A validation error occurred.");
  EXPECT_FALSE(error.retryable);
}

TEST(ErrorFromResponse, TakesTheServiceRequestIdFromItsHeader) {
  auto response = http::Response::json(500, error_body("0x80040216", "An unexpected error."));
  response.headers.add("x-ms-service-request-id", "c9af118d-b483-48c8-887a-baa4de679bf0");
  const Error error = error_from_response(response);
  EXPECT_EQ(error.service_request_id, "c9af118d-b483-48c8-887a-baa4de679bf0");
  EXPECT_EQ(error.transport_cause, TransportCause::none);
  EXPECT_TRUE(mapped(500, error_body("0x80040216", "x")).service_request_id.empty());
}

TEST(ErrorFromResponse, ADuplicatedHeaderOrSeveralIdsAreKeptAsSent) {
  auto response = http::Response::json(503, "");
  response.headers.add("X-MS-Service-Request-Id", "c9af118d,9b44cd2f");
  EXPECT_EQ(error_from_response(response).service_request_id, "c9af118d,9b44cd2f");
}

TEST(ParseEntity, AMalformedBodyKeepsTheServiceRequestId) {
  auto response = http::Response::json(200, "{not json");
  response.headers.add("x-ms-service-request-id", "5f1c2d3e");
  const auto parsed = parse_entity(response);
  ASSERT_FALSE(parsed.ok());
  EXPECT_EQ(parsed.error().category, ErrorCategory::protocol);
  EXPECT_EQ(parsed.error().service_request_id, "5f1c2d3e");
}

TEST(ErrorFromResponse, MapsEachStatusToItsCategory) {
  struct Case {
    int status;
    ErrorCategory category;
    bool retryable;
  };
  for (const Case& expected : {
           Case{400, ErrorCategory::validation, false},
           Case{401, ErrorCategory::unauthorized, false},
           Case{403, ErrorCategory::forbidden, false},
           Case{404, ErrorCategory::not_found, false},
           Case{405, ErrorCategory::invalid_argument, false},
           Case{408, ErrorCategory::timeout, true},
           Case{409, ErrorCategory::conflict, false},
           Case{412, ErrorCategory::conflict, false},
           Case{413, ErrorCategory::invalid_argument, false},
           Case{429, ErrorCategory::throttled, true},
           Case{500, ErrorCategory::unavailable, true},
           Case{501, ErrorCategory::unavailable, false},
           Case{502, ErrorCategory::unavailable, true},
           Case{503, ErrorCategory::unavailable, true},
           Case{504, ErrorCategory::unavailable, true},
           Case{302, ErrorCategory::protocol, false},
       }) {
    SCOPED_TRACE(expected.status);
    const Error error = mapped(expected.status, error_body("", "failed"));
    EXPECT_EQ(error.category, expected.category);
    EXPECT_EQ(error.retryable, expected.retryable);
    EXPECT_EQ(error.http_status, expected.status);
    EXPECT_EQ(error.message, "failed");
  }
}

TEST(ErrorFromResponse, MapsAVersionMismatchToConflict) {
  const Error error =
      mapped(412, error_body("", "The version of the existing record doesn't match the RowVersion "
                                 "property provided."));
  EXPECT_EQ(error.category, ErrorCategory::conflict);
  EXPECT_EQ(error.service_code, "");
}

TEST(ErrorFromResponse, MapsADuplicateRecordTo412OrTo500AsAlreadyExists) {
  for (const int status : {412, 500}) {
    SCOPED_TRACE(status);
    const Error error = mapped(status, error_body("0x80040333", "A record was not created or "
                                                                "updated because a duplicate of "
                                                                "the current record already "
                                                                "exists."));
    EXPECT_EQ(error.category, ErrorCategory::already_exists);
    EXPECT_FALSE(error.retryable);
    EXPECT_EQ(error.service_code, "0x80040333");
  }
}

TEST(ErrorFromResponse, MapsEachServiceProtectionCodeToThrottled) {
  for (const char* code : {"0x80072322", "0x80072321", "0x80072326"}) {
    SCOPED_TRACE(code);
    const Error error = mapped(429, error_body(code, "Number of requests exceeded the limit of "
                                                     "6000 over time window of 300 seconds."));
    EXPECT_EQ(error.category, ErrorCategory::throttled);
    EXPECT_TRUE(error.retryable);
    EXPECT_EQ(error.service_code, code);
  }
}

TEST(ErrorFromResponse, KeepsTheFirst200CharactersOfABodyThatIsNotJson) {
  const std::string page = "<html><body>" + std::string(300, 'x') + "</body></html>";
  const Error error = error_from_response(http::Response::text(502, page));
  EXPECT_EQ(error.category, ErrorCategory::unavailable);
  EXPECT_EQ(error.message, page.substr(0, 200));
}

TEST(ErrorFromResponse, CutsALongBodyAtACharacterBoundary) {
  const std::string body = std::string(199, 'x') + "\xC3\xA9" + "tail";
  const Error error = error_from_response(http::Response::text(503, body));
  EXPECT_EQ(error.message, std::string(199, 'x'));
}

TEST(ErrorFromResponse, KeepsTheBodyOfJsonThatIsNotTheErrorShape) {
  const Error error = mapped(400, R"({"Message":"Bad request"})");
  EXPECT_EQ(error.message, R"({"Message":"Bad request"})");
  EXPECT_EQ(error.service_code, "");
}

TEST(ErrorFromResponse, UsesTheReasonPhraseForAnEmptyBody) {
  http::Response response;
  response.status = 429;
  const Error error = error_from_response(response);
  EXPECT_EQ(error.category, ErrorCategory::throttled);
  EXPECT_EQ(error.message, "Too Many Requests");
}

TEST(ErrorFromResponse, UsesTheReasonPhraseWhenTheErrorHasNoMessage) {
  const Error error = mapped(403, R"({"error":{"code":"0x80040220"}})");
  EXPECT_EQ(error.category, ErrorCategory::forbidden);
  EXPECT_EQ(error.service_code, "0x80040220");
  EXPECT_EQ(error.message, "Forbidden");
}

TEST(ErrorFromResponse, ReadsTheEntraTokenErrorShape) {
  for (const int status : {400, 401}) {
    SCOPED_TRACE(status);
    const Error error = mapped(
        status,
        R"({"error":"invalid_client","error_description":"AADSTS7000215: Invalid client secret provided.","error_codes":[7000215]})");
    EXPECT_EQ(error.category, ErrorCategory::unauthorized);
    EXPECT_EQ(error.service_code, "invalid_client");
    EXPECT_EQ(error.message, "invalid_client: AADSTS7000215: Invalid client secret provided.");
    EXPECT_FALSE(error.retryable);
  }
}

TEST(ErrorFromResponse, KeepsAnEntraServerErrorRetryable) {
  const Error error =
      mapped(503, R"({"error":"temporarily_unavailable","error_description":"try later"})");
  EXPECT_EQ(error.category, ErrorCategory::unavailable);
  EXPECT_TRUE(error.retryable);
  EXPECT_EQ(error.message, "temporarily_unavailable: try later");
}

} // namespace
} // namespace leadsync::odata
