#include "leadsync/model/lead.hpp"

#include <gtest/gtest.h>

namespace leadsync::model {
namespace {

using namespace std::chrono_literals;
using std::chrono::days;
using std::chrono::sys_days;

constexpr Date today{2026y / std::chrono::November / 22d};

Date days_before_today(int count) {
  return Date{sys_days{today} - days{count}};
}

ListProvenance list_acquired(std::optional<Date> acquired_on, std::string vendor = "Acme Lists",
                             std::string list_id = "L-1") {
  ListProvenance list;
  list.vendor = std::move(vendor);
  list.list_id = std::move(list_id);
  list.acquired_on = acquired_on;
  return list;
}

ListAgeBucket bucket_for_age(int age_days) {
  Origin origin;
  origin.lists.push_back(list_acquired(days_before_today(age_days)));
  return list_age_bucket(origin, today);
}

TEST(ListAgeBucket, AcquiredTodayAndUpToSevenDaysAgoIsTheFreshestBucket) {
  EXPECT_EQ(bucket_for_age(0), ListAgeBucket::days_1_7);
  EXPECT_EQ(bucket_for_age(1), ListAgeBucket::days_1_7);
  EXPECT_EQ(bucket_for_age(7), ListAgeBucket::days_1_7);
}

TEST(ListAgeBucket, EachBoundaryDayBelongsToTheLowerBucket) {
  EXPECT_EQ(bucket_for_age(8), ListAgeBucket::days_8_30);
  EXPECT_EQ(bucket_for_age(30), ListAgeBucket::days_8_30);
  EXPECT_EQ(bucket_for_age(31), ListAgeBucket::days_31_60);
  EXPECT_EQ(bucket_for_age(60), ListAgeBucket::days_31_60);
  EXPECT_EQ(bucket_for_age(61), ListAgeBucket::days_61_90);
  EXPECT_EQ(bucket_for_age(90), ListAgeBucket::days_61_90);
  EXPECT_EQ(bucket_for_age(91), ListAgeBucket::older);
}

TEST(ListAgeBucket, CountsAcrossAMonthAndYearEnd) {
  Origin origin;
  origin.lists.push_back(list_acquired(2025y / std::chrono::December / 31d));
  EXPECT_EQ(list_age_bucket(origin, 2026y / std::chrono::January / 7d), ListAgeBucket::days_1_7);
  EXPECT_EQ(list_age_bucket(origin, 2026y / std::chrono::January / 8d), ListAgeBucket::days_8_30);
}

TEST(ListAgeBucket, AFutureAcquisitionDateCountsAsFresh) {
  EXPECT_EQ(bucket_for_age(-3), ListAgeBucket::days_1_7);
}

TEST(ListAgeBucket, UsesTheNewestDatedListAndIgnoresUndatedOnes) {
  Origin origin;
  origin.lists.push_back(list_acquired(days_before_today(200)));
  origin.lists.push_back(list_acquired(std::nullopt));
  origin.lists.push_back(list_acquired(days_before_today(45)));
  origin.lists.push_back(list_acquired(days_before_today(120)));
  EXPECT_EQ(list_age_bucket(origin, today), ListAgeBucket::days_31_60);
}

TEST(ListAgeBucket, IsUnknownWithoutListsOrWithoutAnyDate) {
  Origin origin;
  EXPECT_EQ(list_age_bucket(origin, today), ListAgeBucket::unknown);
  origin.lists.push_back(list_acquired(std::nullopt));
  EXPECT_EQ(list_age_bucket(origin, today), ListAgeBucket::unknown);
}

TEST(ListCount, CountsEachVendorAndListOnceIgnoringVendorCase) {
  Origin origin;
  origin.lists.push_back(list_acquired(std::nullopt, "Acme Lists", "L-1"));
  origin.lists.push_back(list_acquired(std::nullopt, "ACME lists", "L-1"));
  origin.lists.push_back(list_acquired(std::nullopt, "Acme Lists", "L-2"));
  origin.lists.push_back(list_acquired(std::nullopt, "Other Data", "L-1"));
  EXPECT_EQ(list_count(origin), 3);
}

TEST(ListCount, TreatsListIdsAsCaseSensitive) {
  Origin origin;
  origin.lists.push_back(list_acquired(std::nullopt, "Acme", "abc"));
  origin.lists.push_back(list_acquired(std::nullopt, "Acme", "ABC"));
  EXPECT_EQ(list_count(origin), 2);
}

TEST(ListCount, IsZeroWithoutLists) {
  EXPECT_EQ(list_count(Origin{}), 0);
}

TEST(PrimaryEmail, IsTheFirstEmailOrEmpty) {
  Lead lead;
  EXPECT_EQ(primary_email(lead), "");
  lead.person.emails = {"first@example.com", "second@example.com"};
  EXPECT_EQ(primary_email(lead), "first@example.com");
}

TEST(PhoneNumbersE164, SkipsUnnormalizedAndDuplicateNumbersKeepingOrder) {
  Lead lead;
  lead.person.phones.push_back({PhoneKind::mobile, "0170 1234567", "+491701234567", "", true});
  lead.person.phones.push_back({PhoneKind::business, "555-0100", "", "", false});
  lead.person.phones.push_back({PhoneKind::business, "+49 30 123456", "+4930123456", "12", true});
  lead.person.phones.push_back({PhoneKind::home, "01701234567", "+491701234567", "", true});
  EXPECT_EQ(phone_numbers_e164(lead), (std::vector<std::string>{"+491701234567", "+4930123456"}));
}

TEST(DisplayName, JoinsFirstAndLastNameTrimmed) {
  Lead lead;
  lead.person.first_name = "  Anna ";
  lead.person.middle_name = "Maria";
  lead.person.last_name = " Ivanova";
  lead.company.name = "Contoso";
  EXPECT_EQ(display_name(lead), "Anna Ivanova");
}

TEST(DisplayName, UsesWhicheverNamePartIsPresent) {
  Lead lead;
  lead.person.last_name = "Ivanova";
  EXPECT_EQ(display_name(lead), "Ivanova");
  lead.person.last_name.clear();
  lead.person.first_name = "Anna";
  EXPECT_EQ(display_name(lead), "Anna");
}

TEST(DisplayName, FallsBackToCompanyThenEmailThenId) {
  Lead lead;
  lead.identity.id = "1b4e28ba-2fa1-4d2b-883f-0016d3cca427";
  lead.person.first_name = "   ";
  lead.person.emails = {"anna@contoso.com"};
  lead.company.name = " Contoso ";
  EXPECT_EQ(display_name(lead), "Contoso");
  lead.company.name.clear();
  EXPECT_EQ(display_name(lead), "anna@contoso.com");
  lead.person.emails.clear();
  EXPECT_EQ(display_name(lead), "1b4e28ba-2fa1-4d2b-883f-0016d3cca427");
}

} // namespace
} // namespace leadsync::model
