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

} // namespace leadsync::text
