#include "leadsync/http/headers.hpp"

#include <gtest/gtest.h>

namespace leadsync::http {
namespace {

using Fields = std::vector<Headers::Field>;

Fields fields_of(const Headers& headers) {
  return Fields(headers.begin(), headers.end());
}

TEST(Iequals, IgnoresAsciiCaseOnly) {
  EXPECT_TRUE(iequals("Content-Type", "content-TYPE"));
  EXPECT_FALSE(iequals("Content-Type", "Content-Typ"));
  // '@' and '`' differ only in the bit that separates upper from lower case letters.
  EXPECT_FALSE(iequals("@", "`"));
  EXPECT_FALSE(iequals("[", "{"));
}

TEST(Headers, GetIsCaseInsensitiveAndReturnsTheFirstValue) {
  Headers headers{{"Prefer", "return=representation"}, {"PREFER", "odata.maxpagesize=10"}};
  EXPECT_EQ(headers.get("prefer"), "return=representation");
  EXPECT_TRUE(headers.has("pReFeR"));
}

TEST(Headers, GetOfAnAbsentNameIsEmpty) {
  Headers headers{{"Accept", "application/json"}};
  EXPECT_EQ(headers.get("Authorization"), std::nullopt);
  EXPECT_FALSE(headers.has("Authorization"));
}

TEST(Headers, AnEmptyValueIsPresent) {
  Headers headers;
  headers.add("X-Empty", "");
  EXPECT_EQ(headers.get("x-empty"), "");
}

TEST(Headers, AddKeepsDuplicatesInOrder) {
  Headers headers;
  headers.add("Set-Cookie", "a=1");
  headers.add("X-Other", "x");
  headers.add("set-cookie", "b=2");
  EXPECT_EQ(headers.get_all("SET-COOKIE"), (std::vector<std::string>{"a=1", "b=2"}));
  EXPECT_EQ(headers.size(), 3U);
}

TEST(Headers, SetReplacesEveryDuplicateAtThePositionOfTheFirst) {
  Headers headers{{"A", "1"}, {"Dup", "x"}, {"B", "2"}, {"dup", "y"}, {"C", "3"}};
  headers.set("DUP", "z");
  EXPECT_EQ(fields_of(headers), (Fields{{"A", "1"}, {"DUP", "z"}, {"B", "2"}, {"C", "3"}}));
}

TEST(Headers, SetAppendsWhenTheNameIsAbsent) {
  Headers headers{{"A", "1"}};
  headers.set("B", "2");
  EXPECT_EQ(fields_of(headers), (Fields{{"A", "1"}, {"B", "2"}}));
}

TEST(Headers, RemoveDeletesEveryMatchAndCountsThem) {
  Headers headers{{"A", "1"}, {"x-ms-dop-hint", "4"}, {"B", "2"}, {"X-MS-DOP-HINT", "8"}};
  EXPECT_EQ(headers.remove("X-Ms-Dop-Hint"), 2U);
  EXPECT_EQ(fields_of(headers), (Fields{{"A", "1"}, {"B", "2"}}));
  EXPECT_EQ(headers.remove("absent"), 0U);
}

TEST(Headers, IterationKeepsInsertionOrderAndNameSpelling) {
  Headers headers;
  headers.add("OData-Version", "4.0");
  headers.add("Accept", "application/json");
  headers.add("OData-MaxVersion", "4.0");
  EXPECT_EQ(fields_of(headers), (Fields{{"OData-Version", "4.0"},
                                        {"Accept", "application/json"},
                                        {"OData-MaxVersion", "4.0"}}));
}

TEST(Headers, EqualityComparesOrderedFields) {
  const Headers a{{"A", "1"}, {"B", "2"}};
  const Headers b{{"B", "2"}, {"A", "1"}};
  EXPECT_EQ(a, (Headers{{"A", "1"}, {"B", "2"}}));
  EXPECT_NE(a, b);
}

} // namespace
} // namespace leadsync::http
