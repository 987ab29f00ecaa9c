#pragma once
// Small text helpers shared by the loaders that suggest corrections ("did you mean
// 'api_version'?").

#include <cstddef>
#include <string_view>
#include <vector>

namespace leadsync::text {

// Levenshtein distance in bytes (the names compared are ASCII keys and field paths).
std::size_t edit_distance(std::string_view a, std::string_view b);

// The candidate closest to `name` within `max_distance` edits; empty when none is that close.
std::string_view closest_match(std::string_view name,
                               const std::vector<std::string_view>& candidates,
                               std::size_t max_distance);

} // namespace leadsync::text
