#include "leadsync/importer/jsonl_import.hpp"
#include "leadsync/store/sqlite_store.hpp"

#include <gtest/gtest.h>
#include <sstream>

namespace leadsync::importer {
namespace {

class JsonlImportTest : public ::testing::Test {
protected:
  void SetUp() override {
    auto opened = store::open_sqlite_store({.path = ":memory:"}, clock_, random_);
    ASSERT_TRUE(opened.ok()) << opened.error().describe();
    store_ = std::move(opened).value();
  }

  JsonlReport run(const std::string& text, JsonlOptions options = {}) {
    std::istringstream input(text);
    auto report = import_jsonl(*store_, input, options);
    EXPECT_TRUE(report.ok()) << report.error().describe();
    return report.ok() ? report.value() : JsonlReport{};
  }

  std::int64_t stored_leads() { return store_->stats().value().leads; }
  std::int64_t outbox() { return store_->stats().value().outbox_pending; }

  ManualClock clock_;
  SeededRandom random_{7};
  std::unique_ptr<store::Store> store_;
};

const std::string ivanova =
    R"({"person":{"first_name":"Анна","last_name":"Иванова","emails":["anna@Example.RU"]}})";
const std::string haddad_row =
    R"({"person":{"last_name":"Haddad","emails":["r.haddad@example.ae"]},"company":{"name":"Gulf Co"}})";

TEST_F(JsonlImportTest, CreatesEachValidLineWithItsOutboxEntry) {
  const auto report = run(ivanova + "\n\n" + haddad_row + "\n");
  EXPECT_EQ(report.lines_read, 2);
  EXPECT_EQ(report.created, 2);
  EXPECT_TRUE(report.rejected.empty());
  EXPECT_EQ(stored_leads(), 2);
  EXPECT_EQ(outbox(), 2);
}

TEST_F(JsonlImportTest, LowerCasesTheEmailDomainOnly) {
  run(ivanova + "\n");
  const auto found = store_->find_by_email("anna@example.ru");
  ASSERT_TRUE(found.ok());
  ASSERT_EQ(found->size(), 1U);
  EXPECT_EQ(found->front().person.emails.front(), "anna@example.ru");
}

TEST_F(JsonlImportTest, RejectsBadLinesWithTheirNumberAndReason) {
  const auto report = run(ivanova + "\n{not json\n" +
                          R"({"person":{"first_name":"NoLastName","emails":["x@example.com"]}})" +
                          "\n" + haddad_row + "\n");
  EXPECT_EQ(report.created, 2);
  ASSERT_EQ(report.rejected.size(), 2U);
  EXPECT_EQ(report.rejected[0].line, 2);
  EXPECT_FALSE(report.rejected[0].reason.empty());
  EXPECT_EQ(report.rejected[1].line, 3);
  EXPECT_NE(report.rejected[1].reason.find("last"), std::string::npos) << report.rejected[1].reason;
}

TEST_F(JsonlImportTest, ALineLongerThanOneMegabyteStopsTheImportSayingWhy) {
  // A line is held in memory whole: a longer one (a file of zeros, a broken export) is refused at
  // the limit, after the lines before it were imported.
  std::istringstream input(ivanova + "\n" + std::string((1U << 20) + 10, '\0') + "\n" + haddad_row);
  const auto report = import_jsonl(*store_, input, {});
  ASSERT_FALSE(report.ok());
  EXPECT_NE(report.error().message.find("line 2 is longer than 1 MB"), std::string::npos)
      << report.error().message;
  EXPECT_EQ(stored_leads(), 1);
}

TEST_F(JsonlImportTest, ReimportingTheSameFileChangesNothing) {
  run(ivanova + "\n" + haddad_row + "\n");
  const auto second = run(ivanova + "\n" + haddad_row + "\n");
  EXPECT_EQ(second.created, 0);
  EXPECT_EQ(second.unchanged, 2);
  EXPECT_EQ(stored_leads(), 2);
  EXPECT_EQ(outbox(), 2); // no new outbox entries for unchanged leads
}

TEST_F(JsonlImportTest, SameEmailWithNewDataUpdatesTheStoredLead) {
  run(ivanova + "\n");
  const auto report = run(
      R"({"person":{"first_name":"Анна","last_name":"Иванова","job_title":"CFO","emails":["anna@example.ru"]}})"
      "\n");
  EXPECT_EQ(report.updated, 1);
  EXPECT_EQ(stored_leads(), 1);
  const auto found = store_->find_by_email("anna@example.ru");
  ASSERT_TRUE(found.ok());
  ASSERT_EQ(found->size(), 1U);
  EXPECT_EQ(found->front().person.job_title, "CFO");
  EXPECT_EQ(found->front().identity.version, 2);
  EXPECT_EQ(outbox(), 2);
}

TEST_F(JsonlImportTest, DryRunWritesNothing) {
  const auto report = run(ivanova + "\n" + haddad_row + "\n", {.dry_run = true});
  EXPECT_EQ(report.created, 2);
  EXPECT_EQ(stored_leads(), 0);
  EXPECT_EQ(outbox(), 0);
}

TEST_F(JsonlImportTest, ReportCountsMatchTheRun) {
  const auto report = run(ivanova + "\n{}\n");
  const auto counts = report.counts();
  EXPECT_EQ(counts.at("read"), 2);
  EXPECT_EQ(counts.at("created"), 1);
  EXPECT_EQ(counts.at("rejected"), 1);
}

} // namespace
} // namespace leadsync::importer
