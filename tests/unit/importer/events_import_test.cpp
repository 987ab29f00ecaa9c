// Behaviour events from JSON Lines and CSV files (importer/events_import.hpp): leads by id and by
// e-mail, unknown and ambiguous leads, bad values with their lines, de-duplication by event_id.

#include "leadsync/importer/events_import.hpp"
#include "leadsync/model/json.hpp"
#include "leadsync/store/sqlite_store.hpp"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <gtest/gtest.h>
#include <sstream>
#include <sys/stat.h>
#include <unistd.h>

namespace leadsync::importer {
namespace {

namespace fs = std::filesystem;

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

class EventsImportTest : public ::testing::Test {
protected:
  void SetUp() override {
    auto opened = store::open_sqlite_store({.path = ":memory:"}, clock_, random_);
    ASSERT_TRUE(opened.ok()) << opened.error().describe();
    store_ = std::move(opened).value();
    dir_ = fs::temp_directory_path() /
           ("leadsync-events-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    anna_ = lead("Anna", "anna@example.com");
    omar_ = lead("Omar", "omar@example.ae");
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::string lead(const std::string& first_name, const std::string& email) {
    model::Lead lead;
    lead.person.first_name = first_name;
    lead.person.last_name = "Tester";
    lead.person.emails = {email};
    auto created = store_->create_lead(lead);
    EXPECT_TRUE(created.ok()) << created.error().describe();
    return created.ok() ? created->identity.id : std::string();
  }

  EventsImportReport jsonl(const std::string& text, EventsImportOptions options = {}) {
    std::istringstream input(text);
    auto report = import_events_jsonl(*store_, input, options);
    EXPECT_TRUE(report.ok()) << report.error().describe();
    return report.ok() ? std::move(report).value() : EventsImportReport{};
  }

  Result<EventsImportReport> file(const std::string& name, const std::string& bytes,
                                  EventsImportOptions options = {}) {
    const auto path = dir_ / name;
    std::ofstream(path, std::ios::binary) << bytes;
    return import_events_file(*store_, path.string(), options);
  }

  EventsImportReport file_ok(const std::string& name, const std::string& bytes) {
    auto report = file(name, bytes);
    EXPECT_TRUE(report.ok()) << report.error().describe();
    return report.ok() ? std::move(report).value() : EventsImportReport{};
  }

  std::vector<model::BehaviourEvent> events_of(const std::string& lead_id) {
    return store_->list_events(lead_id).value();
  }

  // Every event read is accounted for exactly once.
  static void expect_balanced(const EventsImportReport& report) {
    EXPECT_EQ(report.read,
              report.added + report.duplicates + report.unknown_leads + report.rejected);
    EXPECT_EQ(report.problem_count, report.unknown_leads + report.rejected);
  }

  ManualClock clock_;
  SeededRandom random_{11};
  std::unique_ptr<store::Store> store_;
  fs::path dir_;
  std::string anna_;
  std::string omar_;
};

// ---- JSON Lines

TEST_F(EventsImportTest, JsonLinesAddsEventsForLeadsByIdAndByEmail) {
  const auto report = jsonl(
      R"({"lead_id":")" + anna_ +
      R"(","kind":"pricing_page_visit","occurred_at":"2026-11-22T20:00:00Z","detail":"https://example.com/pricing","weight":2.5,"event_id":"ga-1"})"
      "\n\n"
      R"({"email":"OMAR@Example.AE","kind":"webinar_attended","occurred_at":"2026-11-22T23:00:00+03:00","detail":"Scoring 101"})"
      "\n");

  EXPECT_EQ(report.format, "jsonl");
  EXPECT_EQ(report.read, 2);
  EXPECT_EQ(report.added, 2);
  EXPECT_TRUE(report.problems.empty());
  EXPECT_EQ(report.added_by_kind, (std::map<std::string, std::int64_t>{{"pricing_page_visit", 1},
                                                                       {"webinar_attended", 1}}));
  expect_balanced(report);

  const auto anna = events_of(anna_);
  ASSERT_EQ(anna.size(), 1U);
  EXPECT_EQ(anna[0].kind, model::BehaviourKind::pricing_page_visit);
  EXPECT_EQ(anna[0].occurred_at, model::parse_time("2026-11-22T20:00:00Z").value());
  EXPECT_EQ(anna[0].detail, "https://example.com/pricing");
  EXPECT_DOUBLE_EQ(anna[0].weight, 2.5);
  EXPECT_EQ(anna[0].event_id, "ga-1");
  const auto omar = events_of(omar_);
  ASSERT_EQ(omar.size(), 1U);
  EXPECT_EQ(omar[0].kind, model::BehaviourKind::webinar_attended);
  EXPECT_EQ(omar[0].occurred_at, model::parse_time("2026-11-22T20:00:00Z").value());
  EXPECT_DOUBLE_EQ(omar[0].weight, 1.0);
  EXPECT_EQ(omar[0].event_id, "");
}

TEST_F(EventsImportTest, UnknownLeadsAreReportedWithTheirLineAndNeverCreated) {
  const auto report = jsonl(
      R"({"email":"nobody@example.com","kind":"page_visit","occurred_at":"2026-11-22T20:00:00Z"})"
      "\n"
      R"({"lead_id":"0190c3a2-7b1e-7c4d-9f2a-1b2c3d4e5f60","kind":"call","occurred_at":"2026-11-22T20:00:00Z"})"
      "\n");

  EXPECT_EQ(report.unknown_leads, 2);
  EXPECT_EQ(report.added, 0);
  ASSERT_EQ(report.problems.size(), 2U);
  EXPECT_EQ(report.problems[0].line, 1);
  EXPECT_TRUE(contains(report.problems[0].message, "no lead has the e-mail nobody@example.com"))
      << report.problems[0].message;
  EXPECT_EQ(report.problems[1].line, 2);
  EXPECT_TRUE(
      contains(report.problems[1].message, "there is no lead 0190c3a2-7b1e-7c4d-9f2a-1b2c3d4e5f60"))
      << report.problems[1].message;
  EXPECT_EQ(store_->stats().value().leads, 2);
  EXPECT_EQ(store_->stats().value().behaviour_events, 0);
  expect_balanced(report);
}

TEST_F(EventsImportTest, AnEmailSeveralLeadsHoldIsAmbiguous) {
  const auto twin = lead("Anna", "anna@example.com");

  const auto report = jsonl(
      R"({"email":"anna@example.com","kind":"email_open","occurred_at":"2026-11-22T20:00:00Z"})"
      "\n"
      R"({"lead_id":")" +
      twin + R"(","kind":"email_open","occurred_at":"2026-11-22T20:00:00Z"})" + "\n");

  EXPECT_EQ(report.unknown_leads, 1);
  EXPECT_EQ(report.added, 1);
  ASSERT_EQ(report.problems.size(), 1U);
  EXPECT_EQ(report.problems[0].line, 1);
  EXPECT_TRUE(contains(report.problems[0].message, "is held by 2 leads"))
      << report.problems[0].message;
  EXPECT_TRUE(contains(report.problems[0].message, "give lead_id")) << report.problems[0].message;
  EXPECT_TRUE(events_of(anna_).empty());
  EXPECT_EQ(events_of(twin).size(), 1U);
  expect_balanced(report);
}

TEST_F(EventsImportTest, BadKindTimeAndWeightAreRejectedWithWhatToWrite) {
  const auto report = jsonl(
      R"({"email":"anna@example.com","kind":"pageview","occurred_at":"2026-11-22T20:00:00Z"})"
      "\n"
      R"({"email":"anna@example.com","kind":"call","occurred_at":"22.11.2026 20:00"})"
      "\n"
      R"({"email":"anna@example.com","kind":"call","occurred_at":"2026-11-22T20:00:00Z","weight":0})"
      "\n"
      R"({"email":"anna@example.com","kind":"call","occurred_at":"2026-11-22T20:00:00Z","weight":"heavy"})"
      "\n"
      R"({"email":"anna@example.com","kind":"Demo_Requested","occurred_at":"2026-11-22T20:00:00Z","weight":"3"})"
      "\n");

  EXPECT_EQ(report.rejected, 4);
  EXPECT_EQ(report.added, 1);
  ASSERT_EQ(report.problems.size(), 4U);
  EXPECT_EQ(report.problems[0].line, 1);
  EXPECT_TRUE(contains(report.problems[0].message, "kind 'pageview' is not a behaviour kind"));
  EXPECT_TRUE(contains(report.problems[0].message, "page_visit, pricing_page_visit"));
  EXPECT_EQ(report.problems[1].line, 2);
  EXPECT_TRUE(contains(report.problems[1].message, "occurred_at '22.11.2026 20:00' is not a time"));
  EXPECT_TRUE(contains(report.problems[1].message, "2026-11-22T20:00:00Z"));
  EXPECT_EQ(report.problems[2].line, 3);
  EXPECT_TRUE(contains(report.problems[2].message, "weight '0' is not a number greater than 0"))
      << report.problems[2].message;
  EXPECT_EQ(report.problems[3].line, 4);
  EXPECT_TRUE(contains(report.problems[3].message, "weight 'heavy'")) << report.problems[3].message;
  const auto stored = events_of(anna_);
  ASSERT_EQ(stored.size(), 1U);
  EXPECT_EQ(stored[0].kind, model::BehaviourKind::demo_requested);
  EXPECT_DOUBLE_EQ(stored[0].weight, 3.0);
  expect_balanced(report);
}

TEST_F(EventsImportTest, MissingFieldsBadJsonAndUnknownFieldsAreRejected) {
  const auto report = jsonl(
      R"({"kind":"call","occurred_at":"2026-11-22T20:00:00Z"})"
      "\n"
      R"({"email":"anna@example.com"})"
      "\n"
      "{not json\n"
      "[1, 2]\n"
      R"({"email":"anna@example.com","kind":"call","occurred_at":"2026-11-22T20:00:00Z","ocurred":"x"})"
      "\n"
      R"({"email":"anna@example.com","kind":"call","occurred_at":"2026-11-22T20:00:00Z","detail":7})"
      "\n"
      R"({"lead_id":"not-a-uuid","kind":"call","occurred_at":"2026-11-22T20:00:00Z"})"
      "\n");

  EXPECT_EQ(report.rejected, 7);
  ASSERT_EQ(report.problems.size(), 7U);
  EXPECT_TRUE(contains(report.problems[0].message, "give lead_id or email"));
  EXPECT_TRUE(contains(report.problems[1].message, "kind is missing"));
  EXPECT_TRUE(contains(report.problems[1].message, "occurred_at is missing"));
  EXPECT_TRUE(contains(report.problems[2].message, "not valid JSON"));
  EXPECT_EQ(report.problems[2].line, 3);
  EXPECT_TRUE(contains(report.problems[3].message, "one JSON object"));
  EXPECT_TRUE(contains(report.problems[4].message, "unknown field 'ocurred'"));
  EXPECT_TRUE(contains(report.problems[5].message, "detail must be text"));
  EXPECT_TRUE(contains(report.problems[6].message, "lead_id 'not-a-uuid' is not a lead id"));
  EXPECT_EQ(store_->stats().value().behaviour_events, 0);
  expect_balanced(report);
}

// Issue 18: one JSON Lines record is held in memory up to 1 MB; a longer line (a file of zeros,
// say) fails the import at once, saying the limit, instead of growing memory with it.
TEST_F(EventsImportTest, ALineLongerThanTheRecordLimitFailsTheImportSayingTheLimit) {
  const std::string good =
      R"({"email":"anna@example.com","kind":"call","occurred_at":"2026-11-22T20:00:00Z"})";
  std::istringstream input(good + "\n" + std::string((1U << 20) + 10, 'x') + "\n" + good + "\n");
  const auto report = import_events_jsonl(*store_, input, {});
  ASSERT_FALSE(report.ok());
  EXPECT_TRUE(contains(report.error().message, "line 2 is longer than 1 MB"))
      << report.error().message;
  EXPECT_TRUE(contains(report.error().message, "is this a JSON Lines file?"));
  EXPECT_LT(report.error().message.size(), 400U);
}

// Issue 18: JSON nested deeper than 64 levels is a rejected line, not a recursion.
TEST_F(EventsImportTest, ALineNestedTooDeeplyIsRejectedSayingTheDepthLimit) {
  const auto report = jsonl(std::string(100'000, '[') + "\n");
  ASSERT_EQ(report.problems.size(), 1U);
  EXPECT_TRUE(contains(report.problems[0].message, "deeper than 64 levels"))
      << report.problems[0].message;
}

// Issue 18: a FIFO or a device named as the events file is refused, not read forever.
TEST_F(EventsImportTest, ADeviceOrAFifoIsRefusedAsTheEventsFile) {
  const auto device = import_events_file(*store_, "/dev/zero", {});
  ASSERT_FALSE(device.ok());
  EXPECT_TRUE(contains(device.error().message, "is a device")) << device.error().message;
  const auto fifo = dir_ / "events.jsonl";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  const auto piped = import_events_file(*store_, fifo.string(), {});
  ASSERT_FALSE(piped.ok());
  EXPECT_TRUE(contains(piped.error().message, "pipe (FIFO)")) << piped.error().message;
}

TEST_F(EventsImportTest, RepeatedEventIdsWithinAFileAreDuplicates) {
  const std::string visit =
      R"({"email":"anna@example.com","kind":"page_visit","occurred_at":"2026-11-22T20:00:00Z","event_id":"v-1"})";
  const std::string numeric =
      R"({"email":"anna@example.com","kind":"page_visit","occurred_at":"2026-11-22T20:00:00Z","event_id":42})";
  const std::string no_id =
      R"({"email":"anna@example.com","kind":"page_visit","occurred_at":"2026-11-22T20:00:00Z"})";

  // Batches of two, so the repeats fall in the same batch and in later ones.
  const auto report = jsonl(visit + "\n" + visit + "\n" + numeric + "\n" + no_id + "\n" + no_id +
                                "\n" + visit + "\n" + numeric + "\n",
                            {.format = EventsFormat::automatic, .batch_size = 2, .csv = {}});

  EXPECT_EQ(report.read, 7);
  EXPECT_EQ(report.added, 4) << "v-1, 42 and both events without an id";
  EXPECT_EQ(report.duplicates, 3);
  EXPECT_TRUE(report.problems.empty());
  EXPECT_EQ(report.added_by_kind.at("page_visit"), 4);
  const auto stored = events_of(anna_);
  ASSERT_EQ(stored.size(), 4U);
  EXPECT_EQ(stored[1].event_id, "42");
  expect_balanced(report);
}

TEST_F(EventsImportTest, ASecondImportOfTheSameFileAddsOnlyEventsWithoutAnId) {
  const std::string text =
      R"({"email":"anna@example.com","kind":"trial_usage","occurred_at":"2026-11-22T20:00:00Z","event_id":"t-1"})"
      "\n"
      R"({"email":"omar@example.ae","kind":"email_click","occurred_at":"2026-11-22T20:00:00Z","event_id":"c-9"})"
      "\n";

  const auto first = jsonl(text);
  const auto second = jsonl(text);

  EXPECT_EQ(first.added, 2);
  EXPECT_EQ(first.duplicates, 0);
  EXPECT_EQ(second.added, 0);
  EXPECT_EQ(second.duplicates, 2);
  EXPECT_TRUE(second.added_by_kind.empty());
  EXPECT_EQ(events_of(anna_).size(), 1U);
  EXPECT_EQ(events_of(omar_).size(), 1U);
  expect_balanced(second);
}

TEST_F(EventsImportTest, KeepsTheFirstHundredProblemsAndCountsThemAll) {
  std::string text;
  for (int i = 0; i < 150; ++i) {
    text += R"({"email":"anna@example.com","kind":"nope","occurred_at":"2026-11-22T20:00:00Z"})"
            "\n";
  }
  const auto report = jsonl(text);

  EXPECT_EQ(report.rejected, 150);
  EXPECT_EQ(report.problem_count, 150);
  ASSERT_EQ(report.problems.size(), max_event_problems);
  EXPECT_EQ(report.problems.back().line, 100);
}

// ---- files and CSV

TEST_F(EventsImportTest, CsvWithAHeaderRowAddsEventsAndReportsRowsByLine) {
  const auto report = file_ok(
      "events.csv",
      "Email,Lead ID,Kind,Occurred At,Detail,Weight,Event ID\r\n"
      "anna@example.com,,content_download,2026-11-22T20:00:00Z,\"Pricing guide, 2026\",,d-1\r\n"
      "," +
          omar_ +
          ",demo_attended,2026-11-23T10:00:00Z,Demo,2,d-2\r\n"
          "ghost@example.com,,call,2026-11-23T10:00:00Z,,,d-3\r\n"
          "anna@example.com,,call,yesterday,,-1,d-4\r\n"
          "anna@example.com,,content_download,2026-11-22T20:00:00Z,again,,d-1\r\n");

  EXPECT_EQ(report.format, "csv");
  EXPECT_EQ(report.encoding, "UTF-8");
  EXPECT_EQ(report.read, 5);
  EXPECT_EQ(report.added, 2);
  EXPECT_EQ(report.duplicates, 1);
  EXPECT_EQ(report.unknown_leads, 1);
  EXPECT_EQ(report.rejected, 1);
  ASSERT_EQ(report.problems.size(), 2U);
  EXPECT_EQ(report.problems[0].line, 4);
  EXPECT_TRUE(contains(report.problems[0].message, "ghost@example.com"));
  EXPECT_EQ(report.problems[1].line, 5);
  EXPECT_TRUE(contains(report.problems[1].message, "occurred_at 'yesterday'"));
  EXPECT_TRUE(contains(report.problems[1].message, "weight '-1'"));
  const auto anna = events_of(anna_);
  ASSERT_EQ(anna.size(), 1U);
  EXPECT_EQ(anna[0].detail, "Pricing guide, 2026");
  EXPECT_EQ(anna[0].event_id, "d-1");
  const auto omar = events_of(omar_);
  ASSERT_EQ(omar.size(), 1U);
  EXPECT_DOUBLE_EQ(omar[0].weight, 2.0);
  expect_balanced(report);
}

TEST_F(EventsImportTest, CsvInAWindowsCodePageIsDetected) {
  const std::string text = "email;kind;occurred_at;detail\r\n"
                           "anna@example.com;content_download;2026-11-22T20:00:00Z;Caf\xE9 "
                           "men\xFC\r\n";
  const auto report = file_ok("events.csv", text);

  EXPECT_EQ(report.added, 1);
  EXPECT_NE(report.encoding, "UTF-8");
  EXPECT_EQ(events_of(anna_).at(0).detail, "Café menü");
}

TEST_F(EventsImportTest, TheFormatIsSniffedWhenTheExtensionSaysNothing) {
  const auto jsonl_report = file_ok(
      "events.log",
      "\xEF\xBB\xBF"
      R"({"email":"anna@example.com","kind":"page_visit","occurred_at":"2026-11-22T20:00:00Z"})"
      "\n");
  const auto csv_report = file_ok(
      "events.export", "email,kind,occurred_at\nanna@example.com,call,2026-11-22T20:00:00Z\n");

  EXPECT_EQ(jsonl_report.format, "jsonl");
  EXPECT_EQ(jsonl_report.added, 1);
  EXPECT_EQ(csv_report.format, "csv");
  EXPECT_EQ(csv_report.added, 1);
}

TEST_F(EventsImportTest, ACsvHeaderWithAnUnknownOrMissingColumnIsRefusedWhole) {
  const auto unknown = file("a.csv", "email,kind,occured_at\nanna@example.com,call,x\n");
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.error().category, ErrorCategory::invalid_argument);
  EXPECT_TRUE(contains(unknown.error().message, "unknown column 'occured_at'"))
      << unknown.error().message;

  const auto missing = file("b.csv", "kind,occurred_at\ncall,2026-11-22T20:00:00Z\n");
  ASSERT_FALSE(missing.ok());
  EXPECT_TRUE(contains(missing.error().message, "no lead_id or email column"))
      << missing.error().message;
  EXPECT_EQ(store_->stats().value().behaviour_events, 0);
}

TEST_F(EventsImportTest, AMissingFileFails) {
  const auto report = import_events_file(*store_, (dir_ / "absent.jsonl").string());
  ASSERT_FALSE(report.ok());
  EXPECT_TRUE(contains(report.error().message, "absent.jsonl"));
}

} // namespace
} // namespace leadsync::importer
