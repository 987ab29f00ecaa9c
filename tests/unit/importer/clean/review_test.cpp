// The review queue's actions: a hand merge as Dynamics merges, and "two people".

#include "leadsync/importer/review.hpp"
#include "leadsync/store/sqlite_store.hpp"

#include <gtest/gtest.h>

namespace leadsync::importer {
namespace {

model::Lead lead(std::string first, std::string last, std::string email) {
  model::Lead made;
  made.person.first_name = std::move(first);
  made.person.last_name = std::move(last);
  made.person.emails = {std::move(email)};
  return made;
}

class ReviewTest : public ::testing::Test {
protected:
  void SetUp() override {
    store_ = store::open_sqlite_store({":memory:"}, clock_, random_).value();
  }

  model::Lead stored(model::Lead made) { return store_->create_lead(std::move(made)).value(); }

  std::vector<store::OutboxEntry> outbox() { return store_->pending_outbox(100).value(); }

  ManualClock clock_;
  SeededRandom random_{3};
  std::unique_ptr<store::Store> store_;
};

TEST_F(ReviewTest, AHandMergeKeepsTheTargetsValuesAndTombstonesTheOther) {
  auto target_lead = lead("Anna", "Ivanova", "anna@acme.ru");
  target_lead.person.job_title = "CFO";
  const auto target = stored(target_lead);
  auto other_lead = lead("Anna", "Ivanova", "a.ivanova@gmail.com");
  other_lead.person.job_title = "Accountant";
  other_lead.company.name = "Acme";
  const auto other = stored(other_lead);
  const auto queued_before = outbox().size();

  const auto merged =
      merge_by_hand(*store_, target.identity.id, other.identity.id, clock_.now()).value();

  EXPECT_EQ(merged.target.person.job_title, "CFO") << "the target keeps its values";
  EXPECT_EQ(merged.target.company.name, "Acme") << "and gains what it lacked";
  EXPECT_EQ(merged.target.person.emails,
            (std::vector<std::string>{"anna@acme.ru", "a.ivanova@gmail.com"}));
  ASSERT_EQ(merged.target.merges.size(), 1U);
  EXPECT_EQ(merged.target.merges[0].rule, "manual");
  EXPECT_EQ(merged.target.merges[0].source, "lead " + other.identity.id);
  EXPECT_TRUE(merged.subordinate.deleted);
  EXPECT_EQ(merged.subordinate.merged_into, target.identity.id);
  EXPECT_FALSE(merged.merged_in_crm) << "neither is in the CRM yet";

  const auto queued = outbox();
  ASSERT_EQ(queued.size(), queued_before + 2);
  EXPECT_EQ(queued[queued.size() - 2].operation, store::OutboxOperation::upsert);
  EXPECT_EQ(queued.back().operation, store::OutboxOperation::merge);
  EXPECT_EQ(queued.back().lead_id, other.identity.id);
  const auto pair = store_->get_duplicate_pair(other.identity.id, target.identity.id).value();
  EXPECT_EQ(pair.status, store::DuplicateStatus::merged);
}

TEST_F(ReviewTest, AHandMergeOfLeadsTheCrmKnowsIsMergedThereToo) {
  auto a = lead("Ivan", "Petrov", "ivan@acme.ru");
  a.identity.crm_id = "11111111-1111-1111-1111-111111111111";
  auto b = lead("Ivan", "Petrov", "ivan.petrov@gmail.com");
  b.identity.crm_id = "22222222-2222-2222-2222-222222222222";
  const auto target = stored(a);
  const auto other = stored(b);
  EXPECT_TRUE(
      merge_by_hand(*store_, target.identity.id, other.identity.id, clock_.now())->merged_in_crm);
}

TEST_F(ReviewTest, AHandMergeRefusesWhatCannotBeMerged) {
  const auto a = stored(lead("Ivan", "Petrov", "ivan@acme.ru"));
  const auto b = stored(lead("Olga", "Sidorova", "olga@acme.ru"));
  const auto c = stored(lead("Maria", "Ivanova", "maria@acme.ru"));

  const auto itself = merge_by_hand(*store_, a.identity.id, a.identity.id, clock_.now());
  ASSERT_FALSE(itself.ok());
  EXPECT_EQ(itself.error().category, ErrorCategory::invalid_argument);

  ASSERT_TRUE(merge_by_hand(*store_, a.identity.id, b.identity.id, clock_.now()).ok());
  const auto again = merge_by_hand(*store_, c.identity.id, b.identity.id, clock_.now());
  ASSERT_FALSE(again.ok());
  EXPECT_NE(again.error().message.find("merged into " + a.identity.id), std::string::npos)
      << again.error().message;

  const auto missing =
      merge_by_hand(*store_, a.identity.id, "0190c6b0-0000-7000-8000-000000000000", clock_.now());
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().category, ErrorCategory::not_found);
}

TEST_F(ReviewTest, TwoPeopleAreNeverSuggestedAgain) {
  const auto a = stored(lead("John", "Smith", "john.smith@globex.com"));
  const auto b = stored(lead("John", "Smith", "jsmith@globex.com"));
  store::DuplicatePair suggested;
  suggested.lead_a = a.identity.id;
  suggested.lead_b = b.identity.id;
  suggested.rule = "same_name_at_domain";
  suggested.score = 1;
  ASSERT_TRUE(store_->write_batch({}, std::nullopt, {suggested}).ok());
  ASSERT_EQ(store_->stats()->possible_duplicates, 1);

  const auto marked = mark_not_duplicate(*store_, b.identity.id, a.identity.id).value();
  EXPECT_EQ(marked.status, store::DuplicateStatus::not_duplicate);
  EXPECT_EQ(marked.rule, "same_name_at_domain") << "the evidence is kept";
  EXPECT_TRUE(marked.resolved_at.has_value());
  EXPECT_EQ(store_->stats()->possible_duplicates, 0);

  // A later import finds the same pair again: it stays closed.
  ASSERT_TRUE(store_->write_batch({}, std::nullopt, {suggested}).ok());
  EXPECT_EQ(store_->stats()->possible_duplicates, 0);
  EXPECT_TRUE(store_->list_duplicate_pairs(store::DuplicateStatus::open, 10)->empty());
}

TEST_F(ReviewTest, NotDuplicateWorksForAPairNobodySuggested) {
  const auto a = stored(lead("Anna", "Lee", "anna@acme.com"));
  const auto b = stored(lead("Anna", "Lee", "alee@acme.com"));
  const auto marked = mark_not_duplicate(*store_, a.identity.id, b.identity.id).value();
  EXPECT_EQ(marked.rule, "manual");
  EXPECT_EQ(marked.status, store::DuplicateStatus::not_duplicate);
  EXPECT_FALSE(mark_not_duplicate(*store_, a.identity.id, a.identity.id).ok());
}

} // namespace
} // namespace leadsync::importer
