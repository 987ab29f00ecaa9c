#include "leadsync/odata/filter.hpp"

#include <chrono>
#include <gtest/gtest.h>
#include <limits>

namespace leadsync::odata {
namespace {

using namespace std::chrono;

std::string literal(const Literal& value) {
  const auto text = format_literal(value);
  EXPECT_TRUE(text.ok()) << text.error().describe();
  return text.ok() ? text.value() : std::string();
}

void expect_refused(const Literal& value, const std::string& mentioned) {
  const auto text = format_literal(value);
  ASSERT_FALSE(text.ok()) << "accepted as " << text.value();
  EXPECT_EQ(text.error().category, ErrorCategory::invalid_argument);
  EXPECT_NE(text.error().message.find(mentioned), std::string::npos) << text.error().message;
}

std::string rendered(const Filter& filter) {
  const auto text = filter.to_string();
  EXPECT_TRUE(text.ok()) << text.error().describe();
  return text.ok() ? text.value() : std::string();
}

TEST(FormatLiteral, DoublesSingleQuotesInStrings) {
  EXPECT_EQ(quote_string("O'Bryan"), "'O''Bryan'");
  EXPECT_EQ(literal(std::string("O'Bryan")), "'O''Bryan'");
  EXPECT_EQ(literal(std::string("''")), "''''''");
  EXPECT_EQ(literal(std::string("")), "''");
}

TEST(FormatLiteral, LeavesOtherHostileCharactersForUrlEncoding) {
  EXPECT_EQ(literal(std::string("a&b+c/d:e#f 'g' Zoë")), "'a&b+c/d:e#f ''g'' Zoë'");
}

TEST(FormatLiteral, WritesNullAndBooleansAsKeywords) {
  EXPECT_EQ(literal(Null{}), "null");
  EXPECT_EQ(literal(true), "true");
  EXPECT_EQ(literal(false), "false");
}

TEST(FormatLiteral, WritesIntegersInFullRange) {
  EXPECT_EQ(literal(std::int64_t{12}), "12");
  EXPECT_EQ(literal(std::int64_t{-7}), "-7");
  EXPECT_EQ(literal(std::numeric_limits<std::int64_t>::max()), "9223372036854775807");
  EXPECT_EQ(literal(std::numeric_limits<std::int64_t>::min()), "-9223372036854775808");
}

TEST(FormatLiteral, WritesDoublesWithADecimalPoint) {
  EXPECT_EQ(literal(1.5), "1.5");
  EXPECT_EQ(literal(2.0), "2.0");
  EXPECT_EQ(literal(-0.25), "-0.25");
  EXPECT_EQ(literal(-0.0), "-0.0");
}

TEST(FormatLiteral, WritesLargeAndSmallDoublesWithAPlainExponent) {
  EXPECT_EQ(literal(1e21), "1.0e21");
  EXPECT_EQ(literal(1.5e300), "1.5e300");
  EXPECT_EQ(literal(1e-7), "1.0e-7");
  EXPECT_EQ(literal(-2.5e-300), "-2.5e-300");
}

TEST(FormatLiteral, RefusesNanAndInfinity) {
  expect_refused(std::numeric_limits<double>::quiet_NaN(), "NaN");
  expect_refused(std::numeric_limits<double>::infinity(), "infinity");
  expect_refused(-std::numeric_limits<double>::infinity(), "infinity");
}

TEST(FormatLiteral, WritesGuidsBareAndLowerCase) {
  EXPECT_EQ(literal(Guid{"1b4e28ba-2fa1-4d2b-883f-0016d3cca427"}),
            "1b4e28ba-2fa1-4d2b-883f-0016d3cca427");
  EXPECT_EQ(literal(Guid{"1B4E28BA-2FA1-4D2B-883F-0016D3CCA427"}),
            "1b4e28ba-2fa1-4d2b-883f-0016d3cca427");
}

TEST(FormatLiteral, RefusesMalformedGuids) {
  for (const char* bad :
       {"", "1b4e28ba2fa14d2b883f0016d3cca427", "{1b4e28ba-2fa1-4d2b-883f-0016d3cca427}",
        "1b4e28ba-2fa1-4d2b-883f-0016d3cca42", "1b4e28ba-2fa1-4d2b-883f-0016d3cca4277",
        "1b4e28ba-2fa1-4d2b-883f-0016d3cca42g", "1b4e28ba_2fa1-4d2b-883f-0016d3cca427",
        "' or 1 eq 1 or '"}) {
    SCOPED_TRACE(bad);
    expect_refused(Guid{bad}, "is not a GUID");
  }
}

TEST(FormatLiteral, WritesCalendarDates) {
  EXPECT_EQ(literal(DateOnly{"2026-11-22"}), "2026-11-22");
  EXPECT_EQ(literal(DateOnly{"2024-02-29"}), "2024-02-29");
}

TEST(FormatLiteral, RefusesMalformedOrImpossibleDates) {
  for (const char* bad : {"", "2026-1-05", "2026/11/22", "22-11-2026", "2026-11-22T00:00:00Z",
                          "2026-02-30", "2025-02-29", "2026-13-01", "2026-00-10", "0000-01-01",
                          "2026-11-2x", "2026-1--22", "-2026-1-22"}) {
    SCOPED_TRACE(bad);
    expect_refused(DateOnly{bad}, "is not a date");
  }
}

TEST(FormatLiteral, WritesTimesAsUtcRfc3339) {
  const system_clock::time_point evening = sys_days{2026y / November / 22} + 20h;
  EXPECT_EQ(literal(evening), "2026-11-22T20:00:00Z");
  EXPECT_EQ(literal(sys_days{1970y / January / 1}), "1970-01-01T00:00:00Z");
  EXPECT_EQ(literal(sys_days{1969y / December / 31} + 23h + 59min + 59s), "1969-12-31T23:59:59Z");
}

TEST(FormatLiteral, WritesFractionalSecondsOnlyWhenPresent) {
  const system_clock::time_point base = sys_days{2026y / November / 22} + 20h + 5min + 9s;
  EXPECT_EQ(literal(base + 500ms), "2026-11-22T20:05:09.5Z");
  EXPECT_EQ(literal(base + 1us), "2026-11-22T20:05:09.000001Z");
  EXPECT_EQ(literal(base + 123ms), "2026-11-22T20:05:09.123Z");
}

TEST(FormatLiteral, RoundsTimesBeforeTheEpochDownToTheirSecond) {
  EXPECT_EQ(literal(sys_days{1969y / December / 31} + 23h + 59min + 59s + 250ms),
            "1969-12-31T23:59:59.25Z");
}

TEST(Filter, RendersTheHeaderExample) {
  const auto filter = eq("emailaddress1", "o'brien@example.com") && !eq("statecode", 2);
  EXPECT_EQ(rendered(filter), "emailaddress1 eq 'o''brien@example.com' and not (statecode eq 2)");
}

TEST(Filter, RendersEveryComparisonOperator) {
  EXPECT_EQ(rendered(eq("a", 1)), "a eq 1");
  EXPECT_EQ(rendered(ne("a", Null{})), "a ne null");
  EXPECT_EQ(rendered(gt("a", 1.5)), "a gt 1.5");
  EXPECT_EQ(rendered(ge("a", DateOnly{"2026-01-31"})), "a ge 2026-01-31");
  EXPECT_EQ(rendered(lt("a", true)), "a lt true");
  EXPECT_EQ(rendered(le("a", std::string("z"))), "a le 'z'");
}

TEST(Filter, RendersStringFunctionsWithEscapedText) {
  EXPECT_EQ(rendered(contains("fullname", "O'B")), "contains(fullname,'O''B')");
  EXPECT_EQ(rendered(startswith("lastname", "Mc")), "startswith(lastname,'Mc')");
  EXPECT_EQ(rendered(endswith("emailaddress1", "@example.com")),
            "endswith(emailaddress1,'@example.com')");
}

TEST(Filter, AcceptsLookupValueColumnsAndNavigationPaths) {
  EXPECT_EQ(rendered(eq("_parentaccountid_value", Guid{"1b4e28ba-2fa1-4d2b-883f-0016d3cca427"})),
            "_parentaccountid_value eq 1b4e28ba-2fa1-4d2b-883f-0016d3cca427");
  EXPECT_EQ(rendered(eq("parentaccountid/name", "Contoso")), "parentaccountid/name eq 'Contoso'");
}

TEST(Filter, GroupsAnOrInsideAnAnd) {
  EXPECT_EQ(rendered((eq("a", 1) || eq("b", 2)) && eq("c", 3)), "(a eq 1 or b eq 2) and c eq 3");
  EXPECT_EQ(rendered(eq("a", 1) && (eq("b", 2) || eq("c", 3))), "a eq 1 and (b eq 2 or c eq 3)");
}

TEST(Filter, LeavesAnAndInsideAnOrUngrouped) {
  EXPECT_EQ(rendered(eq("a", 1) || (eq("b", 2) && eq("c", 3))), "a eq 1 or b eq 2 and c eq 3");
  EXPECT_EQ(rendered((eq("a", 1) && eq("b", 2)) || eq("c", 3)), "a eq 1 and b eq 2 or c eq 3");
}

TEST(Filter, ChainsTheSameOperatorWithoutParentheses) {
  EXPECT_EQ(rendered(eq("a", 1) && eq("b", 2) && eq("c", 3)), "a eq 1 and b eq 2 and c eq 3");
  EXPECT_EQ(rendered(eq("a", 1) || (eq("b", 2) || eq("c", 3))), "a eq 1 or b eq 2 or c eq 3");
}

TEST(Filter, NegatesAParenthesizedOperand) {
  EXPECT_EQ(rendered(!(eq("a", 1) || eq("b", 2))), "not (a eq 1 or b eq 2)");
  EXPECT_EQ(rendered(!(eq("a", 1) && eq("b", 2))), "not (a eq 1 and b eq 2)");
  EXPECT_EQ(rendered(!!eq("a", 1)), "not (not (a eq 1))");
  EXPECT_EQ(rendered(!eq("a", 1) || eq("b", 2)), "not (a eq 1) or b eq 2");
}

TEST(Filter, NegatesAFunctionCallDirectly) {
  EXPECT_EQ(rendered(!contains("fullname", "test")), "not contains(fullname,'test')");
}

TEST(Filter, RefusesColumnsThatAreNotNames) {
  for (const char* bad : {"", "1name", "first name", "first-name", "a//b", "/a", "a/", "a.b",
                          "name eq 'x' or 1 eq 1", "naïve"}) {
    SCOPED_TRACE(bad);
    const auto text = eq(bad, 1).to_string();
    ASSERT_FALSE(text.ok());
    EXPECT_EQ(text.error().category, ErrorCategory::invalid_argument);
    EXPECT_NE(text.error().message.find(std::string("'") + bad + "' is not a column name"),
              std::string::npos)
        << text.error().message;
  }
}

TEST(Filter, RefusesABadColumnInAStringFunction) {
  EXPECT_FALSE(contains("full name", "x").to_string().ok());
}

TEST(Filter, ReportsAnErrorFromDeepInsideTheTree) {
  const auto filter = eq("a", 1) || !(eq("b", 2) && eq("c", Guid{"not-a-guid"}));
  const auto text = filter.to_string();
  ASSERT_FALSE(text.ok());
  EXPECT_NE(text.error().message.find("'not-a-guid' is not a GUID"), std::string::npos);
}

TEST(Filter, ReusesOneFilterOnBothSides) {
  const Filter shared = eq("statecode", 0);
  const Filter combined = shared && shared;
  EXPECT_EQ(rendered(combined), "statecode eq 0 and statecode eq 0");
}

} // namespace
} // namespace leadsync::odata
