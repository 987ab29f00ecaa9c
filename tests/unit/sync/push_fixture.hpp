#pragma once
// A store in memory, the shipped lead mapping and a fake CRM: what the push tests start from.

#include "fake_crm.hpp"
#include "leadsync/store/open.hpp"
#include "leadsync/sync/push.hpp"
#include "leadsync_test_paths.hpp"

#include <gtest/gtest.h>

namespace leadsync::sync::testing {

class PushFixture : public ::testing::Test {
protected:
  void SetUp() override {
    auto opened = store::open_store("sqlite::memory:", ".", clock_);
    ASSERT_TRUE(opened.ok()) << opened.error().describe();
    store_ = std::move(opened).value();
    auto loaded =
        mapping::load_lead_mapping(LEADSYNC_SOURCE_DIR "/mappings/lead.toml", "leadsync_");
    ASSERT_TRUE(loaded.ok()) << loaded.error().describe();
    mapping_ = std::move(loaded).value();
  }

  model::Lead create(const std::string& last_name) {
    model::Lead lead;
    lead.person.first_name = "Ada";
    lead.person.last_name = last_name;
    lead.person.emails = {last_name + "@example.com"};
    lead.company.name = "Analytical Engines Ltd";
    lead.origin.channel = model::Channel::web;
    auto created = store_->create_lead(lead);
    EXPECT_TRUE(created.ok()) << created.error().describe();
    return created.value();
  }

  PushReport push(PushSettings settings = {}) {
    Pusher pusher(*store_, crm_, mapping_, crm_, clock_, std::move(settings));
    auto report = pusher.run();
    EXPECT_TRUE(report.ok()) << report.error().describe();
    return report.value_or(PushReport{});
  }

  std::int64_t pending() { return store_->stats().value().outbox_pending; }

  ManualClock clock_;
  std::unique_ptr<store::Store> store_;
  mapping::LeadMapping mapping_;
  FakeCrm crm_;
};

} // namespace leadsync::sync::testing
