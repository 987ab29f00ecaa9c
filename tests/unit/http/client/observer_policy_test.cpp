// The request observer: one observation per logical call, in front of the retry policy, and the
// route labels it reports calls under.

#include "leadsync/core/random.hpp"
#include "leadsync/http/policies.hpp"
#include "leadsync/http/request_observer.hpp"
#include "support/recording_transport.hpp"
#include "support/sleepers.hpp"

#include <gtest/gtest.h>
#include <memory>
#include <mutex>
#include <vector>

namespace leadsync::http {
namespace {

using namespace std::chrono_literals;
using test::make_request;
using test::RecordingSleeper;
using test::RecordingTransport;

class RecordingObserver final : public RequestObserver {
public:
  void observe(const RequestObservation& observation) override {
    std::lock_guard lock(mutex_);
    seen_.push_back(observation);
  }
  std::vector<RequestObservation> seen() const {
    std::lock_guard lock(mutex_);
    return seen_;
  }

private:
  mutable std::mutex mutex_;
  std::vector<RequestObservation> seen_;
};

class ObserverPolicyTest : public ::testing::Test {
protected:
  ObserverPolicyTest() {
    RetryOptions options;
    options.max_attempts = 3;
    options.base_delay = 100ms;
    options.max_delay = 1s;
    options.max_retry_after = 60s;
    pipeline_ = std::make_unique<Pipeline>(
        std::vector<std::shared_ptr<Policy>>{
            std::make_shared<ObserverPolicy>(observer_, clock_),
            std::make_shared<RetryPolicy>(options, clock_, sleeper_, random_)},
        transport_);
  }

  Result<Response> send(std::string method, std::string url, CallContext context = {}) {
    context.idempotent = true;
    return pipeline_->send(make_request(std::move(method), std::move(url)), std::move(context));
  }

  ManualClock clock_;
  RecordingSleeper sleeper_{clock_};
  SeededRandom random_{7};
  std::shared_ptr<RecordingTransport> transport_ = std::make_shared<RecordingTransport>();
  std::shared_ptr<RecordingObserver> observer_ = std::make_shared<RecordingObserver>();
  std::unique_ptr<Pipeline> pipeline_;
};

TEST_F(ObserverPolicyTest, ACallWithItsRetriesIsObservedOnceWithTheFinalStatus) {
  transport_->then_respond(429, {{"Retry-After", "3"}}).then_respond(503).then_respond(204);

  ASSERT_TRUE(send("PATCH", "https://org.crm.dynamics.com/api/data/v9.2/"
                            "leads(leadsync_externalid='a%40b.com')")
                  .ok());

  const auto seen = observer_->seen();
  ASSERT_EQ(seen.size(), 1U);
  EXPECT_EQ(seen[0].method, "PATCH");
  EXPECT_EQ(seen[0].route, "leads");
  EXPECT_EQ(seen[0].status, 204);
  EXPECT_EQ(seen[0].attempts, 3);
  EXPECT_TRUE(seen[0].throttled);
  EXPECT_FALSE(seen[0].failure.has_value());
  // The retry waits happened on the manual clock: 3 s, then the 503's backoff.
  EXPECT_EQ(seen[0].duration, sleeper_.waits()[0] + sleeper_.waits()[1]);
  EXPECT_GE(seen[0].duration, 3s);
}

TEST_F(ObserverPolicyTest, EachCallIsObservedOnce) {
  transport_->then_respond(200).then_respond(404).then_respond(200);

  (void)send("GET", "https://org.crm.dynamics.com/api/data/v9.2/WhoAmI");
  (void)send("GET", "https://org.crm.dynamics.com/api/data/v9.2/"
                    "leads(6f1f2b3c-1d2e-4f50-8a6b-7c8d9e0f1a2b)?$select=merged");
  (void)send("POST", "https://org.crm.dynamics.com/api/data/v9.2/$batch");

  const auto seen = observer_->seen();
  ASSERT_EQ(seen.size(), 3U);
  EXPECT_EQ(seen[0].route, "WhoAmI");
  EXPECT_EQ(seen[0].status, 200);
  EXPECT_EQ(seen[1].route, "leads");
  EXPECT_EQ(seen[1].status, 404);
  EXPECT_EQ(seen[1].attempts, 1);
  EXPECT_FALSE(seen[1].throttled);
  EXPECT_EQ(seen[2].method, "POST");
  EXPECT_EQ(seen[2].route, "$batch");
  EXPECT_EQ(seen[2].duration, 0s) << "no time passed on the manual clock";
}

TEST_F(ObserverPolicyTest, ATransportFailureIsObservedWithStatusZeroAndItsCategory) {
  for (int i = 0; i < 3; ++i) {
    transport_->then_fail(ErrorCategory::timeout, "no response within 120 s", true);
  }

  ASSERT_FALSE(send("GET", "https://org.crm.dynamics.com/api/data/v9.2/leads").ok());

  const auto seen = observer_->seen();
  ASSERT_EQ(seen.size(), 1U);
  EXPECT_EQ(seen[0].status, 0);
  EXPECT_EQ(seen[0].attempts, 3);
  EXPECT_EQ(seen[0].failure, ErrorCategory::timeout);
  EXPECT_FALSE(seen[0].throttled);
}

TEST_F(ObserverPolicyTest, ARetryAfterTooLongToWaitIsObservedAsThe429ThatAskedForIt) {
  transport_->then_respond(429, {{"Retry-After", "3600"}});

  ASSERT_FALSE(send("POST", "https://org.crm.dynamics.com/api/data/v9.2/"
                            "leads/Microsoft.Dynamics.CRM.UpsertMultiple")
                   .ok());

  const auto seen = observer_->seen();
  ASSERT_EQ(seen.size(), 1U);
  EXPECT_EQ(seen[0].route, "leads/UpsertMultiple");
  EXPECT_EQ(seen[0].status, 429);
  EXPECT_EQ(seen[0].failure, ErrorCategory::throttled);
  EXPECT_TRUE(seen[0].throttled);
}

TEST_F(ObserverPolicyTest, ARouteSetByTheCallerIsReportedAsIs) {
  transport_->then_respond(200);
  CallContext context;
  context.route = "token";

  ASSERT_TRUE(send("POST", "https://login.example.com/tenant/oauth2/v2.0/token", context).ok());

  ASSERT_EQ(observer_->seen().size(), 1U);
  EXPECT_EQ(observer_->seen()[0].route, "token");
}

TEST(ObserverPolicyConstructionTest, RefusesANullObserver) {
  EXPECT_THROW(ObserverPolicy(nullptr), std::invalid_argument);
}

TEST(RouteLabelTest, StripsServiceRootKeysQueryAndActionPrefix) {
  const std::string root = "https://org.crm.dynamics.com/api/data/v9.2/";
  EXPECT_EQ(route_label(root + "leads"), "leads");
  EXPECT_EQ(route_label(root + "leads?$select=leadid&$filter=emailaddress1%20eq%20'a@b.com'"),
            "leads");
  EXPECT_EQ(route_label(root + "leads(leadsync_externalid='x')"), "leads");
  EXPECT_EQ(route_label(root + "leads(6f1f2b3c-1d2e-4f50-8a6b-7c8d9e0f1a2b)/"
                               "Microsoft.Dynamics.CRM.QualifyLead"),
            "leads/QualifyLead");
  EXPECT_EQ(route_label(root + "leads/Microsoft.Dynamics.CRM.UpsertMultiple"),
            "leads/UpsertMultiple");
  EXPECT_EQ(route_label(root + "msdyn_predictivescores(msdyn_entityid=6f1f2b3c-1d2e-4f50-8a6b-"
                               "7c8d9e0f1a2b,msdyn_entitytype='lead')"),
            "msdyn_predictivescores");
  EXPECT_EQ(route_label(root + "EntityDefinitions(LogicalName='lead')/Attributes/"
                               "Microsoft.Dynamics.CRM.StringAttributeMetadata?$select=MaxLength"),
            "EntityDefinitions/Attributes/StringAttributeMetadata");
  EXPECT_EQ(route_label(root + "$batch"), "$batch");
  EXPECT_EQ(route_label(root + "Merge"), "Merge");
}

TEST(RouteLabelTest, ParenthesesInsideQuotedKeyValuesDoNotEndTheKey) {
  EXPECT_EQ(route_label("https://org/api/data/v9.2/campaigns(name='Spring (EU) ''26')/x"),
            "campaigns/x");
}

TEST(RouteLabelTest, AUrlOutsideTheWebApiKeepsItsPath) {
  EXPECT_EQ(route_label("http://127.0.0.1:8765/tenant/oauth2/v2.0/token"),
            "tenant/oauth2/v2.0/token");
  EXPECT_EQ(route_label("https://org.crm.dynamics.com"), "/");
  EXPECT_EQ(route_label("https://org.crm.dynamics.com/api/data/v9.2/"), "/");
}

} // namespace
} // namespace leadsync::http
