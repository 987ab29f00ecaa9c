#include "leadsync/sync/push_settings.hpp"

namespace leadsync::sync {

PushSettings push_settings_from(const config::Config& config) {
  PushSettings settings;
  settings.mode = config.push.mode;
  settings.batch_size = static_cast<std::size_t>(config.push.batch_size);
  settings.key_column = config.crm.alternate_key;
  settings.write_predictive_score = config.qualify.write_predictive_score;
  return settings;
}

} // namespace leadsync::sync
