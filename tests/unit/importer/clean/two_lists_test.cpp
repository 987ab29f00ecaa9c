// Duplicates across two purchased lists and within one, through the pieces the import pipeline will
// combine: build_lead, store_lookups + Store::find_by_*, decide_stored, FileIndex, merge_leads.

#include "leadsync/importer/dedupe.hpp"
#include "leadsync/importer/row_to_lead.hpp"
#include "leadsync/store/sqlite_store.hpp"

#include <gtest/gtest.h>

namespace leadsync::importer {
namespace {

using std::chrono::day;
using std::chrono::month;
using std::chrono::year;

RowContext list_context(std::string vendor, std::string list_id, int day_of_month) {
  RowContext context;
  context.default_region = "RU";
  context.list.vendor = std::move(vendor);
  context.list.list_id = std::move(list_id);
  context.list.acquired_on =
      model::Date{year{2026}, month{10}, day{static_cast<unsigned>(day_of_month)}};
  return context;
}

struct ImportCounts {
  int created = 0;
  int merged = 0;
  int unchanged = 0;
};

class TwoListsTest : public ::testing::Test {
protected:
  void SetUp() override {
    auto opened = store::open_sqlite_store({.path = ":memory:"}, clock_, random_);
    ASSERT_TRUE(opened.ok()) << opened.error().describe();
    store_ = std::move(opened).value();
  }

  void append(std::vector<model::Lead>& to, Result<std::vector<model::Lead>> found) {
    ASSERT_TRUE(found.ok()) << found.error().describe();
    to.insert(to.end(), found->begin(), found->end());
  }

  ImportCounts import(const std::vector<MappedRow>& rows, const RowContext& context) {
    ImportCounts counts;
    for (const auto& row : rows) {
      auto result = build_lead(row, context);
      EXPECT_TRUE(result.accepted()) << result.reject_reason;
      const auto lookups = store_lookups(result.lead);
      std::vector<model::Lead> candidates;
      for (const auto& email : lookups.emails) {
        append(candidates, store_->find_by_email(email));
      }
      for (const auto& phone : lookups.phones) {
        append(candidates, store_->find_by_phone(phone));
      }
      if (!lookups.domain.empty()) {
        append(candidates, store_->find_by_domain(lookups.domain));
      }
      const auto decision = decide_stored(result.lead, candidates, frequency_);
      if (!decision.merge) {
        EXPECT_TRUE(store_->create_lead(result.lead).ok());
        ++counts.created;
        continue;
      }
      auto merged = merge_leads(candidates[decision.merge->index], result.lead);
      if (!merged.changed()) {
        ++counts.unchanged;
        continue;
      }
      const auto updated = store_->update_lead(merged.lead);
      EXPECT_TRUE(updated.ok()) << updated.error().describe();
      ++counts.merged;
    }
    return counts;
  }

  model::Lead only_lead_with_email(const std::string& email) {
    auto found = store_->find_by_email(email);
    EXPECT_TRUE(found.ok());
    EXPECT_EQ(found->size(), 1U) << email;
    return found->empty() ? model::Lead{} : found->front();
  }

  ManualClock clock_;
  NameFrequency frequency_;
  SeededRandom random_{11};
  std::unique_ptr<store::Store> store_;
};

TEST_F(TwoListsTest, TheSamePeopleOnTwoListsBecomeOneLeadEachWithBothProvenances) {
  const std::vector<MappedRow> expo = {
      {{{"first_name", "IVAN"},
        {"last_name", "PETROV"},
        {"email", "ivan.petrov@acme.ru"},
        {"phone_business", "+7 (495) 123-45-67"},
        {"company", "Acme"},
        {"job_title", "Engineer"}},
       {}},
      {{{"first_name", "Анна"}, {"last_name", "Иванова"}, {"phone_mobile", "+7 916 765-43-21"}},
       {}},
      {{{"company", "Gulf Trading LLC"}, {"email", "info@gulftrading.ae"}}, {}},
  };
  const auto first = import(expo, list_context("Expo Leads", "GITEX-2026", 1));
  EXPECT_EQ(first.created, 3);

  const std::vector<MappedRow> vendor = {
      // Ivan again: e-mail in another case, a new job title.
      {{{"full_name", "Ivan Petrov"}, {"email", "IVAN.PETROV@ACME.RU"}, {"job_title", "CTO"}}, {}},
      // Anna again: the same mobile written the Russian domestic way, now with an e-mail.
      {{{"full_name", "ИВАНОВА АННА"},
        {"phone", "8 (916) 765-43-21"},
        {"email", "anna.ivanova@gmail.com"}},
       {}},
      // A colleague of Ivan's on the office switchboard: a different person.
      {{{"first_name", "Olga"}, {"last_name", "Sidorova"}, {"phone", "+7 495 123 45 67"}}, {}},
  };
  const auto second = import(vendor, list_context("Data Vendor", "Q4-IT", 20));
  EXPECT_EQ(second.created, 1);
  EXPECT_EQ(second.merged, 2);
  EXPECT_EQ(store_->stats()->leads, 4);

  const auto ivan = only_lead_with_email("ivan.petrov@acme.ru");
  EXPECT_EQ(ivan.person.first_name, "Ivan");
  EXPECT_EQ(ivan.person.job_title, "CTO");
  EXPECT_EQ(ivan.person.phones.size(), 1U);
  EXPECT_EQ(model::list_count(ivan.origin), 2);

  const auto anna = only_lead_with_email("anna.ivanova@gmail.com");
  EXPECT_EQ(anna.person.last_name, "Иванова");
  ASSERT_EQ(anna.person.phones.size(), 1U);
  EXPECT_EQ(anna.person.phones[0].e164, "+79167654321");
  EXPECT_EQ(model::list_count(anna.origin), 2);
  ASSERT_EQ(anna.origin.lists.size(), 2U);
  EXPECT_EQ(anna.origin.lists[0].vendor, "Expo Leads");
  EXPECT_EQ(anna.origin.lists[1].vendor, "Data Vendor");

  const auto gulf = only_lead_with_email("info@gulftrading.ae");
  EXPECT_EQ(model::list_count(gulf.origin), 1);

  // The second list again: Ivan and Anna are known by their e-mails and mobile, and nothing is
  // written for them. Olga has nothing but the office switchboard, and a shared fixed line never
  // merges (dedupe.hpp): she is a lead again, for a person to merge (the pair is queued).
  const auto again = import(vendor, list_context("Data Vendor", "Q4-IT", 20));
  EXPECT_EQ(again.created, 1);
  EXPECT_EQ(again.merged, 0);
  EXPECT_EQ(again.unchanged, 2);
  EXPECT_EQ(model::list_count(only_lead_with_email("ivan.petrov@acme.ru").origin), 2);
}

TEST(WithinOneFile, DuplicateRowsMergeIntoTheFirstByEachStrongRule) {
  const auto context = list_context("Expo Leads", "GITEX-2026", 1);
  const std::vector<MappedRow> rows = {
      {{{"first_name", "Sergey"},
        {"last_name", "Ivanov"},
        {"website", "www.acme.com"},
        {"phone", "+7 495 765-43-21"}}, // a Moscow fixed line: not a strong identifier
       {}},
      {{{"first_name", "SERGEY"},
        {"last_name", "IVANOV"},
        {"website", "https://acme.com/team"},
        {"email", "s.ivanov@acme.com"}}, // the exact name at acme.com: flagged, a name never merges
       {}},
      {{{"last_name", "Ivanov"}, {"email", "S.Ivanov@acme.com"}, {"job_title", "CEO"}}, {}},
      // The switchboard with no name: nothing says whose it is, so a lead of its own.
      {{{"company", "Acme"}, {"phone", "8 495 765 43 21"}, {"city", "Moscow"}}, {}},
      {{{"first_name", "Maria"},
        {"last_name", "Ivanova"},
        {"website", "acme.com"},
        {"phone", "+7 916 000-00-01"}}, // another person at the same company
       {}},
      {{{"first_name", "Sergei"},
        {"last_name", "Ivanov"},
        {"website", "acme.com"},
        {"phone", "+7 495 765-43-22"}},
       {}}, // a variant spelling: flagged for review, never merged on its own
  };
  FileIndex index(rows.size());
  const NameFrequency frequency;
  std::vector<model::Lead> leads; // stands in for the store: position = FileIndex ref
  std::vector<LinkRule> merges_made;
  std::vector<LinkRule> flags;
  for (const auto& row : rows) {
    auto result = build_lead(row, context);
    ASSERT_TRUE(result.accepted()) << result.reject_reason;
    const auto keys = match_keys(result.lead);
    const auto found = index.find(keys, frequency);
    if (!found.empty() && merges(found.front().link.rule)) {
      merges_made.push_back(found.front().link.rule);
      auto merged = merge_leads(leads[found.front().ref], result.lead);
      leads[found.front().ref] = merged.lead;
      index.extend(found.front().ref, match_keys(merged.lead));
    } else {
      for (const auto& candidate : found) {
        flags.push_back(candidate.link.rule);
      }
      index.add(Uuid::generate_v4(), keys);
      leads.push_back(result.lead);
    }
  }
  ASSERT_EQ(leads.size(), 5U);
  EXPECT_EQ(merges_made, std::vector<LinkRule>{LinkRule::email});
  EXPECT_EQ(flags,
            (std::vector<LinkRule>{LinkRule::exact_name_at_domain, LinkRule::similar_name_at_domain,
                                   LinkRule::similar_name_at_domain}));
  const auto& sergey = leads[1];
  EXPECT_EQ(sergey.person.job_title, "CEO");
  EXPECT_EQ(sergey.person.emails, std::vector<std::string>{"s.ivanov@acme.com"});
  EXPECT_EQ(model::list_count(sergey.origin), 1); // one list, however many rows
  EXPECT_EQ(leads[0].person.phones.size(), 1U);
  EXPECT_EQ(leads[2].company.name, "Acme");
  EXPECT_EQ(leads[3].person.first_name, "Maria");
  EXPECT_EQ(leads[4].person.first_name, "Sergei");
}

} // namespace
} // namespace leadsync::importer
