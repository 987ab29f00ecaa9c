#include "leadsync/importer/csv_import.hpp"
#include "leadsync/store/sqlite_store.hpp"
#include "recording_store.hpp"
#include "support/csv_fixtures.hpp"

#include <fstream>
#include <gtest/gtest.h>
#include <set>
#include <sstream>

namespace leadsync::importer {
namespace {

using test::TempDir;
using testing::RecordingStore;

const std::string header = "First Name,Last Name,Email,Phone,Company,Job Title,Country\n";

std::string read_all(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// The "line" column of an error file.
std::vector<std::int64_t> error_file_lines(const std::string& path) {
  std::istringstream text(read_all(path));
  std::vector<std::int64_t> lines;
  std::string line;
  std::getline(text, line); // header
  while (std::getline(text, line)) {
    lines.push_back(std::stoll(line.substr(0, line.find(','))));
  }
  return lines;
}

// A good row for person `n`: an e-mail, phone and company domain of their own.
std::string good_row(int n, const std::string& title = "Engineer") {
  const auto id = std::to_string(n);
  return "Person" + id + ",Tester,person" + id + "@company" + id + ".com,+1 212 456 " +
         std::to_string(1000 + n) + ",Company " + id + "," + title + ",USA\n";
}

// The header and good rows for people 0 .. count-1.
std::string list_of(int count) {
  std::string text = header;
  for (int i = 0; i < count; ++i) {
    text += good_row(i);
  }
  return text;
}

std::string email_of(int n) {
  return "person" + std::to_string(n) + "@company" + std::to_string(n) + ".com";
}

class CsvImportTest : public ::testing::Test {
protected:
  void SetUp() override {
    store_ = store::open_sqlite_store({":memory:"}, clock_, random_).value();
    dictionary_ = ColumnDictionary::load_text(builtin_import_columns()).value();
  }

  std::string write(const std::string& name, const std::string& text) {
    return dir_.write(name, text);
  }

  CsvImportOptions options_for(const std::string& path) {
    CsvImportOptions options;
    options.path = path;
    options.default_region = "US";
    return options;
  }

  // Many threads, tiny chunks and batches: orders and batch boundaries get exercised.
  static PipelineTuning small_batches(std::size_t batch_rows = 4) {
    return {
        .normalizer_threads = 3, .chunk_rows = 2, .chunks_in_flight = 3, .batch_rows = batch_rows};
  }

  Result<ImportReport> import(const CsvImportOptions& options,
                              const PipelineTuning& tuning = small_batches(),
                              store::Store* through = nullptr, std::int64_t run_id = 0) {
    auto prepared = CsvImport::prepare(through != nullptr ? *through : *store_, dictionary_,
                                       options, clock_, random_);
    if (!prepared.ok()) {
      return fail(prepared.error());
    }
    return prepared->run(tuning, {}, {}, run_id);
  }

  std::vector<model::Lead> all_leads() {
    store::PageRequest page;
    page.limit = 1000;
    return store_->list_leads({}, page).value().leads;
  }

  ManualClock clock_;
  SeededRandom random_{7};
  TempDir dir_;
  std::unique_ptr<store::Store> store_;
  ColumnDictionary dictionary_ = ColumnDictionary::load_text("[fields]\n").value();
};

TEST_F(CsvImportTest, EveryRowIsAccountedForOnce) {
  const auto path =
      write("list.csv", header + good_row(1) + good_row(2) + ",,,,,,\n" + // blank
                            good_row(3) + "Person1,Tester,PERSON1@COMPANY1.COM,,,CTO,USA\n" +
                            good_row(2) + // exactly again
                            "Ragged,Row,ragged@example.com\n" +
                            "Only,,only@example.com,,,,USA\n" + // first name only
                            "No,Contact,not-an-email,555-0100,Acme,,USA\n" + ",,,12,,,USA\n" +
                            good_row(4) + ",,,,,,\n");

  const auto report = import(options_for(path)).value();

  const auto& counts = report.counts;
  EXPECT_EQ(counts.rows_read, 12);
  EXPECT_EQ(counts.new_leads, 4);
  EXPECT_EQ(counts.merged_in_file, 1);
  EXPECT_EQ(counts.unchanged, 1);
  EXPECT_EQ(counts.empty_rows, 2);
  EXPECT_EQ(counts.rejected_by_reason,
            (std::map<std::string, std::int64_t>{{"no_name_and_no_contact", 1},
                                                 {"no_name_or_company", 1},
                                                 {"no_valid_contact", 1},
                                                 {"wrong_field_count", 1}}));
  EXPECT_TRUE(counts.balanced());
  EXPECT_EQ(report.rows_this_run, 12);
  EXPECT_EQ(all_leads().size(), 4U);
  const auto merged = store_->find_by_email(email_of(1)).value();
  ASSERT_EQ(merged.size(), 1U);
  EXPECT_EQ(merged[0].person.job_title, "CTO"); // the newer row's value wins
}

TEST_F(CsvImportTest, RejectedRowsKeepFileOrderWhateverTheThreadsDo) {
  std::string text = header;
  std::vector<std::int64_t> expected_lines;
  for (int i = 0; i < 60; ++i) {
    if (i % 3 == 1) {
      text += "Bad" + std::to_string(i) + ",Row,broken@,12,,,USA\n";
      expected_lines.push_back(i + 2); // the header is line 1
    } else {
      text += good_row(i);
    }
  }
  auto options = options_for(write("list.csv", text));
  options.errors_file = (dir_.path() / "errors.csv").string();

  const auto report =
      import(options,
             {.normalizer_threads = 4, .chunk_rows = 1, .chunks_in_flight = 8, .batch_rows = 5})
          .value();

  EXPECT_EQ(error_file_lines(options.errors_file), expected_lines);
  ASSERT_EQ(report.rejected_rows.size(), expected_lines.size());
  for (std::size_t i = 0; i < expected_lines.size(); ++i) {
    EXPECT_EQ(report.rejected_rows[i].line, expected_lines[i]);
  }
}

TEST_F(CsvImportTest, WritesBatchesWithACheckpointThatMatchesWhatTheyStored) {
  std::string text = header;
  for (int i = 0; i < 10; ++i) {
    text += good_row(i);
  }
  const auto path = write("list.csv", text);
  RecordingStore recording(*store_);

  const auto report = import(options_for(path), small_batches(4), &recording, 42).value();

  ASSERT_EQ(recording.batches.size(), 3U);
  EXPECT_EQ(recording.batches[0].writes, 4U);
  EXPECT_EQ(recording.batches[1].writes, 4U);
  EXPECT_EQ(recording.batches[2].writes, 2U);
  std::int64_t previous_line = 0;
  for (std::size_t i = 0; i < recording.batches.size(); ++i) {
    const auto& value = recording.batches[i].checkpoint;
    ASSERT_TRUE(value.has_value());
    EXPECT_EQ(value->name, import_checkpoint_name(path).value());
    const auto checkpoint = import_checkpoint_from_json(value->value).value();
    EXPECT_GT(checkpoint.resume.line, previous_line);
    previous_line = checkpoint.resume.line;
    EXPECT_EQ(checkpoint.counts.new_leads, std::min<std::int64_t>(10, 4 * (i + 1)));
    EXPECT_EQ(checkpoint.state, i + 1 == recording.batches.size()
                                    ? ImportCheckpoint::State::finished
                                    : ImportCheckpoint::State::running);
  }
  const auto stored =
      import_checkpoint_from_json(
          store_->get_checkpoint(import_checkpoint_name(path).value()).value().value())
          .value();
  EXPECT_EQ(stored.counts, report.counts);
  EXPECT_EQ(stored.resume.line, 12); // after the 10 rows of lines 2..11
  EXPECT_EQ(stored.resume.offset, text.size());
  EXPECT_EQ(stored.settings.list.list_id, "list.csv");
  EXPECT_EQ(stored.settings.encoding, "UTF-8");
  EXPECT_EQ(stored.run_id, 42); // the run the caller (the import job) began
  EXPECT_EQ(report.run_id, 42);
}

TEST_F(CsvImportTest, NewLeadsCarryTheListAndTheirOutboxEntryAndAreMarkedNew) {
  auto options = options_for(write("list.csv", header + good_row(1) + good_row(2)));
  options.vendor = "Expo Leads";
  options.list_id = "GITEX-2026";
  options.exclusive = true;
  options.acquired_on =
      model::Date{std::chrono::year{2026}, std::chrono::month{10}, std::chrono::day{1}};

  const auto report = import(options).value();

  const auto leads = all_leads();
  ASSERT_EQ(leads.size(), 2U);
  for (const auto& lead : leads) {
    EXPECT_TRUE(lead.is_new);
    EXPECT_EQ(lead.origin.channel, model::Channel::purchased_list);
    ASSERT_EQ(lead.origin.lists.size(), 1U);
    EXPECT_EQ(lead.origin.lists[0].vendor, "Expo Leads");
    EXPECT_EQ(lead.origin.lists[0].list_id, "GITEX-2026");
    EXPECT_TRUE(lead.origin.lists[0].exclusive);
    EXPECT_EQ(lead.origin.lists[0].acquired_on, options.acquired_on);
  }
  std::set<std::string> outbox_leads;
  const auto entries = store_->pending_outbox(100).value();
  for (const auto& entry : entries) {
    outbox_leads.insert(entry.lead_id);
  }
  EXPECT_EQ(outbox_leads, (std::set<std::string>{leads[0].identity.id, leads[1].identity.id}));
  EXPECT_EQ(report.counts.new_leads, 2);
  // The importer only imports: the import job records the run (jobs/import.hpp).
  EXPECT_TRUE(store_->list_runs(5).value().empty());
}

TEST_F(CsvImportTest, ADryRunCountsLikeARealImportAndWritesNothing) {
  const auto path = write("list.csv", header + good_row(1) + good_row(2) +
                                          "Person1,Tester,person1@company1.com,,,CTO,USA\n" +
                                          good_row(2) + "No,Contact,x@,1,,,USA\n");
  auto dry = options_for(path);
  dry.dry_run = true;
  dry.errors_file = (dir_.path() / "errors.csv").string();

  const auto dry_report = import(dry, small_batches(2)).value();

  EXPECT_TRUE(all_leads().empty());
  EXPECT_TRUE(store_->list_checkpoints().value().empty());
  EXPECT_TRUE(store_->list_runs(5).value().empty());
  EXPECT_EQ(dry_report.run_id, 0);
  EXPECT_EQ(error_file_lines(dry.errors_file), std::vector<std::int64_t>{6});
  const auto real_report = import(options_for(path), small_batches(2)).value();
  EXPECT_EQ(dry_report.counts, real_report.counts);
  EXPECT_EQ(real_report.counts.merged_in_file, 1);
  EXPECT_EQ(real_report.counts.unchanged, 1);
}

TEST_F(CsvImportTest, ADryRunMergesIntoStoredLeadsWithoutChangingThem) {
  ASSERT_TRUE(import(options_for(write("first.csv", header + good_row(1)))).ok());
  clock_.advance(std::chrono::seconds{1});
  auto dry = options_for(write("second.csv", header + good_row(1, "CTO") + good_row(1, "CEO")));
  dry.dry_run = true;

  const auto report = import(dry).value();

  EXPECT_EQ(report.counts.merged_with_stored, 2);
  EXPECT_EQ(store_->find_by_email(email_of(1)).value().at(0).person.job_title, "Engineer");
}

TEST_F(CsvImportTest, ADryRunWritesToTheScratchStoreItsOptionsGive) {
  auto scratch = store::open_sqlite_store({":memory:"}, clock_, random_).value();
  int scratch_stores_made = 0;
  auto dry = options_for(write("list.csv", header + good_row(1) + good_row(2)));
  dry.dry_run = true;
  dry.scratch_store = [&]() -> Result<std::unique_ptr<store::Store>> {
    ++scratch_stores_made;
    return std::unique_ptr<store::Store>(std::make_unique<RecordingStore>(*scratch));
  };

  const auto report = import(dry).value();

  EXPECT_EQ(scratch_stores_made, 1);
  EXPECT_EQ(report.counts.new_leads, 2);
  EXPECT_TRUE(all_leads().empty());
  store::PageRequest page;
  EXPECT_EQ(scratch->list_leads({}, page).value().leads.size(), 2U);
}

class ResumeTest : public CsvImportTest {
protected:
  // 30 rows: 24 good, every fifth a bad one; people 0..4 come twice.
  std::string list_text() {
    std::string text = header;
    for (int i = 0; i < 30; ++i) {
      if (i % 5 == 4) {
        text += "Bad" + std::to_string(i) + ",Row,broken@,1,,,USA\n";
      } else {
        text += good_row(i < 25 ? i : i - 25, i < 25 ? "Engineer" : "Director");
      }
    }
    return text;
  }

  // Imports through a store that fails the third batch: the run stops like a killed process,
  // with two batches committed.
  void interrupt(const CsvImportOptions& options) {
    RecordingStore failing(*store_);
    failing.fail_batch = 2;
    const auto interrupted = import(options, small_batches(4), &failing);
    ASSERT_FALSE(interrupted.ok());
    ASSERT_EQ(failing.batches.size(), 2U);
    clock_.advance(std::chrono::seconds{1});
  }
};

TEST_F(ResumeTest, ResumingAfterAnInterruptionGivesWhatOneCleanImportGives) {
  const auto path = write("list.csv", list_text());
  auto options = options_for(path);
  options.errors_file = (dir_.path() / "errors.csv").string();
  interrupt(options);
  const auto checkpoint =
      import_checkpoint_from_json(
          store_->get_checkpoint(import_checkpoint_name(path).value()).value().value())
          .value();
  EXPECT_EQ(checkpoint.state, ImportCheckpoint::State::running);
  EXPECT_EQ(checkpoint.counts.rows_read, 8);

  auto resume = options_for(path);
  resume.start = CsvImportOptions::Start::resume;
  const auto resumed = import(resume, small_batches(4)).value();

  EXPECT_EQ(resumed.resumed_at_line, checkpoint.resume.line);
  EXPECT_EQ(resumed.rows_this_run, 22);
  EXPECT_EQ(resumed.counts.rows_read, 30);
  EXPECT_EQ(resumed.counts.rejected(), 6);
  EXPECT_EQ(resumed.counts.new_leads + resumed.counts.merged() + resumed.counts.unchanged, 24);
  EXPECT_TRUE(resumed.counts.balanced());
  EXPECT_EQ(all_leads().size(), 20U); // 25 people less the 5 bad rows; 5 came twice
  for (int i = 0; i < 25; ++i) {
    if (i % 5 != 4) {
      const auto email = email_of(i);
      EXPECT_EQ(store_->find_by_email(email).value().size(), 1U) << email;
    }
  }
  EXPECT_EQ(error_file_lines(options.errors_file),
            (std::vector<std::int64_t>{6, 11, 16, 21, 26, 31}));
}

TEST_F(ResumeTest, AnInterruptedFileIsRefusedUntilResumedOrRestarted) {
  const auto path = write("list.csv", list_text());
  interrupt(options_for(path));

  const auto refused = import(options_for(path));

  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().category, ErrorCategory::invalid_argument);
  EXPECT_NE(refused.error().message.find("--resume"), std::string::npos);
  EXPECT_NE(refused.error().message.find("--restart"), std::string::npos);
  auto restart = options_for(path);
  restart.start = CsvImportOptions::Start::restart;
  const auto restarted = import(restart).value();
  EXPECT_EQ(restarted.counts.rows_read, 30);
  EXPECT_EQ(all_leads().size(), 20U);
  EXPECT_EQ(store_->find_by_email(email_of(0)).value().size(), 1U);
}

TEST_F(ResumeTest, ResumeNeedsAnInterruptedImportOfThatFile) {
  const auto path = write("list.csv", list_text());
  auto resume = options_for(path);
  resume.start = CsvImportOptions::Start::resume;

  EXPECT_NE(import(resume).error().message.find("no interrupted import"), std::string::npos);
  ASSERT_TRUE(import(options_for(path)).ok());
  EXPECT_NE(import(resume).error().message.find("nothing to resume"), std::string::npos);
  resume.dry_run = true;
  EXPECT_NE(import(resume).error().message.find("--dry-run"), std::string::npos);
}

TEST_F(ResumeTest, ResumeWithOtherListOptionsIsRefusedAndLeftOutOnesAreKept) {
  const auto path = write("list.csv", list_text());
  auto first = options_for(path);
  first.vendor = "Expo Leads";
  first.region = "GB";
  interrupt(first);
  auto other = options_for(path);
  other.start = CsvImportOptions::Start::resume;
  other.vendor = "Someone Else";

  const auto refused = import(other);

  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.error().message.find("--vendor was \"Expo Leads\""), std::string::npos)
      << refused.error().message;
  auto plain = options_for(path);
  plain.start = CsvImportOptions::Start::resume;
  auto prepared = CsvImport::prepare(*store_, dictionary_, plain, clock_, random_).value();
  EXPECT_EQ(prepared.settings().list.vendor, "Expo Leads");
  EXPECT_EQ(prepared.settings().default_region, "GB");
}

TEST_F(CsvImportTest, TheSameLeadOnTwoListsBecomesOneLeadCountingBothLists) {
  auto first = options_for(write("expo.csv", header + good_row(1) + good_row(2)));
  first.vendor = "Expo Leads";
  ASSERT_TRUE(import(first).ok());
  clock_.advance(std::chrono::seconds{1});
  auto second = options_for(write(
      "vendor.csv", header + "PERSON1,TESTER,Person1@Company1.com,,,Director,USA\n" + good_row(3)));
  second.vendor = "Data Vendor";

  const auto report = import(second).value();

  EXPECT_EQ(report.counts.merged_with_stored, 1);
  EXPECT_EQ(report.counts.new_leads, 1);
  const auto lead = store_->find_by_email(email_of(1)).value();
  ASSERT_EQ(lead.size(), 1U);
  EXPECT_EQ(model::list_count(lead[0].origin), 2);
  EXPECT_EQ(lead[0].person.job_title, "Director");
  EXPECT_EQ(all_leads().size(), 3U);
}

TEST_F(CsvImportTest, AStoredLeadWithTheSameNameAtItsCompanyIsFlaggedNotMerged) {
  model::Lead stored;
  stored.person.first_name = "Sergey";
  stored.person.last_name = "Ivanov";
  stored.person.phones.push_back(
      {model::PhoneKind::business, "+7 495 765-43-21", "+74957654321", "", true});
  stored.company.domain = "acme.com";
  const auto sergey = store_->create_lead(stored).value();
  clock_.advance(std::chrono::seconds{1});
  // A name never merges on its own, exact or a spelling variant: both go to the review queue.
  const auto path = write("list.csv", "First Name,Last Name,Email,Website,Country\n"
                                      "SERGEY,IVANOV,s.ivanov@gmail.com,www.acme.com,USA\n"
                                      "Sergei,Ivanov,sergei@gmail.com,acme.com,USA\n");

  const auto report = import(options_for(path)).value();

  EXPECT_EQ(report.counts.merged(), 0);
  EXPECT_EQ(report.counts.new_leads, 2);
  EXPECT_EQ(report.counts.possible_duplicates, 3);
  EXPECT_TRUE(store_->get_lead(sergey.identity.id).value().merges.empty());
  std::multiset<std::string> rules;
  const auto pairs = store_->list_duplicate_pairs(store::DuplicateStatus::open, 10).value();
  for (const auto& pair : pairs) {
    rules.insert(pair.rule);
    if (pair.rule == "exact_name_at_domain") {
      EXPECT_EQ(pair.lead_a, sergey.identity.id);
      EXPECT_EQ(pair.source, "list.csv line 2");
    }
  }
  EXPECT_EQ(rules, (std::multiset<std::string>{"exact_name_at_domain", "similar_name_at_domain",
                                               "similar_name_at_domain"}));
}

TEST_F(CsvImportTest, ARowMergesIntoALeadAnEarlierBatchCommitted) {
  std::string text = header + good_row(1);
  for (int i = 2; i < 8; ++i) {
    text += good_row(i);
  }
  text += good_row(1, "Head of IT");

  const auto report = import(options_for(write("list.csv", text)), small_batches(1)).value();

  EXPECT_EQ(report.counts.merged_in_file, 1);
  const auto lead = store_->find_by_email(email_of(1)).value();
  ASSERT_EQ(lead.size(), 1U);
  EXPECT_EQ(lead[0].person.job_title, "Head of IT");
  EXPECT_EQ(lead[0].identity.version, 2);
}

// The writer screens rows with a filter of the stored keys before asking the store about them.
TEST_F(CsvImportTest, AnImportIntoAnEmptyStoreAsksTheStoreAboutNoRow) {
  const std::string text = list_of(12);
  RecordingStore recording(*store_);

  const auto report = import(options_for(write("list.csv", text)), small_batches(4), &recording);

  ASSERT_TRUE(report.ok()) << report.error().describe();
  EXPECT_EQ(report->counts.new_leads, 12);
  EXPECT_EQ(recording.keys_asked, 0U);
}

// The store's own checkpointer thread copies pages through a second connection: that must not look
// like another process writing leads, or the filter would be dropped at the first checkpoint.
TEST_F(CsvImportTest, TheStoresOwnCheckpointsKeepTheFilterOn) {
  store::SqliteOptions file_store{dir_.path() / "state.db"};
  file_store.background_checkpoint_pages = 8; // 32 KB: every batch of the import checkpoints
  const auto on_file = store::open_sqlite_store(file_store, clock_, random_).value();
  RecordingStore recording(*on_file);

  const auto report =
      import(options_for(write("list.csv", list_of(40))), small_batches(4), &recording);

  ASSERT_TRUE(report.ok()) << report.error().describe();
  EXPECT_EQ(report->counts.new_leads, 40);
  EXPECT_EQ(recording.keys_asked, 0U);
}

TEST_F(CsvImportTest, OnlyRowsThatMayBeStoredAreAskedAbout) {
  ASSERT_TRUE(import(options_for(write("first.csv", header + good_row(5)))).ok());
  clock_.advance(std::chrono::seconds{1});
  const std::string text = list_of(12);
  RecordingStore recording(*store_);

  const auto report = import(options_for(write("second.csv", text)), small_batches(4), &recording);

  ASSERT_TRUE(report.ok()) << report.error().describe();
  EXPECT_EQ(report->counts.merged_with_stored + report->counts.unchanged, 1);
  EXPECT_EQ(report->counts.new_leads, 11);
  // Person 5's e-mail, phone and domain; a false positive of the filter may add one more.
  EXPECT_GE(recording.keys_asked, 3U);
  EXPECT_LE(recording.keys_asked, 4U);
}

TEST_F(CsvImportTest, ALeadAnotherProcessStoresDuringTheImportIsStillFound) {
  const std::string text = list_of(10);
  RecordingStore recording(*store_);
  recording.after_batch = [&](std::size_t batch) {
    if (batch != 0) {
      return;
    }
    model::Lead lead; // person 8, pulled from the CRM by another process meanwhile
    lead.person.last_name = "Tester";
    lead.person.emails.push_back(email_of(8));
    ASSERT_TRUE(store_->create_lead(lead).ok());
    ++recording.foreign_writes;
  };

  const auto report = import(options_for(write("list.csv", text)), small_batches(2), &recording);

  ASSERT_TRUE(report.ok()) << report.error().describe();
  EXPECT_EQ(report->counts.merged_with_stored, 1);
  EXPECT_EQ(store_->find_by_email(email_of(8)).value().size(), 1U);
  EXPECT_EQ(all_leads().size(), 10U);
}

TEST_F(CsvImportTest, UnmappedColumnsAreKeptInTheDescription) {
  auto options = options_for(write("list.csv", "Last Name,Email,Booth,Favourite colour\n"
                                               "Tester,t@example.com,B-12,green\n"));
  options.unmapped_columns = UnmappedColumns::custom;
  auto prepared = CsvImport::prepare(*store_, dictionary_, options, clock_, random_).value();
  ASSERT_FALSE(prepared.notes().empty());
  EXPECT_NE(prepared.notes().back().find("description"), std::string::npos);

  ASSERT_TRUE(prepared.run(small_batches()).ok());

  EXPECT_EQ(all_leads().at(0).description, "Booth: B-12\nFavourite colour: green");
}

TEST_F(CsvImportTest, OptionsTheUserMustFixAreRefusedBeforeAnythingIsRead) {
  const auto path = write("list.csv", header + good_row(1));
  auto errors_on_input = options_for(path);
  errors_on_input.errors_file = path;
  auto bad_region = options_for(path);
  bad_region.region = "XX";
  auto unknown_header = options_for(path);
  unknown_header.overrides = {{"Telefax", "phone_business"}};
  auto missing = options_for((dir_.path() / "missing.csv").string());

  for (const auto* options : {&errors_on_input, &bad_region, &unknown_header, &missing}) {
    const auto result = import(*options);
    ASSERT_FALSE(result.ok());
    EXPECT_EQ(result.error().category, ErrorCategory::invalid_argument) << result.error().message;
  }
  EXPECT_NE(import(bad_region).error().message.find("--region"), std::string::npos);
  EXPECT_TRUE(all_leads().empty());
}

TEST(DescribeRejection, GivesPeopleAPhraseAndKeepsUnknownKeys) {
  EXPECT_EQ(describe_rejection("no_valid_contact"), "no valid e-mail or phone");
  EXPECT_EQ(describe_rejection("wrong_field_count"), "wrong number of fields");
  EXPECT_EQ(describe_rejection("something_new"), "something_new");
}

} // namespace
} // namespace leadsync::importer
