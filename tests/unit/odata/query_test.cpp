#include "leadsync/odata/query.hpp"

#include <chrono>
#include <gtest/gtest.h>

namespace leadsync::odata {
namespace {

using namespace std::chrono;

std::string query_string(const Query& query) {
  const auto text = query.to_query_string();
  EXPECT_TRUE(text.ok()) << text.error().describe();
  return text.ok() ? text.value() : std::string();
}

void expect_invalid(const Result<std::string>& result, const std::string& mentioned) {
  ASSERT_FALSE(result.ok()) << "accepted as " << result.value();
  EXPECT_EQ(result.error().category, ErrorCategory::invalid_argument);
  EXPECT_NE(result.error().message.find(mentioned), std::string::npos) << result.error().message;
}

TEST(QueryString, IsEmptyWithoutOptions) {
  EXPECT_EQ(query_string(Query{}), "");
}

TEST(QueryString, RendersEveryOptionInOrder) {
  Query query;
  query.select = {"fullname", "emailaddress1"};
  query.filter = eq("lastname", "O'Bryan") &&
                 ge("createdon", system_clock::time_point{sys_days{2026y / November / 22} + 20h});
  query.orderby = {{"createdon", true}, {"lastname", false}};
  query.top = 5;
  query.count = true;
  query.expand = {{"parentaccountid", {"name", "accountid"}}};
  EXPECT_EQ(
      query_string(query),
      "$select=fullname,emailaddress1"
      "&$filter=lastname%20eq%20%27O%27%27Bryan%27%20and%20createdon%20ge%202026-11-22T20:00:00Z"
      "&$orderby=createdon%20desc,lastname"
      "&$top=5"
      "&$count=true"
      "&$expand=parentaccountid($select=name,accountid)");
}

TEST(QueryString, EncodesEveryReservedCharacterInsideAStringLiteral) {
  Query query;
  query.filter = eq("subject", "a'b,c$d&e+f/g:h;i=j?k@l#m%n o\xC3\xA9");
  EXPECT_EQ(query_string(query),
            "$filter=subject%20eq%20%27a%27%27b%2Cc%24d%26e%2Bf%2Fg%3Ah%3Bi%3Dj"
            "%3Fk%40l%23m%25n%20o%C3%A9%27");
}

TEST(QueryString, KeepsFunctionSyntaxAndNavigationPathsReadable) {
  Query query;
  query.filter = contains("parentaccountid/name", "a,b") || !startswith("lastname", "x)");
  EXPECT_EQ(query_string(query), "$filter=contains(parentaccountid/name,%27a%2Cb%27)%20or%20not%20"
                                 "startswith(lastname,%27x%29%27)");
}

TEST(QueryString, EncodesAnExponentWithoutAPlusSign) {
  Query query;
  query.filter = gt("revenue", 1e21) && lt("revenue", 1e-7);
  EXPECT_EQ(query_string(query), "$filter=revenue%20gt%201.0e21%20and%20revenue%20lt%201.0e-7");
}

TEST(QueryString, RendersSelectTopAndCountAlone) {
  Query query;
  query.select = {"leadid"};
  query.top = 0;
  query.count = true;
  EXPECT_EQ(query_string(query), "$select=leadid&$top=0&$count=true");
}

TEST(QueryString, RendersAnExpandWithoutNestedSelect) {
  Query query;
  query.expand = {{"parentaccountid", {}}, {"campaignid", {"name"}}};
  EXPECT_EQ(query_string(query), "$expand=parentaccountid,campaignid($select=name)");
}

TEST(QueryString, RefusesBadNamesInEveryOption) {
  Query select;
  select.select = {"fullname", "full name"};
  expect_invalid(select.to_query_string(), "'full name' in $select");

  Query orderby;
  orderby.orderby = {{"createdon desc", false}};
  expect_invalid(orderby.to_query_string(), "'createdon desc' in $orderby");

  Query expand;
  expand.expand = {{"parent/account", {}}};
  expect_invalid(expand.to_query_string(), "'parent/account' in $expand");

  Query nested;
  nested.expand = {{"parentaccountid", {"name)"}}};
  expect_invalid(nested.to_query_string(), "'name)' in $expand/$select");
}

TEST(QueryString, RefusesABadFilter) {
  Query query;
  query.filter = eq("createdon", DateOnly{"2026-02-30"});
  expect_invalid(query.to_query_string(), "'2026-02-30' is not a date");
}

TEST(QueryString, RefusesANegativeTop) {
  Query query;
  query.top = -1;
  expect_invalid(query.to_query_string(), "$top must not be negative");
}

TEST(KeyById, WrapsTheGuidInParentheses) {
  EXPECT_EQ(key_by_id("1b4e28ba-2fa1-4d2b-883f-0016d3cca427").value(),
            "(1b4e28ba-2fa1-4d2b-883f-0016d3cca427)");
  EXPECT_EQ(key_by_id("1B4E28BA-2FA1-4D2B-883F-0016D3CCA427").value(),
            "(1b4e28ba-2fa1-4d2b-883f-0016d3cca427)");
}

TEST(KeyById, RefusesSomethingThatIsNotAGuid) {
  expect_invalid(key_by_id("leadsync_externalid='x'"), "is not a row id");
  expect_invalid(key_by_id(""), "is not a row id");
}

TEST(KeyByAlternate, QuotesAndEncodesAStringValue) {
  EXPECT_EQ(key_by_alternate({{"leadsync_externalid", std::string("A'B")}}).value(),
            "(leadsync_externalid=%27A%27%27B%27)");
  EXPECT_EQ(
      key_by_alternate({{"leadsync_externalid", std::string("Zo\xC3\xAB #1;@x=y$,")}}).value(),
      "(leadsync_externalid=%27Zo%C3%AB%20%231%3B%40x%3Dy%24%2C%27)");
}

TEST(KeyByAlternate, JoinsSeveralColumnsWithCommas) {
  EXPECT_EQ(key_by_alternate({{"firstname", std::string("Joe")},
                              {"emailaddress1", std::string("abc@example.com")}})
                .value(),
            "(firstname=%27Joe%27,emailaddress1=%27abc%40example.com%27)");
}

TEST(KeyByAlternate, WritesNumbersAndLookupGuidsBare) {
  EXPECT_EQ(key_by_alternate({{"accountnumber", std::int64_t{42}}}).value(), "(accountnumber=42)");
  EXPECT_EQ(
      key_by_alternate({{"_primarycontactid_value", Guid{"1b4e28ba-2fa1-4d2b-883f-0016d3cca427"}}})
          .value(),
      "(_primarycontactid_value=1b4e28ba-2fa1-4d2b-883f-0016d3cca427)");
}

TEST(KeyByAlternate, RefusesEachCharacterDataverseCannotTakeInAKey) {
  for (const char bad : std::string_view("/<>*%&:\\?+")) {
    SCOPED_TRACE(std::string(1, bad));
    const auto key = key_by_alternate({{"firstname", std::string("Joe")},
                                       {"leadsync_externalid", std::string("ext") + bad + "1"}});
    ASSERT_FALSE(key.ok());
    EXPECT_EQ(key.error().category, ErrorCategory::invalid_argument);
    const std::string& message = key.error().message;
    EXPECT_NE(message.find("'leadsync_externalid'"), std::string::npos) << message;
    EXPECT_NE(message.find(std::string("contains '") + bad + "'"), std::string::npos) << message;
    EXPECT_NE(message.find("use the record id or upsert by another key"), std::string::npos)
        << message;
  }
}

TEST(KeyByAlternate, RefusesAnEmptyKeyANullValueAndABadColumn) {
  expect_invalid(key_by_alternate({}), "at least one column");
  expect_invalid(key_by_alternate({{"leadsync_externalid", Null{}}}), "has no value");
  expect_invalid(key_by_alternate({{"external id", std::string("x")}}), "'external id'");
  expect_invalid(key_by_alternate({{"a/b", std::string("x")}}), "'a/b'");
}

TEST(KeyByAlternate, RefusesAMalformedLookupGuid) {
  expect_invalid(key_by_alternate({{"_primarycontactid_value", Guid{"123"}}}), "is not a GUID");
}

} // namespace
} // namespace leadsync::odata
