// DataverseClient::table_columns over the recording fake transport: the three requests it sends
// (the Attributes collection, then the String and Memo casts for MaxLength) and how it reads them.

#include "client_fixture.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace leadsync::dataverse {
namespace {

using ::testing::HasSubstr;

class TableColumnsTest : public ClientFixture {
protected:
  static std::string attributes_url() {
    return kRoot + "EntityDefinitions(LogicalName='lead')/Attributes";
  }

  const ColumnDefinition* find(const std::vector<ColumnDefinition>& columns,
                               const std::string& name) {
    for (const auto& column : columns) {
      if (column.logical_name == name) {
        return &column;
      }
    }
    ADD_FAILURE() << "no column " << name;
    return nullptr;
  }
};

TEST_F(TableColumnsTest, ReadsEveryTypeThenTheStringAndMemoLengthsThroughTheirCasts) {
  transport_
      ->then_json(200, R"({"value":[)"
                       R"({"LogicalName":"firstname","AttributeType":"String"},)"
                       R"({"LogicalName":"description","AttributeType":"Memo"},)"
                       R"({"LogicalName":"revenue","AttributeType":"Money"}]})")
      .then_json(200, R"({"value":[{"LogicalName":"firstname","MaxLength":50}]})")
      .then_json(200, R"({"value":[{"LogicalName":"description","MaxLength":2000}]})");

  const auto columns = client_->table_columns("lead");

  ASSERT_TRUE(columns.ok()) << columns.error().describe();
  ASSERT_EQ(columns->size(), 3U);
  const auto* first_name = find(*columns, "firstname");
  const auto* description = find(*columns, "description");
  const auto* revenue = find(*columns, "revenue");
  ASSERT_TRUE(first_name && description && revenue);
  EXPECT_EQ(first_name->attribute_type, "String");
  EXPECT_EQ(first_name->max_length, 50);
  EXPECT_EQ(description->attribute_type, "Memo");
  EXPECT_EQ(description->max_length, 2000);
  EXPECT_EQ(revenue->attribute_type, "Money");
  EXPECT_FALSE(revenue->max_length.has_value());

  ASSERT_EQ(transport_->call_count(), 3U);
  EXPECT_EQ(wire(0), "GET " + attributes_url() + "?$select=LogicalName,AttributeType\n" +
                         odata_headers() + "If-None-Match: null\n" + pipeline_headers());
  EXPECT_EQ(call(1).request.url, attributes_url() +
                                     "/Microsoft.Dynamics.CRM.StringAttributeMetadata"
                                     "?$select=LogicalName,MaxLength");
  EXPECT_EQ(call(2).request.url, attributes_url() + "/Microsoft.Dynamics.CRM.MemoAttributeMetadata"
                                                    "?$select=LogicalName,MaxLength");
}

TEST_F(TableColumnsTest, AStringColumnWithoutMaxLengthHasNoLimit) {
  transport_
      ->then_json(200, R"({"value":[{"LogicalName":"leadsync_note","AttributeType":"String"}]})")
      .then_json(200, R"({"value":[{"LogicalName":"leadsync_note","MaxLength":null}]})")
      .then_json(200, R"({"value":[]})");

  const auto columns = client_->table_columns("lead");

  ASSERT_TRUE(columns.ok()) << columns.error().describe();
  ASSERT_EQ(columns->size(), 1U);
  EXPECT_FALSE(columns->front().max_length.has_value());
}

TEST_F(TableColumnsTest, AnUnknownTableIsNotFound) {
  transport_->then_json(404, R"({"error":{"code":"0x80041102","message":"The entity with a name )"
                             R"(= 'nosuch' with namemapping = 'Logical' was not found in the )"
                             R"(MetadataCache."}})");

  const auto columns = client_->table_columns("nosuch");

  ASSERT_FALSE(columns.ok());
  EXPECT_EQ(columns.error().category, ErrorCategory::not_found);
  EXPECT_THAT(columns.error().message, HasSubstr("MetadataCache"));
  EXPECT_EQ(transport_->call_count(), 1U);
}

TEST_F(TableColumnsTest, AFailedCastRequestFailsTheWholeRead) {
  transport_->then_json(200, R"({"value":[{"LogicalName":"firstname","AttributeType":"String"}]})")
      .then_json(403, R"({"error":{"code":"0x80040220","message":"no privilege"}})");

  const auto columns = client_->table_columns("lead");

  ASSERT_FALSE(columns.ok());
  EXPECT_EQ(columns.error().category, ErrorCategory::forbidden);
}

TEST_F(TableColumnsTest, AnAttributeWithoutItsTypeIsAProtocolError) {
  transport_->then_json(200, R"({"value":[{"LogicalName":"firstname"}]})");

  const auto columns = client_->table_columns("lead");

  ASSERT_FALSE(columns.ok());
  EXPECT_EQ(columns.error().category, ErrorCategory::protocol);
  EXPECT_THAT(columns.error().message, HasSubstr("AttributeType"));
}

TEST_F(TableColumnsTest, ATableNameThatWouldChangeTheUrlIsRefusedBeforeSending) {
  const auto columns = client_->table_columns("lead')/Keys?x=(");

  ASSERT_FALSE(columns.ok());
  EXPECT_EQ(columns.error().category, ErrorCategory::invalid_argument);
  EXPECT_EQ(transport_->call_count(), 0U);
}

} // namespace
} // namespace leadsync::dataverse
