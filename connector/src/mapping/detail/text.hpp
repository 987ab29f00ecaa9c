#pragma once
// UTF-8 helpers for the mapping: Dataverse limits text in characters, and option labels are matched
// without regard to case.

#include "leadsync/core/text.hpp"

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace leadsync::mapping::detail {

// Number of Unicode code points; nullopt when `text` is not valid UTF-8.
std::optional<std::size_t> code_points(std::string_view text);
// The first `count` code points of valid UTF-8 `text`.
std::string first_code_points(std::string_view text, std::size_t count);

// Lower-cases Latin (ASCII, Latin-1, Latin Extended-A), Greek and Cyrillic letters; other text is
// kept.
std::string fold_case(std::string_view text);

} // namespace leadsync::mapping::detail
