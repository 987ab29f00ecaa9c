#pragma once
// The model sources' names for the shared ASCII helpers in core/text (one home, issue 19).

#include "leadsync/core/text.hpp"

namespace leadsync::model::detail {

using text::ascii_lower;
using text::iequals;
using text::is_ascii_space;
using text::trim;

} // namespace leadsync::model::detail
