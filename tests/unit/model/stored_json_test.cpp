// to_stored_json_text: the compact document the stores keep. It must read back as the very lead
// written, leave out exactly the members at their default, and otherwise be to_json_text's text.

#include "leadsync/model/json.hpp"

#include <cstdio>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace leadsync::model {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;
using std::chrono::sys_days;
using ::testing::HasSubstr;
using ::testing::Not;

TimePoint at(Date date, std::chrono::nanoseconds time_of_day) {
  return TimePoint{sys_days{date}} + time_of_day;
}

// Every member, at every depth, differs from its default (EveryMemberOfTheFullLeadIsSet checks),
// so a member the compact form loses cannot go unnoticed.
Lead every_member_set() {
  Lead lead;
  lead.identity = {.id = "1b4e28ba-2fa1-4d2b-883f-0016d3cca427",
                   .crm_id = "7d577253-3ef0-4a0a-bb7f-8335c2596e70",
                   .version = 42,
                   .crm_version = "W/\"1234567\"",
                   .created_at = at(2026y / 11 / 1, 8h + 15min),
                   .updated_at = at(2026y / 11 / 2, 9h + 30min + 1s + 250ms)};
  lead.person = {.first_name = "Анна",
                 .middle_name = "Maria",
                 .last_name = "Ivanova",
                 .job_title = "Head of \"Procurement\"",
                 .seniority = "director",
                 .emails = {"anna@contoso.com", "a.ivanova@example.org"},
                 .phones = {{.kind = PhoneKind::mobile,
                             .raw = "0170 1234567",
                             .e164 = "+491701234567",
                             .extension = "",
                             .valid = true,
                             .line_type = LineType::mobile},
                            {.kind = PhoneKind::home,
                             .raw = "030 123456-12",
                             .e164 = "+4930123456",
                             .extension = "12",
                             .valid = false,
                             .line_type = LineType::unknown}},
                 .invalid_emails = {"anna at contoso"},
                 .preferred_contact_method = ContactMethod::phone,
                 .language = "ru"};
  lead.company = {.name = "Contoso GmbH",
                  .website = "https://www.contoso.de",
                  .domain = "contoso.de",
                  .industry = "Consulting",
                  .employee_count = 250,
                  .annual_revenue = 12'500'000.75,
                  .address = {.line1 = "Hauptstr. 1",
                              .line2 = "Hinterhaus",
                              .city = "Berlin",
                              .state_or_province = "BE",
                              .postal_code = "10115",
                              .country = "Germany"}};
  lead.origin = {.channel = Channel::trade_show,
                 .campaign = "Autumn 2026",
                 .lead_magnet = "white paper",
                 .lists = {{.vendor = "Acme Lists",
                            .list_id = "L-2026-11",
                            .exclusive = true,
                            .times_sold = 3,
                            .acquired_on = 2026y / 11 / 1,
                            .imported_at = at(2026y / 11 / 3, 10h + 123us)}}};
  lead.consent = {.do_not_email = true,
                  .do_not_phone = true,
                  .do_not_bulk_email = true,
                  .do_not_postal_mail = true,
                  .lawful_basis = LawfulBasis::legitimate_interest,
                  .given_at = at(2026y / 10 / 30, 23h + 59min + 59s + 999'999'999ns),
                  .aware_of_sales_offer = true};
  lead.kind = LeadKind::marketing;
  lead.qualification = {
      .stage = LifecycleStage::mql,
      .bant = {.budget_amount = 50'000,
               .budget_status = BudgetStatus::can_buy,
               .decision_maker = true,
               .need = Need::should_have,
               .purchase_timeframe = PurchaseTimeframe::next_quarter,
               .purchase_process = PurchaseProcess::committee},
      .scores =
          {.fit = 61.5, .engagement = 22.25, .data_quality = 80, .bant = 40, .total = 0.1 + 0.2},
      .fired_rules = {"fit.industry", "engagement.pricing_page"},
      .outcome = {.kind = OutcomeKind::disqualify,
                  .create_account = false,
                  .create_contact = false,
                  .create_opportunity = false,
                  .status_code = 5,
                  .reason = "cannot contact after five attempts",
                  .decided_by = "leadsync:rules",
                  .decided_at = at(2026y / 11 / 20, 12h),
                  .pushed = true,
                  .pushed_at = at(2026y / 11 / 20, 12h + 5s)},
      .grade = "B",
      .quality_code = 2,
      .reasons = {{.rule = "fit.industry", .group = "fit", .points = 20, .detail = "Consulting"}},
      .reason_text = "total 55, grade B: industry",
      .scored_at = at(2026y / 11 / 19, 6h)};
  lead.social = {.linkedin_url = "linkedin.com/in/anna-ivanova",
                 .x_handle = "anna",
                 .github_url = "github.com/anna",
                 .facebook_url = "facebook.com/anna",
                 .bio = "Buyer.\nLine two\t\u00e9",
                 .location = "Berlin",
                 .blog = "anna.example"};
  lead.enrichment = {{.field = "company.employee_count",
                      .provider = "clearbit",
                      .raw_confidence = 87,
                      .confidence = 0.87,
                      .fetched_at = at(2026y / 11 / 4, 1h)}};
  lead.enriched_at = at(2026y / 11 / 4, 1h + 1s);
  lead.stakeholders = {{.name = "Boris Petrov", .role = "CFO", .email = "boris@contoso.de"}};
  lead.competitors = {"Fabrikam", "Northwind"};
  lead.activities = {{.kind = ActivityKind::call,
                      .subject = "Intro call",
                      .body = "Discussed pricing",
                      .occurred_at = at(2026y / 11 / 5, 14h),
                      .crm_id = "0f8fad5b-d9cb-469f-a165-70867728950e"}};
  lead.subject = "Procurement platform";
  lead.description = "imported column: Region=EMEA";
  lead.is_new = false;
  lead.deleted = true;
  lead.merges = {
      {.rule = "email", .source = "list.csv line 7", .merged_at = at(2026y / 11 / 6, 2h)}};
  lead.merge_count = 3;
  lead.merged_into = "0b4e28ba-2fa1-4d2b-883f-0016d3cca427";
  return lead;
}

// A lead as `leadsync import` stores it from a purchased list row (taken from a real import: name,
// title, e-mail, a direct line and a mobile, company with website and address, the list's
// provenance; identity set by the store). Its full document is 1,286 bytes.
Lead imported_lead() {
  Lead lead;
  lead.identity.id = "01a24bf3-2c31-799b-be0b-2b727fd9a24d";
  lead.identity.version = 1;
  lead.identity.created_at = at(2026y / 12 / 6, 15h + 22min + 37s + 490ms);
  lead.identity.updated_at = lead.identity.created_at;
  lead.person.first_name = "Anna";
  lead.person.last_name = "Ivanova";
  lead.person.job_title = "Head of Procurement";
  lead.person.emails = {"anna.ivanova@contoso.de"};
  lead.person.phones = {{.kind = PhoneKind::business,
                         .raw = "030 1234567",
                         .e164 = "+49301234567",
                         .extension = "",
                         .valid = true,
                         .line_type = LineType::fixed_line},
                        {.kind = PhoneKind::mobile,
                         .raw = "0170 1234567",
                         .e164 = "+491701234567",
                         .extension = "",
                         .valid = true,
                         .line_type = LineType::mobile}};
  lead.company.name = "Contoso GmbH";
  lead.company.website = "www.contoso.de";
  lead.company.domain = "contoso.de";
  lead.company.address.city = "Berlin";
  lead.company.address.country = "Germany";
  lead.origin.channel = Channel::purchased_list;
  lead.origin.lists = {{.vendor = "Acme Lists",
                        .list_id = "L-2026",
                        .exclusive = false,
                        .times_sold = std::nullopt,
                        .acquired_on = 2026y / 1 / 15,
                        .imported_at = at(2026y / 12 / 6, 15h + 22min + 37s + 483ms)}};
  return lead;
}

// One member of a lead, by its path, copied from another lead.
struct Member {
  const char* path;
  void (*copy)(Lead& to, const Lead& from);
};
#define MEMBER(path)                                                                               \
  Member {                                                                                         \
#path, [](Lead & to, const Lead& from) { to.path = from.path; }                                \
  }

// Every member of the lead at every depth, records whole and member by member.
const std::vector<Member>& members() {
  static const std::vector<Member> all{
      MEMBER(identity),
      MEMBER(identity.id),
      MEMBER(identity.crm_id),
      MEMBER(identity.version),
      MEMBER(identity.crm_version),
      MEMBER(identity.created_at),
      MEMBER(identity.updated_at),
      MEMBER(person),
      MEMBER(person.first_name),
      MEMBER(person.middle_name),
      MEMBER(person.last_name),
      MEMBER(person.job_title),
      MEMBER(person.seniority),
      MEMBER(person.emails),
      MEMBER(person.phones),
      MEMBER(person.invalid_emails),
      MEMBER(person.preferred_contact_method),
      MEMBER(person.language),
      MEMBER(company),
      MEMBER(company.name),
      MEMBER(company.website),
      MEMBER(company.domain),
      MEMBER(company.industry),
      MEMBER(company.employee_count),
      MEMBER(company.annual_revenue),
      MEMBER(company.address),
      MEMBER(company.address.line1),
      MEMBER(company.address.line2),
      MEMBER(company.address.city),
      MEMBER(company.address.state_or_province),
      MEMBER(company.address.postal_code),
      MEMBER(company.address.country),
      MEMBER(origin),
      MEMBER(origin.channel),
      MEMBER(origin.campaign),
      MEMBER(origin.lead_magnet),
      MEMBER(origin.lists),
      MEMBER(consent),
      MEMBER(consent.do_not_email),
      MEMBER(consent.do_not_phone),
      MEMBER(consent.do_not_bulk_email),
      MEMBER(consent.do_not_postal_mail),
      MEMBER(consent.lawful_basis),
      MEMBER(consent.given_at),
      MEMBER(consent.aware_of_sales_offer),
      MEMBER(kind),
      MEMBER(qualification),
      MEMBER(qualification.stage),
      MEMBER(qualification.bant),
      MEMBER(qualification.bant.budget_amount),
      MEMBER(qualification.bant.budget_status),
      MEMBER(qualification.bant.decision_maker),
      MEMBER(qualification.bant.need),
      MEMBER(qualification.bant.purchase_timeframe),
      MEMBER(qualification.bant.purchase_process),
      MEMBER(qualification.scores),
      MEMBER(qualification.scores.fit),
      MEMBER(qualification.scores.engagement),
      MEMBER(qualification.scores.data_quality),
      MEMBER(qualification.scores.bant),
      MEMBER(qualification.scores.total),
      MEMBER(qualification.fired_rules),
      MEMBER(qualification.outcome),
      MEMBER(qualification.outcome.kind),
      MEMBER(qualification.outcome.create_account),
      MEMBER(qualification.outcome.create_contact),
      MEMBER(qualification.outcome.create_opportunity),
      MEMBER(qualification.outcome.status_code),
      MEMBER(qualification.outcome.reason),
      MEMBER(qualification.outcome.decided_by),
      MEMBER(qualification.outcome.decided_at),
      MEMBER(qualification.outcome.pushed),
      MEMBER(qualification.outcome.pushed_at),
      MEMBER(qualification.grade),
      MEMBER(qualification.quality_code),
      MEMBER(qualification.reasons),
      MEMBER(qualification.reason_text),
      MEMBER(qualification.scored_at),
      MEMBER(social),
      MEMBER(social.linkedin_url),
      MEMBER(social.x_handle),
      MEMBER(social.github_url),
      MEMBER(social.facebook_url),
      MEMBER(social.bio),
      MEMBER(social.location),
      MEMBER(social.blog),
      MEMBER(enrichment),
      MEMBER(enriched_at),
      MEMBER(stakeholders),
      MEMBER(competitors),
      MEMBER(activities),
      MEMBER(subject),
      MEMBER(description),
      MEMBER(is_new),
      MEMBER(deleted),
      MEMBER(merges),
      MEMBER(merge_count),
      MEMBER(merged_into),
  };
  return all;
}
#undef MEMBER

// The checks every lead must pass: the compact form reads back as the lead, is never longer than
// the full form, is its own canonical dump (same key order and value formats as to_json_text),
// and says nothing the full form does not say alike.
void expect_stored_form_is_faithful(const Lead& lead, const std::string& what) {
  SCOPED_TRACE(what);
  const auto full = to_json_text(lead);
  const auto stored = to_stored_json_text(lead);
  const auto decoded = lead_from_json_text(stored);
  ASSERT_TRUE(decoded.ok()) << decoded.error().message << "\n" << stored;
  EXPECT_TRUE(*decoded == lead) << "stored: " << stored << "\nread back: " << to_json_text(*decoded)
                                << "\nexpected:  " << full;
  EXPECT_LE(stored.size(), full.size()) << stored;
  const auto stored_tree = json::parse(stored);
  EXPECT_EQ(stored_tree.dump(), stored);
  const auto full_leaves = json::parse(full).flatten();
  const auto stored_leaves = stored_tree.flatten();
  for (const auto& leaf : stored_leaves.items()) {
    if (leaf.value().is_null()) {
      continue; // an empty object: an array element whose members are all defaults
    }
    ASSERT_TRUE(full_leaves.contains(leaf.key())) << leaf.key() << " is not in the full form";
    EXPECT_EQ(full_leaves.at(leaf.key()), leaf.value()) << leaf.key();
  }
}

TEST(StoredLeadJson, EveryMemberOfTheFullLeadIsSet) {
  const Lead full = every_member_set();
  for (const auto& member : members()) {
    Lead lead;
    member.copy(lead, full);
    EXPECT_NE(lead, Lead{}) << member.path << " is at its default in every_member_set()";
  }
}

TEST(StoredLeadJson, DefaultLeadRoundTrips) {
  expect_stored_form_is_faithful(Lead{}, "Lead{}");
}

TEST(StoredLeadJson, LeadWithEveryMemberSetRoundTripsAndIsTheFullForm) {
  const Lead lead = every_member_set();
  expect_stored_form_is_faithful(lead, "every member set");
  // The one member at its default that the full form writes: the second phone's `valid` (false).
  const auto full = json::parse(to_json_text(lead));
  const auto stored = json::parse(to_stored_json_text(lead));
  EXPECT_EQ(stored.flatten().size(), full.flatten().size() - 1) << stored.dump(2);
  EXPECT_FALSE(stored.at("person").at("phones").at(1).contains("valid"));
}

TEST(StoredLeadJson, EachMemberSetAloneRoundTripsAndIsWritten) {
  const Lead full = every_member_set();
  const auto empty = to_stored_json_text(Lead{});
  for (const auto& member : members()) {
    Lead lead;
    member.copy(lead, full);
    expect_stored_form_is_faithful(lead, std::string("only ") + member.path);
    EXPECT_NE(to_stored_json_text(lead), empty) << member.path << " was left out";
  }
}

TEST(StoredLeadJson, EachMemberResetInTurnRoundTrips) {
  const Lead defaults;
  for (const auto& member : members()) {
    Lead lead = every_member_set();
    member.copy(lead, defaults);
    expect_stored_form_is_faithful(lead, std::string("without ") + member.path);
  }
}

TEST(StoredLeadJson, EachMemberSetToTheZeroOfItsTypeRoundTrips) {
  // {} is the default of most members but not of all (is_new, create_account, ...): those must
  // be written.
  const Lead full = every_member_set();
  for (const auto& member : members()) {
    Lead lead = full;
    Lead zeroed;
    zeroed.is_new = false;
    zeroed.qualification.outcome.create_account = false;
    zeroed.qualification.outcome.create_contact = false;
    zeroed.qualification.outcome.create_opportunity = false;
    member.copy(lead, zeroed);
    expect_stored_form_is_faithful(lead, std::string("zeroed ") + member.path);
  }
}

TEST(StoredLeadJson, WritesAMemberAtTheZeroOfItsTypeWhenItsDefaultIsNotZero) {
  Lead lead;
  lead.is_new = false;
  lead.qualification.outcome.create_contact = false;
  const auto stored = to_stored_json_text(lead);
  EXPECT_EQ(stored, R"({"identity":{"version":0},"is_new":false,)"
                    R"("qualification":{"outcome":{"create_contact":false}}})");
  expect_stored_form_is_faithful(lead, "is_new and create_contact false");
}

TEST(StoredLeadJson, LeavesOutAMemberAtItsDefaultInsideARecordThatIsWritten) {
  Lead lead;
  lead.qualification.outcome.kind = OutcomeKind::qualify;
  lead.qualification.outcome.create_account = true; // the default, in a record that differs
  lead.qualification.scores.total = 12.5;
  lead.qualification.scores.fit = 0;
  lead.company.address.city = "Berlin";
  lead.company.address.country = "";
  const auto stored = to_stored_json_text(lead);
  EXPECT_EQ(stored, R"({"company":{"address":{"city":"Berlin"}},"identity":{"version":0},)"
                    R"("qualification":{"outcome":{"kind":"qualify"},"scores":{"total":12.5}}})");
  expect_stored_form_is_faithful(lead, "defaults inside written records");
}

TEST(StoredLeadJson, WritesArrayElementsThatAreAllDefaultsAsEmptyObjects) {
  Lead lead;
  lead.person.phones = {Phone{},
                        {.kind = PhoneKind::business,
                         .raw = "555-0100",
                         .e164 = "",
                         .extension = "",
                         .valid = false,
                         .line_type = LineType::unknown}};
  lead.origin.lists = {ListProvenance{}};
  lead.qualification.reasons = {ScoreReason{}};
  lead.merges = {MergeRecord{}};
  const auto stored = to_stored_json_text(lead);
  EXPECT_THAT(stored, HasSubstr(R"("phones":[{},{"raw":"555-0100"}])"));
  EXPECT_THAT(stored, HasSubstr(R"("lists":[{}])"));
  EXPECT_THAT(stored, HasSubstr(R"("merges":[{}])"));
  expect_stored_form_is_faithful(lead, "default array elements");
}

TEST(StoredLeadJson, AlwaysWritesTheIdentity) {
  EXPECT_EQ(to_stored_json_text(Lead{}), R"({"identity":{"version":0}})");
  const auto stored = json::parse(to_stored_json_text(imported_lead()));
  EXPECT_EQ(stored.at("identity"), json::parse(to_json_text(imported_lead())).at("identity"));
}

TEST(StoredLeadJson, VariedLeadsRoundTrip) {
  std::vector<std::pair<std::string, Lead>> leads;
  leads.emplace_back("imported", imported_lead());
  {
    Lead lead = imported_lead();
    lead.deleted = true;
    lead.is_new = false;
    lead.identity.version = 7;
    leads.emplace_back("tombstone", lead);
    lead.merged_into = "01a24bf3-2c31-799b-be0b-2b727fd9a24e";
    leads.emplace_back("tombstone merged by hand", lead);
  }
  {
    Lead lead = imported_lead();
    for (int line = 2; line < 30; ++line) {
      if (lead.merges.size() < max_merge_records) {
        lead.merges.push_back({.rule = line % 2 == 0 ? "email" : "mobile",
                               .source = "list.csv line " + std::to_string(line),
                               .merged_at = at(2026y / 12 / 6, 15h + std::chrono::seconds{line})});
      }
      ++lead.merge_count;
    }
    leads.emplace_back("merged 28 times", lead);
  }
  {
    Lead lead = imported_lead();
    lead.is_new = false;
    lead.qualification.stage = LifecycleStage::sql;
    lead.qualification.scores = {
        .fit = 40, .engagement = 12.75, .data_quality = 0, .bant = 0, .total = 52.75};
    lead.qualification.grade = "B";
    lead.qualification.quality_code = 2;
    lead.qualification.fired_rules = {"fit.title"};
    lead.qualification.reasons = {
        {.rule = "fit.title", .group = "fit", .points = 40, .detail = "director"},
        {.rule = "engagement.page_visit", .group = "engagement", .points = 12.75, .detail = ""}};
    lead.qualification.scored_at = at(2026y / 12 / 7, 1h);
    leads.emplace_back("scored", lead);
    lead.qualification.outcome = {.kind = OutcomeKind::qualify,
                                  .create_account = true,
                                  .create_contact = true,
                                  .create_opportunity = false,
                                  .status_code = 3,
                                  .reason = "hot",
                                  .decided_by = "leadsync:rules",
                                  .decided_at = at(2026y / 12 / 7, 1h),
                                  .pushed = false,
                                  .pushed_at = std::nullopt};
    leads.emplace_back("qualified", lead);
  }
  {
    Lead lead = imported_lead();
    lead.consent.do_not_email = true;
    lead.consent.aware_of_sales_offer = true;
    leads.emplace_back("two consent flags", lead);
    lead.consent.lawful_basis = LawfulBasis::consent;
    lead.consent.given_at = at(2026y / 1 / 2, 3h);
    leads.emplace_back("consent given", lead);
  }
  {
    Lead lead = imported_lead();
    lead.kind = LeadKind::marketing;
    lead.origin.channel = Channel::advertisement; // the first enumerator, not the default
    lead.person.phones[0].kind = PhoneKind::other;
    lead.person.phones[1].line_type = LineType::voip;
    lead.person.preferred_contact_method = ContactMethod::any;
    lead.qualification.stage = LifecycleStage::disqualified;
    lead.qualification.bant.budget_status = BudgetStatus::no_committed_budget;
    lead.qualification.bant.need = Need::must_have;
    lead.qualification.bant.purchase_timeframe = PurchaseTimeframe::immediate;
    lead.qualification.bant.purchase_process = PurchaseProcess::individual;
    lead.qualification.bant.decision_maker = false;
    lead.qualification.bant.budget_amount = 0.0;
    lead.activities = {{.kind = ActivityKind::task,
                        .subject = "",
                        .body = "",
                        .occurred_at = std::nullopt,
                        .crm_id = ""}};
    leads.emplace_back("enums away from their defaults", lead);
  }
  {
    Lead lead;
    lead.company.name = "Only A Company Ltd";
    leads.emplace_back("company only", lead);
  }
  for (const auto& [what, lead] : leads) {
    expect_stored_form_is_faithful(lead, what);
  }
}

TEST(StoredLeadJson, ImportedLeadLeavesOutItsDefaultPartsAndShrinksToUnderSixtyPercent) {
  const Lead lead = imported_lead();
  const auto full = to_json_text(lead);
  const auto stored = to_stored_json_text(lead);
  std::printf("imported lead: full %zu bytes, stored %zu bytes (%.0f%%)\n", full.size(),
              stored.size(),
              100.0 * static_cast<double>(stored.size()) / static_cast<double>(full.size()));
  const auto document = json::parse(stored);
  for (const char* key :
       {"consent", "qualification", "social", "deleted", "is_new", "kind", "merge_count"}) {
    EXPECT_FALSE(document.contains(key)) << key << " in " << stored;
  }
  EXPECT_FALSE(document.at("origin").at("lists").at(0).contains("exclusive")) << stored;
  EXPECT_FALSE(document.at("person").at("phones").at(0).contains("kind")) << stored;
  EXPECT_EQ(document.at("person").at("phones").at(1).at("kind"), "mobile") << stored;
  EXPECT_LE(stored.size() * 10, full.size() * 6) << stored;
  expect_stored_form_is_faithful(lead, "imported");
}

TEST(StoredLeadJson, LeavesTheFullFormAsItWas) {
  const auto full = to_json_text(imported_lead());
  EXPECT_THAT(full, HasSubstr(R"("consent":{"aware_of_sales_offer":false,)"));
  EXPECT_THAT(full, HasSubstr(R"("deleted":false)"));
  EXPECT_THAT(to_stored_json_text(imported_lead()), Not(HasSubstr("consent")));
}

TEST(StoredLeadJson, RefusesTextThatIsNotUtf8AsTheFullFormDoes) {
  Lead lead;
  lead.person.last_name = "\xff\xfe";
  EXPECT_THROW((void)to_stored_json_text(lead), nlohmann::json::type_error);
}

} // namespace
} // namespace leadsync::model
