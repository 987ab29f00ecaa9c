// Column definitions end to end against the emulator in process: its Attributes routes with a
// derived-type cast, DataverseClient::table_columns over them, and sync::CrmMetadata comparing the
// shipped mapping with the emulator's lead table (what `leadsync check` does).

#include "leadsync/dataverse/connect.hpp"
#include "leadsync/mapping/lead_mapping.hpp"
#include "leadsync/mapping/metadata.hpp"
#include "leadsync/sync/crm_metadata.hpp"
#include "leadsync_test_paths.hpp"
#include "support/url_logging_transport.hpp"

#include <atomic>
#include <cstdlib>
#include <dvemu/emulator.hpp>
#include <dvemu/record_store.hpp>
#include <dvemu/schema.hpp>
#include <dvemu/web_api.hpp>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace leadsync::dataverse {
namespace {

using ::testing::HasSubstr;

constexpr const char* test_token = "table-definitions-token";

// The emulator's Web API called in process, without a listener.
class EmulatorDefinitionsTest : public ::testing::Test {
protected:
  EmulatorDefinitionsTest()
      : schema_(dvemu::Schema::dataverse(options_)), store_(schema_, clock_, random_),
        api_(schema_, store_, options_, nullptr) {}

  http::Response get(const std::string& path) {
    http::Request request;
    request.method = "GET";
    request.url = "/api/data/v9.2/" + path;
    return api_.handle(request, context_);
  }

  ManualClock clock_;
  SeededRandom random_{11};
  dvemu::EmulatorOptions options_;
  dvemu::Schema schema_;
  dvemu::RecordStore store_;
  dvemu::WebApi api_;
  dvemu::CallContext context_;
};

TEST_F(EmulatorDefinitionsTest, ACastKeepsOnlyTheColumnsOfThatTypeWithTheirMaxLength) {
  const auto response = get("EntityDefinitions(LogicalName='lead')/Attributes/"
                            "Microsoft.Dynamics.CRM.MemoAttributeMetadata"
                            "?$select=LogicalName,MaxLength");

  ASSERT_EQ(response.status, 200) << response.body;
  const Json value = Json::parse(response.body)["value"];
  ASSERT_FALSE(value.empty());
  bool saw_description = false;
  for (const auto& attribute : value) {
    const std::string name = attribute["LogicalName"];
    const auto* column = schema_.by_logical_name("lead")->column(name);
    ASSERT_NE(column, nullptr) << name;
    EXPECT_EQ(column->type, dvemu::ColumnType::memo) << name;
    EXPECT_EQ(attribute["MaxLength"], column->max_length) << name;
    saw_description = saw_description || name == "description";
  }
  EXPECT_TRUE(saw_description);
}

TEST_F(EmulatorDefinitionsTest, MaxLengthIsNotAPropertyOfTheBaseTypeAsInDataverse) {
  const auto response =
      get("EntityDefinitions(LogicalName='lead')/Attributes?$select=LogicalName,MaxLength");

  ASSERT_EQ(response.status, 400);
  EXPECT_EQ(Json::parse(response.body)["error"]["message"],
            "Could not find a property named 'MaxLength' on type "
            "'Microsoft.Dynamics.CRM.AttributeMetadata'.");
}

TEST_F(EmulatorDefinitionsTest, OneAttributeCastToItsOwnTypeOrAnother) {
  const auto string_column = get("EntityDefinitions(LogicalName='lead')/Attributes(LogicalName="
                                 "'firstname')/Microsoft.Dynamics.CRM.StringAttributeMetadata"
                                 "?$select=MaxLength");
  const auto wrong_cast = get("EntityDefinitions(LogicalName='lead')/Attributes(LogicalName="
                              "'firstname')/Microsoft.Dynamics.CRM.MoneyAttributeMetadata");

  ASSERT_EQ(string_column.status, 200) << string_column.body;
  EXPECT_EQ(Json::parse(string_column.body)["MaxLength"], 50);
  EXPECT_EQ(wrong_cast.status, 404);
}

TEST_F(EmulatorDefinitionsTest, ACastToATypeThatIsNoAttributeTypeIsNotFound) {
  const auto response = get("EntityDefinitions(LogicalName='lead')/Attributes/"
                            "Microsoft.Dynamics.CRM.EntityKeyMetadata");

  EXPECT_EQ(response.status, 404);
  EXPECT_THAT(Json::parse(response.body)["error"]["message"].get<std::string>(),
              HasSubstr("Microsoft.Dynamics.CRM.EntityKeyMetadata"));
}

// Counts the Web API requests that reach the emulator.
class CountingTransport final : public http::Transport {
public:
  CountingTransport(std::shared_ptr<http::Transport> inner, std::atomic<int>& count)
      : inner_(std::move(inner)), count_(count) {}

  Result<http::Response> send(const http::Request& request,
                              const http::CallContext& context) override {
    test::log_url(request.url);
    ++count_;
    return inner_->send(request, context);
  }

private:
  std::shared_ptr<http::Transport> inner_;
  std::atomic<int>& count_;
};

// The real client over loopback to a listening emulator.
class TableDefinitionsTest : public ::testing::Test {
protected:
  void start(std::vector<std::string> extra_columns = {}) {
    dvemu::EmulatorOptions options;
    options.profile = "fast";
    options.auth.static_token = test_token;
    options.log_requests = false;
    options.extra_columns = std::move(extra_columns);
    emulator_ = std::make_unique<dvemu::Emulator>(std::move(options));
    const auto port = emulator_->start();
    ASSERT_TRUE(port.ok()) << port.error().describe();
    ::setenv("LEADSYNC_TABLE_DEFINITIONS_TOKEN", test_token, 1);
    config::Config config;
    config.crm.url = emulator_->base_url();
    config.crm.auth.mode = config::AuthMode::static_token;
    config.crm.auth.token.env = "LEADSYNC_TABLE_DEFINITIONS_TOKEN";
    ConnectOptions connect_options;
    connect_options.wrap_transport = [this](std::shared_ptr<http::Transport> inner) {
      return std::shared_ptr<http::Transport>(
          std::make_shared<CountingTransport>(std::move(inner), requests_));
    };
    auto connection = connect(config, connect_options);
    ASSERT_TRUE(connection.ok()) << connection.error().describe();
    client_ = connection->client;
  }
  void TearDown() override {
    if (emulator_) {
      emulator_->stop();
    }
  }

  std::unique_ptr<dvemu::Emulator> emulator_;
  std::shared_ptr<DataverseClient> client_;
  std::atomic<int> requests_{0};
};

mapping::LeadMapping shipped_mapping() {
  auto loaded = mapping::load_lead_mapping(
      std::filesystem::path(LEADSYNC_SOURCE_DIR) / "mappings" / "lead.toml", "leadsync_");
  if (!loaded.ok()) {
    ADD_FAILURE() << loaded.error().message;
    return {};
  }
  return std::move(loaded).value();
}

TEST_F(TableDefinitionsTest, TableColumnsGivesTypesAndTheLengthsOfTextColumns) {
  start({"lead:leadsync_shortcode:String:10"});

  const auto columns = client_->table_columns("lead");

  ASSERT_TRUE(columns.ok()) << columns.error().describe();
  std::map<std::string, ColumnDefinition> by_name;
  for (const auto& column : *columns) {
    by_name[column.logical_name] = column;
  }
  EXPECT_EQ(by_name["firstname"].attribute_type, "String");
  EXPECT_EQ(by_name["firstname"].max_length, 50);
  EXPECT_EQ(by_name["description"].attribute_type, "Memo");
  EXPECT_EQ(by_name["description"].max_length, 2000);
  EXPECT_EQ(by_name["leadsync_shortcode"].max_length, 10);
  EXPECT_EQ(by_name["revenue"].attribute_type, "Money");
  EXPECT_FALSE(by_name["revenue"].max_length.has_value());
  EXPECT_EQ(by_name["statecode"].attribute_type, "State");
  EXPECT_EQ(requests_.load(), 3);
}

TEST_F(TableDefinitionsTest, TheShippedMappingMatchesTheEmulatorsLeadTable) {
  start();
  sync::CrmMetadata metadata(*client_);

  const auto problems = mapping::compare_with_metadata(shipped_mapping(), metadata);

  ASSERT_TRUE(problems.ok()) << problems.error().describe();
  for (const auto& problem : *problems) {
    ADD_FAILURE() << problem.describe();
  }
  // The table's columns once: three requests.
  EXPECT_EQ(requests_.load(), 3);
}

TEST_F(TableDefinitionsTest, EachDifferenceFromTheCrmIsAProblemOnItsEntry) {
  start({"lead:leadsync_shortcode:String:10"});
  auto changed = shipped_mapping();
  ASSERT_FALSE(changed.fields.empty());
  for (auto& field : changed.fields) {
    if (field.field == "person.job_title") {
      field.column = "leadsync_shortcode"; // holds 10 characters, the entry allows 100
    } else if (field.field == "person.middle_name") {
      field.column = "leadsync_nosuchcolumn";
    } else if (field.field == "company.annual_revenue") {
      field.column = "companyname"; // a String column where the entry says money
    }
  }
  sync::CrmMetadata metadata(*client_);

  const auto problems = mapping::compare_with_metadata(changed, metadata);

  ASSERT_TRUE(problems.ok()) << problems.error().describe();
  ASSERT_EQ(problems->size(), 3U);
  std::map<std::string, mapping::Problem> by_column;
  for (const auto& problem : *problems) {
    by_column.emplace(problem.key, problem);
  }
  EXPECT_THAT(by_column.at("leadsync_shortcode").message, HasSubstr("set max_length = 10"));
  EXPECT_EQ(by_column.at("leadsync_shortcode").line, changed.find_field("person.job_title")->line);
  EXPECT_THAT(by_column.at("leadsync_nosuchcolumn").message,
              HasSubstr("does not exist in the CRM"));
  EXPECT_THAT(by_column.at("companyname").message, HasSubstr("the CRM has String"));
}

TEST_F(TableDefinitionsTest, AnUnknownTableIsAnErrorNotAMissingColumn) {
  start();
  sync::CrmMetadata metadata(*client_);

  const auto attribute = metadata.attribute("nosuchtable", "firstname");

  ASSERT_FALSE(attribute.ok());
  EXPECT_EQ(attribute.error().category, ErrorCategory::not_found);
}

} // namespace
} // namespace leadsync::dataverse
