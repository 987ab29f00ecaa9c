#include "femu/records.hpp"
#include "femu/text.hpp"

#include <algorithm>
#include <gtest/gtest.h>
#include <set>

namespace femu {
namespace {

bool has_code_points_in(const std::string& text, char32_t low, char32_t high) {
  // Checks the lead byte ranges of 2-byte UTF-8 sequences: Cyrillic 0xD0-0xD1, Arabic 0xD8-0xDB.
  const auto lead_low = static_cast<unsigned char>(0xC0 | (low >> 6));
  const auto lead_high = static_cast<unsigned char>(0xC0 | (high >> 6));
  return std::any_of(text.begin(), text.end(), [&](char c) {
    const auto byte = static_cast<unsigned char>(c);
    return byte >= lead_low && byte <= lead_high;
  });
}

TEST(feedsPopulation, SameSeedSameRecordsOtherSeedOtherRecords) {
  Directory first;
  Directory again;
  Directory other;
  generate_population(first, 42, 300);
  generate_population(again, 42, 300);
  generate_population(other, 43, 300);
  ASSERT_EQ(first.people_count(), again.people_count());
  for (std::size_t i = 0; i < first.people_count(); ++i) {
    EXPECT_EQ(first.people()[i].emails, again.people()[i].emails);
  }
  const std::size_t samples = sample_list_records()["people"].size();
  EXPECT_EQ(first.people_count(), 300 + samples);
  EXPECT_NE(first.people().back().emails, other.people().back().emails);
}

TEST(feedsPopulation, MixesScriptsUsesTheIndustryVocabularyAndBareDomains) {
  Directory directory;
  generate_population(directory, 7, 2000);
  std::size_t cyrillic = 0;
  std::size_t arabic = 0;
  for (const auto& person : directory.people()) {
    cyrillic += has_code_points_in(person.full_name, 0x400, 0x4FF) ? 1 : 0;
    arabic += has_code_points_in(person.full_name, 0x600, 0x6FF) ? 1 : 0;
  }
  EXPECT_GT(cyrillic, 200u);
  EXPECT_GT(arabic, 150u);
  const auto& vocabulary = industry_vocabulary();
  std::set<std::string> emails;
  for (const auto& company : directory.companies()) {
    EXPECT_NE(std::find(vocabulary.begin(), vocabulary.end(), company.industry), vocabulary.end())
        << company.industry;
    EXPECT_EQ(company.website, normalize_domain(company.website));
    EXPECT_EQ(company.website.find('/'), std::string::npos);
  }
  for (const auto& person : directory.people()) {
    for (const auto& email : person.emails) {
      EXPECT_TRUE(emails.insert(email).second) << "duplicate e-mail " << email;
    }
  }
}

TEST(feedsPopulation, HoldsTheSampleListPeople) {
  Directory directory;
  generate_population(directory, 1, 0);
  const Person* ivan = directory.person_by_email("IVAN.PETROV@ROMASHKA.RU");
  ASSERT_NE(ivan, nullptr);
  EXPECT_EQ(ivan->full_name, "Иван Петров");
  EXPECT_EQ(ivan->job_company_industry, "retail"); // filled from the company record
  EXPECT_EQ(directory.people_by_name("АННА ИВАНОВА", "ООО «Ромашка»").size(), 1u);
  EXPECT_EQ(directory.people_by_name("Ольга Сидорова", "romashka.ru").size(), 1u);
  EXPECT_EQ(directory.people_by_name("John Smith", "Acme Corp, Inc.").size(), 2u);
  EXPECT_NE(directory.person_by_email("f.zahrani@jarir.sa"), nullptr);
  EXPECT_NE(directory.person_by_phone("+34 912 345 678"), nullptr);
  EXPECT_NE(directory.company_by_domain("https://www.alnoor.ae"), nullptr);
}

TEST(feedsPlantedRecords, ReadPdlShapesAndDeriveWhatIsMissing) {
  const auto person = person_from_pdl_json({{"first_name", "Jane"},
                                            {"last_name", "Doe"},
                                            {"emails", {{{"address", "Jane@Example.com"}}}},
                                            {"personal_emails", {"jd@gmail.com"}},
                                            {"mobile_phone", "+15550100"},
                                            {"github_url", "https://github.com/JaneDoe"},
                                            {"job_company_website", "https://www.example.com/"}});
  ASSERT_TRUE(person.ok()) << person.error().message;
  EXPECT_EQ(person->full_name, "Jane Doe");
  EXPECT_EQ(person->emails, (std::vector<std::string>{"jane@example.com", "jd@gmail.com"}));
  EXPECT_EQ(person->phone_numbers, std::vector<std::string>{"+15550100"});
  EXPECT_EQ(person->job_company_website, "example.com");
  EXPECT_EQ(github_login(*person), "janedoe");
  EXPECT_TRUE(person->github_email_public);
  EXPECT_FALSE(person->id.empty());

  EXPECT_FALSE(person_from_pdl_json({{"job_title", "CEO"}}).ok());
  EXPECT_FALSE(person_from_pdl_json({{"full_name", 7}}).ok());
  EXPECT_FALSE(person_from_pdl_json(nlohmann::json::array()).ok());

  const auto company =
      company_from_pdl_json({{"name", "Example"},
                             {"website", "http://example.com"},
                             {"employee_count", 120},
                             {"location", {{"locality", "berlin"}, {"country", "germany"}}}});
  ASSERT_TRUE(company.ok()) << company.error().message;
  EXPECT_EQ(company->website, "example.com");
  EXPECT_EQ(company->size, "51-200");
  EXPECT_EQ(company->locality, "berlin");
  EXPECT_FALSE(company_from_pdl_json({{"size", "1-10"}}).ok());
  EXPECT_FALSE(company_from_pdl_json({{"name", "X"}, {"location", "berlin"}}).ok());
}

TEST(feedsHelpers, CountryCodesAndSizeRanges) {
  EXPECT_EQ(country_code("United Kingdom"), "GB");
  EXPECT_EQ(country_code("atlantis"), "");
  EXPECT_EQ(pdl_size_range(10), "1-10");
  EXPECT_EQ(pdl_size_range(201), "201-500");
  EXPECT_EQ(pdl_size_range(20000), "10001+");
}

} // namespace
} // namespace femu
