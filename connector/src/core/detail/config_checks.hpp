#pragma once
// The semantic checks behind config::validate(): URL forms, enum values, ranges, what each auth
// mode needs, https for non-loopback CRM URLs, cron syntax.

#include "leadsync/core/config.hpp"
#include "leadsync/core/text.hpp"

#include <string>
#include <string_view>
#include <vector>

namespace leadsync::config::detail {

// A user's value quoted in a message, at most an excerpt (text.hpp).
using text::quoted_excerpt;
using text::quoted_excerpt_length;
using text::quoted_value_limit;

// Appends one Problem per broken rule, each with its key and the line from loaded.key_lines.
void check_semantics(const LoadedConfig& loaded, std::vector<Problem>& problems);

} // namespace leadsync::config::detail
