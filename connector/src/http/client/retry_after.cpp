// Retry-After (RFC 9110 10.2.3): delta-seconds, or an HTTP-date in any of the three forms a
// recipient must accept (5.6.7): IMF-fixdate, the obsolete RFC 850 form and ANSI C's asctime()
// form.

#include "leadsync/core/text.hpp"
#include "leadsync/http/policies.hpp"

#include <array>
#include <charconv>
#include <cstdint>

namespace leadsync::http {

namespace {

using std::chrono::sys_seconds;

constexpr std::int64_t max_delta_seconds =
    1'000'000'000; // ~31 years: any larger is as good as never

class Cursor {
public:
  explicit Cursor(std::string_view text) : text_(text) {}

  bool literal(std::string_view expected) {
    if (text_.substr(0, expected.size()) != expected) {
      return false;
    }
    text_.remove_prefix(expected.size());
    return true;
  }

  // Exactly `count` ASCII digits.
  std::optional<int> digits(std::size_t count) {
    if (text_.size() < count) {
      return std::nullopt;
    }
    int value = 0;
    for (std::size_t i = 0; i < count; ++i) {
      if (text_[i] < '0' || text_[i] > '9') {
        return std::nullopt;
      }
      value = value * 10 + (text_[i] - '0');
    }
    text_.remove_prefix(count);
    return value;
  }

  // One of `names`, case-insensitively; returns its index.
  template <std::size_t N>
  std::optional<unsigned> one_of(const std::array<std::string_view, N>& names) {
    for (unsigned i = 0; i < N; ++i) {
      if (iequals(text_.substr(0, names[i].size()), names[i])) {
        text_.remove_prefix(names[i].size());
        return i;
      }
    }
    return std::nullopt;
  }

  bool at_end() const { return text_.empty(); }

private:
  std::string_view text_;
};

constexpr std::array<std::string_view, 12> month_names{"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                       "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
constexpr std::array<std::string_view, 7> short_day_names{"Mon", "Tue", "Wed", "Thu",
                                                          "Fri", "Sat", "Sun"};
constexpr std::array<std::string_view, 7> long_day_names{
    "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"};

struct TimeOfDay {
  int hour;
  int minute;
  int second;
};

// "08:49:37"
std::optional<TimeOfDay> parse_time_of_day(Cursor& cursor) {
  const auto hour = cursor.digits(2);
  if (!hour || !cursor.literal(":")) {
    return std::nullopt;
  }
  const auto minute = cursor.digits(2);
  if (!minute || !cursor.literal(":")) {
    return std::nullopt;
  }
  const auto second = cursor.digits(2);
  if (!second || *hour > 23 || *minute > 59 || *second > 60) { // 60: a leap second
    return std::nullopt;
  }
  return TimeOfDay{*hour, *minute, *second};
}

std::optional<sys_seconds> make_time(int year, unsigned month_index, int day, TimeOfDay time) {
  const std::chrono::year_month_day date{std::chrono::year{year},
                                         std::chrono::month{month_index + 1},
                                         std::chrono::day{static_cast<unsigned>(day)}};
  if (!date.ok()) {
    return std::nullopt;
  }
  return sys_seconds{std::chrono::sys_days{date}} + std::chrono::hours{time.hour} +
         std::chrono::minutes{time.minute} + std::chrono::seconds{time.second};
}

// "Sun, 06 Nov 1994 08:49:37 GMT"
std::optional<sys_seconds> parse_imf_fixdate(std::string_view text) {
  Cursor cursor(text);
  if (!cursor.one_of(short_day_names) || !cursor.literal(", ")) {
    return std::nullopt;
  }
  const auto day = cursor.digits(2);
  if (!day || !cursor.literal(" ")) {
    return std::nullopt;
  }
  const auto month = cursor.one_of(month_names);
  if (!month || !cursor.literal(" ")) {
    return std::nullopt;
  }
  const auto year = cursor.digits(4);
  if (!year || !cursor.literal(" ")) {
    return std::nullopt;
  }
  const auto time = parse_time_of_day(cursor);
  if (!time || !cursor.literal(" GMT") || !cursor.at_end()) {
    return std::nullopt;
  }
  return make_time(*year, *month, *day, *time);
}

// "Sunday, 06-Nov-94 08:49:37 GMT". A two-digit year more than 50 years ahead of now is in the past
// century (RFC 9110 5.6.7).
std::optional<sys_seconds> parse_rfc850_date(std::string_view text, Clock::WallTime now) {
  Cursor cursor(text);
  if (!cursor.one_of(long_day_names) || !cursor.literal(", ")) {
    return std::nullopt;
  }
  const auto day = cursor.digits(2);
  if (!day || !cursor.literal("-")) {
    return std::nullopt;
  }
  const auto month = cursor.one_of(month_names);
  if (!month || !cursor.literal("-")) {
    return std::nullopt;
  }
  const auto two_digit_year = cursor.digits(2);
  if (!two_digit_year || !cursor.literal(" ")) {
    return std::nullopt;
  }
  const auto time = parse_time_of_day(cursor);
  if (!time || !cursor.literal(" GMT") || !cursor.at_end()) {
    return std::nullopt;
  }
  const int this_year = static_cast<int>(
      std::chrono::year_month_day{std::chrono::floor<std::chrono::days>(now)}.year());
  int year = this_year - this_year % 100 + *two_digit_year;
  if (year > this_year + 50) {
    year -= 100;
  }
  return make_time(year, *month, *day, *time);
}

// "Sun Nov  6 08:49:37 1994"
std::optional<sys_seconds> parse_asctime_date(std::string_view text) {
  Cursor cursor(text);
  if (!cursor.one_of(short_day_names) || !cursor.literal(" ")) {
    return std::nullopt;
  }
  const auto month = cursor.one_of(month_names);
  if (!month || !cursor.literal(" ")) {
    return std::nullopt;
  }
  std::optional<int> day;
  if (cursor.literal(" ")) {
    day = cursor.digits(1);
  } else {
    day = cursor.digits(2);
  }
  if (!day || !cursor.literal(" ")) {
    return std::nullopt;
  }
  const auto time = parse_time_of_day(cursor);
  if (!time || !cursor.literal(" ")) {
    return std::nullopt;
  }
  const auto year = cursor.digits(4);
  if (!year || !cursor.at_end()) {
    return std::nullopt;
  }
  return make_time(*year, *month, *day, *time);
}

std::optional<std::chrono::seconds> parse_delta_seconds(std::string_view text) {
  std::int64_t seconds = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), seconds);
  if (end != text.data() + text.size()) {
    return std::nullopt;
  }
  if (error == std::errc::result_out_of_range || seconds > max_delta_seconds) {
    return std::chrono::seconds{max_delta_seconds};
  }
  if (error != std::errc{}) {
    return std::nullopt;
  }
  return std::chrono::seconds{seconds};
}

} // namespace

std::optional<std::chrono::milliseconds> parse_retry_after(const Response& response,
                                                           Clock::WallTime now) {
  const auto header = response.headers.get("Retry-After");
  if (!header) {
    return std::nullopt;
  }
  const auto text = text::trim(*header, text::space_and_tab);
  if (text.empty()) {
    return std::nullopt;
  }
  if (text.front() >= '0' && text.front() <= '9') {
    return parse_delta_seconds(text);
  }
  auto date = parse_imf_fixdate(text);
  if (!date) {
    date = parse_rfc850_date(text, now);
  }
  if (!date) {
    date = parse_asctime_date(text);
  }
  if (!date) {
    return std::nullopt;
  }
  if (*date <= now) {
    return std::chrono::milliseconds{0};
  }
  return std::chrono::ceil<std::chrono::milliseconds>(*date - now);
}

} // namespace leadsync::http
