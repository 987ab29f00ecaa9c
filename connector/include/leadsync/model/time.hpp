#pragma once
// Times (RFC 3339, UTC) and dates (YYYY-MM-DD) as text, the forms the lead model's JSON uses.

#include "leadsync/core/result.hpp"
#include "leadsync/model/lead.hpp"

#include <string>
#include <string_view>

namespace leadsync::model {

// Standalone parsers fail with ErrorCategory::invalid_argument and a message that shows the
// expected form. "2026-11-22T20:00:00Z"; a fraction only when non-zero: 3 digits (".123") when the
// time is whole milliseconds, else 6 or 9, so that parse_time(format_time(t)) == t exactly.
std::string format_time(TimePoint time);
Result<TimePoint>
parse_time(std::string_view text);              // RFC 3339: Z or ±hh:mm offset, optional fraction
std::string format_date(Date date);             // "2026-11-22"
Result<Date> parse_date(std::string_view text); // strict YYYY-MM-DD, a real calendar date

} // namespace leadsync::model
