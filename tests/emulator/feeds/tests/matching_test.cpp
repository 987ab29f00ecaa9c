#include "femu/matching.hpp"

#include <gtest/gtest.h>

namespace femu {
namespace {

QueryParams query(std::initializer_list<std::pair<std::string, std::string>> params) {
  return QueryParams(params);
}

class Matching : public ::testing::Test {
protected:
  void SetUp() override { generate_population(population_, 3, 100); }
  std::vector<const Directory*> directories() const { return {&planted_, &population_}; }
  Directory planted_;
  Directory population_;
};
// The suite names carry "feeds" so `ctest -R feeds` selects them.
using feedsMatching = Matching;

TEST(feedsPersonQueryParsing, EnforcesPdlMinimumInput) {
  EXPECT_TRUE(parse_person_query(query({{"email", "a@b.com"}})).ok());
  EXPECT_TRUE(parse_person_query(query({{"name", "Jane Doe"}, {"company", "Acme"}})).ok());
  EXPECT_TRUE(parse_person_query(
                  query({{"first_name", "Jane"}, {"last_name", "Doe"}, {"locality", "Paris"}}))
                  .ok());
  EXPECT_TRUE(parse_person_query(query({{"pdl_id", "x"}})).ok());
  const auto name_only = parse_person_query(query({{"name", "Jane Doe"}}));
  ASSERT_FALSE(name_only.ok());
  EXPECT_NE(name_only.error().message.find("company"), std::string::npos);
  EXPECT_FALSE(parse_person_query(query({{"first_name", "Jane"}, {"company", "Acme"}})).ok());
  EXPECT_FALSE(parse_person_query(query({{"api_key", "k"}})).ok());
}

TEST(feedsPersonQueryParsing, ReadsWhatTheSdksSend) {
  // JS: profile as one JSON-array string; Python: repeated keys and capitalised booleans.
  const auto js = parse_person_query(
      query({{"profile", "[\"linkedin.com/in/a\",\"github.com/b\"]"}, {"titlecase", "true"}}));
  ASSERT_TRUE(js.ok());
  EXPECT_EQ(js->profiles, (std::vector<std::string>{"linkedin.com/in/a", "github.com/b"}));
  EXPECT_TRUE(js->titlecase);
  const auto python = parse_person_query(query({{"profile", "linkedin.com/in/a"},
                                                {"profile", "github.com/b"},
                                                {"include_if_matched", "True"},
                                                {"min_likelihood", "6"}}));
  ASSERT_TRUE(python.ok());
  EXPECT_EQ(python->profiles.size(), 2u);
  EXPECT_TRUE(python->include_if_matched);
  EXPECT_EQ(python->min_likelihood, 6);
  EXPECT_FALSE(parse_person_query(query({{"email", "a@b.com"}, {"min_likelihood", "11"}})).ok());
  EXPECT_FALSE(parse_person_query(query({{"email", "a@b.com"}, {"min_likelihood", "x"}})).ok());
  EXPECT_FALSE(parse_person_query(query({{"email", "a@b.com"}, {"titlecase", "maybe"}})).ok());
}

TEST(feedsPersonQueryParsing, JsonBodiesBecomeTheSamePairs) {
  const auto params = params_from_json({{"email", {"a@b.com", "c@d.com"}},
                                        {"min_likelihood", 4},
                                        {"titlecase", true},
                                        {"x", nullptr}});
  const auto parsed = parse_person_query(params);
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(parsed->emails.size(), 2u);
  EXPECT_EQ(parsed->min_likelihood, 4);
  EXPECT_TRUE(parsed->titlecase);
}

TEST_F(feedsMatching, LikelihoodDependsOnWhatMatched) {
  const auto by_email = match_person(
      directories(), parse_person_query(query({{"email", "jose.garcia@acme-iberia.es"}})).value());
  ASSERT_TRUE(by_email.has_value());
  EXPECT_EQ(by_email->person->last_name, "García");
  EXPECT_GE(by_email->likelihood, 9);
  EXPECT_LE(by_email->likelihood, 10);
  EXPECT_EQ(by_email->matched, std::vector<std::string>{"email"});

  const auto by_name = match_person(
      directories(),
      parse_person_query(query({{"name", "josé garcía"}, {"company", "Acme Iberia"}})).value());
  ASSERT_TRUE(by_name.has_value());
  EXPECT_EQ(by_name->person, by_email->person);
  EXPECT_GE(by_name->likelihood, 5);
  EXPECT_LE(by_name->likelihood, 7);

  // Deterministic: the same query gives the same likelihood.
  const auto again = match_person(
      directories(),
      parse_person_query(query({{"name", "josé garcía"}, {"company", "Acme Iberia"}})).value());
  EXPECT_EQ(again->likelihood, by_name->likelihood);

  // An e-mail match whose given name disagrees is less likely to be the right person.
  const auto wrong_name =
      match_person(directories(), parse_person_query(query({{"email", "jose.garcia@acme-iberia.es"},
                                                            {"name", "Pedro Sanchez"}}))
                                      .value());
  ASSERT_TRUE(wrong_name.has_value());
  EXPECT_LE(wrong_name->likelihood, 7);

  EXPECT_FALSE(match_person(
      directories(), parse_person_query(query({{"email", "nobody@nowhere.example"}})).value()));
  EXPECT_FALSE(match_person(
      directories(),
      parse_person_query(query({{"name", "José García"}, {"company", "Other Co"}})).value()));
}

TEST_F(feedsMatching, PlantedRecordsWinOverThePopulation) {
  auto planted = person_from_pdl_json(
      {{"full_name", "Override Person"}, {"work_email", "jose.garcia@acme-iberia.es"}});
  planted_.add(std::move(planted.value()));
  const auto match = match_person(
      directories(), parse_person_query(query({{"email", "jose.garcia@acme-iberia.es"}})).value());
  ASSERT_TRUE(match.has_value());
  EXPECT_EQ(match->person->full_name, "Override Person");
}

TEST_F(feedsMatching, CompaniesMatchByWebsiteOrName) {
  const auto by_site = match_company(
      directories(), parse_company_query(query({{"website", "https://acme.com/"}})).value());
  ASSERT_TRUE(by_site.has_value());
  EXPECT_EQ(by_site->company->name, "Acme Corp");
  EXPECT_GE(by_site->likelihood, 9);
  const auto by_name =
      match_company(directories(), parse_company_query(query({{"name", "ACME CORP INC"}})).value());
  ASSERT_TRUE(by_name.has_value());
  EXPECT_EQ(by_name->company, by_site->company);
  EXPECT_LE(by_name->likelihood, 7);
  EXPECT_FALSE(parse_company_query(query({{"ticker", "X"}})).ok());
}

} // namespace
} // namespace femu
