#include "leadsync/model/validate.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <limits>

namespace leadsync::model {
namespace {

using ::testing::ElementsAre;
using ::testing::Field;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

// A lead that breaks no rule; each test breaks exactly what it names.
Lead valid_lead() {
  Lead lead;
  lead.identity.id = "1b4e28ba-2fa1-4d2b-883f-0016d3cca427";
  lead.person.last_name = "Ivanova";
  lead.person.emails = {"anna@contoso.com"};
  return lead;
}

auto violation(const std::string& field, const std::string& rule) {
  return ::testing::AllOf(Field(&Violation::field, field), Field(&Violation::rule, rule),
                          Field(&Violation::message, ::testing::Not(IsEmpty())));
}

TEST(Validate, ValidLeadHasNoViolations) {
  EXPECT_THAT(validate(valid_lead()), IsEmpty());
}

TEST(Validate, FullyUsedLimitsAreStillValid) {
  Lead lead = valid_lead();
  lead.identity.crm_id = "7D577253-3EF0-4A0A-BB7F-8335C2596E70";
  lead.person.emails = {"a@b.co", "x.y+tag@mail.example.org", "z@c.de"};
  lead.person.phones = {{PhoneKind::mobile, "", "+12345678", "", true},
                        {PhoneKind::home, "", "+123456789012345", "", true}};
  lead.qualification.scores = {
      .fit = 0, .engagement = 100, .data_quality = 0, .bant = 0, .total = 100};
  lead.enrichment = {{"company.industry", "p", 1, 0, std::nullopt},
                     {"company.domain", "p", 99, 1, std::nullopt}};
  lead.qualification.outcome.kind = OutcomeKind::qualify;
  lead.qualification.outcome.status_code = -1;
  EXPECT_THAT(validate(lead), IsEmpty());
}

TEST(Validate, NeedsLastNameOrCompany) {
  Lead lead = valid_lead();
  lead.person.last_name = "  ";
  lead.person.first_name = "Anna";
  EXPECT_THAT(validate(lead), ElementsAre(violation("person.last_name", "needs_name_or_company")));
  lead.company.name = "Contoso";
  EXPECT_THAT(validate(lead), IsEmpty());
}

TEST(Validate, NeedsAWayToReachTheLead) {
  Lead lead = valid_lead();
  lead.person.emails.clear();
  lead.person.phones = {{PhoneKind::business, "555-0100", "", "", false}};
  lead.company.address.city = "Berlin";
  EXPECT_THAT(validate(lead), ElementsAre(violation("person", "needs_contact")));
}

TEST(Validate, EachKindOfContactIsEnoughOnItsOwn) {
  Lead with_valid_phone = valid_lead();
  with_valid_phone.person.emails.clear();
  with_valid_phone.person.phones = {{PhoneKind::business, "030 123456", "", "", true}};
  EXPECT_THAT(validate(with_valid_phone), IsEmpty());

  Lead with_normalized_phone = valid_lead();
  with_normalized_phone.person.emails.clear();
  with_normalized_phone.person.phones = {{PhoneKind::business, "", "+4930123456", "", false}};
  EXPECT_THAT(validate(with_normalized_phone), IsEmpty());

  Lead with_address = valid_lead();
  with_address.person.emails.clear();
  with_address.company.address.city = "Berlin";
  with_address.company.address.country = "Germany";
  EXPECT_THAT(validate(with_address), IsEmpty());
}

TEST(Validate, AtMostTheIdentifierCapOfEmails) {
  Lead lead = valid_lead();
  lead.person.emails.clear();
  for (std::size_t i = 0; i < max_identifiers_per_lead; ++i) {
    lead.person.emails.push_back("person" + std::to_string(i) + "@example.com");
  }
  EXPECT_THAT(validate(lead), IsEmpty()) << "more than three addresses are kept";
  lead.person.emails.emplace_back("one.more@example.com");
  EXPECT_THAT(validate(lead), ElementsAre(violation("person.emails", "too_many_emails")));
}

TEST(Validate, EachImplausibleEmailIsReportedAtItsIndex) {
  for (const std::string bad :
       {"anna.contoso.com", "@contoso.com", "anna@contoso", "anna@@contoso.com",
        "anna@con toso.com", "anna@contoso.", "", "an@na@contoso.com", "anna@.com"}) {
    Lead lead = valid_lead();
    lead.person.emails = {"anna@contoso.com", bad};
    EXPECT_THAT(validate(lead), ElementsAre(violation("person.emails[1]", "email_format")))
        << "\"" << bad << "\"";
  }
}

TEST(Validate, E164ValuesAreAPlusAndEightToFifteenDigits) {
  for (const std::string bad :
       {"4930123456", "+4930 123456", "+1234567", "+1234567890123456", "+49-30-123456", "+"}) {
    Lead lead = valid_lead();
    lead.person.phones = {{PhoneKind::business, "raw", bad, "", true}};
    EXPECT_THAT(validate(lead),
                ElementsAre(violation("person.phones[0].e164", "phone_e164_format")))
        << bad;
  }
}

TEST(Validate, InternalIdMustBeACanonicalUuid) {
  Lead lead = valid_lead();
  lead.identity.id = "lead-17";
  EXPECT_THAT(validate(lead), ElementsAre(violation("identity.id", "uuid_format")));
  lead.identity.id = "1B4E28BA-2FA1-4D2B-883F-0016D3CCA427";
  EXPECT_THAT(validate(lead), ElementsAre(violation("identity.id", "uuid_format")));
  lead.identity.id.clear();
  EXPECT_THAT(validate(lead), IsEmpty());
}

TEST(Validate, CrmIdsMustBeGuids) {
  Lead lead = valid_lead();
  lead.identity.crm_id = "not-a-guid";
  EXPECT_THAT(validate(lead), ElementsAre(violation("identity.crm_id", "uuid_format")));

  Lead with_activity = valid_lead();
  with_activity.activities = {{ActivityKind::call, "ok", "", std::nullopt, ""},
                              {ActivityKind::note, "bad", "", std::nullopt, "12345"}};
  EXPECT_THAT(validate(with_activity),
              ElementsAre(violation("activities[1].crm_id", "uuid_format")));
}

TEST(Validate, ScoresStayWithinZeroToHundred) {
  Lead lead = valid_lead();
  lead.qualification.scores.engagement = 100.5;
  EXPECT_THAT(validate(lead),
              ElementsAre(violation("qualification.scores.engagement", "score_range")));
  lead.qualification.scores.engagement = 50;
  lead.qualification.scores.fit = -0.1;
  EXPECT_THAT(validate(lead), ElementsAre(violation("qualification.scores.fit", "score_range")));
  lead.qualification.scores.fit = std::numeric_limits<double>::quiet_NaN();
  EXPECT_THAT(validate(lead), ElementsAre(violation("qualification.scores.fit", "score_range")));
}

TEST(Validate, ConfidencesStayWithinZeroToOne) {
  Lead lead = valid_lead();
  lead.enrichment = {{"company.industry", "p", 87, 0.87, std::nullopt},
                     {"company.domain", "p", 87, 87, std::nullopt}};
  EXPECT_THAT(validate(lead),
              ElementsAre(violation("enrichment[1].confidence", "confidence_range")));
}

TEST(Validate, QualifyOutcomeNeedsStatusThreeOrCrmChoice) {
  Lead lead = valid_lead();
  lead.qualification.outcome.kind = OutcomeKind::qualify;
  lead.qualification.outcome.status_code = 3;
  EXPECT_THAT(validate(lead), IsEmpty());
  lead.qualification.outcome.status_code = 4;
  EXPECT_THAT(validate(lead),
              ElementsAre(violation("qualification.outcome.status_code", "outcome_status_code")));
}

TEST(Validate, DisqualifyOutcomeNeedsStatusFourToSeven) {
  Lead lead = valid_lead();
  lead.qualification.outcome.kind = OutcomeKind::disqualify;
  for (int status : {4, 7}) {
    lead.qualification.outcome.status_code = status;
    EXPECT_THAT(validate(lead), IsEmpty()) << status;
  }
  for (int status : {3, 8, -1}) {
    lead.qualification.outcome.status_code = status;
    EXPECT_THAT(validate(lead),
                ElementsAre(violation("qualification.outcome.status_code", "outcome_status_code")))
        << status;
  }
}

TEST(Validate, StatusCodeIsFreeWhenThereIsNoDecision) {
  Lead lead = valid_lead();
  lead.qualification.outcome.kind = OutcomeKind::none;
  lead.qualification.outcome.status_code = 99;
  EXPECT_THAT(validate(lead), IsEmpty());
}

TEST(Validate, ReportsEveryBrokenRuleAtOnce) {
  Lead lead;
  lead.identity.id = "nope";
  lead.qualification.scores.total = 150;
  lead.enrichment = {{"company.domain", "p", 2, 2, std::nullopt}};
  EXPECT_THAT(validate(lead),
              ElementsAre(violation("person.last_name", "needs_name_or_company"),
                          violation("person", "needs_contact"),
                          violation("identity.id", "uuid_format"),
                          violation("qualification.scores.total", "score_range"),
                          violation("enrichment[0].confidence", "confidence_range")));
}

TEST(Validate, TombstonesAreNotValidated) {
  Lead lead;
  lead.identity.id = "nope";
  lead.deleted = true;
  EXPECT_THAT(validate(lead), IsEmpty());
}

TEST(Validate, MessagesSayWhatWouldFixTheProblem) {
  Lead lead = valid_lead();
  lead.person.emails = {"anna.contoso.com"};
  const auto violations = validate(lead);
  ASSERT_EQ(violations.size(), 1U);
  EXPECT_THAT(violations[0].message, HasSubstr("\"anna.contoso.com\""));
  EXPECT_THAT(violations[0].message, HasSubstr("correct or remove it"));
}

TEST(Describe, JoinsFieldAndMessagePairsOnOneLine) {
  const std::vector<Violation> violations = {
      {"person.last_name", "needs_name_or_company", "add one"},
      {"person.emails[0]", "email_format", "fix it"}};
  EXPECT_EQ(describe(violations), "person.last_name: add one; person.emails[0]: fix it");
  EXPECT_EQ(describe({}), "");
}

} // namespace
} // namespace leadsync::model
