#include "leadsync/mapping/option_set.hpp"
#include "leadsync/model/json.hpp"
#include "mapping_test_support.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace leadsync::mapping {
namespace {

using ::testing::HasSubstr;
using testing::shipped_mapping;

const OptionSet& set(std::string_view name) {
  const OptionSet* found = shipped_mapping().find_option_set(name);
  if (found == nullptr) {
    throw std::runtime_error("the shipped mapping lacks option set " + std::string(name));
  }
  return *found;
}

TEST(OptionSet, FindsLabelsSynonymsAndInternalNamesIgnoringCaseAndSeparators) {
  const auto& sources = set("leadsourcecode");
  for (const char* text : {"Trade Show", "TRADE SHOW", "trade_show", "trade-show",
                           "  Trade   show ", "Expo", "exhibition", "выставка"}) {
    auto value = option_value(sources, text);
    ASSERT_TRUE(value.ok()) << text << ": " << value.error().message;
    EXPECT_EQ(*value, 7) << text;
  }
}

TEST(OptionSet, MatchesCyrillicAndArabicSynonyms) {
  const auto& industries = set("industrycode");
  EXPECT_EQ(option_value(industries, "КОНСАЛТИНГ").value_or(-1), 7);
  EXPECT_EQ(option_value(industries, "IT Consulting").value_or(-1), 7);
  EXPECT_EQ(option_value(industries, "استشارات").value_or(-1), 7);
  EXPECT_EQ(option_value(industries, "Doctor’s Offices and Clinics").value_or(-1), 11)
      << "a curly apostrophe matches the straight one";
}

TEST(OptionSet, UnknownLabelFailsListingEveryAcceptedLabel) {
  auto value = option_value(set("purchaseprocess"), "Dictatorship");
  ASSERT_FALSE(value.ok());
  EXPECT_EQ(value.error().category, ErrorCategory::validation);
  EXPECT_THAT(value.error().message,
              HasSubstr("'Dictatorship' is not a value of option set purchaseprocess; accepted: 0 "
                        "Individual, 1 Committee, 2 Unknown"));
  EXPECT_THAT(value.error().message, HasSubstr("synonym"));
}

TEST(OptionSet, GivesTheLabelOfAValueAndRefusesAnUnlistedValue) {
  EXPECT_EQ(option_label(set("statuscode"), 6).value_or(""), "No Longer Interested");
  auto missing = option_label(set("statuscode"), 100000000);
  ASSERT_FALSE(missing.ok());
  EXPECT_THAT(missing.error().message,
              HasSubstr("100000000 is not a value of option set statuscode"));
}

TEST(OptionSet, IndustryTableHasAllThirtyThreeStandardValues) {
  const auto& industries = set("industrycode");
  ASSERT_EQ(industries.options().size(), 33u);
  EXPECT_EQ(industries.find_value(1)->label, "Accounting");
  EXPECT_EQ(industries.find_value(9)->label, "Design, Direction and Creative Management");
  EXPECT_EQ(industries.find_value(33)->label, "Wholesale");
}

TEST(OptionSet, EveryModelChannelHasALeadSourceValue) {
  const std::vector<std::pair<model::Channel, int>> expected = {
      {model::Channel::advertisement, 1},     {model::Channel::employee_referral, 2},
      {model::Channel::external_referral, 3}, {model::Channel::partner, 4},
      {model::Channel::public_relations, 5},  {model::Channel::seminar, 6},
      {model::Channel::trade_show, 7},        {model::Channel::web, 8},
      {model::Channel::word_of_mouth, 9},     {model::Channel::other, 10},
      {model::Channel::social_campaign, 10},  {model::Channel::direct_mail, 10},
      {model::Channel::cold_call, 10},        {model::Channel::purchased_list, 10},
  };
  const auto& sources = set("leadsourcecode");
  for (const auto& [channel, value] : expected) {
    const Option* option = sources.find_internal(model::to_string(channel));
    ASSERT_NE(option, nullptr) << model::to_string(channel);
    EXPECT_EQ(option->value, value) << model::to_string(channel);
  }
  EXPECT_EQ(sources.find_value(10)->internal.front(), "other")
      << "a pull of Other sets the channel 'other'";
}

TEST(OptionSet, ContactMethodsMapToTheirValues) {
  const auto& methods = set("preferredcontactmethodcode");
  EXPECT_EQ(methods.find_internal("any")->value, 1);
  EXPECT_EQ(methods.find_internal("email")->value, 2);
  EXPECT_EQ(methods.find_internal("phone")->value, 3);
  EXPECT_EQ(methods.find_internal("fax")->value, 4);
  EXPECT_EQ(methods.find_internal("mail")->value, 5);
}

TEST(NormalizeLabel, FoldsCaseAndSeparators) {
  EXPECT_EQ(normalize_label("  Word_of-MOUTH  "), "word of mouth");
  EXPECT_EQ(normalize_label("ÉCOLE Ŝtraße"), "école ŝtraße");
  EXPECT_EQ(normalize_label("ЁЛКА Ω"), "ёлка ω");
}

} // namespace
} // namespace leadsync::mapping
