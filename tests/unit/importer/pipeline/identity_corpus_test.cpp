// Identity-safe de-duplication through the whole import (dedupe.hpp): colleagues at one company are
// never merged, true duplicates always are, and a padded list cannot grow one lead without bound.

#include "leadsync/importer/csv_import.hpp"
#include "leadsync/store/sqlite_store.hpp"
#include "support/csv_fixtures.hpp"

#include <algorithm>
#include <gtest/gtest.h>
#include <map>
#include <set>

namespace leadsync::importer {
namespace {

// g++ says so with __SANITIZE_ADDRESS__, clang with __has_feature.
#if defined(__SANITIZE_ADDRESS__)
constexpr bool under_address_sanitizer = true;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
constexpr bool under_address_sanitizer = true;
#else
constexpr bool under_address_sanitizer = false;
#endif
#else
constexpr bool under_address_sanitizer = false;
#endif

using test::TempDir;

const std::string header =
    "First Name,Last Name,Email,Email 2,Phone,Mobile,Company,Website,Country\n";

class IdentityCorpusTest : public ::testing::Test {
protected:
  void SetUp() override {
    store_ = store::open_sqlite_store({":memory:"}, clock_, random_).value();
    dictionary_ = ColumnDictionary::load_text(builtin_import_columns()).value();
  }

  ImportReport import(const std::string& name, const std::string& text,
                      const std::string& encoding = "auto") {
    CsvImportOptions options;
    options.path = dir_.write(name, text);
    options.default_region = "US";
    options.read.encoding = encoding;
    auto prepared = CsvImport::prepare(*store_, dictionary_, options, clock_, random_);
    EXPECT_TRUE(prepared.ok()) << prepared.error().describe();
    auto report = prepared->run({.normalizer_threads = 2, .chunk_rows = 3, .batch_rows = 6});
    EXPECT_TRUE(report.ok()) << report.error().describe();
    EXPECT_TRUE(report->counts.balanced());
    return std::move(report).value();
  }

  std::vector<model::Lead> all_leads() {
    store::PageRequest page;
    page.limit = 1000;
    return store_->list_leads({}, page).value().leads;
  }

  model::Lead only_lead_with_email(const std::string& email) {
    auto found = store_->find_by_email(email);
    EXPECT_TRUE(found.ok());
    EXPECT_EQ(found->size(), 1U) << email;
    return found->empty() ? model::Lead{} : found->front();
  }

  ManualClock clock_;
  SeededRandom random_{5};
  TempDir dir_;
  std::unique_ptr<store::Store> store_;
  ColumnDictionary dictionary_ = ColumnDictionary::load_text("[fields]\n").value();
};

// Three companies, each with colleagues who share names or nearly do, the switchboard, a team
// mailbox, and the name in another script; every one of them has an e-mail or a mobile of their
// own.
const std::string colleagues =
    header +
    // Acme (Moscow): switchboard +7 495 123-45-67, team mailbox sales@acme.ru.
    "Anna,Ivanova,anna.ivanova@acme.ru,,+7 495 123-45-67,+7 916 100-00-01,Acme,acme.ru,Russia\n"
    "Anna,Ivanova,a.ivanova@acme.ru,sales@acme.ru,+7 495 123-45-67,+7 916 100-00-02,Acme,acme.ru,"
    "Russia\n"
    "Анна,Иванова,,sales@acme.ru,+7 495 123-45-67,+7 916 100-00-03,Acme,acme.ru,Russia\n"
    "Anna,Ivanova,,,+7 495 123-45-67,+7 916 100-00-04,Acme,acme.ru,Russia\n"
    "Anna,Ivanova,,sales@acme.ru,+7 495 123-45-67,+7 916 100-00-05,Acme,acme.ru,Russia\n"
    "Sergey,Ivanov,s.ivanov@acme.ru,,+7 495 123-45-67,+7 916 100-00-06,Acme,acme.ru,Russia\n"
    "Sergei,Ivanov,sergei.ivanov@acme.ru,,+7 495 123-45-67,,Acme,acme.ru,Russia\n"
    "Сергей,Иванов,,,+7 495 123-45-67,+7 916 100-00-08,Acme,acme.ru,Russia\n"
    "Maria,Ivanova,maria@acme.ru,sales@acme.ru,+7 495 123-45-67,,Acme,acme.ru,Russia\n"
    "Aleksandr,Petrov,a.petrov@acme.ru,,+7 495 123-45-67,,Acme,acme.ru,Russia\n"
    "Aleksandra,Petrova,alexandra@acme.ru,,+7 495 123-45-67,,Acme,acme.ru,Russia\n"
    // Globex (New York): switchboard +1 212 456 0000, team mailbox info@globex.com.
    "John,Smith,john.smith@globex.com,info@globex.com,+1 212 456 0000,+1 646 456 1001,Globex,"
    "globex.com,USA\n"
    "John,Smith,jsmith@globex.com,info@globex.com,+1 212 456 0000,,Globex,globex.com,USA\n"
    "Jon,Smith,jon.smith@globex.com,,+1 212 456 0000,,Globex,globex.com,USA\n"
    "John,Smith,,,+1 212 456 0000,+1 646 456 1004,Globex,globex.com,USA\n"
    "JOHN,SMITH,,info@globex.com,+1 212 456 0000,+1 646 456 1005,Globex,globex.com,USA\n"
    "John,Smyth,john.smyth@globex.com,,+1 212 456 0000,,Globex,globex.com,USA\n"
    // Gulf Trading (Dubai): switchboard +971 4 366 1234, team mailbox info@gulftrading.ae.
    "محمد,علي,m.ali@gulftrading.ae,,+971 4 366 1234,+971 50 100 0001,Gulf Trading,"
    "gulftrading.ae,UAE\n"
    "Mohammed,Ali,mohammed.ali@gulftrading.ae,,+971 4 366 1234,+971 50 100 0002,Gulf Trading,"
    "gulftrading.ae,UAE\n"
    "Mohamed,Ali,mohamed.ali@gulftrading.ae,info@gulftrading.ae,+971 4 366 1234,,Gulf Trading,"
    "gulftrading.ae,UAE\n"
    "Muhammad,Ali,,,+971 4 366 1234,+971 50 100 0004,Gulf Trading,gulftrading.ae,UAE\n"
    "Mohammad,Ali,mali@gulftrading.ae,,+971 4 366 1234,,Gulf Trading,gulftrading.ae,UAE\n"
    "محمد,علي,,info@gulftrading.ae,+971 4 366 1234,+971 50 100 0006,Gulf Trading,"
    "gulftrading.ae,UAE\n";

TEST_F(IdentityCorpusTest, ColleaguesAtOneCompanyAreNeverMerged) {
  const auto report = import("colleagues.csv", colleagues);
  const auto& counts = report.counts;
  EXPECT_EQ(counts.rows_read, 23);
  EXPECT_EQ(counts.rejected(), 0) << (report.rejected_rows.empty()
                                          ? ""
                                          : report.rejected_rows[0].reason);
  EXPECT_EQ(counts.new_leads, 23) << "every colleague is a lead of their own";
  EXPECT_EQ(counts.merged(), 0);
  EXPECT_EQ(counts.unchanged, 0);
  EXPECT_EQ(store_->stats()->leads, 23);
  for (const auto& lead : all_leads()) {
    EXPECT_LE(lead.person.emails.size(), 2U) << model::display_name(lead);
    EXPECT_TRUE(lead.merges.empty()) << model::display_name(lead);
  }
  // Name variants were noticed, and only queued for a person to look at.
  EXPECT_GT(counts.possible_duplicates, 0);
  const auto pairs = store_->list_duplicate_pairs(store::DuplicateStatus::open, 100).value();
  EXPECT_EQ(static_cast<std::int64_t>(pairs.size()), counts.possible_duplicates);
  std::set<std::string> rules;
  for (const auto& pair : pairs) {
    rules.insert(pair.rule);
    EXPECT_FALSE(pair.evidence.empty());
    EXPECT_TRUE(pair.source.starts_with("colleagues.csv line ")) << pair.source;
  }
  EXPECT_TRUE(rules.contains("similar_name_at_domain")) << "Sergey / Sergei Ivanov";
}

TEST_F(IdentityCorpusTest, TheColleaguesCorpusImportedAgainChangesNothingAndMergesNoOne) {
  import("colleagues.csv", colleagues);
  const auto again = import("colleagues-again.csv", colleagues);
  EXPECT_EQ(store_->stats()->leads, 23 + again.counts.new_leads);
  // Each row finds its own lead by its own e-mail or mobile; the rows with neither are the ones a
  // person must look at.
  for (const auto& lead : all_leads()) {
    EXPECT_LE(lead.person.phones.size(), 2U) << model::display_name(lead);
  }
  EXPECT_EQ(again.counts.new_leads, 0) << "every row has an e-mail or a mobile of its own";
}

// The same people, written differently: e-mail case, phone formats and digit systems, name case
// and spacing, a second list in another encoding, and a second list that adds a phone.
TEST_F(IdentityCorpusTest, TrueDuplicatesAreAllMerged) {
  const std::string first_list =
      header + "Anna,Ivanova,Anna.Ivanova@ACME.ru,,,+7 (916) 123-45-67,Acme,acme.ru,Russia\n" +
      "\"  JOHN \",\"  SMITH \",john.smith@globex.com,,,,Globex,globex.com,USA\n" +
      "Fatima,Al Zahra,,,,+٩٧١ ٥٠ ١٢٣ ٤٥٦٧,Gulf Trading,gulftrading.ae,UAE\n" +
      "Иван,Петров,ivan.petrov@acme.ru,,,,Acme,acme.ru,Russia\n" +
      "Olga,Sidorova,olga.s@acme.ru,,,,Acme,acme.ru,Russia\n" +
      "anna,ivanova,anna.ivanova@acme.ru,,,8 916 123 45 67,Acme,acme.ru,Russia\n";
  const auto first = import("list-a.csv", first_list);
  EXPECT_EQ(first.counts.new_leads, 5);
  EXPECT_EQ(first.counts.merged_in_file + first.counts.unchanged, 1);

  // Windows-1251, as Excel saves a Russian list: "Иван,Петров" and "Ольга,Сидорова".
  const std::string second_list =
      header + "\xC8\xE2\xE0\xED,\xCF\xE5\xF2\xF0\xEE\xE2,IVAN.PETROV@acme.ru,,,,Acme,acme.ru,\n" +
      "FATIMA,AL ZAHRA,,,,+971 50 123 4567,Gulf Trading,gulftrading.ae,UAE\n" +
      "John,Smith,John.Smith@Globex.com,,,,Globex,globex.com,USA\n" +
      "\xCE\xEB\xFC\xE3\xE0,\xD1\xE8\xE4\xEE\xF0\xEE\xE2\xE0,olga.s@acme.ru,,,+7 916 765 43 "
      "21,Acme,"
      "acme.ru,Russia\n" +
      "Anna,Ivanova,,,,8 (916) 123-45-67,Acme,acme.ru,Russia\n";
  const auto second = import("list-b.csv", second_list);
  EXPECT_EQ(second.counts.rejected(), 0)
      << (second.rejected_rows.empty() ? "" : second.rejected_rows[0].reason);
  EXPECT_EQ(second.counts.new_leads, 0) << "every row is someone from the first list";
  EXPECT_EQ(second.counts.merged_with_stored, 5);
  EXPECT_EQ(second.counts.possible_duplicates, 0);
  EXPECT_EQ(store_->stats()->leads, 5);

  const auto olga = only_lead_with_email("olga.s@acme.ru");
  ASSERT_EQ(olga.person.phones.size(), 1U) << "the second list added her mobile";
  EXPECT_EQ(olga.person.phones[0].e164, "+79167654321");
  EXPECT_EQ(model::list_count(olga.origin), 2);
  ASSERT_FALSE(olga.merges.empty());
  EXPECT_EQ(olga.merges.back().rule, "email");
  EXPECT_EQ(olga.merges.back().source, "list-b.csv line 5");

  const auto fatima = store_->find_by_phone("+971501234567").value();
  ASSERT_EQ(fatima.size(), 1U);
  EXPECT_EQ(fatima[0].merges.back().rule, "mobile");
  const auto anna = only_lead_with_email("anna.ivanova@acme.ru");
  EXPECT_EQ(anna.merge_count, 1); // list A's second row added nothing: not a merge
  EXPECT_EQ(model::list_count(anna.origin), 2);
  EXPECT_EQ(only_lead_with_email("ivan.petrov@acme.ru").person.first_name, "Иван");
}

TEST_F(IdentityCorpusTest, AMergeKeepsEveryEmailAndPhoneTheLeadEverReceived) {
  std::string text = header;
  for (int i = 0; i < 5; ++i) {
    text += "Ivan,Petrov,ivan.petrov@acme.ru,ivan" + std::to_string(i) +
            "@gmail.com,,+7 916 200-00-0" + std::to_string(i) + ",Acme,acme.ru,Russia\n";
  }
  const auto report = import("five-rows.csv", text);
  EXPECT_EQ(report.counts.new_leads, 1);
  const auto ivan = only_lead_with_email("ivan.petrov@acme.ru");
  EXPECT_EQ(ivan.person.emails.size(), 6U) << "none dropped past the CRM's three columns";
  EXPECT_EQ(ivan.person.phones.size(), 5U);
  EXPECT_EQ(ivan.merge_count, 4);
}

// After a lead reached the cap, a row that adds no identifier still merges into it, in a later
// batch too (the lead's copy kept for the cluster must not be a stale version).
TEST_F(IdentityCorpusTest, ALeadAtTheCapStillTakesARowThatAddsNoIdentifier) {
  std::string text = header;
  for (int i = 0; i < 14; ++i) {
    text += "Spam,Sender,same@padded.example,,,+1 646 500 00" + std::to_string(10 + i) +
            ",Padded,padded.example,USA\n";
  }
  for (const char* title : {"CEO", "CFO", "CTO"}) {
    text += std::string("Spam,Sender,same@padded.example,,,+1 646 500 0010,Padded ") + title +
            ",padded.example,USA\n";
  }
  const auto report = import("capped.csv", text); // 6 rows per batch: the rows span three batches
  EXPECT_EQ(report.counts.suspicious_clusters, 4);
  EXPECT_EQ(report.counts.merged_in_file, 9 + 3);
  const auto lead = store_->find_by_phone("+16465000010").value();
  ASSERT_EQ(lead.size(), 1U);
  EXPECT_EQ(lead[0].company.name, "Padded CTO");
  EXPECT_EQ(lead[0].person.phones.size(), model::max_identifiers_per_lead);
}

// One e-mail on 100,000 rows, each with another phone: a broken or padded list. The lead stops
// growing at the identifier cap, and every row after it is a lead of its own flagged as a
// suspicious cluster, so the work per row stays constant (import time linear in rows).
TEST_F(IdentityCorpusTest, RepeatsOfOneIdentifierAreCappedAndFlaggedNotMerged) {
  // A fifth of the rows under the sanitizers (scripts/sanitize.sh), which make the import ten times
  // slower: they look for memory errors; the normal build checks the full 100,000.
  constexpr int rows = under_address_sanitizer ? 20'000 : 100'000;
  std::string text = header;
  text.reserve(static_cast<std::size_t>(rows) * 80);
  for (int i = 0; i < rows; ++i) {
    text += "Spam,Sender,same@padded.example,,," + std::string("+1 646 5") +
            std::to_string(1'000'000 + i).substr(1) + ",Padded,padded.example,USA\n";
  }
  CsvImportOptions options;
  options.path = dir_.write("padded.csv", text);
  auto prepared = CsvImport::prepare(*store_, dictionary_, options, clock_, random_);
  ASSERT_TRUE(prepared.ok()) << prepared.error().describe();
  const auto report = prepared->run().value();
  const auto& counts = report.counts;
  EXPECT_EQ(counts.rows_read, rows);
  const auto capped = static_cast<std::int64_t>(model::max_identifiers_per_lead);
  EXPECT_EQ(counts.merged_in_file, capped - 1);
  EXPECT_EQ(counts.suspicious_clusters, rows - capped);
  EXPECT_EQ(counts.new_leads, rows - capped + 1);
  const auto first = store_->find_by_phone("+16465000000").value();
  ASSERT_EQ(first.size(), 1U);
  EXPECT_EQ(first[0].person.phones.size(), model::max_identifiers_per_lead);
  EXPECT_LE(first[0].merges.size(), model::max_merge_records);
  const auto pairs = store_->list_duplicate_pairs(store::DuplicateStatus::open, 5).value();
  ASSERT_FALSE(pairs.empty());
  EXPECT_EQ(pairs[0].rule, "identifier_cap");
  EXPECT_EQ(pairs[0].lead_a, first[0].identity.id);
}

} // namespace
} // namespace leadsync::importer
