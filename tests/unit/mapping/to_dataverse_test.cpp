#include "leadsync/mapping/convert.hpp"
#include "mapping_test_support.hpp"

#include <fstream>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sstream>

namespace leadsync::mapping {
namespace {

using ::testing::HasSubstr;
using Json = nlohmann::json;
using testing::campaign_id;
using testing::date;
using testing::FakeResolver;
using testing::full_lead;
using testing::lead_id;
using testing::shipped_mapping;

PushRules rules_for(model::Date today = date(2026, 3, 20), FieldSet crm_owned = {}) {
  return PushRules{std::move(crm_owned), today};
}

Result<MappedRow> push(const model::Lead& lead, const PushRules& rules = rules_for()) {
  FakeResolver resolver;
  return to_dataverse(lead, shipped_mapping(), resolver, rules);
}

TEST(ToDataverse, FullLeadMapsToExactlyTheExpectedRow) {
  FakeResolver resolver;
  auto row = to_dataverse(full_lead(), shipped_mapping(), resolver, rules_for());
  ASSERT_TRUE(row.ok()) << row.error().message;
  const Json expected = {
      {"firstname", "Анна"},
      {"middlename", "Петровна"},
      {"lastname", "Смирнова"},
      {"jobtitle", "Head of Procurement"},
      {"emailaddress1", "anna@acme.example"},
      {"emailaddress2", "a.smirnova@mail.example"},
      {"emailaddress3", "anna.s@home.example"},
      {"telephone1", "+49301234567 ext. 12"},
      {"mobilephone", "+491701234567"},
      {"telephone2", "030 7654321"},
      {"telephone3", "+442079460958"},
      {"preferredcontactmethodcode", 2},
      {"companyname", "Acme GmbH"},
      {"websiteurl", "https://acme.example"},
      {"industrycode", 7},
      {"numberofemployees", 250},
      {"revenue", 12500000.5},
      {"address1_line1", "Hauptstraße 1"},
      {"address1_line2", "Gebäude B"},
      {"address1_city", "Berlin"},
      {"address1_stateorprovince", "Berlin"},
      {"address1_postalcode", "10115"},
      {"address1_country", "Germany"},
      {"leadsourcecode", 7},
      {"campaignid@odata.bind", std::string("/campaigns(") + campaign_id + ")"},
      {"leadsync_listvendor", "DataHouse"},
      {"leadsync_listid", "DH-77"},
      {"leadsync_listexclusive", true},
      {"leadsync_listacquiredon", "2026-03-01"},
      {"leadsync_listcount", 2},
      {"leadsync_listagebucket", "8-30"},
      {"donotemail", false},
      {"donotphone", true},
      {"donotbulkemail", true},
      {"donotpostalmail", false},
      {"leadsync_lifecyclestage", "mql"},
      {"budgetamount", 50000.0},
      {"budgetstatus", 1},
      {"decisionmaker", true},
      {"need", 1},
      {"purchasetimeframe", 2},
      {"purchaseprocess", 1},
      {"leadsync_fitscore", 80.0},
      {"leadsync_engagementscore", 55.5},
      {"leadsync_dataqualityscore", 90.0},
      {"leadsync_totalscore", 75.25},
      {"leadqualitycode", 1},
      {"subject", "Interested in the enterprise plan"},
      {"description", "Met at the booth"},
      {"leadsync_enrichmentsource", "company-api, people-api"},
      {"leadsync_enrichedon", "2026-03-05T08:30:00Z"},
      {"leadsync_seniority", "director"},
      {"leadsync_linkedinurl", "linkedin.com/in/anna-smirnova"},
      {"leadsync_xhandle", "asmirnova"},
      {"leadsync_githuburl", nullptr},
      {"leadsync_socialbio", "Buys for three plants."},
      {"leadsync_grade", "A"},
      {"leadsync_scorereason", "75: fit 80, engagement 56"},
  };
  EXPECT_EQ(row->body, expected) << "diff: " << Json::diff(expected, row->body).dump(2);
  EXPECT_EQ(row->key_column, "leadsync_externalid");
  EXPECT_EQ(row->key_value, lead_id);
  EXPECT_TRUE(row->warnings.empty());
  EXPECT_EQ(resolver.resolve_calls, 1);
}

TEST(ToDataverse, EmptyFieldsClearTheirColumnsButLeaveLookupsAndRatingAlone) {
  model::Lead lead;
  lead.identity.id = lead_id;
  auto row = push(lead);
  ASSERT_TRUE(row.ok()) << row.error().message;
  EXPECT_TRUE(row->body.at("firstname").is_null());
  EXPECT_TRUE(row->body.at("numberofemployees").is_null());
  EXPECT_TRUE(row->body.at("budgetstatus").is_null());
  EXPECT_TRUE(row->body.at("leadsync_listagebucket").is_null());
  EXPECT_EQ(row->body.at("leadsync_listcount"), 0);
  EXPECT_EQ(row->body.at("leadsourcecode"), 10) << "a lead without a channel is Other";
  EXPECT_FALSE(row->body.contains("campaignid@odata.bind"));
  EXPECT_FALSE(row->body.contains("leadqualitycode")) << "an unscored lead gets no rating";
  EXPECT_FALSE(row->body.contains("leadsync_externalid")) << "the key goes in the URL";
  EXPECT_FALSE(row->body.contains("statecode"));
}

TEST(ToDataverse, TruncatesTextOverItsLimitInCharactersWithAWarning) {
  auto lead = full_lead();
  lead.description = std::string(1990, 'x') + "ёёёёёёёёёёёёёёё"; // 2005 characters, 2020 bytes
  auto row = push(lead);
  ASSERT_TRUE(row.ok()) << row.error().message;
  EXPECT_EQ(row->body.at("description"), std::string(1990, 'x') + "ёёёёёёёёёё");
  ASSERT_EQ(row->warnings.size(), 1u);
  EXPECT_THAT(row->warnings[0], HasSubstr("description -> description: cut from 2005 to 2000"));
}

TEST(ToDataverse, TextAtItsLimitInCharactersIsKeptWhole) {
  auto lead = full_lead();
  lead.person.first_name = std::string(50, 'a');
  lead.person.last_name = "Ж" + std::string(49, 'b'); // 50 characters in 51 bytes
  auto row = push(lead);
  ASSERT_TRUE(row.ok()) << row.error().message;
  EXPECT_EQ(row->body.at("lastname"), lead.person.last_name);
  EXPECT_TRUE(row->warnings.empty());
}

TEST(ToDataverse, RejectsAnOverlongIdentifierInsteadOfCuttingIt) {
  auto lead = full_lead();
  lead.person.emails[0] = std::string(95, 'a') + "@x.example";
  auto row = push(lead);
  ASSERT_FALSE(row.ok());
  EXPECT_EQ(row.error().category, ErrorCategory::validation);
  EXPECT_THAT(row.error().message,
              HasSubstr("person.emails[0] -> emailaddress1: 105 characters, the column holds 100"));
}

TEST(ToDataverse, RejectsNumbersOutsideTheColumnRange) {
  auto lead = full_lead();
  lead.company.employee_count = 2'000'000;
  lead.qualification.scores.fit = 101;
  lead.company.annual_revenue = -5;
  auto row = push(lead);
  ASSERT_FALSE(row.ok());
  const auto& message = row.error().message;
  EXPECT_THAT(message,
              HasSubstr("numberofemployees: 2000000 is outside the column's range 0..1000000"));
  EXPECT_THAT(message, HasSubstr("leadsync_fitscore: 101 is outside the column's range 0..100"));
  EXPECT_THAT(message, HasSubstr("revenue: -5 is outside"));
}

TEST(ToDataverse, NumbersAtTheEdgesOfTheirRangeAreAccepted) {
  auto lead = full_lead();
  lead.company.employee_count = 1'000'000;
  lead.company.annual_revenue = 0;
  lead.qualification.bant.budget_amount = 1e12;
  auto row = push(lead);
  ASSERT_TRUE(row.ok()) << row.error().message;
  EXPECT_EQ(row->body.at("numberofemployees"), 1'000'000);
  EXPECT_EQ(row->body.at("budgetamount"), 1e12);
}

TEST(ToDataverse, UnknownOptionLabelRejectsTheLeadListingTheAcceptedLabels) {
  auto lead = full_lead();
  lead.company.industry = "Space Tourism";
  auto row = push(lead);
  ASSERT_FALSE(row.ok());
  EXPECT_EQ(row.error().category, ErrorCategory::validation);
  EXPECT_THAT(
      row.error().message,
      HasSubstr("company.industry -> industrycode: 'Space Tourism' is not a value of option "
                "set industrycode; accepted: 1 Accounting, 2 Agriculture"));
  EXPECT_THAT(row.error().message, HasSubstr("33 Wholesale"));
}

TEST(ToDataverse, IndustrySynonymsAreMatchedWithoutRegardToCase) {
  auto lead = full_lead();
  lead.company.industry = "недвижимость";
  auto row = push(lead);
  ASSERT_TRUE(row.ok()) << row.error().message;
  EXPECT_EQ(row->body.at("industrycode"), 29);
}

TEST(ToDataverse, ListsEveryRejectionOfALeadAtOnce) {
  auto lead = full_lead();
  lead.identity.id.clear();
  lead.person.phones[1].e164 = "+4917012345678901234567";
  lead.company.address.postal_code = std::string(21, '1');
  auto row = push(lead);
  ASSERT_FALSE(row.ok());
  const auto& message = row.error().message;
  EXPECT_THAT(message, HasSubstr("lead without id cannot be written to the CRM"));
  EXPECT_THAT(message, HasSubstr("the lead has no id"));
  EXPECT_THAT(message, HasSubstr("mobilephone: 23 characters, the column holds 20"));
  EXPECT_THAT(message, HasSubstr("address1_postalcode: 21 characters"));
}

TEST(ToDataverse, RefusesTextThatIsNotUtf8) {
  auto lead = full_lead();
  lead.person.job_title = "CEO \xC3";
  auto row = push(lead);
  ASSERT_FALSE(row.ok());
  EXPECT_THAT(row.error().message, HasSubstr("jobtitle: the text is not valid UTF-8"));
}

TEST(ToDataverse, NeverWritesFieldsTheCrmOwns) {
  auto row =
      push(full_lead(), rules_for(date(2026, 3, 20),
                                  {"consent.do_not_email", "person.job_title", "origin.campaign"}));
  ASSERT_TRUE(row.ok()) << row.error().message;
  EXPECT_FALSE(row->body.contains("donotemail"));
  EXPECT_FALSE(row->body.contains("jobtitle"));
  EXPECT_FALSE(row->body.contains("campaignid@odata.bind"));
  EXPECT_TRUE(row->body.contains("donotphone"));
}

TEST(ToDataverse, ResolvesACampaignOnceAcrossLeadsThroughTheCache) {
  FakeResolver crm;
  CachingLookupResolver cache(crm);
  for (int i = 0; i < 3; ++i) {
    auto row = to_dataverse(full_lead(), shipped_mapping(), cache, rules_for());
    ASSERT_TRUE(row.ok()) << row.error().message;
    EXPECT_EQ(row->body.at("campaignid@odata.bind"),
              std::string("/campaigns(") + campaign_id + ")");
  }
  EXPECT_EQ(crm.resolve_calls, 1);
}

TEST(ToDataverse, UnknownCampaignRejectsTheLeadSayingWhatToDo) {
  auto lead = full_lead();
  lead.origin.campaign = "Autumn Gala";
  auto row = push(lead);
  ASSERT_FALSE(row.ok());
  EXPECT_EQ(row.error().category, ErrorCategory::validation);
  EXPECT_THAT(row.error().message,
              HasSubstr("origin.campaign -> campaignid: no campaigns row has name 'Autumn Gala': "
                        "create it in Dynamics 365"));
}

TEST(ToDataverse, UnreachableCrmDuringALookupIsAnErrorToRetryNotARejection) {
  FakeResolver crm;
  crm.failure = Error::make(ErrorCategory::unavailable, "connection refused", true);
  auto row = to_dataverse(full_lead(), shipped_mapping(), crm, rules_for());
  ASSERT_FALSE(row.ok());
  EXPECT_EQ(row.error().category, ErrorCategory::unavailable);
  EXPECT_TRUE(row.error().retryable);
}

TEST(ToDataverse, ListAgeBucketFollowsTheDayOfThePush) {
  EXPECT_EQ(push(full_lead(), rules_for(date(2026, 3, 5)))->body.at("leadsync_listagebucket"),
            "1-7");
  EXPECT_EQ(push(full_lead(), rules_for(date(2026, 7, 1)))->body.at("leadsync_listagebucket"),
            "older");
}

TEST(ToDataverse, RatingFollowsTheScoreBands) {
  auto lead = full_lead();
  lead.qualification.scores.total = 40;
  EXPECT_EQ(push(lead)->body.at("leadqualitycode"), 2) << "40 reaches warm";
  lead.qualification.scores.total = 39.9;
  EXPECT_EQ(push(lead)->body.at("leadqualitycode"), 3);
  lead.qualification.scores.total = 70;
  EXPECT_EQ(push(lead)->body.at("leadqualitycode"), 1);
}

TEST(ToDataverse, EveryChannelCanBePushed) {
  auto lead = full_lead();
  for (const auto channel :
       {model::Channel::advertisement, model::Channel::trade_show, model::Channel::seminar,
        model::Channel::web, model::Channel::employee_referral, model::Channel::external_referral,
        model::Channel::partner, model::Channel::public_relations, model::Channel::word_of_mouth,
        model::Channel::social_campaign, model::Channel::direct_mail, model::Channel::cold_call,
        model::Channel::purchased_list, model::Channel::other}) {
    lead.origin.channel = channel;
    auto row = push(lead);
    ASSERT_TRUE(row.ok()) << row.error().message;
    EXPECT_TRUE(row->body.at("leadsourcecode").is_number_integer());
  }
}

} // namespace
} // namespace leadsync::mapping

namespace leadsync::mapping {
namespace {

// The shipped mapping's commented-out example for the contacts the e-mail and phone columns leave
// out, switched on.
TEST(ToDataverse, OtherContactsCarryWhatTheEmailAndPhoneColumnsLeaveOut) {
  std::ifstream file(testing::shipped_mapping_path());
  std::stringstream text;
  text << file.rdbuf();
  auto mapping_text = text.str();
  const std::string example = "# [fields.\"person.other_contacts\"]\n"
                              "# column = \"{prefix}othercontacts\"\n"
                              "# type = \"memo\"\n"
                              "# max_length = 2000\n"
                              "# direction = \"push\"\n";
  const auto at = mapping_text.find(example);
  ASSERT_NE(at, std::string::npos) << "the shipped mapping lost its example";
  mapping_text.replace(at, example.size(),
                       "[fields.\"person.other_contacts\"]\ncolumn = \"{prefix}othercontacts\"\n"
                       "type = \"memo\"\nmax_length = 2000\ndirection = \"push\"\n");
  const auto mapping = load_lead_mapping_text(mapping_text, "lead.toml", "leadsync_");
  ASSERT_TRUE(mapping.ok()) << mapping.error().message;

  auto lead = testing::full_lead();
  lead.person.emails.emplace_back("fourth@acme.example");
  lead.person.emails.emplace_back("fifth@acme.example");
  model::Phone second_mobile;
  second_mobile.kind = model::PhoneKind::mobile;
  second_mobile.raw = "+49 170 7654321";
  second_mobile.e164 = "+491707654321";
  second_mobile.valid = true;
  lead.person.phones.push_back(second_mobile);
  testing::FakeResolver resolver;
  const auto row = to_dataverse(lead, *mapping, resolver, rules_for());
  ASSERT_TRUE(row.ok()) << row.error().message;
  EXPECT_EQ(row->body.at("leadsync_othercontacts"),
            "fourth@acme.example; fifth@acme.example; +491707654321");
  EXPECT_EQ(row->body.at("emailaddress3"), "anna.s@home.example") << "the columns are unchanged";
}

} // namespace
} // namespace leadsync::mapping
