#pragma once
// Small text helpers shared by the loaders that suggest corrections ("did you mean
// 'api_version'?").

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace leadsync::text {

// Levenshtein distance in bytes (the names compared are ASCII keys and field paths).
std::size_t edit_distance(std::string_view a, std::string_view b);

// The candidate closest to `name` within `max_distance` edits; empty when none is that close.
std::string_view closest_match(std::string_view name,
                               const std::vector<std::string_view>& candidates,
                               std::size_t max_distance);

// Text from outside (lead fields, provider answers) made safe for a terminal or a text log line:
// C0 controls, DEL and the C1 controls (U+0080 to U+009F) are written as visible escapes (\n, \t,
// \x1b, \u009b) so a value cannot move the cursor, recolour the screen or start a forged log line.
// Other UTF-8 passes through unchanged; a backslash is left as it is.
std::string escape_control_characters(std::string_view value);

// A user's value quoted in a message: whole when short, else its first 40 characters (never
// cutting a UTF-8 sequence) and its size ("\"aaaa...\" (52428800 bytes)"), so a 50 MB value does
// not come back as a 50 MB message (issue 18). Control characters are escaped.
inline constexpr std::size_t quoted_value_limit = 60;
inline constexpr std::size_t quoted_excerpt_length = 40;
std::string quoted_excerpt(std::string_view value, char quote = '"');

} // namespace leadsync::text
