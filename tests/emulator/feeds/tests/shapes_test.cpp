#include "femu/shapes.hpp"

#include <gtest/gtest.h>

namespace femu {
namespace {

Person sample_person() {
  return person_from_pdl_json({{"first_name", "Анна"},
                               {"last_name", "Иванова"},
                               {"work_email", "anna@romashka.ru"},
                               {"personal_emails", {"anna.ivanova@gmail.com"}},
                               {"job_title", "Главный Бухгалтер"},
                               {"job_title_levels", {"manager"}},
                               {"job_company_name", "ООО «Ромашка»"},
                               {"job_company_website", "romashka.ru"},
                               {"linkedin_url", "https://www.linkedin.com/in/anna-ivanova/"},
                               {"github_url", "github.com/anna-iv"},
                               {"location_locality", "moscow"},
                               {"location_country", "russia"}})
      .value();
}

TEST(feedsPdlShapes, TextIsLowerCaseUnlessTitlecased) {
  const auto lower = pdl_person(sample_person(), false);
  EXPECT_EQ(lower["full_name"], "анна иванова");
  EXPECT_EQ(lower["job_title"], "главный бухгалтер");
  EXPECT_EQ(lower["linkedin_url"], "linkedin.com/in/anna-ivanova");
  EXPECT_EQ(lower["linkedin_username"], "anna-ivanova");
  EXPECT_EQ(lower["emails"].size(), 2u);
  EXPECT_EQ(lower["emails"][1]["type"], "personal");
  EXPECT_TRUE(lower["middle_name"].is_null());
  const auto title = pdl_person(sample_person(), true);
  EXPECT_EQ(title["full_name"], "Анна Иванова");
  EXPECT_EQ(title["location_name"], "Moscow, Russia");
}

TEST(feedsClearbitShapes, PersonIsCamelCaseWithHandles) {
  const auto person = clearbit_person(sample_person(), "anna@romashka.ru");
  EXPECT_EQ(person["name"]["fullName"], "Анна Иванова");
  EXPECT_EQ(person["name"]["familyName"], "Иванова");
  EXPECT_EQ(person["employment"]["domain"], "romashka.ru");
  EXPECT_EQ(person["employment"]["seniority"], "manager");
  EXPECT_EQ(person["linkedin"]["handle"], "in/anna-ivanova");
  EXPECT_EQ(person["github"]["handle"], "anna-iv");
  EXPECT_EQ(person["geo"]["countryCode"], "RU");
  EXPECT_EQ(person["fuzzy"], false);
  EXPECT_EQ(person["emailProvider"], false);
  EXPECT_EQ(clearbit_person(sample_person(), "anna.ivanova@gmail.com")["emailProvider"], true);
}

TEST(feedsClearbitShapes, CompanyMetricsAndCategory) {
  const auto company = company_from_pdl_json({{"name", "Acme"},
                                              {"website", "acme.com"},
                                              {"employee_count", 1500},
                                              {"industry", "computer software"},
                                              {"inferred_revenue", "$100M-$250M"}})
                           .value();
  const auto shape = clearbit_company(company);
  EXPECT_EQ(shape["metrics"]["employees"], 1500);
  EXPECT_EQ(shape["metrics"]["employeesRange"], "1K-5K");
  EXPECT_EQ(shape["metrics"]["estimatedAnnualRevenue"], "$100M-$250M");
  EXPECT_EQ(shape["metrics"]["annualRevenue"], 100'000'000);
  EXPECT_EQ(shape["category"]["industry"], "Internet Software & Services");
  EXPECT_EQ(clearbit_revenue_range("$10M-$25M"), "$10M-$50M");
  EXPECT_EQ(clearbit_revenue_range("$1B-$10B"), "$1B-$10B");
  EXPECT_EQ(clearbit_employees_range(120), "51-250");
}

TEST(feedsGithubShapes, UserShowsOnlyAPublicEmail) {
  Person person = sample_person();
  auto user = github_user(person);
  EXPECT_EQ(user["login"], "anna-iv");
  EXPECT_EQ(user["html_url"], "https://github.com/anna-iv");
  EXPECT_EQ(user["email"], "anna@romashka.ru");
  EXPECT_EQ(user["blog"], "");
  EXPECT_TRUE(user["id"].is_number_integer());
  person.github_email_public = false;
  EXPECT_TRUE(github_user(person)["email"].is_null());
  EXPECT_EQ(github_search_item(person)["login"], "anna-iv");
}

} // namespace
} // namespace femu
