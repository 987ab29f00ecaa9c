#include "leadsync/model/time.hpp"

#include <cstdint>
#include <fmt/format.h>
#include <iterator>
#include <optional>
#include <string>

namespace leadsync::model {
namespace {

namespace chrono = std::chrono;

constexpr std::string_view time_example = "2026-11-22T20:00:00Z";
constexpr std::string_view date_example = "2026-11-22";

// A forward-only reader over fixed-width digit fields and separators.
class Scanner {
public:
  explicit Scanner(std::string_view text) : text_(text) {}
  bool at_end() const { return position_ == text_.size(); }
  bool accept(char expected) {
    if (at_end() || text_[position_] != expected) {
      return false;
    }
    ++position_;
    return true;
  }
  bool accept_any(std::string_view expected, char& found) {
    if (at_end() || expected.find(text_[position_]) == std::string_view::npos) {
      return false;
    }
    found = text_[position_++];
    return true;
  }
  bool next_is_digit() const { return !at_end() && is_digit(text_[position_]); }
  // Exactly `count` ASCII digits.
  bool digits(std::size_t count, int& out) {
    if (text_.size() - position_ < count) {
      return false;
    }
    int value = 0;
    for (std::size_t i = 0; i < count; ++i) {
      const char c = text_[position_ + i];
      if (!is_digit(c)) {
        return false;
      }
      value = value * 10 + (c - '0');
    }
    position_ += count;
    out = value;
    return true;
  }
  char take() { return text_[position_++]; }

private:
  static bool is_digit(char c) { return c >= '0' && c <= '9'; }
  std::string_view text_;
  std::size_t position_ = 0;
};

// Reads YYYY-MM-DD; returns why it is not a calendar date, or nothing.
std::optional<std::string> scan_date(Scanner& in, Date& out) {
  int year_value = 0;
  int month_value = 0;
  int day_value = 0;
  if (!in.digits(4, year_value) || !in.accept('-') || !in.digits(2, month_value) ||
      !in.accept('-') || !in.digits(2, day_value)) {
    return "expected YYYY-MM-DD";
  }
  if (month_value < 1 || month_value > 12) {
    return fmt::format("month {:02} does not exist", month_value);
  }
  const Date date{chrono::year{year_value}, chrono::month{static_cast<unsigned>(month_value)},
                  chrono::day{static_cast<unsigned>(day_value)}};
  if (!date.ok()) {
    return fmt::format("{:04}-{:02} has no day {:02}", year_value, month_value, day_value);
  }
  out = date;
  return std::nullopt;
}

// Reads "hh:mm:ss[.fraction]" and returns why it is not a time of day, or nothing.
std::optional<std::string> scan_time_of_day(Scanner& in, chrono::seconds& whole,
                                            chrono::nanoseconds& fraction) {
  int hour = 0;
  int minute = 0;
  int second = 0;
  if (!in.digits(2, hour) || !in.accept(':') || !in.digits(2, minute) || !in.accept(':') ||
      !in.digits(2, second)) {
    return "expected the time of day as hh:mm:ss after 'T'";
  }
  if (hour > 23) {
    return fmt::format("hour {:02} is out of range 00..23", hour);
  }
  if (minute > 59) {
    return fmt::format("minute {:02} is out of range 00..59", minute);
  }
  if (second > 59) {
    return fmt::format("second {:02} is out of range 00..59 (leap seconds are not supported)",
                       second);
  }
  whole = chrono::hours{hour} + chrono::minutes{minute} + chrono::seconds{second};
  fraction = chrono::nanoseconds{0};
  if (in.accept('.')) {
    if (!in.next_is_digit()) {
      return "expected digits after the decimal point";
    }
    // Digits past nanoseconds are read and dropped.
    std::int64_t scale = 100'000'000;
    while (in.next_is_digit()) {
      fraction += chrono::nanoseconds{(in.take() - '0') * scale};
      scale /= 10;
    }
  }
  return std::nullopt;
}

// Reads "Z" or "±hh:mm" up to the end; returns why it is not a zone, or nothing.
std::optional<std::string> scan_zone(Scanner& in, chrono::minutes& offset) {
  char sign = 0;
  if (in.accept('Z') || in.accept('z')) {
    offset = chrono::minutes{0};
  } else if (in.accept_any("+-", sign)) {
    int hours = 0;
    int minutes = 0;
    if (!in.digits(2, hours) || !in.accept(':') || !in.digits(2, minutes)) {
      return "expected the offset as +hh:mm or -hh:mm";
    }
    if (hours > 23 || minutes > 59) {
      return fmt::format("offset {}{:02}:{:02} is out of range", sign, hours, minutes);
    }
    offset = chrono::hours{hours} + chrono::minutes{minutes};
    if (sign == '-') {
      offset = -offset;
    }
  } else {
    return "expected the time zone: Z for UTC or an offset like +02:00";
  }
  if (!in.at_end()) {
    return "unexpected text after the time zone";
  }
  return std::nullopt;
}

Result<TimePoint> invalid_time(std::string_view text, std::string_view reason) {
  return fail(ErrorCategory::invalid_argument,
              fmt::format("invalid time \"{}\": {}; expected RFC 3339 like {}", text, reason,
                          time_example));
}

} // namespace

std::string format_time(TimePoint time) {
  // Split into days and time of day with integer arithmetic: converting the day's midnight back
  // into clock ticks would overflow near the ends of the clock's range.
  using Ticks = TimePoint::duration;
  constexpr auto ticks_per_day = chrono::duration_cast<Ticks>(chrono::days{1}).count();
  auto day_count = time.time_since_epoch().count() / ticks_per_day;
  auto ticks_into_day = time.time_since_epoch().count() % ticks_per_day;
  if (ticks_into_day < 0) {
    ticks_into_day += ticks_per_day;
    --day_count;
  }
  const chrono::hh_mm_ss clock{Ticks{ticks_into_day}};
  const Date date{chrono::sys_days{chrono::days{day_count}}};
  std::string text = fmt::format("{}T{:02}:{:02}:{:02}", format_date(date), clock.hours().count(),
                                 clock.minutes().count(), clock.seconds().count());
  const auto nanos = chrono::duration_cast<chrono::nanoseconds>(clock.subseconds()).count();
  if (nanos % 1'000'000 == 0) {
    if (nanos != 0) {
      fmt::format_to(std::back_inserter(text), ".{:03}", nanos / 1'000'000);
    }
  } else if (nanos % 1'000 == 0) {
    fmt::format_to(std::back_inserter(text), ".{:06}", nanos / 1'000);
  } else {
    fmt::format_to(std::back_inserter(text), ".{:09}", nanos);
  }
  text += 'Z';
  return text;
}

Result<TimePoint> parse_time(std::string_view text) {
  Scanner in(text);
  Date date;
  if (auto problem = scan_date(in, date)) {
    return invalid_time(text, *problem);
  }
  if (!in.accept('T') && !in.accept('t')) {
    return invalid_time(text, "expected 'T' between the date and the time of day");
  }
  chrono::seconds time_of_day{};
  chrono::nanoseconds fraction{};
  if (auto problem = scan_time_of_day(in, time_of_day, fraction)) {
    return invalid_time(text, *problem);
  }
  chrono::minutes offset{};
  if (auto problem = scan_zone(in, offset)) {
    return invalid_time(text, *problem);
  }
  // Whole seconds first: they cannot overflow for any four-digit year, unlike the clock's own
  // ticks.
  const chrono::sys_seconds utc = chrono::sys_days{date} + time_of_day - offset;
  const auto earliest = chrono::floor<chrono::seconds>(TimePoint::min());
  const auto latest = chrono::floor<chrono::seconds>(TimePoint::max());
  if (utc <= earliest || utc >= latest) {
    return invalid_time(text,
                        fmt::format("outside the representable range {} .. {}",
                                    format_time(TimePoint::min()), format_time(TimePoint::max())));
  }
  return chrono::time_point_cast<TimePoint::duration>(utc) +
         chrono::duration_cast<TimePoint::duration>(fraction);
}

std::string format_date(Date date) {
  return fmt::format("{:04}-{:02}-{:02}", static_cast<int>(date.year()),
                     static_cast<unsigned>(date.month()), static_cast<unsigned>(date.day()));
}

Result<Date> parse_date(std::string_view text) {
  Scanner in(text);
  Date date;
  auto problem = scan_date(in, date);
  if (!problem && !in.at_end()) {
    problem = "unexpected text after the date";
  }
  if (problem) {
    return fail(ErrorCategory::invalid_argument,
                fmt::format("invalid date \"{}\": {}; expected a calendar date like {}", text,
                            *problem, date_example));
  }
  return date;
}

} // namespace leadsync::model
