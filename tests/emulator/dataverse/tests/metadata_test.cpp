// Table definitions served in process: EntityDefinitions(LogicalName='x'), its Attributes and Keys,
// with $select, and the 404s for a missing table or column.

#include "dvemu/record_store.hpp"
#include "dvemu/schema.hpp"
#include "dvemu/web_api.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <leadsync/core/clock.hpp>
#include <leadsync/core/random.hpp>
#include <leadsync/http/message.hpp>
#include <string>

namespace dvemu {
namespace {

namespace http = leadsync::http;
using ::testing::ElementsAre;
using ::testing::UnorderedElementsAre;

constexpr const char* root = "http://127.0.0.1:8765/api/data/v9.2/";

EmulatorOptions test_options() {
  EmulatorOptions options;
  options.organization_url = "http://127.0.0.1:8765";
  options.extra_alternate_keys = {"lead:leadsync_emailkey:emailaddress1"};
  return options;
}

class MetadataTest : public ::testing::Test {
protected:
  MetadataTest()
      : options_(test_options()), schema_(Schema::dataverse(options_)),
        store_(schema_, clock_, random_), api_(schema_, store_, options_, nullptr) {}

  http::Response send(const std::string& method, const std::string& path) {
    http::Request request;
    request.method = method;
    request.url = "/api/data/v9.2/" + path;
    return api_.handle(request, context_);
  }
  http::Response get(const std::string& path) { return send("GET", path); }

  static Json body_of(const http::Response& response) { return Json::parse(response.body); }

  leadsync::ManualClock clock_;
  leadsync::SeededRandom random_{7};
  EmulatorOptions options_;
  Schema schema_;
  RecordStore store_;
  WebApi api_;
  CallContext context_;
};

TEST_F(MetadataTest, EntityDefinitionByLogicalNameNamesItsSetAndPrimaryKey) {
  const auto response = get("EntityDefinitions(LogicalName='lead')");

  ASSERT_EQ(response.status, 200) << response.body;
  const Json body = body_of(response);
  EXPECT_EQ(body["@odata.context"], std::string(root) + "$metadata#EntityDefinitions/$entity");
  EXPECT_EQ(body["LogicalName"], "lead");
  EXPECT_EQ(body["EntitySetName"], "leads");
  EXPECT_EQ(body["PrimaryIdAttribute"], "leadid");
  EXPECT_EQ(body["MetadataId"].get<std::string>().size(), 36U);
}

TEST_F(MetadataTest, MetadataIdIsStableAndDiffersBetweenTables) {
  const Json lead_once = body_of(get("EntityDefinitions(LogicalName='lead')"));
  const Json lead_again = body_of(get("EntityDefinitions(LogicalName='lead')"));
  const Json contact = body_of(get("EntityDefinitions(LogicalName='contact')"));

  EXPECT_EQ(lead_once["MetadataId"], lead_again["MetadataId"]);
  EXPECT_NE(lead_once["MetadataId"], contact["MetadataId"]);
}

TEST_F(MetadataTest, SelectKeepsOnlyTheNamedPropertiesAndTheKey) {
  const auto response = get("EntityDefinitions(LogicalName='lead')?$select=EntitySetName");

  ASSERT_EQ(response.status, 200) << response.body;
  const Json body = body_of(response);
  EXPECT_EQ(body["@odata.context"],
            std::string(root) + "$metadata#EntityDefinitions(EntitySetName)/$entity");
  EXPECT_EQ(body["EntitySetName"], "leads");
  EXPECT_TRUE(body.contains("MetadataId"));
  EXPECT_FALSE(body.contains("LogicalName"));
  EXPECT_FALSE(body.contains("PrimaryIdAttribute"));
}

TEST_F(MetadataTest, SelectOfAnUnknownPropertyIsRefusedAsDataverseDoes) {
  const auto response = get("EntityDefinitions(LogicalName='lead')/Keys?$select=Nope");

  ASSERT_EQ(response.status, 400);
  EXPECT_EQ(body_of(response)["error"]["message"], "Could not find a property named 'Nope' on type "
                                                   "'Microsoft.Dynamics.CRM.EntityKeyMetadata'.");
}

TEST_F(MetadataTest, UnknownTableIs404WithTheMetadataCacheMessage) {
  const auto response = get("EntityDefinitions(LogicalName='nosuchtable')");

  ASSERT_EQ(response.status, 404);
  const Json error = body_of(response)["error"];
  EXPECT_EQ(error["code"], "0x80041102");
  EXPECT_EQ(error["message"], "The entity with a name = 'nosuchtable' with namemapping = "
                              "'Logical' was not found in the MetadataCache.");
}

TEST_F(MetadataTest, AttributeByLogicalNameGivesTypeAndMaxLength) {
  const auto response = get("EntityDefinitions(LogicalName='lead')/Attributes(LogicalName='"
                            "firstname')");

  ASSERT_EQ(response.status, 200) << response.body;
  const Json body = body_of(response);
  EXPECT_EQ(body["LogicalName"], "firstname");
  EXPECT_EQ(body["AttributeType"], "String");
  EXPECT_EQ(body["MaxLength"], 50); // dataverse-notes section 1
  EXPECT_EQ(body["@odata.type"], "#Microsoft.Dynamics.CRM.StringAttributeMetadata");
}

TEST_F(MetadataTest, AttributeSelectLeavesOutTheOtherProperties) {
  const auto response = get("EntityDefinitions(LogicalName='lead')/Attributes(LogicalName='"
                            "leadsync_externalid')?$select=LogicalName");

  ASSERT_EQ(response.status, 200) << response.body;
  const Json body = body_of(response);
  EXPECT_EQ(body["LogicalName"], "leadsync_externalid");
  EXPECT_FALSE(body.contains("AttributeType"));
  EXPECT_FALSE(body.contains("MaxLength"));
}

TEST_F(MetadataTest, MissingAttributeIs404NamingTheTableAndColumn) {
  const auto response = get("EntityDefinitions(LogicalName='lead')/Attributes(LogicalName='"
                            "leadsync_nothere')?$select=LogicalName");

  ASSERT_EQ(response.status, 404);
  const Json error = body_of(response)["error"];
  EXPECT_EQ(error["code"], "0x80041103");
  EXPECT_EQ(error["message"], "'lead' entity doesn't contain attribute with Name = "
                              "'leadsync_nothere' and NameMapping = 'Logical'.");
}

TEST_F(MetadataTest, AttributesCollectionListsEveryColumnOfTheTable) {
  const auto response = get("EntityDefinitions(LogicalName='lead')/Attributes?$select=LogicalName");

  ASSERT_EQ(response.status, 200) << response.body;
  const Json value = body_of(response)["value"];
  ASSERT_EQ(value.size(), schema_.by_logical_name("lead")->columns.size());
  const auto has = [&](const std::string& name) {
    for (const auto& attribute : value) {
      if (attribute["LogicalName"] == name) {
        return true;
      }
    }
    return false;
  };
  EXPECT_TRUE(has("emailaddress1"));
  EXPECT_TRUE(has("leadsync_externalid"));
}

TEST_F(MetadataTest, KeysListTheAlternateKeysWithColumnsAndIndexStatus) {
  const auto response = get("EntityDefinitions(LogicalName='lead')/Keys?$select=SchemaName,"
                            "KeyAttributes,EntityKeyIndexStatus");

  ASSERT_EQ(response.status, 200) << response.body;
  const Json body = body_of(response);
  EXPECT_EQ(body["@odata.context"],
            std::string(root) + "$metadata#EntityDefinitions(LogicalName='lead')/Keys(SchemaName,"
                                "KeyAttributes,EntityKeyIndexStatus)");
  std::vector<std::string> names;
  for (const auto& key : body["value"]) {
    names.push_back(key["SchemaName"]);
    EXPECT_EQ(key["EntityKeyIndexStatus"], "Active");
    EXPECT_FALSE(key.contains("EntityLogicalName"));
    if (key["SchemaName"] == "leadsync_emailkey") {
      EXPECT_THAT(key["KeyAttributes"].get<std::vector<std::string>>(),
                  ElementsAre("emailaddress1"));
    }
  }
  EXPECT_THAT(names, UnorderedElementsAre("leadsync_externalid", "leadsync_emailkey"));
}

TEST_F(MetadataTest, ATableWithoutAlternateKeysHasAnEmptyKeysCollection) {
  const auto response = get("EntityDefinitions(LogicalName='campaign')/Keys");

  ASSERT_EQ(response.status, 200) << response.body;
  EXPECT_TRUE(body_of(response)["value"].empty());
}

TEST_F(MetadataTest, DefinitionsAreReadOnly) {
  const auto response = send("DELETE", "EntityDefinitions(LogicalName='lead')");

  EXPECT_EQ(response.status, 405);
  EXPECT_EQ(response.headers.get("Allow"), "GET");
}

TEST_F(MetadataTest, AKeyOtherThanLogicalNameIsRefused) {
  const auto response = get("EntityDefinitions(Name='lead')");

  EXPECT_EQ(response.status, 400);
}

} // namespace
} // namespace dvemu
