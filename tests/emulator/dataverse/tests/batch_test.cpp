// POST $batch against a real WebApi and RecordStore, in process (dataverse-notes section 5, and
// https://learn.microsoft.com/en-us/power-apps/developer/data-platform/webapi/execute-batch-operations-using-web-api).

#include "dvemu/batch.hpp"
#include "dvemu/multipart.hpp"
#include "dvemu/record_store.hpp"
#include "dvemu/schema.hpp"
#include "dvemu/web_api.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <leadsync/core/clock.hpp>
#include <leadsync/core/random.hpp>
#include <string>
#include <utility>
#include <vector>

namespace dvemu {
namespace {

namespace http = leadsync::http;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::StartsWith;

constexpr const char* org_url = "http://127.0.0.1:8765";
constexpr const char* batch_path = "/api/data/v9.2/$batch";

class RecordingSink : public EventSink {
public:
  void record_created(const EntityDef& entity, const StoredRecord& record,
                      const std::string&) override {
    created.push_back(entity.logical_name + ":" + record.id);
  }
  std::vector<std::string> created;
};

// One request inside a batch part.
struct Part {
  std::string method;
  std::string url;
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string content_id;
};

// One top-level item: a request, or a change set of requests.
struct Item {
  std::vector<Part> requests;
  bool changeset = false;
};

Item request(Part part) {
  return Item{{std::move(part)}, false};
}
Item changeset(std::vector<Part> parts) {
  return Item{std::move(parts), true};
}

std::string embedded(const Part& part) {
  std::string text = part.method + " " + part.url + " HTTP/1.1\r\n";
  if (!part.body.empty()) {
    text += "Content-Type: application/json; type=entry\r\n";
  }
  for (const auto& [name, value] : part.headers) {
    text += name + ": " + value + "\r\n";
  }
  return text + "\r\n" + part.body;
}

std::string mime_part(const Part& part) {
  std::string text = "Content-Type: application/http\r\nContent-Transfer-Encoding: binary\r\n";
  if (!part.content_id.empty()) {
    text += "Content-ID: " + part.content_id + "\r\n";
  }
  return text + "\r\n" + embedded(part) + "\r\n";
}

// A batch body written the way the docs write one.
std::string batch_body(const std::vector<Item>& items) {
  std::string body;
  int changesets = 0;
  for (const Item& item : items) {
    body += "--batch_AAA123\r\n";
    if (!item.changeset) {
      body += mime_part(item.requests.front());
      continue;
    }
    const std::string boundary = "changeset_" + std::to_string(++changesets);
    body += "Content-Type: multipart/mixed; boundary=" + boundary + "\r\n\r\n";
    for (const Part& part : item.requests) {
      body += "--" + boundary + "\r\n" + mime_part(part);
    }
    body += "--" + boundary + "--\r\n";
  }
  return body + "--batch_AAA123--\r\n";
}

// A response inside the batch response.
struct InnerResponse {
  int status = 0;
  http::Headers headers;
  std::string body;
  std::string content_id;
};

InnerResponse inner_response(const MimePart& part) {
  InnerResponse response;
  response.content_id = part.headers.get("Content-ID").value_or("");
  const std::string& text = part.body;
  EXPECT_THAT(text, StartsWith("HTTP/1.1 "));
  response.status = std::stoi(text.substr(9, 3));
  std::size_t position = text.find("\r\n") + 2;
  while (position < text.size() && text.compare(position, 2, "\r\n") != 0) {
    const auto end = text.find("\r\n", position);
    const std::string line = text.substr(position, end - position);
    const auto colon = line.find(':');
    response.headers.add(line.substr(0, colon), line.substr(colon + 2));
    position = end + 2;
  }
  response.body = text.substr(std::min(position + 2, text.size()));
  return response;
}

// The batch response, read back: one entry per top-level part; a change set lists its responses.
struct BatchResult {
  int status = 0;
  http::Headers headers;
  std::vector<std::vector<InnerResponse>> items;
  std::vector<bool> is_changeset;
};

std::vector<MimePart> parse_parts(const std::string& body, const std::string& boundary) {
  auto parsed = parse_multipart(body, boundary);
  if (auto* error = std::get_if<ServiceError>(&parsed)) {
    ADD_FAILURE() << "unreadable multipart: " << error->message;
    return {};
  }
  return std::get<std::vector<MimePart>>(std::move(parsed));
}

class BatchTest : public ::testing::Test {
protected:
  BatchTest()
      : options_(test_options()), schema_(Schema::dataverse(options_)),
        store_(schema_, clock_, random_), api_(schema_, store_, options_, &sink_) {
    context_.user_id = "11111111-1111-4111-8111-111111111111";
  }

  static EmulatorOptions test_options() {
    EmulatorOptions options;
    options.organization_url = org_url;
    return options;
  }

  http::Response send_raw(const std::string& body, const std::string& content_type,
                          const std::vector<std::pair<std::string, std::string>>& headers = {}) {
    http::Request batch;
    batch.method = "POST";
    batch.url = batch_path;
    batch.headers.set("Content-Type", content_type);
    for (const auto& [name, value] : headers) {
      batch.headers.add(name, value);
    }
    batch.body = body;
    return handle_batch(api_, batch, context_, options_);
  }

  BatchResult send(const std::vector<Item>& items,
                   const std::vector<std::pair<std::string, std::string>>& headers = {}) {
    const http::Response response =
        send_raw(batch_body(items), "multipart/mixed; boundary=\"batch_AAA123\"", headers);
    BatchResult result;
    result.status = response.status;
    result.headers = response.headers;
    const std::string content_type = response.headers.get("Content-Type").value_or("");
    EXPECT_THAT(content_type, StartsWith("multipart/mixed; boundary=batchresponse_"))
        << response.body;
    for (const MimePart& part : parse_parts(response.body, multipart_boundary(content_type))) {
      const std::string type = part.headers.get("Content-Type").value_or("");
      std::vector<InnerResponse> responses;
      if (type.starts_with("multipart/mixed")) {
        EXPECT_THAT(type, StartsWith("multipart/mixed; boundary=changesetresponse_"));
        for (const MimePart& member : parse_parts(part.body, multipart_boundary(type))) {
          EXPECT_EQ(member.headers.get("Content-Type"), "application/http");
          EXPECT_EQ(member.headers.get("Content-Transfer-Encoding"), "binary");
          responses.push_back(inner_response(member));
        }
      } else {
        EXPECT_EQ(type, "application/http");
        EXPECT_EQ(part.headers.get("Content-Transfer-Encoding"), "binary");
        responses.push_back(inner_response(part));
      }
      result.is_changeset.push_back(type.starts_with("multipart/mixed"));
      result.items.push_back(std::move(responses));
    }
    return result;
  }

  static ServiceError error_of(const http::Response& response) {
    const auto json = nlohmann::json::parse(response.body);
    return ServiceError{response.status, json["error"]["code"].get<std::string>(),
                        json["error"]["message"].get<std::string>()};
  }

  std::vector<const StoredRecord*> rows(const std::string& entity_set) {
    auto txn = store_.begin();
    return txn.scan(*schema_.by_entity_set(entity_set));
  }

  std::vector<std::string> lastnames(const std::string& entity_set) {
    std::vector<std::string> names;
    for (const StoredRecord* record : rows(entity_set)) {
      names.push_back(record->attributes.value("lastname", ""));
    }
    return names;
  }

  static Part create_lead(const std::string& lastname, const std::string& content_id = "") {
    return Part{"POST",
                "/api/data/v9.2/leads",
                nlohmann::json{{"lastname", lastname}}.dump(),
                {},
                content_id};
  }

  static Part invalid_lead(const std::string& content_id = "") {
    return Part{"POST",
                "/api/data/v9.2/leads",
                nlohmann::json{{"lastname", "Bad"}, {"firstname", std::string(51, 'x')}}.dump(),
                {},
                content_id};
  }

  static std::string id_in(const std::string& url) {
    const auto open = url.rfind('(');
    return url.substr(open + 1, url.size() - open - 2);
  }

  EmulatorOptions options_;
  Schema schema_;
  leadsync::ManualClock clock_;
  leadsync::SeededRandom random_{42};
  RecordStore store_;
  RecordingSink sink_;
  WebApi api_;
  CallContext context_;
};

TEST_F(BatchTest, ChangeSetWithContentIdReferenceAndAGetOutsideIt) {
  const BatchResult result = send({
      changeset({create_lead("Lead in batch", "1"),
                 Part{"POST",
                      "/api/data/v9.2/contacts",
                      R"({"lastname":"Contact","originatingleadid@odata.bind":"$1"})",
                      {},
                      "2"}}),
      request(Part{"GET", "/api/data/v9.2/leads?$select=lastname", "", {}, ""}),
  });
  EXPECT_EQ(result.status, 200);
  EXPECT_EQ(result.headers.get("OData-Version"), "4.0");
  ASSERT_EQ(result.items.size(), 2u);
  ASSERT_TRUE(result.is_changeset[0]);
  ASSERT_EQ(result.items[0].size(), 2u);
  const InnerResponse& lead = result.items[0][0];
  EXPECT_EQ(lead.status, 204);
  EXPECT_EQ(lead.content_id, "1");
  const std::string lead_url = lead.headers.get("OData-EntityId").value_or("");
  EXPECT_THAT(lead_url, StartsWith(std::string(org_url) + "/api/data/v9.2/leads("));
  EXPECT_EQ(lead.headers.get("Location"), lead_url);
  EXPECT_EQ(result.items[0][1].status, 204);
  EXPECT_EQ(result.items[0][1].content_id, "2");

  // The contact points at the lead created by Content-ID 1.
  const auto contacts = rows("contacts");
  ASSERT_EQ(contacts.size(), 1u);
  EXPECT_EQ(contacts[0]->attributes["originatingleadid"]["id"], id_in(lead_url));

  // The GET after the change set sees the committed lead.
  const InnerResponse& get = result.items[1][0];
  EXPECT_EQ(get.status, 200);
  const auto listed = nlohmann::json::parse(get.body);
  ASSERT_EQ(listed["value"].size(), 1u);
  EXPECT_EQ(listed["value"][0]["lastname"], "Lead in batch");

  // Creates inside the change set are announced once it has committed.
  EXPECT_THAT(sink_.created, ElementsAre("lead:" + id_in(lead_url), "contact:" + contacts[0]->id));
  EXPECT_GE(context_.records_processed, 3);
}

TEST_F(BatchTest, BareLineFeedsAreRefusedAsDataverseDoes) {
  std::string body = batch_body({request(Part{"GET", "/api/data/v9.2/leads", "", {}, ""})});
  std::string lf_only;
  for (char c : body) {
    if (c != '\r') {
      lf_only.push_back(c);
    }
  }
  const auto refused = send_raw(lf_only, "multipart/mixed; boundary=\"batch_AAA123\"");
  EXPECT_EQ(refused.status, 400);
  EXPECT_THAT(refused.body, HasSubstr("0x80048d19"));

  options_.compat.batch_requires_crlf = false;
  EXPECT_EQ(send_raw(lf_only, "multipart/mixed; boundary=\"batch_AAA123\"").status, 200);
}

TEST_F(BatchTest, ReferencesWorkInTheUrlOfALaterRequest) {
  const BatchResult result = send({changeset({
      create_lead("Before", "1"),
      Part{"PATCH", "$1", R"({"lastname":"After"})", {}, "2"},
  })});
  EXPECT_EQ(result.status, 200);
  ASSERT_EQ(result.items.size(), 1u);
  ASSERT_EQ(result.items[0].size(), 2u);
  EXPECT_EQ(result.items[0][1].status, 204);
  EXPECT_THAT(lastnames("leads"), ElementsAre("After"));
}

TEST_F(BatchTest, ReferenceToACreateReturningItsRepresentationPointsAtTheNewRow) {
  Part lead = create_lead("Represented", "1");
  lead.headers = {{"Prefer", "return=representation"}};
  const BatchResult result = send({changeset({
      lead,
      Part{"POST", "contacts", R"({"lastname":"C","originatingleadid@odata.bind":"$1"})", {}, "2"},
  })});
  ASSERT_EQ(result.items.size(), 1u);
  ASSERT_EQ(result.items[0].size(), 2u);
  EXPECT_EQ(result.items[0][0].status, 201);
  EXPECT_EQ(result.items[0][1].status, 204) << result.items[0][1].body;
  const auto leads = rows("leads");
  const auto contacts = rows("contacts");
  ASSERT_EQ(leads.size(), 1u);
  ASSERT_EQ(contacts.size(), 1u);
  EXPECT_EQ(contacts[0]->attributes["originatingleadid"]["id"], leads[0]->id);
}

TEST_F(BatchTest, AFailingChangeSetIsRolledBackAndAnswersWithTheFailingRequestOnly) {
  const BatchResult result =
      send({changeset({create_lead("Rolled back", "1"), invalid_lead("2")})});
  EXPECT_EQ(result.status, 400);
  ASSERT_EQ(result.items.size(), 1u);
  ASSERT_TRUE(result.is_changeset[0]);
  ASSERT_EQ(result.items[0].size(), 1u);
  const InnerResponse& failure = result.items[0][0];
  EXPECT_EQ(failure.status, 400);
  EXPECT_EQ(failure.content_id, "2");
  EXPECT_TRUE(failure.headers.has("REQ_ID"));
  EXPECT_EQ(nlohmann::json::parse(failure.body)["error"]["code"], "0x80044331");
  EXPECT_TRUE(rows("leads").empty());
  EXPECT_TRUE(sink_.created.empty());
}

TEST_F(BatchTest, ContinueOnErrorRunsEveryRequestAndReportsEachStatus) {
  const BatchResult result =
      send({request(create_lead("First")), request(invalid_lead()), request(create_lead("Third"))},
           {{"Prefer", "odata.continue-on-error"}});
  EXPECT_EQ(result.status, 200);
  EXPECT_EQ(result.headers.get("Preference-Applied"), "odata.continue-on-error");
  ASSERT_EQ(result.items.size(), 3u);
  EXPECT_EQ(result.items[0][0].status, 204);
  EXPECT_EQ(result.items[1][0].status, 400);
  EXPECT_EQ(result.items[2][0].status, 204);
  EXPECT_THAT(lastnames("leads"), ElementsAre("First", "Third"));
}

TEST_F(BatchTest, WithoutContinueOnErrorTheFirstFailureEndsTheBatchWithItsStatus) {
  const BatchResult result = send(
      {request(invalid_lead()), request(create_lead("Never")), request(create_lead("Never2"))});
  EXPECT_EQ(result.status, 400);
  EXPECT_FALSE(result.headers.has("Preference-Applied"));
  ASSERT_EQ(result.items.size(), 1u);
  EXPECT_EQ(result.items[0][0].status, 400);
  EXPECT_TRUE(rows("leads").empty());
}

TEST_F(BatchTest, WithoutContinueOnErrorEarlierResponsesStayBeforeTheFailure) {
  const BatchResult result =
      send({request(create_lead("Kept")), request(invalid_lead()), request(create_lead("Never"))});
  EXPECT_EQ(result.status, 400);
  ASSERT_EQ(result.items.size(), 2u);
  EXPECT_EQ(result.items[0][0].status, 204);
  EXPECT_EQ(result.items[1][0].status, 400);
  EXPECT_THAT(lastnames("leads"), ElementsAre("Kept"));
}

TEST_F(BatchTest, ContinueOnErrorStopsAfterAFailedChangeSetByDefault) {
  const BatchResult result = send({changeset({invalid_lead("1")}), request(create_lead("After"))},
                                  {{"Prefer", "odata.continue-on-error"}});
  EXPECT_EQ(result.status, 400);
  EXPECT_FALSE(result.headers.has("Preference-Applied"));
  ASSERT_EQ(result.items.size(), 1u);
  EXPECT_TRUE(rows("leads").empty());
}

TEST_F(BatchTest, ContinueOnErrorGoesPastAFailedChangeSetWhenTheSwitchSaysSo) {
  options_.compat.continue_on_error_past_failed_changeset = true;
  const BatchResult result = send({changeset({invalid_lead("1")}), request(create_lead("After"))},
                                  {{"Prefer", "odata.continue-on-error"}});
  EXPECT_EQ(result.status, 200);
  ASSERT_EQ(result.items.size(), 2u);
  EXPECT_EQ(result.items[0][0].status, 400);
  EXPECT_EQ(result.items[1][0].status, 204);
  EXPECT_THAT(lastnames("leads"), ElementsAre("After"));
}

TEST_F(BatchTest, InnerRequestsMayUseAbsoluteOriginFormOrRelativeUrls) {
  const BatchResult result = send({
      request(Part{"POST",
                   std::string(org_url) + "/api/data/v9.2/leads",
                   R"({"lastname":"Absolute"})",
                   {},
                   ""}),
      request(Part{"POST", "/api/data/v9.2/leads", R"({"lastname":"Origin"})", {}, ""}),
      request(Part{"POST", "leads", R"({"lastname":"Relative"})", {}, ""}),
      changeset({Part{"POST",
                      std::string(org_url) + "/api/data/v9.2/leads",
                      R"({"lastname":"Absolute in changeset"})",
                      {},
                      "1"}}),
  });
  EXPECT_EQ(result.status, 200);
  EXPECT_THAT(lastnames("leads"),
              ElementsAre("Absolute", "Origin", "Relative", "Absolute in changeset"));
}

TEST_F(BatchTest, InnerRequestsCarryTheirOwnHeaders) {
  Part duplicate_check = create_lead("Second");
  duplicate_check.body = R"({"lastname":"Second","emailaddress1":"same@example.com"})";
  duplicate_check.headers = {{"MSCRM.SuppressDuplicateDetection", "false"}};
  const BatchResult result = send(
      {request(Part{
           "POST", "leads", R"({"lastname":"First","emailaddress1":"same@example.com"})", {}, ""}),
       request(duplicate_check)},
      {{"Prefer", "odata.continue-on-error"}});
  ASSERT_EQ(result.items.size(), 2u);
  EXPECT_EQ(result.items[0][0].status, 204);
  EXPECT_EQ(result.items[1][0].status, options_.compat.duplicate_status);
  EXPECT_EQ(nlohmann::json::parse(result.items[1][0].body)["error"]["code"], "0x80040333");
}

TEST_F(BatchTest, OneThousandRequestsAreAccepted) {
  std::vector<Item> items(1000, request(Part{"GET", "WhoAmI", "", {}, ""}));
  const BatchResult result = send(items);
  EXPECT_EQ(result.status, 200);
  ASSERT_EQ(result.items.size(), 1000u);
  EXPECT_EQ(result.items.back()[0].status, 200);
}

TEST_F(BatchTest, MoreThanOneThousandRequestsAreRefusedBeforeAnyRuns) {
  std::vector<Item> items(1000, request(Part{"GET", "WhoAmI", "", {}, ""}));
  items.insert(items.begin(), request(create_lead("Too many")));
  const http::Response response =
      send_raw(batch_body(items), "multipart/mixed; boundary=batch_AAA123");
  EXPECT_EQ(response.status, 400);
  EXPECT_THAT(error_of(response).message, HasSubstr("maximum number of '1000'"));
  EXPECT_TRUE(rows("leads").empty());
}

TEST_F(BatchTest, AChangeSetOfMoreThanOneThousandRequestsIsRefused) {
  std::vector<Part> parts(1001, create_lead("x"));
  const http::Response response =
      send_raw(batch_body({changeset(parts)}), "multipart/mixed; boundary=batch_AAA123");
  EXPECT_EQ(response.status, 400);
  EXPECT_THAT(error_of(response).message,
              HasSubstr("The current change set contains too many operations. A maximum number of "
                        "'1000' operations are allowed in a change set."));
  EXPECT_TRUE(rows("leads").empty());
}

TEST_F(BatchTest, GetInsideAChangeSetIsRefused) {
  const http::Response response = send_raw(
      batch_body({request(create_lead("Not run")),
                  changeset({create_lead("Nor this", "1"), Part{"GET", "leads", "", {}, "2"}})}),
      "multipart/mixed; boundary=batch_AAA123");
  EXPECT_EQ(response.status, 400);
  EXPECT_EQ(error_of(response).message,
            "An invalid HTTP method 'GET' was detected for a request in a change set. Requests in "
            "change sets only support the HTTP methods 'POST', 'PUT', 'DELETE', and 'PATCH'.");
  EXPECT_TRUE(rows("leads").empty());
}

TEST_F(BatchTest, AReferenceToAnUndeclaredContentIdIsRefused) {
  // The docs' example: Content-ID 2 uses $1 before Content-ID 1 declares it.
  const http::Response response = send_raw(
      batch_body({changeset({Part{"POST",
                                  "contacts",
                                  R"({"lastname":"x","originatingleadid@odata.bind":"$1"})",
                                  {},
                                  "2"},
                             create_lead("Declared too late", "1")})}),
      "multipart/mixed; boundary=batch_AAA123");
  EXPECT_EQ(response.status, 400);
  EXPECT_EQ(error_of(response).message,
            "Content-ID Reference: '$1' does not exist in the batch context.");
  EXPECT_TRUE(rows("leads").empty());
}

TEST_F(BatchTest, AReferenceInAUrlOutsideAChangeSetIsRefused) {
  const http::Response response =
      send_raw(batch_body({request(Part{"PATCH", "$1", R"({"lastname":"x"})", {}, ""})}),
               "multipart/mixed; boundary=batch_AAA123");
  EXPECT_EQ(error_of(response).message,
            "Content-ID Reference: '$1' does not exist in the batch context.");
}

TEST_F(BatchTest, DuplicateContentIdsInAChangeSetAreRefused) {
  const http::Response response =
      send_raw(batch_body({changeset({create_lead("a", "1"), create_lead("b", "1")})}),
               "multipart/mixed; boundary=batch_AAA123");
  EXPECT_EQ(response.status, 400);
  EXPECT_THAT(error_of(response).message, HasSubstr("The content ID '1' was found more than once"));
  EXPECT_TRUE(rows("leads").empty());
}

TEST_F(BatchTest, NestedChangeSetsAreRefused) {
  const std::string body = "--batch_AAA123\r\n"
                           "Content-Type: multipart/mixed; boundary=changeset_outer\r\n\r\n"
                           "--changeset_outer\r\n"
                           "Content-Type: multipart/mixed; boundary=changeset_inner\r\n\r\n"
                           "--changeset_inner\r\n" +
                           mime_part(create_lead("x")) +
                           "--changeset_inner--\r\n"
                           "--changeset_outer--\r\n"
                           "--batch_AAA123--\r\n";
  const http::Response response = send_raw(body, "multipart/mixed; boundary=batch_AAA123");
  EXPECT_EQ(response.status, 400);
  EXPECT_THAT(error_of(response).message, HasSubstr("cannot be nested"));
}

TEST_F(BatchTest, ABatchRequestInsideABatchIsRefused) {
  const BatchResult result = send({request(Part{"POST", "$batch", "", {}, ""})});
  EXPECT_EQ(result.status, 400);
  ASSERT_EQ(result.items.size(), 1u);
  EXPECT_EQ(result.items[0][0].status, 400);
  EXPECT_THAT(result.items[0][0].body, HasSubstr("cannot be nested"));
}

TEST_F(BatchTest, ABatchWithoutAMultipartContentTypeIsRefused) {
  for (const char* content_type :
       {"application/json", "multipart/mixed", "multipart/related; boundary=batch_AAA123"}) {
    SCOPED_TRACE(content_type);
    const http::Response response = send_raw(batch_body({request(create_lead("x"))}), content_type);
    EXPECT_EQ(response.status, 400);
    EXPECT_THAT(error_of(response).message, HasSubstr("multipart/mixed with a boundary"));
  }
  EXPECT_TRUE(rows("leads").empty());
}

TEST_F(BatchTest, AMalformedBodyIsRefusedWithTheReason) {
  const http::Response unclosed = send_raw("--batch_AAA123\r\n" + mime_part(create_lead("x")),
                                           "multipart/mixed; boundary=batch_AAA123");
  EXPECT_EQ(unclosed.status, 400);
  EXPECT_THAT(error_of(unclosed).message, HasSubstr("not complete"));

  const http::Response wrong_part =
      send_raw("--batch_AAA123\r\nContent-Type: text/plain\r\n\r\nhello\r\n--batch_AAA123--\r\n",
               "multipart/mixed; boundary=batch_AAA123");
  EXPECT_THAT(error_of(wrong_part).message, HasSubstr("application/http"));
  EXPECT_TRUE(rows("leads").empty());
}

} // namespace
} // namespace dvemu
