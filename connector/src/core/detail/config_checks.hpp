#pragma once
// The semantic checks behind config::validate(): URL forms, enum values, ranges, what each auth
// mode needs, https for non-loopback CRM URLs, cron syntax.

#include "leadsync/core/config.hpp"

#include <vector>

namespace leadsync::config::detail {

// Appends one Problem per broken rule, each with its key and the line from loaded.key_lines.
void check_semantics(const LoadedConfig& loaded, std::vector<Problem>& problems);

} // namespace leadsync::config::detail
