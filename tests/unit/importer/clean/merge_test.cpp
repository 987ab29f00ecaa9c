#include "leadsync/importer/dedupe.hpp"

#include <gtest/gtest.h>

namespace leadsync::importer {
namespace {

using std::chrono::day;
using std::chrono::month;
using std::chrono::year;

model::ListProvenance list(std::string vendor, std::string id, int day_of_month) {
  model::ListProvenance provenance;
  provenance.vendor = std::move(vendor);
  provenance.list_id = std::move(id);
  provenance.acquired_on =
      model::Date{year{2026}, month{10}, day{static_cast<unsigned>(day_of_month)}};
  return provenance;
}

model::Phone phone(std::string raw, std::string e164, bool valid = true) {
  model::Phone result;
  result.raw = std::move(raw);
  result.e164 = std::move(e164);
  result.valid = valid;
  return result;
}

model::Lead stored_lead() {
  model::Lead lead;
  lead.identity.id = "1b4e28ba-2fa1-4d2b-883f-0016d3cca427";
  lead.identity.version = 3;
  lead.person.first_name = "Ivan";
  lead.person.last_name = "Petrov";
  lead.person.job_title = "Engineer";
  lead.person.emails = {"ivan@acme.com"};
  lead.person.phones = {phone("+7 495 123-45-67", "+74951234567")};
  lead.company.name = "Acme";
  lead.company.website = "acme.com";
  lead.company.domain = "acme.com";
  lead.origin.channel = model::Channel::purchased_list;
  lead.origin.lists = {list("Expo Leads", "GITEX-2026", 1)};
  lead.description = "Booth: B12";
  lead.is_new = false;
  return lead;
}

bool changed(const MergeResult& result, std::string_view path) {
  return std::find(result.changed_fields.begin(), result.changed_fields.end(), path) !=
         result.changed_fields.end();
}

TEST(MergeLeads, FillsEmptyFieldsFromTheNewcomer) {
  model::Lead newcomer;
  newcomer.person.middle_name = "Sergeevich";
  newcomer.company.industry = "Software";
  newcomer.company.employee_count = 120;
  newcomer.company.address.city = "Moscow";
  newcomer.company.address.country = "RU";
  const auto result = merge_leads(stored_lead(), newcomer);
  EXPECT_EQ(result.lead.person.middle_name, "Sergeevich");
  EXPECT_EQ(result.lead.company.industry, "Software");
  EXPECT_EQ(result.lead.company.employee_count, 120);
  EXPECT_EQ(result.lead.company.address.city, "Moscow");
  EXPECT_EQ(result.lead.person.first_name, "Ivan"); // the newcomer had none: kept
  EXPECT_EQ(result.changed_fields,
            (std::vector<std::string>{"person.middle_name", "company.industry",
                                      "company.employee_count", "company.address"}));
  EXPECT_TRUE(result.lead.is_new);
  EXPECT_EQ(result.lead.identity, stored_lead().identity);
}

TEST(MergeLeads, TheNewerValueWinsWhereBothHaveOne) {
  model::Lead newcomer;
  newcomer.person.job_title = "CTO";
  newcomer.company.name = "Acme Group";
  newcomer.company.website = "https://acme-group.com";
  newcomer.company.domain = "acme-group.com";
  const auto result = merge_leads(stored_lead(), newcomer);
  EXPECT_EQ(result.lead.person.job_title, "CTO");
  EXPECT_EQ(result.lead.company.name, "Acme Group");
  EXPECT_EQ(result.lead.company.website, "https://acme-group.com");
  EXPECT_EQ(result.lead.company.domain, "acme-group.com");
  EXPECT_TRUE(changed(result, "person.job_title"));
  EXPECT_TRUE(changed(result, "company.domain"));
}

TEST(MergeLeads, ValuesOfALeadTheCrmKnowsStayUnlessThePolicySaysOtherwise) {
  auto in_crm = stored_lead();
  in_crm.identity.crm_id = "5d2c8f4e-0000-4000-8000-000000000001";
  model::Lead newcomer;
  newcomer.person.job_title = "CTO";
  newcomer.person.middle_name = "Sergeevich";

  const auto kept = merge_leads(in_crm, newcomer);
  EXPECT_EQ(kept.lead.person.job_title, "Engineer");
  EXPECT_EQ(kept.lead.person.middle_name, "Sergeevich"); // empty values are still filled
  EXPECT_EQ(kept.changed_fields, std::vector<std::string>{"person.middle_name"});

  const auto replaced = merge_leads(in_crm, newcomer, MergePolicy{.crm_values_win = false});
  EXPECT_EQ(replaced.lead.person.job_title, "CTO");
}

TEST(MergeLeads, AnEmailHostDomainDoesNotReplaceTheWebsiteDomain) {
  model::Lead newcomer;
  newcomer.company.domain = "acme-mail.com"; // derived from an e-mail host, no website
  const auto result = merge_leads(stored_lead(), newcomer);
  EXPECT_EQ(result.lead.company.domain, "acme.com");
  EXPECT_FALSE(result.changed());
}

TEST(MergeLeads, TakesTheAddressWhole) {
  auto stored = stored_lead();
  stored.company.address.line1 = "Tverskaya 1";
  stored.company.address.city = "Moscow";
  model::Lead newcomer;
  newcomer.company.address.city = "Kazan";
  const auto result = merge_leads(stored, newcomer);
  EXPECT_EQ(result.lead.company.address.city, "Kazan");
  EXPECT_TRUE(result.lead.company.address.line1.empty()); // never Moscow's street in Kazan
}

TEST(MergeLeads, UnitesEveryEmailAndPhonesByE164) {
  model::Lead newcomer;
  newcomer.person.emails = {"IVAN@acme.com", "ivan.petrov@gmail.com", "ip@acme.ru", "i@acme.de"};
  auto with_extension = phone("8 495 123 45 67", "+74951234567");
  with_extension.extension = "12";
  newcomer.person.phones = {with_extension, phone("+7 916 123-45-67", "+79161234567"),
                            phone("555-0100", "", false)};
  const auto result = merge_leads(stored_lead(), newcomer);
  EXPECT_EQ(result.lead.person.emails,
            (std::vector<std::string>{"ivan@acme.com", "ivan.petrov@gmail.com", "ip@acme.ru",
                                      "i@acme.de"})); // the CRM gets the first three
  ASSERT_EQ(result.lead.person.phones.size(), 3U);
  EXPECT_EQ(result.lead.person.phones[0].raw, "+7 495 123-45-67"); // the stored one stays
  EXPECT_EQ(result.lead.person.phones[0].extension, "12");         // gaining the extension
  EXPECT_EQ(result.lead.person.phones[1].e164, "+79161234567");
  EXPECT_EQ(result.lead.person.phones[2].raw, "555-0100");
  EXPECT_TRUE(changed(result, "person.emails"));
  EXPECT_TRUE(changed(result, "person.phones"));
}

TEST(MergeLeads, AppendsListProvenanceOnceAndCountsTheLists) {
  model::Lead newcomer;
  newcomer.origin.channel = model::Channel::purchased_list;
  newcomer.origin.lists = {list("Data Vendor", "Q4-IT", 20)};
  const auto second = merge_leads(stored_lead(), newcomer);
  ASSERT_EQ(second.lead.origin.lists.size(), 2U);
  EXPECT_EQ(second.lead.origin.lists[1].vendor, "Data Vendor");
  EXPECT_EQ(model::list_count(second.lead.origin), 2);
  EXPECT_EQ(second.changed_fields, std::vector<std::string>{"origin.lists"});

  // The same list again (vendor spelled in another case) changes nothing.
  model::Lead again;
  again.origin.lists = {list("EXPO LEADS", "GITEX-2026", 1)};
  const auto third = merge_leads(second.lead, again);
  EXPECT_FALSE(third.changed());
  EXPECT_EQ(model::list_count(third.lead.origin), 2);
}

TEST(MergeLeads, KeepsTheFirstTouchChannelAndAppendsNewDescriptionLines) {
  auto stored = stored_lead();
  stored.origin.channel = model::Channel::web;
  model::Lead newcomer;
  newcomer.origin.channel = model::Channel::purchased_list;
  newcomer.description = "Booth: B12\nInterest: CRM";
  const auto result = merge_leads(stored, newcomer);
  EXPECT_EQ(result.lead.origin.channel, model::Channel::web);
  EXPECT_EQ(result.lead.description, "Booth: B12\nInterest: CRM");
}

TEST(MergeLeads, ADoNotContactRefusalFromEitherSideStands) {
  model::Lead newcomer;
  newcomer.consent.do_not_phone = true;
  auto stored = stored_lead();
  stored.consent.do_not_email = true;
  const auto result = merge_leads(stored, newcomer);
  EXPECT_TRUE(result.lead.consent.do_not_email);
  EXPECT_TRUE(result.lead.consent.do_not_phone);
  EXPECT_EQ(result.changed_fields, std::vector<std::string>{"consent.do_not_phone"});
}

TEST(MergeLeads, TheSameDataChangesNothing) {
  const auto result = merge_leads(stored_lead(), stored_lead());
  EXPECT_FALSE(result.changed());
  EXPECT_EQ(result.lead, stored_lead()); // is_new untouched too
}

} // namespace
} // namespace leadsync::importer
