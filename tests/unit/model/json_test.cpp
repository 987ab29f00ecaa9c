#include "leadsync/model/json.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace leadsync::model {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;
using std::chrono::sys_days;
using ::testing::HasSubstr;
using ::testing::StartsWith;

TimePoint at(Date date, std::chrono::nanoseconds time_of_day) {
  return TimePoint{sys_days{date}} + time_of_day;
}

// Every field differs from its default, so a field lost on the way out or in cannot go unnoticed.
Lead fully_populated_lead() {
  Lead lead;
  lead.identity.id = "1b4e28ba-2fa1-4d2b-883f-0016d3cca427";
  lead.identity.crm_id = "7d577253-3ef0-4a0a-bb7f-8335c2596e70";
  lead.identity.version = 42;
  lead.identity.crm_version = "W/\"1234567\"";
  lead.identity.created_at = at(2026y / 11 / 1, 8h + 15min);
  lead.identity.updated_at = at(2026y / 11 / 2, 9h + 30min + 1s + 250ms);

  lead.person.first_name = "Анна";
  lead.person.middle_name = "Maria";
  lead.person.last_name = "Ivanova";
  lead.person.job_title = "Head of Procurement";
  lead.person.emails = {"anna@contoso.com", "a.ivanova@example.org"};
  lead.person.phones = {{PhoneKind::mobile, "0170 1234567", "+491701234567", "", true},
                        {PhoneKind::home, "030 123456-12", "+4930123456", "12", false}};
  lead.person.preferred_contact_method = ContactMethod::phone;
  lead.person.language = "ru";

  lead.company.name = "Contoso GmbH";
  lead.company.website = "https://www.contoso.de";
  lead.company.domain = "contoso.de";
  lead.company.industry = "Consulting";
  lead.company.employee_count = 250;
  lead.company.annual_revenue = 12'500'000.75;
  lead.company.address = {"Hauptstr. 1", "Hinterhaus", "Berlin", "BE", "10115", "Germany"};

  lead.origin.channel = Channel::purchased_list;
  lead.origin.campaign = "Autumn 2026";
  lead.origin.lead_magnet = "white paper";
  ListProvenance list;
  list.vendor = "Acme Lists";
  list.list_id = "L-2026-11";
  list.exclusive = true;
  list.times_sold = 3;
  list.acquired_on = 2026y / 11 / 1;
  list.imported_at = at(2026y / 11 / 3, 10h + 123us);
  lead.origin.lists = {list};

  lead.consent.do_not_email = true;
  lead.consent.do_not_phone = true;
  lead.consent.do_not_bulk_email = true;
  lead.consent.do_not_postal_mail = true;
  lead.consent.lawful_basis = LawfulBasis::legitimate_interest;
  lead.consent.given_at = at(2026y / 10 / 30, 23h + 59min + 59s + 999'999'999ns);
  lead.consent.aware_of_sales_offer = true;

  lead.kind = LeadKind::marketing;

  auto& qualification = lead.qualification;
  qualification.stage = LifecycleStage::mql;
  qualification.bant.budget_amount = 50'000;
  qualification.bant.budget_status = BudgetStatus::can_buy;
  qualification.bant.decision_maker = true;
  qualification.bant.need = Need::should_have;
  qualification.bant.purchase_timeframe = PurchaseTimeframe::next_quarter;
  qualification.bant.purchase_process = PurchaseProcess::committee;
  qualification.scores = {
      .fit = 61.5, .engagement = 22.25, .data_quality = 80, .bant = 40, .total = 55.125};
  qualification.fired_rules = {"fit.industry", "engagement.pricing_page"};
  qualification.outcome.kind = OutcomeKind::disqualify;
  qualification.outcome.create_account = false;
  qualification.outcome.create_contact = false;
  qualification.outcome.create_opportunity = false;
  qualification.outcome.status_code = 5;
  qualification.outcome.reason = "cannot contact after five attempts";
  qualification.outcome.decided_by = "leadsync:rules";
  qualification.outcome.decided_at = at(2026y / 11 / 20, 12h);
  qualification.outcome.pushed = true;
  qualification.outcome.pushed_at = at(2026y / 11 / 20, 12h + 5s);

  lead.enrichment = {{"company.employee_count", "clearbit-like", 87, 0.87, at(2026y / 11 / 4, 1h)}};
  lead.stakeholders = {{"Boris Petrov", "CFO", "boris@contoso.de"}};
  lead.competitors = {"Fabrikam", "Northwind"};
  lead.activities = {{ActivityKind::call, "Intro call", "Discussed pricing",
                      at(2026y / 11 / 5, 14h), "0f8fad5b-d9cb-469f-a165-70867728950e"}};
  lead.subject = "Procurement platform";
  lead.description = "imported column: Region=EMEA";
  lead.is_new = false;
  lead.deleted = true;
  return lead;
}

BehaviourEvent sample_event() {
  BehaviourEvent event;
  event.id = 17;
  event.lead_id = "1b4e28ba-2fa1-4d2b-883f-0016d3cca427";
  event.kind = BehaviourKind::pricing_page_visit;
  event.occurred_at = at(2026y / 11 / 21, 7h + 45min + 12ms);
  event.detail = "https://contoso.example/pricing";
  event.weight = 2.5;
  return event;
}

std::string error_message(const Result<Lead>& result) {
  EXPECT_FALSE(result.ok());
  if (result.ok()) {
    return {};
  }
  EXPECT_EQ(result.error().category, ErrorCategory::validation);
  return result.error().message;
}

// ---- round trips and layout
// --------------------------------------------------------------------------

TEST(LeadJson, FullyPopulatedLeadRoundTripsToAnEqualLead) {
  const Lead original = fully_populated_lead();
  const auto document = to_json(original);
  const auto decoded = lead_from_json(document);
  ASSERT_TRUE(decoded.ok()) << decoded.error().message;
  EXPECT_EQ(*decoded, original);
  EXPECT_EQ(to_json(*decoded), document);
}

TEST(LeadJson, FullyPopulatedLeadRoundTripsThroughText) {
  const Lead original = fully_populated_lead();
  const auto decoded = lead_from_json_text(to_json(original).dump());
  ASSERT_TRUE(decoded.ok()) << decoded.error().message;
  EXPECT_EQ(*decoded, original);
}

// to_json_text writes the document without the tree; it must be byte for byte what dump() gives,
// since both kinds of text end up side by side in the store.
TEST(LeadJsonText, IsExactlyWhatDumpGivesForAFullLead) {
  const Lead lead = fully_populated_lead();
  EXPECT_EQ(to_json_text(lead), to_json(lead).dump());
}

TEST(LeadJsonText, IsExactlyWhatDumpGivesForADefaultLead) {
  EXPECT_EQ(to_json_text(Lead{}), to_json(Lead{}).dump());
}

TEST(LeadJsonText, EscapesQuotesBackslashesAndControlCharactersAsDumpDoes) {
  Lead lead = fully_populated_lead();
  lead.person.first_name = "say \"hi\"\\ now";
  lead.description = std::string("line 1\nline 2\ttab \x01 bell\x7f del ") + "\u00e9t\u00e9";
  lead.qualification.scores.fit = 0.1 + 0.2; // not a short decimal
  const auto text = to_json_text(lead);
  EXPECT_EQ(text, to_json(lead).dump());
  EXPECT_THAT(text, HasSubstr(R"("say \"hi\"\\ now")"));
  EXPECT_THAT(text, HasSubstr(R"(line 1\nline 2\ttab \u0001 bell)"));
}

TEST(LeadJsonText, RefusesTextThatIsNotUtf8AsDumpDoes) {
  Lead lead;
  lead.person.last_name = "\xff\xfe";
  EXPECT_THROW((void)to_json_text(lead), nlohmann::json::type_error);
}

TEST(LeadJson, DefaultLeadRoundTripsToAnEqualLead) {
  const auto decoded = lead_from_json(to_json(Lead{}));
  ASSERT_TRUE(decoded.ok()) << decoded.error().message;
  EXPECT_EQ(*decoded, Lead{});
}

TEST(LeadJson, WritesSnakeCaseKeysInNestedParts) {
  const auto document = to_json(fully_populated_lead());
  EXPECT_EQ(document.at("person").at("first_name"), "Анна");
  EXPECT_EQ(document.at("person").at("phones").at(1).at("e164"), "+4930123456");
  EXPECT_EQ(document.at("person").at("preferred_contact_method"), "phone");
  EXPECT_EQ(document.at("company").at("address").at("state_or_province"), "BE");
  EXPECT_EQ(document.at("company").at("employee_count"), 250);
  EXPECT_EQ(document.at("origin").at("lists").at(0).at("acquired_on"), "2026-11-01");
  EXPECT_EQ(document.at("origin").at("lists").at(0).at("imported_at"),
            "2026-11-03T10:00:00.000123Z");
  EXPECT_EQ(document.at("origin").at("channel"), "purchased_list");
  EXPECT_EQ(document.at("consent").at("lawful_basis"), "legitimate_interest");
  EXPECT_EQ(document.at("qualification").at("stage"), "mql");
  EXPECT_EQ(document.at("qualification").at("bant").at("purchase_timeframe"), "next_quarter");
  EXPECT_EQ(document.at("qualification").at("scores").at("data_quality"), 80.0);
  EXPECT_EQ(document.at("qualification").at("outcome").at("decided_at"), "2026-11-20T12:00:00Z");
  EXPECT_EQ(document.at("enrichment").at(0).at("raw_confidence"), 87.0);
  EXPECT_EQ(document.at("kind"), "marketing");
  EXPECT_EQ(document.at("is_new"), false);
  EXPECT_EQ(document.at("deleted"), true);
}

TEST(LeadJson, WritesNewStageAsNew) {
  EXPECT_EQ(to_json(Lead{}).at("qualification").at("stage"), "new");
}

TEST(LeadJson, OmitsEmptyOptionalsStringsAndArraysButKeepsFlagsAndObjects) {
  const auto document = to_json(Lead{});
  EXPECT_FALSE(document.at("identity").contains("created_at"));
  EXPECT_FALSE(document.at("identity").contains("id"));
  EXPECT_FALSE(document.at("person").contains("emails"));
  EXPECT_FALSE(document.at("qualification").at("bant").contains("budget_amount"));
  EXPECT_FALSE(document.contains("competitors"));
  EXPECT_FALSE(document.contains("subject"));
  EXPECT_TRUE(document.at("company").contains("address"));
  EXPECT_EQ(document.at("is_new"), true);
  EXPECT_EQ(document.at("qualification").at("outcome").at("create_account"), true);
}

TEST(LeadJson, AcceptsAMinimalDocumentAndFillsDefaults) {
  const auto decoded =
      lead_from_json_text(R"({"person":{"last_name":"Ivanova","emails":["a@b.com"]}})");
  ASSERT_TRUE(decoded.ok()) << decoded.error().message;
  Lead expected;
  expected.person.last_name = "Ivanova";
  expected.person.emails = {"a@b.com"};
  EXPECT_EQ(*decoded, expected);
}

TEST(LeadJson, TreatsNullAsAbsent) {
  const auto decoded = lead_from_json_text(
      R"({"person":{"last_name":"Ivanova","middle_name":null},"company":{"employee_count":null}})");
  ASSERT_TRUE(decoded.ok()) << decoded.error().message;
  EXPECT_EQ(decoded->person.middle_name, "");
  EXPECT_FALSE(decoded->company.employee_count.has_value());
}

TEST(LeadJson, ReadsEnumValuesCaseInsensitively) {
  const auto decoded = lead_from_json_text(R"({"qualification":{"stage":"MQL"},"kind":"Sales"})");
  ASSERT_TRUE(decoded.ok()) << decoded.error().message;
  EXPECT_EQ(decoded->qualification.stage, LifecycleStage::mql);
  EXPECT_EQ(decoded->kind, LeadKind::sales);
}

TEST(LeadJson, AcceptsWholeNumbersForDecimalFields) {
  const auto decoded = lead_from_json_text(R"({"company":{"annual_revenue":1000000}})");
  ASSERT_TRUE(decoded.ok()) << decoded.error().message;
  EXPECT_EQ(decoded->company.annual_revenue, 1'000'000.0);
}

// ---- errors
// ------------------------------------------------------------------------------------------

TEST(LeadJsonErrors, WrongTypeNamesThePathAndBothTypes) {
  EXPECT_EQ(error_message(lead_from_json_text(R"({"person":{"emails":"a@b.com"}})")),
            "/person/emails: expected an array, got string");
  EXPECT_EQ(error_message(lead_from_json_text(R"({"person":{"emails":["a@b.com",5]}})")),
            "/person/emails/1: expected a string, got number");
  EXPECT_EQ(error_message(lead_from_json_text(R"({"is_new":"yes"})")),
            "/is_new: expected true or false, got string");
}

TEST(LeadJsonErrors, UnknownEnumValueListsTheAcceptedOnes) {
  const auto result =
      lead_from_json_text(R"({"person":{"phones":[{"kind":"mobile"},{"kind":"fax"}]}})");
  EXPECT_EQ(error_message(result), "/person/phones/1/kind: unknown value \"fax\" (expected one of "
                                   "business, mobile, home, other)");
}

TEST(LeadJsonErrors, UnknownFieldIsRejectedWithItsPath) {
  const auto message = error_message(lead_from_json_text(R"({"person":{"frist_name":"Anna"}})"));
  EXPECT_THAT(message, StartsWith("/person/frist_name: unknown field"));
  EXPECT_THAT(message, HasSubstr("first_name"));
}

TEST(LeadJsonErrors, UnknownFieldPathEscapesSlashAndTilde) {
  EXPECT_THAT(error_message(lead_from_json_text(R"({"company":{"a/b~c":1}})")),
              StartsWith("/company/a~1b~0c: unknown field"));
}

TEST(LeadJsonErrors, ImpossibleDateIsRejectedWithItsPath) {
  const auto message = error_message(lead_from_json_text(
      R"({"origin":{"lists":[{"vendor":"Acme","acquired_on":"2026-02-30"}]}})"));
  EXPECT_THAT(message, StartsWith("/origin/lists/0/acquired_on: invalid date \"2026-02-30\""));
}

TEST(LeadJsonErrors, MalformedTimeIsRejectedWithItsPath) {
  const auto message =
      error_message(lead_from_json_text(R"({"identity":{"created_at":"yesterday"}})"));
  EXPECT_THAT(message, StartsWith("/identity/created_at: invalid time \"yesterday\""));
}

TEST(LeadJsonErrors, FractionalOrOversizedIntegersAreRejected) {
  EXPECT_EQ(error_message(lead_from_json_text(R"({"identity":{"version":1.5}})")),
            "/identity/version: expected an integer, got number");
  EXPECT_THAT(
      error_message(lead_from_json_text(R"({"origin":{"lists":[{"times_sold":10000000000}]}})")),
      StartsWith("/origin/lists/0/times_sold: 10000000000 is out of range"));
  EXPECT_THAT(
      error_message(lead_from_json_text(R"({"identity":{"version":18446744073709551615}})")),
      StartsWith("/identity/version: 18446744073709551615 is out of range"));
}

TEST(LeadJsonErrors, DocumentThatIsNotAnObjectIsRejected) {
  EXPECT_EQ(error_message(lead_from_json_text("[1,2]")), "(root): expected an object, got array");
  EXPECT_EQ(error_message(lead_from_json(json("text"))), "(root): expected an object, got string");
}

TEST(LeadJsonErrors, SyntaxErrorReportsTheBytePosition) {
  const auto message = error_message(lead_from_json_text(R"({"person": {"last_name": "x",}})"));
  EXPECT_THAT(message, StartsWith("not valid JSON at byte 30: "));
  EXPECT_THAT(message, HasSubstr("column 30"));
}

TEST(LeadJsonErrors, EmptyAndTruncatedTextAreSyntaxErrors) {
  EXPECT_THAT(error_message(lead_from_json_text("")), StartsWith("not valid JSON at byte"));
  EXPECT_THAT(error_message(lead_from_json_text(R"({"person":)")),
              StartsWith("not valid JSON at byte"));
}

// ---- enum names
// ------------------------------------------------------------------------------------------

TEST(EnumNames, LifecycleStageNamesMatchTheDocumentedSpelling) {
  const std::vector<std::pair<LifecycleStage, std::string_view>> expected = {
      {LifecycleStage::new_lead, "new"},
      {LifecycleStage::cold, "cold"},
      {LifecycleStage::mql, "mql"},
      {LifecycleStage::pql, "pql"},
      {LifecycleStage::service_qualified, "service_qualified"},
      {LifecycleStage::sql, "sql"},
      {LifecycleStage::qualified, "qualified"},
      {LifecycleStage::disqualified, "disqualified"}};
  for (const auto& [stage, name] : expected) {
    EXPECT_EQ(to_string(stage), name);
    const auto parsed = parse_lifecycle_stage(name);
    ASSERT_TRUE(parsed.ok()) << name;
    EXPECT_EQ(*parsed, stage);
  }
  EXPECT_EQ(parse_lifecycle_stage("Service_Qualified").value(), LifecycleStage::service_qualified);
}

TEST(EnumNames, UnknownLifecycleStageListsEveryAcceptedValue) {
  const auto parsed = parse_lifecycle_stage("hot");
  ASSERT_FALSE(parsed.ok());
  EXPECT_EQ(parsed.error().category, ErrorCategory::invalid_argument);
  EXPECT_EQ(parsed.error().message, "unknown value \"hot\" (expected one of new, cold, mql, pql, "
                                    "service_qualified, sql, qualified, disqualified)");
}

TEST(EnumNames, ListAgeBucketsUseDayRanges) {
  EXPECT_EQ(to_string(ListAgeBucket::days_1_7), "1-7");
  EXPECT_EQ(to_string(ListAgeBucket::days_8_30), "8-30");
  EXPECT_EQ(to_string(ListAgeBucket::days_31_60), "31-60");
  EXPECT_EQ(to_string(ListAgeBucket::days_61_90), "61-90");
  EXPECT_EQ(to_string(ListAgeBucket::older), "older");
  EXPECT_EQ(to_string(ListAgeBucket::unknown), "unknown");
}

TEST(EnumNames, ChannelAndBehaviourKindParseTheirOwnNames) {
  EXPECT_EQ(to_string(Channel::word_of_mouth), "word_of_mouth");
  EXPECT_EQ(parse_channel("Trade_Show").value(), Channel::trade_show);
  EXPECT_THAT(parse_channel("billboard").error().message,
              HasSubstr("expected one of advertisement, trade_show"));
  EXPECT_EQ(to_string(BehaviourKind::demo_requested), "demo_requested");
  EXPECT_EQ(parse_behaviour_kind("email_click").value(), BehaviourKind::email_click);
  EXPECT_FALSE(parse_behaviour_kind("tweet").ok());
}

// ---- time and date
// -----------------------------------------------------------------------------------

TEST(TimeFormat, WholeSecondsHaveNoFraction) {
  EXPECT_EQ(format_time(at(2026y / 11 / 22, 20h)), "2026-11-22T20:00:00Z");
}

TEST(TimeFormat, FractionUsesMillisecondsWhenExactElseMicroOrNanoseconds) {
  EXPECT_EQ(format_time(at(2026y / 11 / 22, 20h + 123ms)), "2026-11-22T20:00:00.123Z");
  EXPECT_EQ(format_time(at(2026y / 11 / 22, 20h + 5ms)), "2026-11-22T20:00:00.005Z");
  EXPECT_EQ(format_time(at(2026y / 11 / 22, 20h + 123456us)), "2026-11-22T20:00:00.123456Z");
  EXPECT_EQ(format_time(at(2026y / 11 / 22, 20h + 7ns)), "2026-11-22T20:00:00.000000007Z");
}

TEST(TimeFormat, TimesBeforeTheEpochFormatForwardWithinTheirDay) {
  EXPECT_EQ(format_time(at(1969y / 12 / 31, 23h + 59min + 59s + 500ms)),
            "1969-12-31T23:59:59.500Z");
}

TEST(TimeParse, ReadsUtcWithZ) {
  EXPECT_EQ(parse_time("2026-11-22T20:00:00Z").value(), at(2026y / 11 / 22, 20h));
  EXPECT_EQ(parse_time("2026-11-22t20:00:00z").value(), at(2026y / 11 / 22, 20h));
}

TEST(TimeParse, ConvertsOffsetsToUtc) {
  EXPECT_EQ(parse_time("2026-11-22T20:00:00+05:30").value(), at(2026y / 11 / 22, 14h + 30min));
  EXPECT_EQ(parse_time("2026-11-22T20:00:00-08:00").value(), at(2026y / 11 / 23, 4h));
  EXPECT_EQ(parse_time("2026-01-01T01:00:00+02:00").value(), at(2025y / 12 / 31, 23h));
}

TEST(TimeParse, ReadsFractionalSecondsOfAnyLength) {
  EXPECT_EQ(parse_time("2026-11-22T20:00:00.5Z").value(), at(2026y / 11 / 22, 20h + 500ms));
  EXPECT_EQ(parse_time("2026-11-22T20:00:00.123456789Z").value(),
            at(2026y / 11 / 22, 20h + 123456789ns));
  EXPECT_EQ(parse_time("2026-11-22T20:00:00.1234567891Z").value(),
            at(2026y / 11 / 22, 20h + 123456789ns));
}

TEST(TimeParse, ReadsBackEveryFormattedPrecision) {
  for (const auto time :
       {at(2026y / 11 / 22, 20h), at(2026y / 11 / 22, 1ms), at(2026y / 11 / 22, 1us),
        at(2026y / 11 / 22, 999999999ns), at(1969y / 7 / 20, 20h + 17min + 40s + 1ns)}) {
    EXPECT_EQ(parse_time(format_time(time)).value(), time) << format_time(time);
  }
}

TEST(TimeParse, RejectsMalformedTimesSayingWhy) {
  const std::vector<std::pair<std::string_view, std::string_view>> cases = {
      {"", "expected YYYY-MM-DD"},
      {"yesterday", "expected YYYY-MM-DD"},
      {"2026-11-22", "expected 'T'"},
      {"2026-11-22 20:00:00Z", "expected 'T'"},
      {"2026-11-22T20:00Z", "expected the time of day as hh:mm:ss"},
      {"2026-11-22T24:00:00Z", "hour 24 is out of range"},
      {"2026-11-22T20:60:00Z", "minute 60 is out of range"},
      {"2026-11-22T23:59:60Z", "leap seconds are not supported"},
      {"2026-11-22T20:00:00.Z", "expected digits after the decimal point"},
      {"2026-11-22T20:00:00", "expected the time zone"},
      {"2026-11-22T20:00:00+0530", "expected the offset as +hh:mm"},
      {"2026-11-22T20:00:00+24:00", "offset +24:00 is out of range"},
      {"2026-11-22T20:00:00Z garbage", "unexpected text after the time zone"},
      {"2026-13-01T00:00:00Z", "month 13 does not exist"},
      {"2026-02-30T00:00:00Z", "2026-02 has no day 30"},
      {"2300-01-01T00:00:00Z", "outside the representable range"},
      {"1600-01-01T00:00:00Z", "outside the representable range"},
  };
  for (const auto& [text, reason] : cases) {
    const auto parsed = parse_time(text);
    ASSERT_FALSE(parsed.ok()) << text;
    EXPECT_EQ(parsed.error().category, ErrorCategory::invalid_argument);
    EXPECT_THAT(parsed.error().message, HasSubstr(reason)) << text;
    EXPECT_THAT(parsed.error().message, HasSubstr("expected RFC 3339 like 2026-11-22T20:00:00Z"));
  }
}

TEST(DateParse, ReadsAndWritesCalendarDates) {
  EXPECT_EQ(parse_date("2026-11-22").value(), 2026y / 11 / 22);
  EXPECT_EQ(parse_date("2024-02-29").value(), 2024y / 2 / 29);
  EXPECT_EQ(format_date(2026y / 1 / 5), "2026-01-05");
}

TEST(DateParse, RejectsDatesThatDoNotExistOrAreMisshapen) {
  for (const std::string_view text :
       {"2026-02-30", "2026-02-29", "2100-02-29", "2026-13-01", "2026-00-10", "2026-04-31",
        "2026-1-5", "26-01-05", "2026-01-05T00:00:00Z", "2026/01/05", ""}) {
    const auto parsed = parse_date(text);
    ASSERT_FALSE(parsed.ok()) << text;
    EXPECT_THAT(parsed.error().message, HasSubstr("expected a calendar date like 2026-11-22"));
  }
}

// ---- behaviour events
// ----------------------------------------------------------------------------------

TEST(BehaviourEventJson, RoundTripsEveryField) {
  const auto original = sample_event();
  const auto document = to_json(original);
  EXPECT_EQ(document.at("kind"), "pricing_page_visit");
  EXPECT_EQ(document.at("occurred_at"), "2026-11-21T07:45:00.012Z");
  EXPECT_EQ(document.at("lead_id"), original.lead_id);
  const auto decoded = behaviour_event_from_json(document);
  ASSERT_TRUE(decoded.ok()) << decoded.error().message;
  EXPECT_EQ(*decoded, original);
}

TEST(BehaviourEventJson, MissingKeysTakeDefaults) {
  const auto decoded = behaviour_event_from_json(json::parse(R"({"kind":"call"})"));
  ASSERT_TRUE(decoded.ok()) << decoded.error().message;
  BehaviourEvent expected;
  expected.kind = BehaviourKind::call;
  EXPECT_EQ(*decoded, expected);
}

TEST(BehaviourEventJson, ErrorsNameThePath) {
  const auto unknown_kind = behaviour_event_from_json(json::parse(R"({"kind":"tweet"})"));
  ASSERT_FALSE(unknown_kind.ok());
  EXPECT_EQ(unknown_kind.error().category, ErrorCategory::validation);
  EXPECT_THAT(unknown_kind.error().message, StartsWith("/kind: unknown value \"tweet\""));

  const auto bad_weight = behaviour_event_from_json(json::parse(R"({"weight":"heavy"})"));
  ASSERT_FALSE(bad_weight.ok());
  EXPECT_EQ(bad_weight.error().message, "/weight: expected a number, got string");

  const auto typo =
      behaviour_event_from_json(json::parse(R"({"occured_at":"2026-11-21T07:45:00Z"})"));
  ASSERT_FALSE(typo.ok());
  EXPECT_THAT(typo.error().message, StartsWith("/occured_at: unknown field"));
}

} // namespace
} // namespace leadsync::model
