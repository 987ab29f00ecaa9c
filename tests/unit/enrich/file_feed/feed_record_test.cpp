// The file_feed provider's record helpers: key normalization, CSV rows as records, company fields.
// The cases spell out each input and expectation on purpose (no table helpers), so the repeats of
// their shape are deliberate: a failure reads on its own.

#include "providers/file_feed/feed_index.hpp"
#include "providers/file_feed/feed_record.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace leadsync::enrich::providers::file_feed {
namespace {

using store::FeedKey;
using store::FeedKeyKind;

TEST(FeedRecordKeys, EmailsAreTrimmedAndLowerCasedAndBrokenOnesAreNoKeys) {
  EXPECT_EQ(normalize_email("  Anna.Ivanova@GMAIL.com "), "anna.ivanova@gmail.com");
  EXPECT_EQ(normalize_email("mailto:x@y.io"), "x@y.io");
  EXPECT_EQ(normalize_email("maria.lopez@"), "");
  EXPECT_EQ(normalize_email("not-an-email"), "");
  EXPECT_EQ(normalize_email("a@b@c.com"), "");
  EXPECT_EQ(normalize_email("a@localhost"), "");
}

TEST(FeedRecordKeys, PhonesAreKeptOnlyWhenTheyLookLikeE164) {
  EXPECT_EQ(normalize_phone("+7 916 765-43-21"), "+79167654321");
  EXPECT_EQ(normalize_phone("+1 (212) 456-7890"), "+12124567890");
  EXPECT_EQ(normalize_phone("8 (916) 765-43-21"), ""); // national format
  EXPECT_EQ(normalize_phone("+0123456789"), "");
  EXPECT_EQ(normalize_phone("+12345"), "");
  EXPECT_EQ(normalize_phone("+1 212 456 7890 ext. 12"), "");
}

TEST(FeedRecordKeys, ProfileUrlsLoseSchemeWwwQueryAndTrailingSlash) {
  EXPECT_EQ(normalize_profile("https://www.LinkedIn.com/in/Anna-Ivanova/"),
            "linkedin.com/in/anna-ivanova");
  EXPECT_EQ(normalize_profile("linkedin.com/in/anna-ivanova?trk=x"),
            "linkedin.com/in/anna-ivanova");
  EXPECT_EQ(normalize_profile("http://x.com/AnnaIv"), "twitter.com/annaiv");
  EXPECT_EQ(normalize_profile("github.com/anna"), "github.com/anna");
  EXPECT_EQ(normalize_profile("linkedin.com"), "");
  EXPECT_EQ(normalize_profile("anna"), "");
}

TEST(FeedRecordKeys, DomainsLoseSchemeWwwPathAndPort) {
  EXPECT_EQ(normalize_domain("https://www.Acme.com/about"), "acme.com");
  EXPECT_EQ(normalize_domain("acme.com:8080"), "acme.com");
  EXPECT_EQ(normalize_domain("romashka.ru."), "romashka.ru");
  EXPECT_EQ(normalize_domain("localhost"), "");
}

TEST(FeedRecordKeys, ARecordIsIndexedUnderEveryIdentifierOnce) {
  const auto record = nlohmann::json::parse(R"({
    "emails": [{"address": "Anna@Romashka.ru", "type": "current_professional"}, "anna@gmail.com"],
    "work_email": "anna@romashka.ru",
    "personal_emails": ["anna@gmail.com", "anna.i@yandex.ru"],
    "mobile_phone": "+7 916 765-43-21",
    "phone_numbers": ["+79167654321", "8 495 123 45 67"],
    "linkedin_url": "linkedin.com/in/anna-ivanova",
    "twitter_url": "https://twitter.com/annaiv/",
    "github_url": null,
    "job_company_website": "www.romashka.ru"})");
  const std::vector<FeedKey> expected = {
      {.kind = FeedKeyKind::email, .value = "anna@romashka.ru"},
      {.kind = FeedKeyKind::email, .value = "anna@gmail.com"},
      {.kind = FeedKeyKind::email, .value = "anna.i@yandex.ru"},
      {.kind = FeedKeyKind::phone, .value = "+79167654321"},
      {.kind = FeedKeyKind::profile, .value = "linkedin.com/in/anna-ivanova"},
      {.kind = FeedKeyKind::profile, .value = "twitter.com/annaiv"},
      {.kind = FeedKeyKind::domain, .value = "romashka.ru"},
  };
  EXPECT_EQ(record_keys(record), expected);
  EXPECT_TRUE(record_keys(nlohmann::json::parse(R"({"full_name": "nobody"})")).empty());
}

TEST(FeedRecordCsv, ListColumnsAreSplitOnSemicolonsAndEmptyCellsLeftOut) {
  const std::vector<std::string> header = {"full_name", "emails", "job_title_levels", "job_title",
                                           "skills"};
  const std::vector<std::string> row = {"Anna Ivanova", "a@x.com; b@y.com", "manager;director", "",
                                        R"(["sql","excel"])"};
  const auto record = csv_row_to_record(header, row);
  EXPECT_EQ(record, nlohmann::json::parse(R"({
    "full_name": "Anna Ivanova",
    "emails": [{"address": "a@x.com"}, {"address": "b@y.com"}],
    "job_title_levels": ["manager", "director"],
    "skills": ["sql", "excel"]})"));
}

TEST(FeedRecordCompany, EmployeeCountIsTheLowerBoundOfTheSizeRange) {
  const auto record = nlohmann::json::parse(R"({
    "job_company_name": "acme corp", "job_company_website": "acme.com",
    "job_company_industry": "computer software", "job_company_size": "51-200",
    "job_company_location_locality": "new york"})");
  const std::vector<FoundField> expected = {
      {.field = "company.name", .value = "acme corp"},
      {.field = "company.website", .value = "acme.com"},
      {.field = "company.industry", .value = "computer software"},
      {.field = "company.employee_count", .value = "51"},
      {.field = "company.address.city", .value = "new york"},
  };
  EXPECT_EQ(company_fields(record), expected);
  const auto big = nlohmann::json::parse(R"({"job_company_size": "10001+"})");
  EXPECT_EQ(company_fields(big),
            (std::vector<FoundField>{{.field = "company.employee_count", .value = "10001"}}));
}

TEST(FeedFormat, TheFileNameSaysTheFormat) {
  EXPECT_EQ(feed_format("a.jsonl"), FeedFormat::json_lines);
  EXPECT_EQ(feed_format("a.NDJSON"), FeedFormat::json_lines);
  EXPECT_EQ(feed_format("a.json"), FeedFormat::json_lines);
  EXPECT_EQ(feed_format("a.Csv"), FeedFormat::csv);
  EXPECT_EQ(feed_format("a.csv.gz"), std::nullopt);
  EXPECT_EQ(feed_format("README"), std::nullopt);
}

} // namespace
} // namespace leadsync::enrich::providers::file_feed
