#include "leadsync/mapping/convert.hpp"
#include "mapping_test_support.hpp"

#include <algorithm>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace leadsync::mapping {
namespace {

using ::testing::Contains;
using ::testing::HasSubstr;
using ::testing::Not;
using Json = nlohmann::json;
using testing::at;
using testing::campaign_id;
using testing::date;
using testing::FakeResolver;
using testing::full_lead;
using testing::lead_id;
using testing::shipped_mapping;

constexpr const char* crm_lead_id = "0a1b2c3d-1111-4222-8333-444455556666";
constexpr const char* crm_user_id = "9e8d7c6b-aaaa-4bbb-8ccc-ddddeeeeffff";
const std::string formatted = "@OData.Community.Display.V1.FormattedValue";

const PushRules push_rules{{}, date(2026, 3, 20)};

Json body_of(const model::Lead& lead) {
  FakeResolver resolver;
  auto row = to_dataverse(lead, shipped_mapping(), resolver, push_rules);
  if (!row) {
    throw std::runtime_error(row.error().message);
  }
  return row->body;
}

// The row the emulator returns for a lead written with `body`: lookups as _<column>_value, the key,
// system columns and the row version.
Json crm_row(const Json& body) {
  Json row = Json::object();
  for (const auto& [property, value] : body.items()) {
    const auto bind = property.find("@odata.bind");
    if (bind == std::string::npos) {
      row[property] = value;
      continue;
    }
    const auto text = value.get<std::string>();
    const auto open = text.find('(');
    row["_" + property.substr(0, bind) + "_value"] = text.substr(open + 1, text.size() - open - 2);
  }
  row["@odata.etag"] = "W/\"1234\"";
  row["leadid"] = crm_lead_id;
  row["versionnumber"] = 1234;
  row["leadsync_externalid"] = lead_id;
  row["statecode"] = 0;
  row["statuscode"] = 1;
  row["modifiedon"] = "2026-04-01T09:00:00Z";
  row["_modifiedby_value"] = crm_user_id;
  return row;
}

Result<model::Lead> pull(const Json& row, const model::Lead* existing = nullptr,
                         const FieldSet& crm_owned = {}) {
  FakeResolver resolver;
  return from_dataverse(row, shipped_mapping(), resolver, existing, crm_owned);
}

TEST(FromDataverse, RowOfAPushedLeadReadsBackToTheSameMappedValues) {
  const Json pushed = body_of(full_lead());
  FakeResolver resolver;
  auto lead = from_dataverse(crm_row(pushed), shipped_mapping(), resolver, nullptr, {});
  ASSERT_TRUE(lead.ok()) << lead.error().message;

  const Json again = body_of(*lead);
  int compared = 0;
  for (const auto& entry : shipped_mapping().fields) {
    if (!entry.pulled() || !entry.pushed() || &entry == &shipped_mapping().key()) {
      continue; // read-only or write-only columns, and the key, which is never in a body
    }
    const std::string property =
        entry.type == ColumnType::lookup ? entry.navigation + "@odata.bind" : entry.column;
    EXPECT_EQ(again.at(property), pushed.at(property)) << property;
    ++compared;
  }
  EXPECT_GE(compared, 35);
  EXPECT_EQ(lead->identity.id, lead_id);
  EXPECT_EQ(lead->identity.crm_id, crm_lead_id);
  EXPECT_EQ(lead->identity.crm_version, "1234");
  EXPECT_EQ(lead->person.first_name, "Анна");
  EXPECT_EQ(lead->company.industry, "Consulting") << "the CRM's label for 7";
  EXPECT_EQ(lead->origin.channel, model::Channel::trade_show);
  EXPECT_EQ(lead->origin.campaign, "Spring Expo 2026");
  EXPECT_EQ(lead->qualification.bant.need, model::Need::should_have);
  ASSERT_EQ(lead->person.phones.size(), 4u);
  EXPECT_EQ(lead->person.phones[0].e164, "+49301234567");
  EXPECT_EQ(lead->person.phones[0].extension, "12");
  EXPECT_TRUE(lead->is_new) << "a lead first seen in the CRM is new to enrichment and scoring";
  EXPECT_EQ(resolver.name_calls, 1);
}

TEST(FromDataverse, SelectsEveryPulledColumnAndTheSystemColumnsItReads) {
  const auto columns = select_columns(shipped_mapping());
  for (const char* column :
       {"leadid", "versionnumber", "leadsync_externalid", "firstname", "_campaignid_value",
        "statecode", "statuscode", "modifiedon", "_modifiedby_value", "industrycode"}) {
    EXPECT_THAT(columns, Contains(column));
  }
  EXPECT_THAT(columns, Not(Contains("campaignid")));
  EXPECT_THAT(columns, Not(Contains("leadsync_fitscore"))) << "push-only columns are not read";
  EXPECT_EQ(std::count(columns.begin(), columns.end(), "leadid"), 1);
}

TEST(FromDataverse, MergeKeepsFieldsWeMasterAndTakesThoseTheCrmOwns) {
  auto existing = full_lead();
  existing.is_new = false;
  Json row = crm_row(body_of(existing));
  row["firstname"] = "Anne";
  row["jobtitle"] = "CTO";
  row["donotemail"] = true;
  auto lead = pull(row, &existing, {"consent.do_not_email"});
  ASSERT_TRUE(lead.ok()) << lead.error().message;
  EXPECT_EQ(lead->person.first_name, "Анна");
  EXPECT_EQ(lead->person.job_title, "Head of Procurement");
  EXPECT_TRUE(lead->consent.do_not_email);
  EXPECT_EQ(lead->identity.crm_id, crm_lead_id);
  EXPECT_FALSE(lead->is_new) << "merging keeps our flags";
}

TEST(FromDataverse, NullFromTheCrmClearsAFieldItOwns) {
  const auto existing = full_lead();
  Json row = crm_row(body_of(existing));
  row["jobtitle"] = nullptr;
  auto lead = pull(row, &existing, {"person.job_title"});
  ASSERT_TRUE(lead.ok()) << lead.error().message;
  EXPECT_EQ(lead->person.job_title, "");
}

TEST(FromDataverse, KeepsAPreciseChannelWhileTheCrmStillSaysOther) {
  auto existing = full_lead();
  existing.origin.channel = model::Channel::cold_call;
  const FieldSet owned{"origin.channel"};
  Json row = crm_row(body_of(existing));
  ASSERT_EQ(row.at("leadsourcecode"), 10);
  EXPECT_EQ(pull(row, &existing, owned)->origin.channel, model::Channel::cold_call);

  row["leadsourcecode"] = 8;
  EXPECT_EQ(pull(row, &existing, owned)->origin.channel, model::Channel::web);

  existing.origin.channel = model::Channel::web;
  row["leadsourcecode"] = 10;
  EXPECT_EQ(pull(row, &existing, owned)->origin.channel, model::Channel::other);
}

TEST(FromDataverse, KeepsOurWordingWhenTheCrmValueMeansTheSame) {
  const auto existing = full_lead();
  const FieldSet owned{"company.industry", "person.phones.business"};
  Json row = crm_row(body_of(existing));
  auto same = pull(row, &existing, owned);
  ASSERT_TRUE(same.ok()) << same.error().message;
  EXPECT_EQ(same->company.industry, "IT consulting");
  EXPECT_EQ(same->person.phones[0].raw, "+49 30 1234567");

  row["industrycode"] = 16;
  row["telephone1"] = "+4930999999";
  auto changed = pull(row, &existing, owned);
  ASSERT_TRUE(changed.ok()) << changed.error().message;
  EXPECT_EQ(changed->company.industry, "Financial");
  EXPECT_EQ(changed->person.phones[0].raw, "+4930999999");
  EXPECT_EQ(changed->person.phones[0].e164, "+4930999999");
  EXPECT_EQ(changed->person.phones[0].extension, "");
}

TEST(FromDataverse, ColumnsMissingFromTheRowLeaveFieldsAlone) {
  const Json row = {{"leadid", crm_lead_id}, {"firstname", "Omar"}};
  auto lead = pull(row);
  ASSERT_TRUE(lead.ok()) << lead.error().message;
  EXPECT_EQ(lead->person.first_name, "Omar");
  EXPECT_EQ(lead->identity.id, "") << "a lead created in the CRM has no id of ours yet";
  EXPECT_EQ(lead->qualification.stage, model::LifecycleStage::new_lead);
}

TEST(FromDataverse, ClosesGapsBetweenEmailAddresses) {
  const Json row = {{"emailaddress1", nullptr}, {"emailaddress2", "b@x.example"}};
  auto lead = pull(row);
  ASSERT_TRUE(lead.ok()) << lead.error().message;
  EXPECT_EQ(lead->person.emails, std::vector<std::string>{"b@x.example"});
}

TEST(FromDataverse, QualificationInTheCrmBecomesAnOutcomeWithWhoAndWhen) {
  auto existing = full_lead();
  existing.qualification.stage = model::LifecycleStage::sql;
  Json row = crm_row(body_of(existing));
  row["statecode"] = 1;
  row["statuscode"] = 3;
  row["_modifiedby_value" + formatted] = "Maria Sales";
  auto lead = pull(row, &existing);
  ASSERT_TRUE(lead.ok()) << lead.error().message;
  EXPECT_EQ(lead->qualification.stage, model::LifecycleStage::qualified);
  const auto& outcome = lead->qualification.outcome;
  EXPECT_EQ(outcome.kind, model::OutcomeKind::qualify);
  EXPECT_EQ(outcome.status_code, 3);
  EXPECT_EQ(outcome.reason, "Qualified");
  EXPECT_EQ(outcome.decided_by, "crm:Maria Sales");
  EXPECT_EQ(outcome.decided_at, at(2026, 4, 1, 9));
  EXPECT_TRUE(outcome.pushed);
}

TEST(FromDataverse, DisqualificationKeepsTheStatusReason) {
  auto row = crm_row(body_of(full_lead()));
  row["statecode"] = 2;
  row["statuscode"] = 6;
  auto lead = pull(row);
  ASSERT_TRUE(lead.ok()) << lead.error().message;
  EXPECT_EQ(lead->qualification.stage, model::LifecycleStage::disqualified);
  EXPECT_EQ(lead->qualification.outcome.kind, model::OutcomeKind::disqualify);
  EXPECT_EQ(lead->qualification.outcome.status_code, 6);
  EXPECT_EQ(lead->qualification.outcome.reason, "No Longer Interested");
  EXPECT_EQ(lead->qualification.outcome.decided_by, std::string("crm:") + crm_user_id);
}

TEST(FromDataverse, OurOwnQualificationSeenInTheCrmIsMarkedPushedNotReplaced) {
  auto existing = full_lead();
  existing.qualification.stage = model::LifecycleStage::qualified;
  auto& ours = existing.qualification.outcome;
  ours.kind = model::OutcomeKind::qualify;
  ours.status_code = 3;
  ours.decided_by = "leadsync:rules";
  ours.decided_at = at(2026, 3, 30);
  Json row = crm_row(body_of(existing));
  row["statecode"] = 1;
  row["statuscode"] = 3;
  auto lead = pull(row, &existing);
  ASSERT_TRUE(lead.ok()) << lead.error().message;
  const auto& outcome = lead->qualification.outcome;
  EXPECT_EQ(outcome.decided_by, "leadsync:rules");
  EXPECT_EQ(outcome.decided_at, at(2026, 3, 30));
  EXPECT_TRUE(outcome.pushed);
  EXPECT_EQ(outcome.pushed_at, at(2026, 4, 1, 9));
}

TEST(FromDataverse, ReopeningAClosedLeadInTheCrmIsAReactivation) {
  auto existing = full_lead();
  existing.is_new = false;
  existing.qualification.stage = model::LifecycleStage::disqualified;
  existing.qualification.outcome.kind = model::OutcomeKind::disqualify;
  existing.qualification.outcome.status_code = 4;
  auto lead = pull(crm_row(body_of(existing)), &existing);
  ASSERT_TRUE(lead.ok()) << lead.error().message;
  EXPECT_EQ(lead->qualification.stage, model::LifecycleStage::new_lead);
  EXPECT_EQ(lead->qualification.outcome.kind, model::OutcomeKind::reactivate);
  EXPECT_TRUE(lead->is_new) << "scoring looks at a reopened lead again";
}

TEST(FromDataverse, AnOpenLeadStaysWhereOurScoringPutIt) {
  const auto existing = full_lead();
  auto lead = pull(crm_row(body_of(existing)), &existing);
  ASSERT_TRUE(lead.ok()) << lead.error().message;
  EXPECT_EQ(lead->qualification.stage, model::LifecycleStage::mql);
  EXPECT_EQ(lead->qualification.outcome, existing.qualification.outcome);
}

TEST(FromDataverse, ValueOfTheWrongJsonTypeIsAProtocolError) {
  Json row = {{"numberofemployees", "many"}};
  auto lead = pull(row);
  ASSERT_FALSE(lead.ok());
  EXPECT_EQ(lead.error().category, ErrorCategory::protocol);
  EXPECT_THAT(lead.error().message,
              HasSubstr("the CRM sent \"many\" for column numberofemployees"));
}

TEST(FromDataverse, OptionValueTheMappingDoesNotListSaysToAddIt) {
  Json row = {{"leadsourcecode", 100000001}};
  auto lead = pull(row);
  ASSERT_FALSE(lead.ok());
  EXPECT_EQ(lead.error().category, ErrorCategory::validation);
  EXPECT_THAT(lead.error().message,
              HasSubstr("the CRM has value 100000001 in column leadsourcecode"));
  EXPECT_THAT(lead.error().message,
              HasSubstr("add the CRM's option to [option_sets.leadsourcecode]"));
}

TEST(FromDataverse, RefusesToMergeARowOntoAnotherLead) {
  auto existing = full_lead();
  existing.identity.id = "11111111-2222-4333-8444-555555555555";
  auto lead = pull(crm_row(body_of(full_lead())), &existing);
  ASSERT_FALSE(lead.ok());
  EXPECT_EQ(lead.error().category, ErrorCategory::invalid_argument);
}

TEST(FromDataverse, TakesTheVersionFromTheEtagWhenVersionNumberIsNotSelected) {
  const Json row = {{"@odata.etag", "W/\"98765\""}, {"leadid", crm_lead_id}};
  EXPECT_EQ(pull(row)->identity.crm_version, "98765");
}

TEST(FromDataverse, UsesALookupsFormattedNameWithoutAskingTheCrm) {
  Json row = {{"_campaignid_value", campaign_id},
              {"_campaignid_value" + formatted, "Spring Expo 2026"}};
  FakeResolver resolver;
  auto lead = from_dataverse(row, shipped_mapping(), resolver, nullptr, {});
  ASSERT_TRUE(lead.ok()) << lead.error().message;
  EXPECT_EQ(lead->origin.campaign, "Spring Expo 2026");
  EXPECT_EQ(resolver.name_calls, 0);
}

TEST(FromDataverse, LookupToADeletedRowIsNotFound) {
  Json row = {{"_campaignid_value", "00000000-0000-4000-8000-000000000000"}};
  auto lead = pull(row);
  ASSERT_FALSE(lead.ok());
  EXPECT_EQ(lead.error().category, ErrorCategory::not_found);
}

TEST(FromDataverse, RefusesARowThatIsNotAnObject) {
  auto lead = pull(Json::array());
  ASSERT_FALSE(lead.ok());
  EXPECT_EQ(lead.error().category, ErrorCategory::protocol);
}

} // namespace
} // namespace leadsync::mapping
