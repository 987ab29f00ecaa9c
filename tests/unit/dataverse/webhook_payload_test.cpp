// parse_webhook_notification(): what Dataverse POSTs to a webhook (the RemoteExecutionContext
// JSON), parsed generically; the bodies it refuses and the key a redelivery is recognized by.
// Fixtures in tests/data/webhooks/ (see the README there for where each comes from).

#include "leadsync/dataverse/webhook_payload.hpp"
#include "leadsync_test_paths.hpp"

#include <fstream>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>

namespace leadsync::dataverse {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using Json = nlohmann::json;

std::string fixture(const std::string& name) {
  std::ifstream in(std::string(LEADSYNC_SOURCE_DIR) + "/tests/data/webhooks/" + name,
                   std::ios::binary);
  EXPECT_TRUE(in.good()) << "missing fixture " << name;
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

Json fixture_json(const std::string& name) {
  return Json::parse(fixture(name));
}

WebhookHeaders lead_create_headers() {
  return {.organization = "org.crm.dynamics.com",
          .entity_name = "lead",
          .request_name = "Create",
          .correlation_id = "0c8f8a8e-6b1f-4d8e-9c55-3a2d6f1e7b10",
          .size_exceeded = false};
}

// A body nesting `levels` arrays: [[[...]]].
std::string nested_arrays(std::size_t levels) {
  return std::string(levels, '[') + std::string(levels, ']');
}

TEST(WebhookPayloadTest, MicrosoftsSampleUpdateOfContactParses) {
  const auto parsed =
      parse_webhook_notification(fixture("microsoft-sample-update-contact.json"), {});

  ASSERT_TRUE(parsed.ok()) << parsed.error().describe();
  EXPECT_EQ(parsed->message_name, "Update");
  EXPECT_EQ(parsed->primary_entity_name, "contact");
  EXPECT_EQ(parsed->primary_entity_id, "6d81597f-0f9f-e711-8122-000d3aa2331c");
  EXPECT_EQ(parsed->operation_id, "4af10637-4ea2-e711-8122-000d3aa2331c");
  EXPECT_EQ(parsed->request_id, "") << "RequestId is null in the sample";
  EXPECT_EQ(parsed->correlation_id, "b374239d-4233-41a9-8b17-a86cb4f737b5");
  EXPECT_EQ(parsed->organization_name, "OrgName") << "the top level's, not ParentContext's";
  EXPECT_EQ(parsed->stage, 40);
  EXPECT_EQ(parsed->mode, 1);
  EXPECT_EQ(parsed->depth, 1);
  EXPECT_EQ(parsed->operation_created_ms, 1506409448000LL)
      << "the -0700 offset does not move the instant";
  EXPECT_TRUE(parsed->target_present);
  EXPECT_FALSE(parsed->size_exceeded);
}

TEST(WebhookPayloadTest, TheSamplesTargetAttributesComeAsCompactJsonByName) {
  const auto parsed =
      parse_webhook_notification(fixture("microsoft-sample-update-contact.json"), {});

  ASSERT_TRUE(parsed.ok()) << parsed.error().describe();
  const auto& attributes = parsed->target_attributes;
  EXPECT_EQ(attributes.size(), 7U) << "the top-level Target, not ParentContext's two attributes";
  EXPECT_EQ(attributes.at("firstname"), R"("James")");
  EXPECT_EQ(attributes.at("fullname"), R"x("James Glynn (sample)")x");
  EXPECT_EQ(attributes.at("modifiedon"), R"("/Date(1506384247000)/")");
  EXPECT_EQ(attributes.at("modifiedonbehalfby"), "null");
  const auto modified_by = Json::parse(attributes.at("modifiedby"));
  EXPECT_EQ(modified_by.at("LogicalName"), "systemuser");
  EXPECT_EQ(modified_by.at("Id"), "75c2dd85-e89e-e711-8122-000d3aa2331c");
}

TEST(WebhookPayloadTest, ALeadCreateParsesWithItsIdsLowerCased) {
  const auto parsed =
      parse_webhook_notification(fixture("lead-create.json"), lead_create_headers());

  ASSERT_TRUE(parsed.ok()) << parsed.error().describe();
  EXPECT_EQ(parsed->message_name, "Create");
  EXPECT_EQ(parsed->primary_entity_name, "lead");
  EXPECT_EQ(parsed->primary_entity_id, "3f2504e0-4f89-41d3-9a0c-0305e82c3301");
  EXPECT_EQ(parsed->operation_id, "9b2e6c0a-1d2f-4e3a-8b4c-5d6e7f809a1b");
  EXPECT_EQ(parsed->operation_created_ms, 1767693600123LL);
  EXPECT_TRUE(parsed->target_present);
  const auto& attributes = parsed->target_attributes;
  EXPECT_EQ(attributes.at("emailaddress1"), R"("ada@example.com")");
  EXPECT_EQ(Json::parse(attributes.at("leadsourcecode")).at("Value"), 8);
  EXPECT_EQ(Json::parse(attributes.at("revenue")).at("Value"), 2500000);
  EXPECT_EQ(Json::parse(attributes.at("ownerid")).at("LogicalName"), "systemuser");
  EXPECT_EQ(
      parsed->dedupe_key(),
      "create:lead:3f2504e0-4f89-41d3-9a0c-0305e82c3301:9b2e6c0a-1d2f-4e3a-8b4c-5d6e7f809a1b");
}

TEST(WebhookPayloadTest, WhatTheDataverseEmulatorSendsParses) {
  // Captured from tests/emulator/dataverse (execution_context) on a lead Create with an
  // asynchronous post-operation step: escaped slashes, RequestId null, OutputParameters with id.
  const auto parsed =
      parse_webhook_notification(fixture("emulator-lead-create.json"), lead_create_headers());

  ASSERT_TRUE(parsed.ok()) << parsed.error().describe();
  EXPECT_EQ(parsed->message_name, "Create");
  EXPECT_EQ(parsed->primary_entity_name, "lead");
  EXPECT_EQ(parsed->primary_entity_id.size(), 36U);
  EXPECT_EQ(parsed->operation_id.size(), 36U);
  EXPECT_EQ(parsed->request_id, "");
  EXPECT_EQ(parsed->stage, 40);
  EXPECT_EQ(parsed->mode, 1);
  EXPECT_TRUE(parsed->operation_created_ms.has_value());
  EXPECT_TRUE(parsed->target_present);
  EXPECT_EQ(parsed->target_attributes.at("lastname"), R"("Webhook")");
  EXPECT_EQ(parsed->target_attributes.at("leadid"), '"' + parsed->primary_entity_id + '"');
}

TEST(WebhookPayloadTest, ABodyStrippedForSizeParsesWithoutTargetAndSaysSo) {
  auto body = fixture_json("lead-create.json");
  for (const char* key :
       {"ParentContext", "InputParameters", "PreEntityImages", "PostEntityImages"}) {
    body.erase(key);
  }
  auto headers = lead_create_headers();
  headers.size_exceeded = true;

  const auto parsed = parse_webhook_notification(body.dump(), headers);

  ASSERT_TRUE(parsed.ok()) << parsed.error().describe();
  EXPECT_TRUE(parsed->size_exceeded);
  EXPECT_FALSE(parsed->target_present);
  EXPECT_TRUE(parsed->target_attributes.empty());
  EXPECT_EQ(parsed->primary_entity_id, "3f2504e0-4f89-41d3-9a0c-0305e82c3301")
      << "enough to read the lead from the CRM";
}

TEST(WebhookPayloadTest, InputParametersMayBeAbsentEvenWithoutTheSizeHeader) {
  auto body = fixture_json("lead-create.json");
  body.erase("InputParameters");

  const auto parsed = parse_webhook_notification(body.dump(), lead_create_headers());

  ASSERT_TRUE(parsed.ok()) << parsed.error().describe();
  EXPECT_FALSE(parsed->size_exceeded);
  EXPECT_FALSE(parsed->target_present);
}

TEST(WebhookPayloadTest, ATargetThatIsAnEntityReferenceIsNoTargetEntity) {
  auto body = fixture_json("lead-create.json");
  body["MessageName"] = "Delete";
  body["InputParameters"] =
      Json::array({{{"key", "Target"},
                    {"value",
                     {{"__type", "EntityReference:http://schemas.microsoft.com/xrm/2011/Contracts"},
                      {"Id", "3f2504e0-4f89-41d3-9a0c-0305e82c3301"},
                      {"LogicalName", "lead"}}}}});

  const auto parsed = parse_webhook_notification(body.dump(), {});

  ASSERT_TRUE(parsed.ok()) << parsed.error().describe();
  EXPECT_FALSE(parsed->target_present);
}

TEST(WebhookPayloadTest, MalformedJsonIsRefusedWith400WithoutQuotingTheBody) {
  const std::string body = R"({"MessageName": "Create", "secret-looking-text": tru)";

  const auto parsed = parse_webhook_notification(body, {});

  ASSERT_FALSE(parsed.ok());
  EXPECT_EQ(parsed.error().category, ErrorCategory::invalid_argument);
  EXPECT_EQ(parsed.error().http_status, 400);
  EXPECT_THAT(parsed.error().message, HasSubstr("not valid JSON"));
  EXPECT_THAT(parsed.error().message, Not(HasSubstr("secret-looking-text")));
}

TEST(WebhookPayloadTest, AnEmptyBodyAndTrailingGarbageAreMalformed) {
  EXPECT_FALSE(parse_webhook_notification("", {}).ok());
  const auto trailing = fixture("lead-create.json") + " {}";
  const auto parsed = parse_webhook_notification(trailing, {});
  ASSERT_FALSE(parsed.ok());
  EXPECT_THAT(parsed.error().message, HasSubstr("not valid JSON"));
}

TEST(WebhookPayloadTest, ABodyThatIsNotAnObjectIsRefused) {
  const auto parsed = parse_webhook_notification("[1, 2]", {});

  ASSERT_FALSE(parsed.ok());
  EXPECT_EQ(parsed.error().http_status, 400);
  EXPECT_THAT(parsed.error().message, HasSubstr("not a JSON object"));
}

TEST(WebhookPayloadTest, AHundredThousandLevelsOfNestingAreRefusedNotACrash) {
  const auto arrays = parse_webhook_notification(nested_arrays(100'000), {});
  ASSERT_FALSE(arrays.ok());
  EXPECT_EQ(arrays.error().http_status, 400);
  EXPECT_THAT(arrays.error().message, HasSubstr("deeper than 64"));

  std::string objects;
  for (int i = 0; i < 100'000; ++i) {
    objects += R"({"a":)";
  }
  const auto parsed = parse_webhook_notification(objects, {});
  ASSERT_FALSE(parsed.ok());
  EXPECT_THAT(parsed.error().message, HasSubstr("deeper than 64"))
      << "too deep is found before the (unfinished) body is seen to be malformed";
}

TEST(WebhookPayloadTest, NestingUpToTheLimitIsAccepted) {
  const WebhookParseLimits limits{.max_body_bytes = 4096, .max_depth = 5};
  Json body = {{"MessageName", "Create"},
               {"PrimaryEntityName", "lead"},
               {"PrimaryEntityId", "3f2504e0-4f89-41d3-9a0c-0305e82c3301"}};
  body["Extra"] = Json::parse("[[[[1]]]]"); // the object itself is level 1: this reaches 5

  const auto at_limit = parse_webhook_notification(body.dump(), {}, limits);
  EXPECT_TRUE(at_limit.ok()) << at_limit.error().describe();

  body["Extra"] = Json::parse("[[[[{}]]]]");
  const auto over = parse_webhook_notification(body.dump(), {}, limits);
  ASSERT_FALSE(over.ok());
  EXPECT_THAT(over.error().message, HasSubstr("deeper than 5"));
}

TEST(WebhookPayloadTest, MicrosoftsSampleNestsEightLevels) {
  // Target -> Attributes -> modifiedby -> KeyAttributes: the default limit of 64 leaves room.
  const auto body = fixture("microsoft-sample-update-contact.json");

  const auto eight =
      parse_webhook_notification(body, {}, {.max_body_bytes = 1U << 20U, .max_depth = 8});
  const auto seven =
      parse_webhook_notification(body, {}, {.max_body_bytes = 1U << 20U, .max_depth = 7});

  EXPECT_TRUE(eight.ok()) << (eight.ok() ? "" : eight.error().message);
  ASSERT_FALSE(seven.ok());
  EXPECT_THAT(seven.error().message, HasSubstr("deeper than 7"));
}

TEST(WebhookPayloadTest, ABodyOverTheSizeLimitIsRefusedWith413) {
  const WebhookParseLimits limits{.max_body_bytes = 100, .max_depth = 64};

  const auto parsed = parse_webhook_notification(fixture("lead-create.json"), {}, limits);

  ASSERT_FALSE(parsed.ok());
  EXPECT_EQ(parsed.error().category, ErrorCategory::invalid_argument);
  EXPECT_EQ(parsed.error().http_status, 413);
  EXPECT_THAT(parsed.error().message, HasSubstr("too large"));
}

TEST(WebhookPayloadTest, AMissingPrimaryEntityIdIsRefusedNamingIt) {
  auto body = fixture_json("lead-create.json");
  body.erase("PrimaryEntityId");

  const auto parsed = parse_webhook_notification(body.dump(), {});

  ASSERT_FALSE(parsed.ok());
  EXPECT_EQ(parsed.error().http_status, 400);
  EXPECT_THAT(parsed.error().message, HasSubstr("PrimaryEntityId is missing"));
}

TEST(WebhookPayloadTest, AMissingMessageNameOrEntityNameIsRefused) {
  for (const char* key : {"MessageName", "PrimaryEntityName"}) {
    auto body = fixture_json("lead-create.json");
    body.erase(key);

    const auto parsed = parse_webhook_notification(body.dump(), {});

    ASSERT_FALSE(parsed.ok()) << key;
    EXPECT_THAT(parsed.error().message, HasSubstr(key));
  }
}

TEST(WebhookPayloadTest, APrimaryEntityIdThatIsNoGuidIsRefused) {
  for (const auto& id : {Json("lead-42"), Json("3f2504e0-4f89-41d3-9a0c-0305e82c330"),
                         Json("{3f2504e0-4f89-41d3-9a0c-0305e82c3301}"),
                         Json("3f2504e0x4f89-41d3-9a0c-0305e82c3301"), Json(42)}) {
    auto body = fixture_json("lead-create.json");
    body["PrimaryEntityId"] = id;

    const auto parsed = parse_webhook_notification(body.dump(), {});

    ASSERT_FALSE(parsed.ok()) << id.dump();
    EXPECT_EQ(parsed.error().http_status, 400);
    EXPECT_THAT(parsed.error().message, HasSubstr("PrimaryEntityId")) << id.dump();
  }
}

TEST(WebhookPayloadTest, AnOperationIdThatIsNoGuidIsRefused) {
  auto body = fixture_json("lead-create.json");
  body["OperationId"] = "not-a-guid";

  const auto parsed = parse_webhook_notification(body.dump(), {});

  ASSERT_FALSE(parsed.ok());
  EXPECT_THAT(parsed.error().message, HasSubstr("OperationId is not a GUID"));
}

TEST(WebhookPayloadTest, ARedeliveryHasTheSameDedupeKey) {
  const auto body = fixture("lead-create.json");
  auto retry_headers = lead_create_headers();
  retry_headers.correlation_id = "another-correlation";

  const auto first = parse_webhook_notification(body, lead_create_headers());
  const auto again = parse_webhook_notification(body, retry_headers);

  ASSERT_TRUE(first.ok() && again.ok());
  EXPECT_EQ(first->dedupe_key(), again->dedupe_key());
}

TEST(WebhookPayloadTest, DifferentOperationsHaveDifferentDedupeKeys) {
  auto body = fixture_json("lead-create.json");
  const auto create = parse_webhook_notification(body.dump(), {});

  body["OperationId"] = "9b2e6c0a-1d2f-4e3a-8b4c-5d6e7f809a1c";
  const auto other_operation = parse_webhook_notification(body.dump(), {});
  body["MessageName"] = "Update";
  const auto update = parse_webhook_notification(body.dump(), {});
  body["PrimaryEntityId"] = "3f2504e0-4f89-41d3-9a0c-0305e82c3302";
  const auto other_lead = parse_webhook_notification(body.dump(), {});

  ASSERT_TRUE(create.ok() && other_operation.ok() && update.ok() && other_lead.ok());
  EXPECT_NE(create->dedupe_key(), other_operation->dedupe_key());
  EXPECT_NE(other_operation->dedupe_key(), update->dedupe_key());
  EXPECT_NE(update->dedupe_key(), other_lead->dedupe_key());
}

TEST(WebhookPayloadTest, WithoutOperationIdTheRequestIdThenTheOperationTimeTellsOperationsApart) {
  auto body = fixture_json("lead-create.json");
  body["OperationId"] = nullptr;
  body["RequestId"] = "AAAAAAAA-1D2F-4E3A-8B4C-5D6E7F809A1B";
  const auto by_request = parse_webhook_notification(body.dump(), {});
  ASSERT_TRUE(by_request.ok()) << by_request.error().describe();
  EXPECT_EQ(by_request->request_id, "aaaaaaaa-1d2f-4e3a-8b4c-5d6e7f809a1b");
  EXPECT_EQ(
      by_request->dedupe_key(),
      "create:lead:3f2504e0-4f89-41d3-9a0c-0305e82c3301:aaaaaaaa-1d2f-4e3a-8b4c-5d6e7f809a1b");

  body.erase("RequestId");
  const auto by_time = parse_webhook_notification(body.dump(), {});
  ASSERT_TRUE(by_time.ok()) << by_time.error().describe();
  EXPECT_EQ(by_time->dedupe_key(),
            "create:lead:3f2504e0-4f89-41d3-9a0c-0305e82c3301:t1767693600123");
}

TEST(WebhookPayloadTest, OperationCreatedOnTakesEveryWcfDateForm) {
  const std::pair<const char*, long long> cases[] = {
      {"/Date(1506409448000)/", 1506409448000LL},
      {"/Date(1506409448000+0530)/", 1506409448000LL},
      {"/Date(1506409448000-0700)/", 1506409448000LL},
      {"/Date(-86400000)/", -86400000LL},
      {"/Date(0)/", 0LL},
  };
  for (const auto& [text, expected] : cases) {
    auto body = fixture_json("lead-create.json");
    body["OperationCreatedOn"] = text;

    const auto parsed = parse_webhook_notification(body.dump(), {});

    ASSERT_TRUE(parsed.ok()) << text << ": " << parsed.error().describe();
    EXPECT_EQ(parsed->operation_created_ms, expected) << text;
  }
}

TEST(WebhookPayloadTest, AnOperationCreatedOnThatIsNoWcfDateIsRefused) {
  for (const char* text :
       {"2017-09-26T06:24:08Z", "/Date()/", "/Date(12ab)/", "/Date(+5)/",
        "/Date(1506409448000-07)/", "/Date(1506409448000-9900)/", "Date(1506409448000)"}) {
    auto body = fixture_json("lead-create.json");
    body["OperationCreatedOn"] = text;

    const auto parsed = parse_webhook_notification(body.dump(), {});

    ASSERT_FALSE(parsed.ok()) << text;
    EXPECT_THAT(parsed.error().message, HasSubstr("OperationCreatedOn")) << text;
  }
}

TEST(WebhookPayloadTest, TheCorrelationIdComesFromTheHeaderWhenTheBodyHasNone) {
  auto body = fixture_json("lead-create.json");
  body.erase("CorrelationId");
  auto headers = lead_create_headers();
  headers.correlation_id = "from-the-header";

  const auto parsed = parse_webhook_notification(body.dump(), headers);

  ASSERT_TRUE(parsed.ok()) << parsed.error().describe();
  EXPECT_EQ(parsed->correlation_id, "from-the-header");
}

TEST(WebhookPayloadTest, KeyValueCollectionsWrittenAsObjectsParseToo) {
  auto body = fixture_json("lead-create.json");
  body["InputParameters"] = {
      {"Target",
       {{"LogicalName", "lead"}, {"Attributes", {{"firstname", "Ada"}, {"lastname", "L"}}}}}};

  const auto parsed = parse_webhook_notification(body.dump(), {});

  ASSERT_TRUE(parsed.ok()) << parsed.error().describe();
  EXPECT_TRUE(parsed->target_present);
  EXPECT_EQ(parsed->target_attributes.at("firstname"), R"("Ada")");
}

} // namespace
} // namespace leadsync::dataverse
