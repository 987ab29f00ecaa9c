#include "leadsync/model/enum_names.hpp"

#include "detail/enum_tables.hpp"

namespace leadsync::model {

using detail::enum_name;
using detail::parse_enum;

std::string_view to_string(LifecycleStage stage) {
  return enum_name(stage);
}
Result<LifecycleStage> parse_lifecycle_stage(std::string_view text) {
  return parse_enum<LifecycleStage>(text);
}
std::string_view to_string(Channel channel) {
  return enum_name(channel);
}
Result<Channel> parse_channel(std::string_view text) {
  return parse_enum<Channel>(text);
}
std::string_view to_string(ListAgeBucket bucket) {
  return enum_name(bucket);
}
std::string_view to_string(BehaviourKind kind) {
  return enum_name(kind);
}
Result<BehaviourKind> parse_behaviour_kind(std::string_view text) {
  return parse_enum<BehaviourKind>(text);
}

} // namespace leadsync::model
