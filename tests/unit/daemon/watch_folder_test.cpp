#include "leadsync/core/cancel.hpp"
#include "leadsync/core/clock.hpp"
#include "leadsync/daemon/watch_folder.hpp"
#include "leadsync/store/open.hpp"

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <gtest/gtest.h>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

namespace leadsync::daemon {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

// 2026-11-03 10:01:00 UTC
constexpr TimePoint start_time{std::chrono::seconds{1'793'700'060}};

void write(const fs::path& path, const std::string& text, bool append = false) {
  std::ofstream out(path, std::ios::binary | (append ? std::ios::app : std::ios::trunc));
  out << text;
  ASSERT_TRUE(out.good()) << path;
}

std::string read(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// The names in a folder, sorted; empty when it does not exist.
std::vector<std::string> names_in(const fs::path& folder) {
  std::vector<std::string> names;
  std::error_code code;
  for (fs::directory_iterator entries(folder, code); !code && entries != fs::directory_iterator();
       entries.increment(code)) {
    names.push_back(entries->path().filename().string());
  }
  std::sort(names.begin(), names.end());
  return names;
}

const std::string list_csv = "first_name,last_name,email\nAnna,Ivanova,anna@example.com\n";

class WatchFolderTest : public ::testing::Test {
protected:
  void SetUp() override {
    std::string pattern = fs::path(::testing::TempDir()) / "leadsync-watch-XXXXXX";
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
    scratch_ = pattern;
    inbox_ = scratch_ / "inbox";
    fs::create_directories(inbox_);
    auto opened =
        store::open_store("sqlite://" + (scratch_ / "state.db").string(), scratch_, clock_);
    ASSERT_TRUE(opened.ok()) << opened.error().describe();
    store_ = std::move(*opened);
    watch_ = open_watch();
  }
  void TearDown() override {
    watch_.reset();
    store_.reset();
    fs::remove_all(scratch_);
  }

  // A new watch folder over the same folder and store: what a restarted daemon gets.
  std::unique_ptr<WatchFolder> open_watch() {
    auto opened = WatchFolder::open(
        {.folder = inbox_, .settle_time = 10s}, *store_,
        [this](const WatchedFile& file, const CancellationToken& cancel) {
          calls_.push_back(file);
          // What the import sees: the file where the watch folder claimed it.
          EXPECT_TRUE(fs::exists(file.path)) << file.path;
          return respond_ ? respond_(file, cancel)
                          : ImportOutcome{.status = ImportStatus::ok,
                                          .message = "1 lead imported",
                                          .error_file = {}};
        },
        clock_);
    EXPECT_TRUE(opened.ok()) << opened.error().describe();
    return opened.ok() ? std::move(opened).value() : nullptr;
  }

  std::vector<WatchResult> poll(const CancellationToken& cancel = {}) {
    auto results = watch_->poll(clock_.now(), cancel);
    EXPECT_TRUE(results.ok()) << results.error().describe();
    return results.ok() ? std::move(results).value() : std::vector<WatchResult>{};
  }

  // Drops a file and lets it settle, so the next poll takes it.
  void drop_settled(const std::string& name, const std::string& text = list_csv) {
    write(inbox_ / name, text);
    EXPECT_TRUE(poll().empty()) << "taken before it settled";
    clock_.advance(10s);
  }

  ManualClock clock_{start_time};
  fs::path scratch_;
  fs::path inbox_;
  std::unique_ptr<store::Store> store_;
  std::unique_ptr<WatchFolder> watch_;
  std::vector<WatchedFile> calls_;
  std::function<ImportOutcome(const WatchedFile&, const CancellationToken&)> respond_;
};

TEST_F(WatchFolderTest, AGrowingFileIsNotTakenUntilItHasSettled) {
  write(inbox_ / "acme__q4.csv", "first_name,last_name,email\n");
  auto scanned = watch_->scan(clock_.now());
  ASSERT_TRUE(scanned.ok());
  ASSERT_EQ(scanned->size(), 1U);
  EXPECT_FALSE((*scanned)[0].ready);

  clock_.advance(8s);
  write(inbox_ / "acme__q4.csv", "Anna,Ivanova,anna@example.com\n", true); // still arriving
  EXPECT_TRUE(poll().empty());
  clock_.advance(8s); // 16 s after it appeared, but 8 s after it last grew
  EXPECT_TRUE(poll().empty());
  EXPECT_TRUE(calls_.empty());
  EXPECT_TRUE(fs::exists(inbox_ / "acme__q4.csv"));

  clock_.advance(2s);
  const auto results = poll();
  ASSERT_EQ(results.size(), 1U);
  EXPECT_EQ(results[0].fate, FileFate::done);
  ASSERT_EQ(calls_.size(), 1U);
  EXPECT_EQ(read(inbox_ / "done" / "acme__q4.csv"),
            "first_name,last_name,email\nAnna,Ivanova,anna@example.com\n");
}

TEST_F(WatchFolderTest, AFileWaitsForItsSidecarToSettleToo) {
  write(inbox_ / "acme-q4.csv", list_csv);
  EXPECT_TRUE(poll().empty());
  clock_.advance(9s);
  write(inbox_ / "acme-q4.csv.toml", "vendor = \"acme\"\nlist = \"q4\"\n");
  EXPECT_TRUE(poll().empty());
  clock_.advance(9s);
  EXPECT_TRUE(poll().empty()) << "the file settled, its sidecar not yet";
  clock_.advance(1s);
  ASSERT_EQ(poll().size(), 1U);
  ASSERT_EQ(calls_.size(), 1U);
  EXPECT_EQ(calls_[0].options.vendor, "acme");
}

TEST_F(WatchFolderTest, ASidecarGivesVendorListAndTheImportOptions) {
  write(inbox_ / "acme-q4.csv.toml", R"(vendor = "Acme Data"
list = "q4-webinar"
exclusive = true
acquired = 2026-10-01
encoding = "windows-1252"
delimiter = ";"
region = "DE"
map = ["Firma=company", "Notiz="]
)");
  drop_settled("acme-q4.csv");
  const auto results = poll();
  ASSERT_EQ(results.size(), 1U);
  EXPECT_EQ(results[0].fate, FileFate::done);
  EXPECT_FALSE(results[0].resumed);
  EXPECT_FALSE(results[0].error.has_value());
  ASSERT_EQ(calls_.size(), 1U);
  const auto& file = calls_[0];
  EXPECT_EQ(file.path, inbox_ / "processing" / "acme-q4.csv");
  EXPECT_EQ(file.sidecar, inbox_ / "processing" / "acme-q4.csv.toml");
  EXPECT_EQ(file.errors_file, inbox_ / "processing" / "acme-q4.csv.errors.csv");
  EXPECT_EQ(file.name, "acme-q4.csv");
  EXPECT_EQ(file.labels_from, LabelSource::sidecar);
  EXPECT_FALSE(file.resume);
  EXPECT_EQ(file.sha256.size(), 64U);
  const ImportFileOptions expected{.vendor = "Acme Data",
                                   .list = "q4-webinar",
                                   .exclusive = true,
                                   .acquired = "2026-10-01",
                                   .encoding = "windows-1252",
                                   .delimiter = ";",
                                   .region = "DE",
                                   .map = {"Firma=company", "Notiz="}};
  EXPECT_EQ(file.options, expected);
  EXPECT_EQ(
      names_in(inbox_ / "done"),
      (std::vector<std::string>{"acme-q4.csv", "acme-q4.csv.result.txt", "acme-q4.csv.toml"}));
  EXPECT_EQ(names_in(inbox_ / "processing"), std::vector<std::string>{});
  EXPECT_EQ(read(inbox_ / "done" / "acme-q4.csv.result.txt"),
            "done at 2026-11-03T10:01:10Z: 1 lead imported\n");
}

TEST_F(WatchFolderTest, TheFileNameGivesVendorAndListWhenThereIsNoSidecar) {
  drop_settled("zoominfo__emea-webinar-2026-11.csv");
  ASSERT_EQ(poll().size(), 1U);
  ASSERT_EQ(calls_.size(), 1U);
  EXPECT_EQ(calls_[0].options.vendor, "zoominfo");
  EXPECT_EQ(calls_[0].options.list, "emea-webinar-2026-11");
  EXPECT_EQ(calls_[0].labels_from, LabelSource::file_name);
  EXPECT_TRUE(calls_[0].sidecar.empty());
  EXPECT_EQ(calls_[0].options.encoding, "auto");
  EXPECT_FALSE(calls_[0].options.exclusive.has_value());

  EXPECT_EQ(WatchFolder::labels_from_name("a__b__c.tsv"),
            (std::pair<std::string, std::string>{"a", "b__c"}));
  EXPECT_FALSE(WatchFolder::labels_from_name("__list.csv").has_value());
  EXPECT_FALSE(WatchFolder::labels_from_name("vendor__.csv").has_value());
  EXPECT_FALSE(WatchFolder::labels_from_name("vendor_list.csv").has_value());
}

TEST_F(WatchFolderTest,
       AFileWithNeitherSidecarNorPatternGoesToFailedWithAnErrorFileSayingWhatToAdd) {
  drop_settled("leads.csv");
  const auto results = poll();
  ASSERT_EQ(results.size(), 1U);
  EXPECT_EQ(results[0].fate, FileFate::failed);
  EXPECT_EQ(results[0].filed_as, inbox_ / "failed" / "leads.csv");
  EXPECT_TRUE(calls_.empty()) << "never handed to the import";
  EXPECT_EQ(names_in(inbox_ / "failed"),
            (std::vector<std::string>{"leads.csv", "leads.csv.error.txt", "leads.csv.result.txt"}));
  const std::string help = read(inbox_ / "failed" / "leads.csv.error.txt");
  EXPECT_NE(help.find("leads.csv.toml"), std::string::npos) << help;
  EXPECT_NE(help.find("vendor = \""), std::string::npos) << help;
  EXPECT_NE(help.find("list = \""), std::string::npos) << help;
  EXPECT_NE(help.find("VENDOR__LIST"), std::string::npos) << help;
  EXPECT_NE(help.find("back into " + inbox_.string()), std::string::npos) << help;
  const std::string line = read(inbox_ / "failed" / "leads.csv.result.txt");
  EXPECT_EQ(line.rfind("failed at 2026-11-03T10:01:10Z: no vendor and list", 0), 0U) << line;
  EXPECT_EQ(std::count(line.begin(), line.end(), '\n'), 1);
}

TEST_F(WatchFolderTest, ASidecarWithAnUnknownKeyGoesToFailedNamingTheKey) {
  write(inbox_ / "acme.csv.toml", "vendor = \"acme\"\nlist = \"q4\"\nsource = \"web\"\n");
  drop_settled("acme.csv");
  const auto results = poll();
  ASSERT_EQ(results.size(), 1U);
  EXPECT_EQ(results[0].fate, FileFate::failed);
  EXPECT_TRUE(calls_.empty());
  EXPECT_EQ(names_in(inbox_ / "failed"),
            (std::vector<std::string>{"acme.csv", "acme.csv.error.txt", "acme.csv.result.txt",
                                      "acme.csv.toml"}));
  const std::string help = read(inbox_ / "failed" / "acme.csv.error.txt");
  EXPECT_NE(help.find("acme.csv.toml line 3: unknown key \"source\""), std::string::npos) << help;
  EXPECT_NE(help.find("vendor, list, exclusive"), std::string::npos) << help;
}

TEST_F(WatchFolderTest, ASidecarWithoutAListGoesToFailedSayingToAddIt) {
  write(inbox_ / "acme.csv.toml", "vendor = \"acme\"\n");
  drop_settled("acme.csv");
  const auto results = poll();
  ASSERT_EQ(results.size(), 1U);
  EXPECT_EQ(results[0].fate, FileFate::failed);
  EXPECT_NE(results[0].message.find("acme.csv.toml has no list = \"...\": add it"),
            std::string::npos)
      << results[0].message;
}

TEST_F(WatchFolderTest, ParsingASidecarNamesTheLineAndTheProblem) {
  const auto typo = WatchFolder::parse_sidecar("vendr = \"acme\"\n", "x.csv.toml");
  ASSERT_FALSE(typo.ok());
  EXPECT_EQ(typo.error().category, ErrorCategory::invalid_argument);
  EXPECT_NE(typo.error().message.find("unknown key \"vendr\" (did you mean \"vendor\"?)"),
            std::string::npos)
      << typo.error().message;

  const auto type = WatchFolder::parse_sidecar("vendor = \"a\"\nexclusive = \"yes\"\n", "x.toml");
  ASSERT_FALSE(type.ok());
  EXPECT_NE(type.error().message.find("x.toml line 2: exclusive must be true"), std::string::npos)
      << type.error().message;

  const auto syntax = WatchFolder::parse_sidecar("vendor = \"a\nlist = 1\n", "x.toml");
  ASSERT_FALSE(syntax.ok());
  EXPECT_NE(syntax.error().message.find("x.toml line 1"), std::string::npos)
      << syntax.error().message;

  const auto date = WatchFolder::parse_sidecar("acquired_on = \"2026-02-30\"\n", "x.toml");
  ASSERT_FALSE(date.ok());
  EXPECT_NE(date.error().message.find("acquired_on"), std::string::npos) << date.error().message;

  const auto twice =
      WatchFolder::parse_sidecar("acquired = 2026-10-01\nacquired_on = 2026-10-01\n", "x.toml");
  EXPECT_FALSE(twice.ok());

  const auto shared = WatchFolder::parse_sidecar(
      "vendor = \"a\"\nlist = \"b\"\nexclusive = false\nacquired_on = \"2026-10-01\"\n"
      "delimiter = \"\\t\"\nmap = \"E-Mail=email\"\n",
      "x.toml");
  ASSERT_TRUE(shared.ok()) << shared.error().message;
  EXPECT_EQ(shared->exclusive, false);
  EXPECT_EQ(shared->acquired, "2026-10-01");
  EXPECT_EQ(shared->delimiter, "\t");
  EXPECT_EQ(shared->map, std::vector<std::string>{"E-Mail=email"});
}

TEST_F(WatchFolderTest, APartialImportIsFiledInDoneWithItsErrorFileBeside) {
  respond_ = [](const WatchedFile& file, const CancellationToken&) {
    write(file.errors_file, "line,reason\n3,no valid contact\n");
    return ImportOutcome{.status = ImportStatus::partial,
                         .message = "2 leads imported,\n1 row rejected",
                         .error_file = file.errors_file};
  };
  write(inbox_ / "acme__q4.csv.toml", "vendor = \"acme\"\nlist = \"q4\"\n");
  drop_settled("acme__q4.csv");
  const auto results = poll();
  ASSERT_EQ(results.size(), 1U);
  EXPECT_EQ(results[0].fate, FileFate::done);
  EXPECT_EQ(names_in(inbox_ / "done"),
            (std::vector<std::string>{"acme__q4.csv", "acme__q4.csv.errors.csv",
                                      "acme__q4.csv.result.txt", "acme__q4.csv.toml"}));
  EXPECT_EQ(read(inbox_ / "done" / "acme__q4.csv.errors.csv"), "line,reason\n3,no valid contact\n");
  EXPECT_EQ(read(inbox_ / "done" / "acme__q4.csv.result.txt"),
            "done at 2026-11-03T10:01:10Z: 2 leads imported, 1 row rejected\n");
  EXPECT_TRUE(names_in(inbox_ / "processing").empty());
}

TEST_F(WatchFolderTest, AFailedImportIsFiledInFailedWithItsErrorFileAndCanBeDroppedAgain) {
  respond_ = [this](const WatchedFile&, const CancellationToken&) {
    const fs::path elsewhere = scratch_ / "report.csv"; // an error file outside the folder
    write(elsewhere, "line,reason\n");
    return ImportOutcome{.status = ImportStatus::failed,
                         .message = "the file is not UTF-8: give encoding = \"windows-1252\"",
                         .error_file = elsewhere};
  };
  drop_settled("acme__q4.csv");
  auto results = poll();
  ASSERT_EQ(results.size(), 1U);
  EXPECT_EQ(results[0].fate, FileFate::failed);
  EXPECT_EQ(names_in(inbox_ / "failed"),
            (std::vector<std::string>{"acme__q4.csv", "acme__q4.csv.errors.csv",
                                      "acme__q4.csv.result.txt"}));
  EXPECT_FALSE(fs::exists(scratch_ / "report.csv"));
  EXPECT_NE(read(inbox_ / "failed" / "acme__q4.csv.result.txt").find("windows-1252"),
            std::string::npos);

  // Fixed and dropped again: the same content is imported, since it never was.
  respond_ = nullptr;
  fs::rename(inbox_ / "failed" / "acme__q4.csv", inbox_ / "acme__q4.csv");
  drop_settled("acme__q4.csv.tmp"); // an upload in progress beside it is not taken
  results = poll();
  ASSERT_EQ(results.size(), 1U);
  EXPECT_EQ(results[0].fate, FileFate::done);
  EXPECT_EQ(calls_.size(), 2U);
  EXPECT_TRUE(fs::exists(inbox_ / "acme__q4.csv.tmp"));
}

TEST_F(WatchFolderTest, AFileLeftInProcessingIsImportedAgainWithResumeAtTheNextStart) {
  // The daemon stops mid-import: the import says interrupted and the file stays claimed.
  respond_ = [](const WatchedFile&, const CancellationToken&) {
    return ImportOutcome{.status = ImportStatus::interrupted,
                         .message = "stopped after 4,000 rows",
                         .error_file = {}};
  };
  write(inbox_ / "acme-q4.csv.toml", "vendor = \"acme\"\nlist = \"q4\"\n");
  drop_settled("acme-q4.csv");
  auto results = poll();
  ASSERT_EQ(results.size(), 1U);
  EXPECT_EQ(results[0].fate, FileFate::interrupted);
  EXPECT_EQ(names_in(inbox_ / "processing"),
            (std::vector<std::string>{"acme-q4.csv", "acme-q4.csv.toml"}));
  EXPECT_TRUE(poll().empty()) << "not taken again before the next start";

  // The next start.
  respond_ = nullptr;
  watch_ = open_watch();
  results = poll();
  ASSERT_EQ(results.size(), 1U);
  EXPECT_EQ(results[0].fate, FileFate::done);
  EXPECT_TRUE(results[0].resumed);
  ASSERT_EQ(calls_.size(), 2U);
  EXPECT_TRUE(calls_[1].resume);
  EXPECT_EQ(calls_[1].path, inbox_ / "processing" / "acme-q4.csv");
  EXPECT_EQ(calls_[1].options.vendor, "acme");
  EXPECT_EQ(calls_[1].sha256, calls_[0].sha256);
  EXPECT_EQ(
      names_in(inbox_ / "done"),
      (std::vector<std::string>{"acme-q4.csv", "acme-q4.csv.result.txt", "acme-q4.csv.toml"}));
}

TEST_F(WatchFolderTest, AKilledClaimIsFinishedAtStartWithTheSidecarStillInTheFolder) {
  // SIGKILL between the two renames of a claim: the file is in processing/, its sidecar is not.
  fs::create_directories(inbox_ / "processing");
  write(inbox_ / "processing" / "acme-q4.csv", list_csv);
  write(inbox_ / "acme-q4.csv.toml", "vendor = \"acme\"\nlist = \"q4\"\n");
  const auto results = poll();
  ASSERT_EQ(results.size(), 1U);
  EXPECT_EQ(results[0].fate, FileFate::done);
  ASSERT_EQ(calls_.size(), 1U);
  EXPECT_TRUE(calls_[0].resume);
  EXPECT_EQ(calls_[0].options.list, "q4");
  EXPECT_EQ(calls_[0].sidecar, inbox_ / "processing" / "acme-q4.csv.toml");
  EXPECT_TRUE(fs::exists(inbox_ / "done" / "acme-q4.csv.toml"));
}

TEST_F(WatchFolderTest, TheSameContentDroppedAgainIsNotImportedAgain) {
  drop_settled("acme__q4.csv");
  ASSERT_EQ(poll().size(), 1U);
  ASSERT_EQ(calls_.size(), 1U);
  const auto recorded = store_->get_checkpoint(WatchFolder::imported_checkpoint(calls_[0].sha256));
  ASSERT_TRUE(recorded.ok());
  ASSERT_TRUE(recorded.value().has_value());

  clock_.advance(1h);
  drop_settled("acme__q4-copy.csv");
  const auto results = poll();
  ASSERT_EQ(results.size(), 1U);
  EXPECT_EQ(results[0].fate, FileFate::already_imported);
  EXPECT_EQ(calls_.size(), 1U) << "the import was not called again";
  EXPECT_EQ(results[0].filed_as, inbox_ / "done" / "acme__q4-copy.csv");
  const std::string line = read(inbox_ / "done" / "acme__q4-copy.csv.result.txt");
  EXPECT_NE(line.find("already imported on 2026-11-03T10:01:10Z (as acme__q4.csv)"),
            std::string::npos)
      << line;

  // Other content is imported.
  drop_settled("acme__q5.csv", list_csv + "Ivan,Petrov,ivan@example.com\n");
  ASSERT_EQ(poll().size(), 1U);
  EXPECT_EQ(calls_.size(), 2U);
}

TEST_F(WatchFolderTest, AnImportedFileStillInProcessingAtStartIsFiledWithoutImportingIt) {
  // Killed after the import was recorded but before the file was filed.
  drop_settled("acme__q4.csv");
  ASSERT_EQ(poll().size(), 1U);
  fs::create_directories(inbox_ / "processing");
  write(inbox_ / "processing" / "acme__q4.csv", list_csv);
  watch_ = open_watch();
  const auto results = poll();
  ASSERT_EQ(results.size(), 1U);
  EXPECT_EQ(results[0].fate, FileFate::already_imported);
  EXPECT_TRUE(results[0].resumed);
  EXPECT_EQ(calls_.size(), 1U);
}

TEST_F(WatchFolderTest, IgnoredNamesAreNeverTaken) {
  for (const char* name :
       {".hidden.csv", "acme.csv.part", "acme.csv.partial", "acme.tmp", "acme.csv.crdownload",
        "~$acme.csv", "acme.csv~", "acme.csv.toml", "acme.csv.error.txt", "acme.csv.result.txt",
        "acme.csv.errors.csv", "acme.csv.notes.csv", "acme.xlsx", "acme", ".csv"}) {
    EXPECT_FALSE(WatchFolder::is_candidate_name(name)) << name;
  }
  for (const char* name :
       {"acme.csv", "ACME.CSV", "acme.tsv", "acme.txt", "acme.jsonl", "acme.ndjson", "a__b.Csv"}) {
    EXPECT_TRUE(WatchFolder::is_candidate_name(name)) << name;
  }

  // In the folder: a symbolic link to a list elsewhere, a folder named like a list, an upload.
  write(scratch_ / "outside__list.csv", list_csv);
  fs::create_symlink(scratch_ / "outside__list.csv", inbox_ / "linked__list.csv");
  fs::create_directories(inbox_ / "folder__list.csv");
  write(inbox_ / "acme__q4.csv.part", list_csv);
  write(inbox_ / ".acme__q4.csv", list_csv);
  auto scanned = watch_->scan(clock_.now());
  ASSERT_TRUE(scanned.ok());
  EXPECT_TRUE(scanned->empty());
  clock_.advance(1min);
  EXPECT_TRUE(poll().empty());
  EXPECT_TRUE(calls_.empty());
  EXPECT_TRUE(fs::is_symlink(inbox_ / "linked__list.csv"));
}

TEST_F(WatchFolderTest, ANameTakenInDoneGetsATimestampSuffix) {
  fs::create_directories(inbox_ / "done");
  write(inbox_ / "done" / "acme__q4.csv", "an older list\n");
  drop_settled("acme__q4.csv");
  auto results = poll();
  ASSERT_EQ(results.size(), 1U);
  EXPECT_EQ(results[0].filed_as, inbox_ / "done" / "acme__q4.20261103T100110Z.csv");
  EXPECT_EQ(read(inbox_ / "done" / "acme__q4.csv"), "an older list\n");
  EXPECT_TRUE(fs::exists(inbox_ / "done" / "acme__q4.20261103T100110Z.csv.result.txt"));

  // The same name again within the same second.
  write(inbox_ / "acme__q4.csv", list_csv + "Ivan,Petrov,ivan@example.com\n");
  EXPECT_TRUE(poll().empty());
  clock_.advance(10s);
  write(inbox_ / "done" / "acme__q4.20261103T100120Z.csv", "taken\n");
  results = poll();
  ASSERT_EQ(results.size(), 1U);
  EXPECT_EQ(results[0].filed_as, inbox_ / "done" / "acme__q4.20261103T100120Z-2.csv");
}

TEST_F(WatchFolderTest, AFileOfTheSameNameStillInProcessingIsNotOverwritten) {
  EXPECT_TRUE(poll().empty()); // the start's recovery: nothing to resume
  fs::create_directories(inbox_ / "processing");
  write(inbox_ / "processing" / "acme__q4.csv", "interrupted earlier\n");
  drop_settled("acme__q4.csv");
  const auto results = poll();
  ASSERT_EQ(results.size(), 1U);
  EXPECT_EQ(results[0].fate, FileFate::not_claimed);
  ASSERT_TRUE(results[0].error.has_value());
  EXPECT_EQ(results[0].error->category, ErrorCategory::already_exists);
  EXPECT_NE(results[0].message.find("is being imported"), std::string::npos);
  EXPECT_EQ(read(inbox_ / "processing" / "acme__q4.csv"), "interrupted earlier\n");
  EXPECT_EQ(read(inbox_ / "acme__q4.csv"), list_csv);
  EXPECT_TRUE(calls_.empty());
}

TEST_F(WatchFolderTest, AFolderThatCannotBeCreatedIsReportedAndTheFileStays) {
  write(inbox_ / "processing", "a file where the folder should be\n");
  drop_settled("acme__q4.csv");
  const auto results = poll();
  ASSERT_EQ(results.size(), 1U);
  EXPECT_EQ(results[0].fate, FileFate::not_claimed);
  ASSERT_TRUE(results[0].error.has_value());
  EXPECT_NE(results[0].error->message.find("processing"), std::string::npos);
  EXPECT_TRUE(fs::exists(inbox_ / "acme__q4.csv"));
  EXPECT_TRUE(calls_.empty());
}

TEST_F(WatchFolderTest, ACancelledPollTakesNothing) {
  drop_settled("acme__q4.csv");
  CancellationSource stop;
  stop.cancel();
  EXPECT_TRUE(poll(stop.token()).empty());
  EXPECT_TRUE(fs::exists(inbox_ / "acme__q4.csv"));
  EXPECT_TRUE(calls_.empty());
}

TEST_F(WatchFolderTest, OpeningAFolderThatDoesNotExistSaysSo) {
  auto opened = WatchFolder::open(
      {.folder = scratch_ / "nowhere", .settle_time = 10s}, *store_,
      [](const WatchedFile&, const CancellationToken&) { return ImportOutcome{}; }, clock_);
  ASSERT_FALSE(opened.ok());
  EXPECT_EQ(opened.error().category, ErrorCategory::config);
  EXPECT_NE(opened.error().message.find("does not exist"), std::string::npos);
  EXPECT_NE(opened.error().message.find("import_watch"), std::string::npos);
}

} // namespace
} // namespace leadsync::daemon
