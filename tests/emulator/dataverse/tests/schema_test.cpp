#include "dvemu/schema.hpp"

#include <gtest/gtest.h>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace dvemu {
namespace {

class SchemaTest : public ::testing::Test {
protected:
  const Schema schema = Schema::dataverse(EmulatorOptions{});
  const EntityDef& lead = *schema.by_logical_name("lead");

  const ColumnDef& column(const EntityDef& entity, const std::string& name) {
    const ColumnDef* found = entity.column(name);
    if (found == nullptr) {
      throw std::runtime_error(entity.logical_name + " has no column " + name);
    }
    return *found;
  }

  std::vector<int> option_values(const EntityDef& entity, const std::string& name) {
    std::vector<int> values;
    for (const auto& option : column(entity, name).options) {
      values.push_back(option.value);
    }
    return values;
  }
};

TEST_F(SchemaTest, LeadIdentityMatchesTheLeadReference) {
  EXPECT_EQ(lead.entity_set, "leads");
  EXPECT_EQ(lead.primary_id, "leadid");
  EXPECT_EQ(lead.primary_name, "fullname");
  EXPECT_EQ(column(lead, "leadid").type, ColumnType::uniqueidentifier);
  EXPECT_EQ(column(lead, "leadid").required, RequiredLevel::system_required);
  EXPECT_TRUE(column(lead, "leadid").valid_for_create);
  EXPECT_FALSE(column(lead, "leadid").valid_for_update);
}

TEST_F(SchemaTest, LeadTextColumnsHaveTheDocumentedTypesAndLengths) {
  const std::vector<std::pair<std::string, int>> strings = {
      {"firstname", 50},      {"lastname", 50},   {"middlename", 50},     {"companyname", 100},
      {"jobtitle", 100},      {"subject", 300},   {"emailaddress1", 100}, {"emailaddress2", 100},
      {"emailaddress3", 100}, {"telephone1", 50}, {"telephone2", 50},     {"telephone3", 50},
      {"mobilephone", 20},    {"fax", 50},        {"websiteurl", 200},    {"fullname", 160}};
  for (const auto& [name, length] : strings) {
    EXPECT_EQ(column(lead, name).type, ColumnType::string) << name;
    EXPECT_EQ(column(lead, name).max_length, length) << name;
  }
  EXPECT_EQ(column(lead, "description").type, ColumnType::memo);
  EXPECT_EQ(column(lead, "description").max_length, 2000);
}

TEST_F(SchemaTest, LeadAddressColumnsExistForBothAddresses) {
  const std::vector<std::pair<std::string, int>> lengths = {
      {"line1", 250},     {"line2", 250},     {"line3", 250},
      {"city", 80},       {"country", 80},    {"stateorprovince", 50},
      {"county", 50},     {"postalcode", 20}, {"postofficebox", 20},
      {"name", 100},      {"telephone1", 50}, {"telephone2", 50},
      {"telephone3", 50}, {"fax", 50},        {"upszone", 4}};
  for (const std::string prefix : {"address1_", "address2_"}) {
    for (const auto& [suffix, length] : lengths) {
      EXPECT_EQ(column(lead, prefix + suffix).max_length, length) << prefix + suffix;
    }
    EXPECT_EQ(column(lead, prefix + "latitude").type, ColumnType::double_);
    EXPECT_EQ(column(lead, prefix + "latitude").min, -90);
    EXPECT_EQ(column(lead, prefix + "latitude").max, 90);
    EXPECT_EQ(column(lead, prefix + "longitude").min, -180);
    EXPECT_EQ(column(lead, prefix + "longitude").max, 180);
    EXPECT_EQ(column(lead, prefix + "utcoffset").type, ColumnType::integer);
    EXPECT_EQ(column(lead, prefix + "utcoffset").min, -1500);
    EXPECT_EQ(column(lead, prefix + "utcoffset").max, 1500);
    EXPECT_EQ(option_values(lead, prefix + "addresstypecode"), std::vector<int>{1});
    EXPECT_EQ(option_values(lead, prefix + "shippingmethodcode"), std::vector<int>{1});
    EXPECT_EQ(column(lead, prefix + "addressid").type, ColumnType::uniqueidentifier);
    EXPECT_EQ(column(lead, prefix + "composite").type, ColumnType::memo);
    EXPECT_EQ(column(lead, prefix + "composite").max_length, 1000);
    EXPECT_FALSE(column(lead, prefix + "composite").valid_for_create);
  }
}

TEST_F(SchemaTest, LeadNumberColumnsHaveTheDocumentedRanges) {
  struct Range {
    std::string name;
    ColumnType type;
    double min;
    double max;
  };
  const std::vector<Range> ranges = {{"numberofemployees", ColumnType::integer, 0, 1'000'000},
                                     {"revenue", ColumnType::money, 0, 1e14},
                                     {"budgetamount", ColumnType::money, 0, 1e12},
                                     {"estimatedamount", ColumnType::money, 0, 1e12},
                                     {"estimatedvalue", ColumnType::double_, 0, 1e9},
                                     {"leadsync_totalscore", ColumnType::decimal, 0, 100},
                                     {"leadsync_listcount", ColumnType::integer, 0, 1000}};
  for (const auto& range : ranges) {
    EXPECT_EQ(column(lead, range.name).type, range.type) << range.name;
    EXPECT_EQ(column(lead, range.name).min, range.min) << range.name;
    EXPECT_EQ(column(lead, range.name).max, range.max) << range.name;
  }
  EXPECT_EQ(column(lead, "estimatedclosedate").type, ColumnType::date_only);
  EXPECT_EQ(column(lead, "versionnumber").type, ColumnType::big_int);
}

TEST_F(SchemaTest, LeadReadOnlyColumnsAreNotValidForCreateOrUpdate) {
  for (const char* name :
       {"fullname", "versionnumber", "createdon", "modifiedon", "address1_composite",
        "address2_composite", "revenue_base", "budgetamount_base", "estimatedamount_base",
        "exchangerate", "accountid", "contactid", "createdby", "modifiedby", "owningbusinessunit",
        "owninguser", "owningteam", "masterid", "merged"}) {
    EXPECT_FALSE(column(lead, name).valid_for_create) << name;
    EXPECT_FALSE(column(lead, name).valid_for_update) << name;
    EXPECT_TRUE(column(lead, name).valid_for_read) << name;
  }
  for (const char* name : {"firstname", "companyname", "statecode", "parentaccountid"}) {
    EXPECT_TRUE(column(lead, name).valid_for_update) << name;
  }
}

TEST_F(SchemaTest, LeadRequiredLevelsAreRecordedAsDocumented) {
  EXPECT_EQ(column(lead, "lastname").required, RequiredLevel::application_required);
  EXPECT_EQ(column(lead, "subject").required, RequiredLevel::application_required);
  EXPECT_EQ(column(lead, "firstname").required, RequiredLevel::recommended);
  EXPECT_EQ(column(lead, "companyname").required, RequiredLevel::recommended);
  EXPECT_EQ(column(lead, "statecode").required, RequiredLevel::system_required);
  EXPECT_EQ(column(lead, "middlename").required, RequiredLevel::none);
}

TEST_F(SchemaTest, LeadOptionSetsHoldExactlyTheDocumentedValues) {
  EXPECT_EQ(option_values(lead, "leadsourcecode"),
            (std::vector<int>{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}));
  EXPECT_EQ(option_values(lead, "leadqualitycode"), (std::vector<int>{1, 2, 3}));
  EXPECT_EQ(option_values(lead, "purchasetimeframe"), (std::vector<int>{0, 1, 2, 3, 4}));
  EXPECT_EQ(option_values(lead, "purchaseprocess"), (std::vector<int>{0, 1, 2}));
  EXPECT_EQ(option_values(lead, "budgetstatus"), (std::vector<int>{0, 1, 2, 3}));
  EXPECT_EQ(option_values(lead, "need"), (std::vector<int>{0, 1, 2, 3}));
  EXPECT_EQ(option_values(lead, "preferredcontactmethodcode"), (std::vector<int>{1, 2, 3, 4, 5}));
  EXPECT_EQ(option_values(lead, "salesstage"), (std::vector<int>{0}));
  EXPECT_EQ(option_values(lead, "salesstagecode"), (std::vector<int>{1}));
  EXPECT_EQ(option_values(lead, "initialcommunication"), (std::vector<int>{0, 1}));
  EXPECT_EQ(column(lead, "leadsourcecode").option(8)->label, "Web");
  EXPECT_EQ(column(lead, "leadqualitycode").option(1)->label, "Hot");
  EXPECT_EQ(column(lead, "need").option(3)->label, "No need");
}

TEST_F(SchemaTest, LeadIndustryCodeHasAllThirtyThreeIndustries) {
  const auto& industry = column(lead, "industrycode");
  ASSERT_EQ(industry.options.size(), 33u);
  for (int value = 1; value <= 33; ++value) {
    EXPECT_NE(industry.option(value), nullptr) << value;
  }
  EXPECT_EQ(industry.option(1)->label, "Accounting");
  EXPECT_EQ(industry.option(11)->label, "Doctor's Offices and Clinics");
  EXPECT_EQ(industry.option(33)->label, "Wholesale");
  EXPECT_EQ(industry.option(34), nullptr);
}

TEST_F(SchemaTest, LeadStatusCodesBelongToTheirStates) {
  const auto& state = column(lead, "statecode");
  EXPECT_EQ(state.type, ColumnType::state);
  EXPECT_EQ(state.option(0)->label, "Open");
  EXPECT_EQ(state.option(1)->label, "Qualified");
  EXPECT_EQ(state.option(2)->label, "Disqualified");
  const auto& status = column(lead, "statuscode");
  EXPECT_EQ(status.type, ColumnType::status);
  const std::vector<std::pair<int, int>> status_to_state = {{1, 0}, {2, 0}, {3, 1}, {4, 2},
                                                            {5, 2}, {6, 2}, {7, 2}};
  ASSERT_EQ(status.options.size(), status_to_state.size());
  for (const auto& [value, owner] : status_to_state) {
    ASSERT_NE(status.option(value), nullptr) << value;
    EXPECT_EQ(status.option(value)->state, owner) << value;
  }
  EXPECT_EQ(status.option(5)->label, "Cannot Contact");
  EXPECT_EQ(lead.default_status(0), 1);
  EXPECT_EQ(lead.default_status(1), 3);
  EXPECT_EQ(lead.default_status(2), 4);
  EXPECT_EQ(lead.default_status(3), std::nullopt);
}

TEST_F(SchemaTest, LeadLookupsNameTheirTargetsAndNavigationProperties) {
  const std::vector<std::pair<std::string, std::string>> simple = {
      {"campaignid", "campaign"},
      {"parentaccountid", "account"},
      {"parentcontactid", "contact"},
      {"qualifyingopportunityid", "opportunity"},
      {"transactioncurrencyid", "transactioncurrency"},
      {"ownerid", "systemuser"}};
  for (const auto& [name, target] : simple) {
    EXPECT_EQ(column(lead, name).type, ColumnType::lookup) << name;
    EXPECT_EQ(column(lead, name).targets, std::vector<std::string>{target}) << name;
    std::string found_target;
    EXPECT_EQ(lead.column_for_navigation(name, found_target), &column(lead, name)) << name;
    EXPECT_EQ(found_target, target) << name;
  }
  std::string target;
  EXPECT_EQ(lead.column_for_navigation("customerid_account", target), &column(lead, "customerid"));
  EXPECT_EQ(target, "account");
  EXPECT_EQ(lead.column_for_navigation("customerid_contact", target), &column(lead, "customerid"));
  EXPECT_EQ(target, "contact");
  EXPECT_EQ(lead.column_for_navigation("customerid", target), nullptr);
  EXPECT_EQ(lead.column_for_navigation("owningteam", target), nullptr);
}

TEST_F(SchemaTest, LeadTwoOptionColumnsDefaultToFalseExceptFollowEmail) {
  for (const char* name : {"donotemail", "donotphone", "donotbulkemail", "donotfax",
                           "donotpostalmail", "donotsendmm", "decisionmaker"}) {
    EXPECT_EQ(column(lead, name).type, ColumnType::boolean) << name;
    EXPECT_EQ(column(lead, name).boolean_default, false) << name;
  }
  EXPECT_EQ(column(lead, "followemail").boolean_default, true);
}

TEST_F(SchemaTest, LeadCarriesLeadsyncColumnsAndTheExternalIdKey) {
  EXPECT_EQ(column(lead, "leadsync_externalid").max_length, 100);
  EXPECT_EQ(column(lead, "leadsync_lifecyclestage").max_length, 50);
  EXPECT_EQ(column(lead, "leadsync_listagebucket").max_length, 20);
  EXPECT_EQ(column(lead, "leadsync_enrichmentsource").max_length, 200);
  EXPECT_EQ(column(lead, "leadsync_listexclusive").type, ColumnType::boolean);
  EXPECT_EQ(column(lead, "leadsync_listacquiredon").type, ColumnType::date_only);
  EXPECT_EQ(column(lead, "leadsync_enrichedon").type, ColumnType::date_time);
  for (const char* score : {"leadsync_fitscore", "leadsync_engagementscore",
                            "leadsync_dataqualityscore", "leadsync_totalscore"}) {
    EXPECT_EQ(column(lead, score).type, ColumnType::decimal) << score;
  }
  EXPECT_EQ(column(lead, "leadsync_grade").type, ColumnType::string);
  EXPECT_EQ(column(lead, "leadsync_grade").max_length, 1);
  EXPECT_EQ(column(lead, "leadsync_scorereason").type, ColumnType::string);
  EXPECT_EQ(column(lead, "leadsync_scorereason").max_length, 250);
  ASSERT_EQ(lead.alternate_keys.size(), 1u);
  EXPECT_EQ(lead.alternate_keys[0].name, "leadsync_externalid");
  EXPECT_EQ(lead.alternate_keys[0].columns, std::vector<std::string>{"leadsync_externalid"});
  EXPECT_EQ(lead.alternate_keys[0].status, "Active");
}

TEST_F(SchemaTest, EveryServedEntitySetResolvesBothWays) {
  const std::vector<std::pair<std::string, std::string>> sets = {
      {"leads", "lead"},
      {"contacts", "contact"},
      {"accounts", "account"},
      {"opportunities", "opportunity"},
      {"campaigns", "campaign"},
      {"transactioncurrencies", "transactioncurrency"},
      {"systemusers", "systemuser"},
      {"businessunits", "businessunit"},
      {"organizations", "organization"},
      {"serviceendpoints", "serviceendpoint"},
      {"sdkmessages", "sdkmessage"},
      {"sdkmessagefilters", "sdkmessagefilter"},
      {"sdkmessageprocessingsteps", "sdkmessageprocessingstep"},
      {"msdyn_predictivescores", "msdyn_predictivescore"}};
  EXPECT_EQ(schema.entities().size(), sets.size());
  for (const auto& [set, logical] : sets) {
    const EntityDef* entity = schema.by_entity_set(set);
    ASSERT_NE(entity, nullptr) << set;
    EXPECT_EQ(entity->logical_name, logical);
    EXPECT_EQ(schema.by_logical_name(logical), entity);
    EXPECT_EQ(entity->primary_id, logical + "id");
    EXPECT_NE(entity->column(entity->primary_id), nullptr) << set;
  }
  EXPECT_EQ(schema.by_entity_set("Leads"), nullptr);
  EXPECT_EQ(schema.by_logical_name("team"), nullptr);
}

TEST_F(SchemaTest, QualifyLeadTargetsHaveTheirDocumentedColumns) {
  const EntityDef& account = *schema.by_logical_name("account");
  EXPECT_EQ(column(account, "name").max_length, 160);
  EXPECT_EQ(column(account, "name").required, RequiredLevel::application_required);
  EXPECT_EQ(column(account, "accountnumber").max_length, 20);
  EXPECT_EQ(column(account, "originatingleadid").targets, std::vector<std::string>{"lead"});
  EXPECT_EQ(column(account, "industrycode").options.size(), 33u);
  EXPECT_EQ(account.default_status(1), 2);

  const EntityDef& contact = *schema.by_logical_name("contact");
  std::string target;
  EXPECT_EQ(contact.column_for_navigation("parentcustomerid_account", target),
            &column(contact, "parentcustomerid"));
  EXPECT_FALSE(column(contact, "fullname").valid_for_create);
  EXPECT_EQ(contact.default_status(0), 1);
  EXPECT_EQ(contact.default_status(1), 2);

  const EntityDef& opportunity = *schema.by_logical_name("opportunity");
  EXPECT_EQ(column(opportunity, "name").max_length, 300);
  EXPECT_TRUE(column(opportunity, "originatingleadid").valid_for_create);
  EXPECT_FALSE(column(opportunity, "originatingleadid").valid_for_update);
  EXPECT_EQ(column(opportunity, "estimatedvalue").type, ColumnType::money);
  const auto& status = column(opportunity, "statuscode");
  const std::vector<std::pair<int, int>> pairs = {{1, 0}, {2, 0}, {3, 1}, {4, 2}, {5, 2}};
  for (const auto& [value, owner] : pairs) {
    EXPECT_EQ(status.option(value)->state, owner) << value;
  }
  EXPECT_EQ(opportunity.column_for_navigation("customerid_contact", target),
            &column(opportunity, "customerid"));
  EXPECT_EQ(column(opportunity, "campaignid").type, ColumnType::lookup);
  EXPECT_EQ(column(opportunity, "campaignid").targets, std::vector<std::string>{"campaign"});
}

TEST_F(SchemaTest, PredictiveScoreHasTheDocumentedColumnsAndEntityKey) {
  const EntityDef& score = *schema.by_entity_set("msdyn_predictivescores");
  EXPECT_EQ(score.logical_name, "msdyn_predictivescore");
  EXPECT_EQ(column(score, "msdyn_score").type, ColumnType::integer);
  EXPECT_EQ(option_values(score, "msdyn_grade"), (std::vector<int>{0, 1, 2, 3}));
  EXPECT_EQ(column(score, "msdyn_grade").option(0)->label, "Grade A");
  EXPECT_EQ(option_values(score, "msdyn_scoretrend"), (std::vector<int>{0, 1, 2, 3}));
  EXPECT_EQ(column(score, "msdyn_scoretrend").option(3)->label, "Not enough info");
  EXPECT_EQ(column(score, "msdyn_scorereasons").type, ColumnType::memo);
  EXPECT_EQ(column(score, "msdyn_scorereasons").max_length, 10'000);
  EXPECT_EQ(column(score, "msdyn_entityid").max_length, 256);
  EXPECT_EQ(column(score, "msdyn_entityid").required, RequiredLevel::application_required);
  EXPECT_EQ(column(score, "msdyn_entitytype").max_length, 128);
  EXPECT_EQ(column(score, "msdyn_entitytype").required, RequiredLevel::application_required);
  EXPECT_EQ(column(score, "msdyn_scoredon").type, ColumnType::date_time);
  EXPECT_EQ(column(score, "msdyn_contributingpredictionids").max_length, 2000);
  EXPECT_EQ(score.column("ownerid"), nullptr); // organization-owned
  ASSERT_EQ(score.alternate_keys.size(), 1u);
  EXPECT_EQ(score.alternate_keys[0].columns,
            (std::vector<std::string>{"msdyn_entityid", "msdyn_entitytype"}));
}

TEST_F(SchemaTest, WebhookRegistrationTablesHaveTheirColumns) {
  const EntityDef& endpoint = *schema.by_logical_name("serviceendpoint");
  EXPECT_EQ(column(endpoint, "name").max_length, 256);
  EXPECT_EQ(column(endpoint, "url").max_length, 2000);
  EXPECT_EQ(column(endpoint, "authvalue").max_length, 2048);
  EXPECT_FALSE(column(endpoint, "authvalue").valid_for_read);
  EXPECT_EQ(column(endpoint, "contract").option(8)->label, "Webhook");
  EXPECT_EQ(column(endpoint, "authtype").option(4)->label, "WebhookKey");
  EXPECT_EQ(column(endpoint, "authtype").option(5)->label, "HttpHeader");
  EXPECT_EQ(column(endpoint, "authtype").option(6)->label, "HttpQueryString");
  EXPECT_EQ(column(endpoint, "messageformat").option(2)->label, "Json");

  const EntityDef& step = *schema.by_logical_name("sdkmessageprocessingstep");
  EXPECT_EQ(option_values(step, "stage"), (std::vector<int>{10, 20, 40}));
  EXPECT_EQ(option_values(step, "mode"), (std::vector<int>{0, 1}));
  std::string target;
  EXPECT_EQ(step.column_for_navigation("eventhandler_serviceendpoint", target),
            &column(step, "eventhandler"));
  EXPECT_EQ(target, "serviceendpoint");
  EXPECT_EQ(step.column_for_navigation("sdkmessageid", target), &column(step, "sdkmessageid"));
  EXPECT_EQ(step.column_for_navigation("sdkmessagefilterid", target),
            &column(step, "sdkmessagefilterid"));
  EXPECT_EQ(column(*schema.by_logical_name("sdkmessagefilter"), "primaryobjecttypecode").type,
            ColumnType::string);
}

TEST_F(SchemaTest, DuplicateDetectionIsOnForLeadsContactsAndAccountsOnly) {
  for (const auto& entity : schema.entities()) {
    const bool expected = entity.logical_name == "lead" || entity.logical_name == "contact" ||
                          entity.logical_name == "account";
    EXPECT_EQ(entity.duplicate_detection, expected) << entity.logical_name;
    if (expected) {
      EXPECT_EQ(entity.duplicate_column, "emailaddress1");
    }
  }
}

TEST_F(SchemaTest, ExtraColumnsAndAlternateKeysFromOptionsAreAdded) {
  EmulatorOptions options;
  options.extra_columns = {"lead:leadsync_foo:String:120", "lead:leadsync_rank:Integer:1..5",
                           "account:leadsync_seen:DateTime"};
  options.extra_alternate_keys = {"account:accountnumber:accountnumber",
                                  "contact:nameandmail:firstname+emailaddress1"};
  ASSERT_TRUE(Schema::validate(options).ok());
  const Schema extended = Schema::dataverse(options);
  const EntityDef& extended_lead = *extended.by_logical_name("lead");
  EXPECT_EQ(column(extended_lead, "leadsync_foo").max_length, 120);
  EXPECT_EQ(column(extended_lead, "leadsync_rank").min, 1);
  EXPECT_EQ(column(extended_lead, "leadsync_rank").max, 5);
  const EntityDef& account = *extended.by_logical_name("account");
  EXPECT_EQ(column(account, "leadsync_seen").type, ColumnType::date_time);
  ASSERT_EQ(account.alternate_keys.size(), 1u);
  EXPECT_EQ(account.alternate_keys[0].columns, std::vector<std::string>{"accountnumber"});
  EXPECT_EQ(extended.by_logical_name("contact")->alternate_keys[0].columns,
            (std::vector<std::string>{"firstname", "emailaddress1"}));
}

TEST_F(SchemaTest, MalformedExtraColumnsAreRefusedWithTheEntryToFix) {
  for (const std::string spec :
       {"lead:leadsync_foo", "lead:leadsync_foo:Text:10", "lead:leadsync_foo:String:abc",
        "lead:Leadsync_Foo:String:10", "lead:leadsync_foo:Integer:5..1"}) {
    EmulatorOptions options;
    options.extra_columns = {spec};
    auto status = Schema::validate(options);
    ASSERT_FALSE(status.ok()) << spec;
    EXPECT_NE(status.error().message.find(spec), std::string::npos) << status.error().message;
    EXPECT_NE(status.error().message.find("entity:column:Type"), std::string::npos);
    EXPECT_THROW(Schema::dataverse(options), std::invalid_argument) << spec;
  }
  EmulatorOptions unknown_table;
  unknown_table.extra_columns = {"team:leadsync_x:String:10"};
  EXPECT_NE(Schema::validate(unknown_table).error().message.find("does not serve"),
            std::string::npos);
  EmulatorOptions duplicate;
  duplicate.extra_columns = {"lead:firstname:String:10"};
  EXPECT_NE(Schema::validate(duplicate).error().message.find("already has a column"),
            std::string::npos);
}

TEST_F(SchemaTest, AlternateKeysOnUnknownOrUnsuitableColumnsAreRefused) {
  for (const std::string spec : {"lead:bad:nosuchcolumn", "lead:memo:description",
                                 "lead:flag:donotemail", "nosuchtable:k:name", "lead:onlytwo"}) {
    EmulatorOptions options;
    options.extra_alternate_keys = {spec};
    auto status = Schema::validate(options);
    ASSERT_FALSE(status.ok()) << spec;
    EXPECT_NE(status.error().message.find(spec), std::string::npos) << status.error().message;
  }
}

// A minimal well-formedness check for the XML the schema writes (no comments, CDATA or DTD): every
// element is closed in order, attribute values are quoted, and '&' only starts an entity reference.
::testing::AssertionResult well_formed(const std::string& xml) {
  std::vector<std::string> open;
  std::size_t i = 0;
  int roots = 0;
  while (i < xml.size()) {
    if (xml[i] == '&') {
      const auto end = xml.find(';', i);
      const std::string entity = end == std::string::npos ? "" : xml.substr(i, end - i + 1);
      if (entity != "&amp;" && entity != "&lt;" && entity != "&gt;" && entity != "&quot;" &&
          entity != "&apos;") {
        return ::testing::AssertionFailure() << "bare '&' at " << i;
      }
      i = end + 1;
      continue;
    }
    if (xml[i] != '<') {
      ++i;
      continue;
    }
    if (xml.compare(i, 2, "<?") == 0) {
      const auto end = xml.find("?>", i);
      if (end == std::string::npos) {
        return ::testing::AssertionFailure() << "unterminated declaration";
      }
      i = end + 2;
      continue;
    }
    std::size_t j = i + 1;
    bool in_quote = false;
    while (j < xml.size() && (in_quote || xml[j] != '>')) {
      if (xml[j] == '"') {
        in_quote = !in_quote;
      } else if (in_quote && xml[j] == '<') {
        return ::testing::AssertionFailure() << "'<' inside an attribute at " << j;
      }
      ++j;
    }
    if (j >= xml.size()) {
      return ::testing::AssertionFailure() << "unterminated tag at " << i;
    }
    const std::string tag = xml.substr(i + 1, j - i - 1);
    const bool closing = tag.front() == '/';
    const bool self_closing = tag.back() == '/';
    const std::string body = closing ? tag.substr(1) : tag;
    const std::string name = body.substr(0, body.find_first_of(" /"));
    if (closing) {
      if (open.empty() || open.back() != name) {
        return ::testing::AssertionFailure()
               << "</" << name << "> closes <" << (open.empty() ? "" : open.back()) << ">";
      }
      open.pop_back();
    } else if (!self_closing) {
      if (open.empty()) {
        ++roots;
      }
      open.push_back(name);
    }
    i = j + 1;
  }
  if (!open.empty()) {
    return ::testing::AssertionFailure() << "<" << open.back() << "> never closed";
  }
  if (roots != 1) {
    return ::testing::AssertionFailure() << roots << " root elements";
  }
  return ::testing::AssertionSuccess();
}

std::string element(const std::string& xml, const std::string& start) {
  const auto at = xml.find(start);
  if (at == std::string::npos) {
    return "";
  }
  return xml.substr(at, xml.find('>', at) - at + 1);
}

std::string entity_type(const std::string& xml, const std::string& name) {
  const auto at = xml.find("<EntityType Name=\"" + name + "\"");
  if (at == std::string::npos) {
    return "";
  }
  return xml.substr(at, xml.find("</EntityType>", at) - at);
}

TEST(WellFormedCheck, RejectsBrokenXml) {
  EXPECT_FALSE(well_formed("<a><b></a></b>"));
  EXPECT_FALSE(well_formed("<a x=\"1 & 2\"/>"));
  EXPECT_FALSE(well_formed("<a>"));
  EXPECT_TRUE(well_formed("<?xml version=\"1.0\"?><a x=\"&amp;\"><b/></a>"));
}

TEST_F(SchemaTest, CsdlIsWellFormedEdmx40WithTheDataverseNamespace) {
  const std::string xml = schema.csdl("http://127.0.0.1:1/api/data/v9.2/");
  EXPECT_TRUE(well_formed(xml));
  EXPECT_NE(xml.find("<edmx:Edmx Version=\"4.0\""), std::string::npos);
  EXPECT_NE(xml.find("<Schema Namespace=\"Microsoft.Dynamics.CRM\" Alias=\"mscrm\""),
            std::string::npos);
}

TEST_F(SchemaTest, CsdlDeclaresEveryTableWithKeyPropertiesAndEntitySet) {
  const std::string xml = schema.csdl("http://127.0.0.1:1/api/data/v9.2/");
  for (const auto& entity : schema.entities()) {
    const std::string type = entity_type(xml, entity.logical_name);
    ASSERT_FALSE(type.empty()) << entity.logical_name;
    EXPECT_NE(type.find("<Key><PropertyRef Name=\"" + entity.primary_id + "\"/></Key>"),
              std::string::npos)
        << entity.logical_name;
    EXPECT_NE(xml.find("<EntitySet Name=\"" + entity.entity_set +
                       "\" EntityType=\"Microsoft.Dynamics.CRM." + entity.logical_name + "\""),
              std::string::npos)
        << entity.entity_set;
  }
  const std::string lead_type = entity_type(xml, "lead");
  EXPECT_EQ(element(lead_type, "<Property Name=\"firstname\""),
            "<Property Name=\"firstname\" Type=\"Edm.String\" MaxLength=\"50\"/>");
  EXPECT_EQ(element(lead_type, "<Property Name=\"revenue\""),
            "<Property Name=\"revenue\" Type=\"Edm.Decimal\" Scale=\"Variable\"/>");
  EXPECT_EQ(element(lead_type, "<Property Name=\"_parentaccountid_value\""),
            "<Property Name=\"_parentaccountid_value\" Type=\"Edm.Guid\"/>");
  EXPECT_EQ(element(lead_type, "<Property Name=\"estimatedclosedate\""),
            "<Property Name=\"estimatedclosedate\" Type=\"Edm.Date\"/>");
  EXPECT_EQ(lead_type.find("<Property Name=\"parentaccountid\""), std::string::npos);
  EXPECT_NE(lead_type.find("<NavigationProperty Name=\"customerid_contact\" "
                           "Type=\"mscrm.contact\"><ReferentialConstraint "
                           "Property=\"_customerid_value\" ReferencedProperty=\"contactid\"/>"),
            std::string::npos);
  EXPECT_NE(xml.find("<NavigationPropertyBinding Path=\"parentaccountid\" Target=\"accounts\"/>"),
            std::string::npos);
  EXPECT_NE(entity_type(xml, "sdkmessageprocessingstep")
                .find("<NavigationProperty Name=\"eventhandler_serviceendpoint\" "
                      "Type=\"mscrm.serviceendpoint\">"),
            std::string::npos);
}

TEST_F(SchemaTest, CsdlPublishesTheExternalIdAlternateKeyAsDataverseDoes) {
  const std::string lead_type = entity_type(schema.csdl(""), "lead");
  EXPECT_NE(lead_type.find("<Annotation Term=\"Org.OData.Core.V1.AlternateKeys\"><Collection>"
                           "<Record Type=\"Org.OData.Core.V1.AlternateKey\"><PropertyValue "
                           "Property=\"Key\"><Collection><Record "
                           "Type=\"Org.OData.Core.V1.PropertyRef\"><PropertyValue "
                           "Property=\"Alias\" String=\"leadsync_externalid\"/><PropertyValue "
                           "Property=\"Name\" PropertyPath=\"leadsync_externalid\"/></Record>"),
            std::string::npos);
  EXPECT_EQ(entity_type(schema.csdl(""), "contact").find("AlternateKeys"), std::string::npos);
}

TEST_F(SchemaTest, CsdlDeclaresTheActionsAndFunctionsServed) {
  const std::string xml = schema.csdl("");
  const auto qualify_at = xml.find("<Action Name=\"QualifyLead\" IsBound=\"true\">");
  ASSERT_NE(qualify_at, std::string::npos);
  const std::string qualify =
      xml.substr(qualify_at, xml.find("</Action>", qualify_at) - qualify_at);
  for (const char* parameter :
       {"<Parameter Name=\"entity\" Type=\"mscrm.lead\" Nullable=\"false\"/>",
        "<Parameter Name=\"CreateAccount\" Type=\"Edm.Boolean\" Nullable=\"false\"/>",
        "<Parameter Name=\"CreateContact\" Type=\"Edm.Boolean\" Nullable=\"false\"/>",
        "<Parameter Name=\"CreateOpportunity\" Type=\"Edm.Boolean\" Nullable=\"false\"/>",
        "<Parameter Name=\"Status\" Type=\"Edm.Int32\" Nullable=\"false\"/>",
        "<Parameter Name=\"OpportunityCurrencyId\" Type=\"mscrm.transactioncurrency\"/>",
        "<Parameter Name=\"OpportunityCustomerId\" Type=\"mscrm.crmbaseentity\"/>",
        "<Parameter Name=\"SourceCampaignId\" Type=\"mscrm.campaign\"/>",
        "<Parameter Name=\"ProcessInstanceId\" Type=\"mscrm.crmbaseentity\"/>"}) {
    EXPECT_NE(qualify.find(parameter), std::string::npos) << parameter;
  }
  for (const char* action : {"CreateMultiple", "UpdateMultiple", "UpsertMultiple"}) {
    EXPECT_NE(xml.find(std::string("<Action Name=\"") + action +
                       "\" IsBound=\"true\"><Parameter Name=\"entityset\" "
                       "Type=\"Collection(mscrm.crmbaseentity)\""),
              std::string::npos)
        << action;
  }
  EXPECT_NE(xml.find("<Function Name=\"WhoAmI\"><ReturnType Type=\"mscrm.WhoAmIResponse\""),
            std::string::npos);
  EXPECT_NE(xml.find("<ComplexType Name=\"WhoAmIResponse\">"), std::string::npos);
  EXPECT_NE(
      xml.find("<FunctionImport Name=\"WhoAmI\" Function=\"Microsoft.Dynamics.CRM.WhoAmI\"/>"),
      std::string::npos);
  EXPECT_NE(xml.find("<Action Name=\"Merge\"><Parameter Name=\"Target\" "
                     "Type=\"mscrm.crmbaseentity\" Nullable=\"false\"/><Parameter "
                     "Name=\"Subordinate\" Type=\"mscrm.crmbaseentity\" Nullable=\"false\"/>"
                     "<Parameter Name=\"UpdateContent\" Type=\"mscrm.crmbaseentity\"/>"
                     "<Parameter Name=\"PerformParentingChecks\" Type=\"Edm.Boolean\" "
                     "Nullable=\"false\"/></Action>"),
            std::string::npos);
  EXPECT_NE(xml.find("<ActionImport Name=\"Merge\" Action=\"Microsoft.Dynamics.CRM.Merge\"/>"),
            std::string::npos);
}

TEST_F(SchemaTest, CsdlIncludesExtraColumnsAndKeys) {
  EmulatorOptions options;
  options.extra_columns = {"lead:leadsync_foo:String:77"};
  options.extra_alternate_keys = {"account:primarycontact:primarycontactid"};
  const std::string xml = Schema::dataverse(options).csdl("");
  EXPECT_TRUE(well_formed(xml));
  EXPECT_EQ(element(entity_type(xml, "lead"), "<Property Name=\"leadsync_foo\""),
            "<Property Name=\"leadsync_foo\" Type=\"Edm.String\" MaxLength=\"77\"/>");
  // A lookup in a key is published by its _x_value property.
  EXPECT_NE(entity_type(xml, "account").find("PropertyPath=\"_primarycontactid_value\""),
            std::string::npos);
}

} // namespace
} // namespace dvemu
