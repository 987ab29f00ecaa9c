// The file_feed provider over the real SQLite store: indexing JSON Lines and CSV feeds, lookups by
// each key kind, malformed records, incremental re-indexing, removal, consent.
// Each test spells out its own arrange/act/assert; the repeats of shape between tests are
// deliberate, so a failure reads on its own.

#include "leadsync/core/clock.hpp"
#include "leadsync/core/config.hpp"
#include "leadsync/enrich/provider.hpp"
#include "leadsync/enrich/providers/builtin.hpp"
#include "leadsync/store/sqlite_store.hpp"
#include "leadsync_test_paths.hpp"
#include "support/csv_fixtures.hpp"

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <memory>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>
#include <sys/stat.h>
#include <vector>

namespace leadsync::enrich {
namespace {

namespace fs = std::filesystem;
using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;

// The fields of a PDL person record the tests look for.
const std::string anna_jsonl =
    R"({"full_name":"anna ivanova","work_email":"anna.ivanova@romashka.ru",)"
    R"("personal_emails":["anna.ivanova@gmail.com"],"mobile_phone":"+7 916 765-43-21",)"
    R"("linkedin_url":"linkedin.com/in/anna-ivanova","twitter_url":"twitter.com/annaivanova",)"
    R"("github_url":"github.com/aivanova","job_title":"chief accountant",)"
    R"("job_title_levels":["cxo"],"job_company_name":"romashka","job_company_website":"romashka.ru",)"
    R"("job_company_size":"201-500","job_company_industry":"financial services"})";
const std::string john_jsonl =
    R"({"full_name":"john smith","emails":[{"address":"John.Smith@acme.com","type":"current_professional"}],)"
    R"("phone_numbers":["+1 212-456-7890"],"job_title":"vp purchasing","job_company_name":"acme corp",)"
    R"("job_company_website":"https://www.acme.com","job_company_size":"1001-5000",)"
    R"("job_company_industry":"computer software"})";
const std::string wei_jsonl =
    R"({"full_name":"wei zhang","work_email":"wei.zhang@dragon-tech.cn","job_title":"ceo",)"
    R"("job_company_name":"dragon tech","job_company_website":"dragon-tech.cn"})";

// A private temporary folder (the CSV reader tests' helper), removed with its contents.
using test::TempDir;

bool has_field(const Answer& answer, const std::string& field, const std::string& value) {
  return std::any_of(answer.fields.begin(), answer.fields.end(), [&](const FoundField& found) {
    return found.field == field && found.value == value;
  });
}

Query by_email(const std::string& email) {
  Query query;
  query.email = email;
  return query;
}

class FileFeedProvider : public ::testing::Test {
protected:
  FileFeedProvider() {
    fs::create_directory(feeds());
    store_ = store::open_sqlite_store(store::SqliteOptions{.path = dir_.path() / "state.db",
                                                           .busy_timeout = std::chrono::seconds{5},
                                                           .background_checkpoint_pages = 0},
                                      clock_)
                 .value();
    provider_ = make("feeds");
  }

  fs::path feeds() const { return dir_.path() / "feeds"; }

  std::unique_ptr<Provider> make(const std::string& folder) {
    config::EnrichProviderOptions options;
    options.name = "feed";
    options.kind = "file_feed";
    options.folder = folder;
    const ProviderEnvironment environment{
        .transport = nullptr, .clock = &clock_, .store = store_.get(), .base_dir = dir_.path()};
    auto made = providers::make_file_feed(options, environment);
    if (!made.ok()) {
      ADD_FAILURE() << made.error().describe();
      return nullptr;
    }
    return std::move(made).value();
  }

  void write(const std::string& name, const std::string& text) {
    std::ofstream out(feeds() / name, std::ios::binary | std::ios::trunc);
    out << text;
  }
  void append(const std::string& name, const std::string& text) {
    std::ofstream out(feeds() / name, std::ios::binary | std::ios::app);
    out << text;
  }
  // Makes the file look written an hour ago (older than the racy window).
  void age(const std::string& name) {
    fs::last_write_time(feeds() / name, fs::file_time_type::clock::now() - std::chrono::hours{1});
  }

  std::vector<std::string> prepare() {
    auto notices = provider_->prepare(http::CallContext{});
    if (!notices.ok()) {
      ADD_FAILURE() << notices.error().describe();
      return {};
    }
    return std::move(notices).value();
  }

  Answer lookup(const Query& query, FieldGroup group) {
    auto answer = provider_->lookup(query, group, http::CallContext{});
    if (!answer.ok()) {
      ADD_FAILURE() << answer.error().describe();
      return {};
    }
    return std::move(answer).value();
  }

  store::FeedFileState state(const std::string& name) {
    const auto found = store_->get_feed_file("feed", (feeds() / name).string());
    if (!found.ok() || !found.value()) {
      ADD_FAILURE() << "no state for " << name;
      return {};
    }
    return *found.value();
  }

  std::vector<store::FeedRecord> records(store::FeedKeyKind kind, const std::string& value) {
    return store_->find_feed_records("feed", store::FeedKey{.kind = kind, .value = value}, 100)
        .value();
  }

  TempDir dir_;
  ManualClock clock_;
  std::unique_ptr<store::Store> store_;
  std::unique_ptr<Provider> provider_;
};

TEST_F(FileFeedProvider, IndexesAJsonLinesFeedAndFindsAPersonByEMail) {
  write("people.jsonl", anna_jsonl + "\n" + john_jsonl + "\n");
  EXPECT_THAT(prepare(), ElementsAre("feeds/people.jsonl: 2 records indexed, 0 malformed "
                                     "records skipped"));

  const auto st = state("people.jsonl");
  EXPECT_EQ(st.records, 2);
  EXPECT_EQ(st.rejected, 0);
  EXPECT_EQ(st.lines, 2);
  EXPECT_EQ(st.size, static_cast<std::int64_t>(fs::file_size(feeds() / "people.jsonl")));
  EXPECT_EQ(st.digest.size(), 64U);

  const Answer answer = lookup(by_email("anna.ivanova@romashka.ru"), FieldGroup::person);
  EXPECT_EQ(answer.outcome, Outcome::matched);
  EXPECT_EQ(answer.confidence, 1.0);
  EXPECT_EQ(answer.raw_confidence, 1.0);
  EXPECT_EQ(answer.credits, 0);
  EXPECT_TRUE(has_field(answer, "person.job_title", "chief accountant"));
  // emails[].address is a key too, lower-cased.
  EXPECT_EQ(lookup(by_email("john.smith@acme.com"), FieldGroup::person).outcome, Outcome::matched);
  EXPECT_EQ(lookup(by_email("nobody@acme.com"), FieldGroup::person).outcome, Outcome::no_match);
}

TEST_F(FileFeedProvider, FindsAPersonByPersonalEMailProfileUrlsAndPhone) {
  write("people.ndjson", anna_jsonl + "\n" + john_jsonl + "\n");
  prepare();

  EXPECT_EQ(lookup(by_email("Anna.Ivanova@Gmail.com"), FieldGroup::person).outcome,
            Outcome::matched);
  Query linkedin;
  linkedin.linkedin_url = "https://www.linkedin.com/in/anna-ivanova/";
  EXPECT_EQ(lookup(linkedin, FieldGroup::social).outcome, Outcome::matched);
  Query x;
  x.x_handle = "AnnaIvanova";
  EXPECT_EQ(lookup(x, FieldGroup::social).outcome, Outcome::matched);
  Query github;
  github.github_login = "aivanova";
  EXPECT_EQ(lookup(github, FieldGroup::social).outcome, Outcome::matched);
  Query mobile;
  mobile.phone = "+79167654321";
  EXPECT_TRUE(
      has_field(lookup(mobile, FieldGroup::person), "person.job_title", "chief accountant"));
  Query phone;
  phone.phone = "+12124567890";
  EXPECT_TRUE(has_field(lookup(phone, FieldGroup::person), "person.job_title", "vp purchasing"));
}

TEST_F(FileFeedProvider, TriesTheEMailBeforeProfilesAndProfilesBeforeThePhone) {
  write("people.jsonl", anna_jsonl + "\n" + john_jsonl + "\n" + wei_jsonl + "\n");
  prepare();
  Query query;
  query.email = "wei.zhang@dragon-tech.cn";
  query.linkedin_url = "linkedin.com/in/anna-ivanova";
  query.phone = "+12124567890";
  EXPECT_TRUE(has_field(lookup(query, FieldGroup::person), "person.job_title", "ceo"));
  query.email = "unknown@dragon-tech.cn";
  EXPECT_TRUE(has_field(lookup(query, FieldGroup::person), "person.job_title", "chief accountant"));
  query.linkedin_url.clear();
  EXPECT_TRUE(has_field(lookup(query, FieldGroup::person), "person.job_title", "vp purchasing"));
}

TEST_F(FileFeedProvider, FindsACompanyByDomainWithLowerConfidence) {
  write("people.jsonl", john_jsonl + "\n");
  prepare();
  Query query;
  query.domain = "acme.com";
  const Answer answer = lookup(query, FieldGroup::company);
  EXPECT_EQ(answer.outcome, Outcome::matched);
  EXPECT_EQ(answer.confidence, 0.7);
  EXPECT_EQ(answer.raw_confidence, 0.7);
  EXPECT_EQ(answer.credits, 0);
  EXPECT_EQ(answer.fields, (std::vector<FoundField>{
                               {.field = "company.name", .value = "acme corp"},
                               {.field = "company.website", .value = "https://www.acme.com"},
                               {.field = "company.industry", .value = "computer software"},
                               {.field = "company.employee_count", .value = "1001"},
                           }));
  query.domain = "example.org";
  EXPECT_EQ(lookup(query, FieldGroup::company).outcome, Outcome::no_match);
  // An e-mail alone does not find a company.
  EXPECT_EQ(lookup(by_email("john.smith@acme.com"), FieldGroup::company).outcome,
            Outcome::no_match);
}

TEST_F(FileFeedProvider, IndexesACsvFeedWithSemicolonSeparatedListColumns) {
  write("people.csv",
        "full_name,emails,personal_emails,phone_numbers,linkedin_url,job_title,job_title_levels,"
        "job_company_name,job_company_website,job_company_size,job_company_industry\n"
        "grace o'brien,grace.obrien@northwind.co.uk;g.obrien@northwind.co.uk,grace@gmail.com,"
        "+44 20 7946 0321,linkedin.com/in/grace-obrien,head of it,director;manager,"
        "northwind traders,northwind.co.uk,51-200,retail\n"
        "\"volkov, dmitry\",d.volkov@severstal-it.ru,,,,cto,cxo,severstal it,,,\n");
  EXPECT_THAT(prepare(), ElementsAre("feeds/people.csv: 2 records indexed, 0 malformed records "
                                     "skipped"));
  EXPECT_EQ(state("people.csv").lines, 3);
  const Answer grace = lookup(by_email("g.obrien@northwind.co.uk"), FieldGroup::person);
  EXPECT_EQ(grace.outcome, Outcome::matched);
  EXPECT_TRUE(has_field(grace, "person.job_title", "head of it"));
  EXPECT_EQ(lookup(by_email("grace@gmail.com"), FieldGroup::person).outcome, Outcome::matched);
  Query phone;
  phone.phone = "+442079460321";
  EXPECT_EQ(lookup(phone, FieldGroup::person).outcome, Outcome::matched);
  Query company;
  company.domain = "northwind.co.uk";
  EXPECT_TRUE(has_field(lookup(company, FieldGroup::company), "company.employee_count", "51"));
  const auto dmitry = records(store::FeedKeyKind::email, "d.volkov@severstal-it.ru");
  ASSERT_EQ(dmitry.size(), 1U);
  EXPECT_EQ(dmitry[0].line, 3);
  EXPECT_EQ(nlohmann::json::parse(dmitry[0].record).at("full_name"), "volkov, dmitry");
}

TEST_F(FileFeedProvider, ReportsMalformedRecordsWithTheirLinesAndIndexesTheRest) {
  write("mixed.jsonl", anna_jsonl + "\n" + "{\"work_email\": \"broken@x.com\"\n" + "[1, 2]\n" +
                           "\n" + R"({"full_name":"no keys at all"})" + "\n" + john_jsonl);
  write("mixed.csv", "work_email,job_title\na@x.com,ceo\nb@x.com,cto,extra\nc@x.com,cfo\n");
  const auto notices = prepare();
  EXPECT_THAT(notices, Contains("feeds/mixed.jsonl:2: not valid JSON; record skipped"));
  EXPECT_THAT(notices, Contains("feeds/mixed.jsonl:3: not a JSON object; record skipped"));
  EXPECT_THAT(notices, Contains("feeds/mixed.jsonl:5: no e-mail, phone, profile URL or company "
                                "website to index; record skipped"));
  EXPECT_THAT(notices, Contains("feeds/mixed.jsonl: 2 records indexed, 3 malformed records "
                                "skipped"));
  EXPECT_THAT(notices, Contains(::testing::StartsWith("feeds/mixed.csv:3: ")));
  EXPECT_THAT(notices, Contains("feeds/mixed.csv: 2 records indexed, 1 malformed record skipped"));

  const auto jsonl = state("mixed.jsonl");
  EXPECT_EQ(jsonl.records, 2);
  EXPECT_EQ(jsonl.rejected, 3);
  EXPECT_EQ(jsonl.lines, 6); // the last line has no line break
  const auto john = records(store::FeedKeyKind::email, "john.smith@acme.com");
  ASSERT_EQ(john.size(), 1U);
  EXPECT_EQ(john[0].line, 6);
  EXPECT_EQ(state("mixed.csv").rejected, 1);
  EXPECT_EQ(lookup(by_email("c@x.com"), FieldGroup::person).outcome, Outcome::matched);
}

TEST_F(FileFeedProvider, ListsTwentyMalformedRecordsPerFileAndCountsTheRest) {
  std::string text;
  for (int i = 0; i < 25; ++i) {
    text += "not json\n";
  }
  write("bad.jsonl", text);
  const auto notices = prepare();
  EXPECT_EQ(std::count_if(notices.begin(), notices.end(),
                          [](const std::string& notice) {
                            return notice.find("; record skipped") != std::string::npos;
                          }),
            20);
  EXPECT_THAT(notices, Contains("feeds/bad.jsonl:20: not valid JSON; record skipped"));
  EXPECT_THAT(notices, Not(Contains("feeds/bad.jsonl:21: not valid JSON; record skipped")));
  EXPECT_THAT(notices, Contains("feeds/bad.jsonl: 5 more malformed records not listed"));
  EXPECT_EQ(state("bad.jsonl").rejected, 25);
}

TEST_F(FileFeedProvider, AnUnchangedFileIsNotIndexedAgain) {
  write("people.jsonl", anna_jsonl + "\n");
  age("people.jsonl");
  prepare();
  const auto before = state("people.jsonl");
  EXPECT_NE(before.mtime_ns, 0);
  clock_.advance(std::chrono::hours{1});
  EXPECT_THAT(prepare(), IsEmpty());
  EXPECT_EQ(state("people.jsonl"), before); // indexed_at did not move
}

TEST_F(FileFeedProvider, AFileIndexedWhileFreshIsHashedAgainAndKeptWhenItsBytesAreTheSame) {
  write("people.jsonl", anna_jsonl + "\n");
  prepare();
  EXPECT_EQ(state("people.jsonl").mtime_ns, 0); // too recent to trust
  age("people.jsonl");
  EXPECT_THAT(prepare(), IsEmpty());
  EXPECT_NE(state("people.jsonl").mtime_ns, 0);
  EXPECT_EQ(records(store::FeedKeyKind::email, "anna.ivanova@romashka.ru").size(), 1U);
}

TEST_F(FileFeedProvider, AppendedLinesAreIndexedWithoutTheEarlierOnes) {
  write("people.jsonl", anna_jsonl + "\n" + "garbage\n");
  prepare();
  append("people.jsonl", john_jsonl + "\n" + wei_jsonl + "\n");
  // The earlier lines are not read again: line 2 is not reported a second time.
  EXPECT_THAT(prepare(), ElementsAre("feeds/people.jsonl: 2 new records indexed, 0 malformed "
                                     "records skipped (appended lines 3-4)"));
  const auto st = state("people.jsonl");
  EXPECT_EQ(st.records, 3);
  EXPECT_EQ(st.rejected, 1);
  EXPECT_EQ(st.lines, 4);
  EXPECT_EQ(st.size, static_cast<std::int64_t>(fs::file_size(feeds() / "people.jsonl")));
  EXPECT_EQ(records(store::FeedKeyKind::email, "anna.ivanova@romashka.ru").size(), 1U);
  const auto wei = records(store::FeedKeyKind::email, "wei.zhang@dragon-tech.cn");
  ASSERT_EQ(wei.size(), 1U);
  EXPECT_EQ(wei[0].line, 4);
}

TEST_F(FileFeedProvider, AppendedCsvRowsKeepTheirLineNumbers) {
  write("people.csv", "work_email,job_title\na@x.com,ceo\n");
  prepare();
  append("people.csv", "b@x.com,cto,extra\nc@x.com,cfo\n");
  EXPECT_THAT(prepare(),
              ElementsAre(::testing::StartsWith("feeds/people.csv:3: "),
                          "feeds/people.csv: 1 new record indexed, 1 malformed record skipped "
                          "(appended lines 3-4)"));
  EXPECT_EQ(records(store::FeedKeyKind::email, "a@x.com").size(), 1U);
  const auto c = records(store::FeedKeyKind::email, "c@x.com");
  ASSERT_EQ(c.size(), 1U);
  EXPECT_EQ(c[0].line, 4);
  EXPECT_EQ(state("people.csv").records, 2);
}

TEST_F(FileFeedProvider, ARewrittenFileIsIndexedWhole) {
  write("people.jsonl", anna_jsonl + "\n" + john_jsonl + "\n");
  prepare();
  write("people.jsonl", wei_jsonl + "\n" + john_jsonl + "\n"); // rewritten, not appended to
  EXPECT_THAT(prepare(), ElementsAre("feeds/people.jsonl: 2 records indexed, 0 malformed "
                                     "records skipped"));
  EXPECT_EQ(lookup(by_email("anna.ivanova@romashka.ru"), FieldGroup::person).outcome,
            Outcome::no_match);
  EXPECT_EQ(records(store::FeedKeyKind::email, "john.smith@acme.com").size(), 1U);
  EXPECT_EQ(records(store::FeedKeyKind::email, "wei.zhang@dragon-tech.cn").size(), 1U);
  EXPECT_EQ(state("people.jsonl").records, 2);
}

TEST_F(FileFeedProvider, ARewriteOfTheSameSizeIsNoticed) {
  std::string first = R"({"work_email":"aaaa@x.com"})";
  std::string second = R"({"work_email":"bbbb@x.com"})";
  write("people.jsonl", first + "\n");
  prepare();
  write("people.jsonl", second + "\n");
  prepare();
  EXPECT_EQ(records(store::FeedKeyKind::email, "aaaa@x.com").size(), 0U);
  EXPECT_EQ(records(store::FeedKeyKind::email, "bbbb@x.com").size(), 1U);
}

TEST_F(FileFeedProvider, AppendingToALastLineWithoutALineBreakReindexesTheFile) {
  write("people.jsonl", anna_jsonl); // no line break: the next bytes may continue it
  prepare();
  append("people.jsonl", "\n" + john_jsonl + "\n");
  EXPECT_THAT(prepare(), ElementsAre("feeds/people.jsonl: 2 records indexed, 0 malformed "
                                     "records skipped"));
  EXPECT_EQ(records(store::FeedKeyKind::email, "anna.ivanova@romashka.ru").size(), 1U);
}

TEST_F(FileFeedProvider, ARemovedFileLeavesTheIndex) {
  write("a.jsonl", anna_jsonl + "\n");
  write("b.jsonl", john_jsonl + "\n");
  prepare();
  fs::remove(feeds() / "a.jsonl");
  EXPECT_THAT(prepare(), ElementsAre("feeds/a.jsonl: no longer in the feed folder; its 1 record "
                                     "removed from the index"));
  EXPECT_EQ(lookup(by_email("anna.ivanova@romashka.ru"), FieldGroup::person).outcome,
            Outcome::no_match);
  EXPECT_EQ(lookup(by_email("john.smith@acme.com"), FieldGroup::person).outcome, Outcome::matched);
  EXPECT_EQ(store_->list_feed_files("feed").value().size(), 1U);
}

TEST_F(FileFeedProvider, IgnoresWhatIsNotARegularFeedFileWithANotice) {
  write("people.jsonl", anna_jsonl + "\n");
  write("README.txt", "feeds from the vendor\n");
  write(".people.jsonl.part", john_jsonl + "\n");
  fs::create_directory(feeds() / "old.jsonl");
  ASSERT_EQ(mkfifo((feeds() / "pipe.jsonl").c_str(), 0600), 0);
  fs::create_symlink(feeds() / "old.jsonl", feeds() / "link.csv");
  fs::create_symlink(feeds() / "people.jsonl", feeds() / "same.json"); // to a regular file: read
  const auto notices = prepare();
  EXPECT_THAT(notices, Contains("feeds/README.txt: not a feed file (.jsonl, .ndjson, .json or "
                                ".csv); ignored"));
  EXPECT_THAT(notices, Contains("feeds/old.jsonl: not a regular file; ignored"));
  EXPECT_THAT(notices, Contains("feeds/pipe.jsonl: not a regular file; ignored"));
  EXPECT_THAT(notices, Contains("feeds/link.csv: not a regular file; ignored"));
  EXPECT_THAT(notices, Contains(HasSubstr("feeds/same.json: 1 record indexed")));
  EXPECT_THAT(notices, Not(Contains(HasSubstr(".people.jsonl.part"))));
  EXPECT_EQ(store_->list_feed_files("feed").value().size(), 2U);
  EXPECT_EQ(lookup(by_email("john.smith@acme.com"), FieldGroup::person).outcome, Outcome::no_match);
}

TEST_F(FileFeedProvider, WithoutConsentPersonLookupsFindNothingButCompaniesStillDo) {
  write("people.jsonl", anna_jsonl + "\n");
  prepare();
  Query query = by_email("anna.ivanova@romashka.ru");
  query.linkedin_url = "linkedin.com/in/anna-ivanova";
  query.domain = "romashka.ru";
  query.personal_allowed = false;
  EXPECT_EQ(lookup(query, FieldGroup::person).outcome, Outcome::no_match);
  EXPECT_EQ(lookup(query, FieldGroup::social).outcome, Outcome::no_match);
  EXPECT_EQ(provider_->lookup_key(query, FieldGroup::person), "");
  EXPECT_EQ(provider_->lookup_key(query, FieldGroup::social), "");
  EXPECT_EQ(lookup(query, FieldGroup::company).outcome, Outcome::matched);
}

TEST_F(FileFeedProvider, LookupKeysNameTheIdentifiersAndChangeWhenTheFeedDoes) {
  write("people.jsonl", anna_jsonl + "\n");
  prepare();
  Query query = by_email("Anna.Ivanova@romashka.ru");
  query.phone = "+7 916 765-43-21";
  query.domain = "www.romashka.ru";
  const std::string person = provider_->lookup_key(query, FieldGroup::person);
  EXPECT_THAT(person, ::testing::MatchesRegex(
                          "person[|]email:anna[.]ivanova@romashka[.]ru[|]phone:[+]79167654321"
                          "[|]index:[0-9a-f]{12}"));
  EXPECT_THAT(provider_->lookup_key(query, FieldGroup::company),
              ::testing::StartsWith("company|domain:romashka.ru|index:"));
  EXPECT_EQ(provider_->lookup_key(Query{}, FieldGroup::person), "");
  EXPECT_EQ(provider_->lookup_key(query, FieldGroup::person), person); // stable
  append("people.jsonl", john_jsonl + "\n");
  prepare();
  EXPECT_NE(provider_->lookup_key(query, FieldGroup::person), person);
}

TEST_F(FileFeedProvider, ServesTheConfiguredGroupsOnlyAndChargesNothing) {
  const Capabilities all = provider_->capabilities();
  EXPECT_EQ(all.groups,
            (std::vector<FieldGroup>{FieldGroup::person, FieldGroup::company, FieldGroup::social}));
  EXPECT_EQ(all.max_batch, 1U);
  EXPECT_FALSE(all.bills_misses);
  EXPECT_EQ(provider_->kind(), "file_feed");

  config::EnrichProviderOptions options;
  options.name = "companies";
  options.kind = "file_feed";
  options.folder = "feeds";
  options.groups = {"company"};
  const ProviderEnvironment environment{
      .transport = nullptr, .clock = &clock_, .store = store_.get(), .base_dir = dir_.path()};
  const auto companies = providers::make_file_feed(options, environment).value();
  EXPECT_EQ(companies->capabilities().groups, std::vector<FieldGroup>{FieldGroup::company});
  EXPECT_EQ(companies->lookup_key(by_email("a@b.com"), FieldGroup::person), "");
}

TEST_F(FileFeedProvider, RefusesAConfigurationWithoutAFolderOrAStore) {
  config::EnrichProviderOptions options;
  options.name = "feed";
  options.kind = "file_feed";
  const ProviderEnvironment environment{
      .transport = nullptr, .clock = &clock_, .store = store_.get(), .base_dir = dir_.path()};
  const auto no_folder = providers::make_file_feed(options, environment);
  ASSERT_FALSE(no_folder.ok());
  EXPECT_EQ(no_folder.error().category, ErrorCategory::config);
  EXPECT_THAT(no_folder.error().message, HasSubstr("'feed'"));

  options.folder = "feeds";
  const ProviderEnvironment no_store{
      .transport = nullptr, .clock = &clock_, .store = nullptr, .base_dir = dir_.path()};
  EXPECT_FALSE(providers::make_file_feed(options, no_store).ok());
}

TEST_F(FileFeedProvider, AMissingFolderFailsThePreparationAndKeepsTheIndex) {
  write("people.jsonl", anna_jsonl + "\n");
  prepare();
  fs::rename(feeds(), dir_.path() / "elsewhere");
  const auto result = provider_->prepare(http::CallContext{});
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().category, ErrorCategory::config);
  EXPECT_THAT(result.error().message, HasSubstr("'feeds'"));
  EXPECT_EQ(lookup(by_email("anna.ivanova@romashka.ru"), FieldGroup::person).outcome,
            Outcome::matched);
}

TEST_F(FileFeedProvider, ALargeFeedIsWrittenInChunksAndFullyIndexed) {
  {
    std::ofstream out(feeds() / "big.jsonl", std::ios::binary);
    for (int i = 1; i <= 2500; ++i) {
      out << R"({"work_email":"person)" << i << R"(@example.com","job_title":"engineer"})"
          << "\n";
    }
  }
  EXPECT_THAT(prepare(), ElementsAre("feeds/big.jsonl: 2500 records indexed, 0 malformed "
                                     "records skipped"));
  EXPECT_EQ(state("big.jsonl").records, 2500);
  EXPECT_EQ(lookup(by_email("person1@example.com"), FieldGroup::person).outcome, Outcome::matched);
  const auto last = records(store::FeedKeyKind::email, "person2500@example.com");
  ASSERT_EQ(last.size(), 1U);
  EXPECT_EQ(last[0].line, 2500);
}

TEST_F(FileFeedProvider, IndexesTheSampleFeedFolder) {
  const std::string folder = std::string(LEADSYNC_SOURCE_DIR) + "/tests/data/feeds";
  provider_ = make(folder);
  auto notices = provider_->prepare(http::CallContext{});
  ASSERT_TRUE(notices.ok()) << notices.error().describe();
  EXPECT_THAT(notices.value(),
              ElementsAre(folder + "/people-2025-06.csv: 9 records indexed, 0 malformed records "
                                   "skipped",
                          folder + "/people-2025-06.jsonl:5: not valid JSON; record skipped",
                          folder + "/people-2025-06.jsonl: 9 records indexed, 1 malformed record "
                                   "skipped"));
  const Answer ivan = lookup(by_email("ivan.petrov@romashka.ru"), FieldGroup::person);
  EXPECT_EQ(ivan.outcome, Outcome::matched);
  EXPECT_EQ(lookup(by_email("grace.obrien@northwind.co.uk"), FieldGroup::person).outcome,
            Outcome::matched);
}

} // namespace
} // namespace leadsync::enrich
