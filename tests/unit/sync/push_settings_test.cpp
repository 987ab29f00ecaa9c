#include "leadsync/sync/push_settings.hpp"

#include <gtest/gtest.h>

namespace leadsync::sync {
namespace {

TEST(PushSettingsFromConfigTest, PushModeAndBatchSizeComeFromThePushSection) {
  config::Config config;
  config.push.mode = config::PushMode::single;
  config.push.batch_size = 17;
  const PushSettings settings = push_settings_from(config);
  EXPECT_EQ(settings.mode, PushMode::single);
  EXPECT_EQ(settings.batch_size, 17U);
}

TEST(PushSettingsFromConfigTest, TheKeyColumnIsTheCrmAlternateKey) {
  config::Config config;
  config.crm.alternate_key = "new_externalkey";
  EXPECT_EQ(push_settings_from(config).key_column, "new_externalkey");
}

TEST(PushSettingsFromConfigTest, PredictiveScoresAreWrittenWhenQualifySaysSo) {
  config::Config config;
  EXPECT_FALSE(push_settings_from(config).write_predictive_score);
  config.qualify.write_predictive_score = true;
  EXPECT_TRUE(push_settings_from(config).write_predictive_score);
}

TEST(PushSettingsFromConfigTest, WhatARunDecidesIsLeftToTheCaller) {
  const PushSettings settings = push_settings_from(config::Config{});
  EXPECT_FALSE(settings.limit.has_value());
  EXPECT_EQ(settings.workers, 1);
  EXPECT_TRUE(settings.crm_owned.empty());
}

} // namespace
} // namespace leadsync::sync
