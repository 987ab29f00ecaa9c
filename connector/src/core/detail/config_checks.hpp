#pragma once
// The semantic checks behind config::validate(): URL forms, enum values, ranges, what each auth
// mode needs, https for non-loopback CRM URLs, cron syntax.

#include "leadsync/core/config.hpp"

#include <string>
#include <string_view>
#include <vector>

namespace leadsync::config::detail {

// A user's value quoted in a message: whole when short, else its first 40 characters and its size
// ("\"aaaa...\" (52428800 bytes)"), so a 50 MB value does not come back as a 50 MB message
// (issue 18). Control characters are escaped so a value cannot forge a line of output.
inline constexpr std::size_t quoted_value_limit = 60;
inline constexpr std::size_t quoted_excerpt_length = 40;
std::string quoted_excerpt(std::string_view value);

// Appends one Problem per broken rule, each with its key and the line from loaded.key_lines.
void check_semantics(const LoadedConfig& loaded, std::vector<Problem>& problems);

} // namespace leadsync::config::detail
