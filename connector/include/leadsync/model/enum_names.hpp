#pragma once
// The model's enum names as text, shared with mappings and the CLI (e.g. `leads list --stage mql`)
// and written the same way in JSON (LifecycleStage::new_lead as "new"). Parsing ignores ASCII case
// and fails with ErrorCategory::invalid_argument naming the accepted values.

#include "leadsync/core/result.hpp"
#include "leadsync/model/lead.hpp"

#include <array>
#include <string_view>

namespace leadsync::model {

// Every lifecycle stage, in funnel order (metrics give each a series; mappings list them).
inline constexpr std::array<LifecycleStage, 8> all_lifecycle_stages{
    LifecycleStage::new_lead,
    LifecycleStage::cold,
    LifecycleStage::mql,
    LifecycleStage::pql,
    LifecycleStage::service_qualified,
    LifecycleStage::sql,
    LifecycleStage::qualified,
    LifecycleStage::disqualified};

std::string_view to_string(LifecycleStage stage);
Result<LifecycleStage> parse_lifecycle_stage(std::string_view text);
std::string_view to_string(Channel channel);
Result<Channel> parse_channel(std::string_view text);
std::string_view to_string(ListAgeBucket bucket);
std::string_view to_string(BehaviourKind kind);
Result<BehaviourKind> parse_behaviour_kind(std::string_view text);

} // namespace leadsync::model
