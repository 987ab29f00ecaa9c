#pragma once
// The model's enum names as text, shared with mappings and the CLI (e.g. `leads list --stage mql`)
// and written the same way in JSON (LifecycleStage::new_lead as "new"). Parsing ignores ASCII case
// and fails with ErrorCategory::invalid_argument naming the accepted values.

#include "leadsync/core/result.hpp"
#include "leadsync/model/lead.hpp"

#include <string_view>

namespace leadsync::model {

std::string_view to_string(LifecycleStage stage);
Result<LifecycleStage> parse_lifecycle_stage(std::string_view text);
std::string_view to_string(Channel channel);
Result<Channel> parse_channel(std::string_view text);
std::string_view to_string(ListAgeBucket bucket);
std::string_view to_string(BehaviourKind kind);
Result<BehaviourKind> parse_behaviour_kind(std::string_view text);

} // namespace leadsync::model
