// The CSV import's writer stage (connector/src/importer/pipeline/detail/lead_writer.hpp) and its
// committer thread, with a batch held in flight by a GatedStore for as long as a test needs: what
// happens meanwhile is certain, not a matter of timing.

#include "gated_store.hpp"
#include "leadsync/importer/csv_import.hpp"
#include "leadsync/store/sqlite_store.hpp"
#include "pipeline/detail/lead_writer.hpp"
#include "pipeline/detail/rows.hpp"

#include <algorithm>
#include <gtest/gtest.h>
#include <sstream>

namespace leadsync::importer::detail {
namespace {

using testing::GatedStore;

const std::vector<std::string> header = {"First Name", "Last Name", "Email",  "Phone",
                                         "Company",    "Job Title", "Country"};

std::string email_of(int n) {
  return "person" + std::to_string(n) + "@company" + std::to_string(n) + ".com";
}

std::vector<std::string> person(int n, const std::string& title = "Engineer",
                                const std::string& phone = "") {
  const auto id = std::to_string(n);
  return {"Person" + id,
          "Tester",
          email_of(n),
          phone.empty() ? "+1 212 456 " + std::to_string(1000 + n) : phone,
          "Company " + id,
          title,
          "USA"};
}

std::vector<std::string> phones_of(const model::Lead& lead) {
  std::vector<std::string> phones;
  for (const auto& phone : lead.person.phones) {
    phones.push_back(phone.e164);
  }
  std::sort(phones.begin(), phones.end());
  return phones;
}

store::CheckpointValue checkpoint(int n) {
  return {.name = "import:test", .value = std::to_string(n)};
}

// Lets every held batch go when it goes out of scope: a writer that fails a test must not wait
// for a batch nobody will release when it is destroyed.
class ReleaseAll {
public:
  explicit ReleaseAll(GatedStore& store) : store_(store) {}
  ReleaseAll(const ReleaseAll&) = delete;
  ReleaseAll& operator=(const ReleaseAll&) = delete;
  ~ReleaseAll() { store_.release_all(); }

private:
  GatedStore& store_;
};

class LeadWriterTest : public ::testing::Test {
protected:
  void SetUp() override {
    store_ = store::open_sqlite_store({":memory:"}, clock_, random_).value();
    const auto dictionary = ColumnDictionary::load_text(builtin_import_columns()).value();
    mapping_ = map_columns(header, dictionary, {}).value();
  }

  // The rows, normalized as the import's normalizer threads do.
  RowChunk chunk_of(const std::vector<std::vector<std::string>>& rows) {
    RecordChunk records;
    for (const auto& fields : rows) {
      CsvRecord record;
      record.fields = fields;
      record.index = next_index_++;
      record.line = record.index + 2;
      records.records.push_back(std::move(record));
      records.empty_before.push_back(0);
    }
    const RowNormalizer normalizer(mapping_, RowContext{});
    return normalizer.normalize(std::move(records));
  }

  std::unique_ptr<LeadWriter> writer_for(GatedStore& store) {
    return std::make_unique<LeadWriter>(LeadWriter::Stores{store, store}, clock_, random_,
                                        MergePolicy{}, 16, clock_.now(), "list.csv",
                                        /*commit_in_background=*/true);
  }

  // Adds every row of the chunk; the fates, in order.
  std::vector<RowFate> add(LeadWriter& writer, RowChunk& chunk) {
    std::vector<RowFate> fates;
    for (auto& row : chunk.rows) {
      EXPECT_TRUE(row.accepted) << row.reason;
      auto decision = writer.add(std::move(row));
      EXPECT_TRUE(decision.ok()) << decision.error().describe();
      fates.push_back(decision.ok() ? decision->fate : RowFate::unchanged);
    }
    return fates;
  }

  ManualClock clock_;
  SeededRandom random_{5};
  std::unique_ptr<store::Store> store_;
  ColumnMapping mapping_;
  std::int64_t next_index_ = 0;
};

TEST_F(LeadWriterTest, ARowMergesIntoALeadOfTheBatchStillInFlight) {
  GatedStore gated(*store_);
  gated.hold(0);
  auto writer = writer_for(gated);
  const ReleaseAll release_all(gated); // destroyed before the writer
  auto first = chunk_of({person(1), person(2)});
  ASSERT_TRUE(writer->prepare({&first, 1}).ok());
  EXPECT_EQ(add(*writer, first), (std::vector{RowFate::new_lead, RowFate::new_lead}));
  auto second = chunk_of({person(1, "CTO", "+1 212 456 2001")});

  ASSERT_TRUE(writer->commit(checkpoint(1), {&second, 1}).ok());
  gated.wait_until_waiting(0); // the first batch is in write_batch, held before it writes
  EXPECT_EQ(add(*writer, second), (std::vector{RowFate::merged_in_file}));
  EXPECT_TRUE(gated.batches().empty());
  EXPECT_TRUE(store_->find_by_email(email_of(1)).value().empty()); // not written yet
  EXPECT_FALSE(writer->committed_checkpoint().has_value());
  gated.release(0);
  ASSERT_TRUE(writer->commit(checkpoint(2)).ok());
  ASSERT_TRUE(writer->finish().ok());

  ASSERT_TRUE(writer->committed_checkpoint().has_value());
  EXPECT_EQ(writer->committed_checkpoint()->value, "2");
  const auto leads = store_->find_by_email(email_of(1)).value();
  ASSERT_EQ(leads.size(), 1U); // one lead, not a second one made beside the unwritten first
  EXPECT_EQ(leads[0].person.job_title, "CTO");
  EXPECT_EQ(leads[0].identity.version, 2); // created by the first batch, updated by the second
  EXPECT_EQ(phones_of(leads[0]), (std::vector<std::string>{"+12124561001", "+12124562001"}));
  const auto batches = gated.batches();
  ASSERT_EQ(batches.size(), 2U);
  EXPECT_EQ(batches[1].writes, 1U);
}

// A merge prepare() was not told about (no rows given to commit()) into a lead of the batch in
// flight waits for that commit and reads the lead as stored.
TEST_F(LeadWriterTest, AMergeIntoTheBatchInFlightThatWasNotForeseenWaitsForItsCommit) {
  GatedStore gated(*store_);
  auto writer = writer_for(gated);
  auto first = chunk_of({person(1), person(2)});
  ASSERT_TRUE(writer->prepare({&first, 1}).ok());
  add(*writer, first);
  ASSERT_TRUE(writer->commit(checkpoint(1)).ok());
  auto second = chunk_of({person(1, "CTO", "+1 212 456 2001")});

  EXPECT_EQ(add(*writer, second), (std::vector{RowFate::merged_in_file}));

  EXPECT_EQ(gated.batches().size(), 1U); // committed before the row was added
  ASSERT_TRUE(writer->committed_checkpoint().has_value());
  EXPECT_EQ(writer->committed_checkpoint()->value, "1");
  ASSERT_TRUE(writer->commit(checkpoint(2)).ok());
  ASSERT_TRUE(writer->finish().ok());
  const auto leads = store_->find_by_email(email_of(1)).value();
  ASSERT_EQ(leads.size(), 1U);
  EXPECT_EQ(leads[0].person.job_title, "CTO");
  EXPECT_EQ(leads[0].identity.version, 2);
}

// The leads of earlier batches that the next batch's rows merge into are read before the batch
// before it is handed: while a commit runs, the writer does not wait for the store.
TEST_F(LeadWriterTest, ALeadOfAnEarlierBatchIsReadBeforeTheCommitInFlight) {
  GatedStore gated(*store_);
  auto writer = writer_for(gated);
  const ReleaseAll release_all(gated);
  auto first = chunk_of({person(1), person(2)});
  ASSERT_TRUE(writer->prepare({&first, 1}).ok());
  add(*writer, first);
  auto second = chunk_of({person(3)});
  ASSERT_TRUE(writer->commit(checkpoint(1), {&second, 1}).ok());
  add(*writer, second);
  auto third = chunk_of({person(1, "CTO", "+1 212 456 2001"), person(4)});
  gated.hold(1);

  ASSERT_TRUE(writer->commit(checkpoint(2), {&third, 1}).ok()); // the first batch is committed
  gated.wait_until_waiting(1);
  const auto reads = gated.lead_reads();
  EXPECT_EQ(add(*writer, third), (std::vector{RowFate::merged_in_file, RowFate::new_lead}));
  EXPECT_EQ(gated.lead_reads(), reads); // person 1 was read before the second batch was handed
  gated.release(1);
  ASSERT_TRUE(writer->commit(checkpoint(3)).ok());
  ASSERT_TRUE(writer->finish().ok());

  const auto leads = store_->find_by_email(email_of(1)).value();
  ASSERT_EQ(leads.size(), 1U);
  EXPECT_EQ(leads[0].person.job_title, "CTO");
  EXPECT_EQ(leads[0].identity.version, 2);
  EXPECT_EQ(phones_of(leads[0]), (std::vector<std::string>{"+12124561001", "+12124562001"}));
}

TEST_F(LeadWriterTest, AFailedCommitIsReportedByTheNextCommitAndDoesNotCount) {
  GatedStore gated(*store_);
  gated.fail(1);
  auto writer = writer_for(gated);
  auto first = chunk_of({person(1)});
  ASSERT_TRUE(writer->prepare({&first, 1}).ok());
  add(*writer, first);
  auto second = chunk_of({person(2)});
  ASSERT_TRUE(writer->commit(checkpoint(1), {&second, 1}).ok());
  add(*writer, second);
  auto third = chunk_of({person(3)});
  ASSERT_TRUE(writer->commit(checkpoint(2), {&third, 1}).ok()); // handed; it will fail
  add(*writer, third);

  const auto refused = writer->commit(checkpoint(3));

  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.error().message.find("disk full (injected)"), std::string::npos);
  const auto finished = writer->finish();
  ASSERT_FALSE(finished.ok());
  EXPECT_EQ(finished.error().message, refused.error().message);
  EXPECT_EQ(gated.write_batch_calls(), 2U); // the third batch was not handed
  ASSERT_TRUE(writer->committed_checkpoint().has_value());
  EXPECT_EQ(writer->committed_checkpoint()->value, "1");
}

TEST_F(LeadWriterTest, DestroyingTheWriterWaitsForTheBatchInFlight) {
  GatedStore gated(*store_);
  auto writer = writer_for(gated);
  auto first = chunk_of({person(1), person(2)});
  ASSERT_TRUE(writer->prepare({&first, 1}).ok());
  add(*writer, first);
  ASSERT_TRUE(writer->commit(checkpoint(1)).ok());

  writer.reset(); // no finish(): the committer thread is joined all the same

  EXPECT_EQ(gated.batches().size(), 1U);
  EXPECT_EQ(store_->find_by_email(email_of(2)).value().size(), 1U);
}

} // namespace
} // namespace leadsync::importer::detail
