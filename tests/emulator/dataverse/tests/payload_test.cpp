#include "dvemu/payload.hpp"

#include <gtest/gtest.h>
#include <leadsync/core/clock.hpp>
#include <leadsync/core/random.hpp>
#include <string>
#include <vector>

namespace dvemu {
namespace {

class PayloadTest : public ::testing::Test {
protected:
  PayloadTest() : schema(Schema::dataverse(options())) {}

  static EmulatorOptions options() {
    EmulatorOptions options;
    options.extra_alternate_keys = {"account:accountnumber:accountnumber",
                                    "contact:nameandmail:firstname+emailaddress1",
                                    "account:primarycontact:primarycontactid"};
    return options;
  }

  Outcome<Json> write(const EntityDef& entity, const Json& body, WriteKind kind = WriteKind::create,
                      const std::string& id = "") {
    auto txn = store.begin();
    return id.empty() ? to_attributes(entity, schema, body, kind, txn)
                      : to_attributes(entity, schema, body, kind, txn, id);
  }

  Json accepted(const EntityDef& entity, const Json& body, WriteKind kind = WriteKind::create,
                const std::string& id = "") {
    auto outcome = write(entity, body, kind, id);
    if (auto* error = std::get_if<ServiceError>(&outcome)) {
      ADD_FAILURE() << "refused: " << error->status << " " << error->code << " " << error->message;
      return nullptr;
    }
    return std::get<Json>(outcome);
  }

  ServiceError refused(const EntityDef& entity, const Json& body,
                       WriteKind kind = WriteKind::create, const std::string& id = "") {
    auto outcome = write(entity, body, kind, id);
    if (auto* error = std::get_if<ServiceError>(&outcome)) {
      return *error;
    }
    ADD_FAILURE() << "accepted: " << std::get<Json>(outcome).dump();
    return {};
  }

  std::string insert(const EntityDef& entity, Json attributes) {
    auto txn = store.begin();
    std::string id = txn.insert(entity, std::move(attributes)).id;
    txn.commit();
    return id;
  }

  KeyPredicate key(const EntityDef& entity, const std::string& text,
                   KeySource source = KeySource::url) {
    auto outcome = parse_key_predicate(entity, text, source);
    if (auto* error = std::get_if<ServiceError>(&outcome)) {
      ADD_FAILURE() << "key refused: " << error->message;
      return {};
    }
    return std::get<KeyPredicate>(outcome);
  }

  ServiceError key_error(const EntityDef& entity, const std::string& text,
                         KeySource source = KeySource::url) {
    auto outcome = parse_key_predicate(entity, text, source);
    if (auto* error = std::get_if<ServiceError>(&outcome)) {
      return *error;
    }
    ADD_FAILURE() << "key accepted: " << text;
    return {};
  }

  static std::string invalid_key_message(const std::string& type) {
    return "The key in the request URI is not valid for resource '" + type +
           "'. Ensure that the names and number of key properties match the declared or alternate "
           "key properties for the resource '" +
           type + "'.";
  }

  const Schema schema;
  const EntityDef& lead = *schema.by_logical_name("lead");
  const EntityDef& account = *schema.by_logical_name("account");
  const EntityDef& contact = *schema.by_logical_name("contact");
  const EntityDef& opportunity = *schema.by_logical_name("opportunity");
  leadsync::ManualClock clock;
  leadsync::SeededRandom random{3};
  RecordStore store{schema, clock, random};
};

// --- properties and types
// ---------------------------------------------------------------------------

TEST_F(PayloadTest, DeclaredColumnsAreConvertedToStoredAttributes) {
  const Json attributes = accepted(lead, {{"firstname", "Ada"},
                                          {"numberofemployees", 12},
                                          {"revenue", 5000000.5},
                                          {"donotemail", true},
                                          {"leadsourcecode", 8},
                                          {"estimatedclosedate", "2026-12-31"},
                                          {"description", nullptr}});
  EXPECT_EQ(attributes["firstname"], "Ada");
  EXPECT_EQ(attributes["numberofemployees"], 12);
  EXPECT_EQ(attributes["revenue"], 5000000.5);
  EXPECT_EQ(attributes["donotemail"], true);
  EXPECT_EQ(attributes["leadsourcecode"], 8);
  EXPECT_EQ(attributes["estimatedclosedate"], "2026-12-31");
  EXPECT_TRUE(attributes["description"].is_null());
}

TEST_F(PayloadTest, UndeclaredPropertyIsRefusedAsDataverseRefusesIt) {
  const ServiceError error = refused(lead, {{"FirstName", "Ada"}});
  EXPECT_EQ(error.status, 400);
  EXPECT_EQ(error.code, "0x0");
  EXPECT_EQ(error.message,
            "An error occurred while validating input parameters: Microsoft.Crm.CrmException: "
            "Invalid property 'FirstName' was found in entity 'Microsoft.Dynamics.CRM.lead'. ---> "
            "Microsoft.OData.ODataException: Does not support untyped value in non-open type.");
}

TEST_F(PayloadTest, BodyThatIsNotAnObjectIsRefused) {
  const ServiceError error = refused(lead, Json::array({1, 2}));
  EXPECT_EQ(error.status, 400);
  EXPECT_NE(error.message.find("JSON object"), std::string::npos);
}

TEST_F(PayloadTest, TextLongerThanItsMaximumLengthIsAValidationError) {
  EXPECT_TRUE(accepted(lead, {{"firstname", std::string(50, 'a')}}).is_object());
  const ServiceError error = refused(lead, {{"firstname", std::string(51, 'a')}});
  EXPECT_EQ(error.status, 400);
  EXPECT_EQ(error.code, "0x80044331");
  EXPECT_EQ(error.message,
            "A validation error occurred. The length of the 'firstname' attribute of "
            "the 'lead' entity exceeded the maximum allowed length of '50'.");
}

TEST_F(PayloadTest, LengthCountsCharactersNotBytes) {
  std::string accented;
  std::string emoji;
  for (int i = 0; i < 20; ++i) {
    accented += "é";
    emoji += "😀";
  }
  EXPECT_TRUE(accepted(lead, {{"mobilephone", accented}}).is_object());
  EXPECT_TRUE(accepted(lead, {{"mobilephone", emoji}}).is_object());
  EXPECT_EQ(refused(lead, {{"mobilephone", accented + "é"}}).code, "0x80044331");
}

TEST_F(PayloadTest, NumbersOutsideTheColumnRangeAreValidationErrors) {
  const ServiceError employees = refused(lead, {{"numberofemployees", 1000001}});
  EXPECT_EQ(employees.status, 400);
  EXPECT_EQ(employees.code, "0x80044331");
  EXPECT_EQ(employees.message,
            "A validation error occurred. The value 1000001 of 'numberofemployees' on record of "
            "type 'lead' is outside the valid range. Accepted Range: 0 to 1000000");
  const ServiceError revenue = refused(lead, {{"revenue", 1e15}});
  EXPECT_EQ(revenue.code, "0x80044331");
  EXPECT_NE(revenue.message.find("of 'revenue' on record of type 'lead' is outside the valid "
                                 "range. Accepted Range: 0 to 100000000000000"),
            std::string::npos);
  EXPECT_EQ(refused(lead, {{"address1_latitude", -90.5}}).code, "0x80044331");
  EXPECT_EQ(refused(lead, {{"leadsync_totalscore", 100.01}}).code, "0x80044331");
  EXPECT_TRUE(
      accepted(lead, {{"leadsync_totalscore", 100}, {"address1_latitude", -90}}).is_object());
}

TEST_F(PayloadTest, WrongJsonTypeGetsTheODataConversionMessage) {
  const ServiceError integer = refused(lead, {{"numberofemployees", "abc"}});
  EXPECT_EQ(integer.status, 400);
  EXPECT_EQ(integer.message, "Cannot convert the literal 'abc' to the expected type 'Edm.Int32'.");
  EXPECT_EQ(refused(lead, {{"numberofemployees", 5.5}}).message,
            "Cannot convert the literal '5.5' to the expected type 'Edm.Int32'.");
  EXPECT_EQ(refused(lead, {{"numberofemployees", 3000000000LL}}).message,
            "Cannot convert the literal '3000000000' to the expected type 'Edm.Int32'.");
  EXPECT_EQ(refused(lead, {{"donotemail", "true"}}).message,
            "Cannot convert the literal 'true' to the expected type 'Edm.Boolean'.");
  EXPECT_EQ(refused(lead, {{"firstname", 5}}).message,
            "Cannot convert the literal '5' to the expected type 'Edm.String'.");
  EXPECT_EQ(refused(lead, {{"revenue", "10"}}).message,
            "Cannot convert the literal '10' to the expected type 'Edm.Decimal'.");
  EXPECT_EQ(refused(lead, {{"leadid", "not-a-guid"}}).message,
            "Cannot convert the literal 'not-a-guid' to the expected type 'Edm.Guid'.");
}

TEST_F(PayloadTest, DateTimesAreStoredAsUtcSeconds) {
  EXPECT_EQ(accepted(lead, {{"leadsync_enrichedon",
                             "2026-11-22T21:30:15.250+01:00"}})["leadsync_enrichedon"],
            "2026-11-22T20:30:15Z");
  EXPECT_EQ(accepted(lead, {{"leadsync_enrichedon", "2026-11-22T20:30Z"}})["leadsync_enrichedon"],
            "2026-11-22T20:30:00Z");
  for (const char* bad :
       {"2026-13-01T00:00:00Z", "2026-11-22", "2026-11-22T20:00:00", "22/11/2026 20:00"}) {
    EXPECT_EQ(refused(lead, {{"leadsync_enrichedon", bad}}).message,
              std::string("Cannot convert the literal '") + bad +
                  "' to the expected type 'Edm.DateTimeOffset'.");
  }
  const ServiceError too_early = refused(lead, {{"leadsync_enrichedon", "1700-01-01T00:00:00Z"}});
  EXPECT_EQ(too_early.code, "0x80044331");
  EXPECT_NE(too_early.message.find("outside the valid range"), std::string::npos);
}

TEST_F(PayloadTest, DateOnlyColumnsTakeCalendarDates) {
  EXPECT_EQ(accepted(lead, {{"leadsync_listacquiredon", "2024-02-29"}})["leadsync_listacquiredon"],
            "2024-02-29");
  EXPECT_EQ(refused(lead, {{"leadsync_listacquiredon", "2026-02-29"}}).message,
            "Cannot convert the literal '2026-02-29' to the expected type 'Edm.Date'.");
  EXPECT_EQ(refused(lead, {{"estimatedclosedate", "2026-12-31T00:00:00Z"}}).message,
            "Cannot convert the literal '2026-12-31T00:00:00Z' to the expected type 'Edm.Date'.");
}

TEST_F(PayloadTest, ChoiceValueMustBeOneOfTheOptions) {
  const ServiceError error = refused(lead, {{"leadsourcecode", 11}});
  EXPECT_EQ(error.status, 400);
  EXPECT_EQ(error.code, "0x8004431A");
  EXPECT_EQ(error.message, "A validation error occurred. The value 11 of 'leadsourcecode' on "
                           "record of type 'lead' is outside the valid range. Accepted Values: "
                           "1,2,3,4,5,6,7,8,9,10");
  EXPECT_EQ(refused(lead, {{"purchasetimeframe", "1"}}).message,
            "Cannot convert the literal '1' to the expected type 'Edm.Int32'.");
}

TEST_F(PayloadTest, ReadOnlyColumnsAreRefusedAndCreateOnlyColumnsRefusedOnUpdate) {
  const ServiceError fullname = refused(lead, {{"fullname", "Ada Lovelace"}});
  EXPECT_EQ(fullname.status, 400);
  EXPECT_EQ(fullname.code, "0x80044331");
  EXPECT_NE(fullname.message.find("'fullname' attribute of the 'lead' entity is not valid for "
                                  "create"),
            std::string::npos);
  EXPECT_NE(fullname.message.find("Leave it out of the request body"), std::string::npos);
  EXPECT_NE(refused(lead, {{"createdon", "2026-01-01T00:00:00Z"}}, WriteKind::update)
                .message.find("not valid for update"),
            std::string::npos);
  const std::string lead_id = insert(lead, {{"lastname", "Origin"}});
  const Json bind = {{"originatingleadid@odata.bind", "/leads(" + lead_id + ")"}};
  EXPECT_EQ(accepted(opportunity, bind)["originatingleadid"]["id"], lead_id);
  const ServiceError on_update = refused(opportunity, bind, WriteKind::update);
  EXPECT_NE(on_update.message.find("can only be set when the record is created"),
            std::string::npos);
}

TEST_F(PayloadTest, RequiredLevelsAreNotEnforcedOnApiWrites) {
  EXPECT_TRUE(accepted(lead, Json::object()).is_object());
  EXPECT_TRUE(accepted(account, {{"telephone1", "555"}}).is_object());
}

TEST_F(PayloadTest, PrimaryKeyInAnUpdateBodyIsPassedThroughLowerCase) {
  const Json attributes =
      accepted(lead, {{"leadid", "AAAAAAAA-0000-4000-8000-000000000001"}, {"subject", "x"}},
               WriteKind::update);
  EXPECT_EQ(attributes["leadid"], "aaaaaaaa-0000-4000-8000-000000000001");
}

// --- annotations
// ----------------------------------------------------------------------------------

TEST_F(PayloadTest, InstanceAndPropertyAnnotationsAreNotData) {
  const Json attributes =
      accepted(lead, {{"@odata.etag", "W/\"1\""},
                      {"@odata.id", "leads(leadsync_externalid='x')"},
                      {"@odata.type", "Microsoft.Dynamics.CRM.lead"},
                      {"firstname", "Ada"},
                      {"firstname@OData.Community.Display.V1.FormattedValue", "A"}});
  EXPECT_EQ(attributes, (Json{{"firstname", "Ada"}}));
  EXPECT_TRUE(accepted(lead, {{"@odata.type", "#Microsoft.Dynamics.CRM.lead"}}).is_object());
}

TEST_F(PayloadTest, ODataTypeOfAnotherTableIsRefused) {
  const ServiceError error = refused(lead, {{"@odata.type", "Microsoft.Dynamics.CRM.account"}});
  EXPECT_EQ(error.status, 400);
  EXPECT_EQ(error.message,
            "A resource with type 'Microsoft.Dynamics.CRM.account' was found, but it is not "
            "assignable to the expected type 'Microsoft.Dynamics.CRM.lead'. The type specified in "
            "the resource must be equal to either the expected type or a derived type.");
}

TEST_F(PayloadTest, BindOnAnUndeclaredNavigationPropertyIsRefused) {
  const ServiceError error = refused(
      contact, {{"parentcustomerid@odata.bind", "accounts(a779956b-d748-ed11-bb44-6045bd01152a)"}});
  EXPECT_EQ(error.status, 400);
  EXPECT_EQ(error.code, "0x80048d19");
  EXPECT_EQ(error.message,
            "Error identified in Payload provided by the user for Entity :'contacts'  ---->  "
            "InnerException : Microsoft.OData.ODataException: An undeclared property "
            "'parentcustomerid' which only has property annotations in the payload but no property "
            "value was found in the payload. In OData, only declared navigation properties and "
            "declared named streams can be represented as properties without values.");
  EXPECT_EQ(refused(lead, {{"nosuch@OData.Community.Display.V1.FormattedValue", "x"}}).code,
            "0x80048d19");
}

TEST_F(PayloadTest, LookupWrittenAsAPlainValueIsRefused) {
  const std::string guid = "a779956b-d748-ed11-bb44-6045bd01152a";
  for (const char* property : {"parentaccountid", "_parentaccountid_value"}) {
    const ServiceError error = refused(lead, {{property, guid}});
    EXPECT_EQ(error.status, 400) << property;
    EXPECT_EQ(error.code, "0x80060888") << property;
    EXPECT_NE(error.message.find("CRM do not support direct update of Entity Reference properties, "
                                 "Use Navigation properties instead."),
              std::string::npos);
  }
  EXPECT_EQ(refused(lead, {{"parentaccountid", {{"name", "Deep"}}}}).status, 501);
}

// --- @odata.bind
// -----------------------------------------------------------------------------------

TEST_F(PayloadTest, BindAcceptsRelativeAbsoluteAndAlternateKeyUrls) {
  const std::string account_id = insert(account, {{"name", "Contoso"}, {"accountnumber", "A1"}});
  const Json expected = {{"id", account_id}, {"entity", "account"}};
  for (const std::string& url : std::vector<std::string>{
           "/accounts(" + account_id + ")", "accounts(" + account_id + ")",
           "https://contoso.crm.dynamics.com/api/data/v9.2/accounts(" + account_id + ")",
           "/api/data/v9.2/accounts(" + account_id + ")", "/accounts(accountid=" + account_id + ")",
           "/accounts(accountnumber='A1')", "/accounts(accountnumber='a1')"}) {
    EXPECT_EQ(accepted(lead, {{"parentaccountid@odata.bind", url}})["parentaccountid"], expected)
        << url;
  }
}

TEST_F(PayloadTest, PolymorphicBindStoresTheTargetTable) {
  const std::string contact_id = insert(contact, {{"lastname", "Customer"}});
  const Json attributes =
      accepted(lead, {{"customerid_contact@odata.bind", "/contacts(" + contact_id + ")"}});
  EXPECT_EQ(attributes["customerid"], (Json{{"id", contact_id}, {"entity", "contact"}}));
}

TEST_F(PayloadTest, BindToAMissingRecordIsNotFound) {
  const std::string missing = "0b0b0b0b-0000-4000-8000-000000000000";
  const ServiceError by_id =
      refused(lead, {{"parentaccountid@odata.bind", "/accounts(" + missing + ")"}});
  EXPECT_EQ(by_id.status, 404);
  EXPECT_EQ(by_id.code, "0x80040217");
  EXPECT_EQ(by_id.message, "account With Id = " + missing + " Does Not Exist");
  const ServiceError by_key =
      refused(lead, {{"parentaccountid@odata.bind", "/accounts(accountnumber='nope')"}});
  EXPECT_EQ(by_key.status, 404);
  EXPECT_EQ(by_key.code, "0x80060891");
  EXPECT_EQ(by_key.message,
            "A record with the specified key values does not exist in account entity");
}

TEST_F(PayloadTest, BindToAnotherOrUnknownEntitySetIsRefused) {
  const std::string contact_id = insert(contact, {{"lastname", "Wrong"}});
  const ServiceError wrong =
      refused(lead, {{"parentaccountid@odata.bind", "/contacts(" + contact_id + ")"}});
  EXPECT_EQ(wrong.status, 400);
  EXPECT_NE(wrong.message.find("refers to accounts, not to contacts"), std::string::npos);
  const ServiceError unknown =
      refused(lead, {{"parentaccountid@odata.bind", "/Accounts(" + contact_id + ")"}});
  EXPECT_EQ(unknown.code, "0x8006088a");
  EXPECT_EQ(unknown.message, "Resource not found for the segment 'Accounts'.");
  EXPECT_EQ(refused(lead, {{"parentaccountid@odata.bind", "accounts"}}).status, 400);
  EXPECT_EQ(refused(lead, {{"parentaccountid@odata.bind", ""}}).status, 400);
  EXPECT_EQ(refused(lead, {{"parentaccountid@odata.bind", 42}}).status, 400);
}

TEST_F(PayloadTest, BindToNullClearsTheLookup) {
  const Json attributes =
      accepted(lead, {{"parentaccountid@odata.bind", nullptr}}, WriteKind::update);
  ASSERT_TRUE(attributes.contains("parentaccountid"));
  EXPECT_TRUE(attributes["parentaccountid"].is_null());
}

TEST_F(PayloadTest, BindToAReadOnlyLookupIsRefused) {
  const std::string account_id = insert(account, {{"name", "Contoso"}});
  EXPECT_NE(refused(lead, {{"accountid@odata.bind", "/accounts(" + account_id + ")"}})
                .message.find("'accountid' attribute of the 'lead' entity is not valid for create"),
            std::string::npos);
}

// --- statecode / statuscode
// -------------------------------------------------------------------------

TEST_F(PayloadTest, CreateStartsOpenAndRefusesAClosedState) {
  const ServiceError closed = refused(lead, {{"statecode", 1}, {"statuscode", 3}});
  EXPECT_EQ(closed.status, 400);
  EXPECT_EQ(closed.code, "0x80048408");
  EXPECT_NE(closed.message.find("cannot be created in state LeadState.Qualified"),
            std::string::npos);
  const ServiceError status = refused(lead, {{"statuscode", 4}});
  EXPECT_EQ(status.code, "0x80048408");
  EXPECT_EQ(status.message, "4 is not a valid status code for state code LeadState.Open on lead.");
  EXPECT_EQ(accepted(lead, {{"statuscode", 2}})["statuscode"], 2);
  EXPECT_EQ(accepted(lead, {{"statecode", 0}})["statuscode"], 1);
}

TEST_F(PayloadTest, UpdateWithAStateAloneGetsThatStatesDefaultStatus) {
  const std::string id = insert(lead, {{"lastname", "Open"}});
  EXPECT_EQ(accepted(lead, {{"statecode", 2}}, WriteKind::update, id)["statuscode"], 4);
  EXPECT_EQ(accepted(lead, {{"statecode", 1}}, WriteKind::update, id)["statuscode"], 3);
}

TEST_F(PayloadTest, UpdateWithAMismatchedPairNamesTheRow) {
  const std::string id = insert(lead, {{"lastname", "Open"}});
  const ServiceError error =
      refused(lead, {{"statecode", 2}, {"statuscode", 1}}, WriteKind::update, id);
  EXPECT_EQ(error.status, 400);
  EXPECT_EQ(error.code, "0x80048408");
  EXPECT_EQ(error.message, "1 is not a valid status code for state code LeadState.Disqualified on "
                           "lead with Id " +
                               id + ".");
  for (int status : {4, 5, 6, 7}) {
    EXPECT_TRUE(accepted(lead, {{"statecode", 2}, {"statuscode", status}}, WriteKind::update, id)
                    .is_object())
        << status;
  }
  EXPECT_EQ(refused(lead, {{"statecode", 2}, {"statuscode", 99}}, WriteKind::update, id).code,
            "0x80048408");
  EXPECT_EQ(refused(lead, {{"statecode", 5}}, WriteKind::update, id).code, "0x8004431A");
}

TEST_F(PayloadTest, UpdateWithAStatusAloneIsCheckedAgainstTheCurrentState) {
  const std::string id = insert(lead, {{"lastname", "Open"}});
  EXPECT_EQ(accepted(lead, {{"statuscode", 2}}, WriteKind::update, id)["statuscode"], 2);
  EXPECT_EQ(refused(lead, {{"statuscode", 4}}, WriteKind::update, id).message,
            "4 is not a valid status code for state code LeadState.Open on lead with Id " + id +
                ".");
  const std::string lost = insert(lead, {{"statecode", 2}});
  EXPECT_TRUE(accepted(lead, {{"statuscode", 6}}, WriteKind::update, lost).is_object());
  EXPECT_NE(refused(lead, {{"statuscode", 1}}, WriteKind::update, lost)
                .message.find("LeadState.Disqualified"),
            std::string::npos);
}

TEST_F(PayloadTest, NullStateOrStatusIsRefused) {
  EXPECT_EQ(refused(lead, {{"statecode", nullptr}}, WriteKind::update).status, 400);
  EXPECT_EQ(refused(lead, {{"statuscode", nullptr}}, WriteKind::update).status, 400);
}

// --- uniqueness
// ------------------------------------------------------------------------------------

TEST_F(PayloadTest, CreateWithAnAlternateKeyValueInUseIsAPreconditionFailure) {
  insert(lead, {{"leadsync_externalid", "EXT-1"}});
  const ServiceError error = refused(lead, {{"leadsync_externalid", "ext-1"}});
  EXPECT_EQ(error.status, 412);
  EXPECT_EQ(error.code, "0x80060892");
  EXPECT_EQ(error.message, "Entity Key leadsync_externalid violated. A record with the same value "
                           "for leadsync_externalid already exists. A duplicate record cannot be "
                           "created. Select one or more unique values and try again.");
  EXPECT_TRUE(accepted(lead, {{"leadsync_externalid", "EXT-2"}}).is_object());
}

TEST_F(PayloadTest, CreateWithAnIdInUseIsAPreconditionFailure) {
  const std::string id = insert(lead, {{"lastname", "Taken"}});
  const ServiceError error = refused(lead, {{"leadid", id}});
  EXPECT_EQ(error.status, 412);
  EXPECT_EQ(error.code, "0x80040237");
}

TEST_F(PayloadTest, UpdateTakingAnotherRowsKeyValueIsAPreconditionFailure) {
  insert(lead, {{"leadsync_externalid", "A"}});
  const std::string b = insert(lead, {{"leadsync_externalid", "B"}});
  EXPECT_EQ(refused(lead, {{"leadsync_externalid", "A"}}, WriteKind::update, b).code, "0x80060892");
  EXPECT_TRUE(accepted(lead, {{"leadsync_externalid", "b"}}, WriteKind::update, b).is_object());
}

// --- key predicates
// --------------------------------------------------------------------------------

TEST_F(PayloadTest, KeyPredicateAcceptsTheGuidWithOrWithoutItsName) {
  const std::string guid = "7D3A5B2C-1111-4222-8333-944455566677";
  for (const std::string& text :
       std::vector<std::string>{"(" + guid + ")", "(leadid=" + guid + ")", guid}) {
    const KeyPredicate parsed = key(lead, text);
    EXPECT_TRUE(parsed.primary) << text;
    EXPECT_EQ(parsed.id, "7d3a5b2c-1111-4222-8333-944455566677") << text;
  }
}

TEST_F(PayloadTest, KeyPredicateReadsQuotedStringsWithDoubledQuotes) {
  const KeyPredicate parsed = key(lead, "(leadsync_externalid='O''Brien, Ltd')");
  EXPECT_FALSE(parsed.primary);
  ASSERT_EQ(parsed.alternate.size(), 1u);
  EXPECT_EQ(parsed.alternate[0].first, "leadsync_externalid");
  EXPECT_EQ(parsed.alternate[0].second, "O'Brien, Ltd");
  EXPECT_EQ(key(lead, "(leadsync_externalid='')").alternate[0].second, "");
}

TEST_F(PayloadTest, KeyPredicateReadsMultiColumnAndLookupKeys) {
  const KeyPredicate pair = key(contact, "(firstname='Joe',emailaddress1='abc@example.com')");
  ASSERT_EQ(pair.alternate.size(), 2u);
  EXPECT_EQ(pair.alternate[0], (std::pair<std::string, Json>{"firstname", "Joe"}));
  EXPECT_EQ(pair.alternate[1], (std::pair<std::string, Json>{"emailaddress1", "abc@example.com"}));
  EXPECT_EQ(key(contact, "(emailaddress1='abc@example.com', firstname='Joe')").alternate.size(),
            2u);
  const KeyPredicate lookup =
      key(account, "(_primarycontactid_value=0A1B2C3D-0000-4000-8000-00000000ABCD)");
  ASSERT_EQ(lookup.alternate.size(), 1u);
  EXPECT_EQ(lookup.alternate[0].first, "primarycontactid");
  EXPECT_EQ(lookup.alternate[0].second["id"], "0a1b2c3d-0000-4000-8000-00000000abcd");
}

TEST_F(PayloadTest, KeyPredicateThatIsNotADefinedKeyIsRefused) {
  const std::string message = invalid_key_message("Microsoft.Dynamics.CRM.lead");
  for (const char* text :
       {"(lastname='Smith')", "(leadsync_externalid='a',lastname='b')", "(not-a-guid)", "()",
        "(leadsync_externalid='open)", "(leadsync_externalid='a',leadsync_externalid='a')"}) {
    const ServiceError error = key_error(lead, text);
    EXPECT_EQ(error.status, 400) << text;
    EXPECT_EQ(error.message, message) << text;
  }
  EXPECT_EQ(key_error(contact, "(firstname='Joe')").message,
            invalid_key_message("Microsoft.Dynamics.CRM.contact"));
  EXPECT_EQ(key_error(account, "(primarycontactid=0a1b2c3d-0000-4000-8000-00000000abcd)").message,
            invalid_key_message("Microsoft.Dynamics.CRM.account"));
  EXPECT_EQ(key_error(lead, "(leadsync_externalid=42)").message,
            "Cannot convert the literal '42' to the expected type 'Edm.String'.");
}

TEST_F(PayloadTest, KeyValuesWithCharactersDataverseCannotTakeInAUrlAreRefused) {
  for (const char* value :
       {"a/b", "a<b", "a>b", "a*b", "a%b", "a&b", "a:b", "a\\b", "a?b", "a+b"}) {
    const ServiceError error =
        key_error(lead, std::string("(leadsync_externalid='") + value + "')");
    EXPECT_EQ(error.status, 400) << value;
    EXPECT_NE(error.message.find("a character Dataverse cannot take in an alternate key in a URL"),
              std::string::npos)
        << value;
    EXPECT_EQ(key(lead, std::string("(leadsync_externalid='") + value + "')", KeySource::body)
                  .alternate[0]
                  .second,
              value);
  }
}

// --- rows out
// --------------------------------------------------------------------------------------

TEST_F(PayloadTest, RowOutHasEtagPrimaryKeyEveryReadableColumnAndLookupValues) {
  const std::string account_id = insert(account, {{"name", "Contoso"}});
  auto txn = store.begin();
  const StoredRecord& row =
      txn.insert(lead, {{"firstname", "Ada"},
                        {"revenue", 5000000},
                        {"parentaccountid", {{"id", account_id}, {"entity", "account"}}}});
  const Json out = to_odata(lead, row, {});
  EXPECT_EQ(out["@odata.etag"], "W/\"" + std::to_string(row.version) + "\"");
  EXPECT_EQ(out["leadid"], row.id);
  EXPECT_EQ(out["firstname"], "Ada");
  EXPECT_TRUE(out["revenue"].is_number());
  EXPECT_EQ(out["revenue"], 5000000);
  EXPECT_EQ(out["_parentaccountid_value"], account_id);
  EXPECT_FALSE(out.contains("parentaccountid"));
  EXPECT_TRUE(out.contains("lastname"));
  EXPECT_TRUE(out["lastname"].is_null());
  EXPECT_TRUE(out["_campaignid_value"].is_null());
  EXPECT_EQ(out["statecode"], 0);
  std::size_t readable = 0;
  for (const auto& [name, column] : lead.columns) {
    readable += column.valid_for_read ? 1 : 0;
  }
  EXPECT_EQ(out.size(), readable + 1); // + @odata.etag
}

TEST_F(PayloadTest, RowOutWithSelectHasOnlyTheSelectedColumnsAndTheKey) {
  auto txn = store.begin();
  const StoredRecord& row = txn.insert(lead, {{"firstname", "Ada"}, {"lastname", "Lovelace"}});
  const Json out = to_odata(lead, row, {"firstname", "jobtitle", "_parentaccountid_value"});
  EXPECT_EQ(out, (Json{{"@odata.etag", "W/\"" + std::to_string(row.version) + "\""},
                       {"leadid", row.id},
                       {"firstname", "Ada"},
                       {"jobtitle", nullptr},
                       {"_parentaccountid_value", nullptr}}));
}

TEST_F(PayloadTest, RowOutNeverShowsUnreadableColumns) {
  const EntityDef& endpoint = *schema.by_logical_name("serviceendpoint");
  auto txn = store.begin();
  const StoredRecord& row = txn.insert(endpoint, {{"name", "hook"}, {"authvalue", "secret"}});
  EXPECT_FALSE(to_odata(endpoint, row, {}).contains("authvalue"));
  EXPECT_FALSE(to_odata(endpoint, row, {"authvalue"}).contains("authvalue"));
  EXPECT_EQ(to_odata(endpoint, row, {})["name"], "hook");
}

} // namespace
} // namespace dvemu
