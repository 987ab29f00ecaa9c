#include "leadsync/importer/row_to_lead.hpp"
#include "leadsync/model/validate.hpp"

#include <gtest/gtest.h>

namespace leadsync::importer {
namespace {

using std::chrono::day;
using std::chrono::month;
using std::chrono::year;

RowContext context(UnmappedColumns unmapped = UnmappedColumns::description) {
  RowContext result;
  result.default_region = "US";
  result.unmapped_columns = unmapped;
  result.list.vendor = "Expo Leads";
  result.list.list_id = "GITEX-2026";
  result.list.exclusive = false;
  result.list.acquired_on = model::Date{year{2026}, month{10}, day{14}};
  return result;
}

bool has_problem(const RowResult& result, std::string_view text) {
  for (const auto& problem : result.problems) {
    if (problem.find(text) != std::string::npos) {
      return true;
    }
  }
  return false;
}

TEST(BuildLead, CleansEveryFieldOfAGoodRow) {
  const MappedRow row{{{"first_name", " IVAN "},
                       {"last_name", "PETROV"},
                       {"email", "Ivan.Petrov@Acme.RU"},
                       {"phone_mobile", "8 (916) 123-45-67"},
                       {"phone_business", "+7 495 123 45 67 доб. 12"},
                       {"company", "  ACME  Ltd "},
                       {"job_title", "CTO"},
                       {"website", "https://www.acme.ru/about"},
                       {"industry", "Software"},
                       {"employee_count", "51-200"},
                       {"annual_revenue", "1,5 млн"},
                       {"city", "Москва"},
                       {"country", "Россия"},
                       {"language", "русский"},
                       {"notes", "met at the booth"}},
                      {{"Booth", "B12"}, {"Interest", " CRM  integration "}}};
  const auto result = build_lead(row, context());
  ASSERT_TRUE(result.accepted()) << result.reject_reason;
  EXPECT_TRUE(result.problems.empty()) << result.problems.front();
  const auto& lead = result.lead;
  EXPECT_EQ(lead.person.first_name, "Ivan");
  EXPECT_EQ(lead.person.last_name, "Petrov");
  EXPECT_EQ(lead.person.emails, std::vector<std::string>{"Ivan.Petrov@acme.ru"});
  ASSERT_EQ(lead.person.phones.size(), 2U);
  // The row's country (Россия) is the phone region, not the default US.
  EXPECT_EQ(lead.person.phones[0].e164, "+79161234567");
  EXPECT_EQ(lead.person.phones[0].kind, model::PhoneKind::mobile);
  EXPECT_EQ(lead.person.phones[1].e164, "+74951234567");
  EXPECT_EQ(lead.person.phones[1].extension, "12");
  EXPECT_EQ(lead.person.phones[1].kind, model::PhoneKind::business);
  EXPECT_EQ(lead.person.language, "ru");
  EXPECT_EQ(lead.company.name, "ACME Ltd"); // company names keep their casing
  EXPECT_EQ(lead.company.website, "https://www.acme.ru/about");
  EXPECT_EQ(lead.company.domain, "acme.ru");
  EXPECT_EQ(lead.company.employee_count, 51);
  EXPECT_EQ(lead.company.annual_revenue, 1'500'000.0);
  EXPECT_EQ(lead.company.address.city, "Москва");
  EXPECT_EQ(lead.description, "met at the booth\nBooth: B12\nInterest: CRM integration");
  EXPECT_EQ(lead.origin.channel, model::Channel::purchased_list);
  ASSERT_EQ(lead.origin.lists.size(), 1U);
  EXPECT_EQ(lead.origin.lists[0].vendor, "Expo Leads");
  EXPECT_EQ(lead.origin.lists[0].list_id, "GITEX-2026");
  EXPECT_TRUE(model::validate(lead).empty()) << model::describe(model::validate(lead));
}

TEST(BuildLead, RejectsARowWithoutLastNameOrCompany) {
  const MappedRow row{{{"first_name", "Ivan"}, {"email", "ivan@example.com"}}, {}};
  const auto result = build_lead(row, context());
  EXPECT_FALSE(result.accepted());
  EXPECT_EQ(result.reject_reason, "no last name or company");
}

TEST(BuildLead, RejectsARowWithoutAValidWayToReachAndSaysWhy) {
  const MappedRow row{{{"last_name", "Smith"}, {"email", "x@"}, {"phone", "555-0100"}}, {}};
  const auto result = build_lead(row, context());
  EXPECT_FALSE(result.accepted());
  EXPECT_EQ(result.reject_reason,
            "no valid e-mail or phone: e-mail 'x@' is not valid (nothing after '@'); phone "
            "'555-0100' is not a valid number for region US");
}

TEST(BuildLead, GivesEveryReasonWhenBothRequirementsFail) {
  const MappedRow row{{{"first_name", "Ivan"}, {"job_title", "CEO"}}, {}};
  const auto result = build_lead(row, context());
  EXPECT_EQ(result.reject_reason, "no last name or company; no valid e-mail or phone: none given");
}

TEST(BuildLead, AcceptsACompanyWithAValidPhoneOnly) {
  const MappedRow row{{{"company", "Gulf Trading LLC"}, {"phone", "+971 4 323 4567"}}, {}};
  const auto result = build_lead(row, context());
  EXPECT_TRUE(result.accepted()) << result.reject_reason;
  EXPECT_EQ(result.lead.person.phones.at(0).e164, "+97143234567");
}

TEST(BuildLead, DropsInvalidEmailsAndKeepsFlaggedPhonesOnAnAcceptedRow) {
  const MappedRow row{{{"last_name", "Smith"},
                       {"email", "john@@example.com"},
                       {"email2", "john@example.com"},
                       {"phone", "555-0100"}},
                      {}};
  const auto result = build_lead(row, context());
  ASSERT_TRUE(result.accepted()) << result.reject_reason;
  EXPECT_EQ(result.lead.person.emails, std::vector<std::string>{"john@example.com"});
  ASSERT_EQ(result.lead.person.phones.size(), 1U);
  EXPECT_FALSE(result.lead.person.phones[0].valid);
  EXPECT_EQ(result.lead.person.phones[0].raw, "555-0100");
  EXPECT_TRUE(has_problem(result, "e-mail 'john@@example.com' is not valid"));
  EXPECT_TRUE(has_problem(result, "phone '555-0100' is not a valid number"));
  ASSERT_EQ(result.emails.size(), 2U);
  EXPECT_FALSE(result.emails[0].valid);
  EXPECT_TRUE(result.emails[1].valid);
}

TEST(BuildLead, KeepsAnInvalidEmailAsReceivedMarkedInvalidOnARowWithAValidPhone) {
  const MappedRow row{{{"last_name", "Smith"},
                       {"email", " John.Smith@@Example.com "},
                       {"email2", "John.Smith@@Example.com"},
                       {"phone", "+1 212 456 7890"}},
                      {}};

  const auto result = build_lead(row, context());

  ASSERT_TRUE(result.accepted()) << result.reject_reason;
  EXPECT_TRUE(result.lead.person.emails.empty());
  // As received (the cell's spaces trimmed), once, never among the addresses that are used.
  EXPECT_EQ(result.lead.person.invalid_emails, std::vector<std::string>{"John.Smith@@Example.com"});
  EXPECT_TRUE(has_problem(result, "e-mail 'John.Smith@@Example.com' is not valid"));
  EXPECT_TRUE(model::validate(result.lead).empty())
      << model::describe(model::validate(result.lead));
}

TEST(BuildLead, AFreeMailAddressNeverGivesTheCompanyDomain) {
  const MappedRow free_mail{{{"last_name", "Ivanova"}, {"email", "anna@gmail.com"}}, {}};
  EXPECT_TRUE(build_lead(free_mail, context()).lead.company.domain.empty());

  const MappedRow work_mail{
      {{"last_name", "Ivanova"}, {"email", "anna@gmail.com"}, {"email2", "anna@mail.acme.co.uk"}},
      {}};
  EXPECT_EQ(build_lead(work_mail, context()).lead.company.domain, "acme.co.uk");

  const MappedRow website_first{
      {{"last_name", "Ivanova"}, {"email", "anna@acme.co.uk"}, {"website", "acme-group.com"}}, {}};
  EXPECT_EQ(build_lead(website_first, context()).lead.company.domain, "acme-group.com");
}

TEST(BuildLead, RecognisesRoleAndFreeMailInTheEmailChecks) {
  const MappedRow row{{{"company", "Acme"}, {"email", "info@acme.com; ceo@gmail.com"}}, {}};
  const auto result = build_lead(row, context());
  ASSERT_EQ(result.emails.size(), 2U);
  EXPECT_TRUE(result.emails[0].role);
  EXPECT_FALSE(result.emails[0].free_mail);
  EXPECT_FALSE(result.emails[1].role);
  EXPECT_TRUE(result.emails[1].free_mail);
  EXPECT_EQ(result.lead.person.emails.size(), 2U);
}

TEST(BuildLead, KeepsEveryDistinctEmailUpToTheIdentifierCap) {
  const MappedRow row{{{"last_name", "Smith"},
                       {"email", "a@example.com, b@example.com"},
                       {"email2", "A@EXAMPLE.COM; c@example.com; d@example.com"}},
                      {}};
  const auto result = build_lead(row, context());
  EXPECT_EQ(result.lead.person.emails,
            (std::vector<std::string>{"a@example.com", "b@example.com", "c@example.com",
                                      "d@example.com"}));
  std::string many;
  for (std::size_t i = 0; i <= model::max_identifiers_per_lead; ++i) {
    many += "p" + std::to_string(i) + "@example.com;";
  }
  const auto capped = build_lead({{{"last_name", "Smith"}, {"email", many}}, {}}, context());
  EXPECT_EQ(capped.lead.person.emails.size(), model::max_identifiers_per_lead);
  EXPECT_TRUE(has_problem(capped, "was left out"));
}

TEST(BuildLead, SplitsSeveralNumbersInOnePhoneCellButNotAnExtension) {
  const MappedRow row{
      {{"last_name", "Smith"}, {"phone", "+7 495 123-45-67, +7 916 123-45-67; 212-555-0100,12"}},
      {}};
  const auto result = build_lead(row, context());
  ASSERT_EQ(result.lead.person.phones.size(), 3U);
  EXPECT_EQ(result.lead.person.phones[0].e164, "+74951234567");
  EXPECT_EQ(result.lead.person.phones[1].e164, "+79161234567");
  EXPECT_EQ(result.lead.person.phones[2].e164, "+12125550100");
  EXPECT_EQ(result.lead.person.phones[2].extension, "12");
}

TEST(BuildLead, SplitsAFullNameOnlyWhenTheNamePartsAreMissing) {
  const MappedRow full{{{"full_name", "ПЕТРОВА АННА СЕРГЕЕВНА"}, {"email", "a@example.ru"}}, {}};
  const auto split = build_lead(full, context()).lead.person;
  EXPECT_EQ(split.first_name, "Анна");
  EXPECT_EQ(split.middle_name, "Сергеевна");
  EXPECT_EQ(split.last_name, "Петрова");

  const MappedRow both{
      {{"full_name", "Anna Petrova"}, {"last_name", "Ivanova"}, {"email", "a@example.ru"}}, {}};
  const auto kept = build_lead(both, context()).lead.person;
  EXPECT_EQ(kept.last_name, "Ivanova");
  EXPECT_TRUE(kept.first_name.empty());
}

TEST(BuildLead, UnmappedColumnsGoToDescriptionCustomFieldsOrNowhere) {
  const MappedRow row{{{"company", "Acme"}, {"email", "a@acme.com"}},
                      {{"Source", "GITEX"}, {"Empty", "  "}, {"Stand ", "B12"}}};
  const auto described = build_lead(row, context(UnmappedColumns::description));
  EXPECT_EQ(described.lead.description, "Source: GITEX\nStand: B12");
  EXPECT_TRUE(described.custom_fields.empty());

  const auto custom = build_lead(row, context(UnmappedColumns::custom));
  EXPECT_TRUE(custom.lead.description.empty());
  EXPECT_EQ(custom.custom_fields, (NamedValues{{"Source", "GITEX"}, {"Stand", "B12"}}));

  const auto dropped = build_lead(row, context(UnmappedColumns::drop));
  EXPECT_TRUE(dropped.lead.description.empty());
  EXPECT_TRUE(dropped.custom_fields.empty());
}

TEST(BuildLead, ReportsValuesItCannotReadAndLeavesThemEmpty) {
  const MappedRow row{{{"company", "Acme"},
                       {"email", "a@acme.com"},
                       {"employee_count", "many"},
                       {"annual_revenue", "unknown"},
                       {"language", "Elvish dialect"},
                       {"website", "http://192.168.0.1/"},
                       {"favourite_colour", "blue"},
                       {"company", "Acme Holdings"}},
                      {}};
  const auto result = build_lead(row, context());
  ASSERT_TRUE(result.accepted());
  EXPECT_FALSE(result.lead.company.employee_count.has_value());
  EXPECT_FALSE(result.lead.company.annual_revenue.has_value());
  EXPECT_TRUE(result.lead.person.language.empty());
  EXPECT_EQ(result.lead.company.domain, "acme.com"); // from the e-mail, the website has none
  EXPECT_EQ(result.lead.company.name, "Acme");
  EXPECT_TRUE(has_problem(result, "employee count 'many'"));
  EXPECT_TRUE(has_problem(result, "annual revenue 'unknown'"));
  EXPECT_TRUE(has_problem(result, "language 'Elvish dialect'"));
  EXPECT_TRUE(has_problem(result, "website 'http://192.168.0.1/' has no registrable domain"));
  EXPECT_TRUE(has_problem(result, "'favourite_colour' is not a lead field"));
  EXPECT_TRUE(has_problem(result, "two values for company: kept 'Acme', ignored 'Acme Holdings'"));
  EXPECT_EQ(result.lead.description, "favourite_colour: blue");
}

TEST(BuildLead, ReadsEmployeeCountsAndRevenuesAsListsWriteThem) {
  const std::vector<std::pair<std::string, std::int64_t>> counts = {
      {"1,200", 1200}, {"1 200", 1200}, {"1.200", 1200}, {"51-200", 51},
      {"10 – 50", 10}, {"500+", 500},   {"~40", 40},     {"7", 7}};
  for (const auto& [text, expected] : counts) {
    const MappedRow row{{{"company", "Acme"}, {"email", "a@acme.com"}, {"employee_count", text}},
                        {}};
    EXPECT_EQ(build_lead(row, context()).lead.company.employee_count, expected) << text;
  }
  const std::vector<std::pair<std::string, double>> revenues = {{"1,500,000", 1.5e6},
                                                                {"1.500.000", 1.5e6},
                                                                {"1 500 000 руб.", 1.5e6},
                                                                {"$1.5M", 1.5e6},
                                                                {"USD 2,000,000.50", 2000000.5},
                                                                {"1,5", 1.5},
                                                                {"2.5 bn", 2.5e9},
                                                                {"750K", 7.5e5},
                                                                {"3 млрд", 3e9},
                                                                {"1.500", 1500},
                                                                {"€1.500,25", 1500.25},
                                                                {"5 مليون", 5e6}};
  for (const auto& [text, expected] : revenues) {
    const MappedRow row{{{"company", "Acme"}, {"email", "a@acme.com"}, {"annual_revenue", text}},
                        {}};
    const auto revenue = build_lead(row, context()).lead.company.annual_revenue;
    ASSERT_TRUE(revenue.has_value()) << text;
    EXPECT_DOUBLE_EQ(*revenue, expected) << text;
  }
}

TEST(BuildLead, AddsNoListWhenTheProvenanceIsEmpty) {
  RowContext bare;
  const MappedRow row{{{"company", "Acme"}, {"email", "a@acme.com"}}, {}};
  const auto lead = build_lead(row, bare).lead;
  EXPECT_TRUE(lead.origin.lists.empty());
  EXPECT_EQ(lead.origin.channel, model::Channel::purchased_list);
}

TEST(LeadFields, NameTheImporterFields) {
  EXPECT_TRUE(is_lead_field("phone_mobile"));
  EXPECT_TRUE(is_lead_field("notes"));
  EXPECT_FALSE(is_lead_field("Phone"));
  EXPECT_EQ(lead_field_names().size(), 23U);
}

} // namespace
} // namespace leadsync::importer
