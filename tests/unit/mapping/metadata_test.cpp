#include "leadsync/mapping/metadata.hpp"
#include "mapping_test_support.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace leadsync::mapping {
namespace {

using ::testing::HasSubstr;
using testing::shipped_mapping;

// The lead table's columns as the emulator defines them (tests/emulator/dataverse/src/schema.cpp),
// limited to those the shipped mapping uses.
class FakeMetadata : public MetadataSource {
public:
  std::map<std::string, AttributeInfo> columns{
      {"leadsync_externalid", {"String", 100}},
      {"firstname", {"String", 50}},
      {"middlename", {"String", 50}},
      {"lastname", {"String", 50}},
      {"jobtitle", {"String", 100}},
      {"emailaddress1", {"String", 100}},
      {"emailaddress2", {"String", 100}},
      {"emailaddress3", {"String", 100}},
      {"telephone1", {"String", 50}},
      {"telephone2", {"String", 50}},
      {"telephone3", {"String", 50}},
      {"mobilephone", {"String", 20}},
      {"preferredcontactmethodcode", {"Picklist", std::nullopt}},
      {"companyname", {"String", 100}},
      {"websiteurl", {"String", 200}},
      {"industrycode", {"Picklist", std::nullopt}},
      {"numberofemployees", {"Integer", std::nullopt}},
      {"revenue", {"Money", std::nullopt}},
      {"address1_line1", {"String", 250}},
      {"address1_line2", {"String", 250}},
      {"address1_city", {"String", 80}},
      {"address1_stateorprovince", {"String", 50}},
      {"address1_postalcode", {"String", 20}},
      {"address1_country", {"String", 80}},
      {"leadsourcecode", {"Picklist", std::nullopt}},
      {"campaignid", {"Lookup", std::nullopt}},
      {"leadsync_listvendor", {"String", 100}},
      {"leadsync_listid", {"String", 100}},
      {"leadsync_listexclusive", {"Boolean", std::nullopt}},
      {"leadsync_listacquiredon", {"DateTime", std::nullopt}},
      {"leadsync_listcount", {"Integer", std::nullopt}},
      {"leadsync_listagebucket", {"String", 20}},
      {"donotemail", {"Boolean", std::nullopt}},
      {"donotphone", {"Boolean", std::nullopt}},
      {"donotbulkemail", {"Boolean", std::nullopt}},
      {"donotpostalmail", {"Boolean", std::nullopt}},
      {"leadsync_lifecyclestage", {"String", 50}},
      {"budgetamount", {"Money", std::nullopt}},
      {"budgetstatus", {"Picklist", std::nullopt}},
      {"decisionmaker", {"Boolean", std::nullopt}},
      {"need", {"Picklist", std::nullopt}},
      {"purchasetimeframe", {"Picklist", std::nullopt}},
      {"purchaseprocess", {"Picklist", std::nullopt}},
      {"leadsync_fitscore", {"Decimal", std::nullopt}},
      {"leadsync_engagementscore", {"Decimal", std::nullopt}},
      {"leadsync_dataqualityscore", {"Decimal", std::nullopt}},
      {"leadsync_totalscore", {"Decimal", std::nullopt}},
      {"leadqualitycode", {"Picklist", std::nullopt}},
      {"statecode", {"State", std::nullopt}},
      {"statuscode", {"Status", std::nullopt}},
      {"subject", {"String", 300}},
      {"description", {"Memo", 2000}},
      {"leadsync_enrichmentsource", {"String", 200}},
      {"leadsync_enrichedon", {"DateTime", std::nullopt}},
      {"leadsync_seniority", {"String", 50}},
      {"leadsync_linkedinurl", {"String", 200}},
      {"leadsync_xhandle", {"String", 100}},
      {"leadsync_githuburl", {"String", 200}},
      {"leadsync_socialbio", {"Memo", 2000}},
      {"leadsync_grade", {"String", 1}},
      {"leadsync_scorereason", {"String", 250}},
  };
  std::optional<Error> failure;

  Result<std::optional<AttributeInfo>> attribute(const std::string& entity,
                                                 const std::string& column) override {
    if (failure) {
      return *failure;
    }
    if (entity != "lead") {
      return fail(ErrorCategory::invalid_argument, "unexpected entity " + entity);
    }
    const auto found = columns.find(column);
    return found == columns.end() ? std::optional<AttributeInfo>() : found->second;
  }
};

std::vector<Problem> compare(FakeMetadata& crm) {
  auto problems = compare_with_metadata(shipped_mapping(), crm);
  if (!problems) {
    throw std::runtime_error(problems.error().message);
  }
  return *problems;
}

TEST(CompareWithMetadata, ShippedMappingMatchesTheEmulatorsLeadTable) {
  FakeMetadata crm;
  const auto problems = compare(crm);
  for (const auto& problem : problems) {
    ADD_FAILURE() << problem.describe();
  }
}

TEST(CompareWithMetadata, ColumnTheCrmLacksSaysHowToCreateItAndWhereTheEntryIs) {
  FakeMetadata crm;
  crm.columns.erase("leadsync_fitscore");
  const auto problems = compare(crm);
  ASSERT_EQ(problems.size(), 1u);
  const auto& entry = *shipped_mapping().find_column("leadsync_fitscore");
  EXPECT_EQ(problems[0].line, entry.line);
  EXPECT_EQ(problems[0].key, "leadsync_fitscore");
  EXPECT_THAT(problems[0].message,
              HasSubstr("lead column 'leadsync_fitscore' does not exist in the CRM: create it "
                        "(Decimal, 0..100) or remove the entry at " +
                        shipped_mapping().where(entry)));
}

TEST(CompareWithMetadata, ColumnOfAnotherTypeIsReported) {
  FakeMetadata crm;
  crm.columns["revenue"] = {"String", 100};
  const auto problems = compare(crm);
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_THAT(problems[0].message,
              HasSubstr("'revenue' has the wrong type: the mapping says money (Money), the CRM "
                        "has String"));
}

TEST(CompareWithMetadata, CrmColumnShorterThanTheMappingsLimitIsReported) {
  FakeMetadata crm;
  crm.columns["jobtitle"] = {"String", 60};
  const auto problems = compare(crm);
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_THAT(problems[0].message,
              HasSubstr("holds 60 characters in the CRM but the mapping allows 100: set "
                        "max_length = 60"));
}

TEST(CompareWithMetadata, UnreachableCrmIsAnErrorNotAProblemList) {
  FakeMetadata crm;
  crm.failure = Error::make(ErrorCategory::unavailable, "connection refused", true);
  auto problems = compare_with_metadata(shipped_mapping(), crm);
  ASSERT_FALSE(problems.ok());
  EXPECT_EQ(problems.error().category, ErrorCategory::unavailable);
}

} // namespace
} // namespace leadsync::mapping
