#pragma once
// Parsing JSON that outside parties write (CRM and provider responses, webhook and events
// bodies, feed records) with a nesting limit. nlohmann/json parses any depth, but code that walks,
// copies or prints the document recurses: 100,000 levels overflow the stack (issue 18).

#include "leadsync/core/result.hpp"

#include <nlohmann/json.hpp>
#include <string_view>

namespace leadsync {

// Deeper than any document Dataverse or a provider sends (an $expand five levels deep nests
// about 12); shallow enough that every recursive walk of the result is safe.
inline constexpr int max_json_depth = 64;

// Parses `text` as one JSON document of at most `max_depth` nested arrays and objects. Errors,
// category protocol: not JSON (with the parser's position and message), or "nested deeper than 64
// levels" naming `what` ("the Dataverse response", "the webhook body").
Result<nlohmann::json> parse_untrusted_json(std::string_view text, std::string_view what,
                                            int max_depth = max_json_depth);

// True when `text` nests no deeper than `max_depth` (strings and escapes are skipped). For code
// that must keep its own parser call (SAX, callbacks) but needs the same guard first.
bool json_depth_within(std::string_view text, int max_depth = max_json_depth);

} // namespace leadsync
