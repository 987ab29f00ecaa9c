#pragma once
// When a daemon job runs: a 5-field cron expression in a time zone (UTC unless told) or a fixed
// interval ("@every 30s").
//
// Accepted (fields separated by spaces or tabs; leading and trailing blanks ignored):
//   minute hour day-of-month month day-of-week
//     minute 0-59, hour 0-23, day-of-month 1-31, month 1-12 or JAN-DEC, day-of-week 0-7 or SUN-SAT
//     (0 and 7 are Sunday; names are case-insensitive; in a day-of-week range SUN also ends a range
//     as 7, so "FRI-SUN" is 5-7).
//     Each field is a comma list of items: "*", "n", "a-b", "*/s", "a-b/s". A step s is 1..max of
//     the field. Ranges do not wrap ("22-2" is an error: write "22-23,0-2"). "n/s" is refused.
//   The POSIX day rule: when both day-of-month and day-of-week are restricted (neither covers its
//   whole range), a day matching EITHER fires; otherwise a day must match both (the unrestricted
//   one matches every day). "*/1" and "1-31" are unrestricted; "*/2" is restricted.
//   @yearly/@annually "0 0 1 1 *", @monthly "0 0 1 * *", @weekly "0 0 * * 0",
//   @daily/@midnight "0 0 * * *", @hourly "0 * * * *" (case-insensitive).
//   @every <duration>: Go-style whole-unit durations of h, m and s ("30s", "5m", "1h30m",
//     "1h30m10s"), each unit at most once and in that order, from 1s to 24h. Firings are
//     interval_start + k * interval for k >= 0.
//
// Seconds within a minute never matter to cron expressions (they fire at :00).
//
// Time zones. A cron expression matches the wall-clock time of its zone: UTC, or an IANA name
// ("Europe/Berlin", "America/New_York") resolved through ICU's copy of the tz database. Where the
// zone's clocks change (daylight saving time), the rules are those of Vixie cron (cron(8): "Local
// time changes of less than three hours ... are handled specially"):
//   - Spring forward: a firing whose wall-clock time is skipped by the gap runs at the first
//     minute after the gap (Europe/Berlin "30 2 * * *" on 2026-03-29 runs at 03:00 CEST); several
//     skipped firings of one gap run once, together with a firing on that minute itself.
//   - Fall back: for an entry with a fixed minute and hour (neither field holds "*", like
//     "30 2 * * *" or "0 9-17 * * 1-5"), a repeated wall-clock time fires once, at its first
//     occurrence. An entry with "*" in the minute or hour field ("*/15 * * * *", "0 * * * *")
//     fires in both occurrences, so it keeps its rhythm in elapsed time.
//   - @every intervals are elapsed time and ignore zones.
// Unlike Vixie cron the rules hold for changes of any size (ICU gives the exact transitions).

#include "leadsync/core/result.hpp"

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace leadsync {

class Schedule {
public:
  using TimePoint = std::chrono::system_clock::time_point;

  // next_after() gives up (nullopt) when a cron expression has no firing before the end of the
  // year this many years after `after`'s year. 8 covers the longest gap between two 29ths of
  // February (2096 to 2104), so only impossible expressions give up. Skipping goes by month, day
  // and hour, so even an impossible one costs at most a few thousand steps.
  static constexpr int search_years = 8;
  static constexpr std::chrono::seconds min_interval{1};
  static constexpr std::chrono::seconds max_interval{24 * 3600};

  // The first firing strictly after `after`. For @every schedules it is interval_start +
  // k * interval with the smallest k >= 0 giving a time after `after`; interval_start is ignored
  // by cron expressions. nullopt when a cron expression cannot fire (like "0 0 31 2 *") within
  // search_years.
  std::optional<TimePoint> next_after(TimePoint after, TimePoint interval_start = {}) const;

  // For logs: `cron "*/5 * * * *" (UTC)`, `@daily (cron "0 0 * * *", Europe/Berlin)`,
  // `every 1h30m`.
  std::string describe() const;
  // The zone the expression's fields are read in: "UTC" or the IANA name it was parsed with.
  const std::string& time_zone() const { return time_zone_; }

  bool is_interval() const { return interval_.count() > 0; }
  std::chrono::seconds interval() const { return interval_; } // 0 for cron expressions
  // The expression as parsed, fields separated by one space ("@every 90s" stays "@every 90s").
  const std::string& text() const { return text_; }

  bool operator==(const Schedule&) const = default;

private:
  friend Result<Schedule> parse_schedule(std::string_view text);
  friend Result<Schedule> parse_schedule(std::string_view text, std::string_view time_zone);

  bool day_matches(int day_of_month, int weekday) const;
  // The first wall-clock minute matching the fields strictly after `after`, a wall-clock time
  // written as if it were UTC; nullopt when none within search_years.
  std::optional<TimePoint> next_wall_after(TimePoint after) const;
  std::optional<TimePoint> next_in_zone(TimePoint after) const;

  std::string text_;
  std::string nickname_;             // "@daily" when written so; else empty
  std::chrono::seconds interval_{0}; // > 0 for @every
  std::uint64_t minutes_ = 0;        // bit n: minute n
  std::uint32_t hours_ = 0;          // bit n: hour n
  std::uint32_t days_ = 0;           // bit n: day-of-month n (1-31)
  std::uint32_t months_ = 0;         // bit n: month n (1-12)
  std::uint32_t weekdays_ = 0;       // bit n: weekday n (0 = Sunday .. 6)
  bool days_restricted_ = false;     // day-of-month does not cover 1-31
  bool weekdays_restricted_ = false; // day-of-week does not cover every day
  bool fixed_time_ = false;          // neither the minute nor the hour field holds "*"
  std::string time_zone_ = "UTC";
};

// Parses a schedule (see above). Fails with category config and a message naming the field, what
// is wrong and what is allowed, like "field 2 (hour): 24 is out of range 0-23". Messages quote at
// most a short excerpt of the text.
Result<Schedule> parse_schedule(std::string_view text);
// The same in a time zone: "UTC" or an IANA name known to ICU (see check_time_zone). An @every
// schedule keeps the zone only for describe().
Result<Schedule> parse_schedule(std::string_view text, std::string_view time_zone);

// OK for "UTC" and every IANA zone name ICU knows ("Europe/Berlin"; links like "US/Eastern" too);
// fails with category config for anything else, custom offsets like "GMT+1" included, saying
// what to write.
Status check_time_zone(std::string_view time_zone);

} // namespace leadsync
