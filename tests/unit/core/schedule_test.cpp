#include "leadsync/core/schedule.hpp"

#include <chrono>
#include <cstdio>
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <string>
#include <vector>

namespace leadsync {
namespace {

using namespace std::chrono_literals;
using TimePoint = Schedule::TimePoint;

// "2024-02-29 23:59" or "2024-02-29 23:59:30", UTC.
TimePoint at(const std::string& text) {
  int year = 0;
  unsigned month = 0;
  unsigned day = 0;
  int hour = 0;
  int minute = 0;
  int second = 0;
  const int read =
      std::sscanf(text.c_str(), "%d-%u-%u %d:%d:%d", &year, &month, &day, &hour, &minute, &second);
  EXPECT_GE(read, 5) << text;
  const std::chrono::year_month_day date{std::chrono::year{year} / std::chrono::month{month} /
                                         std::chrono::day{day}};
  EXPECT_TRUE(date.ok()) << text;
  return TimePoint{std::chrono::sys_days{date} + std::chrono::hours{hour} +
                   std::chrono::minutes{minute} + std::chrono::seconds{second}};
}

// "2024-03-01 00:00", with ":SS" when the seconds are not 0.
std::string iso(TimePoint time) {
  const auto day = std::chrono::floor<std::chrono::days>(time);
  const std::chrono::year_month_day date{day};
  const auto seconds = std::chrono::duration_cast<std::chrono::seconds>(time - day).count();
  std::string text =
      fmt::format("{:04}-{:02}-{:02} {:02}:{:02}", static_cast<int>(date.year()),
                  static_cast<unsigned>(date.month()), static_cast<unsigned>(date.day()),
                  seconds / 3600, seconds % 3600 / 60);
  if (seconds % 60 != 0) {
    text += fmt::format(":{:02}", seconds % 60);
  }
  return text;
}

Schedule parsed(const std::string& text) {
  auto schedule = parse_schedule(text);
  EXPECT_TRUE(schedule.ok()) << text << ": " << (schedule.ok() ? "" : schedule.error().message);
  return schedule.ok() ? std::move(schedule).value() : Schedule{};
}

// The first `count` firings strictly after `after`, as text; "none" ends the list early.
std::vector<std::string> firings(const std::string& expression, const std::string& after,
                                 int count = 1,
                                 const std::string& interval_start = "1970-01-01 00:00") {
  const auto schedule = parsed(expression);
  std::vector<std::string> out;
  TimePoint time = at(after);
  for (int i = 0; i < count; ++i) {
    const auto next = schedule.next_after(time, at(interval_start));
    if (!next) {
      out.emplace_back("none");
      break;
    }
    out.push_back(iso(*next));
    time = *next;
  }
  return out;
}

std::string next(const std::string& expression, const std::string& after) {
  return firings(expression, after).front();
}

std::string error_of(const std::string& text) {
  const auto schedule = parse_schedule(text);
  if (schedule.ok()) {
    return "(parsed)";
  }
  EXPECT_EQ(schedule.error().category, ErrorCategory::config) << text;
  return schedule.error().message;
}

using Strings = std::vector<std::string>;

// --- fields -----------------------------------------------------------------------------------

TEST(CronScheduleTest, EveryMinuteFiresAtTheStartOfTheNextMinuteStrictlyAfter) {
  EXPECT_EQ(next("* * * * *", "2024-05-10 10:00"), "2024-05-10 10:01");
  EXPECT_EQ(next("* * * * *", "2024-05-10 10:00:30"), "2024-05-10 10:01");
  EXPECT_EQ(next("* * * * *", "2024-05-10 10:00:59"), "2024-05-10 10:01");
  const auto schedule = parsed("* * * * *");
  EXPECT_EQ(iso(*schedule.next_after(at("2024-05-10 09:59:59") + 999ms)), "2024-05-10 10:00");
}

TEST(CronScheduleTest, ANumberInTheMinuteFieldFiresOnceAnHour) {
  EXPECT_EQ(next("30 * * * *", "2024-05-10 10:29"), "2024-05-10 10:30");
  EXPECT_EQ(next("30 * * * *", "2024-05-10 10:30"), "2024-05-10 11:30");
}

TEST(CronScheduleTest, AStarWithAStepFiresOnEveryNthValueFromTheFieldsMinimum) {
  EXPECT_EQ(
      firings("*/15 * * * *", "2024-05-10 10:00", 4),
      (Strings{"2024-05-10 10:15", "2024-05-10 10:30", "2024-05-10 10:45", "2024-05-10 11:00"}));
  EXPECT_EQ(firings("*/7 * * * *", "2024-05-10 10:50", 2),
            (Strings{"2024-05-10 10:56", "2024-05-10 11:00"}));
  EXPECT_EQ(
      firings("0 0 */10 * *", "2024-01-01 00:00", 4),
      (Strings{"2024-01-11 00:00", "2024-01-21 00:00", "2024-01-31 00:00", "2024-02-01 00:00"}));
}

TEST(CronScheduleTest, ARangeFiresOnEachValueInIt) {
  EXPECT_EQ(
      firings("10-12 * * * *", "2024-05-10 10:00", 4),
      (Strings{"2024-05-10 10:10", "2024-05-10 10:11", "2024-05-10 10:12", "2024-05-10 11:10"}));
}

TEST(CronScheduleTest, ARangeWithAStepFiresOnEveryNthValueOfTheRange) {
  EXPECT_EQ(
      firings("10-50/20 * * * *", "2024-05-10 10:00", 4),
      (Strings{"2024-05-10 10:10", "2024-05-10 10:30", "2024-05-10 10:50", "2024-05-10 11:10"}));
  EXPECT_EQ(
      firings("0 9-17/4 * * *", "2024-05-10 00:00", 4),
      (Strings{"2024-05-10 09:00", "2024-05-10 13:00", "2024-05-10 17:00", "2024-05-11 09:00"}));
}

TEST(CronScheduleTest, ACommaListMixesNumbersRangesAndSteps) {
  EXPECT_EQ(firings("5,30-32,*/45 * * * *", "2024-05-10 10:00", 7),
            (Strings{"2024-05-10 10:05", "2024-05-10 10:30", "2024-05-10 10:31", "2024-05-10 10:32",
                     "2024-05-10 10:45", "2024-05-10 11:00", "2024-05-10 11:05"}));
}

TEST(CronScheduleTest, HourAndDayOfMonthFieldsRestrictTheDay) {
  EXPECT_EQ(firings("15 6 15 * *", "2024-05-15 06:15", 2),
            (Strings{"2024-06-15 06:15", "2024-07-15 06:15"}));
}

TEST(CronScheduleTest, MonthsCanBeNumbersOrCaseInsensitiveNames) {
  const Strings expected = {"2024-07-01 00:00", "2025-01-01 00:00", "2025-07-01 00:00"};
  EXPECT_EQ(firings("0 0 1 1,7 *", "2024-02-01 00:00", 3), expected);
  EXPECT_EQ(firings("0 0 1 jan,JUL *", "2024-02-01 00:00", 3), expected);
  EXPECT_EQ(
      firings("0 0 1 Mar-May *", "2024-01-01 00:00", 4),
      (Strings{"2024-03-01 00:00", "2024-04-01 00:00", "2024-05-01 00:00", "2025-03-01 00:00"}));
}

TEST(CronScheduleTest, WeekdaysCanBeNumbersOrCaseInsensitiveNames) {
  // 2024-03-01 is a Friday.
  EXPECT_EQ(firings("0 9 * * MON-FRI", "2024-03-01 09:00", 2),
            (Strings{"2024-03-04 09:00", "2024-03-05 09:00"}));
  EXPECT_EQ(firings("0 9 * * 1-5", "2024-03-01 09:00", 2),
            (Strings{"2024-03-04 09:00", "2024-03-05 09:00"}));
  EXPECT_EQ(firings("0 9 * * sat,Sun", "2024-03-01 09:00", 3),
            (Strings{"2024-03-02 09:00", "2024-03-03 09:00", "2024-03-09 09:00"}));
}

TEST(CronScheduleTest, SevenAndZeroAndSunAreAllSunday) {
  const Strings sundays = {"2024-03-03 00:00", "2024-03-10 00:00"};
  EXPECT_EQ(firings("0 0 * * 0", "2024-03-01 00:00", 2), sundays);
  EXPECT_EQ(firings("0 0 * * 7", "2024-03-01 00:00", 2), sundays);
  EXPECT_EQ(firings("0 0 * * SUN", "2024-03-01 00:00", 2), sundays);
  EXPECT_EQ(parsed("0 0 * * 7").next_after(at("2024-03-01 00:00")),
            parsed("0 0 * * 0").next_after(at("2024-03-01 00:00")));
}

TEST(CronScheduleTest, AWeekdayRangeCanEndOnSundayAsSevenOrAsSun) {
  const Strings friday_to_sunday = {"2024-03-08 00:00", "2024-03-09 00:00", "2024-03-10 00:00",
                                    "2024-03-15 00:00"};
  EXPECT_EQ(firings("0 0 * * 5-7", "2024-03-07 00:00", 4), friday_to_sunday);
  EXPECT_EQ(firings("0 0 * * fri-sun", "2024-03-07 00:00", 4), friday_to_sunday);
  EXPECT_EQ(
      firings("0 0 * * */2", "2024-03-01 00:00", 4), // Sun, Tue, Thu, Sat
      (Strings{"2024-03-02 00:00", "2024-03-03 00:00", "2024-03-05 00:00", "2024-03-07 00:00"}));
}

// --- the POSIX day rule -----------------------------------------------------------------------

TEST(CronScheduleTest, WhenDayOfMonthAndDayOfWeekAreBothRestrictedEitherMatchingDayFires) {
  // March 2024: Fridays are the 1st, 8th, 15th, 22nd and 29th; the 13th is a Wednesday.
  EXPECT_EQ(
      firings("0 0 13 * 5", "2024-03-01 00:00", 4),
      (Strings{"2024-03-08 00:00", "2024-03-13 00:00", "2024-03-15 00:00", "2024-03-22 00:00"}));
  // A step is a restriction too: odd days or Mondays (the 4th, 11th, ...).
  EXPECT_EQ(
      firings("0 0 */2 * mon", "2024-03-01 00:00", 4),
      (Strings{"2024-03-03 00:00", "2024-03-04 00:00", "2024-03-05 00:00", "2024-03-07 00:00"}));
  // An impossible day of the month still fires on the weekday.
  EXPECT_EQ(next("0 0 30 2 mon", "2024-01-31 00:00"), "2024-02-05 00:00");
}

TEST(CronScheduleTest, WhenOnlyOneOfTheDayFieldsIsRestrictedItAloneDecides) {
  EXPECT_EQ(firings("0 0 13 * *", "2024-03-01 00:00", 2),
            (Strings{"2024-03-13 00:00", "2024-04-13 00:00"}));
  EXPECT_EQ(firings("0 0 * * 5", "2024-03-01 00:00", 2),
            (Strings{"2024-03-08 00:00", "2024-03-15 00:00"}));
  // A field covering its whole range counts as unrestricted, however it is written.
  EXPECT_EQ(firings("0 0 1-31 * 5", "2024-03-01 00:00", 2),
            (Strings{"2024-03-08 00:00", "2024-03-15 00:00"}));
  EXPECT_EQ(firings("0 0 13 * 0-7", "2024-03-01 00:00", 2),
            (Strings{"2024-03-13 00:00", "2024-04-13 00:00"}));
  EXPECT_EQ(firings("0 0 13 * */1", "2024-03-01 00:00", 1), (Strings{"2024-03-13 00:00"}));
}

// --- nicknames --------------------------------------------------------------------------------

TEST(CronScheduleTest, NicknamesFireLikeTheirExpansions) {
  // 2024-06-01 is a Saturday.
  EXPECT_EQ(next("@yearly", "2024-06-01 10:00"), "2025-01-01 00:00");
  EXPECT_EQ(next("@annually", "2024-06-01 10:00"), "2025-01-01 00:00");
  EXPECT_EQ(next("@monthly", "2024-06-01 10:00"), "2024-07-01 00:00");
  EXPECT_EQ(next("@weekly", "2024-06-01 10:00"), "2024-06-02 00:00");
  EXPECT_EQ(next("@daily", "2024-06-01 10:00"), "2024-06-02 00:00");
  EXPECT_EQ(next("@midnight", "2024-06-01 10:00"), "2024-06-02 00:00");
  EXPECT_EQ(next("@hourly", "2024-06-01 10:00"), "2024-06-01 11:00");
  EXPECT_EQ(next("@Daily", "2024-06-01 10:00"), "2024-06-02 00:00");
}

TEST(CronScheduleTest, DescribeNamesTheExpressionAndTheTimeZone) {
  EXPECT_EQ(parsed("*/5 * * * *").describe(), "cron \"*/5 * * * *\" (UTC)");
  EXPECT_EQ(parsed("@daily").describe(), "@daily (cron \"0 0 * * *\", UTC)");
  EXPECT_EQ(parsed("@weekly").describe(), "@weekly (cron \"0 0 * * 0\", UTC)");
  EXPECT_EQ(parsed("@every 30s").describe(), "every 30s");
  EXPECT_EQ(parsed("@every 90s").describe(), "every 1m30s");
  EXPECT_EQ(parsed("@every 1h30m10s").describe(), "every 1h30m10s");
  EXPECT_EQ(parsed("@every 2h").describe(), "every 2h");
}

TEST(CronScheduleTest, BlanksAroundAndBetweenFieldsAreIgnoredAndTheTextIsNormalized) {
  const auto schedule = parsed("  */5\t*  * * *  ");
  EXPECT_EQ(schedule.text(), "*/5 * * * *");
  EXPECT_FALSE(schedule.is_interval());
  EXPECT_EQ(schedule.interval(), 0s);
  EXPECT_EQ(schedule, parsed("*/5 * * * *"));
}

// --- @every -----------------------------------------------------------------------------------

TEST(IntervalScheduleTest, FiresAtTheStartPlusWholeIntervals) {
  const std::string start = "2024-01-01 00:00:10";
  EXPECT_EQ(firings("@every 30s", start, 3, start),
            (Strings{"2024-01-01 00:00:40", "2024-01-01 00:01:10", "2024-01-01 00:01:40"}));
  EXPECT_EQ(firings("@every 30s", "2024-01-01 00:00:39", 1, start),
            (Strings{"2024-01-01 00:00:40"}));
  EXPECT_EQ(firings("@every 30s", "2024-01-01 00:00:40", 1, start),
            (Strings{"2024-01-01 00:01:10"}));
  EXPECT_EQ(firings("@every 5m", "2024-01-03 07:01", 1, start), (Strings{"2024-01-03 07:05:10"}));
}

TEST(IntervalScheduleTest, BeforeTheStartTheStartItselfIsTheNextFiring) {
  const std::string start = "2024-01-01 12:00";
  EXPECT_EQ(firings("@every 1h", "2024-01-01 08:00", 2, start),
            (Strings{"2024-01-01 12:00", "2024-01-01 13:00"}));
}

TEST(IntervalScheduleTest, SubSecondTimesStayOnTheIntervalGrid) {
  const auto schedule = parsed("@every 10s");
  const auto start = at("2024-01-01 00:00") + 250ms;
  EXPECT_EQ(schedule.next_after(start + 9999ms, start), start + 10s);
  EXPECT_EQ(schedule.next_after(start + 10s, start), start + 20s);
}

TEST(IntervalScheduleTest, DurationsCombineHoursMinutesAndSecondsUpToADay) {
  EXPECT_EQ(parsed("@every 30s").interval(), 30s);
  EXPECT_EQ(parsed("@every 5m").interval(), 5min);
  EXPECT_EQ(parsed("@every 1h30m").interval(), 90min);
  EXPECT_EQ(parsed("@every 1h30m10s").interval(), 5410s);
  EXPECT_EQ(parsed("@every 1s").interval(), Schedule::min_interval);
  EXPECT_EQ(parsed("@every 24h").interval(), Schedule::max_interval);
  EXPECT_EQ(parsed("@every 23h59m60s").interval(), 24h);
  EXPECT_EQ(parsed("@EVERY 1m").interval(), 1min);
  EXPECT_TRUE(parsed("@every 1m").is_interval());
  EXPECT_EQ(parsed("@every 1m").text(), "@every 1m");
}

// --- boundaries -------------------------------------------------------------------------------

TEST(CronScheduleTest, NextAfterCrossesMonthAndYearEnds) {
  EXPECT_EQ(next("0 0 * * *", "2024-01-31 12:00"), "2024-02-01 00:00");
  EXPECT_EQ(next("* * * * *", "2023-12-31 23:59"), "2024-01-01 00:00");
  EXPECT_EQ(next("59 23 31 12 *", "2023-12-31 23:59"), "2024-12-31 23:59");
  EXPECT_EQ(next("0 0 * * *", "2023-02-28 00:00"), "2023-03-01 00:00");
  EXPECT_EQ(next("0 0 * * *", "2024-02-28 00:00"), "2024-02-29 00:00");
}

TEST(CronScheduleTest, TheThirtyFirstSkipsMonthsWithoutOne) {
  EXPECT_EQ(firings("0 0 31 * *", "2024-01-31 00:00", 3),
            (Strings{"2024-03-31 00:00", "2024-05-31 00:00", "2024-07-31 00:00"}));
}

TEST(CronScheduleTest, TheTwentyNinthOfFebruaryFiresOnlyInLeapYears) {
  EXPECT_EQ(next("0 12 29 2 *", "2023-03-01 00:00"), "2024-02-29 12:00");
  EXPECT_EQ(next("0 12 29 2 *", "2024-02-29 12:00"), "2028-02-29 12:00");
  // 2100 is not a leap year: the longest gap, within the search window.
  EXPECT_EQ(next("0 12 29 2 *", "2096-03-01 00:00"), "2104-02-29 12:00");
}

TEST(CronScheduleTest, ImpossibleExpressionsNeverFire) {
  for (const char* expression :
       {"0 0 31 2 *", "0 0 30 2 *", "0 0 31 4,6,9,11 *", "0 0 30-31 feb *"}) {
    EXPECT_EQ(next(expression, "2024-01-01 00:00"), "none") << expression;
  }
}

TEST(CronScheduleTest, AnImpossibleExpressionIsAnsweredWithoutMinuteByMinuteSearch) {
  // A minute-by-minute search over 8 years would take about 4 million steps per call; skipping by
  // month and day takes a few dozen. A thousand calls stay well inside a unit test's budget.
  const auto schedule = parsed("0 0 31 2 *");
  const auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < 1000; ++i) {
    EXPECT_FALSE(schedule.next_after(at("2024-01-01 00:00") + std::chrono::hours{i}));
  }
  EXPECT_LT(std::chrono::steady_clock::now() - start, 5s);
}

// --- time zones -------------------------------------------------------------------------------
// Times in these tests are UTC; the comments give the wall-clock time of the zone.
// Europe/Berlin 2026: CET (UTC+1) to CEST (UTC+2) at 2026-03-29 01:00 UTC (02:00 -> 03:00), back
// at 2026-10-25 01:00 UTC (03:00 -> 02:00). America/New_York 2026: EST (UTC-5) to EDT (UTC-4) at
// 2026-03-08 07:00 UTC, back at 2026-11-01 06:00 UTC.

Schedule parsed_in(const std::string& text, const std::string& zone) {
  auto schedule = parse_schedule(text, zone);
  EXPECT_TRUE(schedule.ok()) << text << " in " << zone << ": "
                             << (schedule.ok() ? "" : schedule.error().message);
  return schedule.ok() ? std::move(schedule).value() : Schedule{};
}

std::vector<std::string> firings_in(const std::string& zone, const std::string& expression,
                                    const std::string& after, int count = 1) {
  const auto schedule = parsed_in(expression, zone);
  std::vector<std::string> out;
  TimePoint time = at(after);
  for (int i = 0; i < count; ++i) {
    const auto next = schedule.next_after(time, at(after));
    if (!next) {
      out.emplace_back("none");
      break;
    }
    out.push_back(iso(*next));
    time = *next;
  }
  return out;
}

TEST(TimeZoneScheduleTest, FieldsMatchTheWallClockOfTheZoneInWinterAndSummer) {
  // 09:00 in Berlin is 08:00 UTC in winter and 07:00 UTC in summer.
  EXPECT_EQ(firings_in("Europe/Berlin", "0 9 * * *", "2026-01-10 12:00", 2),
            (Strings{"2026-01-11 08:00", "2026-01-12 08:00"}));
  EXPECT_EQ(firings_in("Europe/Berlin", "0 9 * * *", "2026-07-10 12:00", 1),
            (Strings{"2026-07-11 07:00"}));
  // Monday 00:00 in New York (UTC-5) is Monday 05:00 UTC; the day is the zone's, not UTC's.
  EXPECT_EQ(firings_in("America/New_York", "0 0 * * mon", "2026-01-10 00:00", 1),
            (Strings{"2026-01-12 05:00"}));
  EXPECT_EQ(firings_in("America/New_York", "30 21 1 * *", "2026-01-01 12:00", 1),
            (Strings{"2026-01-02 02:30"}))
      << "21:30 on the 1st in New York is already the 2nd in UTC";
}

TEST(TimeZoneScheduleTest, BerlinSpringForwardRunsASkippedTimeAtTheFirstMinuteAfterTheGap) {
  // 02:30 does not exist on 2026-03-29: it runs at 03:00 CEST, then at 02:30 CEST the next day.
  EXPECT_EQ(firings_in("Europe/Berlin", "30 2 * * *", "2026-03-28 12:00", 3),
            (Strings{"2026-03-29 01:00", "2026-03-30 00:30", "2026-03-31 00:30"}));
  // 02:00 likewise; 03:00 exists and runs at its own time, which is the gap's end.
  EXPECT_EQ(firings_in("Europe/Berlin", "0 2 * * *", "2026-03-28 12:00", 1),
            (Strings{"2026-03-29 01:00"}));
  EXPECT_EQ(firings_in("Europe/Berlin", "0 3 * * *", "2026-03-28 12:00", 1),
            (Strings{"2026-03-29 01:00"}));
}

TEST(TimeZoneScheduleTest, SkippedFiringsOfOneGapRunOnceWithTheGapsEnd) {
  // 01:45 CET, then 02:00..02:45 (skipped) together with 03:00 CEST, then 03:15 CEST.
  EXPECT_EQ(firings_in("Europe/Berlin", "*/15 * * * *", "2026-03-29 00:40", 3),
            (Strings{"2026-03-29 00:45", "2026-03-29 01:00", "2026-03-29 01:15"}));
  // 01:30 CET, 02:30 (skipped) at 03:00 CEST, 03:30 CEST.
  EXPECT_EQ(firings_in("Europe/Berlin", "30 * * * *", "2026-03-29 00:00", 3),
            (Strings{"2026-03-29 00:30", "2026-03-29 01:00", "2026-03-29 01:30"}));
}

TEST(TimeZoneScheduleTest, BerlinFallBackRunsAFixedTimeOnceAtItsFirstOccurrence) {
  // 02:30 happens twice on 2026-10-25: at 00:30 UTC (CEST) and 01:30 UTC (CET). Once, the first.
  EXPECT_EQ(firings_in("Europe/Berlin", "30 2 * * *", "2026-10-24 12:00", 2),
            (Strings{"2026-10-25 00:30", "2026-10-26 01:30"}));
  // Asked between the two occurrences, it still waits for the next day.
  EXPECT_EQ(firings_in("Europe/Berlin", "30 2 * * *", "2026-10-25 01:00", 1),
            (Strings{"2026-10-26 01:30"}));
  // A range in the hour field is fixed too: 01:00 CEST, 02:00 CEST, (02:00 CET skipped), 03:00
  // CET, then 01:00 CET the next day.
  EXPECT_EQ(
      firings_in("Europe/Berlin", "0 1-3 * * *", "2026-10-24 22:00", 4),
      (Strings{"2026-10-24 23:00", "2026-10-25 00:00", "2026-10-25 02:00", "2026-10-26 00:00"}));
}

TEST(TimeZoneScheduleTest, AWildcardHourOrMinuteRunsInBothOccurrencesOfARepeatedHour) {
  // 02:00 and 02:30 CEST, then 02:00 and 02:30 CET, then 03:00 CET: every half hour of real time.
  EXPECT_EQ(firings_in("Europe/Berlin", "*/30 * * * *", "2026-10-24 23:50", 5),
            (Strings{"2026-10-25 00:00", "2026-10-25 00:30", "2026-10-25 01:00", "2026-10-25 01:30",
                     "2026-10-25 02:00"}));
  EXPECT_EQ(
      firings_in("Europe/Berlin", "@hourly", "2026-10-24 22:30", 4),
      (Strings{"2026-10-24 23:00", "2026-10-25 00:00", "2026-10-25 01:00", "2026-10-25 02:00"}));
}

TEST(TimeZoneScheduleTest, NewYorkChangesFollowTheSameRules) {
  // Spring: 02:30 does not exist on 2026-03-08; it runs at 03:00 EDT (07:00 UTC).
  EXPECT_EQ(firings_in("America/New_York", "30 2 * * *", "2026-03-07 12:00", 2),
            (Strings{"2026-03-08 07:00", "2026-03-09 06:30"}));
  // Autumn: 01:30 happens twice on 2026-11-01; once, at 01:30 EDT (05:30 UTC).
  EXPECT_EQ(firings_in("America/New_York", "30 1 * * *", "2026-10-31 12:00", 2),
            (Strings{"2026-11-01 05:30", "2026-11-02 06:30"}));
  EXPECT_EQ(firings_in("America/New_York", "0 * * * *", "2026-11-01 04:30", 3),
            (Strings{"2026-11-01 05:00", "2026-11-01 06:00", "2026-11-01 07:00"}));
}

TEST(TimeZoneScheduleTest, AChangeOfAWholeDayIsHandledLikeAnyGap) {
  // Samoa moved across the date line: 2011-12-29 23:59 (UTC-10) was followed by 2011-12-31 00:00
  // (UTC+14), at 2011-12-30 10:00 UTC. Noon of the skipped 30th runs as the gap ends.
  EXPECT_EQ(firings_in("Pacific/Apia", "0 12 * * *", "2011-12-29 12:00", 3),
            (Strings{"2011-12-29 22:00", "2011-12-30 10:00", "2011-12-30 22:00"}));
}

TEST(TimeZoneScheduleTest, EveryIsElapsedTimeAndIgnoresTheZone) {
  const auto schedule = parsed_in("@every 1h", "Europe/Berlin");
  const auto start = at("2026-03-29 00:00");
  EXPECT_EQ(iso(*schedule.next_after(start, start)), "2026-03-29 01:00");
  EXPECT_EQ(iso(*schedule.next_after(at("2026-03-29 01:00"), start)), "2026-03-29 02:00");
  EXPECT_EQ(schedule.describe(), "every 1h");
}

TEST(TimeZoneScheduleTest, LeapDaysAndImpossibleDatesHoldInAZoneToo) {
  // Midnight of 2028-02-29 in Berlin is 23:00 UTC the day before.
  EXPECT_EQ(firings_in("Europe/Berlin", "0 0 29 2 *", "2026-01-01 00:00", 2),
            (Strings{"2028-02-28 23:00", "2032-02-28 23:00"}));
  EXPECT_EQ(firings_in("Europe/Berlin", "0 0 30 2 *", "2026-01-01 00:00", 1), (Strings{"none"}));
  EXPECT_EQ(firings_in("America/New_York", "0 0 31 4,6,9,11 *", "2026-01-01 00:00", 1),
            (Strings{"none"}));
}

TEST(TimeZoneScheduleTest, UtcByNameIsTheUtcOverload) {
  EXPECT_EQ(parsed_in("*/5 * * * *", "UTC"), parsed("*/5 * * * *"));
  EXPECT_EQ(parsed("0 9 * * *").time_zone(), "UTC");
  EXPECT_EQ(firings_in("UTC", "30 2 * * *", "2026-03-29 00:00", 1), (Strings{"2026-03-29 02:30"}));
  EXPECT_EQ(firings_in("Etc/UTC", "30 2 * * *", "2026-03-29 00:00", 1),
            (Strings{"2026-03-29 02:30"}));
}

TEST(TimeZoneScheduleTest, DescribeNamesTheZone) {
  EXPECT_EQ(parsed_in("*/5 * * * *", "Europe/Berlin").describe(),
            "cron \"*/5 * * * *\" (Europe/Berlin)");
  EXPECT_EQ(parsed_in("@daily", "America/New_York").describe(),
            "@daily (cron \"0 0 * * *\", America/New_York)");
  EXPECT_EQ(parsed_in("@daily", "America/New_York").time_zone(), "America/New_York");
}

TEST(TimeZoneScheduleTest, AnUnknownZoneIsRefusedSayingWhatToWrite) {
  for (const char* zone : {"Europe/Berlln", "CEST-ish", "", "GMT+1", "Mars/Olympus_Mons"}) {
    const auto schedule = parse_schedule("0 9 * * *", zone);
    ASSERT_FALSE(schedule.ok()) << zone;
    EXPECT_EQ(schedule.error().category, ErrorCategory::config) << zone;
    EXPECT_NE(schedule.error().message.find("unknown time zone"), std::string::npos)
        << schedule.error().message;
    EXPECT_NE(schedule.error().message.find("\"Europe/Berlin\""), std::string::npos)
        << schedule.error().message;
  }
  EXPECT_FALSE(check_time_zone("Europe/Berlln").ok());
}

TEST(TimeZoneScheduleTest, EveryIanaNameAndLinkIsKnown) {
  for (const char* zone : {"UTC", "Etc/UTC", "Europe/Berlin", "America/New_York", "Asia/Kolkata",
                           "Australia/Lord_Howe", "US/Eastern"}) {
    EXPECT_TRUE(check_time_zone(zone).ok()) << zone;
  }
}

// --- errors -----------------------------------------------------------------------------------

struct ErrorCase {
  std::string text;
  std::string message;
};

// NOLINTNEXTLINE(readability-identifier-naming): the name GoogleTest looks for
void PrintTo(const ErrorCase& c, std::ostream* os) {
  *os << '"' << c.text << '"';
}

class ScheduleErrorTest : public testing::TestWithParam<ErrorCase> {};

TEST_P(ScheduleErrorTest, SaysWhatIsWrongAndWhatIsAllowed) {
  EXPECT_EQ(error_of(GetParam().text), GetParam().message);
}

const std::string fields_expected =
    "expected 5 fields (minute hour day-of-month month day-of-week) or @every <duration>, got ";

INSTANTIATE_TEST_SUITE_P(
    FieldCounts, ScheduleErrorTest,
    testing::Values(ErrorCase{.text = "", .message = fields_expected + "0"},
                    ErrorCase{.text = "   ", .message = fields_expected + "0"},
                    ErrorCase{.text = "*/5 * * *", .message = fields_expected + "4"},
                    ErrorCase{.text = "0 * * * * *", .message = fields_expected + "6"}));

INSTANTIATE_TEST_SUITE_P(
    Values, ScheduleErrorTest,
    testing::Values(
        ErrorCase{.text = "60 * * * *", .message = "field 1 (minute): 60 is out of range 0-59"},
        ErrorCase{.text = "0 24 * * *", .message = "field 2 (hour): 24 is out of range 0-23"},
        ErrorCase{.text = "0 0 0 * *", .message = "field 3 (day-of-month): 0 is out of range 1-31"},
        ErrorCase{.text = "0 0 32 * *",
                  .message = "field 3 (day-of-month): 32 is out of range 1-31"},
        ErrorCase{.text = "0 0 1 13 *", .message = "field 4 (month): 13 is out of range 1-12"},
        ErrorCase{.text = "0 0 1 0 *", .message = "field 4 (month): 0 is out of range 1-12"},
        ErrorCase{.text = "0 0 * * 8", .message = "field 5 (day-of-week): 8 is out of range 0-7"},
        ErrorCase{.text = "1234567890123456 * * * *",
                  .message = "field 1 (minute): 123456789012... is out of range 0-59"},
        ErrorCase{.text = "0 mon * * *",
                  .message = "field 2 (hour): \"mon\" is not a number from 0 to 23"},
        ErrorCase{.text = "x * * * *",
                  .message = "field 1 (minute): \"x\" is not a number from 0 to 59"},
        ErrorCase{.text = "0 0 L * *",
                  .message = "field 3 (day-of-month): \"L\" is not a number from 1 to 31"},
        ErrorCase{.text = "0 0 1 foo *",
                  .message = "field 4 (month): \"foo\" is not 1-12 or JAN-DEC"},
        ErrorCase{.text = "0 0 1 january *",
                  .message = "field 4 (month): \"january\" is not 1-12 or JAN-DEC"},
        ErrorCase{.text = "0 0 * * funday",
                  .message = "field 5 (day-of-week): \"funday\" is not 0-7 (0 and 7 are Sunday) "
                             "or SUN-SAT"},
        ErrorCase{.text = "0 0 * * abcdefghijklmnopqrstuvwxyz",
                  .message = "field 5 (day-of-week): \"abcdefghijklmnopqrst...\" is not 0-7 (0 "
                             "and 7 are Sunday) or SUN-SAT"},
        ErrorCase{.text = "0 0 * * \x01",
                  .message = "field 5 (day-of-week): \"?\" is not 0-7 (0 and 7 are Sunday) or "
                             "SUN-SAT"}));

INSTANTIATE_TEST_SUITE_P(
    StepsRangesAndLists, ScheduleErrorTest,
    testing::Values(
        ErrorCase{.text = "*/0 * * * *",
                  .message = "field 1 (minute): step 0 in \"*/0\" is out of range 1-59"},
        ErrorCase{.text = "*/60 * * * *",
                  .message = "field 1 (minute): step 60 in \"*/60\" is out of range 1-59"},
        ErrorCase{.text = "0 1-5/24 * * *",
                  .message = "field 2 (hour): step 24 in \"1-5/24\" is out of range 1-23"},
        ErrorCase{.text = "*/x * * * *",
                  .message = "field 1 (minute): step \"x\" in \"*/x\" is not a number; write steps "
                             "like */5 or 10-50/5"},
        ErrorCase{.text = "*/ * * * *",
                  .message = "field 1 (minute): step \"\" in \"*/\" is not a number; write steps "
                             "like */5 or 10-50/5"},
        ErrorCase{.text = "*/5/2 * * * *",
                  .message = "field 1 (minute): step \"5/2\" in \"*/5/2\" is not a number; write "
                             "steps like */5 or 10-50/5"},
        ErrorCase{.text = "10/5 * * * *",
                  .message = "field 1 (minute): a step needs * or a range before it, like */5 or "
                             "10-50/5 (got \"10/5\")"},
        ErrorCase{.text = "0 9-5 * * *",
                  .message = "field 2 (hour): range \"9-5\" starts after it ends; ranges do not "
                             "wrap around, so write it as two, like 22-23,0-2"},
        ErrorCase{.text = "0 0 * * sat-mon",
                  .message = "field 5 (day-of-week): range \"sat-mon\" starts after it ends; "
                             "ranges do not wrap around, so write it as two, like 22-23,0-2"},
        ErrorCase{.text = "-5 * * * *",
                  .message = "field 1 (minute): range \"-5\" needs a start and an end, like 1-5"},
        ErrorCase{.text = "5- * * * *",
                  .message = "field 1 (minute): range \"5-\" needs a start and an end, like 1-5"},
        ErrorCase{.text = "1-2-3 * * * *",
                  .message = "field 1 (minute): \"2-3\" is not a number from 0 to 59"},
        ErrorCase{.text = "*-5 * * * *",
                  .message = "field 1 (minute): \"*\" is not a number from 0 to 59"},
        ErrorCase{.text = "1,,2 * * * *",
                  .message = "field 1 (minute): empty item in a list; separate items with single "
                             "commas, like 1,15,30"},
        ErrorCase{.text = "0 0 1, * *",
                  .message = "field 3 (day-of-month): empty item in a list; separate items with "
                             "single commas, like 1,15,30"}));

INSTANTIATE_TEST_SUITE_P(
    NicknamesAndIntervals, ScheduleErrorTest,
    testing::Values(
        ErrorCase{.text = "@reboot",
                  .message = "unknown \"@reboot\"; use @yearly, @annually, @monthly, @weekly, "
                             "@daily, @midnight, @hourly or @every <duration>"},
        ErrorCase{.text = "@every30s",
                  .message = "unknown \"@every30s\"; use @yearly, @annually, @monthly, @weekly, "
                             "@daily, @midnight, @hourly or @every <duration>"},
        ErrorCase{.text = "@daily 5", .message = "@daily takes nothing after it (got 2 words)"},
        ErrorCase{.text = "@every",
                  .message = "@every needs a duration, like @every 30s, @every 5m or @every 1h30m"},
        ErrorCase{.text = "@every 1h 30m",
                  .message = "@every: write the duration as one word without spaces, like @every "
                             "1h30m"},
        ErrorCase{.text = "@every 0s", .message = "@every: duration \"0s\" must be at least 1s"},
        ErrorCase{.text = "@every 0h0m0s",
                  .message = "@every: duration \"0h0m0s\" must be at least 1s"},
        ErrorCase{.text = "@every 25h",
                  .message = "@every: duration \"25h\" is longer than the maximum 24h"},
        ErrorCase{.text = "@every 24h1s",
                  .message = "@every: duration \"24h1s\" is longer than the maximum 24h"},
        ErrorCase{.text = "@every 99999999s",
                  .message = "@every: duration \"99999999s\" is longer than the maximum 24h"},
        ErrorCase{.text = "@every 30d",
                  .message = "@every: duration \"30d\" has unknown unit \"d\"; use h, m and s, "
                             "like 1h30m10s (24h at most)"},
        ErrorCase{.text = "@every 30S",
                  .message = "@every: duration \"30S\" has unknown unit \"S\"; use h, m and s, "
                             "like 1h30m10s (24h at most)"},
        ErrorCase{.text = "@every 30",
                  .message = "@every: duration \"30\" needs a unit after 30: h, m or s, like 30s"},
        ErrorCase{.text = "@every 1.5h",
                  .message = "@every: duration \"1.5h\" has a fraction; use whole numbers of h, m "
                             "and s, like 1h30m instead of 1.5h"},
        ErrorCase{.text = "@every 500ms",
                  .message = "@every: duration \"500ms\" uses \"ms\": units below a second are "
                             "not supported, the shortest interval is 1s"},
        ErrorCase{.text = "@every 30m1h",
                  .message = "@every: duration \"30m1h\" repeats a unit or has them out of order; "
                             "write each of h, m and s at most once, in that order, like "
                             "1h30m10s"},
        ErrorCase{.text = "@every 1m1m",
                  .message = "@every: duration \"1m1m\" repeats a unit or has them out of order; "
                             "write each of h, m and s at most once, in that order, like "
                             "1h30m10s"},
        ErrorCase{.text = "@every h",
                  .message = "@every: duration \"h\" is not a number followed by h, m or s; write "
                             "it like 30s, 5m or 1h30m10s"},
        ErrorCase{.text = "@every -5s",
                  .message = "@every: duration \"-5s\" is not a number followed by h, m or s; "
                             "write it like 30s, 5m or 1h30m10s"}));

} // namespace
} // namespace leadsync
