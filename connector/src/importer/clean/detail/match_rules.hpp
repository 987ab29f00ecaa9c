#pragma once
// The name rule shared by match_reason and FileIndex (see dedupe.hpp).

#include <string_view>

namespace leadsync::importer::detail {

// Folded names that show two different people: both sides have a last (or first) name and those
// differ beyond name_match_threshold, or by a feminine ending (a given name's initial does not
// count as different: "s" and "sergey"). Then a shared phone or role mailbox is a colleague's, not
// a duplicate.
bool names_conflict(std::string_view first_a, std::string_view last_a, std::string_view first_b,
                    std::string_view last_b);

} // namespace leadsync::importer::detail
