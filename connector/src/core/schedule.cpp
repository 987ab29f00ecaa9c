#include "leadsync/core/schedule.hpp"

#include "leadsync/core/text.hpp"

#include <array>
#include <charconv>
#include <fmt/format.h>
#include <memory>
#include <unicode/basictz.h>
#include <unicode/timezone.h>
#include <unicode/tztrans.h>
#include <unicode/unistr.h>
#include <vector>

namespace leadsync {
namespace {

constexpr std::string_view fields_expected =
    "expected 5 fields (minute hour day-of-month month day-of-week) or @every <duration>";

constexpr std::array<std::string_view, 12> month_names = {"jan", "feb", "mar", "apr", "may", "jun",
                                                          "jul", "aug", "sep", "oct", "nov", "dec"};
constexpr std::array<std::string_view, 7> weekday_names = {"sun", "mon", "tue", "wed",
                                                           "thu", "fri", "sat"};

struct FieldSpec {
  int number;            // 1-based position
  std::string_view name; // "minute"
  int min;
  int max;
  const std::string_view* names; // names[i] stands for min_name + i; nullptr when none
  std::size_t name_count;
  int min_name;
  std::string_view allowed; // what a value may be, for messages
};

constexpr std::array<FieldSpec, 5> field_specs = {{
    {1, "minute", 0, 59, nullptr, 0, 0, "a number from 0 to 59"},
    {2, "hour", 0, 23, nullptr, 0, 0, "a number from 0 to 23"},
    {3, "day-of-month", 1, 31, nullptr, 0, 0, "a number from 1 to 31"},
    {4, "month", 1, 12, month_names.data(), month_names.size(), 1, "1-12 or JAN-DEC"},
    {5, "day-of-week", 0, 7, weekday_names.data(), weekday_names.size(), 0,
     "0-7 (0 and 7 are Sunday) or SUN-SAT"},
}};

struct Nickname {
  std::string_view name;
  std::string_view cron;
};

constexpr std::array<Nickname, 7> nicknames = {{
    {"@yearly", "0 0 1 1 *"},
    {"@annually", "0 0 1 1 *"},
    {"@monthly", "0 0 1 * *"},
    {"@weekly", "0 0 * * 0"},
    {"@daily", "0 0 * * *"},
    {"@midnight", "0 0 * * *"},
    {"@hourly", "0 * * * *"},
}};

bool is_blank(char c) {
  return c == ' ' || c == '\t';
}

// At most 20 characters of `text`, quoted, non-printable bytes as '?'.
std::string excerpt(std::string_view text) {
  constexpr std::size_t max_chars = 20;
  std::string out = "\"";
  for (std::size_t i = 0; i < text.size() && i < max_chars; ++i) {
    const char c = text[i];
    out += (c >= 0x20 && c < 0x7f) ? c : '?';
  }
  out += text.size() > max_chars ? "...\"" : "\"";
  return out;
}

// A number as written, cut to 12 digits.
std::string short_number(std::string_view digits) {
  return digits.size() > 12 ? std::string(digits.substr(0, 12)) + "..." : std::string(digits);
}

std::vector<std::string_view> split_blanks(std::string_view text) {
  std::vector<std::string_view> words;
  std::size_t pos = 0;
  while (pos < text.size()) {
    while (pos < text.size() && is_blank(text[pos])) {
      ++pos;
    }
    const std::size_t start = pos;
    while (pos < text.size() && !is_blank(text[pos])) {
      ++pos;
    }
    if (pos > start) {
      words.push_back(text.substr(start, pos - start));
    }
  }
  return words;
}

// Digits only, at most 4 of them; nullopt otherwise.
std::optional<int> parse_uint(std::string_view text) {
  if (text.empty() || text.size() > 4) {
    return std::nullopt;
  }
  for (const char c : text) {
    if (!text::is_ascii_digit(c)) {
      return std::nullopt;
    }
  }
  int value = 0;
  std::from_chars(text.data(), text.data() + text.size(), value);
  return value;
}

bool all_digits(std::string_view text) {
  for (const char c : text) {
    if (!text::is_ascii_digit(c)) {
      return false;
    }
  }
  return !text.empty();
}

Failure field_error(const FieldSpec& field, const std::string& message) {
  return fail(ErrorCategory::config,
              fmt::format("field {} ({}): {}", field.number, field.name, message));
}

struct Value {
  int number = 0;
  bool named = false;
};

Result<Value> parse_value(std::string_view text, const FieldSpec& field) {
  if (all_digits(text)) {
    const auto number = parse_uint(text);
    if (!number || *number < field.min || *number > field.max) {
      return field_error(
          field, fmt::format("{} is out of range {}-{}", short_number(text), field.min, field.max));
    }
    return Value{.number = *number, .named = false};
  }
  for (std::size_t i = 0; i < field.name_count; ++i) {
    if (text::ascii_lower(text) == field.names[i]) {
      return Value{.number = field.min_name + static_cast<int>(i), .named = true};
    }
  }
  return field_error(field, fmt::format("{} is not {}", excerpt(text), field.allowed));
}

// One comma-separated item: "*", "n", "a-b", "*/s", "a-b/s". Returns its bits.
Result<std::uint64_t> parse_item(std::string_view item, const FieldSpec& field) {
  if (item.empty()) {
    return field_error(field, "empty item in a list; separate items with single commas, like "
                              "1,15,30");
  }
  std::string_view base = item;
  int step = 1;
  if (const auto slash = item.find('/'); slash != std::string_view::npos) {
    base = item.substr(0, slash);
    const auto step_text = item.substr(slash + 1);
    if (!all_digits(step_text)) {
      return field_error(field, fmt::format("step {} in {} is not a number; write steps like */5 "
                                            "or 10-50/5",
                                            excerpt(step_text), excerpt(item)));
    }
    const auto parsed = parse_uint(step_text);
    if (!parsed || *parsed < 1 || *parsed > field.max) {
      return field_error(field, fmt::format("step {} in {} is out of range 1-{}",
                                            short_number(step_text), excerpt(item), field.max));
    }
    step = *parsed;
    if (base != "*" && base.find('-') == std::string_view::npos) {
      return field_error(field, fmt::format("a step needs * or a range before it, like */5 or "
                                            "10-50/5 (got {})",
                                            excerpt(item)));
    }
  }
  int low = field.min;
  int high = field.number == 5 ? 6 : field.max; // "*" in day-of-week is 0-6; 7 repeats Sunday
  if (base != "*") {
    const auto dash = base.find('-');
    if (dash == std::string_view::npos) {
      LEADSYNC_TRY(const auto value, parse_value(base, field));
      low = high = value.number;
    } else {
      const auto low_text = base.substr(0, dash);
      const auto high_text = base.substr(dash + 1);
      if (low_text.empty() || high_text.empty()) {
        return field_error(
            field, fmt::format("range {} needs a start and an end, like 1-5", excerpt(base)));
      }
      LEADSYNC_TRY(const auto first, parse_value(low_text, field));
      LEADSYNC_TRY(auto last, parse_value(high_text, field));
      if (field.number == 5 && last.named && last.number == 0 && first.number > 0) {
        last.number = 7; // "FRI-SUN" ends on Sunday written as 7
      }
      if (first.number > last.number) {
        return field_error(field, fmt::format("range {} starts after it ends; ranges do not wrap "
                                              "around, so write it as two, like 22-23,0-2",
                                              excerpt(base)));
      }
      low = first.number;
      high = last.number;
    }
  }
  std::uint64_t bits = 0;
  for (int value = low; value <= high; value += step) {
    bits |= std::uint64_t{1} << value;
  }
  return bits;
}

Result<std::uint64_t> parse_field(std::string_view text, const FieldSpec& field) {
  std::uint64_t bits = 0;
  std::size_t pos = 0;
  while (true) {
    const auto comma = text.find(',', pos);
    const auto item = text.substr(pos, comma == std::string_view::npos ? comma : comma - pos);
    LEADSYNC_TRY(const auto item_bits, parse_item(item, field));
    bits |= item_bits;
    if (comma == std::string_view::npos) {
      break;
    }
    pos = comma + 1;
  }
  if (field.number == 5 && (bits & (std::uint64_t{1} << 7)) != 0) {
    bits = (bits & ~(std::uint64_t{1} << 7)) | 1; // 7 is Sunday
  }
  return bits;
}

Failure every_error(const std::string& message) {
  return fail(ErrorCategory::config, "@every: " + message);
}

// "30s", "5m", "1h30m", "1h30m10s": whole numbers of h, m, s, each at most once, in that order.
Result<std::chrono::seconds> parse_duration(std::string_view text) {
  constexpr std::string_view units = "hms";
  constexpr std::array<std::int64_t, 3> unit_seconds = {3600, 60, 1};
  std::int64_t total = 0;
  std::size_t next_unit = 0; // index in units the next part may use at the earliest
  std::size_t pos = 0;
  while (pos < text.size()) {
    const std::size_t number_start = pos;
    while (pos < text.size() && text::is_ascii_digit(text[pos])) {
      ++pos;
    }
    const auto number_text = text.substr(number_start, pos - number_start);
    if (pos < text.size() && text[pos] == '.') {
      return every_error(fmt::format("duration {} has a fraction; use whole numbers of h, m and s, "
                                     "like 1h30m instead of 1.5h",
                                     excerpt(text)));
    }
    if (number_text.empty()) {
      return every_error(fmt::format("duration {} is not a number followed by h, m or s; write "
                                     "it like 30s, 5m or 1h30m10s",
                                     excerpt(text)));
    }
    const std::size_t unit_start = pos;
    while (pos < text.size() && !text::is_ascii_digit(text[pos]) && text[pos] != '.') {
      ++pos;
    }
    const auto unit = text.substr(unit_start, pos - unit_start);
    if (unit.empty()) {
      return every_error(fmt::format("duration {} needs a unit after {}: h, m or s, like 30s",
                                     excerpt(text), number_text.substr(0, 20)));
    }
    if (unit == "ms" || unit == "us" || unit == "ns" || unit == "\xC2\xB5s") {
      return every_error(fmt::format("duration {} uses {}: units below a second are not "
                                     "supported, the shortest interval is 1s",
                                     excerpt(text), excerpt(unit)));
    }
    const auto unit_index = unit.size() == 1 ? units.find(unit[0]) : std::string_view::npos;
    if (unit_index == std::string_view::npos) {
      return every_error(fmt::format("duration {} has unknown unit {}; use h, m and s, like "
                                     "1h30m10s (24h at most)",
                                     excerpt(text), excerpt(unit)));
    }
    if (unit_index < next_unit) {
      return every_error(fmt::format("duration {} repeats a unit or has them out of order; write "
                                     "each of h, m and s at most once, in that order, like "
                                     "1h30m10s",
                                     excerpt(text)));
    }
    next_unit = unit_index + 1;
    const auto amount = number_text.size() > 6
                            ? std::optional<std::int64_t>()
                            : std::optional<std::int64_t>(std::stoll(std::string(number_text)));
    if (!amount) {
      return every_error(fmt::format("duration {} is longer than the maximum 24h", excerpt(text)));
    }
    total += *amount * unit_seconds[unit_index];
  }
  if (total < Schedule::min_interval.count()) {
    return every_error(fmt::format("duration {} must be at least 1s", excerpt(text)));
  }
  if (total > Schedule::max_interval.count()) {
    return every_error(fmt::format("duration {} is longer than the maximum 24h", excerpt(text)));
  }
  return std::chrono::seconds{total};
}

std::string format_duration(std::chrono::seconds duration) {
  const auto total = duration.count();
  std::string out;
  if (total / 3600 > 0) {
    out += fmt::format("{}h", total / 3600);
  }
  if (total % 3600 / 60 > 0) {
    out += fmt::format("{}m", total % 3600 / 60);
  }
  if (total % 60 > 0 || out.empty()) {
    out += fmt::format("{}s", total % 60);
  }
  return out;
}

// The lowest set bit at `from` or above, up to `last`; -1 when none.
int next_bit(std::uint64_t bits, int from, int last) {
  for (int bit = from; bit <= last; ++bit) {
    if ((bits >> bit & 1U) != 0) {
      return bit;
    }
  }
  return -1;
}

constexpr std::uint64_t all_days = 0xFFFFFFFEULL; // bits 1-31
constexpr std::uint64_t all_weekdays = 0x7FULL;   // bits 0-6

constexpr std::string_view utc = "UTC";

// The rules of one time zone, from ICU
// (https://unicode-org.github.io/icu/userguide/datetime/timezone/): the total offset (raw +
// daylight saving) in effect at an instant, and the instants it changes.
class ZoneRules {
public:
  using TimePoint = Schedule::TimePoint;
  using Ms = std::chrono::milliseconds;

  // nullptr when ICU does not know the name as a system (tz database) zone.
  static std::unique_ptr<ZoneRules> open(std::string_view name) {
    const auto id = icu::UnicodeString::fromUTF8(
        icu::StringPiece(name.data(), static_cast<int32_t>(name.size())));
    UErrorCode status = U_ZERO_ERROR;
    icu::UnicodeString canonical;
    UBool system = false;
    icu::TimeZone::getCanonicalID(id, canonical, system, status);
    if (U_FAILURE(status) || !system) {
      return nullptr;
    }
    std::unique_ptr<icu::TimeZone> zone(icu::TimeZone::createTimeZone(id));
    auto* basic = dynamic_cast<icu::BasicTimeZone*>(zone.get());
    if (basic == nullptr || *zone == icu::TimeZone::getUnknown()) {
      return nullptr;
    }
    return std::unique_ptr<ZoneRules>(new ZoneRules(std::move(zone), basic));
  }

  // The offset of wall-clock time from UTC at `time` (from `time` on, at a transition).
  Ms offset_at(TimePoint time) const {
    std::int32_t raw = 0;
    std::int32_t dst = 0;
    UErrorCode status = U_ZERO_ERROR;
    zone_->getOffset(to_udate(time), false, raw, dst, status);
    return U_FAILURE(status) ? Ms{0} : Ms{static_cast<std::int64_t>(raw) + dst};
  }

  // The first transition strictly after `time`.
  std::optional<TimePoint> next_transition(TimePoint time) const {
    icu::TimeZoneTransition transition;
    if (!basic_->getNextTransition(to_udate(time), false, transition)) {
      return std::nullopt;
    }
    return from_udate(transition.getTime());
  }

  // The last transition at or before `time`.
  std::optional<TimePoint> last_transition(TimePoint time) const {
    icu::TimeZoneTransition transition;
    if (!basic_->getPreviousTransition(to_udate(time), true, transition)) {
      return std::nullopt;
    }
    return from_udate(transition.getTime());
  }

private:
  ZoneRules(std::unique_ptr<icu::TimeZone> zone, icu::BasicTimeZone* basic)
      : zone_(std::move(zone)), basic_(basic) {}

  // UDate: milliseconds since the Unix epoch as a double.
  static UDate to_udate(TimePoint time) {
    return static_cast<UDate>(std::chrono::floor<Ms>(time).time_since_epoch().count());
  }
  static TimePoint from_udate(UDate date) { return TimePoint{Ms{static_cast<std::int64_t>(date)}}; }

  std::unique_ptr<icu::TimeZone> zone_;
  icu::BasicTimeZone* basic_; // zone_ itself
};

} // namespace

Status check_time_zone(std::string_view time_zone) {
  if (time_zone == utc || ZoneRules::open(time_zone) != nullptr) {
    return ok_status();
  }
  return fail(ErrorCategory::config,
              fmt::format("unknown time zone {}; use \"UTC\" or an IANA time zone name like "
                          "\"Europe/Berlin\" or \"America/New_York\" (the list: timedatectl "
                          "list-timezones)",
                          excerpt(time_zone)));
}

Result<Schedule> parse_schedule(std::string_view text, std::string_view time_zone) {
  LEADSYNC_CHECK(check_time_zone(time_zone));
  LEADSYNC_TRY(auto schedule, parse_schedule(text));
  schedule.time_zone_ = std::string(time_zone);
  return schedule;
}

Result<Schedule> parse_schedule(std::string_view text) {
  const auto words = split_blanks(text);
  Schedule schedule;
  if (!words.empty() && words[0].starts_with('@')) {
    const std::string first = text::ascii_lower(words[0]);
    if (first == "@every") {
      if (words.size() == 1) {
        return fail(ErrorCategory::config,
                    "@every needs a duration, like @every 30s, @every 5m or @every 1h30m");
      }
      if (words.size() > 2) {
        return every_error("write the duration as one word without spaces, like @every 1h30m");
      }
      LEADSYNC_TRY(const auto interval, parse_duration(words[1]));
      schedule.interval_ = interval;
      schedule.text_ = "@every " + std::string(words[1]);
      return schedule;
    }
    for (const auto& nickname : nicknames) {
      if (first == nickname.name) {
        if (words.size() > 1) {
          return fail(ErrorCategory::config, fmt::format("{} takes nothing after it (got {} words)",
                                                         nickname.name, words.size()));
        }
        LEADSYNC_TRY(auto expanded, parse_schedule(nickname.cron));
        expanded.nickname_ = std::string(nickname.name);
        expanded.text_ = std::string(nickname.name);
        return expanded;
      }
    }
    return fail(ErrorCategory::config,
                fmt::format("unknown {}; use @yearly, @annually, @monthly, @weekly, @daily, "
                            "@midnight, @hourly or @every <duration>",
                            excerpt(words[0])));
  }
  if (words.size() != field_specs.size()) {
    return fail(ErrorCategory::config, fmt::format("{}, got {}", fields_expected, words.size()));
  }
  std::array<std::uint64_t, 5> bits{};
  for (std::size_t i = 0; i < field_specs.size(); ++i) {
    LEADSYNC_TRY(bits[i], parse_field(words[i], field_specs[i]));
  }
  schedule.minutes_ = bits[0];
  schedule.hours_ = static_cast<std::uint32_t>(bits[1]);
  schedule.days_ = static_cast<std::uint32_t>(bits[2]);
  schedule.months_ = static_cast<std::uint32_t>(bits[3]);
  schedule.weekdays_ = static_cast<std::uint32_t>(bits[4]);
  schedule.fixed_time_ =
      words[0].find('*') == std::string_view::npos && words[1].find('*') == std::string_view::npos;
  schedule.days_restricted_ = bits[2] != all_days;
  schedule.weekdays_restricted_ = bits[4] != all_weekdays;
  for (std::size_t i = 0; i < words.size(); ++i) {
    schedule.text_ += (i == 0 ? "" : " ") + std::string(words[i]);
  }
  return schedule;
}

bool Schedule::day_matches(int day_of_month, int weekday) const {
  const bool day_ok = (days_ >> day_of_month & 1U) != 0;
  const bool weekday_ok = (weekdays_ >> weekday & 1U) != 0;
  if (days_restricted_ && weekdays_restricted_) {
    return day_ok || weekday_ok;
  }
  return day_ok && weekday_ok; // the unrestricted one matches every day
}

std::optional<Schedule::TimePoint> Schedule::next_after(TimePoint after,
                                                        TimePoint interval_start) const {
  namespace chrono = std::chrono;
  if (is_interval()) {
    if (after < interval_start) {
      return interval_start;
    }
    const auto step = chrono::duration_cast<TimePoint::duration>(interval_);
    const auto k = (after - interval_start) / step + 1;
    return interval_start + k * step;
  }
  if (time_zone_ == utc) {
    return next_wall_after(after); // wall-clock time is UTC
  }
  return next_in_zone(after);
}

std::optional<Schedule::TimePoint> Schedule::next_wall_after(TimePoint after) const {
  namespace chrono = std::chrono;
  const auto first = chrono::floor<chrono::minutes>(after) + chrono::minutes{1};
  chrono::sys_days day = chrono::floor<chrono::days>(first);
  const auto time_of_day = chrono::duration_cast<chrono::minutes>(first - day).count();
  int hour = static_cast<int>(time_of_day / 60);
  int minute = static_cast<int>(time_of_day % 60);
  chrono::year_month_day date{day};
  const int last_year = static_cast<int>(date.year()) + search_years;
  const auto next_day = [&] {
    day += chrono::days{1};
    date = chrono::year_month_day{day};
    hour = 0;
    minute = 0;
  };
  while (static_cast<int>(date.year()) <= last_year) {
    if ((months_ >> static_cast<unsigned>(date.month()) & 1U) == 0) {
      date = chrono::year_month_day{date.year() / date.month() / 1} + chrono::months{1};
      day = chrono::sys_days{date};
      hour = 0;
      minute = 0;
      continue;
    }
    if (!day_matches(static_cast<int>(static_cast<unsigned>(date.day())),
                     static_cast<int>(chrono::weekday{day}.c_encoding()))) {
      next_day();
      continue;
    }
    const int next_hour = next_bit(hours_, hour, 23);
    if (next_hour < 0) {
      next_day();
      continue;
    }
    if (next_hour != hour) {
      hour = next_hour;
      minute = 0;
    }
    const int next_minute = next_bit(minutes_, minute, 59);
    if (next_minute < 0) {
      if (++hour > 23) {
        next_day();
      } else {
        minute = 0;
      }
      continue;
    }
    return TimePoint{day + chrono::hours{hour} + chrono::minutes{next_minute}};
  }
  return std::nullopt;
}

std::string Schedule::describe() const {
  if (is_interval()) {
    return "every " + format_duration(interval_);
  }
  if (!nickname_.empty()) {
    for (const auto& nickname : nicknames) {
      if (nickname.name == nickname_) {
        return fmt::format("{} (cron \"{}\", {})", nickname_, nickname.cron, time_zone_);
      }
    }
  }
  return fmt::format("cron \"{}\" ({})", text_, time_zone_);
}

// Walks the zone's periods of constant offset from `after` on. Within one, wall-clock time is
// UTC plus the offset, so next_wall_after finds the firing; a firing on a wall-clock time the
// next transition skips runs at that transition (the gap's end), and one on a time repeated since
// the period's own transition (a fall back) runs only at its first occurrence when the entry has
// a fixed minute and hour. See the header for the rules.
std::optional<Schedule::TimePoint> Schedule::next_in_zone(TimePoint after) const {
  namespace chrono = std::chrono;
  const auto zone = ZoneRules::open(time_zone_);
  if (!zone) {
    return std::nullopt; // parse_schedule checked the name; ICU's data cannot lose it meanwhile
  }
  const auto last_year =
      static_cast<int>(chrono::year_month_day{chrono::floor<chrono::days>(after)}.year()) +
      search_years;
  TimePoint period_start = after;
  // The first period is searched strictly after `after`, later ones from their first instant on.
  TimePoint search_from = after;
  while (
      static_cast<int>(chrono::year_month_day{chrono::floor<chrono::days>(period_start)}.year()) <=
      last_year) {
    const auto offset = zone->offset_at(period_start);
    const auto period_end = zone->next_transition(period_start);
    const auto began = zone->last_transition(period_start);
    const auto offset_before = began ? zone->offset_at(*began - chrono::milliseconds{1}) : offset;
    auto wall = next_wall_after(search_from + offset);
    while (wall && (!period_end || *wall - offset < *period_end)) {
      const bool repeated = began && offset_before > offset && *wall < *began + offset_before;
      if (!(repeated && fixed_time_)) {
        return *wall - offset;
      }
      wall = next_wall_after(*wall);
    }
    if (!wall || !period_end) {
      return std::nullopt; // no match within search_years
    }
    // *wall is the first match at or after this period's end in this period's wall-clock time.
    const auto offset_after = zone->offset_at(*period_end);
    if (offset_after > offset && *wall < *period_end + offset_after) {
      return *period_end; // skipped by the spring-forward gap: runs as it ends
    }
    period_start = *period_end;
    search_from = *period_end - chrono::milliseconds{1};
  }
  return std::nullopt;
}

} // namespace leadsync
