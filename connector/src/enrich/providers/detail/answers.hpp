#pragma once
// Answer builders shared by all providers (the HTTP ones and file_feed). Private to
// leadsync_enrich.

#include "leadsync/enrich/provider.hpp"

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace leadsync::enrich::providers::support {

// An answer without fields (no_match, pending, invalid_input, or a matched answer filled later).
inline Answer empty_answer(Outcome outcome, std::int64_t credits = 0,
                           std::optional<std::chrono::seconds> retry_after = std::nullopt,
                           std::string note = {}) {
  return Answer{.outcome = outcome,
                .fields = {},
                .raw_confidence = 0,
                .confidence = 0,
                .credits = credits,
                .retry_after = retry_after,
                .note = std::move(note)};
}

// A matched answer with its fields and confidences.
inline Answer matched_answer(std::vector<FoundField> fields, double raw_confidence,
                             double confidence, std::int64_t credits) {
  return Answer{.outcome = Outcome::matched,
                .fields = std::move(fields),
                .raw_confidence = raw_confidence,
                .confidence = confidence,
                .credits = credits,
                .retry_after = std::nullopt,
                .note = {}};
}

} // namespace leadsync::enrich::providers::support
